//! Rota's server: builds the router (web app, REST API, health) around the control plane's
//! services. `main.rs` only reads the configuration and serves.

// Leptos view types nest deeply; the wizard's pages pass the default limit.
#![recursion_limit = "256"]

pub mod config;
pub mod rest;

use axum::Router;
use leptos::prelude::*;
use leptos_axum::{LeptosRoutes, generate_route_list};
use rota_app::{App, shell};
use rota_control::services::Rota;
use tower_http::CompressionLevel;
use tower_http::compression::CompressionLayer;

/// The whole site: REST API and health first, then the pages and server functions.
pub fn site(rota: Rota, options: LeptosOptions) -> Router {
    let routes = generate_route_list(App);
    let pages = Router::new()
        .leptos_routes_with_context(
            &options,
            routes,
            {
                let rota = rota.clone();
                move || provide_context(rota.clone())
            },
            {
                let options = options.clone();
                move || shell(options.clone())
            },
        )
        // Static files, else the app's "not found" page with status 404 (it needs the
        // services, as every page does).
        .fallback(leptos_axum::file_and_error_handler_with_context(
            {
                let rota = rota.clone();
                move || provide_context(rota.clone())
            },
            shell,
        ))
        .with_state(options);
    // Pages, API answers and the wasm bundle go out brotli- or gzip-compressed to clients that
    // ask (quality 4: fast, most of the gain); server-sent events are left alone.
    rest::router(rota)
        .merge(pages)
        .layer(axum::middleware::map_request(rest::client_addr::tag))
        .layer(CompressionLayer::new().quality(CompressionLevel::Precise(4)))
}
