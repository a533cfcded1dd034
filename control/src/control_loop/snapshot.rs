//! Reads the scheduler's snapshot out of the store.

use std::collections::BTreeMap;

use rota_scheduler::{
    Action, Department, FreedFor, GpuRequest, GpuSlots, MilliGpus, MinRuntime, Node, PodPlacement,
    PoolQuota, Project, Quota, Releasing, Snapshot, Workload, WorkloadKind,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, QueryTrait,
};

use crate::error::{ControlError, ControlResult};
use crate::executor::{PodState, pod_name};
use crate::store::entity::{department, node, node_pool, pod, project, quota, workload};

/// The columns of a live workload that scheduling and committing need.
#[derive(Debug, Clone, FromQueryResult)]
pub(crate) struct LiveWorkload {
    pub id: i32,
    pub uuid: String,
    pub name: String,
    pub project_id: i32,
    pub kind: String,
    pub image: String,
    pub pods: i32,
    pub min_pods: i32,
    pub gpu_kind: String,
    pub gpu_amount: i64,
    pub cpu_millicores: i64,
    pub memory_mib: i64,
    pub priority: i32,
    pub preemptible: bool,
    pub nominated: bool,
    pub phase_reason: Option<String>,
    /// On the simulated cluster, how long it runs (none: until deleted).
    pub duration_secs: Option<i64>,
    /// What it runs.
    pub command: Option<String>,
    /// Its arguments.
    pub args: Option<String>,
    /// Its environment, as JSON `[{name, value}]`.
    pub env_json: String,
    /// Seconds between SIGTERM and SIGKILL.
    pub grace_period_secs: Option<i32>,
    /// Times it was bound: the next attempt's number.
    pub attempts: i32,
    /// Node pools it may run in, as JSON, in order of preference.
    pub node_pools: String,
    /// A distributed training's framework.
    pub framework: Option<String>,
}

/// One pod as the loop keeps it: where it is, what it holds, and its state.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PodRow {
    pub workload_id: i32,
    pub index: u32,
    pub attempt: u32,
    pub node: String,
    pub gpus: GpuSlots,
    pub state: PodState,
    pub started_at: i64,
    /// Time between the polite signal and the kill when it is stopped.
    pub grace: std::time::Duration,
    /// While it stops: what it still holds, and for whom.
    pub releasing: Option<Releasing>,
}

/// A snapshot and what the commit needs to map it back onto rows.
#[derive(Debug)]
pub(crate) struct Loaded {
    pub snapshot: Snapshot,
    /// Live workloads by row id.
    pub workloads: BTreeMap<i32, LiveWorkload>,
    /// Node row id by name.
    pub node_ids: BTreeMap<String, i32>,
    /// Pool placement policies by pool name.
    pub placements: BTreeMap<String, rota_scheduler::PlacementStrategy>,
    /// Time-based fair share's settings.
    pub time_fair_share: rota_scheduler::TimeFairShare,
    /// Project names by row id.
    pub project_names: BTreeMap<i32, String>,
    /// Node names by row id.
    pub node_names: BTreeMap<i32, String>,
    /// Node pool row ids by name.
    pub pool_ids: BTreeMap<String, i32>,
    /// Every pod of the cluster by its name: running, starting and stopping.
    pub pods: BTreeMap<String, PodRow>,
    /// Pods of deleted workloads to stop at the next chance.
    pub stopping: Vec<String>,
    /// Live workloads whose rows could not be read into the snapshot (left out of scheduling),
    /// with the pods they hold.
    pub unreadable: BTreeMap<i32, u64>,
    /// The newest live workload the store had at the last check that had not been reported yet:
    /// by the next check it must be here (or have ended).
    pub awaited: Option<i32>,
}

pub(crate) fn kind_of(s: &str) -> ControlResult<WorkloadKind> {
    match s {
        "training" => Ok(WorkloadKind::Training),
        "workspace" => Ok(WorkloadKind::Workspace),
        "inference" => Ok(WorkloadKind::Inference),
        other => Err(ControlError::Corrupt(format!("workload kind {other:?}"))),
    }
}

/// The node pools a workload names, from their stored JSON.
pub(crate) fn pools_of(json: &str) -> ControlResult<Vec<String>> {
    serde_json::from_str(json)
        .map_err(|e| ControlError::Corrupt(format!("node pools {json:?}: {e}")))
}

pub(crate) fn gpu_of(kind: &str, amount: i64) -> ControlResult<GpuRequest> {
    let amount_u32 =
        || u32::try_from(amount).map_err(|_| ControlError::Corrupt(format!("GPU amount {amount}")));
    match kind {
        "devices" => Ok(GpuRequest::Devices(amount_u32()?)),
        "portion" => Ok(GpuRequest::Portion(amount_u32()?)),
        "memory" => Ok(GpuRequest::MemoryMib(
            u64::try_from(amount)
                .map_err(|_| ControlError::Corrupt(format!("GPU memory {amount}")))?,
        )),
        other => Err(ControlError::Corrupt(format!("GPU kind {other:?}"))),
    }
}

/// The cluster's nodes and org tree, and the maps from row ids to names.
#[derive(Debug)]
pub(crate) struct Organization {
    pub nodes: Vec<Node>,
    pub departments: Vec<Department>,
    pub projects: Vec<Project>,
    pub node_ids: BTreeMap<String, i32>,
    pub placements: BTreeMap<String, rota_scheduler::PlacementStrategy>,
    pub time_fair_share: rota_scheduler::TimeFairShare,
    pub project_names: BTreeMap<i32, String>,
    pub node_names: BTreeMap<i32, String>,
    pub pool_ids: BTreeMap<String, i32>,
}

/// Loads the cluster's nodes, org tree, live workloads and pods.
pub(crate) async fn load(db: &impl ConnectionTrait, cluster_id: i32) -> ControlResult<Loaded> {
    let org = load_organization(db, cluster_id).await?;
    let live = live_workloads(db, cluster_id, None).await?;
    let live_by_id: BTreeMap<i32, &LiveWorkload> = live.iter().map(|w| (w.id, w)).collect();
    let mut pods_of: BTreeMap<i32, Vec<pod::Model>> = BTreeMap::new();
    let mut stopping = Vec::new();
    for p in pod::Entity::find()
        .order_by_asc(pod::Column::PodIndex)
        .all(db)
        .await?
    {
        if !org.node_names.contains_key(&p.node_id) {
            continue;
        }
        if p.state == pod::state::TERMINATING {
            stopping.push(p);
        } else {
            pods_of.entry(p.workload_id).or_default().push(p);
        }
    }
    // Stopping pods of workloads that ended (deleted, failed) are not live: read what they hold.
    let ended_ids: Vec<i32> = stopping
        .iter()
        .map(|p| p.workload_id)
        .filter(|id| !live_by_id.contains_key(id))
        .collect();
    let ended: BTreeMap<i32, workload::Model> = if ended_ids.is_empty() {
        BTreeMap::new()
    } else {
        workload::Entity::find()
            .filter(workload::Column::Id.is_in(ended_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|w| (w.id, w))
            .collect()
    };
    let mut pods = BTreeMap::new();
    for p in stopping {
        let (uuid, name, cpu, memory, grace) =
            match (live_by_id.get(&p.workload_id), ended.get(&p.workload_id)) {
                (Some(w), _) => (
                    w.uuid.clone(),
                    w.name.clone(),
                    w.cpu_millicores,
                    w.memory_mib,
                    w.grace_period_secs,
                ),
                (None, Some(w)) => (
                    w.uuid.clone(),
                    w.name.clone(),
                    w.cpu_millicores,
                    w.memory_mib,
                    w.grace_period_secs,
                ),
                (None, None) => continue,
            };
        let row = pod_row(&p, &org.node_names, grace)?;
        let releasing = Releasing {
            workload_name: name,
            placement: PodPlacement {
                node: row.node.clone(),
                gpus: row.gpus.clone(),
            },
            cpu_millicores: u64::try_from(cpu).unwrap_or(0),
            memory_mib: u64::try_from(memory).unwrap_or(0),
            freed_for: freed_for(p.freed_for, p.freed_by.as_deref()),
        };
        pods.insert(
            pod_name(&uuid, row.index, row.attempt),
            PodRow {
                releasing: Some(releasing),
                ..row
            },
        );
    }
    let mut workloads = Vec::with_capacity(live.len());
    let mut unreadable = BTreeMap::new();
    for w in &live {
        let mine = pods_of.remove(&w.id).unwrap_or_default();
        let held = mine.len() as u64;
        let rows: ControlResult<Vec<PodRow>> = mine
            .iter()
            .map(|p| pod_row(p, &org.node_names, w.grace_period_secs))
            .collect();
        match rows.and_then(|rows| {
            to_workload(w, mine, &org.project_names, &org.node_names).map(|x| (rows, x))
        }) {
            Ok((rows, x)) => {
                for row in rows {
                    pods.insert(pod_name(&w.uuid, row.index, row.attempt), row);
                }
                workloads.push(x);
            }
            // One bad row never stops scheduling for everyone: it is left out, and says so.
            Err(e) => {
                tracing::warn!(workload = %w.name, id = w.id, error = %e, "a workload the store cannot describe is left out of scheduling");
                unreadable.insert(w.id, held);
            }
        }
    }
    let mut loaded = Loaded {
        snapshot: Snapshot {
            nodes: org.nodes,
            departments: org.departments,
            projects: org.projects,
            workloads,
            releasing: Vec::new(),
            // Set to the time of each cycle, when it runs.
            now_ms: 0,
            // Likewise.
            usage: Vec::new(),
        },
        workloads: live.into_iter().map(|w| (w.id, w)).collect(),
        node_ids: org.node_ids,
        placements: org.placements,
        time_fair_share: org.time_fair_share,
        project_names: org.project_names,
        node_names: org.node_names,
        pool_ids: org.pool_ids,
        pods,
        stopping: Vec::new(),
        unreadable,
        awaited: None,
    };
    loaded.sync_releasing();
    Ok(loaded)
}

/// The loop's record of a pod row.
fn pod_row(
    p: &pod::Model,
    node_names: &BTreeMap<i32, String>,
    grace_secs: Option<i32>,
) -> ControlResult<PodRow> {
    Ok(PodRow {
        workload_id: p.workload_id,
        index: u32::try_from(p.pod_index)
            .map_err(|_| ControlError::Corrupt(format!("pod {} index", p.id)))?,
        attempt: u32::try_from(p.attempt)
            .map_err(|_| ControlError::Corrupt(format!("pod {} attempt", p.id)))?,
        node: node_names
            .get(&p.node_id)
            .cloned()
            .ok_or_else(|| ControlError::Corrupt(format!("node {}", p.node_id)))?,
        gpus: serde_json::from_str(&p.gpu_slots)
            .map_err(|e| ControlError::Corrupt(format!("pod {} GPU slots: {e}", p.id)))?,
        state: PodState::parse(&p.state)
            .ok_or_else(|| ControlError::Corrupt(format!("pod {} state {:?}", p.id, p.state)))?,
        started_at: p.started_at,
        grace: super::pods::grace_of(grace_secs),
        releasing: None,
    })
}

/// Whom a stopping pod's GPUs are freed for, from its row.
pub(crate) fn freed_for(workload: Option<i32>, action: Option<&str>) -> Option<FreedFor> {
    let action = match action? {
        "reclaim" => Action::Reclaim,
        "preempt" => Action::Preempt,
        "consolidate" => Action::Consolidate,
        _ => return None,
    };
    Some(FreedFor {
        workload: u64::try_from(workload?).ok()?,
        action,
    })
}

/// How a [`FreedFor`] action is written in a pod row.
pub(crate) fn action_name(action: Action) -> &'static str {
    match action {
        Action::Reclaim => "reclaim",
        Action::Preempt => "preempt",
        Action::Consolidate => "consolidate",
    }
}

impl Loaded {
    /// Puts the stopping pods' holdings into the snapshot.
    pub(crate) fn sync_releasing(&mut self) {
        self.snapshot.releasing = self
            .pods
            .values()
            .filter_map(|p| p.releasing.clone())
            .collect();
    }

    /// Takes a fresh read of the organization (quotas, units, names) and keeps the workloads,
    /// pointing each at its project's current name. Fails when a workload's project is gone.
    pub(crate) fn reorganize(&mut self, org: Organization) -> ControlResult<()> {
        for w in &mut self.snapshot.workloads {
            let row = i32::try_from(w.id)
                .ok()
                .and_then(|id| self.workloads.get(&id))
                .ok_or_else(|| ControlError::Corrupt(format!("workload {} unknown", w.id)))?;
            w.project = org
                .project_names
                .get(&row.project_id)
                .cloned()
                .ok_or_else(|| ControlError::Corrupt(format!("project {}", row.project_id)))?;
        }
        self.snapshot.nodes = org.nodes;
        self.snapshot.departments = org.departments;
        self.snapshot.projects = org.projects;
        self.node_ids = org.node_ids;
        self.placements = org.placements;
        self.time_fair_share = org.time_fair_share;
        self.project_names = org.project_names;
        self.node_names = org.node_names;
        self.pool_ids = org.pool_ids;
        Ok(())
    }

    /// What [`fingerprint`] reads from the store, as this snapshot has it.
    pub(crate) fn fingerprint(&self) -> Fingerprint {
        Fingerprint {
            live: self.workloads.len() as u64,
            pods: self
                .snapshot
                .workloads
                .iter()
                .map(|w| w.placement.len() as u64)
                .sum::<u64>()
                + self.unreadable.values().sum::<u64>(),
            newest: self.workloads.keys().next_back().copied(),
        }
    }

    /// Whether the store's `fingerprint`, read up to [`Loaded::check_bound`], agrees with this
    /// snapshot; remembers the store's newer workloads for the next check.
    pub(crate) fn agrees_with(&mut self, store: Fingerprint) -> bool {
        let kept = self.fingerprint();
        if (store.live, store.pods) != (kept.live, kept.pods) {
            return false;
        }
        self.awaited = store.newest.filter(|&n| kept.newest.is_none_or(|k| n > k));
        true
    }

    /// The newest row id a check compares: what this snapshot holds, and what the last check
    /// saw that was not reported yet. Newer workloads may be committed a moment before they are
    /// reported; they are left to the next check.
    pub(crate) fn check_bound(&self) -> Option<i32> {
        self.workloads.keys().next_back().copied().max(self.awaited)
    }
}

/// A cheap summary of the live workloads and their pods, to tell whether a kept snapshot still
/// matches the store without reading it whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Fingerprint {
    /// Live workloads (up to the bound the check was read with).
    pub live: u64,
    /// Their pods.
    pub pods: u64,
    /// The newest live workload's row id (whatever the bound).
    pub newest: Option<i32>,
}

/// Reads the store's [`Fingerprint`] of the cluster's live workloads whose row ids are at most
/// `bound` (none: no workload).
pub(crate) async fn fingerprint(
    db: &impl ConnectionTrait,
    cluster_id: i32,
    bound: Option<i32>,
) -> ControlResult<Fingerprint> {
    let live_ids = || {
        workload::Entity::find()
            .filter(workload::Column::ClusterId.eq(cluster_id))
            .filter(workload::Column::EndedAt.is_null())
    };
    let newest: Option<i32> = live_ids()
        .select_only()
        .column_as(workload::Column::Id.max(), "newest")
        .into_tuple()
        .one(db)
        .await?
        .flatten();
    let bounded = || live_ids().filter(workload::Column::Id.lte(bound.unwrap_or(0)));
    let live = bounded().count(db).await?;
    let pods = pod::Entity::find()
        .filter(pod::Column::State.ne(pod::state::TERMINATING))
        .filter(
            pod::Column::WorkloadId.in_subquery(
                bounded()
                    .select_only()
                    .column(workload::Column::Id)
                    .into_query(),
            ),
        )
        .count(db)
        .await?;
    Ok(Fingerprint { live, pods, newest })
}

/// Reads the cluster's nodes and org tree.
pub(crate) async fn load_organization(
    db: &impl ConnectionTrait,
    cluster_id: i32,
) -> ControlResult<Organization> {
    let pools: BTreeMap<i32, node_pool::Model> = node_pool::Entity::find()
        .filter(node_pool::Column::ClusterId.eq(cluster_id))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let pool_name = |id: i32| {
        pools
            .get(&id)
            .map(|p| p.name.clone())
            .ok_or_else(|| ControlError::Corrupt(format!("node pool {id}")))
    };
    let node_rows = node::Entity::find()
        .filter(node::Column::ClusterId.eq(cluster_id))
        .order_by_asc(node::Column::Id)
        .all(db)
        .await?;
    let mut nodes = Vec::with_capacity(node_rows.len());
    let mut node_ids = BTreeMap::new();
    let mut node_names = BTreeMap::new();
    for n in &node_rows {
        node_ids.insert(n.name.clone(), n.id);
        node_names.insert(n.id, n.name.clone());
        // A node that is down takes no work (its pods were ended when it went down).
        if n.state != "up" {
            continue;
        }
        nodes.push(Node {
            name: n.name.clone(),
            pool: pool_name(n.node_pool_id)?,
            gpus: u32::try_from(n.gpus).unwrap_or(0),
            gpu_memory_mib: u64::try_from(n.gpu_memory_mib).unwrap_or(0),
            cpu_millicores: u64::try_from(n.cpu_millicores).unwrap_or(0),
            memory_mib: u64::try_from(n.memory_mib).unwrap_or(0),
        });
    }
    let quotas = quota::Entity::find().all(db).await?;
    let quotas_of = |kind: &str, id: i32| -> ControlResult<Vec<PoolQuota>> {
        quotas
            .iter()
            .filter(|q| {
                q.unit_kind == kind && q.unit_id == id && pools.contains_key(&q.node_pool_id)
            })
            .map(|q| {
                Ok(PoolQuota {
                    pool: pool_name(q.node_pool_id)?,
                    quota: Quota {
                        deserved: MilliGpus(q.deserved_milli),
                        limit: q.limit_milli.map(MilliGpus),
                        over_quota_weight: u32::try_from(q.over_quota_weight).unwrap_or(0),
                        rank: q.rank,
                    },
                })
            })
            .collect()
    };
    let dept_rows = department::Entity::find()
        .filter(department::Column::ClusterId.eq(cluster_id))
        .order_by_asc(department::Column::Id)
        .all(db)
        .await?;
    let dept_names: BTreeMap<i32, String> =
        dept_rows.iter().map(|d| (d.id, d.name.clone())).collect();
    let departments = dept_rows
        .iter()
        .map(|d| {
            Ok(Department {
                name: d.name.clone(),
                parent: d.parent_id.and_then(|p| dept_names.get(&p).cloned()),
                quotas: quotas_of("department", d.id)?,
                min_runtime: min_runtime(d.preempt_min_runtime_secs, d.reclaim_min_runtime_secs),
            })
        })
        .collect::<ControlResult<Vec<_>>>()?;
    let project_rows = project::Entity::find()
        .filter(project::Column::ClusterId.eq(cluster_id))
        .order_by_asc(project::Column::Id)
        .all(db)
        .await?;
    let project_names: BTreeMap<i32, String> = project_rows
        .iter()
        .map(|p| (p.id, p.name.clone()))
        .collect();
    let projects = project_rows
        .iter()
        .map(|p| {
            Ok(Project {
                name: p.name.clone(),
                department: p.department_id.and_then(|d| dept_names.get(&d).cloned()),
                quotas: quotas_of("project", p.id)?,
                min_runtime: min_runtime(p.preempt_min_runtime_secs, p.reclaim_min_runtime_secs),
            })
        })
        .collect::<ControlResult<Vec<_>>>()?;
    let placements = pools
        .values()
        .map(|p| {
            let strategy = match p.placement.as_str() {
                "spread" => rota_scheduler::PlacementStrategy::Spread,
                _ => rota_scheduler::PlacementStrategy::Binpack,
            };
            (p.name.clone(), strategy)
        })
        .collect();
    let pool_ids = pools.values().map(|p| (p.name.clone(), p.id)).collect();
    let time_fair_share = crate::services::fair_share::read(db, cluster_id).await?;
    Ok(Organization {
        nodes,
        departments,
        projects,
        node_ids,
        placements,
        time_fair_share,
        project_names,
        node_names,
        pool_ids,
    })
}

/// Live workloads (or those among the row ids `only`), with only the columns scheduling needs.
pub(crate) async fn live_workloads(
    db: &impl ConnectionTrait,
    cluster_id: i32,
    only: Option<&[i32]>,
) -> ControlResult<Vec<LiveWorkload>> {
    let mut q = workload::Entity::find()
        .select_only()
        .columns([
            workload::Column::Id,
            workload::Column::Uuid,
            workload::Column::Name,
            workload::Column::ProjectId,
            workload::Column::Kind,
            workload::Column::Image,
            workload::Column::Pods,
            workload::Column::MinPods,
            workload::Column::GpuKind,
            workload::Column::GpuAmount,
            workload::Column::CpuMillicores,
            workload::Column::MemoryMib,
            workload::Column::Priority,
            workload::Column::Preemptible,
            workload::Column::Nominated,
            workload::Column::PhaseReason,
            workload::Column::DurationSecs,
            workload::Column::Command,
            workload::Column::Args,
            workload::Column::EnvJson,
            workload::Column::GracePeriodSecs,
            workload::Column::Attempts,
            workload::Column::NodePools,
            workload::Column::Framework,
        ])
        .filter(workload::Column::ClusterId.eq(cluster_id))
        .filter(workload::Column::EndedAt.is_null());
    if let Some(ids) = only {
        q = q.filter(workload::Column::Id.is_in(ids.iter().copied()));
    }
    Ok(q.order_by_asc(workload::Column::Id)
        .into_model::<LiveWorkload>()
        .all(db)
        .await?)
}

/// The scheduler's view of one live workload and its pods.
pub(crate) fn to_workload(
    w: &LiveWorkload,
    pods: Vec<pod::Model>,
    project_names: &BTreeMap<i32, String>,
    node_names: &BTreeMap<i32, String>,
) -> ControlResult<Workload> {
    // It has run since its first pod was bound.
    let running_since_ms = pods
        .iter()
        .map(|p| u64::try_from(p.started_at).unwrap_or(0))
        .min();
    let placement = pods
        .into_iter()
        .map(|p| {
            let gpus: GpuSlots = serde_json::from_str(&p.gpu_slots)
                .map_err(|e| ControlError::Corrupt(format!("pod {} GPU slots: {e}", p.id)))?;
            let node = node_names
                .get(&p.node_id)
                .cloned()
                .ok_or_else(|| ControlError::Corrupt(format!("node {}", p.node_id)))?;
            Ok(PodPlacement { node, gpus })
        })
        .collect::<ControlResult<Vec<_>>>()?;
    Ok(Workload {
        id: u64::try_from(w.id)
            .map_err(|_| ControlError::Corrupt(format!("workload id {}", w.id)))?,
        name: w.name.clone(),
        project: project_names
            .get(&w.project_id)
            .cloned()
            .ok_or_else(|| ControlError::Corrupt(format!("project {}", w.project_id)))?,
        kind: kind_of(&w.kind)?,
        pools: pools_of(&w.node_pools)?,
        pods: u32::try_from(w.pods).unwrap_or(1),
        min_pods: u32::try_from(w.min_pods).unwrap_or(1),
        gpu: gpu_of(&w.gpu_kind, w.gpu_amount)?,
        cpu_millicores: u64::try_from(w.cpu_millicores).unwrap_or(0),
        memory_mib: u64::try_from(w.memory_mib).unwrap_or(0),
        priority: w.priority,
        preemptible: w.preemptible,
        submission: u64::try_from(w.id).unwrap_or(0),
        nominated: w.nominated,
        placement,
        running_since_ms,
    })
}

/// A unit's minimum runtimes as stored (seconds; null inherits).
fn min_runtime(preempt: Option<i64>, reclaim: Option<i64>) -> MinRuntime {
    MinRuntime {
        preempt_secs: preempt.and_then(|s| u64::try_from(s).ok()),
        reclaim_secs: reclaim.and_then(|s| u64::try_from(s).ok()),
    }
}
