//! Bearer tokens: HS256 JWTs with an id (`jti`, what signing out revokes), the application they
//! were issued to, and the id of the key that signed them (`kid` in the header). The keys live in
//! the store: the current one signs, the previous one still verifies, so that rotating the key
//! (an admin's `POST /api/v1/token-signing-key`) logs nobody out — a token signed two rotations
//! ago no longer verifies.

use std::sync::{Arc, RwLock};

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rota_api::{ApiError, ErrorCode};
use sea_orm::{ConnectionTrait, DbErr};
use serde::{Deserialize, Serialize};

use super::{Principal, Role, TOKEN_LIFETIME_SECS, random_secret};
use crate::revocations::TokenFacts;
use crate::store::settings;

const SIGNING_KEY: &str = "token_signing_key";
const SIGNING_KEY_ID: &str = "token_signing_key_id";
const PREVIOUS_KEY: &str = "token_signing_key_previous";
const PREVIOUS_KEY_ID: &str = "token_signing_key_previous_id";
/// The id of a key stored before keys had ids.
const FIRST_KEY_ID: &str = "1";

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    uid: Option<i32>,
    role: Role,
    iat: i64,
    exp: i64,
    /// The token's id: signing out revokes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    jti: Option<String>,
    /// The application it was issued to (its row id): deleting it, or rotating its secret,
    /// revokes its tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cid: Option<i32>,
    /// When it was issued, in ms (a revocation at the same second refuses only what came before).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    iat_ms: Option<i64>,
}

/// One signing key and its id.
#[derive(Clone)]
struct Key {
    id: String,
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl Key {
    fn new(id: &str, secret: &[u8]) -> Result<Key, ApiError> {
        let unusable = |_| ApiError::new(ErrorCode::Internal, "the token signing key is unusable");
        Ok(Key {
            id: id.to_owned(),
            encoding: EncodingKey::from_secret(secret).map_err(unusable)?,
            decoding: DecodingKey::from_secret(secret).map_err(unusable)?,
        })
    }
}

#[derive(Clone)]
struct Ring {
    current: Key,
    previous: Option<Key>,
}

/// Signs and checks tokens.
#[derive(Clone)]
pub struct Signer {
    ring: Arc<RwLock<Ring>>,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Signer(..)")
    }
}

fn new_secret() -> String {
    format!("{}{}", random_secret(), random_secret())
}

fn corrupt(e: ApiError) -> DbErr {
    DbErr::Custom(e.message)
}

/// The signing key and the one before it, as the store holds them.
async fn read_ring(db: &impl ConnectionTrait) -> Result<Ring, DbErr> {
    let secret = settings::get(db, SIGNING_KEY)
        .await?
        .ok_or_else(|| DbErr::Custom("the signing key is missing".into()))?;
    let id = settings::get(db, SIGNING_KEY_ID)
        .await?
        .unwrap_or_else(|| FIRST_KEY_ID.to_owned());
    let previous = match (
        settings::get(db, PREVIOUS_KEY).await?,
        settings::get(db, PREVIOUS_KEY_ID).await?,
    ) {
        (Some(secret), Some(id)) => Some(Key::new(&id, secret.as_bytes()).map_err(corrupt)?),
        _ => None,
    };
    Ok(Ring {
        current: Key::new(&id, secret.as_bytes()).map_err(corrupt)?,
        previous,
    })
}

impl Signer {
    /// The store's signing keys, the first made on first use.
    pub async fn load_or_create(db: &impl ConnectionTrait) -> Result<Self, DbErr> {
        if settings::get(db, SIGNING_KEY).await?.is_none() {
            settings::insert(db, SIGNING_KEY, &new_secret()).await?;
        }
        Ok(Signer {
            ring: Arc::new(RwLock::new(read_ring(db).await?)),
        })
    }

    /// Reads the keys again (another server rotated them).
    pub async fn reload(&self, db: &impl ConnectionTrait) -> Result<(), DbErr> {
        let ring = read_ring(db).await?;
        if let Ok(mut current) = self.ring.write() {
            *current = ring;
        }
        Ok(())
    }

    /// A signer over a given key (tests).
    pub fn from_key(key: &[u8]) -> Result<Self, ApiError> {
        Ok(Signer {
            ring: Arc::new(RwLock::new(Ring {
                current: Key::new(FIRST_KEY_ID, key)?,
                previous: None,
            })),
        })
    }

    fn ring(&self) -> Result<Ring, ApiError> {
        self.ring
            .read()
            .map(|r| r.clone())
            .map_err(|_| ApiError::new(ErrorCode::Internal, "the signing keys are unreadable"))
    }

    /// The id of the key that signs now.
    pub fn key_id(&self) -> Result<String, ApiError> {
        Ok(self.ring()?.current.id)
    }

    /// Makes a new signing key in the store (`db`: the caller's transaction); once that
    /// committed, [`Signer::adopt`] it: new tokens are signed with it, tokens of the key it
    /// replaces still verify, older ones no longer do. Answers the new key's id.
    pub async fn rotate(&self, db: &impl ConnectionTrait) -> Result<(String, RotatedKey), DbErr> {
        let ring = self.ring().map_err(corrupt)?;
        let old_secret = settings::get(db, SIGNING_KEY)
            .await?
            .ok_or_else(|| DbErr::Custom("the signing key is missing".into()))?;
        let next_id = ring.current.id.parse::<u64>().map_or_else(
            |_| uuid::Uuid::new_v4().simple().to_string(),
            |n| (n + 1).to_string(),
        );
        let secret = new_secret();
        settings::set(db, PREVIOUS_KEY, &old_secret).await?;
        settings::set(db, PREVIOUS_KEY_ID, &ring.current.id).await?;
        settings::set(db, SIGNING_KEY, &secret).await?;
        settings::set(db, SIGNING_KEY_ID, &next_id).await?;
        let key = Key::new(&next_id, secret.as_bytes()).map_err(corrupt)?;
        Ok((next_id, RotatedKey { key }))
    }

    /// Signs with the key [`Signer::rotate`] made, once its transaction committed.
    pub fn adopt(&self, rotated: RotatedKey) {
        if let Ok(mut ring) = self.ring.write() {
            let old = std::mem::replace(&mut ring.current, rotated.key);
            ring.previous = Some(old);
        }
    }

    /// A token for `principal`, valid for [`TOKEN_LIFETIME_SECS`].
    pub fn issue(&self, principal: &Principal, now_secs: i64) -> Result<String, ApiError> {
        self.issue_for(principal, None, now_secs * 1000)
    }

    /// A token for `principal` (signed in as the application `credential`, if any), with an id
    /// of its own, valid for [`TOKEN_LIFETIME_SECS`] from `now_ms`.
    pub fn issue_for(
        &self,
        principal: &Principal,
        credential: Option<i32>,
        now_ms: i64,
    ) -> Result<String, ApiError> {
        let now_secs = now_ms.div_euclid(1000);
        let claims = Claims {
            sub: principal.name.clone(),
            uid: principal.user_id,
            role: principal.role,
            iat: now_secs,
            exp: now_secs + TOKEN_LIFETIME_SECS,
            jti: Some(uuid::Uuid::new_v4().simple().to_string()),
            cid: credential,
            iat_ms: Some(now_ms),
        };
        let ring = self.ring()?;
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(ring.current.id.clone());
        jsonwebtoken::encode(&header, &claims, &ring.current.encoding)
            .map_err(|_| ApiError::new(ErrorCode::Internal, "could not sign the token"))
    }

    /// The principal of a valid, unexpired token.
    pub fn verify(&self, token: &str) -> Result<Principal, ApiError> {
        self.verify_facts(token).map(|(p, _)| p)
    }

    /// The principal of a valid, unexpired token, and what revocation needs to know of it.
    pub fn verify_facts(&self, token: &str) -> Result<(Principal, TokenFacts), ApiError> {
        let invalid = || {
            ApiError::new(
                ErrorCode::Unauthorized,
                "the token is not valid; sign in again",
            )
        };
        let header = jsonwebtoken::decode_header(token).map_err(|_| invalid())?;
        let ring = self.ring()?;
        // A token from before keys had ids was signed with the first key.
        let kid = header.kid.unwrap_or_else(|| FIRST_KEY_ID.to_owned());
        let key = if kid == ring.current.id {
            &ring.current
        } else if let Some(previous) = ring.previous.as_ref().filter(|p| p.id == kid) {
            previous
        } else {
            return Err(ApiError::new(
                ErrorCode::Unauthorized,
                "the token was signed with a key that has since been replaced; sign in again",
            ));
        };
        let data = jsonwebtoken::decode::<Claims>(
            token,
            &key.decoding,
            &Validation::new(Algorithm::HS256),
        )
        .map_err(|e| match e.kind() {
            jsonwebtoken::errors::ErrorKind::ExpiredSignature => ApiError::new(
                ErrorCode::Unauthorized,
                "the token has expired; sign in again",
            ),
            _ => invalid(),
        })?;
        let c = data.claims;
        let facts = TokenFacts {
            id: c.jti,
            user_id: c.uid,
            credential_id: c.cid,
            issued_at_ms: c.iat_ms.unwrap_or(c.iat * 1000),
            expires_at: c.exp,
        };
        Ok((
            Principal {
                user_id: c.uid,
                name: c.sub,
                role: c.role,
            },
            facts,
        ))
    }
}

/// A key made by [`Signer::rotate`], to [`Signer::adopt`] once stored.
pub struct RotatedKey {
    key: Key,
}

impl std::fmt::Debug for RotatedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RotatedKey({})", self.key.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn admin() -> Principal {
        Principal {
            user_id: Some(1),
            name: "admin".into(),
            role: Role::Admin,
        }
    }

    #[test]
    fn a_token_names_its_principal_until_it_expires() {
        let signer = Signer::from_key(b"k").expect("key");
        let now = chrono::Utc::now().timestamp();
        let token = signer.issue(&admin(), now).expect("signs");
        assert_eq!(signer.verify(&token).expect("valid"), admin());
        let old = signer
            .issue(&admin(), now - 2 * TOKEN_LIFETIME_SECS)
            .expect("signs");
        assert!(signer.verify(&old).unwrap_err().message.contains("expired"));
        assert!(
            Signer::from_key(b"other")
                .expect("key")
                .verify(&token)
                .is_err()
        );
    }

    #[test]
    fn after_a_rotation_the_previous_key_verifies_and_the_one_before_does_not() {
        let signer = Signer::from_key(b"k").expect("key");
        let now = chrono::Utc::now().timestamp();
        let first = signer.issue(&admin(), now).expect("signs");
        let second_key = Key::new("2", b"k2").expect("key");
        signer.adopt(RotatedKey { key: second_key });
        let second = signer.issue(&admin(), now).expect("signs");
        assert_eq!(signer.key_id().expect("id"), "2");
        assert!(
            signer.verify(&first).is_ok(),
            "the previous key still verifies"
        );
        signer.adopt(RotatedKey {
            key: Key::new("3", b"k3").expect("key"),
        });
        assert!(signer.verify(&second).is_ok());
        let refused = signer.verify(&first).unwrap_err();
        assert!(refused.message.contains("replaced"), "{refused:?}");
    }
}
