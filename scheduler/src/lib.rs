//! Rota's scheduling core: pure and deterministic. A [`Snapshot`] in, a [`Plan`] out.
//!
//! No IO, no clock, no randomness, no hash-map iteration: the same snapshot gives the same plan.
//! The rules are those of DESIGN.md ("Scheduling semantics"), after KAI-Scheduler, the open-sourced
//! Run:ai scheduler. Every cycle:
//!
//! 1. [`fair_share`](Cycle::fair_share): per node pool, top down, deserved quota first, then the
//!    surplus by rank and over-quota weight, capped by demand and limit.
//! 2. [`allocate`](Cycle::allocate): pending workloads onto free GPUs in fair order.
//! 3. [`consolidate`](Cycle::consolidate): move preemptible pods so a fragmented workload fits.
//! 4. [`reclaim`](Cycle::reclaim): a project within its fair share takes GPUs back from others.
//! 5. [`preempt`](Cycle::preempt): higher priority evicts lower priority inside a project.
//!
//! Choices where DESIGN.md is silent, written down here:
//! - A workload runs in one node pool. Its `pools` list is its preference order (empty: every pool,
//!   `default` first, then by name). Its pending demand counts toward fair share in its first pool
//!   only; allocate tries each pool in turn; reclaim, consolidate and preempt act in the pool where
//!   allocate first failed.
//! - Quota, fair share and limits are in GPUs. CPU and memory are placement constraints of nodes,
//!   not quota.
//! - A memory-slice request counts, for quota, as the portion it takes of the pool's largest device;
//!   on a device it takes the portion of that device's memory, rounded up.
//! - A workload is scheduled whole: allocate places between its gang minimum and all of its pods
//!   at once; a running workload is not grown later. Evictions always take a whole workload.
//! - Evicted GPUs are free only from the next cycle. The workload an eviction was for is
//!   "nominated" in the plan; in the next snapshot it is placed before the fair-order walk, so
//!   that nothing else takes the GPUs freed for it (without this, two projects can trade the same
//!   GPUs back and forth forever).
//! - Pods asked to stop keep their GPUs until the executor confirms they are gone
//!   ([`Snapshot::releasing`]). A workload they are freed for waits for them, nominated, and
//!   neither takes other GPUs by force nor is given them to someone else meanwhile.
//! - Consolidation moves land only on GPUs free at the start of the cycle, and only movers on nodes
//!   that could become a home for the workload are tried, at most
//!   [`Config::max_consolidation_movers`].

mod accept;
mod allocate;
mod cluster;
mod config;
mod consolidate;
mod cycle;
mod error;
mod explain;
mod fair_share;
mod floor;
pub mod gpus;
mod index;
mod memo;
mod min_runtime;
pub mod model;
mod plan;
mod preempt;
mod quantity;
mod reclaim;
mod room;
pub mod scenario;
mod search;
pub mod synthetic;
pub mod usage;

pub use accept::set_aside;
pub use cluster::PlacementStrategy;
pub use config::Config;
pub use cycle::{Cycle, Phase};
pub use error::SnapshotError;
pub use explain::{Action, PendingReason, ReclaimBlock, span};
pub use floor::first_fit;
pub use model::{
    Department, FreedFor, GpuRequest, GpuSlots, MinRuntime, Node, PodPlacement, PoolQuota, Project,
    Quota, Releasing, Snapshot, Workload, WorkloadId, WorkloadKind,
};
pub use plan::{Bind, Counters, Eviction, EvictionReason, Plan, QueueShare};
pub use quantity::MilliGpus;
pub use usage::{ProjectUsage, TimeFairShare, UsageLedger};

/// Runs one full scheduling cycle on `snapshot`.
///
/// Fails only when the snapshot contradicts itself (unknown names, over-allocated devices); a
/// workload that cannot run is not an error but a pending reason in the plan.
pub fn schedule(snapshot: &Snapshot, config: &Config) -> Result<Plan, SnapshotError> {
    Ok(Cycle::new(snapshot, config)?.run(|_| {}))
}
