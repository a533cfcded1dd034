//! `/api/v1/workloads`: submit, list, get, delete, events.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use rota_api::ApiError;
use rota_api::wire::{Preview, WorkloadCreationRequest, WorkloadSummary};
use rota_control::services::workloads::{self, ListFilter, Submission, WorkloadEvent};
use rota_control::services::{Rota, preview};
use rota_scheduler::WorkloadKind;
use serde::{Deserialize, Serialize};

use super::{AppResult, Body, Caller};

async fn submit(
    rota: &Rota,
    caller: Caller,
    kind: WorkloadKind,
    req: WorkloadCreationRequest,
) -> AppResult<(StatusCode, Json<WorkloadSummary>)> {
    let sub = Submission {
        kind,
        request: req,
        duration_secs: None,
    };
    Ok((
        StatusCode::ACCEPTED,
        Json(workloads::submit(rota, &caller.0, sub).await?),
    ))
}

pub async fn submit_training(
    State(rota): State<Rota>,
    caller: Caller,
    Body(req): Body<WorkloadCreationRequest>,
) -> AppResult<(StatusCode, Json<WorkloadSummary>)> {
    submit(&rota, caller, WorkloadKind::Training, req).await
}

pub async fn submit_workspace(
    State(rota): State<Rota>,
    caller: Caller,
    Body(req): Body<WorkloadCreationRequest>,
) -> AppResult<(StatusCode, Json<WorkloadSummary>)> {
    submit(&rota, caller, WorkloadKind::Workspace, req).await
}

/// Query of `GET /api/v1/workloads`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListQuery {
    project: Option<String>,
    search: Option<String>,
}

/// Body of `GET /api/v1/workloads`.
#[derive(Debug, Serialize)]
pub struct WorkloadList {
    workloads: Vec<WorkloadSummary>,
}

pub async fn list(
    State(rota): State<Rota>,
    _caller: Caller,
    Query(q): Query<ListQuery>,
) -> AppResult<Json<WorkloadList>> {
    let filter = ListFilter {
        project: q.project,
        search: q.search,
        ..ListFilter::default()
    };
    Ok(Json(WorkloadList {
        workloads: workloads::list(&rota, &filter).await?,
    }))
}

pub async fn get_one(
    State(rota): State<Rota>,
    _caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<WorkloadSummary>> {
    Ok(Json(workloads::get(&rota, &id).await?))
}

pub async fn delete(
    State(rota): State<Rota>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<(StatusCode, Json<WorkloadSummary>)> {
    Ok((
        StatusCode::ACCEPTED,
        Json(workloads::delete(&rota, &caller.0, &id).await?),
    ))
}

/// Body of `GET /api/v1/workloads/{id}/events`.
#[derive(Debug, Serialize)]
pub struct EventList {
    events: Vec<WorkloadEvent>,
}

pub async fn events(
    State(rota): State<Rota>,
    _caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<EventList>> {
    Ok(Json(EventList {
        events: workloads::events(&rota, &id).await?,
    }))
}

/// Body of `POST /api/v1/workloads/preview`: a creation request and its type.
#[derive(Debug, Deserialize)]
pub struct PreviewRequest {
    #[serde(rename = "type", default)]
    kind: Option<String>,
    #[serde(flatten)]
    request: WorkloadCreationRequest,
}

pub async fn preview_submission(
    State(rota): State<Rota>,
    caller: Caller,
    Body(req): Body<PreviewRequest>,
) -> AppResult<Json<Preview>> {
    let kind = match req.kind.as_deref().unwrap_or("training") {
        "training" | "Training" => WorkloadKind::Training,
        "workspace" | "Workspace" => WorkloadKind::Workspace,
        other => {
            return Err(ApiError::invalid(
                "type",
                format!("{other:?} is not a workload type; use training or workspace"),
            )
            .into());
        }
    };
    let sub = Submission {
        kind,
        request: req.request,
        duration_secs: None,
    };
    Ok(Json(preview::preview(&rota, &caller.0, &sub).await?))
}
