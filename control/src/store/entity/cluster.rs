//! The `clusters` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "clusters")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub uuid: String,
    pub name: String,
    pub created_at: i64,
    /// Time-based fair share's k (0: off).
    pub k_value: f64,
    /// Usage older than this is forgotten.
    pub usage_window_secs: i64,
    /// Usage this old counts half; none: no decay.
    pub half_life_secs: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
