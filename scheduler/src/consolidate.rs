//! Consolidate: when a pending workload could fit in the free GPUs of its pool, but not on any node
//! as they stand, move running preemptible workloads to make room.
//!
//! Movers are added lowest priority first, then newest, until every mover can be placed again on
//! GPUs free now and the workload fits on what is then free; if that never happens, nothing moves.
//! A move is an eviction and a bind in the same plan. Movers only land on GPUs free at the start of
//! the cycle (never on another mover's old GPUs, which free up only when it has stopped), and the
//! workload itself is placed in the next cycle, first, as a nominated workload.
//!
//! Only movers with a pod on a node that could become a home for the workload are considered
//! (its free GPUs plus what movers hold there reach one pod's request), and at most
//! `Config::max_consolidation_movers` of them.

use std::collections::BTreeMap;

use crate::cluster::PodPlacementAt;
use crate::cycle::{Cycle, JobState};
use crate::explain::{Action, PendingReason};
use crate::model::GpuRequest;
use crate::plan::{Bind, Eviction, EvictionReason};

impl Cycle<'_> {
    /// Moves running workloads so that fragmented pending workloads fit.
    pub fn consolidate(&mut self) {
        self.fair_share();
        let mut movers_by_pool: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for (j, job) in self.index.jobs.iter().enumerate() {
            if let (Some(pool), true) = (job.running_pool, job.workload.preemptible) {
                movers_by_pool.entry(pool).or_default().push(j);
            }
        }
        for list in movers_by_pool.values_mut() {
            list.sort_by_key(|&j| {
                let w = self.index.jobs[j].workload;
                (w.priority, std::cmp::Reverse(w.submission))
            });
        }
        // Shapes (GPUs per pod, gang minimum) that could not be helped: anything as large fails too.
        let mut hopeless: Vec<(usize, i64, u32)> = Vec::new();
        for job in self.attempt_order.clone() {
            if self.state[job] != JobState::Pending {
                continue;
            }
            let Some((pool, PendingReason::Fragmented { .. })) = &self.failure[job] else {
                continue;
            };
            let pool = *pool;
            let per_pod = self.index.pod_gpus(job, pool).0;
            let min_pods = self.index.jobs[job].workload.min_pods;
            if hopeless
                .iter()
                .any(|&(p, g, m)| p == pool && per_pod >= g && min_pods >= m)
            {
                continue;
            }
            let movers = movers_by_pool
                .get(&pool)
                .map(Vec::as_slice)
                .unwrap_or_default();
            let candidates = self.mover_candidates(job, movers);
            if !self.consolidate_for(job, pool, &candidates) {
                hopeless.push((pool, per_pod, min_pods));
            }
        }
    }

    fn mover_candidates(&self, job: usize, movers: &[usize]) -> Vec<usize> {
        let want = match self.index.jobs[job].workload.gpu {
            GpuRequest::Devices(k) => Some(k),
            _ => None,
        };
        let mut movable: BTreeMap<usize, u32> = BTreeMap::new();
        if want.is_some() {
            for &m in movers {
                if self.state[m] != JobState::Running {
                    continue;
                }
                if let GpuRequest::Devices(d) = self.index.jobs[m].workload.gpu {
                    for &n in self.nodes_of(m) {
                        *movable.entry(n).or_default() += d;
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

    fn consolidate_for(&mut self, job: usize, pool: usize, candidates: &[usize]) -> bool {
        let w = self.index.jobs[job].workload;
        let none = BTreeMap::new();
        let Some(max_pods) = (w.min_pods..=w.pods)
            .rev()
            .find(|&p| self.quota_refusal(job, pool, p, &none).is_none())
        else {
            return false;
        };
        for count in 1..=candidates.len() {
            let chosen = &candidates[..count];
            let start = self.cluster.checkpoint();
            let Some(moved) = self.place_movers(chosen, pool) else {
                self.cluster.rollback(start);
                continue;
            };
            let after_moves = self.cluster.checkpoint();
            for &m in chosen {
                self.release_pods(m);
            }
            let fits = self.try_place(job, pool, max_pods, &[]).is_some();
            self.cluster.rollback(after_moves);
            if fits {
                self.cluster.commit();
                self.record_moves(job, pool, moved);
                return true;
            }
            self.cluster.rollback(start);
        }
        false
    }

    /// Places every pod of every mover on GPUs free now, away from its current nodes.
    fn place_movers(
        &mut self,
        chosen: &[usize],
        pool: usize,
    ) -> Option<Vec<(usize, Vec<PodPlacementAt>)>> {
        let mut moved = Vec::with_capacity(chosen.len());
        for &m in chosen {
            let avoid = self.nodes_of(m).to_vec();
            let need = self.pod_need(m);
            let pods = self.index.jobs[m].workload.placement.len();
            let mut placed = Vec::with_capacity(pods);
            for _ in 0..pods {
                placed.push(self.cluster.place_pod(pool, need, &avoid)?);
            }
            moved.push((m, placed));
        }
        Some(moved)
    }

    fn record_moves(&mut self, job: usize, pool: usize, moved: Vec<(usize, Vec<PodPlacementAt>)>) {
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
