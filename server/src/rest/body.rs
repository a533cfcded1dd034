//! A JSON body whose errors name the field: malformed JSON is a 400, a field of the wrong type or
//! value a 422 that says which.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use rota_api::{ApiError, ErrorCode};
use serde::de::DeserializeOwned;

use super::strict_json::Strict;

use super::AppError;

/// Largest body accepted.
const MAX_BODY: usize = 1024 * 1024;

/// A deserialized JSON body.
#[derive(Debug)]
pub struct Body<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            AppError::from(ApiError::new(
                ErrorCode::BadRequest,
                format!("cannot read the body: {e}"),
            ))
        })?;
        if bytes.len() > MAX_BODY {
            return Err(AppError::from(ApiError::new(
                ErrorCode::BadRequest,
                "the body is larger than 1 MiB",
            )));
        }
        // Syntax first (400), then shape (422): an object where the document says object.
        let json: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| {
            AppError::from(ApiError::new(
                ErrorCode::BadRequest,
                format!("malformed JSON: {e}"),
            ))
        })?;
        let value: T = serde_path_to_error::deserialize(Strict(&json)).map_err(|e| {
            let path = e.path().to_string();
            let field = if path.is_empty() || path == "." {
                "body".to_owned()
            } else {
                path
            };
            AppError::from(ApiError::invalid(field, e.into_inner().to_string()))
        })?;
        Ok(Body(value))
    }
}
