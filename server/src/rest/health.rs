//! `GET /healthz`: 200 when the store answers, 503 when it does not.

use axum::extract::State;
use axum::http::StatusCode;
use rota_control::services::Rota;

#[utoipa::path(get, path = "/healthz", tag = "health", responses((status = 200, description = "The store answers"), (status = 503, description = "The store does not answer")))]
pub async fn healthz(State(rota): State<Rota>) -> (StatusCode, &'static str) {
    if rota.store.ping().await {
        (StatusCode::OK, "ok\n")
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "the store does not answer\n",
        )
    }
}
