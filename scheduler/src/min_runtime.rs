//! Guaranteed minimum runtime (anti-thrash), after KAI-Scheduler's `preemptMinRuntime` and
//! `reclaimMinRuntime`. A running workload younger than its project's minimum for an action is
//! not a victim of that action: of preemption by higher priority work of its own project and of
//! consolidation (the `preempt` minimum), or of reclaim by another project (the `reclaim`
//! minimum). The minimums are set per project, or inherited from the departments above; unset at
//! the top, they are 0. Ages are measured against [`Snapshot::now_ms`](crate::model::Snapshot):
//! the core has no clock of its own.
//!
//! Victims are searched for among the unprotected only. When that search fails but would have
//! succeeded with the protected ones too, the waiting workload says whom it can take from, and
//! in how long; the plan carries the earliest such time ([`Plan::recheck_at_ms`]) so that the
//! caller runs a cycle then, even if nothing else happens.
//!
//! [`Plan::recheck_at_ms`]: crate::Plan::recheck_at_ms

use crate::cycle::Cycle;
use crate::explain::{Action, PendingReason};

/// Why a workload waits for a protected victim: the workloads it would take from, which of them
/// are still protected, and until when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ProtectedWait {
    pub action: Action,
    pub victims: Vec<String>,
    pub protected: Vec<String>,
    pub until_ms: u64,
}

impl Cycle<'_> {
    /// Until when `job` may not be taken by `action`, when that is later than now.
    pub(crate) fn protected_until(&self, job: usize, action: Action) -> Option<u64> {
        let j = &self.index.jobs[job];
        j.running_pool?;
        let since = j.workload.running_since_ms?;
        let min = self.index.min_runtime(j.queue);
        let secs = match action {
            Action::Reclaim => min.reclaim_secs,
            Action::Preempt | Action::Consolidate => min.preempt_secs,
        }
        .unwrap_or(0);
        let until = since.saturating_add(secs.saturating_mul(1000));
        (until > self.index.snapshot.now_ms).then_some(until)
    }

    /// Notes that `job` could take `victims` by `action` once the protected among them may go.
    pub(crate) fn wait_for_protected(&mut self, job: usize, action: Action, victims: &[usize]) {
        let mut wait = ProtectedWait {
            action,
            victims: Vec::with_capacity(victims.len()),
            protected: Vec::new(),
            until_ms: 0,
        };
        for &v in victims {
            let name = self.index.jobs[v].workload.name.clone();
            if let Some(until) = self.protected_until(v, action) {
                wait.until_ms = wait.until_ms.max(until);
                wait.protected.push(name.clone());
            }
            wait.victims.push(name);
        }
        if !wait.protected.is_empty() {
            self.protected_waits.insert(job, wait);
        }
    }

    /// Asks the caller for a cycle at `at` (the snapshot's clock), or earlier if already asked.
    pub(crate) fn recheck_at(&mut self, at: u64) {
        let earliest = self.plan.recheck_at_ms.map_or(at, |t| t.min(at));
        self.plan.recheck_at_ms = Some(earliest);
    }

    /// The reason for a pending job that waits for protected victims, if it does.
    pub(crate) fn protected_reason(&mut self, job: usize) -> Option<PendingReason> {
        let wait = self.protected_waits.remove(&job)?;
        let now = self.index.snapshot.now_ms;
        self.recheck_at(wait.until_ms);
        Some(PendingReason::MinRuntime {
            action: wait.action,
            victims: wait.victims,
            protected: wait.protected,
            ready_in_secs: (wait.until_ms - now).div_ceil(1000),
        })
    }
}
