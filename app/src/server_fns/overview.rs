//! The Overview's charts, drawn on the server.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::UiError;

/// One chart: an SVG drawn on the server, and its numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Chart {
    /// Names the chart in the page (`cluster`, `pending`, `pool-default-team-a`).
    pub id: String,
    /// Its heading.
    pub title: String,
    /// The drawing.
    pub svg: String,
    /// Its numbers, newest first, as an HTML table.
    pub table: String,
    /// Whether it has any point.
    pub empty: bool,
}

/// A node pool's project charts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PoolCharts {
    /// The pool.
    pub pool: String,
    /// One chart per project.
    pub charts: Vec<Chart>,
    /// Projects with GPU time in the range that are not drawn.
    pub left_out: u32,
}

/// Everything the Overview shows for one range.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Charts {
    /// `hour`, `day` or `week`.
    pub range: String,
    /// The cluster's GPUs and its pending workloads.
    pub cluster: Vec<Chart>,
    /// Per node pool, its projects.
    pub pools: Vec<PoolCharts>,
}

/// The Overview's charts over `range` (`hour`, `day` or `week`).
#[server]
pub async fn overview_charts(range: String) -> Result<Charts, UiError> {
    use super::ssr::{caller, ui};
    use rota_control::services::overview::{self, Range};
    let (rota, _who) = caller()?;
    let range = Range::parse(&range).map_err(UiError::from)?;
    let data = overview::overview(&rota, range).await.map_err(ui)?;
    Ok(ssr::draw(&data))
}

#[cfg(feature = "ssr")]
mod ssr {
    use rota_api::wire::Overview;

    use super::{Chart, Charts, PoolCharts};
    use crate::charts::{DASHES, Line, svg, table};

    fn hhmm(ms: i64) -> String {
        let minutes = ms.div_euclid(60_000);
        format!("{:02}:{:02} UTC", minutes / 60 % 24, minutes % 60)
    }

    fn gpus(v: f64) -> String {
        format!("{v:.1}")
    }

    /// Draws `data` as it stood when read.
    pub fn draw(data: &Overview) -> Charts {
        let now_ms = data.now_ms;
        let bucket = i64::try_from(data.bucket_secs).unwrap_or(60) * 1000;
        let (length, unit, unit_ms) = match data.range.as_str() {
            "hour" => (3_600_000, "m", 60_000),
            "day" => (86_400_000, "h", 3_600_000),
            _ => (7 * 86_400_000, "d", 86_400_000),
        };
        let to = now_ms - now_ms % bucket + bucket;
        let from = to - length;
        let ticks: Vec<(i64, String)> = (0..=4)
            .map(|i| {
                let t = from + length / 4 * i;
                let ago = (to - t) / unit_ms;
                let text = if ago == 0 {
                    "now".to_owned()
                } else {
                    format!("-{ago} {unit}")
                };
                (t, text)
            })
            .collect();
        let chart = |id: String,
                     title: String,
                     lines: Vec<Line>,
                     columns: &[&str],
                     rows: Vec<Vec<String>>| Chart {
            svg: svg(&title, &lines, from, to, bucket, &ticks),
            table: table(&format!("Numbers: {title}"), columns, &rows),
            empty: rows.is_empty(),
            id,
            title,
        };
        let c = &data.cluster;
        let gpus_chart = chart(
            "cluster".into(),
            "Cluster GPUs: allocated and idle".into(),
            vec![
                Line {
                    label: "allocated".into(),
                    dash: DASHES[0],
                    points: c.iter().map(|p| (p.at_ms, p.allocated)).collect(),
                },
                Line {
                    label: "idle".into(),
                    dash: DASHES[1],
                    points: c
                        .iter()
                        .map(|p| (p.at_ms, (p.capacity - p.allocated).max(0.0)))
                        .collect(),
                },
            ],
            &["time", "allocated", "idle", "GPUs"],
            c.iter()
                .rev()
                .map(|p| {
                    vec![
                        hhmm(p.at_ms),
                        gpus(p.allocated),
                        gpus((p.capacity - p.allocated).max(0.0)),
                        gpus(p.capacity),
                    ]
                })
                .collect(),
        );
        let pending_chart = chart(
            "pending".into(),
            "Pending workloads, and the longest wait (minutes)".into(),
            vec![
                Line {
                    label: "pending".into(),
                    dash: DASHES[0],
                    points: c.iter().map(|p| (p.at_ms, p.pending)).collect(),
                },
                Line {
                    label: "longest wait".into(),
                    dash: DASHES[2],
                    points: c
                        .iter()
                        .map(|p| (p.at_ms, p.longest_wait_secs / 60.0))
                        .collect(),
                },
            ],
            &["time", "pending", "longest wait"],
            c.iter()
                .rev()
                .map(|p| {
                    vec![
                        hhmm(p.at_ms),
                        format!("{:.1}", p.pending),
                        rota_api::span(p.longest_wait_secs.round() as u64),
                    ]
                })
                .collect(),
        );
        let pools = data
            .pools
            .iter()
            .map(|pool| PoolCharts {
                pool: pool.pool.clone(),
                left_out: pool.left_out,
                charts: pool
                    .projects
                    .iter()
                    .map(|p| {
                        let series = |f: fn(&rota_api::wire::ProjectPoint) -> f64| {
                            p.points.iter().map(|x| (x.at_ms, f(x))).collect()
                        };
                        chart(
                            format!("pool-{}-{}", pool.pool, p.name),
                            format!("{} in {}", p.name, pool.pool),
                            vec![
                                Line {
                                    label: "allocated".into(),
                                    dash: DASHES[0],
                                    points: series(|x| x.allocated),
                                },
                                Line {
                                    label: "deserved".into(),
                                    dash: DASHES[1],
                                    points: series(|x| x.deserved),
                                },
                                Line {
                                    label: "fair share".into(),
                                    dash: DASHES[2],
                                    points: series(|x| x.fair_share),
                                },
                            ],
                            &["time", "allocated", "deserved", "fair share"],
                            p.points
                                .iter()
                                .rev()
                                .map(|x| {
                                    vec![
                                        hhmm(x.at_ms),
                                        gpus(x.allocated),
                                        gpus(x.deserved),
                                        gpus(x.fair_share),
                                    ]
                                })
                                .collect(),
                        )
                    })
                    .collect(),
            })
            .collect();
        Charts {
            range: data.range.clone(),
            cluster: vec![gpus_chart, pending_chart],
            pools,
        }
    }
}
