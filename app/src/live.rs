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
    // A change.
    let bump = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
        set_changes.update(|n| *n += 1);
    });
    // A reconnection, after which changes may have been missed — but not the first connection:
    // a refetch then would race the hydration of data still streaming in.
    let mut first = true;
    let reopened = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
        if first {
            first = false;
        } else {
            set_changes.update(|n| *n += 1);
        }
    });
    let _ = source.add_event_listener_with_callback("changed", bump.as_ref().unchecked_ref());
    let _ = source.add_event_listener_with_callback("open", reopened.as_ref().unchecked_ref());
    let held = send_wrapper::SendWrapper::new((source, bump, reopened));
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
