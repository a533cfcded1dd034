//! The snapshot: everything one scheduling cycle looks at. Built by the caller (the control plane from
//! its store, `rota sim` from a scenario file); never changed by the scheduler.

use serde::{Deserialize, Serialize};

use crate::quantity::MilliGpus;

/// The name of the node pool that holds every node not placed in another pool.
pub const DEFAULT_POOL: &str = "default";

/// An immutable view of the cluster, its org units and its workloads at the start of a cycle.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Every node of the cluster. Names are unique.
    pub nodes: Vec<Node>,
    /// Departments, in creation order (the order breaks ties between otherwise equal queues).
    pub departments: Vec<Department>,
    /// Projects, in creation order.
    pub projects: Vec<Project>,
    /// Running and pending workloads. `submission` orders them; the vector's order does not matter.
    pub workloads: Vec<Workload>,
    /// Pods asked to stop that still hold their GPUs until the executor confirms they are gone.
    /// Nobody may be placed on those GPUs meanwhile.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub releasing: Vec<Releasing>,
    /// The time of the snapshot, in milliseconds since the Unix epoch (or since a scenario's
    /// start): how long workloads have run is measured against it. The core has no clock.
    #[serde(default)]
    pub now_ms: u64,
    /// Each project's past GPU time per node pool, weighed over the window (time-based fair
    /// share; see [`crate::usage`]). Projects and pools not listed used nothing; unknown ones
    /// are ignored.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub usage: Vec<crate::usage::ProjectUsage>,
}

/// A stopping pod: it no longer belongs to a running workload, but its GPUs, CPU and memory stay
/// taken until it is gone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Releasing {
    /// The workload the pod belonged to (for explanations).
    pub workload_name: String,
    /// Where it runs, and the devices it holds there.
    pub placement: PodPlacement,
    /// CPU it holds, in millicores.
    #[serde(default)]
    pub cpu_millicores: u64,
    /// Memory it holds, in MiB.
    #[serde(default)]
    pub memory_mib: u64,
    /// The workload these GPUs are being freed for (by reclaim, preemption or consolidation), if
    /// any: it waits for them instead of taking anything else.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub freed_for: Option<FreedFor>,
}

/// Whom a stopping pod's GPUs are freed for, and by which action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FreedFor {
    /// The waiting workload.
    pub workload: WorkloadId,
    /// The action that stopped the pod.
    pub action: crate::explain::Action,
}

/// A machine with GPU devices.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Node {
    /// Unique name.
    pub name: String,
    /// The node pool it belongs to.
    pub pool: String,
    /// Number of GPU devices.
    pub gpus: u32,
    /// Memory of each GPU device, in MiB.
    pub gpu_memory_mib: u64,
    /// CPU capacity in millicores.
    pub cpu_millicores: u64,
    /// Memory capacity in MiB.
    pub memory_mib: u64,
}

/// Quota of one org unit (department or project) in one node pool.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Quota {
    /// GPUs the unit is guaranteed. Quotas may add up to more than the pool has.
    pub deserved: MilliGpus,
    /// Hard cap on deserved + over quota; `None` means no limit.
    pub limit: Option<MilliGpus>,
    /// How idle GPUs beyond deserved quota are divided among siblings; 0 gets no surplus.
    pub over_quota_weight: u32,
    /// Higher rank is served first and is never reclaimed by a lower rank.
    pub rank: i32,
}

impl Default for Quota {
    /// A unit without a quota in a pool deserves nothing there, has no limit, weight 1, rank 100.
    fn default() -> Self {
        Self {
            deserved: MilliGpus::ZERO,
            limit: None,
            over_quota_weight: 1,
            rank: DEFAULT_RANK,
        }
    }
}

/// The rank a unit gets when none is given.
pub const DEFAULT_RANK: i32 = 100;

/// Quota of a unit in a named node pool.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PoolQuota {
    /// The node pool.
    pub pool: String,
    /// The quota there.
    pub quota: Quota,
}

/// A group of projects (or of other departments); its quota bounds its children.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Department {
    /// Unique among departments.
    pub name: String,
    /// The department above it; `None` for a top-level department.
    pub parent: Option<String>,
    /// Quota per node pool; a pool not listed gets [`Quota::default`].
    pub quotas: Vec<PoolQuota>,
    /// How long its workloads run before they may be taken from; unset parts are its parent's.
    #[serde(default, skip_serializing_if = "MinRuntime::is_unset")]
    pub min_runtime: MinRuntime,
}

/// A team's queue: the leaf of the quota tree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Project {
    /// Unique among projects.
    pub name: String,
    /// Its department; `None` hangs it directly under the cluster.
    pub department: Option<String>,
    /// Quota per node pool; a pool not listed gets [`Quota::default`].
    pub quotas: Vec<PoolQuota>,
    /// How long its workloads run before they may be taken from; unset parts are its
    /// department's.
    #[serde(default, skip_serializing_if = "MinRuntime::is_unset")]
    pub min_runtime: MinRuntime,
}

/// Guaranteed minimum runtime (KAI-Scheduler's `preemptMinRuntime` and `reclaimMinRuntime`): a
/// running workload younger than this is not a victim of preemption inside its project (nor moved
/// by consolidation), or of reclaim by another project. Unset: inherited from the unit above; at
/// the top, 0 (no protection).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MinRuntime {
    /// Against preemption by higher priority work of the same project, and consolidation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preempt_secs: Option<u64>,
    /// Against reclaim by projects below their fair share.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reclaim_secs: Option<u64>,
}

impl MinRuntime {
    /// Whether neither part is set.
    pub fn is_unset(&self) -> bool {
        *self == MinRuntime::default()
    }

    /// Each unset part taken from `parent`.
    pub fn or(self, parent: MinRuntime) -> MinRuntime {
        MinRuntime {
            preempt_secs: self.preempt_secs.or(parent.preempt_secs),
            reclaim_secs: self.reclaim_secs.or(parent.reclaim_secs),
        }
    }
}

/// A caller-chosen, stable identifier of a workload.
pub type WorkloadId = u64;

/// What a workload is; decides its default priority and preemptibility.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WorkloadKind {
    /// Batch work: low priority, preemptible by default.
    Training,
    /// Interactive work: high priority, non-preemptible by default.
    Workspace,
    /// Serving: very high priority, non-preemptible by default.
    Inference,
}

impl WorkloadKind {
    /// Run:ai's default priority for the kind.
    pub fn default_priority(self) -> i32 {
        match self {
            WorkloadKind::Training => priority::LOW,
            WorkloadKind::Workspace => priority::HIGH,
            WorkloadKind::Inference => priority::VERY_HIGH,
        }
    }

    /// Whether the kind may be evicted by default: as its default priority says.
    pub fn default_preemptible(self) -> bool {
        priority::default_preemptible(self.default_priority())
    }

    /// The kind's name as users write it.
    pub fn as_str(self) -> &'static str {
        match self {
            WorkloadKind::Training => "training",
            WorkloadKind::Workspace => "workspace",
            WorkloadKind::Inference => "inference",
        }
    }
}

/// Run:ai's priority classes.
pub mod priority {
    /// `very-low`
    pub const VERY_LOW: i32 = 25;
    /// `low`: training's default.
    pub const LOW: i32 = 40;
    /// `medium-low`
    pub const MEDIUM_LOW: i32 = 65;
    /// `medium`
    pub const MEDIUM: i32 = 80;
    /// `medium-high`
    pub const MEDIUM_HIGH: i32 = 90;
    /// `high`: workspace's default.
    pub const HIGH: i32 = 125;
    /// `very-high`: inference's default.
    pub const VERY_HIGH: i32 = 150;

    /// The class names with their values.
    pub const CLASSES: [(&str, i32); 7] = [
        ("very-low", VERY_LOW),
        ("low", LOW),
        ("medium-low", MEDIUM_LOW),
        ("medium", MEDIUM),
        ("medium-high", MEDIUM_HIGH),
        ("high", HIGH),
        ("very-high", VERY_HIGH),
    ];

    /// Priorities from this value up are non-preemptible unless the submission says otherwise;
    /// below it, preemptible.
    pub const NON_PREEMPTIBLE_FROM: i32 = 100;

    /// The value of a class name, if it is one.
    pub fn from_class(name: &str) -> Option<i32> {
        CLASSES.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
    }

    /// The name of the class with this value, if one has it.
    pub fn class_of(value: i32) -> Option<&'static str> {
        CLASSES.iter().find(|(_, v)| *v == value).map(|(n, _)| *n)
    }

    /// Whether a workload of this priority is preemptible when its submission does not say.
    pub fn default_preemptible(value: i32) -> bool {
        value < NON_PREEMPTIBLE_FROM
    }
}

/// What each pod asks of GPUs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GpuRequest {
    /// Whole devices (0 for a CPU-only pod).
    Devices(u32),
    /// A portion of one device, in thousandths, strictly between 0 and 1000.
    Portion(u32),
    /// A slice of one device's memory, in MiB.
    MemoryMib(u64),
}

/// Where one running pod sits.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PodPlacement {
    /// The node's name.
    pub node: String,
    /// The devices it holds there.
    pub gpus: GpuSlots,
}

/// The devices a pod holds on its node.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GpuSlots {
    /// Whole devices, by index (empty for a CPU-only pod).
    Devices(Vec<u32>),
    /// A share of one device: a portion (thousandths) and the GPU memory it may use.
    Shared {
        /// Device index.
        device: u32,
        /// Thousandths of the device.
        portion: u32,
        /// GPU memory reserved on the device, in MiB.
        memory_mib: u64,
    },
}

/// A unit of work: one or more pods that start together.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Workload {
    /// Stable identifier, chosen by the caller.
    pub id: WorkloadId,
    /// Name, unique among the project's live workloads.
    pub name: String,
    /// The project it belongs to.
    pub project: String,
    /// Training, workspace or inference.
    pub kind: WorkloadKind,
    /// Node pools it may run in, in order of preference; empty means every pool.
    pub pools: Vec<String>,
    /// Number of pods.
    pub pods: u32,
    /// Gang minimum: fewer pods than this never run.
    pub min_pods: u32,
    /// GPUs per pod.
    pub gpu: GpuRequest,
    /// CPU per pod, in millicores.
    pub cpu_millicores: u64,
    /// Memory per pod, in MiB.
    pub memory_mib: u64,
    /// Higher runs first and may preempt lower inside its project.
    pub priority: i32,
    /// Whether the scheduler may evict it.
    pub preemptible: bool,
    /// Submission order: lower was submitted first. Unique.
    pub submission: u64,
    /// Set when an earlier cycle evicted others to make room for it: it is placed first.
    pub nominated: bool,
    /// The pods that run now; empty for a pending workload.
    pub placement: Vec<PodPlacement>,
    /// When it last started running (the snapshot's clock), for a running workload; `None`
    /// counts as long ago.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub running_since_ms: Option<u64>,
}

impl Workload {
    /// Whether any pod of it runs.
    pub fn is_running(&self) -> bool {
        !self.placement.is_empty()
    }
}
