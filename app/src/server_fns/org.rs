//! Departments and projects with their quotas, and the scheduler's figures for each.

use leptos::prelude::*;
use rota_api::wire::{Department, Project, UnitRequest};
use serde::{Deserialize, Serialize};

use crate::UiError;

/// One org unit's figures in one pool, from the last scheduling cycle.
pub use rota_api::wire::UnitShare as Share;

/// The organization as an admin edits it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrgUnits {
    /// Projects with their quotas.
    pub projects: Vec<Project>,
    /// Departments with their quotas.
    pub departments: Vec<Department>,
}

/// Projects and departments with their quotas (admins only).
#[server]
pub async fn organization() -> Result<OrgUnits, UiError> {
    use super::ssr::{caller, ui};
    let (rota, who) = caller()?;
    let (projects, departments) = rota_control::services::org::organization(&rota, &who)
        .await
        .map_err(ui)?;
    Ok(OrgUnits {
        projects,
        departments,
    })
}

/// What the last scheduling cycle computed for each unit (admins only).
#[server]
pub async fn unit_shares() -> Result<Vec<Share>, UiError> {
    use super::ssr::{caller, ui};
    let (rota, who) = caller()?;
    rota_control::services::org::unit_shares(&rota, &who).map_err(ui)
}

/// The projects the signed-in user may submit to, and every department (for asset scopes).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Units {
    /// Projects the user may submit to.
    pub projects: Vec<Project>,
    /// Every department.
    pub departments: Vec<Department>,
    /// Every project: (id, name), to name asset scopes.
    pub every_project: Vec<(String, String)>,
    /// The cluster: (id, name).
    pub cluster: (String, String),
}

impl Units {
    /// A scope in words: `cluster`, `department research`, `project team-a`.
    pub fn scope_name(&self, meta: &rota_api::wire::AssetMeta) -> String {
        let named = |list: &[(String, String)], id: &Option<String>| {
            id.as_ref()
                .and_then(|id| list.iter().find(|(i, _)| i == id))
                .map_or_else(|| id.clone().unwrap_or_default(), |(_, n)| n.clone())
        };
        match meta.scope.as_str() {
            "project" => format!("project {}", named(&self.every_project, &meta.project_id)),
            "department" => {
                let departments: Vec<(String, String)> = self
                    .departments
                    .iter()
                    .map(|d| (d.id.clone(), d.name.clone()))
                    .collect();
                format!("department {}", named(&departments, &meta.department_id))
            }
            _ => "cluster".into(),
        }
    }
}

/// What the wizard and the asset forms offer.
#[server]
pub async fn my_units() -> Result<Units, UiError> {
    use super::ssr::{caller, ui};
    use rota_control::services::{org, units};
    let (rota, who) = caller()?;
    let all = org::list_projects(&rota).await.map_err(ui)?.projects;
    let every_project = all.iter().map(|p| (p.id.clone(), p.name.clone())).collect();
    Ok(Units {
        projects: org::submittable(&rota, &who, all).await.map_err(ui)?,
        every_project,
        departments: units::list_departments(&rota)
            .await
            .map_err(ui)?
            .departments,
        cluster: (rota.cluster_uuid.clone(), rota.cluster_name.clone()),
    })
}

/// Saves a project's or a department's name, parent, rank and quotas (admins only); the next
/// scheduling cycle uses them.
#[server]
pub async fn save_unit(department: bool, id: String, request: UnitRequest) -> Result<(), UiError> {
    use super::ssr::{caller, ui};
    use rota_control::services::units;
    let (rota, who) = caller()?;
    let unit = unit_kind(department);
    let id = units::unit_id(unit, &id).map_err(ui)?;
    units::update(&rota, &who, unit, id, &request)
        .await
        .map_err(ui)
}

/// Creates a project or a department (admins only); returns its id.
#[server]
pub async fn create_unit(department: bool, request: UnitRequest) -> Result<String, UiError> {
    use super::ssr::{caller, ui};
    use rota_control::services::units;
    let (rota, who) = caller()?;
    let unit = unit_kind(department);
    units::create(&rota, &who, unit, &request)
        .await
        .map(|id| id.to_string())
        .map_err(ui)
}

/// Deletes a project without live workloads, or an empty department (admins only).
#[server]
pub async fn delete_unit(department: bool, id: String) -> Result<(), UiError> {
    use super::ssr::{caller, ui};
    use rota_control::services::units;
    let (rota, who) = caller()?;
    let unit = unit_kind(department);
    let id = units::unit_id(unit, &id).map_err(ui)?;
    units::delete(&rota, &who, unit, id).await.map_err(ui)
}

#[cfg(feature = "ssr")]
fn unit_kind(department: bool) -> rota_control::services::units::Unit {
    use rota_control::services::units::Unit;
    if department {
        Unit::Department
    } else {
        Unit::Project
    }
}
