//! The `nodes` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "nodes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub cluster_id: i32,
    pub node_pool_id: i32,
    pub name: String,
    pub gpus: i32,
    pub gpu_memory_mib: i64,
    pub cpu_millicores: i64,
    pub memory_mib: i64,
    /// `up` or `down`, as the executor last reported it.
    pub state: String,
    /// Why it is down.
    #[sea_orm(column_type = "Text", nullable)]
    pub state_reason: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
