//! Shared assets: environments (an image, optionally with a command and variables), compute resources (what each pod gets) and workload
//! templates (an environment with a compute resource), each scoped to the cluster, a department
//! or a project. Names are unique within a scope; an asset in use by a template cannot be deleted.

use rota_api::validate::{self, GpuAsk};
use rota_api::wire::EnvironmentSpec;
use rota_api::{ApiError, ErrorCode};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};

use super::{Rota, require_admin};
use crate::auth::{Principal, Role};
use crate::error::{ControlError, ControlResult};
use crate::store::entity::{compute_resource, department, environment, project, workload_template};
use crate::time::{now_ms, rfc3339};

/// Where an asset may be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "scope", content = "scopeId", rename_all = "lowercase")]
pub enum Scope {
    /// Everywhere in the cluster.
    Cluster,
    /// The department (by id) and its projects.
    Department(i32),
    /// One project (by id).
    Project(i32),
}

impl Scope {
    fn kind(self) -> &'static str {
        match self {
            Scope::Cluster => "cluster",
            Scope::Department(_) => "department",
            Scope::Project(_) => "project",
        }
    }

    fn id(self) -> Option<i32> {
        match self {
            Scope::Cluster => None,
            Scope::Department(id) | Scope::Project(id) => Some(id),
        }
    }

    fn from_row(kind: &str, id: Option<i32>) -> ControlResult<Scope> {
        match (kind, id) {
            ("cluster", _) => Ok(Scope::Cluster),
            ("department", Some(id)) => Ok(Scope::Department(id)),
            ("project", Some(id)) => Ok(Scope::Project(id)),
            _ => Err(ControlError::Corrupt(format!("asset scope {kind}/{id:?}"))),
        }
    }
}

/// An environment: the image a workload runs, and optionally its command, arguments and
/// variables.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Environment {
    /// Its id (a UUID).
    pub id: String,
    /// Name, unique in its scope.
    pub name: String,
    /// Where it may be used.
    #[serde(flatten)]
    pub scope: Scope,
    /// The image, command, arguments and variables.
    pub spec: EnvironmentSpec,
    /// RFC 3339.
    pub created_at: String,
}

/// A compute resource: what each pod gets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ComputeResource {
    /// Its id (a UUID).
    pub id: String,
    /// Name, unique in its scope.
    pub name: String,
    /// Where it may be used.
    #[serde(flatten)]
    pub scope: Scope,
    /// Whole GPU devices per pod.
    pub gpu_devices_request: u32,
    /// A portion of one device instead, if set.
    pub gpu_portion_request: Option<f64>,
    /// GPU memory per device instead, in MiB, if set.
    pub gpu_memory_mib: Option<u64>,
    /// CPU cores per pod.
    pub cpu_core_request: f64,
    /// Memory per pod in MiB.
    pub cpu_memory_mib: u64,
    /// RFC 3339.
    pub created_at: String,
}

/// What a compute resource asks for, as typed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ComputeInput {
    /// GPU devices per pod.
    pub gpu_devices_request: Option<f64>,
    /// A portion of a device.
    pub gpu_portion_request: Option<f64>,
    /// GPU memory per device, e.g. "5G".
    pub gpu_memory_request: Option<String>,
    /// CPU cores (default 0.1).
    pub cpu_core_request: Option<f64>,
    /// Memory (default "100M").
    pub cpu_memory_request: Option<String>,
}

/// A workload template: an environment and a compute resource for trainings or workspaces.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Template {
    /// Its id (a UUID).
    pub id: String,
    /// Name, unique in its scope.
    pub name: String,
    /// Where it may be used.
    #[serde(flatten)]
    pub scope: Scope,
    /// `training` or `workspace`.
    pub kind: String,
    /// The environment's id.
    pub environment_id: String,
    /// The compute resource's id.
    pub compute_id: String,
    /// RFC 3339.
    pub created_at: String,
}

/// Admins manage cluster- and department-wide assets; a researcher only those of their projects.
async fn require_asset_writer(rota: &Rota, who: &Principal, scope: Scope) -> ControlResult<()> {
    match (who.role, scope) {
        (Role::Admin, _) => Ok(()),
        (Role::Researcher, Scope::Project(pid)) => {
            let p = project::Entity::find_by_id(pid).one(&rota.store.db).await?;
            let name = p.map(|p| p.name).unwrap_or_default();
            super::require_project_writer(rota, who, pid, &name).await
        }
        _ => require_admin(who),
    }
}

async fn check_scope(db: &impl ConnectionTrait, scope: Scope) -> ControlResult<()> {
    let exists = match scope {
        Scope::Cluster => true,
        Scope::Department(id) => department::Entity::find_by_id(id).one(db).await?.is_some(),
        Scope::Project(id) => project::Entity::find_by_id(id).one(db).await?.is_some(),
    };
    if exists {
        Ok(())
    } else {
        Err(ApiError::invalid(
            "scopeId",
            format!("no {} has id {:?}", scope.kind(), scope.id()),
        )
        .into())
    }
}

/// Refuses a name already used by an asset of the same kind in the same scope.
async fn ensure_free<E: EntityTrait>(
    txn: &impl ConnectionTrait,
    name_col: E::Column,
    kind_col: E::Column,
    id_col: E::Column,
    what: &str,
    name: &str,
    scope: Scope,
) -> ControlResult<()> {
    let in_scope = match scope.id() {
        Some(id) => id_col.eq(id),
        None => id_col.is_null(),
    };
    let clash = E::find()
        .filter(name_col.eq(name))
        .filter(kind_col.eq(scope.kind()))
        .filter(in_scope)
        .one(txn)
        .await?;
    if clash.is_some() {
        Err(taken(what, name, scope))
    } else {
        Ok(())
    }
}

fn taken(kind: &str, name: &str, scope: Scope) -> ControlError {
    ApiError::conflict(format!(
        "an {kind} called {name} already exists in this {}",
        scope.kind()
    ))
    .into()
}

fn env_of(m: environment::Model) -> ControlResult<Environment> {
    Ok(Environment {
        spec: environment_spec(&m)?,
        id: m.uuid,
        name: m.name,
        scope: Scope::from_row(&m.scope_kind, m.scope_id)?,
        created_at: rfc3339(m.created_at),
    })
}

/// What an environment row says a workload runs.
pub(crate) fn environment_spec(m: &environment::Model) -> ControlResult<EnvironmentSpec> {
    Ok(EnvironmentSpec {
        image: m.image.clone(),
        command: m.command.clone(),
        args: m.args.clone(),
        environment_variables: serde_json::from_str(&m.env_json).map_err(|e| {
            ControlError::Corrupt(format!("environment {}'s variables: {e}", m.name))
        })?,
    })
}

/// Checks an environment's spec; the columns it is stored in.
fn environment_columns(
    spec: &EnvironmentSpec,
) -> ControlResult<(String, Option<String>, Option<String>, String)> {
    validate::image("spec.image", &spec.image)?;
    validate::environment_variables("spec.environmentVariables", &spec.environment_variables)?;
    let text = |s: &Option<String>| {
        s.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let vars = serde_json::to_string(&spec.environment_variables)
        .map_err(|e| ControlError::Corrupt(e.to_string()))?;
    Ok((
        spec.image.trim().to_owned(),
        text(&spec.command),
        text(&spec.args),
        vars,
    ))
}

/// Every environment, oldest first.
pub async fn list_environments(rota: &Rota) -> ControlResult<Vec<Environment>> {
    environment::Entity::find()
        .order_by_asc(environment::Column::Id)
        .all(&rota.store.db)
        .await?
        .into_iter()
        .map(env_of)
        .collect()
}

/// Creates an environment.
pub async fn create_environment(
    rota: &Rota,
    who: &Principal,
    name: &str,
    scope: Scope,
    spec: &EnvironmentSpec,
) -> ControlResult<Environment> {
    validate::name("name", name)?;
    let (image, command, args, env_json) = environment_columns(spec)?;
    require_asset_writer(rota, who, scope).await?;
    let txn = rota.store.write().await?;
    check_scope(&txn, scope).await?;
    ensure_free::<environment::Entity>(
        &txn,
        environment::Column::Name,
        environment::Column::ScopeKind,
        environment::Column::ScopeId,
        "environment",
        name,
        scope,
    )
    .await?;
    let uuid = uuid::Uuid::new_v4().to_string();
    environment::Entity::insert(environment::ActiveModel {
        id: NotSet,
        uuid: Set(uuid.clone()),
        name: Set(name.to_owned()),
        scope_kind: Set(scope.kind().to_owned()),
        scope_id: Set(scope.id()),
        image: Set(image),
        command: Set(command),
        args: Set(args),
        env_json: Set(env_json),
        created_at: Set(now_ms()),
    })
    .exec(&txn)
    .await?;
    let row = environment::Entity::find()
        .filter(environment::Column::Uuid.eq(&uuid))
        .one(&txn)
        .await?;
    txn.commit().await?;
    env_of(row.ok_or_else(|| ControlError::Corrupt("inserted environment vanished".into()))?)
}

/// Deletes an environment no template uses.
pub async fn delete_environment(rota: &Rota, who: &Principal, id: &str) -> ControlResult<()> {
    let txn = rota.store.write().await?;
    let env = environment::Entity::find()
        .filter(environment::Column::Uuid.eq(id))
        .one(&txn)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("environment {id} does not exist")))?;
    require_asset_writer(rota, who, Scope::from_row(&env.scope_kind, env.scope_id)?).await?;
    let users: Vec<String> = workload_template::Entity::find()
        .filter(workload_template::Column::EnvironmentId.eq(env.id))
        .all(&txn)
        .await?
        .into_iter()
        .map(|t| t.name)
        .collect();
    if !users.is_empty() {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            format!(
                "environment {} is used by template(s) {}; delete those first",
                env.name,
                users.join(", ")
            ),
        )
        .into());
    }
    environment::Entity::delete_by_id(env.id).exec(&txn).await?;
    txn.commit().await?;
    Ok(())
}

fn compute_of(m: compute_resource::Model) -> ControlResult<ComputeResource> {
    Ok(ComputeResource {
        id: m.uuid,
        name: m.name,
        scope: Scope::from_row(&m.scope_kind, m.scope_id)?,
        gpu_devices_request: u32::try_from(m.gpu_devices).unwrap_or(0),
        gpu_portion_request: m.gpu_portion_milli.map(|p| f64::from(p) / 1000.0),
        gpu_memory_mib: m.gpu_memory_mib.and_then(|m| u64::try_from(m).ok()),
        cpu_core_request: m.cpu_millicores as f64 / 1000.0,
        cpu_memory_mib: u64::try_from(m.memory_mib).unwrap_or(0),
        created_at: rfc3339(m.created_at),
    })
}

/// Every compute resource, oldest first.
pub async fn list_compute(rota: &Rota) -> ControlResult<Vec<ComputeResource>> {
    compute_resource::Entity::find()
        .order_by_asc(compute_resource::Column::Id)
        .all(&rota.store.db)
        .await?
        .into_iter()
        .map(compute_of)
        .collect()
}

/// Creates a compute resource.
pub async fn create_compute(
    rota: &Rota,
    who: &Principal,
    name: &str,
    scope: Scope,
    input: &ComputeInput,
) -> ControlResult<ComputeResource> {
    validate::name("name", name)?;
    let gpu = validate::gpu_ask(
        "compute",
        input.gpu_devices_request,
        input.gpu_portion_request,
        input.gpu_memory_request.as_deref(),
    )?;
    let cpu = validate::cpu_millicores(
        "cpuCoreRequest",
        input
            .cpu_core_request
            .unwrap_or(super::workloads::DEFAULT_CPU_CORES),
    )?;
    let memory = validate::memory_mib(
        "cpuMemoryRequest",
        input
            .cpu_memory_request
            .as_deref()
            .unwrap_or(super::workloads::DEFAULT_MEMORY),
    )?;
    require_asset_writer(rota, who, scope).await?;
    let (devices, portion, gpu_memory) = match gpu {
        GpuAsk::Devices(n) => (n as i32, None, None),
        GpuAsk::Portion(p) => (1, Some(p as i32), None),
        GpuAsk::MemoryMib(m) => (1, None, Some(m as i64)),
    };
    let txn = rota.store.write().await?;
    check_scope(&txn, scope).await?;
    ensure_free::<compute_resource::Entity>(
        &txn,
        compute_resource::Column::Name,
        compute_resource::Column::ScopeKind,
        compute_resource::Column::ScopeId,
        "compute resource",
        name,
        scope,
    )
    .await?;
    let uuid = uuid::Uuid::new_v4().to_string();
    compute_resource::Entity::insert(compute_resource::ActiveModel {
        id: NotSet,
        uuid: Set(uuid.clone()),
        name: Set(name.to_owned()),
        scope_kind: Set(scope.kind().to_owned()),
        scope_id: Set(scope.id()),
        gpu_devices: Set(devices),
        gpu_portion_milli: Set(portion),
        gpu_memory_mib: Set(gpu_memory),
        cpu_millicores: Set(cpu as i64),
        memory_mib: Set(memory as i64),
        created_at: Set(now_ms()),
    })
    .exec(&txn)
    .await?;
    let row = compute_resource::Entity::find()
        .filter(compute_resource::Column::Uuid.eq(&uuid))
        .one(&txn)
        .await?;
    txn.commit().await?;
    compute_of(
        row.ok_or_else(|| ControlError::Corrupt("inserted compute resource vanished".into()))?,
    )
}

/// Deletes a compute resource no template uses.
pub async fn delete_compute(rota: &Rota, who: &Principal, id: &str) -> ControlResult<()> {
    let txn = rota.store.write().await?;
    let c = compute_resource::Entity::find()
        .filter(compute_resource::Column::Uuid.eq(id))
        .one(&txn)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("compute resource {id} does not exist")))?;
    require_asset_writer(rota, who, Scope::from_row(&c.scope_kind, c.scope_id)?).await?;
    let users: Vec<String> = workload_template::Entity::find()
        .filter(workload_template::Column::ComputeId.eq(c.id))
        .all(&txn)
        .await?
        .into_iter()
        .map(|t| t.name)
        .collect();
    if !users.is_empty() {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            format!(
                "compute resource {} is used by template(s) {}; delete those first",
                c.name,
                users.join(", ")
            ),
        )
        .into());
    }
    compute_resource::Entity::delete_by_id(c.id)
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(())
}

/// Every template, oldest first.
pub async fn list_templates(rota: &Rota) -> ControlResult<Vec<Template>> {
    let db = &rota.store.db;
    let envs = environment::Entity::find().all(db).await?;
    let computes = compute_resource::Entity::find().all(db).await?;
    workload_template::Entity::find()
        .order_by_asc(workload_template::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|t| {
            Ok(Template {
                id: t.uuid,
                name: t.name,
                scope: Scope::from_row(&t.scope_kind, t.scope_id)?,
                kind: t.kind,
                environment_id: envs
                    .iter()
                    .find(|e| e.id == t.environment_id)
                    .map(|e| e.uuid.clone())
                    .unwrap_or_default(),
                compute_id: computes
                    .iter()
                    .find(|c| c.id == t.compute_id)
                    .map(|c| c.uuid.clone())
                    .unwrap_or_default(),
                created_at: rfc3339(t.created_at),
            })
        })
        .collect()
}

/// Creates a template from an environment and a compute resource (by id).
pub async fn create_template(
    rota: &Rota,
    who: &Principal,
    name: &str,
    scope: Scope,
    kind: &str,
    environment_id: &str,
    compute_id: &str,
) -> ControlResult<Template> {
    check_template(name, kind)?;
    require_asset_writer(rota, who, scope).await?;
    let txn = rota.store.write().await?;
    check_scope(&txn, scope).await?;
    let (env, compute) = template_parts(&txn, environment_id, compute_id).await?;
    ensure_free::<workload_template::Entity>(
        &txn,
        workload_template::Column::Name,
        workload_template::Column::ScopeKind,
        workload_template::Column::ScopeId,
        "template",
        name,
        scope,
    )
    .await?;
    let uuid = uuid::Uuid::new_v4().to_string();
    let now = now_ms();
    workload_template::Entity::insert(workload_template::ActiveModel {
        id: NotSet,
        uuid: Set(uuid.clone()),
        name: Set(name.to_owned()),
        scope_kind: Set(scope.kind().to_owned()),
        scope_id: Set(scope.id()),
        kind: Set(kind.to_owned()),
        environment_id: Set(env.id),
        compute_id: Set(compute.id),
        created_at: Set(now),
    })
    .exec(&txn)
    .await?;
    txn.commit().await?;
    Ok(Template {
        id: uuid,
        name: name.to_owned(),
        scope,
        kind: kind.to_owned(),
        environment_id: env.uuid,
        compute_id: compute.uuid,
        created_at: rfc3339(now),
    })
}

/// A template's name and workload type, as a request gives them.
fn check_template(name: &str, kind: &str) -> ControlResult<()> {
    validate::name("name", name)?;
    if !matches!(kind, "training" | "workspace") {
        return Err(ApiError::invalid(
            "kind",
            format!("{kind:?} is not a workload type; use training or workspace"),
        )
        .into());
    }
    Ok(())
}

/// A template's environment and compute resource, by their ids.
async fn template_parts(
    txn: &impl ConnectionTrait,
    environment_id: &str,
    compute_id: &str,
) -> ControlResult<(environment::Model, compute_resource::Model)> {
    let env = environment::Entity::find()
        .filter(environment::Column::Uuid.eq(environment_id))
        .one(txn)
        .await?
        .ok_or_else(|| {
            ApiError::invalid(
                "assets.environment",
                format!("environment {environment_id} does not exist"),
            )
        })?;
    let compute = compute_resource::Entity::find()
        .filter(compute_resource::Column::Uuid.eq(compute_id))
        .one(txn)
        .await?
        .ok_or_else(|| {
            ApiError::invalid(
                "assets.compute",
                format!("compute resource {compute_id} does not exist"),
            )
        })?;
    Ok((env, compute))
}

/// Renames a template or changes its type, environment or compute resource (its scope stays).
pub async fn update_template(
    rota: &Rota,
    who: &Principal,
    id: &str,
    name: &str,
    kind: &str,
    environment_id: &str,
    compute_id: &str,
) -> ControlResult<Template> {
    check_template(name, kind)?;
    let txn = rota.store.write().await?;
    let t = workload_template::Entity::find()
        .filter(workload_template::Column::Uuid.eq(id))
        .one(&txn)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("template {id} does not exist")))?;
    let scope = Scope::from_row(&t.scope_kind, t.scope_id)?;
    require_asset_writer(rota, who, scope).await?;
    let (env, compute) = template_parts(&txn, environment_id, compute_id).await?;
    if name != t.name {
        ensure_free::<workload_template::Entity>(
            &txn,
            workload_template::Column::Name,
            workload_template::Column::ScopeKind,
            workload_template::Column::ScopeId,
            "template",
            name,
            scope,
        )
        .await?;
    }
    let created_at = t.created_at;
    let mut row: workload_template::ActiveModel = t.into();
    row.name = Set(name.to_owned());
    row.kind = Set(kind.to_owned());
    row.environment_id = Set(env.id);
    row.compute_id = Set(compute.id);
    workload_template::Entity::update(row).exec(&txn).await?;
    txn.commit().await?;
    Ok(Template {
        id: id.to_owned(),
        name: name.to_owned(),
        scope,
        kind: kind.to_owned(),
        environment_id: env.uuid,
        compute_id: compute.uuid,
        created_at: rfc3339(created_at),
    })
}

/// Deletes a template.
pub async fn delete_template(rota: &Rota, who: &Principal, id: &str) -> ControlResult<()> {
    let txn = rota.store.write().await?;
    let t = workload_template::Entity::find()
        .filter(workload_template::Column::Uuid.eq(id))
        .one(&txn)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("template {id} does not exist")))?;
    require_asset_writer(rota, who, Scope::from_row(&t.scope_kind, t.scope_id)?).await?;
    workload_template::Entity::delete_by_id(t.id)
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(())
}

/// Renames an environment or changes what it runs (every field of `spec` is taken).
pub async fn update_environment(
    rota: &Rota,
    who: &Principal,
    id: &str,
    name: Option<&str>,
    spec: Option<&EnvironmentSpec>,
) -> ControlResult<Environment> {
    if let Some(n) = name {
        validate::name("name", n)?;
    }
    let columns = spec.map(environment_columns).transpose()?;
    let txn = rota.store.write().await?;
    let env = environment::Entity::find()
        .filter(environment::Column::Uuid.eq(id))
        .one(&txn)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("environment {id} does not exist")))?;
    let scope = Scope::from_row(&env.scope_kind, env.scope_id)?;
    require_asset_writer(rota, who, scope).await?;
    if let Some(n) = name.filter(|n| *n != env.name) {
        ensure_free::<environment::Entity>(
            &txn,
            environment::Column::Name,
            environment::Column::ScopeKind,
            environment::Column::ScopeId,
            "environment",
            n,
            scope,
        )
        .await?;
    }
    let mut row: environment::ActiveModel = env.clone().into();
    if let Some(n) = name {
        row.name = Set(n.to_owned());
    }
    if let Some((image, command, args, env_json)) = columns {
        row.image = Set(image);
        row.command = Set(command);
        row.args = Set(args);
        row.env_json = Set(env_json);
    }
    let updated = environment::Entity::update(row).exec(&txn).await?;
    txn.commit().await?;
    env_of(updated)
}

/// Renames a compute resource or changes what it asks for (every field of `input` is taken).
pub async fn update_compute(
    rota: &Rota,
    who: &Principal,
    id: &str,
    name: Option<&str>,
    input: &ComputeInput,
) -> ControlResult<ComputeResource> {
    if let Some(n) = name {
        validate::name("name", n)?;
    }
    let gpu = validate::gpu_ask(
        "compute",
        input.gpu_devices_request,
        input.gpu_portion_request,
        input.gpu_memory_request.as_deref(),
    )?;
    let cpu = validate::cpu_millicores(
        "cpuCoreRequest",
        input
            .cpu_core_request
            .unwrap_or(super::workloads::DEFAULT_CPU_CORES),
    )?;
    let memory = validate::memory_mib(
        "cpuMemoryRequest",
        input
            .cpu_memory_request
            .as_deref()
            .unwrap_or(super::workloads::DEFAULT_MEMORY),
    )?;
    let txn = rota.store.write().await?;
    let c = compute_resource::Entity::find()
        .filter(compute_resource::Column::Uuid.eq(id))
        .one(&txn)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("compute resource {id} does not exist")))?;
    let scope = Scope::from_row(&c.scope_kind, c.scope_id)?;
    require_asset_writer(rota, who, scope).await?;
    if let Some(n) = name.filter(|n| *n != c.name) {
        ensure_free::<compute_resource::Entity>(
            &txn,
            compute_resource::Column::Name,
            compute_resource::Column::ScopeKind,
            compute_resource::Column::ScopeId,
            "compute resource",
            n,
            scope,
        )
        .await?;
    }
    let (devices, portion, gpu_memory) = match gpu {
        GpuAsk::Devices(n) => (n as i32, None, None),
        GpuAsk::Portion(p) => (1, Some(p as i32), None),
        GpuAsk::MemoryMib(m) => (1, None, Some(m as i64)),
    };
    let mut row: compute_resource::ActiveModel = c.clone().into();
    if let Some(n) = name {
        row.name = Set(n.to_owned());
    }
    row.gpu_devices = Set(devices);
    row.gpu_portion_milli = Set(portion);
    row.gpu_memory_mib = Set(gpu_memory);
    row.cpu_millicores = Set(cpu as i64);
    row.memory_mib = Set(memory as i64);
    let updated = compute_resource::Entity::update(row).exec(&txn).await?;
    txn.commit().await?;
    compute_of(updated)
}
