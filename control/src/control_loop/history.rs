//! The cluster's history, for the Overview's charts and for time-based fair share: per project and
//! node pool, in buckets of a minute and of an hour, the GPU-seconds it held, deserved and was
//! fairly due; per pool, its capacity; for the cluster, its pending workloads and the longest
//! wait. Charged from each cycle's plan for the time until the next one, so a cycle costs one
//! update per unit, never a walk of the past.

use std::collections::BTreeMap;

use rota_scheduler::Plan;
use sea_orm::ActiveValue::Set;

use crate::store::entity::project_usage;

/// The fine buckets: a minute.
pub(crate) const MINUTE_MS: u64 = 60_000;
/// The coarse buckets: an hour (what time-based fair share weighs).
pub(crate) const HOUR_MS: u64 = 3_600_000;
/// Minute buckets are kept this long: the finest chart shows the last hour.
pub(crate) const MINUTE_RETENTION_MS: u64 = 3 * HOUR_MS;
/// The bucket lengths, finest first.
pub(crate) const SPANS: [u64; 2] = [MINUTE_MS, HOUR_MS];

/// The row of a whole node pool, and (with pool 0) of the cluster's pending workloads.
pub(crate) const WHOLE: i32 = 0;

/// One bucket's integrals (GPU-seconds; workload-seconds for `pending`) and the longest wait
/// seen in it (seconds).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Totals {
    pub held: f64,
    pub deserved: f64,
    pub fair_share: f64,
    pub capacity: f64,
    pub pending: f64,
    pub longest_wait: f64,
    /// Seconds of the bucket charged: averages divide by it.
    pub covered: f64,
}

/// What a row's unit holds from one cycle to the next.
#[derive(Debug, Clone, Copy, Default)]
struct Rates {
    held: f64,
    deserved: f64,
    fair_share: f64,
    capacity: f64,
    pending: f64,
}

/// (project or [`WHOLE`], node pool or [`WHOLE`]).
pub(crate) type Unit = (i32, i32);

/// Buckets by (span, start, unit), so that one span's recent buckets are one range.
type Buckets = BTreeMap<(u64, u64, Unit), Totals>;

#[derive(Debug, Default)]
pub(crate) struct History {
    buckets: Buckets,
    rates: BTreeMap<Unit, Rates>,
    since_ms: Option<u64>,
    /// When this server first saw each pending workload waiting.
    waiting_since: BTreeMap<u64, u64>,
    /// The earliest of those, while any wait.
    oldest_wait_ms: Option<u64>,
}

/// The start of the bucket of `span` that `at_ms` falls in.
pub(crate) fn bucket_of(at_ms: u64, span: u64) -> u64 {
    at_ms - at_ms % span
}

impl History {
    /// The history as stored.
    pub fn from_rows(rows: &[project_usage::Model]) -> Self {
        let mut history = History::default();
        for r in rows {
            let (Ok(span), Ok(start)) =
                (u64::try_from(r.span_ms), u64::try_from(r.bucket_start_ms))
            else {
                continue;
            };
            history.buckets.insert(
                (span, start, (r.project_id, r.node_pool_id)),
                Totals {
                    held: r.gpu_secs,
                    deserved: r.deserved_gpu_secs,
                    fair_share: r.fair_share_gpu_secs,
                    capacity: r.capacity_gpu_secs,
                    pending: r.pending_secs,
                    longest_wait: r.longest_wait_secs,
                    covered: r.covered_secs,
                },
            );
        }
        history
    }

    /// Charges what each unit held since the last call up to `now_ms`.
    pub fn advance(&mut self, now_ms: u64) {
        let Some(since) = self.since_ms.filter(|&s| now_ms > s) else {
            if self.since_ms.is_none() {
                self.since_ms = Some(now_ms);
            }
            return;
        };
        for span in SPANS {
            let mut at = since;
            while at < now_ms {
                let start = bucket_of(at, span);
                let end = (start + span).min(now_ms);
                let secs = (end - at) as f64 / 1000.0;
                for (&unit, r) in &self.rates {
                    let t = self.buckets.entry((span, start, unit)).or_default();
                    t.held += r.held * secs;
                    t.deserved += r.deserved * secs;
                    t.fair_share += r.fair_share * secs;
                    t.capacity += r.capacity * secs;
                    t.pending += r.pending * secs;
                    t.covered += secs;
                }
                at = end;
            }
            self.note_wait(span, now_ms);
        }
        self.since_ms = Some(now_ms);
    }

    fn note_wait(&mut self, span: u64, now_ms: u64) {
        if let Some(oldest) = self.oldest_wait_ms {
            let wait = now_ms.saturating_sub(oldest) as f64 / 1000.0;
            let t = self
                .buckets
                .entry((span, bucket_of(now_ms, span), (WHOLE, WHOLE)))
                .or_default();
            t.longest_wait = t.longest_wait.max(wait);
        }
    }

    /// Closes the span since the last call, and notes what each unit holds from `now_ms` on, as
    /// `plan` leaves it. `project_ids` and `pool_ids` map names to rows; `capacity` is each
    /// pool's GPUs.
    pub fn hold(
        &mut self,
        now_ms: u64,
        plan: &Plan,
        project_ids: &BTreeMap<&str, i32>,
        pool_ids: &BTreeMap<String, i32>,
        capacity: &BTreeMap<&str, f64>,
    ) {
        self.advance(now_ms);
        let mut rates: BTreeMap<Unit, Rates> = BTreeMap::new();
        for s in plan.shares.iter().filter(|s| s.is_project) {
            let (Some(&project), Some(&pool)) =
                (project_ids.get(s.name.as_str()), pool_ids.get(&s.pool))
            else {
                continue;
            };
            rates.insert(
                (project, pool),
                Rates {
                    held: s.held.as_gpus(),
                    deserved: s.deserved.as_gpus(),
                    fair_share: s.fair_share.as_gpus(),
                    ..Rates::default()
                },
            );
            rates.entry((WHOLE, pool)).or_default().held += s.held.as_gpus();
        }
        for (pool, &gpus) in capacity {
            if let Some(&id) = pool_ids.get(*pool) {
                rates.entry((WHOLE, id)).or_default().capacity = gpus;
            }
        }
        rates.entry((WHOLE, WHOLE)).or_default().pending = plan.pending.len() as f64;
        self.rates = rates;
        self.track_waits(now_ms, plan);
        for span in SPANS {
            self.note_wait(span, now_ms);
        }
    }

    /// Keeps when each pending workload started waiting (as seen here): one merge of two
    /// ordered maps.
    fn track_waits(&mut self, now_ms: u64, plan: &Plan) {
        let mut old = std::mem::take(&mut self.waiting_since)
            .into_iter()
            .peekable();
        let mut kept = BTreeMap::new();
        let mut oldest: Option<u64> = None;
        for &id in plan.pending.keys() {
            while old.next_if(|(o, _)| *o < id).is_some() {}
            let since = old.next_if(|(o, _)| *o == id).map_or(now_ms, |(_, s)| s);
            oldest = Some(oldest.map_or(since, |o| o.min(since)));
            kept.insert(id, since);
        }
        self.waiting_since = kept;
        self.oldest_wait_ms = oldest;
    }

    /// Buckets that can have changed since `from_ms`, as rows.
    pub fn rows_from(&self, from_ms: u64) -> Vec<project_usage::ActiveModel> {
        let mut rows = Vec::new();
        for span in SPANS {
            let from = (span, bucket_of(from_ms, span), (i32::MIN, i32::MIN));
            let to = (span, u64::MAX, (i32::MAX, i32::MAX));
            for (&(span, start, (project, pool)), t) in self.buckets.range(from..=to) {
                rows.push(project_usage::ActiveModel {
                    project_id: Set(project),
                    node_pool_id: Set(pool),
                    span_ms: Set(span as i64),
                    bucket_start_ms: Set(start as i64),
                    gpu_secs: Set(t.held),
                    deserved_gpu_secs: Set(t.deserved),
                    fair_share_gpu_secs: Set(t.fair_share),
                    capacity_gpu_secs: Set(t.capacity),
                    pending_secs: Set(t.pending),
                    longest_wait_secs: Set(t.longest_wait),
                    covered_secs: Set(t.covered),
                });
            }
        }
        rows
    }

    /// Forgets minute buckets that start before `minutes_before` and hour buckets before
    /// `hours_before`.
    pub fn forget(&mut self, minutes_before: u64, hours_before: u64) {
        let keep_minutes =
            self.buckets
                .split_off(&(MINUTE_MS, minutes_before, (i32::MIN, i32::MIN)));
        let mut hours = keep_minutes;
        let mut recent_hours = hours.split_off(&(HOUR_MS, hours_before, (i32::MIN, i32::MIN)));
        // `hours` now holds the kept minutes and the old hours: keep the minutes.
        hours.retain(|&(span, _, _), _| span == MINUTE_MS);
        recent_hours.append(&mut hours);
        self.buckets = recent_hours;
    }

    /// A bucket, for tests.
    #[cfg(test)]
    pub fn bucket(&self, span: u64, start: u64, unit: Unit) -> Option<Totals> {
        self.buckets.get(&(span, start, unit)).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rota_scheduler::{MilliGpus, PendingReason, QueueShare};

    fn plan(held: i64, pending: &[u64]) -> Plan {
        let mut plan = Plan::default();
        plan.shares.push(QueueShare {
            pool: "default".into(),
            name: "a".into(),
            is_project: true,
            deserved: MilliGpus::whole(2),
            fair_share: MilliGpus::whole(3),
            allocated: MilliGpus::whole(held),
            demand: MilliGpus::whole(held),
            held: MilliGpus::whole(held),
            usage_gpu_secs: 0,
        });
        for &id in pending {
            plan.pending
                .insert(id, PendingReason::SetAside { why: "test".into() });
        }
        plan
    }

    #[test]
    fn what_a_plan_leaves_is_charged_until_the_next_one_in_both_resolutions() {
        let projects = BTreeMap::from([("a", 7)]);
        let pools = BTreeMap::from([("default".to_owned(), 1)]);
        let capacity = BTreeMap::from([("default", 4.0)]);
        let mut h = History::default();
        let t0 = 10 * HOUR_MS;
        h.hold(t0, &plan(2, &[5, 9]), &projects, &pools, &capacity);
        // 90 s later: a minute and a half of 2 GPUs, 4 of capacity, 2 waiting.
        h.hold(t0 + 90_000, &plan(1, &[9]), &projects, &pools, &capacity);
        let a = h.bucket(MINUTE_MS, t0, (7, 1)).expect("charged");
        assert_eq!((a.held, a.deserved, a.fair_share), (120.0, 120.0, 180.0));
        assert_eq!(a.covered, 60.0);
        let next = h
            .bucket(MINUTE_MS, t0 + MINUTE_MS, (7, 1))
            .expect("charged");
        assert_eq!(next.held, 60.0);
        let hour = h.bucket(HOUR_MS, t0, (7, 1)).expect("charged");
        assert_eq!(hour.held, 180.0);
        let pool = h.bucket(HOUR_MS, t0, (WHOLE, 1)).expect("charged");
        assert_eq!((pool.held, pool.capacity), (180.0, 360.0));
        let pending = h.bucket(HOUR_MS, t0, (WHOLE, WHOLE)).expect("charged");
        assert_eq!(pending.pending, 180.0);
        // Workload 9 has waited since t0.
        assert_eq!(pending.longest_wait, 90.0);
        h.advance(t0 + 150_000);
        let pending = h.bucket(HOUR_MS, t0, (WHOLE, WHOLE)).expect("charged");
        assert_eq!(
            (pending.pending, pending.longest_wait),
            (180.0 + 60.0, 150.0)
        );
        assert_eq!(h.rows_from(t0 + 125_000).len(), 3 + 3);
        h.forget(t0 + MINUTE_MS, t0 + HOUR_MS);
        assert!(h.bucket(MINUTE_MS, t0, (7, 1)).is_none());
        assert!(h.bucket(MINUTE_MS, t0 + MINUTE_MS, (7, 1)).is_some());
        assert!(h.bucket(HOUR_MS, t0, (7, 1)).is_none());
    }
}
