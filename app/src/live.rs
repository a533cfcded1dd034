//! Following the cluster live: a counter that goes up each time the server says something people
//! can see changed (`GET /api/v1/changes`, server-sent events). Pages key their data on it.

use leptos::prelude::*;

/// The server's change events, counted while the calling page lives (in the browser; on the
/// server the count stays 0). A page's resources read [`Changes::get`] to refetch on a change.
///
/// The page starts following once what it shows from the server is on screen — hydrated, on a
/// page served whole — which the content says by calling [`Changes::shown`]. A change counted
/// earlier would refetch the data while the server's HTML for it is still being hydrated, and the
/// page would be hydrated against different data than the server rendered. The first connection
/// counts as a change: whatever changed between the server's render and then is fetched.
#[derive(Debug, Clone, Copy)]
pub struct Changes {
    count: ReadSignal<u64>,
    /// Set once, when the content is first on screen.
    shown: RwSignal<bool>,
}

/// A counter of the server's changes for the calling page.
pub fn use_changes() -> Changes {
    let (count, bump) = signal(0u64);
    let shown = RwSignal::new(false);
    // Runs again only when `shown` is set, once; the connection it opens lives until the page
    // goes (a re-run would close it).
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        if shown.get() {
            follow(bump);
        }
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = bump;
    Changes { count, shown }
}

impl Changes {
    /// How many changes were seen (tracked).
    pub fn get(&self) -> u64 {
        self.count.get()
    }

    /// Called by the content rendered from the page's data: once it is on screen, following
    /// starts.
    pub fn shown(self) {
        #[cfg(feature = "hydrate")]
        Effect::new(move |_| {
            if !self.shown.get_untracked() {
                self.shown.set(true);
            }
        });
        #[cfg(not(feature = "hydrate"))]
        let _ = self.shown;
    }
}

#[cfg(feature = "hydrate")]
fn follow(bump: WriteSignal<u64>) {
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;
    let Ok(source) = web_sys::EventSource::new("/api/v1/changes") else {
        return;
    };
    // A change, or a (re)connection, after which changes may have been missed.
    let changed = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
        bump.update(|n| *n += 1);
    });
    let _ = source.add_event_listener_with_callback("changed", changed.as_ref().unchecked_ref());
    let _ = source.add_event_listener_with_callback("open", changed.as_ref().unchecked_ref());
    let held = send_wrapper::SendWrapper::new((source, changed));
    on_cleanup(move || held.0.close());
}

/// A pod's output as it is written (`GET /api/v1/workloads/{id}/logs?follow=true`, as server-sent
/// events), while the calling component lives: the last lines first, then what follows, until
/// the pod is done. On the server it stays empty.
pub fn use_log(workload: String, pod: u32) -> ReadSignal<String> {
    let (text, set_text) = signal(String::new());
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| follow_log(&workload, pod, set_text));
    #[cfg(not(feature = "hydrate"))]
    let _ = (workload, pod, set_text);
    text
}

/// The most of a log a page keeps.
#[cfg(feature = "hydrate")]
const LOG_KEPT: usize = 256 * 1024;

#[cfg(feature = "hydrate")]
fn follow_log(workload: &str, pod: u32, set_text: WriteSignal<String>) {
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;
    let id = workload.replace('/', "%2F");
    let url = format!("/api/v1/workloads/{id}/logs?pod={pod}&tail=500&follow=true");
    let Ok(source) = web_sys::EventSource::new(&url) else {
        return;
    };
    // Each (re)connection starts with the last lines again.
    let opened = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| set_text.set(String::new()));
    let chunk =
        Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
            // Each chunk is a JSON string.
            let more = e
                .data()
                .as_string()
                .and_then(|d| js_sys::JSON::parse(&d).ok())
                .and_then(|v| v.as_string());
            if let Some(more) = more {
                set_text.update(|t| {
                    t.push_str(&more);
                    if t.len() > LOG_KEPT {
                        let cut = t.len() - LOG_KEPT;
                        let cut = t[cut..].find('\n').map_or(cut, |i| cut + i + 1);
                        t.drain(..cut);
                    }
                });
            }
        });
    let closer = source.clone();
    let ended = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| closer.close());
    let _ = source.add_event_listener_with_callback("open", opened.as_ref().unchecked_ref());
    let _ = source.add_event_listener_with_callback("log", chunk.as_ref().unchecked_ref());
    let _ = source.add_event_listener_with_callback("end", ended.as_ref().unchecked_ref());
    let held = send_wrapper::SendWrapper::new((source, opened, chunk, ended));
    on_cleanup(move || held.0.close());
}
