//! `/api/v1/workloads`: submit, list, get, delete, events.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use rota_api::ApiError;
use rota_api::wire::{
    DistributedAsk, DistributedCreationRequest, PodList, Preview, WorkloadCreationRequest,
    WorkloadSummary,
};
use rota_control::services::workloads::{self, Page, Submission, WorkloadEvent};
use rota_control::services::{Rota, preview};
use rota_scheduler::WorkloadKind;
use serde::{Deserialize, Serialize};

use super::list_query::WorkloadsQuery;
use super::{AppResult, Body, Caller};

async fn submit(
    rota: &Rota,
    caller: Caller,
    kind: WorkloadKind,
    req: WorkloadCreationRequest,
    distributed: Option<DistributedAsk>,
) -> AppResult<(StatusCode, Json<WorkloadSummary>)> {
    let sub = Submission {
        kind,
        request: req,
        duration_secs: None,
        distributed,
    };
    Ok((
        StatusCode::ACCEPTED,
        Json(workloads::submit(rota, &caller.0, sub).await?),
    ))
}

#[utoipa::path(post, path = "/api/v1/workloads/trainings", tag = "workloads", security(("bearer" = [])), request_body = rota_api::wire::WorkloadCreationRequest,
    responses((status = 202, body = rota_api::wire::WorkloadSummary), (status = 400, description = "Malformed JSON", body = rota_api::ApiError), (status = 401, description = "Not signed in", body = rota_api::ApiError), (status = 403, description = "Not allowed for this role", body = rota_api::ApiError), (status = 409, description = "Clashes with what exists", body = rota_api::ApiError), (status = 422, description = "A field is wrong; details name it", body = rota_api::ApiError)))]
pub async fn submit_training(
    State(rota): State<Rota>,
    caller: Caller,
    Body(req): Body<WorkloadCreationRequest>,
) -> AppResult<(StatusCode, Json<WorkloadSummary>)> {
    submit(&rota, caller, WorkloadKind::Training, req, None).await
}

#[utoipa::path(post, path = "/api/v1/workloads/workspaces", tag = "workloads", security(("bearer" = [])), request_body = rota_api::wire::WorkloadCreationRequest,
    responses((status = 202, body = rota_api::wire::WorkloadSummary), (status = 400, description = "Malformed JSON", body = rota_api::ApiError), (status = 401, description = "Not signed in", body = rota_api::ApiError), (status = 403, description = "Not allowed for this role", body = rota_api::ApiError), (status = 409, description = "Clashes with what exists", body = rota_api::ApiError), (status = 422, description = "A field is wrong; details name it", body = rota_api::ApiError)))]
pub async fn submit_workspace(
    State(rota): State<Rota>,
    caller: Caller,
    Body(req): Body<WorkloadCreationRequest>,
) -> AppResult<(StatusCode, Json<WorkloadSummary>)> {
    submit(&rota, caller, WorkloadKind::Workspace, req, None).await
}

#[utoipa::path(post, path = "/api/v1/workloads/distributed", tag = "workloads", security(("bearer" = [])), request_body = rota_api::wire::DistributedCreationRequest,
    responses((status = 202, body = rota_api::wire::WorkloadSummary), (status = 400, description = "Malformed JSON", body = rota_api::ApiError), (status = 401, description = "Not signed in", body = rota_api::ApiError), (status = 403, description = "Not allowed for this role", body = rota_api::ApiError), (status = 409, description = "Clashes with what exists", body = rota_api::ApiError), (status = 422, description = "A field is wrong; details name it", body = rota_api::ApiError)))]
pub async fn submit_distributed(
    State(rota): State<Rota>,
    caller: Caller,
    Body(req): Body<DistributedCreationRequest>,
) -> AppResult<(StatusCode, Json<WorkloadSummary>)> {
    let (req, ask) = req.split();
    submit(&rota, caller, WorkloadKind::Training, req, Some(ask)).await
}

#[utoipa::path(get, path = "/api/v1/workloads", tag = "workloads", security(("bearer" = [])), params(WorkloadsQuery),
    responses((status = 200, body = rota_control::services::workloads::Page), (status = 401, description = "Not signed in", body = rota_api::ApiError), (status = 404, description = "filterBy names a project that does not exist", body = rota_api::ApiError), (status = 422, description = "A field is wrong; details name it", body = rota_api::ApiError)))]
pub async fn list(
    State(rota): State<Rota>,
    _caller: Caller,
    query: WorkloadsQuery,
) -> AppResult<Json<Page>> {
    let filter = query.filter()?;
    Ok(Json(workloads::list_page(&rota, &filter).await?))
}

#[utoipa::path(get, path = "/api/v1/workloads/trainings/{id}", tag = "workloads", security(("bearer" = [])), params(("id" = String, Path, description = "The id (a UUID, or project/name for workloads)")), responses((status = 200, body = rota_api::wire::WorkloadSummary), (status = 401, description = "Not signed in", body = rota_api::ApiError), (status = 404, description = "No such thing", body = rota_api::ApiError)))]
pub async fn get_one(
    State(rota): State<Rota>,
    _caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<WorkloadSummary>> {
    Ok(Json(workloads::get(&rota, &id).await?))
}

#[utoipa::path(delete, path = "/api/v1/workloads/trainings/{id}", tag = "workloads", security(("bearer" = [])), params(("id" = String, Path, description = "The id (a UUID, or project/name for workloads)")), responses((status = 202, body = rota_api::wire::WorkloadSummary), (status = 401, description = "Not signed in", body = rota_api::ApiError), (status = 403, description = "Not allowed for this role", body = rota_api::ApiError), (status = 404, description = "No such thing", body = rota_api::ApiError)))]
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
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EventList {
    events: Vec<WorkloadEvent>,
}

#[utoipa::path(get, path = "/api/v1/workloads/{id}/events", tag = "workloads", security(("bearer" = [])), params(("id" = String, Path, description = "The id (a UUID, or project/name for workloads)")), responses((status = 200, body = EventList), (status = 401, description = "Not signed in", body = rota_api::ApiError), (status = 404, description = "No such thing", body = rota_api::ApiError)))]
pub async fn events(
    State(rota): State<Rota>,
    _caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<EventList>> {
    Ok(Json(EventList {
        events: workloads::events(&rota, &id).await?,
    }))
}

#[utoipa::path(get, path = "/api/v1/workloads/{id}/pods", tag = "workloads", security(("bearer" = [])), params(("id" = String, Path, description = "The id (a UUID, or project/name for workloads)")), responses((status = 200, body = rota_api::wire::PodList), (status = 401, description = "Not signed in", body = rota_api::ApiError), (status = 404, description = "No such thing", body = rota_api::ApiError)))]
pub async fn pods(
    State(rota): State<Rota>,
    _caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<PodList>> {
    Ok(Json(PodList {
        pods: rota_control::services::pods::of_workload(&rota, &id).await?,
    }))
}

/// Body of `POST /api/v1/workloads/preview`: a creation request and its type (`training`,
/// `distributed` with the distributed fields, or `workspace`).
#[derive(Debug, Deserialize)]
pub struct PreviewRequest {
    #[serde(rename = "type", default)]
    kind: Option<String>,
    #[serde(flatten)]
    request: DistributedCreationRequest,
}

#[utoipa::path(post, path = "/api/v1/workloads/preview", tag = "workloads", security(("bearer" = [])), request_body = rota_api::wire::WorkloadCreationRequest,
    responses((status = 200, body = rota_api::wire::Preview), (status = 401, description = "Not signed in", body = rota_api::ApiError), (status = 403, description = "Not allowed for this role", body = rota_api::ApiError), (status = 422, description = "A field is wrong; details name it", body = rota_api::ApiError)))]
pub async fn preview_submission(
    State(rota): State<Rota>,
    caller: Caller,
    Body(req): Body<PreviewRequest>,
) -> AppResult<Json<Preview>> {
    let (request, ask) = req.request.split();
    let (kind, distributed) = match req.kind.as_deref().unwrap_or("training") {
        "training" | "Training" => (WorkloadKind::Training, None),
        "distributed" | "Distributed" => (WorkloadKind::Training, Some(ask)),
        "workspace" | "Workspace" => (WorkloadKind::Workspace, None),
        other => {
            return Err(ApiError::invalid(
                "type",
                format!("{other:?} is not a workload type; use training, distributed or workspace"),
            )
            .into());
        }
    };
    let sub = Submission {
        kind,
        request,
        duration_secs: None,
        distributed,
    };
    Ok(Json(preview::preview(&rota, &caller.0, &sub).await?))
}
