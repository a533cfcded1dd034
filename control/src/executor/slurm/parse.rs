//! Reading what Slurm's tools print (22.05): `sinfo --json` (openapi v0.0.38) for the nodes;
//! `squeue` with a fixed `--Format` for the jobs — with 1,000 jobs it answers in ~25 ms where
//! `squeue --json` takes ~250 ms (docs/benchmarks.md), and it is called every cycle; and
//! `scontrol -d -o show job`, one line per job, for the GPU indices.

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

/// `squeue`'s arguments for [`jobs`]: every job Slurm still knows (finished ones too, for
/// `MinJobAge`), one line each, fields between `|`.
pub const SQUEUE_ARGS: [&str; 4] = [
    "--noheader",
    "--states=all",
    "--Format=JobID:|,State:|,Reason:|,NodeList:|,exit_code:|,Name:",
    "--array",
];

/// Rota's jobs in `squeue`'s answer to [`SQUEUE_ARGS`] (other jobs are left out, including
/// ones named like Rota's that do not carry a pod name).
pub fn jobs(text: &str) -> Result<Vec<Job>, ExecutorError> {
    let mut out = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let mut f = line.splitn(6, '|');
        let (Some(id), Some(state), Some(reason), Some(nodes), Some(exit), Some(name)) =
            (f.next(), f.next(), f.next(), f.next(), f.next(), f.next())
        else {
            return Err(ExecutorError::Parse {
                what: "squeue's job list".into(),
                message: format!("unexpected line {line:?}"),
            });
        };
        let Some(pod) = name
            .trim()
            .strip_prefix(JOB_PREFIX)
            .filter(|p| is_pod_name(p))
        else {
            continue;
        };
        // An array task shows as `12_3`; Rota submits no arrays.
        let Ok(id) = id.trim().parse::<u64>() else {
            continue;
        };
        out.push(Job {
            id,
            pod: pod.to_owned(),
            state: state.trim().to_owned(),
            reason: reason.trim().to_owned(),
            nodes: nodes.trim().to_owned(),
            exit_status: exit.trim().parse().unwrap_or(0),
        });
    }
    Ok(out)
}

/// `<uuid>-<pod>-<attempt>`, as [`crate::executor::pod_name`] writes it.
pub fn is_pod_name(name: &str) -> bool {
    let mut parts = name.rsplitn(3, '-');
    let (Some(attempt), Some(pod), Some(uuid)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    digits(attempt) && digits(pod) && uuid::Uuid::parse_str(uuid).is_ok()
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

/// Each node's address (Slurm's `NodeAddr`), by node name, where `sinfo --json` gives one: what
/// a distributed training's pods reach their master at.
pub fn addresses(text_json: &str) -> Result<BTreeMap<String, String>, ExecutorError> {
    let v = parse_json("sinfo --json", text_json)?;
    Ok(v.get("nodes")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(|n| {
                    let address = text(n, "address");
                    (!address.is_empty()).then(|| (text(n, "name"), address))
                })
                .collect()
        })
        .unwrap_or_default())
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
    fn squeue_gives_rotas_jobs_only() {
        let pod = "0b6c2a7e-1f7d-4c1e-9d3c-2b1a3c4d5e6f-0-1";
        let text = format!(
            "7|RUNNING|None|node-2|0|rota-{pod}\n\
             8|RUNNING|None|node-1|0|someone-else\n\
             10|RUNNING|None|node-1|0|rota-bench-x\n\
             9|FAILED|NonZeroExitCode|node-1|768|rota-0b6c2a7e-1f7d-4c1e-9d3c-2b1a3c4d5e6f-0-0\n"
        );
        let found = jobs(&text).expect("parses");
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!((found[0].id, found[0].pod.as_str()), (7, pod));
        assert!(found[0].is_running());
        assert_eq!(found[1].exit_code(), 3);
        let killed = Job {
            exit_status: 15,
            ..found[1].clone()
        };
        assert_eq!(killed.exit_code(), 143);
        assert!(jobs("garbage").is_err());
        assert!(is_pod_name(pod));
        assert!(!is_pod_name("bench-x"));
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
    fn sinfo_json_gives_each_nodes_address() {
        let text = r#"{"nodes":[
            {"name": "node-1", "address": "127.0.0.1", "hostname": "localhost"},
            {"name": "node-2", "address": "", "hostname": "gpu2"},
            {"name": "node-3"}
        ]}"#;
        let a = addresses(text).expect("parses");
        assert_eq!(a.get("node-1").map(String::as_str), Some("127.0.0.1"));
        assert_eq!(a.len(), 1, "no address, no entry: the node's name is used");
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
