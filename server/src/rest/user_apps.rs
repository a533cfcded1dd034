//! `/api/v1/user-applications`: Run:ai's name for the applications a user makes for themselves;
//! the same applications and rules as `/api/v1/apps`, under the path Run:ai's clients call.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use rota_control::services::Rota;
use rota_control::services::access::Application;

use super::{AppResult, Caller, access};

#[utoipa::path(get, path = "/api/v1/user-applications", tag = "auth", security(("bearer" = [])), responses((status = 200, body = Vec<rota_control::services::access::Application>)))]
pub async fn list_user_apps(
    state: State<Rota>,
    caller: Caller,
) -> AppResult<Json<Vec<Application>>> {
    access::list_apps(state, caller).await
}

#[utoipa::path(delete, path = "/api/v1/user-applications/{id}", tag = "auth", security(("bearer" = [])), params(("id" = String, Path, description = "The application's id")), responses((status = 204, description = "Revoked"), (status = 403, description = "Not allowed for this role", body = rota_api::ApiError), (status = 404, description = "No such thing", body = rota_api::ApiError)))]
pub async fn delete_user_app(
    state: State<Rota>,
    caller: Caller,
    id: Path<String>,
) -> AppResult<StatusCode> {
    access::delete_app(state, caller, id).await
}

#[utoipa::path(post, path = "/api/v1/user-applications/{id}/secret", tag = "auth", security(("bearer" = [])), params(("id" = String, Path, description = "The application's id")), responses((status = 200, body = rota_control::services::access::Application, description = "The new secret, shown once; the old one no longer works"), (status = 403, description = "Not allowed for this role", body = rota_api::ApiError), (status = 404, description = "No such thing", body = rota_api::ApiError)))]
pub async fn rotate_user_app_secret(
    state: State<Rota>,
    caller: Caller,
    id: Path<String>,
) -> AppResult<Json<Application>> {
    access::rotate_app_secret(state, caller, id).await
}
