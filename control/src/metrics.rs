//! What the scheduling loop measured, in Prometheus' text format (`GET /metrics`). The scheduler
//! returns counters and shares in its plan; the loop times the phases and records them here.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rota_scheduler::{EvictionReason, Plan};

/// The phases of a cycle, as the loop times them.
#[derive(Debug, Clone, Copy, Default)]
pub struct PhaseTimes {
    /// Reading the snapshot from the store.
    pub load: Duration,
    /// Fair share.
    pub fair_share: Duration,
    /// Allocate.
    pub allocate: Duration,
    /// Consolidate.
    pub consolidate: Duration,
    /// Reclaim.
    pub reclaim: Duration,
    /// Preempt.
    pub preempt: Duration,
    /// Writing the plan.
    pub commit: Duration,
}

/// One org unit's figures in one pool.
pub use rota_api::wire::UnitShare as ShareRow;

#[derive(Debug, Default)]
struct State {
    shares: Vec<ShareRow>,
    pending: usize,
    cycles: u64,
    last_cycle: Duration,
    phases: PhaseTimes,
    evictions: BTreeMap<&'static str, u64>,
    binds: u64,
}

/// Shared between the loop (which records) and the server (which renders).
#[derive(Debug, Clone, Default)]
pub struct Metrics(Arc<Mutex<State>>);

impl Metrics {
    /// Records one cycle.
    pub fn record(&self, plan: &Plan, total: Duration, phases: PhaseTimes) {
        let Ok(mut s) = self.0.lock() else { return };
        s.cycles += 1;
        s.last_cycle = total;
        s.phases = phases;
        s.pending = plan.pending.len();
        s.binds += plan.binds.len() as u64;
        s.shares = plan
            .shares
            .iter()
            .map(|q| ShareRow {
                pool: q.pool.clone(),
                name: q.name.clone(),
                is_project: q.is_project,
                deserved: q.deserved.as_gpus(),
                fair_share: q.fair_share.as_gpus(),
                allocated: q.allocated.as_gpus(),
            })
            .collect();
        for e in &plan.evictions {
            let reason = match e.reason {
                EvictionReason::Reclaim { .. } => "reclaim",
                EvictionReason::Preempt { .. } => "preempt",
                EvictionReason::Consolidate { .. } => "consolidate",
                EvictionReason::GangBroken { .. } => "gang_broken",
            };
            *s.evictions.entry(reason).or_default() += 1;
        }
    }

    /// Every org unit's deserved quota, fair share and allocation, per pool, as the last cycle
    /// computed them (empty before the first cycle).
    pub fn shares(&self) -> Vec<ShareRow> {
        self.0.lock().map(|s| s.shares.clone()).unwrap_or_default()
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let Ok(s) = self.0.lock() else {
            return String::new();
        };
        let mut out = String::new();
        let gauge = |out: &mut String, name: &str, help: &str, pick: &dyn Fn(&ShareRow) -> f64| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge");
            for q in &s.shares {
                let kind = if q.is_project {
                    "project"
                } else {
                    "department"
                };
                let _ = writeln!(
                    out,
                    "{name}{{pool=\"{}\",{kind}=\"{}\"}} {}",
                    q.pool,
                    q.name,
                    pick(q)
                );
            }
        };
        gauge(
            &mut out,
            "rota_deserved_gpus",
            "GPUs an org unit is guaranteed.",
            &|q| q.deserved,
        );
        gauge(
            &mut out,
            "rota_fair_share_gpus",
            "GPUs an org unit's fair share came to in the last cycle.",
            &|q| q.fair_share,
        );
        gauge(
            &mut out,
            "rota_allocated_gpus",
            "GPUs an org unit held at the start of the last cycle.",
            &|q| q.allocated,
        );
        let _ = writeln!(
            out,
            "# HELP rota_pending_workloads Workloads left pending by the last cycle.\n# TYPE rota_pending_workloads gauge\nrota_pending_workloads {}",
            s.pending
        );
        let _ = writeln!(
            out,
            "# HELP rota_cycles_total Scheduling cycles run.\n# TYPE rota_cycles_total counter\nrota_cycles_total {}",
            s.cycles
        );
        let _ = writeln!(
            out,
            "# HELP rota_binds_total Pods placed.\n# TYPE rota_binds_total counter\nrota_binds_total {}",
            s.binds
        );
        let _ = writeln!(
            out,
            "# HELP rota_cycle_seconds Duration of the last cycle, store reads and writes included.\n# TYPE rota_cycle_seconds gauge\nrota_cycle_seconds {}",
            s.last_cycle.as_secs_f64()
        );
        let _ = writeln!(
            out,
            "# HELP rota_cycle_phase_seconds Duration of each phase of the last cycle.\n# TYPE rota_cycle_phase_seconds gauge"
        );
        let p = s.phases;
        for (phase, d) in [
            ("load", p.load),
            ("fair_share", p.fair_share),
            ("allocate", p.allocate),
            ("consolidate", p.consolidate),
            ("reclaim", p.reclaim),
            ("preempt", p.preempt),
            ("commit", p.commit),
        ] {
            let _ = writeln!(
                out,
                "rota_cycle_phase_seconds{{phase=\"{phase}\"}} {}",
                d.as_secs_f64()
            );
        }
        let _ = writeln!(
            out,
            "# HELP rota_evictions_total Workloads evicted, by reason.\n# TYPE rota_evictions_total counter"
        );
        for reason in ["reclaim", "preempt", "consolidate", "gang_broken"] {
            let _ = writeln!(
                out,
                "rota_evictions_total{{reason=\"{reason}\"}} {}",
                s.evictions.get(reason).copied().unwrap_or(0)
            );
        }
        out
    }
}
