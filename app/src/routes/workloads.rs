//! The Workloads page: every live workload, with its status and GPUs, refreshed while it is open.

use leptos::prelude::*;
use rota_api::wire::WorkloadSummary;

use crate::server_fns::workloads::list_workloads;

/// How often the page asks for fresh rows while it is open.
const REFRESH_MS: u64 = 2000;

/// The Workloads page.
#[component]
pub fn WorkloadsPage() -> impl IntoView {
    let (tick, set_tick) = signal(0u64);
    let workloads = Resource::new(move || tick.get(), |_| list_workloads());
    let (project, set_project) = signal(String::new());
    // In the browser only: refresh on a timer (the server renders once).
    Effect::new(move |_| {
        let handle = set_interval_with_handle(
            move || set_tick.update(|t| *t += 1),
            std::time::Duration::from_millis(REFRESH_MS),
        );
        on_cleanup(move || {
            if let Ok(h) = handle {
                h.clear();
            }
        });
    });
    view! {
        <section class="page">
            <div class="page-head">
                <h1>"Workloads"</h1>
                <label class="filter">
                    "Project "
                    <select
                        name="project"
                        on:change=move |ev| set_project.set(event_target_value(&ev))
                        prop:value=move || project.get()
                    >
                        <option value="">"All projects"</option>
                        <Transition fallback=|| ()>
                            {move || {
                                workloads
                                    .get()
                                    .and_then(Result::ok)
                                    .map(|rows| {
                                        let mut names: Vec<String> = rows.iter().map(|w| w.project_name.clone()).collect();
                                        names.sort();
                                        names.dedup();
                                        names
                                            .into_iter()
                                            .map(|n| view! { <option value=n.clone()>{n.clone()}</option> })
                                            .collect_view()
                                    })
                            }}
                        </Transition>
                    </select>
                </label>
                <button class="refresh" on:click=move |_| set_tick.update(|t| *t += 1)>"Refresh"</button>
            </div>
            <Transition fallback=|| view! { <p class="empty">"Loading workloads…"</p> }>
                <ErrorBoundary fallback=|errors| {
                    view! {
                        <p class="error" role="alert">
                            {move || errors.get().into_iter().map(|(_, e)| e.to_string()).collect::<Vec<_>>().join("; ")}
                        </p>
                    }
                }>
                    {move || {
                        workloads.get().map(|result| {
                            result.map(|rows| view! { <WorkloadTable rows=rows project=project /> })
                        })
                    }}
                </ErrorBoundary>
            </Transition>
        </section>
    }
}

#[component]
fn WorkloadTable(rows: Vec<WorkloadSummary>, project: ReadSignal<String>) -> impl IntoView {
    let rows = StoredValue::new(rows);
    let shown = move || {
        let p = project.get();
        rows.get_value()
            .into_iter()
            .filter(|w| p.is_empty() || w.project_name == p)
            .collect::<Vec<_>>()
    };
    view! {
        <table class="workloads">
            <thead>
                <tr>
                    <th>"Workload"</th>
                    <th>"Type"</th>
                    <th>"Status"</th>
                    <th>"Project"</th>
                    <th>"Running/Req. Pods"</th>
                    <th>"GPU Alloc."</th>
                    <th>"Node(s)"</th>
                </tr>
            </thead>
            <tbody>
                <For each=shown key=|w| (w.id.clone(), w.phase.clone(), w.running_pods) let:w>
                    <tr data-workload=w.name.clone()>
                        <td>{w.name.clone()}</td>
                        <td>{w.kind.clone()}</td>
                        <td class=format!("status {}", w.phase.to_lowercase()) title=w.phase_reason.clone().unwrap_or_default()>
                            {w.phase.clone()}
                        </td>
                        <td>{w.project_name.clone()}</td>
                        <td>{format!("{}/{}", w.running_pods, w.requested_pods)}</td>
                        <td>{format!("{:.2}", w.allocated_gpus)}</td>
                        <td>{w.nodes.join(", ")}</td>
                    </tr>
                </For>
            </tbody>
        </table>
        <Show when=move || shown().is_empty()>
            <p class="empty">"No workloads yet. Submit one with the CLI or the API."</p>
        </Show>
    }
}
