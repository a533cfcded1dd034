//! The snapshot checked and turned into indices: pools, the queue tree, jobs. Built once per cycle.

use std::collections::{BTreeMap, BTreeSet};

use crate::error::SnapshotError;
use crate::model::{GpuRequest, GpuSlots, MinRuntime, Quota, Snapshot, Workload};
use crate::quantity::MilliGpus;

/// The root of every pool's queue tree.
pub(crate) const ROOT: usize = 0;

#[derive(Debug)]
pub(crate) struct PoolInfo {
    pub name: String,
    /// Memory of the largest device in the pool: converts memory slices into portions for quota.
    pub reference_memory_mib: u64,
    pub capacity: MilliGpus,
}

#[derive(Debug)]
pub(crate) struct NodeInfo {
    pub pool: usize,
    /// Position in name order: breaks placement ties by name.
    pub name_order: u32,
}

#[derive(Debug)]
pub(crate) struct QueueInfo {
    pub name: String,
    pub parent: Option<usize>,
    pub children: Vec<usize>,
    pub is_project: bool,
    /// Creation order among all units: ties go to the older.
    pub order: usize,
    /// Quota per pool, by pool index.
    pub quotas: Vec<Quota>,
    /// Its own minimum runtimes (resolved with its parents' by [`Index::min_runtime`]).
    pub min_runtime: MinRuntime,
    /// Past GPU-seconds per pool, weighed (a department's: its projects'); time-based fair share.
    pub usage: Vec<f64>,
}

#[derive(Debug)]
pub(crate) struct Job<'a> {
    pub workload: &'a Workload,
    /// The project's queue index.
    pub queue: usize,
    /// Pools it may run in, in order of preference; `None`: every pool, in the index's order.
    pub pools: Option<Vec<usize>>,
    /// The pool its pods run in, if running.
    pub running_pool: Option<usize>,
    /// The node of each running pod, in placement order.
    pub nodes: Vec<usize>,
}

#[derive(Debug)]
pub(crate) struct Index<'a> {
    pub snapshot: &'a Snapshot,
    pub pools: Vec<PoolInfo>,
    all_pools: Vec<usize>,
    pub nodes: Vec<NodeInfo>,
    pub queues: Vec<QueueInfo>,
    pub jobs: Vec<Job<'a>>,
}

impl<'a> Index<'a> {
    pub fn build(snapshot: &'a Snapshot) -> Result<Self, SnapshotError> {
        let (pools, nodes, node_by_name) = index_nodes(snapshot)?;
        let queues = index_queues(snapshot, &pools)?;
        let project_queue: BTreeMap<&str, usize> = queues
            .iter()
            .enumerate()
            .filter(|(_, q)| q.is_project)
            .map(|(i, q)| (q.name.as_str(), i))
            .collect();
        let mut jobs = Vec::with_capacity(snapshot.workloads.len());
        let mut ids: Vec<u64> = snapshot.workloads.iter().map(|w| w.id).collect();
        ids.sort_unstable();
        if let Some(pair) = ids.windows(2).find(|p| p[0] == p[1]) {
            return Err(SnapshotError::DuplicateWorkload(pair[0]));
        }
        for w in &snapshot.workloads {
            check_request(w)?;
            let queue = *project_queue.get(w.project.as_str()).ok_or_else(|| {
                SnapshotError::UnknownProject {
                    workload: w.name.clone(),
                    project: w.project.clone(),
                }
            })?;
            let job_pools = (!w.pools.is_empty()).then(|| {
                w.pools
                    .iter()
                    .filter_map(|p| pools.iter().position(|info| &info.name == p))
                    .collect()
            });
            let (running_pool, on_nodes) = running_pool(w, &node_by_name, &nodes)?;
            jobs.push(Job {
                workload: w,
                queue,
                pools: job_pools,
                running_pool,
                nodes: on_nodes,
            });
        }
        let all_pools = (0..pools.len()).collect();
        Ok(Index {
            snapshot,
            pools,
            all_pools,
            nodes,
            queues,
            jobs,
        })
    }

    /// The pools `job` may run in, in order of preference.
    pub fn pools_of(&self, job: usize) -> &[usize] {
        self.jobs[job].pools.as_deref().unwrap_or(&self.all_pools)
    }

    /// GPUs one pod of `job` counts for in `pool`'s quotas.
    pub fn pod_gpus(&self, job: usize, pool: usize) -> MilliGpus {
        pod_gpus(
            self.jobs[job].workload.gpu,
            self.pools[pool].reference_memory_mib,
        )
    }

    /// GPUs the whole job counts for in `pool` when all its pods run.
    pub fn job_gpus(&self, job: usize, pool: usize) -> MilliGpus {
        MilliGpus(self.pod_gpus(job, pool).0 * i64::from(self.jobs[job].workload.pods))
    }

    /// GPUs the job holds now (its running pods), in its pool.
    pub fn running_gpus(&self, job: usize) -> MilliGpus {
        let j = &self.jobs[job];
        match j.running_pool {
            Some(pool) => MilliGpus(self.pod_gpus(job, pool).0 * j.workload.placement.len() as i64),
            None => MilliGpus::ZERO,
        }
    }

    /// The queues from a project up to (not including) the root.
    pub fn path(&self, queue: usize) -> impl Iterator<Item = usize> + '_ {
        std::iter::successors(Some(queue), move |&q| self.queues[q].parent)
            .take_while(|&q| q != ROOT)
    }

    /// A queue's minimum runtimes: its own, the unset parts from the units above.
    pub fn min_runtime(&self, queue: usize) -> MinRuntime {
        self.path(queue).fold(MinRuntime::default(), |own, q| {
            own.or(self.queues[q].min_runtime)
        })
    }

    pub fn quota(&self, queue: usize, pool: usize) -> &Quota {
        &self.queues[queue].quotas[pool]
    }
}

pub(crate) use crate::gpus::{pod_gpus, portion_of_memory};

type NodeIndex<'a> = (Vec<PoolInfo>, Vec<NodeInfo>, BTreeMap<&'a str, usize>);

fn index_nodes(snapshot: &Snapshot) -> Result<NodeIndex<'_>, SnapshotError> {
    let mut node_by_name = BTreeMap::new();
    for (i, n) in snapshot.nodes.iter().enumerate() {
        if node_by_name.insert(n.name.as_str(), i).is_some() {
            return Err(SnapshotError::DuplicateNode(n.name.clone()));
        }
    }
    // The default pool first, then the others by name: the order pools are tried in.
    let reference = crate::gpus::reference_memory_of(&snapshot.nodes);
    let mut pool_names: Vec<&str> = reference.keys().copied().collect();
    pool_names.sort_by(|a, b| crate::gpus::pool_order(a, b));
    let mut pools: Vec<PoolInfo> = pool_names
        .iter()
        .map(|p| PoolInfo {
            name: (*p).to_owned(),
            reference_memory_mib: reference[p],
            capacity: MilliGpus::ZERO,
        })
        .collect();
    let pool_of: BTreeMap<&str, usize> = pool_names
        .iter()
        .enumerate()
        .map(|(i, p)| (*p, i))
        .collect();
    let mut name_order = vec![0u32; snapshot.nodes.len()];
    for (rank, &i) in node_by_name.values().enumerate() {
        name_order[i] = rank as u32;
    }
    let mut nodes = Vec::with_capacity(snapshot.nodes.len());
    for (i, n) in snapshot.nodes.iter().enumerate() {
        let pool = pool_of[n.pool.as_str()];
        let info = &mut pools[pool];
        info.capacity += MilliGpus::whole(i64::from(n.gpus));
        nodes.push(NodeInfo {
            pool,
            name_order: name_order[i],
        });
    }
    Ok((pools, nodes, node_by_name))
}

fn index_queues(snapshot: &Snapshot, pools: &[PoolInfo]) -> Result<Vec<QueueInfo>, SnapshotError> {
    let quotas_for = |list: &[crate::model::PoolQuota]| -> Vec<Quota> {
        pools
            .iter()
            .map(|p| {
                list.iter()
                    .find(|q| q.pool == p.name)
                    .map(|q| q.quota)
                    .unwrap_or_default()
            })
            .collect()
    };
    let root = QueueInfo {
        name: String::new(),
        parent: None,
        children: Vec::new(),
        is_project: false,
        order: 0,
        quotas: pools
            .iter()
            .map(|p| Quota {
                deserved: p.capacity,
                limit: None,
                over_quota_weight: 1,
                rank: 0,
            })
            .collect(),
        min_runtime: MinRuntime::default(),
        usage: vec![0.0; pools.len()],
    };
    let mut queues = vec![root];
    let mut department_queue: BTreeMap<&str, usize> = BTreeMap::new();
    for d in &snapshot.departments {
        if department_queue
            .insert(d.name.as_str(), queues.len())
            .is_some()
        {
            return Err(SnapshotError::DuplicateDepartment(d.name.clone()));
        }
        queues.push(QueueInfo {
            name: d.name.clone(),
            parent: None,
            children: Vec::new(),
            is_project: false,
            order: queues.len(),
            quotas: quotas_for(&d.quotas),
            min_runtime: d.min_runtime,
            usage: vec![0.0; pools.len()],
        });
    }
    for (i, d) in snapshot.departments.iter().enumerate() {
        let parent = match &d.parent {
            None => ROOT,
            Some(p) => *department_queue.get(p.as_str()).ok_or_else(|| {
                SnapshotError::UnknownParentDepartment {
                    department: d.name.clone(),
                    parent: p.clone(),
                }
            })?,
        };
        queues[i + 1].parent = Some(parent);
    }
    // A department tree must not loop back on itself.
    for start in 1..queues.len() {
        let mut seen = 0;
        let mut q = start;
        while q != ROOT {
            q = queues[q].parent.unwrap_or(ROOT);
            seen += 1;
            if seen > queues.len() {
                return Err(SnapshotError::DepartmentCycle(queues[start].name.clone()));
            }
        }
    }
    let mut project_names = BTreeSet::new();
    for p in &snapshot.projects {
        if !project_names.insert(p.name.as_str()) {
            return Err(SnapshotError::DuplicateProject(p.name.clone()));
        }
        let parent = match &p.department {
            None => ROOT,
            Some(d) => *department_queue.get(d.as_str()).ok_or_else(|| {
                SnapshotError::UnknownDepartment {
                    project: p.name.clone(),
                    department: d.clone(),
                }
            })?,
        };
        queues.push(QueueInfo {
            name: p.name.clone(),
            parent: Some(parent),
            children: Vec::new(),
            is_project: true,
            order: queues.len(),
            quotas: quotas_for(&p.quotas),
            min_runtime: p.min_runtime,
            usage: vec![0.0; pools.len()],
        });
    }
    for q in 1..queues.len() {
        let parent = queues[q].parent.unwrap_or(ROOT);
        queues[parent].children.push(q);
    }
    add_usage(snapshot, pools, &mut queues);
    Ok(queues)
}

/// Charges each project's past usage to it and to every unit above it. Usage of a project or
/// pool the snapshot does not have is ignored (a project deleted within the window).
fn add_usage(snapshot: &Snapshot, pools: &[PoolInfo], queues: &mut [QueueInfo]) {
    if snapshot.usage.is_empty() {
        return;
    }
    let project_queue: BTreeMap<&str, usize> = (1..queues.len())
        .filter(|&q| queues[q].is_project)
        .map(|q| (queues[q].name.as_str(), q))
        .collect();
    let mut charges = Vec::with_capacity(snapshot.usage.len());
    for u in &snapshot.usage {
        let (Some(&q), Some(pool)) = (
            project_queue.get(u.project.as_str()),
            pools.iter().position(|p| p.name == u.pool),
        ) else {
            continue;
        };
        if u.gpu_secs.is_finite() && u.gpu_secs > 0.0 {
            charges.push((q, pool, u.gpu_secs));
        }
    }
    for (mut q, pool, secs) in charges {
        while q != ROOT {
            queues[q].usage[pool] += secs;
            q = queues[q].parent.unwrap_or(ROOT);
        }
    }
}

pub(crate) fn check_request(w: &Workload) -> Result<(), SnapshotError> {
    let bad = |what: &str| SnapshotError::InvalidWorkload {
        workload: w.name.clone(),
        what: what.into(),
    };
    if w.pods == 0 {
        return Err(bad("it has no pods"));
    }
    if w.min_pods == 0 || w.min_pods > w.pods {
        return Err(bad(
            "its gang minimum must be between 1 and its number of pods",
        ));
    }
    match w.gpu {
        GpuRequest::Portion(p) if p == 0 || p >= 1000 => {
            return Err(bad("a GPU portion must be strictly between 0 and 1"));
        }
        GpuRequest::MemoryMib(0) => return Err(bad("a GPU memory request must be above 0")),
        _ => {}
    }
    if w.placement.len() > w.pods as usize {
        return Err(bad("more pods are placed than it has"));
    }
    for p in &w.placement {
        let ok = match (&p.gpus, w.gpu) {
            (GpuSlots::Devices(d), GpuRequest::Devices(n)) => d.len() == n as usize,
            (GpuSlots::Shared { .. }, GpuRequest::Portion(_) | GpuRequest::MemoryMib(_)) => true,
            _ => false,
        };
        if !ok {
            return Err(bad("a pod's placement does not match its GPU request"));
        }
    }
    Ok(())
}

/// The pool a workload runs in and the node of each running pod.
fn running_pool(
    w: &Workload,
    node_by_name: &BTreeMap<&str, usize>,
    nodes: &[NodeInfo],
) -> Result<(Option<usize>, Vec<usize>), SnapshotError> {
    let mut pool = None;
    let mut on = Vec::with_capacity(w.placement.len());
    for p in &w.placement {
        let node =
            *node_by_name
                .get(p.node.as_str())
                .ok_or_else(|| SnapshotError::UnknownNode {
                    workload: w.name.clone(),
                    node: p.node.clone(),
                })?;
        let node_pool = nodes[node].pool;
        if pool.is_some_and(|existing| existing != node_pool) {
            return Err(SnapshotError::InvalidWorkload {
                workload: w.name.clone(),
                what: "its pods run in more than one node pool".into(),
            });
        }
        pool = Some(node_pool);
        on.push(node);
    }
    Ok((pool, on))
}
