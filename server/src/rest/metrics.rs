//! `GET /metrics`: Prometheus' text format, from what the scheduling loop recorded.

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use rota_control::services::Rota;

#[utoipa::path(get, path = "/metrics", tag = "health", responses((status = 200, description = "Prometheus text format", content_type = "text/plain")))]
pub async fn metrics(State(rota): State<Rota>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        rota.metrics.render(),
    )
}
