//! The search that reclaim, preempt and consolidate share: candidates are added one at a time, in
//! the action's own order, until the pending workload fits with them out of the way. The cluster
//! is left as it was; the caller carries out what was found.
//!
//! What differs between the actions is which candidate comes next ([`Search::next`]: reclaim's
//! victim order and victim test, preempt's lower priorities, consolidation's movers) and what
//! "fits" means ([`Search::fits`]): the workload lands on what evicted victims free
//! ([`Evictions`]), or on what movers leave once they land elsewhere.

use std::collections::BTreeMap;

use crate::cycle::Cycle;
use crate::quantity::MilliGpus;

/// Whether the workload fits with the candidates taken so far.
pub(crate) enum Fit<T> {
    /// It does; with what the action needs to carry it out.
    Yes(T),
    /// Quota allows it, but it does not fit on the room the candidates leave.
    NoRoom,
    /// A quota rule refuses it with these candidates.
    Refused,
}

/// How a search ended.
pub(crate) enum Searched<T> {
    /// The candidates taken, in order, and what [`Search::fits`] found.
    Found(Vec<usize>, T),
    /// No candidate was left. `no_room` tells that quota allowed the workload with every candidate
    /// taken and it still did not fit (a failure for lack of room, see [`crate::memo`]).
    Failed { no_room: bool },
}

/// One action's way of choosing candidates and of trying the workload.
pub(crate) trait Search {
    type Found;
    /// The next candidate to take after `taken`, or `None` when none is left.
    fn next(&mut self, cycle: &mut Cycle<'_>, taken: &[usize]) -> Option<usize>;
    /// Whether the workload fits with `taken` out of the way (the newest last). Changes made to
    /// the cluster state stay until the search ends.
    fn fits(&mut self, cycle: &mut Cycle<'_>, taken: &[usize]) -> Fit<Self::Found>;
}

impl Cycle<'_> {
    /// Takes candidates until the workload fits, or none is left; the cluster as it was after.
    pub(crate) fn search<S: Search>(&mut self, how: &mut S) -> Searched<S::Found> {
        let start = self.cluster.checkpoint();
        let mut taken = Vec::new();
        let mut no_room = false;
        let found = loop {
            let Some(candidate) = how.next(self, &taken) else {
                break None;
            };
            taken.push(candidate);
            match how.fits(self, &taken) {
                Fit::Yes(found) => break Some(found),
                Fit::NoRoom => no_room = true,
                Fit::Refused => no_room = false,
            }
        };
        self.cluster.rollback(start);
        self.cluster.commit();
        match found {
            Some(found) => Searched::Found(taken, found),
            None => Searched::Failed { no_room },
        }
    }
}

/// "Fits" for the actions that evict: each victim's pods are freed in the cluster state, the
/// quota rules are checked with what the victims held given back, and the workload is placed on
/// a trial that is rolled back.
#[derive(Debug)]
pub(crate) struct Evictions {
    job: usize,
    pool: usize,
    /// GPUs the victims taken so far held, per queue up their paths.
    pub released: BTreeMap<usize, MilliGpus>,
}

impl Evictions {
    pub fn new(job: usize, pool: usize) -> Self {
        Self {
            job,
            pool,
            released: BTreeMap::new(),
        }
    }

    /// Frees `victim`'s pods and counts its GPUs as given back.
    pub fn take(&mut self, cycle: &mut Cycle<'_>, victim: usize) {
        let held = cycle.index.running_gpus(victim);
        for q in cycle.index.path(cycle.index.jobs[victim].queue) {
            *self.released.entry(q).or_default() += held;
        }
        cycle.release_pods(victim);
    }

    /// Whether the workload fits now, with what [`Evictions::take`] gave back.
    pub fn fits(&self, cycle: &mut Cycle<'_>) -> Fit<()> {
        let pods = cycle.index.jobs[self.job].workload.pods;
        if cycle
            .quota_refusal(self.job, self.pool, pods, &self.released)
            .is_some()
        {
            return Fit::Refused;
        }
        let trial = cycle.cluster.checkpoint();
        let fits = cycle.try_place(self.job, self.pool, pods).is_some();
        cycle.cluster.rollback(trial);
        if fits { Fit::Yes(()) } else { Fit::NoRoom }
    }
}
