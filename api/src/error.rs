//! The error body every failing request gets: `{code, message, details}`.

use serde::{Deserialize, Serialize};

/// What kind of failure; decides the HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// 400: the request cannot be read.
    BadRequest,
    /// 401: no valid credentials.
    Unauthorized,
    /// 403: valid credentials, not allowed.
    Forbidden,
    /// 404: no such thing.
    NotFound,
    /// 405: the path exists, the method does not (the `Allow` header lists those that do).
    MethodNotAllowed,
    /// 409: clashes with what exists (a duplicate name, an asset in use).
    Conflict,
    /// 422: readable, but a field's value is not acceptable.
    Invalid,
    /// 429: too many attempts.
    TooManyRequests,
    /// 500: our fault; the message says nothing of the internals.
    Internal,
    /// 503: the store does not answer.
    Unavailable,
}

impl ErrorCode {
    /// The HTTP status for the code.
    pub fn status(self) -> u16 {
        match self {
            ErrorCode::BadRequest => 400,
            ErrorCode::Unauthorized => 401,
            ErrorCode::Forbidden => 403,
            ErrorCode::NotFound => 404,
            ErrorCode::MethodNotAllowed => 405,
            ErrorCode::Conflict => 409,
            ErrorCode::Invalid => 422,
            ErrorCode::TooManyRequests => 429,
            ErrorCode::Internal => 500,
            ErrorCode::Unavailable => 503,
        }
    }
}

/// One field that is wrong, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldError {
    /// The field, as a path (`spec.compute.gpuDevicesRequest`).
    pub field: String,
    /// What is wrong, and what would be right.
    pub message: String,
}

/// The JSON body of an error response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[error("{message}")]
pub struct ApiError {
    /// The kind of failure.
    pub code: ErrorCode,
    /// One sentence for a person.
    pub message: String,
    /// The fields at fault, if any.
    #[serde(default)]
    pub details: Vec<FieldError>,
}

impl ApiError {
    /// An error without field details.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            code,
            message: message.into(),
            details: Vec::new(),
        }
    }

    /// A 422 for one field.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        let field = field.into();
        let message = message.into();
        ApiError {
            code: ErrorCode::Invalid,
            message: format!("{field}: {message}"),
            details: vec![FieldError { field, message }],
        }
    }

    /// A 404 naming what was not found.
    pub fn not_found(what: impl Into<String>) -> Self {
        ApiError::new(ErrorCode::NotFound, what)
    }

    /// A 409 naming the clash.
    pub fn conflict(what: impl Into<String>) -> Self {
        ApiError::new(ErrorCode::Conflict, what)
    }
}

impl From<FieldError> for ApiError {
    fn from(e: FieldError) -> Self {
        ApiError::invalid(e.field, e.message)
    }
}
