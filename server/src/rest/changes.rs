//! `GET /api/v1/changes`: a server-sent event each time something people can see changed
//! (a submission, a deletion, a committed scheduling plan), so that pages follow the cluster
//! without polling. Bursts are folded into one event at most every [`FOLD`].

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::Stream;
use rota_control::services::Rota;

use super::Caller;

/// The shortest time between two events on one stream.
const FOLD: Duration = Duration::from_millis(150);

#[utoipa::path(get, path = "/api/v1/changes", tag = "workloads", security(("bearer" = [])),
    responses((status = 200, description = "text/event-stream: an event `changed` (data: a counter) after each visible change", content_type = "text/event-stream")))]
pub async fn changes(
    State(rota): State<Rota>,
    _caller: Caller,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let mut seen = rota.wake.subscribe();
    seen.mark_unchanged();
    let stream = futures::stream::unfold(seen, |mut seen| async move {
        seen.changed().await.ok()?;
        tokio::time::sleep(FOLD).await;
        let n = *seen.borrow_and_update();
        Some((
            Ok(Event::default().event("changed").data(n.to_string())),
            seen,
        ))
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}
