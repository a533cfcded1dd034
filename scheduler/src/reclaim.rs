//! Reclaim: a project within its fair share takes GPUs back from projects above theirs.
//!
//! DESIGN.md, "Reclaim". Victim queues are ordered above-deserved first, lower rank first, the most
//! over max(deserved, fair share) next, the newest last, re-evaluated after every victim; inside a
//! queue the lowest priority, then the newest, goes first. Victims are added until the workload
//! fits; if the workload does not fit once no candidate is left, nothing is evicted.
//!
//! The victim test is applied victim by victim at the level where the reclaimer's and the victim's
//! paths part — among the projects of a department for a victim in the reclaimer's own
//! department, among departments for one elsewhere. The first candidate refused at a level ends
//! the search at that level (the candidates after it there are no further over their shares), but
//! not at the others: a refusal among the reclaimer's own department's projects says nothing of a
//! victim in another department, which is still tried (as KAI-Scheduler tests victims one by one).

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet};

use crate::cycle::{Cycle, JobState};
use crate::explain::{Action, PendingReason, ReclaimBlock};
use crate::index::ROOT;
use crate::memo::{FailedShapes, Rule};
use crate::plan::EvictionReason;
use crate::quantity::MilliGpus;
use crate::search::{Evictions, Fit, Search, Searched};

/// Orders victim queues: above deserved first, lower rank, most over its share, newest.
type VictimKey = (bool, i32, Reverse<i64>, Reverse<usize>);

/// Victim queues of one pool, best first, each filed under its current key.
#[derive(Debug, Default, Clone)]
struct VictimOrder {
    set: BTreeSet<(VictimKey, usize)>,
    key: BTreeMap<usize, VictimKey>,
}

impl VictimOrder {
    fn insert(&mut self, queue: usize, key: VictimKey) {
        if let Some(old) = self.key.insert(queue, key) {
            self.set.remove(&(old, queue));
        }
        self.set.insert((key, queue));
    }

    fn remove(&mut self, queue: usize) {
        if let Some(old) = self.key.remove(&queue) {
            self.set.remove(&(old, queue));
        }
    }
}

/// Per node pool, per project: running preemptible jobs, lowest priority then newest first.
pub(crate) type VictimLists = Vec<BTreeMap<usize, Vec<usize>>>;

impl Cycle<'_> {
    /// Evicts over-share workloads of other projects for pending workloads within their fair share.
    pub fn reclaim(&mut self) {
        self.fair_share();
        let (lists, protected) = self.victim_lists(Some(Action::Reclaim));
        let mut orders = self.victim_orders(&lists);
        // With the workloads a minimum runtime protects too, for saying whom a workload that
        // found no victims could take from later (built only when some are protected).
        let mut everyone: Option<(VictimLists, Vec<VictimOrder>)> = None;
        // Per (pool, project): shapes that found no victims, until the next reclaim in the pool.
        let remember = self.config.remember_failures;
        let mut no_victims = FailedShapes::new(Rule::Same, remember);
        // Likewise, with the protected counted in.
        let mut no_victims_later = FailedShapes::new(Rule::Same, remember);
        for job in self.attempt_order.clone() {
            if self.state[job] != JobState::Pending {
                continue;
            }
            let Some((pool, reason)) = &self.failure[job] else {
                continue;
            };
            let pool = *pool;
            if !is_room_shortage(reason) {
                continue;
            }
            if let Err(block) = self.reclaim_allowed(job, pool) {
                self.note_reclaim_block(job, block);
                continue;
            }
            let queue = self.index.jobs[job].queue;
            let shape = self.shape(job, self.index.jobs[job].workload.pods);
            if !no_victims.known((pool, queue), &shape) {
                match self.reclaim_search(job, pool, &lists[pool], &mut orders[pool]) {
                    Some((taken, touched)) => {
                        self.reclaim_for(job, pool, taken, touched, &mut orders[pool]);
                        // Allocations and victims moved: what failed in this pool may not now.
                        no_victims.forget(|&(p, _)| p == pool);
                        no_victims_later.forget(|&(p, _)| p == pool);
                        continue;
                    }
                    None => no_victims.record((pool, queue), shape),
                }
            }
            if protected && !no_victims_later.known((pool, queue), &shape) {
                let (all, all_orders) = everyone.get_or_insert_with(|| {
                    let (all, _) = self.victim_lists(None);
                    let orders = self.victim_orders(&all);
                    (all, orders)
                });
                let mut order = all_orders[pool].clone();
                match self.reclaim_search(job, pool, &all[pool], &mut order) {
                    Some((taken, _)) => self.wait_for_protected(job, Action::Reclaim, &taken),
                    None => no_victims_later.record((pool, queue), shape),
                }
            }
            self.note_reclaim_block(job, ReclaimBlock::NoVictims);
        }
    }

    /// Per pool, the queues of `lists` that have some level above its deserved quota (only those
    /// can ever pass the victim test), best victim first. Allocations only shrink for victims
    /// during the phase, so the order is drawn up once and kept current as reclaims succeed.
    fn victim_orders(&self, lists: &VictimLists) -> Vec<VictimOrder> {
        (0..self.index.pools.len())
            .map(|pool| {
                let p = &self.pools[pool];
                let mut order = VictimOrder::default();
                for &vq in lists[pool].keys() {
                    if self
                        .index
                        .path(vq)
                        .any(|a| p.allocated[a] > self.index.quota(a, pool).deserved)
                    {
                        order.insert(vq, self.victim_queue_key(vq, pool, &BTreeMap::new()));
                    }
                }
                order
            })
            .collect()
    }

    /// Per pool and project, the running preemptible jobs, lowest priority then newest first:
    /// those `action` may take (all, for `None`), and whether a minimum runtime kept any out.
    pub(crate) fn victim_lists(&self, action: Option<Action>) -> (VictimLists, bool) {
        let mut lists: VictimLists = vec![BTreeMap::new(); self.index.pools.len()];
        let mut protected = false;
        for (j, job) in self.index.jobs.iter().enumerate() {
            if let (Some(pool), true) = (job.running_pool, job.workload.preemptible) {
                if action.is_some_and(|a| self.protected_until(j, a).is_some()) {
                    protected = true;
                    continue;
                }
                lists[pool].entry(job.queue).or_default().push(j);
            }
        }
        for by_queue in &mut lists {
            for list in by_queue.values_mut() {
                list.sort_by_key(|&j| {
                    let w = self.index.jobs[j].workload;
                    (w.priority, Reverse(w.submission))
                });
            }
        }
        (lists, protected)
    }

    fn note_reclaim_block(&mut self, job: usize, block: ReclaimBlock) {
        if let Some((_, PendingReason::NoCapacity { reclaim, .. })) = &mut self.failure[job] {
            *reclaim = block;
        }
    }

    /// Evicts the victims found for `job` and nominates it; re-files the victim queues whose
    /// allocations moved.
    fn reclaim_for(
        &mut self,
        job: usize,
        pool: usize,
        taken: Vec<usize>,
        touched: BTreeMap<usize, VictimKey>,
        order: &mut VictimOrder,
    ) {
        let w = self.index.jobs[job].workload;
        let queue = self.index.jobs[job].queue;
        let project = self.index.queues[queue].name.clone();
        for &v in &taken {
            let reason = EvictionReason::Reclaim {
                by: w.id,
                by_name: w.name.clone(),
                by_project: project.clone(),
            };
            self.evict(v, reason);
            self.plan.counters.reclaimed += 1;
        }
        self.nominate(job, pool, taken, Action::Reclaim);
        // Allocations moved for real: re-file the queues that lost GPUs and the one that gained.
        for vq in touched.into_keys().chain(std::iter::once(queue)) {
            if order.key.contains_key(&vq) {
                order.insert(vq, self.victim_queue_key(vq, pool, &BTreeMap::new()));
            }
        }
    }

    /// Whether `job` may take GPUs back at all: within its project's fair share, and quota.
    fn reclaim_allowed(&self, job: usize, pool: usize) -> Result<(), ReclaimBlock> {
        let w = self.index.jobs[job].workload;
        let queue = self.index.jobs[job].queue;
        let request = self.index.job_gpus(job, pool);
        let p = &self.pools[pool];
        if p.allocated[queue] + request > p.fair_share[queue] {
            return Err(ReclaimBlock::AboveFairShare {
                project: self.index.queues[queue].name.clone(),
                fair_share: p.fair_share[queue],
                allocated: p.allocated[queue],
            });
        }
        if self
            .quota_refusal(job, pool, w.pods, &BTreeMap::new())
            .is_some()
        {
            return Err(ReclaimBlock::NotTried);
        }
        Ok(())
    }

    /// Victims among `lists`, in `order`, whose GPUs let `job` fit, taken until it does; with
    /// the victim queues' keys as they were before the search re-filed them. The cluster is left
    /// as it was; `order` too when none are found.
    fn reclaim_search(
        &mut self,
        job: usize,
        pool: usize,
        lists: &BTreeMap<usize, Vec<usize>>,
        order: &mut VictimOrder,
    ) -> Option<(Vec<usize>, BTreeMap<usize, VictimKey>)> {
        let mut how = OverShare {
            queue: self.index.jobs[job].queue,
            request: self.index.job_gpus(job, pool),
            pool,
            lists,
            order,
            cursor: BTreeMap::new(),
            touched: BTreeMap::new(),
            refused_levels: Vec::new(),
            evictions: Evictions::new(job, pool),
        };
        match self.search(&mut how) {
            Searched::Found(taken, ()) => Some((taken, how.touched)),
            Searched::Failed { .. } => {
                for (vq, was) in how.touched {
                    how.order.insert(vq, was);
                }
                None
            }
        }
    }

    /// Victim queues, best first: above deserved, lower rank, most over its share, newest.
    fn victim_queue_key(
        &self,
        vq: usize,
        pool: usize,
        lost: &BTreeMap<usize, MilliGpus>,
    ) -> VictimKey {
        let p = &self.pools[pool];
        let quota = self.index.quota(vq, pool);
        let allocated = p.allocated[vq] - lost.get(&vq).copied().unwrap_or_default();
        let base = quota.deserved.max(p.fair_share[vq]);
        (
            allocated <= quota.deserved,
            quota.rank,
            Reverse((allocated - base).0),
            Reverse(self.index.queues[vq].order),
        )
    }

    /// Where the paths of two queues part: their lowest common ancestor (the root at the top).
    fn parting_level(&self, a: usize, b: usize) -> usize {
        self.index
            .path(b)
            .find(|&q| self.index.path(a).any(|x| x == q))
            .unwrap_or(ROOT)
    }

    /// DESIGN.md's victim test for taking `victim` next, `lost` holding what earlier victims took
    /// from each queue.
    fn passes_victim_test(
        &self,
        reclaimer: usize,
        request: MilliGpus,
        victim: usize,
        pool: usize,
        lost: &BTreeMap<usize, MilliGpus>,
    ) -> bool {
        let p = &self.pools[pool];
        let victim_queue = self.index.jobs[victim].queue;
        let mut r_path: Vec<usize> = self.index.path(reclaimer).collect();
        r_path.push(ROOT);
        let mut v_path: Vec<usize> = self.index.path(victim_queue).collect();
        v_path.push(ROOT);
        let Some(v_at) = v_path.iter().position(|q| r_path.contains(q)) else {
            return false;
        };
        let lca = v_path[v_at];
        let Some(r_at) = r_path.iter().position(|&q| q == lca) else {
            return false;
        };
        if v_at == 0 || r_at == 0 {
            return false; // one contains the other: not two sides to compare
        }
        let (r_side, v_side) = (r_path[r_at - 1], v_path[v_at - 1]);
        let (r_quota, v_quota) = (
            self.index.quota(r_side, pool),
            self.index.quota(v_side, pool),
        );
        if v_quota.rank > r_quota.rank {
            return false;
        }
        let v_allocated = p.allocated[v_side] - lost.get(&v_side).copied().unwrap_or_default();
        let over_share = v_allocated > v_quota.deserved.max(p.fair_share[v_side]);
        let within_deserved =
            p.allocated[r_side] + request <= r_quota.deserved && v_allocated > v_quota.deserved;
        if !(over_share || within_deserved) {
            return false;
        }
        // Along the reclaimer's path, where it goes past its fair share, it must stay below every
        // sibling that lost GPUs (this victim included).
        let held = self.index.running_gpus(victim);
        let lost_after = |q: usize| {
            lost.get(&q).copied().unwrap_or_default()
                + if v_path.contains(&q) {
                    held
                } else {
                    MilliGpus::ZERO
                }
        };
        for &a in &r_path[..r_path.len() - 1] {
            let ratio = (p.allocated[a] + request).ratio(p.fair_share[a]);
            if ratio <= 1.0 {
                continue;
            }
            let parent = self.index.queues[a].parent.unwrap_or(ROOT);
            for &sibling in &self.index.queues[parent].children {
                let sibling_lost = lost_after(sibling);
                if sibling == a || sibling_lost <= MilliGpus::ZERO {
                    continue;
                }
                let sibling_ratio =
                    (p.allocated[sibling] - sibling_lost).ratio(p.fair_share[sibling]);
                if ratio >= sibling_ratio {
                    return false;
                }
            }
        }
        true
    }
}

/// Reclaim's candidates: the victim queues in order, each queue's workloads lowest priority
/// then newest first, each passing the victim test; re-filed as the search takes from them.
struct OverShare<'o> {
    queue: usize,
    request: MilliGpus,
    pool: usize,
    lists: &'o BTreeMap<usize, Vec<usize>>,
    order: &'o mut VictimOrder,
    /// Per victim queue, where its list goes on.
    cursor: BTreeMap<usize, usize>,
    /// Keys of the queues this search re-filed, as they were: restored if it fails.
    touched: BTreeMap<usize, VictimKey>,
    /// Levels (where a victim's path parts from the reclaimer's) at which the victim test refused
    /// a candidate: the queues parting there are passed over for this workload.
    refused_levels: Vec<usize>,
    evictions: Evictions,
}

impl Search for OverShare<'_> {
    type Found = ();

    fn next(&mut self, cycle: &mut Cycle<'_>, _taken: &[usize]) -> Option<usize> {
        loop {
            let mut best = None;
            let mut exhausted = Vec::new();
            for &(_, vq) in &self.order.set {
                if vq == self.queue
                    || (!self.refused_levels.is_empty()
                        && self
                            .refused_levels
                            .contains(&cycle.parting_level(self.queue, vq)))
                {
                    continue;
                }
                let from = self.cursor.get(&vq).copied().unwrap_or(0);
                match self.lists[&vq][from..]
                    .iter()
                    .position(|&v| cycle.state[v] == JobState::Running)
                {
                    Some(skip) => {
                        best = Some((vq, from + skip));
                        break;
                    }
                    None if from == 0 => exhausted.push(vq),
                    None => {}
                }
            }
            for vq in exhausted {
                self.order.remove(vq);
            }
            let (vq, at) = best?;
            let victim = self.lists[&vq][at];
            let released = &self.evictions.released;
            if cycle.passes_victim_test(self.queue, self.request, victim, self.pool, released) {
                self.cursor.insert(vq, at + 1);
                return Some(victim);
            }
            self.refused_levels
                .push(cycle.parting_level(self.queue, vq));
        }
    }

    fn fits(&mut self, cycle: &mut Cycle<'_>, taken: &[usize]) -> Fit<()> {
        let Some(&victim) = taken.last() else {
            return Fit::NoRoom;
        };
        self.evictions.take(cycle, victim);
        let vq = cycle.index.jobs[victim].queue;
        if let Some(&was) = self.order.key.get(&vq) {
            self.touched.entry(vq).or_insert(was);
        }
        let key = cycle.victim_queue_key(vq, self.pool, &self.evictions.released);
        self.order.insert(vq, key);
        self.evictions.fits(cycle)
    }
}

/// Whether allocate failed for lack of room (as opposed to a quota or limit rule).
pub(crate) fn is_room_shortage(reason: &PendingReason) -> bool {
    matches!(
        reason,
        PendingReason::NoCapacity { .. }
            | PendingReason::Fragmented { .. }
            | PendingReason::NodeResources { .. }
    )
}
