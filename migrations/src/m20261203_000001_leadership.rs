//! Who runs a cluster's scheduling loop when several servers share one PostgreSQL store: a lease
//! per cluster. `term` grows by one at every change of leader and fences the loop's writes (a
//! leader commits only while the row still holds its term); `expires_at` is Unix ms on the
//! database's clock, renewed by the leader and taken over by a follower once it passed.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum LeaderLease {
    Table,
    ClusterId,
    Term,
    Holder,
    ExpiresAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(LeaderLease::Table)
                .col(integer(LeaderLease::ClusterId).primary_key())
                .col(big_integer(LeaderLease::Term))
                .col(string(LeaderLease::Holder))
                .col(big_integer(LeaderLease::ExpiresAt))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(LeaderLease::Table).to_owned())
            .await
    }
}
