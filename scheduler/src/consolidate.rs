//! Consolidate: when a pending workload could fit in the free GPUs of its pool, but not on any node
//! as they stand, move running preemptible workloads to make room.
//!
//! Candidates are taken lowest priority first, then newest, in growing prefixes. For each prefix,
//! the candidates that can land elsewhere on GPUs free now do (largest first); one that cannot
//! stays where it is. If the workload then fits on what the movers leave, each mover is asked in
//! turn, the least willing first, whether the workload still fits without moving it — if so it
//! stays. What is left moves: an eviction and a bind in the same plan. If no prefix makes room,
//! nothing moves.
//!
//! - Consolidation takes nothing from anyone: it only rearranges. So it is never withheld for a
//!   project above its deserved quota (as KAI-Scheduler does; DESIGN.md lets preemptible work use
//!   idle GPUs), only for a limit or, for non-preemptible work, its quota — the rules allocate
//!   follows.
//! - A workload younger than its project's `preempt` minimum runtime is not a mover. When a
//!   workload could not be helped while some were protected, the plan asks for another cycle
//!   when the first protection ends ([`crate::Plan::recheck_at_ms`]); its reason stays the
//!   fragmentation's.
//! - A mover with several pods (a gang, or an elastic workload above its minimum) moves whole:
//!   every pod lands, or the mover stays.
//! - Movers only land on GPUs free at the start of the cycle (never on another mover's old GPUs,
//!   which free up only when it has stopped), away from what the workload would take — but
//!   possibly on another node they already run on; the workload itself is placed in the next
//!   cycle, first, as a nominated workload. A whole-GPU mover lands off the workload's nodes; a
//!   fraction may land beside another fraction on a partly used device of those nodes, off the
//!   workload's devices: two half-used devices become one full and one free, and a whole-GPU
//!   workload fits (see [`crate::cluster::Avoid`]).
//! - A workload is helped when allocate found the pool's free GPUs scattered: its GPUs are free
//!   in the pool all together, counting the free parts of partly used devices, but not on one
//!   node or device ([`crate::explain::PendingReason::Fragmented`]).
//!
//! Only movers with a pod on a node that could become a home for the workload are considered
//! (its free GPUs plus the devices movers hold there, whole or in part, reach one pod's request),
//! and at most `Config::max_consolidation_movers` of them.

use std::collections::{BTreeMap, BTreeSet};

use crate::cluster::{Avoid, PodPlacementAt};
use crate::cycle::{Cycle, JobState};
use crate::explain::{Action, PendingReason};
use crate::memo::{FailedShapes, Rule};
use crate::model::{GpuRequest, GpuSlots};
use crate::plan::{Bind, Eviction, EvictionReason};
use crate::search::{Fit, Search, Searched};

/// Movers and where each lands, pod by pod.
type Moves = Vec<(usize, Vec<PodPlacementAt>)>;

impl Cycle<'_> {
    /// Moves running workloads so that fragmented pending workloads fit.
    pub fn consolidate(&mut self) {
        self.fair_share();
        let mut movers_by_pool: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        // Per pool, when the first workload its `preempt` minimum runtime keeps from moving may
        // move.
        let mut protected_until: BTreeMap<usize, u64> = BTreeMap::new();
        for (j, job) in self.index.jobs.iter().enumerate() {
            if let (Some(pool), true) = (job.running_pool, job.workload.preemptible) {
                match self.protected_until(j, Action::Consolidate) {
                    None => movers_by_pool.entry(pool).or_default().push(j),
                    Some(until) => {
                        let first = protected_until.entry(pool).or_insert(until);
                        *first = (*first).min(until);
                    }
                }
            }
        }
        for list in movers_by_pool.values_mut() {
            list.sort_by_key(|&j| {
                let w = self.index.jobs[j].workload;
                (w.priority, std::cmp::Reverse(w.submission))
            });
        }
        // Per pool: shapes that could not be helped, until the next move in the pool.
        let mut no_room = FailedShapes::new(Rule::Same, self.config.remember_failures);
        for job in self.attempt_order.clone() {
            if self.state[job] != JobState::Pending {
                continue;
            }
            let Some((pool, PendingReason::Fragmented { .. })) = &self.failure[job] else {
                continue;
            };
            let pool = *pool;
            let w = self.index.jobs[job].workload;
            let none = BTreeMap::new();
            let Some(max_pods) = (w.min_pods..=w.pods)
                .rev()
                .find(|&p| self.quota_refusal(job, pool, p, &none).is_none())
            else {
                continue;
            };
            let shape = self.shape(job, max_pods);
            if no_room.known(pool, &shape) {
                continue;
            }
            let movers = movers_by_pool
                .get(&pool)
                .map(Vec::as_slice)
                .unwrap_or_default();
            let candidates = self.mover_candidates(job, movers);
            if self.consolidate_for(job, pool, max_pods, &candidates) {
                no_room.forget(|&p| p == pool);
            } else {
                no_room.record(pool, shape);
                // With fewer workloads protected, the next try may find room: look again then.
                if let Some(&until) = protected_until.get(&pool) {
                    self.recheck_at(until);
                }
            }
        }
    }

    fn mover_candidates(&self, job: usize, movers: &[usize]) -> Vec<usize> {
        let want = match self.index.jobs[job].workload.gpu {
            GpuRequest::Devices(k) => Some(k),
            _ => None,
        };
        // Devices on each node that movers could empty: theirs, and each device a fraction of
        // theirs shares (counted once; an upper bound, as others may share it too).
        let mut movable: BTreeMap<usize, u32> = BTreeMap::new();
        let mut shared: BTreeSet<(usize, u32)> = BTreeSet::new();
        if want.is_some() {
            for &m in movers {
                if self.state[m] != JobState::Running {
                    continue;
                }
                let j = &self.index.jobs[m];
                for (pod, &n) in j.workload.placement.iter().zip(&j.nodes) {
                    match &pod.gpus {
                        GpuSlots::Devices(devs) => {
                            *movable.entry(n).or_default() += devs.len() as u32;
                        }
                        GpuSlots::Shared { device, .. } => {
                            if shared.insert((n, *device)) {
                                *movable.entry(n).or_default() += 1;
                            }
                        }
                    }
                }
            }
        }
        let promising = |n: usize| match want {
            Some(k) => self.cluster.whole_free_on(n) + movable.get(&n).copied().unwrap_or(0) >= k,
            None => true,
        };
        movers
            .iter()
            .copied()
            .filter(|&m| m != job && self.state[m] == JobState::Running)
            .filter(|&m| self.nodes_of(m).iter().any(|&n| promising(n)))
            .take(self.config.max_consolidation_movers)
            .collect()
    }

    fn consolidate_for(
        &mut self,
        job: usize,
        pool: usize,
        max_pods: u32,
        candidates: &[usize],
    ) -> bool {
        let Searched::Found(_, (movers, homes)) = self.search(&mut Prefixes {
            job,
            pool,
            max_pods,
            candidates,
        }) else {
            return false;
        };
        let start = self.cluster.checkpoint();
        match self.move_for(job, pool, max_pods, &movers, &homes) {
            Some((moved, takes)) => {
                self.cluster.commit();
                // What the job is to take stays empty for it: a later move lands elsewhere.
                self.promised.extend_from_slice(takes.devices());
                self.record_moves(job, pool, moved);
                true
            }
            None => {
                self.cluster.rollback(start);
                false
            }
        }
    }

    /// Which of `chosen` must move for `job` to fit; the others stay where they are.
    ///
    /// With all of `chosen` gone, where would the job go? Only those on those nodes need to move.
    /// They land elsewhere largest first (first-fit decreasing); one that cannot stays. If the job
    /// then fits, each mover is asked, the least willing first (the end of `chosen`), whether the
    /// job still fits without moving it; if so it stays. So no workload is moved for nothing, as
    /// KAI-Scheduler leaves in place a victim that can go back where it was.
    fn movers_that_make_room(
        &mut self,
        job: usize,
        pool: usize,
        max_pods: u32,
        chosen: &[usize],
    ) -> Option<(Vec<usize>, Avoid)> {
        let start = self.cluster.checkpoint();
        for &m in chosen {
            self.release_pods(m);
        }
        let homes = self
            .try_place(job, pool, max_pods)
            .map(|placed| Avoid::placement(&placed));
        self.cluster.rollback(start);
        let homes = homes?;

        let mut by_size: Vec<usize> = chosen
            .iter()
            .copied()
            .filter(|&m| self.nodes_of(m).iter().any(|n| homes.nodes().contains(n)))
            .collect();
        by_size.sort_by_key(|&m| std::cmp::Reverse(self.index.running_gpus(m)));
        let mut movers = Vec::with_capacity(by_size.len());
        for m in by_size {
            let before = self.cluster.checkpoint();
            match self.land(m, pool, &homes) {
                Some(_) => movers.push(m),
                None => self.cluster.rollback(before),
            }
        }
        self.cluster.rollback(start);
        if movers.is_empty()
            || self
                .move_for(job, pool, max_pods, &movers, &homes)
                .is_none()
        {
            self.cluster.rollback(start);
            return None;
        }
        self.cluster.rollback(start);
        for &m in chosen.iter().rev() {
            let Some(at) = movers.iter().position(|&x| x == m) else {
                continue;
            };
            if movers.len() == 1 {
                break;
            }
            let mut fewer = movers.clone();
            fewer.remove(at);
            let fits = self.move_for(job, pool, max_pods, &fewer, &homes).is_some();
            self.cluster.rollback(start);
            if fits {
                movers = fewer;
            }
        }
        Some((movers, homes))
    }

    /// Lands every mover on GPUs free now, away from what the job takes (`homes`), then checks that `job`
    /// fits on what they leave. On success the movers' new places stay taken in the cluster state
    /// (their old GPUs free up only when they have stopped), and it answers where the job would
    /// go; on failure the caller rolls back.
    fn move_for(
        &mut self,
        job: usize,
        pool: usize,
        max_pods: u32,
        movers: &[usize],
        homes: &Avoid,
    ) -> Option<(Moves, Avoid)> {
        let mut moved = Vec::with_capacity(movers.len());
        for &m in movers {
            moved.push((m, self.land(m, pool, homes)?));
        }
        let after_moves = self.cluster.checkpoint();
        for &m in movers {
            self.release_pods(m);
        }
        let takes = self
            .try_place(job, pool, max_pods)
            .map(|placed| Avoid::placement(&placed));
        self.cluster.rollback(after_moves);
        takes.map(|takes| (moved, takes))
    }

    /// Places every pod of a mover on GPUs free now, away from what the job would take and from
    /// devices emptied earlier this cycle for other workloads: a gang or an elastic workload
    /// moves whole, or not at all. It may land on another of the nodes it runs on (its own GPUs
    /// there are still held).
    fn land(&mut self, mover: usize, pool: usize, homes: &Avoid) -> Option<Vec<PodPlacementAt>> {
        let need = self.pod_need(mover);
        let pods = self.index.jobs[mover].workload.placement.len();
        let avoid = homes.and_devices(&self.promised);
        let mut placed = Vec::with_capacity(pods);
        for _ in 0..pods {
            placed.push(self.cluster.place_pod(pool, need, &avoid)?);
        }
        Some(placed)
    }

    fn record_moves(&mut self, job: usize, pool: usize, moved: Moves) {
        let for_workload = self.index.jobs[job].workload;
        let mut victims = Vec::with_capacity(moved.len());
        for (m, placed) in moved {
            let id = self.index.jobs[m].workload.id;
            self.plan.evictions.push(Eviction {
                workload: id,
                reason: EvictionReason::Consolidate {
                    for_workload: for_workload.id,
                    for_name: for_workload.name.clone(),
                },
            });
            for (pod, at) in placed.iter().enumerate() {
                self.plan.binds.push(Bind {
                    workload: id,
                    pod: pod as u32,
                    placement: at.named(&self.index),
                });
            }
            self.state[m] = JobState::Moved;
            self.plan.counters.consolidated += 1;
            victims.push(m);
        }
        self.nominate(job, pool, victims, Action::Consolidate);
    }
}

/// Consolidation's candidates: the movers in order (lowest priority, then newest), taken in
/// growing prefixes; a prefix makes room when the workload fits once those of them that must
/// move have landed elsewhere.
struct Prefixes<'c> {
    job: usize,
    pool: usize,
    max_pods: u32,
    candidates: &'c [usize],
}

impl Search for Prefixes<'_> {
    type Found = (Vec<usize>, Avoid);

    fn next(&mut self, _cycle: &mut Cycle<'_>, taken: &[usize]) -> Option<usize> {
        self.candidates.get(taken.len()).copied()
    }

    fn fits(&mut self, cycle: &mut Cycle<'_>, taken: &[usize]) -> Fit<Self::Found> {
        match cycle.movers_that_make_room(self.job, self.pool, self.max_pods, taken) {
            Some(found) => Fit::Yes(found),
            None => Fit::NoRoom,
        }
    }
}
