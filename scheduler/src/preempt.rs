//! Preempt: inside one project, a pending workload evicts running preemptible workloads of strictly
//! lower priority — lowest priority first, then newest — until it fits. A non-preemptible preemptor
//! must stay within deserved quota; no limit is ever passed. If it never fits, nothing is evicted.
//! A workload its project's `preempt` minimum runtime still protects is not a victim.

use crate::cycle::{Cycle, JobState};
use crate::explain::{Action, PendingReason};
use crate::memo::{FailedShapes, Rule, Shape};
use crate::plan::EvictionReason;
use crate::reclaim::is_room_shortage;
use crate::search::{Evictions, Fit, Search, Searched};

impl Cycle<'_> {
    /// Evicts lower-priority work of the same project for pending higher-priority workloads.
    pub fn preempt(&mut self) {
        self.fair_share();
        let (lists, protected) = self.victim_lists(Some(Action::Preempt));
        // With the protected too, built only when some are, to say whom a workload waits for.
        let mut everyone = None;
        // Per (pool, project): shapes that found no room with every lower priority gone.
        let remember = self.config.remember_failures;
        let mut no_room = FailedShapes::new(Rule::Harder, remember);
        // Likewise with the protected counted in.
        let mut no_room_later = FailedShapes::new(Rule::Harder, remember);
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
            let shape = Shape {
                priority: w.priority,
                ..self.shape(job, w.pods)
            };
            if below && !no_room.known((pool, queue), &shape) {
                let candidates = self.lower_than(list, w.priority);
                match self.preempt_search(job, pool, &candidates) {
                    Searched::Found(taken, ()) => {
                        self.preempt_for(job, pool, taken);
                        continue;
                    }
                    Searched::Failed { no_room: true } => no_room.record((pool, queue), shape),
                    Searched::Failed { no_room: false } => {}
                }
            }
            if protected && !no_room_later.known((pool, queue), &shape) {
                let (all, _) = everyone.get_or_insert_with(|| self.victim_lists(None));
                let candidates = self.lower_than(all[pool].get(&queue), w.priority);
                match self.preempt_search(job, pool, &candidates) {
                    Searched::Found(taken, ()) => {
                        self.wait_for_protected(job, Action::Preempt, &taken)
                    }
                    Searched::Failed { no_room: true } => {
                        no_room_later.record((pool, queue), shape)
                    }
                    Searched::Failed { no_room: false } => {}
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

    fn preempt_for(&mut self, job: usize, pool: usize, taken: Vec<usize>) {
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
    }

    /// The candidates, in order, whose GPUs let `job` fit, taken until it does.
    fn preempt_search(&mut self, job: usize, pool: usize, candidates: &[usize]) -> Searched<()> {
        self.search(&mut LowerPriority {
            candidates,
            at: 0,
            evictions: Evictions::new(job, pool),
        })
    }
}

/// Preempt's candidates: the project's running preemptible workloads below the preemptor's
/// priority, lowest priority first, then newest.
struct LowerPriority<'c> {
    candidates: &'c [usize],
    at: usize,
    evictions: Evictions,
}

impl Search for LowerPriority<'_> {
    type Found = ();

    fn next(&mut self, cycle: &mut Cycle<'_>, _taken: &[usize]) -> Option<usize> {
        while let Some(&victim) = self.candidates.get(self.at) {
            self.at += 1;
            if cycle.state[victim] == JobState::Running {
                return Some(victim);
            }
        }
        None
    }

    fn fits(&mut self, cycle: &mut Cycle<'_>, taken: &[usize]) -> Fit<()> {
        if let Some(&victim) = taken.last() {
            self.evictions.take(cycle, victim);
        }
        self.evictions.fits(cycle)
    }
}
