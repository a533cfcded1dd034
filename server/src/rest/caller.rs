//! The signed-in caller, from `Authorization: Bearer <token>` — or, for reads only, the web
//! app's session cookie, so that a signed-in browser can follow `/api/v1/changes` and open the API
//! in a tab. Writes need the header: a cookie alone never changes anything (no cross-site forgery).

use axum::extract::FromRequestParts;
use axum::http::Method;
use axum::http::header::{AUTHORIZATION, COOKIE};
use axum::http::request::Parts;
use rota_api::{ApiError, ErrorCode};
use rota_control::auth::{Principal, session_token};
use rota_control::services::Rota;

use super::AppError;

/// Who is asking.
#[derive(Debug, Clone)]
pub struct Caller(pub Principal);

impl FromRequestParts<Rota> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, rota: &Rota) -> Result<Self, Self::Rejection> {
        let read_only = parts.method == Method::GET || parts.method == Method::HEAD;
        if read_only
            && !parts.headers.contains_key(AUTHORIZATION)
            && let Some(token) = parts
                .headers
                .get_all(COOKIE)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .find_map(session_token)
        {
            return Ok(Caller(rota.authenticate(token)?));
        }
        Ok(Caller(rota.authenticate(bearer(parts)?)?))
    }
}

/// The bearer token of a request (`Authorization: Bearer <token>`), valid and not revoked:
/// what signing out ends.
#[derive(Debug, Clone)]
pub struct BearerToken(pub String);

impl FromRequestParts<Rota> for BearerToken {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, rota: &Rota) -> Result<Self, Self::Rejection> {
        let token = bearer(parts)?;
        rota.authenticate(token)?;
        Ok(BearerToken(token.to_owned()))
    }
}

/// The token in the `Authorization` header.
fn bearer(parts: &Parts) -> Result<&str, AppError> {
    let header = parts
        .headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| {
            AppError::from(ApiError::new(
                ErrorCode::Unauthorized,
                "sign in first: send Authorization: Bearer <token> (POST /api/v1/token)",
            ))
        })?;
    header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
        .map(str::trim)
        .ok_or_else(|| {
            AppError::from(ApiError::new(
                ErrorCode::Unauthorized,
                "the Authorization header must be Bearer <token>",
            ))
        })
}
