//! Rota's schema. Migrations run at start; each has `up` and `down`.

pub use sea_orm_migration::prelude::*;

mod m20261129_000001_initial;
mod m20261130_000001_phase_since;
mod m20261130_000002_live_name_order;
mod m20261202_000001_pod_lifecycle;
mod m20261202_000002_environment_command;
mod m20261202_000003_distributed;
mod m20261202_000004_revocations;
mod m20261203_000001_leadership;
mod m20261203_000002_min_runtime;
mod m20261203_000003_usage;

/// Every migration, oldest first.
#[derive(Debug)]
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261129_000001_initial::Migration),
            Box::new(m20261130_000001_phase_since::Migration),
            Box::new(m20261130_000002_live_name_order::Migration),
            Box::new(m20261202_000001_pod_lifecycle::Migration),
            Box::new(m20261202_000002_environment_command::Migration),
            Box::new(m20261202_000003_distributed::Migration),
            Box::new(m20261202_000004_revocations::Migration),
            Box::new(m20261203_000001_leadership::Migration),
            Box::new(m20261203_000002_min_runtime::Migration),
            Box::new(m20261203_000003_usage::Migration),
        ]
    }
}
