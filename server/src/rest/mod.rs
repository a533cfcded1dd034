//! The REST API in Run:ai's `/api/v1` shapes, and `/healthz`. Handlers are thin: read the caller
//! and the body, call one service, map its error.

use axum::Router;
use axum::routing::{any, delete, get, post, put};
use rota_control::services::Rota;

mod access;
mod assets;
mod body;
mod caller;
mod changes;
pub mod client_addr;
mod cluster;
mod error;
mod health;
mod list_query;
mod logs;
mod metrics;
pub mod openapi;
mod overview;
mod projects;
mod settings;
mod strict_json;
mod token;
mod units;
mod unknown;
mod user_apps;
mod workloads;

pub use body::Body;
pub use caller::Caller;
pub use error::AppError;

/// Handler results.
pub type AppResult<T> = Result<T, AppError>;

/// The REST API and health routes, over the services.
pub fn router(rota: Rota) -> Router {
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/metrics", get(metrics::metrics))
        .route("/api/openapi.json", get(openapi::openapi_json))
        .route("/api/v1/token", post(token::token))
        .route(
            "/api/v1/apps",
            post(access::create_app).get(access::list_apps),
        )
        .route("/api/v1/apps/{id}", delete(access::delete_app))
        .route("/api/v1/apps/{id}/secret", post(access::rotate_app_secret))
        .route(
            "/api/v1/user-applications",
            post(access::create_user_app).get(user_apps::list_user_apps),
        )
        .route(
            "/api/v1/user-applications/{id}",
            delete(user_apps::delete_user_app),
        )
        .route(
            "/api/v1/user-applications/{id}/secret",
            post(user_apps::rotate_user_app_secret),
        )
        .route("/api/v1/me/password", post(access::change_password))
        .route("/api/v1/logout", post(access::logout))
        .route(
            "/api/v1/token-signing-key",
            post(access::rotate_signing_key),
        )
        .route("/api/v1/users/{id}", delete(access::delete_user))
        .route(
            "/api/v1/users",
            post(access::create_user).get(access::list_users),
        )
        .route(
            "/api/v1/org-unit/projects",
            get(projects::list).post(units::create_project),
        )
        .route(
            "/api/v1/org-unit/projects/{id}",
            get(units::get_project)
                .put(units::update_project)
                .delete(units::delete_project),
        )
        .route(
            "/api/v1/org-unit/departments",
            get(units::list_departments).post(units::create_department),
        )
        .route(
            "/api/v1/org-unit/departments/{id}",
            put(units::update_department).delete(units::delete_department),
        )
        .route(
            "/api/v1/asset/environment",
            get(assets::list_environments).post(assets::create_environment),
        )
        .route(
            "/api/v1/asset/environment/{id}",
            put(assets::update_environment).delete(assets::delete_environment),
        )
        .route(
            "/api/v1/asset/compute",
            get(assets::list_compute).post(assets::create_compute),
        )
        .route(
            "/api/v1/asset/compute/{id}",
            put(assets::update_compute).delete(assets::delete_compute),
        )
        .route(
            "/api/v1/asset/workload-template",
            get(assets::list_templates).post(assets::create_template),
        )
        .route(
            "/api/v1/asset/workload-template/{id}",
            put(assets::update_template).delete(assets::delete_template),
        )
        .route("/api/v1/clusters", get(cluster::clusters))
        .route("/api/v1/node-pools", get(cluster::node_pools))
        .route("/api/v1/nodes", get(cluster::nodes))
        .route(
            "/api/v1/settings/fair-share",
            get(settings::get_fair_share).put(settings::put_fair_share),
        )
        .route("/api/v1/overview", get(overview::overview))
        .route("/api/v1/changes", get(changes::changes))
        .route("/api/v1/workloads", get(workloads::list))
        .route(
            "/api/v1/workloads/preview",
            post(workloads::preview_submission),
        )
        .route(
            "/api/v1/workloads/trainings",
            post(workloads::submit_training),
        )
        .route(
            "/api/v1/workloads/workspaces",
            post(workloads::submit_workspace),
        )
        .route(
            "/api/v1/workloads/distributed",
            post(workloads::submit_distributed),
        )
        .route(
            "/api/v1/workloads/distributed/{id}",
            get(workloads::get_one).delete(workloads::delete),
        )
        .route(
            "/api/v1/workloads/trainings/{id}",
            get(workloads::get_one).delete(workloads::delete),
        )
        .route(
            "/api/v1/workloads/workspaces/{id}",
            get(workloads::get_one).delete(workloads::delete),
        )
        .route("/api/v1/workloads/{id}/events", get(workloads::events))
        .route("/api/v1/workloads/{id}/pods", get(workloads::pods))
        .route("/api/v1/workloads/{id}/logs", get(logs::logs))
        .route("/api", any(unknown::not_found))
        .route("/api/{*rest}", any(unknown::not_found))
        .method_not_allowed_fallback(unknown::method_not_allowed)
        .with_state(rota)
}
