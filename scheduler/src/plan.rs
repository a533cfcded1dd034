//! The plan: what one cycle decided, for someone else to carry out.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::explain::PendingReason;
use crate::model::{PodPlacement, Snapshot, WorkloadId};
use crate::quantity::MilliGpus;

/// The outcome of one scheduling cycle.
///
/// Carry it out in this order: evictions, then binds. A workload that is both evicted and bound is
/// being moved by consolidation: its pods stop where they were and start where the binds say.
/// GPUs freed by an eviction are not used by any bind of the same plan.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// Pods to start, with their node and devices.
    pub binds: Vec<Bind>,
    /// Workloads to stop (all their pods), each with the reason.
    pub evictions: Vec<Eviction>,
    /// Workloads that caused evictions this cycle: the next snapshot should mark them `nominated`
    /// so that they are placed first, onto the GPUs their evictions free.
    pub nominated: Vec<WorkloadId>,
    /// Why each workload still pending after this plan waits.
    pub pending: BTreeMap<WorkloadId, PendingReason>,
    /// Deserved quota, fair share and allocation of every org unit, per node pool.
    pub shares: Vec<QueueShare>,
    /// Counters of what happened, for the caller to record.
    pub counters: Counters,
    /// The earliest time (the snapshot's clock) at which a minimum runtime that keeps a pending
    /// workload waiting ends: a cycle then may decide differently though nothing else changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recheck_at_ms: Option<u64>,
}

impl Plan {
    /// True when the plan changes nothing in the cluster.
    pub fn is_idle(&self) -> bool {
        self.binds.is_empty() && self.evictions.is_empty()
    }

    /// Carries the plan out on a snapshot, as an executor that stops and starts pods at once
    /// would: evictions, then binds; the nominations hold for the next cycle only.
    pub fn apply(&self, snapshot: &mut Snapshot) {
        let by_id: BTreeMap<WorkloadId, usize> = snapshot
            .workloads
            .iter()
            .enumerate()
            .map(|(i, w)| (w.id, i))
            .collect();
        for e in &self.evictions {
            if let Some(&i) = by_id.get(&e.workload) {
                snapshot.workloads[i].placement.clear();
                snapshot.workloads[i].running_since_ms = None;
            }
        }
        for b in &self.binds {
            if let Some(&i) = by_id.get(&b.workload) {
                let w = &mut snapshot.workloads[i];
                w.placement.push(b.placement.clone());
                w.running_since_ms.get_or_insert(snapshot.now_ms);
            }
        }
        for w in &mut snapshot.workloads {
            w.nominated = self.nominated.contains(&w.id);
        }
    }
}

/// Start one pod.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bind {
    /// The workload.
    pub workload: WorkloadId,
    /// Pod index within the workload, from 0.
    pub pod: u32,
    /// Where it goes.
    pub placement: PodPlacement,
}

/// Stop every pod of one workload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Eviction {
    /// The workload to stop.
    pub workload: WorkloadId,
    /// Why.
    pub reason: EvictionReason,
}

/// Why a workload is evicted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum EvictionReason {
    /// Another project took back GPUs within its fair share.
    Reclaim {
        /// The workload that needs the GPUs.
        by: WorkloadId,
        /// Its name.
        by_name: String,
        /// Its project.
        by_project: String,
    },
    /// A higher-priority workload of the same project needed the GPUs.
    Preempt {
        /// The workload that needs the GPUs.
        by: WorkloadId,
        /// Its name.
        by_name: String,
        /// Its priority.
        by_priority: i32,
    },
    /// Moved to other GPUs so that a workload that needs whole nodes fits; rebound in the same plan.
    Consolidate {
        /// The workload the room is made for.
        for_workload: WorkloadId,
        /// Its name.
        for_name: String,
    },
    /// Fewer pods than the gang minimum were left running.
    GangBroken {
        /// Pods running.
        running: u32,
        /// The gang minimum.
        min_pods: u32,
    },
}

impl std::fmt::Display for EvictionReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EvictionReason::Reclaim {
                by_name,
                by_project,
                ..
            } => write!(
                f,
                "preempted: {by_project} reclaimed its fair share of GPUs for {by_name}"
            ),
            EvictionReason::Preempt {
                by_name,
                by_priority,
                ..
            } => write!(
                f,
                "preempted by {by_name}, a workload of the same project with higher priority ({by_priority})"
            ),
            EvictionReason::Consolidate { for_name, .. } => {
                write!(
                    f,
                    "moved to other GPUs to make room on one node for {for_name}"
                )
            }
            EvictionReason::GangBroken { running, min_pods } => write!(
                f,
                "stopped: only {running} of its minimum {min_pods} pods were running"
            ),
        }
    }
}

/// One org unit's standing in one node pool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueShare {
    /// Node pool.
    pub pool: String,
    /// Department or project name.
    pub name: String,
    /// Whether it is a project (else a department).
    pub is_project: bool,
    /// Deserved quota.
    pub deserved: MilliGpus,
    /// Fair share computed this cycle.
    pub fair_share: MilliGpus,
    /// GPUs allocated at the start of the cycle.
    pub allocated: MilliGpus,
    /// GPUs asked for: allocated plus pending, capped by the limit.
    pub demand: MilliGpus,
    /// GPUs held once the plan is carried out: allocated, plus what it binds, less what it
    /// evicts (what usage is charged for until the next cycle).
    #[serde(default)]
    pub held: MilliGpus,
    /// Past GPU-seconds the snapshot gave it (summed over its projects), weighed over the window.
    #[serde(default)]
    pub usage_gpu_secs: u64,
}

/// What a cycle did, counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counters {
    /// Workloads placed by allocate.
    pub allocated: u32,
    /// Workloads moved by consolidation.
    pub consolidated: u32,
    /// Workloads evicted by reclaim.
    pub reclaimed: u32,
    /// Workloads evicted by priority preemption.
    pub preempted: u32,
    /// Gangs evicted for running below their minimum.
    pub gangs_broken: u32,
    /// Workload placement attempts by allocate.
    pub allocate_attempts: u32,
}
