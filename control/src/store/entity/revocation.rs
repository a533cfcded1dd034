//! The `revocations` table: tokens refused before they expire.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "revocations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// `token` (one token, by its id), `user` or `credential` (every token of it, by row id).
    pub kind: String,
    /// The token's id, or the user's or application's row id.
    pub subject: String,
    /// Tokens of a user or an application issued at or before this (Unix seconds) are refused.
    pub issued_up_to: i64,
    /// After this (Unix seconds) no token it refuses is valid anyway: the row can go.
    pub expires_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
