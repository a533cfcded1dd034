//! Small named values the server keeps across restarts (the token signing key).

use sea_orm::{ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait};

use super::entity::setting;

/// The value of `key`, if set.
pub async fn get(db: &impl ConnectionTrait, key: &str) -> Result<Option<String>, DbErr> {
    Ok(setting::Entity::find_by_id(key.to_owned())
        .one(db)
        .await?
        .map(|s| s.value))
}

/// Sets `key` (inserting it).
pub async fn insert(db: &impl ConnectionTrait, key: &str, value: &str) -> Result<(), DbErr> {
    setting::Entity::insert(setting::ActiveModel {
        key: Set(key.to_owned()),
        value: Set(value.to_owned()),
    })
    .exec(db)
    .await?;
    Ok(())
}

/// Sets `key`, inserting it or replacing its value.
pub async fn set(db: &impl ConnectionTrait, key: &str, value: &str) -> Result<(), DbErr> {
    let row = setting::ActiveModel {
        key: Set(key.to_owned()),
        value: Set(value.to_owned()),
    };
    if get(db, key).await?.is_some() {
        setting::Entity::update(row).exec(db).await?;
    } else {
        setting::Entity::insert(row).exec(db).await?;
    }
    Ok(())
}
