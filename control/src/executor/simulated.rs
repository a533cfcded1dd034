//! The simulated executor: pods "run" the moment they are started, until they are stopped or
//! their workload's duration has passed. It keeps no state of its own — the store is the cluster
//! — so a restart picks up exactly where the last process stopped.

use std::collections::BTreeMap;

use super::{
    Events, Executor, ExecutorError, NodeInventory, Observed, Pending, PodEvent, PodRecord,
    PodStart, PodState, PodStop,
};

/// Pods run in the store's imagination.
#[derive(Debug, Default, Clone, Copy)]
pub struct Simulated;

impl Executor for Simulated {
    fn kind(&self) -> &'static str {
        "simulated"
    }

    fn start(&self, pod: PodStart, events: &Events) {
        tracing::debug!(pod = %pod.name, node = %pod.node, "simulated start");
        events.send(PodEvent::Started {
            name: pod.name,
            devices: None,
        });
    }

    fn stop(&self, pod: PodStop, events: &Events) {
        tracing::debug!(pod = %pod.name, node = %pod.node, "simulated stop");
        events.send(PodEvent::Gone { name: pod.name });
    }

    fn observe<'a>(
        &'a self,
        pods: &'a [PodRecord],
        now_ms: i64,
    ) -> Pending<'a, Result<BTreeMap<String, Observed>, ExecutorError>> {
        Box::pin(async move { Ok(observe(pods, now_ms)) })
    }

    fn inventory(&self) -> Pending<'_, Result<Option<Vec<NodeInventory>>, ExecutorError>> {
        Box::pin(async { Ok(None) })
    }
}

/// A pod runs until its duration has passed; a stopping pod is gone at once.
pub(super) fn observe(pods: &[PodRecord], now_ms: i64) -> BTreeMap<String, Observed> {
    pods.iter()
        .filter(|p| p.state != PodState::Terminating)
        .map(|p| {
            let ended = p
                .duration_secs
                .is_some_and(|d| p.started_at + d * 1000 <= now_ms);
            let seen = if ended {
                Observed::Exited { code: 0 }
            } else {
                Observed::Running
            };
            (p.name.clone(), seen)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(name: &str, started_at: i64, duration_secs: Option<i64>) -> PodRecord {
        PodRecord {
            name: name.into(),
            node: "node-1".into(),
            state: PodState::Running,
            started_at,
            duration_secs,
        }
    }

    #[test]
    fn a_pod_ends_when_its_duration_has_passed() {
        let mut stopping = record("d", 0, None);
        stopping.state = PodState::Terminating;
        let pods = [
            record("a", 0, Some(10)),
            record("b", 0, None),
            record("c", 5_000, Some(10)),
            stopping,
        ];
        let seen = observe(&pods, 10_000);
        assert_eq!(seen.get("a"), Some(&Observed::Exited { code: 0 }));
        assert_eq!(seen.get("b"), Some(&Observed::Running));
        assert_eq!(seen.get("c"), Some(&Observed::Running));
        assert_eq!(seen.get("d"), None, "a stopping pod is gone at once");
    }
}
