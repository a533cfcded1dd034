//! Pods with a life of their own on real executors: a pod is Starting until the executor confirms
//! it, Running, then Terminating — still holding its GPUs — until the executor says it is gone.
//! A pod moved or restarted is a new attempt of the same index, so the unique key gains the
//! attempt. A stopping pod remembers whom its GPUs are freed for. Nodes are up or down (as the
//! executor reports them); a workload may set its stop grace period, and counts its starts so
//! that every attempt of a pod has a name of its own.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Pods {
    Table,
    WorkloadId,
    PodIndex,
    State,
    Attempt,
    FreedFor,
    FreedBy,
    Devices,
    StopRequestedAt,
}

#[derive(DeriveIden)]
enum Nodes {
    Table,
    State,
    StateReason,
}

#[derive(DeriveIden)]
enum Workloads {
    Table,
    GracePeriodSecs,
    Attempts,
}

const OLD_INDEX: &str = "ux_pods_workload_index";
const NEW_INDEX: &str = "ux_pods_workload_index_attempt";

/// SQLite alters one column per statement.
async fn add(
    m: &SchemaManager<'_>,
    table: impl IntoIden,
    column: &mut ColumnDef,
) -> Result<(), DbErr> {
    m.alter_table(Table::alter().table(table).add_column(column).to_owned())
        .await
}

async fn drop(
    m: &SchemaManager<'_>,
    table: impl IntoIden,
    column: impl IntoIden,
) -> Result<(), DbErr> {
    m.alter_table(Table::alter().table(table).drop_column(column).to_owned())
        .await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        add(m, Pods::Table, string(Pods::State).default("Running")).await?;
        add(m, Pods::Table, integer(Pods::Attempt).default(0)).await?;
        add(m, Pods::Table, &mut integer_null(Pods::FreedFor)).await?;
        add(m, Pods::Table, &mut string_null(Pods::FreedBy)).await?;
        add(m, Pods::Table, &mut text_null(Pods::Devices)).await?;
        add(m, Pods::Table, &mut big_integer_null(Pods::StopRequestedAt)).await?;
        add(m, Nodes::Table, string(Nodes::State).default("up")).await?;
        add(m, Nodes::Table, &mut text_null(Nodes::StateReason)).await?;
        add(
            m,
            Workloads::Table,
            &mut integer_null(Workloads::GracePeriodSecs),
        )
        .await?;
        add(m, Workloads::Table, integer(Workloads::Attempts).default(0)).await?;
        m.drop_index(Index::drop().name(OLD_INDEX).table(Pods::Table).to_owned())
            .await?;
        m.create_index(
            Index::create()
                .name(NEW_INDEX)
                .table(Pods::Table)
                .col(Pods::WorkloadId)
                .col(Pods::PodIndex)
                .col(Pods::Attempt)
                .unique()
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(Index::drop().name(NEW_INDEX).table(Pods::Table).to_owned())
            .await?;
        // Only the newest attempt of each pod fits the old key; stopping pods are forgotten.
        let db = m.get_connection();
        db.execute_unprepared("DELETE FROM pods WHERE state = 'Terminating'")
            .await?;
        m.create_index(
            Index::create()
                .name(OLD_INDEX)
                .table(Pods::Table)
                .col(Pods::WorkloadId)
                .col(Pods::PodIndex)
                .unique()
                .to_owned(),
        )
        .await?;
        drop(m, Workloads::Table, Workloads::Attempts).await?;
        drop(m, Workloads::Table, Workloads::GracePeriodSecs).await?;
        drop(m, Nodes::Table, Nodes::StateReason).await?;
        drop(m, Nodes::Table, Nodes::State).await?;
        for c in [
            Pods::StopRequestedAt,
            Pods::Devices,
            Pods::FreedBy,
            Pods::FreedFor,
            Pods::Attempt,
            Pods::State,
        ] {
            drop(m, Pods::Table, c).await?;
        }
        Ok(())
    }
}
