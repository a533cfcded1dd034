//! `POST /api/v1/token`.

use axum::Json;
use axum::extract::State;
use rota_api::wire::{TokenRequest, TokenResponse};
use rota_control::services::{Rota, session};

use super::client_addr;
use super::{AppResult, Body};

#[utoipa::path(post, path = "/api/v1/token", tag = "auth", request_body = rota_api::wire::TokenRequest,
    responses((status = 200, body = rota_api::wire::TokenResponse), (status = 401, description = "Not signed in", body = rota_api::ApiError), (status = 422, description = "A field is wrong; details name it", body = rota_api::ApiError), (status = 400, description = "Malformed JSON", body = rota_api::ApiError), (status = 429, description = "Too many failed sign-ins", body = rota_api::ApiError)))]
pub async fn token(
    State(rota): State<Rota>,
    client_addr::From(from): client_addr::From,
    Body(req): Body<TokenRequest>,
) -> AppResult<Json<TokenResponse>> {
    Ok(Json(session::token(&rota, &req, from).await?))
}
