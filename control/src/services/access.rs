//! Users, their roles and projects, and application credentials (Run:ai's `/api/v1/apps` and
//! `/api/v1/user-applications`): a client id and a secret, shown once and stored hashed.

use rota_api::validate;
use rota_api::{ApiError, ErrorCode};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};

use super::org::find_project;
use super::{Rota, require_admin};
use crate::auth::{Principal, Role, hash_secret, random_secret};
use crate::error::{ControlError, ControlResult};
use crate::revocations::{Revocations, Revoke};
use crate::store::entity::{credential, user, user_project};
use crate::time::{now_ms, rfc3339};

/// A user as admins see them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct User {
    /// Row id, as a string.
    pub id: String,
    /// Sign-in name.
    pub username: String,
    /// `admin`, `researcher` or `viewer`.
    pub role: Role,
    /// Projects a researcher may submit to, by name.
    pub projects: Vec<String>,
    /// RFC 3339.
    pub created_at: String,
}

/// Creates a user (admin only).
pub async fn create_user(
    rota: &Rota,
    who: &Principal,
    username: &str,
    password: &str,
    role: Role,
    projects: &[String],
) -> ControlResult<User> {
    require_admin(who)?;
    validate::name("username", username)?;
    password_rule("password", password)?;
    let mut project_rows = Vec::with_capacity(projects.len());
    for (i, p) in projects.iter().enumerate() {
        match find_project(rota, p).await {
            Ok(row) => project_rows.push(row),
            Err(_) => {
                return Err(ApiError::invalid(
                    format!("projects[{i}]"),
                    format!("project {p} does not exist"),
                )
                .into());
            }
        }
    }
    let hash = hash_secret(password)?;
    let txn = rota.store.write().await?;
    if user::Entity::find()
        .filter(user::Column::Username.eq(username))
        .one(&txn)
        .await?
        .is_some()
    {
        return Err(ApiError::conflict(format!("a user called {username} already exists")).into());
    }
    let now = now_ms();
    let inserted = user::Entity::insert(user::ActiveModel {
        id: NotSet,
        username: Set(username.to_owned()),
        password_hash: Set(hash),
        role: Set(role.as_str().to_owned()),
        created_at: Set(now),
    })
    .exec(&txn)
    .await?;
    for p in &project_rows {
        user_project::Entity::insert(user_project::ActiveModel {
            user_id: Set(inserted.last_insert_id),
            project_id: Set(p.id),
        })
        .exec(&txn)
        .await?;
    }
    txn.commit().await?;
    Ok(User {
        id: inserted.last_insert_id.to_string(),
        username: username.to_owned(),
        role,
        projects: project_rows.into_iter().map(|p| p.name).collect(),
        created_at: rfc3339(now),
    })
}

/// A password: at least 8 characters.
fn password_rule(field: &str, password: &str) -> ControlResult<()> {
    if password.chars().count() < 8 {
        return Err(ApiError::invalid(field, "must be at least 8 characters").into());
    }
    Ok(())
}

/// A signed-in user changes their own password, giving the current one. A wrong current
/// password counts as a failed sign-in (it is throttled the same way); nothing changes then.
pub async fn change_password(
    rota: &Rota,
    who: &Principal,
    current: &str,
    new: &str,
) -> ControlResult<()> {
    let Some(uid) = who.user_id else {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "only a user (not an application) has a password to change",
        )
        .into());
    };
    password_rule("newPassword", new)?;
    let account = crate::services::throttle::Key::Account(who.name.clone());
    rota.throttle
        .check(std::slice::from_ref(&account), std::time::Instant::now())
        .map_err(ControlError::LockedOut)?;
    let txn = rota.store.write().await?;
    let u = user::Entity::find_by_id(uid)
        .one(&txn)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("user {} no longer exists", who.name)))?;
    if u.username != who.name {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "an application cannot change its user's password; sign in as the user",
        )
        .into());
    }
    if !crate::auth::verify_secret(&u.password_hash, current) {
        rota.throttle
            .failed(std::slice::from_ref(&account), std::time::Instant::now());
        // Forbidden, not invalid: the request is well formed, the caller does not prove who
        // they are.
        return Err(ApiError {
            code: ErrorCode::Forbidden,
            ..ApiError::invalid("currentPassword", "is not your current password")
        }
        .into());
    }
    let mut row: user::ActiveModel = u.into();
    row.password_hash = Set(hash_secret(new)?);
    user::Entity::update(row).exec(&txn).await?;
    txn.commit().await?;
    Ok(())
}

/// Every user (admin only).
pub async fn list_users(rota: &Rota, who: &Principal) -> ControlResult<Vec<User>> {
    require_admin(who)?;
    let db = &rota.store.db;
    let assignments = user_project::Entity::find().all(db).await?;
    let projects = super::org::list_projects(rota).await?.projects;
    user::Entity::find()
        .order_by_asc(user::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|u| {
            let role = Role::parse(&u.role)
                .ok_or_else(|| ControlError::Corrupt(format!("role {:?}", u.role)))?;
            let mine = assignments
                .iter()
                .filter(|a| a.user_id == u.id)
                .filter_map(|a| {
                    projects
                        .iter()
                        .find(|p| p.id == a.project_id.to_string())
                        .map(|p| p.name.clone())
                })
                .collect();
            Ok(User {
                id: u.id.to_string(),
                username: u.username,
                role,
                projects: mine,
                created_at: rfc3339(u.created_at),
            })
        })
        .collect()
}

/// An application's credentials; `secret` only in the answer to its creation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Application {
    /// Its id (a UUID).
    pub id: String,
    /// Its name.
    pub name: String,
    /// What it signs in with (`AppId` / `clientId`).
    pub client_id: String,
    /// The secret, shown once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// The user it acts for, if any.
    pub owner: Option<String>,
    /// The role it acts with.
    pub role: Role,
    /// RFC 3339.
    pub created_at: String,
}

async fn create_application(
    rota: &Rota,
    name: &str,
    owner: Option<i32>,
    role: Role,
) -> ControlResult<Application> {
    validate::name("name", name)?;
    let secret = random_secret();
    let hash = hash_secret(&secret)?;
    let txn = rota.store.write().await?;
    if credential::Entity::find()
        .filter(credential::Column::ClientId.eq(name))
        .one(&txn)
        .await?
        .is_some()
    {
        return Err(
            ApiError::conflict(format!("an application called {name} already exists")).into(),
        );
    }
    let uuid = uuid::Uuid::new_v4().to_string();
    let now = now_ms();
    credential::Entity::insert(credential::ActiveModel {
        id: NotSet,
        uuid: Set(uuid.clone()),
        name: Set(name.to_owned()),
        client_id: Set(name.to_owned()),
        secret_hash: Set(hash),
        user_id: Set(owner),
        role: Set(role.as_str().to_owned()),
        created_at: Set(now),
    })
    .exec(&txn)
    .await?;
    let owner_name = match owner {
        Some(id) => user::Entity::find_by_id(id)
            .one(&txn)
            .await?
            .map(|u| u.username),
        None => None,
    };
    txn.commit().await?;
    Ok(Application {
        id: uuid,
        name: name.to_owned(),
        client_id: name.to_owned(),
        secret: Some(secret),
        owner: owner_name,
        role,
        created_at: rfc3339(now),
    })
}

/// An application that acts as an admin (admin only).
pub async fn create_app(rota: &Rota, who: &Principal, name: &str) -> ControlResult<Application> {
    require_admin(who)?;
    create_application(rota, name, None, Role::Admin).await
}

/// An application of the caller's own, acting with the caller's role and projects.
pub async fn create_user_app(
    rota: &Rota,
    who: &Principal,
    name: &str,
) -> ControlResult<Application> {
    let Some(uid) = who.user_id else {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "only a user (not an application) may create user applications",
        )
        .into());
    };
    create_application(rota, name, Some(uid), who.role).await
}

/// Applications: an admin sees all, others their own.
pub async fn list_apps(rota: &Rota, who: &Principal) -> ControlResult<Vec<Application>> {
    let db = &rota.store.db;
    let users = user::Entity::find().all(db).await?;
    let mut q = credential::Entity::find().order_by_asc(credential::Column::Id);
    if who.role != Role::Admin {
        q = q.filter(credential::Column::UserId.eq(who.user_id.unwrap_or(-1)));
    }
    q.all(db)
        .await?
        .into_iter()
        .map(|c| {
            let owner = c.user_id.and_then(|id| {
                users
                    .iter()
                    .find(|u| u.id == id)
                    .map(|u| u.username.clone())
            });
            application_of(c, owner, None)
        })
        .collect()
}

/// An application row as the API shows it (`secret` only when just made).
fn application_of(
    c: credential::Model,
    owner: Option<String>,
    secret: Option<String>,
) -> ControlResult<Application> {
    Ok(Application {
        role: Role::parse(&c.role)
            .ok_or_else(|| ControlError::Corrupt(format!("role {:?}", c.role)))?,
        id: c.uuid,
        name: c.name,
        client_id: c.client_id,
        secret,
        owner,
        created_at: rfc3339(c.created_at),
    })
}

/// A new secret for an application, shown once; the old one stops working at once, and so do
/// the tokens issued with it. Its owner or an admin may.
pub async fn rotate_app_secret(
    rota: &Rota,
    who: &Principal,
    id: &str,
) -> ControlResult<Application> {
    let secret = random_secret();
    let hash = hash_secret(&secret)?;
    let txn = rota.store.write().await?;
    let c = owned_app(&txn, who, id).await?;
    let mut row: credential::ActiveModel = c.clone().into();
    row.secret_hash = Set(hash);
    credential::Entity::update(row).exec(&txn).await?;
    let revoked = Revoke::Credential {
        id: c.id,
        at_ms: now_ms(),
    };
    Revocations::write(&txn, &revoked).await?;
    let owner = match c.user_id {
        Some(uid) => user::Entity::find_by_id(uid)
            .one(&txn)
            .await?
            .map(|u| u.username),
        None => None,
    };
    txn.commit().await?;
    rota.revoked(&revoked);
    application_of(c, owner, Some(secret))
}

/// The application `id`, if the caller may manage it (its owner, or an admin).
async fn owned_app(
    txn: &impl sea_orm::ConnectionTrait,
    who: &Principal,
    id: &str,
) -> ControlResult<credential::Model> {
    let c = credential::Entity::find()
        .filter(credential::Column::Uuid.eq(id))
        .one(txn)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("application {id} does not exist")))?;
    if who.role != Role::Admin && (c.user_id.is_none() || c.user_id != who.user_id) {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            format!("application {} is not {}'s", c.name, who.name),
        )
        .into());
    }
    Ok(c)
}

/// Revokes an application: its secret and the tokens issued with it stop working at once.
pub async fn delete_app(rota: &Rota, who: &Principal, id: &str) -> ControlResult<()> {
    let txn = rota.store.write().await?;
    let c = owned_app(&txn, who, id).await?;
    credential::Entity::delete_by_id(c.id).exec(&txn).await?;
    let revoked = Revoke::Credential {
        id: c.id,
        at_ms: now_ms(),
    };
    Revocations::write(&txn, &revoked).await?;
    txn.commit().await?;
    rota.revoked(&revoked);
    Ok(())
}

/// Deletes a user (admin only; not oneself): their project memberships and applications go
/// with them, and every token of theirs or of their applications stops working at once. Their
/// workloads stay (they belong to projects).
pub async fn delete_user(rota: &Rota, who: &Principal, id: &str) -> ControlResult<()> {
    require_admin(who)?;
    let missing = || ApiError::not_found(format!("user {id} does not exist"));
    let uid: i32 = id.parse().map_err(|_| missing())?;
    if who.user_id == Some(uid) {
        return Err(ApiError::conflict("you cannot delete yourself; ask another admin").into());
    }
    let txn = rota.store.write().await?;
    let u = user::Entity::find_by_id(uid)
        .one(&txn)
        .await?
        .ok_or_else(missing)?;
    let at_ms = now_ms();
    let mut revoked = vec![Revoke::User { id: u.id, at_ms }];
    for c in credential::Entity::find()
        .filter(credential::Column::UserId.eq(u.id))
        .all(&txn)
        .await?
    {
        revoked.push(Revoke::Credential { id: c.id, at_ms });
    }
    credential::Entity::delete_many()
        .filter(credential::Column::UserId.eq(u.id))
        .exec(&txn)
        .await?;
    user_project::Entity::delete_many()
        .filter(user_project::Column::UserId.eq(u.id))
        .exec(&txn)
        .await?;
    user::Entity::delete_by_id(u.id).exec(&txn).await?;
    for r in &revoked {
        Revocations::write(&txn, r).await?;
    }
    txn.commit().await?;
    for r in &revoked {
        rota.revoked(r);
    }
    Ok(())
}
