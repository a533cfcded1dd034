//! `/api/v1/settings/fair-share`: time-based fair share's settings (read: anyone signed in;
//! change: admins).

use axum::Json;
use axum::extract::State;
use rota_api::wire::FairShareSettings;
use rota_control::services::{Rota, fair_share};

use super::{AppResult, Body, Caller};

#[utoipa::path(get, path = "/api/v1/settings/fair-share", tag = "settings", security(("bearer" = [])), responses((status = 200, body = rota_api::wire::FairShareSettings), (status = 401, description = "Not signed in", body = rota_api::ApiError)))]
pub async fn get_fair_share(
    State(rota): State<Rota>,
    _caller: Caller,
) -> AppResult<Json<FairShareSettings>> {
    Ok(Json(fair_share::get(&rota).await?))
}

#[utoipa::path(put, path = "/api/v1/settings/fair-share", tag = "settings", security(("bearer" = [])), request_body = rota_api::wire::FairShareSettings, responses((status = 200, body = rota_api::wire::FairShareSettings), (status = 401, description = "Not signed in", body = rota_api::ApiError), (status = 403, description = "Not allowed for this role", body = rota_api::ApiError), (status = 422, description = "A field is wrong; details name it", body = rota_api::ApiError)))]
pub async fn put_fair_share(
    State(rota): State<Rota>,
    caller: Caller,
    Body(req): Body<FairShareSettings>,
) -> AppResult<Json<FairShareSettings>> {
    Ok(Json(fair_share::set(&rota, &caller.0, &req).await?))
}
