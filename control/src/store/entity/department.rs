//! The `departments` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "departments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub cluster_id: i32,
    pub name: String,
    pub parent_id: Option<i32>,
    pub created_at: i64,
    /// Seconds its workloads run before preemption (or consolidation) may take them; null
    /// inherits.
    pub preempt_min_runtime_secs: Option<i64>,
    /// Seconds its workloads run before another project may reclaim them; null inherits.
    pub reclaim_min_runtime_secs: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
