//! The Slurm executor: Rota decides, Slurm runs. Each pod is one batch job pinned to the node Rota
//! chose (`sbatch -N1 --ntasks=1 -w NODE --gres=gpu:N --no-requeue`, CPU and memory always
//! given, the script on standard input, output to Rota's log file), named `rota-<pod-name>` so
//! that Rota finds its jobs again after a restart.
//!
//! One `squeue` answers for every job at once: a watcher polls it quickly while a job is
//! starting or stopping (slowly otherwise) and reports starts and ends; reconciliation uses the
//! same call. The GPU indices Slurm gave are read once per started job batch from `scontrol -d
//! -o show job` (22.05 has no `--json` there). A stop is `scancel --full -s TERM`, then `scancel`
//! after the grace period.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Deserialize;
use tokio::io::AsyncWriteExt;

use super::local::Runtime;
use super::{
    Events, Executor, ExecutorError, NodeInventory, Observed, Pending, PodEvent, PodRecord,
    PodStart, PodStop,
};

pub mod parse;

use parse::{JOB_PREFIX, Job};

/// How often the watcher looks while a job starts or stops.
const FAST_POLL: Duration = Duration::from_millis(25);
/// How often it looks otherwise.
const SLOW_POLL: Duration = Duration::from_secs(1);
/// An answer of `squeue` younger than this serves reconciliation too.
const FRESH: Duration = Duration::from_millis(250);
/// Variables of the server's environment a job gets; nothing else (`--export=NONE`).
const INHERITED: [&str; 6] = ["PATH", "HOME", "USER", "LOGNAME", "LANG", "TZ"];

/// The `[slurm]` section of a cluster file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlurmConfig {
    /// The partition Rota's jobs go to and whose nodes it schedules (default: Slurm's default
    /// partition, and every node).
    #[serde(default)]
    pub partition: Option<String>,
    /// How long Slurm may keep a job pending before Rota takes it back (default 300 s).
    #[serde(default)]
    pub start_timeout_secs: Option<u64>,
}

/// A job Rota asked for, as the watcher follows it.
#[derive(Debug, Clone)]
struct Tracked {
    id: u64,
    node: String,
    submitted: Instant,
    started: bool,
    /// Asked to stop.
    stop: Option<Stopping>,
}

/// A job Rota asked to stop.
#[derive(Debug, Clone, Copy)]
struct Stopping {
    asked: Instant,
    grace: Duration,
    /// SIGTERM was sent again (once): one sent while Slurm was still launching the batch
    /// script is lost.
    resent: bool,
    /// The kill was sent.
    killed: bool,
}

/// When a stopping job still runs, SIGTERM is sent again this long after the first.
const TERM_AGAIN: Duration = Duration::from_secs(1);

#[derive(Debug, Default)]
struct State {
    jobs: BTreeMap<String, Tracked>,
    last: Option<(Instant, Vec<Job>)>,
}

/// Pods are Slurm batch jobs.
#[derive(Debug, Clone)]
pub struct Slurm {
    config: SlurmConfig,
    state: Arc<Mutex<State>>,
    events: Arc<Mutex<Option<Events>>>,
    nudge: Arc<tokio::sync::Notify>,
    /// Whether the cluster offers `shard` gres (fractions of GPUs).
    shards: Arc<std::sync::atomic::AtomicBool>,
    /// Each node's `NodeAddr`, from the last inventory.
    addresses: Arc<Mutex<BTreeMap<String, String>>>,
}

impl Slurm {
    /// An executor for the Slurm cluster that `SLURM_CONF` (or Slurm's default) names.
    pub fn new(config: SlurmConfig) -> Self {
        Slurm {
            config,
            state: Arc::default(),
            events: Arc::default(),
            nudge: Arc::default(),
            shards: Arc::default(),
            addresses: Arc::default(),
        }
    }

    fn start_timeout(&self) -> Duration {
        Duration::from_secs(self.config.start_timeout_secs.unwrap_or(300))
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn report(&self, event: PodEvent) {
        let sink = self.events.lock().ok().and_then(|e| e.clone());
        if let Some(sink) = sink {
            sink.send(event);
        }
    }

    /// Every job of Rota's that Slurm knows, by pod name (the newest job of a name wins).
    async fn squeue(&self) -> Result<BTreeMap<String, Job>, ExecutorError> {
        let out = run("squeue", &parse::SQUEUE_ARGS, None).await?;
        let jobs = parse::jobs(&out)?;
        let mut by_pod: BTreeMap<String, Job> = BTreeMap::new();
        for j in &jobs {
            match by_pod.get(&j.pod) {
                Some(seen) if seen.id > j.id => {}
                _ => {
                    by_pod.insert(j.pod.clone(), j.clone());
                }
            }
        }
        self.state().last = Some((Instant::now(), jobs));
        Ok(by_pod)
    }

    async fn submit(&self, pod: &PodStart) -> Result<u64, String> {
        let script = script(pod).map_err(|e| e.to_string())?;
        if let Some(dir) = pod.log_path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create the log folder {}: {e}", dir.display()))?;
        }
        let args = sbatch_args(pod, self.config.partition.as_deref());
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = run("sbatch", &refs, Some(script))
            .await
            .map_err(|e| e.to_string())?;
        out.trim()
            .split(';')
            .next()
            .and_then(|id| id.parse::<u64>().ok())
            .ok_or_else(|| format!("sbatch answered {:?}, not a job id", out.trim()))
    }

    /// One look at Slurm: reports starts, ends and stops of the jobs Rota follows.
    async fn watch_once(&self) {
        let by_pod = match self.squeue().await {
            Ok(j) => j,
            Err(e) => {
                tracing::warn!(error = %e, "squeue failed; looking again shortly");
                return;
            }
        };
        let now = Instant::now();
        let mut events = Vec::new();
        let mut kills = Vec::new();
        let mut terms = Vec::new();
        let mut started_ids = Vec::new();
        {
            let mut state = self.state();
            let mut done = Vec::new();
            for (name, t) in state.jobs.iter_mut() {
                let job = by_pod.get(name).filter(|j| j.id == t.id);
                if let Some(stop) = t.stop.as_mut() {
                    match job {
                        Some(j) if j.is_pending() || j.is_running() => {
                            let waited = now.duration_since(stop.asked);
                            if !stop.killed && waited >= stop.grace {
                                stop.killed = true;
                                kills.push(t.id);
                            } else if !stop.killed && !stop.resent && waited >= TERM_AGAIN {
                                stop.resent = true;
                                terms.push(t.id);
                            }
                        }
                        _ => {
                            events.push(PodEvent::Gone { name: name.clone() });
                            done.push(name.clone());
                        }
                    }
                    continue;
                }
                let Some(j) = job else {
                    if now.duration_since(t.submitted) > Duration::from_secs(5) {
                        events.push(PodEvent::Lost {
                            name: name.clone(),
                            reason: format!("Slurm no longer knows job {}", t.id),
                        });
                        done.push(name.clone());
                    }
                    continue;
                };
                if j.is_pending() {
                    if now.duration_since(t.submitted) > self.start_timeout() {
                        kills.push(t.id);
                        events.push(PodEvent::Lost {
                            name: name.clone(),
                            reason: format!(
                                "Slurm did not start job {} on {} within {} s (Slurm's reason: {})",
                                t.id,
                                t.node,
                                self.start_timeout().as_secs(),
                                j.reason
                            ),
                        });
                        done.push(name.clone());
                    }
                } else if j.is_running() {
                    if !t.started {
                        t.started = true;
                        started_ids.push((name.clone(), t.id));
                    }
                } else {
                    events.push(ended(name, j));
                    done.push(name.clone());
                }
            }
            for name in done {
                state.jobs.remove(&name);
            }
        }
        for id in terms {
            let id = id.to_string();
            if let Err(e) = run("scancel", &["--full", "-s", "TERM", id.as_str()], None).await {
                tracing::warn!(job = %id, error = %e, "scancel -s TERM failed");
            }
        }
        for id in kills {
            let id = id.to_string();
            if let Err(e) = run("scancel", &[id.as_str()], None).await {
                tracing::warn!(job = %id, error = %e, "scancel failed");
            }
        }
        if !started_ids.is_empty() {
            let devices = match run("scontrol", &["-d", "-o", "show", "job"], None).await {
                Ok(text) => parse::gpu_indices(&text),
                Err(e) => {
                    tracing::warn!(error = %e, "cannot read which GPUs Slurm gave");
                    BTreeMap::new()
                }
            };
            for (name, id) in started_ids {
                self.report(PodEvent::Started {
                    name,
                    devices: devices.get(&id).cloned(),
                });
            }
        }
        for e in events {
            self.report(e);
        }
    }

    fn busy(&self) -> bool {
        self.state()
            .jobs
            .values()
            .any(|t| !t.started || t.stop.is_some())
    }

    fn spawn_watcher(&self) {
        let this = self.clone();
        tokio::spawn(async move {
            loop {
                let wait = if this.busy() { FAST_POLL } else { SLOW_POLL };
                let _ = tokio::time::timeout(wait, this.nudge.notified()).await;
                if this.state().jobs.is_empty() {
                    continue;
                }
                this.watch_once().await;
            }
        });
    }
}

/// How a job that Slurm ended comes back.
fn ended(name: &str, j: &Job) -> PodEvent {
    let name = name.to_owned();
    match j.state.as_str() {
        "COMPLETED" => PodEvent::Exited { name, code: 0 },
        "FAILED" => PodEvent::Exited {
            name,
            code: j.exit_code().max(1),
        },
        "NODE_FAIL" => PodEvent::Lost {
            name,
            reason: format!("node {} failed (Slurm job {})", j.nodes, j.id),
        },
        "PREEMPTED" => PodEvent::Lost {
            name,
            reason: format!("Slurm preempted job {}", j.id),
        },
        "CANCELLED" => PodEvent::Failed {
            name,
            reason: format!("Slurm job {} was cancelled outside Rota", j.id),
        },
        "TIMEOUT" => PodEvent::Failed {
            name,
            reason: format!("Slurm job {} reached its time limit", j.id),
        },
        "OUT_OF_MEMORY" => PodEvent::Failed {
            name,
            reason: format!("Slurm job {} ran out of memory", j.id),
        },
        other => PodEvent::Failed {
            name,
            reason: format!("Slurm job {} ended as {other}", j.id),
        },
    }
}

/// What reconciliation sees of a job.
fn observed(j: &Job) -> Observed {
    if j.is_pending() {
        return Observed::Starting;
    }
    if j.is_running() {
        return Observed::Running;
    }
    match ended(&j.pod, j) {
        PodEvent::Exited { code, .. } => Observed::Exited { code },
        PodEvent::Lost { reason, .. } => Observed::Lost { reason },
        _ => Observed::Exited {
            code: j.exit_code().max(1),
        },
    }
}

/// `sbatch`'s arguments for a pod.
pub fn sbatch_args(pod: &PodStart, partition: Option<&str>) -> Vec<String> {
    let gpus = match &pod.gpus {
        rota_scheduler::GpuSlots::Devices(d) => d.len(),
        rota_scheduler::GpuSlots::Shared { .. } => 1,
    };
    let cpus = pod.cpu_millicores.div_ceil(1000).max(1);
    let mut args = vec![
        "--parsable".to_owned(),
        "-N1".into(),
        "--ntasks=1".into(),
        format!("--nodelist={}", pod.node),
        format!("--cpus-per-task={cpus}"),
        format!("--mem={}M", pod.memory_mib.max(1)),
        "--no-requeue".into(),
        "--export=NONE".into(),
        format!("--job-name={JOB_PREFIX}{}", pod.name),
        format!("--output={}", pod.log_path.display()),
        "--open-mode=append".into(),
    ];
    if gpus > 0 {
        args.push(format!("--gres=gpu:{gpus}"));
    }
    if let Some(p) = partition {
        args.push(format!("--partition={p}"));
    }
    args
}

/// The batch script: the pod's environment, then its command line, with SIGTERM passed on to it.
/// Slurm sets `CUDA_VISIBLE_DEVICES` itself, to the devices it gives.
pub fn script(pod: &PodStart) -> Result<String, super::local::runtime::CommandError> {
    let (argv, env) = Runtime::Process.argv(pod)?;
    let mut s = String::from("#!/bin/sh\n");
    for k in INHERITED {
        if let Ok(v) = std::env::var(k) {
            s.push_str(&format!("export {k}={}\n", shell_words::quote(&v)));
        }
    }
    for (k, v) in env.iter().filter(|(k, _)| k != "CUDA_VISIBLE_DEVICES") {
        s.push_str(&format!("export {k}={}\n", shell_words::quote(v)));
    }
    // Slurm signals the batch shell itself (`scancel --full -s TERM`), which may hold TERM
    // blocked: the shell traps it and passes it on to the pod's command, then exits with the
    // command's code.
    s.push_str("trap 'kill -TERM $child 2>/dev/null' TERM INT\n");
    s.push_str("( trap - TERM INT; exec ");
    s.push_str(&shell_words::join(&argv));
    s.push_str(" ) &\nchild=$!\n");
    s.push_str(
        "while :; do wait $child; code=$?; kill -0 $child 2>/dev/null || exit $code; done\n",
    );
    Ok(s)
}

/// Runs one of Slurm's tools; answers its standard output.
async fn run(tool: &str, args: &[&str], stdin: Option<String>) -> Result<String, ExecutorError> {
    let mut cmd = tokio::process::Command::new(tool);
    cmd.args(args)
        .stdin(if stdin.is_some() {
            std::process::Stdio::piped()
        } else {
            std::process::Stdio::null()
        })
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    let failed = |message: String| ExecutorError::Tool {
        tool: tool.to_owned(),
        message,
    };
    let mut child = cmd.spawn().map_err(|e| failed(e.to_string()))?;
    if let (Some(text), Some(mut input)) = (stdin, child.stdin.take()) {
        input
            .write_all(text.as_bytes())
            .await
            .map_err(|e| failed(e.to_string()))?;
        drop(input);
    }
    let out = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
        .await
        .map_err(|_| failed("no answer within 60 s".into()))?
        .map_err(|e| failed(e.to_string()))?;
    if !out.status.success() {
        return Err(failed(
            String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

impl Executor for Slurm {
    fn kind(&self) -> &'static str {
        "slurm"
    }

    fn attach(&self, events: &Events) {
        if let Ok(mut e) = self.events.lock() {
            *e = Some(events.clone());
        }
        self.spawn_watcher();
    }

    fn start(&self, pod: PodStart, events: &Events) {
        let this = self.clone();
        let events = events.clone();
        tokio::spawn(async move {
            if this.state().jobs.contains_key(&pod.name) {
                return;
            }
            match this.submit(&pod).await {
                Ok(id) => {
                    tracing::debug!(pod = %pod.name, job = id, node = %pod.node, "submitted a Slurm job");
                    this.state().jobs.insert(
                        pod.name.clone(),
                        Tracked {
                            id,
                            node: pod.node.clone(),
                            submitted: Instant::now(),
                            started: false,
                            stop: None,
                        },
                    );
                    this.nudge.notify_one();
                }
                Err(reason) => events.send(PodEvent::StartFailed {
                    name: pod.name,
                    reason,
                }),
            }
        });
    }

    fn stop(&self, pod: PodStop, events: &Events) {
        let this = self.clone();
        let events = events.clone();
        tokio::spawn(async move {
            let known = this.state().jobs.get(&pod.name).map(|t| (t.id, t.started));
            let (id, started) = match known {
                Some(k) => k,
                None => {
                    // Not followed (a restart, or never submitted): ask Slurm by name.
                    let found = this
                        .squeue()
                        .await
                        .ok()
                        .and_then(|j| j.get(&pod.name).cloned())
                        .filter(|j| j.is_pending() || j.is_running());
                    match found {
                        Some(j) => {
                            this.state().jobs.insert(
                                pod.name.clone(),
                                Tracked {
                                    id: j.id,
                                    node: j.nodes.clone(),
                                    submitted: Instant::now(),
                                    started: j.is_running(),
                                    stop: None,
                                },
                            );
                            (j.id, j.is_running())
                        }
                        None => {
                            events.send(PodEvent::Gone { name: pod.name });
                            return;
                        }
                    }
                }
            };
            tracing::debug!(pod = %pod.name, job = id, started, "stopping a Slurm job");
            let id_text = id.to_string();
            let args: Vec<&str> = if started {
                vec!["--full", "-s", "TERM", id_text.as_str()]
            } else {
                vec![id_text.as_str()]
            };
            if let Err(e) = run("scancel", &args, None).await {
                tracing::warn!(job = id, error = %e, "scancel failed; the watcher retries with a kill after the grace period");
            }
            if let Some(t) = this.state().jobs.get_mut(&pod.name) {
                t.stop = Some(Stopping {
                    asked: Instant::now(),
                    grace: pod.grace,
                    resent: !started,
                    killed: !started,
                });
            }
            this.nudge.notify_one();
        });
    }

    fn observe<'a>(
        &'a self,
        _pods: &'a [PodRecord],
        _now_ms: i64,
    ) -> Pending<'a, Result<BTreeMap<String, Observed>, ExecutorError>> {
        Box::pin(async move {
            let cached = self
                .state()
                .last
                .as_ref()
                .filter(|(at, _)| at.elapsed() < FRESH)
                .map(|(_, jobs)| jobs.clone());
            let by_pod: BTreeMap<String, Job> = match cached {
                Some(jobs) => {
                    let mut m = BTreeMap::new();
                    for j in jobs {
                        if m.get(&j.pod).is_none_or(|s: &Job| s.id < j.id) {
                            m.insert(j.pod.clone(), j);
                        }
                    }
                    m
                }
                None => self.squeue().await?,
            };
            // Adopt what runs and is not followed (after a restart).
            {
                let mut state = self.state();
                for (name, j) in &by_pod {
                    if (j.is_pending() || j.is_running()) && !state.jobs.contains_key(name) {
                        state.jobs.insert(
                            name.clone(),
                            Tracked {
                                id: j.id,
                                node: j.nodes.clone(),
                                submitted: Instant::now(),
                                started: j.is_running(),
                                stop: None,
                            },
                        );
                    }
                }
            }
            Ok(by_pod
                .iter()
                .map(|(name, j)| (name.clone(), observed(j)))
                .collect())
        })
    }

    fn inventory(&self) -> Pending<'_, Result<Option<Vec<NodeInventory>>, ExecutorError>> {
        Box::pin(async move {
            let text = run("sinfo", &["--json"], None).await?;
            let nodes = parse::nodes(&text, self.config.partition.as_deref())?;
            if nodes.is_empty() {
                return Err(ExecutorError::Tool {
                    tool: "sinfo".into(),
                    message: match &self.config.partition {
                        Some(p) => format!("partition {p} has no nodes"),
                        None => "Slurm lists no nodes".into(),
                    },
                });
            }
            let shards = serde_json::from_str::<serde_json::Value>(&text)
                .ok()
                .and_then(|v| v.get("nodes").cloned())
                .and_then(|n| n.as_array().cloned())
                .is_some_and(|n| {
                    n.iter().any(|node| {
                        node.get("gres")
                            .and_then(serde_json::Value::as_str)
                            .is_some_and(|g| parse::gres_count(g, "shard") > 0)
                    })
                });
            self.shards
                .store(shards, std::sync::atomic::Ordering::Relaxed);
            if let (Ok(found), Ok(mut kept)) = (parse::addresses(&text), self.addresses.lock()) {
                *kept = found;
            }
            Ok(Some(nodes))
        })
    }

    /// The node's `NodeAddr` as Slurm knows it (its name when Slurm gives none).
    fn address(&self, node: &str) -> String {
        self.addresses
            .lock()
            .ok()
            .and_then(|a| a.get(node).cloned())
            .unwrap_or_else(|| node.to_owned())
    }

    fn fractions(&self) -> Option<String> {
        // Fractions would be Slurm shards (`--gres=shard:N`); Rota does not place them yet, so a
        // fraction is refused at submission rather than left waiting or given a whole GPU.
        Some(if self.shards.load(std::sync::atomic::Ordering::Relaxed) {
            "Rota runs whole GPUs on Slurm (fractions as `shard` gres are not supported yet): ask for 1 or more GPU devices".into()
        } else {
            "this Slurm cluster has no `shard` gres, so it runs whole GPUs only: ask for 1 or more GPU devices".into()
        })
    }
}

#[cfg(test)]
mod tests {
    use rota_scheduler::GpuSlots;

    use super::*;

    fn pod() -> PodStart {
        PodStart {
            name: "u-0-1".into(),
            workload: "u".into(),
            workload_name: "a1".into(),
            project: "team-a".into(),
            pod: 0,
            pod_count: 1,
            attempt: 1,
            node: "node-2".into(),
            gpus: GpuSlots::Devices(vec![0, 1]),
            cpu_millicores: 1500,
            memory_mib: 100,
            image: "img".into(),
            command: Some("echo hi; sleep 1".into()),
            args: None,
            env: vec![("MSG".into(), "it's here".into())],
            duration_secs: None,
            log_path: "/data/logs/u/pod-0-1.log".into(),
            rendezvous: None,
        }
    }

    #[test]
    fn a_pod_is_one_job_pinned_to_its_node_with_its_gpus_cpu_and_memory() {
        let args = sbatch_args(&pod(), Some("gpu"));
        for want in [
            "-N1",
            "--ntasks=1",
            "--nodelist=node-2",
            "--gres=gpu:2",
            "--cpus-per-task=2",
            "--mem=100M",
            "--no-requeue",
            "--job-name=rota-u-0-1",
            "--output=/data/logs/u/pod-0-1.log",
            "--partition=gpu",
        ] {
            assert!(args.iter().any(|a| a == want), "{want} in {args:?}");
        }
        let cpu_only = PodStart {
            gpus: GpuSlots::Devices(vec![]),
            ..pod()
        };
        assert!(
            !sbatch_args(&cpu_only, None)
                .iter()
                .any(|a| a.starts_with("--gres"))
        );
    }

    #[test]
    fn the_script_exports_the_environment_but_leaves_the_devices_to_slurm() {
        let s = script(&pod()).expect("a script");
        assert!(s.starts_with("#!/bin/sh\n"), "{s}");
        assert!(s.contains("export MSG='it'\\''s here'\n"), "{s}");
        assert!(s.contains("export ROTA_WORKLOAD=a1\n"), "{s}");
        assert!(!s.contains("CUDA_VISIBLE_DEVICES"), "{s}");
        assert!(
            s.contains("( trap - TERM INT; exec /bin/sh -c 'echo hi; sleep 1' ) &\n"),
            "{s}"
        );
        assert!(
            s.contains("trap 'kill -TERM $child 2>/dev/null' TERM INT\n"),
            "{s}"
        );
    }

    #[test]
    fn ended_jobs_become_exits_losses_or_failures() {
        let job = |state: &str, status: i64| Job {
            id: 4,
            pod: "p".into(),
            state: state.into(),
            reason: "None".into(),
            nodes: "node-2".into(),
            exit_status: status,
        };
        assert_eq!(observed(&job("COMPLETED", 0)), Observed::Exited { code: 0 });
        assert_eq!(
            observed(&job("FAILED", 3 << 8)),
            Observed::Exited { code: 3 }
        );
        assert_eq!(
            observed(&job("NODE_FAIL", 0)),
            Observed::Lost {
                reason: "node node-2 failed (Slurm job 4)".into()
            }
        );
        assert_eq!(observed(&job("PENDING", 0)), Observed::Starting);
        assert_eq!(observed(&job("COMPLETING", 0)), Observed::Running);
        assert!(matches!(
            ended("p", &job("CANCELLED", 15)),
            PodEvent::Failed { reason, .. } if reason.contains("cancelled outside Rota")
        ));
    }
}
