//! Assets in Run:ai's wire shapes (`{meta, spec}`): what the REST API and the web app both show
//! and take, so that the two cannot disagree.

use rota_api::ApiError;
use rota_api::wire::{
    AssetMeta, Compute, ComputeAsset, EnvironmentAsset, TemplateAsset, TemplateAssets, TemplateSpec,
};

use super::Rota;
use super::assets::{ComputeInput, ComputeResource, Environment, Scope, Template};

/// The scope an asset's `meta` names.
pub fn scope_of(meta: &AssetMeta) -> Result<Scope, ApiError> {
    let id = |v: &Option<String>, field: &str| -> Result<i32, ApiError> {
        v.as_deref().and_then(|s| s.parse().ok()).ok_or_else(|| {
            ApiError::invalid(
                format!("meta.{field}"),
                format!("a {} scope needs {field}", meta.scope),
            )
        })
    };
    match meta.scope.as_str() {
        "tenant" | "cluster" => Ok(Scope::Cluster),
        "department" => Ok(Scope::Department(id(&meta.department_id, "departmentId")?)),
        "project" => Ok(Scope::Project(id(&meta.project_id, "projectId")?)),
        other => Err(ApiError::invalid(
            "meta.scope",
            format!("{other:?} is not a scope; use cluster, department or project"),
        )),
    }
}

/// An asset's `meta`.
fn meta(rota: &Rota, id: &str, name: &str, scope: Scope, created_at: &str) -> AssetMeta {
    let (scope_name, department, project) = match scope {
        Scope::Cluster => ("cluster", None, None),
        Scope::Department(d) => ("department", Some(d.to_string()), None),
        Scope::Project(p) => ("project", None, Some(p.to_string())),
    };
    AssetMeta {
        id: Some(id.to_owned()),
        name: name.to_owned(),
        scope: scope_name.to_owned(),
        cluster_id: Some(rota.cluster_uuid.clone()),
        department_id: department,
        project_id: project,
        created_at: Some(created_at.to_owned()),
    }
}

/// An environment as the API shows it.
pub fn environment(rota: &Rota, e: Environment) -> EnvironmentAsset {
    EnvironmentAsset {
        meta: meta(rota, &e.id, &e.name, e.scope, &e.created_at),
        spec: e.spec,
    }
}

/// A compute resource as the API shows it.
pub fn compute(rota: &Rota, c: ComputeResource) -> ComputeAsset {
    ComputeAsset {
        meta: meta(rota, &c.id, &c.name, c.scope, &c.created_at),
        spec: Compute {
            gpu_devices_request: Some(f64::from(c.gpu_devices_request)),
            gpu_request_type: c
                .gpu_portion_request
                .map(|_| "portion".to_owned())
                .or(c.gpu_memory_mib.map(|_| "memory".to_owned())),
            gpu_portion_request: c.gpu_portion_request,
            gpu_memory_request: c.gpu_memory_mib.map(|m| format!("{m}Mi")),
            cpu_core_request: Some(c.cpu_core_request),
            cpu_memory_request: Some(format!("{}Mi", c.cpu_memory_mib)),
        },
    }
}

/// A template as the API shows it.
pub fn template(rota: &Rota, t: Template) -> TemplateAsset {
    TemplateAsset {
        meta: meta(rota, &t.id, &t.name, t.scope, &t.created_at),
        spec: TemplateSpec {
            workload_type: Some(t.kind),
        },
        assets: TemplateAssets {
            environment: t.environment_id,
            compute: t.compute_id,
        },
    }
}

/// A compute spec as the compute service takes it.
pub fn compute_input(spec: &Compute) -> ComputeInput {
    ComputeInput {
        gpu_devices_request: spec.gpu_devices_request,
        gpu_portion_request: spec.gpu_portion_request,
        gpu_memory_request: spec.gpu_memory_request.clone(),
        cpu_core_request: spec.cpu_core_request,
        cpu_memory_request: spec.cpu_memory_request.clone(),
    }
}
