//! Group commit for submissions. Under a stream of submissions each one waiting for its own
//! transaction spends more on `BEGIN`/`COMMIT` and on round trips to the store than on its rows;
//! here one task takes the submissions that queued up while the last batch was being written and
//! writes them together: one transaction, one multi-row insert of workloads and one of their
//! `Submitted` events. A quiet submission is a batch of one, written at once.
//!
//! Each submission still stands or falls alone: when a batch fails (a duplicate name refused by
//! the unique index of live names, or anything else), nothing of it is kept, and its submissions
//! are written again one transaction each, so that each caller gets its own answer and no other
//! submission pays for it.

use std::collections::HashMap;

use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{ActiveValue, EntityTrait};
use tokio::sync::{mpsc, oneshot};

use crate::control_loop::{Change, Wake};
use crate::error::{ControlError, ControlResult};
use crate::store::Store;
use crate::store::entity::{event, workload};

/// The most submissions one transaction writes (about 25 values a row: well inside SQLite's and
/// PostgreSQL's limits on bound values).
const MAX_BATCH: usize = 256;

/// A workload row to insert and the message of its `Submitted` event.
#[derive(Debug)]
pub(crate) struct NewWorkload {
    pub row: workload::ActiveModel,
    pub message: String,
    pub at: i64,
}

#[derive(Debug)]
struct Queued {
    new: NewWorkload,
    reply: oneshot::Sender<ControlResult<i32>>,
}

/// The queue submissions are written from.
#[derive(Debug, Clone)]
pub(crate) struct Intake {
    store: Store,
    wake: Wake,
    // Boxed: a row is large and the queue holds many.
    queue: mpsc::Sender<Box<Queued>>,
}

impl Intake {
    /// Starts the writing task on the current runtime.
    pub(crate) fn start(store: Store, wake: Wake) -> Self {
        let (queue, rx) = mpsc::channel(4 * MAX_BATCH);
        tokio::spawn(run(store.clone(), wake.clone(), rx));
        Intake { store, wake, queue }
    }

    /// Writes one submission (with the others queued beside it) and returns its row id once
    /// committed and reported to the scheduling loop.
    pub(crate) async fn write(&self, new: NewWorkload) -> ControlResult<i32> {
        let (reply, answer) = oneshot::channel();
        match self.queue.send(Box::new(Queued { new, reply })).await {
            Ok(()) => answer.await.map_err(|_| {
                ControlError::Corrupt("the submission writer stopped before answering".into())
            })?,
            // The writing task is gone (its runtime is shutting down): write it here.
            Err(mpsc::error::SendError(q)) => write_one(&self.store, &self.wake, q.new).await,
        }
    }
}

async fn run(store: Store, wake: Wake, mut rx: mpsc::Receiver<Box<Queued>>) {
    let mut batch: Vec<Queued> = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = rx.recv().await {
        batch.push(*first);
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(q) => batch.push(*q),
                Err(_) => break,
            }
        }
        write_batch(&store, &wake, &mut batch).await;
    }
}

/// Writes `batch` in one transaction, or, when that fails, each in its own; reports what was
/// committed to the scheduling loop at once (before anyone hears back, so that the loop's view
/// never lags the store for long), answers every caller and leaves `batch` empty.
async fn write_batch(store: &Store, wake: &Wake, batch: &mut Vec<Queued>) {
    if batch.len() > 1 {
        let rows: Vec<&NewWorkload> = batch.iter().map(|q| &q.new).collect();
        if let Ok(ids) = insert_all(store, &rows).await {
            wake.changed_all(ids.iter().map(|&id| Change::Submitted(id)));
            for (q, id) in batch.drain(..).zip(ids) {
                let _ = q.reply.send(Ok(id));
            }
            return;
        }
    }
    for q in batch.drain(..) {
        let result = write_one(store, wake, q.new).await;
        let _ = q.reply.send(result);
    }
}

async fn write_one(store: &Store, wake: &Wake, new: NewWorkload) -> ControlResult<i32> {
    let ids = insert_all(store, &[&new]).await?;
    let id = ids
        .into_iter()
        .next()
        .ok_or_else(|| ControlError::Corrupt("a submitted workload got no row id".into()))?;
    wake.changed(Change::Submitted(id));
    Ok(id)
}

/// Inserts the workloads and their `Submitted` events in one transaction; their row ids in the
/// order given.
async fn insert_all(store: &Store, rows: &[&NewWorkload]) -> ControlResult<Vec<i32>> {
    let txn = store.write().await?;
    let inserted = workload::Entity::insert_many(rows.iter().map(|n| n.row.clone()))
        .exec_with_returning(&txn)
        .await?;
    // The order rows come back in is not promised: match them up by their unique public id.
    let by_uuid: HashMap<&str, i32> = inserted.iter().map(|w| (w.uuid.as_str(), w.id)).collect();
    let ids = rows
        .iter()
        .map(|n| {
            uuid_of(&n.row)
                .and_then(|u| by_uuid.get(u).copied())
                .ok_or_else(|| {
                    ControlError::Corrupt("an inserted workload came back unnamed".into())
                })
        })
        .collect::<ControlResult<Vec<i32>>>()?;
    event::Entity::insert_many(rows.iter().zip(&ids).map(|(n, &id)| event::ActiveModel {
        id: NotSet,
        workload_id: Set(Some(id)),
        kind: Set("Submitted".to_owned()),
        message: Set(n.message.clone()),
        created_at: Set(n.at),
    }))
    .exec(&txn)
    .await?;
    txn.commit().await?;
    Ok(ids)
}

fn uuid_of(row: &workload::ActiveModel) -> Option<&str> {
    match &row.uuid {
        ActiveValue::Set(u) | ActiveValue::Unchanged(u) => Some(u.as_str()),
        ActiveValue::NotSet => None,
    }
}
