//! Workloads: the paged table, one workload with its events, submitting (and previewing) from the
//! wizard, and deleting.

use leptos::prelude::*;
use rota_api::wire::{Preview, WorkloadCreationRequest, WorkloadSummary};
use serde::{Deserialize, Serialize};

use crate::UiError;

/// Rows per page of the Workloads table.
pub const PAGE_SIZE: u64 = 50;

/// The Workloads table's filters, order and page, as the page's address carries them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkloadQuery {
    /// Only this project (by name).
    pub project: String,
    /// Only this phase (`Running`, `Pending`, …).
    pub status: String,
    /// Only this type (`Training`, `Workspace`).
    pub kind: String,
    /// Only names containing this.
    pub search: String,
    /// `created`, `name`, `status`, `type`, `project` or `priority`.
    pub sort: String,
    /// Largest / newest first.
    pub desc: bool,
    /// Rows to skip.
    pub offset: u64,
}

/// A workload as a row shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// The workload.
    pub summary: WorkloadSummary,
    /// How long it has been pending (seconds), when it is.
    pub waiting_secs: Option<u64>,
}

#[cfg(feature = "ssr")]
fn row(summary: WorkloadSummary) -> Row {
    let waiting_secs = (summary.phase == "Pending")
        .then(|| rota_control::time::seconds_since(&summary.phase_since))
        .flatten();
    Row {
        summary,
        waiting_secs,
    }
}

/// One page of the table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkloadPage {
    /// The rows.
    pub workloads: Vec<Row>,
    /// The offset of the next page, when there is one.
    pub next: Option<u64>,
    /// Every project's name, for the filter.
    pub projects: Vec<String>,
}

/// One workload, with its history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkloadView {
    /// What it is and where it runs.
    pub row: Row,
    /// What happened to it, oldest first: (when, kind, message).
    pub events: Vec<(String, String, String)>,
    /// Whether its pods really run (and write output): not on the simulated cluster.
    pub runs_for_real: bool,
    /// Its image, command, arguments and variables.
    pub runs: rota_api::wire::WorkloadSpec,
    /// Its pods: index, node, devices.
    pub pods: Vec<rota_api::wire::WorkloadPod>,
    /// Whether the caller may delete it. Decided here, with the data, so that the page depends on
    /// this one resource alone: reading the session's resource too, inside the page's
    /// `Transition`, raced its hydration against the page's (a hydration mismatch now and then).
    pub may_delete: bool,
}

/// A page of live workloads, filtered and ordered in the store.
#[server]
pub async fn workloads_page(query: WorkloadQuery) -> Result<WorkloadPage, UiError> {
    use super::ssr::{caller, ui};
    use rota_control::services::org::list_projects;
    use rota_control::services::workloads::{ListFilter, SortBy, list_page};
    let (rota, _who) = caller()?;
    let given = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_owned());
    let sort_by = match query.sort.as_str() {
        "name" => SortBy::Name,
        "status" => SortBy::Phase,
        "type" => SortBy::Type,
        "project" => SortBy::Project,
        "priority" => SortBy::Priority,
        _ => SortBy::CreatedAt,
    };
    let projects: Vec<String> = list_projects(&rota)
        .await
        .map_err(ui)?
        .projects
        .into_iter()
        .map(|p| p.name)
        .collect();
    let project = given(&query.project).filter(|p| projects.contains(p));
    let page = list_page(
        &rota,
        &ListFilter {
            project,
            phase: given(&query.status),
            kind: given(&query.kind),
            search: given(&query.search),
            sort_by,
            descending: query.desc,
            offset: query.offset,
            limit: Some(PAGE_SIZE),
            ..ListFilter::default()
        },
    )
    .await
    .map_err(ui)?;
    Ok(WorkloadPage {
        workloads: page.workloads.into_iter().map(row).collect(),
        next: page.next,
        projects,
    })
}

/// One live workload and its events.
#[server]
pub async fn workload_detail(id: String) -> Result<WorkloadView, UiError> {
    use super::ssr::{caller, ui};
    use rota_control::services::workloads::{events, get, runs};
    let (rota, who) = caller()?;
    let summary = get(&rota, &id).await.map_err(ui)?;
    let events = events(&rota, &id)
        .await
        .map_err(ui)?
        .into_iter()
        .map(|e| (e.created_at, e.kind, e.message))
        .collect();
    Ok(WorkloadView {
        row: row(summary),
        events,
        runs_for_real: rota.executor.kind() != "simulated",
        runs: runs(&rota, &id).await.map_err(ui)?,
        pods: rota_control::services::pods::of_workload(&rota, &id)
            .await
            .map_err(ui)?,
        may_delete: who.role != rota_control::auth::Role::Viewer,
    })
}

/// Deletes a live workload; its GPUs free up in the next cycle.
#[server]
pub async fn delete_workload(id: String) -> Result<(), UiError> {
    use super::ssr::{caller, ui};
    let (rota, who) = caller()?;
    rota_control::services::workloads::delete(&rota, &who, &id)
        .await
        .map_err(ui)?;
    leptos_axum::redirect("/workloads");
    Ok(())
}

/// Refuses a name that is not a DNS-1123 label or that a live workload of the project has.
#[server]
pub async fn check_workload_name(project: String, name: String) -> Result<(), UiError> {
    use super::ssr::{caller, ui};
    let (rota, _who) = caller()?;
    rota_control::services::workloads::name_available(&rota, &project, &name)
        .await
        .map_err(ui)
}

/// A distributed training's choices in the wizard.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DistributedChoice {
    /// `PyTorch`, `TF`, `MPI`, `XGBoost` or `JAX`.
    pub framework: String,
    /// Workers beside the master.
    pub workers: u32,
}

#[cfg(feature = "ssr")]
fn submission(
    kind: &str,
    request: WorkloadCreationRequest,
    distributed: DistributedChoice,
) -> Result<rota_control::services::workloads::Submission, UiError> {
    use rota_api::ApiError;
    use rota_api::wire::DistributedAsk;
    use rota_scheduler::WorkloadKind;
    let (kind, distributed) = match kind {
        "Training" => (WorkloadKind::Training, None),
        "Distributed" => (
            WorkloadKind::Training,
            Some(DistributedAsk {
                framework: distributed.framework,
                num_workers: Some(distributed.workers),
                ..DistributedAsk::default()
            }),
        ),
        "Workspace" => (WorkloadKind::Workspace, None),
        other => {
            return Err(UiError::from(ApiError::invalid(
                "type",
                format!(
                    "{other:?} is not a workload type; choose Training, Distributed or Workspace"
                ),
            )));
        }
    };
    Ok(rota_control::services::workloads::Submission {
        kind,
        request,
        duration_secs: None,
        distributed,
    })
}

/// What submitting this would do now: the scheduler run on the current state with it added.
#[server]
pub async fn preview_workload(
    kind: String,
    request: WorkloadCreationRequest,
    distributed: DistributedChoice,
) -> Result<Preview, UiError> {
    use super::ssr::{caller, ui};
    let (rota, who) = caller()?;
    let sub = submission(&kind, request, distributed)?;
    rota_control::services::preview::preview(&rota, &who, &sub)
        .await
        .map_err(ui)
}

/// Submits a training or workspace.
#[server]
pub async fn create_workload(
    kind: String,
    request: WorkloadCreationRequest,
    distributed: DistributedChoice,
) -> Result<WorkloadSummary, UiError> {
    use super::ssr::{caller, ui};
    let (rota, who) = caller()?;
    let sub = submission(&kind, request, distributed)?;
    rota_control::services::workloads::submit(&rota, &who, sub)
        .await
        .map_err(ui)
}
