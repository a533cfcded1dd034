//! Tokens that no longer work before they expire: one signed out (`token`, by its id), or every
//! token of a user or an application issued up to a time (`user` / `credential`, by row id: the
//! user or application was deleted, or the application's secret rotated). A row is kept until no
//! token it refuses could still be valid (`expires_at`, Unix seconds), then pruned.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Revocations {
    Table,
    Id,
    Kind,
    Subject,
    IssuedUpTo,
    ExpiresAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Revocations::Table)
                .col(pk_auto(Revocations::Id))
                .col(string(Revocations::Kind))
                .col(string(Revocations::Subject))
                .col(big_integer(Revocations::IssuedUpTo))
                .col(big_integer(Revocations::ExpiresAt))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Revocations::Table).to_owned())
            .await
    }
}
