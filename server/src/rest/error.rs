//! Every failure leaves as JSON `{code, message, details}` with the status its code calls for;
//! internals are logged, never sent.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rota_api::ApiError;
use rota_control::ControlError;

/// A failed request.
#[derive(Debug)]
pub struct AppError(pub ApiError);

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.0.code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, Json(self.0)).into_response()
    }
}

impl From<ApiError> for AppError {
    fn from(e: ApiError) -> Self {
        AppError(e)
    }
}

impl From<ControlError> for AppError {
    fn from(e: ControlError) -> Self {
        AppError(e.to_api())
    }
}
