//! Signing in and out: the token the REST API hands out, kept in an HttpOnly cookie.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::UiError;

/// Who is signed in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedInUser {
    /// Their user name.
    pub name: String,
    /// `admin`, `researcher` or `viewer`.
    pub role: String,
}

impl SignedInUser {
    /// May edit departments, projects and quotas.
    pub fn is_admin(&self) -> bool {
        self.role == "admin"
    }

    /// May submit and delete workloads (in their projects).
    pub fn may_submit(&self) -> bool {
        self.role != "viewer"
    }
}

/// The signed-in user, if any.
#[server]
pub async fn me() -> Result<Option<SignedInUser>, UiError> {
    use super::ssr::{rota, signed_in};
    let rota = rota()?;
    Ok(signed_in(&rota).map(|p| SignedInUser {
        name: p.name,
        role: p.role.as_str().to_owned(),
    }))
}

/// Checks a user name and password, keeps the session in a cookie, and goes to the Overview
/// (admins) or the workloads.
#[server]
pub async fn sign_in(username: String, password: String) -> Result<(), UiError> {
    use super::ssr::{rota, ui};
    use rota_api::wire::TokenRequest;
    use rota_control::auth::{ClientAddr, session_cookie};
    use rota_control::services::session::token;
    let rota = rota()?;
    let req = TokenRequest {
        grant_type: "password".into(),
        username: Some(username.trim().to_owned()),
        password: Some(password),
        ..TokenRequest::default()
    };
    let from = use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<ClientAddr>().map(|c| c.0));
    let granted = token(&rota, &req, from).await.map_err(ui)?;
    set_cookie(&session_cookie(Some(&granted.access_token), over_https()));
    // Admins start on the Overview; everyone else on their workloads.
    let admin = rota
        .authenticate(&granted.access_token)
        .is_ok_and(|who| who.role == rota_control::auth::Role::Admin);
    leptos_axum::redirect(if admin { "/overview" } else { "/workloads" });
    Ok(())
}

/// Ends the session: its token stops working (here and in any other tab or client that copied
/// it), and the browser forgets it.
#[server]
pub async fn sign_out() -> Result<(), UiError> {
    use rota_control::auth::session_cookie;
    if let Some(token) = super::ssr::session_cookie_token() {
        let rota = super::ssr::rota()?;
        // A session that is no longer valid has nothing left to end; the cookie goes anyway.
        if rota.authenticate(&token).is_ok() {
            rota_control::services::session::sign_out(&rota, &token)
                .await
                .map_err(super::ssr::ui)?;
        }
    }
    set_cookie(&session_cookie(None, over_https()));
    leptos_axum::redirect("/signin");
    Ok(())
}

/// Whether this request reached Rota over HTTPS (through a TLS proxy).
#[cfg(feature = "ssr")]
fn over_https() -> bool {
    use_context::<http::request::Parts>().is_some_and(|parts| {
        rota_control::auth::forwarded_https(
            parts
                .headers
                .get("x-forwarded-proto")
                .and_then(|v| v.to_str().ok()),
        )
    })
}

#[cfg(feature = "ssr")]
fn set_cookie(value: &str) {
    if let (Some(res), Ok(v)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        http::HeaderValue::from_str(value),
    ) {
        res.append_header(http::header::SET_COOKIE, v);
    }
}
