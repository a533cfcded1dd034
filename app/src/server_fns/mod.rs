//! Server functions, grouped by domain: each reads the services from context and calls one.

pub mod workloads;

#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    use rota_api::{ApiError, ErrorCode};
    use rota_control::services::Rota;

    use crate::UiError;

    /// The services, provided by the server for every request.
    pub fn rota() -> Result<Rota, UiError> {
        leptos::prelude::use_context::<Rota>().ok_or_else(|| {
            UiError(ApiError::new(
                ErrorCode::Internal,
                "the server did not provide its services",
            ))
        })
    }

    /// A service error as the page shows it.
    pub fn ui(e: rota_control::ControlError) -> UiError {
        UiError(e.to_api())
    }
}
