//! Environments, Compute resources and Templates: list, create, edit, delete, with scopes.
//! Deleting one that a template or a workload uses is refused with the reason.

use leptos::either::Either;
use leptos::prelude::*;
use rota_api::wire::{TemplateAsset, TemplateAssets, TemplateSpec};

use crate::asset_forms::{
    ComputeForm, EnvironmentForm, ScopePicker, gpu_words, meta_of, name_problem, scope_value,
};
use crate::components::ErrorNote;
use crate::format::when;
use crate::runs_fields::runs_words;
use crate::server_fns::assets::{AssetKind, Assets, DeleteAsset, SaveTemplate, list_assets};
use crate::server_fns::org::{Units, my_units};

/// The assets and the units that scope them, as the asset pages read them.
type AssetData = Resource<Result<(Assets, Units), crate::UiError>>;

/// What every asset page reads: the assets and the units that scope them; bump the version to
/// read them again.
fn use_asset_data() -> (AssetData, RwSignal<u64>) {
    let version = RwSignal::new(0u64);
    let data = Resource::new(
        move || version.get(),
        |_| async move { Ok((list_assets().await?, my_units().await?)) },
    );
    (data, version)
}

/// A delete button for one asset; a refusal is shown next to it.
#[component]
fn DeleteButton(
    kind: AssetKind,
    id: String,
    name: String,
    version: RwSignal<u64>,
) -> impl IntoView {
    let delete = ServerAction::<DeleteAsset>::new();
    let error = Signal::derive(move || delete.value().get().and_then(Result::err));
    Effect::new(move |_| {
        if let Some(Ok(())) = delete.value().get() {
            version.update(|v| *v += 1);
        }
    });
    view! {
        <button
            type="button"
            class="danger quiet"
            aria-label=format!("Delete {name}")
            disabled=move || delete.pending().get()
            on:click=move |_| {
                delete.dispatch(DeleteAsset { kind, id: id.clone() });
            }
        >
            "Delete"
        </button>
        <ErrorNote error />
    }
}

/// The Environments page.
#[component]
pub fn EnvironmentsPage() -> impl IntoView {
    let (data, version) = use_asset_data();
    let editing = RwSignal::new(None::<String>);
    let creating = RwSignal::new(false);
    view! {
        <section class="page">
            <div class="page-head">
                <h1>"Environments"</h1>
                <button type="button" class="primary" on:click=move |_| { editing.set(None); creating.set(true) }>
                    "+ NEW ENVIRONMENT"
                </button>
            </div>
            <Transition fallback=|| view! { <p class="empty">"Loading…"</p> }>
                {move || data.get().map(|r| match r {
                    Err(e) => Either::Left(view! { <p class="error" role="alert">{e.to_string()}</p> }),
                    Ok((assets, units)) => {
                        let taken: Vec<String> = assets.environments.iter().map(|e| e.meta.name.clone()).collect();
                        let done = Callback::new(move |_| { creating.set(false); editing.set(None); version.update(|v| *v += 1) });
                        let cancel = Callback::new(move |()| { creating.set(false); editing.set(None) });
                        let form = {
                            let (units, taken) = (units.clone(), taken.clone());
                            let list = assets.environments.clone();
                            move || {
                                let target = editing.get().and_then(|id| list.iter().find(|e| e.meta.id.as_deref() == Some(id.as_str())).cloned());
                                (creating.get() || target.is_some()).then(|| match target {
                                    Some(t) => view! { <EnvironmentForm units=units.clone() taken=taken.clone() editing=t on_saved=done on_cancel=cancel /> }.into_any(),
                                    None => view! { <EnvironmentForm units=units.clone() taken=taken.clone() on_saved=done on_cancel=cancel /> }.into_any(),
                                })
                            }
                        };
                        Either::Right(view! {
                            {form}
                            <table class="assets">
                                <thead><tr><th>"Name"</th><th>"Scope"</th><th>"Image"</th><th>"Runs"</th><th>"Created"</th><th></th></tr></thead>
                                <tbody>
                                    {assets.environments.into_iter().map(|e| {
                                        let id = e.meta.id.clone().unwrap_or_default();
                                        let edit_id = id.clone();
                                        view! {
                                            <tr data-asset=e.meta.name.clone()>
                                                <td>{e.meta.name.clone()}</td>
                                                <td>{units.scope_name(&e.meta)}</td>
                                                <td><code>{e.spec.image.clone()}</code></td>
                                                <td>{runs_words(&e.spec)}</td>
                                                <td>{when(&e.meta.created_at.clone().unwrap_or_default())}</td>
                                                <td class="row-actions">
                                                    <button type="button" class="quiet" on:click=move |_| { creating.set(false); editing.set(Some(edit_id.clone())) }>"Edit"</button>
                                                    <DeleteButton kind=AssetKind::Environment id name=e.meta.name.clone() version />
                                                </td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        })
                    }
                })}
            </Transition>
        </section>
    }
}

/// The Compute resources page.
#[component]
pub fn ComputePage() -> impl IntoView {
    let (data, version) = use_asset_data();
    let editing = RwSignal::new(None::<String>);
    let creating = RwSignal::new(false);
    view! {
        <section class="page">
            <div class="page-head">
                <h1>"Compute resources"</h1>
                <button type="button" class="primary" on:click=move |_| { editing.set(None); creating.set(true) }>
                    "+ NEW COMPUTE RESOURCE"
                </button>
            </div>
            <Transition fallback=|| view! { <p class="empty">"Loading…"</p> }>
                {move || data.get().map(|r| match r {
                    Err(e) => Either::Left(view! { <p class="error" role="alert">{e.to_string()}</p> }),
                    Ok((assets, units)) => {
                        let taken: Vec<String> = assets.compute.iter().map(|c| c.meta.name.clone()).collect();
                        let done = Callback::new(move |_| { creating.set(false); editing.set(None); version.update(|v| *v += 1) });
                        let cancel = Callback::new(move |()| { creating.set(false); editing.set(None) });
                        let form = {
                            let (units, taken) = (units.clone(), taken.clone());
                            let list = assets.compute.clone();
                            move || {
                                let target = editing.get().and_then(|id| list.iter().find(|c| c.meta.id.as_deref() == Some(id.as_str())).cloned());
                                (creating.get() || target.is_some()).then(|| match target {
                                    Some(t) => view! { <ComputeForm units=units.clone() taken=taken.clone() editing=t on_saved=done on_cancel=cancel /> }.into_any(),
                                    None => view! { <ComputeForm units=units.clone() taken=taken.clone() on_saved=done on_cancel=cancel /> }.into_any(),
                                })
                            }
                        };
                        Either::Right(view! {
                            {form}
                            <table class="assets">
                                <thead><tr><th>"Name"</th><th>"Scope"</th><th>"GPUs per pod"</th><th>"CPU cores"</th><th>"CPU memory"</th><th></th></tr></thead>
                                <tbody>
                                    {assets.compute.into_iter().map(|c| {
                                        let id = c.meta.id.clone().unwrap_or_default();
                                        let edit_id = id.clone();
                                        view! {
                                            <tr data-asset=c.meta.name.clone()>
                                                <td>{c.meta.name.clone()}</td>
                                                <td>{units.scope_name(&c.meta)}</td>
                                                <td>{gpu_words(&c.spec)}</td>
                                                <td>{c.spec.cpu_core_request.map(|v| v.to_string()).unwrap_or_default()}</td>
                                                <td>{c.spec.cpu_memory_request.clone().unwrap_or_default()}</td>
                                                <td class="row-actions">
                                                    <button type="button" class="quiet" on:click=move |_| { creating.set(false); editing.set(Some(edit_id.clone())) }>"Edit"</button>
                                                    <DeleteButton kind=AssetKind::Compute id name=c.meta.name.clone() version />
                                                </td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        })
                    }
                })}
            </Transition>
        </section>
    }
}

/// The Templates page: an environment and a compute resource saved for trainings or workspaces.
#[component]
pub fn TemplatesPage() -> impl IntoView {
    let (data, version) = use_asset_data();
    let creating = RwSignal::new(false);
    let editing = RwSignal::new(None::<String>);
    view! {
        <section class="page">
            <div class="page-head">
                <h1>"Templates"</h1>
                <button type="button" class="primary" on:click=move |_| { editing.set(None); creating.set(true) }>
                    "+ NEW TEMPLATE"
                </button>
            </div>
            <Transition fallback=|| view! { <p class="empty">"Loading…"</p> }>
                {move || data.get().map(|r| match r {
                    Err(e) => Either::Left(view! { <p class="error" role="alert">{e.to_string()}</p> }),
                    Ok((assets, units)) => {
                        let name_of = |list: Vec<(String, String)>, id: &str| list.into_iter().find(|(i, _)| i == id).map_or_else(|| id.to_owned(), |(_, n)| n);
                        let envs: Vec<(String, String)> = assets.environments.iter().map(|e| (e.meta.id.clone().unwrap_or_default(), e.meta.name.clone())).collect();
                        let computes: Vec<(String, String)> = assets.compute.iter().map(|c| (c.meta.id.clone().unwrap_or_default(), c.meta.name.clone())).collect();
                        let form = {
                            let (units, envs, computes) = (units.clone(), envs.clone(), computes.clone());
                            let taken: Vec<String> = assets.templates.iter().map(|t| t.meta.name.clone()).collect();
                            let list = assets.templates.clone();
                            let done = Callback::new(move |saved: bool| { creating.set(false); editing.set(None); if saved { version.update(|v| *v += 1) } });
                            move || {
                                let target = editing.get().and_then(|id| list.iter().find(|t| t.meta.id.as_deref() == Some(id.as_str())).cloned());
                                (creating.get() || target.is_some()).then(|| view! {
                                    <TemplateForm units=units.clone() envs=envs.clone() computes=computes.clone() taken=taken.clone() editing=target on_done=done />
                                })
                            }
                        };
                        Either::Right(view! {
                            {form}
                            <table class="assets">
                                <thead><tr><th>"Name"</th><th>"Scope"</th><th>"Type"</th><th>"Environment"</th><th>"Compute resource"</th><th></th></tr></thead>
                                <tbody>
                                    {assets.templates.into_iter().map(|t| {
                                        let id = t.meta.id.clone().unwrap_or_default();
                                        let edit_id = id.clone();
                                        view! {
                                            <tr data-asset=t.meta.name.clone()>
                                                <td>{t.meta.name.clone()}</td>
                                                <td>{units.scope_name(&t.meta)}</td>
                                                <td>{t.spec.workload_type.clone().unwrap_or_default()}</td>
                                                <td>{name_of(envs.clone(), &t.assets.environment)}</td>
                                                <td>{name_of(computes.clone(), &t.assets.compute)}</td>
                                                <td class="row-actions">
                                                    <button type="button" class="quiet" on:click=move |_| { creating.set(false); editing.set(Some(edit_id.clone())) }>"Edit"</button>
                                                    <DeleteButton kind=AssetKind::Template id name=t.meta.name.clone() version />
                                                </td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        })
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn TemplateForm(
    units: Units,
    envs: Vec<(String, String)>,
    computes: Vec<(String, String)>,
    taken: Vec<String>,
    editing: Option<TemplateAsset>,
    on_done: Callback<bool>,
) -> impl IntoView {
    let create = ServerAction::<SaveTemplate>::new();
    let id = editing.as_ref().and_then(|t| t.meta.id.clone());
    let name = RwSignal::new(
        editing
            .as_ref()
            .map(|t| t.meta.name.clone())
            .unwrap_or_default(),
    );
    let scope = RwSignal::new(
        editing
            .as_ref()
            .map_or_else(|| "cluster".to_owned(), |t| scope_value(&t.meta)),
    );
    let kind = RwSignal::new(
        editing
            .as_ref()
            .and_then(|t| t.spec.workload_type.clone())
            .unwrap_or_else(|| "training".to_owned()),
    );
    let env = RwSignal::new(editing.as_ref().map_or_else(
        || envs.first().map(|e| e.0.clone()).unwrap_or_default(),
        |t| t.assets.environment.clone(),
    ));
    let compute = RwSignal::new(editing.as_ref().map_or_else(
        || computes.first().map(|c| c.0.clone()).unwrap_or_default(),
        |t| t.assets.compute.clone(),
    ));
    let original = editing.as_ref().map(|t| t.meta.name.clone());
    let taken: Vec<String> = taken
        .into_iter()
        .filter(|t| Some(t) != original.as_ref())
        .collect();
    let name_error = Memo::new(move |_| name_problem(name.get().trim(), &taken));
    let ready = move || {
        name_error.get().is_none()
            && !name.get().trim().is_empty()
            && !env.get().is_empty()
            && !compute.get().is_empty()
    };
    let error = Signal::derive(move || create.value().get().and_then(Result::err));
    Effect::new(move |_| {
        if let Some(Ok(_)) = create.value().get() {
            on_done.run(true);
        }
    });
    let units_for_submit = units.clone();
    let editing_id = id.clone();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if !ready() {
            return;
        }
        create.dispatch(SaveTemplate {
            asset: TemplateAsset {
                meta: meta_of(
                    &units_for_submit,
                    &scope.get_untracked(),
                    &name.get_untracked(),
                    editing_id.clone(),
                ),
                spec: TemplateSpec {
                    workload_type: Some(kind.get_untracked()),
                },
                assets: TemplateAssets {
                    environment: env.get_untracked(),
                    compute: compute.get_untracked(),
                },
            },
        });
    };
    view! {
        <form class="form card" data-form="template" on:submit=submit>
            <h3>{if id.is_some() { "Edit template" } else { "New template" }}</h3>
            <ScopePicker units scope disabled=id.is_some() />
            <label>"Template name" <input name="name" autocomplete="off" value=name.get_untracked() bind:value=name required /></label>
            <p class="error field-error">{move || name_error.get()}</p>
            <label>"Workload type"
                <select name="type" bind:value=kind>
                    <option value="training">"Training"</option>
                    <option value="workspace">"Workspace"</option>
                </select>
            </label>
            <label>"Environment"
                <select name="environment" bind:value=env>
                    {envs.iter().map(|(id, n)| view! { <option value=id.clone()>{n.clone()}</option> }).collect_view()}
                </select>
            </label>
            <label>"Compute resource"
                <select name="compute" bind:value=compute>
                    {computes.iter().map(|(id, n)| view! { <option value=id.clone()>{n.clone()}</option> }).collect_view()}
                </select>
            </label>
            <ErrorNote error />
            <div class="actions">
                <button type="button" on:click=move |_| on_done.run(false)>"Cancel"</button>
                <button type="submit" class="primary" disabled=move || !ready() || create.pending().get()>
                    {if id.is_some() { "SAVE" } else { "CREATE TEMPLATE" }}
                </button>
            </div>
        </form>
    }
}
