//! The `pods` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "pods")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub workload_id: i32,
    pub pod_index: i32,
    pub node_id: i32,
    #[sea_orm(column_type = "Text")]
    pub gpu_slots: String,
    pub started_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
