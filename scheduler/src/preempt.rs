//! Preempt: inside one project, a pending workload evicts running preemptible workloads of strictly
//! lower priority — lowest priority first, then newest — until it fits. A non-preemptible preemptor
//! must stay within deserved quota; no limit is ever passed. If it never fits, nothing is evicted.
//! A workload its project's `preempt` minimum runtime still protects is not a victim.

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
        let (lists, protected) = self.victim_lists(Some(Action::Preempt));
        // With the protected too, built only when some are, to say whom a workload waits for.
        let mut everyone = None;
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
            let list = lists[pool].get(&queue);
            // The list starts with the lowest priority: nothing below this job (and none
            // protected anywhere), nothing to do.
            let below = list
                .and_then(|l| l.first())
                .is_some_and(|&v| self.index.jobs[v].workload.priority < w.priority);
            if !below && !protected {
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
            let candidates = if below {
                self.lower_than(list, w.priority)
            } else {
                Vec::new()
            };
            if candidates.is_empty() || !self.preempt_for(job, pool, &candidates) {
                hopeless
                    .entry((pool, queue))
                    .or_default()
                    .push((w.priority, request));
                if protected {
                    let (all, _) = everyone.get_or_insert_with(|| self.victim_lists(None));
                    let candidates = self.lower_than(all[pool].get(&queue), w.priority);
                    if let Some(taken) = self.preempt_search(job, pool, &candidates) {
                        self.wait_for_protected(job, Action::Preempt, &taken);
                    }
                }
            }
        }
    }

    /// The jobs of a victim list (lowest priority first) below `priority`.
    fn lower_than(&self, list: Option<&Vec<usize>>, priority: i32) -> Vec<usize> {
        list.into_iter()
            .flatten()
            .copied()
            .take_while(|&v| self.index.jobs[v].workload.priority < priority)
            .collect()
    }

    fn preempt_for(&mut self, job: usize, pool: usize, candidates: &[usize]) -> bool {
        let Some(taken) = self.preempt_search(job, pool, candidates) else {
            return false;
        };
        let w = self.index.jobs[job].workload;
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
        true
    }

    /// The candidates, in order, whose GPUs let `job` fit, taken until it does; the cluster is
    /// left as it was.
    fn preempt_search(
        &mut self,
        job: usize,
        pool: usize,
        candidates: &[usize],
    ) -> Option<Vec<usize>> {
        let w = self.index.jobs[job].workload;
        let start = self.cluster.checkpoint();
        let mut taken = Vec::new();
        let mut released: BTreeMap<usize, MilliGpus> = BTreeMap::new();
        let mut found = false;
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
            found = self.try_place(job, pool, w.pods).is_some();
            self.cluster.rollback(trial);
            if found {
                break;
            }
        }
        self.cluster.rollback(start);
        self.cluster.commit();
        found.then_some(taken)
    }
}
