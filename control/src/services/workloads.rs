//! Workloads: submit, delete, list, describe.

use std::collections::BTreeMap;

use rota_api::distributed::{self, Gang};
use rota_api::validate::{self, GpuAsk};
use rota_api::wire::{
    AllocatedResources, DistributedAsk, RequestedResources, WorkloadCreationRequest, WorkloadSpec,
    WorkloadSummary,
};
use rota_api::{ApiError, ErrorCode};
use rota_scheduler::{GpuSlots, WorkloadKind};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, SqlErr,
};
use serde::Serialize;

use super::assets::environment_spec;
use super::intake::NewWorkload;
use super::org::find_project;
use super::{Rota, require_project_writer};
use crate::auth::Principal;
use crate::control_loop::{Change, insert_event};
use crate::error::{ControlError, ControlResult};
use crate::store::entity::{
    compute_resource, department, environment, event, node, node_pool, pod, project, workload,
    workload_template,
};
use crate::time::{now_ms, rfc3339};
use rota_api::priority::Chosen;

/// CPU a pod gets when it asks for none: the wizard's default of 0.1 core.
pub const DEFAULT_CPU_CORES: f64 = 0.1;
/// Memory a pod gets when it asks for none: the wizard's default of 100 MB.
pub const DEFAULT_MEMORY: &str = "100M";

/// A submission as every surface makes it.
#[derive(Debug, Clone, PartialEq)]
pub struct Submission {
    /// Training, workspace or inference.
    pub kind: WorkloadKind,
    /// The request body.
    pub request: WorkloadCreationRequest,
    /// On the simulated cluster, how long it runs (none: until deleted).
    pub duration_secs: Option<i64>,
    /// A distributed training's framework and workers (none: one pod).
    pub distributed: Option<DistributedAsk>,
}

/// The type lists show: Run:ai's `Training`, `Distributed`, `Workspace` or `Inference`.
fn type_name(kind: WorkloadKind, distributed: bool) -> &'static str {
    match kind {
        WorkloadKind::Training if distributed => "Distributed",
        WorkloadKind::Training => "Training",
        WorkloadKind::Workspace => "Workspace",
        WorkloadKind::Inference => "Inference",
    }
}

fn is_unique_violation(e: &DbErr) -> bool {
    matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

/// A submission that passed every check, ready to store or to preview.
#[derive(Debug, Clone)]
pub(crate) struct Checked {
    /// The name to store (with its random suffix, when the given one was a prefix).
    pub name: String,
    /// What it runs: the request's spec completed from its template's environment.
    pub spec: WorkloadSpec,
    pub project: project::Model,
    pub gpu: GpuAsk,
    pub cpu: u64,
    pub memory: u64,
    /// Its stop grace period, if it sets one.
    pub grace: Option<u32>,
    /// A distributed training's gang.
    pub gang: Option<Gang>,
    /// Its priority and whether it may be preempted.
    pub priority: Chosen,
}

impl Checked {
    /// Pods it asks for, and the fewest it runs with.
    pub fn pods(&self) -> (u32, u32) {
        self.gang.map_or((1, 1), |g| (g.pods, g.min_pods))
    }
}

/// Applies `rota_api`'s rules to a submission and checks the caller may use the project.
pub(crate) async fn check(
    rota: &Rota,
    who: &Principal,
    sub: &Submission,
) -> ControlResult<Checked> {
    let req = &sub.request;
    let name = if req.use_given_name_as_prefix {
        // Room for "-" and five random characters within the 63 a name may have.
        if req.name.len() > validate::MAX_NAME_LEN - 6 {
            return Err(ApiError::invalid(
                "name",
                format!(
                    "a name prefix may have at most {} characters",
                    validate::MAX_NAME_LEN - 6
                ),
            )
            .into());
        }
        let suffix: String = uuid::Uuid::new_v4()
            .simple()
            .to_string()
            .chars()
            .take(5)
            .collect();
        format!("{}-{suffix}", req.name)
    } else {
        req.name.clone()
    };
    validate::name("name", &name)?;
    if req.cluster_id != rota.cluster_uuid && req.cluster_id != rota.cluster_name {
        return Err(ApiError::invalid(
            "clusterId",
            format!(
                "cluster {:?} does not exist; this one is {}",
                req.cluster_id, rota.cluster_uuid
            ),
        )
        .into());
    }
    let project = match find_project(rota, &req.project_id).await {
        Ok(p) => p,
        Err(ControlError::Rejected(e)) if e.code == ErrorCode::NotFound => {
            return Err(ApiError::invalid(
                "projectId",
                format!("project {} does not exist", req.project_id),
            )
            .into());
        }
        Err(e) => return Err(e),
    };
    let template = match &req.template_id {
        Some(id) => Some(template_assets(rota, id).await?),
        None => None,
    };
    let spec = match &template {
        Some((env, _)) => {
            rota_api::inherit::from_environment(&environment_spec(env)?, req.spec.clone())
        }
        None => req.spec.clone(),
    };
    validate::image("spec.image", &spec.image)?;
    let from_template;
    let c = match &template {
        Some((_, compute))
            if req.spec.compute.gpu_devices_request.is_none()
                && req.spec.compute.gpu_portion_request.is_none()
                && req.spec.compute.gpu_memory_request.is_none() =>
        {
            from_template = compute_request(compute);
            &from_template
        }
        _ => &req.spec.compute,
    };
    let gpu = validate::gpu_ask(
        "spec.compute",
        c.gpu_devices_request,
        c.gpu_portion_request,
        c.gpu_memory_request.as_deref(),
    )?;
    if !matches!(gpu, GpuAsk::Devices(_))
        && let Some(why) = rota.executor.fractions()
    {
        return Err(ApiError::invalid("spec.compute", why).into());
    }
    let cpu = validate::cpu_millicores(
        "spec.compute.cpuCoreRequest",
        c.cpu_core_request.unwrap_or(DEFAULT_CPU_CORES),
    )?;
    let memory = validate::memory_mib(
        "spec.compute.cpuMemoryRequest",
        c.cpu_memory_request.as_deref().unwrap_or(DEFAULT_MEMORY),
    )?;
    if let Some(d) = sub.duration_secs.filter(|d| *d <= 0) {
        return Err(
            ApiError::invalid("duration", format!("must be above 0 seconds (got {d})")).into(),
        );
    }
    validate::environment_variables("spec.environmentVariables", &spec.environment_variables)?;
    let grace = req
        .spec
        .grace_period_seconds
        .map(|g| validate::grace_period_seconds("spec.gracePeriodSeconds", g))
        .transpose()?;
    validate::node_pools("spec.nodePools", &spec.node_pools)?;
    check_pools_exist(rota, &spec.node_pools).await?;
    let priority = rota_api::priority::choose(
        sub.kind,
        ("spec.priorityClass", req.spec.priority_class.as_deref()),
        ("spec.preemptibility", req.spec.preemptibility.as_deref()),
    )?;
    let gang = sub
        .distributed
        .as_ref()
        .map(|ask| distributed::check(ask, &spec))
        .transpose()?;
    require_project_writer(rota, who, project.id, &project.name).await?;
    Ok(Checked {
        name,
        spec,
        project,
        gpu,
        cpu,
        memory,
        grace,
        gang,
        priority,
    })
}

/// Every pool a submission names is one of the cluster's.
async fn check_pools_exist(rota: &Rota, pools: &[String]) -> ControlResult<()> {
    if pools.is_empty() {
        return Ok(());
    }
    let known: Vec<String> = node_pool::Entity::find()
        .filter(node_pool::Column::ClusterId.eq(rota.cluster_id))
        .order_by_asc(node_pool::Column::Name)
        .all(&rota.store.db)
        .await?
        .into_iter()
        .map(|p| p.name)
        .collect();
    match pools.iter().find(|p| !known.contains(p)) {
        Some(missing) => Err(ApiError::invalid(
            "spec.nodePools",
            format!(
                "node pool {missing} does not exist; the cluster has {}",
                known.join(", ")
            ),
        )
        .into()),
        None => Ok(()),
    }
}

/// The environment and compute resource of a template, by its id.
async fn template_assets(
    rota: &Rota,
    id: &str,
) -> ControlResult<(environment::Model, compute_resource::Model)> {
    let db = &rota.store.db;
    let missing = || ApiError::invalid("templateId", format!("template {id} does not exist"));
    let t = workload_template::Entity::find()
        .filter(workload_template::Column::Uuid.eq(id))
        .one(db)
        .await?
        .ok_or_else(missing)?;
    let env = environment::Entity::find_by_id(t.environment_id)
        .one(db)
        .await?
        .ok_or_else(missing)?;
    let compute = compute_resource::Entity::find_by_id(t.compute_id)
        .one(db)
        .await?
        .ok_or_else(missing)?;
    Ok((env, compute))
}

/// A compute resource as the compute part of a request.
fn compute_request(c: &compute_resource::Model) -> rota_api::wire::Compute {
    rota_api::wire::Compute {
        gpu_devices_request: Some(f64::from(c.gpu_devices)),
        gpu_request_type: None,
        gpu_portion_request: c.gpu_portion_milli.map(|p| f64::from(p) / 1000.0),
        gpu_memory_request: c.gpu_memory_mib.map(|m| format!("{m}Mi")),
        cpu_core_request: Some(c.cpu_millicores as f64 / 1000.0),
        cpu_memory_request: Some(format!("{}Mi", c.memory_mib)),
    }
}

/// The scheduler's form of a checked GPU request.
pub(crate) fn scheduler_gpu(gpu: GpuAsk) -> rota_scheduler::GpuRequest {
    match gpu {
        GpuAsk::Devices(n) => rota_scheduler::GpuRequest::Devices(n),
        GpuAsk::Portion(p) => rota_scheduler::GpuRequest::Portion(p),
        GpuAsk::MemoryMib(m) => rota_scheduler::GpuRequest::MemoryMib(m),
    }
}

fn gpu_columns(gpu: GpuAsk) -> (&'static str, i64) {
    match gpu {
        GpuAsk::Devices(n) => ("devices", i64::from(n)),
        GpuAsk::Portion(p) => ("portion", i64::from(p)),
        GpuAsk::MemoryMib(m) => ("memory", m as i64),
    }
}

/// Checks a submission, writes it in one transaction and wakes the scheduler.
pub async fn submit(
    rota: &Rota,
    who: &Principal,
    sub: Submission,
) -> ControlResult<WorkloadSummary> {
    let checked = check(rota, who, &sub).await?;
    let (pods, min_pods) = checked.pods();
    let Checked {
        name,
        spec,
        project,
        gpu,
        cpu,
        memory,
        grace,
        gang,
        priority,
    } = checked;
    let (gpu_kind, gpu_amount) = gpu_columns(gpu);
    let env_json = serde_json::to_string(&spec.environment_variables)
        .map_err(|e| ControlError::Corrupt(e.to_string()))?;
    let pools_json = serde_json::to_string(&spec.node_pools)
        .map_err(|e| ControlError::Corrupt(e.to_string()))?;
    let now = now_ms();
    let uuid = uuid::Uuid::new_v4().to_string();
    let row = workload::ActiveModel {
        id: NotSet,
        uuid: Set(uuid.clone()),
        name: Set(name.clone()),
        cluster_id: Set(rota.cluster_id),
        project_id: Set(project.id),
        kind: Set(sub.kind.as_str().to_owned()),
        image: Set(spec.image.trim().to_owned()),
        command: Set(spec.command.clone()),
        args: Set(spec.args.clone()),
        env_json: Set(env_json),
        pods: Set(pods as i32),
        min_pods: Set(min_pods as i32),
        gpu_kind: Set(gpu_kind.to_owned()),
        gpu_amount: Set(gpu_amount),
        cpu_millicores: Set(cpu as i64),
        memory_mib: Set(memory as i64),
        priority: Set(priority.value),
        preemptible: Set(priority.preemptible),
        duration_secs: Set(sub.duration_secs),
        phase: Set("Pending".into()),
        phase_reason: Set(None),
        nominated: Set(false),
        created_at: Set(now),
        started_at: Set(None),
        phase_since: Set(Some(now)),
        ended_at: Set(None),
        grace_period_secs: Set(grace.map(|g| g as i32)),
        attempts: Set(0),
        node_pools: Set(pools_json),
        framework: Set(gang.map(|g| g.framework.as_str().to_owned())),
    };
    // One transaction for the workload and its `Submitted` event, shared with the submissions
    // queued beside it; the partial unique index on live names refuses a duplicate.
    rota.intake
        .write(NewWorkload {
            row,
            message: format!("submitted by {}", who.name),
            at: now,
        })
        .await
        .map_err(|e| match e {
            ControlError::Store(e) if is_unique_violation(&e) => ApiError::conflict(format!(
                "a workload called {} already exists in project {}",
                name, project.name
            ))
            .into(),
            e => e,
        })?;
    // What was just written, without reading it back: the submission path stays short.
    let per_pod = match gpu {
        GpuAsk::Devices(n) => f64::from(n),
        GpuAsk::Portion(p) => f64::from(p) / 1000.0,
        GpuAsk::MemoryMib(_) => return get(rota, &uuid).await,
    };
    let requested_gpus = per_pod * f64::from(pods);
    Ok(WorkloadSummary {
        id: uuid,
        name,
        kind: type_name(sub.kind, gang.is_some()).to_owned(),
        distributed_framework: gang.map(|g| g.framework.as_str().to_owned()),
        node_pools: spec.node_pools,
        phase: "Pending".into(),
        phase_reason: None,
        project_id: project.id.to_string(),
        project_name: project.name,
        department_id: project.department_id.map(|d| d.to_string()),
        department_name: match project.department_id {
            Some(d) => rota.directory().await?.departments.get(&d).cloned(),
            None => None,
        },
        cluster_id: rota.cluster_uuid.clone(),
        priority: priority.value,
        priority_class: Some(rota_api::priority::class_label(priority.value)),
        preemptible: priority.preemptible,
        running_pods: 0,
        requested_pods: pods,
        allocated_gpus: 0.0,
        requested_gpus,
        requested_resources: RequestedResources {
            gpu: requested_gpus,
            cpu: cpu as f64 / 1000.0 * f64::from(pods),
            cpu_memory: format!("{}Mi", memory * u64::from(pods)),
        },
        allocated_resources: AllocatedResources { gpu: 0.0 },
        nodes: Vec::new(),
        created_at: rfc3339(now),
        phase_since: rfc3339(now),
    })
}

/// Ends a live workload (by its id, or `project/name`): its pods stop and its GPUs free up.
pub async fn delete(rota: &Rota, who: &Principal, id: &str) -> ControlResult<WorkloadSummary> {
    let w = find_live(rota, id).await?;
    let project = project::Entity::find_by_id(w.project_id)
        .one(&rota.store.db)
        .await?;
    let project_name = project.map(|p| p.name).unwrap_or_default();
    require_project_writer(rota, who, w.project_id, &project_name).await?;
    let summary = summarize(&rota.store.db, rota, vec![w.clone()])
        .await?
        .into_iter()
        .next();
    let now = now_ms();
    let txn = rota.store.write().await?;
    // Pods first, then the workload: the order the scheduling loop writes them in, so that on
    // PostgreSQL a deletion and a committing plan never wait for each other in a circle.
    // Its pods stop through the executor, holding their GPUs until they are gone.
    pod::Entity::update_many()
        .col_expr(pod::Column::State, Expr::value(pod::state::TERMINATING))
        .col_expr(pod::Column::StopRequestedAt, Expr::value(now))
        .filter(pod::Column::WorkloadId.eq(w.id))
        .filter(pod::Column::State.ne(pod::state::TERMINATING))
        .exec(&txn)
        .await?;
    let ended = workload::Entity::update_many()
        .col_expr(workload::Column::Phase, Expr::value("Deleted"))
        .col_expr(workload::Column::EndedAt, Expr::value(now))
        .filter(workload::Column::Id.eq(w.id))
        .filter(workload::Column::EndedAt.is_null())
        .exec(&txn)
        .await?;
    if ended.rows_affected == 0 {
        // Dropping the transaction undoes the pods' change.
        return Err(ApiError::not_found(format!("workload {id} was already deleted")).into());
    }
    insert_event(
        &txn,
        Some(w.id),
        "Deleted",
        format!("deleted by {}", who.name),
        now,
    )
    .await?;
    txn.commit().await?;
    rota.logs.remove(&w.uuid);
    rota.wake.changed(Change::Ended(w.id));
    summary
        .map(|s| WorkloadSummary {
            phase: "Deleted".into(),
            running_pods: 0,
            allocated_gpus: 0.0,
            allocated_resources: AllocatedResources { gpu: 0.0 },
            nodes: Vec::new(),
            ..s
        })
        .ok_or_else(|| ControlError::Corrupt("deleted workload has no summary".into()))
}

async fn find_live(rota: &Rota, id: &str) -> ControlResult<workload::Model> {
    find(rota, id, false).await
}

/// A live workload, or else the newest that ended by itself (Completed or Failed): its events
/// and logs are kept until it is deleted.
pub(crate) async fn find_kept(rota: &Rota, id: &str) -> ControlResult<workload::Model> {
    find(rota, id, true).await
}

async fn find(rota: &Rota, id: &str, ended_too: bool) -> ControlResult<workload::Model> {
    let q = workload::Entity::find().filter(workload::Column::ClusterId.eq(rota.cluster_id));
    let q = if ended_too {
        // Live first (no end), then the newest ended.
        q.filter(workload::Column::Phase.ne("Deleted"))
            .order_by_desc(workload::Column::EndedAt.is_null())
            .order_by_desc(workload::Column::Id)
    } else {
        q.filter(workload::Column::EndedAt.is_null())
    };
    let found = match id.split_once('/') {
        Some((project, name)) => {
            let p = find_project(rota, project).await?;
            q.filter(workload::Column::ProjectId.eq(p.id))
                .filter(workload::Column::Name.eq(name))
                .one(&rota.store.db)
                .await?
        }
        None => {
            q.filter(workload::Column::Uuid.eq(id))
                .one(&rota.store.db)
                .await?
        }
    };
    found.ok_or_else(|| ApiError::not_found(format!("workload {id} does not exist")).into())
}

/// Refuses a workload name that is not a DNS-1123 label or that a live workload in the project
/// already has — what the wizard checks as the name is typed. Submitting checks again inside its
/// transaction.
pub async fn name_available(rota: &Rota, project: &str, name: &str) -> ControlResult<()> {
    validate::name("name", name)?;
    let p = find_project(rota, project).await?;
    let taken = workload::Entity::find()
        .filter(workload::Column::ProjectId.eq(p.id))
        .filter(workload::Column::Name.eq(name))
        .filter(workload::Column::EndedAt.is_null())
        .one(&rota.store.db)
        .await?
        .is_some();
    if taken {
        return Err(ApiError::conflict(format!(
            "a workload called {name} already exists in project {}",
            p.name
        ))
        .into());
    }
    Ok(())
}

/// Filters, order and page for [`list_page`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListFilter {
    /// Only this project (by name or id).
    pub project: Option<String>,
    /// Only this phase.
    pub phase: Option<String>,
    /// Not this phase.
    pub not_phase: Option<String>,
    /// Only this type (`Training`, `Workspace`, …).
    pub kind: Option<String>,
    /// Only names containing this.
    pub search: Option<String>,
    /// Order (default: submission).
    pub sort_by: SortBy,
    /// Newest / largest first.
    pub descending: bool,
    /// Rows to skip.
    pub offset: u64,
    /// Most rows to return (none: all).
    pub limit: Option<u64>,
}

/// What a list can be ordered by.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SortBy {
    /// Submission order.
    #[default]
    CreatedAt,
    /// Name.
    Name,
    /// Phase.
    Phase,
    /// Type.
    Type,
    /// Project.
    Project,
    /// Priority.
    Priority,
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Page {
    /// The rows.
    pub workloads: Vec<WorkloadSummary>,
    /// The offset of the next page, when there is one.
    pub next: Option<u64>,
}

/// Live workloads in submission order.
pub async fn list(rota: &Rota, filter: &ListFilter) -> ControlResult<Vec<WorkloadSummary>> {
    Ok(list_page(
        rota,
        &ListFilter {
            offset: 0,
            limit: None,
            ..filter.clone()
        },
    )
    .await?
    .workloads)
}

/// A page of live workloads, filtered and ordered in the store.
pub async fn list_page(rota: &Rota, filter: &ListFilter) -> ControlResult<Page> {
    let mut q = workload::Entity::find()
        .filter(workload::Column::ClusterId.eq(rota.cluster_id))
        .filter(workload::Column::EndedAt.is_null());
    if let Some(p) = &filter.project {
        let p = find_project(rota, p).await?;
        q = q.filter(workload::Column::ProjectId.eq(p.id));
    }
    if let Some(phase) = &filter.phase {
        q = q.filter(workload::Column::Phase.eq(phase.as_str()));
    }
    if let Some(phase) = &filter.not_phase {
        q = q.filter(workload::Column::Phase.ne(phase.as_str()));
    }
    // The type lists show: a distributed training is a training with a framework.
    match filter.kind.as_deref().map(str::to_lowercase).as_deref() {
        Some("distributed") => {
            q = q
                .filter(workload::Column::Kind.eq("training"))
                .filter(workload::Column::Framework.is_not_null());
        }
        Some("training") => {
            q = q
                .filter(workload::Column::Kind.eq("training"))
                .filter(workload::Column::Framework.is_null());
        }
        Some(kind) => q = q.filter(workload::Column::Kind.eq(kind)),
        None => {}
    }
    if let Some(s) = filter.search.as_deref().filter(|s| !s.is_empty()) {
        q = q.filter(workload::Column::Name.contains(s));
    }
    let order = if filter.descending {
        sea_orm::Order::Desc
    } else {
        sea_orm::Order::Asc
    };
    let column = match filter.sort_by {
        SortBy::CreatedAt => workload::Column::Id,
        SortBy::Name => workload::Column::Name,
        SortBy::Phase => workload::Column::Phase,
        SortBy::Type => workload::Column::Kind,
        SortBy::Project => workload::Column::ProjectId,
        SortBy::Priority => workload::Column::Priority,
    };
    q = q
        .order_by(column, order.clone())
        .order_by(workload::Column::Id, order);
    if filter.offset > 0 {
        q = q.offset(filter.offset);
    }
    if let Some(limit) = filter.limit {
        q = q.limit(limit + 1);
    }
    let mut rows = q.all(&rota.store.db).await?;
    let next = match filter.limit {
        Some(limit) if rows.len() as u64 > limit => {
            rows.truncate(limit as usize);
            Some(filter.offset + limit)
        }
        _ => None,
    };
    Ok(Page {
        workloads: summarize(&rota.store.db, rota, rows).await?,
        next,
    })
}

/// One live workload.
pub async fn get(rota: &Rota, id: &str) -> ControlResult<WorkloadSummary> {
    let w = find_kept(rota, id).await?;
    summarize(&rota.store.db, rota, vec![w])
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::not_found(format!("workload {id} does not exist")).into())
}

/// What a workload runs: its image, command, arguments, variables and stop grace period.
pub async fn runs(rota: &Rota, id: &str) -> ControlResult<WorkloadSpec> {
    let w = find_kept(rota, id).await?;
    Ok(WorkloadSpec {
        environment_variables: serde_json::from_str(&w.env_json)
            .map_err(|e| ControlError::Corrupt(format!("workload {}'s variables: {e}", w.name)))?,
        image: w.image,
        command: w.command,
        args: w.args,
        grace_period_seconds: w.grace_period_secs.map(i64::from),
        node_pools: crate::control_loop::snapshot::pools_of(&w.node_pools)?,
        priority_class: Some(rota_api::priority::class_label(w.priority)),
        preemptibility: Some(rota_api::priority::preemptibility_label(w.preemptible).to_owned()),
        ..WorkloadSpec::default()
    })
}

/// Each node pool's reference device memory, and the pool a waiting workload is counted in.
struct Reference {
    by_pool: BTreeMap<i32, u64>,
    first: Option<i32>,
}

impl Reference {
    /// GPUs a pod's memory slice of `mib` counts for in `pool` (or the first pool).
    fn gpus_of_slice(&self, mib: i64, pool: Option<i32>) -> f64 {
        let device = pool
            .or(self.first)
            .and_then(|p| self.by_pool.get(&p))
            .copied()
            .unwrap_or_default();
        let slice = rota_scheduler::GpuRequest::MemoryMib(u64::try_from(mib).unwrap_or(0));
        rota_scheduler::gpus::pod_gpus(slice, device).0 as f64 / 1000.0
    }
}

async fn reference_by_pool(
    db: &impl ConnectionTrait,
    rota: &Rota,
    nodes: &BTreeMap<i32, node::Model>,
) -> ControlResult<Reference> {
    let names = super::cluster::pool_names(db, rota.cluster_id).await?;
    let per_name = rota_scheduler::gpus::reference_memory(nodes.values().filter_map(|n| {
        let name = names.get(&n.node_pool_id)?;
        Some((
            name.as_str(),
            u32::try_from(n.gpus).unwrap_or(0),
            u64::try_from(n.gpu_memory_mib).unwrap_or(0),
        ))
    }));
    let by_pool = names
        .iter()
        .map(|(id, name)| {
            (
                *id,
                per_name.get(name.as_str()).copied().unwrap_or_default(),
            )
        })
        .collect();
    let first = per_name
        .keys()
        .min_by(|a, b| rota_scheduler::gpus::pool_order(a, b))
        .and_then(|first| names.iter().find(|(_, n)| n == first).map(|(id, _)| *id));
    Ok(Reference { by_pool, first })
}

/// One event in a workload's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorkloadEvent {
    /// `Submitted`, `Scheduled`, `Pending`, `Preempted`, `Moved`, `Deleted`, …
    pub kind: String,
    /// What happened, in words.
    pub message: String,
    /// RFC 3339.
    pub created_at: String,
}

/// A workload's events, oldest first.
pub async fn events(rota: &Rota, id: &str) -> ControlResult<Vec<WorkloadEvent>> {
    let w = find_kept(rota, id).await?;
    let rows = event::Entity::find()
        .filter(event::Column::WorkloadId.eq(w.id))
        .order_by_asc(event::Column::Id)
        .all(&rota.store.db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|e| WorkloadEvent {
            kind: e.kind,
            message: e.message,
            created_at: rfc3339(e.created_at),
        })
        .collect())
}

async fn summarize(
    db: &impl ConnectionTrait,
    rota: &Rota,
    rows: Vec<workload::Model>,
) -> ControlResult<Vec<WorkloadSummary>> {
    let projects: BTreeMap<i32, project::Model> = project::Entity::find()
        .filter(project::Column::ClusterId.eq(rota.cluster_id))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let departments: BTreeMap<i32, String> = department::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|d| (d.id, d.name))
        .collect();
    let nodes: BTreeMap<i32, node::Model> = node::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|n| (n.id, n))
        .collect();
    // A memory slice counts for its share of the reference device of the pool it runs in — or,
    // while it waits, of the pool tried first (rota_scheduler::gpus, the core's own rule).
    let reference = reference_by_pool(db, rota, &nodes).await?;
    let mut pods: BTreeMap<i32, Vec<pod::Model>> = BTreeMap::new();
    let ids: Vec<i32> = rows.iter().map(|w| w.id).collect();
    for chunk in ids.chunks(500) {
        // A stopping pod no longer counts for its workload (the nodes page shows what it holds).
        for p in pod::Entity::find()
            .filter(pod::Column::WorkloadId.is_in(chunk.iter().copied()))
            .filter(pod::Column::State.ne(pod::state::TERMINATING))
            .order_by_asc(pod::Column::PodIndex)
            .all(db)
            .await?
        {
            pods.entry(p.workload_id).or_default().push(p);
        }
    }
    rows.into_iter()
        .map(|w| {
            let mine = pods.remove(&w.id).unwrap_or_default();
            // Summed in thousandths: exact, and never the -0.0 an empty float sum gives.
            let allocated_milli: i64 = mine
                .iter()
                .map(|p| match serde_json::from_str::<GpuSlots>(&p.gpu_slots) {
                    Ok(GpuSlots::Devices(d)) => d.len() as i64 * 1000,
                    Ok(GpuSlots::Shared { portion, .. }) => i64::from(portion),
                    Err(_) => 0,
                })
                .sum();
            let allocated = allocated_milli as f64 / 1000.0;
            let pool = mine
                .first()
                .and_then(|p| nodes.get(&p.node_id))
                .map(|n| n.node_pool_id);
            let per_pod = match w.gpu_kind.as_str() {
                "devices" => w.gpu_amount as f64,
                "portion" => w.gpu_amount as f64 / 1000.0,
                _ => reference.gpus_of_slice(w.gpu_amount, pool),
            };
            let mut node_names: Vec<String> = mine
                .iter()
                .filter_map(|p| nodes.get(&p.node_id).map(|n| n.name.clone()))
                .collect();
            node_names.dedup();
            let kind = crate::control_loop::snapshot::kind_of(&w.kind)?;
            let node_pools = crate::control_loop::snapshot::pools_of(&w.node_pools)?;
            let project = projects.get(&w.project_id);
            let department_id = project.and_then(|p| p.department_id);
            Ok(WorkloadSummary {
                id: w.uuid,
                name: w.name,
                kind: type_name(kind, w.framework.is_some()).to_owned(),
                distributed_framework: w.framework,
                node_pools,
                phase: w.phase,
                // The last cycle's reason; the stored one only until a cycle has run.
                phase_reason: rota.reasons.get(w.id).or(w.phase_reason),
                project_id: w.project_id.to_string(),
                project_name: project.map(|p| p.name.clone()).unwrap_or_default(),
                department_id: department_id.map(|d| d.to_string()),
                department_name: department_id.and_then(|d| departments.get(&d).cloned()),
                cluster_id: rota.cluster_uuid.clone(),
                priority: w.priority,
                priority_class: Some(rota_api::priority::class_label(w.priority)),
                preemptible: w.preemptible,
                running_pods: mine
                    .iter()
                    .filter(|p| p.state == pod::state::RUNNING)
                    .count() as u32,
                requested_pods: u32::try_from(w.pods).unwrap_or(1),
                allocated_gpus: allocated,
                requested_gpus: per_pod * f64::from(w.pods),
                requested_resources: RequestedResources {
                    gpu: per_pod * f64::from(w.pods),
                    cpu: w.cpu_millicores as f64 / 1000.0 * f64::from(w.pods),
                    cpu_memory: format!("{}Mi", w.memory_mib * i64::from(w.pods)),
                },
                allocated_resources: AllocatedResources { gpu: allocated },
                nodes: node_names,
                created_at: rfc3339(w.created_at),
                phase_since: rfc3339(w.phase_since.unwrap_or(w.created_at)),
            })
        })
        .collect()
}
