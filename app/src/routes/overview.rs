//! The Overview (admins' first page): the cluster's GPUs allocated and idle, its pending
//! workloads and longest wait, and each project's allocation against its deserved quota and fair
//! share, over the last hour, day or week. The charts are SVG drawn on the server; each has its
//! numbers in a table beside it. It follows the cluster live, and redraws every 15 s.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::live::use_changes;
use crate::server_fns::overview::{Chart, Charts, overview_charts};

const RANGES: [(&str, &str); 3] = [
    ("hour", "Last hour"),
    ("day", "Last day"),
    ("week", "Last week"),
];

/// The Overview page.
#[component]
pub fn OverviewPage() -> impl IntoView {
    let query = use_query_map();
    let range = Memo::new(move |_| {
        query
            .read()
            .get("range")
            .filter(|r| RANGES.iter().any(|(name, _)| name == r))
            .unwrap_or_else(|| "hour".into())
    });
    let changes = use_changes();
    let tick = RwSignal::new(0u64);
    #[cfg(feature = "hydrate")]
    if let Ok(handle) = set_interval_with_handle(
        move || tick.update(|t| *t += 1),
        std::time::Duration::from_secs(15),
    ) {
        on_cleanup(move || handle.clear());
    }
    let charts = Resource::new(
        move || (range.get(), changes.get(), tick.get()),
        |(range, _, _)| overview_charts(range),
    );
    view! {
        <section class="page overview">
            <div class="page-head">
                <h1>"Overview"</h1>
                <nav class="ranges" aria-label="Range">
                    {RANGES
                        .map(|(name, label)| {
                            view! {
                                <a
                                    href=format!("/overview?range={name}")
                                    aria-current=move || (range.get() == name).then_some("page")
                                >
                                    {label}
                                </a>
                            }
                        })}
                </nav>
            </div>
            <Transition fallback=|| view! { <p class="empty">"Loading the overview…"</p> }>
                {move || {
                    charts
                        .get()
                        .inspect(|_| changes.shown())
                        .map(|result| match result {
                            Ok(c) => view! { <ChartsView charts=c /> }.into_any(),
                            Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                        })
                }}
            </Transition>
        </section>
    }
}

#[component]
fn ChartsView(charts: Charts) -> impl IntoView {
    let empty = charts.cluster.iter().all(|c| c.empty);
    view! {
        <Show when=move || empty>
            <p class="empty">
                "No history for this range yet: the scheduler records the cluster every minute, and saves it every 30 s."
            </p>
        </Show>
        {charts.cluster.into_iter().map(|c| view! { <ChartView chart=c /> }).collect_view()}
        {charts
            .pools
            .into_iter()
            .map(|pool| {
                let more = (pool.left_out > 0)
                    .then(|| format!("{} more projects with GPU time in this range are not drawn.", pool.left_out));
                view! {
                    <h2>{format!("Projects in node pool {}", pool.pool)}</h2>
                    <p class="muted">"Allocated (solid) against deserved quota (dashed) and fair share (dotted), in GPUs; the busiest projects first."</p>
                    {pool.charts.into_iter().map(|c| view! { <ChartView chart=c /> }).collect_view()}
                    {more.map(|m| view! { <p class="muted">{m}</p> })}
                }
            })
            .collect_view()}
    }
}

#[component]
fn ChartView(chart: Chart) -> impl IntoView {
    view! {
        <figure class="chart-box" data-chart=chart.id>
            <figcaption>{chart.title}</figcaption>
            <div class="chart-pair">
                <div class="drawing" inner_html=chart.svg></div>
                <div class="numbers" inner_html=chart.table></div>
            </div>
        </figure>
    }
}
