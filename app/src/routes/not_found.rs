//! What a path that is no page of Rota's shows; the server answers it with status 404.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_location;

/// The "not found" page.
#[component]
pub fn NotFoundPage() -> impl IntoView {
    let path = use_location().pathname;
    view! {
        <section class="page" data-not-found="">
            <h1>"Page not found"</h1>
            <p>"Rota has no page at " <code>{move || path.get()}</code> "."</p>
            <p>
                <A href="/workloads">"Go to Workloads"</A>
            </p>
        </section>
    }
}
