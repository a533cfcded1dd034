//! `/api/v1/workloads`: submit, list, get, delete, events.

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use rota_api::ApiError;
use rota_api::validate::{self, FilterOp};
use rota_api::wire::{
    DistributedAsk, DistributedCreationRequest, PodList, Preview, WorkloadCreationRequest,
    WorkloadSummary,
};
use rota_control::services::workloads::{
    self, ListFilter, Page, SortBy, Submission, WorkloadEvent,
};
use rota_control::services::{Rota, preview};
use rota_scheduler::WorkloadKind;
use serde::{Deserialize, Serialize};

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

/// Fields `filterBy` accepts on `GET /api/v1/workloads`.
const FILTER_FIELDS: [&str; 6] = [
    "projectName",
    "projectId",
    "phase",
    "type",
    "name",
    "clusterId",
];

/// Reads `GET /api/v1/workloads`'s query: offset, limit, sortBy, sortOrder, filterBy (repeatable,
/// Run:ai's `field==value`) and search.
fn list_filter(raw: Option<&str>) -> Result<ListFilter, ApiError> {
    let mut filter = ListFilter {
        limit: Some(50),
        ..ListFilter::default()
    };
    for (key, value) in form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        let number = |what: &str, max: u64| -> Result<u64, ApiError> {
            value
                .parse::<u64>()
                .ok()
                .filter(|n| *n <= max)
                .ok_or_else(|| {
                    ApiError::invalid(
                        what,
                        format!("must be a whole number from 0 to {max} (got {value:?})"),
                    )
                })
        };
        match key.as_ref() {
            "offset" => filter.offset = number("offset", i32::MAX as u64)?,
            "limit" => {
                let n = number("limit", 500)?;
                if n == 0 {
                    return Err(ApiError::invalid("limit", "must be from 1 to 500"));
                }
                filter.limit = Some(n);
            }
            "search" => filter.search = Some(value.into_owned()),
            "sortOrder" => {
                filter.descending = match value.as_ref() {
                    "asc" => false,
                    "desc" => true,
                    other => {
                        return Err(ApiError::invalid(
                            "sortOrder",
                            format!("{other:?} is not asc or desc"),
                        ));
                    }
                }
            }
            "sortBy" => filter.sort_by = sort_by(&value)?,
            // Run:ai's clients join several terms with commas.
            "filterBy" => {
                for term in value.split(',').filter(|t| !t.is_empty()) {
                    apply_filter(&mut filter, term)?;
                }
            }
            _ => {}
        }
    }
    Ok(filter)
}

fn sort_by(value: &str) -> Result<SortBy, ApiError> {
    Ok(match value {
        "createdAt" => SortBy::CreatedAt,
        "name" => SortBy::Name,
        "phase" => SortBy::Phase,
        "type" => SortBy::Type,
        "projectName" | "projectId" => SortBy::Project,
        "priority" => SortBy::Priority,
        other => {
            return Err(ApiError::invalid(
                "sortBy",
                format!(
                    "cannot sort by {other:?}; use createdAt, name, phase, type, projectName or priority"
                ),
            ));
        }
    })
}

fn apply_filter(filter: &mut ListFilter, term: &str) -> Result<(), ApiError> {
    let term = validate::filter_term(term, &FILTER_FIELDS)?;
    let v = Some(term.value.clone());
    match (term.field.as_str(), term.op) {
        ("projectName" | "projectId", FilterOp::Equals) => filter.project = v,
        ("phase", FilterOp::Equals) => filter.phase = v,
        ("phase", FilterOp::NotEquals) => filter.not_phase = v,
        ("type", FilterOp::Equals) => filter.kind = v,
        ("name", FilterOp::Contains | FilterOp::Equals) => filter.search = v,
        ("clusterId", FilterOp::Equals) => {}
        (field, _) => {
            return Err(ApiError::invalid(
                "filterBy",
                format!("{field} cannot be filtered with that operator"),
            ));
        }
    }
    Ok(())
}

#[utoipa::path(get, path = "/api/v1/workloads", tag = "workloads", security(("bearer" = [])),
    params(("offset" = Option<u64>, Query, maximum = 2147483647, description = "Rows to skip"), ("limit" = Option<u64>, Query, minimum = 1, maximum = 500, description = "At most this many (1-500, default 50)"),
           ("sortBy" = Option<String>, Query, pattern = r"^(createdAt|name|phase|type|projectName|projectId|priority)$", description = "createdAt, name, phase, type, projectName or priority"), ("sortOrder" = Option<String>, Query, pattern = r"^(asc|desc)$", description = "asc or desc"),
           ("filterBy" = Option<Vec<String>>, Query, pattern = r"^((projectName|projectId|type|clusterId)==[^,]*|phase(==|!=)[^,]*|name(==|=@)[^,]*)?(,((projectName|projectId|type|clusterId)==[^,]*|phase(==|!=)[^,]*|name(==|=@)[^,]*)?)*$", description = "field==value, field!=value or field=@value; several joined by commas"), ("search" = Option<String>, Query, description = "Names containing this")),
    responses((status = 200, body = rota_control::services::workloads::Page), (status = 401, description = "Not signed in", body = rota_api::ApiError), (status = 404, description = "filterBy names a project that does not exist", body = rota_api::ApiError), (status = 422, description = "A field is wrong; details name it", body = rota_api::ApiError)))]
pub async fn list(
    State(rota): State<Rota>,
    _caller: Caller,
    RawQuery(raw): RawQuery,
) -> AppResult<Json<Page>> {
    let filter = list_filter(raw.as_deref())?;
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
