//! The simulated executor: pods "run" the moment they are bound, until deleted or until their
//! workload's duration has passed. It keeps no state of its own — the store is the cluster — so a
//! restart picks up exactly where the last process stopped.

use super::{Executor, PodStart, PodStop, RunningPod, WorkloadExit};

/// Pods run in the store's imagination.
#[derive(Debug, Default, Clone, Copy)]
pub struct Simulated;

impl Executor for Simulated {
    fn start(&self, pod: &PodStart) {
        tracing::debug!(workload = %pod.workload, pod = pod.pod, node = %pod.node, "simulated start");
    }

    fn stop(&self, pod: &PodStop) {
        tracing::debug!(workload = %pod.workload, pod = pod.pod, node = %pod.node, "simulated stop");
    }

    fn exited(&self, running: &[RunningPod], now_ms: i64) -> Vec<WorkloadExit> {
        let mut ended: Vec<WorkloadExit> = running
            .iter()
            .filter(|p| {
                p.duration_secs
                    .is_some_and(|d| p.started_at + d * 1000 <= now_ms)
            })
            .map(|p| WorkloadExit {
                workload_id: p.workload_id,
                succeeded: true,
            })
            .collect();
        ended.sort_by_key(|e| e.workload_id);
        ended.dedup();
        ended
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pod_ends_when_its_duration_has_passed() {
        let pods = [
            RunningPod {
                workload_id: 1,
                started_at: 0,
                duration_secs: Some(10),
            },
            RunningPod {
                workload_id: 2,
                started_at: 0,
                duration_secs: None,
            },
            RunningPod {
                workload_id: 3,
                started_at: 5_000,
                duration_secs: Some(10),
            },
        ];
        let ended = Simulated.exited(&pods, 10_000);
        assert_eq!(
            ended,
            vec![WorkloadExit {
                workload_id: 1,
                succeeded: true
            }]
        );
    }
}
