//! Settings (admins): how past usage weighs on the split of idle GPUs (time-based fair share).

use leptos::prelude::*;
use rota_api::wire::FairShareSettings;

use crate::components::ErrorNote;
use crate::server_fns::settings::{SaveFairShare, load_fair_share};

/// The Settings page.
#[component]
pub fn SettingsPage() -> impl IntoView {
    let loaded = Resource::new(|| (), |_| load_fair_share());
    view! {
        <section class="page">
            <div class="page-head">
                <h1>"Settings"</h1>
            </div>
            <Transition fallback=|| view! { <p class="empty">"Loading settings…"</p> }>
                {move || {
                    loaded
                        .get()
                        .map(|result| match result {
                            Ok(s) => view! { <FairShareForm settings=s /> }.into_any(),
                            Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                        })
                }}
            </Transition>
        </section>
    }
}

#[component]
fn FairShareForm(settings: FairShareSettings) -> impl IntoView {
    let save = ServerAction::<SaveFairShare>::new();
    let k_value = RwSignal::new(settings.k_value.to_string());
    let window = RwSignal::new(settings.window_size);
    let half_life = RwSignal::new(settings.half_life_period.unwrap_or_default());
    // The rule the server applies, checked as the admin types.
    let checked = Memo::new(move |_| {
        let k: f64 = k_value
            .get()
            .trim()
            .parse()
            .map_err(|_| format!("kValue: {:?} is not a number", k_value.get()))?;
        let (w, h) = (window.get(), half_life.get());
        let half = Some(h.trim()).filter(|h| !h.is_empty());
        rota_api::validate::time_fair_share(k, &w, half)
            .map_err(|e| format!("{}: {}", e.field, e.message))?;
        Ok::<_, String>(FairShareSettings {
            k_value: k,
            window_size: w.trim().to_owned(),
            half_life_period: half.map(str::to_owned),
        })
    });
    let server_error = Signal::derive(move || save.value().get().and_then(Result::err));
    let saved = move || save.value().get().and_then(Result::ok);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if let Ok(settings) = checked.get_untracked() {
            save.dispatch(SaveFairShare { settings });
        }
    };
    view! {
        <form class="card settings" aria-labelledby="fair-share-title" on:submit=submit>
            <h2 id="fair-share-title">"Time-based fair share"</h2>
            <p class="muted">
                "Idle GPUs beyond deserved quota are split by over-quota weight. With k above 0, a project's weight "
                "is moved by how far its share of past GPU usage is from its share of weight: "
                "w' = max(0, w + k·(weight share − usage share)). Deserved quota is never affected."
            </p>
            <label>
                "k value "
                <input class="num" name="kValue" inputmode="decimal" value=k_value.get_untracked() bind:value=k_value />
                <span class="hint">"0 (off) to 100; KAI-Scheduler's kValue"</span>
            </label>
            <label>
                "Usage window "
                <input class="num" name="windowSize" value=window.get_untracked() bind:value=window />
                <span class="hint">"usage older than this is forgotten: 1h to 720h"</span>
            </label>
            <label>
                "Half life "
                <input class="num" name="halfLifePeriod" placeholder="none" value=half_life.get_untracked() bind:value=half_life />
                <span class="hint">"usage this old counts half; empty: no decay"</span>
            </label>
            <div class="actions">
                <p class="error" role="alert">{move || checked.get().err()}</p>
                <ErrorNote error=server_error />
                {move || {
                    saved()
                        .map(|s| {
                            view! {
                                <p class="ok" role="status">
                                    {format!(
                                        "Saved: k {}, window {}, half life {}; the next scheduling cycle uses it.",
                                        s.k_value,
                                        s.window_size,
                                        s.half_life_period.as_deref().unwrap_or("none"),
                                    )}
                                </p>
                            }
                        })
                }}
                <button type="submit" class="primary" disabled=move || checked.get().is_err() || save.pending().get()>
                    "Save"
                </button>
            </div>
        </form>
    }
}
