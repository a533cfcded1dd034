//! Wire types of the REST API, in Run:ai's `/api/v1` shapes (camelCase JSON).

use serde::{Deserialize, Serialize};

/// `POST /api/v1/token`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct TokenRequest {
    /// `password`, `app_token` or `client_credentials`.
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = r"^(password|app_token|client_credentials)$")
    )]
    pub grant_type: String,
    /// For `password`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// For `password`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// For `app_token` (Run:ai spells it so).
    #[serde(default, rename = "AppId", skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
    /// For `app_token`.
    #[serde(default, rename = "AppSecret", skip_serializing_if = "Option::is_none")]
    pub app_secret: Option<String>,
    /// For `client_credentials`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// For `client_credentials`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
}

/// The answer to a token request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct TokenResponse {
    /// A bearer token (a signed JWT).
    pub access_token: String,
}

/// A node pool as other objects refer to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NodePoolRef {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
}

/// GPU quota of an org unit in one node pool. A limit of -1 means none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct GpuQuota {
    /// Guaranteed GPUs.
    pub deserved: f64,
    /// Hard cap, or -1 for none.
    pub limit: f64,
    /// Share of idle GPUs beyond deserved.
    pub over_quota_weight: i64,
}

/// An org unit's resources in one node pool.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct UnitResources {
    /// The pool.
    pub node_pool: NodePoolRef,
    /// GPU quota there.
    pub gpu: GpuQuota,
}

/// A project.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Project {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// The cluster it belongs to.
    pub cluster_id: String,
    /// Its department, if any.
    pub parent_id: Option<String>,
    /// Its department's name, if any.
    pub parent_name: Option<String>,
    /// Higher is served first.
    pub rank: i32,
    /// Quota per node pool.
    pub resources: Vec<UnitResources>,
    /// RFC 3339.
    pub created_at: String,
    /// Guaranteed minimum runtime before preemption inside the project (or consolidation) may
    /// take one of its workloads, e.g. `10m` (KAI-Scheduler's `preemptMinRuntime`); none:
    /// inherited from the department above, 0 at the top.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preempt_min_runtime: Option<String>,
    /// Guaranteed minimum runtime before another project may reclaim one of its workloads, e.g.
    /// `1h` (`reclaimMinRuntime`); none: inherited, likewise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reclaim_min_runtime: Option<String>,
}

/// `GET /api/v1/org-unit/projects`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProjectList {
    /// The projects.
    pub projects: Vec<Project>,
}

/// One environment variable of a workload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnvironmentVariable {
    /// Name: not empty, no `=` and no NUL.
    #[cfg_attr(feature = "openapi", schema(pattern = r"^[^=\u0000]+$"))]
    pub name: String,
    /// Value.
    #[serde(default)]
    pub value: String,
}

/// Compute asked of each pod.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Compute {
    /// Whole GPU devices per pod (or a portion below 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 64))]
    pub gpu_devices_request: Option<f64>,
    /// `portion` or `memory`; informative, the request fields decide.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpu_request_type: Option<String>,
    /// A portion of one device.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(exclusive_minimum = 0, exclusive_maximum = 1)
    )]
    pub gpu_portion_request: Option<f64>,
    /// A memory slice of one device, e.g. "5G".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpu_memory_request: Option<String>,
    /// CPU cores per pod.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 1024))]
    pub cpu_core_request: Option<f64>,
    /// Memory per pod, e.g. "100M".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_memory_request: Option<String>,
}

/// What a training or workspace runs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct WorkloadSpec {
    /// Container image; required unless a template gives one.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = r"^[A-Za-z0-9][A-Za-z0-9._/:@+-]{0,511}$")
    )]
    pub image: String,
    /// Command.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    /// Arguments, one string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub args: Option<String>,
    /// Environment.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub environment_variables: Vec<EnvironmentVariable>,
    /// Compute per pod.
    #[serde(default)]
    pub compute: Compute,
    /// Seconds a pod has between SIGTERM and SIGKILL when it is stopped (default 30, at most
    /// 3600).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::whole::option"
    )]
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 3600))]
    pub grace_period_seconds: Option<i64>,
    /// Node pools it may run in, in order of preference; none means any pool.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub node_pools: Vec<String>,
    /// Run:ai's priority class: `very-low` (25), `low` (40), `medium-low` (65), `medium` (80),
    /// `medium-high` (90), `high` (125) or `very-high` (150). Default: the type's (training
    /// `low`, workspace `high`). Inside its project a workload preempts preemptible ones of lower
    /// priority.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority_class: Option<String>,
    /// `preemptible` or `non-preemptible`. Default: preemptible below priority 100. A
    /// non-preemptible workload runs only within its project's deserved quota and is never
    /// evicted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preemptibility: Option<String>,
}

/// `POST /api/v1/workloads/trainings` and `/workspaces`. Fields Run:ai's models send that Rota does
/// not use are accepted and ignored.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct WorkloadCreationRequest {
    /// Name, unique among the project's live workloads.
    #[cfg_attr(
        feature = "openapi",
        schema(
            pattern = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$",
            min_length = 1,
            max_length = 63
        )
    )]
    pub name: String,
    /// When true, `name` is a prefix: a random suffix makes it unique.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub use_given_name_as_prefix: bool,
    /// A workload template whose environment and compute fill what the spec leaves out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template_id: Option<String>,
    /// The project's id.
    pub project_id: String,
    /// The cluster's id.
    pub cluster_id: String,
    /// What it runs.
    #[serde(default)]
    pub spec: WorkloadSpec,
}

/// The spec of a distributed training (`POST /api/v1/workloads/distributed`): what each worker
/// runs and how many there are. The master runs the same spec (Run:ai's
/// `masterSpecSameAsWorker`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct DistributedSpec {
    /// What each pod runs and asks for.
    #[serde(flatten)]
    pub workload: WorkloadSpec,
    /// `PyTorch`, `TF`, `MPI`, `XGBoost` or `JAX`.
    #[serde(default)]
    pub distributed_framework: String,
    /// Workers beside the master (default 1): the training has `numWorkers + 1` pods.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::whole::option"
    )]
    pub num_workers: Option<u32>,
    /// Elastic: the fewest workers it may run with (default `numWorkers`: all or nothing).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::whole::option"
    )]
    pub min_replicas: Option<u32>,
    /// Elastic: the most workers; at least `numWorkers` (Rota runs `numWorkers`).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::whole::option"
    )]
    pub max_replicas: Option<u32>,
}

/// `POST /api/v1/workloads/distributed`, Run:ai's shape.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct DistributedCreationRequest {
    /// Name, unique among the project's live workloads.
    #[cfg_attr(
        feature = "openapi",
        schema(
            pattern = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$",
            min_length = 1,
            max_length = 63
        )
    )]
    pub name: String,
    /// When true, `name` is a prefix: a random suffix makes it unique.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub use_given_name_as_prefix: bool,
    /// A workload template whose environment and compute fill what the spec leaves out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template_id: Option<String>,
    /// The project's id.
    pub project_id: String,
    /// The cluster's id.
    pub cluster_id: String,
    /// The workers' spec (and the master's).
    #[serde(default)]
    pub spec: DistributedSpec,
    /// Whether the master runs the workers' spec (default true; Rota runs no other master yet).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub master_spec_same_as_worker: Option<bool>,
    /// A master spec of its own: refused unless it equals the workers' spec.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub master_spec: Option<WorkloadSpec>,
}

impl DistributedCreationRequest {
    /// The single-spec request every workload shares, and the distributed part apart.
    pub fn split(self) -> (WorkloadCreationRequest, DistributedAsk) {
        let ask = DistributedAsk {
            framework: self.spec.distributed_framework,
            num_workers: self.spec.num_workers,
            min_replicas: self.spec.min_replicas,
            max_replicas: self.spec.max_replicas,
            master_spec_same_as_worker: self.master_spec_same_as_worker,
            master_spec: self.master_spec,
        };
        let req = WorkloadCreationRequest {
            name: self.name,
            use_given_name_as_prefix: self.use_given_name_as_prefix,
            template_id: self.template_id,
            project_id: self.project_id,
            cluster_id: self.cluster_id,
            spec: self.spec.workload,
        };
        (req, ask)
    }
}

/// What makes a submission distributed, as given (checked by
/// [`crate::validate::distributed`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DistributedAsk {
    /// The framework's name.
    pub framework: String,
    /// Workers beside the master.
    pub num_workers: Option<u32>,
    /// Elastic minimum of workers.
    pub min_replicas: Option<u32>,
    /// Elastic maximum of workers.
    pub max_replicas: Option<u32>,
    /// Whether the master runs the workers' spec.
    pub master_spec_same_as_worker: Option<bool>,
    /// The master's own spec.
    pub master_spec: Option<WorkloadSpec>,
}

/// A workload as lists show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct WorkloadSummary {
    /// Its id (a UUID).
    pub id: String,
    /// Name.
    pub name: String,
    /// `Training`, `Distributed`, `Workspace` or `Inference`.
    #[serde(rename = "type")]
    pub kind: String,
    /// A distributed training's framework (`PyTorch`, `TF`, `MPI`, `XGBoost`, `JAX`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distributed_framework: Option<String>,
    /// Node pools it may run in, in order of preference; empty means any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub node_pools: Vec<String>,
    /// Run:ai's phase: `Pending`, `Running`, `Completed`, …
    pub phase: String,
    /// Why it is in that phase (the pending reason), if there is one.
    pub phase_reason: Option<String>,
    /// The project's id.
    pub project_id: String,
    /// The project's name.
    pub project_name: String,
    /// The project's department, if any.
    pub department_id: Option<String>,
    /// Its name.
    pub department_name: Option<String>,
    /// The cluster's id.
    pub cluster_id: String,
    /// Priority.
    pub priority: i32,
    /// The priority's class (`low`, `high`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority_class: Option<String>,
    /// Whether it may be preempted.
    pub preemptible: bool,
    /// Pods running.
    pub running_pods: u32,
    /// Pods asked for.
    pub requested_pods: u32,
    /// GPUs its pods hold, in total.
    pub allocated_gpus: f64,
    /// GPUs it asks for, in total.
    pub requested_gpus: f64,
    /// What it asks for, Run:ai's shape.
    pub requested_resources: RequestedResources,
    /// What it holds, Run:ai's shape.
    pub allocated_resources: AllocatedResources,
    /// Nodes its pods run on.
    pub nodes: Vec<String>,
    /// RFC 3339.
    pub created_at: String,
    /// When it entered its phase (RFC 3339): a pending workload waits since then.
    #[serde(default)]
    pub phase_since: String,
}

/// One pod of a workload (`GET /api/v1/workloads/{id}/pods`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct WorkloadPod {
    /// Its index in the workload (0 is a distributed training's master).
    pub index: u32,
    /// Its name: `<workload-id>-<index>-<attempt>`.
    pub name: String,
    /// `Starting`, `Running` or `Terminating`.
    pub state: String,
    /// The node it runs on.
    pub node: String,
    /// The GPU devices it holds on that node.
    pub devices: Vec<u32>,
    /// The share of its one device, when it holds a fraction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpu_portion: Option<f64>,
    /// When it was bound (RFC 3339).
    pub started_at: String,
}

/// Body of `GET /api/v1/workloads/{id}/pods`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PodList {
    /// Its pods, by index.
    pub pods: Vec<WorkloadPod>,
}

/// What a submission would do if it were made now (`POST /api/v1/workloads/preview`, Rota's own).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Preview {
    /// `startsNow`, `startsAfterPreemption` or `waits`.
    pub outcome: PreviewOutcome,
    /// Where its pods would run, when it starts now.
    pub nodes: Vec<String>,
    /// Whether it would run beyond its project's deserved quota (and so could be preempted).
    pub over_quota: bool,
    /// One sentence: "starts now on node-2", "waits: team-a is at its limit of 4 GPUs".
    pub message: String,
}

/// The gist of a [`Preview`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub enum PreviewOutcome {
    /// It would be placed in the next cycle.
    StartsNow,
    /// Others would be preempted or moved first.
    StartsAfterPreemption,
    /// It would wait.
    Waits,
}

/// An item of `GET /api/v1/clusters` (Run:ai answers with a bare list).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Cluster {
    /// Its id.
    pub uuid: String,
    /// Its name.
    pub name: String,
    /// RFC 3339.
    pub created_at: String,
}

/// A node pool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct NodePool {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// The cluster's id.
    pub cluster_id: String,
    /// `binpack` or `spread`.
    pub placement_strategy: String,
}

/// A node and what it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct NodeInfo {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its node pool.
    pub node_pool: String,
    /// GPU devices.
    pub gpus: u32,
    /// Memory per GPU device, MiB.
    pub gpu_memory_mib: u64,
    /// Who holds each device: one entry per device, with the workloads (and their parts).
    pub devices: Vec<DeviceUse>,
}

/// The holders of one GPU device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct DeviceUse {
    /// Device index.
    pub index: u32,
    /// Workload names, with their part of the device in thousandths.
    pub holders: Vec<(String, u32)>,
}

/// A department.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Department {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// The cluster it belongs to.
    pub cluster_id: String,
    /// The department above it, if any.
    pub parent_id: Option<String>,
    /// Higher is served first.
    pub rank: i32,
    /// Quota per node pool.
    pub resources: Vec<UnitResources>,
    /// RFC 3339.
    pub created_at: String,
    /// Guaranteed minimum runtime before preemption inside the project (or consolidation) may
    /// take one of its workloads, e.g. `10m` (KAI-Scheduler's `preemptMinRuntime`); none:
    /// inherited from the department above, 0 at the top.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preempt_min_runtime: Option<String>,
    /// Guaranteed minimum runtime before another project may reclaim one of its workloads, e.g.
    /// `1h` (`reclaimMinRuntime`); none: inherited, likewise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reclaim_min_runtime: Option<String>,
}

/// `GET /api/v1/org-unit/departments`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DepartmentList {
    /// The departments.
    pub departments: Vec<Department>,
}

/// A node pool as a request names it: by id or by name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NodePoolName {
    /// Its id.
    #[serde(default)]
    pub id: Option<String>,
    /// Its name.
    #[serde(default)]
    pub name: Option<String>,
}

/// GPU quota as a request gives it; a limit of -1 or none means no limit.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct GpuQuotaRequest {
    /// Guaranteed GPUs.
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 1000000))]
    pub deserved: f64,
    /// Hard cap (-1: none).
    #[serde(default)]
    pub limit: Option<f64>,
    /// Share of idle GPUs beyond deserved (default 1).
    #[serde(default, deserialize_with = "crate::whole::option")]
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 1000))]
    pub over_quota_weight: Option<i64>,
}

/// Quota in one node pool, as a request gives it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct UnitResourcesRequest {
    /// The pool.
    pub node_pool: NodePoolName,
    /// GPU quota there.
    pub gpu: GpuQuotaRequest,
}

/// Creating or updating a project or department.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct UnitRequest {
    /// Name (a DNS label).
    #[cfg_attr(
        feature = "openapi",
        schema(
            pattern = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$",
            min_length = 1,
            max_length = 63
        )
    )]
    pub name: String,
    /// The cluster (optional: there is one).
    #[serde(default)]
    pub cluster_id: Option<String>,
    /// The department above it (none: top level).
    #[serde(default)]
    pub parent_id: Option<String>,
    /// Rank (default 100).
    #[serde(default, deserialize_with = "crate::whole::option")]
    pub rank: Option<i32>,
    /// Quota per node pool; pools not listed get none.
    #[serde(default)]
    pub resources: Vec<UnitResourcesRequest>,
    /// Guaranteed minimum runtime before preemption inside the project (or consolidation) may
    /// take one of its workloads, e.g. `10m` (KAI-Scheduler's `preemptMinRuntime`); none:
    /// inherited from the department above, 0 at the top.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preempt_min_runtime: Option<String>,
    /// Guaranteed minimum runtime before another project may reclaim one of its workloads, e.g.
    /// `1h` (`reclaimMinRuntime`); none: inherited, likewise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reclaim_min_runtime: Option<String>,
}

/// An asset's metadata, Run:ai's shape: where it may be used and what it is called.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AssetMeta {
    /// Its id (answers only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Name, unique in its scope.
    #[cfg_attr(
        feature = "openapi",
        schema(
            pattern = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$",
            min_length = 1,
            max_length = 63
        )
    )]
    pub name: String,
    /// `tenant` or `cluster` (everywhere), `department` or `project`.
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = r"^(tenant|cluster|department|project)$")
    )]
    pub scope: String,
    /// The cluster, for cluster scope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_id: Option<String>,
    /// The department, for department scope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department_id: Option<String>,
    /// The project, for project scope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_id: Option<String>,
    /// RFC 3339 (answers only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
}

/// An environment's spec.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct EnvironmentSpec {
    /// Container image.
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = r"^[A-Za-z0-9][A-Za-z0-9._/:@+-]{0,511}$")
    )]
    pub image: String,
    /// What a workload made from it runs, unless the workload names its own command.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    /// Arguments, one string; a workload's own arguments replace these.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub args: Option<String>,
    /// Variables every workload made from it gets; a workload's own variable of the same name
    /// wins.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub environment_variables: Vec<EnvironmentVariable>,
}

/// `/api/v1/asset/environment` bodies and answers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnvironmentAsset {
    /// Name and scope.
    pub meta: AssetMeta,
    /// The image.
    pub spec: EnvironmentSpec,
}

/// `/api/v1/asset/compute` bodies and answers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ComputeAsset {
    /// Name and scope.
    pub meta: AssetMeta,
    /// What each pod gets.
    pub spec: Compute,
}

/// The assets a template combines.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TemplateAssets {
    /// The environment's id.
    pub environment: String,
    /// The compute resource's id.
    pub compute: String,
}

/// A template's spec: the workload type it is for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TemplateSpec {
    /// `training` or `workspace` (default training).
    #[serde(
        default,
        rename = "workloadType",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(pattern = r"^(training|workspace)$"))]
    pub workload_type: Option<String>,
}

/// `/api/v1/asset/workload-template` bodies and answers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TemplateAsset {
    /// Name and scope.
    pub meta: AssetMeta,
    /// Its workload type.
    #[serde(default)]
    pub spec: TemplateSpec,
    /// Its environment and compute resource.
    pub assets: TemplateAssets,
}

/// A list of assets, Run:ai's shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AssetList<T> {
    /// The assets.
    pub entries: Vec<T>,
}

/// What a workload asks for, in total over its pods.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct RequestedResources {
    /// GPUs (devices, or a fraction of one).
    pub gpu: f64,
    /// CPU cores.
    pub cpu: f64,
    /// Memory, e.g. "100Mi".
    pub cpu_memory: String,
}

/// What a workload's running pods hold.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AllocatedResources {
    /// GPUs.
    pub gpu: f64,
}

/// One org unit's figures in one node pool, as the last scheduling cycle computed them (what the
/// Projects page's bars and `/metrics` show).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UnitShare {
    /// The node pool.
    pub pool: String,
    /// The project or department.
    pub name: String,
    /// A project (else a department).
    pub is_project: bool,
    /// GPUs it is guaranteed.
    pub deserved: f64,
    /// GPUs its fair share came to.
    pub fair_share: f64,
    /// GPUs it held at the start of the cycle.
    pub allocated: f64,
    /// GPU-hours it used over the usage window, weighed by age (time-based fair share), to a
    /// tenth.
    #[serde(default)]
    pub usage_gpu_hours: f64,
}

/// Time-based fair share: how past usage weighs on the split of idle GPUs beyond deserved
/// quota (KAI-Scheduler's names).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct FairShareSettings {
    /// How much past usage counts, from 0 (off: the split is by over-quota weight alone) to 100.
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 100))]
    pub k_value: f64,
    /// Usage older than this is forgotten: `1h` to `720h` (default `168h`, a week).
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = r"^([0-9]+|([0-9]+h)?([0-9]+m)?([0-9]+s)?)$", min_length = 1)
    )]
    pub window_size: String,
    /// Usage this old counts half (`12h`); absent or empty: every hour of the window counts
    /// the same.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = r"^([0-9]+|([0-9]+h)?([0-9]+m)?([0-9]+s)?)$")
    )]
    pub half_life_period: Option<String>,
}

/// The cluster over the last hour, day or week (the Overview page; `GET /api/v1/overview`):
/// averages per bucket (a minute for the hour, an hour otherwise) over the part of it recorded,
/// oldest first, up to the bucket under way.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Overview {
    /// When it was read, in milliseconds since the epoch.
    pub now_ms: i64,
    /// `hour`, `day` or `week`.
    pub range: String,
    /// The length of one bucket, in seconds.
    pub bucket_secs: u64,
    /// The whole cluster, per bucket.
    pub cluster: Vec<ClusterPoint>,
    /// Each node pool's busiest projects.
    pub pools: Vec<PoolHistory>,
}

/// The cluster in one bucket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ClusterPoint {
    /// The bucket's start, in milliseconds since the epoch.
    pub at_ms: i64,
    /// GPUs allocated, on average.
    pub allocated: f64,
    /// GPUs the cluster has, on average.
    pub capacity: f64,
    /// Workloads pending, on average.
    pub pending: f64,
    /// The longest any workload had waited, at its longest in the bucket (seconds).
    pub longest_wait_secs: f64,
}

/// One node pool's projects over time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PoolHistory {
    /// The node pool.
    pub pool: String,
    /// Its projects that held the most GPUs over the range, the busiest first.
    pub projects: Vec<ProjectHistory>,
    /// Projects with GPU time in the range that are not listed.
    pub left_out: u32,
}

/// One project in one pool over time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ProjectHistory {
    /// The project.
    pub name: String,
    /// Per bucket, oldest first.
    pub points: Vec<ProjectPoint>,
}

/// A project in one bucket: averages in GPUs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ProjectPoint {
    /// The bucket's start, in milliseconds since the epoch.
    pub at_ms: i64,
    /// GPUs allocated.
    pub allocated: f64,
    /// Deserved quota.
    pub deserved: f64,
    /// Fair share.
    pub fair_share: f64,
}
