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
    /// The scheduling loop may not write: another server leads the cluster now.
    #[error("this server no longer leads the cluster (its term {mine:?}, the store's {store:?})")]
    NotLeader {
        /// The term this server believed it led in.
        mine: Option<i64>,
        /// The term the store holds.
        store: Option<i64>,
    },
    /// Too many failed sign-ins: refused until the wait is over.
    #[error("too many failed sign-ins for {}", .0.key)]
    LockedOut(crate::services::throttle::LockedOut),
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
            ControlError::NotLeader { .. } => ApiError::new(
                ErrorCode::Unavailable,
                "another server schedules this cluster now; try again",
            ),
            ControlError::LockedOut(l) => ApiError::new(
                ErrorCode::TooManyRequests,
                format!(
                    "too many failed sign-ins for {}; try again in {} s",
                    l.key,
                    l.retry_after_secs()
                ),
            ),
        }
    }

    /// Seconds the caller should wait before trying again, when the refusal says so.
    pub fn retry_after_secs(&self) -> Option<u64> {
        match self {
            ControlError::LockedOut(l) => Some(l.retry_after_secs()),
            _ => None,
        }
    }
}

/// Shorthand for results of service calls.
pub type ControlResult<T> = Result<T, ControlError>;
