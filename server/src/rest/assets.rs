//! `/api/v1/asset/environment`, `/asset/compute`, `/asset/workload-template`: Run:ai's shapes
//! (`{meta, spec}`) over the asset services.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use rota_api::ApiError;
use rota_api::wire::{AssetList, ComputeAsset, EnvironmentAsset, TemplateAsset};
use rota_control::services::Rota;
use rota_control::services::asset_wire::{compute, compute_input, environment, scope_of, template};
use rota_control::services::assets;

use super::{AppResult, Body, Caller};

#[utoipa::path(get, path = "/api/v1/asset/environment", tag = "assets", security(("bearer" = [])), responses((status = 200, body = AssetList<EnvironmentAsset>)))]
pub async fn list_environments(
    State(rota): State<Rota>,
    _caller: Caller,
) -> AppResult<Json<AssetList<EnvironmentAsset>>> {
    let entries = assets::list_environments(&rota)
        .await?
        .into_iter()
        .map(|e| environment(&rota, e))
        .collect();
    Ok(Json(AssetList { entries }))
}

#[utoipa::path(post, path = "/api/v1/asset/environment", tag = "assets", security(("bearer" = [])), request_body = EnvironmentAsset,
    responses((status = 201, body = EnvironmentAsset), (status = 409, body = ApiError), (status = 422, body = ApiError)))]
pub async fn create_environment(
    State(rota): State<Rota>,
    caller: Caller,
    Body(body): Body<EnvironmentAsset>,
) -> AppResult<(StatusCode, Json<EnvironmentAsset>)> {
    let scope = scope_of(&body.meta)?;
    let e =
        assets::create_environment(&rota, &caller.0, &body.meta.name, scope, &body.spec).await?;
    Ok((StatusCode::CREATED, Json(environment(&rota, e))))
}

#[utoipa::path(put, path = "/api/v1/asset/environment/{id}", tag = "assets", security(("bearer" = [])), params(("id" = String, Path)), request_body = EnvironmentAsset,
    responses((status = 200, body = EnvironmentAsset), (status = 404, body = ApiError), (status = 409, description = "Another of its kind has that name in that scope", body = ApiError), (status = 422, body = ApiError)))]
pub async fn update_environment(
    State(rota): State<Rota>,
    caller: Caller,
    Path(id): Path<String>,
    Body(body): Body<EnvironmentAsset>,
) -> AppResult<Json<EnvironmentAsset>> {
    let e = assets::update_environment(
        &rota,
        &caller.0,
        &id,
        Some(&body.meta.name),
        Some(&body.spec),
    )
    .await?;
    Ok(Json(environment(&rota, e)))
}

#[utoipa::path(delete, path = "/api/v1/asset/environment/{id}", tag = "assets", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 204, description = "Deleted"), (status = 404, body = ApiError), (status = 409, description = "In use", body = ApiError)))]
pub async fn delete_environment(
    State(rota): State<Rota>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<StatusCode> {
    assets::delete_environment(&rota, &caller.0, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/asset/compute", tag = "assets", security(("bearer" = [])), responses((status = 200, body = AssetList<ComputeAsset>)))]
pub async fn list_compute(
    State(rota): State<Rota>,
    _caller: Caller,
) -> AppResult<Json<AssetList<ComputeAsset>>> {
    let entries = assets::list_compute(&rota)
        .await?
        .into_iter()
        .map(|c| compute(&rota, c))
        .collect();
    Ok(Json(AssetList { entries }))
}

#[utoipa::path(post, path = "/api/v1/asset/compute", tag = "assets", security(("bearer" = [])), request_body = ComputeAsset,
    responses((status = 201, body = ComputeAsset), (status = 409, body = ApiError), (status = 422, body = ApiError)))]
pub async fn create_compute(
    State(rota): State<Rota>,
    caller: Caller,
    Body(body): Body<ComputeAsset>,
) -> AppResult<(StatusCode, Json<ComputeAsset>)> {
    let scope = scope_of(&body.meta)?;
    let c = assets::create_compute(
        &rota,
        &caller.0,
        &body.meta.name,
        scope,
        &compute_input(&body.spec),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(compute(&rota, c))))
}

#[utoipa::path(put, path = "/api/v1/asset/compute/{id}", tag = "assets", security(("bearer" = [])), params(("id" = String, Path)), request_body = ComputeAsset,
    responses((status = 200, body = ComputeAsset), (status = 404, body = ApiError), (status = 409, description = "Another of its kind has that name in that scope", body = ApiError), (status = 422, body = ApiError)))]
pub async fn update_compute(
    State(rota): State<Rota>,
    caller: Caller,
    Path(id): Path<String>,
    Body(body): Body<ComputeAsset>,
) -> AppResult<Json<ComputeAsset>> {
    let c = assets::update_compute(
        &rota,
        &caller.0,
        &id,
        Some(&body.meta.name),
        &compute_input(&body.spec),
    )
    .await?;
    Ok(Json(compute(&rota, c)))
}

#[utoipa::path(delete, path = "/api/v1/asset/compute/{id}", tag = "assets", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 204, description = "Deleted"), (status = 404, body = ApiError), (status = 409, description = "In use", body = ApiError)))]
pub async fn delete_compute(
    State(rota): State<Rota>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<StatusCode> {
    assets::delete_compute(&rota, &caller.0, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/asset/workload-template", tag = "assets", security(("bearer" = [])), responses((status = 200, body = AssetList<TemplateAsset>)))]
pub async fn list_templates(
    State(rota): State<Rota>,
    _caller: Caller,
) -> AppResult<Json<AssetList<TemplateAsset>>> {
    let entries = assets::list_templates(&rota)
        .await?
        .into_iter()
        .map(|t| template(&rota, t))
        .collect();
    Ok(Json(AssetList { entries }))
}

#[utoipa::path(post, path = "/api/v1/asset/workload-template", tag = "assets", security(("bearer" = [])), request_body = TemplateAsset,
    responses((status = 201, body = TemplateAsset), (status = 409, body = ApiError), (status = 422, body = ApiError)))]
pub async fn create_template(
    State(rota): State<Rota>,
    caller: Caller,
    Body(body): Body<TemplateAsset>,
) -> AppResult<(StatusCode, Json<TemplateAsset>)> {
    let scope = scope_of(&body.meta)?;
    let kind = body.spec.workload_type.as_deref().unwrap_or("training");
    let t = assets::create_template(
        &rota,
        &caller.0,
        &body.meta.name,
        scope,
        kind,
        &body.assets.environment,
        &body.assets.compute,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(template(&rota, t))))
}

#[utoipa::path(put, path = "/api/v1/asset/workload-template/{id}", tag = "assets", security(("bearer" = [])), params(("id" = String, Path)), request_body = TemplateAsset,
    responses((status = 200, body = TemplateAsset), (status = 404, body = ApiError), (status = 409, body = ApiError), (status = 422, body = ApiError)))]
pub async fn update_template(
    State(rota): State<Rota>,
    caller: Caller,
    Path(id): Path<String>,
    Body(body): Body<TemplateAsset>,
) -> AppResult<Json<TemplateAsset>> {
    let kind = body.spec.workload_type.as_deref().unwrap_or("training");
    let t = assets::update_template(
        &rota,
        &caller.0,
        &id,
        &body.meta.name,
        kind,
        &body.assets.environment,
        &body.assets.compute,
    )
    .await?;
    Ok(Json(template(&rota, t)))
}

#[utoipa::path(delete, path = "/api/v1/asset/workload-template/{id}", tag = "assets", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 204, description = "Deleted"), (status = 404, body = ApiError)))]
pub async fn delete_template(
    State(rota): State<Rota>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<StatusCode> {
    assets::delete_template(&rota, &caller.0, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
