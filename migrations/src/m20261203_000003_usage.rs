//! Time-based fair share: each cluster's settings (`k_value`, the usage window, an optional half
//! life), and past GPU usage per project and node pool in hourly buckets. Rows older than the
//! retention are pruned by the loop.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ProjectUsage {
    Table,
    ProjectId,
    NodePoolId,
    BucketStartMs,
    GpuSecs,
}

#[derive(DeriveIden)]
enum Clusters {
    Table,
    KValue,
    UsageWindowSecs,
    HalfLifeSecs,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column per statement.
        for column in [
            double(Clusters::KValue).default(0.0).to_owned(),
            big_integer(Clusters::UsageWindowSecs)
                .default(7 * 24 * 3600)
                .to_owned(),
            big_integer_null(Clusters::HalfLifeSecs),
        ] {
            m.alter_table(
                Table::alter()
                    .table(Clusters::Table)
                    .add_column(column)
                    .to_owned(),
            )
            .await?;
        }
        m.create_table(
            Table::create()
                .table(ProjectUsage::Table)
                .col(integer(ProjectUsage::ProjectId))
                .col(integer(ProjectUsage::NodePoolId))
                .col(big_integer(ProjectUsage::BucketStartMs))
                .col(double(ProjectUsage::GpuSecs))
                .primary_key(
                    Index::create()
                        .col(ProjectUsage::ProjectId)
                        .col(ProjectUsage::NodePoolId)
                        .col(ProjectUsage::BucketStartMs),
                )
                .to_owned(),
        )
        .await?;
        // Pruning walks the oldest buckets first.
        m.create_index(
            Index::create()
                .name("ix_project_usage_bucket")
                .table(ProjectUsage::Table)
                .col(ProjectUsage::BucketStartMs)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(ProjectUsage::Table).to_owned())
            .await?;
        for column in [
            Clusters::HalfLifeSecs,
            Clusters::UsageWindowSecs,
            Clusters::KValue,
        ] {
            m.alter_table(
                Table::alter()
                    .table(Clusters::Table)
                    .drop_column(column)
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}
