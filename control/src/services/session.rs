//! Signing in: `POST /api/v1/token` in all its grant types.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rota_api::wire::{TokenRequest, TokenResponse};
use rota_api::{ApiError, ErrorCode};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::Rota;
use crate::auth::{Principal, Role, verify_secret};
use crate::error::{ControlError, ControlResult};
use crate::store::entity::{credential, user};

fn wrong() -> ControlError {
    ApiError::new(ErrorCode::Unauthorized, "wrong credentials").into()
}

/// Failed sign-ins allowed per name within [`THROTTLE_WINDOW`] before further tries are refused.
pub const MAX_FAILURES: u32 = 5;
/// How long failures are remembered.
pub const THROTTLE_WINDOW: Duration = Duration::from_secs(60);

/// Slows down guessing: after [`MAX_FAILURES`] failed sign-ins for one name, that name is refused
/// (429) until the window has passed since its first failure.
#[derive(Debug, Default)]
pub struct Throttle {
    failures: Mutex<BTreeMap<String, (u32, Instant)>>,
}

impl Throttle {
    fn check(&self, name: &str) -> ControlResult<()> {
        let Ok(mut failures) = self.failures.lock() else {
            return Ok(());
        };
        if let Some((count, since)) = failures.get(name).copied() {
            let age = since.elapsed();
            if age >= THROTTLE_WINDOW {
                failures.remove(name);
            } else if count >= MAX_FAILURES {
                let wait = (THROTTLE_WINDOW - age).as_secs() + 1;
                return Err(ApiError::new(
                    ErrorCode::TooManyRequests,
                    format!("too many failed sign-ins for {name}; try again in {wait} s"),
                )
                .into());
            }
        }
        Ok(())
    }

    fn record(&self, name: &str, ok: bool) {
        let Ok(mut failures) = self.failures.lock() else {
            return;
        };
        if ok {
            failures.remove(name);
        } else {
            let entry = failures
                .entry(name.to_owned())
                .or_insert((0, Instant::now()));
            entry.0 += 1;
        }
    }
}

/// Exchanges credentials for a bearer token.
pub async fn token(rota: &Rota, req: &TokenRequest) -> ControlResult<TokenResponse> {
    let principal = match req.grant_type.as_str() {
        "password" => {
            let (Some(username), Some(password)) = (&req.username, &req.password) else {
                return Err(ApiError::invalid(
                    "username",
                    "the password grant needs username and password",
                )
                .into());
            };
            rota.throttle.check(username)?;
            let u = user::Entity::find()
                .filter(user::Column::Username.eq(username))
                .one(&rota.store.db)
                .await?;
            let u = u.filter(|u| verify_secret(&u.password_hash, password));
            rota.throttle.record(username, u.is_some());
            let Some(u) = u else {
                return Err(wrong());
            };
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
                return Err(ApiError::invalid(
                    "grantType",
                    format!("the {} grant needs an id and a secret", req.grant_type),
                )
                .into());
            };
            rota.throttle.check(id)?;
            let c = credential::Entity::find()
                .filter(credential::Column::ClientId.eq(id))
                .one(&rota.store.db)
                .await?;
            let c = c.filter(|c| verify_secret(&c.secret_hash, secret));
            rota.throttle.record(id, c.is_some());
            let Some(c) = c else {
                return Err(wrong());
            };
            let role = Role::parse(&c.role)
                .ok_or_else(|| ControlError::Corrupt(format!("role {:?}", c.role)))?;
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
    let access_token = rota
        .signer
        .issue(&principal, chrono::Utc::now().timestamp())?;
    Ok(TokenResponse { access_token })
}
