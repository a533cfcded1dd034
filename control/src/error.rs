//! What can go wrong in the control plane, and how each maps onto the API's error body.

use rota_api::{ApiError, ErrorCode, FieldError};
use thiserror::Error;

/// A failed service call.
#[derive(Debug, Error)]
pub enum ControlError {
    /// The caller's input is wrong; the error says which field and why.
    #[error(transparent)]
    Rejected(#[from] ApiError),
    /// The store failed; details go to the log, not to the caller.
    #[error("store: {0}")]
    Store(#[from] sea_orm::DbErr),
    /// Something stored is not what it should be (a bug or a hand-edited database).
    #[error("corrupt record: {0}")]
    Corrupt(String),
}

impl From<FieldError> for ControlError {
    fn from(e: FieldError) -> Self {
        ControlError::Rejected(e.into())
    }
}

impl ControlError {
    /// The body to show the caller; internals are logged and replaced by a plain sentence.
    pub fn to_api(&self) -> ApiError {
        match self {
            ControlError::Rejected(e) => e.clone(),
            ControlError::Store(e) => {
                tracing::error!(error = %e, "store error");
                ApiError::new(
                    ErrorCode::Unavailable,
                    "the store did not answer; try again",
                )
            }
            ControlError::Corrupt(what) => {
                tracing::error!(what, "corrupt record");
                ApiError::new(
                    ErrorCode::Internal,
                    "an internal error occurred; it has been logged",
                )
            }
        }
    }
}

/// Shorthand for results of service calls.
pub type ControlResult<T> = Result<T, ControlError>;
