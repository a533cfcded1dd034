//! The scenario file format (shared/scenarios/README.md). Every struct refuses unknown fields, and
//! values are checked while parsing, so that an error carries its line and field.

use serde::{Deserialize, Deserializer, de};

use crate::cluster::PlacementStrategy;
use crate::model::{WorkloadKind, priority};

/// A whole scenario file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// A sentence that says what is shown.
    pub name: String,
    /// Free text.
    #[serde(default)]
    pub notes: Option<String>,
    /// Placement of every pool.
    #[serde(default)]
    pub placement: PlacementStrategy,
    /// The cluster's nodes.
    pub nodes: Vec<NodeSpec>,
    /// Departments, in creation order.
    #[serde(default)]
    pub departments: Vec<DepartmentSpec>,
    /// Projects, in creation order.
    pub projects: Vec<ProjectSpec>,
    /// Time-based fair share (an extension of Rota's; default off).
    #[serde(default)]
    pub time_fair_share: Option<TimeFairShareSpec>,
    /// GPU time used before the story starts (an extension of Rota's).
    #[serde(default)]
    pub usage: Vec<UsageSpec>,
    /// The story.
    pub steps: Vec<Step>,
}

/// How past usage weighs on the split of the surplus.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimeFairShareSpec {
    /// How much past usage counts (0 to 100).
    #[serde(deserialize_with = "k_value")]
    pub k_value: f64,
    /// Usage older than this is forgotten (default 7 days).
    #[serde(default = "default_window")]
    pub window_secs: u64,
    /// Usage this old counts half (default: no decay).
    #[serde(default)]
    pub half_life_secs: Option<u64>,
}

/// GPUs a project held for a while before the story starts.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsageSpec {
    /// The project.
    pub project: String,
    /// The node pool (default `default`).
    #[serde(default = "default_pool")]
    pub pool: String,
    /// GPUs held.
    #[serde(deserialize_with = "gpu_amount")]
    pub gpus: f64,
    /// For how long.
    pub for_secs: u64,
    /// How long before the start it ended (default 0: just before).
    #[serde(default)]
    pub ended_secs_ago: u64,
}

/// A node.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeSpec {
    /// Unique name.
    pub name: String,
    /// GPU devices.
    pub gpus: u32,
    /// Node pool.
    #[serde(default = "default_pool")]
    pub pool: String,
    /// Memory of each device.
    #[serde(default = "default_gpu_memory")]
    pub gpu_memory_mib: u64,
    /// CPU capacity (an extension of Rota's; default 64 cores).
    #[serde(default = "default_cpu")]
    pub cpu_millicores: u64,
    /// Memory capacity (an extension of Rota's; default 512 GiB).
    #[serde(default = "default_memory")]
    pub memory_mib: u64,
}

/// A department.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DepartmentSpec {
    /// Unique name.
    pub name: String,
    /// The department above; none for top level.
    #[serde(default)]
    pub parent: Option<String>,
    /// Deserved GPUs (in every pool).
    #[serde(deserialize_with = "gpu_amount")]
    pub deserved_gpus: f64,
    /// Limit (none: no limit).
    #[serde(default, deserialize_with = "optional_gpu_amount")]
    pub limit_gpus: Option<f64>,
    /// Over-quota weight.
    #[serde(default = "default_weight")]
    pub over_quota_weight: u32,
    /// Rank.
    #[serde(default = "default_rank")]
    pub rank: i32,
    /// Minimum runtime before its workloads may be preempted or moved, in seconds (an extension
    /// of Rota's; default: inherited, 0 at the top).
    #[serde(default)]
    pub preempt_min_runtime_secs: Option<u64>,
    /// Minimum runtime before its workloads may be reclaimed, in seconds (likewise).
    #[serde(default)]
    pub reclaim_min_runtime_secs: Option<u64>,
}

/// A project.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectSpec {
    /// Unique name.
    pub name: String,
    /// Its department; none hangs it under the cluster.
    #[serde(default)]
    pub department: Option<String>,
    /// Deserved GPUs (in every pool).
    #[serde(deserialize_with = "gpu_amount")]
    pub deserved_gpus: f64,
    /// Limit (none: no limit).
    #[serde(default, deserialize_with = "optional_gpu_amount")]
    pub limit_gpus: Option<f64>,
    /// Over-quota weight.
    #[serde(default = "default_weight")]
    pub over_quota_weight: u32,
    /// Rank.
    #[serde(default = "default_rank")]
    pub rank: i32,
    /// Minimum runtime before its workloads may be preempted or moved, in seconds (an extension
    /// of Rota's; default: inherited, 0 at the top).
    #[serde(default)]
    pub preempt_min_runtime_secs: Option<u64>,
    /// Minimum runtime before its workloads may be reclaimed, in seconds (likewise).
    #[serde(default)]
    pub reclaim_min_runtime_secs: Option<u64>,
}

/// One step of the story.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
pub enum Step {
    /// Workloads join their queues, in list order.
    Submit(Vec<WorkloadSpec>),
    /// Workloads end.
    Delete(Vec<String>),
    /// Outcomes to check, by workload name.
    Expect(std::collections::BTreeMap<String, Expectation>),
    /// The clock moves on by this many seconds (an extension of Rota's); cycles run after it.
    Wait(u64),
}

/// A workload to submit.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkloadSpec {
    /// Unique in its project.
    pub name: String,
    /// Its project.
    pub project: String,
    /// Training (default), workspace or inference.
    #[serde(rename = "type", default = "default_kind")]
    pub kind: WorkloadKind,
    /// GPUs per pod: whole devices, or a fraction below 1.
    #[serde(default, deserialize_with = "gpus_per_pod")]
    pub gpus: GpusPerPod,
    /// A GPU memory slice per pod instead of `gpus` (an extension of Rota's).
    #[serde(default)]
    pub gpu_memory_mib: Option<u64>,
    /// Pods (default 1).
    #[serde(default)]
    pub pods: Option<u32>,
    /// Gang minimum (default: all pods).
    #[serde(default)]
    pub min_pods: Option<u32>,
    /// A number or a class name.
    #[serde(default, deserialize_with = "priority_value")]
    pub priority: Option<i32>,
    /// Default by type.
    #[serde(default)]
    pub preemptible: Option<bool>,
    /// One node name (or null) per pod: it starts out running there.
    #[serde(default)]
    pub running_on: Option<Vec<Option<String>>>,
    /// With `running_on`: how long it has run already, in seconds (an extension of Rota's;
    /// default 0: it starts at the step's time).
    #[serde(default)]
    pub running_for_secs: Option<u64>,
    /// Node pools it may use, in order (an extension of Rota's; default: all).
    #[serde(default)]
    pub pools: Vec<String>,
    /// CPU per pod (an extension of Rota's; default 0).
    #[serde(default)]
    pub cpu_millicores: u64,
    /// Memory per pod (an extension of Rota's; default 0).
    #[serde(default)]
    pub memory_mib: u64,
}

/// GPUs per pod as written.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub enum GpusPerPod {
    /// Whole devices.
    #[default]
    None,
    /// Whole devices.
    Devices(u32),
    /// Thousandths of one device.
    Portion(u32),
}

/// What a step expects of one workload.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expectation {
    /// Running or Pending.
    pub status: Status,
    /// One node per running pod, any order.
    #[serde(default)]
    pub nodes: Option<Vec<String>>,
    /// Total GPUs over its pods.
    #[serde(default, deserialize_with = "optional_gpu_amount")]
    pub gpus_allocated: Option<f64>,
    /// Words its pending reason contains (an extension of Rota's).
    #[serde(default)]
    pub reason: Option<String>,
}

/// A workload's status as scenarios name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
pub enum Status {
    /// At least one pod runs.
    Running,
    /// No pod runs.
    Pending,
}

fn default_pool() -> String {
    crate::model::DEFAULT_POOL.to_owned()
}
fn default_gpu_memory() -> u64 {
    81920
}
fn default_cpu() -> u64 {
    64_000
}
fn default_memory() -> u64 {
    512 * 1024
}
fn default_window() -> u64 {
    crate::usage::DEFAULT_WINDOW_SECS
}
fn k_value<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    let v = f64::deserialize(d)?;
    if !v.is_finite() || !(0.0..=crate::usage::MAX_K_VALUE).contains(&v) {
        return Err(de::Error::custom(format!(
            "expected a k value from 0 to {}, got {v}",
            crate::usage::MAX_K_VALUE
        )));
    }
    Ok(v)
}
fn default_weight() -> u32 {
    1
}
fn default_rank() -> i32 {
    crate::model::DEFAULT_RANK
}
fn default_kind() -> WorkloadKind {
    WorkloadKind::Training
}

fn gpu_amount<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    let v = f64::deserialize(d)?;
    if !v.is_finite() || v < 0.0 {
        return Err(de::Error::custom(format!(
            "expected a number of GPUs of 0 or more, got {v}"
        )));
    }
    Ok(v)
}

fn optional_gpu_amount<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    match Option::<f64>::deserialize(d)? {
        Some(v) if !v.is_finite() || v < 0.0 => Err(de::Error::custom(format!(
            "expected a number of GPUs of 0 or more, got {v}"
        ))),
        other => Ok(other),
    }
}

fn gpus_per_pod<'de, D: Deserializer<'de>>(d: D) -> Result<GpusPerPod, D::Error> {
    let v = f64::deserialize(d)?;
    if !v.is_finite() || v < 0.0 {
        return Err(de::Error::custom(format!(
            "expected GPUs per pod of 0 or more, got {v}"
        )));
    }
    if v >= 1.0 {
        if v.fract() != 0.0 || v > f64::from(u16::MAX) {
            return Err(de::Error::custom(format!(
                "expected a whole number of GPUs, or a fraction below 1, got {v}"
            )));
        }
        return Ok(GpusPerPod::Devices(v as u32));
    }
    if v == 0.0 {
        return Ok(GpusPerPod::Devices(0));
    }
    let portion = (v * 1000.0).round();
    if portion < 1.0 || (portion / 1000.0 - v).abs() > 1e-9 {
        return Err(de::Error::custom(format!(
            "expected a fraction in thousandths of a GPU, got {v}"
        )));
    }
    Ok(GpusPerPod::Portion(portion as u32))
}

fn priority_value<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i32>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Number(i32),
        Class(String),
    }
    match Option::<Raw>::deserialize(d)? {
        None => Ok(None),
        Some(Raw::Number(n)) => Ok(Some(n)),
        Some(Raw::Class(c)) => priority::from_class(&c).map(Some).ok_or_else(|| {
            let names: Vec<&str> = priority::CLASSES.iter().map(|(n, _)| *n).collect();
            de::Error::custom(format!(
                "unknown priority class {c:?}, expected a number or one of {}",
                names.join(", ")
            ))
        }),
    }
}
