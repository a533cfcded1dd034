//! The local executor: one node (this host), each pod a process group started by a small
//! supervisor (see [`supervisor`]) that outlives the server, records its pids with their start
//! times and writes the exit code atomically. Pod folders live under `<data>/pods/<pod-name>/`;
//! output goes to the pod's log file. Stop is SIGTERM to the pod's process group, then SIGKILL
//! after the grace period.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use nix::sys::signal::Signal;
use serde::Deserialize;

use super::{
    Events, Executor, ExecutorError, NodeInventory, Observed, Pending, PodEvent, PodRecord,
    PodStart, PodStop,
};

pub mod proc;
pub mod runtime;
pub mod supervisor;

pub use runtime::Runtime;
use supervisor::{EXIT, Exit, PIDS, Pids, SPEC, Spec};

/// How long a supervisor may take to start the pod's command before the start counts as failed.
const START_TIMEOUT: Duration = Duration::from_secs(10);
/// How long after SIGKILL a pod may take to be gone.
const KILL_WAIT: Duration = Duration::from_secs(5);
/// How often a stopping pod is looked at.
const POLL: Duration = Duration::from_millis(5);
/// Variables of the server's own environment that a pod inherits; nothing else does (the
/// server's may hold secrets).
const INHERITED: [&str; 7] = ["PATH", "HOME", "USER", "LOGNAME", "LANG", "TZ", "TMPDIR"];

/// GPUs of this host: found by `nvidia-smi`, or declared.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Gpus {
    /// As many as `nvidia-smi` lists.
    #[default]
    Auto,
    /// This many (a machine without GPUs, tests).
    Count(u32),
}

impl<'de> Deserialize<'de> for Gpus {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Count(u32),
            Word(String),
        }
        match Raw::deserialize(d)? {
            Raw::Count(n) => Ok(Gpus::Count(n)),
            Raw::Word(w) if w == "auto" => Ok(Gpus::Auto),
            Raw::Word(w) => Err(serde::de::Error::custom(format!(
                "gpus must be \"auto\" or a number, not {w:?}"
            ))),
        }
    }
}

/// The `[local]` section of a cluster file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocalConfig {
    /// `"auto"` (nvidia-smi) or a number.
    #[serde(default)]
    pub gpus: Gpus,
    /// The node's name (default: this host's name).
    #[serde(default)]
    pub node: Option<String>,
    /// `podman` or `docker` to run pods in containers; none runs plain processes.
    #[serde(default)]
    pub runtime: Option<Runtime>,
    /// Memory of each GPU in MiB when `gpus` is a number (default 81920).
    #[serde(default)]
    pub gpu_memory_mib: Option<u64>,
}

/// Pods are process groups of this host.
#[derive(Debug, Clone)]
pub struct Local {
    node: NodeInventory,
    runtime: Runtime,
    /// The supervisor: program and leading arguments (`rota-server supervise-pod`).
    supervisor: Vec<String>,
    /// `<data>/pods`.
    dir: PathBuf,
    /// One lock per pod being started or stopped: a stop waits for its start.
    locks: Arc<Mutex<BTreeMap<String, Arc<tokio::sync::Mutex<()>>>>>,
}

impl Local {
    /// An executor for this host, keeping pod folders under `data_dir/pods` and starting each
    /// pod's supervisor with `supervisor` (program, then leading arguments).
    pub fn new(
        config: &LocalConfig,
        data_dir: &Path,
        supervisor: Vec<String>,
    ) -> Result<Self, ExecutorError> {
        let (gpus, gpu_memory_mib) = match config.gpus {
            Gpus::Count(n) => (n, config.gpu_memory_mib.unwrap_or(81920)),
            Gpus::Auto => nvidia_smi()?,
        };
        let name = match &config.node {
            Some(n) => n.clone(),
            None => hostname()?,
        };
        let dir = data_dir.join("pods");
        std::fs::create_dir_all(&dir).map_err(|source| ExecutorError::Io {
            what: format!("creating {}", dir.display()),
            source,
        })?;
        if supervisor.is_empty() {
            return Err(ExecutorError::Tool {
                tool: "supervise-pod".into(),
                message: "no supervisor program was given".into(),
            });
        }
        Ok(Local {
            node: NodeInventory {
                name,
                gpus,
                gpu_memory_mib,
                cpu_millicores: std::thread::available_parallelism()
                    .map_or(1000, |n| n.get() as u64 * 1000),
                memory_mib: memory_mib(),
                down: None,
            },
            runtime: config.runtime.unwrap_or_default(),
            supervisor,
            dir,
            locks: Arc::default(),
        })
    }

    fn pod_dir(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    fn lock(&self, name: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.locks.lock().unwrap_or_else(|e| e.into_inner());
        locks.entry(name.to_owned()).or_default().clone()
    }

    fn unlock(&self, name: &str) {
        let mut locks = self.locks.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(l) = locks.get(name)
            && Arc::strong_count(l) == 1
        {
            locks.remove(name);
        }
    }

    async fn run_start(&self, pod: PodStart) -> PodEvent {
        let name = pod.name.clone();
        let dir = self.pod_dir(&name);
        // A repeated start: it runs, or it already ended.
        match look(&dir) {
            Observed::Running => {
                return PodEvent::Started {
                    name,
                    devices: None,
                };
            }
            Observed::Exited { code } => return PodEvent::Exited { name, code },
            Observed::Starting | Observed::Lost { .. } => {}
        }
        let failed = |reason: String| PodEvent::StartFailed {
            name: name.clone(),
            reason,
        };
        let (argv, pod_env) = match self.runtime.argv(&pod) {
            Ok(a) => a,
            Err(e) => return failed(e.to_string()),
        };
        let mut env: Vec<(String, String)> = INHERITED
            .iter()
            .filter_map(|k| std::env::var(k).ok().map(|v| ((*k).to_owned(), v)))
            .collect();
        env.extend(pod_env);
        let spec = Spec {
            argv,
            env,
            log: pod.log_path.clone(),
            cwd: None,
        };
        // A folder left from a lost attempt of the same name starts afresh.
        let _ = std::fs::remove_dir_all(&dir);
        if let Err(e) = std::fs::create_dir_all(&dir)
            .and_then(|()| supervisor::write_atomically(&dir, SPEC, &spec))
        {
            return failed(format!(
                "cannot write the pod folder {}: {e}",
                dir.display()
            ));
        }
        let mut cmd = tokio::process::Command::new(&self.supervisor[0]);
        cmd.args(&self.supervisor[1..])
            .arg(&dir)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .process_group(0)
            .kill_on_drop(false);
        let mut child = match cmd.spawn() {
            Ok(c) => c,
            Err(e) => {
                return failed(format!(
                    "cannot start the pod supervisor {}: {e}",
                    self.supervisor[0]
                ));
            }
        };
        let deadline = tokio::time::Instant::now() + START_TIMEOUT;
        let outcome = loop {
            if let Some(exit) = supervisor::read::<Exit>(&dir, EXIT) {
                break match exit.error {
                    Some(reason) => failed(reason),
                    None => PodEvent::Exited {
                        name: name.clone(),
                        code: exit.code,
                    },
                };
            }
            if supervisor::read::<Pids>(&dir, PIDS).is_some() {
                break PodEvent::Started {
                    name: name.clone(),
                    devices: None,
                };
            }
            if let Ok(Some(status)) = child.try_wait() {
                break failed(format!(
                    "the pod supervisor ended before the pod started ({status})"
                ));
            }
            if tokio::time::Instant::now() >= deadline {
                break failed(format!(
                    "the pod did not start within {} s",
                    START_TIMEOUT.as_secs()
                ));
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        };
        // The supervisor is our child while we live: reap it when it ends, so that it leaves
        // no zombie. Its pod's exit is told by the exit file (see `watch`).
        tokio::spawn(async move {
            let _ = child.wait().await;
        });
        outcome
    }

    async fn run_stop(&self, pod: &PodStop) -> PodEvent {
        let dir = self.pod_dir(&pod.name);
        let gone = PodEvent::Gone {
            name: pod.name.clone(),
        };
        let Some(pids) = supervisor::read::<Pids>(&dir, PIDS) else {
            return gone;
        };
        if !pids.pod.is_alive() {
            return gone;
        }
        pids.pod.signal_group(Signal::SIGTERM);
        if wait_gone(&pids, pod.grace).await {
            return gone;
        }
        tracing::info!(pod = %pod.name, grace_s = pod.grace.as_secs(), "the pod outlived its grace period; killing it");
        pids.pod.signal_group(Signal::SIGKILL);
        wait_gone(&pids, KILL_WAIT).await;
        gone
    }

    fn scan(&self) -> Result<BTreeMap<String, Observed>, ExecutorError> {
        let entries = std::fs::read_dir(&self.dir).map_err(|source| ExecutorError::Io {
            what: format!("reading {}", self.dir.display()),
            source,
        })?;
        let mut seen = BTreeMap::new();
        for entry in entries.flatten() {
            let Ok(name) = entry.file_name().into_string() else {
                continue;
            };
            if name.starts_with('.') {
                continue;
            }
            seen.insert(name, look(&entry.path()));
        }
        Ok(seen)
    }
}

/// What a pod folder says of its pod.
fn look(dir: &Path) -> Observed {
    if let Some(exit) = supervisor::read::<Exit>(dir, EXIT) {
        return Observed::Exited { code: exit.code };
    }
    match supervisor::read::<Pids>(dir, PIDS) {
        Some(p) if p.pod.is_alive() || p.supervisor.is_alive() => Observed::Running,
        Some(_) => Observed::Lost {
            reason: "its process ended without an exit record (was the host restarted?)".into(),
        },
        None if dir.join(SPEC).exists() => Observed::Starting,
        None => Observed::Lost {
            reason: "its pod folder is empty".into(),
        },
    }
}

/// Waits until the pod's process (and its supervisor) are gone, at most `within`.
async fn wait_gone(pids: &Pids, within: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        if !pids.pod.is_alive() {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(POLL).await;
    }
}

impl Executor for Local {
    fn kind(&self) -> &'static str {
        "local"
    }

    /// Every pod runs on this host (containers on the host's network).
    fn address(&self, _node: &str) -> String {
        "127.0.0.1".into()
    }

    fn start(&self, pod: PodStart, events: &Events) {
        let this = self.clone();
        let events = events.clone();
        tokio::spawn(async move {
            let name = pod.name.clone();
            let lock = this.lock(&name);
            let event = {
                let _held = lock.lock().await;
                this.run_start(pod).await
            };
            drop(lock);
            this.unlock(&name);
            let watching = matches!(event, PodEvent::Started { .. });
            events.send(event);
            if watching {
                this.watch(name, events).await;
            }
        });
    }

    fn stop(&self, pod: PodStop, events: &Events) {
        let this = self.clone();
        let events = events.clone();
        tokio::spawn(async move {
            let lock = this.lock(&pod.name);
            let event = {
                let _held = lock.lock().await;
                this.run_stop(&pod).await
            };
            drop(lock);
            this.unlock(&pod.name);
            events.send(event);
        });
    }

    fn observe<'a>(
        &'a self,
        _pods: &'a [PodRecord],
        _now_ms: i64,
    ) -> Pending<'a, Result<BTreeMap<String, Observed>, ExecutorError>> {
        Box::pin(async move {
            let this = self.clone();
            tokio::task::spawn_blocking(move || this.scan())
                .await
                .map_err(|e| ExecutorError::Tool {
                    tool: "pod folder scan".into(),
                    message: e.to_string(),
                })?
        })
    }

    fn inventory(&self) -> Pending<'_, Result<Option<Vec<NodeInventory>>, ExecutorError>> {
        let node = self.node.clone();
        Box::pin(async move { Ok(Some(vec![node])) })
    }

    fn forget(&self, name: &str) {
        let dir = self.pod_dir(name);
        if let Err(e) = std::fs::remove_dir_all(&dir)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(pod = name, error = %e, "cannot remove an ended pod's folder");
        }
    }
}

impl Local {
    /// Follows a started pod until its exit file appears, and reports the exit. A pod that is
    /// stopped meanwhile is reported by the stop; the loop ignores an exit of a stopping pod.
    async fn watch(&self, name: String, events: Events) {
        let dir = self.pod_dir(&name);
        let mut every = Duration::from_millis(5);
        loop {
            if let Some(exit) = supervisor::read::<Exit>(&dir, EXIT) {
                events.send(PodEvent::Exited {
                    name,
                    code: exit.code,
                });
                return;
            }
            match supervisor::read::<Pids>(&dir, PIDS) {
                Some(p) if p.pod.is_alive() || p.supervisor.is_alive() => {}
                // Gone without an exit file (or the folder was removed): reconciliation says
                // what became of it.
                _ => return,
            }
            tokio::time::sleep(every).await;
            every = (every * 2).min(Duration::from_millis(200));
        }
    }
}

fn nvidia_smi() -> Result<(u32, u64), ExecutorError> {
    let out = std::process::Command::new("nvidia-smi")
        .args(["--query-gpu=index,memory.total", "--format=csv,noheader,nounits"])
        .output()
        .map_err(|e| ExecutorError::Tool {
            tool: "nvidia-smi".into(),
            message: format!(
                "{e}; gpus = \"auto\" needs nvidia-smi: install the NVIDIA driver or set gpus = N in [local]"
            ),
        })?;
    if !out.status.success() {
        return Err(ExecutorError::Tool {
            tool: "nvidia-smi".into(),
            message: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        });
    }
    parse_nvidia_smi(&String::from_utf8_lossy(&out.stdout))
}

/// `0, 81559` per line: the device count and the smallest device's memory.
fn parse_nvidia_smi(text: &str) -> Result<(u32, u64), ExecutorError> {
    let mut count = 0u32;
    let mut smallest: Option<u64> = None;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let mib = line
            .split(',')
            .nth(1)
            .and_then(|m| m.trim().parse::<u64>().ok())
            .ok_or_else(|| ExecutorError::Parse {
                what: "nvidia-smi's device list".into(),
                message: format!("unexpected line {line:?}"),
            })?;
        count += 1;
        smallest = Some(smallest.map_or(mib, |s| s.min(mib)));
    }
    Ok((count, smallest.unwrap_or(0)))
}

fn hostname() -> Result<String, ExecutorError> {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .map_err(|source| ExecutorError::Io {
            what: "reading this host's name".into(),
            source,
        })
}

fn memory_mib() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kib| kib.parse::<u64>().ok())
        })
        .map_or(0, |kib| kib / 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nvidia_smi_lists_devices_and_their_memory() {
        assert_eq!(
            parse_nvidia_smi("0, 81559\n1, 81559\n2, 40960\n").expect("parses"),
            (3, 40960)
        );
        assert!(parse_nvidia_smi("0 81559\n").is_err());
        assert_eq!(parse_nvidia_smi("").expect("parses"), (0, 0));
    }

    #[test]
    fn gpus_are_auto_or_a_number() {
        let c: LocalConfig = toml::from_str("gpus = 4").expect("number");
        assert_eq!(c.gpus, Gpus::Count(4));
        let c: LocalConfig = toml::from_str("gpus = \"auto\"").expect("auto");
        assert_eq!(c.gpus, Gpus::Auto);
        let err = toml::from_str::<LocalConfig>("gpus = \"all\"").unwrap_err();
        assert!(err.to_string().contains("\"auto\" or a number"), "{err}");
    }
}
