//! `GET /healthz`: 200 when the store answers, 503 when it does not. It says which part this
//! server plays (`only server` on SQLite; `leader` or `follower` when several share a
//! PostgreSQL store), and when the scheduling loop's task died and was started again.

use axum::extract::State;
use axum::http::StatusCode;
use rota_control::services::Rota;

#[utoipa::path(get, path = "/healthz", tag = "health", responses((status = 200, description = "The store answers: `ok: ROLE` (`only server`, `leader` or `follower`)"), (status = 503, description = "The store does not answer")))]
pub async fn healthz(State(rota): State<Rota>) -> (StatusCode, String) {
    if !rota.store.ping().await {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "the store does not answer\n".into(),
        );
    }
    let role = rota.role().as_str();
    match rota.health.last_failure() {
        None => (StatusCode::OK, format!("ok: {role}\n")),
        Some(why) => (
            StatusCode::OK,
            format!(
                "ok: {role}; the scheduling loop died {} time(s) and was started again (last: {why})\n",
                rota.health.restarts()
            ),
        ),
    }
}
