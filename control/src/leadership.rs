//! Who schedules when several servers share one PostgreSQL store: exactly one of them, the holder
//! of the cluster's lease (`leader_lease`), runs the scheduling loop; the others serve the UI and
//! the API and take over when the lease runs out.
//!
//! The lease is a row with a `term` and an expiry on the database's clock (no two hosts' clocks
//! are compared). The leader renews it every [`RENEW_EVERY`]; a follower tries every
//! [`TRY_EVERY`] and wins once the expiry has passed, raising the term. The leader also holds a
//! session advisory lock on its connection, which PostgreSQL drops the moment that connection
//! closes: a follower that gets the lock takes the lease at once. So a leader killed with
//! `kill -9` is followed within one try (its process's connection closes with it), and one that
//! hangs or is cut off within [`LEASE`] plus one try.
//!
//! Fencing: every write of the loop first reads the lease row `FOR SHARE` in its own transaction
//! and goes on only if the row still holds the leader's term ([`Leadership::fence`]). A takeover
//! updates that row, so it waits for such a transaction to end, and any transaction after it sees
//! the new term: a leader that was paused (or cut off) while another took over can never commit
//! a plan afterwards.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr, Statement,
};
use tokio::sync::watch;

use crate::error::{ControlError, ControlResult};

/// How long a lease lasts without renewal.
pub const LEASE: Duration = Duration::from_secs(2);

/// How often the leader renews its lease.
pub const RENEW_EVERY: Duration = Duration::from_millis(400);

/// How often a follower tries to take the lease.
pub const TRY_EVERY: Duration = Duration::from_millis(250);

/// The first key of the leader's advisory lock ("rota"); the cluster's row id is the second.
const LIVENESS_LOCK: i32 = 0x726f_7461;

/// Unix ms on the database's clock.
const DB_NOW_MS: &str = "(extract(epoch from clock_timestamp()) * 1000)::bigint";

/// The part a server plays for its cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The only server its store allows (SQLite): it schedules.
    Only,
    /// It holds the lease and schedules.
    Leader,
    /// Another server schedules; this one serves and waits to take over.
    Follower,
}

impl Role {
    /// As `/healthz` says it.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Only => "only server",
            Role::Leader => "leader",
            Role::Follower => "follower",
        }
    }
}

/// This server's claim to lead one cluster, on a connection of its own (a busy pool never delays
/// a renewal).
#[derive(Debug, Clone)]
pub struct Leadership {
    cluster_id: i32,
    holder: String,
    db: DatabaseConnection,
    /// The term while this server leads.
    state: Arc<watch::Sender<Option<i64>>>,
    /// Set when the server stops: it campaigns no more.
    resigned: Arc<AtomicBool>,
}

impl Leadership {
    /// A follower of `cluster_id` on the PostgreSQL store at `url`, known to the others as
    /// `holder`. Call [`Leadership::spawn`] to campaign.
    pub async fn connect(url: &str, cluster_id: i32, holder: String) -> Result<Self, DbErr> {
        let mut options = ConnectOptions::new(url.to_owned());
        // One connection, never recycled by the pool: the advisory lock lives with it.
        let forever = Duration::from_secs(100 * 365 * 24 * 3600);
        options
            .sqlx_logging(false)
            .max_connections(1)
            .min_connections(1)
            .max_lifetime(forever)
            .idle_timeout(forever)
            .acquire_timeout(LEASE);
        let db = Database::connect(options).await?;
        Ok(Leadership {
            cluster_id,
            holder,
            db,
            state: Arc::new(watch::Sender::new(None)),
            resigned: Arc::default(),
        })
    }

    /// Who this server is to the others.
    pub fn holder(&self) -> &str {
        &self.holder
    }

    /// The term this server leads in, if it leads.
    pub fn term(&self) -> Option<i64> {
        *self.state.borrow()
    }

    /// Leader or follower.
    pub fn role(&self) -> Role {
        if self.term().is_some() {
            Role::Leader
        } else {
            Role::Follower
        }
    }

    /// Follows changes of the term (None: not leading).
    pub fn watch(&self) -> watch::Receiver<Option<i64>> {
        self.state.subscribe()
    }

    /// Waits until this server leads; answers the term.
    pub async fn until_leading(&self) -> i64 {
        let mut rx = self.watch();
        let term = rx
            .wait_for(Option::is_some)
            .await
            .map(|term| (*term).unwrap_or_default());
        match term {
            Ok(term) => term,
            // The sender lives as long as `self`.
            Err(_) => std::future::pending().await,
        }
    }

    /// Waits until this server no longer leads in `term`.
    pub async fn until_stepped_down(&self, term: i64) {
        let mut rx = self.watch();
        if rx.wait_for(|t| *t != Some(term)).await.is_err() {
            std::future::pending::<()>().await;
        }
    }

    /// Campaigns for the lease and keeps it, forever: tries every [`TRY_EVERY`] while following,
    /// renews every [`RENEW_EVERY`] while leading, and steps down when a renewal finds the term
    /// gone or none has succeeded for a whole [`LEASE`].
    pub fn spawn(&self) -> tokio::task::JoinHandle<()> {
        let this = self.clone();
        tokio::spawn(async move {
            let mut renewed = Instant::now();
            // Whether this server's connection holds the advisory lock (taking it twice would
            // count twice, so it is asked for only while not held).
            let mut locked = false;
            while !this.resigned.load(Ordering::Relaxed) {
                match this.term() {
                    None => {
                        if !locked {
                            locked = this.try_lock().await.unwrap_or(false);
                        }
                        let asked = Instant::now();
                        match this.try_take(locked).await {
                            Ok(Some(term)) => {
                                renewed = asked;
                                tracing::info!(term, holder = %this.holder, "this server now leads the cluster");
                                this.state.send_replace(Some(term));
                                continue;
                            }
                            Ok(None) => {}
                            Err(e) => tracing::warn!(error = %e, "could not ask for the lease"),
                        }
                        tokio::time::sleep(TRY_EVERY).await;
                    }
                    Some(term) => {
                        tokio::time::sleep(RENEW_EVERY).await;
                        let asked = Instant::now();
                        let gone = match tokio::time::timeout(LEASE, this.renew(term)).await {
                            Ok(Ok(true)) => {
                                renewed = asked;
                                // A leader that took over from one that hung holds the lock
                                // once that one lets it go.
                                if !locked {
                                    locked = this.try_lock().await.unwrap_or(false);
                                }
                                continue;
                            }
                            Ok(Ok(false)) => true,
                            Ok(Err(e)) => {
                                tracing::warn!(error = %e, "could not renew the lease");
                                false
                            }
                            Err(_) => {
                                tracing::warn!("renewing the lease took longer than the lease");
                                false
                            }
                        };
                        // Not renewed: the lease is this server's until it runs out (counted
                        // from before the last renewal that succeeded), unless its term is gone.
                        if !gone && renewed.elapsed() < LEASE {
                            continue;
                        }
                        tracing::warn!(term, "this server no longer leads the cluster");
                        this.state.send_replace(None);
                        if locked {
                            this.unlock().await;
                            locked = false;
                        }
                    }
                }
            }
        })
    }

    /// Takes the leader's advisory lock if it is free: answers whether this connection holds it.
    async fn try_lock(&self) -> Result<bool, DbErr> {
        let row = self
            .db
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT pg_try_advisory_lock($1, $2) AS locked",
                [LIVENESS_LOCK.into(), self.cluster_id.into()],
            ))
            .await?;
        Ok(row
            .map(|r| r.try_get::<bool>("", "locked"))
            .transpose()?
            .unwrap_or(false))
    }

    /// Lets the advisory lock go (this server stepped down).
    async fn unlock(&self) {
        let released = self
            .db
            .execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT pg_advisory_unlock($1, $2)",
                [LIVENESS_LOCK.into(), self.cluster_id.into()],
            ))
            .await;
        if let Err(e) = released {
            tracing::warn!(error = %e, "could not let the leader's lock go");
        }
    }

    /// Takes the lease if it is free or has run out, or at once when this server holds the
    /// advisory lock (the last leader's connection is gone): answers the new term.
    async fn try_take(&self, locked: bool) -> Result<Option<i64>, DbErr> {
        let only_if_run_out = if locked {
            String::new()
        } else {
            format!("WHERE leader_lease.expires_at < {DB_NOW_MS}")
        };
        let sql = format!(
            "INSERT INTO leader_lease (cluster_id, term, holder, expires_at) \
             VALUES ($1, 1, $2, {DB_NOW_MS} + $3) \
             ON CONFLICT (cluster_id) DO UPDATE \
             SET term = leader_lease.term + 1, holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at \
             {only_if_run_out} RETURNING term"
        );
        let row = self
            .db
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                sql,
                [
                    self.cluster_id.into(),
                    self.holder.clone().into(),
                    lease_ms().into(),
                ],
            ))
            .await?;
        row.map(|r| r.try_get::<i64>("", "term")).transpose()
    }

    /// Extends the lease of `term`; false when the term is no longer this server's.
    async fn renew(&self, term: i64) -> Result<bool, DbErr> {
        let sql = format!(
            "UPDATE leader_lease SET expires_at = {DB_NOW_MS} + $3 \
             WHERE cluster_id = $1 AND term = $2 RETURNING term"
        );
        let row = self
            .db
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                sql,
                [self.cluster_id.into(), term.into(), lease_ms().into()],
            ))
            .await?;
        Ok(row.is_some())
    }

    /// Lets the lease go at once (a server that stops cleanly): a follower takes over at its
    /// next try instead of waiting for the lease to run out.
    pub async fn resign(&self) {
        self.resigned.store(true, Ordering::Relaxed);
        let Some(term) = self.term() else {
            return;
        };
        self.state.send_replace(None);
        let released = self
            .db
            .execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "UPDATE leader_lease SET expires_at = 0 WHERE cluster_id = $1 AND term = $2",
                [self.cluster_id.into(), term.into()],
            ))
            .await;
        if let Err(e) = released {
            tracing::warn!(error = %e, "could not release the lease; it runs out by itself");
        }
    }

    /// Holds the lease row for the rest of `txn` and refuses unless it still holds this server's
    /// term: call first in every transaction the scheduling loop writes in.
    pub async fn fence(&self, txn: &impl ConnectionTrait) -> ControlResult<()> {
        let Some(mine) = self.term() else {
            return Err(ControlError::NotLeader {
                mine: None,
                store: None,
            });
        };
        let row = txn
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT term FROM leader_lease WHERE cluster_id = $1 FOR SHARE",
                [self.cluster_id.into()],
            ))
            .await?;
        let store = row.map(|r| r.try_get::<i64>("", "term")).transpose()?;
        if store == Some(mine) {
            Ok(())
        } else {
            Err(ControlError::NotLeader {
                mine: Some(mine),
                store,
            })
        }
    }
}

fn lease_ms() -> i64 {
    i64::try_from(LEASE.as_millis()).unwrap_or(i64::MAX)
}

/// Servers starting together on one PostgreSQL store take turns to migrate and seed it: each
/// holds this (a session advisory lock, dropped by PostgreSQL if the process dies) meanwhile.
#[derive(Debug)]
pub struct StartLock {
    db: DatabaseConnection,
}

/// The advisory lock's key: "rota" in ASCII.
const START_LOCK_KEY: i64 = 0x726f_7461;

impl StartLock {
    /// Waits for the other servers' start-ups on the store at `url` to finish.
    pub async fn take(url: &str) -> Result<Self, DbErr> {
        let mut options = ConnectOptions::new(url.to_owned());
        options
            .sqlx_logging(false)
            .max_connections(1)
            .min_connections(1);
        let db = Database::connect(options).await?;
        db.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_advisory_lock($1)",
            [START_LOCK_KEY.into()],
        ))
        .await?;
        Ok(StartLock { db })
    }

    /// Lets the next server start.
    pub async fn release(self) {
        let _ = self
            .db
            .execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT pg_advisory_unlock($1)",
                [START_LOCK_KEY.into()],
            ))
            .await;
        let _ = self.db.close().await;
    }
}
