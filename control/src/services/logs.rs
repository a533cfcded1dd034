//! A workload's logs: what its pods wrote, kept until the workload is deleted. The REST API and
//! the CLI read a tail and may follow it while the pod runs.

use std::path::PathBuf;

use rota_api::ApiError;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::Rota;
use super::workloads::find_kept;
use crate::error::ControlResult;
use crate::store::entity::{pod, workload};

/// The most lines one read gives back.
pub const MAX_TAIL: usize = 100_000;

/// Where a pod's log is, and what the first read gave.
#[derive(Debug, Clone)]
pub struct LogView {
    /// The workload's UUID.
    pub workload: String,
    /// The pod.
    pub pod: u32,
    /// The log file, once the pod wrote one.
    pub path: Option<PathBuf>,
    /// What was read.
    pub text: String,
    /// Where the read ended, to follow from.
    pub offset: u64,
}

/// Reads the last `tail` lines (all, when none) of pod `pod` of workload `id` (a UUID, or
/// `project/name`). A workload that has not run yet has an empty log.
pub async fn read(rota: &Rota, id: &str, pod: u32, tail: Option<usize>) -> ControlResult<LogView> {
    if let Some(t) = tail
        && t > MAX_TAIL
    {
        return Err(ApiError::invalid(
            "tail",
            format!("must be at most {MAX_TAIL} lines (got {t})"),
        )
        .into());
    }
    let w = find_kept(rota, id).await?;
    if pod >= u32::try_from(w.pods).unwrap_or(1) {
        return Err(ApiError::invalid(
            "pod",
            format!(
                "{} has {} pod(s), numbered from 0 (got {pod})",
                w.name, w.pods
            ),
        )
        .into());
    }
    let path = rota.logs.latest(&w.uuid, pod);
    let (text, offset) = match &path {
        Some(p) => crate::logs::tail(p, tail).map_err(|e| {
            crate::ControlError::Corrupt(format!("cannot read the log {}: {e}", p.display()))
        })?,
        None => (String::new(), 0),
    };
    Ok(LogView {
        workload: w.uuid,
        pod,
        path,
        text,
        offset,
    })
}

/// What follows `view` since it was read; `None` once the pod is done and nothing more can come
/// (its workload ended or was deleted, or it no longer runs).
pub async fn follow(rota: &Rota, view: &mut LogView) -> ControlResult<Option<String>> {
    // A log that appears (the pod started) or a newer attempt (it restarted) is followed.
    let latest = rota.logs.latest(&view.workload, view.pod);
    if latest.is_some() && latest != view.path {
        view.path = latest;
        view.offset = 0;
    }
    let mut text = String::new();
    if let Some(p) = &view.path
        && let Ok((more, end)) = crate::logs::since(p, view.offset)
    {
        text = more;
        view.offset = end;
    }
    if !text.is_empty() {
        return Ok(Some(text));
    }
    let w = workload::Entity::find()
        .filter(workload::Column::Uuid.eq(view.workload.as_str()))
        .one(&rota.store.db)
        .await?;
    let live = w.as_ref().is_some_and(|w| w.ended_at.is_none());
    let running = match &w {
        Some(w) => pod::Entity::find()
            .filter(pod::Column::WorkloadId.eq(w.id))
            .filter(pod::Column::PodIndex.eq(view.pod as i32))
            .one(&rota.store.db)
            .await?
            .is_some(),
        None => false,
    };
    Ok((live || running).then(String::new))
}
