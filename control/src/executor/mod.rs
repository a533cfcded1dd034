//! Executors carry out committed plans on some kind of cluster: the simulated one, this host's
//! processes ([`Local`]), or a Slurm cluster ([`Slurm`]).
//!
//! The contract is the one a real cluster needs (DESIGN.md, "Executors"):
//! - [`Executor::start`] and [`Executor::stop`] return at once; what happened comes back later as
//!   a [`PodEvent`] through [`Events`], which the scheduling loop applies in a transaction. No call
//!   blocks the runtime's workers, and no error is dropped: a start that fails is an event too.
//! - Pods have stable names ([`pod_name`]: workload UUID, pod index, attempt), so a repeated
//!   start or stop of the same pod is harmless.
//! - [`Executor::observe`] says what really runs, for reconciliation at start and every few
//!   seconds: the loop starts what is missing, adopts what runs, and stops what nobody owns.
//! - [`Executor::inventory`] says which nodes there are, with their GPUs, and which are down.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use rota_scheduler::GpuSlots;
use tokio::sync::mpsc;

use crate::control_loop::Wake;

pub mod local;
mod recording;
mod simulated;
pub mod slurm;

pub use local::Local;
pub use recording::{Call, Recording};
pub use simulated::Simulated;
pub use slurm::Slurm;

/// How long a stopping pod has between SIGTERM and SIGKILL when its workload does not say.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(30);

/// A future an executor returns (the trait stays object-safe).
pub type Pending<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The stable name of one attempt of one pod: `<workload-uuid>-<pod>-<attempt>`.
pub fn pod_name(workload_uuid: &str, pod: u32, attempt: u32) -> String {
    format!("{workload_uuid}-{pod}-{attempt}")
}

/// A pod to start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodStart {
    /// Its stable name ([`pod_name`]).
    pub name: String,
    /// The workload's UUID.
    pub workload: String,
    /// The workload's name.
    pub workload_name: String,
    /// Its project's name.
    pub project: String,
    /// Pod index within the workload.
    pub pod: u32,
    /// Pods of the workload.
    pub pod_count: u32,
    /// Which start of this pod it is.
    pub attempt: u32,
    /// The node.
    pub node: String,
    /// Its devices there.
    pub gpus: GpuSlots,
    /// CPU, in millicores.
    pub cpu_millicores: u64,
    /// Memory, in MiB.
    pub memory_mib: u64,
    /// Container image.
    pub image: String,
    /// Command (Run:ai's `command`).
    pub command: Option<String>,
    /// Arguments (Run:ai's `args`, one string).
    pub args: Option<String>,
    /// The workload's own environment variables.
    pub env: Vec<(String, String)>,
    /// On the simulated cluster: how long it runs.
    pub duration_secs: Option<i64>,
    /// Where its output goes.
    pub log_path: std::path::PathBuf,
    /// A distributed training's pod: where it finds the others.
    pub rendezvous: Option<Rendezvous>,
}

/// Where the pods of a distributed training find each other, in the names PyTorch's
/// `torchrun` (and `torch.distributed`'s `env://`) read: `MASTER_ADDR`, `MASTER_PORT`,
/// `WORLD_SIZE` and `RANK` (the pod's index).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendezvous {
    /// The framework (`PyTorch`, `TF`, `MPI`, `XGBoost`, `JAX`).
    pub framework: String,
    /// The master pod's address ([`Executor::address`] of its node).
    pub master_addr: String,
    /// The port the master listens on, the same for every pod of the workload.
    pub master_port: u16,
    /// Pods that run together.
    pub world_size: u32,
}

impl Rendezvous {
    /// The master's port for a workload: one per workload row, so that trainings sharing a
    /// host do not collide (30000–39999).
    pub fn port_for(workload_row: i32) -> u16 {
        30000 + (workload_row.unsigned_abs() % 10000) as u16
    }
}

impl PodStart {
    /// The shell line it runs: `command args`, or none when it names neither.
    pub fn command_line(&self) -> Option<String> {
        let parts: Vec<&str> = [self.command.as_deref(), self.args.as_deref()]
            .into_iter()
            .flatten()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        (!parts.is_empty()).then(|| parts.join(" "))
    }

    /// Its environment: the workload's variables, then Rota's (which win): the devices it was
    /// given, its place in the workload, and for a fraction the share and memory it may use.
    pub fn environment(&self) -> Vec<(String, String)> {
        let mut env: BTreeMap<String, String> = self.env.iter().cloned().collect();
        let devices = match &self.gpus {
            GpuSlots::Devices(d) => d.iter().map(u32::to_string).collect::<Vec<_>>().join(","),
            GpuSlots::Shared {
                device,
                portion,
                memory_mib,
            } => {
                env.insert(
                    "ROTA_GPU_FRACTION".into(),
                    format!("{}", f64::from(*portion) / 1000.0),
                );
                env.insert("ROTA_GPU_MEMORY_LIMIT_MIB".into(), memory_mib.to_string());
                device.to_string()
            }
        };
        env.insert("CUDA_VISIBLE_DEVICES".into(), devices);
        env.insert("ROTA_WORKLOAD".into(), self.workload_name.clone());
        env.insert("ROTA_WORKLOAD_ID".into(), self.workload.clone());
        env.insert("ROTA_PROJECT".into(), self.project.clone());
        env.insert("ROTA_POD_INDEX".into(), self.pod.to_string());
        env.insert("ROTA_POD_COUNT".into(), self.pod_count.to_string());
        env.insert("ROTA_POD_NAME".into(), self.name.clone());
        if let Some(r) = &self.rendezvous {
            env.insert("MASTER_ADDR".into(), r.master_addr.clone());
            env.insert("MASTER_PORT".into(), r.master_port.to_string());
            env.insert("WORLD_SIZE".into(), r.world_size.to_string());
            env.insert("RANK".into(), self.pod.to_string());
            env.insert("ROTA_DISTRIBUTED_FRAMEWORK".into(), r.framework.clone());
        }
        env.into_iter().collect()
    }
}

/// A pod to stop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodStop {
    /// Its stable name.
    pub name: String,
    /// The node it runs on.
    pub node: String,
    /// Time between the polite signal and the kill.
    pub grace: Duration,
}

/// What the store says of a pod, for [`Executor::observe`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodRecord {
    /// Its stable name.
    pub name: String,
    /// The node it was placed on.
    pub node: String,
    /// Its state in the store.
    pub state: PodState,
    /// When it was bound (Unix ms).
    pub started_at: i64,
    /// On the simulated cluster: how long it runs.
    pub duration_secs: Option<i64>,
}

/// A pod's state in the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PodState {
    /// Asked to start, not confirmed.
    Starting,
    /// Confirmed running.
    Running,
    /// Asked to stop; holds its GPUs until gone.
    Terminating,
}

impl PodState {
    /// As the store writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            PodState::Starting => crate::store::entity::pod::state::STARTING,
            PodState::Running => crate::store::entity::pod::state::RUNNING,
            PodState::Terminating => crate::store::entity::pod::state::TERMINATING,
        }
    }

    /// From the store's text.
    pub fn parse(s: &str) -> Option<Self> {
        [PodState::Starting, PodState::Running, PodState::Terminating]
            .into_iter()
            .find(|p| p.as_str() == s)
    }
}

/// What an executor sees of a pod.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Observed {
    /// Being started (Slurm: the job waits in Slurm's own queue).
    Starting,
    /// Running.
    Running,
    /// It ended by itself.
    Exited {
        /// Its exit code (128 + the signal for a signal).
        code: i32,
    },
    /// It was there and is gone for a reason that is not its own exit (node failure, a job
    /// cancelled behind Rota's back).
    Lost {
        /// Why, in words.
        reason: String,
    },
}

/// What came of an executor's work, for the loop to apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PodEvent {
    /// The pod really runs. `devices`: the GPUs the executor itself chose, where it chooses.
    Started {
        /// The pod.
        name: String,
        /// Devices the executor gave it, if it decides them (Slurm).
        devices: Option<Vec<u32>>,
    },
    /// It could not be started.
    StartFailed {
        /// The pod.
        name: String,
        /// Why.
        reason: String,
    },
    /// It ended by itself.
    Exited {
        /// The pod.
        name: String,
        /// Its exit code.
        code: i32,
    },
    /// It was ended by the cluster for a reason of its own (out of memory, a time limit, a
    /// cancellation nobody in Rota asked for): the workload fails.
    Failed {
        /// The pod.
        name: String,
        /// Why.
        reason: String,
    },
    /// It stopped after it was asked to, and holds nothing any more.
    Gone {
        /// The pod.
        name: String,
    },
    /// It was lost: its node went down or it vanished; trainings go back to the queue.
    Lost {
        /// The pod.
        name: String,
        /// Why, in words ("node node-2 went down").
        reason: String,
    },
}

impl PodEvent {
    /// The pod it is about.
    pub fn name(&self) -> &str {
        match self {
            PodEvent::Started { name, .. }
            | PodEvent::StartFailed { name, .. }
            | PodEvent::Exited { name, .. }
            | PodEvent::Failed { name, .. }
            | PodEvent::Gone { name }
            | PodEvent::Lost { name, .. } => name,
        }
    }
}

/// Where executors send what happened; the loop receives it. Sending wakes the loop.
#[derive(Debug, Clone)]
pub struct Events {
    tx: mpsc::UnboundedSender<PodEvent>,
    wake: Wake,
}

impl Events {
    /// A sink and the receiver the loop drains.
    pub fn channel(wake: Wake) -> (Events, mpsc::UnboundedReceiver<PodEvent>) {
        let (tx, rx) = mpsc::unbounded_channel();
        (Events { tx, wake }, rx)
    }

    /// Reports what happened to a pod.
    pub fn send(&self, event: PodEvent) {
        if self.tx.send(event).is_err() {
            tracing::warn!("the scheduling loop is gone; a pod event was not delivered");
        }
        self.wake.wake();
    }
}

/// One node as the executor sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeInventory {
    /// Its name.
    pub name: String,
    /// GPU devices.
    pub gpus: u32,
    /// Memory per device, MiB.
    pub gpu_memory_mib: u64,
    /// CPU, millicores.
    pub cpu_millicores: u64,
    /// Memory, MiB.
    pub memory_mib: u64,
    /// Whether work may run there; `Some(reason)` when it is down.
    pub down: Option<String>,
}

/// Why an executor could not answer.
#[derive(Debug, thiserror::Error)]
pub enum ExecutorError {
    /// A tool it runs failed (`sbatch`, `squeue`, `nvidia-smi`, …).
    #[error("{tool} failed: {message}")]
    Tool {
        /// The tool.
        tool: String,
        /// What it said.
        message: String,
    },
    /// Its answer could not be read.
    #[error("cannot read {what}: {message}")]
    Parse {
        /// What was being read.
        what: String,
        /// Why.
        message: String,
    },
    /// The file system refused.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// Why.
        source: std::io::Error,
    },
}

/// Carries out plans on some kind of cluster.
pub trait Executor: Send + Sync + Debug {
    /// Its kind, as cluster files name it (`simulated`, `local`, `slurm`).
    fn kind(&self) -> &'static str;

    /// Starts a pod whose GPUs are committed in the store. Returns at once; the outcome is a
    /// [`PodEvent::Started`] or [`PodEvent::StartFailed`]. Starting a pod that runs already is
    /// harmless.
    fn start(&self, pod: PodStart, events: &Events);

    /// Stops a pod: the polite signal, then the kill after `grace`. Returns at once; the
    /// outcome is a [`PodEvent::Gone`]. Stopping a pod that is gone already reports it gone.
    fn stop(&self, pod: PodStop, events: &Events);

    /// What becomes of each of `pods` now, by name, and of any other pod the executor runs that
    /// Rota may have started (those are stopped when the store has no row for them). A pod of
    /// `pods` missing from the answer is not there at all.
    fn observe<'a>(
        &'a self,
        pods: &'a [PodRecord],
        now_ms: i64,
    ) -> Pending<'a, Result<BTreeMap<String, Observed>, ExecutorError>>;

    /// The nodes, when the executor knows them (`None`: the cluster file is the truth).
    fn inventory(&self) -> Pending<'_, Result<Option<Vec<NodeInventory>>, ExecutorError>>;

    /// Hands the executor the sink its own watchers report to (the loop calls it once).
    fn attach(&self, _events: &Events) {}

    /// The address the pods of a distributed training reach a pod on `node` at (their
    /// `MASTER_ADDR`): by default the node's name, which a cluster's hosts resolve.
    fn address(&self, node: &str) -> String {
        node.to_owned()
    }

    /// Why this cluster cannot run fractions of a GPU, if it cannot.
    fn fractions(&self) -> Option<String> {
        None
    }

    /// Forgets what it keeps of a pod that ended and that the store no longer has (its logs
    /// are kept: they go with the workload).
    fn forget(&self, _name: &str) {}
}

/// The executor a cluster file names. For the local and Slurm executors, the file's nodes are
/// filled from what the executor reports (the seed then stores them). `supervisor` is the
/// program (and leading arguments) that supervises a local pod: `rota-server supervise-pod`.
pub async fn from_cluster_file(
    file: &mut crate::cluster_file::ClusterFile,
    data_dir: &std::path::Path,
    supervisor: Vec<String>,
) -> Result<std::sync::Arc<dyn Executor>, ExecutorError> {
    use crate::cluster_file::ExecutorKind;
    let executor: std::sync::Arc<dyn Executor> = match file.executor {
        ExecutorKind::Simulated => return Ok(std::sync::Arc::new(Simulated)),
        ExecutorKind::Local => std::sync::Arc::new(Local::new(
            &file.local.clone().unwrap_or_default(),
            data_dir,
            supervisor,
        )?),
        ExecutorKind::Slurm => {
            std::sync::Arc::new(Slurm::new(file.slurm.clone().unwrap_or_default()))
        }
    };
    let nodes = executor.inventory().await?.unwrap_or_default();
    file.nodes = nodes
        .iter()
        .map(|n| crate::cluster_file::NodeSpec {
            name: n.name.clone(),
            gpus: n.gpus,
            pool: rota_scheduler::model::DEFAULT_POOL.to_owned(),
            gpu_memory_mib: n.gpu_memory_mib,
            cpu_cores: u32::try_from(n.cpu_millicores / 1000).unwrap_or(u32::MAX),
            memory_gib: u32::try_from(n.memory_mib / 1024).unwrap_or(u32::MAX),
        })
        .collect();
    Ok(executor)
}
