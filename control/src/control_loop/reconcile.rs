//! Reconciliation: what the executor says really runs, against the pods the loop keeps. Pure:
//! the loop applies what it decides.
//!
//! | store says | executor sees | decision |
//! | --- | --- | --- |
//! | Starting | running | adopt it (a `Started` report) |
//! | Starting | nothing, no start in flight | start it again (same name: harmless) |
//! | Starting or Running | exited | its exit (an `Exited` report) |
//! | Starting or Running | lost | lost (a `Lost` report) |
//! | Running | nothing | lost: it vanished without an exit record |
//! | Terminating | nothing or exited | gone |
//! | Terminating | running, no stop in flight | stop it again |
//! | no row | running or starting | stop it: nobody owns it |
//! | no row | exited or lost | forget it |

use std::collections::{BTreeMap, BTreeSet};

use super::snapshot::PodRow;
use crate::executor::{Observed, PodEvent, PodState};

/// What reconciliation asks for.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Decisions {
    /// Reports to apply as if the executor had sent them.
    pub events: Vec<PodEvent>,
    /// Pods to start again.
    pub restart: Vec<String>,
    /// Pods to stop again, or that nobody owns.
    pub stop: Vec<String>,
    /// Pods the executor may forget.
    pub forget: Vec<String>,
}

impl Decisions {
    /// Whether it asks for nothing.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
            && self.restart.is_empty()
            && self.stop.is_empty()
            && self.forget.is_empty()
    }
}

/// Compares the loop's `pods` with what the executor `observed`; `in_flight` are pods this
/// process asked to start or stop and has not heard back about.
pub(crate) fn decide(
    pods: &BTreeMap<String, PodRow>,
    observed: &BTreeMap<String, Observed>,
    in_flight: &BTreeSet<String>,
) -> Decisions {
    let mut d = Decisions::default();
    for (name, row) in pods {
        if in_flight.contains(name) {
            continue;
        }
        let seen = observed.get(name);
        let name = name.clone();
        match (row.state, seen) {
            (PodState::Starting, Some(Observed::Running)) => d.events.push(PodEvent::Started {
                name,
                devices: None,
            }),
            (PodState::Starting, None) => d.restart.push(name),
            (PodState::Starting | PodState::Running, Some(Observed::Starting))
            | (PodState::Running, Some(Observed::Running)) => {}
            (PodState::Starting | PodState::Running, Some(Observed::Exited { code })) => {
                d.events.push(PodEvent::Exited { name, code: *code });
            }
            (PodState::Starting | PodState::Running, Some(Observed::Lost { reason })) => {
                d.events.push(PodEvent::Lost {
                    name,
                    reason: reason.clone(),
                });
            }
            (PodState::Running, None) => d.events.push(PodEvent::Lost {
                name,
                reason: "it is no longer running and left no exit code".into(),
            }),
            (
                PodState::Terminating,
                None | Some(Observed::Exited { .. } | Observed::Lost { .. }),
            ) => d.events.push(PodEvent::Gone { name }),
            (PodState::Terminating, Some(Observed::Running | Observed::Starting)) => {
                d.stop.push(name);
            }
        }
    }
    for (name, seen) in observed {
        if pods.contains_key(name) || in_flight.contains(name) {
            continue;
        }
        match seen {
            Observed::Running | Observed::Starting => d.stop.push(name.clone()),
            Observed::Exited { .. } | Observed::Lost { .. } => d.forget.push(name.clone()),
        }
    }
    d
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use rota_scheduler::GpuSlots;

    use super::*;

    fn row(state: PodState) -> PodRow {
        PodRow {
            workload_id: 1,
            index: 0,
            attempt: 0,
            node: "n".into(),
            gpus: GpuSlots::Devices(vec![0]),
            state,
            started_at: 0,
            grace: Duration::from_secs(30),
            releasing: None,
        }
    }

    #[test]
    fn every_case_of_the_table_is_decided_as_written() {
        let pods: BTreeMap<String, PodRow> = [
            ("adopt", PodState::Starting),
            ("restart", PodState::Starting),
            ("fine", PodState::Running),
            ("exited", PodState::Running),
            ("vanished", PodState::Running),
            ("lost", PodState::Starting),
            ("gone", PodState::Terminating),
            ("restop", PodState::Terminating),
            ("busy", PodState::Starting),
        ]
        .into_iter()
        .map(|(n, s)| (n.to_owned(), row(s)))
        .collect();
        let observed: BTreeMap<String, Observed> = [
            ("adopt", Observed::Running),
            ("fine", Observed::Running),
            ("exited", Observed::Exited { code: 3 }),
            (
                "lost",
                Observed::Lost {
                    reason: "node down".into(),
                },
            ),
            ("restop", Observed::Running),
            ("unowned", Observed::Running),
            ("old", Observed::Exited { code: 0 }),
        ]
        .into_iter()
        .map(|(n, o)| (n.to_owned(), o))
        .collect();
        let in_flight: BTreeSet<String> = ["busy".to_owned()].into();
        let d = decide(&pods, &observed, &in_flight);
        assert_eq!(
            d.events,
            vec![
                PodEvent::Started {
                    name: "adopt".into(),
                    devices: None
                },
                PodEvent::Exited {
                    name: "exited".into(),
                    code: 3
                },
                PodEvent::Gone {
                    name: "gone".into()
                },
                PodEvent::Lost {
                    name: "lost".into(),
                    reason: "node down".into()
                },
                PodEvent::Lost {
                    name: "vanished".into(),
                    reason: "it is no longer running and left no exit code".into()
                },
            ]
        );
        assert_eq!(d.restart, vec!["restart".to_owned()]);
        assert_eq!(d.stop, vec!["restop".to_owned(), "unowned".to_owned()]);
        assert_eq!(d.forget, vec!["old".to_owned()]);
    }
}
