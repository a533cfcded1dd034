//! "+ NEW WORKLOAD", step by step as the walkthrough shows it: Training, Distributed (a framework
//! and its workers) or Workspace → cluster → project → a template or "Start from scratch" → a
//! name (checked in the project as it is typed) → CONTINUE → an environment (or a new one,
//! created in place) → a compute resource per pod (or a new one) → node pools → priority and
//! preemptibility → what the scheduler would do now → CREATE TRAINING / CREATE DISTRIBUTED / CREATE WORKSPACE.

use leptos::either::Either;
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use rota_api::inherit::from_environment;
use rota_api::wire::{EnvironmentAsset, PreviewOutcome, WorkloadCreationRequest, WorkloadSpec};

use crate::asset_forms::{ComputeForm, EnvironmentForm, gpu_words};
use crate::components::ErrorNote;
use crate::runs_fields::{RunsFields, RunsText, runs_words};
use crate::server_fns::assets::{Assets, list_assets};
use crate::server_fns::org::{Units, my_units};
use crate::server_fns::workloads::{
    CreateWorkload, DistributedChoice, check_workload_name, preview_workload,
};

/// The workload types the wizard offers.
const KINDS: [&str; 3] = ["Training", "Distributed", "Workspace"];

/// What the wizard has gathered so far.
#[derive(Debug, Clone, Copy)]
struct Draft {
    kind: RwSignal<String>,
    project: RwSignal<String>,
    template: RwSignal<String>,
    name: RwSignal<String>,
    environment: RwSignal<String>,
    compute: RwSignal<String>,
    /// What this workload runs, over its environment's (optional).
    runs: RunsText,
    /// A distributed training's framework.
    framework: RwSignal<String>,
    /// A distributed training's workers (beside the master).
    workers: RwSignal<u32>,
    /// Node pools it may run in, in order of preference (none: any).
    pools: RwSignal<Vec<String>>,
    /// Its priority class (empty: the type's default).
    priority: RwSignal<String>,
    /// `preemptible` or `non-preemptible` (empty: as the priority says).
    preemptibility: RwSignal<String>,
}

impl Draft {
    /// The environment picked, if any.
    fn environment<'a>(&self, assets: &'a Assets) -> Option<&'a EnvironmentAsset> {
        assets
            .environments
            .iter()
            .find(|e| e.meta.id.as_deref() == Some(self.environment.get().as_str()))
    }

    /// The request, once an environment and a compute resource are chosen: what it runs is the
    /// environment's, under `own` (rota-api's inheritance rule, as the server applies it to
    /// templates).
    fn request(
        &self,
        units: &Units,
        assets: &Assets,
        own: WorkloadSpec,
    ) -> Option<WorkloadCreationRequest> {
        let env = self.environment(assets)?;
        let compute = assets
            .compute
            .iter()
            .find(|c| c.meta.id.as_deref() == Some(self.compute.get().as_str()))?;
        Some(WorkloadCreationRequest {
            name: self.name.get().trim().to_owned(),
            project_id: self.project.get(),
            cluster_id: units.cluster.0.clone(),
            spec: from_environment(
                &env.spec,
                WorkloadSpec {
                    compute: compute.spec.clone(),
                    node_pools: self.pools.get(),
                    priority_class: Some(self.priority.get()).filter(|c| !c.is_empty()),
                    preemptibility: Some(self.preemptibility.get()).filter(|p| !p.is_empty()),
                    ..own
                },
            ),
            ..WorkloadCreationRequest::default()
        })
    }

    /// The distributed choices (sent with every type; only `Distributed` reads them).
    fn distributed(&self) -> DistributedChoice {
        DistributedChoice {
            framework: self.framework.get(),
            workers: self.workers.get(),
        }
    }

    /// This workload's own command, arguments and variables.
    fn own(&self) -> WorkloadSpec {
        WorkloadSpec {
            command: self.runs.command(),
            args: self.runs.args(),
            environment_variables: self.runs.variables(),
            ..WorkloadSpec::default()
        }
    }
}

/// The new-workload page.
#[component]
pub fn NewWorkloadPage() -> impl IntoView {
    let assets_version = RwSignal::new(0u64);
    let units = Resource::new(|| (), |_| my_units());
    let assets = Resource::new(move || assets_version.get(), |_| list_assets());
    let draft = Draft {
        kind: RwSignal::new("Training".into()),
        project: RwSignal::new(String::new()),
        template: RwSignal::new(String::new()),
        name: RwSignal::new(String::new()),
        environment: RwSignal::new(String::new()),
        compute: RwSignal::new(String::new()),
        runs: RunsText::new(None),
        framework: RwSignal::new("PyTorch".into()),
        workers: RwSignal::new(1),
        pools: RwSignal::new(Vec::new()),
        priority: RwSignal::new(String::new()),
        preemptibility: RwSignal::new(String::new()),
    };
    let step = RwSignal::new(1u8);
    view! {
        <section class="page wizard">
            <div class="page-head">
                <h1>"New workload"</h1>
                <ol class="steps" aria-label="Steps">
                    <li aria-current=move || (step.get() == 1).then_some("step")>"1. General"</li>
                    <li aria-current=move || (step.get() == 2).then_some("step")>"2. Environment and compute"</li>
                </ol>
            </div>
            <Transition fallback=|| view! { <p class="empty">"Loading…"</p> }>
                {move || {
                    match (units.get(), assets.get()) {
                        (Some(Err(e)), _) | (_, Some(Err(e))) => {
                            Some(Either::Left(view! { <p class="error" role="alert">{e.to_string()}</p> }))
                        }
                        (Some(Ok(u)), Some(Ok(a))) => {
                            Some(Either::Right(view! {
                                <Show when=move || step.get() == 1 fallback={
                                    let (u, a) = (u.clone(), a.clone());
                                    move || view! { <AssetsStep units=u.clone() assets=a.clone() draft step assets_version /> }
                                }>
                                    <GeneralStep units=u.clone() assets=a.clone() draft step />
                                </Show>
                            }))
                        }
                        _ => None,
                    }
                }}
            </Transition>
        </section>
    }
}

/// Step 1: type, cluster, project, template or scratch, name.
#[component]
fn GeneralStep(units: Units, assets: Assets, draft: Draft, step: RwSignal<u8>) -> impl IntoView {
    if draft.project.get_untracked().is_empty()
        && let Some(p) = units.projects.first()
    {
        draft.project.set(p.id.clone());
    }
    let no_projects = units.projects.is_empty();
    // The name as typed, checked locally at once and in its project by the server.
    let checked = Resource::new(
        move || (draft.project.get(), draft.name.get().trim().to_owned()),
        |(project, name)| async move {
            if name.is_empty() || project.is_empty() {
                return Ok(());
            }
            check_workload_name(project, name).await
        },
    );
    let name_error = move || {
        let n = draft.name.get();
        let n = n.trim();
        if n.is_empty() {
            return None;
        }
        if let Err(e) = rota_api::validate::name("name", n) {
            return Some(e.message);
        }
        checked.get().and_then(Result::err).map(|e| e.to_string())
    };
    let ready = move || {
        (draft.kind.get() != "Distributed" || draft.workers.get() >= 1)
            && !draft.name.get().trim().is_empty()
            && !draft.project.get().is_empty()
            && name_error().is_none()
            && checked.get().is_some_and(|r| r.is_ok())
    };
    let templates = assets.templates.clone();
    let on_template = {
        let templates = templates.clone();
        move |ev: leptos::ev::Event| {
            let id = event_target_value(&ev);
            if let Some(t) = templates
                .iter()
                .find(|t| t.meta.id.as_deref() == Some(id.as_str()))
            {
                draft.environment.set(t.assets.environment.clone());
                draft.compute.set(t.assets.compute.clone());
            }
            draft.template.set(id);
        }
    };
    let continue_ = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if ready() {
            step.set(2);
        }
    };
    view! {
        <form class="form" on:submit=continue_>
            <fieldset>
                <legend>"Workload type"</legend>
                {KINDS
                    .into_iter()
                    .map(|k| {
                        view! {
                            <label class="inline choice">
                                <input
                                    type="radio"
                                    name="kind"
                                    value=k
                                    prop:checked=move || draft.kind.get() == k
                                    on:change=move |_| {
                                        draft.kind.set(k.into());
                                        draft.template.set(String::new());
                                    }
                                />
                                " " {k}
                            </label>
                        }
                    })
                    .collect_view()}
            </fieldset>
            <Show when=move || draft.kind.get() == "Distributed">
                <div class="row">
                    <label>
                        "Framework"
                        <select name="framework" bind:value=draft.framework>
                            {rota_api::distributed::Framework::ALL
                                .iter()
                                .map(|f| view! { <option value=f.as_str()>{f.as_str()}</option> })
                                .collect_view()}
                        </select>
                    </label>
                    <label>
                        "Workers"
                        <input name="workers" type="number" min="1" step="1"
                            prop:value=move || draft.workers.get().to_string()
                            on:input=move |ev| draft.workers.set(event_target_value(&ev).parse().unwrap_or(0)) />
                    </label>
                </div>
                <p class="muted">{move || format!(
                    "A master and {} worker(s): {} pods with the same environment and compute, started together or not at all.",
                    draft.workers.get(),
                    draft.workers.get() + 1
                )}</p>
            </Show>
            <label>
                "Cluster"
                <select name="cluster">
                    <option value=units.cluster.0.clone()>{units.cluster.1.clone()}</option>
                </select>
            </label>
            <label>
                "Project"
                <select name="project" bind:value=draft.project>
                    {units
                        .projects
                        .iter()
                        .map(|p| view! { <option value=p.id.clone()>{p.name.clone()}</option> })
                        .collect_view()}
                </select>
            </label>
            <Show when=move || no_projects>
                <p class="error" role="alert">"You are not a member of any project; ask an admin to add you to one."</p>
            </Show>
            <label>
                "Template"
                <select name="template" prop:value=move || draft.template.get() on:change=on_template>
                    <option value="">"Start from scratch"</option>
                    {move || {
                        // A distributed training uses training templates.
                        let kind = match draft.kind.get().as_str() {
                            "Distributed" => "training".to_owned(),
                            k => k.to_lowercase(),
                        };
                        templates
                            .iter()
                            .filter(|t| t.spec.workload_type.as_deref().is_none_or(|w| w == kind))
                            .map(|t| view! { <option value=t.meta.id.clone().unwrap_or_default()>{t.meta.name.clone()}</option> })
                            .collect_view()
                    }}
                </select>
            </label>
            <label>
                {move || format!("{} name", draft.kind.get())}
                <input name="name" autocomplete="off" placeholder="a DNS label, e.g. a1" value=draft.name.get_untracked() bind:value=draft.name required />
            </label>
            <p class="error field-error" role="status">{name_error}</p>
            <div class="actions">
                <a href="/workloads" class="button">"Cancel"</a>
                <button type="submit" class="primary" disabled=move || !ready()>"CONTINUE"</button>
            </div>
        </form>
    }
}

/// Step 2: environment and compute resource (picked, or created in place), what would happen,
/// and CREATE.
#[component]
fn AssetsStep(
    units: Units,
    assets: Assets,
    draft: Draft,
    step: RwSignal<u8>,
    assets_version: RwSignal<u64>,
) -> impl IntoView {
    let new_env = RwSignal::new(false);
    let new_compute = RwSignal::new(false);
    let create = ServerAction::<CreateWorkload>::new();
    let request = {
        let (units, assets) = (units.clone(), assets.clone());
        Memo::new(move |_| draft.request(&units, &assets, WorkloadSpec::default()))
    };
    let preview = Resource::new(
        move || (draft.kind.get(), request.get(), draft.distributed()),
        |(kind, req, distributed)| async move {
            match req {
                Some(r) => preview_workload(kind, r, distributed).await.map(Some),
                None => Ok(None),
            }
        },
    );
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(_)) = create.value().get() {
            navigate("/workloads", Default::default());
        }
    });
    let error = Signal::derive(move || create.value().get().and_then(Result::err));
    let env_saved = Callback::new(move |e: rota_api::wire::EnvironmentAsset| {
        draft.environment.set(e.meta.id.unwrap_or_default());
        new_env.set(false);
        assets_version.update(|v| *v += 1);
    });
    let compute_saved = Callback::new(move |c: rota_api::wire::ComputeAsset| {
        draft.compute.set(c.meta.id.unwrap_or_default());
        new_compute.set(false);
        assets_version.update(|v| *v += 1);
    });
    let env_names: Vec<String> = assets
        .environments
        .iter()
        .map(|e| e.meta.name.clone())
        .collect();
    let compute_names: Vec<String> = assets.compute.iter().map(|c| c.meta.name.clone()).collect();
    let submit = {
        let (units, assets) = (units.clone(), assets.clone());
        move |_| {
            let full = untrack(|| draft.request(&units, &assets, draft.own()));
            if let Some(request) = full {
                create.dispatch(CreateWorkload {
                    kind: draft.kind.get_untracked(),
                    request,
                    distributed: draft.distributed(),
                });
            }
        }
    };
    let inherited = {
        let assets = assets.clone();
        Signal::derive(move || draft.environment(&assets).map(|e| e.spec.clone()))
    };
    let units_env = units.clone();
    let units_compute = units.clone();
    let pools_step = view! { <NodePools units=units.clone() draft /> <Priority draft /> };
    let environments = view! {
        <section class="choose" aria-labelledby="env-head">
            <div class="section-head">
                <h2 id="env-head">"Environment"</h2>
                <button type="button" on:click=move |_| new_env.set(true)>"+ NEW ENVIRONMENT"</button>
            </div>
            <Show when=move || new_env.get()>
                <EnvironmentForm units=units_env.clone() taken=env_names.clone() on_saved=env_saved on_cancel=Callback::new(move |()| new_env.set(false)) />
            </Show>
            <div class="cards" role="radiogroup" aria-label="Environment">
                {assets.environments.iter().map(|e| {
                    let id = e.meta.id.clone().unwrap_or_default();
                    let checked_id = id.clone();
                    view! {
                        <label class="pick" data-environment=e.meta.name.clone()>
                            <input type="radio" name="environment" value=id.clone()
                                prop:checked=move || draft.environment.get() == checked_id
                                on:change=move |_| draft.environment.set(id.clone()) />
                            <strong>{e.meta.name.clone()}</strong>
                            <code>{e.spec.image.clone()}</code>
                            <span class="muted">{runs_words(&e.spec)}</span>
                        </label>
                    }
                }).collect_view()}
            </div>
            {assets.environments.is_empty().then(|| view! { <p class="empty">"No environments yet: create one."</p> })}
        </section>
    }
    .into_any();
    let computes = view! {
        <section class="choose" aria-labelledby="compute-head">
            <div class="section-head">
                <h2 id="compute-head">"Compute resource"</h2>
                <button type="button" on:click=move |_| new_compute.set(true)>"+ NEW COMPUTE RESOURCE"</button>
            </div>
            <Show when=move || new_compute.get()>
                <ComputeForm units=units_compute.clone() taken=compute_names.clone() on_saved=compute_saved on_cancel=Callback::new(move |()| new_compute.set(false)) />
            </Show>
            <div class="cards" role="radiogroup" aria-label="Compute resource">
                {assets.compute.iter().map(|c| {
                    let id = c.meta.id.clone().unwrap_or_default();
                    let checked_id = id.clone();
                    view! {
                        <label class="pick" data-compute=c.meta.name.clone()>
                            <input type="radio" name="compute" value=id.clone()
                                prop:checked=move || draft.compute.get() == checked_id
                                on:change=move |_| draft.compute.set(id.clone()) />
                            <strong>{c.meta.name.clone()}</strong>
                            <span>{gpu_words(&c.spec)}</span>
                        </label>
                    }
                }).collect_view()}
            </div>
            {assets.compute.is_empty().then(|| view! { <p class="empty">"No compute resources yet: create one."</p> })}
        </section>
    }
    .into_any();
    view! {
        <p class="muted">
            {move || format!("{} {} in project {}", draft.kind.get(), draft.name.get().trim(), units.projects.iter().find(|p| p.id == draft.project.get()).map(|p| p.name.clone()).unwrap_or_default())}
        </p>
        {environments}
        <section class="choose" aria-labelledby="run-head">
            <div class="section-head">
                <h2 id="run-head">"What it runs"</h2>
            </div>
            <p class="muted">"Optional: this workload's own command, arguments and variables, over its environment's. On a workstation or a Slurm cluster something must run: a command here or in the environment."</p>
            <RunsFields runs=draft.runs inherited />
        </section>
        {computes}
        {pools_step}
        <Transition fallback=|| ()>
            {move || preview.get().map(|p| match p {
                Ok(Some(p)) => {
                    let class = match p.outcome {
                        PreviewOutcome::StartsNow => "preview starts",
                        PreviewOutcome::StartsAfterPreemption => "preview preempts",
                        PreviewOutcome::Waits => "preview waits",
                    };
                    view! { <p class=class role="status" data-preview="">{p.message}</p> }.into_any()
                }
                Ok(None) => view! { <p class="preview muted">"Pick an environment and a compute resource to see what would happen."</p> }.into_any(),
                Err(e) => view! { <p class="preview error" role="status">{e.to_string()}</p> }.into_any(),
            })}
        </Transition>
        <ErrorNote error />
        <div class="actions">
            <button type="button" on:click=move |_| step.set(1)>"Back"</button>
            <button type="button" class="primary" on:click=submit disabled=move || request.get().is_none() || draft.runs.problem().is_some() || create.pending().get()>
                {move || format!("CREATE {}", draft.kind.get().to_uppercase())}
            </button>
        </div>
    }
}

/// The node pools a workload may run in: ticked in order of preference, none for any.
#[component]
fn NodePools(units: Units, draft: Draft) -> impl IntoView {
    let mut pools: Vec<String> = Vec::new();
    for r in units.projects.iter().flat_map(|p| &p.resources) {
        if !pools.contains(&r.node_pool.name) {
            pools.push(r.node_pool.name.clone());
        }
    }
    let order = move || {
        let chosen = draft.pools.get();
        if chosen.is_empty() {
            "Any node pool.".to_owned()
        } else {
            format!("In this order of preference: {}.", chosen.join(", "))
        }
    };
    view! {
        <section class="choose" aria-labelledby="pools-head">
            <div class="section-head">
                <h2 id="pools-head">"Node pools"</h2>
            </div>
            <div class="cards" role="group" aria-label="Node pools">
                {pools.into_iter().map(|pool| {
                    let (checked, toggled, label) = (pool.clone(), pool.clone(), pool.clone());
                    view! {
                        <label class="inline choice" data-pool=label>
                            <input type="checkbox" name="node-pool" value=pool.clone()
                                prop:checked=move || draft.pools.get().contains(&checked)
                                on:change=move |ev| {
                                    let on = event_target_checked(&ev);
                                    draft.pools.update(|p| {
                                        p.retain(|x| x != &toggled);
                                        if on {
                                            p.push(toggled.clone());
                                        }
                                    });
                                } />
                            " " {pool}
                        </label>
                    }
                }).collect_view()}
            </div>
            <p class="muted" role="status">{order}</p>
        </section>
    }
}

/// The priority class and preemptibility, each defaulting as the server's rule says.
#[component]
fn Priority(draft: Draft) -> impl IntoView {
    use rota_api::priority::{self, NON_PREEMPTIBLE, PREEMPTIBLE};
    let kind = move || match draft.kind.get().as_str() {
        "Workspace" => priority::WorkloadKind::Workspace,
        _ => priority::WorkloadKind::Training,
    };
    // What the server will store for the choices so far (they are picked from its lists, so
    // only an impossible pair is refused, and the server says why).
    let chosen = move || {
        let (class, preempt) = (draft.priority.get(), draft.preemptibility.get());
        priority::choose(
            kind(),
            ("priority", Some(class.as_str())),
            ("preemptibility", Some(preempt.as_str())),
        )
    };
    let class_default = move || {
        let value = kind().default_priority();
        format!("The type's default ({})", priority::class_label(value))
    };
    let preempt_default = move || {
        let class = draft.priority.get();
        let fallback = priority::choose(kind(), ("priority", Some(class.as_str())), ("", None));
        let word = fallback.map_or("-", |c| priority::preemptibility_label(c.preemptible));
        format!("As the priority says ({word})")
    };
    let summary = move || match chosen() {
        Ok(c) if c.preemptible => format!(
            "Priority {} ({}), preemptible: it may use idle GPUs over the project's quota, and \
             may be preempted to give them back.",
            priority::class_label(c.value),
            c.value
        ),
        Ok(c) => format!(
            "Priority {} ({}), non-preemptible: it runs only within the project's deserved \
             quota, and is never preempted.",
            priority::class_label(c.value),
            c.value
        ),
        Err(e) => e.message,
    };
    view! {
        <section class="choose" aria-labelledby="priority-head">
            <div class="section-head">
                <h2 id="priority-head">"Priority"</h2>
            </div>
            <div class="form-grid">
                <label>
                    "Priority class"
                    <select name="priority" bind:value=draft.priority>
                        <option value="">{class_default}</option>
                        {priority::class_names()
                            .map(|c| view! { <option value=c>{c}</option> })
                            .collect_view()}
                    </select>
                </label>
                <label>
                    "Preemptibility"
                    <select name="preemptibility" bind:value=draft.preemptibility>
                        <option value="">{preempt_default}</option>
                        <option value=PREEMPTIBLE>{PREEMPTIBLE}</option>
                        <option value=NON_PREEMPTIBLE>{NON_PREEMPTIBLE}</option>
                    </select>
                </label>
            </div>
            <p class="muted" role="status" data-priority="">{summary}</p>
        </section>
    }
}
