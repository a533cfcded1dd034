//! Allocate: place pending workloads on free GPUs, in fair order, without evicting anyone.
//!
//! The queue tree is walked from the root; at each level the siblings are ordered by
//! [`OrderKey`] and re-ordered after every placement (only the path of the queue that changed is
//! re-keyed, so a placement costs O(depth × log siblings)). Inside a project: priority, then
//! submission order. Workloads that caused evictions in the last cycle (nominated) go first.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

use crate::cycle::{Cycle, JobState};
use crate::explain::{PendingReason, ReclaimBlock};
use crate::index::ROOT;
use crate::model::GpuRequest;
use crate::quantity::MilliGpus;

/// How siblings are ordered for allocation (DESIGN.md, "Allocate"), smallest first.
#[derive(Debug, Clone, Copy, PartialEq)]
struct OrderKey {
    /// (a) false when allocated + the next request stays within deserved quota.
    beyond_deserved: bool,
    /// (b) higher rank first.
    rank: i32,
    /// (c) a zero allocatable share goes last.
    nothing_allocatable: bool,
    /// (d) (allocated + request) / max(deserved, fair share).
    share_with_request: Share,
    /// (e) allocated / max(deserved, fair share).
    share_now: Share,
    /// (f) creation order.
    order: usize,
}

impl Eq for OrderKey {}

impl Ord for OrderKey {
    fn cmp(&self, other: &Self) -> Ordering {
        self.beyond_deserved
            .cmp(&other.beyond_deserved)
            .then(other.rank.cmp(&self.rank))
            .then(self.nothing_allocatable.cmp(&other.nothing_allocatable))
            .then(self.share_with_request.cmp(&other.share_with_request))
            .then(self.share_now.cmp(&other.share_now))
            .then(self.order.cmp(&other.order))
    }
}

impl PartialOrd for OrderKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// GPUs over a base (max(deserved, fair share)). With a base of zero the ratio has no meaning;
/// such a queue ranks after every queue with a base, and among themselves the one that would hold
/// fewer GPUs first — so of two queues with nothing to their name, the smaller workload is served
/// first (KAI-Scheduler's penalty for a zero allocatable share is proportional to the GPUs too).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Share {
    baseless: bool,
    value: f64,
}

impl Share {
    fn of(gpus: MilliGpus, base: MilliGpus) -> Self {
        if base > MilliGpus::ZERO {
            Share {
                baseless: false,
                value: gpus.ratio(base),
            }
        } else {
            Share {
                baseless: gpus > MilliGpus::ZERO,
                value: gpus.0 as f64,
            }
        }
    }
}

impl Eq for Share {}

impl Ord for Share {
    fn cmp(&self, other: &Self) -> Ordering {
        self.baseless
            .cmp(&other.baseless)
            .then(self.value.total_cmp(&other.value))
    }
}

impl PartialOrd for Share {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// The walk's state in one pool.
struct Walk {
    /// Per project: its pending jobs in order, and how far the walk got.
    lists: Vec<Vec<usize>>,
    cursor: Vec<usize>,
    /// Per queue: the key it is filed under in its parent's set, if it has a next job.
    key: Vec<Option<OrderKey>>,
    /// Per queue: its children that have a next job, ordered.
    sets: Vec<BTreeSet<(OrderKey, usize)>>,
}

impl Walk {
    fn head(&self, mut q: usize, is_project: impl Fn(usize) -> bool) -> Option<usize> {
        while !is_project(q) {
            q = self.sets[q].first()?.1;
        }
        self.lists[q].get(self.cursor[q]).copied()
    }
}

impl Cycle<'_> {
    /// Places pending workloads on free GPUs, pool by pool.
    pub fn allocate(&mut self) {
        self.fair_share();
        // Preferences first: every job's first pool, then every job's second, and so on.
        let choices = (0..self.index.jobs.len())
            .map(|j| self.index.pools_of(j).len())
            .max()
            .unwrap_or(0);
        for choice in 0..choices {
            for pool in 0..self.index.pools.len() {
                self.allocate_in(pool, choice);
            }
        }
    }

    /// Allocates in `pool` the pending jobs for which it is the `choice`-th preference.
    fn allocate_in(&mut self, pool: usize, choice: usize) {
        let queues = self.index.queues.len();
        let mut lists: Vec<Vec<usize>> = vec![Vec::new(); queues];
        let mut nominated = Vec::new();
        for (j, job) in self.index.jobs.iter().enumerate() {
            if self.state[j] == JobState::Pending
                && self.index.pools_of(j).get(choice) == Some(&pool)
            {
                if job.workload.nominated || self.freed_for.contains_key(&job.workload.id) {
                    nominated.push(j);
                } else {
                    lists[job.queue].push(j);
                }
            }
        }
        nominated.sort_by_key(|&j| self.index.jobs[j].workload.submission);
        for j in nominated {
            self.attempt(j, pool);
            // GPUs still being freed for it: it waits for them, and takes nothing by force.
            let id = self.index.jobs[j].workload.id;
            if self.state[j] == JobState::Pending
                && let Some((victims, action)) = self.freed_for.get(&id).cloned()
            {
                self.await_release(j, pool, victims, action);
            }
        }
        for list in &mut lists {
            list.sort_by_key(|&j| {
                let w = self.index.jobs[j].workload;
                (std::cmp::Reverse(w.priority), w.submission)
            });
        }
        let mut walk = Walk {
            lists,
            cursor: vec![0; queues],
            key: vec![None; queues],
            sets: vec![BTreeSet::new(); queues],
        };
        for q in 1..queues {
            if self.index.queues[q].is_project && !walk.lists[q].is_empty() {
                self.rekey_path(&mut walk, q, pool, true);
            }
        }
        while let Some(&(_, mut q)) = walk.sets[ROOT].first() {
            while !self.index.queues[q].is_project {
                match walk.sets[q].first() {
                    Some(&(_, child)) => q = child,
                    None => break,
                }
            }
            let Some(&job) = walk.lists[q].get(walk.cursor[q]) else {
                break;
            };
            walk.cursor[q] += 1;
            if self.state[job] == JobState::Pending {
                self.attempt(job, pool);
            }
            let placed = self.state[job] == JobState::Bound;
            self.rekey_path(&mut walk, q, pool, placed);
        }
    }

    /// Re-files `q` and its ancestors in their parents' sets after `q` changed.
    ///
    /// When no allocation changed (`placed` false), a queue whose key stays the same leaves its
    /// ancestors' keys the same too: their next request is the same size and their allocation did
    /// not move, so the walk up stops there.
    fn rekey_path(&self, walk: &mut Walk, q: usize, pool: usize, placed: bool) {
        let mut x = q;
        while x != ROOT {
            let parent = self.index.queues[x].parent.unwrap_or(ROOT);
            let key = walk
                .head(x, |q| self.index.queues[q].is_project)
                .map(|job| self.order_key(x, job, pool));
            if !placed && key.is_some() && key == walk.key[x] {
                return;
            }
            if let Some(old) = walk.key[x].take() {
                walk.sets[parent].remove(&(old, x));
            }
            if let Some(key) = key {
                walk.sets[parent].insert((key, x));
                walk.key[x] = Some(key);
            }
            x = parent;
        }
    }

    fn order_key(&self, q: usize, job: usize, pool: usize) -> OrderKey {
        let quota = self.index.quota(q, pool);
        let p = &self.pools[pool];
        let request = self.index.job_gpus(job, pool);
        let allocated = p.allocated[q];
        let base = quota.deserved.max(p.fair_share[q]);
        let allocatable = quota.limit.map_or(base, |l| l.min(base));
        OrderKey {
            beyond_deserved: allocated + request > quota.deserved,
            rank: quota.rank,
            nothing_allocatable: allocatable <= MilliGpus::ZERO,
            share_with_request: Share::of(allocated + request, base),
            share_now: Share::of(allocated, base),
            order: self.index.queues[q].order,
        }
    }

    /// Tries to place one job in `pool` on free GPUs; records why not if it cannot.
    fn attempt(&mut self, job: usize, pool: usize) {
        self.plan.counters.allocate_attempts += 1;
        if self.failure[job].is_none() {
            self.attempt_order.push(job);
        }
        let w = self.index.jobs[job].workload;
        let none = BTreeMap::new();
        let mut refusal = None;
        let mut allowed = None;
        for pods in (w.min_pods..=w.pods).rev() {
            match self.quota_refusal(job, pool, pods, &none) {
                None => {
                    allowed = Some(pods);
                    break;
                }
                Some(r) => refusal = Some(r),
            }
        }
        let outcome = match allowed {
            None => refusal,
            Some(max_pods) => {
                // Room only shrinks in a cycle: a shape that found none before finds none now.
                let shape = self.shape(job, max_pods);
                let placed = if self.unplaceable.known(pool, &shape) {
                    None
                } else {
                    self.try_place(job, pool, max_pods)
                };
                match placed {
                    Some(placed) => {
                        self.cluster.commit();
                        self.bind(job, pool, &placed);
                        self.plan.counters.allocated += 1;
                        None
                    }
                    None => {
                        self.unplaceable.record(pool, shape);
                        Some(self.room_shortage(job, pool))
                    }
                }
            }
        };
        if let Some(reason) = outcome
            && self.failure[job].is_none()
        {
            self.failure[job] = Some((pool, reason));
        }
    }

    /// Why a job that quota allows does not fit on the free GPUs of `pool`.
    pub(crate) fn room_shortage(&self, job: usize, pool: usize) -> PendingReason {
        let w = self.index.jobs[job].workload;
        let pool_name = self.index.pools[pool].name.clone();
        let per_pod = self.index.pod_gpus(job, pool);
        let requested = MilliGpus(per_pod.0 * i64::from(w.min_pods));
        let (free, largest) = match w.gpu {
            GpuRequest::Devices(_) => (
                MilliGpus::whole(self.cluster.free_whole(pool)),
                MilliGpus::whole(i64::from(self.cluster.largest_whole_free(pool))),
            ),
            GpuRequest::Portion(_) | GpuRequest::MemoryMib(_) => {
                let largest = MilliGpus(i64::from(self.cluster.largest_device_free(pool)));
                (largest, largest)
            }
        };
        // What consolidation could gather: the free parts of partly used devices count too.
        let scattered = MilliGpus(self.cluster.free_thousandths(pool));
        if per_pod > MilliGpus::ZERO && requested > scattered {
            PendingReason::NoCapacity {
                pool: pool_name,
                requested,
                free,
                reclaim: ReclaimBlock::NotTried,
            }
        } else if per_pod > MilliGpus::ZERO && (per_pod > largest || w.min_pods > 1) {
            PendingReason::Fragmented {
                pool: pool_name,
                per_pod,
                min_pods: w.min_pods,
                largest_free: largest,
            }
        } else {
            PendingReason::NodeResources {
                pool: pool_name,
                cpu_millicores: w.cpu_millicores,
                memory_mib: w.memory_mib,
            }
        }
    }
}
