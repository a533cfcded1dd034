//! `GET /api/v1/workloads/{id}/logs?pod=N&tail=N&follow=true`: what a pod wrote, as plain text.
//! With `follow=true` the answer stays open and carries new output as it is written (chunked
//! text, or server-sent `log` events for a client that asks for `text/event-stream`), until the
//! pod is done.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use rota_api::ApiError;
use rota_control::services::Rota;
use rota_control::services::logs::{self, LogView};

use super::{AppResult, Caller};

/// How often a followed log is looked at.
const POLL: Duration = Duration::from_millis(200);

#[derive(Debug, Default)]
struct LogQuery {
    pod: u32,
    tail: Option<usize>,
    follow: bool,
}

fn parse(raw: Option<&str>) -> Result<LogQuery, ApiError> {
    let mut q = LogQuery::default();
    for (key, value) in form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        match key.as_ref() {
            "pod" => {
                q.pod = value.parse().map_err(|_| {
                    ApiError::invalid(
                        "pod",
                        format!("must be a pod index: 0, 1, … (got {value:?})"),
                    )
                })?;
            }
            "tail" => {
                q.tail = Some(value.parse().map_err(|_| {
                    ApiError::invalid("tail", format!("must be a number of lines (got {value:?})"))
                })?);
            }
            "follow" => {
                q.follow = match value.as_ref() {
                    "true" | "1" | "" => true,
                    "false" | "0" => false,
                    _ => {
                        return Err(ApiError::invalid(
                            "follow",
                            format!("must be true or false (got {value:?})"),
                        ));
                    }
                };
            }
            other => {
                return Err(ApiError::invalid(
                    other,
                    "unknown parameter; use pod, tail or follow",
                ));
            }
        }
    }
    Ok(q)
}

#[utoipa::path(get, path = "/api/v1/workloads/{id}/logs", tag = "workloads", security(("bearer" = [])),
    params(("id" = String, Path, description = "The id (a UUID, or project/name)"),
           ("pod" = Option<u32>, Query, description = "Which pod (default 0)"),
           ("tail" = Option<usize>, Query, maximum = 100000, description = "Only the last lines (at most 100000)"),
           ("follow" = Option<bool>, Query, description = "Keep the answer open and send new output while the pod runs")),
    responses((status = 200, description = "The output, text/plain (or text/event-stream with follow, when asked for)", content_type = "text/plain"),
              (status = 401, description = "Not signed in", body = rota_api::ApiError),
              (status = 404, description = "No such thing", body = rota_api::ApiError),
              (status = 422, description = "A parameter is wrong; details name it", body = rota_api::ApiError)))]
pub async fn logs(
    State(rota): State<Rota>,
    _caller: Caller,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> AppResult<Response> {
    let q = parse(raw.as_deref())?;
    let view = logs::read(&rota, &id, q.pod, q.tail).await?;
    if !q.follow {
        return Ok(plain(view.text.clone()).into_response());
    }
    let wants_events = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/event-stream"));
    let first = view.text.clone();
    let rest = futures::stream::unfold((rota, view), next_chunk);
    if wants_events {
        // `log` events carry output (a JSON string each); `end` says the pod is done (a browser's EventSource would
        // otherwise connect again and read the tail twice).
        let events = futures::stream::once(async move { first })
            .chain(rest)
            .filter(|t| std::future::ready(!t.is_empty()))
            // As a JSON string: a chunk's own line breaks survive the event format.
            .map(|t| {
                Event::default()
                    .event("log")
                    .json_data(t)
                    .unwrap_or_else(|_| Event::default().event("log").data(""))
            })
            .chain(futures::stream::once(async {
                Event::default().event("end").data("")
            }))
            .map(Ok::<_, Infallible>);
        return Ok(Sse::new(events)
            .keep_alive(KeepAlive::default())
            .into_response());
    }
    let body = futures::stream::once(async move { first })
        .chain(rest)
        .filter(|t| std::future::ready(!t.is_empty()))
        .map(Ok::<_, Infallible>);
    let mut response = axum::body::Body::from_stream(body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    Ok(response)
}

/// The next piece of a followed log, waiting for it; the stream ends when the pod is done.
async fn next_chunk((rota, mut view): (Rota, LogView)) -> Option<(String, (Rota, LogView))> {
    loop {
        match logs::follow(&rota, &mut view).await {
            Ok(Some(text)) if !text.is_empty() => return Some((text, (rota, view))),
            Ok(Some(_)) => tokio::time::sleep(POLL).await,
            Ok(None) => return None,
            Err(e) => {
                tracing::warn!(error = %e, "following a log failed");
                return None;
            }
        }
    }
}

fn plain(text: String) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text)
}

use futures::StreamExt;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_read_and_a_wrong_one_is_named() {
        let q = parse(Some("pod=1&tail=20&follow=true")).expect("parses");
        assert_eq!((q.pod, q.tail, q.follow), (1, Some(20), true));
        let q = parse(None).expect("defaults");
        assert_eq!((q.pod, q.tail, q.follow), (0, None, false));
        let e = parse(Some("tail=x")).unwrap_err();
        assert_eq!(e.details[0].field, "tail");
        let e = parse(Some("lines=3")).unwrap_err();
        assert_eq!(e.details[0].field, "lines");
    }
}
