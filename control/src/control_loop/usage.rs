//! The projects' past GPU usage, kept for time-based fair share (a [`UsageLedger`] of hourly
//! buckets) and for the Overview ([`History`]): read from the store when this server starts to
//! schedule, charged after every cycle with what each project holds, and saved (only the buckets
//! that can have changed) every [`SAVE_EVERY`], in one transaction that also prunes what is older
//! than the retention. Losing the loop loses at most that much accrual.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use rota_scheduler::{Plan, TimeFairShare, UsageLedger};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter};

use super::history::{HOUR_MS, History, MINUTE_MS, MINUTE_RETENTION_MS, bucket_of};
use super::snapshot::Loaded;
use crate::error::ControlResult;
use crate::store::entity::project_usage;

/// How often what accrued is saved.
pub(crate) const SAVE_EVERY: Duration = Duration::from_secs(30);

/// History kept by default, and at least: a week (the Overview's longest range).
pub const DEFAULT_HISTORY: Duration = Duration::from_secs(7 * 86_400);

/// Rows written per statement.
const ROWS_PER_INSERT: usize = 500;

/// While time-based fair share is on and workloads wait, a cycle runs at least this often: fair
/// shares move as usage accrues, though nothing else changes.
pub(crate) const RECHECK_MS: u64 = 60_000;

/// The ledger, the history, and what of them is saved.
#[derive(Debug)]
pub(crate) struct Usage {
    pub ledger: UsageLedger,
    pub history: History,
    /// The project names the ledger was read with, by row id (the ledger keys by name).
    project_names: BTreeMap<i32, String>,
    /// The time up to which the store has every bucket.
    saved_ms: u64,
    saved_at: Instant,
    /// How long hourly history is kept (at least the usage window).
    keep: Duration,
}

/// How far back hourly usage is kept: the history setting `keep` (at least a week), or the
/// usage window of `settings` when that is longer.
pub(crate) fn retention_ms(settings: &TimeFairShare, keep: Duration) -> u64 {
    let keep_ms = u64::try_from(keep.max(DEFAULT_HISTORY).as_millis()).unwrap_or(u64::MAX);
    settings
        .window_secs
        .saturating_mul(1000)
        .max(keep_ms)
        .saturating_add(HOUR_MS)
}

fn ms(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

impl Usage {
    /// Reads the buckets within the retention. Rows of projects or pools that are gone are
    /// left out of the ledger.
    pub async fn load(
        db: &impl ConnectionTrait,
        project_names: &BTreeMap<i32, String>,
        pool_names: &BTreeMap<i32, String>,
        settings: &TimeFairShare,
        keep: Duration,
        now_ms: u64,
    ) -> ControlResult<Self> {
        let hours_since = now_ms.saturating_sub(retention_ms(settings, keep));
        let minutes_since = now_ms.saturating_sub(MINUTE_RETENTION_MS);
        let rows = project_usage::Entity::find()
            .filter(
                Condition::any()
                    .add(
                        Condition::all()
                            .add(project_usage::Column::SpanMs.eq(ms(HOUR_MS)))
                            .add(project_usage::Column::BucketStartMs.gte(ms(hours_since))),
                    )
                    .add(
                        Condition::all()
                            .add(project_usage::Column::SpanMs.eq(ms(MINUTE_MS)))
                            .add(project_usage::Column::BucketStartMs.gte(ms(minutes_since))),
                    ),
            )
            .all(db)
            .await?;
        let mut ledger = UsageLedger::new(HOUR_MS);
        for row in rows.iter().filter(|r| r.span_ms == ms(HOUR_MS)) {
            if let (Some(project), Some(pool), Ok(start)) = (
                project_names.get(&row.project_id),
                pool_names.get(&row.node_pool_id),
                u64::try_from(row.bucket_start_ms),
            ) {
                ledger.record(project, pool, start, row.gpu_secs);
            }
        }
        Ok(Usage {
            ledger,
            history: History::from_rows(&rows),
            project_names: project_names.clone(),
            saved_ms: now_ms,
            saved_at: Instant::now(),
            keep,
        })
    }

    /// Notes what every project holds from `now_ms` on, as `plan` leaves it (after charging
    /// the time since the last cycle).
    pub fn hold(&mut self, now_ms: u64, plan: &Plan, loaded: &Loaded) {
        self.ledger.hold(now_ms, &plan.shares);
        let project_ids: BTreeMap<&str, i32> = self
            .project_names
            .iter()
            .map(|(&id, name)| (name.as_str(), id))
            .collect();
        let mut capacity: BTreeMap<&str, f64> = BTreeMap::new();
        for n in &loaded.snapshot.nodes {
            *capacity.entry(n.pool.as_str()).or_default() += f64::from(n.gpus);
        }
        self.history
            .hold(now_ms, plan, &project_ids, &loaded.pool_ids, &capacity);
    }

    /// Charges the time since the last cycle.
    pub fn advance(&mut self, now_ms: u64) {
        self.ledger.advance(now_ms);
        self.history.advance(now_ms);
    }

    /// Whether it is time to save, saving `every` so often.
    pub fn save_due(&self, every: Duration) -> bool {
        self.saved_at.elapsed() >= every
    }

    /// Writes the buckets that changed since the last save and prunes those past the retention,
    /// inside the caller's transaction.
    pub async fn save(
        &mut self,
        db: &impl ConnectionTrait,
        settings: &TimeFairShare,
        now_ms: u64,
    ) -> ControlResult<()> {
        self.advance(now_ms);
        let rows = self.history.rows_from(self.saved_ms);
        for chunk in rows.chunks(ROWS_PER_INSERT) {
            project_usage::Entity::insert_many(chunk.to_vec())
                .on_conflict(
                    OnConflict::columns([
                        project_usage::Column::ProjectId,
                        project_usage::Column::NodePoolId,
                        project_usage::Column::SpanMs,
                        project_usage::Column::BucketStartMs,
                    ])
                    .update_columns([
                        project_usage::Column::GpuSecs,
                        project_usage::Column::DeservedGpuSecs,
                        project_usage::Column::FairShareGpuSecs,
                        project_usage::Column::CapacityGpuSecs,
                        project_usage::Column::PendingSecs,
                        project_usage::Column::LongestWaitSecs,
                        project_usage::Column::CoveredSecs,
                    ])
                    .to_owned(),
                )
                .exec_without_returning(db)
                .await?;
        }
        let hours_before = bucket_of(
            now_ms.saturating_sub(retention_ms(settings, self.keep)),
            HOUR_MS,
        );
        let minutes_before = bucket_of(now_ms.saturating_sub(MINUTE_RETENTION_MS), MINUTE_MS);
        for (span, before) in [(HOUR_MS, hours_before), (MINUTE_MS, minutes_before)] {
            project_usage::Entity::delete_many()
                .filter(project_usage::Column::SpanMs.eq(ms(span)))
                .filter(project_usage::Column::BucketStartMs.lt(ms(before)))
                .exec(db)
                .await?;
        }
        self.ledger.forget_before(hours_before);
        self.history.forget(minutes_before, hours_before);
        self.saved_ms = now_ms;
        self.saved_at = Instant::now();
        Ok(())
    }
}

impl super::Control {
    /// The usage ledger, read from the store the first time and again whenever projects were
    /// added, removed or renamed (what it had accrued is saved first, under the old names).
    pub(super) async fn usage_ready<'a>(
        &self,
        slot: &'a mut Option<Usage>,
        loaded: &super::snapshot::Loaded,
        now_ms: u64,
    ) -> ControlResult<&'a mut Usage> {
        let stale = slot
            .as_ref()
            .is_none_or(|u| u.project_names != loaded.project_names);
        if stale {
            if let Some(mut old) = slot.take() {
                self.save_usage(&mut old, loaded, now_ms).await?;
            }
            let pool_names: BTreeMap<i32, String> = loaded
                .pool_ids
                .iter()
                .map(|(name, &id)| (id, name.clone()))
                .collect();
            *slot = Some(
                Usage::load(
                    &self.store.db,
                    &loaded.project_names,
                    &pool_names,
                    &loaded.time_fair_share,
                    self.keep_history,
                    now_ms,
                )
                .await?,
            );
        }
        slot.as_mut()
            .ok_or_else(|| crate::ControlError::Corrupt("the usage ledger is missing".into()))
    }

    /// Saves what accrued, in one fenced transaction.
    pub(super) async fn save_usage(
        &self,
        usage: &mut Usage,
        loaded: &super::snapshot::Loaded,
        now_ms: u64,
    ) -> ControlResult<()> {
        let txn = self.write().await?;
        usage.save(&txn, &loaded.time_fair_share, now_ms).await?;
        txn.commit().await?;
        Ok(())
    }
}
