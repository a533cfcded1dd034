//! Finds each request's client address once (`rota_control::auth::client_addr`) and keeps it in
//! the request's extensions, where the REST handlers and the web app's server functions read it
//! (sign-ins are throttled per address).

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::OnceLock;

use axum::extract::{ConnectInfo, FromRequestParts, Request};
use axum::http::request::Parts;
use rota_control::auth::{ClientAddr, client_addr};

/// Whether `X-Forwarded-For` is trusted (`ROTA_TRUST_FORWARDED_FOR` set: Rota runs behind a proxy
/// that writes it); read once.
fn trust_forwarded() -> bool {
    static TRUST: OnceLock<bool> = OnceLock::new();
    *TRUST.get_or_init(|| std::env::var_os("ROTA_TRUST_FORWARDED_FOR").is_some())
}

/// Middleware: tags the request with its client's address, when it can be told.
pub async fn tag(mut req: Request) -> Request {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let forwarded = req
        .headers()
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok());
    if let Some(ip) = client_addr(forwarded, peer, trust_forwarded()) {
        req.extensions_mut().insert(ClientAddr(ip));
    }
    req
}

/// The client's address in a handler, if the request was tagged.
#[derive(Debug, Clone, Copy)]
pub struct From(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for From {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(From(parts.extensions.get::<ClientAddr>().map(|c| c.0)))
    }
}
