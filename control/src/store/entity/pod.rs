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
    /// `Starting` (asked to start), `Running` (the executor confirmed it) or `Terminating`
    /// (asked to stop; still holds its GPUs until the executor says it is gone).
    pub state: String,
    /// Which start of this pod index it is: a moved or restarted pod is a new attempt.
    pub attempt: i32,
    /// A stopping pod: the workload its GPUs are freed for.
    pub freed_for: Option<i32>,
    /// And by which action (`reclaim`, `preempt`, `consolidate`).
    pub freed_by: Option<String>,
    /// The devices the executor reports it gave (Slurm chooses its own), as JSON.
    #[sea_orm(column_type = "Text", nullable)]
    pub devices: Option<String>,
    /// When it was asked to stop (Unix ms).
    pub stop_requested_at: Option<i64>,
}

/// The pod states.
pub mod state {
    /// Asked to start, not confirmed yet.
    pub const STARTING: &str = "Starting";
    /// The executor confirmed it runs.
    pub const RUNNING: &str = "Running";
    /// Asked to stop; holds its GPUs until it is gone.
    pub const TERMINATING: &str = "Terminating";
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
