//! Nodes as the executor reports them: new nodes are added to the default pool, capacities follow
//! the executor, and a node that goes down (or is no longer reported, or shrank under its pods)
//! ends or requeues the pods on it first — in the same transaction that marks it — so that no
//! snapshot ever holds a pod on a node it lacks.

use std::collections::BTreeMap;

use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter};

use super::commit::insert_event;
use super::pods::{self, Applied};
use super::snapshot::Loaded;
use crate::error::{ControlError, ControlResult};
use crate::executor::{NodeInventory, PodEvent, PodState};
use crate::logs::Logs;
use crate::store::entity::{node, node_pool};

/// What a sync changed.
#[derive(Debug, Default)]
pub(crate) struct Synced {
    /// Nodes were added, changed, or went up or down: read the organization again.
    pub changed: bool,
    /// What ending the pods on lost nodes did.
    pub applied: Applied,
}

/// Brings the cluster's nodes in line with `inventory`, in `txn`.
pub(crate) async fn sync(
    txn: &DatabaseTransaction,
    loaded: &mut Loaded,
    cluster_id: i32,
    inventory: &[NodeInventory],
    logs: &Logs,
    now: i64,
) -> ControlResult<Synced> {
    let rows: BTreeMap<String, node::Model> = node::Entity::find()
        .filter(node::Column::ClusterId.eq(cluster_id))
        .all(txn)
        .await?
        .into_iter()
        .map(|n| (n.name.clone(), n))
        .collect();
    let mut synced = Synced::default();
    // Why the pods on a node must end, by node.
    let mut lost: BTreeMap<String, (String, Option<u32>)> = BTreeMap::new();
    for inv in inventory {
        let state = if inv.down.is_some() { "down" } else { "up" };
        let gpus = i32::try_from(inv.gpus).unwrap_or(i32::MAX);
        let memory = i64::try_from(inv.gpu_memory_mib).unwrap_or(i64::MAX);
        let cpu = i64::try_from(inv.cpu_millicores).unwrap_or(i64::MAX);
        let mem = i64::try_from(inv.memory_mib).unwrap_or(i64::MAX);
        match rows.get(&inv.name) {
            None => {
                let pool = default_pool(txn, cluster_id).await?;
                node::Entity::insert(node::ActiveModel {
                    id: NotSet,
                    cluster_id: Set(cluster_id),
                    node_pool_id: Set(pool),
                    name: Set(inv.name.clone()),
                    gpus: Set(gpus),
                    gpu_memory_mib: Set(memory),
                    cpu_millicores: Set(cpu),
                    memory_mib: Set(mem),
                    state: Set(state.into()),
                    state_reason: Set(inv.down.clone()),
                })
                .exec(txn)
                .await?;
                tracing::info!(node = %inv.name, gpus = inv.gpus, "a new node joined the cluster");
                synced.changed = true;
            }
            Some(row) => {
                let same = row.gpus == gpus
                    && row.gpu_memory_mib == memory
                    && row.cpu_millicores == cpu
                    && row.memory_mib == mem
                    && row.state == state
                    && row.state_reason == inv.down;
                if same {
                    continue;
                }
                if let Some(why) = &inv.down {
                    if row.state == "up" {
                        lost.insert(
                            inv.name.clone(),
                            (format!("node {} went down ({why})", inv.name), None),
                        );
                    }
                } else if gpus < row.gpus {
                    lost.insert(
                        inv.name.clone(),
                        (
                            format!("node {} now has only {} GPUs", inv.name, inv.gpus),
                            Some(inv.gpus),
                        ),
                    );
                }
                node::Entity::update_many()
                    .col_expr(node::Column::Gpus, Expr::value(gpus))
                    .col_expr(node::Column::GpuMemoryMib, Expr::value(memory))
                    .col_expr(node::Column::CpuMillicores, Expr::value(cpu))
                    .col_expr(node::Column::MemoryMib, Expr::value(mem))
                    .col_expr(node::Column::State, Expr::value(state))
                    .col_expr(node::Column::StateReason, Expr::value(inv.down.clone()))
                    .filter(node::Column::Id.eq(row.id))
                    .exec(txn)
                    .await?;
                if row.state != state {
                    tracing::warn!(node = %inv.name, state, reason = ?inv.down, "a node changed state");
                    insert_event(
                        txn,
                        None,
                        if state == "up" { "NodeUp" } else { "NodeDown" },
                        match &inv.down {
                            Some(why) => format!("node {} went down: {why}", inv.name),
                            None => format!("node {} is up", inv.name),
                        },
                        now,
                    )
                    .await?;
                }
                synced.changed = true;
            }
        }
    }
    for (name, row) in &rows {
        if row.state == "up" && !inventory.iter().any(|i| &i.name == name) {
            let why = "no longer reported by the executor".to_owned();
            node::Entity::update_many()
                .col_expr(node::Column::State, Expr::value("down"))
                .col_expr(node::Column::StateReason, Expr::value(why.clone()))
                .filter(node::Column::Id.eq(row.id))
                .exec(txn)
                .await?;
            lost.insert(
                name.clone(),
                (format!("node {name} left the cluster"), None),
            );
            synced.changed = true;
        }
    }
    if !lost.is_empty() {
        let events: Vec<PodEvent> = loaded
            .pods
            .iter()
            .filter_map(|(pod, row)| {
                let (why, left) = lost.get(&row.node)?;
                if let Some(left) = left
                    && !on_devices_beyond(&row.gpus, *left)
                {
                    return None;
                }
                Some(if row.state == PodState::Terminating {
                    PodEvent::Gone { name: pod.clone() }
                } else {
                    PodEvent::Lost {
                        name: pod.clone(),
                        reason: why.clone(),
                    }
                })
            })
            .collect();
        synced.applied = pods::apply(txn, loaded, events, logs, now).await?;
    }
    Ok(synced)
}

/// Whether a pod holds a device at or past index `left` (gone when its node shrank to `left`).
fn on_devices_beyond(gpus: &rota_scheduler::GpuSlots, left: u32) -> bool {
    match gpus {
        rota_scheduler::GpuSlots::Devices(d) => d.iter().any(|&i| i >= left),
        rota_scheduler::GpuSlots::Shared { device, .. } => *device >= left,
    }
}

async fn default_pool(txn: &DatabaseTransaction, cluster_id: i32) -> ControlResult<i32> {
    node_pool::Entity::find()
        .filter(node_pool::Column::ClusterId.eq(cluster_id))
        .filter(node_pool::Column::Name.eq(rota_scheduler::model::DEFAULT_POOL))
        .one(txn)
        .await?
        .map(|p| p.id)
        .ok_or_else(|| ControlError::Corrupt("the cluster has no default node pool".into()))
}
