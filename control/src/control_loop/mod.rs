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
use tokio::sync::{Notify, mpsc};

use crate::error::ControlResult;
use crate::executor::{Events, Executor, PodEvent, PodRecord, PodState};
use crate::leadership::Leadership;
use crate::logs::Logs;
use crate::metrics::{Metrics, PhaseTimes};
use crate::store::Store;
use crate::time::now_ms;

mod commit;
mod history;
mod inventory;
mod pods;
mod reconcile;
pub(crate) mod snapshot;
mod supervise;
mod usage;

pub use supervise::Health;

pub(crate) use commit::insert_event;

/// The longest the loop holds back after a wake-up because its last pass was long.
const MAX_BACKOFF: Duration = Duration::from_millis(20);

/// Cycles one wake-up may run before it yields; a settled cluster needs one or two.
pub const MAX_CYCLES_PER_WAKE: usize = 50;

/// What a service changed, so that the loop can update its snapshot instead of re-reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Change {
    /// A workload was submitted (its row id).
    Submitted(i32),
    /// A workload was deleted (its row id).
    Ended(i32),
    /// Projects, departments, quotas or nodes changed: read everything again.
    Organization,
}

/// Wakes the loop and tells it what changed. Cheap to clone; waking a loop that is already awake
/// is free. With other servers on the store ([`crate::peers`]), what one server's services
/// change reaches the others' too.
#[derive(Debug, Clone)]
pub struct Wake {
    notify: Arc<Notify>,
    changes: Arc<std::sync::Mutex<Vec<Change>>>,
    /// Whether changes are kept for the loop: not while another server schedules (this one
    /// reads the store whole when it takes over).
    recording: Arc<AtomicBool>,
    /// Counts what people can see change (submissions, deletions, committed plans), for pages
    /// that follow the cluster live.
    seen: Arc<tokio::sync::watch::Sender<u64>>,
    /// Where notes for the other servers go, once this server joined them.
    peers: Arc<std::sync::OnceLock<crate::peers::Outbox>>,
}

impl Default for Wake {
    fn default() -> Self {
        Wake {
            notify: Arc::default(),
            changes: Arc::default(),
            recording: Arc::new(AtomicBool::new(true)),
            seen: Arc::new(tokio::sync::watch::Sender::new(0)),
            peers: Arc::default(),
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

    /// Records changes committed together, and wakes the loop once (here, and on the server
    /// that schedules when that is another one).
    pub fn changed_all(&self, all: impl IntoIterator<Item = Change>) {
        let all: Vec<Change> = all.into_iter().collect();
        self.tell_peers(|| crate::peers::Note::Changed {
            changes: all.clone(),
        });
        self.changed_here(all);
    }

    /// Records changes and wakes this server's loop only (they came from another server).
    pub(crate) fn changed_here(&self, all: Vec<Change>) {
        if self.recording.load(Ordering::Relaxed)
            && let Ok(mut changes) = self.changes.lock()
        {
            changes.extend(all);
        }
        self.announce_here();
        self.wake();
    }

    /// Tells whoever follows the cluster (here and on the other servers) that something they
    /// can see changed.
    pub fn announce(&self) {
        self.tell_peers(|| crate::peers::Note::Seen);
        self.announce_here();
    }

    /// Tells whoever follows the cluster on this server that something they can see changed.
    pub(crate) fn announce_here(&self) {
        self.seen.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// Follows visible changes: the receiver sees a new value after each [`Wake::announce`].
    pub fn subscribe(&self) -> tokio::sync::watch::Receiver<u64> {
        self.seen.subscribe()
    }

    /// Sends a note to the other servers, if this one has joined them.
    pub(crate) fn tell_peers(&self, note: impl FnOnce() -> crate::peers::Note) {
        if let Some(outbox) = self.peers.get() {
            outbox.send(note());
        }
    }

    /// Whether this server knows of others to tell what changed.
    pub(crate) fn has_peers(&self) -> bool {
        self.peers.get().is_some_and(crate::peers::Outbox::active)
    }

    /// From now on, notes go to `outbox` (once; later calls are ignored).
    pub(crate) fn join(&self, outbox: crate::peers::Outbox) {
        let _ = self.peers.set(outbox);
    }

    /// Keeps changes for the loop, or (while another server schedules) lets them go.
    fn record(&self, on: bool) {
        self.recording.store(on, Ordering::Relaxed);
        if !on && let Ok(mut changes) = self.changes.lock() {
            changes.clear();
        }
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

/// While workloads wait for minimum runtimes to end, the longest a quiet loop goes without a
/// cycle (their reasons count down at this pace).
const RECHECK_AT_MOST_MS: u64 = 5_000;

/// How long the loop trusts its snapshot, by default, before it checks it against the store's
/// fingerprint (live workloads, the newest, their pods): a few counting queries, not a read of
/// every row.
pub const CHECK_EVERY: Duration = Duration::from_secs(5);

/// Why each workload waits, as the last cycle said: derived data, kept in memory and shared with
/// the services that show workloads.
#[derive(Debug, Clone, Default)]
pub struct Reasons(Arc<std::sync::RwLock<BTreeMap<i32, String>>>);

impl Reasons {
    /// Takes the reasons of `plan`; answers what changed when `diff` is asked for (for the
    /// other servers), else nothing.
    fn replace(&self, plan: &rota_scheduler::Plan, diff: bool) -> Option<ReasonsDiff> {
        let fresh: BTreeMap<i32, String> = plan
            .pending
            .iter()
            .filter_map(|(&id, r)| i32::try_from(id).ok().map(|id| (id, r.to_string())))
            .collect();
        let Ok(mut map) = self.0.write() else {
            return None;
        };
        let changed = diff.then(|| ReasonsDiff {
            set: fresh
                .iter()
                .filter(|&(id, r)| map.get(id) != Some(r))
                .map(|(&id, r)| (id, r.clone()))
                .collect(),
            clear: map
                .keys()
                .filter(|id| !fresh.contains_key(id))
                .copied()
                .collect(),
        });
        *map = fresh;
        changed
    }

    /// Every reason, as a change from nothing (for a server that just joined).
    pub(crate) fn all(&self) -> ReasonsDiff {
        ReasonsDiff {
            set: self
                .0
                .read()
                .map(|m| m.iter().map(|(&id, r)| (id, r.clone())).collect())
                .unwrap_or_default(),
            clear: Vec::new(),
        }
    }

    /// Applies what the server that schedules reported (`whole`: it is every reason there is).
    pub(crate) fn apply(&self, diff: ReasonsDiff, whole: bool) {
        if let Ok(mut map) = self.0.write() {
            if whole {
                map.clear();
            }
            for id in diff.clear {
                map.remove(&id);
            }
            map.extend(diff.set);
        }
    }

    /// The last cycle's reason for a workload (by row id), if it waits.
    pub fn get(&self, id: i32) -> Option<String> {
        self.0.read().ok().and_then(|m| m.get(&id).cloned())
    }
}

/// How the reasons changed from one cycle to the next.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ReasonsDiff {
    /// New or changed reasons, by workload row id.
    pub set: Vec<(i32, String)>,
    /// Workloads that no longer wait.
    pub clear: Vec<i32>,
}

impl ReasonsDiff {
    pub(crate) fn is_empty(&self) -> bool {
        self.set.is_empty() && self.clear.is_empty()
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

/// How often, by default, the loop compares what the executor runs with the store.
pub const RECONCILE_EVERY: Duration = Duration::from_secs(1);

/// The scheduling loop of one cluster.
#[derive(Debug, Clone)]
pub struct Control {
    store: Store,
    wake: Wake,
    executor: Arc<dyn Executor>,
    cluster_id: i32,
    metrics: Metrics,
    reasons: Reasons,
    logs: Logs,
    /// Where executors report.
    events: Events,
    inbox: Arc<tokio::sync::Mutex<mpsc::UnboundedReceiver<PodEvent>>>,
    /// Pods this process asked to start or stop and has not heard back about.
    in_flight: Arc<std::sync::Mutex<BTreeSet<String>>>,
    /// When the executor was last compared with the store.
    reconciled: Arc<std::sync::Mutex<Option<Instant>>>,
    /// The snapshot as the last cycle left it, and when it was last read whole.
    cache: Arc<tokio::sync::Mutex<Option<(snapshot::Loaded, Instant)>>>,
    /// The projects' past usage (read when this server starts to schedule).
    usage: Arc<tokio::sync::Mutex<Option<usage::Usage>>>,
    /// The last cycle bound, evicted and wrote nothing.
    quiet: Arc<AtomicBool>,
    /// When (ms since the epoch) a quiet loop must run a cycle anyway: the last plan had
    /// workloads waiting for a minimum runtime to end. `u64::MAX`: never.
    recheck_due: Arc<std::sync::atomic::AtomicU64>,
    /// Whether the loop's task runs, for `/healthz`.
    pub health: Health,
    /// Its claim to lead (None: the only server on its store).
    leadership: Option<Leadership>,
    /// How long after a wake-up the loop waits for more events before it runs.
    pub debounce: Duration,
    /// How often it runs without being woken (durations end, executors report).
    pub tick: Duration,
    /// How long it trusts its kept snapshot before checking it against the store.
    pub check_every: Duration,
    /// How often it compares what the executor runs with the store (and reads its nodes).
    pub reconcile_every: Duration,
    /// How often it saves the projects' accrued usage.
    pub save_usage_every: Duration,
    /// How long the hourly history is kept (at least a week, and at least the usage window).
    pub keep_history: Duration,
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
        logs: Logs,
    ) -> Self {
        let (events, inbox) = Events::channel(wake.clone());
        executor.attach(&events);
        Control {
            store,
            wake,
            executor,
            cluster_id,
            metrics,
            reasons,
            logs,
            events,
            inbox: Arc::new(tokio::sync::Mutex::new(inbox)),
            in_flight: Arc::default(),
            reconciled: Arc::default(),
            cache: Arc::default(),
            usage: Arc::default(),
            quiet: Arc::default(),
            recheck_due: Arc::new(std::sync::atomic::AtomicU64::new(u64::MAX)),
            health: Health::default(),
            leadership: None,
            debounce: Duration::from_millis(2),
            tick: Duration::from_millis(500),
            check_every: CHECK_EVERY,
            reconcile_every: RECONCILE_EVERY,
            save_usage_every: usage::SAVE_EVERY,
            keep_history: usage::DEFAULT_HISTORY,
        }
    }

    /// One pass of the loop's task: wait, debounce, settle. `last` is how long the previous
    /// pass took.
    async fn pass(&self, last: &mut Duration) {
        self.wake.wait(self.tick).await;
        // Under a stream of events, let at least as much time pass as the last pass took: the
        // loop then uses at most half a core and the API keeps the rest.
        tokio::time::sleep(self.debounce.max((*last).min(MAX_BACKOFF))).await;
        let started = Instant::now();
        if let Err(e) = self.settle().await {
            tracing::error!(error = %e, "scheduling pass failed; retrying on the next wake-up");
        }
        *last = started.elapsed();
    }

    /// This loop's claim to lead, when other servers may share the store: it runs only while it
    /// leads, and every write it makes is fenced.
    pub fn with_leadership(mut self, leadership: Leadership) -> Self {
        self.leadership = Some(leadership);
        self
    }

    /// Starts a write transaction: on a shared store, only while the store still says this
    /// server leads (held so for the whole transaction).
    async fn write(&self) -> ControlResult<sea_orm::DatabaseTransaction> {
        let txn = self.store.write().await?;
        if let Some(leadership) = &self.leadership {
            leadership.fence(&txn).await?;
        }
        Ok(txn)
    }

    /// The kind of executor the loop drives.
    pub fn executor_kind(&self) -> &'static str {
        self.executor.kind()
    }

    /// Runs cycles until one changes nothing (or [`MAX_CYCLES_PER_WAKE`] ran). Before each
    /// cycle it applies what the executor reported and, every `reconcile_every`, compares what
    /// runs with the store.
    pub async fn settle(&self) -> ControlResult<Settled> {
        let mut settled = Settled::default();
        for _ in 0..MAX_CYCLES_PER_WAKE {
            let started = Instant::now();
            let mut phases = PhaseTimes::default();
            let mut cache = self.cache.lock().await;
            let refreshed = self.refresh(&mut cache).await?;
            let Some((loaded, _)) = cache.as_mut() else {
                return Err(crate::ControlError::Corrupt(
                    "the snapshot cache is empty".into(),
                ));
            };
            // Deleted workloads' pods stop at once.
            let stops = std::mem::take(&mut loaded.stopping);
            settled.stopped += self.dispatch(loaded, &stops, &[]);
            let reported = self.take_reports(loaded).await?;
            settled.exited += reported.ended;
            let (reconciled, ended) = self.reconcile_if_due(loaded).await?;
            settled.exited += ended;
            let happened = reported.freed || reconciled;
            if reported.visible || reconciled {
                self.wake.announce();
            }
            // The scheduler has no clock: on the same snapshot it makes the same plan. When the
            // last cycle changed nothing and nothing happened since, another would only repeat it.
            let now = u64::try_from(now_ms()).unwrap_or(0);
            let due = now >= self.recheck_due.load(Ordering::Relaxed);
            let mut usage_slot = self.usage.lock().await;
            let usage = self.usage_ready(&mut usage_slot, loaded, now).await?;
            if usage.save_due(self.save_usage_every) {
                self.save_usage(usage, loaded, now).await?;
            }
            if !happened
                && refreshed == Refreshed::Unchanged
                && self.quiet.load(Ordering::Relaxed)
                && !due
            {
                break;
            }
            loaded.sync_releasing();
            phases.load = started.elapsed();
            let config = Config {
                placement: loaded.placements.clone(),
                time_fair_share: loaded.time_fair_share,
                ..Config::default()
            };
            // The cycle is CPU-bound (tens of ms with thousands pending): it runs on a blocking
            // thread so that the runtime's workers keep answering requests meanwhile.
            loaded.snapshot.now_ms = now;
            usage.advance(now);
            loaded.snapshot.usage = usage.ledger.weighed(now, &loaded.time_fair_share);
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
            // A workload that waits for a minimum runtime to end may start once it has: a cycle
            // runs then, and every few seconds meanwhile (its reason counts down).
            let mut due = plan.recheck_at_ms.map_or(u64::MAX, |at| {
                at.min(loaded.snapshot.now_ms.saturating_add(RECHECK_AT_MOST_MS))
            });
            // With time-based fair share, shares move as usage accrues.
            if loaded.time_fair_share.is_on() && !plan.pending.is_empty() {
                due = due.min(now.saturating_add(usage::RECHECK_MS));
            }
            self.recheck_due.store(due, Ordering::Relaxed);
            usage.hold(now, &plan, loaded);
            // Binds are dated with the cycle's time: the time the plan counted from, so that
            // how long a workload has run reads the same from the store and the kept snapshot.
            let now = i64::try_from(loaded.snapshot.now_ms).unwrap_or_else(|_| now_ms());
            let orders = if wrote {
                let txn = self.write().await?;
                let orders = commit::commit(&txn, loaded, &plan, now).await?;
                txn.commit().await?;
                orders
            } else {
                commit::Orders::default()
            };
            remember(loaded, &plan, &orders, now);
            // The next cycle sets its own time, and weighs usage at it.
            loaded.snapshot.now_ms = 0;
            loaded.snapshot.usage = Vec::new();
            phases.commit = committing.elapsed();
            if let Some(diff) = self.reasons.replace(&plan, self.wake.has_peers())
                && !diff.is_empty()
            {
                self.wake
                    .tell_peers(|| crate::peers::Note::reasons(diff, false));
            }
            if self.metrics.record(&plan, started.elapsed(), phases) && self.wake.has_peers() {
                let rows = self.metrics.shares();
                self.wake
                    .tell_peers(|| crate::peers::Note::Shares { rows, whole: true });
            }
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
            settled.stopped += self.dispatch(loaded, &orders.stops, &[]);
            settled.started += self.dispatch(loaded, &[], &orders.starts);
            drop(usage_slot);
            drop(cache);
            if wrote {
                self.wake.announce();
            }
            // An executor that answers at once (the simulated one) has reported already: go on
            // while there is something to apply.
            if plan.is_idle() && self.inbox.lock().await.is_empty() {
                break;
            }
        }
        Ok(settled)
    }

    /// Asks the executor to stop and start pods by name; answers how many it asked for.
    fn dispatch(&self, loaded: &snapshot::Loaded, stops: &[String], starts: &[String]) -> usize {
        let mut asked = 0;
        for name in stops {
            if let Some(order) = pods::stop_order(loaded, name) {
                self.mark_in_flight(name, true);
                self.executor.stop(order, &self.events);
                asked += 1;
            }
        }
        for name in starts {
            if let Some(order) =
                pods::start_order(loaded, &self.logs, name, |node| self.executor.address(node))
            {
                self.mark_in_flight(name, true);
                self.executor.start(order, &self.events);
                asked += 1;
            }
        }
        asked
    }

    fn mark_in_flight(&self, name: &str, on: bool) {
        if let Ok(mut set) = self.in_flight.lock() {
            if on {
                set.insert(name.to_owned());
            } else {
                set.remove(name);
            }
        }
    }

    /// Applies what the executor reported since the last cycle, in one transaction.
    async fn take_reports(&self, loaded: &mut snapshot::Loaded) -> ControlResult<pods::Applied> {
        let mut reports = Vec::new();
        {
            let mut inbox = self.inbox.lock().await;
            while let Ok(event) = inbox.try_recv() {
                reports.push(event);
            }
        }
        if reports.is_empty() {
            return Ok(pods::Applied::default());
        }
        for r in &reports {
            self.mark_in_flight(r.name(), false);
        }
        let txn = self.write().await?;
        let applied = pods::apply(&txn, loaded, reports, &self.logs, now_ms()).await?;
        txn.commit().await?;
        let stops = applied.stops.clone();
        self.dispatch(loaded, &stops, &[]);
        Ok(applied)
    }

    /// Compares what the executor runs (and its nodes) with the store when it is time to;
    /// answers whether anything changed, and how many workloads ended.
    async fn reconcile_if_due(
        &self,
        loaded: &mut snapshot::Loaded,
    ) -> ControlResult<(bool, usize)> {
        let due = self
            .reconciled
            .lock()
            .map(|r| r.is_none_or(|at| at.elapsed() >= self.reconcile_every))
            .unwrap_or(true);
        if !due {
            return Ok((false, 0));
        }
        if let Ok(mut r) = self.reconciled.lock() {
            *r = Some(Instant::now());
        }
        let mut changed = false;
        match self.executor.inventory().await {
            Ok(Some(nodes)) => {
                let txn = self.write().await?;
                let synced =
                    inventory::sync(&txn, loaded, self.cluster_id, &nodes, &self.logs, now_ms())
                        .await?;
                txn.commit().await?;
                if synced.changed {
                    loaded.reorganize(
                        snapshot::load_organization(&self.store.db, self.cluster_id).await?,
                    )?;
                    changed = true;
                }
                let stops = synced.applied.stops.clone();
                self.dispatch(loaded, &stops, &[]);
                changed |= synced.applied.freed;
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "the executor could not list its nodes"),
        }
        let records: Vec<PodRecord> = loaded
            .pods
            .iter()
            .map(|(name, p)| PodRecord {
                name: name.clone(),
                node: p.node.clone(),
                state: p.state,
                started_at: p.started_at,
                duration_secs: loaded
                    .workloads
                    .get(&p.workload_id)
                    .and_then(|w| w.duration_secs),
            })
            .collect();
        let observed = match self.executor.observe(&records, now_ms()).await {
            Ok(o) => o,
            Err(e) => {
                tracing::warn!(error = %e, "the executor could not say what runs; reconciling later");
                return Ok((changed, 0));
            }
        };
        let in_flight = self.in_flight.lock().map(|s| s.clone()).unwrap_or_default();
        let decided = reconcile::decide(&loaded.pods, &observed, &in_flight);
        if decided.is_empty() {
            return Ok((changed, 0));
        }
        let level_info =
            !(decided.events.is_empty() && decided.restart.is_empty() && decided.stop.is_empty());
        if level_info {
            tracing::info!(
                reports = decided.events.len(),
                restart = decided.restart.len(),
                stop = decided.stop.len(),
                "reconciled the executor with the store"
            );
        }
        for name in &decided.forget {
            self.executor.forget(name);
        }
        for name in &decided.stop {
            // A pod nobody owns is stopped as a pod of a deleted workload would be.
            let order = pods::stop_order(loaded, name).unwrap_or(crate::executor::PodStop {
                name: name.clone(),
                node: String::new(),
                grace: crate::executor::DEFAULT_GRACE,
            });
            self.mark_in_flight(name, true);
            self.executor.stop(order, &self.events);
        }
        self.dispatch(loaded, &[], &decided.restart);
        let mut ended = 0;
        if !decided.events.is_empty() {
            let txn = self.write().await?;
            let applied = pods::apply(&txn, loaded, decided.events, &self.logs, now_ms()).await?;
            txn.commit().await?;
            let stops = applied.stops.clone();
            self.dispatch(loaded, &stops, &[]);
            changed |= applied.freed || applied.visible;
            ended = applied.ended;
        }
        Ok((changed, ended))
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
        for id in &ended {
            // The deletion marked its pods as stopping; they stop now and hold their GPUs
            // until they are gone.
            let Some(w) = loaded.workloads.get(id).cloned() else {
                continue;
            };
            let names: Vec<String> = commit::pods_of(loaded, &w.uuid)
                .filter(|(_, p)| p.state != PodState::Terminating)
                .map(|(n, _)| n.clone())
                .collect();
            pods::mark_stopping(loaded, &w, &names, None);
            loaded.stopping.extend(names);
        }
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
}

/// Carries a committed plan over into the cached snapshot, as the commit wrote it to the store:
/// the evicted pods stop (holding their GPUs), the bound ones are starting.
fn remember(
    loaded: &mut snapshot::Loaded,
    plan: &rota_scheduler::Plan,
    orders: &commit::Orders,
    now: i64,
) {
    let reasons: BTreeMap<u64, &rota_scheduler::EvictionReason> = plan
        .evictions
        .iter()
        .map(|e| (e.workload, &e.reason))
        .collect();
    for name in &orders.stops {
        let Some(w) = loaded
            .pods
            .get(name)
            .and_then(|p| loaded.workloads.get(&p.workload_id))
            .cloned()
        else {
            continue;
        };
        let key = u64::try_from(w.id).unwrap_or(0);
        let freed_for = reasons
            .get(&key)
            .and_then(|r| commit::freed(r))
            .map(|(workload, action)| rota_scheduler::FreedFor { workload, action });
        pods::mark_stopping(loaded, &w, std::slice::from_ref(name), freed_for);
    }
    plan.apply(&mut loaded.snapshot);
    let mut bound_now: BTreeSet<i32> = BTreeSet::new();
    for b in &plan.binds {
        let Ok(id) = i32::try_from(b.workload) else {
            continue;
        };
        let Some(w) = loaded.workloads.get(&id) else {
            continue;
        };
        let attempt = u32::try_from(w.attempts).unwrap_or(0);
        let name = crate::executor::pod_name(&w.uuid, b.pod, attempt);
        if !orders.starts.contains(&name) {
            continue;
        }
        let row = snapshot::PodRow {
            workload_id: id,
            index: b.pod,
            attempt,
            node: b.placement.node.clone(),
            gpus: b.placement.gpus.clone(),
            state: PodState::Starting,
            started_at: now,
            grace: pods::grace_of(w.grace_period_secs),
            releasing: None,
        };
        loaded.pods.insert(name, row);
        bound_now.insert(id);
    }
    for id in &bound_now {
        if let Some(w) = loaded.workloads.get_mut(id) {
            w.attempts += 1;
        }
    }
    let evicted: BTreeSet<u64> = plan
        .evictions
        .iter()
        .filter(|e| !matches!(e.reason, rota_scheduler::EvictionReason::Consolidate { .. }))
        .map(|e| e.workload)
        .collect();
    let bound: BTreeSet<u64> = plan.binds.iter().map(|b| b.workload).collect();
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

/// One scheduling cycle, phase by phase, timing each. A snapshot refused because of some of its
/// workloads is scheduled without them: they are set aside, each with why, and still hold
/// their GPUs where they can (one bad row never stops scheduling for everyone).
fn schedule(
    snapshot: &rota_scheduler::Snapshot,
    config: &Config,
    phases: &mut PhaseTimes,
) -> ControlResult<rota_scheduler::Plan> {
    let refused =
        |e| crate::ControlError::Corrupt(format!("the store's snapshot was refused: {e}"));
    let e = match rota_scheduler::Cycle::new(snapshot, config) {
        Ok(cycle) => return Ok(run_cycle(cycle, phases)),
        Err(e) => e,
    };
    let aside = rota_scheduler::set_aside(snapshot);
    if aside.is_empty() {
        return Err(refused(e));
    }
    let ids: BTreeSet<u64> = aside.iter().map(|(id, _)| *id).collect();
    let mut rest = rota_scheduler::Snapshot {
        workloads: Vec::with_capacity(snapshot.workloads.len()),
        ..snapshot.clone()
    };
    for w in &snapshot.workloads {
        if !ids.contains(&w.id) {
            rest.workloads.push(w.clone());
            continue;
        }
        // What it runs keeps its GPUs, unless those are what someone else holds.
        let clash = aside.iter().any(|(id, e)| {
            *id == w.id && matches!(e, rota_scheduler::SnapshotError::OverAllocated { .. })
        });
        if !clash {
            rest.releasing
                .extend(w.placement.iter().map(|p| rota_scheduler::Releasing {
                    workload_name: w.name.clone(),
                    placement: p.clone(),
                    cpu_millicores: w.cpu_millicores,
                    memory_mib: w.memory_mib,
                    freed_for: None,
                }));
        }
    }
    tracing::warn!(set_aside = aside.len(), first = %aside[0].1, "workloads the snapshot cannot take are set aside");
    let cycle = rota_scheduler::Cycle::new(&rest, config).map_err(refused)?;
    let mut plan = run_cycle(cycle, phases);
    for (id, e) in aside {
        plan.pending.insert(
            id,
            rota_scheduler::PendingReason::SetAside { why: e.to_string() },
        );
    }
    Ok(plan)
}

fn run_cycle(cycle: rota_scheduler::Cycle<'_>, phases: &mut PhaseTimes) -> rota_scheduler::Plan {
    let mut mark = Instant::now();
    cycle.run(|phase| {
        let now = Instant::now();
        *phases.of(phase) = now - mark;
        mark = now;
    })
}

#[cfg(test)]
mod tests;
