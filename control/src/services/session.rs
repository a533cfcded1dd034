//! Signing in: `POST /api/v1/token` in all its grant types.

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
            let u = user::Entity::find()
                .filter(user::Column::Username.eq(username))
                .one(&rota.store.db)
                .await?;
            let Some(u) = u.filter(|u| verify_secret(&u.password_hash, password)) else {
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
            let c = credential::Entity::find()
                .filter(credential::Column::ClientId.eq(id))
                .one(&rota.store.db)
                .await?;
            let Some(c) = c.filter(|c| verify_secret(&c.secret_hash, secret)) else {
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
