//! `GET /api/v1/overview?range=hour|day|week`: the cluster's history (what the Overview page
//! draws).

use axum::Json;
use axum::extract::{Query, State};
use rota_api::wire::Overview;
use rota_control::services::Rota;
use rota_control::services::overview::{self, Range};
use serde::Deserialize;

use super::{AppResult, Caller};

/// The query of `GET /api/v1/overview`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct OverviewQuery {
    /// `hour` (by the minute, the default), `day` or `week` (by the hour).
    #[param(pattern = "^(hour|day|week)$")]
    range: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/overview", tag = "cluster", security(("bearer" = [])), params(OverviewQuery), responses((status = 200, body = rota_api::wire::Overview), (status = 401, description = "Not signed in", body = rota_api::ApiError), (status = 422, description = "A field is wrong; details name it", body = rota_api::ApiError)))]
pub async fn overview(
    State(rota): State<Rota>,
    _caller: Caller,
    Query(q): Query<OverviewQuery>,
) -> AppResult<Json<Overview>> {
    let range = Range::parse(q.range.as_deref().unwrap_or("hour"))?;
    Ok(Json(overview::overview(&rota, range).await?))
}
