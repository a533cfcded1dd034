//! `POST /api/v1/token`.

use axum::Json;
use axum::extract::State;
use rota_api::wire::{TokenRequest, TokenResponse};
use rota_control::services::{Rota, session};

use super::{AppResult, Body};

pub async fn token(
    State(rota): State<Rota>,
    Body(req): Body<TokenRequest>,
) -> AppResult<Json<TokenResponse>> {
    Ok(Json(session::token(&rota, &req).await?))
}
