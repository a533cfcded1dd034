//! Tokens refused before they expire: one that was signed out, and every token of a user or an
//! application issued up to the moment it was deleted (or, for an application, its secret
//! rotated). The store keeps them (`revocations`, written in the same transaction as the change
//! that revokes); this server keeps a copy in memory, so that checking a token stays a lookup.
//! A row goes once nothing it refuses could still be valid.

use std::collections::HashMap;
use std::sync::RwLock;

use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

use crate::auth::TOKEN_LIFETIME_SECS;
use crate::store::entity::revocation;

/// What a valid signature says about a token, as far as revocation goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenFacts {
    /// Its id (tokens issued before ids existed have none).
    pub id: Option<String>,
    /// The user it acts for.
    pub user_id: Option<i32>,
    /// The application it was issued to.
    pub credential_id: Option<i32>,
    /// When it was issued (Unix ms).
    pub issued_at_ms: i64,
    /// When it expires (Unix s).
    pub expires_at: i64,
}

/// One revocation.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Revoke {
    /// One token (signed out).
    Token {
        /// Its id.
        id: String,
        /// When it would have expired (Unix s).
        expires_at: i64,
    },
    /// Every token of a user issued up to `at_ms`.
    User {
        /// The user's row id.
        id: i32,
        /// Unix ms.
        at_ms: i64,
    },
    /// Every token of an application issued up to `at_ms`.
    Credential {
        /// The application's row id.
        id: i32,
        /// Unix ms.
        at_ms: i64,
    },
}

#[derive(Debug, Default)]
struct Refused {
    tokens: HashMap<String, i64>,
    users: HashMap<i32, i64>,
    credentials: HashMap<i32, i64>,
}

impl Refused {
    fn add(&mut self, r: &Revoke) {
        match r {
            Revoke::Token { id, expires_at } => {
                self.tokens.insert(id.clone(), *expires_at);
            }
            Revoke::User { id, at_ms } => {
                let up_to = self.users.entry(*id).or_default();
                *up_to = (*up_to).max(*at_ms);
            }
            Revoke::Credential { id, at_ms } => {
                let up_to = self.credentials.entry(*id).or_default();
                *up_to = (*up_to).max(*at_ms);
            }
        }
    }
}

/// The revocations this server knows.
#[derive(Debug, Default)]
pub struct Revocations {
    refused: RwLock<Refused>,
}

impl Revocations {
    /// Reads the store's revocations, first dropping those nothing can need any more.
    pub async fn load(db: &impl ConnectionTrait, now_secs: i64) -> Result<Self, DbErr> {
        revocation::Entity::delete_many()
            .filter(revocation::Column::ExpiresAt.lt(now_secs))
            .exec(db)
            .await?;
        let mut refused = Refused::default();
        for row in revocation::Entity::find().all(db).await? {
            let id = || row.subject.parse::<i32>().ok();
            let r = match row.kind.as_str() {
                "token" => Some(Revoke::Token {
                    id: row.subject.clone(),
                    expires_at: row.expires_at,
                }),
                "user" => id().map(|id| Revoke::User {
                    id,
                    at_ms: row.issued_up_to,
                }),
                "credential" => id().map(|id| Revoke::Credential {
                    id,
                    at_ms: row.issued_up_to,
                }),
                _ => None,
            };
            match r {
                Some(r) => refused.add(&r),
                None => tracing::warn!(?row, "a revocation Rota cannot read is ignored"),
            }
        }
        Ok(Revocations {
            refused: RwLock::new(refused),
        })
    }

    /// Writes a revocation in the caller's transaction; [`Revocations::apply`] it once committed.
    pub async fn write(db: &impl ConnectionTrait, r: &Revoke) -> Result<(), DbErr> {
        let lifetime_after = |at_ms: i64| at_ms / 1000 + TOKEN_LIFETIME_SECS + 1;
        let (kind, subject, issued_up_to, expires_at) = match r {
            Revoke::Token { id, expires_at } => ("token", id.clone(), 0, *expires_at),
            Revoke::User { id, at_ms } => ("user", id.to_string(), *at_ms, lifetime_after(*at_ms)),
            Revoke::Credential { id, at_ms } => {
                ("credential", id.to_string(), *at_ms, lifetime_after(*at_ms))
            }
        };
        revocation::Entity::insert(revocation::ActiveModel {
            id: NotSet,
            kind: Set(kind.into()),
            subject: Set(subject),
            issued_up_to: Set(issued_up_to),
            expires_at: Set(expires_at),
        })
        .exec(db)
        .await?;
        Ok(())
    }

    /// Refuses from now on what a committed revocation says.
    pub fn apply(&self, r: &Revoke) {
        if let Ok(mut refused) = self.refused.write() {
            refused.add(r);
        }
    }

    /// Adds what `read` (read again from the store) refuses to what this one does.
    pub fn merge(&self, read: Revocations) {
        let Ok(read) = read.refused.into_inner() else {
            return;
        };
        if let Ok(mut refused) = self.refused.write() {
            refused.tokens.extend(read.tokens);
            for (id, at) in read.users {
                let up_to = refused.users.entry(id).or_default();
                *up_to = (*up_to).max(at);
            }
            for (id, at) in read.credentials {
                let up_to = refused.credentials.entry(id).or_default();
                *up_to = (*up_to).max(at);
            }
        }
    }

    /// Why a token with a valid signature is refused, if it is.
    pub fn refuses(&self, t: &TokenFacts) -> Option<&'static str> {
        let refused = self.refused.read().ok()?;
        if t.id
            .as_ref()
            .is_some_and(|id| refused.tokens.contains_key(id))
        {
            return Some("this session was signed out; sign in again");
        }
        let up_to = |map: &HashMap<i32, i64>, id: Option<i32>| {
            id.and_then(|id| map.get(&id))
                .is_some_and(|&up_to| t.issued_at_ms <= up_to)
        };
        if up_to(&refused.credentials, t.credential_id) {
            return Some("the application's secret was rotated or it was deleted; sign in again");
        }
        if up_to(&refused.users, t.user_id) {
            return Some("the user was deleted");
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(id: &str, user: Option<i32>, app: Option<i32>, at_ms: i64) -> TokenFacts {
        TokenFacts {
            id: Some(id.into()),
            user_id: user,
            credential_id: app,
            issued_at_ms: at_ms,
            expires_at: at_ms / 1000 + TOKEN_LIFETIME_SECS,
        }
    }

    #[test]
    fn a_signed_out_token_is_refused_and_no_other() {
        let r = Revocations::default();
        r.apply(&Revoke::Token {
            id: "t1".into(),
            expires_at: 10,
        });
        assert!(r.refuses(&facts("t1", Some(1), None, 0)).is_some());
        assert_eq!(r.refuses(&facts("t2", Some(1), None, 0)), None);
    }

    #[test]
    fn a_user_or_application_revocation_refuses_what_came_before_it_only() {
        let r = Revocations::default();
        r.apply(&Revoke::User {
            id: 7,
            at_ms: 5_000,
        });
        r.apply(&Revoke::Credential {
            id: 3,
            at_ms: 9_000,
        });
        assert!(r.refuses(&facts("a", Some(7), None, 5_000)).is_some());
        assert_eq!(r.refuses(&facts("b", Some(7), None, 5_001)), None);
        assert!(r.refuses(&facts("c", Some(8), Some(3), 8_999)).is_some());
        assert_eq!(r.refuses(&facts("d", Some(8), Some(3), 9_001)), None);
        assert_eq!(r.refuses(&facts("e", Some(8), Some(4), 0)), None);
    }
}
