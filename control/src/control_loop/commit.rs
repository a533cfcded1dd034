//! Writes a plan into the store in one transaction: pods placed and removed, phases, nominations,
//! pending reasons, and events that say what happened and why.

use std::collections::{BTreeMap, BTreeSet};

use rota_scheduler::{Action, EvictionReason, Plan};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter};

use super::snapshot::{Loaded, PodRow, action_name};
use crate::error::{ControlError, ControlResult};
use crate::executor::{PodState, pod_name};
use crate::store::entity::{event, pod, workload};

/// The phase of a workload whose pods were bound and not yet confirmed by the executor.
pub(crate) const STARTING: &str = "Starting";

/// What the executor must do once the plan is committed: pods to stop and to start, by name.
#[derive(Debug, Default)]
pub(crate) struct Orders {
    pub stops: Vec<String>,
    pub starts: Vec<String>,
}

/// The workload an eviction frees GPUs for, and by which action.
pub(crate) fn freed(reason: &EvictionReason) -> Option<(u64, Action)> {
    match reason {
        EvictionReason::Reclaim { by, .. } => Some((*by, Action::Reclaim)),
        EvictionReason::Preempt { by, .. } => Some((*by, Action::Preempt)),
        EvictionReason::Consolidate { for_workload, .. } => {
            Some((*for_workload, Action::Consolidate))
        }
        EvictionReason::GangBroken { .. } => None,
    }
}

/// The pods of a workload (by its UUID) the loop keeps, by name.
pub(crate) fn pods_of<'a>(
    loaded: &'a Loaded,
    uuid: &str,
) -> impl Iterator<Item = (&'a String, &'a PodRow)> + 'a {
    let prefix = format!("{uuid}-");
    loaded
        .pods
        .range(prefix.clone()..)
        .take_while(move |(n, _)| n.starts_with(&prefix))
}

pub(crate) async fn insert_event(
    db: &impl ConnectionTrait,
    workload_id: Option<i32>,
    kind: &str,
    message: String,
    now: i64,
) -> ControlResult<()> {
    event::Entity::insert(event::ActiveModel {
        id: NotSet,
        workload_id: Set(workload_id),
        kind: Set(kind.to_owned()),
        message: Set(message),
        created_at: Set(now),
    })
    .exec(db)
    .await?;
    Ok(())
}

fn row_id(id: u64) -> ControlResult<i32> {
    i32::try_from(id).map_err(|_| ControlError::Corrupt(format!("workload id {id}")))
}

/// The workloads whose rows committing `plan` writes: those bound or evicted, those whose
/// nomination flips, and those that wait for the first time.
pub(crate) fn touched(loaded: &Loaded, plan: &Plan) -> ControlResult<BTreeSet<i32>> {
    let nominated: BTreeSet<u64> = plan.nominated.iter().copied().collect();
    let mut touched = BTreeSet::new();
    for id in plan
        .binds
        .iter()
        .map(|b| b.workload)
        .chain(plan.evictions.iter().map(|e| e.workload))
    {
        touched.insert(row_id(id)?);
    }
    for (&id, w) in &loaded.workloads {
        let key = u64::try_from(id).unwrap_or(0);
        if w.nominated != nominated.contains(&key)
            || (w.phase_reason.is_none() && plan.pending.contains_key(&key))
        {
            touched.insert(id);
        }
    }
    Ok(touched)
}

/// Commits `plan` (computed on `loaded`) inside `txn`. A workload deleted since the snapshot was
/// read is left alone: its binds are dropped, so no GPU is given to a pod that no longer exists.
pub(crate) async fn commit(
    txn: &DatabaseTransaction,
    loaded: &Loaded,
    plan: &Plan,
    now: i64,
) -> ControlResult<Orders> {
    let mut orders = Orders::default();
    // Only the workloads this plan touches need checking; the rest are left as they are.
    let touched = touched(loaded, plan)?;
    let mut still_live: BTreeSet<i32> = BTreeSet::new();
    let touched: Vec<i32> = touched.into_iter().collect();
    for chunk in touched.chunks(500) {
        let live = workload::Entity::find()
            .filter(workload::Column::Id.is_in(chunk.iter().copied()))
            .filter(workload::Column::EndedAt.is_null())
            .all(txn)
            .await?;
        still_live.extend(live.into_iter().map(|w| w.id));
    }
    let mut evicted: BTreeMap<i32, &EvictionReason> = BTreeMap::new();
    for e in &plan.evictions {
        let id = row_id(e.workload)?;
        if !still_live.contains(&id) {
            continue;
        }
        evicted.insert(id, &e.reason);
        let Some(w) = loaded.workloads.get(&id) else {
            continue;
        };
        // Its pods stop, and hold their GPUs until the executor says they are gone.
        let (freed_for, freed_by) = match freed(&e.reason) {
            Some((by, action)) => (Some(row_id(by)?), Some(action_name(action))),
            None => (None, None),
        };
        pod::Entity::update_many()
            .col_expr(pod::Column::State, Expr::value(pod::state::TERMINATING))
            .col_expr(pod::Column::StopRequestedAt, Expr::value(now))
            .col_expr(pod::Column::FreedFor, Expr::value(freed_for))
            .col_expr(pod::Column::FreedBy, Expr::value(freed_by))
            .filter(pod::Column::WorkloadId.eq(id))
            .filter(pod::Column::State.ne(pod::state::TERMINATING))
            .exec(txn)
            .await?;
        orders.stops.extend(
            pods_of(loaded, &w.uuid)
                .filter(|(_, p)| p.state != PodState::Terminating)
                .map(|(n, _)| n.clone()),
        );
        let moved = matches!(e.reason, EvictionReason::Consolidate { .. });
        if !moved {
            workload::Entity::update_many()
                .col_expr(workload::Column::Phase, Expr::value("Pending"))
                .col_expr(
                    workload::Column::PhaseReason,
                    Expr::value(e.reason.to_string()),
                )
                .col_expr(
                    workload::Column::StartedAt,
                    Expr::value(Option::<i64>::None),
                )
                .col_expr(workload::Column::PhaseSince, Expr::value(now))
                .filter(workload::Column::Id.eq(id))
                .exec(txn)
                .await?;
        }
        let kind = if moved { "Moved" } else { "Preempted" };
        insert_event(txn, Some(id), kind, e.reason.to_string(), now).await?;
    }
    let mut bound: BTreeMap<i32, Vec<String>> = BTreeMap::new();
    for b in &plan.binds {
        let id = row_id(b.workload)?;
        let Some(w) = loaded
            .workloads
            .get(&id)
            .filter(|_| still_live.contains(&id))
        else {
            continue;
        };
        let node_id = *loaded
            .node_ids
            .get(&b.placement.node)
            .ok_or_else(|| ControlError::Corrupt(format!("node {}", b.placement.node)))?;
        let slots = serde_json::to_string(&b.placement.gpus)
            .map_err(|e| ControlError::Corrupt(e.to_string()))?;
        pod::Entity::insert(pod::ActiveModel {
            id: NotSet,
            workload_id: Set(id),
            pod_index: Set(b.pod as i32),
            node_id: Set(node_id),
            gpu_slots: Set(slots),
            started_at: Set(now),
            state: Set(pod::state::STARTING.to_owned()),
            attempt: Set(w.attempts),
            freed_for: Set(None),
            freed_by: Set(None),
            devices: Set(None),
            stop_requested_at: Set(None),
        })
        .exec(txn)
        .await?;
        bound.entry(id).or_default().push(b.placement.node.clone());
        orders.starts.push(pod_name(
            &w.uuid,
            b.pod,
            u32::try_from(w.attempts).unwrap_or(0),
        ));
    }
    if !bound.is_empty() {
        let ids: Vec<i32> = bound.keys().copied().collect();
        for chunk in ids.chunks(500) {
            workload::Entity::update_many()
                .col_expr(
                    workload::Column::Attempts,
                    Expr::col(workload::Column::Attempts).add(1),
                )
                .filter(workload::Column::Id.is_in(chunk.iter().copied()))
                .exec(txn)
                .await?;
        }
    }
    for (id, nodes) in &bound {
        if evicted.contains_key(id) {
            insert_event(
                txn,
                Some(*id),
                "Moved",
                format!("now starting on {}", nodes.join(", ")),
                now,
            )
            .await?;
            continue;
        }
        workload::Entity::update_many()
            .col_expr(workload::Column::Phase, Expr::value(STARTING))
            .col_expr(
                workload::Column::PhaseReason,
                Expr::value(Option::<String>::None),
            )
            .col_expr(workload::Column::StartedAt, Expr::value(now))
            .col_expr(workload::Column::PhaseSince, Expr::value(now))
            .filter(workload::Column::Id.eq(*id))
            .exec(txn)
            .await?;
        let mut unique = nodes.clone();
        unique.dedup();
        insert_event(
            txn,
            Some(*id),
            "Scheduled",
            format!("scheduled on {}", unique.join(", ")),
            now,
        )
        .await?;
    }
    // Nominations hold for the next cycle only.
    let nominated: BTreeSet<i32> = plan
        .nominated
        .iter()
        .map(|&id| row_id(id))
        .collect::<ControlResult<_>>()?;
    for (id, w) in &loaded.workloads {
        let want = nominated.contains(id);
        if w.nominated != want && still_live.contains(id) {
            workload::Entity::update_many()
                .col_expr(workload::Column::Nominated, Expr::value(want))
                .filter(workload::Column::Id.eq(*id))
                .exec(txn)
                .await?;
        }
    }
    // Pending reasons are derived afresh every cycle and kept in memory (`Reasons`); the store
    // gets one line when a workload first waits, as an event and as its phase reason, so that
    // the history says why it waited even across restarts.
    let mut first_waits = Vec::new();
    let mut by_reason: BTreeMap<String, Vec<i32>> = BTreeMap::new();
    for (&id, reason) in &plan.pending {
        let id = row_id(id)?;
        let Some(w) = loaded
            .workloads
            .get(&id)
            .filter(|_| still_live.contains(&id))
        else {
            continue;
        };
        if evicted.contains_key(&id) || w.phase_reason.is_some() {
            continue;
        }
        let text = reason.to_string();
        by_reason.entry(text.clone()).or_default().push(id);
        first_waits.push(event::ActiveModel {
            id: NotSet,
            workload_id: Set(Some(id)),
            kind: Set("Pending".to_owned()),
            message: Set(text),
            created_at: Set(now),
        });
    }
    // Workloads that wait for the same reason are written together.
    for (text, ids) in &by_reason {
        for chunk in ids.chunks(500) {
            workload::Entity::update_many()
                .col_expr(workload::Column::PhaseReason, Expr::value(text.clone()))
                .filter(workload::Column::Id.is_in(chunk.iter().copied()))
                .exec(txn)
                .await?;
        }
    }
    for chunk in first_waits.chunks(500) {
        event::Entity::insert_many(chunk.to_vec()).exec(txn).await?;
    }
    Ok(orders)
}
