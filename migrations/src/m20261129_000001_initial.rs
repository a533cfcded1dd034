//! The first schema: the cluster and its nodes, the org tree with quotas, users and credentials,
//! assets, workloads with their pods, and events.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Settings {
    Table,
    Key,
    Value,
}

#[derive(DeriveIden)]
enum Clusters {
    Table,
    Id,
    Uuid,
    Name,
    CreatedAt,
}

#[derive(DeriveIden)]
enum NodePools {
    Table,
    Id,
    ClusterId,
    Name,
    Placement,
}

#[derive(DeriveIden)]
enum Nodes {
    Table,
    Id,
    ClusterId,
    NodePoolId,
    Name,
    Gpus,
    GpuMemoryMib,
    CpuMillicores,
    MemoryMib,
}

#[derive(DeriveIden)]
enum Departments {
    Table,
    Id,
    ClusterId,
    Name,
    ParentId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Projects {
    Table,
    Id,
    ClusterId,
    Name,
    DepartmentId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Quotas {
    Table,
    Id,
    UnitKind,
    UnitId,
    NodePoolId,
    DeservedMilli,
    LimitMilli,
    OverQuotaWeight,
    Rank,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Username,
    PasswordHash,
    Role,
    CreatedAt,
}

#[derive(DeriveIden)]
enum UserProjects {
    Table,
    UserId,
    ProjectId,
}

#[derive(DeriveIden)]
enum Credentials {
    Table,
    Id,
    Uuid,
    Name,
    ClientId,
    SecretHash,
    UserId,
    Role,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Environments {
    Table,
    Id,
    Uuid,
    Name,
    ScopeKind,
    ScopeId,
    Image,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ComputeResources {
    Table,
    Id,
    Uuid,
    Name,
    ScopeKind,
    ScopeId,
    GpuDevices,
    GpuPortionMilli,
    GpuMemoryMib,
    CpuMillicores,
    MemoryMib,
    CreatedAt,
}

#[derive(DeriveIden)]
enum WorkloadTemplates {
    Table,
    Id,
    Uuid,
    Name,
    ScopeKind,
    ScopeId,
    Kind,
    EnvironmentId,
    ComputeId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Workloads {
    Table,
    Id,
    Uuid,
    Name,
    ClusterId,
    ProjectId,
    Kind,
    Image,
    Command,
    Args,
    EnvJson,
    Pods,
    MinPods,
    GpuKind,
    GpuAmount,
    CpuMillicores,
    MemoryMib,
    Priority,
    Preemptible,
    DurationSecs,
    Phase,
    PhaseReason,
    Nominated,
    CreatedAt,
    StartedAt,
    EndedAt,
}

#[derive(DeriveIden)]
enum Pods {
    Table,
    Id,
    WorkloadId,
    PodIndex,
    NodeId,
    GpuSlots,
    StartedAt,
}

#[derive(DeriveIden)]
enum Events {
    Table,
    Id,
    WorkloadId,
    Kind,
    Message,
    CreatedAt,
}

fn fk(
    name: &str,
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from.0, from.1)
        .to(to.0, to.1)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Settings::Table)
                .col(string(Settings::Key).primary_key())
                .col(text(Settings::Value))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Clusters::Table)
                .col(pk_auto(Clusters::Id))
                .col(string_uniq(Clusters::Uuid))
                .col(string_uniq(Clusters::Name))
                .col(big_integer(Clusters::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(NodePools::Table)
                .col(pk_auto(NodePools::Id))
                .col(integer(NodePools::ClusterId))
                .col(string(NodePools::Name))
                .col(string(NodePools::Placement))
                .foreign_key(&mut fk(
                    "fk_node_pools_cluster",
                    (NodePools::Table, NodePools::ClusterId),
                    (Clusters::Table, Clusters::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_node_pools_name")
                .table(NodePools::Table)
                .col(NodePools::ClusterId)
                .col(NodePools::Name)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Nodes::Table)
                .col(pk_auto(Nodes::Id))
                .col(integer(Nodes::ClusterId))
                .col(integer(Nodes::NodePoolId))
                .col(string(Nodes::Name))
                .col(integer(Nodes::Gpus))
                .col(big_integer(Nodes::GpuMemoryMib))
                .col(big_integer(Nodes::CpuMillicores))
                .col(big_integer(Nodes::MemoryMib))
                .foreign_key(&mut fk(
                    "fk_nodes_cluster",
                    (Nodes::Table, Nodes::ClusterId),
                    (Clusters::Table, Clusters::Id),
                ))
                .foreign_key(&mut fk(
                    "fk_nodes_pool",
                    (Nodes::Table, Nodes::NodePoolId),
                    (NodePools::Table, NodePools::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_nodes_name")
                .table(Nodes::Table)
                .col(Nodes::ClusterId)
                .col(Nodes::Name)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Departments::Table)
                .col(pk_auto(Departments::Id))
                .col(integer(Departments::ClusterId))
                .col(string(Departments::Name))
                .col(integer_null(Departments::ParentId))
                .col(big_integer(Departments::CreatedAt))
                .foreign_key(&mut fk(
                    "fk_departments_cluster",
                    (Departments::Table, Departments::ClusterId),
                    (Clusters::Table, Clusters::Id),
                ))
                .foreign_key(&mut fk(
                    "fk_departments_parent",
                    (Departments::Table, Departments::ParentId),
                    (Departments::Table, Departments::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_departments_name")
                .table(Departments::Table)
                .col(Departments::ClusterId)
                .col(Departments::Name)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Projects::Table)
                .col(pk_auto(Projects::Id))
                .col(integer(Projects::ClusterId))
                .col(string(Projects::Name))
                .col(integer_null(Projects::DepartmentId))
                .col(big_integer(Projects::CreatedAt))
                .foreign_key(&mut fk(
                    "fk_projects_cluster",
                    (Projects::Table, Projects::ClusterId),
                    (Clusters::Table, Clusters::Id),
                ))
                .foreign_key(&mut fk(
                    "fk_projects_department",
                    (Projects::Table, Projects::DepartmentId),
                    (Departments::Table, Departments::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_projects_name")
                .table(Projects::Table)
                .col(Projects::ClusterId)
                .col(Projects::Name)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Quotas::Table)
                .col(pk_auto(Quotas::Id))
                .col(string(Quotas::UnitKind))
                .col(integer(Quotas::UnitId))
                .col(integer(Quotas::NodePoolId))
                .col(big_integer(Quotas::DeservedMilli))
                .col(big_integer_null(Quotas::LimitMilli))
                .col(integer(Quotas::OverQuotaWeight))
                .col(integer(Quotas::Rank))
                .foreign_key(&mut fk(
                    "fk_quotas_pool",
                    (Quotas::Table, Quotas::NodePoolId),
                    (NodePools::Table, NodePools::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_quotas_unit_pool")
                .table(Quotas::Table)
                .col(Quotas::UnitKind)
                .col(Quotas::UnitId)
                .col(Quotas::NodePoolId)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Users::Table)
                .col(pk_auto(Users::Id))
                .col(string_uniq(Users::Username))
                .col(string(Users::PasswordHash))
                .col(string(Users::Role))
                .col(big_integer(Users::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(UserProjects::Table)
                .col(integer(UserProjects::UserId))
                .col(integer(UserProjects::ProjectId))
                .primary_key(
                    Index::create()
                        .col(UserProjects::UserId)
                        .col(UserProjects::ProjectId),
                )
                .foreign_key(&mut fk(
                    "fk_user_projects_user",
                    (UserProjects::Table, UserProjects::UserId),
                    (Users::Table, Users::Id),
                ))
                .foreign_key(&mut fk(
                    "fk_user_projects_project",
                    (UserProjects::Table, UserProjects::ProjectId),
                    (Projects::Table, Projects::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Credentials::Table)
                .col(pk_auto(Credentials::Id))
                .col(string_uniq(Credentials::Uuid))
                .col(string(Credentials::Name))
                .col(string_uniq(Credentials::ClientId))
                .col(string(Credentials::SecretHash))
                .col(integer_null(Credentials::UserId))
                .col(string(Credentials::Role))
                .col(big_integer(Credentials::CreatedAt))
                .foreign_key(&mut fk(
                    "fk_credentials_user",
                    (Credentials::Table, Credentials::UserId),
                    (Users::Table, Users::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Environments::Table)
                .col(pk_auto(Environments::Id))
                .col(string_uniq(Environments::Uuid))
                .col(string(Environments::Name))
                .col(string(Environments::ScopeKind))
                .col(integer_null(Environments::ScopeId))
                .col(string(Environments::Image))
                .col(big_integer(Environments::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ComputeResources::Table)
                .col(pk_auto(ComputeResources::Id))
                .col(string_uniq(ComputeResources::Uuid))
                .col(string(ComputeResources::Name))
                .col(string(ComputeResources::ScopeKind))
                .col(integer_null(ComputeResources::ScopeId))
                .col(integer(ComputeResources::GpuDevices))
                .col(integer_null(ComputeResources::GpuPortionMilli))
                .col(big_integer_null(ComputeResources::GpuMemoryMib))
                .col(big_integer(ComputeResources::CpuMillicores))
                .col(big_integer(ComputeResources::MemoryMib))
                .col(big_integer(ComputeResources::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(WorkloadTemplates::Table)
                .col(pk_auto(WorkloadTemplates::Id))
                .col(string_uniq(WorkloadTemplates::Uuid))
                .col(string(WorkloadTemplates::Name))
                .col(string(WorkloadTemplates::ScopeKind))
                .col(integer_null(WorkloadTemplates::ScopeId))
                .col(string(WorkloadTemplates::Kind))
                .col(integer(WorkloadTemplates::EnvironmentId))
                .col(integer(WorkloadTemplates::ComputeId))
                .col(big_integer(WorkloadTemplates::CreatedAt))
                .foreign_key(&mut fk(
                    "fk_templates_environment",
                    (WorkloadTemplates::Table, WorkloadTemplates::EnvironmentId),
                    (Environments::Table, Environments::Id),
                ))
                .foreign_key(&mut fk(
                    "fk_templates_compute",
                    (WorkloadTemplates::Table, WorkloadTemplates::ComputeId),
                    (ComputeResources::Table, ComputeResources::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Workloads::Table)
                .col(pk_auto(Workloads::Id))
                .col(string_uniq(Workloads::Uuid))
                .col(string(Workloads::Name))
                .col(integer(Workloads::ClusterId))
                .col(integer(Workloads::ProjectId))
                .col(string(Workloads::Kind))
                .col(string(Workloads::Image))
                .col(text_null(Workloads::Command))
                .col(text_null(Workloads::Args))
                .col(text(Workloads::EnvJson))
                .col(integer(Workloads::Pods))
                .col(integer(Workloads::MinPods))
                .col(string(Workloads::GpuKind))
                .col(big_integer(Workloads::GpuAmount))
                .col(big_integer(Workloads::CpuMillicores))
                .col(big_integer(Workloads::MemoryMib))
                .col(integer(Workloads::Priority))
                .col(boolean(Workloads::Preemptible))
                .col(big_integer_null(Workloads::DurationSecs))
                .col(string(Workloads::Phase))
                .col(text_null(Workloads::PhaseReason))
                .col(boolean(Workloads::Nominated))
                .col(big_integer(Workloads::CreatedAt))
                .col(big_integer_null(Workloads::StartedAt))
                .col(big_integer_null(Workloads::EndedAt))
                .foreign_key(&mut fk(
                    "fk_workloads_cluster",
                    (Workloads::Table, Workloads::ClusterId),
                    (Clusters::Table, Clusters::Id),
                ))
                .foreign_key(&mut fk(
                    "fk_workloads_project",
                    (Workloads::Table, Workloads::ProjectId),
                    (Projects::Table, Projects::Id),
                ))
                .to_owned(),
        )
        .await?;
        // A name is unique among a project's live workloads; ended ones keep theirs for history.
        // Partial indexes read the same on SQLite and PostgreSQL.
        m.get_connection()
            .execute_unprepared("CREATE UNIQUE INDEX ux_workloads_live_name ON workloads (project_id, name) WHERE ended_at IS NULL")
            .await?;
        m.create_index(
            Index::create()
                .name("ix_workloads_ended")
                .table(Workloads::Table)
                .col(Workloads::EndedAt)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Pods::Table)
                .col(pk_auto(Pods::Id))
                .col(integer(Pods::WorkloadId))
                .col(integer(Pods::PodIndex))
                .col(integer(Pods::NodeId))
                .col(text(Pods::GpuSlots))
                .col(big_integer(Pods::StartedAt))
                .foreign_key(&mut fk(
                    "fk_pods_workload",
                    (Pods::Table, Pods::WorkloadId),
                    (Workloads::Table, Workloads::Id),
                ))
                .foreign_key(&mut fk(
                    "fk_pods_node",
                    (Pods::Table, Pods::NodeId),
                    (Nodes::Table, Nodes::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_pods_workload_index")
                .table(Pods::Table)
                .col(Pods::WorkloadId)
                .col(Pods::PodIndex)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Events::Table)
                .col(pk_auto(Events::Id))
                .col(integer_null(Events::WorkloadId))
                .col(string(Events::Kind))
                .col(text(Events::Message))
                .col(big_integer(Events::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_events_workload")
                .table(Events::Table)
                .col(Events::WorkloadId)
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Events::Table.into_iden(),
            Pods::Table.into_iden(),
            Workloads::Table.into_iden(),
            WorkloadTemplates::Table.into_iden(),
            ComputeResources::Table.into_iden(),
            Environments::Table.into_iden(),
            Credentials::Table.into_iden(),
            UserProjects::Table.into_iden(),
            Users::Table.into_iden(),
            Quotas::Table.into_iden(),
            Projects::Table.into_iden(),
            Departments::Table.into_iden(),
            Nodes::Table.into_iden(),
            NodePools::Table.into_iden(),
            Clusters::Table.into_iden(),
            Settings::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
