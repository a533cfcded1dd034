//! The Workloads page: live workloads, paged, filtered and ordered on the server, following the
//! cluster over server-sent events. Filters, order and page live in the address, so a page can be
//! bookmarked and works before the wasm loads.

use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::params::ParamsMap;

use crate::Session;
use crate::format::{duration, encode, gpus, when};
use crate::live::use_changes;
use crate::server_fns::workloads::{PAGE_SIZE, Row, WorkloadQuery, workloads_page};

/// The phases a workload can be in, for the status filter.
const PHASES: [&str; 5] = ["Running", "Pending", "Completed", "Failed", "Deleted"];

fn query_of(map: &ParamsMap) -> WorkloadQuery {
    let get = |k: &str| map.get(k).unwrap_or_default();
    WorkloadQuery {
        project: get("project"),
        status: get("status"),
        kind: get("type"),
        search: get("search"),
        sort: get("sort"),
        desc: get("desc") == "1",
        offset: get("offset").parse().unwrap_or(0),
    }
}

/// The address of the table with these filters, order and page.
fn href(q: &WorkloadQuery) -> String {
    let mut parts = Vec::new();
    for (key, value) in [
        ("project", &q.project),
        ("status", &q.status),
        ("type", &q.kind),
        ("search", &q.search),
        ("sort", &q.sort),
    ] {
        if !value.is_empty() {
            parts.push(format!("{key}={}", encode(value)));
        }
    }
    if q.desc {
        parts.push("desc=1".into());
    }
    if q.offset > 0 {
        parts.push(format!("offset={}", q.offset));
    }
    if parts.is_empty() {
        "/workloads".into()
    } else {
        format!("/workloads?{}", parts.join("&"))
    }
}

/// The Workloads page.
#[component]
pub fn WorkloadsPage() -> impl IntoView {
    let session = expect_context::<Session>();
    let params = use_query_map();
    let query = Memo::new(move |_| query_of(&params.get()));
    let changes = use_changes();
    let page = Resource::new(
        move || (query.get(), changes.get()),
        |(q, _)| workloads_page(q),
    );
    let navigate = use_navigate();
    let go = Callback::new(move |q: WorkloadQuery| {
        navigate(
            &href(&q),
            NavigateOptions {
                replace: true,
                scroll: false,
                ..NavigateOptions::default()
            },
        );
    });
    let set = move |edit: fn(&mut WorkloadQuery, String)| {
        move |ev: leptos::ev::Event| {
            let mut q = query.get_untracked();
            edit(&mut q, event_target_value(&ev));
            q.offset = 0;
            go.run(q);
        }
    };
    let may_submit = move || session.me().is_some_and(|m| m.may_submit());
    view! {
        <section class="page">
            <div class="page-head">
                <h1>"Workloads"</h1>
                <Show when=may_submit>
                    <A href="/workloads/new" attr:class="button primary">
                        "+ NEW WORKLOAD"
                    </A>
                </Show>
            </div>
            <form class="filters" method="get" action="/workloads" on:submit=move |ev| {
                ev.prevent_default();
            }>
                <label>
                    "Project "
                    <select
                        name="project"
                        on:change=set(|q, v| q.project = v)
                        prop:value=move || query.get().project
                    >
                        <option value="">"All projects"</option>
                        <Transition fallback=|| ()>
                            {move || {
                                page.get()
                                    .and_then(Result::ok)
                                    .map(|p| {
                                        p.projects
                                            .into_iter()
                                            .map(|n| {
                                                let selected = query.get_untracked().project == n;
                                                view! { <option value=n.clone() selected=selected>{n.clone()}</option> }
                                            })
                                            .collect_view()
                                    })
                            }}
                        </Transition>
                    </select>
                </label>
                <label>
                    "Status "
                    <select
                        name="status"
                        on:change=set(|q, v| q.status = v)
                        prop:value=move || query.get().status
                    >
                        <option value="">"Any status"</option>
                        {PHASES
                            .iter()
                            .map(|p| {
                                let selected = query.get_untracked().status == *p;
                                view! { <option value=*p selected=selected>{*p}</option> }
                            })
                            .collect_view()}
                    </select>
                </label>
                <label>
                    "Type "
                    <select
                        name="type"
                        on:change=set(|q, v| q.kind = v)
                        prop:value=move || query.get().kind
                    >
                        <option value="">"Any type"</option>
                        <option value="Training" selected=move || query.get().kind == "Training">"Training"</option>
                        <option value="Distributed" selected=move || query.get().kind == "Distributed">"Distributed"</option>
                        <option value="Workspace" selected=move || query.get().kind == "Workspace">"Workspace"</option>
                    </select>
                </label>
                <label class="grow">
                    "Search "
                    <input
                        type="search"
                        name="search"
                        placeholder="Workload name"
                        value=move || query.get_untracked().search
                        on:input=set(|q, v| q.search = v)
                    />
                </label>
                <input type="hidden" name="sort" value=move || query.get().sort />
                <noscript>
                    <button type="submit">"Apply"</button>
                </noscript>
            </form>
            <Transition fallback=|| view! { <p class="empty">"Loading workloads…"</p> }>
                {move || {
                    page.get()
                        .inspect(|_| changes.shown())
                        .map(|result| match result {
                            Ok(p) => {
                                let q = query.get();
                                let filtered = !(q.project.is_empty() && q.status.is_empty()
                                    && q.kind.is_empty() && q.search.is_empty());
                                view! {
                                    <WorkloadTable rows=p.workloads.clone() query=q.clone() filtered />
                                    <Pager query=q next=p.next shown=p.workloads.len() />
                                }
                                    .into_any()
                            }
                            Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                        })
                }}
            </Transition>
        </section>
    }
}

/// A sortable column heading: a link that orders by it (again: the other way round).
#[component]
fn SortHead(query: WorkloadQuery, key: &'static str, label: &'static str) -> impl IntoView {
    let current = if query.sort.is_empty() {
        "created"
    } else {
        query.sort.as_str()
    } == key;
    let next = WorkloadQuery {
        sort: key.to_owned(),
        desc: current && !query.desc,
        offset: 0,
        ..query.clone()
    };
    let sort = match (current, query.desc) {
        (false, _) => "none",
        (true, false) => "ascending",
        (true, true) => "descending",
    };
    view! {
        <th aria-sort=sort>
            <A href=href(&next)>{label}</A>
        </th>
    }
}

#[component]
fn WorkloadTable(rows: Vec<Row>, query: WorkloadQuery, filtered: bool) -> impl IntoView {
    if rows.is_empty() {
        let text = if filtered {
            "No workloads match these filters."
        } else {
            "No workloads yet. Create one with + NEW WORKLOAD, the rota CLI or the API."
        };
        return view! { <p class="empty">{text}</p> }.into_any();
    }
    view! {
        <table class="workloads">
            <thead>
                <tr>
                    <SortHead query=query.clone() key="name" label="Workload" />
                    <SortHead query=query.clone() key="type" label="Type" />
                    <SortHead query=query.clone() key="status" label="Status" />
                    <SortHead query=query.clone() key="project" label="Project" />
                    <SortHead query=query.clone() key="priority" label="Priority" />
                    <th>"Running/Req. Pods"</th>
                    <th>"GPU Alloc."</th>
                    <th>"Node(s)"</th>
                    <SortHead query=query.clone() key="created" label="Created" />
                    <th>"Pending for"</th>
                </tr>
            </thead>
            <tbody>
                {rows
                    .into_iter()
                    .map(|Row { summary: w, waiting_secs }| {
                        let (name, link) = (w.name.clone(), format!("/workloads/{}", w.id));
                        view! {
                            <tr data-workload=w.name.clone() data-project=w.project_name.clone()>
                                <td>
                                    <A href=link>{name}</A>
                                </td>
                                <td class="type">{w.kind.clone()}</td>
                                <td class=format!("status {}", w.phase.to_lowercase()) title=w.phase_reason.clone().unwrap_or_default()>
                                    {w.phase.clone()}
                                </td>
                                <td>{w.project_name.clone()}</td>
                                <td class="priority">{priority_words(w.priority, w.preemptible)}</td>
                                <td class="pods">{format!("{}/{}", w.running_pods, w.requested_pods)}</td>
                                <td>{gpus(w.allocated_gpus)}</td>
                                <td>{w.nodes.join(", ")}</td>
                                <td>{when(&w.created_at)}</td>
                                <td class="waiting">{waiting_secs.map(duration).unwrap_or_default()}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
        .into_any()
}

/// Which rows are shown, and links to the pages before and after.
#[component]
fn Pager(query: WorkloadQuery, next: Option<u64>, shown: usize) -> impl IntoView {
    let first = query.offset;
    let prev = (first > 0).then(|| WorkloadQuery {
        offset: first.saturating_sub(PAGE_SIZE),
        ..query.clone()
    });
    let next = next.map(|offset| WorkloadQuery {
        offset,
        ..query.clone()
    });
    (shown > 0 || prev.is_some()).then(|| {
        view! {
            <nav class="pager" aria-label="Pages">
                <span>{format!("{}–{}", first + 1, first + shown as u64)}</span>
                {prev.map(|q| view! { <A href=href(&q)>"← Previous"</A> })}
                {next.map(|q| view! { <A href=href(&q)>"Next →"</A> })}
            </nav>
        }
    })
}

/// A priority as the table shows it: `low (preemptible)`.
pub(crate) fn priority_words(value: i32, preemptible: bool) -> String {
    use rota_api::priority::{class_label, preemptibility_label};
    format!(
        "{} ({})",
        class_label(value),
        preemptibility_label(preemptible)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_address_carries_filters_order_and_page_and_reads_back() {
        let q = WorkloadQuery {
            project: "team-a".into(),
            status: "Pending".into(),
            kind: String::new(),
            search: "a b".into(),
            sort: "name".into(),
            desc: true,
            offset: 50,
        };
        assert_eq!(
            href(&q),
            "/workloads?project=team-a&status=Pending&search=a%20b&sort=name&desc=1&offset=50"
        );
        let mut map = ParamsMap::new();
        for (k, v) in [
            ("project", "team-a"),
            ("status", "Pending"),
            ("search", "a b"),
            ("sort", "name"),
            ("desc", "1"),
            ("offset", "50"),
        ] {
            map.insert(k, v.to_owned());
        }
        assert_eq!(query_of(&map), q);
        assert_eq!(href(&WorkloadQuery::default()), "/workloads");
    }
}
