//! Time-based fair share (KAI-Scheduler's time-aware fairness): what each project used in the past
//! changes how the GPUs beyond deserved quota are split now.
//!
//! - Usage is GPU time per project and node pool, kept by the caller in fixed buckets
//!   ([`UsageLedger`]) and weighed over a window (`window_secs`), optionally with exponential decay
//!   (`half_life_secs`: a GPU-second that old counts half). The weighed sums come in with the
//!   snapshot ([`crate::Snapshot::usage`]); the core has no clock and keeps no history.
//! - Among siblings of one rank that still want GPUs beyond their deserved quota, each one's
//!   over-quota weight `w` becomes `w' = max(0, w + k·(w_share − usage_share))`, where `w_share` is
//!   its part of their weights and `usage_share` its part of their usage (`k` is `k_value`; 0
//!   leaves every weight as it is). Deserved quota is never affected, only the surplus's split.
//! - A unit whose weight `w'` falls to 0 still gets what the others leave over, by its own weight:
//!   past usage orders the surplus, it never leaves GPUs idle.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::plan::QueueShare;
use crate::quantity::MilliGpus;

/// A week: the default window.
pub const DEFAULT_WINDOW_SECS: u64 = 7 * 24 * 3600;

/// The largest `k_value` accepted: beyond it, any usage difference zeroes weights.
pub const MAX_K_VALUE: f64 = 100.0;

/// How past usage weighs on the split of the surplus.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TimeFairShare {
    /// How much past usage counts (KAI's `kValue`); 0 turns time-based fair share off.
    pub k_value: f64,
    /// Usage older than this is forgotten (KAI's `windowSize`).
    pub window_secs: u64,
    /// With it, usage this old counts half (KAI's `halfLifePeriod`); without it, every second of
    /// the window counts the same.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub half_life_secs: Option<u64>,
}

impl Default for TimeFairShare {
    fn default() -> Self {
        Self {
            k_value: 0.0,
            window_secs: DEFAULT_WINDOW_SECS,
            half_life_secs: None,
        }
    }
}

impl TimeFairShare {
    /// Whether past usage changes anything.
    pub fn is_on(&self) -> bool {
        self.k_value > 0.0
    }

    /// What one GPU-second that is `age_secs` old counts for now.
    pub fn weigh(&self, age_secs: f64) -> f64 {
        match self.half_life_secs {
            Some(half) if half > 0 => 0.5f64.powf(age_secs.max(0.0) / half as f64),
            _ => 1.0,
        }
    }

    /// Over-quota weights adjusted by usage: `weights[i]` and `usage[i]` of the siblings that
    /// compete for a surplus. With no usage at all, or `k` 0, the weights are unchanged.
    pub fn adjust(&self, weights: &[f64], usage: &[f64]) -> Vec<f64> {
        let total_weight: f64 = weights.iter().sum();
        let total_usage: f64 = usage.iter().sum();
        if !self.is_on() || total_weight <= 0.0 || total_usage <= 0.0 {
            return weights.to_vec();
        }
        weights
            .iter()
            .zip(usage)
            .map(|(&w, &u)| {
                let adjusted = w + self.k_value * (w / total_weight - u / total_usage);
                adjusted.max(0.0)
            })
            .collect()
    }
}

/// One project's weighed GPU time in one node pool, as the snapshot carries it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProjectUsage {
    /// The project.
    pub project: String,
    /// The node pool.
    pub pool: String,
    /// GPU-seconds over the window, weighed by age.
    pub gpu_secs: f64,
}

type Key = (String, String);

/// GPU time of every project per node pool, in buckets of fixed length: what the caller keeps
/// between cycles (the control plane in its store, `rota sim` in memory). Adding to it costs one
/// entry per project holding GPUs; weighing it, one per bucket in the window.
#[derive(Debug, Clone)]
pub struct UsageLedger {
    bucket_ms: u64,
    /// GPU-seconds by (project, pool), by bucket start.
    buckets: BTreeMap<Key, BTreeMap<u64, f64>>,
    /// GPUs each project holds in each pool since `since_ms`, not yet in a bucket.
    holding: BTreeMap<Key, MilliGpus>,
    since_ms: Option<u64>,
}

impl UsageLedger {
    /// An empty ledger with buckets of `bucket_ms` (at least 1 ms).
    pub fn new(bucket_ms: u64) -> Self {
        Self {
            bucket_ms: bucket_ms.max(1),
            buckets: BTreeMap::new(),
            holding: BTreeMap::new(),
            since_ms: None,
        }
    }

    /// The start of the bucket `at_ms` falls in.
    pub fn bucket_of(&self, at_ms: u64) -> u64 {
        at_ms - at_ms % self.bucket_ms
    }

    /// Adds GPU-seconds to the bucket that starts at `bucket_start_ms` (as stored).
    pub fn record(&mut self, project: &str, pool: &str, bucket_start_ms: u64, gpu_secs: f64) {
        if gpu_secs <= 0.0 {
            return;
        }
        let start = self.bucket_of(bucket_start_ms);
        *self
            .buckets
            .entry((project.to_owned(), pool.to_owned()))
            .or_default()
            .entry(start)
            .or_default() += gpu_secs;
    }

    /// Adds `gpus` held from `from_ms` to `to_ms`, split over the buckets the span crosses.
    pub fn add_span(
        &mut self,
        project: &str,
        pool: &str,
        gpus: MilliGpus,
        from_ms: u64,
        to_ms: u64,
    ) {
        if gpus <= MilliGpus::ZERO || to_ms <= from_ms {
            return;
        }
        let mut at = from_ms;
        while at < to_ms {
            let end = (self.bucket_of(at) + self.bucket_ms).min(to_ms);
            let secs = (end - at) as f64 / 1000.0;
            self.record(project, pool, at, gpus.as_gpus() * secs);
            at = end;
        }
    }

    /// Closes the span since the last call at what was held then, and notes what every project
    /// holds from `now_ms` on: `shares` as a cycle's plan reports them (only projects count).
    pub fn hold(&mut self, now_ms: u64, shares: &[QueueShare]) {
        self.advance(now_ms);
        self.holding = shares
            .iter()
            .filter(|s| s.is_project && s.held > MilliGpus::ZERO)
            .map(|s| ((s.name.clone(), s.pool.clone()), s.held))
            .collect();
    }

    /// Adds what is held from the last call up to `now_ms` to the buckets.
    pub fn advance(&mut self, now_ms: u64) {
        if let Some(since) = self.since_ms
            && now_ms > since
        {
            let holding = std::mem::take(&mut self.holding);
            for ((project, pool), &gpus) in &holding {
                self.add_span(project, pool, gpus, since, now_ms);
            }
            self.holding = holding;
        }
        if self.since_ms.is_none_or(|since| now_ms > since) {
            self.since_ms = Some(now_ms);
        }
    }

    /// Forgets buckets that end before `before_ms`.
    pub fn forget_before(&mut self, before_ms: u64) {
        let bucket_ms = self.bucket_ms;
        self.buckets.retain(|_, rows| {
            rows.retain(|&start, _| start + bucket_ms > before_ms);
            !rows.is_empty()
        });
    }

    /// Every project's usage at `now_ms`, weighed over the window. A bucket the window's start
    /// cuts counts for the part inside it (its GPU time taken as spread evenly). Each bucket's
    /// weight is worked out once for all projects.
    pub fn weighed(&self, now_ms: u64, settings: &TimeFairShare) -> Vec<ProjectUsage> {
        let window_start = now_ms.saturating_sub(settings.window_secs.saturating_mul(1000));
        let first = self.bucket_of(window_start);
        let last = self.bucket_of(now_ms);
        let factors: Vec<f64> = (first..=last)
            .step_by(self.bucket_ms as usize)
            .map(|start| {
                let from = start.max(window_start);
                let to = (start + self.bucket_ms).min(now_ms).max(from);
                let inside = (start + self.bucket_ms - from) as f64 / self.bucket_ms as f64;
                let middle = (from + to) as f64 / 2.0;
                inside * settings.weigh((now_ms as f64 - middle) / 1000.0)
            })
            .collect();
        self.buckets
            .iter()
            .filter_map(|((project, pool), rows)| {
                let gpu_secs: f64 = rows
                    .range(first..=last)
                    .map(|(&start, &secs)| {
                        let at = ((start - first) / self.bucket_ms) as usize;
                        secs * factors.get(at).copied().unwrap_or(0.0)
                    })
                    .sum();
                (gpu_secs > 0.0).then(|| ProjectUsage {
                    project: project.clone(),
                    pool: pool.clone(),
                    gpu_secs,
                })
            })
            .collect()
    }

    /// Every bucket: (project, pool, bucket start, GPU-seconds).
    pub fn rows(&self) -> impl Iterator<Item = (&str, &str, u64, f64)> {
        self.buckets.iter().flat_map(|((project, pool), rows)| {
            rows.iter()
                .map(move |(&start, &secs)| (project.as_str(), pool.as_str(), start, secs))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR_MS: u64 = 3_600_000;

    fn settings(k: f64, window_hours: u64, half_life_hours: Option<u64>) -> TimeFairShare {
        TimeFairShare {
            k_value: k,
            window_secs: window_hours * 3600,
            half_life_secs: half_life_hours.map(|h| h * 3600),
        }
    }

    fn usage_of(ledger: &UsageLedger, now_ms: u64, s: &TimeFairShare) -> f64 {
        ledger.weighed(now_ms, s).iter().map(|u| u.gpu_secs).sum()
    }

    #[test]
    fn a_span_is_split_over_the_buckets_it_crosses() {
        let mut ledger = UsageLedger::new(HOUR_MS);
        ledger.add_span(
            "a",
            "default",
            MilliGpus::whole(2),
            HOUR_MS / 2,
            2 * HOUR_MS,
        );
        let rows: Vec<_> = ledger
            .rows()
            .map(|(_, _, start, secs)| (start, secs))
            .collect();
        assert_eq!(rows, vec![(0, 3600.0), (HOUR_MS, 7200.0)]);
    }

    #[test]
    fn usage_outside_the_window_is_forgotten_and_a_cut_bucket_counts_in_part() {
        let mut ledger = UsageLedger::new(HOUR_MS);
        ledger.add_span("a", "default", MilliGpus::ONE, 0, 4 * HOUR_MS);
        let s = settings(1.0, 2, None);
        assert_eq!(usage_of(&ledger, 4 * HOUR_MS, &s), 2.0 * 3600.0);
        // Half an hour later, the window starts in the middle of the third hour.
        assert_eq!(
            usage_of(&ledger, 4 * HOUR_MS + HOUR_MS / 2, &s),
            1.5 * 3600.0
        );
    }

    #[test]
    fn with_a_half_life_older_usage_counts_less() {
        let mut ledger = UsageLedger::new(HOUR_MS);
        ledger.add_span("old", "default", MilliGpus::ONE, 0, HOUR_MS);
        ledger.add_span("new", "default", MilliGpus::ONE, 2 * HOUR_MS, 3 * HOUR_MS);
        let s = settings(1.0, 24, Some(2));
        let got = ledger.weighed(3 * HOUR_MS, &s);
        let old = got.iter().find(|u| u.project == "old").map(|u| u.gpu_secs);
        let new = got.iter().find(|u| u.project == "new").map(|u| u.gpu_secs);
        // Ages at the buckets' middles: 2.5 h and 0.5 h, a half life of 2 h apart.
        let ratio = old.unwrap_or(0.0) / new.unwrap_or(1.0);
        assert!((ratio - 0.5).abs() < 1e-9, "{ratio}");
    }

    #[test]
    fn hold_charges_what_was_held_since_the_last_call() {
        let share = |name: &str, held: i64| QueueShare {
            pool: "default".into(),
            name: name.into(),
            is_project: true,
            deserved: MilliGpus::ZERO,
            fair_share: MilliGpus::ZERO,
            allocated: MilliGpus::ZERO,
            demand: MilliGpus::ZERO,
            held: MilliGpus::whole(held),
            usage_gpu_secs: 0,
        };
        let mut ledger = UsageLedger::new(HOUR_MS);
        ledger.hold(0, &[share("a", 3)]);
        ledger.hold(1000, &[share("a", 1), share("b", 2)]);
        ledger.advance(3000);
        let s = settings(1.0, 1, None);
        let got = ledger.weighed(3000, &s);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].gpu_secs, 3.0 + 2.0);
        assert_eq!(got[1].gpu_secs, 4.0);
    }

    #[test]
    fn adjusted_weights_favour_the_unit_that_used_less() {
        let s = settings(1.0, 1, None);
        let got = s.adjust(&[1.0, 1.0], &[3.0, 1.0]);
        assert_eq!(got, vec![0.75, 1.25]);
        // k = 0, or no usage at all: unchanged.
        assert_eq!(
            settings(0.0, 1, None).adjust(&[1.0, 3.0], &[5.0, 0.0]),
            vec![1.0, 3.0]
        );
        assert_eq!(s.adjust(&[1.0, 3.0], &[0.0, 0.0]), vec![1.0, 3.0]);
        // Never below 0.
        assert_eq!(
            settings(4.0, 1, None).adjust(&[1.0, 1.0], &[1.0, 0.0]),
            vec![0.0, 3.0]
        );
    }
}
