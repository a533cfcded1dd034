//! Sign-in: password hashes (argon2), roles, the session cookie, and bearer tokens ([`Signer`]:
//! HS256 JWTs signed with keys kept in the store, so that tokens stay valid across restarts).

use std::net::IpAddr;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use cookie::{Cookie, SameSite};
use rota_api::{ApiError, ErrorCode};
use serde::{Deserialize, Serialize};

mod signer;

pub use signer::Signer;

/// How long a token is valid, in seconds.
pub const TOKEN_LIFETIME_SECS: i64 = 24 * 3600;

/// The cookie the web app keeps its bearer token in (HttpOnly, SameSite=Lax).
pub const SESSION_COOKIE: &str = "rota_session";

/// The session token in a `Cookie` header, if there is one (read with the `cookie` crate, as
/// browsers write the header).
pub fn session_token(cookie_header: &str) -> Option<&str> {
    Cookie::split_parse(cookie_header)
        .filter_map(Result::ok)
        .find(|c| c.name_raw() == Some(SESSION_COOKIE))
        .and_then(|c| c.value_raw())
        .filter(|v| !v.is_empty())
}

/// The `Set-Cookie` value that keeps `token` for the web app (or, with `None`, forgets it).
/// `secure` when the browser reached Rota over HTTPS (a TLS proxy in front says so with
/// `X-Forwarded-Proto: https`): the cookie is then never sent over plain HTTP.
pub fn session_cookie(token: Option<&str>, secure: bool) -> String {
    let cookie = Cookie::build((SESSION_COOKIE, token.unwrap_or_default()))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure);
    let cookie = match token {
        Some(_) => cookie.max_age(cookie::time::Duration::seconds(TOKEN_LIFETIME_SECS)),
        None => cookie.removal(),
    };
    cookie.build().to_string()
}

/// Whether a request came over HTTPS, as the proxy in front of Rota tells it
/// (`X-Forwarded-Proto`; Rota itself speaks plain HTTP).
pub fn forwarded_https(forwarded_proto: Option<&str>) -> bool {
    forwarded_proto
        .and_then(|v| v.split(',').next())
        .is_some_and(|proto| proto.trim().eq_ignore_ascii_case("https"))
}

/// The address a request came from, as the server found it (see [`client_addr`]); the server
/// puts it in each request's extensions for the REST handlers and the web app's server functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

/// The client's address: the first of `X-Forwarded-For` when Rota is told to trust its proxy
/// (`ROTA_TRUST_FORWARDED_FOR`; a client could write that header itself otherwise), else the peer
/// of the connection.
pub fn client_addr(
    forwarded_for: Option<&str>,
    peer: Option<IpAddr>,
    trust_forwarded: bool,
) -> Option<IpAddr> {
    trust_forwarded
        .then(|| {
            forwarded_for
                .and_then(|v| v.split(',').next())
                .and_then(|first| first.trim().parse().ok())
        })
        .flatten()
        .or(peer)
}

/// What a signed-in caller may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Role {
    /// Everything.
    Admin,
    /// Workloads in the projects assigned to them.
    Researcher,
    /// Read only.
    Viewer,
}

impl Role {
    /// The role's name as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Researcher => "researcher",
            Role::Viewer => "viewer",
        }
    }

    /// Parses a stored role name.
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "admin" => Some(Role::Admin),
            "researcher" => Some(Role::Researcher),
            "viewer" => Some(Role::Viewer),
            _ => None,
        }
    }
}

/// The caller behind a valid token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The user acting (an application acts as its owner, or as itself when it has none).
    pub user_id: Option<i32>,
    /// A name for the audit log.
    pub name: String,
    /// What they may do.
    pub role: Role,
}

/// Hashes a password or a secret for storage.
pub fn hash_secret(secret: &str) -> Result<String, ApiError> {
    let salt = SaltString::encode_b64(uuid::Uuid::new_v4().as_bytes())
        .map_err(|_| ApiError::new(ErrorCode::Internal, "could not salt the password"))?;
    Argon2::default()
        .hash_password(secret.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|_| ApiError::new(ErrorCode::Internal, "could not hash the password"))
}

/// Whether `secret` matches a stored hash.
pub fn verify_secret(hash: &str, secret: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        Argon2::default()
            .verify_password(secret.as_bytes(), &h)
            .is_ok()
    })
}

/// A fresh random secret (a password or an application secret): 32 hex characters.
pub fn random_secret() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_address_is_the_peer_unless_the_proxy_is_trusted() {
        let peer: IpAddr = "10.0.0.1".parse().unwrap_or(IpAddr::from([0, 0, 0, 0]));
        let client: IpAddr = "203.0.113.7".parse().unwrap_or(IpAddr::from([0, 0, 0, 0]));
        let header = Some("203.0.113.7, 10.0.0.1");
        assert_eq!(client_addr(header, Some(peer), false), Some(peer));
        assert_eq!(client_addr(header, Some(peer), true), Some(client));
        assert_eq!(client_addr(Some("garbage"), Some(peer), true), Some(peer));
        assert_eq!(client_addr(None, None, true), None);
    }

    #[test]
    fn the_session_token_is_read_from_its_own_cookie_only() {
        assert_eq!(session_token("a=1; rota_session=tok; b=2"), Some("tok"));
        assert_eq!(session_token("rota_session=tok"), Some("tok"));
        assert_eq!(session_token("xrota_session=tok; rota_session="), None);
        assert_eq!(session_token("a=1;rota_session=tok"), Some("tok"));
        assert_eq!(session_token(""), None);
        let kept = Cookie::parse(session_cookie(Some("t"), false)).expect("parses");
        assert_eq!(kept.name_value(), (SESSION_COOKIE, "t"));
        assert_eq!(kept.path(), Some("/"));
        assert_eq!(kept.http_only(), Some(true));
        assert_eq!(kept.same_site(), Some(SameSite::Lax));
        assert_eq!(kept.secure(), None);
        assert_eq!(
            kept.max_age(),
            Some(cookie::time::Duration::seconds(TOKEN_LIFETIME_SECS))
        );
        let secure = Cookie::parse(session_cookie(Some("t"), true)).expect("parses");
        assert_eq!(secure.secure(), Some(true));
        let forgotten = Cookie::parse(session_cookie(None, true)).expect("parses");
        assert_eq!(forgotten.value(), "");
        assert_eq!(forgotten.max_age(), Some(cookie::time::Duration::ZERO));
        assert_eq!(forgotten.secure(), Some(true));
        assert!(forwarded_https(Some("https")));
        assert!(forwarded_https(Some("HTTPS, http")));
        assert!(!forwarded_https(Some("http")));
        assert!(!forwarded_https(None));
    }

    #[test]
    fn secrets_verify_only_against_their_own_hash() {
        let hash = hash_secret("s3cret").expect("hashes");
        assert!(verify_secret(&hash, "s3cret"));
        assert!(!verify_secret(&hash, "S3cret"));
        assert!(!verify_secret("not a hash", "s3cret"));
    }
}
