//! `GET /metrics`: Prometheus' text format, from what the scheduling loop recorded. With
//! `ROTA_METRICS_TOKEN` set, a scraper must send it as a bearer token (`Authorization: Bearer …`);
//! without, the figures are open, as Prometheus' own exporters usually are.

use std::sync::OnceLock;

use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use rota_api::{ApiError, ErrorCode};
use rota_control::services::Rota;

use super::AppError;

/// The token `/metrics` asks for, if one is set; read once.
fn required_token() -> Option<&'static str> {
    static TOKEN: OnceLock<Option<String>> = OnceLock::new();
    TOKEN
        .get_or_init(|| {
            std::env::var("ROTA_METRICS_TOKEN")
                .ok()
                .filter(|t| !t.is_empty())
        })
        .as_deref()
}

/// Equal bytes, in a time that does not depend on where they first differ.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[utoipa::path(get, path = "/metrics", tag = "health", responses((status = 200, description = "OpenMetrics text format (Prometheus scrapes it)", content_type = "application/openmetrics-text"), (status = 401, description = "ROTA_METRICS_TOKEN is set and the request does not carry it", body = rota_api::ApiError)))]
pub async fn metrics(State(rota): State<Rota>, headers: HeaderMap) -> Response {
    if let Some(token) = required_token() {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default();
        if !same(given.trim().as_bytes(), token.as_bytes()) {
            return AppError::from(ApiError::new(
                ErrorCode::Unauthorized,
                "/metrics needs the metrics token (ROTA_METRICS_TOKEN) as a bearer token",
            ))
            .into_response();
        }
    }
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        rota.metrics.render(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::same;

    #[test]
    fn tokens_compare_whole() {
        assert!(same(b"abc", b"abc"));
        assert!(!same(b"abc", b"abd"));
        assert!(!same(b"abc", b"ab"));
        assert!(!same(b"", b"a"));
    }
}
