//! Environments, compute resources and templates, in the REST API's shapes (`{meta, spec}`).

use leptos::prelude::*;
use rota_api::wire::{ComputeAsset, EnvironmentAsset, TemplateAsset};
use serde::{Deserialize, Serialize};

use crate::UiError;

/// Every asset, for the asset pages and the wizard.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Assets {
    /// Environments (images).
    pub environments: Vec<EnvironmentAsset>,
    /// Compute resources.
    pub compute: Vec<ComputeAsset>,
    /// Workload templates.
    pub templates: Vec<TemplateAsset>,
}

/// Every environment, compute resource and template.
#[server]
pub async fn list_assets() -> Result<Assets, UiError> {
    use super::ssr::{caller, ui};
    use rota_control::services::asset_wire::{compute, environment, template};
    use rota_control::services::assets;
    let (rota, _who) = caller()?;
    Ok(Assets {
        environments: assets::list_environments(&rota)
            .await
            .map_err(ui)?
            .into_iter()
            .map(|e| environment(&rota, e))
            .collect(),
        compute: assets::list_compute(&rota)
            .await
            .map_err(ui)?
            .into_iter()
            .map(|c| compute(&rota, c))
            .collect(),
        templates: assets::list_templates(&rota)
            .await
            .map_err(ui)?
            .into_iter()
            .map(|t| template(&rota, t))
            .collect(),
    })
}

/// Creates an environment (or, with an id, renames it and changes its image).
#[server]
pub async fn save_environment(asset: EnvironmentAsset) -> Result<EnvironmentAsset, UiError> {
    use super::ssr::{caller, ui};
    use rota_control::services::asset_wire::{environment, scope_of};
    use rota_control::services::assets;
    let (rota, who) = caller()?;
    let e = match asset.meta.id.as_deref() {
        Some(id) => {
            assets::update_environment(&rota, &who, id, Some(&asset.meta.name), Some(&asset.spec))
                .await
        }
        None => {
            let scope = scope_of(&asset.meta)?;
            assets::create_environment(&rota, &who, &asset.meta.name, scope, &asset.spec).await
        }
    }
    .map_err(ui)?;
    Ok(environment(&rota, e))
}

/// Creates a compute resource (or, with an id, changes it).
#[server]
pub async fn save_compute(asset: ComputeAsset) -> Result<ComputeAsset, UiError> {
    use super::ssr::{caller, ui};
    use rota_control::services::asset_wire::{compute, compute_input, scope_of};
    use rota_control::services::assets;
    let (rota, who) = caller()?;
    let input = compute_input(&asset.spec);
    let c = match asset.meta.id.as_deref() {
        Some(id) => assets::update_compute(&rota, &who, id, Some(&asset.meta.name), &input).await,
        None => {
            let scope = scope_of(&asset.meta)?;
            assets::create_compute(&rota, &who, &asset.meta.name, scope, &input).await
        }
    }
    .map_err(ui)?;
    Ok(compute(&rota, c))
}

/// Creates a template from an environment and a compute resource (or, with an id, changes it).
#[server]
pub async fn save_template(asset: TemplateAsset) -> Result<TemplateAsset, UiError> {
    use super::ssr::{caller, ui};
    use rota_control::services::asset_wire::{scope_of, template};
    use rota_control::services::assets;
    let (rota, who) = caller()?;
    let kind = asset.spec.workload_type.as_deref().unwrap_or("training");
    let (env, compute) = (&asset.assets.environment, &asset.assets.compute);
    let t = match asset.meta.id.as_deref() {
        Some(id) => {
            assets::update_template(&rota, &who, id, &asset.meta.name, kind, env, compute).await
        }
        None => {
            let scope = scope_of(&asset.meta)?;
            assets::create_template(&rota, &who, &asset.meta.name, scope, kind, env, compute).await
        }
    }
    .map_err(ui)?;
    Ok(template(&rota, t))
}

/// Which kind of asset to delete.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AssetKind {
    /// An environment.
    Environment,
    /// A compute resource.
    Compute,
    /// A template.
    Template,
}

/// Deletes an asset; one a template or workload uses is refused, with the reason.
#[server]
pub async fn delete_asset(kind: AssetKind, id: String) -> Result<(), UiError> {
    use super::ssr::{caller, ui};
    use rota_control::services::assets;
    let (rota, who) = caller()?;
    match kind {
        AssetKind::Environment => assets::delete_environment(&rota, &who, &id).await,
        AssetKind::Compute => assets::delete_compute(&rota, &who, &id).await,
        AssetKind::Template => assets::delete_template(&rota, &who, &id).await,
    }
    .map_err(ui)
}
