//! The forms that create (or change) environments and compute resources — on their own pages
//! and in place inside the new-workload wizard. Each field is checked as it is typed with
//! rota-api's rules; the server's refusal is shown when it comes; what was typed stays.

use leptos::prelude::*;
use rota_api::validate;
use rota_api::wire::{AssetMeta, Compute, ComputeAsset, EnvironmentAsset, EnvironmentSpec};

use crate::components::ErrorNote;
use crate::runs_fields::{RunsFields, RunsText};
use crate::server_fns::assets::{SaveCompute, SaveEnvironment};
use crate::server_fns::org::Units;

/// A scope as the scope picker writes it: `cluster`, `department:ID` or `project:ID`.
pub fn meta_of(units: &Units, scope: &str, name: &str, id: Option<String>) -> AssetMeta {
    let (kind, scope_id) = scope.split_once(':').unwrap_or((scope, ""));
    let scope_id = (!scope_id.is_empty()).then(|| scope_id.to_owned());
    AssetMeta {
        id,
        name: name.trim().to_owned(),
        scope: kind.to_owned(),
        cluster_id: Some(units.cluster.0.clone()),
        department_id: scope_id.clone().filter(|_| kind == "department"),
        project_id: scope_id.filter(|_| kind == "project"),
        created_at: None,
    }
}

/// The picker's value for an asset's scope.
pub fn scope_value(meta: &AssetMeta) -> String {
    match meta.scope.as_str() {
        "department" => format!(
            "department:{}",
            meta.department_id.clone().unwrap_or_default()
        ),
        "project" => format!("project:{}", meta.project_id.clone().unwrap_or_default()),
        _ => "cluster".into(),
    }
}

/// Cluster, then departments, then projects.
#[component]
pub fn ScopePicker(
    units: Units,
    scope: RwSignal<String>,
    #[prop(optional)] disabled: bool,
) -> impl IntoView {
    view! {
        <label>
            "Scope"
            <select name="scope" bind:value=scope disabled=disabled>
                <option value="cluster">{format!("Cluster {}", units.cluster.1)}</option>
                <optgroup label="Departments">
                    {units
                        .departments
                        .iter()
                        .map(|d| view! { <option value=format!("department:{}", d.id)>{d.name.clone()}</option> })
                        .collect_view()}
                </optgroup>
                <optgroup label="Projects">
                    {units
                        .every_project
                        .iter()
                        .map(|(id, name)| view! { <option value=format!("project:{id}")>{name.clone()}</option> })
                        .collect_view()}
                </optgroup>
            </select>
        </label>
    }
}

/// The head of every asset form: the cluster, the scope (fixed once made), and the name with
/// what is wrong with it.
#[component]
fn AssetHead(
    units: Units,
    scope: RwSignal<String>,
    name: RwSignal<String>,
    name_error: Memo<Option<String>>,
    editing: bool,
    label: &'static str,
) -> impl IntoView {
    view! {
        <label>
            "Cluster"
            <select name="cluster" disabled>
                <option>{units.cluster.1.clone()}</option>
            </select>
        </label>
        <ScopePicker units scope disabled=editing />
        <label>
            {label}
            <input name="name" autocomplete="off" value=name.get_untracked() bind:value=name required />
        </label>
        <p class="error field-error">{move || name_error.get()}</p>
    }
}

/// A name checked as it is typed: a DNS-1123 label, not taken by `taken`.
pub(crate) fn name_problem(name: &str, taken: &[String]) -> Option<String> {
    if name.is_empty() {
        return None;
    }
    if let Err(e) = validate::name("name", name) {
        return Some(e.message);
    }
    taken
        .iter()
        .any(|t| t == name)
        .then(|| format!("{name} is taken; pick another name"))
}

/// Creates an environment, or changes `editing`.
#[component]
pub fn EnvironmentForm(
    units: Units,
    /// Names already used (in any scope), checked as the name is typed.
    taken: Vec<String>,
    #[prop(optional)] editing: Option<EnvironmentAsset>,
    on_saved: Callback<EnvironmentAsset>,
    #[prop(optional)] on_cancel: Option<Callback<()>>,
) -> impl IntoView {
    let save = ServerAction::<SaveEnvironment>::new();
    let id = editing.as_ref().and_then(|e| e.meta.id.clone());
    let name = RwSignal::new(
        editing
            .as_ref()
            .map(|e| e.meta.name.clone())
            .unwrap_or_default(),
    );
    let image = RwSignal::new(
        editing
            .as_ref()
            .map(|e| e.spec.image.clone())
            .unwrap_or_default(),
    );
    let scope = RwSignal::new(
        editing
            .as_ref()
            .map_or_else(|| "cluster".to_owned(), |e| scope_value(&e.meta)),
    );
    let runs = RunsText::new(editing.as_ref().map(|e| &e.spec));
    let original = editing.as_ref().map(|e| e.meta.name.clone());
    let taken: Vec<String> = taken
        .into_iter()
        .filter(|t| Some(t) != original.as_ref())
        .collect();
    let name_error = Memo::new(move |_| name_problem(name.get().trim(), &taken));
    let image_error = Memo::new(move |_| {
        let i = image.get();
        (!i.trim().is_empty())
            .then(|| validate::image("image", i.trim()).err().map(|e| e.message))
            .flatten()
    });
    let ready = move || {
        name_error.get().is_none()
            && image_error.get().is_none()
            && runs.problem().is_none()
            && !name.get().trim().is_empty()
            && !image.get().trim().is_empty()
    };
    let server_error = Signal::derive(move || save.value().get().and_then(Result::err));
    Effect::new(move |_| {
        if let Some(Ok(saved)) = save.value().get() {
            on_saved.run(saved);
        }
    });
    let units_for_submit = units.clone();
    let editing_id = id.clone();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if !ready() {
            return;
        }
        save.dispatch(SaveEnvironment {
            asset: EnvironmentAsset {
                meta: meta_of(
                    &units_for_submit,
                    &scope.get_untracked(),
                    &name.get_untracked(),
                    editing_id.clone(),
                ),
                spec: EnvironmentSpec {
                    image: image.get_untracked().trim().to_owned(),
                    command: runs.command(),
                    args: runs.args(),
                    environment_variables: runs.variables(),
                },
            },
        });
    };
    let title = if id.is_some() {
        "Edit environment"
    } else {
        "New environment"
    };
    view! {
        <form class="form card" data-form="environment" on:submit=submit>
            <h3>{title}</h3>
            <AssetHead units=units.clone() scope name name_error editing=id.is_some() label="Environment name" />
            <label>
                "Image URL"
                <input name="image" autocomplete="off" placeholder="e.g. gcr.io/run-ai-demo/quickstart" value=image.get_untracked() bind:value=image required />
            </label>
            <p class="error field-error">{move || image_error.get()}</p>
            <fieldset class="runs">
                <legend>"What it runs (optional: empty runs the image's own entry point)"</legend>
                <RunsFields runs />
            </fieldset>
            <ErrorNote error=server_error />
            <div class="actions">
                {on_cancel.map(|c| view! { <button type="button" on:click=move |_| c.run(())>"Cancel"</button> })}
                <button type="submit" class="primary" disabled=move || !ready() || save.pending().get()>
                    {if id.is_some() { "SAVE" } else { "CREATE ENVIRONMENT" }}
                </button>
            </div>
        </form>
    }
}

/// How GPU memory per device is given.
const WHOLE: &str = "whole";
const PERCENT: &str = "percent";
const MB: &str = "mb";

/// What the compute form's fields say, as the API's compute shape, or what is wrong.
fn compute_of(
    devices: &str,
    mode: &str,
    memory: &str,
    cpu: &str,
    cpu_memory: &str,
) -> Result<Compute, String> {
    let num = |field: &str, v: &str| -> Result<f64, String> {
        v.trim()
            .parse::<f64>()
            .map_err(|_| format!("{field}: {:?} is not a number", v.trim()))
    };
    let devices = num("GPU devices per pod", devices)?;
    let (portion, gpu_memory) = match mode {
        PERCENT => (Some(num("GPU memory %", memory)? / 100.0), None),
        MB => (None, Some(format!("{}M", num("GPU memory MB", memory)?))),
        _ => (None, None),
    };
    validate::gpu_ask("GPU", Some(devices), portion, gpu_memory.as_deref())
        .map_err(|e| e.message)?;
    let cpu = num("CPU cores", cpu)?;
    validate::cpu_millicores("CPU cores", cpu).map_err(|e| e.message)?;
    let cpu_memory = format!("{}M", num("CPU memory MB", cpu_memory)?);
    validate::memory_mib("CPU memory", &cpu_memory).map_err(|e| e.message)?;
    Ok(Compute {
        gpu_devices_request: Some(devices),
        gpu_request_type: portion
            .map(|_| "portion".to_owned())
            .or(gpu_memory.as_ref().map(|_| "memory".to_owned())),
        gpu_portion_request: portion,
        gpu_memory_request: gpu_memory,
        cpu_core_request: Some(cpu),
        cpu_memory_request: Some(cpu_memory),
    })
}

/// A number without a needless fraction.
fn plain(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v}")
    }
}

/// Creates a compute resource, or changes `editing`.
#[component]
pub fn ComputeForm(
    units: Units,
    /// Names already used (in any scope), checked as the name is typed.
    taken: Vec<String>,
    #[prop(optional)] editing: Option<ComputeAsset>,
    on_saved: Callback<ComputeAsset>,
    #[prop(optional)] on_cancel: Option<Callback<()>>,
) -> impl IntoView {
    let save = ServerAction::<SaveCompute>::new();
    let id = editing.as_ref().and_then(|c| c.meta.id.clone());
    let spec = editing.as_ref().map(|c| c.spec.clone());
    let name = RwSignal::new(
        editing
            .as_ref()
            .map(|c| c.meta.name.clone())
            .unwrap_or_default(),
    );
    let scope = RwSignal::new(
        editing
            .as_ref()
            .map_or_else(|| "cluster".to_owned(), |c| scope_value(&c.meta)),
    );
    let devices = RwSignal::new(
        spec.as_ref()
            .and_then(|s| s.gpu_devices_request)
            .map_or("1".into(), plain),
    );
    let (mode0, memory0) = match spec.as_ref() {
        Some(Compute {
            gpu_portion_request: Some(p),
            ..
        }) => (PERCENT, plain(p * 100.0)),
        Some(Compute {
            gpu_memory_request: Some(m),
            ..
        }) => (
            MB,
            validate::memory_mib("m", m)
                .map(|mib| plain((mib as f64 * 1.048576).round()))
                .unwrap_or_default(),
        ),
        _ => (WHOLE, String::new()),
    };
    let mode = RwSignal::new(mode0.to_owned());
    let memory = RwSignal::new(memory0);
    let cpu = RwSignal::new(
        spec.as_ref()
            .and_then(|s| s.cpu_core_request)
            .map_or("0.1".into(), plain),
    );
    let cpu_memory = RwSignal::new(
        spec.as_ref()
            .and_then(|s| s.cpu_memory_request.as_deref())
            .and_then(|m| validate::memory_mib("m", m).ok())
            .map_or("100".into(), |mib| plain((mib as f64 * 1.048576).round())),
    );
    let original = editing.as_ref().map(|c| c.meta.name.clone());
    let taken: Vec<String> = taken
        .into_iter()
        .filter(|t| Some(t) != original.as_ref())
        .collect();
    let name_error = Memo::new(move |_| name_problem(name.get().trim(), &taken));
    let compute = Memo::new(move |_| {
        compute_of(
            &devices.get(),
            &mode.get(),
            &memory.get(),
            &cpu.get(),
            &cpu_memory.get(),
        )
    });
    let ready = move || {
        name_error.get().is_none() && !name.get().trim().is_empty() && compute.get().is_ok()
    };
    let server_error = Signal::derive(move || save.value().get().and_then(Result::err));
    Effect::new(move |_| {
        if let Some(Ok(saved)) = save.value().get() {
            on_saved.run(saved);
        }
    });
    let units_for_submit = units.clone();
    let editing_id = id.clone();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Ok(spec) = compute.get_untracked() else {
            return;
        };
        if !ready() {
            return;
        }
        save.dispatch(SaveCompute {
            asset: ComputeAsset {
                meta: meta_of(
                    &units_for_submit,
                    &scope.get_untracked(),
                    &name.get_untracked(),
                    editing_id.clone(),
                ),
                spec,
            },
        });
    };
    let title = if id.is_some() {
        "Edit compute resource"
    } else {
        "New compute resource"
    };
    view! {
        <form class="form card" data-form="compute" on:submit=submit>
            <h3>{title}</h3>
            <AssetHead units=units.clone() scope name name_error editing=id.is_some() label="Compute resource name" />
            <label>
                "GPU devices per pod"
                <input name="gpuDevices" class="num" inputmode="numeric" value=devices.get_untracked() bind:value=devices />
            </label>
            <fieldset>
                <legend>"GPU memory per device"</legend>
                <label class="inline">
                    <input type="radio" name="gpuMemoryMode" value=WHOLE prop:checked=move || mode.get() == WHOLE on:change=move |_| mode.set(WHOLE.into()) />
                    " Whole device"
                </label>
                <label class="inline">
                    <input type="radio" name="gpuMemoryMode" value=PERCENT prop:checked=move || mode.get() == PERCENT on:change=move |_| mode.set(PERCENT.into()) />
                    " % of device"
                </label>
                <label class="inline">
                    <input type="radio" name="gpuMemoryMode" value=MB prop:checked=move || mode.get() == MB on:change=move |_| mode.set(MB.into()) />
                    " MB"
                </label>
                <Show when=move || mode.get() != WHOLE>
                    <input name="gpuMemory" class="num" inputmode="decimal" aria-label="GPU memory per device" value=memory.get_untracked() bind:value=memory />
                </Show>
            </fieldset>
            <label>
                "CPU cores"
                <input name="cpuCores" class="num" inputmode="decimal" value=cpu.get_untracked() bind:value=cpu />
            </label>
            <label>
                "CPU memory (MB)"
                <input name="cpuMemory" class="num" inputmode="numeric" value=cpu_memory.get_untracked() bind:value=cpu_memory />
            </label>
            <p class="error field-error">{move || compute.get().err()}</p>
            <ErrorNote error=server_error />
            <div class="actions">
                {on_cancel.map(|c| view! { <button type="button" on:click=move |_| c.run(())>"Cancel"</button> })}
                <button type="submit" class="primary" disabled=move || !ready() || save.pending().get()>
                    {if id.is_some() { "SAVE" } else { "CREATE COMPUTE RESOURCE" }}
                </button>
            </div>
        </form>
    }
}

/// A compute resource's GPU ask in words: `1 GPU`, `2 GPUs`, `50% of a GPU`, `5000 MiB of a GPU`.
pub fn gpu_words(c: &Compute) -> String {
    if let Some(p) = c.gpu_portion_request {
        return format!("{}% of a GPU", plain(p * 100.0));
    }
    if let Some(m) = &c.gpu_memory_request {
        return format!("{m} of a GPU");
    }
    match c.gpu_devices_request.unwrap_or(0.0) {
        1.0 => "1 GPU".into(),
        n => format!("{} GPUs", plain(n)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_compute_fields_become_the_apis_shape_or_say_what_is_wrong() {
        let c = compute_of("2", WHOLE, "", "0.1", "100").expect("valid");
        assert_eq!(c.gpu_devices_request, Some(2.0));
        assert_eq!(c.cpu_memory_request.as_deref(), Some("100M"));
        let half = compute_of("1", PERCENT, "50", "0.1", "100").expect("valid");
        assert_eq!(half.gpu_portion_request, Some(0.5));
        assert_eq!(gpu_words(&half), "50% of a GPU");
        assert!(
            compute_of("2", PERCENT, "50", "0.1", "100")
                .unwrap_err()
                .contains("one device")
        );
        assert!(
            compute_of("x", WHOLE, "", "0.1", "100")
                .unwrap_err()
                .contains("not a number")
        );
        assert!(compute_of("1", WHOLE, "", "-1", "100").is_err());
    }

    #[test]
    fn names_are_checked_as_typed() {
        assert_eq!(name_problem("", &[]), None);
        assert!(name_problem("Bad_Name", &[]).is_some());
        assert!(
            name_problem("one-gpu", &["one-gpu".into()])
                .expect("taken")
                .contains("taken")
        );
        assert_eq!(name_problem("one-gpu", &["two-gpus".into()]), None);
    }
}
