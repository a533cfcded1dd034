//! Live workloads in name order, for the Workloads page sorted by name: without it the store sorts
//! every live workload to show fifty.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // Partial indexes read the same on SQLite and PostgreSQL.
        m.get_connection()
            .execute_unprepared(
                "CREATE INDEX ix_workloads_live_by_name ON workloads (cluster_id, name, id) \
                 WHERE ended_at IS NULL",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.get_connection()
            .execute_unprepared("DROP INDEX ix_workloads_live_by_name")
            .await?;
        Ok(())
    }
}
