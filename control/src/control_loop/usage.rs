//! The projects' past GPU usage, kept for time-based fair share and the history pages: a
//! [`UsageLedger`] of hourly buckets in memory, read from the store when this server starts to
//! schedule, charged after every cycle with what each project holds, and saved (only the buckets
//! that can have changed) every [`SAVE_EVERY`], in one transaction that also prunes what is older
//! than the retention. Losing the loop loses at most that much accrual.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use rota_scheduler::{TimeFairShare, UsageLedger};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::error::ControlResult;
use crate::store::entity::project_usage;

/// One bucket: an hour.
pub(crate) const BUCKET_MS: u64 = 3_600_000;

/// How often what accrued is saved.
pub(crate) const SAVE_EVERY: Duration = Duration::from_secs(30);

/// The least history kept, whatever the window: a week.
const MIN_RETENTION_MS: u64 = 7 * 86_400_000;

/// Rows written per statement.
const ROWS_PER_INSERT: usize = 500;

/// While time-based fair share is on and workloads wait, a cycle runs at least this often: fair
/// shares move as usage accrues, though nothing else changes.
pub(crate) const RECHECK_MS: u64 = 60_000;

/// The ledger and what of it is saved.
#[derive(Debug)]
pub(crate) struct Usage {
    pub ledger: UsageLedger,
    /// The project names the ledger was read with, by row id (the ledger keys by name).
    project_names: BTreeMap<i32, String>,
    /// The time up to which the store has every bucket.
    saved_ms: u64,
    saved_at: Instant,
}

/// How far back usage is kept for `settings`.
pub(crate) fn retention_ms(settings: &TimeFairShare) -> u64 {
    settings
        .window_secs
        .saturating_mul(1000)
        .max(MIN_RETENTION_MS)
        .saturating_add(BUCKET_MS)
}

impl Usage {
    /// Reads the buckets within the retention. Rows of projects or pools that are gone are
    /// skipped.
    pub async fn load(
        db: &impl ConnectionTrait,
        project_names: &BTreeMap<i32, String>,
        pool_names: &BTreeMap<i32, String>,
        settings: &TimeFairShare,
        now_ms: u64,
    ) -> ControlResult<Self> {
        let since = now_ms.saturating_sub(retention_ms(settings));
        let rows = project_usage::Entity::find()
            .filter(project_usage::Column::BucketStartMs.gte(i64::try_from(since).unwrap_or(0)))
            .filter(project_usage::Column::ProjectId.is_in(project_names.keys().copied()))
            .all(db)
            .await?;
        let mut ledger = UsageLedger::new(BUCKET_MS);
        for row in rows {
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
            project_names: project_names.clone(),
            saved_ms: now_ms,
            saved_at: Instant::now(),
        })
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
        pool_ids: &BTreeMap<String, i32>,
        settings: &TimeFairShare,
        now_ms: u64,
    ) -> ControlResult<()> {
        self.ledger.advance(now_ms);
        let project_ids: BTreeMap<&str, i32> = self
            .project_names
            .iter()
            .map(|(&id, name)| (name.as_str(), id))
            .collect();
        let rows: Vec<project_usage::ActiveModel> = self
            .ledger
            .rows_from(self.saved_ms)
            .filter_map(|(project, pool, start, secs)| {
                Some(project_usage::ActiveModel {
                    project_id: sea_orm::ActiveValue::Set(*project_ids.get(project)?),
                    node_pool_id: sea_orm::ActiveValue::Set(*pool_ids.get(pool)?),
                    bucket_start_ms: sea_orm::ActiveValue::Set(i64::try_from(start).ok()?),
                    gpu_secs: sea_orm::ActiveValue::Set(secs),
                })
            })
            .collect();
        for chunk in rows.chunks(ROWS_PER_INSERT) {
            project_usage::Entity::insert_many(chunk.to_vec())
                .on_conflict(
                    OnConflict::columns([
                        project_usage::Column::ProjectId,
                        project_usage::Column::NodePoolId,
                        project_usage::Column::BucketStartMs,
                    ])
                    .update_column(project_usage::Column::GpuSecs)
                    .to_owned(),
                )
                .exec_without_returning(db)
                .await?;
        }
        let horizon = now_ms.saturating_sub(retention_ms(settings));
        project_usage::Entity::delete_many()
            .filter(project_usage::Column::BucketStartMs.lt(i64::try_from(horizon).unwrap_or(0)))
            .exec(db)
            .await?;
        self.ledger.forget_before(horizon);
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
        usage
            .save(&txn, &loaded.pool_ids, &loaded.time_fair_share, now_ms)
            .await?;
        txn.commit().await?;
        Ok(())
    }
}
