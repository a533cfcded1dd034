//! Rota's REST API as data: the wire types (Run:ai's `/api/v1` shapes) and the validation rules
//! that the UI, the REST handlers and the CLI all call, so that a rule is written once.

pub mod distributed;
pub mod error;
pub mod inherit;
pub mod priority;
pub mod validate;
pub mod whole;
pub mod wire;

pub use error::{ApiError, ErrorCode, FieldError};
/// How a span of time reads, the scheduler's reasons and the pages alike (`4 m 10 s`).
pub use rota_scheduler::span;
