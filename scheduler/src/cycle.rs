//! One scheduling cycle: the working state the four actions share, and the steps in their order.
//!
//! [`crate::schedule`] runs every step; callers that want to time the phases (the benchmark) call
//! them one by one: [`Cycle::new`], then [`Cycle::fair_share`], [`Cycle::allocate`],
//! [`Cycle::consolidate`], [`Cycle::reclaim`], [`Cycle::preempt`], and [`Cycle::finish`].

use std::collections::BTreeMap;

use crate::cluster::{Avoid, Cluster, PodNeed, PodPlacementAt};
use crate::config::Config;
use crate::error::SnapshotError;
use crate::explain::{Action, PendingReason};
use crate::fair_share;
use crate::index::{Index, ROOT};
use crate::memo::{FailedShapes, Rule};
use crate::model::{GpuRequest, Snapshot};
use crate::plan::{Bind, Eviction, EvictionReason, Plan, QueueShare};
use crate::quantity::MilliGpus;

/// Where a workload stands inside the cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JobState {
    /// Waiting, not yet given GPUs.
    Pending,
    /// Running, untouched so far.
    Running,
    /// Given GPUs by this cycle.
    Bound,
    /// Running, and evicted by this cycle.
    Evicted,
    /// Running, and moved elsewhere by consolidation.
    Moved,
    /// Waiting for GPUs that this cycle's evictions free.
    Nominated,
}

/// Per node pool: what every queue uses, wants and deserves.
#[derive(Debug)]
pub(crate) struct PoolQueues {
    /// GPUs held, including what this cycle placed or promised.
    pub allocated: Vec<MilliGpus>,
    /// Of which non-preemptible.
    pub non_preemptible: Vec<MilliGpus>,
    pub start_allocated: Vec<MilliGpus>,
    /// Allocated at the start, plus this cycle's binds, less its evictions (no promises).
    pub held: Vec<MilliGpus>,
    pub demand: Vec<MilliGpus>,
    pub fair_share: Vec<MilliGpus>,
}

/// The phases of a cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Phase {
    /// Demand and fair share of every queue in every pool.
    FairShare,
    /// Pending workloads onto free GPUs.
    Allocate,
    /// Running workloads moved so that fragmented pending ones fit.
    Consolidate,
    /// Over-share work of other projects evicted for workloads within their fair share.
    Reclaim,
    /// Lower-priority work of the same project evicted for higher-priority workloads.
    Preempt,
}

impl Phase {
    /// The order a cycle runs them in: each may use what the ones before it left free.
    pub const ORDER: [Phase; 5] = [
        Phase::FairShare,
        Phase::Allocate,
        Phase::Consolidate,
        Phase::Reclaim,
        Phase::Preempt,
    ];

    /// Its name in metrics and reports (snake_case).
    pub fn name(self) -> &'static str {
        match self {
            Phase::FairShare => "fair_share",
            Phase::Allocate => "allocate",
            Phase::Consolidate => "consolidate",
            Phase::Reclaim => "reclaim",
            Phase::Preempt => "preempt",
        }
    }
}

/// The state of one cycle in progress.
#[derive(Debug)]
pub struct Cycle<'a> {
    pub(crate) config: &'a Config,
    pub(crate) index: Index<'a>,
    pub(crate) cluster: Cluster,
    pub(crate) pools: Vec<PoolQueues>,
    pub(crate) state: Vec<JobState>,
    /// Why allocate could not place a job, and in which pool (its first eligible one).
    pub(crate) failure: Vec<Option<(usize, PendingReason)>>,
    /// Jobs in the order allocate considered them: the queue order later actions follow.
    pub(crate) attempt_order: Vec<usize>,
    /// Jobs waiting for GPUs being freed for them: the workloads that free them, and how.
    pub(crate) awaiting: BTreeMap<usize, (Vec<String>, Action)>,
    /// Pending workloads that stopping pods ([`Snapshot::releasing`]) are freeing GPUs for.
    pub(crate) freed_for: BTreeMap<u64, (Vec<String>, Action)>,
    pub(crate) plan: Plan,
    /// Devices consolidation is emptying for a workload this cycle, as (node, device): no mover
    /// lands on them, though their last pods still hold them until they have stopped.
    pub(crate) promised: Vec<(usize, u32)>,
    /// Pending jobs that could take GPUs from workloads their minimum runtime still protects.
    pub(crate) protected_waits: BTreeMap<usize, crate::min_runtime::ProtectedWait>,
    /// Per pool: shapes no free room could take this cycle ([`crate::memo`]).
    pub(crate) unplaceable: FailedShapes<usize>,
    fair_share_done: bool,
}

impl<'a> Cycle<'a> {
    /// Checks the snapshot and builds the cycle's working state.
    pub fn new(snapshot: &'a Snapshot, config: &'a Config) -> Result<Self, SnapshotError> {
        let index = Index::build(snapshot)?;
        let strategies: Vec<_> = index
            .pools
            .iter()
            .map(|p| config.placement_for(&p.name))
            .collect();
        let cluster = Cluster::build(&index, &strategies)?;
        let queue_count = index.queues.len();
        let mut pools: Vec<PoolQueues> = (0..index.pools.len())
            .map(|_| PoolQueues {
                allocated: vec![MilliGpus::ZERO; queue_count],
                non_preemptible: vec![MilliGpus::ZERO; queue_count],
                start_allocated: Vec::new(),
                held: Vec::new(),
                demand: Vec::new(),
                fair_share: Vec::new(),
            })
            .collect();
        let mut state = Vec::with_capacity(index.jobs.len());
        for (j, job) in index.jobs.iter().enumerate() {
            match job.running_pool {
                Some(pool) => {
                    state.push(JobState::Running);
                    let held = index.running_gpus(j);
                    let preemptible = job.workload.preemptible;
                    for q in std::iter::once(ROOT).chain(index.path(job.queue)) {
                        pools[pool].allocated[q] += held;
                        if !preemptible {
                            pools[pool].non_preemptible[q] += held;
                        }
                    }
                }
                None => state.push(JobState::Pending),
            }
        }
        for p in &mut pools {
            p.start_allocated = p.allocated.clone();
            p.held = p.allocated.clone();
        }
        let jobs = index.jobs.len();
        let mut freed_for: BTreeMap<u64, (Vec<String>, Action)> = BTreeMap::new();
        for r in &snapshot.releasing {
            if let Some(f) = r.freed_for {
                let entry = freed_for
                    .entry(f.workload)
                    .or_insert_with(|| (Vec::new(), f.action));
                if !entry.0.contains(&r.workload_name) {
                    entry.0.push(r.workload_name.clone());
                }
            }
        }
        Ok(Cycle {
            config,
            index,
            cluster,
            pools,
            state,
            failure: vec![None; jobs],
            attempt_order: Vec::new(),
            awaiting: BTreeMap::new(),
            freed_for,
            plan: Plan::default(),
            promised: Vec::new(),
            protected_waits: BTreeMap::new(),
            unplaceable: FailedShapes::new(Rule::Harder, config.remember_failures),
            fair_share_done: false,
        })
    }

    /// Computes demand and fair share of every queue in every pool.
    pub fn fair_share(&mut self) {
        if self.fair_share_done {
            return;
        }
        self.fair_share_done = true;
        for pool in 0..self.index.pools.len() {
            let mut own = vec![MilliGpus::ZERO; self.index.queues.len()];
            for (j, job) in self.index.jobs.iter().enumerate() {
                match job.running_pool {
                    Some(p) if p == pool => own[job.queue] += self.index.running_gpus(j),
                    Some(_) => {}
                    None if self.index.pools_of(j).first() == Some(&pool) => {
                        own[job.queue] += self.index.job_gpus(j, pool)
                    }
                    None => {}
                }
            }
            let demand = fair_share::demands(&self.index, pool, &own);
            let share =
                fair_share::fair_shares(&self.index, pool, &demand, &self.config.time_fair_share);
            self.pools[pool].demand = demand;
            self.pools[pool].fair_share = share;
        }
    }

    /// Runs every phase in [`Phase::ORDER`], calling `after` when each is done (to time it), and
    /// finishes: the one place the order of a cycle is written.
    pub fn run(mut self, mut after: impl FnMut(Phase)) -> Plan {
        for phase in Phase::ORDER {
            match phase {
                Phase::FairShare => self.fair_share(),
                Phase::Allocate => self.allocate(),
                Phase::Consolidate => self.consolidate(),
                Phase::Reclaim => self.reclaim(),
                Phase::Preempt => self.preempt(),
            }
            after(phase);
        }
        self.finish()
    }

    /// Ends the cycle: breaks gangs left below their minimum, explains every waiting workload, and
    /// returns the plan.
    pub fn finish(mut self) -> Plan {
        self.fair_share();
        self.break_gangs();
        self.explain_pending();
        self.report_shares();
        self.plan
    }

    pub(crate) fn pod_need(&self, job: usize) -> PodNeed {
        let w = self.index.jobs[job].workload;
        PodNeed {
            gpu: w.gpu,
            cpu: w.cpu_millicores as i64,
            memory: w.memory_mib as i64,
        }
    }

    /// Adds (or, negative, removes) GPUs held by `job`'s project in `pool`, up to the root.
    pub(crate) fn charge(&mut self, job: usize, pool: usize, amount: MilliGpus) {
        let queue = self.index.jobs[job].queue;
        let preemptible = self.index.jobs[job].workload.preemptible;
        let p = &mut self.pools[pool];
        for q in std::iter::once(ROOT).chain(self.index.path(queue)) {
            p.allocated[q] += amount;
            if !preemptible {
                p.non_preemptible[q] += amount;
            }
        }
    }

    /// Adds (or removes) GPUs that `job`'s project holds once the plan is carried out.
    fn hold(&mut self, job: usize, pool: usize, amount: MilliGpus) {
        let queue = self.index.jobs[job].queue;
        let p = &mut self.pools[pool];
        for q in std::iter::once(ROOT).chain(self.index.path(queue)) {
            p.held[q] += amount;
        }
    }

    /// The first reason, walking up from the project, that `pods` pods of `job` may not be added in
    /// `pool` given what is allocated there (after `released`, per queue, is taken off).
    pub(crate) fn quota_refusal(
        &self,
        job: usize,
        pool: usize,
        pods: u32,
        released: &BTreeMap<usize, MilliGpus>,
    ) -> Option<PendingReason> {
        let j = &self.index.jobs[job];
        let requested = MilliGpus(self.index.pod_gpus(job, pool).0 * i64::from(pods));
        let p = &self.pools[pool];
        for q in self.index.path(j.queue) {
            let quota = self.index.quota(q, pool);
            let freed = released.get(&q).copied().unwrap_or_default();
            let allocated = p.allocated[q] - freed;
            if let Some(limit) = quota.limit
                && allocated + requested > limit
            {
                return Some(PendingReason::AtLimit {
                    unit: self.index.queues[q].name.clone(),
                    limit,
                    allocated,
                    requested,
                });
            }
            if !j.workload.preemptible && p.non_preemptible[q] + requested > quota.deserved {
                return Some(PendingReason::NotInQuota {
                    unit: self.index.queues[q].name.clone(),
                    deserved: quota.deserved,
                    non_preemptible: p.non_preemptible[q],
                    requested,
                });
            }
        }
        None
    }

    /// Places up to `max_pods` pods of `job` in `pool`, at least its gang minimum, or nothing.
    /// On success the GPUs stay taken in the cluster state.
    pub(crate) fn try_place(
        &mut self,
        job: usize,
        pool: usize,
        max_pods: u32,
    ) -> Option<Vec<PodPlacementAt>> {
        let w = self.index.jobs[job].workload;
        let need = self.pod_need(job);
        if let GpuRequest::Devices(k) = need.gpu
            && (i64::from(k) * i64::from(w.min_pods) > self.cluster.free_whole(pool)
                || k > self.cluster.largest_whole_free(pool))
        {
            return None;
        }
        let start = self.cluster.checkpoint();
        let mut placed = Vec::with_capacity(max_pods as usize);
        for _ in 0..max_pods {
            match self.cluster.place_pod(pool, need, &Avoid::NONE) {
                Some(at) => placed.push(at),
                None => break,
            }
        }
        if placed.len() < w.min_pods as usize {
            self.cluster.rollback(start);
            return None;
        }
        Some(placed)
    }

    /// Records binds for a job the cluster state already holds, and charges its project.
    pub(crate) fn bind(&mut self, job: usize, pool: usize, placed: &[PodPlacementAt]) {
        let id = self.index.jobs[job].workload.id;
        for (pod, at) in placed.iter().enumerate() {
            self.plan.binds.push(Bind {
                workload: id,
                pod: pod as u32,
                placement: at.named(&self.index),
            });
        }
        let amount = MilliGpus(self.index.pod_gpus(job, pool).0 * placed.len() as i64);
        self.charge(job, pool, amount);
        self.hold(job, pool, amount);
        self.state[job] = JobState::Bound;
    }

    /// Records the eviction of a running job and stops counting its GPUs for its project. The GPUs
    /// stay taken in the cluster state: they are free only from the next cycle.
    pub(crate) fn evict(&mut self, job: usize, reason: EvictionReason) {
        let held = self.index.running_gpus(job);
        if let Some(pool) = self.index.jobs[job].running_pool {
            self.charge(job, pool, MilliGpus::ZERO - held);
            self.hold(job, pool, MilliGpus::ZERO - held);
        }
        self.state[job] = JobState::Evicted;
        self.plan.evictions.push(Eviction {
            workload: self.index.jobs[job].workload.id,
            reason,
        });
    }

    /// Frees a running job's pods in the cluster state (for a trial, under a checkpoint).
    pub(crate) fn release_pods(&mut self, job: usize) {
        let need = self.pod_need(job);
        let j = &self.index.jobs[job];
        for (pod, &node) in j.workload.placement.iter().zip(&j.nodes) {
            self.cluster.release(node, &pod.gpus, need);
        }
    }

    /// Nodes a running job's pods are on.
    pub(crate) fn nodes_of(&self, job: usize) -> &[usize] {
        &self.index.jobs[job].nodes
    }

    /// A job now waits for the GPUs its victims free: it is promised them (charged to its project
    /// for the rest of this cycle) and nominated for the next.
    pub(crate) fn nominate(
        &mut self,
        job: usize,
        pool: usize,
        victims: Vec<usize>,
        action: Action,
    ) {
        let names = victims
            .iter()
            .map(|&v| self.index.jobs[v].workload.name.clone())
            .collect();
        self.await_release(job, pool, names, action);
    }

    /// A job waits for GPUs that workloads named in `victims` are giving up for it.
    pub(crate) fn await_release(
        &mut self,
        job: usize,
        pool: usize,
        victims: Vec<String>,
        action: Action,
    ) {
        let amount = self.index.job_gpus(job, pool);
        self.charge(job, pool, amount);
        self.state[job] = JobState::Nominated;
        self.plan.nominated.push(self.index.jobs[job].workload.id);
        self.awaiting.insert(job, (victims, action));
    }

    fn break_gangs(&mut self) {
        for job in 0..self.index.jobs.len() {
            let w = self.index.jobs[job].workload;
            if self.state[job] == JobState::Running && (w.placement.len() as u32) < w.min_pods {
                let reason = EvictionReason::GangBroken {
                    running: w.placement.len() as u32,
                    min_pods: w.min_pods,
                };
                self.evict(job, reason);
                self.plan.counters.gangs_broken += 1;
            }
        }
    }

    fn explain_pending(&mut self) {
        let evicted: BTreeMap<u64, EvictionReason> = self
            .plan
            .evictions
            .iter()
            .map(|e| (e.workload, e.reason.clone()))
            .collect();
        for job in 0..self.index.jobs.len() {
            let w = self.index.jobs[job].workload;
            let reason = match self.state[job] {
                JobState::Running | JobState::Bound | JobState::Moved => continue,
                JobState::Evicted => match evicted.get(&w.id) {
                    Some(reason) => PendingReason::Evicted {
                        reason: reason.clone(),
                    },
                    None => continue,
                },
                JobState::Nominated => match self.awaiting.get(&job) {
                    Some((victims, action)) => PendingReason::AwaitingEviction {
                        victims: victims.clone(),
                        action: *action,
                    },
                    None => continue,
                },
                JobState::Pending => match self.protected_reason(job) {
                    Some(reason) => {
                        self.failure[job] = None;
                        reason
                    }
                    None => match self.failure[job].take() {
                        Some((_, reason)) => reason,
                        None => PendingReason::NoNodePool {
                            pools: w.pools.clone(),
                        },
                    },
                },
            };
            self.plan.pending.insert(w.id, reason);
        }
    }

    fn report_shares(&mut self) {
        for (pool, info) in self.index.pools.iter().enumerate() {
            let p = &self.pools[pool];
            for (q, queue) in self.index.queues.iter().enumerate().skip(1) {
                self.plan.shares.push(QueueShare {
                    pool: info.name.clone(),
                    name: queue.name.clone(),
                    is_project: queue.is_project,
                    deserved: queue.quotas[pool].deserved,
                    fair_share: p.fair_share[q],
                    allocated: p.start_allocated[q],
                    demand: p.demand[q],
                    held: p.held[q],
                    usage_gpu_secs: queue.usage[pool].round() as u64,
                });
            }
        }
    }
}
