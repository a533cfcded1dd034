//! Replays a scenario: builds the cluster, walks the steps, runs cycles to a fixpoint after each
//! submit or delete, and checks expectations.

use std::collections::BTreeMap;

use serde::Serialize;

use super::ScenarioError;
use super::format::{Expectation, GpusPerPod, Scenario, Status, Step, UsageSpec, WorkloadSpec};
use crate::config::Config;
use crate::explain::PendingReason;
use crate::model::{
    Department, GpuRequest, GpuSlots, MinRuntime, Node, PodPlacement, PoolQuota, Project, Quota,
    Snapshot, Workload,
};
use crate::plan::Plan;
use crate::quantity::MilliGpus;
use crate::usage::{TimeFairShare, UsageLedger};

/// Cycles after which a step that still changes something counts as thrashing.
pub const MAX_CYCLES: usize = 100;

/// The scenario clock at its start, in milliseconds: far enough from 0 that a workload may have
/// run for days before it (`running_for_secs`).
pub const START_MS: u64 = 1_000_000_000_000;

/// The scenario ledger's bucket: a minute.
pub const USAGE_BUCKET_MS: u64 = 60_000;

/// What replaying one scenario showed.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The scenario's `name`.
    pub name: String,
    /// Whether every expectation held and every step settled.
    pub passed: bool,
    /// Each step, in order.
    pub steps: Vec<StepReport>,
}

/// One step's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct StepReport {
    /// From 1.
    pub index: usize,
    /// `submit`, `delete`, `wait` or `expect`.
    pub kind: &'static str,
    /// Scheduling cycles run after it (0 for `expect`).
    pub cycles: usize,
    /// The scenario clock after the step, in seconds since the start.
    pub at_secs: u64,
    /// Every live workload after the step.
    pub workloads: Vec<WorkloadReport>,
    /// Every project's standing per node pool after the step.
    pub projects: Vec<ProjectReport>,
    /// What did not match, in words.
    pub mismatches: Vec<String>,
}

/// A workload's state after a step.
#[derive(Debug, Clone, Serialize)]
pub struct WorkloadReport {
    /// Name.
    pub name: String,
    /// Its project.
    pub project: String,
    /// Running or Pending.
    pub status: Status,
    /// One node per running pod.
    pub nodes: Vec<String>,
    /// Total GPUs its pods hold.
    pub gpus_allocated: f64,
    /// Why it waits, for a pending workload.
    pub reason: Option<String>,
}

/// A project's standing in one node pool after a step.
#[derive(Debug, Clone, Serialize)]
pub struct ProjectReport {
    /// The project.
    pub name: String,
    /// The node pool.
    pub pool: String,
    /// Deserved GPUs.
    pub deserved: f64,
    /// Fair share in the last cycle.
    pub fair_share: f64,
    /// GPUs held after the step.
    pub allocated: f64,
    /// Past GPU-hours over the window, weighed, as the last cycle saw them.
    pub usage_gpu_hours: f64,
}

/// The cluster as the story has made it so far.
#[derive(Debug)]
pub struct World {
    snapshot: Snapshot,
    config: Config,
    submitted: u64,
    last_plan: Plan,
    usage: UsageLedger,
}

impl World {
    /// The cluster and org units of a scenario, with no workloads.
    pub fn new(scenario: &Scenario) -> Self {
        let nodes: Vec<Node> = scenario
            .nodes
            .iter()
            .map(|n| Node {
                name: n.name.clone(),
                pool: n.pool.clone(),
                gpus: n.gpus,
                gpu_memory_mib: n.gpu_memory_mib,
                cpu_millicores: n.cpu_millicores,
                memory_mib: n.memory_mib,
            })
            .collect();
        let mut pools: Vec<String> = nodes.iter().map(|n| n.pool.clone()).collect();
        pools.sort();
        pools.dedup();
        // The file gives one quota per unit: it holds in every node pool.
        let quotas =
            |deserved: f64, limit: Option<f64>, weight: u32, rank: i32| -> Vec<PoolQuota> {
                pools
                    .iter()
                    .map(|pool| PoolQuota {
                        pool: pool.clone(),
                        quota: Quota {
                            deserved: gpus(deserved),
                            limit: limit.map(gpus),
                            over_quota_weight: weight,
                            rank,
                        },
                    })
                    .collect()
            };
        let snapshot = Snapshot {
            nodes,
            departments: scenario
                .departments
                .iter()
                .map(|d| Department {
                    name: d.name.clone(),
                    parent: d.parent.clone(),
                    quotas: quotas(d.deserved_gpus, d.limit_gpus, d.over_quota_weight, d.rank),
                    min_runtime: MinRuntime {
                        preempt_secs: d.preempt_min_runtime_secs,
                        reclaim_secs: d.reclaim_min_runtime_secs,
                    },
                })
                .collect(),
            projects: scenario
                .projects
                .iter()
                .map(|p| Project {
                    name: p.name.clone(),
                    department: p.department.clone(),
                    quotas: quotas(p.deserved_gpus, p.limit_gpus, p.over_quota_weight, p.rank),
                    min_runtime: MinRuntime {
                        preempt_secs: p.preempt_min_runtime_secs,
                        reclaim_secs: p.reclaim_min_runtime_secs,
                    },
                })
                .collect(),
            workloads: Vec::new(),
            releasing: Vec::new(),
            now_ms: START_MS,
            usage: Vec::new(),
        };
        let time_fair_share = scenario
            .time_fair_share
            .as_ref()
            .map(|t| TimeFairShare {
                k_value: t.k_value,
                window_secs: t.window_secs,
                half_life_secs: t.half_life_secs,
            })
            .unwrap_or_default();
        let config = Config {
            default_placement: scenario.placement,
            time_fair_share,
            ..Config::default()
        };
        World {
            snapshot,
            config,
            submitted: 0,
            last_plan: Plan::default(),
            usage: UsageLedger::new(USAGE_BUCKET_MS),
        }
    }

    /// Records GPU time used before the story starts.
    pub fn add_history(&mut self, usage: &[UsageSpec]) -> Result<(), ScenarioError> {
        for (i, u) in usage.iter().enumerate() {
            if !self.snapshot.projects.iter().any(|p| p.name == u.project) {
                return Err(ScenarioError::Step {
                    at: format!("usage[{i}].project"),
                    message: format!("no project is called {}", u.project),
                });
            }
            let to = self
                .snapshot
                .now_ms
                .saturating_sub(u.ended_secs_ago.saturating_mul(1000));
            let from = to.saturating_sub(u.for_secs.saturating_mul(1000));
            self.usage
                .add_span(&u.project, &u.pool, gpus(u.gpus), from, to);
        }
        Ok(())
    }

    /// The current snapshot.
    pub fn snapshot(&self) -> &Snapshot {
        &self.snapshot
    }

    /// Adds workloads in list order.
    pub fn submit(&mut self, step: usize, specs: &[WorkloadSpec]) -> Result<(), ScenarioError> {
        for (i, spec) in specs.iter().enumerate() {
            let at = format!("steps[{}].submit[{i}]", step - 1);
            let workload = self.workload_from(spec, &at)?;
            self.snapshot.workloads.push(workload);
        }
        Ok(())
    }

    /// Moves the clock on by `secs` seconds.
    /// What ran meanwhile is added to the projects' usage.
    pub fn wait(&mut self, secs: u64) {
        self.snapshot.now_ms = self
            .snapshot
            .now_ms
            .saturating_add(secs.saturating_mul(1000));
        self.usage.advance(self.snapshot.now_ms);
    }

    /// Ends the named workloads.
    pub fn delete(&mut self, step: usize, names: &[String]) -> Result<(), ScenarioError> {
        for (i, name) in names.iter().enumerate() {
            let at = format!("steps[{}].delete[{i}]", step - 1);
            let w = self.find(name, &at)?;
            self.snapshot.workloads.remove(w);
        }
        Ok(())
    }

    /// Runs cycles until one changes nothing; returns how many ran, or `None` past [`MAX_CYCLES`].
    pub fn settle(&mut self) -> Result<Option<usize>, ScenarioError> {
        self.snapshot.usage = self
            .usage
            .weighed(self.snapshot.now_ms, &self.config.time_fair_share);
        for cycle in 1..=MAX_CYCLES {
            let plan =
                crate::schedule(&self.snapshot, &self.config).map_err(ScenarioError::Snapshot)?;
            let idle = plan.is_idle();
            plan.apply(&mut self.snapshot);
            self.usage.hold(self.snapshot.now_ms, &plan.shares);
            self.last_plan = plan;
            if idle {
                return Ok(Some(cycle));
            }
        }
        Ok(None)
    }

    /// The scenario clock, in seconds since the start.
    pub fn at_secs(&self) -> u64 {
        self.snapshot.now_ms.saturating_sub(START_MS) / 1000
    }

    /// Every project's standing per pool, as the last cycle reported it.
    pub fn projects(&self) -> Vec<ProjectReport> {
        self.last_plan
            .shares
            .iter()
            .filter(|s| s.is_project)
            .map(|s| ProjectReport {
                name: s.name.clone(),
                pool: s.pool.clone(),
                deserved: s.deserved.as_gpus(),
                fair_share: s.fair_share.as_gpus(),
                allocated: s.held.as_gpus(),
                usage_gpu_hours: s.usage_gpu_secs as f64 / 3600.0,
            })
            .collect()
    }

    /// Every live workload as a report row, in submission order.
    pub fn workloads(&self) -> Vec<WorkloadReport> {
        self.snapshot
            .workloads
            .iter()
            .map(|w| WorkloadReport {
                name: w.name.clone(),
                project: w.project.clone(),
                status: if w.is_running() {
                    Status::Running
                } else {
                    Status::Pending
                },
                nodes: w.placement.iter().map(|p| p.node.clone()).collect(),
                gpus_allocated: self.allocated(w).as_gpus(),
                reason: if w.is_running() {
                    None
                } else {
                    self.last_plan
                        .pending
                        .get(&w.id)
                        .map(PendingReason::to_string)
                },
            })
            .collect()
    }

    /// What does not hold of `expect`.
    pub fn check(
        &self,
        step: usize,
        expect: &BTreeMap<String, Expectation>,
    ) -> Result<Vec<String>, ScenarioError> {
        let mut mismatches = Vec::new();
        for (name, e) in expect {
            let at = format!("steps[{}].expect.{name}", step - 1);
            let w = &self.snapshot.workloads[self.find(name, &at)?];
            let status = if w.is_running() {
                Status::Running
            } else {
                Status::Pending
            };
            if status != e.status {
                mismatches.push(format!("{name}: expected {:?}, got {status:?}", e.status));
            }
            if let Some(nodes) = &e.nodes {
                let mut want = nodes.clone();
                want.sort();
                let mut got: Vec<String> = w.placement.iter().map(|p| p.node.clone()).collect();
                got.sort();
                if want != got {
                    mismatches.push(format!(
                        "{name}: expected nodes [{}], got [{}]",
                        want.join(", "),
                        got.join(", ")
                    ));
                }
            }
            if let Some(words) = &e.reason {
                let reason = self
                    .last_plan
                    .pending
                    .get(&w.id)
                    .map(PendingReason::to_string);
                if !reason
                    .as_deref()
                    .is_some_and(|r| r.contains(words.as_str()))
                {
                    mismatches.push(format!(
                        "{name}: expected a reason with {words:?}, got {}",
                        reason.map_or("none".to_owned(), |r| format!("{r:?}"))
                    ));
                }
            }
            if let Some(want) = e.gpus_allocated {
                let got = self.allocated(w);
                if gpus(want) != got {
                    mismatches.push(format!(
                        "{name}: expected {want} GPUs allocated, got {}",
                        got.as_gpus()
                    ));
                }
            }
        }
        Ok(mismatches)
    }

    fn allocated(&self, w: &Workload) -> MilliGpus {
        w.placement
            .iter()
            .map(|p| match &p.gpus {
                GpuSlots::Devices(d) => MilliGpus::whole(d.len() as i64),
                GpuSlots::Shared { portion, .. } => MilliGpus(i64::from(*portion)),
            })
            .sum()
    }

    /// The index of the live workload called `name` (or `project/name`).
    fn find(&self, name: &str, at: &str) -> Result<usize, ScenarioError> {
        let (project, name) = match name.split_once('/') {
            Some((p, n)) => (Some(p), n),
            None => (None, name),
        };
        let matches: Vec<usize> = (0..self.snapshot.workloads.len())
            .filter(|&i| {
                let w = &self.snapshot.workloads[i];
                w.name == name && project.is_none_or(|p| w.project == p)
            })
            .collect();
        match matches.as_slice() {
            [one] => Ok(*one),
            [] => Err(ScenarioError::Step {
                at: at.into(),
                message: format!("no live workload is called {name}"),
            }),
            _ => Err(ScenarioError::Step {
                at: at.into(),
                message: format!(
                    "{name} names workloads in several projects; write project/{name}"
                ),
            }),
        }
    }

    fn workload_from(&mut self, spec: &WorkloadSpec, at: &str) -> Result<Workload, ScenarioError> {
        let err = |field: &str, message: String| ScenarioError::Step {
            at: format!("{at}.{field}"),
            message,
        };
        if !self
            .snapshot
            .projects
            .iter()
            .any(|p| p.name == spec.project)
        {
            return Err(err(
                "project",
                format!("project {} is not defined in `projects`", spec.project),
            ));
        }
        if self
            .snapshot
            .workloads
            .iter()
            .any(|w| w.name == spec.name && w.project == spec.project)
        {
            return Err(err(
                "name",
                format!(
                    "{} is already a live workload of {}",
                    spec.name, spec.project
                ),
            ));
        }
        let gpu = match (spec.gpus, spec.gpu_memory_mib) {
            (GpusPerPod::None, None) => {
                return Err(err("gpus", "every workload needs `gpus`".into()));
            }
            (GpusPerPod::None, Some(0)) => {
                return Err(err("gpu_memory_mib", "must be above 0".into()));
            }
            (GpusPerPod::None, Some(m)) => GpuRequest::MemoryMib(m),
            (GpusPerPod::Devices(n), None) => GpuRequest::Devices(n),
            (GpusPerPod::Portion(p), None) => GpuRequest::Portion(p),
            (_, Some(_)) => {
                return Err(err(
                    "gpu_memory_mib",
                    "give either `gpus` or `gpu_memory_mib`, not both".into(),
                ));
            }
        };
        let pods = spec.pods.unwrap_or(1);
        if pods == 0 {
            return Err(err("pods", "must be at least 1".into()));
        }
        let min_pods = spec.min_pods.unwrap_or(pods);
        if min_pods == 0 || min_pods > pods {
            return Err(err(
                "min_pods",
                format!("must be between 1 and pods ({pods})"),
            ));
        }
        self.submitted += 1;
        let mut workload = Workload {
            id: self.submitted,
            name: spec.name.clone(),
            project: spec.project.clone(),
            kind: spec.kind,
            pools: spec.pools.clone(),
            pods,
            min_pods,
            gpu,
            cpu_millicores: spec.cpu_millicores,
            memory_mib: spec.memory_mib,
            priority: spec.priority.unwrap_or(spec.kind.default_priority()),
            preemptible: spec.preemptible.unwrap_or(spec.kind.default_preemptible()),
            submission: self.submitted,
            nominated: false,
            placement: Vec::new(),
            running_since_ms: None,
        };
        if spec.running_for_secs.is_some() && spec.running_on.is_none() {
            return Err(err(
                "running_for_secs",
                "only a workload that starts out running (`running_on`) has run for a while".into(),
            ));
        }
        if let Some(nodes) = &spec.running_on {
            if nodes.len() != pods as usize {
                return Err(err(
                    "running_on",
                    format!("needs one entry per pod ({pods})"),
                ));
            }
            let ran_ms = spec.running_for_secs.unwrap_or(0).saturating_mul(1000);
            workload.running_since_ms = Some(self.snapshot.now_ms.saturating_sub(ran_ms));
            for node in nodes.iter().flatten() {
                let pod = self
                    .place_by_hand(&workload, node)
                    .map_err(|m| err("running_on", m))?;
                workload.placement.push(pod);
            }
        }
        Ok(workload)
    }

    /// The lowest free devices on `node` for one pod of `w`, as if an earlier cycle had put it there.
    fn place_by_hand(&self, w: &Workload, node: &str) -> Result<PodPlacement, String> {
        let n = self
            .snapshot
            .nodes
            .iter()
            .find(|n| n.name == node)
            .ok_or_else(|| format!("no node is called {node}"))?;
        let mut used = vec![(0u32, 0u64); n.gpus as usize];
        let pods = self
            .snapshot
            .workloads
            .iter()
            .chain(std::iter::once(w))
            .flat_map(|w| &w.placement);
        for p in pods.filter(|p| p.node == node) {
            match &p.gpus {
                GpuSlots::Devices(d) => d
                    .iter()
                    .for_each(|&i| used[i as usize] = (1000, n.gpu_memory_mib)),
                GpuSlots::Shared {
                    device,
                    portion,
                    memory_mib,
                } => {
                    let u = &mut used[*device as usize];
                    u.0 += portion;
                    u.1 += memory_mib;
                }
            }
        }
        let full = || format!("{node} has not enough free GPUs for {}", w.name);
        let gpus = match w.gpu {
            GpuRequest::Devices(k) => {
                let free: Vec<u32> = (0..n.gpus)
                    .filter(|&i| used[i as usize].0 == 0)
                    .take(k as usize)
                    .collect();
                if free.len() < k as usize {
                    return Err(full());
                }
                GpuSlots::Devices(free)
            }
            GpuRequest::Portion(_) | GpuRequest::MemoryMib(_) => {
                let (portion, memory_mib) = match w.gpu {
                    GpuRequest::Portion(p) => (p, n.gpu_memory_mib * u64::from(p) / 1000),
                    GpuRequest::MemoryMib(m) => {
                        (crate::index::portion_of_memory(m, n.gpu_memory_mib), m)
                    }
                    GpuRequest::Devices(_) => (1000, n.gpu_memory_mib),
                };
                let device = (0..n.gpus)
                    .find(|&i| {
                        let u = used[i as usize];
                        u.0 + portion <= 1000 && u.1 + memory_mib <= n.gpu_memory_mib
                    })
                    .ok_or_else(full)?;
                GpuSlots::Shared {
                    device,
                    portion,
                    memory_mib,
                }
            }
        };
        Ok(PodPlacement {
            node: node.to_owned(),
            gpus,
        })
    }
}

fn gpus(v: f64) -> MilliGpus {
    MilliGpus((v * 1000.0).round() as i64)
}

/// Replays every step of `scenario`.
pub fn replay(scenario: &Scenario) -> Result<Report, ScenarioError> {
    let mut world = World::new(scenario);
    world.add_history(&scenario.usage)?;
    let mut steps = Vec::with_capacity(scenario.steps.len());
    for (i, step) in scenario.steps.iter().enumerate() {
        let index = i + 1;
        let (kind, changes) = match step {
            Step::Submit(specs) => {
                world.submit(index, specs)?;
                ("submit", true)
            }
            Step::Delete(names) => {
                world.delete(index, names)?;
                ("delete", true)
            }
            Step::Wait(secs) => {
                world.wait(*secs);
                ("wait", true)
            }
            Step::Expect(_) => ("expect", false),
        };
        let mut mismatches = Vec::new();
        let mut cycles = 0;
        if changes {
            match world.settle()? {
                Some(n) => cycles = n,
                None => {
                    cycles = MAX_CYCLES;
                    mismatches.push(format!(
                        "the cluster did not settle within {MAX_CYCLES} cycles (thrash)"
                    ));
                }
            }
        }
        if let Step::Expect(expect) = step {
            mismatches.extend(world.check(index, expect)?);
        }
        steps.push(StepReport {
            index,
            kind,
            cycles,
            at_secs: world.at_secs(),
            workloads: world.workloads(),
            projects: world.projects(),
            mismatches,
        });
    }
    let passed = steps.iter().all(|s| s.mismatches.is_empty());
    Ok(Report {
        name: scenario.name.clone(),
        passed,
        steps,
    })
}
