//! A workload says where it may run and how its pods work together: `node_pools` (JSON list of
//! pool names, in order of preference; empty = any pool) and `framework` (a distributed
//! training's framework — `PyTorch`, `TF`, `MPI`, `XGBoost` or `JAX` — whose pods get a master's
//! address, a world size and a rank; none for a single-pod workload).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Workloads {
    Table,
    NodePools,
    Framework,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column per statement.
        for column in [
            text(Workloads::NodePools).default("[]"),
            &mut string_null(Workloads::Framework),
        ] {
            m.alter_table(
                Table::alter()
                    .table(Workloads::Table)
                    .add_column(column)
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for column in [Workloads::Framework, Workloads::NodePools] {
            m.alter_table(
                Table::alter()
                    .table(Workloads::Table)
                    .drop_column(column)
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}
