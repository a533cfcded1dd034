//! A workload's pods: where each runs and what it holds.

use rota_api::wire::WorkloadPod;
use rota_scheduler::GpuSlots;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use super::Rota;
use super::workloads::find_kept;
use crate::error::{ControlError, ControlResult};
use crate::store::entity::{node, pod};
use crate::time::rfc3339;

/// The pods of a workload (by its id, or `project/name`), by index; none while it waits.
pub async fn of_workload(rota: &Rota, id: &str) -> ControlResult<Vec<WorkloadPod>> {
    let w = find_kept(rota, id).await?;
    let db = &rota.store.db;
    let rows = pod::Entity::find()
        .filter(pod::Column::WorkloadId.eq(w.id))
        .order_by_asc(pod::Column::PodIndex)
        .order_by_asc(pod::Column::Attempt)
        .all(db)
        .await?;
    let node_ids: Vec<i32> = rows.iter().map(|p| p.node_id).collect();
    let nodes: std::collections::BTreeMap<i32, String> = node::Entity::find()
        .filter(node::Column::Id.is_in(node_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|n| (n.id, n.name))
        .collect();
    rows.into_iter()
        .map(|p| {
            let slots: GpuSlots = serde_json::from_str(&p.gpu_slots)
                .map_err(|e| ControlError::Corrupt(format!("pod {} GPU slots: {e}", p.id)))?;
            let (devices, gpu_portion) = match slots {
                GpuSlots::Devices(d) => (d, None),
                GpuSlots::Shared {
                    device, portion, ..
                } => (vec![device], Some(f64::from(portion) / 1000.0)),
            };
            Ok(WorkloadPod {
                index: u32::try_from(p.pod_index).unwrap_or(0),
                name: crate::executor::pod_name(
                    &w.uuid,
                    u32::try_from(p.pod_index).unwrap_or(0),
                    u32::try_from(p.attempt).unwrap_or(0),
                ),
                state: p.state,
                node: nodes.get(&p.node_id).cloned().unwrap_or_default(),
                devices,
                gpu_portion,
                started_at: rfc3339(p.started_at),
            })
        })
        .collect()
}
