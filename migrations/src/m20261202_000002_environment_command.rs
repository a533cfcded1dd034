//! An environment says what it runs, as Run:ai's environment assets do: a command, its arguments
//! and environment variables (JSON `[{name, value}]`), which a workload made from it inherits
//! unless it sets its own.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Environments {
    Table,
    Command,
    Args,
    EnvJson,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column per statement.
        for column in [
            &mut text_null(Environments::Command),
            &mut text_null(Environments::Args),
            text(Environments::EnvJson).default("[]"),
        ] {
            m.alter_table(
                Table::alter()
                    .table(Environments::Table)
                    .add_column(column)
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            Environments::EnvJson,
            Environments::Args,
            Environments::Command,
        ] {
            m.alter_table(
                Table::alter()
                    .table(Environments::Table)
                    .drop_column(column)
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}
