//! The error a server function returns: the API's error body, kept whole so the page can show the
//! message and the fields at fault.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use rota_api::{ApiError, ErrorCode};
use serde::{Deserialize, Serialize};

/// A refusal or failure, as the page sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UiError(pub ApiError);

impl std::fmt::Display for UiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.message)
    }
}

impl std::error::Error for UiError {}

impl FromServerFnError for UiError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        let code = match value {
            ServerFnErrorErr::Request(_) => ErrorCode::Unavailable,
            ServerFnErrorErr::Args(_) | ServerFnErrorErr::MissingArg(_) => ErrorCode::BadRequest,
            _ => ErrorCode::Internal,
        };
        UiError(ApiError::new(code, value.to_string()))
    }
}

impl From<ApiError> for UiError {
    /// On the server, the response also gets the status the error's code calls for (as the REST
    /// API's would), not a blanket 500.
    fn from(e: ApiError) -> Self {
        #[cfg(feature = "ssr")]
        if let (Some(res), Ok(status)) = (
            leptos::prelude::use_context::<leptos_axum::ResponseOptions>(),
            http::StatusCode::from_u16(e.code.status()),
        ) {
            res.set_status(status);
        }
        UiError(e)
    }
}
