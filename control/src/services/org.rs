//! Departments and projects, and their quotas per node pool.

use std::collections::BTreeMap;

use rota_api::ApiError;
use rota_api::wire::{GpuQuota, NodePoolRef, Project, ProjectList, UnitResources, UnitShare};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use super::{Rota, require_admin};
use crate::auth::{Principal, Role};
use crate::control_loop::insert_event;
use crate::error::ControlResult;
use crate::store::entity::{department, node_pool, project, quota, user_project};
use crate::time::{now_ms, rfc3339};

/// Every project of the cluster, oldest first, with its quotas.
pub async fn list_projects(rota: &Rota) -> ControlResult<ProjectList> {
    let db = &rota.store.db;
    let pools: BTreeMap<i32, node_pool::Model> = node_pool::Entity::find()
        .filter(node_pool::Column::ClusterId.eq(rota.cluster_id))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let departments: BTreeMap<i32, String> = department::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|d| (d.id, d.name))
        .collect();
    let quotas = quota::Entity::find()
        .filter(quota::Column::UnitKind.eq("project"))
        .all(db)
        .await?;
    let rows = project::Entity::find()
        .filter(project::Column::ClusterId.eq(rota.cluster_id))
        .order_by_asc(project::Column::Id)
        .all(db)
        .await?;
    let projects = rows
        .into_iter()
        .map(|p| {
            let mine: Vec<&quota::Model> = quotas.iter().filter(|q| q.unit_id == p.id).collect();
            let rank = mine
                .first()
                .map_or(rota_scheduler::model::DEFAULT_RANK, |q| q.rank);
            Project {
                id: p.id.to_string(),
                name: p.name,
                cluster_id: rota.cluster_uuid.clone(),
                parent_id: p.department_id.map(|d| d.to_string()),
                parent_name: p.department_id.and_then(|d| departments.get(&d).cloned()),
                rank,
                preempt_min_runtime: super::units::duration_of(p.preempt_min_runtime_secs),
                reclaim_min_runtime: super::units::duration_of(p.reclaim_min_runtime_secs),
                resources: mine
                    .iter()
                    .filter_map(|q| {
                        let pool = pools.get(&q.node_pool_id)?;
                        Some(UnitResources {
                            node_pool: NodePoolRef {
                                id: pool.id.to_string(),
                                name: pool.name.clone(),
                            },
                            gpu: GpuQuota {
                                deserved: q.deserved_milli as f64 / 1000.0,
                                limit: q.limit_milli.map_or(-1.0, |l| l as f64 / 1000.0),
                                over_quota_weight: i64::from(q.over_quota_weight),
                            },
                        })
                    })
                    .collect(),
                created_at: rfc3339(p.created_at),
            }
        })
        .collect();
    Ok(ProjectList { projects })
}

/// Of `all` the cluster's projects, those `who` may submit workloads to: every one for an admin,
/// their own for a researcher, none for a viewer.
pub async fn submittable(
    rota: &Rota,
    who: &Principal,
    all: Vec<Project>,
) -> ControlResult<Vec<Project>> {
    match who.role {
        Role::Admin => Ok(all),
        Role::Viewer => Ok(Vec::new()),
        Role::Researcher => {
            let Some(uid) = who.user_id else {
                return Ok(Vec::new());
            };
            let mine: std::collections::BTreeSet<String> = user_project::Entity::find()
                .filter(user_project::Column::UserId.eq(uid))
                .all(&rota.store.db)
                .await?
                .into_iter()
                .map(|m| m.project_id.to_string())
                .collect();
            Ok(all.into_iter().filter(|p| mine.contains(&p.id)).collect())
        }
    }
}

/// Every project and department with its quotas, as an admin edits them (admins only).
pub async fn organization(
    rota: &Rota,
    who: &Principal,
) -> ControlResult<(Vec<Project>, Vec<rota_api::wire::Department>)> {
    require_admin(who)?;
    Ok((
        list_projects(rota).await?.projects,
        super::units::list_departments(rota).await?.departments,
    ))
}

/// What the last scheduling cycle computed for each unit in each pool (admins only).
pub fn unit_shares(rota: &Rota, who: &Principal) -> ControlResult<Vec<UnitShare>> {
    require_admin(who)?;
    Ok(rota.metrics.shares())
}

/// A project by its id (as the API writes it) or its name.
pub async fn find_project(rota: &Rota, id_or_name: &str) -> ControlResult<project::Model> {
    let directory = rota.directory().await?;
    let projects = &directory.projects;
    let found = match id_or_name.parse::<i32>() {
        Ok(id) => projects.iter().find(|p| p.id == id),
        Err(_) => projects.iter().find(|p| p.name == id_or_name),
    };
    found
        .cloned()
        .ok_or_else(|| ApiError::not_found(format!("project {id_or_name} does not exist")).into())
}

/// A change to one project's quota in one node pool.
#[derive(Debug, Clone, PartialEq)]
pub struct QuotaChange {
    /// The node pool's name.
    pub node_pool: String,
    /// Deserved GPUs.
    pub deserved: f64,
    /// Limit, or -1/None for none.
    pub limit: Option<f64>,
    /// Over-quota weight.
    pub over_quota_weight: Option<i64>,
    /// Rank.
    pub rank: Option<i32>,
}

/// Sets a project's quota in a node pool (admin only); the next cycle uses it.
pub async fn set_project_quota(
    rota: &Rota,
    who: &Principal,
    project: &str,
    change: &QuotaChange,
) -> ControlResult<Project> {
    require_admin(who)?;
    let (deserved, limit, weight) = rota_api::validate::quota(
        "resources.gpu",
        change.deserved,
        change.limit,
        change.over_quota_weight,
    )?;
    let p = find_project(rota, project).await?;
    let txn = rota.store.write().await?;
    let pool = node_pool::Entity::find()
        .filter(node_pool::Column::ClusterId.eq(rota.cluster_id))
        .filter(node_pool::Column::Name.eq(&change.node_pool))
        .one(&txn)
        .await?
        .ok_or_else(|| {
            ApiError::invalid(
                "resources.nodePool",
                format!("node pool {} does not exist", change.node_pool),
            )
        })?;
    let existing = quota::Entity::find()
        .filter(quota::Column::UnitKind.eq("project"))
        .filter(quota::Column::UnitId.eq(p.id))
        .filter(quota::Column::NodePoolId.eq(pool.id))
        .one(&txn)
        .await?;
    let rank = change
        .rank
        .or(existing.as_ref().map(|q| q.rank))
        .unwrap_or(rota_scheduler::model::DEFAULT_RANK);
    let row = quota::ActiveModel {
        id: existing.as_ref().map_or(NotSet, |q| Set(q.id)),
        unit_kind: Set("project".into()),
        unit_id: Set(p.id),
        node_pool_id: Set(pool.id),
        deserved_milli: Set(deserved),
        limit_milli: Set(limit),
        over_quota_weight: Set(weight as i32),
        rank: Set(rank),
    };
    match existing {
        Some(_) => {
            quota::Entity::update(row).exec(&txn).await?;
        }
        None => {
            quota::Entity::insert(row).exec(&txn).await?;
        }
    }
    let limit_text = limit.map_or("no limit".to_owned(), |l| {
        format!("limit {}", l as f64 / 1000.0)
    });
    insert_event(
        &txn,
        None,
        "QuotaChanged",
        format!(
            "{} set {}'s quota in {} to {} GPUs deserved, {limit_text}, weight {weight}, rank {rank}",
            who.name,
            p.name,
            pool.name,
            deserved as f64 / 1000.0
        ),
        now_ms(),
    )
    .await?;
    txn.commit().await?;
    rota.organization_changed().await;
    let list = list_projects(rota).await?;
    list.projects
        .into_iter()
        .find(|x| x.id == p.id.to_string())
        .ok_or_else(|| ApiError::not_found(format!("project {project} vanished")).into())
}
