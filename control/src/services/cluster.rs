//! The cluster as users see it: its id, node pools and nodes with who holds each GPU.

use std::collections::BTreeMap;

use rota_api::wire::{Cluster, DeviceUse, NodeInfo, NodePool};
use rota_scheduler::GpuSlots;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use super::Rota;
use crate::error::ControlResult;
use crate::store::entity::{cluster, node, node_pool, pod, workload};
use crate::time::rfc3339;

/// `GET /api/v1/clusters`.
pub async fn list_clusters(rota: &Rota) -> ControlResult<Vec<Cluster>> {
    Ok(cluster::Entity::find()
        .order_by_asc(cluster::Column::Id)
        .all(&rota.store.db)
        .await?
        .into_iter()
        .map(|c| Cluster {
            uuid: c.uuid,
            name: c.name,
            created_at: rfc3339(c.created_at),
        })
        .collect())
}

/// `GET /api/v1/node-pools`.
pub async fn list_node_pools(rota: &Rota) -> ControlResult<Vec<NodePool>> {
    Ok(node_pool::Entity::find()
        .filter(node_pool::Column::ClusterId.eq(rota.cluster_id))
        .order_by_asc(node_pool::Column::Id)
        .all(&rota.store.db)
        .await?
        .into_iter()
        .map(|p| NodePool {
            id: p.id.to_string(),
            name: p.name,
            cluster_id: rota.cluster_uuid.clone(),
            placement_strategy: p.placement,
        })
        .collect())
}

/// The names of the cluster's node pools, by row id.
pub(crate) async fn pool_names(
    db: &impl sea_orm::ConnectionTrait,
    cluster_id: i32,
) -> ControlResult<BTreeMap<i32, String>> {
    Ok(node_pool::Entity::find()
        .filter(node_pool::Column::ClusterId.eq(cluster_id))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p.name))
        .collect())
}

/// `GET /api/v1/nodes`: every node, and which workload holds each of its devices.
pub async fn list_nodes(rota: &Rota) -> ControlResult<Vec<NodeInfo>> {
    let db = &rota.store.db;
    let pools = pool_names(db, rota.cluster_id).await?;
    let pods = pod::Entity::find().all(db).await?;
    let mut ids: Vec<i32> = pods.iter().map(|p| p.workload_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut names: BTreeMap<i32, String> = BTreeMap::new();
    for chunk in ids.chunks(500) {
        names.extend(
            workload::Entity::find()
                .filter(workload::Column::Id.is_in(chunk.iter().copied()))
                .all(db)
                .await?
                .into_iter()
                .map(|w| (w.id, w.name)),
        );
    }
    let mut holders: BTreeMap<(i32, u32), Vec<(String, u32)>> = BTreeMap::new();
    for p in pods {
        let mut who = names.get(&p.workload_id).cloned().unwrap_or_default();
        // A stopping pod holds its GPUs until it is gone: shown as such.
        if p.state == pod::state::TERMINATING {
            who.push_str(" (terminating)");
        }
        match serde_json::from_str::<GpuSlots>(&p.gpu_slots) {
            Ok(GpuSlots::Devices(devices)) => {
                for d in devices {
                    holders
                        .entry((p.node_id, d))
                        .or_default()
                        .push((who.clone(), 1000));
                }
            }
            Ok(GpuSlots::Shared {
                device, portion, ..
            }) => holders
                .entry((p.node_id, device))
                .or_default()
                .push((who, portion)),
            Err(_) => {}
        }
    }
    Ok(node::Entity::find()
        .filter(node::Column::ClusterId.eq(rota.cluster_id))
        .order_by_asc(node::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .map(|n| {
            let gpus = u32::try_from(n.gpus).unwrap_or(0);
            NodeInfo {
                id: n.id.to_string(),
                name: n.name,
                node_pool: pools.get(&n.node_pool_id).cloned().unwrap_or_default(),
                gpus,
                gpu_memory_mib: u64::try_from(n.gpu_memory_mib).unwrap_or(0),
                devices: (0..gpus)
                    .map(|index| DeviceUse {
                        index,
                        holders: holders.remove(&(n.id, index)).unwrap_or_default(),
                    })
                    .collect(),
            }
        })
        .collect())
}
