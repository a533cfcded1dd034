//! Preempt: inside one project, a pending workload evicts running preemptible workloads of strictly
//! lower priority — lowest priority first, then newest — until it fits. A non-preemptible preemptor
//! must stay within deserved quota; no limit is ever passed. If it never fits, nothing is evicted.

use std::collections::BTreeMap;

use crate::cycle::{Cycle, JobState};
use crate::explain::{Action, PendingReason};
use crate::plan::EvictionReason;
use crate::quantity::MilliGpus;
use crate::reclaim::is_room_shortage;

impl Cycle<'_> {
    /// Evicts lower-priority work of the same project for pending higher-priority workloads.
    pub fn preempt(&mut self) {
        self.fair_share();
        let lists = self.victim_lists();
        // Per (pool, project): (priority, request) that found no room; no higher, no smaller fits.
        let mut hopeless: BTreeMap<(usize, usize), Vec<(i32, MilliGpus)>> = BTreeMap::new();
        for job in self.attempt_order.clone() {
            if self.state[job] != JobState::Pending {
                continue;
            }
            let Some((pool, reason)) = &self.failure[job] else {
                continue;
            };
            let pool = *pool;
            if !(is_room_shortage(reason) || matches!(reason, PendingReason::AtLimit { .. })) {
                continue;
            }
            let w = self.index.jobs[job].workload;
            let queue = self.index.jobs[job].queue;
            let Some(list) = lists[pool].get(&queue) else {
                continue;
            };
            // The list starts with the lowest priority: nothing below this job, nothing to do.
            if list
                .first()
                .is_none_or(|&v| self.index.jobs[v].workload.priority >= w.priority)
            {
                continue;
            }
            let request = self.index.job_gpus(job, pool);
            let failed = hopeless.entry((pool, queue)).or_default();
            if failed
                .iter()
                .any(|&(prio, r)| w.priority <= prio && request >= r)
            {
                continue;
            }
            let candidates: Vec<usize> = list
                .iter()
                .copied()
                .take_while(|&v| self.index.jobs[v].workload.priority < w.priority)
                .collect();
            if !self.preempt_for(job, pool, &candidates) {
                hopeless
                    .entry((pool, queue))
                    .or_default()
                    .push((w.priority, request));
            }
        }
    }

    fn preempt_for(&mut self, job: usize, pool: usize, candidates: &[usize]) -> bool {
        let w = self.index.jobs[job].workload;
        let start = self.cluster.checkpoint();
        let mut taken = Vec::new();
        let mut released: BTreeMap<usize, MilliGpus> = BTreeMap::new();
        for &victim in candidates {
            if self.state[victim] != JobState::Running {
                continue;
            }
            taken.push(victim);
            let held = self.index.running_gpus(victim);
            for q in self.index.path(self.index.jobs[victim].queue) {
                *released.entry(q).or_default() += held;
            }
            self.release_pods(victim);
            if self.quota_refusal(job, pool, w.pods, &released).is_some() {
                continue;
            }
            let trial = self.cluster.checkpoint();
            let fits = self.try_place(job, pool, w.pods).is_some();
            self.cluster.rollback(trial);
            if fits {
                self.cluster.rollback(start);
                self.cluster.commit();
                for &v in &taken {
                    self.evict(
                        v,
                        EvictionReason::Preempt {
                            by: w.id,
                            by_name: w.name.clone(),
                            by_priority: w.priority,
                        },
                    );
                    self.plan.counters.preempted += 1;
                }
                self.nominate(job, pool, taken, Action::Preempt);
                return true;
            }
        }
        self.cluster.rollback(start);
        self.cluster.commit();
        false
    }
}
