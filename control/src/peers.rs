//! Several servers on one PostgreSQL store tell each other what they changed, through the
//! store's own `LISTEN`/`NOTIFY` (channel [`CHANNEL`]): submissions and deletions taken by a
//! follower reach the leader's scheduling loop at once; committed plans, the reasons workloads
//! wait and organization changes reach the followers' pages; sign-outs, revocations and a new
//! signing key reach every server's token checks, and failed sign-ins every server's throttle.
//!
//! What a server sends is queued ([`Outbox`]) and sent by one task, several notes to a
//! notification, each under PostgreSQL's 8,000-byte payload limit. A server sends nothing until
//! it has heard from another (each says `Hello` when it joins, and each answers a `Hello`), so a
//! lone server on PostgreSQL pays nothing for it. A server ignores its own
//! notifications. A server whose listening connection dropped may have missed some: when it is
//! back it reads what it keeps in memory from the store again and asks the leader for the
//! reasons (a note `Hello`, which a joining server sends too).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use sea_orm::sqlx::postgres::PgListener;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use crate::control_loop::{Change, ReasonsDiff};
use crate::error::ControlResult;
use crate::metrics::ShareRow;
use crate::revocations::{Revocations, Revoke};
use crate::services::Rota;
use crate::services::throttle::Key;

/// The notification channel the servers of one store share.
pub const CHANNEL: &str = "rota_peers";

/// Payloads are kept under this many bytes (PostgreSQL refuses 8,000 and more).
const PAYLOAD_MAX: usize = 7_000;

/// One thing a server tells the others.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "k", rename_all = "snake_case")]
pub enum Note {
    /// Services changed workloads or the organization (the scheduling loop's [`Change`]s).
    Changed {
        /// What changed.
        changes: Vec<Change>,
    },
    /// Something people can see changed (a plan was committed, a pod reported).
    Seen,
    /// Why workloads wait, as the leader's last cycle said.
    Reasons {
        /// New or changed reasons, by workload row id.
        set: Vec<(i32, String)>,
        /// Workloads that no longer wait.
        clear: Vec<i32>,
        /// These are all there are: forget any other.
        whole: bool,
    },
    /// Each org unit's deserved quota, fair share and allocation per pool, as the leader's last
    /// cycle computed them.
    Shares {
        /// Rows.
        rows: Vec<ShareRow>,
        /// The first piece: rows before it are gone.
        whole: bool,
    },
    /// A sign-in failed: count it against these (account, address).
    SignInFailed {
        /// The keys to count it against.
        keys: Vec<Key>,
    },
    /// A sign-in succeeded: the account starts afresh.
    SignedIn {
        /// The account.
        account: Key,
    },
    /// Tokens refused from now on.
    Revoked {
        /// Which.
        revoke: Revoke,
    },
    /// The signing key was rotated: read the keys again.
    Keys,
    /// A server joined (or came back): the leader sends every reason, the others say `Here`.
    Hello,
    /// Answer to `Hello`: another server is here.
    Here,
}

impl Note {
    /// A note of reasons.
    pub(crate) fn reasons(diff: ReasonsDiff, whole: bool) -> Note {
        Note::Reasons {
            set: diff.set,
            clear: diff.clear,
            whole,
        }
    }
}

/// What one notification carries.
#[derive(Debug, Serialize, Deserialize)]
struct Envelope {
    /// The sending server.
    from: String,
    notes: Vec<Note>,
}

/// Where a server queues its notes.
#[derive(Debug, Clone)]
pub struct Outbox {
    queue: mpsc::UnboundedSender<Note>,
    /// Whether another server has been heard from.
    heard: Arc<AtomicBool>,
}

impl Outbox {
    /// Queues a note, unless no other server is known (greetings always go).
    pub(crate) fn send(&self, note: Note) {
        if self.active() || matches!(note, Note::Hello | Note::Here) {
            // The sender task ends only with the runtime.
            let _ = self.queue.send(note);
        }
    }

    /// Whether another server has been heard from (notes are sent only then).
    pub(crate) fn active(&self) -> bool {
        self.heard.load(Ordering::Relaxed)
    }
}

/// Splits notes into payloads of at most [`PAYLOAD_MAX`] bytes, in order: repeated `Seen`
/// notes count once, and a note of reasons too large for one payload is split.
fn pack(from: &str, notes: Vec<Note>) -> Vec<String> {
    let mut flat: Vec<Note> = Vec::with_capacity(notes.len());
    let mut seen = false;
    for note in notes {
        match note {
            Note::Seen if seen => {}
            Note::Seen => {
                seen = true;
                flat.push(Note::Seen);
            }
            Note::Reasons { set, clear, whole } => flat.extend(split_reasons(set, clear, whole)),
            Note::Shares { rows, .. } => flat.extend(split_shares(rows)),
            other => flat.push(other),
        }
    }
    let overhead = serde_json::to_string(&Envelope {
        from: from.to_owned(),
        notes: Vec::new(),
    })
    .map_or(64, |s| s.len());
    let mut payloads = Vec::new();
    let mut batch: Vec<Note> = Vec::new();
    let mut size = overhead;
    for note in flat {
        let len = serde_json::to_string(&note).map_or(0, |s| s.len()) + 1;
        if !batch.is_empty() && size + len > PAYLOAD_MAX {
            payloads.push(envelope(from, std::mem::take(&mut batch)));
            size = overhead;
        }
        size += len;
        batch.push(note);
    }
    if !batch.is_empty() {
        payloads.push(envelope(from, batch));
    }
    payloads
}

fn envelope(from: &str, notes: Vec<Note>) -> String {
    serde_json::to_string(&Envelope {
        from: from.to_owned(),
        notes,
    })
    .unwrap_or_default()
}

/// Reasons in pieces that each fit a payload (a reason longer than a payload is cut); only the
/// first piece of a whole set says so.
fn split_reasons(set: Vec<(i32, String)>, clear: Vec<i32>, whole: bool) -> Vec<Note> {
    const BUDGET: usize = PAYLOAD_MAX - 200;
    let mut out = Vec::new();
    let mut piece = ReasonsDiff::default();
    let mut size = 0;
    let flush = |piece: &mut ReasonsDiff, size: &mut usize, out: &mut Vec<Note>| {
        let first = out.is_empty();
        out.push(Note::reasons(std::mem::take(piece), whole && first));
        *size = 0;
    };
    for id in clear {
        if size + 12 > BUDGET {
            flush(&mut piece, &mut size, &mut out);
        }
        size += 12;
        piece.clear.push(id);
    }
    for (id, mut reason) in set {
        if reason.len() > BUDGET / 2 {
            let mut cut = BUDGET / 2;
            while !reason.is_char_boundary(cut) {
                cut -= 1;
            }
            reason.truncate(cut);
        }
        // JSON escapes may double a character; count generously.
        let len = reason.len() * 2 + 16;
        if size + len > BUDGET {
            flush(&mut piece, &mut size, &mut out);
        }
        size += len;
        piece.set.push((id, reason));
    }
    if !piece.is_empty() || out.is_empty() {
        flush(&mut piece, &mut size, &mut out);
    }
    out
}

/// Share rows in pieces that each fit a payload; the first piece says it starts the set.
fn split_shares(rows: Vec<ShareRow>) -> Vec<Note> {
    const BUDGET: usize = PAYLOAD_MAX - 200;
    let mut out = Vec::new();
    let mut piece = Vec::new();
    let mut size = 0;
    for row in rows {
        let len = serde_json::to_string(&row).map_or(BUDGET, |s| s.len()) + 1;
        if !piece.is_empty() && size + len > BUDGET {
            let whole = out.is_empty();
            out.push(Note::Shares {
                rows: std::mem::take(&mut piece),
                whole,
            });
            size = 0;
        }
        size += len;
        piece.push(row);
    }
    let whole = out.is_empty();
    out.push(Note::Shares { rows: piece, whole });
    out
}

/// Sends queued notes as they come, several to a notification.
async fn send_notes(rota: Rota, me: String, mut queue: mpsc::UnboundedReceiver<Note>) {
    while let Some(first) = queue.recv().await {
        let mut notes = vec![first];
        while let Ok(more) = queue.try_recv() {
            notes.push(more);
        }
        for payload in pack(&me, notes) {
            let sent = rota
                .store
                .db
                .execute_raw(Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    "SELECT pg_notify($1, $2)",
                    [CHANNEL.into(), payload.into()],
                ))
                .await;
            if let Err(e) = sent {
                // The others catch up by themselves (the leader checks its snapshot against
                // the store every few seconds); pages follow at the next change.
                tracing::warn!(error = %e, "could not notify the other servers");
            }
        }
    }
}

impl Rota {
    /// Joins the other servers of this PostgreSQL store (`url`) as `me`: from now on what this
    /// server changes reaches them, and what they change reaches this one.
    pub async fn join_peers(&self, url: &str, me: String) -> ControlResult<()> {
        let listening = |e: sea_orm::sqlx::Error| {
            sea_orm::DbErr::Custom(format!("listening for the other servers: {e}"))
        };
        let mut listener = PgListener::connect(url).await.map_err(listening)?;
        listener.listen(CHANNEL).await.map_err(listening)?;
        let (outbox, queue) = mpsc::unbounded_channel();
        let heard = Arc::new(AtomicBool::new(false));
        self.wake.join(Outbox {
            queue: outbox,
            heard: heard.clone(),
        });
        tokio::spawn(send_notes(self.clone(), me.clone(), queue));
        self.wake.tell_peers(|| Note::Hello);
        let rota = self.clone();
        tokio::spawn(async move {
            loop {
                match listener.try_recv().await {
                    Ok(Some(n)) => match serde_json::from_str::<Envelope>(n.payload()) {
                        Ok(e) if e.from == me => {}
                        Ok(e) => {
                            heard.store(true, Ordering::Relaxed);
                            for note in e.notes {
                                rota.take_note(note).await;
                            }
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "a note from another server could not be read")
                        }
                    },
                    // The connection dropped; the next try reconnects. What was sent meanwhile
                    // is lost: read again what the notes would have said.
                    Ok(None) => {
                        tracing::warn!("lost the connection to the other servers; reconnecting");
                        rota.catch_up().await;
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "listening to the other servers failed; retrying");
                        tokio::time::sleep(Duration::from_millis(200)).await;
                    }
                }
            }
        });
        Ok(())
    }

    /// Acts on a note from another server.
    async fn take_note(&self, note: Note) {
        match note {
            Note::Changed { changes } => {
                if changes.contains(&Change::Organization) {
                    self.forget_directory().await;
                }
                self.wake.changed_here(changes);
            }
            Note::Seen => self.wake.announce_here(),
            Note::Reasons { set, clear, whole } => {
                self.reasons.apply(ReasonsDiff { set, clear }, whole);
                self.wake.announce_here();
            }
            Note::Shares { rows, whole } => {
                let rows = if whole {
                    rows
                } else {
                    let mut all = self.metrics.shares();
                    all.extend(rows);
                    all
                };
                self.metrics.set_shares(rows);
                self.wake.announce_here();
            }
            Note::SignInFailed { keys } => {
                // The server that refused it logged any lock-out.
                self.throttle.failed(&keys, std::time::Instant::now());
            }
            Note::SignedIn { account } => self.throttle.succeeded(&account),
            Note::Revoked { revoke } => self.revocations.apply(&revoke),
            Note::Keys => {
                if let Err(e) = self.signer.reload(&self.store.db).await {
                    tracing::error!(error = %e, "could not read the rotated signing key");
                }
            }
            Note::Hello => {
                if self.leads() {
                    let all = self.reasons.all();
                    self.wake.tell_peers(|| Note::reasons(all, true));
                    let rows = self.metrics.shares();
                    self.wake.tell_peers(|| Note::Shares { rows, whole: true });
                } else {
                    self.wake.tell_peers(|| Note::Here);
                }
            }
            Note::Here => {}
        }
    }

    /// After notes may have been lost: everything this server keeps from the store is read
    /// again, and the leader is asked for the reasons.
    async fn catch_up(&self) {
        self.forget_directory().await;
        self.wake.changed_here(vec![Change::Organization]);
        match Revocations::load(&self.store.db, chrono::Utc::now().timestamp()).await {
            Ok(read) => self.revocations.merge(read),
            Err(e) => tracing::warn!(error = %e, "could not read the revocations again"),
        }
        if let Err(e) = self.signer.reload(&self.store.db).await {
            tracing::warn!(error = %e, "could not read the signing keys again");
        }
        self.wake.tell_peers(|| Note::Hello);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unpack(payloads: &[String]) -> Vec<Note> {
        payloads
            .iter()
            .flat_map(|p| {
                assert!(p.len() < PAYLOAD_MAX + 1, "{} bytes", p.len());
                serde_json::from_str::<Envelope>(p)
                    .expect("an envelope")
                    .notes
            })
            .collect()
    }

    #[test]
    fn notes_are_packed_in_order_under_the_payload_limit_with_repeated_sightings_once() {
        let notes = vec![
            Note::Seen,
            Note::Changed {
                changes: vec![Change::Submitted(1), Change::Ended(2)],
            },
            Note::Seen,
            Note::Keys,
            Note::SignInFailed {
                keys: vec![
                    Key::Account("alice".into()),
                    Key::Address([10, 0, 0, 7].into()),
                ],
            },
        ];
        let payloads = pack("a", notes);
        assert_eq!(payloads.len(), 1);
        assert_eq!(
            unpack(&payloads),
            vec![
                Note::Seen,
                Note::Changed {
                    changes: vec![Change::Submitted(1), Change::Ended(2)]
                },
                Note::Keys,
                Note::SignInFailed {
                    keys: vec![
                        Key::Account("alice".into()),
                        Key::Address([10, 0, 0, 7].into()),
                    ],
                },
            ]
        );
    }

    #[test]
    fn many_reasons_are_split_over_payloads_and_only_the_first_piece_of_a_whole_set_says_so() {
        let set: Vec<(i32, String)> = (0..2_000)
            .map(|i| {
                (
                    i,
                    format!("needs 2 GPUs on one node; \"the most\" free is {i}"),
                )
            })
            .collect();
        let long = (9_999, "é".repeat(10_000));
        let mut with_long = set.clone();
        with_long.push(long);
        let payloads = pack(
            "server",
            vec![Note::reasons(
                ReasonsDiff {
                    set: with_long,
                    clear: (5_000..6_000).collect(),
                },
                true,
            )],
        );
        assert!(payloads.len() > 10, "{}", payloads.len());
        let notes = unpack(&payloads);
        let mut got = ReasonsDiff::default();
        for (i, note) in notes.into_iter().enumerate() {
            let Note::Reasons { set, clear, whole } = note else {
                panic!("not reasons");
            };
            assert_eq!(whole, i == 0);
            got.set.extend(set);
            got.clear.extend(clear);
        }
        assert_eq!(got.clear, (5_000..6_000).collect::<Vec<_>>());
        assert_eq!(got.set[..2_000], set[..]);
        let (id, cut) = &got.set[2_000];
        assert_eq!(*id, 9_999);
        assert!(cut.len() < PAYLOAD_MAX && cut.chars().all(|c| c == 'é'));
    }

    #[test]
    fn many_share_rows_are_split_and_only_the_first_piece_starts_the_set() {
        let rows: Vec<ShareRow> = (0..1_000)
            .map(|i| ShareRow {
                pool: "default".into(),
                name: format!("project-{i}"),
                is_project: true,
                deserved: 2.0,
                fair_share: 2.5,
                allocated: f64::from(i % 3),
                usage_gpu_hours: 1234.5,
            })
            .collect();
        let payloads = pack(
            "a",
            vec![Note::Shares {
                rows: rows.clone(),
                whole: true,
            }],
        );
        assert!(payloads.len() > 5, "{}", payloads.len());
        let mut got = Vec::new();
        for (i, note) in unpack(&payloads).into_iter().enumerate() {
            let Note::Shares { rows, whole } = note else {
                panic!("not shares");
            };
            assert_eq!(whole, i == 0);
            got.extend(rows);
        }
        assert_eq!(got, rows);
    }

    #[test]
    fn an_empty_whole_set_still_says_so() {
        let notes = unpack(&pack(
            "a",
            vec![Note::reasons(ReasonsDiff::default(), true)],
        ));
        assert_eq!(
            notes,
            vec![Note::Reasons {
                set: vec![],
                clear: vec![],
                whole: true
            }]
        );
    }
}
