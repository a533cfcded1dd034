//! Following the cluster live: a counter that goes up each time the server says something people
//! can see changed (`GET /api/v1/changes`, server-sent events). Pages key their data on it.

use leptos::prelude::*;

/// Counts the server's change events while the calling component lives (in the browser; on the
/// server it stays 0).
pub fn use_changes() -> ReadSignal<u64> {
    let (changes, set_changes) = signal(0u64);
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| follow(set_changes));
    #[cfg(not(feature = "hydrate"))]
    let _ = set_changes;
    changes
}

#[cfg(feature = "hydrate")]
fn follow(set_changes: WriteSignal<u64>) {
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;
    let Ok(source) = web_sys::EventSource::new("/api/v1/changes") else {
        return;
    };
    // A change, or a reconnection after which changes may have been missed.
    let bump = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
        set_changes.update(|n| *n += 1);
    });
    let callback = bump.as_ref().unchecked_ref();
    let _ = source.add_event_listener_with_callback("changed", callback);
    let _ = source.add_event_listener_with_callback("open", callback);
    let held = send_wrapper::SendWrapper::new((source, bump));
    on_cleanup(move || held.0.close());
}
