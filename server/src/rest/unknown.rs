//! Answers for what the API does not have: an unknown `/api/…` path is 404 and a known path asked
//! with a method it does not take is 405 (with `Allow`), both as the API's JSON error — never the
//! web app's HTML.

use axum::http::{Method, Uri};
use rota_api::{ApiError, ErrorCode};

use super::AppError;

/// Any method on an `/api/…` path that no route takes.
pub async fn not_found(method: Method, uri: Uri) -> AppError {
    AppError::from(ApiError::new(
        ErrorCode::NotFound,
        format!(
            "the API has no {method} {}; /api/openapi.json lists every operation",
            uri.path()
        ),
    ))
}

/// A known path asked with a method it does not take; axum adds the `Allow` header.
pub async fn method_not_allowed(method: Method, uri: Uri) -> AppError {
    AppError::from(ApiError::new(
        ErrorCode::MethodNotAllowed,
        format!(
            "{} does not take {method}; the Allow header lists what it takes",
            uri.path()
        ),
    ))
}
