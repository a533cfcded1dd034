//! One workload: where it runs, what it asks for and holds, why it waits, what happened to it;
//! and deleting it.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use crate::components::{ErrorNote, Status};
use crate::format::{duration, gpus, when};
use crate::live::{use_changes, use_log};
use crate::runs_fields::{command_line, lines};
use crate::server_fns::workloads::{DeleteWorkload, WorkloadView, workload_detail};

/// The workload page.
#[component]
pub fn WorkloadPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.get().get("id").unwrap_or_default());
    let changes = use_changes();
    let detail = Resource::new(
        move || (id.get(), changes.get()),
        |(id, _)| workload_detail(id),
    );
    view! {
        <section class="page">
            <p class="crumbs">
                <A href="/workloads">"← Workloads"</A>
            </p>
            <Transition fallback=|| view! { <p class="empty">"Loading…"</p> }>
                {move || {
                    detail.get()
                        .inspect(|_| changes.shown())
                        .map(|result| match result {
                            Ok(d) => view! { <Detail detail=d /> }.into_any(),
                            Err(e) => {
                                view! {
                                    <h1>"Workload"</h1>
                                    <p class="empty" role="alert">
                                        {e.to_string()} ". It may have ended or been deleted."
                                    </p>
                                }
                                    .into_any()
                            }
                        })
                }}
            </Transition>
        </section>
    }
}

#[component]
fn Detail(detail: WorkloadView) -> impl IntoView {
    let delete = ServerAction::<DeleteWorkload>::new();
    let error = Signal::derive(move || delete.value().get().and_then(Result::err));
    let w = detail.row.summary;
    let waiting = detail.row.waiting_secs;
    let reason = w.phase_reason.clone().filter(|_| w.phase == "Pending");
    let may_delete = detail.may_delete;
    let id = w.id.clone();
    view! {
        <div class="page-head">
            <h1>{w.name.clone()}</h1>
            <Status phase=w.phase.clone() />
            {may_delete
                .then(|| {
                    view! {
                        <ActionForm action=delete>
                            <input type="hidden" name="id" value=id />
                            <button type="submit" class="danger" disabled=move || delete.pending().get()>
                                "Delete"
                            </button>
                        </ActionForm>
                    }
                })}
        </div>
        <ErrorNote error />
        {reason
            .map(|r| {
                view! {
                    <p class="reason" role="status">
                        <strong>"Why it waits: "</strong>
                        {r}
                        {waiting.map(|s| format!(" (pending for {})", duration(s)))}
                    </p>
                }
            })}
        <dl class="facts">
            <dt>"Type"</dt>
            <dd>{match &w.distributed_framework {
                Some(f) => format!("{} ({f})", w.kind),
                None => w.kind.clone(),
            }}</dd>
            <dt>"Project"</dt>
            <dd>{w.project_name.clone()}</dd>
            <dt>"Department"</dt>
            <dd>{w.department_name.clone().unwrap_or_else(|| "—".into())}</dd>
            <dt>"Priority"</dt>
            <dd class="priority">{super::workloads::priority_words(w.priority, w.preemptible)}</dd>
            <dt>"Pods"</dt>
            <dd>{format!("{} running of {} requested", w.running_pods, w.requested_pods)}</dd>
            <dt>"Node(s)"</dt>
            <dd>{if w.nodes.is_empty() { "—".to_owned() } else { w.nodes.join(", ") }}</dd>
            <dt>"Node pools"</dt>
            <dd>{if w.node_pools.is_empty() { "any".to_owned() } else { w.node_pools.join(", ") }}</dd>
            <dt>"Created"</dt>
            <dd>{when(&w.created_at)}</dd>
            <dt>"In this phase since"</dt>
            <dd>{when(&w.phase_since)}</dd>
            <dt>"Image"</dt>
            <dd><code>{detail.runs.image.clone()}</code></dd>
            <dt>"Runs"</dt>
            <dd data-runs="">{command_line(&detail.runs)}</dd>
            {(!detail.runs.environment_variables.is_empty()).then(|| view! {
                <dt>"Variables"</dt>
                <dd><code class="variables">{lines(&detail.runs.environment_variables)}</code></dd>
            })}
        </dl>
        <h2>"Resources"</h2>
        <table class="resources">
            <thead>
                <tr>
                    <th></th>
                    <th>"Requested"</th>
                    <th>"Allocated"</th>
                </tr>
            </thead>
            <tbody>
                <tr>
                    <th scope="row">"GPUs"</th>
                    <td>{gpus(w.requested_resources.gpu)}</td>
                    <td data-allocated-gpus="">{gpus(w.allocated_resources.gpu)}</td>
                </tr>
                <tr>
                    <th scope="row">"CPU cores"</th>
                    <td>{format!("{:.1}", w.requested_resources.cpu)}</td>
                    <td>{if w.running_pods > 0 { format!("{:.1}", w.requested_resources.cpu) } else { "0".into() }}</td>
                </tr>
                <tr>
                    <th scope="row">"CPU memory"</th>
                    <td>{w.requested_resources.cpu_memory.clone()}</td>
                    <td>{if w.running_pods > 0 { w.requested_resources.cpu_memory.clone() } else { "0".into() }}</td>
                </tr>
            </tbody>
        </table>
        <PodTable pods=detail.pods />
        <Logs id=w.id.clone() pods=w.requested_pods runs=detail.runs_for_real />
        <h2>"Events"</h2>
        <table class="events">
            <thead>
                <tr>
                    <th>"When"</th>
                    <th>"What"</th>
                    <th>"Details"</th>
                </tr>
            </thead>
            <tbody>
                {detail
                    .events
                    .into_iter()
                    .map(|(at, kind, message)| {
                        view! {
                            <tr data-event=kind.clone()>
                                <td>{when(&at)}</td>
                                <td>{kind.clone()}</td>
                                <td>{message}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
}

/// What the workload's pods write, following it live while they run.
#[component]
fn Logs(id: String, pods: u32, runs: bool) -> impl IntoView {
    if !runs {
        return view! {
            <h2>"Logs"</h2>
            <p class="empty">"Pods on the simulated cluster run nothing, so they write no output."</p>
        }
        .into_any();
    }
    let pod = RwSignal::new(0u32);
    view! {
        <h2>"Logs"</h2>
        {(pods > 1)
            .then(|| {
                view! {
                    <label class="pod-pick">
                        "Pod "
                        <select on:change=move |ev| {
                            pod.set(event_target_value(&ev).parse().unwrap_or(0));
                        }>
                            {(0..pods)
                                .map(|p| view! { <option value=p.to_string()>{p}</option> })
                                .collect_view()}
                        </select>
                    </label>
                }
            })}
        {move || {
            let text = use_log(id.clone(), pod.get());
            view! {
                <pre class="logs" data-logs="" aria-live="polite">
                    {move || {
                        let t = text.get();
                        if t.is_empty() { "No output yet.".to_owned() } else { t }
                    }}
                </pre>
            }
        }}
    }
    .into_any()
}

/// Each pod: where it runs and what it holds (none while the workload waits).
#[component]
fn PodTable(pods: Vec<rota_api::wire::WorkloadPod>) -> impl IntoView {
    if pods.is_empty() {
        return None;
    }
    let rows = pods
        .into_iter()
        .map(|p| {
            let devices: Vec<String> = p.devices.iter().map(u32::to_string).collect();
            let gpus = match p.gpu_portion {
                Some(share) => format!("{} ({:.0}%)", devices.join(", "), share * 100.0),
                None if devices.is_empty() => "—".to_owned(),
                None => devices.join(", "),
            };
            view! {
                <tr data-pod=p.index>
                    <td>{p.index}</td>
                    <td>{p.state}</td>
                    <td>{p.node}</td>
                    <td>{gpus}</td>
                </tr>
            }
        })
        .collect_view();
    Some(view! {
        <h2>"Pods"</h2>
        <table class="pods">
            <thead>
                <tr>
                    <th>"Pod"</th>
                    <th>"State"</th>
                    <th>"Node"</th>
                    <th>"GPU devices"</th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    })
}
