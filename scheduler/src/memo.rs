//! What failed, remembered: one memo for allocate, consolidate, reclaim and preempt, so that a
//! backlog of look-alike workloads costs one search, not one each.
//!
//! A memo holds, per key (a pool, and a project where the search depends on it), the
//! [`Shape`]s an attempt failed for. A later attempt is skipped — it fails, and says why as the
//! first did — when the memo holds a shape its own [`Rule`] says it cannot do better than.
//!
//! # Why skipping never changes a decision
//!
//! Skipping is sound when the skipped attempt would have failed. Two facts carry it:
//!
//! 1. *Room only shrinks inside a phase.* Allocate's binds take free devices, consolidation's
//!    movers land on free devices, and an eviction keeps its devices taken until the next cycle
//!    ([`crate::Cycle::evict`]); nothing a phase does frees a device for a later attempt of the
//!    same phase. Candidates only leave, too: a victim evicted or a mover moved is never one again.
//! 2. *Placing look-alike pods is monotone.* Every pod of a workload asks for the same need, and a
//!    pod takes one unit of what a node (whole devices, CPU, memory) or a device (thousandths,
//!    MiB) can still hold, so greedy placement stops only when no node holds another one: it
//!    places as many pods as any placement could. A pod that asks for no less on every count
//!    (same kind of GPU request, no fewer GPUs, thousandths or MiB, no less CPU or memory) fits
//!    in no more places, so a workload that also needs no fewer pods at once cannot fit where
//!    the first did not.
//!
//! Hence the two rules:
//!
//! - [`Rule::Harder`], for allocate and preempt: a shape that asks for at least as much, and in
//!   preempt may take no more victims (priority no higher: its candidates are a prefix of the
//!   first's), fails too — provided the memo only records failures *for lack of room*, with every
//!   candidate released. Quota refusals are not recorded: allocations move both ways inside a phase
//!   (a preemptor that evicts more than it takes leaves its department below a limit it was at).
//! - [`Rule::Same`], for reclaim and consolidation: their searches are not monotone in the shape
//!   (a larger request can make the victim test refuse a victim at one level and so reach a victim
//!   at another; a mover's first-fit landing depends on where the workload's pods would go), and
//!   every success changes their inputs (allocations, the victim order, the movers). So only an
//!   attempt with the same shape in the same project is skipped, and only until the next success
//!   in that pool ([`FailedShapes::forget`]): the same deterministic search on the same inputs.
//!
//! The property test `remembering_failures_does_not_change_the_plan` holds every rule to this: the
//! plans of random clusters are the same with and without the memo
//! ([`crate::Config::remember_failures`]).

use std::collections::BTreeMap;

use crate::cluster::PodNeed;
use crate::cycle::Cycle;
use crate::model::GpuRequest;

/// What an attempt asks for, as far as whether it can succeed goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Shape {
    /// What each pod needs.
    pub need: PodNeed,
    /// Pods that must land at once (the gang minimum).
    pub min_pods: u32,
    /// Pods it would place if it could (the most quota allows).
    pub pods: u32,
    /// Its priority, where the candidates depend on it (preempt); 0 elsewhere.
    pub priority: i32,
}

impl Shape {
    /// Whether `self` asks for at least as much as `other` on every count, and may take from no
    /// more candidates.
    fn no_easier_than(&self, other: &Shape) -> bool {
        let gpu = match (self.need.gpu, other.need.gpu) {
            (GpuRequest::Devices(a), GpuRequest::Devices(b)) => a >= b,
            (GpuRequest::Portion(a), GpuRequest::Portion(b)) => a >= b,
            (GpuRequest::MemoryMib(a), GpuRequest::MemoryMib(b)) => a >= b,
            _ => false,
        };
        gpu && self.need.cpu >= other.need.cpu
            && self.need.memory >= other.need.memory
            && self.min_pods >= other.min_pods
            && self.priority <= other.priority
    }
}

impl Cycle<'_> {
    /// The shape of `job` placing up to `pods` pods (priority 0: callers that compare it set it).
    pub(crate) fn shape(&self, job: usize, pods: u32) -> Shape {
        Shape {
            need: self.pod_need(job),
            min_pods: self.index.jobs[job].workload.min_pods,
            pods,
            priority: 0,
        }
    }
}

/// Which remembered failures a new attempt follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rule {
    /// Any shape no easier than a failed one fails too.
    Harder,
    /// Only the same shape fails again.
    Same,
}

/// Failed shapes per key, for one phase of one cycle.
#[derive(Debug, Clone)]
pub(crate) struct FailedShapes<K> {
    rule: Rule,
    enabled: bool,
    failed: BTreeMap<K, Vec<Shape>>,
}

impl<K: Ord + Copy> FailedShapes<K> {
    /// An empty memo; `enabled` false makes it forget everything (for the test that compares).
    pub fn new(rule: Rule, enabled: bool) -> Self {
        Self {
            rule,
            enabled,
            failed: BTreeMap::new(),
        }
    }

    /// Whether an attempt of `shape` under `key` is known to fail.
    pub fn known(&self, key: K, shape: &Shape) -> bool {
        self.failed.get(&key).is_some_and(|shapes| {
            shapes.iter().any(|failed| match self.rule {
                Rule::Harder => shape.no_easier_than(failed),
                Rule::Same => shape == failed,
            })
        })
    }

    /// Remembers that an attempt of `shape` under `key` failed. Under [`Rule::Harder`] only the
    /// easiest failures are kept: a shape no easier than one held adds nothing.
    pub fn record(&mut self, key: K, shape: Shape) {
        if !self.enabled || self.known(key, &shape) {
            return;
        }
        let shapes = self.failed.entry(key).or_default();
        if self.rule == Rule::Harder {
            shapes.retain(|held| !held.no_easier_than(&shape));
        }
        shapes.push(shape);
    }

    /// Forgets what failed under the keys `affected` says (a success changed their inputs).
    pub fn forget(&mut self, affected: impl Fn(&K) -> bool) {
        self.failed.retain(|key, _| !affected(key));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(gpus: u32, cpu: i64, min_pods: u32, priority: i32) -> Shape {
        Shape {
            need: PodNeed {
                gpu: GpuRequest::Devices(gpus),
                cpu,
                memory: 1024,
            },
            min_pods,
            pods: min_pods,
            priority,
        }
    }

    #[test]
    fn a_harder_shape_is_known_to_fail_under_the_harder_rule_only() {
        let mut memo = FailedShapes::new(Rule::Harder, true);
        memo.record(0, shape(2, 1000, 1, 50));
        assert!(memo.known(0, &shape(2, 1000, 1, 50)));
        assert!(memo.known(0, &shape(4, 2000, 2, 10)));
        assert!(!memo.known(0, &shape(1, 1000, 1, 50)), "fewer GPUs");
        assert!(!memo.known(0, &shape(2, 500, 1, 50)), "less CPU");
        assert!(
            !memo.known(0, &shape(2, 1000, 1, 100)),
            "more victims below it"
        );
        assert!(!memo.known(1, &shape(2, 1000, 1, 50)), "another key");
        let mut same = FailedShapes::new(Rule::Same, true);
        same.record(0, shape(2, 1000, 1, 50));
        assert!(same.known(0, &shape(2, 1000, 1, 50)));
        assert!(!same.known(0, &shape(4, 2000, 2, 10)));
    }

    #[test]
    fn kinds_of_gpu_request_are_never_compared() {
        let mut memo = FailedShapes::new(Rule::Harder, true);
        let mut portion = shape(0, 0, 1, 0);
        portion.need.gpu = GpuRequest::Portion(500);
        memo.record(0, portion);
        assert!(!memo.known(0, &shape(1, 0, 1, 0)));
        portion.need.gpu = GpuRequest::MemoryMib(40_000);
        assert!(!memo.known(0, &portion));
    }

    #[test]
    fn only_the_easiest_failures_are_kept_and_forget_clears_a_key() {
        let mut memo = FailedShapes::new(Rule::Harder, true);
        memo.record(0, shape(4, 1000, 1, 0));
        memo.record(0, shape(2, 1000, 1, 0));
        memo.record(0, shape(8, 1000, 1, 0));
        assert_eq!(memo.failed[&0], vec![shape(2, 1000, 1, 0)]);
        memo.record(1, shape(1, 0, 1, 0));
        memo.forget(|&k| k == 0);
        assert!(!memo.known(0, &shape(2, 1000, 1, 0)));
        assert!(memo.known(1, &shape(1, 0, 1, 0)));
    }

    #[test]
    fn a_disabled_memo_knows_nothing() {
        let mut memo = FailedShapes::new(Rule::Harder, false);
        memo.record(0, shape(1, 0, 1, 0));
        assert!(!memo.known(0, &shape(1, 0, 1, 0)));
    }
}
