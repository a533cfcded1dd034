//! What executors report, applied to the store and the kept snapshot in one transaction: a pod
//! confirmed running, one that exited (the workload Completed or Failed), one lost (the workload
//! goes back to the queue), one gone after a stop (its GPUs are free at last).

use std::collections::BTreeSet;
use std::time::Duration;

use rota_scheduler::{PodPlacement, Releasing};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter};

use super::commit::{STARTING, insert_event, pods_of};
use super::snapshot::{LiveWorkload, Loaded, PodRow};
use crate::error::ControlResult;
use crate::executor::{DEFAULT_GRACE, PodEvent, PodStart, PodState, PodStop, Rendezvous};
use crate::logs::Logs;
use crate::store::entity::{pod, workload};

/// Lines of a failed pod's output its event carries.
const TAIL_LINES: usize = 20;

/// What applying a batch of reports did.
#[derive(Debug, Default)]
pub(crate) struct Applied {
    /// Pods to stop now (the rest of a failed or lost workload).
    pub stops: Vec<String>,
    /// Workloads that ended (Completed or Failed).
    pub ended: usize,
    /// Whether anything changed that a cycle should look at (GPUs freed, workloads requeued).
    pub freed: bool,
    /// Whether anything people see changed.
    pub visible: bool,
}

/// How a pod's workload ends or goes on after the pod stopped by itself.
enum Outcome {
    /// Exited 0: the workload completes when its last pod did.
    Succeeded,
    /// The workload fails with this reason.
    Failed(String),
    /// The workload goes back to the queue, with this reason.
    Requeued(String),
}

/// Applies executor reports in `txn` and to `loaded`.
pub(crate) async fn apply(
    txn: &DatabaseTransaction,
    loaded: &mut Loaded,
    events: Vec<PodEvent>,
    logs: &Logs,
    now: i64,
) -> ControlResult<Applied> {
    let mut applied = Applied::default();
    let mut running_now: BTreeSet<i32> = BTreeSet::new();
    for event in events {
        let name = event.name().to_owned();
        let Some(row) = loaded.pods.get(&name).cloned() else {
            tracing::debug!(pod = %name, ?event, "a report of a pod Rota no longer keeps");
            continue;
        };
        let key = pod::Column::WorkloadId
            .eq(row.workload_id)
            .and(pod::Column::PodIndex.eq(row.index as i32))
            .and(pod::Column::Attempt.eq(row.attempt as i32));
        if row.state == PodState::Terminating {
            // Whatever it says, a stopping pod that reports is gone or about to be: only "gone"
            // and an exit free its GPUs.
            if matches!(event, PodEvent::Started { .. }) {
                continue;
            }
            pod::Entity::delete_many().filter(key).exec(txn).await?;
            loaded.pods.remove(&name);
            applied.freed = true;
            continue;
        }
        let outcome = match event {
            PodEvent::Started { devices, .. } => {
                if row.state == PodState::Starting {
                    let devices = devices.map(|d| serde_json::to_string(&d).unwrap_or_default());
                    pod::Entity::update_many()
                        .col_expr(pod::Column::State, Expr::value(pod::state::RUNNING))
                        .col_expr(pod::Column::Devices, Expr::value(devices))
                        .filter(key)
                        .exec(txn)
                        .await?;
                    if let Some(p) = loaded.pods.get_mut(&name) {
                        p.state = PodState::Running;
                    }
                    running_now.insert(row.workload_id);
                }
                continue;
            }
            PodEvent::Exited { code: 0, .. } => Outcome::Succeeded,
            PodEvent::Exited { code, .. } => {
                let mut why = format!("pod {} exited with code {code}", row.index);
                if let Some(uuid) = loaded
                    .workloads
                    .get(&row.workload_id)
                    .map(|w| w.uuid.clone())
                {
                    let path = logs.path(&uuid, row.index, row.attempt);
                    if let Ok((tail, _)) = crate::logs::tail(&path, Some(TAIL_LINES))
                        && !tail.trim().is_empty()
                    {
                        why.push_str("; the last lines of its output:\n");
                        why.push_str(tail.trim_end());
                    }
                }
                Outcome::Failed(why)
            }
            PodEvent::StartFailed { reason, .. } => {
                Outcome::Failed(format!("pod {} could not start: {reason}", row.index))
            }
            PodEvent::Failed { reason, .. } => {
                Outcome::Failed(format!("pod {} failed: {reason}", row.index))
            }
            PodEvent::Lost { reason, .. } => {
                Outcome::Requeued(format!("pod {} was lost: {reason}", row.index))
            }
            PodEvent::Gone { .. } => {
                Outcome::Requeued(format!("pod {} stopped without being asked to", row.index))
            }
        };
        pod::Entity::delete_many().filter(key).exec(txn).await?;
        loaded.pods.remove(&name);
        forget_placement(loaded, &row);
        applied.freed = true;
        applied.visible = true;
        let Some(w) = loaded.workloads.get(&row.workload_id).cloned() else {
            continue;
        };
        match outcome {
            Outcome::Succeeded => {
                let others = pods_of(loaded, &w.uuid)
                    .filter(|(_, p)| p.state != PodState::Terminating)
                    .count();
                if others == 0 {
                    end(
                        txn,
                        loaded,
                        &w,
                        "Completed",
                        None,
                        "every pod exited with code 0".into(),
                        now,
                    )
                    .await?;
                    applied.ended += 1;
                }
            }
            Outcome::Failed(why) => {
                applied
                    .stops
                    .extend(stop_the_rest(txn, loaded, &w, now).await?);
                let reason = why.lines().next().unwrap_or_default().to_owned();
                end(txn, loaded, &w, "Failed", Some(reason), why, now).await?;
                applied.ended += 1;
            }
            Outcome::Requeued(why) => {
                applied
                    .stops
                    .extend(stop_the_rest(txn, loaded, &w, now).await?);
                requeue(txn, loaded, &w, why, now).await?;
            }
        }
    }
    for id in running_now {
        confirm_running(txn, loaded, id, now).await?;
        applied.visible = true;
    }
    Ok(applied)
}

/// A workload whose every pod is confirmed becomes Running.
async fn confirm_running(
    txn: &DatabaseTransaction,
    loaded: &Loaded,
    id: i32,
    now: i64,
) -> ControlResult<()> {
    let Some(w) = loaded.workloads.get(&id) else {
        return Ok(());
    };
    let mine: Vec<&PodRow> = pods_of(loaded, &w.uuid)
        .map(|(_, p)| p)
        .filter(|p| p.state != PodState::Terminating)
        .collect();
    if mine.is_empty() || mine.iter().any(|p| p.state != PodState::Running) {
        return Ok(());
    }
    let done = workload::Entity::update_many()
        .col_expr(workload::Column::Phase, Expr::value("Running"))
        .filter(workload::Column::Id.eq(id))
        .filter(workload::Column::Phase.eq(STARTING))
        .exec(txn)
        .await?;
    if done.rows_affected > 0 {
        let mut nodes: Vec<&str> = mine.iter().map(|p| p.node.as_str()).collect();
        nodes.dedup();
        insert_event(
            txn,
            Some(id),
            "Running",
            format!("running on {}", nodes.join(", ")),
            now,
        )
        .await?;
    }
    Ok(())
}

/// Marks the workload's remaining pods as stopping; answers their names, to stop.
async fn stop_the_rest(
    txn: &DatabaseTransaction,
    loaded: &mut Loaded,
    w: &LiveWorkload,
    now: i64,
) -> ControlResult<Vec<String>> {
    let names: Vec<String> = pods_of(loaded, &w.uuid)
        .filter(|(_, p)| p.state != PodState::Terminating)
        .map(|(n, _)| n.clone())
        .collect();
    if names.is_empty() {
        return Ok(names);
    }
    pod::Entity::update_many()
        .col_expr(pod::Column::State, Expr::value(pod::state::TERMINATING))
        .col_expr(pod::Column::StopRequestedAt, Expr::value(now))
        .filter(pod::Column::WorkloadId.eq(w.id))
        .filter(pod::Column::State.ne(pod::state::TERMINATING))
        .exec(txn)
        .await?;
    mark_stopping(loaded, w, &names, None);
    Ok(names)
}

/// In the kept snapshot: these pods of `w` stop, holding what they held; the workload's
/// placement no longer counts them.
pub(crate) fn mark_stopping(
    loaded: &mut Loaded,
    w: &LiveWorkload,
    names: &[String],
    freed_for: Option<rota_scheduler::FreedFor>,
) {
    for name in names {
        let Some(p) = loaded.pods.get_mut(name) else {
            continue;
        };
        p.state = PodState::Terminating;
        p.releasing = Some(Releasing {
            workload_name: w.name.clone(),
            placement: PodPlacement {
                node: p.node.clone(),
                gpus: p.gpus.clone(),
            },
            cpu_millicores: u64::try_from(w.cpu_millicores).unwrap_or(0),
            memory_mib: u64::try_from(w.memory_mib).unwrap_or(0),
            freed_for,
        });
        let row = p.clone();
        forget_placement(loaded, &row);
    }
}

/// Drops one pod from its workload's placement in the kept snapshot.
fn forget_placement(loaded: &mut Loaded, row: &PodRow) {
    let Ok(id) = u64::try_from(row.workload_id) else {
        return;
    };
    if let Some(w) = loaded.snapshot.workloads.iter_mut().find(|w| w.id == id)
        && let Some(i) = w
            .placement
            .iter()
            .position(|p| p.node == row.node && p.gpus == row.gpus)
    {
        w.placement.remove(i);
    }
}

/// The workload ends (Completed or Failed): its row, an event, and out of the snapshot.
async fn end(
    txn: &DatabaseTransaction,
    loaded: &mut Loaded,
    w: &LiveWorkload,
    phase: &str,
    reason: Option<String>,
    message: String,
    now: i64,
) -> ControlResult<()> {
    workload::Entity::update_many()
        .col_expr(workload::Column::Phase, Expr::value(phase))
        .col_expr(workload::Column::PhaseReason, Expr::value(reason))
        .col_expr(workload::Column::EndedAt, Expr::value(now))
        .col_expr(workload::Column::PhaseSince, Expr::value(now))
        .col_expr(workload::Column::Nominated, Expr::value(false))
        .filter(workload::Column::Id.eq(w.id))
        .filter(workload::Column::EndedAt.is_null())
        .exec(txn)
        .await?;
    insert_event(txn, Some(w.id), phase, message, now).await?;
    let id = u64::try_from(w.id).unwrap_or(0);
    loaded.snapshot.workloads.retain(|s| s.id != id);
    loaded.workloads.remove(&w.id);
    Ok(())
}

/// The workload goes back to the queue, keeping its place (its submission order).
async fn requeue(
    txn: &DatabaseTransaction,
    loaded: &mut Loaded,
    w: &LiveWorkload,
    why: String,
    now: i64,
) -> ControlResult<()> {
    workload::Entity::update_many()
        .col_expr(workload::Column::Phase, Expr::value("Pending"))
        .col_expr(workload::Column::PhaseReason, Expr::value(why.clone()))
        .col_expr(
            workload::Column::StartedAt,
            Expr::value(Option::<i64>::None),
        )
        .col_expr(workload::Column::PhaseSince, Expr::value(now))
        .filter(workload::Column::Id.eq(w.id))
        .filter(workload::Column::EndedAt.is_null())
        .exec(txn)
        .await?;
    insert_event(
        txn,
        Some(w.id),
        "Requeued",
        format!("{why}; back in the queue"),
        now,
    )
    .await?;
    let id = u64::try_from(w.id).unwrap_or(0);
    if let Some(s) = loaded.snapshot.workloads.iter_mut().find(|s| s.id == id) {
        s.placement.clear();
    }
    if let Some(kept) = loaded.workloads.get_mut(&w.id) {
        kept.phase_reason = Some(why);
    }
    Ok(())
}

/// What the executor needs to start the pod `name`, from the kept snapshot; `address` says how
/// pods reach a node (the executor's [`crate::executor::Executor::address`]).
pub(crate) fn start_order(
    loaded: &Loaded,
    logs: &Logs,
    name: &str,
    address: impl Fn(&str) -> String,
) -> Option<PodStart> {
    let p = loaded.pods.get(name)?;
    let w = loaded.workloads.get(&p.workload_id)?;
    let env: Vec<rota_api::wire::EnvironmentVariable> =
        serde_json::from_str(&w.env_json).unwrap_or_default();
    let rendezvous = w.framework.as_ref().and_then(|framework| {
        // The pods bound with it: the lowest index is the master (pod 0 unless elastic).
        let mine: Vec<&PodRow> = pods_of(loaded, &w.uuid)
            .map(|(_, p)| p)
            .filter(|p| p.state != PodState::Terminating)
            .collect();
        let master = mine.iter().min_by_key(|p| p.index)?;
        Some(Rendezvous {
            framework: framework.clone(),
            master_addr: address(&master.node),
            master_port: Rendezvous::port_for(w.id),
            world_size: mine.len() as u32,
        })
    });
    Some(PodStart {
        name: name.to_owned(),
        workload: w.uuid.clone(),
        workload_name: w.name.clone(),
        project: loaded
            .project_names
            .get(&w.project_id)
            .cloned()
            .unwrap_or_default(),
        pod: p.index,
        pod_count: u32::try_from(w.pods).unwrap_or(1),
        attempt: p.attempt,
        node: p.node.clone(),
        gpus: p.gpus.clone(),
        cpu_millicores: u64::try_from(w.cpu_millicores).unwrap_or(0),
        memory_mib: u64::try_from(w.memory_mib).unwrap_or(0),
        image: w.image.clone(),
        command: w.command.clone(),
        args: w.args.clone(),
        env: env.into_iter().map(|e| (e.name, e.value)).collect(),
        duration_secs: w.duration_secs,
        log_path: logs.path(&w.uuid, p.index, p.attempt),
        rendezvous,
    })
}

/// What the executor needs to stop the pod `name`.
pub(crate) fn stop_order(loaded: &Loaded, name: &str) -> Option<PodStop> {
    let p = loaded.pods.get(name)?;
    Some(PodStop {
        name: name.to_owned(),
        node: p.node.clone(),
        grace: p.grace,
    })
}

/// A workload's grace period.
pub(crate) fn grace_of(secs: Option<i32>) -> Duration {
    secs.and_then(|s| u64::try_from(s).ok())
        .map_or(DEFAULT_GRACE, Duration::from_secs)
}
