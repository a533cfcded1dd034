//! The OpenAPI 3 document at `/api/openapi.json`, generated from the handlers and wire types.

use axum::Json;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

mod links;
mod responses;

use links::CreateLinks;
use responses::CommonResponses;

use super::{
    access, assets, changes, cluster, health, logs, metrics, overview, projects, settings, token,
    units, user_apps, workloads,
};

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        let mut scheme = Http::new(HttpAuthScheme::Bearer);
        scheme.bearer_format = Some("JWT".to_owned());
        components.add_security_scheme("bearer", SecurityScheme::Http(scheme));
    }
}

/// Rota's REST API.
#[derive(Debug, OpenApi)]
#[openapi(
    info(title = "Rota", description = "GPU quotas, fair sharing and scheduling, in Run:ai's /api/v1 shapes."),
    modifiers(&BearerAuth, &CommonResponses, &CreateLinks),
    paths(
        health::healthz,
        metrics::metrics,
        changes::changes,
        token::token,
        access::create_app,
        access::list_apps,
        access::delete_app,
        access::rotate_app_secret,
        access::change_password,
        access::logout,
        access::rotate_signing_key,
        access::delete_user,
        access::create_user_app,
        user_apps::list_user_apps,
        user_apps::delete_user_app,
        user_apps::rotate_user_app_secret,
        access::create_user,
        access::list_users,
        projects::list,
        units::get_project,
        units::create_project,
        units::update_project,
        units::delete_project,
        units::list_departments,
        units::create_department,
        units::update_department,
        units::delete_department,
        assets::list_environments,
        assets::create_environment,
        assets::update_environment,
        assets::delete_environment,
        assets::list_compute,
        assets::create_compute,
        assets::update_compute,
        assets::delete_compute,
        assets::list_templates,
        assets::create_template,
        assets::update_template,
        assets::delete_template,
        cluster::clusters,
        cluster::node_pools,
        cluster::nodes,
        overview::overview,
        settings::get_fair_share,
        settings::put_fair_share,
        workloads::list,
        workloads::submit_training,
        workloads::submit_workspace,
        workloads::submit_distributed,
        workloads::get_one,
        workloads::delete,
        workloads::events,
        workloads::pods,
        logs::logs,
        workloads::preview_submission,
    )
)]
pub struct ApiDoc;

/// The document.
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

pub async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(document())
}
