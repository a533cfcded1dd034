//! Reading what Slurm's tools print (22.05: `sinfo --json` and `squeue --json` in the openapi
//! v0.0.38 shapes; `scontrol -d -o show job`, one line per job, for the GPU indices).

use std::collections::BTreeMap;

use serde_json::Value;

use crate::executor::{ExecutorError, NodeInventory};

/// Every job whose name starts with this is Rota's: `rota-<pod-name>`.
pub const JOB_PREFIX: &str = "rota-";

/// One of Rota's jobs as `squeue` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// Slurm's job id.
    pub id: u64,
    /// The pod it runs.
    pub pod: String,
    /// `PENDING`, `RUNNING`, `COMPLETED`, `FAILED`, `CANCELLED`, `NODE_FAIL`, …
    pub state: String,
    /// Why it is in that state (`Resources`, `None`, …).
    pub reason: String,
    /// The node(s) it was given.
    pub nodes: String,
    /// The raw wait status it ended with.
    pub exit_status: i64,
}

impl Job {
    /// Whether Slurm has not started it yet.
    pub fn is_pending(&self) -> bool {
        matches!(self.state.as_str(), "PENDING" | "CONFIGURING" | "REQUEUED")
    }

    /// Whether it runs (or is being cleaned up after running).
    pub fn is_running(&self) -> bool {
        matches!(
            self.state.as_str(),
            "RUNNING" | "COMPLETING" | "SUSPENDED" | "STOPPED" | "SIGNALING" | "STAGE_OUT"
        )
    }

    /// Its exit code: the wait status's code, or 128 + the signal that ended it.
    pub fn exit_code(&self) -> i32 {
        let status = self.exit_status as i32;
        if status & 0x7f == 0 {
            (status >> 8) & 0xff
        } else {
            128 + (status & 0x7f)
        }
    }
}

fn parse_json(what: &str, text: &str) -> Result<Value, ExecutorError> {
    serde_json::from_str(text).map_err(|e| ExecutorError::Parse {
        what: what.into(),
        message: e.to_string(),
    })
}

fn text(v: &Value, key: &str) -> String {
    match v.get(key) {
        Some(Value::String(s)) => s.clone(),
        // Newer Slurm writes some states as lists.
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(","),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

fn number(v: &Value, key: &str) -> i64 {
    match v.get(key) {
        Some(Value::Number(n)) => n.as_i64().unwrap_or(0),
        // Newer Slurm: {"set": true, "number": N}, or {"return_code": {...}}.
        Some(Value::Object(o)) => o
            .get("number")
            .or_else(|| o.get("return_code").and_then(|r| r.get("number")))
            .and_then(Value::as_i64)
            .unwrap_or(0),
        _ => 0,
    }
}

/// Rota's jobs in `squeue --json`'s answer (other users' jobs are left out).
pub fn jobs(text_json: &str) -> Result<Vec<Job>, ExecutorError> {
    let v = parse_json("squeue --json", text_json)?;
    let list = v
        .get("jobs")
        .and_then(Value::as_array)
        .ok_or_else(|| ExecutorError::Parse {
            what: "squeue --json".into(),
            message: "no \"jobs\" list".into(),
        })?;
    Ok(list
        .iter()
        .filter_map(|j| {
            let name = text(j, "name");
            let pod = name.strip_prefix(JOB_PREFIX)?.to_owned();
            Some(Job {
                id: u64::try_from(number(j, "job_id")).ok()?,
                pod,
                state: text(j, "job_state"),
                reason: text(j, "state_reason"),
                nodes: text(j, "nodes"),
                exit_status: number(j, "exit_code"),
            })
        })
        .collect())
}

/// The nodes in `sinfo --json`'s answer (those of `partition` only, when one is named).
pub fn nodes(
    text_json: &str,
    partition: Option<&str>,
) -> Result<Vec<NodeInventory>, ExecutorError> {
    let v = parse_json("sinfo --json", text_json)?;
    let list = v
        .get("nodes")
        .and_then(Value::as_array)
        .ok_or_else(|| ExecutorError::Parse {
            what: "sinfo --json".into(),
            message: "no \"nodes\" list".into(),
        })?;
    let mut out = Vec::new();
    for n in list {
        if let Some(p) = partition {
            let parts: Vec<&str> = n
                .get("partitions")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            if !parts.contains(&p) {
                continue;
            }
        }
        let name = text(n, "name");
        let state = text(n, "state").to_lowercase();
        let flags = text(n, "state_flags").to_uppercase();
        let reason = text(n, "reason");
        let down_state = ["down", "drain", "fail", "unknown", "future", "error"]
            .iter()
            .any(|s| state.contains(s))
            || ["DRAIN", "NOT_RESPONDING", "FAIL", "MAINTENANCE"]
                .iter()
                .any(|f| flags.contains(f));
        let down = down_state.then(|| {
            let what = if flags.is_empty() {
                state.clone()
            } else {
                format!("{state}+{}", flags.to_lowercase())
            };
            if reason.is_empty() {
                format!("Slurm says it is {what}")
            } else {
                format!("Slurm says it is {what}: {reason}")
            }
        });
        out.push(NodeInventory {
            gpus: gres_count(&text(n, "gres"), "gpu"),
            gpu_memory_mib: 81920,
            cpu_millicores: u64::try_from(number(n, "cpus")).unwrap_or(0) * 1000,
            memory_mib: u64::try_from(number(n, "real_memory")).unwrap_or(0),
            down,
            name,
        });
    }
    Ok(out)
}

/// How many of gres `kind` a node's gres list holds: `gpu:2`, `gpu:a100:4(S:0-1),shard:8`.
pub fn gres_count(gres: &str, kind: &str) -> u32 {
    gres.split(',')
        .filter_map(|item| {
            let item = item.split('(').next()?.trim();
            let mut parts = item.split(':');
            (parts.next()? == kind)
                .then(|| parts.next_back().and_then(|n| n.parse::<u32>().ok()))?
        })
        .sum()
}

/// The GPU indices of each job in `scontrol -d -o show job`'s lines, by job id:
/// `GRES=gpu:2(IDX:0-1)` or `GRES=gpu:a100:1(IDX:3)`.
pub fn gpu_indices(text: &str) -> BTreeMap<u64, Vec<u32>> {
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let Some(id) = field(line, "JobId").and_then(|v| v.parse::<u64>().ok()) else {
            continue;
        };
        let mut devices = Vec::new();
        for token in line.split_whitespace() {
            let Some(gres) = token.strip_prefix("GRES=") else {
                continue;
            };
            for item in gres.split("),") {
                if !item.starts_with("gpu") {
                    continue;
                }
                if let Some(idx) = item.split("IDX:").nth(1) {
                    devices.extend(ranges(idx.trim_end_matches(')')));
                }
            }
        }
        out.insert(id, devices);
    }
    out
}

fn field<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    line.split_whitespace()
        .find_map(|t| t.strip_prefix(key)?.strip_prefix('='))
}

/// `0-1,3` → [0, 1, 3].
fn ranges(text: &str) -> Vec<u32> {
    let mut out = Vec::new();
    for part in text.split(',') {
        match part.split_once('-') {
            Some((a, b)) => {
                if let (Ok(a), Ok(b)) = (a.parse::<u32>(), b.parse::<u32>()) {
                    out.extend(a..=b);
                }
            }
            None => {
                if let Ok(n) = part.parse() {
                    out.push(n);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn squeue_json_gives_rotas_jobs_only() {
        let text = r#"{"jobs":[
            {"job_id": 7, "name": "rota-u-0-1", "job_state": "RUNNING", "state_reason": "None", "nodes": "node-2", "exit_code": 0},
            {"job_id": 8, "name": "someone-else", "job_state": "RUNNING", "nodes": "node-1", "exit_code": 0},
            {"job_id": 9, "name": "rota-v-0-0", "job_state": "FAILED", "state_reason": "NonZeroExitCode", "nodes": "node-1", "exit_code": 768}
        ]}"#;
        let jobs = jobs(text).expect("parses");
        assert_eq!(jobs.len(), 2);
        assert_eq!((jobs[0].id, jobs[0].pod.as_str()), (7, "u-0-1"));
        assert!(jobs[0].is_running());
        assert_eq!(jobs[1].exit_code(), 3);
        let killed = Job {
            exit_status: 15,
            ..jobs[1].clone()
        };
        assert_eq!(killed.exit_code(), 143);
    }

    #[test]
    fn sinfo_json_gives_nodes_gpus_and_who_is_down() {
        let text = r#"{"nodes":[
            {"name": "node-1", "state": "idle", "state_flags": [], "cpus": 8, "real_memory": 4000, "gres": "gpu:2", "partitions": ["gpu"], "reason": ""},
            {"name": "node-2", "state": "down", "state_flags": [], "cpus": 8, "real_memory": 4000, "gres": "gpu:2", "partitions": ["gpu"], "reason": "test"},
            {"name": "node-3", "state": "idle", "state_flags": ["DRAIN"], "cpus": 8, "real_memory": 4000, "gres": "gpu:a100:4(S:0-1),shard:8", "partitions": ["other"], "reason": ""}
        ]}"#;
        let all = nodes(text, None).expect("parses");
        assert_eq!(all.len(), 3);
        assert_eq!(
            (all[0].gpus, all[0].cpu_millicores, all[0].down.clone()),
            (2, 8000, None)
        );
        assert_eq!(all[1].down.as_deref(), Some("Slurm says it is down: test"));
        assert_eq!(all[2].gpus, 4);
        assert!(all[2].down.is_some(), "a drained node takes no work");
        let gpu_only = nodes(text, Some("gpu")).expect("parses");
        assert_eq!(gpu_only.len(), 2);
    }

    #[test]
    fn gres_counts_ignore_other_kinds() {
        assert_eq!(gres_count("gpu:2", "gpu"), 2);
        assert_eq!(gres_count("gpu:a100:4(S:0-1),shard:8", "shard"), 8);
        assert_eq!(gres_count("(null)", "gpu"), 0);
    }

    #[test]
    fn scontrol_lines_give_each_jobs_gpu_indices() {
        let text = "JobId=5 JobName=rota-u-0-0 UserId=root(0) JobState=RUNNING Nodes=node-1 CPU_IDs=0 Mem=100 GRES=gpu:2(IDX:0-1)\n\
                    JobId=6 JobName=rota-v-0-0 JobState=RUNNING Nodes=node-2 GRES=gpu:a100:1(IDX:3)\n\
                    JobId=7 JobName=x JobState=PENDING\n";
        let idx = gpu_indices(text);
        assert_eq!(idx.get(&5), Some(&vec![0, 1]));
        assert_eq!(idx.get(&6), Some(&vec![3]));
        assert_eq!(idx.get(&7), Some(&vec![]));
        assert_eq!(ranges("0-1,3,5-6"), vec![0, 1, 3, 5, 6]);
    }
}
