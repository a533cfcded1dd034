//! `rota-server`: serves Rota on `LEPTOS_SITE_ADDR` (default 127.0.0.1:3000).

use std::sync::Arc;

use anyhow::Context;
use axum::serve::ListenerExt;
use leptos::prelude::get_configuration;
use rota_control::cluster_file::ClusterFile;
use rota_control::executor::Simulated;
use rota_control::services::Rota;
use rota_control::store::Store;
use rota_server::config::Settings;

/// The bundle's name (`output-name` in the workspace's leptos metadata): /pkg/rota.js, .wasm, .css.
const SITE_OUTPUT_NAME: &str = "rota";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn,sea_orm=warn".into()),
        )
        .init();
    let settings = Settings::from_env();
    let conf =
        get_configuration(None).context("reading the site configuration (LEPTOS_* variables)")?;
    let mut options = conf.leptos_options;
    // Started outside the repository (no Cargo.toml to read, no LEPTOS_OUTPUT_NAME), the pages
    // would ask for /pkg/.js and never hydrate: the bundle's name is fixed, so say it.
    if options.output_name.is_empty() {
        options.output_name = SITE_OUTPUT_NAME.into();
    }
    let addr = options.site_addr;
    let file = ClusterFile::load(settings.cluster_file.as_deref())?;
    let store = Store::open(&settings.database_url)
        .await
        .with_context(|| format!("opening the store at {}", settings.database_url))?;
    let (rota, control, seeded) = Rota::start(
        store,
        &file,
        settings.admin_password.as_deref(),
        Arc::new(Simulated),
    )
    .await
    .map_err(|e| anyhow::anyhow!("starting the control plane: {e}"))?;
    if let Some(password) = &seeded.generated_password {
        println!("First start: sign in as admin with password {password}");
        println!(
            "(set ROTA_ADMIN_PASSWORD before the first start to choose it; this is shown once)"
        );
    }
    control.spawn();
    rota.wake.wake();
    let app = rota_server::site(rota.clone(), options);
    // Responses go out as soon as they are written: without TCP_NODELAY the last part of a
    // large page waited for the client's delayed ACK, about 40 ms, on a kept-alive connection.
    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .with_context(|| format!("binding {addr}"))?
        .tap_io(|tcp| {
            if let Err(e) = tcp.set_nodelay(true) {
                tracing::debug!(error = %e, "TCP_NODELAY could not be set on a connection");
            }
        });
    tracing::info!(cluster = %rota.cluster_name, store = %settings.database_url, "Rota is serving on http://{addr}");
    axum::serve(listener, app.into_make_service())
        .with_graceful_shutdown(shutdown())
        .await?;
    Ok(())
}

async fn shutdown() {
    let _ = tokio::signal::ctrl_c().await;
}
