//! Synthetic clusters and loads for benchmarks: deterministic for a given seed (a small splitmix64
//! generator, so that no dependency's algorithm change moves the figures).

use crate::model::{
    DEFAULT_POOL, Department, GpuRequest, GpuSlots, Node, PodPlacement, PoolQuota, Project, Quota,
    Snapshot, Workload, WorkloadKind, priority,
};
use crate::quantity::MilliGpus;
use crate::usage::UsageLedger;

/// The shape of a synthetic cluster and load.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    /// Nodes, all in the default pool.
    pub nodes: u32,
    /// GPUs per node.
    pub gpus_per_node: u32,
    /// Projects, spread evenly over the departments.
    pub projects: u32,
    /// Departments (0: projects hang under the cluster).
    pub departments: u32,
    /// Workloads running at the start (placed first-fit, as far as they fit).
    pub running: u32,
    /// Workloads pending.
    pub pending: u32,
    /// Percent of the pending that are CPU-heavy: half of them CPU-only pods of 96 cores and
    /// 512 GiB (most of a node), half one GPU with 32 cores — what a cluster that also runs data
    /// preparation sees. 0 for the GPU-only load.
    pub cpu_heavy: u32,
    /// Seed of the generator.
    pub seed: u64,
}

/// The name of the `i`-th project.
fn project_name(i: u32) -> String {
    format!("project-{i:04}")
}

struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }
}

/// Builds the snapshot: quotas add up to the cluster's GPUs; workloads ask for 1 (85%), 2 (10%),
/// 4 (4%) or 8 GPUs (1%), one core and 4 GiB per pod; one in 25 trainings is a 2-pod gang. Of the
/// running, a tenth are workspaces and one in 20 has medium priority; the pending are trainings,
/// one in 50 of medium priority, and `cpu_heavy` percent of them CPU-heavy (see [`Shape`]).
pub fn build(shape: Shape) -> Snapshot {
    let mut rng = SplitMix(shape.seed);
    let nodes: Vec<Node> = (0..shape.nodes)
        .map(|i| Node {
            name: format!("node-{i:05}"),
            pool: DEFAULT_POOL.into(),
            gpus: shape.gpus_per_node,
            gpu_memory_mib: 81920,
            cpu_millicores: 128_000,
            memory_mib: 1024 * 1024,
        })
        .collect();
    let capacity = i64::from(shape.nodes) * i64::from(shape.gpus_per_node);
    let quota = |deserved: i64, weight: u32| {
        vec![PoolQuota {
            pool: DEFAULT_POOL.into(),
            quota: Quota {
                deserved: MilliGpus::whole(deserved),
                limit: None,
                over_quota_weight: weight,
                rank: crate::model::DEFAULT_RANK,
            },
        }]
    };
    let departments: Vec<Department> = (0..shape.departments)
        .map(|i| Department {
            name: format!("dept-{i:03}"),
            parent: None,
            quotas: quota(capacity / i64::from(shape.departments.max(1)), 1),
            min_runtime: Default::default(),
        })
        .collect();
    let projects: Vec<Project> = (0..shape.projects)
        .map(|i| Project {
            name: project_name(i),
            department: (shape.departments > 0)
                .then(|| format!("dept-{:03}", i % shape.departments)),
            quotas: quota(capacity / i64::from(shape.projects.max(1)), 1 + (i % 3)),
            min_runtime: Default::default(),
        })
        .collect();
    let mut free: Vec<u32> = vec![shape.gpus_per_node; shape.nodes as usize];
    let mut next_node = 0usize;
    let mut workloads = Vec::with_capacity((shape.running + shape.pending) as usize);
    for i in 0..shape.running + shape.pending {
        let gpus = match rng.below(100) {
            0..=84 => 1,
            85..=94 => 2,
            95..=98 => 4,
            _ => 8,
        }
        .min(shape.gpus_per_node.max(1));
        // A backlog is trainings: workspaces and inference start at once or preempt their way in.
        let backlog = i >= shape.running;
        let workspace = !backlog && rng.below(10) == 0;
        let gang = !workspace && rng.below(25) == 0;
        let pods = if gang { 2 } else { 1 };
        let kind = if workspace {
            WorkloadKind::Workspace
        } else {
            WorkloadKind::Training
        };
        let project = rng.below(u64::from(shape.projects.max(1)));
        let mut w = Workload {
            id: u64::from(i) + 1,
            name: format!("w-{i}"),
            project: project_name(project as u32),
            kind,
            pools: Vec::new(),
            pods,
            min_pods: pods,
            gpu: GpuRequest::Devices(gpus),
            cpu_millicores: 1000,
            memory_mib: 4096,
            priority: if rng.below(if backlog { 50 } else { 20 }) == 0 {
                priority::MEDIUM
            } else {
                kind.default_priority()
            },
            preemptible: kind.default_preemptible(),
            submission: u64::from(i) + 1,
            nominated: false,
            placement: Vec::new(),
            running_since_ms: None,
        };
        if backlog && shape.cpu_heavy > 0 && rng.below(100) < u64::from(shape.cpu_heavy) {
            w.pods = 1;
            w.min_pods = 1;
            if rng.below(2) == 0 {
                w.gpu = GpuRequest::Devices(0);
                w.cpu_millicores = 96_000;
                w.memory_mib = 512 * 1024;
            } else {
                w.gpu = GpuRequest::Devices(1);
                w.cpu_millicores = 32_000;
                w.memory_mib = 64 * 1024;
            }
        }
        if i < shape.running {
            // First fit from a moving cursor: a cluster that filled up over time.
            let mut placed = Vec::new();
            for _ in 0..pods {
                let start = next_node;
                loop {
                    if free[next_node] >= gpus {
                        let first = shape.gpus_per_node - free[next_node];
                        free[next_node] -= gpus;
                        placed.push(PodPlacement {
                            node: nodes[next_node].name.clone(),
                            gpus: GpuSlots::Devices((first..first + gpus).collect()),
                        });
                        break;
                    }
                    next_node = (next_node + 1) % free.len().max(1);
                    if next_node == start {
                        break;
                    }
                }
            }
            if placed.len() == pods as usize {
                w.placement = placed;
            }
        }
        workloads.push(w);
    }
    Snapshot {
        nodes,
        departments,
        projects,
        workloads,
        releasing: Vec::new(),
        now_ms: 0,
        usage: Vec::new(),
    }
}

/// A history of usage for every project of `shape`: one bucket of `bucket_ms` per project for
/// each of the `days` before `now_ms`, each of 0 to 2·(its fair part of the cluster) GPUs held
/// for the whole bucket. What `rota sim bench --usage-days` weighs every cycle.
pub fn usage_history(shape: Shape, now_ms: u64, days: u32, bucket_ms: u64) -> UsageLedger {
    let mut rng = SplitMix(shape.seed ^ 0x5EED_0F0A_6E00);
    let mut ledger = UsageLedger::new(bucket_ms);
    let gpus = u64::from(shape.nodes) * u64::from(shape.gpus_per_node);
    let fair_part = gpus / u64::from(shape.projects.max(1)).max(1);
    let buckets = u64::from(days) * 86_400_000 / bucket_ms.max(1);
    let secs = bucket_ms as f64 / 1000.0;
    for p in 0..shape.projects {
        let name = project_name(p);
        for b in 1..=buckets {
            let held = rng.below(2 * fair_part + 1) as f64;
            let start = now_ms.saturating_sub(b * bucket_ms);
            ledger.record(&name, DEFAULT_POOL, start, held * secs);
        }
    }
    ledger
}
