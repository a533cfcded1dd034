//! The `quotas` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "quotas")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub unit_kind: String,
    pub unit_id: i32,
    pub node_pool_id: i32,
    pub deserved_milli: i64,
    pub limit_milli: Option<i64>,
    pub over_quota_weight: i32,
    pub rank: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
