//! Projects and Departments (admins): deserved GPUs, limit, over-quota weight and rank per node
//! pool, with a bar of deserved, fair share and allocated GPUs per unit. A saved change takes
//! effect in the next scheduling cycle.

use leptos::prelude::*;
use rota_api::wire::{
    GpuQuotaRequest, NodePoolName, UnitRequest, UnitResources, UnitResourcesRequest,
};

use crate::components::{ErrorNote, ShareBar};
use crate::live::use_changes;
use crate::server_fns::org::{
    CreateUnit, DeleteUnit, OrgUnits, SaveUnit, Share, organization, unit_shares,
};

/// A project or a department, as the editor sees it.
#[derive(Debug, Clone, PartialEq)]
struct UnitView {
    id: String,
    name: String,
    parent_id: Option<String>,
    parent_name: Option<String>,
    rank: i32,
    resources: Vec<UnitResources>,
    /// Its own minimum runtimes (`10m`), none where it inherits.
    preempt_min_runtime: Option<String>,
    reclaim_min_runtime: Option<String>,
}

/// The Projects page.
#[component]
pub fn ProjectsPage() -> impl IntoView {
    view! { <OrgPage departments=false /> }
}

/// The Departments page.
#[component]
pub fn DepartmentsPage() -> impl IntoView {
    view! { <OrgPage departments=true /> }
}

#[component]
fn OrgPage(departments: bool) -> impl IntoView {
    let changes = use_changes();
    // Quotas are read once: what an admin types is never replaced under their hands. The
    // figures follow the cluster live.
    let version = RwSignal::new(0u64);
    let org = Resource::new(move || version.get(), |_| organization());
    let creating = RwSignal::new(false);
    let shares = Resource::new(move || changes.get(), |_| unit_shares());
    let shares = Signal::derive(move || shares.get().and_then(Result::ok).unwrap_or_default());
    let title = if departments {
        "Departments"
    } else {
        "Projects"
    };
    view! {
        <section class="page">
            <div class="page-head">
                <h1>{title}</h1>
                <button type="button" class="primary" on:click=move |_| creating.set(true)>
                    {if departments { "+ NEW DEPARTMENT" } else { "+ NEW PROJECT" }}
                </button>
            </div>
            <p class="muted">
                "Deserved GPUs are guaranteed; idle GPUs beyond them go by rank, then by over-quota weight, up to the limit (blank: none). The bar shows "
                <span class="key allocated">"allocated"</span> ", "
                <span class="key fair">"fair share"</span> " and "
                <span class="key deserved">"deserved"</span> "."
            </p>
            <Transition fallback=|| view! { <p class="empty">"Loading…"</p> }>
                {move || {
                    org.get()
                        .inspect(|_| changes.shown())
                        .map(|result| match result {
                            Ok(o) => {
                                let form = {
                                    let o = o.clone();
                                    move || creating.get().then(|| view! { <NewUnit org=o.clone() departments version creating /> })
                                };
                                view! {
                                    {form}
                                    <UnitTable org=o departments shares version />
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

#[component]
fn UnitTable(
    org: OrgUnits,
    departments: bool,
    shares: Signal<Vec<Share>>,
    version: RwSignal<u64>,
) -> impl IntoView {
    let units: Vec<UnitView> = if departments {
        org.departments
            .iter()
            .map(|d| UnitView {
                id: d.id.clone(),
                name: d.name.clone(),
                parent_id: d.parent_id.clone(),
                parent_name: d
                    .parent_id
                    .as_ref()
                    .and_then(|p| org.departments.iter().find(|x| &x.id == p))
                    .map(|x| x.name.clone()),
                rank: d.rank,
                resources: d.resources.clone(),
                preempt_min_runtime: d.preempt_min_runtime.clone(),
                reclaim_min_runtime: d.reclaim_min_runtime.clone(),
            })
            .collect()
    } else {
        org.projects
            .iter()
            .map(|p| UnitView {
                id: p.id.clone(),
                name: p.name.clone(),
                parent_id: p.parent_id.clone(),
                parent_name: p.parent_name.clone(),
                rank: p.rank,
                resources: p.resources.clone(),
                preempt_min_runtime: p.preempt_min_runtime.clone(),
                reclaim_min_runtime: p.reclaim_min_runtime.clone(),
            })
            .collect()
    };
    let pools = pools_of(&org);
    let pools = StoredValue::new(pools);
    if units.is_empty() {
        return view! { <p class="empty">"None yet."</p> }.into_any();
    }
    view! {
        <div class="units">
            {units
                .into_iter()
                .map(|u| view! { <UnitEditor unit=u departments pools shares version /> })
                .collect_view()}
        </div>
    }
    .into_any()
}

/// The text fields of one pool's quota.
#[derive(Debug, Clone)]
struct QuotaFields {
    pool: String,
    deserved: RwSignal<String>,
    limit: RwSignal<String>,
    weight: RwSignal<String>,
}

/// What was typed, if anything.
fn typed(text: &str) -> Option<&str> {
    Some(text.trim()).filter(|t| !t.is_empty())
}

fn number(field: &str, text: &str) -> Result<Option<f64>, String> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    t.parse::<f64>()
        .map(Some)
        .map_err(|_| format!("{field}: {t:?} is not a number"))
}

impl QuotaFields {
    /// The request for this pool, or what is wrong with what was typed (rota-api's rules).
    fn request(&self) -> Result<UnitResourcesRequest, String> {
        let deserved = number("deserved", &self.deserved.get())?.unwrap_or(0.0);
        let limit = number("limit", &self.limit.get())?;
        let weight = match number("over-quota weight", &self.weight.get())? {
            Some(w) if w.fract() == 0.0 => Some(w as i64),
            Some(w) => return Err(format!("over-quota weight: {w} is not a whole number")),
            None => None,
        };
        rota_api::validate::quota(&self.pool, deserved, limit, weight)
            .map_err(|e| format!("{}: {}", e.field, e.message))?;
        Ok(UnitResourcesRequest {
            node_pool: NodePoolName {
                id: None,
                name: Some(self.pool.clone()),
            },
            gpu: GpuQuotaRequest {
                deserved,
                limit,
                over_quota_weight: weight,
            },
        })
    }
}

#[component]
fn UnitEditor(
    unit: UnitView,
    departments: bool,
    pools: StoredValue<Vec<String>>,
    shares: Signal<Vec<Share>>,
    version: RwSignal<u64>,
) -> impl IntoView {
    let save = ServerAction::<SaveUnit>::new();
    let delete = ServerAction::<DeleteUnit>::new();
    let delete_error = Signal::derive(move || delete.value().get().and_then(Result::err));
    Effect::new(move |_| {
        if let Some(Ok(())) = delete.value().get() {
            version.update(|v| *v += 1);
        }
    });
    let delete_id = unit.id.clone();
    let rank = RwSignal::new(unit.rank.to_string());
    let preempt_min = RwSignal::new(unit.preempt_min_runtime.clone().unwrap_or_default());
    let reclaim_min = RwSignal::new(unit.reclaim_min_runtime.clone().unwrap_or_default());
    let fields: Vec<QuotaFields> = pools
        .get_value()
        .into_iter()
        .map(|pool| {
            let q = unit.resources.iter().find(|r| r.node_pool.name == pool);
            QuotaFields {
                deserved: RwSignal::new(q.map_or("0".into(), |q| trim(q.gpu.deserved))),
                limit: RwSignal::new(
                    q.filter(|q| q.gpu.limit >= 0.0)
                        .map_or(String::new(), |q| trim(q.gpu.limit)),
                ),
                weight: RwSignal::new(
                    q.map_or("1".into(), |q| q.gpu.over_quota_weight.to_string()),
                ),
                pool,
            }
        })
        .collect();
    let fields = StoredValue::new(fields);
    let problem = Memo::new(move |_| {
        if rank.get().trim().parse::<i32>().is_err() {
            return Some(format!("rank: {:?} is not a whole number", rank.get()));
        }
        for (field, text) in [
            ("preemptMinRuntime", preempt_min.get()),
            ("reclaimMinRuntime", reclaim_min.get()),
        ] {
            if let Some(Err(e)) = typed(&text).map(|t| rota_api::validate::min_runtime(field, t)) {
                return Some(format!("{}: {}", e.field, e.message));
            }
        }
        fields.get_value().iter().find_map(|f| f.request().err())
    });
    let server_error = Signal::derive(move || save.value().get().and_then(Result::err));
    let ok = move || save.value().get().is_some_and(|r| r.is_ok());
    let (id, name, parent_id) = (unit.id.clone(), unit.name.clone(), unit.parent_id.clone());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if problem.get_untracked().is_some() {
            return;
        }
        let resources: Result<Vec<_>, _> = fields
            .get_value()
            .iter()
            .map(QuotaFields::request)
            .collect();
        let (Ok(resources), Ok(rank)) = (resources, rank.get_untracked().trim().parse::<i32>())
        else {
            return;
        };
        save.dispatch(SaveUnit {
            department: departments,
            id: id.clone(),
            request: UnitRequest {
                name: name.clone(),
                cluster_id: None,
                parent_id: parent_id.clone(),
                rank: Some(rank),
                resources,
                preempt_min_runtime: typed(&preempt_min.get_untracked()).map(str::to_owned),
                reclaim_min_runtime: typed(&reclaim_min.get_untracked()).map(str::to_owned),
            },
        });
    };
    let is_project = !departments;
    let unit_name = unit.name.clone();
    view! {
        <form class="unit" data-unit=unit.name.clone() on:submit=submit>
            <div class="unit-head">
                <h2>{unit.name.clone()}</h2>
                <span class="muted">
                    {unit.parent_name.clone().map(|p| format!("in {p}")).unwrap_or_default()}
                </span>
                <label class="inline">
                    "Rank "
                    <input class="num" name="rank" inputmode="numeric" value=rank.get_untracked() bind:value=rank />
                </label>
                <label class="inline" title="How long its workloads run before higher priority work of the project (or consolidation) may take them; empty: as the department above">
                    "Preempt min runtime "
                    <input class="num" name="preemptMinRuntime" placeholder="inherit" value=preempt_min.get_untracked() bind:value=preempt_min />
                </label>
                <label class="inline" title="How long its workloads run before another project may reclaim them; empty: as the department above">
                    "Reclaim min runtime "
                    <input class="num" name="reclaimMinRuntime" placeholder="inherit" value=reclaim_min.get_untracked() bind:value=reclaim_min />
                </label>
            </div>
            <table class="quota">
                <thead>
                    <tr>
                        <th>"Node pool"</th>
                        <th>"Deserved GPUs"</th>
                        <th>"Limit"</th>
                        <th>"Over-quota weight"</th>
                        <th>"Deserved · fair share · allocated"</th>
                        <th title="GPU-hours used over the usage window, weighed by age (time-based fair share; Settings)">"Used in window"</th>
                    </tr>
                </thead>
                <tbody>
                    {fields
                        .get_value()
                        .into_iter()
                        .map(|f| {
                            let (pool, name) = (f.pool.clone(), unit_name.clone());
                            let bar = Signal::derive(move || {
                                let all = shares.get();
                                let scale = all
                                    .iter()
                                    .filter(|s| s.pool == pool)
                                    .map(|s| s.deserved.max(s.fair_share).max(s.allocated))
                                    .fold(1.0, f64::max);
                                all.into_iter()
                                    .find(|s| s.pool == pool && s.name == name && s.is_project == is_project)
                                    .map(|s| (s, scale))
                            });
                            view! {
                                <tr data-pool=f.pool.clone()>
                                    <th scope="row">{f.pool.clone()}</th>
                                    <td><input class="num" name="deserved" inputmode="decimal" aria-label=format!("Deserved GPUs in {}", f.pool) value=f.deserved.get_untracked() bind:value=f.deserved /></td>
                                    <td><input class="num" name="limit" inputmode="decimal" placeholder="none" aria-label=format!("GPU limit in {}", f.pool) value=f.limit.get_untracked() bind:value=f.limit /></td>
                                    <td><input class="num" name="weight" inputmode="numeric" aria-label=format!("Over-quota weight in {}", f.pool) value=f.weight.get_untracked() bind:value=f.weight /></td>
                                    <td class="share">
                                        {move || bar.get()
                                            .map(|(s, scale)| {
                                                view! {
                                                    <ShareBar deserved=s.deserved fair_share=s.fair_share allocated=s.allocated scale />
                                                    <span class="figures" data-fair-share=format!("{:.2}", s.fair_share) data-allocated=format!("{:.2}", s.allocated)>
                                                        {format!("{:.2} · {:.2} · {:.2}", s.deserved, s.fair_share, s.allocated)}
                                                    </span>
                                                }
                                            })}
                                    </td>
                                    <td class="usage num">
                                        {move || bar.get().map(|(s, _)| format!("{:.1} GPU-h", s.usage_gpu_hours))}
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
            <div class="actions">
                <p class="error" role="alert">{move || problem.get()}</p>
                <ErrorNote error=server_error />
                <ErrorNote error=delete_error />
                <Show when=ok>
                    <p class="ok" role="status">"Saved; the next scheduling cycle uses it."</p>
                </Show>
                <button
                    type="button"
                    class="danger quiet"
                    disabled=move || delete.pending().get()
                    on:click=move |_| {
                        delete.dispatch(DeleteUnit { department: departments, id: delete_id.clone() });
                    }
                >
                    "Delete"
                </button>
                <button type="submit" class="primary" disabled=move || problem.get().is_some() || save.pending().get()>
                    "Save"
                </button>
            </div>
        </form>
    }
}

/// A number of GPUs without a needless fraction.
fn trim(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v}")
    }
}

/// A new project or department: its name, the department above it, its deserved GPUs per pool.
#[component]
fn NewUnit(
    org: OrgUnits,
    departments: bool,
    version: RwSignal<u64>,
    creating: RwSignal<bool>,
) -> impl IntoView {
    let create = ServerAction::<CreateUnit>::new();
    let name = RwSignal::new(String::new());
    let parent = RwSignal::new(String::new());
    let deserved = RwSignal::new("0".to_owned());
    let pools = pools_of(&org);
    let pool = pools.first().cloned().unwrap_or_else(|| "default".into());
    let taken: Vec<String> = if departments {
        org.departments.iter().map(|d| d.name.clone()).collect()
    } else {
        org.projects.iter().map(|p| p.name.clone()).collect()
    };
    let fields = QuotaFields {
        pool: pool.clone(),
        deserved,
        limit: RwSignal::new(String::new()),
        weight: RwSignal::new("1".into()),
    };
    let check = fields.clone();
    let problem = Memo::new(move |_| {
        let n = name.get();
        let n = n.trim();
        if n.is_empty() {
            return None;
        }
        if let Err(e) = rota_api::validate::name("name", n) {
            return Some(e.message);
        }
        if taken.iter().any(|t| t == n) {
            return Some(format!("{n} is taken; pick another name"));
        }
        check.request().err()
    });
    let error = Signal::derive(move || create.value().get().and_then(Result::err));
    Effect::new(move |_| {
        if let Some(Ok(_)) = create.value().get() {
            creating.set(false);
            version.update(|v| *v += 1);
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Ok(resources) = fields.request() else {
            return;
        };
        if problem.get_untracked().is_some() || name.get_untracked().trim().is_empty() {
            return;
        }
        let parent = parent.get_untracked();
        create.dispatch(CreateUnit {
            department: departments,
            request: UnitRequest {
                name: name.get_untracked().trim().to_owned(),
                cluster_id: None,
                parent_id: (!parent.is_empty()).then_some(parent),
                rank: None,
                resources: vec![resources],
                ..UnitRequest::default()
            },
        });
    };
    let what = if departments { "department" } else { "project" };
    view! {
        <form class="form card" data-form="unit" on:submit=submit>
            <h3>{format!("New {what}")}</h3>
            <label>{format!("{} name", if departments { "Department" } else { "Project" })}
                <input name="name" autocomplete="off" value=name.get_untracked() bind:value=name required />
            </label>
            <label>"Department"
                <select name="parent" bind:value=parent>
                    <option value="">"None (top level)"</option>
                    {org.departments.iter().map(|d| view! { <option value=d.id.clone()>{d.name.clone()}</option> }).collect_view()}
                </select>
            </label>
            <label>{format!("Deserved GPUs in {pool}")}
                <input name="deserved" class="num" inputmode="decimal" value=deserved.get_untracked() bind:value=deserved />
            </label>
            <p class="error field-error">{move || problem.get()}</p>
            <ErrorNote error />
            <div class="actions">
                <button type="button" on:click=move |_| creating.set(false)>"Cancel"</button>
                <button type="submit" class="primary" disabled=move || problem.get().is_some() || create.pending().get()>
                    {format!("CREATE {}", what.to_uppercase())}
                </button>
            </div>
        </form>
    }
}

/// Every node pool a unit has a quota in, by name.
fn pools_of(org: &OrgUnits) -> Vec<String> {
    let mut pools: Vec<String> = org
        .projects
        .iter()
        .flat_map(|p| p.resources.iter())
        .chain(org.departments.iter().flat_map(|d| d.resources.iter()))
        .map(|r| r.node_pool.name.clone())
        .collect();
    pools.sort();
    pools.dedup();
    pools
}
