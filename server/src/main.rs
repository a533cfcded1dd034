//! `rota-server`: serves Rota on `LEPTOS_SITE_ADDR` (default 127.0.0.1:3000).

use anyhow::Context;
use axum::serve::ListenerExt;
use leptos::prelude::get_configuration;
use rota_control::cluster_file::ClusterFile;
use rota_control::leadership::{Leadership, StartLock};
use rota_control::logs::Logs;
use rota_control::services::Rota;
use rota_control::store::Store;
use rota_server::config::Settings;

/// The bundle's name (`output-name` in the workspace's leptos metadata): /pkg/rota.js, .wasm, .css.
const SITE_OUTPUT_NAME: &str = "rota";

fn main() -> anyhow::Result<()> {
    // `rota-server supervise-pod DIR`: the supervisor of one local pod (see the local executor).
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().is_some_and(|a| a == "supervise-pod") {
        std::process::exit(rota_control::executor::local::supervisor::main(args));
    }
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?
        .block_on(serve())
}

async fn serve() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn,sea_orm=warn".into()),
        )
        .init();
    let settings = Settings::from_env().map_err(|e| anyhow::anyhow!(e))?;
    // Before anything acts on the store or the cluster: one server per SQLite file.
    let _claim = rota_control::store::server_lock::claim(&settings.database_url)?;
    let conf =
        get_configuration(None).context("reading the site configuration (LEPTOS_* variables)")?;
    let mut options = conf.leptos_options;
    // Started outside the repository (no Cargo.toml to read, no LEPTOS_OUTPUT_NAME), the pages
    // would ask for /pkg/.js and never hydrate: the bundle's name is fixed, so say it.
    if options.output_name.is_empty() {
        options.output_name = SITE_OUTPUT_NAME.into();
    }
    let addr = options.site_addr;
    let mut file = ClusterFile::load(settings.cluster_file.as_deref())?;
    let me = std::env::current_exe().context("finding this program, to supervise local pods")?;
    let executor = rota_control::executor::from_cluster_file(
        &mut file,
        &settings.data_dir,
        vec![me.display().to_string(), "supervise-pod".into()],
    )
    .await
    .with_context(|| format!("starting the {:?} executor", file.executor))?;
    let shared = Store::is_postgres(&settings.database_url);
    // Servers starting together on one PostgreSQL store migrate and seed it in turn.
    let start_lock = if shared {
        Some(
            StartLock::take(&settings.database_url)
                .await
                .context("waiting for other servers on the store to start")?,
        )
    } else {
        None
    };
    let store = Store::open(&settings.database_url)
        .await
        .with_context(|| format!("opening the store at {}", settings.database_url))?;
    let (mut rota, mut control, seeded) = Rota::start(
        store,
        &file,
        settings.admin_password.as_deref(),
        executor,
        Logs::new(&settings.data_dir),
    )
    .await
    .map_err(|e| anyhow::anyhow!("starting the control plane: {e}"))?;
    control.save_usage_every = settings.usage_save_every;
    control.keep_history = settings.keep_history;
    if let Some(lock) = start_lock {
        lock.release().await;
    }
    // On PostgreSQL other servers may share the store: one of them schedules (the leader), and
    // they tell each other what changed.
    let control = if shared {
        // Who this server is to the others: its address, its pid, and when it started.
        let started = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let me = format!("{addr}/{}/{started:x}", std::process::id());
        let leadership = Leadership::connect(&settings.database_url, rota.cluster_id, me.clone())
            .await
            .context("connecting for the leader lease")?;
        rota.leadership = Some(leadership.clone());
        rota.join_peers(&settings.database_url, me)
            .await
            .map_err(|e| anyhow::anyhow!("joining the other servers on the store: {e}"))?;
        leadership.spawn();
        control.with_leadership(leadership)
    } else {
        control
    };
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
    tracing::info!(cluster = %rota.cluster_name, executor = rota.executor.kind(), store = %settings.database_url, role = rota.role().as_str(), "Rota is serving on http://{addr}");
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown())
    .await?;
    if let Some(leadership) = &rota.leadership {
        leadership.resign().await;
    }
    Ok(())
}

async fn shutdown() {
    let _ = tokio::signal::ctrl_c().await;
}
