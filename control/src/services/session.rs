//! Signing in: `POST /api/v1/token` in all its grant types.

use std::net::IpAddr;
use std::sync::OnceLock;
use std::time::Instant;

use rota_api::wire::{TokenRequest, TokenResponse};
use rota_api::{ApiError, ErrorCode};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::Rota;
use super::throttle::{Key, MAX_FAILURES, WINDOW};
use crate::auth::{Principal, Role, hash_secret, verify_secret};
use crate::error::{ControlError, ControlResult};
use crate::revocations::{Revocations, Revoke};
use crate::store::entity::{credential, user};

fn wrong() -> ControlError {
    ApiError::new(ErrorCode::Unauthorized, "wrong credentials").into()
}

/// Counts a failed sign-in against the account and the address (here and on the other servers),
/// logging a lock-out as it starts.
fn failed(rota: &Rota, keys: &[Key]) {
    rota.wake.tell_peers(|| crate::peers::Note::SignInFailed {
        keys: keys.to_vec(),
    });
    for locked in rota.throttle.failed(keys, Instant::now()) {
        tracing::warn!(
            who = %locked,
            window_secs = WINDOW.as_secs(),
            "{MAX_FAILURES} failed sign-ins: locked out for the rest of the window"
        );
    }
}

/// A sign-in succeeded: the account starts afresh, here and on the other servers.
fn succeeded(rota: &Rota, account: &Key) {
    rota.throttle.succeeded(account);
    rota.wake.tell_peers(|| crate::peers::Note::SignedIn {
        account: account.clone(),
    });
}

/// Checks a secret against a stored hash — or, when there is none (no such user or application),
/// against a hash of nothing in particular, so that the answer takes as long either way and its
/// time does not tell whether the name exists.
fn verify_or_pretend(hash: Option<&str>, secret: &str) -> bool {
    static DECOY: OnceLock<String> = OnceLock::new();
    match hash {
        Some(h) => verify_secret(h, secret),
        None => {
            let decoy = DECOY
                .get_or_init(|| hash_secret(&uuid::Uuid::new_v4().to_string()).unwrap_or_default());
            let _ = verify_secret(decoy, secret);
            false
        }
    }
}

/// Exchanges credentials for a bearer token.
///
/// `from` is the client's address when known: failures count against it as well as against the
/// account (`throttle`).
pub async fn token(
    rota: &Rota,
    req: &TokenRequest,
    from: Option<IpAddr>,
) -> ControlResult<TokenResponse> {
    let keys = |account: &str| {
        let mut keys = vec![Key::Account(account.to_owned())];
        keys.extend(from.map(Key::Address));
        keys
    };
    // The application signed in as, when it is one: its tokens go when it does.
    let mut credential = None;
    let principal = match req.grant_type.as_str() {
        "password" => {
            let (Some(username), Some(password)) = (&req.username, &req.password) else {
                return Err(ApiError::new(
                    ErrorCode::Unauthorized,
                    "the password grant needs username and password",
                )
                .into());
            };
            let keys = keys(username);
            rota.throttle
                .check(&keys, Instant::now())
                .map_err(ControlError::LockedOut)?;
            let u = user::Entity::find()
                .filter(user::Column::Username.eq(username))
                .one(&rota.store.db)
                .await?;
            let right = verify_or_pretend(u.as_ref().map(|u| u.password_hash.as_str()), password);
            let Some(u) = u.filter(|_| right) else {
                failed(rota, &keys);
                return Err(wrong());
            };
            succeeded(rota, &keys[0]);
            let role = Role::parse(&u.role)
                .ok_or_else(|| ControlError::Corrupt(format!("role {:?}", u.role)))?;
            Principal {
                user_id: Some(u.id),
                name: u.username,
                role,
            }
        }
        "app_token" | "client_credentials" => {
            let (id, secret) = if req.grant_type == "app_token" {
                (&req.app_id, &req.app_secret)
            } else {
                (&req.client_id, &req.client_secret)
            };
            let (Some(id), Some(secret)) = (id, secret) else {
                return Err(ApiError::new(
                    ErrorCode::Unauthorized,
                    format!("the {} grant needs an id and a secret", req.grant_type),
                )
                .into());
            };
            let keys = keys(id);
            rota.throttle
                .check(&keys, Instant::now())
                .map_err(ControlError::LockedOut)?;
            let c = credential::Entity::find()
                .filter(credential::Column::ClientId.eq(id))
                .one(&rota.store.db)
                .await?;
            let right = verify_or_pretend(c.as_ref().map(|c| c.secret_hash.as_str()), secret);
            let Some(c) = c.filter(|_| right) else {
                failed(rota, &keys);
                return Err(wrong());
            };
            succeeded(rota, &keys[0]);
            let role = Role::parse(&c.role)
                .ok_or_else(|| ControlError::Corrupt(format!("role {:?}", c.role)))?;
            credential = Some(c.id);
            Principal {
                user_id: c.user_id,
                name: c.name,
                role,
            }
        }
        other => {
            return Err(ApiError::invalid(
                "grantType",
                format!(
                    "{other:?} is not a grant type; use password, app_token or client_credentials"
                ),
            )
            .into());
        }
    };
    let access_token = rota.signer.issue_for(
        &principal,
        credential,
        chrono::Utc::now().timestamp_millis(),
    )?;
    Ok(TokenResponse { access_token })
}

/// A new token signing key (admin only): new tokens are signed with it, tokens signed with the
/// key it replaces go on working until they expire, tokens of any older key stop. Answers the
/// new key's id (the `kid` of tokens signed with it).
pub async fn rotate_signing_key(rota: &Rota, who: &Principal) -> ControlResult<String> {
    super::require_admin(who)?;
    let txn = rota.store.write().await?;
    let (id, key) = rota.signer.rotate(&txn).await?;
    txn.commit().await?;
    rota.signer.adopt(key);
    rota.wake.tell_peers(|| crate::peers::Note::Keys);
    tracing::info!(key = %id, by = %who.name, "the token signing key was rotated");
    Ok(id)
}

/// Signs out: the token stops working at once, here and after a restart. A token that is not
/// valid (expired, revoked, not Rota's) has nothing left to end.
pub async fn sign_out(rota: &Rota, token: &str) -> ControlResult<()> {
    let (_, facts) = rota.signer.verify_facts(token)?;
    let Some(id) = facts.id else {
        return Err(ApiError::invalid(
            "token",
            "this token was issued before tokens could be signed out; it ends when it expires",
        )
        .into());
    };
    let revoked = Revoke::Token {
        id,
        expires_at: facts.expires_at,
    };
    let txn = rota.store.write().await?;
    Revocations::write(&txn, &revoked).await?;
    txn.commit().await?;
    rota.revoked(&revoked);
    Ok(())
}
