//! `/api/v1/org-unit/projects` and `/departments`: create, update, delete (admin), list.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use rota_api::ApiError;
use rota_api::wire::{Department, DepartmentList, Project, UnitRequest};
use rota_control::services::units::{self, Unit};
use rota_control::services::{Rota, org};

use super::{AppResult, Body, Caller};

async fn project_by_id(rota: &Rota, id: i32) -> AppResult<Project> {
    let list = org::list_projects(rota).await?;
    Ok(list
        .projects
        .into_iter()
        .find(|p| p.id == id.to_string())
        .ok_or_else(|| ApiError::not_found(format!("project {id} does not exist")))?)
}

async fn department_by_id(rota: &Rota, id: i32) -> AppResult<Department> {
    let list = units::list_departments(rota).await?;
    Ok(list
        .departments
        .into_iter()
        .find(|d| d.id == id.to_string())
        .ok_or_else(|| ApiError::not_found(format!("department {id} does not exist")))?)
}

#[utoipa::path(get, path = "/api/v1/org-unit/projects/{id}", tag = "org-units", security(("bearer" = [])), params(("id" = String, Path, description = "The id (a UUID, or project/name for workloads)")), responses((status = 200, body = rota_api::wire::Project), (status = 401, description = "Not signed in", body = rota_api::ApiError), (status = 404, description = "No such thing", body = rota_api::ApiError)))]
pub async fn get_project(
    State(rota): State<Rota>,
    _caller: Caller,
    Path(id): Path<String>,
) -> AppResult<Json<Project>> {
    Ok(Json(
        project_by_id(&rota, units::unit_id(Unit::Project, &id)?).await?,
    ))
}

#[utoipa::path(post, path = "/api/v1/org-unit/projects", tag = "org-units", security(("bearer" = [])), request_body = rota_api::wire::UnitRequest, responses((status = 201, body = rota_api::wire::Project), (status = 401, description = "Not signed in", body = rota_api::ApiError), (status = 403, description = "Not allowed for this role", body = rota_api::ApiError), (status = 409, description = "Clashes with what exists", body = rota_api::ApiError), (status = 422, description = "A field is wrong; details name it", body = rota_api::ApiError)))]
pub async fn create_project(
    State(rota): State<Rota>,
    caller: Caller,
    Body(req): Body<UnitRequest>,
) -> AppResult<(StatusCode, Json<Project>)> {
    let id = units::create(&rota, &caller.0, Unit::Project, &req).await?;
    Ok((StatusCode::CREATED, Json(project_by_id(&rota, id).await?)))
}

#[utoipa::path(put, path = "/api/v1/org-unit/projects/{id}", tag = "org-units", security(("bearer" = [])), params(("id" = String, Path, description = "The id (a UUID, or project/name for workloads)")), request_body = rota_api::wire::UnitRequest, responses((status = 200, body = rota_api::wire::Project), (status = 401, description = "Not signed in", body = rota_api::ApiError), (status = 403, description = "Not allowed for this role", body = rota_api::ApiError), (status = 404, description = "No such thing", body = rota_api::ApiError), (status = 409, description = "Clashes with what exists", body = rota_api::ApiError), (status = 422, description = "A field is wrong; details name it", body = rota_api::ApiError)))]
pub async fn update_project(
    State(rota): State<Rota>,
    caller: Caller,
    Path(id): Path<String>,
    Body(req): Body<UnitRequest>,
) -> AppResult<Json<Project>> {
    let id = units::unit_id(Unit::Project, &id)?;
    units::update(&rota, &caller.0, Unit::Project, id, &req).await?;
    Ok(Json(project_by_id(&rota, id).await?))
}

#[utoipa::path(delete, path = "/api/v1/org-unit/projects/{id}", tag = "org-units", security(("bearer" = [])), params(("id" = String, Path, description = "The id (a UUID, or project/name for workloads)")), responses((status = 204, description = "Deleted"), (status = 401, description = "Not signed in", body = rota_api::ApiError), (status = 403, description = "Not allowed for this role", body = rota_api::ApiError), (status = 404, description = "No such thing", body = rota_api::ApiError), (status = 409, description = "Clashes with what exists", body = rota_api::ApiError)))]
pub async fn delete_project(
    State(rota): State<Rota>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<StatusCode> {
    units::delete(
        &rota,
        &caller.0,
        Unit::Project,
        units::unit_id(Unit::Project, &id)?,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/org-unit/departments", tag = "org-units", security(("bearer" = [])), responses((status = 200, body = rota_api::wire::DepartmentList), (status = 401, description = "Not signed in", body = rota_api::ApiError)))]
pub async fn list_departments(
    State(rota): State<Rota>,
    _caller: Caller,
) -> AppResult<Json<DepartmentList>> {
    Ok(Json(units::list_departments(&rota).await?))
}

#[utoipa::path(post, path = "/api/v1/org-unit/departments", tag = "org-units", security(("bearer" = [])), request_body = rota_api::wire::UnitRequest, responses((status = 201, body = rota_api::wire::Department), (status = 401, description = "Not signed in", body = rota_api::ApiError), (status = 403, description = "Not allowed for this role", body = rota_api::ApiError), (status = 409, description = "Clashes with what exists", body = rota_api::ApiError), (status = 422, description = "A field is wrong; details name it", body = rota_api::ApiError)))]
pub async fn create_department(
    State(rota): State<Rota>,
    caller: Caller,
    Body(req): Body<UnitRequest>,
) -> AppResult<(StatusCode, Json<Department>)> {
    let id = units::create(&rota, &caller.0, Unit::Department, &req).await?;
    Ok((
        StatusCode::CREATED,
        Json(department_by_id(&rota, id).await?),
    ))
}

#[utoipa::path(put, path = "/api/v1/org-unit/departments/{id}", tag = "org-units", security(("bearer" = [])), params(("id" = String, Path, description = "The id (a UUID, or project/name for workloads)")), request_body = rota_api::wire::UnitRequest, responses((status = 200, body = rota_api::wire::Department), (status = 401, description = "Not signed in", body = rota_api::ApiError), (status = 403, description = "Not allowed for this role", body = rota_api::ApiError), (status = 404, description = "No such thing", body = rota_api::ApiError), (status = 409, description = "Clashes with what exists", body = rota_api::ApiError), (status = 422, description = "A field is wrong; details name it", body = rota_api::ApiError)))]
pub async fn update_department(
    State(rota): State<Rota>,
    caller: Caller,
    Path(id): Path<String>,
    Body(req): Body<UnitRequest>,
) -> AppResult<Json<Department>> {
    let id = units::unit_id(Unit::Department, &id)?;
    units::update(&rota, &caller.0, Unit::Department, id, &req).await?;
    Ok(Json(department_by_id(&rota, id).await?))
}

#[utoipa::path(delete, path = "/api/v1/org-unit/departments/{id}", tag = "org-units", security(("bearer" = [])), params(("id" = String, Path, description = "The id (a UUID, or project/name for workloads)")), responses((status = 204, description = "Deleted"), (status = 401, description = "Not signed in", body = rota_api::ApiError), (status = 403, description = "Not allowed for this role", body = rota_api::ApiError), (status = 404, description = "No such thing", body = rota_api::ApiError), (status = 409, description = "Clashes with what exists", body = rota_api::ApiError)))]
pub async fn delete_department(
    State(rota): State<Rota>,
    caller: Caller,
    Path(id): Path<String>,
) -> AppResult<StatusCode> {
    units::delete(
        &rota,
        &caller.0,
        Unit::Department,
        units::unit_id(Unit::Department, &id)?,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
