//! `/api/v1/apps`, `/api/v1/user-applications`, `/api/v1/users`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use rota_api::ApiError;
use rota_control::auth::Role;
use rota_control::services::Rota;
use rota_control::services::access::{self, Application, User};
use serde::Deserialize;

use super::caller::BearerToken;
use super::{AppResult, Body, Caller};

/// Body of an application's creation.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct NewApp {
    #[schema(
        pattern = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$",
        min_length = 1,
        max_length = 63
    )]
    name: String,
}

#[utoipa::path(post, path = "/api/v1/apps", tag = "auth", security(("bearer" = [])), request_body = NewApp, responses((status = 201, body = rota_control::services::access::Application), (status = 401, description = "Not signed in", body = rota_api::ApiError), (status = 403, description = "Not allowed for this role", body = rota_api::ApiError), (status = 409, description = "Clashes with what exists", body = rota_api::ApiError), (status = 422, description = "A field is wrong; details name it", body = rota_api::ApiError)))]
pub async fn create_app(
    State(rota): State<Rota>,
    caller: Caller,
    Body(body): Body<NewApp>,
) -> AppResult<(StatusCode, Json<Application>)> {
    Ok((
        StatusCode::CREATED,
        Json(access::create_app(&rota, &caller.0, &body.name).await?),
    ))
}

#[utoipa::path(post, path = "/api/v1/user-applications", tag = "auth", security(("bearer" = [])), request_body = NewApp, responses((status = 201, body = rota_control::services::access::Application), (status = 401, description = "Not signed in", body = rota_api::ApiError), (status = 409, description = "Clashes with what exists", body = rota_api::ApiError), (status = 422, description = "A field is wrong; details name it", body = rota_api::ApiError)))]
pub async fn create_user_app(
    State(rota): State<Rota>,
    caller: Caller,
    Body(body): Body<NewApp>,
) -> AppResult<(StatusCode, Json<Application>)> {
    Ok((
        StatusCode::CREATED,
        Json(access::create_user_app(&rota, &caller.0, &body.name).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/apps", tag = "auth", security(("bearer" = [])), responses((status = 200, body = Vec<rota_control::services::access::Application>), (status = 401, description = "Not signed in", body = rota_api::ApiError)))]
pub async fn list_apps(
    State(rota): State<Rota>,
    caller: Caller,
) -> AppResult<Json<Vec<Application>>> {
    Ok(Json(access::list_apps(&rota, &caller.0).await?))
}

#[utoipa::path(delete, path = "/api/v1/apps/{id}", tag = "auth", security(("bearer" = [])), params(("id" = String, Path, description = "The id (a UUID, or project/name for workloads)")), responses((status = 204, description = "Revoked"), (status = 401, description = "Not signed in", body = rota_api::ApiError), (status = 403, description = "Not allowed for this role", body = rota_api::ApiError), (status = 404, description = "No such thing", body = rota_api::ApiError)))]
pub async fn delete_app(
    State(rota): State<Rota>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<StatusCode> {
    access::delete_app(&rota, &caller.0, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/apps/{id}/secret", tag = "auth", security(("bearer" = [])), params(("id" = String, Path, description = "The application's id")), responses((status = 200, body = rota_control::services::access::Application, description = "The new secret, shown once; the old one no longer works"), (status = 401, description = "Not signed in", body = rota_api::ApiError), (status = 403, description = "Not allowed for this role", body = rota_api::ApiError), (status = 404, description = "No such thing", body = rota_api::ApiError)))]
pub async fn rotate_app_secret(
    State(rota): State<Rota>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<Application>> {
    Ok(Json(
        access::rotate_app_secret(&rota, &caller.0, &id).await?,
    ))
}

/// Body of a password change.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PasswordChange {
    current_password: String,
    #[schema(min_length = 8)]
    new_password: String,
}

#[utoipa::path(post, path = "/api/v1/me/password", tag = "auth", security(("bearer" = [])), request_body = PasswordChange, responses((status = 204, description = "Changed: the new password signs in, the old one no longer does"), (status = 401, description = "Not signed in", body = rota_api::ApiError), (status = 403, description = "The current password is wrong, or the caller is an application", body = rota_api::ApiError), (status = 422, description = "The new password is too short", body = rota_api::ApiError), (status = 429, description = "Too many failed sign-ins", body = rota_api::ApiError)))]
pub async fn change_password(
    State(rota): State<Rota>,
    caller: Caller,
    Body(body): Body<PasswordChange>,
) -> AppResult<StatusCode> {
    access::change_password(&rota, &caller.0, &body.current_password, &body.new_password).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Body of a user's creation.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    #[schema(
        pattern = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$",
        min_length = 1,
        max_length = 63
    )]
    username: String,
    #[schema(min_length = 8)]
    password: String,
    #[schema(pattern = r"^(admin|researcher|viewer)$")]
    role: String,
    #[serde(default)]
    projects: Vec<String>,
}

#[utoipa::path(post, path = "/api/v1/users", tag = "auth", security(("bearer" = [])), request_body = NewUser, responses((status = 201, body = rota_control::services::access::User), (status = 401, description = "Not signed in", body = rota_api::ApiError), (status = 403, description = "Not allowed for this role", body = rota_api::ApiError), (status = 409, description = "Clashes with what exists", body = rota_api::ApiError), (status = 422, description = "A field is wrong; details name it", body = rota_api::ApiError)))]
pub async fn create_user(
    State(rota): State<Rota>,
    caller: Caller,
    Body(body): Body<NewUser>,
) -> AppResult<(StatusCode, Json<User>)> {
    let role = Role::parse(&body.role).ok_or_else(|| {
        ApiError::invalid(
            "role",
            format!(
                "{:?} is not a role; use admin, researcher or viewer",
                body.role
            ),
        )
    })?;
    let user = access::create_user(
        &rota,
        &caller.0,
        &body.username,
        &body.password,
        role,
        &body.projects,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(user)))
}

#[utoipa::path(get, path = "/api/v1/users", tag = "auth", security(("bearer" = [])), responses((status = 200, body = Vec<rota_control::services::access::User>), (status = 401, description = "Not signed in", body = rota_api::ApiError), (status = 403, description = "Not allowed for this role", body = rota_api::ApiError)))]
pub async fn list_users(State(rota): State<Rota>, caller: Caller) -> AppResult<Json<Vec<User>>> {
    Ok(Json(access::list_users(&rota, &caller.0).await?))
}

#[utoipa::path(delete, path = "/api/v1/users/{id}", tag = "auth", security(("bearer" = [])), params(("id" = String, Path, description = "The user's id")), responses((status = 204, description = "Deleted: their applications too, and every token of theirs stops working"), (status = 401, description = "Not signed in", body = rota_api::ApiError), (status = 403, description = "Not allowed for this role", body = rota_api::ApiError), (status = 404, description = "No such thing", body = rota_api::ApiError), (status = 409, description = "One's own user", body = rota_api::ApiError)))]
pub async fn delete_user(
    State(rota): State<Rota>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<StatusCode> {
    access::delete_user(&rota, &caller.0, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/logout", tag = "auth", security(("bearer" = [])), responses((status = 204, description = "Signed out: the token no longer works"), (status = 401, description = "Not signed in", body = rota_api::ApiError), (status = 422, description = "A token too old to be signed out", body = rota_api::ApiError)))]
pub async fn logout(
    State(rota): State<Rota>,
    BearerToken(token): BearerToken,
) -> AppResult<StatusCode> {
    rota_control::services::session::sign_out(&rota, &token).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Body of `POST /api/v1/token-signing-key`'s answer.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SigningKey {
    /// The new key's id: the `kid` in the header of tokens it signs.
    key_id: String,
}

#[utoipa::path(post, path = "/api/v1/token-signing-key", tag = "auth", security(("bearer" = [])), responses((status = 200, body = SigningKey, description = "A new key signs from now on; tokens of the key it replaced go on working until they expire, older ones stop"), (status = 401, description = "Not signed in", body = rota_api::ApiError), (status = 403, description = "Not allowed for this role", body = rota_api::ApiError)))]
pub async fn rotate_signing_key(
    State(rota): State<Rota>,
    caller: Caller,
) -> AppResult<Json<SigningKey>> {
    let key_id = rota_control::services::session::rotate_signing_key(&rota, &caller.0).await?;
    Ok(Json(SigningKey { key_id }))
}
