//! The `project_usage` table: per project and node pool, in buckets of a minute or an hour, the
//! GPU-seconds it held, deserved and was fairly due. Project 0 is a whole pool (its capacity);
//! project 0 in pool 0 holds the pending workloads.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "project_usage")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub project_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub node_pool_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub span_ms: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub bucket_start_ms: i64,
    /// GPUs held, integrated over the bucket.
    pub gpu_secs: f64,
    /// Deserved quota, likewise.
    pub deserved_gpu_secs: f64,
    /// Fair share, likewise.
    pub fair_share_gpu_secs: f64,
    /// The pool's GPUs, likewise (pool rows).
    pub capacity_gpu_secs: f64,
    /// Pending workloads, likewise (the pending row).
    pub pending_secs: f64,
    /// The longest any workload had waited, at its longest in the bucket (the pending row).
    pub longest_wait_secs: f64,
    /// How much of the bucket the integrals cover (their averages divide by it).
    pub covered_secs: f64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
