//! Every failure leaves as JSON `{code, message, details}` with the status its code calls for;
//! internals are logged, never sent.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rota_api::ApiError;
use rota_control::ControlError;

/// A failed request, and how long the client should wait before trying again, when that is
/// known (a 429 says so in `Retry-After`).
#[derive(Debug)]
pub struct AppError(pub ApiError, pub Option<u64>);

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.0.code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut res = (status, Json(self.0)).into_response();
        if let Some(secs) = self.1 {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        res
    }
}

impl From<ApiError> for AppError {
    fn from(e: ApiError) -> Self {
        AppError(e, None)
    }
}

impl From<ControlError> for AppError {
    fn from(e: ControlError) -> Self {
        AppError(e.to_api(), e.retry_after_secs())
    }
}
