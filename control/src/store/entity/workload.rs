//! The `workloads` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "workloads")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub uuid: String,
    pub name: String,
    pub cluster_id: i32,
    pub project_id: i32,
    pub kind: String,
    pub image: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub command: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub args: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub env_json: String,
    pub pods: i32,
    pub min_pods: i32,
    pub gpu_kind: String,
    pub gpu_amount: i64,
    pub cpu_millicores: i64,
    pub memory_mib: i64,
    pub priority: i32,
    pub preemptible: bool,
    pub duration_secs: Option<i64>,
    pub phase: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub phase_reason: Option<String>,
    pub nominated: bool,
    pub created_at: i64,
    pub started_at: Option<i64>,
    pub ended_at: Option<i64>,
    /// When it entered its phase (submitted, preempted, started).
    pub phase_since: Option<i64>,
    /// Seconds a pod has between SIGTERM and SIGKILL (default 30).
    pub grace_period_secs: Option<i32>,
    /// How many times it was bound: the next start's attempt number.
    pub attempts: i32,
    /// Node pools it may run in, in order of preference (JSON list; empty = any).
    #[sea_orm(column_type = "Text")]
    pub node_pools: String,
    /// A distributed training's framework (`PyTorch`, `TF`, `MPI`, `XGBoost`, `JAX`).
    pub framework: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
