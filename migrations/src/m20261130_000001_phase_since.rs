//! When a workload entered its current phase: a pending workload's waiting time counts from its
//! submission or from its last preemption, which `created_at` and `started_at` cannot tell.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Workloads {
    Table,
    PhaseSince,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Workloads::Table)
                .add_column(big_integer_null(Workloads::PhaseSince))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Workloads::Table)
                .drop_column(Workloads::PhaseSince)
                .to_owned(),
        )
        .await
    }
}
