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

/// Follows `url`'s server-sent events with gloo-net's `EventSource` while the calling component
/// lives: `on_event` gets each event of the `kinds` named and each (re)connection (`open`), with
/// its data. It stops when the component goes, or when `on_event` says so (returns false).
#[cfg(feature = "hydrate")]
fn follow_events(
    url: &str,
    kinds: &[&str],
    mut on_event: impl FnMut(&str, Option<String>) -> bool + 'static,
) {
    use futures::StreamExt;
    use gloo_net::eventsource::futures::EventSource;
    let Ok(mut source) = EventSource::new(url) else {
        return;
    };
    // `open` is an event like the others to the browser: a (re)connection.
    let streams: Vec<_> = std::iter::once("open")
        .chain(kinds.iter().copied())
        .filter_map(|kind| source.subscribe(kind).ok())
        .collect();
    let mut events = futures::stream::select_all(streams);
    let (stop, stopped) = futures::channel::oneshot::channel::<()>();
    leptos::task::spawn_local(async move {
        // The task owns the connection: when it ends (the component went, or `on_event` said
        // so), dropping it closes the connection, and the browser does not reconnect.
        let _source = source;
        let listen = async move {
            // An error ends the stream only once the browser has given up reconnecting.
            while let Some(Ok((kind, event))) = events.next().await {
                if !on_event(&kind, event.data().as_string()) {
                    break;
                }
            }
        };
        futures::future::select(Box::pin(listen), stopped).await;
    });
    let stop = send_wrapper::SendWrapper::new(stop);
    on_cleanup(move || {
        let _ = stop.take().send(());
    });
}

#[cfg(feature = "hydrate")]
fn follow(bump: WriteSignal<u64>) {
    // A change, or a (re)connection, after which changes may have been missed.
    follow_events("/api/v1/changes", &["changed"], move |_, _| {
        bump.update(|n| *n += 1);
        true
    });
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
    let id = workload.replace('/', "%2F");
    let url = format!("/api/v1/workloads/{id}/logs?pod={pod}&tail=500&follow=true");
    follow_events(&url, &["log", "end"], move |kind, data| match kind {
        // Each (re)connection starts with the last lines again.
        "open" => {
            set_text.set(String::new());
            true
        }
        // Each chunk is a JSON string.
        "log" => {
            let more = data
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
            true
        }
        // The pod is done: no reconnection.
        _ => false,
    });
}
