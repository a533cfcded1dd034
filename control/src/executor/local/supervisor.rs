//! The supervisor of one pod on this host: a small process (`rota-server supervise-pod DIR`)
//! that the local executor starts for each pod, so that a pod never depends on the server being
//! its parent. It reads `spec.json` from the pod's folder, starts the command in a process group
//! of its own with its output going to the pod's log, records both pids with their start times
//! (`pid.json`), waits, and writes the exit code (`exit.json`) atomically. A server that was
//! killed and restarted reads these files to tell a pod that exited, one that still runs
//! (re-adopted) and one that was lost.

use std::io::Write;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Command, Stdio};

use serde::{Deserialize, Serialize};

use super::proc::ProcessId;

/// What to run, as the executor wrote it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Spec {
    /// Program and arguments.
    pub argv: Vec<String>,
    /// The whole environment of the pod.
    pub env: Vec<(String, String)>,
    /// Where its output goes (appended).
    pub log: std::path::PathBuf,
    /// Its working directory.
    pub cwd: Option<std::path::PathBuf>,
}

/// Who runs the pod.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pids {
    /// The supervisor.
    pub supervisor: ProcessId,
    /// The pod's command; its pid is also its process group.
    pub pod: ProcessId,
}

/// How the pod ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exit {
    /// The exit code; 128 + the signal when a signal ended it.
    pub code: i32,
    /// When it could not be started at all: why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The files in a pod's folder.
pub const SPEC: &str = "spec.json";
/// See [`Pids`].
pub const PIDS: &str = "pid.json";
/// See [`Exit`].
pub const EXIT: &str = "exit.json";

/// Writes `value` as JSON to `dir/name` so that a reader sees all of it or nothing.
pub fn write_atomically(dir: &Path, name: &str, value: &impl Serialize) -> std::io::Result<()> {
    let tmp = dir.join(format!(".{name}.tmp"));
    let text = serde_json::to_vec(value).map_err(std::io::Error::other)?;
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(&text)?;
    f.sync_all()?;
    std::fs::rename(&tmp, dir.join(name))
}

/// Reads `dir/name` as JSON, if it is there and whole.
pub fn read<T: for<'de> Deserialize<'de>>(dir: &Path, name: &str) -> Option<T> {
    let text = std::fs::read(dir.join(name)).ok()?;
    serde_json::from_slice(&text).ok()
}

/// Runs the supervisor for the pod folder named by `args` (`supervise-pod DIR`, the first word
/// optional); returns the process's exit code.
pub fn main(args: impl IntoIterator<Item = String>) -> i32 {
    let args: Vec<String> = args.into_iter().filter(|a| a != "supervise-pod").collect();
    let [dir] = args.as_slice() else {
        eprintln!("usage: supervise-pod POD_DIR");
        return 2;
    };
    match supervise(Path::new(dir)) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("supervise-pod {dir}: {e}");
            1
        }
    }
}

fn supervise(dir: &Path) -> std::io::Result<()> {
    let spec: Spec = read(dir, SPEC)
        .ok_or_else(|| std::io::Error::other(format!("no readable {SPEC} in the pod folder")))?;
    let fail = |error: String| {
        if let Ok(mut log) = open_log(&spec.log) {
            let _ = writeln!(log, "rota: {error}");
        }
        write_atomically(
            dir,
            EXIT,
            &Exit {
                code: 127,
                error: Some(error),
            },
        )
    };
    let Some(supervisor) = ProcessId::current() else {
        return fail("this host has no /proc: the local executor needs Linux".into());
    };
    let (out, err) = match open_log(&spec.log).and_then(|f| Ok((f.try_clone()?, f))) {
        Ok(pair) => pair,
        Err(e) => return fail(format!("cannot open the log {}: {e}", spec.log.display())),
    };
    let Some((program, rest)) = spec.argv.split_first() else {
        return fail("nothing to run".into());
    };
    let mut cmd = Command::new(program);
    cmd.args(rest)
        .env_clear()
        .envs(spec.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::from(out))
        .stderr(Stdio::from(err))
        .process_group(0);
    if let Some(cwd) = &spec.cwd {
        cmd.current_dir(cwd);
    }
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => return fail(format!("cannot start {program}: {e}")),
    };
    let pod_pid = i32::try_from(child.id()).unwrap_or(0);
    let pod = ProcessId::of(pod_pid).unwrap_or(ProcessId {
        pid: pod_pid,
        start_time: 0,
    });
    write_atomically(dir, PIDS, &Pids { supervisor, pod })?;
    let status = child.wait()?;
    let code = status
        .code()
        .or_else(|| status.signal().map(|s| 128 + s))
        .unwrap_or(255);
    write_atomically(dir, EXIT, &Exit { code, error: None })
}

fn open_log(path: &Path) -> std::io::Result<std::fs::File> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
}
