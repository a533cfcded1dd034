//! The scheduling loop: woken by events (submit, delete, quota change, pod exit) and by a slow tick,
//! debounced; it brings its snapshot up to date, asks `rota_scheduler` for a plan, commits the plan
//! in one transaction, then has the executor carry it out — until a cycle changes nothing.
//!
//! The snapshot is read whole once, then kept: services report what they changed ([`Change`]),
//! the loop applies that and its own plans, and every few seconds it compares a fingerprint of
//! the store (live workloads, their pods) with what it keeps, reading the store whole again only
//! when they differ. A tick with nothing new after a cycle that changed nothing runs no cycle.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use rota_scheduler::Config;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use tokio::sync::Notify;

use crate::error::ControlResult;
use crate::executor::{Executor, RunningPod};
use crate::metrics::{Metrics, PhaseTimes};
use crate::store::Store;
use crate::store::entity::{pod, workload};
use crate::time::now_ms;

mod commit;
pub(crate) mod snapshot;

pub(crate) use commit::insert_event;

/// The longest the loop holds back after a wake-up because its last pass was long.
const MAX_BACKOFF: Duration = Duration::from_millis(20);

/// Cycles one wake-up may run before it yields; a settled cluster needs one or two.
pub const MAX_CYCLES_PER_WAKE: usize = 50;

/// What a service changed, so that the loop can update its snapshot instead of re-reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// A workload was submitted (its row id).
    Submitted(i32),
    /// A workload was deleted (its row id).
    Ended(i32),
    /// Projects, departments, quotas or nodes changed: read everything again.
    Organization,
}

/// Wakes the loop and tells it what changed. Cheap to clone; waking a loop that is already awake
/// is free.
#[derive(Debug, Clone)]
pub struct Wake {
    notify: Arc<Notify>,
    changes: Arc<std::sync::Mutex<Vec<Change>>>,
    /// Counts what people can see change (submissions, deletions, committed plans), for pages
    /// that follow the cluster live.
    seen: Arc<tokio::sync::watch::Sender<u64>>,
}

impl Default for Wake {
    fn default() -> Self {
        Wake {
            notify: Arc::default(),
            changes: Arc::default(),
            seen: Arc::new(tokio::sync::watch::Sender::new(0)),
        }
    }
}

impl Wake {
    /// Asks for a scheduling pass soon.
    pub fn wake(&self) {
        self.notify.notify_one();
    }

    /// Records a change (after its transaction committed) and wakes the loop.
    pub fn changed(&self, change: Change) {
        self.changed_all([change]);
    }

    /// Records changes committed together, and wakes the loop once.
    pub fn changed_all(&self, all: impl IntoIterator<Item = Change>) {
        if let Ok(mut changes) = self.changes.lock() {
            changes.extend(all);
        }
        self.announce();
        self.wake();
    }

    /// Tells whoever follows the cluster that something they can see changed.
    pub fn announce(&self) {
        self.seen.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// Follows visible changes: the receiver sees a new value after each [`Wake::announce`].
    pub fn subscribe(&self) -> tokio::sync::watch::Receiver<u64> {
        self.seen.subscribe()
    }

    fn drain(&self) -> Vec<Change> {
        self.changes
            .lock()
            .map(|mut c| std::mem::take(&mut *c))
            .unwrap_or_default()
    }

    async fn wait(&self, tick: Duration) {
        let _ = tokio::time::timeout(tick, self.notify.notified()).await;
    }
}

/// How long the loop trusts its snapshot, by default, before it checks it against the store's
/// fingerprint (live workloads, the newest, their pods): a few counting queries, not a read of
/// every row.
pub const CHECK_EVERY: Duration = Duration::from_secs(5);

/// Why each workload waits, as the last cycle said: derived data, kept in memory and shared with
/// the services that show workloads.
#[derive(Debug, Clone, Default)]
pub struct Reasons(Arc<std::sync::RwLock<BTreeMap<i32, String>>>);

impl Reasons {
    fn replace(&self, plan: &rota_scheduler::Plan) {
        let fresh: BTreeMap<i32, String> = plan
            .pending
            .iter()
            .filter_map(|(&id, r)| i32::try_from(id).ok().map(|id| (id, r.to_string())))
            .collect();
        if let Ok(mut map) = self.0.write() {
            *map = fresh;
        }
    }

    /// The last cycle's reason for a workload (by row id), if it waits.
    pub fn get(&self, id: i32) -> Option<String> {
        self.0.read().ok().and_then(|m| m.get(&id).cloned())
    }
}

/// How [`Control::refresh`] brought the kept snapshot up to date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refreshed {
    /// Nothing was reported since the last cycle.
    Unchanged,
    /// Reported changes were applied.
    Updated,
    /// The store was read whole.
    ReadWhole,
}

/// What one settle did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Settled {
    /// Cycles run.
    pub cycles: usize,
    /// Pods started.
    pub started: usize,
    /// Pods stopped.
    pub stopped: usize,
    /// Workloads that ended on their own.
    pub exited: usize,
}

/// The scheduling loop of one cluster.
#[derive(Debug, Clone)]
pub struct Control {
    store: Store,
    wake: Wake,
    executor: Arc<dyn Executor>,
    cluster_id: i32,
    metrics: Metrics,
    reasons: Reasons,
    /// The snapshot as the last cycle left it, and when it was last read whole.
    cache: Arc<tokio::sync::Mutex<Option<(snapshot::Loaded, Instant)>>>,
    /// The last cycle bound, evicted and wrote nothing.
    quiet: Arc<AtomicBool>,
    /// How long after a wake-up the loop waits for more events before it runs.
    pub debounce: Duration,
    /// How often it runs without being woken (durations end, executors report).
    pub tick: Duration,
    /// How long it trusts its kept snapshot before checking it against the store.
    pub check_every: Duration,
}

impl Control {
    /// A loop over `store`'s cluster `cluster_id`, woken through `wake`.
    pub fn new(
        store: Store,
        wake: Wake,
        executor: Arc<dyn Executor>,
        cluster_id: i32,
        metrics: Metrics,
        reasons: Reasons,
    ) -> Self {
        Control {
            store,
            wake,
            executor,
            cluster_id,
            metrics,
            reasons,
            cache: Arc::default(),
            quiet: Arc::default(),
            debounce: Duration::from_millis(2),
            tick: Duration::from_millis(500),
            check_every: CHECK_EVERY,
        }
    }

    /// Runs forever: wait, debounce, settle.
    pub fn spawn(self) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut last = Duration::ZERO;
            loop {
                self.wake.wait(self.tick).await;
                // Under a stream of events, let at least as much time pass as the last pass
                // took: the loop then uses at most half a core and the API keeps the rest.
                tokio::time::sleep(self.debounce.max(last.min(MAX_BACKOFF))).await;
                let started = Instant::now();
                if let Err(e) = self.settle().await {
                    tracing::error!(error = %e, "scheduling pass failed; retrying on the next wake-up");
                }
                last = started.elapsed();
            }
        })
    }

    /// Runs cycles until one changes nothing (or [`MAX_CYCLES_PER_WAKE`] ran).
    pub async fn settle(&self) -> ControlResult<Settled> {
        let mut settled = Settled::default();
        for _ in 0..MAX_CYCLES_PER_WAKE {
            let exits = self.reap_exits().await?;
            settled.exited += exits;
            let started = Instant::now();
            let mut phases = PhaseTimes::default();
            let mut cache = self.cache.lock().await;
            let refreshed = self.refresh(&mut cache).await?;
            // The scheduler has no clock: on the same snapshot it makes the same plan. When the
            // last cycle changed nothing and nothing happened since, another would only repeat it.
            if exits == 0 && refreshed == Refreshed::Unchanged && self.quiet.load(Ordering::Relaxed)
            {
                break;
            }
            let Some((loaded, _)) = cache.as_mut() else {
                return Err(crate::ControlError::Corrupt(
                    "the snapshot cache is empty".into(),
                ));
            };
            phases.load = started.elapsed();
            let config = Config {
                placement: loaded.placements.clone(),
                ..Config::default()
            };
            // The cycle is CPU-bound (tens of ms with thousands pending): it runs on a blocking
            // thread so that the runtime's workers keep answering requests meanwhile.
            let snapshot = std::mem::take(&mut loaded.snapshot);
            let ran = tokio::task::spawn_blocking(move || {
                let mut times = PhaseTimes::default();
                let plan = schedule(&snapshot, &config, &mut times);
                (snapshot, plan.map(|plan| (plan, times)))
            })
            .await;
            let Ok((snapshot, planned)) = ran else {
                // The snapshot went with the task: read the store whole next time.
                *cache = None;
                return Err(crate::ControlError::Corrupt(
                    "the scheduling cycle panicked".into(),
                ));
            };
            loaded.snapshot = snapshot;
            let (plan, times) = planned?;
            phases = PhaseTimes {
                load: phases.load,
                commit: phases.commit,
                ..times
            };
            settled.cycles += 1;
            let committing = Instant::now();
            let wrote = !commit::touched(loaded, &plan)?.is_empty();
            self.quiet
                .store(!wrote && plan.is_idle(), Ordering::Relaxed);
            let orders = if wrote {
                let txn = self.store.write().await?;
                let orders = commit::commit(&txn, loaded, &plan, now_ms()).await?;
                txn.commit().await?;
                orders
            } else {
                commit::Orders::default()
            };
            remember(loaded, &plan);
            drop(cache);
            phases.commit = committing.elapsed();
            self.reasons.replace(&plan);
            self.metrics.record(&plan, started.elapsed(), phases);
            tracing::debug!(
                cycle_ms = started.elapsed().as_secs_f64() * 1e3,
                load_ms = phases.load.as_secs_f64() * 1e3,
                commit_ms = phases.commit.as_secs_f64() * 1e3,
                read_whole = refreshed == Refreshed::ReadWhole,
                binds = plan.binds.len(),
                evictions = plan.evictions.len(),
                pending = plan.pending.len(),
                "scheduling cycle"
            );
            for stop in &orders.stops {
                self.executor.stop(stop);
            }
            for start in &orders.starts {
                self.executor.start(start);
            }
            if wrote || exits > 0 {
                self.wake.announce();
            }
            settled.started += orders.starts.len();
            settled.stopped += orders.stops.len();
            if plan.is_idle() {
                break;
            }
        }
        Ok(settled)
    }

    /// Brings the cached snapshot up to date with the changes services (and exits) reported: the
    /// organization read again when it changed, new workloads read, ended ones dropped. Reads
    /// the store whole only when there is no snapshot yet or the kept one no longer matches the
    /// store's fingerprint.
    async fn refresh(
        &self,
        cache: &mut Option<(snapshot::Loaded, Instant)>,
    ) -> ControlResult<Refreshed> {
        if let Some((loaded, checked)) = cache.as_mut() {
            match self.keep_up(loaded, checked).await {
                Ok(Some(true)) => return Ok(Refreshed::Updated),
                Ok(Some(false)) => return Ok(Refreshed::Unchanged),
                // keep_up logged both fingerprints.
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "updating the kept snapshot failed; reading it whole");
                }
            }
        }
        *cache = Some((
            snapshot::load(&self.store.db, self.cluster_id).await?,
            Instant::now(),
        ));
        Ok(Refreshed::ReadWhole)
    }

    /// Applies the reported changes to `loaded` (answering whether there were any); every
    /// `check_every` also compares it with the store's fingerprint. None when they differ even
    /// after the changes reported meanwhile.
    async fn keep_up(
        &self,
        loaded: &mut snapshot::Loaded,
        checked: &mut Instant,
    ) -> ControlResult<Option<bool>> {
        let check = checked.elapsed() >= self.check_every;
        let mut changed = false;
        for attempt in 0..2 {
            let changes = self.wake.drain();
            changed |= !changes.is_empty();
            if changes.contains(&Change::Organization) {
                loaded.reorganize(
                    snapshot::load_organization(&self.store.db, self.cluster_id).await?,
                )?;
            }
            self.apply_changes(loaded, &changes).await?;
            if !check {
                return Ok(Some(changed));
            }
            let store =
                snapshot::fingerprint(&self.store.db, self.cluster_id, loaded.check_bound())
                    .await?;
            if loaded.agrees_with(store) {
                *checked = Instant::now();
                return Ok(Some(changed));
            }
            if attempt == 0 {
                // A deletion may have committed a moment before it was reported.
                tokio::task::yield_now().await;
            } else {
                let kept = loaded.fingerprint();
                tracing::warn!(
                    ?store,
                    ?kept,
                    "the kept snapshot no longer matches the store; reading it whole"
                );
            }
        }
        Ok(None)
    }

    async fn apply_changes(
        &self,
        loaded: &mut snapshot::Loaded,
        changes: &[Change],
    ) -> ControlResult<()> {
        let ended: BTreeSet<i32> = changes
            .iter()
            .filter_map(|c| match *c {
                Change::Ended(id) => Some(id),
                _ => None,
            })
            .collect();
        // The new workloads, read together (a burst of submissions is one query, not one each),
        // in the order they were submitted.
        let mut new: Vec<i32> = changes
            .iter()
            .filter_map(|c| match *c {
                Change::Submitted(id)
                    if !loaded.workloads.contains_key(&id) && !ended.contains(&id) =>
                {
                    Some(id)
                }
                _ => None,
            })
            .collect();
        new.sort_unstable();
        new.dedup();
        if !ended.is_empty() {
            loaded
                .snapshot
                .workloads
                .retain(|w| i32::try_from(w.id).map_or(true, |id| !ended.contains(&id)));
            loaded.workloads.retain(|id, _| !ended.contains(id));
        }
        for chunk in new.chunks(500) {
            for row in
                snapshot::live_workloads(&self.store.db, self.cluster_id, Some(chunk)).await?
            {
                let w = snapshot::to_workload(
                    &row,
                    Vec::new(),
                    &loaded.project_names,
                    &loaded.node_names,
                )?;
                loaded.snapshot.workloads.push(w);
                loaded.workloads.insert(row.id, row);
            }
        }
        Ok(())
    }

    /// Ends the workloads whose pods the executor says have ended.
    async fn reap_exits(&self) -> ControlResult<usize> {
        // Only workloads with a duration end by themselves on the simulated cluster: when the
        // snapshot holds none, there is nothing to ask the store.
        if let Some((loaded, _)) = self.cache.lock().await.as_ref()
            && loaded.workloads.values().all(|w| w.duration_secs.is_none())
        {
            return Ok(0);
        }
        let db = &self.store.db;
        let timed: std::collections::BTreeMap<i32, Option<i64>> = workload::Entity::find()
            .filter(workload::Column::ClusterId.eq(self.cluster_id))
            .filter(workload::Column::EndedAt.is_null())
            .filter(workload::Column::StartedAt.is_not_null())
            .filter(workload::Column::DurationSecs.is_not_null())
            .all(db)
            .await?
            .into_iter()
            .map(|w| (w.id, w.duration_secs))
            .collect();
        let running: Vec<RunningPod> = pod::Entity::find()
            .filter(pod::Column::WorkloadId.is_in(timed.keys().copied()))
            .all(db)
            .await?
            .into_iter()
            .map(|p| RunningPod {
                workload_id: p.workload_id,
                started_at: p.started_at,
                duration_secs: timed.get(&p.workload_id).copied().flatten(),
            })
            .collect();
        let exits = self.executor.exited(&running, now_ms());
        if exits.is_empty() {
            return Ok(0);
        }
        let now = now_ms();
        let txn = self.store.write().await?;
        for exit in &exits {
            pod::Entity::delete_many()
                .filter(pod::Column::WorkloadId.eq(exit.workload_id))
                .exec(&txn)
                .await?;
            let phase = if exit.succeeded {
                "Completed"
            } else {
                "Failed"
            };
            workload::Entity::update_many()
                .col_expr(workload::Column::Phase, Expr::value(phase))
                .col_expr(workload::Column::EndedAt, Expr::value(now))
                .filter(workload::Column::Id.eq(exit.workload_id))
                .filter(workload::Column::EndedAt.is_null())
                .exec(&txn)
                .await?;
            insert_event(
                &txn,
                Some(exit.workload_id),
                phase,
                format!("the workload {}", phase.to_lowercase()),
                now,
            )
            .await?;
        }
        txn.commit().await?;
        self.wake
            .changed_all(exits.iter().map(|exit| Change::Ended(exit.workload_id)));
        Ok(exits.len())
    }
}

/// Carries a committed plan over into the cached snapshot, as the commit wrote it to the store.
fn remember(loaded: &mut snapshot::Loaded, plan: &rota_scheduler::Plan) {
    plan.apply(&mut loaded.snapshot);
    let evicted: std::collections::BTreeSet<u64> = plan
        .evictions
        .iter()
        .filter(|e| !matches!(e.reason, rota_scheduler::EvictionReason::Consolidate { .. }))
        .map(|e| e.workload)
        .collect();
    let bound: std::collections::BTreeSet<u64> = plan.binds.iter().map(|b| b.workload).collect();
    for (&id, w) in loaded.workloads.iter_mut() {
        let key = u64::try_from(id).unwrap_or(0);
        w.nominated = plan.nominated.contains(&key);
        if evicted.contains(&key) {
            w.phase_reason = Some("evicted".into());
        } else if bound.contains(&key) {
            w.phase_reason = None;
        } else if w.phase_reason.is_none() && plan.pending.contains_key(&key) {
            w.phase_reason = Some("waiting".into());
        }
    }
}

/// One scheduling cycle, phase by phase, timing each.
fn schedule(
    snapshot: &rota_scheduler::Snapshot,
    config: &Config,
    phases: &mut PhaseTimes,
) -> ControlResult<rota_scheduler::Plan> {
    let refused =
        |e| crate::ControlError::Corrupt(format!("the store's snapshot was refused: {e}"));
    let mut cycle = rota_scheduler::Cycle::new(snapshot, config).map_err(refused)?;
    let mut mark = Instant::now();
    let mut lap = |slot: &mut Duration| {
        let now = Instant::now();
        *slot = now - mark;
        mark = now;
    };
    cycle.fair_share();
    lap(&mut phases.fair_share);
    cycle.allocate();
    lap(&mut phases.allocate);
    cycle.consolidate();
    lap(&mut phases.consolidate);
    cycle.reclaim();
    lap(&mut phases.reclaim);
    cycle.preempt();
    lap(&mut phases.preempt);
    Ok(cycle.finish())
}

#[cfg(test)]
mod tests;
