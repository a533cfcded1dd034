//! Time-based fair share and the cluster's history: each cluster's settings (`k_value`, the usage
//! window, an optional half life), and per project and node pool, in buckets of a minute and of
//! an hour, the integrals of what it held, deserved and was fairly due (GPU-seconds). Rows of
//! project 0 are a whole pool's (its capacity; with pool 0, the pending workloads). The loop
//! prunes minute rows after a few hours and hour rows past the retention.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ProjectUsage {
    Table,
    ProjectId,
    NodePoolId,
    SpanMs,
    BucketStartMs,
    GpuSecs,
    DeservedGpuSecs,
    FairShareGpuSecs,
    CapacityGpuSecs,
    PendingSecs,
    LongestWaitSecs,
    CoveredSecs,
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
                .col(big_integer(ProjectUsage::SpanMs))
                .col(big_integer(ProjectUsage::BucketStartMs))
                .col(double(ProjectUsage::GpuSecs))
                .col(double(ProjectUsage::DeservedGpuSecs))
                .col(double(ProjectUsage::FairShareGpuSecs))
                .col(double(ProjectUsage::CapacityGpuSecs))
                .col(double(ProjectUsage::PendingSecs))
                .col(double(ProjectUsage::LongestWaitSecs))
                .col(double(ProjectUsage::CoveredSecs))
                .primary_key(
                    Index::create()
                        .col(ProjectUsage::ProjectId)
                        .col(ProjectUsage::NodePoolId)
                        .col(ProjectUsage::SpanMs)
                        .col(ProjectUsage::BucketStartMs),
                )
                .to_owned(),
        )
        .await?;
        // Charts read, and pruning deletes, one resolution's buckets by time.
        m.create_index(
            Index::create()
                .name("ix_project_usage_span_bucket")
                .table(ProjectUsage::Table)
                .col(ProjectUsage::SpanMs)
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
