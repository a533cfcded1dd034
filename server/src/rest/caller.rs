//! The signed-in caller, from `Authorization: Bearer <token>`.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use rota_api::{ApiError, ErrorCode};
use rota_control::auth::Principal;
use rota_control::services::Rota;

use super::AppError;

/// Who is asking.
#[derive(Debug, Clone)]
pub struct Caller(pub Principal);

impl FromRequestParts<Rota> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, rota: &Rota) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| {
                AppError(ApiError::new(
                    ErrorCode::Unauthorized,
                    "sign in first: send Authorization: Bearer <token> (POST /api/v1/token)",
                ))
            })?;
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .ok_or_else(|| {
                AppError(ApiError::new(
                    ErrorCode::Unauthorized,
                    "the Authorization header must be Bearer <token>",
                ))
            })?;
        Ok(Caller(rota.authenticate(token.trim())?))
    }
}
