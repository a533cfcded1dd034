//! Executors carry out committed plans: start a pod on a node with its GPU slots, stop a pod, and
//! report pods that ended on their own.

use std::fmt::Debug;

use rota_scheduler::GpuSlots;

mod simulated;

pub use simulated::Simulated;

/// A pod to start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodStart {
    /// The workload's UUID.
    pub workload: String,
    /// Pod index within the workload.
    pub pod: u32,
    /// The node.
    pub node: String,
    /// Its devices there.
    pub gpus: GpuSlots,
    /// Container image.
    pub image: String,
}

/// A pod to stop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodStop {
    /// The workload's UUID.
    pub workload: String,
    /// Pod index within the workload.
    pub pod: u32,
    /// The node it ran on.
    pub node: String,
}

/// A running pod as the store knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunningPod {
    /// The workload's row id.
    pub workload_id: i32,
    /// When it started (Unix ms).
    pub started_at: i64,
    /// How long the workload runs, if it was given a duration.
    pub duration_secs: Option<i64>,
}

/// A workload whose pods ended on their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkloadExit {
    /// The workload's row id.
    pub workload_id: i32,
    /// Whether it succeeded.
    pub succeeded: bool,
}

/// Carries out plans on some kind of cluster.
pub trait Executor: Send + Sync + Debug {
    /// Starts a pod; its GPUs are already committed in the store.
    fn start(&self, pod: &PodStart);
    /// Stops a pod.
    fn stop(&self, pod: &PodStop);
    /// Workloads whose pods ended on their own by `now_ms`.
    fn exited(&self, running: &[RunningPod], now_ms: i64) -> Vec<WorkloadExit>;
}
