//! The `compute_resources` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "compute_resources")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub uuid: String,
    pub name: String,
    pub scope_kind: String,
    pub scope_id: Option<i32>,
    pub gpu_devices: i32,
    pub gpu_portion_milli: Option<i32>,
    pub gpu_memory_mib: Option<i64>,
    pub cpu_millicores: i64,
    pub memory_mib: i64,
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
