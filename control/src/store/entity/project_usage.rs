//! The `project_usage` table: GPU-seconds a project used in a node pool, per hourly bucket.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "project_usage")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub project_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub node_pool_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub bucket_start_ms: i64,
    pub gpu_secs: f64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
