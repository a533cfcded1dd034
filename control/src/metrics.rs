//! What the scheduling loop measured, in the OpenMetrics text format (`GET /metrics`), kept and
//! written by `prometheus-client` (labels escaped, counters as counters, durations as
//! histograms). The scheduler returns counters and shares in its plan; the loop times the phases
//! and records them here.

use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use std::fmt::Write;

use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::{EncodeLabelValue, LabelValueEncoder};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use rota_scheduler::{EvictionReason, Phase, Plan};

/// The phases of a cycle, as the loop times them: reading, the scheduler's phases, writing.
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

/// Label pairs of one series.
type Labels = Vec<(String, Value)>;

/// A label value, escaped as the text format wants (`\\`, `\"`, `\n`); prometheus-client 0.24
/// writes a `String` as it is.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Value(String);

impl EncodeLabelValue for Value {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> std::fmt::Result {
        for c in self.0.chars() {
            match c {
                '\\' => encoder.write_str("\\\\")?,
                '"' => encoder.write_str("\\\"")?,
                '\n' => encoder.write_str("\\n")?,
                c => encoder.write_char(c)?,
            }
        }
        Ok(())
    }
}

/// One label.
fn label(name: &str, value: &str) -> (String, Value) {
    (name.to_owned(), Value(value.to_owned()))
}
/// A gauge of GPUs per org unit and pool.
type GpuGauges = Family<Labels, Gauge<f64, AtomicU64>>;
/// Durations per label, as histograms.
type Durations = Family<Labels, Histogram, fn() -> Histogram>;

/// Buckets for a cycle or one of its phases: 100 µs to about 6.5 s.
fn duration_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.000_1, 2.0, 17))
}

/// The reasons a workload is evicted, as labels.
const EVICTION_REASONS: [&str; 4] = ["reclaim", "preempt", "consolidate", "gang_broken"];

#[derive(Debug)]
struct Inner {
    registry: Registry,
    deserved: GpuGauges,
    fair_share: GpuGauges,
    allocated: GpuGauges,
    usage: GpuGauges,
    pending: Gauge,
    cycles: Counter,
    binds: Counter,
    cycle_seconds: Histogram,
    phase_seconds: Durations,
    evictions: Family<Labels, Counter>,
    /// The last cycle's figures as rows, for the pages that show them.
    shares: Mutex<Vec<ShareRow>>,
}

/// Shared between the loop (which records) and the server (which renders).
#[derive(Debug, Clone)]
pub struct Metrics(Arc<Inner>);

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::default();
        let deserved = GpuGauges::default();
        let fair_share = GpuGauges::default();
        let allocated = GpuGauges::default();
        let usage = GpuGauges::default();
        let pending = Gauge::default();
        let cycles = Counter::default();
        let binds = Counter::default();
        let cycle_seconds = duration_histogram();
        let phase_seconds = Durations::new_with_constructor(duration_histogram as fn() -> _);
        let evictions = Family::<Labels, Counter>::default();
        for reason in EVICTION_REASONS {
            let _ = evictions.get_or_create(&vec![label("reason", reason)]);
        }
        registry.register(
            "rota_deserved_gpus",
            "GPUs an org unit is guaranteed",
            deserved.clone(),
        );
        registry.register(
            "rota_fair_share_gpus",
            "GPUs an org unit's fair share came to in the last cycle",
            fair_share.clone(),
        );
        registry.register(
            "rota_allocated_gpus",
            "GPUs an org unit held at the start of the last cycle",
            allocated.clone(),
        );
        registry.register(
            "rota_usage_gpu_hours",
            "GPU-hours an org unit used over the usage window, weighed by age (time-based fair share)",
            usage.clone(),
        );
        registry.register(
            "rota_pending_workloads",
            "Workloads left pending by the last cycle",
            pending.clone(),
        );
        registry.register("rota_cycles", "Scheduling cycles run", cycles.clone());
        registry.register("rota_binds", "Pods placed", binds.clone());
        registry.register(
            "rota_cycle_seconds",
            "Duration of a cycle, store reads and writes included",
            cycle_seconds.clone(),
        );
        registry.register(
            "rota_cycle_phase_seconds",
            "Duration of each phase of a cycle",
            phase_seconds.clone(),
        );
        registry.register(
            "rota_evictions",
            "Workloads evicted, by reason",
            evictions.clone(),
        );
        Metrics(Arc::new(Inner {
            registry,
            deserved,
            fair_share,
            allocated,
            usage,
            pending,
            cycles,
            binds,
            cycle_seconds,
            phase_seconds,
            evictions,
            shares: Mutex::new(Vec::new()),
        }))
    }
}

impl PhaseTimes {
    /// The time of one of the scheduler's phases.
    pub fn of(&mut self, phase: Phase) -> &mut Duration {
        match phase {
            Phase::FairShare => &mut self.fair_share,
            Phase::Allocate => &mut self.allocate,
            Phase::Consolidate => &mut self.consolidate,
            Phase::Reclaim => &mut self.reclaim,
            Phase::Preempt => &mut self.preempt,
        }
    }
}

impl Metrics {
    /// Records a cycle: its counts, durations and evictions, and the units' figures (answers
    /// whether those changed).
    pub fn record(&self, plan: &Plan, total: Duration, phases: PhaseTimes) -> bool {
        let m = &self.0;
        m.cycles.inc();
        m.binds.inc_by(plan.binds.len() as u64);
        m.pending
            .set(i64::try_from(plan.pending.len()).unwrap_or(i64::MAX));
        m.cycle_seconds.observe(total.as_secs_f64());
        let mut timed = phases;
        let scheduled = Phase::ORDER.map(|p| (p.name(), *timed.of(p)));
        for (phase, d) in std::iter::once(("load", phases.load))
            .chain(scheduled)
            .chain([("commit", phases.commit)])
        {
            m.phase_seconds
                .get_or_create(&vec![label("phase", phase)])
                .observe(d.as_secs_f64());
        }
        for e in &plan.evictions {
            let reason = match e.reason {
                EvictionReason::Reclaim { .. } => "reclaim",
                EvictionReason::Preempt { .. } => "preempt",
                EvictionReason::Consolidate { .. } => "consolidate",
                EvictionReason::GangBroken { .. } => "gang_broken",
            };
            m.evictions
                .get_or_create(&vec![label("reason", reason)])
                .inc();
        }
        let rows: Vec<ShareRow> = plan
            .shares
            .iter()
            .map(|q| ShareRow {
                pool: q.pool.clone(),
                name: q.name.clone(),
                is_project: q.is_project,
                deserved: q.deserved.as_gpus(),
                fair_share: q.fair_share.as_gpus(),
                allocated: q.allocated.as_gpus(),
                // To a tenth: the figure changes every cycle, the rows only when it shows.
                usage_gpu_hours: (q.usage_gpu_secs as f64 / 360.0).round() / 10.0,
            })
            .collect();
        self.set_shares(rows)
    }

    /// Takes the units' figures of a cycle (this server's, or the leader's when another server
    /// schedules); answers whether they differ from the last ones.
    pub fn set_shares(&self, rows: Vec<ShareRow>) -> bool {
        let m = &self.0;
        let Ok(mut shares) = m.shares.lock() else {
            return false;
        };
        if *shares == rows {
            return false;
        }
        // Units and pools come and go: the gauges hold exactly the last cycle's rows.
        for family in [&m.deserved, &m.fair_share, &m.allocated, &m.usage] {
            family.clear();
        }
        for row in &rows {
            let kind = if row.is_project {
                "project"
            } else {
                "department"
            };
            let labels = vec![label("pool", &row.pool), label(kind, &row.name)];
            m.deserved.get_or_create(&labels).set(row.deserved);
            m.fair_share.get_or_create(&labels).set(row.fair_share);
            m.allocated.get_or_create(&labels).set(row.allocated);
            m.usage.get_or_create(&labels).set(row.usage_gpu_hours);
        }
        *shares = rows;
        true
    }

    /// Every org unit's deserved quota, fair share and allocation, per pool, as the last cycle
    /// computed them (empty before the first cycle).
    pub fn shares(&self) -> Vec<ShareRow> {
        self.0.shares.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// The OpenMetrics text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = encode(&mut out, &self.0.registry);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped_and_counters_and_histograms_are_typed() {
        let metrics = Metrics::default();
        let mut plan = Plan::default();
        plan.shares.push(rota_scheduler::QueueShare {
            pool: "pool \"a\"".into(),
            name: "team-a".into(),
            is_project: true,
            deserved: rota_scheduler::MilliGpus(2000),
            fair_share: rota_scheduler::MilliGpus(3000),
            allocated: rota_scheduler::MilliGpus(1500),
            demand: rota_scheduler::MilliGpus(4000),
            held: rota_scheduler::MilliGpus(1500),
            usage_gpu_secs: 7200,
        });
        metrics.record(&plan, Duration::from_millis(3), PhaseTimes::default());
        let text = metrics.render();
        assert!(
            text.contains("rota_deserved_gpus{pool=\"pool \\\"a\\\"\",project=\"team-a\"} 2.0"),
            "{text}"
        );
        assert!(
            text.contains("rota_usage_gpu_hours{pool=\"pool \\\"a\\\"\",project=\"team-a\"} 2.0"),
            "{text}"
        );
        assert!(text.contains("# TYPE rota_cycles counter"), "{text}");
        assert!(text.contains("rota_cycles_total 1"), "{text}");
        assert!(
            text.contains("# TYPE rota_cycle_seconds histogram"),
            "{text}"
        );
        assert!(
            text.contains("rota_cycle_phase_seconds_count{phase=\"allocate\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("rota_evictions_total{reason=\"preempt\"} 0"),
            "{text}"
        );
        assert!(text.ends_with("# EOF\n"), "{text}");
    }
}
