//! Signing in.

use leptos::prelude::*;

use crate::Session;
use crate::components::ErrorNote;

/// The sign-in page.
#[component]
pub fn SignInPage() -> impl IntoView {
    view! { <SignInForm /> }
}

/// User name and password; a refusal is shown and what was typed stays.
#[component]
pub fn SignInForm() -> impl IntoView {
    let session = expect_context::<Session>();
    let action = session.sign_in;
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    view! {
        <section class="page narrow">
            <h1>"Sign in to Rota"</h1>
            <ActionForm action=action>
                <div class="form">
                    <label>
                        "User name"
                        <input name="username" autocomplete="username" required autofocus />
                    </label>
                    <label>
                        "Password"
                        <input
                            type="password"
                            name="password"
                            autocomplete="current-password"
                            required
                        />
                    </label>
                    <ErrorNote error />
                    <div class="actions">
                        <button type="submit" class="primary" disabled=move || action.pending().get()>
                            "Sign in"
                        </button>
                    </div>
                </div>
            </ActionForm>
        </section>
    }
}
