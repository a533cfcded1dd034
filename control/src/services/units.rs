//! Creating, changing and deleting projects and departments, each with a quota per node pool.
//! Admin only; every change is one transaction and takes effect in the next cycle.

use std::collections::BTreeMap;

use rota_api::wire::{
    Department, DepartmentList, GpuQuota, NodePoolRef, UnitRequest, UnitResources,
};
use rota_api::{ApiError, ErrorCode, validate};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{
    ColumnTrait, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
};

use super::{Rota, require_admin};
use crate::auth::Principal;
use crate::control_loop::insert_event;
use crate::error::{ControlError, ControlResult};
use crate::store::entity::{department, node_pool, project, project_usage, quota, workload};
use crate::time::{now_ms, rfc3339};

/// A project or a department.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// A team's queue.
    Project,
    /// A group of projects.
    Department,
}

impl Unit {
    fn kind(self) -> &'static str {
        match self {
            Unit::Project => "project",
            Unit::Department => "department",
        }
    }
}

fn resources(
    quotas: &[quota::Model],
    pools: &BTreeMap<i32, node_pool::Model>,
    kind: &str,
    id: i32,
) -> Vec<UnitResources> {
    quotas
        .iter()
        .filter(|q| q.unit_kind == kind && q.unit_id == id)
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
        .collect()
}

/// A unit's stored minimum runtime as the API writes it (`10m`); none when it inherits.
pub(crate) fn duration_of(secs: Option<i64>) -> Option<String> {
    secs.and_then(|s| u64::try_from(s).ok())
        .map(validate::duration_text)
}

/// The request's minimum runtimes, checked, in seconds as stored.
fn min_runtimes(req: &UnitRequest) -> ControlResult<(Option<i64>, Option<i64>)> {
    let read = |field: &str, value: &Option<String>| -> ControlResult<Option<i64>> {
        value
            .as_deref()
            .map(|v| validate::min_runtime(field, v).map(|s| s as i64))
            .transpose()
            .map_err(Into::into)
    };
    Ok((
        read("preemptMinRuntime", &req.preempt_min_runtime)?,
        read("reclaimMinRuntime", &req.reclaim_min_runtime)?,
    ))
}

/// Every department, oldest first.
pub async fn list_departments(rota: &Rota) -> ControlResult<DepartmentList> {
    let db = &rota.store.db;
    let pools: BTreeMap<i32, node_pool::Model> = node_pool::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let quotas = quota::Entity::find()
        .filter(quota::Column::UnitKind.eq("department"))
        .all(db)
        .await?;
    let departments = department::Entity::find()
        .filter(department::Column::ClusterId.eq(rota.cluster_id))
        .order_by_asc(department::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|d| {
            let rank = quotas
                .iter()
                .find(|q| q.unit_id == d.id)
                .map_or(rota_scheduler::model::DEFAULT_RANK, |q| q.rank);
            Department {
                id: d.id.to_string(),
                resources: resources(&quotas, &pools, "department", d.id),
                name: d.name,
                cluster_id: rota.cluster_uuid.clone(),
                parent_id: d.parent_id.map(|p| p.to_string()),
                rank,
                created_at: rfc3339(d.created_at),
                preempt_min_runtime: duration_of(d.preempt_min_runtime_secs),
                reclaim_min_runtime: duration_of(d.reclaim_min_runtime_secs),
            }
        })
        .collect();
    Ok(DepartmentList { departments })
}

async fn parent_department(
    txn: &DatabaseTransaction,
    rota: &Rota,
    parent: Option<&str>,
) -> ControlResult<Option<department::Model>> {
    let Some(p) = parent.filter(|p| !p.is_empty()) else {
        return Ok(None);
    };
    let q = department::Entity::find().filter(department::Column::ClusterId.eq(rota.cluster_id));
    let found = match p.parse::<i32>() {
        Ok(id) => q.filter(department::Column::Id.eq(id)).one(txn).await?,
        Err(_) => q.filter(department::Column::Name.eq(p)).one(txn).await?,
    };
    found.map(Some).ok_or_else(|| {
        ApiError::invalid("parentId", format!("department {p} does not exist")).into()
    })
}

/// Replaces a unit's quotas with the request's, checking every field first.
async fn write_quotas(
    txn: &DatabaseTransaction,
    rota: &Rota,
    unit: Unit,
    id: i32,
    req: &UnitRequest,
) -> ControlResult<()> {
    let pools = node_pool::Entity::find()
        .filter(node_pool::Column::ClusterId.eq(rota.cluster_id))
        .all(txn)
        .await?;
    let rank = req.rank.unwrap_or(rota_scheduler::model::DEFAULT_RANK);
    let mut rows = Vec::with_capacity(req.resources.len());
    for (i, r) in req.resources.iter().enumerate() {
        let field = format!("resources[{i}]");
        let pool = pools
            .iter()
            .find(|p| {
                r.node_pool.id.as_deref() == Some(&p.id.to_string())
                    || r.node_pool.name.as_deref() == Some(&p.name)
            })
            .ok_or_else(|| ApiError::invalid(format!("{field}.nodePool"), "no such node pool"))?;
        let (deserved, limit, weight) = validate::quota(
            &format!("{field}.gpu"),
            r.gpu.deserved,
            r.gpu.limit,
            r.gpu.over_quota_weight,
        )?;
        if rows
            .iter()
            .any(|(p, ..): &(i32, i64, Option<i64>, u32)| *p == pool.id)
        {
            return Err(ApiError::invalid(
                format!("{field}.nodePool"),
                format!("node pool {} is listed twice", pool.name),
            )
            .into());
        }
        rows.push((pool.id, deserved, limit, weight));
    }
    quota::Entity::delete_many()
        .filter(quota::Column::UnitKind.eq(unit.kind()))
        .filter(quota::Column::UnitId.eq(id))
        .exec(txn)
        .await?;
    for (pool, deserved, limit, weight) in rows {
        quota::Entity::insert(quota::ActiveModel {
            id: NotSet,
            unit_kind: Set(unit.kind().to_owned()),
            unit_id: Set(id),
            node_pool_id: Set(pool),
            deserved_milli: Set(deserved),
            limit_milli: Set(limit),
            over_quota_weight: Set(weight as i32),
            rank: Set(rank),
        })
        .exec(txn)
        .await?;
    }
    Ok(())
}

async fn name_taken(
    txn: &DatabaseTransaction,
    rota: &Rota,
    unit: Unit,
    name: &str,
    except: Option<i32>,
) -> ControlResult<bool> {
    Ok(match unit {
        Unit::Project => project::Entity::find()
            .filter(project::Column::ClusterId.eq(rota.cluster_id))
            .filter(project::Column::Name.eq(name))
            .one(txn)
            .await?
            .is_some_and(|p| Some(p.id) != except),
        Unit::Department => department::Entity::find()
            .filter(department::Column::ClusterId.eq(rota.cluster_id))
            .filter(department::Column::Name.eq(name))
            .one(txn)
            .await?
            .is_some_and(|d| Some(d.id) != except),
    })
}

/// Creates a project or department; returns its id.
pub async fn create(
    rota: &Rota,
    who: &Principal,
    unit: Unit,
    req: &UnitRequest,
) -> ControlResult<i32> {
    require_admin(who)?;
    validate::name("name", &req.name)?;
    let (preempt, reclaim) = min_runtimes(req)?;
    let txn = rota.store.write().await?;
    if name_taken(&txn, rota, unit, &req.name, None).await? {
        return Err(ApiError::conflict(format!(
            "a {} called {} already exists",
            unit.kind(),
            req.name
        ))
        .into());
    }
    let parent = parent_department(&txn, rota, req.parent_id.as_deref())
        .await?
        .map(|d| d.id);
    let now = now_ms();
    let id = match unit {
        Unit::Project => {
            project::Entity::insert(project::ActiveModel {
                id: NotSet,
                cluster_id: Set(rota.cluster_id),
                name: Set(req.name.clone()),
                department_id: Set(parent),
                created_at: Set(now),
                preempt_min_runtime_secs: Set(preempt),
                reclaim_min_runtime_secs: Set(reclaim),
            })
            .exec(&txn)
            .await?
            .last_insert_id
        }
        Unit::Department => {
            department::Entity::insert(department::ActiveModel {
                id: NotSet,
                cluster_id: Set(rota.cluster_id),
                name: Set(req.name.clone()),
                parent_id: Set(parent),
                created_at: Set(now),
                preempt_min_runtime_secs: Set(preempt),
                reclaim_min_runtime_secs: Set(reclaim),
            })
            .exec(&txn)
            .await?
            .last_insert_id
        }
    };
    write_quotas(&txn, rota, unit, id, req).await?;
    insert_event(
        &txn,
        None,
        "OrgUnitCreated",
        format!("{} created {} {}", who.name, unit.kind(), req.name),
        now,
    )
    .await?;
    txn.commit().await?;
    rota.organization_changed().await;
    Ok(id)
}

/// Renames, moves or re-quotas a project or department.
pub async fn update(
    rota: &Rota,
    who: &Principal,
    unit: Unit,
    id: i32,
    req: &UnitRequest,
) -> ControlResult<()> {
    require_admin(who)?;
    validate::name("name", &req.name)?;
    let (preempt, reclaim) = min_runtimes(req)?;
    let txn = rota.store.write().await?;
    if name_taken(&txn, rota, unit, &req.name, Some(id)).await? {
        return Err(ApiError::conflict(format!(
            "a {} called {} already exists",
            unit.kind(),
            req.name
        ))
        .into());
    }
    let parent = parent_department(&txn, rota, req.parent_id.as_deref())
        .await?
        .map(|d| d.id);
    let missing = || ApiError::not_found(format!("{} {id} does not exist", unit.kind()));
    match unit {
        Unit::Project => {
            let p = project::Entity::find_by_id(id)
                .one(&txn)
                .await?
                .ok_or_else(missing)?;
            let mut row: project::ActiveModel = p.into();
            row.name = Set(req.name.clone());
            row.department_id = Set(parent);
            row.preempt_min_runtime_secs = Set(preempt);
            row.reclaim_min_runtime_secs = Set(reclaim);
            project::Entity::update(row).exec(&txn).await?;
        }
        Unit::Department => {
            let d = department::Entity::find_by_id(id)
                .one(&txn)
                .await?
                .ok_or_else(missing)?;
            // A department may not sit below itself.
            let mut at = parent;
            while let Some(p) = at {
                if p == id {
                    return Err(ApiError::invalid(
                        "parentId",
                        "a department cannot sit below itself",
                    )
                    .into());
                }
                at = department::Entity::find_by_id(p)
                    .one(&txn)
                    .await?
                    .and_then(|d| d.parent_id);
            }
            let mut row: department::ActiveModel = d.into();
            row.name = Set(req.name.clone());
            row.parent_id = Set(parent);
            row.preempt_min_runtime_secs = Set(preempt);
            row.reclaim_min_runtime_secs = Set(reclaim);
            department::Entity::update(row).exec(&txn).await?;
        }
    }
    write_quotas(&txn, rota, unit, id, req).await?;
    insert_event(
        &txn,
        None,
        "OrgUnitChanged",
        format!("{} changed {} {}", who.name, unit.kind(), req.name),
        now_ms(),
    )
    .await?;
    txn.commit().await?;
    rota.organization_changed().await;
    Ok(())
}

/// Deletes a project with no live workloads, or a department with no projects or departments.
pub async fn delete(rota: &Rota, who: &Principal, unit: Unit, id: i32) -> ControlResult<()> {
    require_admin(who)?;
    let txn = rota.store.write().await?;
    let missing = || ApiError::not_found(format!("{} {id} does not exist", unit.kind()));
    let name = match unit {
        Unit::Project => {
            let p = project::Entity::find_by_id(id)
                .one(&txn)
                .await?
                .ok_or_else(missing)?;
            let live = workload::Entity::find()
                .filter(workload::Column::ProjectId.eq(id))
                .filter(workload::Column::EndedAt.is_null())
                .count(&txn)
                .await?;
            if live > 0 {
                return Err(ApiError::new(
                    ErrorCode::Conflict,
                    format!(
                        "project {} still has {live} live workload(s); delete them first",
                        p.name
                    ),
                )
                .into());
            }
            let any = workload::Entity::find()
                .filter(workload::Column::ProjectId.eq(id))
                .count(&txn)
                .await?;
            if any > 0 {
                return Err(ApiError::new(
                    ErrorCode::Conflict,
                    format!(
                        "project {} has workload history and is kept for the audit log",
                        p.name
                    ),
                )
                .into());
            }
            project::Entity::delete_by_id(id).exec(&txn).await?;
            project_usage::Entity::delete_many()
                .filter(project_usage::Column::ProjectId.eq(id))
                .exec(&txn)
                .await?;
            p.name
        }
        Unit::Department => {
            let d = department::Entity::find_by_id(id)
                .one(&txn)
                .await?
                .ok_or_else(missing)?;
            let children = project::Entity::find()
                .filter(project::Column::DepartmentId.eq(id))
                .count(&txn)
                .await?
                + department::Entity::find()
                    .filter(department::Column::ParentId.eq(id))
                    .count(&txn)
                    .await?;
            if children > 0 {
                return Err(ApiError::new(
                    ErrorCode::Conflict,
                    format!(
                        "department {} still holds {children} unit(s); move or delete them first",
                        d.name
                    ),
                )
                .into());
            }
            department::Entity::delete_by_id(id).exec(&txn).await?;
            d.name
        }
    };
    quota::Entity::delete_many()
        .filter(quota::Column::UnitKind.eq(unit.kind()))
        .filter(quota::Column::UnitId.eq(id))
        .exec(&txn)
        .await?;
    insert_event(
        &txn,
        None,
        "OrgUnitDeleted",
        format!("{} deleted {} {name}", who.name, unit.kind()),
        now_ms(),
    )
    .await?;
    txn.commit().await?;
    rota.organization_changed().await;
    Ok(())
}

/// Parses a unit id from a path.
pub fn unit_id(unit: Unit, id: &str) -> ControlResult<i32> {
    id.parse::<i32>().map_err(|_| {
        ControlError::from(ApiError::not_found(format!(
            "{} {id} does not exist",
            unit.kind()
        )))
    })
}
