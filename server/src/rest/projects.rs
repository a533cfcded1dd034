//! `/api/v1/org-unit/projects`.

use axum::Json;
use axum::extract::State;
use rota_api::wire::ProjectList;
use rota_control::services::{Rota, org};

use super::{AppResult, Caller};

#[utoipa::path(get, path = "/api/v1/org-unit/projects", tag = "org-units", security(("bearer" = [])), responses((status = 200, body = rota_api::wire::ProjectList), (status = 401, description = "Not signed in", body = rota_api::ApiError)))]
pub async fn list(State(rota): State<Rota>, _caller: Caller) -> AppResult<Json<ProjectList>> {
    Ok(Json(org::list_projects(&rota).await?))
}
