//! Why a workload waits, in words a person can act on.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::plan::EvictionReason;
use crate::quantity::MilliGpus;

/// Why a workload is pending after a cycle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum PendingReason {
    /// None of the node pools it may run in exists.
    NoNodePool {
        /// The pools it names.
        pools: Vec<String>,
    },
    /// A project or department would pass its limit.
    AtLimit {
        /// The project or department.
        unit: String,
        /// Its limit.
        limit: MilliGpus,
        /// What it uses now.
        allocated: MilliGpus,
        /// What this workload asks for.
        requested: MilliGpus,
    },
    /// A non-preemptible workload must fit in deserved quota, and does not.
    NotInQuota {
        /// The project or department whose quota is short.
        unit: String,
        /// Its deserved quota.
        deserved: MilliGpus,
        /// Non-preemptible GPUs it uses now.
        non_preemptible: MilliGpus,
        /// What this workload asks for.
        requested: MilliGpus,
    },
    /// Not enough free GPUs in the node pool.
    NoCapacity {
        /// The node pool.
        pool: String,
        /// What it asks for (its gang minimum).
        requested: MilliGpus,
        /// Free whole GPUs in the pool (for fractions: the most free on one device).
        free: MilliGpus,
        /// Why it could not take GPUs back from others.
        reclaim: ReclaimBlock,
    },
    /// Enough GPUs are free in the pool, but not together on one node.
    Fragmented {
        /// The node pool.
        pool: String,
        /// GPUs one pod needs on one node.
        per_pod: MilliGpus,
        /// Pods that must start together.
        min_pods: u32,
        /// The most free on any one node.
        largest_free: MilliGpus,
    },
    /// GPUs are free, but no node has the CPU or memory a pod asks for.
    NodeResources {
        /// The node pool.
        pool: String,
        /// CPU per pod, millicores.
        cpu_millicores: u64,
        /// Memory per pod, MiB.
        memory_mib: u64,
    },
    /// GPUs are being freed for it: it starts once the named workloads have stopped.
    AwaitingEviction {
        /// The workloads being stopped or moved.
        victims: Vec<String>,
        /// Why they stop.
        action: Action,
    },
    /// The snapshot could not take it (an unknown project or node, a request that makes no
    /// sense, pods that hold GPUs someone else holds): it was set aside so that the rest of the
    /// cluster schedules on.
    SetAside {
        /// Why, in words.
        why: String,
    },
    /// It could take GPUs from running workloads, but a minimum runtime still protects some of
    /// them.
    MinRuntime {
        /// Reclaim (its project's fair share), or preemption (its priority).
        action: Action,
        /// The workloads it would take GPUs from.
        victims: Vec<String>,
        /// Those among them still protected.
        protected: Vec<String>,
        /// Seconds until the last of those protections ends.
        ready_in_secs: u64,
    },
    /// It was running and was evicted this cycle.
    Evicted {
        /// Why.
        reason: EvictionReason,
    },
}

/// Which action freed GPUs for a waiting workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Taken back from projects above their fair share.
    Reclaim,
    /// Taken from lower-priority workloads of the same project.
    Preempt,
    /// Workloads moved to make room on one node.
    Consolidate,
}

/// Why reclaim could not help a workload that found no free GPUs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "why", rename_all = "snake_case")]
pub enum ReclaimBlock {
    /// Not tried: it never came to it.
    NotTried,
    /// Its project would go past its fair share.
    AboveFairShare {
        /// The project.
        project: String,
        /// Its fair share.
        fair_share: MilliGpus,
        /// What it uses now.
        allocated: MilliGpus,
    },
    /// No running workload of another project may give up GPUs for it.
    NoVictims,
}

impl fmt::Display for PendingReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PendingReason::NoNodePool { pools } => {
                write!(
                    f,
                    "none of its node pools ({}) has any nodes",
                    pools.join(", ")
                )
            }
            PendingReason::AtLimit {
                unit,
                limit,
                allocated,
                requested,
            } => write!(
                f,
                "{unit} is at its limit of {limit} ({allocated} in use, this workload asks for {requested})"
            ),
            PendingReason::NotInQuota {
                unit,
                deserved,
                non_preemptible,
                requested,
            } => write!(
                f,
                "non-preemptible workloads must fit in {unit}'s deserved quota of {deserved}: \
                 {non_preemptible} in use, this workload asks for {requested}"
            ),
            PendingReason::NoCapacity {
                pool,
                requested,
                free,
                reclaim,
            } => {
                write!(f, "needs {requested}; node pool {pool} has {free} free")?;
                match reclaim {
                    ReclaimBlock::NotTried => Ok(()),
                    ReclaimBlock::AboveFairShare {
                        project,
                        fair_share,
                        allocated,
                    } => write!(
                        f,
                        ", and {project} cannot take GPUs back: with this workload it would pass its \
                         fair share of {fair_share} ({allocated} in use)"
                    ),
                    ReclaimBlock::NoVictims => {
                        write!(
                            f,
                            ", and no other project holds GPUs above its own share to give back"
                        )
                    }
                }
            }
            PendingReason::Fragmented {
                pool,
                per_pod,
                min_pods,
                largest_free,
            } => {
                if *min_pods > 1 {
                    write!(
                        f,
                        "needs {min_pods} pods of {per_pod} each, every pod on one node; \
                         node pool {pool} cannot hold them all at once (the most free on any node is {largest_free})"
                    )
                } else {
                    write!(
                        f,
                        "needs {per_pod} on one node; the most free on any node is {largest_free}"
                    )
                }
            }
            PendingReason::NodeResources {
                pool,
                cpu_millicores,
                memory_mib,
            } => write!(
                f,
                "no node in pool {pool} with free GPUs also has {} CPU cores and {memory_mib} MiB of memory free",
                *cpu_millicores as f64 / 1000.0
            ),
            PendingReason::AwaitingEviction { victims, action } => {
                let what = match action {
                    Action::Reclaim => "reclaimed for its project's fair share",
                    Action::Preempt => "preempted for its higher priority",
                    Action::Consolidate => "moved to make room on one node",
                };
                write!(
                    f,
                    "starting soon: GPUs held by {} are being {what}",
                    victims.join(", ")
                )
            }
            PendingReason::MinRuntime {
                action,
                victims,
                protected,
                ready_in_secs,
            } => {
                let how = match action {
                    Action::Reclaim => "can take GPUs back from",
                    Action::Preempt | Action::Consolidate => "can preempt",
                };
                let whose = match protected.as_slice() {
                    [one] => format!("{one}'s minimum runtime ends"),
                    many => format!("the minimum runtimes of {} end", many.join(", ")),
                };
                write!(
                    f,
                    "{how} {} in {}, when {whose}",
                    victims.join(", "),
                    span(*ready_in_secs)
                )
            }
            PendingReason::Evicted { reason } => reason.fmt(f),
            PendingReason::SetAside { why } => write!(
                f,
                "set aside, the cluster schedules on without it: {why}; an admin can fix the cause or delete it"
            ),
        }
    }
}

/// A span of time as every surface words it, in its two largest units: `45 s`, `4 m 10 s`,
/// `5 m`, `2 h 5 m`, `3 d 4 h` (reasons, and the pages' "pending for").
pub fn span(secs: u64) -> String {
    let (d, h, m, s) = (secs / 86_400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{s} s"),
        (0, 0, _) if s == 0 => format!("{m} m"),
        (0, 0, _) => format!("{m} m {s} s"),
        (0, _, 0) => format!("{h} h"),
        (0, _, _) => format!("{h} h {m} m"),
        (_, 0, _) => format!("{d} d"),
        _ => format!("{d} d {h} h"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_read_as_people_say_them() {
        assert_eq!(span(0), "0 s");
        assert_eq!(span(45), "45 s");
        assert_eq!(span(250), "4 m 10 s");
        assert_eq!(span(300), "5 m");
        assert_eq!(span(7500), "2 h 5 m");
        assert_eq!(span(7200), "2 h");
        assert_eq!(span(3 * 86_400 + 4 * 3600 + 59), "3 d 4 h");
    }

    #[test]
    fn a_protected_victim_is_named_with_the_time_left() {
        let r = PendingReason::MinRuntime {
            action: Action::Reclaim,
            victims: vec!["a1".into()],
            protected: vec!["a1".into()],
            ready_in_secs: 250,
        };
        assert_eq!(
            r.to_string(),
            "can take GPUs back from a1 in 4 m 10 s, when a1's minimum runtime ends"
        );
        let r = PendingReason::MinRuntime {
            action: Action::Preempt,
            victims: vec!["a1".into(), "a2".into()],
            protected: vec!["a1".into(), "a2".into()],
            ready_in_secs: 30,
        };
        assert_eq!(
            r.to_string(),
            "can preempt a1, a2 in 30 s, when the minimum runtimes of a1, a2 end"
        );
    }
}
