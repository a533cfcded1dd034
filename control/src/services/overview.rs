//! The Overview: the cluster's history over the last hour, day or week, read from the usage
//! records the scheduling loop keeps (`project_usage`), so any server can answer it.

use std::collections::BTreeMap;

use rota_api::ApiError;
use rota_api::wire::{ClusterPoint, Overview, PoolHistory, ProjectHistory, ProjectPoint};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::Rota;
use crate::error::ControlResult;
use crate::store::entity::{project, project_usage};
use crate::time::now_ms;

/// Projects shown per node pool: the busiest.
pub const PROJECTS_PER_POOL: usize = 8;

/// A range the Overview shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Range {
    /// The last hour, by the minute.
    Hour,
    /// The last day, by the hour.
    Day,
    /// The last week, by the hour.
    Week,
}

impl Range {
    /// Reads a range as users write it.
    pub fn parse(text: &str) -> Result<Range, ApiError> {
        match text {
            "hour" => Ok(Range::Hour),
            "day" => Ok(Range::Day),
            "week" => Ok(Range::Week),
            other => Err(ApiError::invalid(
                "range",
                format!("{other:?} is not a range; write hour, day or week"),
            )),
        }
    }

    /// The range's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Range::Hour => "hour",
            Range::Day => "day",
            Range::Week => "week",
        }
    }

    /// (its length, its buckets' length), in milliseconds.
    fn spans(self) -> (i64, i64) {
        const MINUTE: i64 = 60_000;
        const HOUR: i64 = 60 * MINUTE;
        match self {
            Range::Hour => (HOUR, MINUTE),
            Range::Day => (24 * HOUR, HOUR),
            Range::Week => (7 * 24 * HOUR, HOUR),
        }
    }
}

/// The cluster over `range`, up to the bucket under way (as far as the loop saved it).
pub async fn overview(rota: &Rota, range: Range) -> ControlResult<Overview> {
    let db = &rota.store.db;
    let (length, bucket) = range.spans();
    let now = now_ms();
    let current = now - now % bucket;
    let from = current - length;
    let in_range = || {
        project_usage::Entity::find()
            .filter(project_usage::Column::SpanMs.eq(bucket))
            .filter(project_usage::Column::BucketStartMs.gt(from))
            .filter(project_usage::Column::CoveredSecs.gt(0.0))
    };
    // The busiest projects of each pool first, summed by the store, so that only their rows
    // (and the pools' own) are read, however many projects there are.
    let totals: Vec<(i32, i32, f64)> = in_range()
        .filter(project_usage::Column::ProjectId.ne(0))
        .select_only()
        .column(project_usage::Column::ProjectId)
        .column(project_usage::Column::NodePoolId)
        .column_as(project_usage::Column::GpuSecs.sum(), "held")
        .group_by(project_usage::Column::ProjectId)
        .group_by(project_usage::Column::NodePoolId)
        .into_tuple()
        .all(db)
        .await?;
    let mut per_pool: BTreeMap<i32, Vec<(f64, i32)>> = BTreeMap::new();
    for (project, pool, held) in totals {
        per_pool.entry(pool).or_default().push((held, project));
    }
    let mut shown: Vec<i32> = vec![0];
    let mut left_out: BTreeMap<i32, u32> = BTreeMap::new();
    for (pool, mut list) in per_pool {
        list.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        left_out.insert(pool, list.len().saturating_sub(PROJECTS_PER_POOL) as u32);
        shown.extend(list.into_iter().take(PROJECTS_PER_POOL).map(|(_, p)| p));
    }
    shown.sort_unstable();
    shown.dedup();
    let rows = in_range()
        .filter(project_usage::Column::ProjectId.is_in(shown))
        .order_by_asc(project_usage::Column::BucketStartMs)
        .all(db)
        .await?;
    let pools = super::cluster::pool_names(db, rota.cluster_id).await?;
    let projects: BTreeMap<i32, String> = project::Entity::find()
        .filter(project::Column::ClusterId.eq(rota.cluster_id))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p.name))
        .collect();
    let mut cluster: BTreeMap<i64, ClusterPoint> = BTreeMap::new();
    let mut by_pool: BTreeMap<&str, BTreeMap<&str, Vec<ProjectPoint>>> = BTreeMap::new();
    for r in &rows {
        // Averages over the part of the bucket that was charged.
        let secs = r.covered_secs;
        let point = cluster
            .entry(r.bucket_start_ms)
            .or_insert_with(|| ClusterPoint {
                at_ms: r.bucket_start_ms,
                allocated: 0.0,
                capacity: 0.0,
                pending: 0.0,
                longest_wait_secs: 0.0,
            });
        match (r.project_id, r.node_pool_id) {
            (0, 0) => {
                point.pending = r.pending_secs / secs;
                point.longest_wait_secs = r.longest_wait_secs;
            }
            (0, _) => {
                point.allocated += r.gpu_secs / secs;
                point.capacity += r.capacity_gpu_secs / secs;
            }
            (p, pool) => {
                let (Some(project), Some(pool)) = (projects.get(&p), pools.get(&pool)) else {
                    continue;
                };
                by_pool
                    .entry(pool)
                    .or_default()
                    .entry(project)
                    .or_default()
                    .push(ProjectPoint {
                        at_ms: r.bucket_start_ms,
                        allocated: r.gpu_secs / secs,
                        deserved: r.deserved_gpu_secs / secs,
                        fair_share: r.fair_share_gpu_secs / secs,
                    });
            }
        }
    }
    let pool_ids: BTreeMap<&str, i32> = pools.iter().map(|(&id, n)| (n.as_str(), id)).collect();
    let pools = by_pool
        .into_iter()
        .map(|(pool, projects)| {
            let mut ranked: Vec<(f64, ProjectHistory)> = projects
                .into_iter()
                .map(|(name, points)| {
                    let held: f64 = points.iter().map(|p| p.allocated).sum();
                    (
                        held,
                        ProjectHistory {
                            name: name.to_owned(),
                            points,
                        },
                    )
                })
                .collect();
            ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.name.cmp(&b.1.name)));
            ranked.truncate(PROJECTS_PER_POOL);
            let left_out = pool_ids
                .get(pool)
                .and_then(|id| left_out.get(id))
                .copied()
                .unwrap_or(0);
            PoolHistory {
                pool: pool.to_owned(),
                projects: ranked.into_iter().map(|(_, p)| p).collect(),
                left_out,
            }
        })
        .collect();
    Ok(Overview {
        now_ms: now,
        range: range.as_str().to_owned(),
        bucket_secs: (bucket / 1000) as u64,
        cluster: cluster.into_values().collect(),
        pools,
    })
}
