//! Guaranteed minimum runtimes (KAI-Scheduler's `preemptMinRuntime` and `reclaimMinRuntime`) of
//! projects and departments, in seconds; null inherits from the department above.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Projects {
    Table,
}

#[derive(DeriveIden)]
enum Departments {
    Table,
}

#[derive(DeriveIden)]
enum Columns {
    PreemptMinRuntimeSecs,
    ReclaimMinRuntimeSecs,
}

fn tables() -> [DynIden; 2] {
    [Projects::Table.into_iden(), Departments::Table.into_iden()]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column per statement.
        for table in tables() {
            for column in [
                Columns::PreemptMinRuntimeSecs,
                Columns::ReclaimMinRuntimeSecs,
            ] {
                m.alter_table(
                    Table::alter()
                        .table(table.clone())
                        .add_column(big_integer_null(column))
                        .to_owned(),
                )
                .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in tables() {
            for column in [
                Columns::ReclaimMinRuntimeSecs,
                Columns::PreemptMinRuntimeSecs,
            ] {
                m.alter_table(
                    Table::alter()
                        .table(table.clone())
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
            }
        }
        Ok(())
    }
}
