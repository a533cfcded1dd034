//! "What happens if I submit this": the scheduler run on the current state plus the workload.

use rota_api::wire::{Preview, PreviewOutcome};
use rota_scheduler::{Config, MilliGpus, PendingReason, Workload};

use super::Rota;
use super::workloads::{Checked, Submission, check, scheduler_gpu};
use crate::auth::Principal;
use crate::control_loop::snapshot;
use crate::error::{ControlError, ControlResult};

/// Runs one cycle on the store's current state with the submission added, and says what it did.
pub async fn preview(rota: &Rota, who: &Principal, sub: &Submission) -> ControlResult<Preview> {
    let checked = check(rota, who, sub).await?;
    let (pods, min_pods) = checked.pods();
    let Checked {
        name,
        spec,
        project,
        gpu,
        cpu,
        memory,
        priority,
        ..
    } = checked;
    let loaded = snapshot::load(&rota.store.db, rota.cluster_id).await?;
    let mut snap = loaded.snapshot;
    snap.now_ms = u64::try_from(crate::time::now_ms()).unwrap_or(0);
    let id = snap
        .workloads
        .iter()
        .map(|w| w.id.max(w.submission))
        .max()
        .unwrap_or(0)
        + 1;
    let gpu = scheduler_gpu(gpu);
    snap.workloads.push(Workload {
        id,
        name,
        project: project.name.clone(),
        kind: sub.kind,
        pools: spec.node_pools,
        pods,
        min_pods,
        gpu,
        cpu_millicores: cpu,
        memory_mib: memory,
        priority: priority.value,
        preemptible: priority.preemptible,
        submission: id,
        nominated: false,
        placement: Vec::new(),
        running_since_ms: None,
    });
    let config = Config {
        placement: loaded.placements,
        ..Config::default()
    };
    let plan = rota_scheduler::schedule(&snap, &config)
        .map_err(|e| ControlError::Corrupt(format!("preview snapshot: {e}")))?;
    let mut nodes: Vec<String> = plan
        .binds
        .iter()
        .filter(|b| b.workload == id)
        .map(|b| b.placement.node.clone())
        .collect();
    let bound = nodes.len() as i64;
    nodes.dedup();
    let preemptible = priority.preemptible;
    if !nodes.is_empty() {
        let pool = snap
            .nodes
            .iter()
            .find(|n| n.name == nodes[0])
            .map(|n| n.pool.clone())
            .unwrap_or_default();
        let share = plan
            .shares
            .iter()
            .find(|s| s.is_project && s.name == project.name && s.pool == pool);
        let reference = rota_scheduler::gpus::reference_memory_of(&snap.nodes);
        let request = rota_scheduler::gpus::pod_gpus(
            gpu,
            reference.get(pool.as_str()).copied().unwrap_or_default(),
        );
        let over_quota =
            share.is_some_and(|s| s.allocated + MilliGpus(request.0 * bound) > s.deserved);
        let mut message = format!("starts now on {}", nodes.join(", "));
        if over_quota {
            message.push_str(if preemptible {
                "; runs over quota, preemptible"
            } else {
                "; runs over quota"
            });
        }
        return Ok(Preview {
            outcome: PreviewOutcome::StartsNow,
            nodes,
            over_quota,
            message,
        });
    }
    let (outcome, message) = match plan.pending.get(&id) {
        Some(PendingReason::AwaitingEviction { victims, action }) => {
            let how = match action {
                rota_scheduler::Action::Reclaim => format!(
                    "preempting {} to return {}'s fair share",
                    victims.join(", "),
                    project.name
                ),
                rota_scheduler::Action::Preempt => {
                    format!("preempting {}, of lower priority", victims.join(", "))
                }
                rota_scheduler::Action::Consolidate => {
                    format!("moving {} to make room on one node", victims.join(", "))
                }
            };
            (
                PreviewOutcome::StartsAfterPreemption,
                format!("starts after {how}"),
            )
        }
        Some(reason) => (PreviewOutcome::Waits, format!("waits: {reason}")),
        None => (PreviewOutcome::Waits, "waits".to_owned()),
    };
    Ok(Preview {
        outcome,
        nodes,
        over_quota: false,
        message,
    })
}
