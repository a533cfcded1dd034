//! Server functions, grouped by domain: each reads the caller and the services from context and
//! calls one `rota_control` service — the same ones the REST API calls.

pub mod assets;
pub mod cluster;
pub mod org;
pub mod overview;
pub mod session;
pub mod settings;
pub mod workloads;

#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    use rota_api::{ApiError, ErrorCode};
    use rota_control::auth::{Principal, session_token};
    use rota_control::services::Rota;

    use crate::UiError;

    /// The services, provided by the server for every request.
    pub fn rota() -> Result<Rota, UiError> {
        leptos::prelude::use_context::<Rota>().ok_or_else(|| {
            UiError::from(ApiError::new(
                ErrorCode::Internal,
                "the server did not provide its services",
            ))
        })
    }

    /// The session cookie's token, if the request has one.
    pub fn session_cookie_token() -> Option<String> {
        let parts = leptos::prelude::use_context::<http::request::Parts>()?;
        parts
            .headers
            .get_all(http::header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(session_token)
            .map(str::to_owned)
    }

    /// The signed-in user, from the session cookie, or none.
    pub fn signed_in(rota: &Rota) -> Option<Principal> {
        session_cookie_token().and_then(|token| rota.authenticate(&token).ok())
    }

    /// The services and the signed-in user; refuses when nobody is signed in.
    pub fn caller() -> Result<(Rota, Principal), UiError> {
        let rota = rota()?;
        let who = signed_in(&rota).ok_or_else(|| {
            UiError::from(ApiError::new(
                ErrorCode::Unauthorized,
                "your session ended; sign in again",
            ))
        })?;
        Ok((rota, who))
    }

    /// A service error as the page shows it.
    pub fn ui(e: rota_control::ControlError) -> UiError {
        UiError::from(e.to_api())
    }
}
