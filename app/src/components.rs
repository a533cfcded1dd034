//! Pieces every page uses: the header, the sign-in gate, errors, fields, usage bars.

use leptos::either::Either;
use leptos::prelude::*;
use leptos_router::components::{A, Outlet};

use crate::Session;
use crate::UiError;
use crate::routes::signin::SignInForm;

/// The top bar: the pages the signed-in user may open, who they are, and sign out.
#[component]
pub fn Header() -> impl IntoView {
    let session = expect_context::<Session>();
    view! {
        <header class="top">
            <a class="brand" href="/">"Rota"</a>
            <Transition fallback=|| ()>
                {move || {
                    session
                        .me()
                        .map(|me| {
                            let admin = me.is_admin();
                            view! {
                                <nav aria-label="Main">
                                    <Show when=move || admin>
                                        <A href="/overview">"Overview"</A>
                                    </Show>
                                    <A href="/workloads">"Workloads"</A>
                                    <A href="/environments">"Environments"</A>
                                    <A href="/compute">"Compute resources"</A>
                                    <A href="/templates">"Templates"</A>
                                    <A href="/nodes">"Nodes"</A>
                                    <Show when=move || admin>
                                        <A href="/projects">"Projects"</A>
                                        <A href="/departments">"Departments"</A>
                                        <A href="/settings">"Settings"</A>
                                    </Show>
                                </nav>
                                <div class="who">
                                    <span class="user">{me.name.clone()}</span>
                                    <span class="role">{me.role.clone()}</span>
                                    <ActionForm action=session.sign_out>
                                        <button type="submit" class="quiet">"Sign out"</button>
                                    </ActionForm>
                                </div>
                            }
                        })
                }}
            </Transition>
        </header>
    }
}

/// Shows the page for a signed-in user, or the sign-in form.
#[component]
pub fn SignedIn() -> impl IntoView {
    let session = expect_context::<Session>();
    view! {
        <Transition fallback=|| view! { <p class="empty">"Loading…"</p> }>
            {move || {
                let signed_in = session.user.get().map(|user| matches!(user, Ok(Some(_))));
                // The page is built once the session is known, outside this Transition's
                // waiting (`Unsuspend`, as leptos_router's ProtectedRoute does): built inside it,
                // the server built it again each time a resource settled — each time making its
                // resources and fetching its data anew, rendering the last fetch while the browser
                // hydrated from the first (a mismatch whenever the data changed in between).
                signed_in.map(|yes| {
                    Unsuspend::new(move || {
                        if yes {
                            Either::Left(view! { <Outlet /> })
                        } else {
                            Either::Right(view! { <SignInForm /> })
                        }
                    })
                })
            }}
        </Transition>
    }
}

/// A refusal, with the field at fault when the server named one.
#[component]
pub fn ErrorNote(#[prop(into)] error: Signal<Option<UiError>>) -> impl IntoView {
    move || {
        error.get().map(|e| {
            let fields: Vec<String> = e.0.details.iter().map(|d| d.field.clone()).collect();
            let fields = (!fields.is_empty()).then(|| fields.join(", "));
            view! {
                <p class="error" role="alert">
                    {e.0.message.clone()}
                    {fields.map(|f| view! { <span class="field">" (" {f} ")"</span> })}
                </p>
            }
        })
    }
}

/// A workload phase as a coloured word.
#[component]
pub fn Status(#[prop(into)] phase: String) -> impl IntoView {
    let class = format!("status {}", phase.to_lowercase());
    view! { <span class=class>{phase}</span> }
}

/// Deserved, fair share and allocated GPUs of one unit as one bar, scaled to `scale` GPUs.
#[component]
pub fn ShareBar(deserved: f64, fair_share: f64, allocated: f64, scale: f64) -> impl IntoView {
    let pct = |v: f64| {
        if scale <= 0.0 {
            0.0
        } else {
            (v / scale * 100.0).clamp(0.0, 100.0)
        }
    };
    let label = format!(
        "deserved {deserved:.2}, fair share {fair_share:.2}, allocated {allocated:.2} GPUs"
    );
    view! {
        <div class="sharebar" role="img" aria-label=label.clone() title=label>
            <span class="allocated" style=format!("width:{:.1}%", pct(allocated))></span>
            <span class="fair" style=format!("left:{:.1}%", pct(fair_share))></span>
            <span class="deserved" style=format!("left:{:.1}%", pct(deserved))></span>
        </div>
    }
}
