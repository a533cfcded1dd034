//! Rota's web app: the shell, the router, the pages, and the server functions they call. Server
//! functions are thin: they read the caller and the `Rota` services from context and call
//! `rota_control`, as the REST API does.

// Leptos view types nest deeply; the wizard's pages pass the default limit.
#![recursion_limit = "256"]

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::{SsrMode, path};

mod asset_forms;
#[cfg(feature = "ssr")]
mod charts;
mod components;
mod error;
mod format;
mod live;
mod routes;
mod runs_fields;
pub mod server_fns;

pub use error::UiError;

use server_fns::session::{SignIn, SignOut, SignedInUser, me};

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

/// Who is signed in, and the actions that change it; provided to every page.
#[derive(Clone, Copy)]
pub struct Session {
    /// The signed-in user (none: signed out).
    pub user: Resource<Result<Option<SignedInUser>, UiError>>,
    /// Signs in.
    pub sign_in: ServerAction<SignIn>,
    /// Signs out.
    pub sign_out: ServerAction<SignOut>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session").finish_non_exhaustive()
    }
}

impl Session {
    /// The signed-in user, once known.
    pub fn me(&self) -> Option<SignedInUser> {
        self.user.get().and_then(Result::ok).flatten()
    }
}

/// The app: a header with navigation, and the page for the current route.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let sign_in = ServerAction::<SignIn>::new();
    let sign_out = ServerAction::<SignOut>::new();
    let user = Resource::new(
        move || (sign_in.version().get(), sign_out.version().get()),
        |_| me(),
    );
    provide_context(Session {
        user,
        sign_in,
        sign_out,
    });
    view! {
        <Stylesheet id="leptos" href="/pkg/rota.css" />
        <Title text="Rota" />
        <Router>
            <components::Header />
            <main>
                <Routes fallback=routes::not_found::NotFoundPage>
                    <Route path=path!("/signin") view=routes::signin::SignInPage />
                    <ParentRoute path=path!("") view=components::SignedIn>
                        <Route path=path!("/") view=routes::workloads::WorkloadsPage />
                        <Route path=path!("/workloads") view=routes::workloads::WorkloadsPage />
                        <Route path=path!("/workloads/new") view=routes::wizard::NewWorkloadPage />
                        // Served whole once its data is in, not streamed: fewer hydration
                        // mismatches when the workload changes while its page loads (see the
                        // executor browser test).
                        <Route path=path!("/workloads/:id") view=routes::workload::WorkloadPage ssr=SsrMode::Async />
                        <Route path=path!("/environments") view=routes::assets::EnvironmentsPage />
                        <Route path=path!("/compute") view=routes::assets::ComputePage />
                        <Route path=path!("/templates") view=routes::assets::TemplatesPage />
                        <Route path=path!("/projects") view=routes::org::ProjectsPage />
                        <Route path=path!("/departments") view=routes::org::DepartmentsPage />
                        <Route path=path!("/nodes") view=routes::nodes::NodesPage />
                        <Route path=path!("/settings") view=routes::settings::SettingsPage />
                        <Route path=path!("/overview") view=routes::overview::OverviewPage />
                    </ParentRoute>
                </Routes>
            </main>
        </Router>
    }
}
