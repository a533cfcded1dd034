//! Rota's web app: the shell, the router, the pages, and the server functions they call. Server
//! functions are thin: they read the `Rota` services from context and call `rota_control`.

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{A, Route, Router, Routes};
use leptos_router::path;

mod error;
mod routes;
pub mod server_fns;

pub use error::UiError;

/// The HTML document around every page.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <link rel="icon" type="image/svg+xml" href="/favicon.svg" />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The app: a header with navigation, and the page for the current route.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Stylesheet id="leptos" href="/pkg/rota.css" />
        <Title text="Rota" />
        <Router>
            <header class="top">
                <a class="brand" href="/">"Rota"</a>
                <nav>
                    <A href="/workloads">"Workloads"</A>
                </nav>
            </header>
            <main>
                <Routes fallback=|| view! { <p class="empty">"No such page."</p> }>
                    <Route path=path!("/") view=routes::workloads::WorkloadsPage />
                    <Route path=path!("/workloads") view=routes::workloads::WorkloadsPage />
                </Routes>
            </main>
        </Router>
    }
}
