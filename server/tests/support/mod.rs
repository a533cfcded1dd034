//! A real `rota-server` process on a free port over a fresh store: a SQLite file, or a PostgreSQL
//! database created for the test and dropped after it (`ROTA_TEST_POSTGRES`, `skip` to leave out).

#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, Database, DatabaseConnection};

pub mod app;
pub mod cli;
pub mod python;
pub mod rest;
pub mod walkthrough;

pub const ADMIN_PASSWORD: &str = "walkthrough";

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A store for one test, removed on drop.
pub struct TestStore {
    pub url: String,
    dir: Option<PathBuf>,
    pg: Option<(DatabaseConnection, String)>,
}

impl TestStore {
    pub fn sqlite() -> TestStore {
        let dir = std::env::temp_dir().join(format!("rota-it-{}", uuid::Uuid::new_v4().simple()));
        TestStore {
            url: format!("sqlite://{}/rota.db", dir.display()),
            dir: Some(dir),
            pg: None,
        }
    }

    /// `None` when PostgreSQL is turned off with `ROTA_TEST_POSTGRES=skip`.
    pub async fn postgres() -> Option<TestStore> {
        let admin_url = match std::env::var("ROTA_TEST_POSTGRES") {
            Ok(v) if v == "skip" => return None,
            Ok(v) => v,
            Err(_) => "postgres://postgres@127.0.0.1:5432/postgres".into(),
        };
        let name = format!("rota_it_{}", uuid::Uuid::new_v4().simple());
        let admin = Database::connect(&admin_url)
            .await
            .expect("PostgreSQL answers (ROTA_TEST_POSTGRES=skip to leave it out)");
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create database");
        let base = admin_url
            .rsplit_once('/')
            .map_or(admin_url.as_str(), |(b, _)| b)
            .to_owned();
        Some(TestStore {
            url: format!("{base}/{name}"),
            dir: None,
            pg: Some((admin, name)),
        })
    }

    pub async fn drop_database(&mut self) {
        if let Some((admin, name)) = self.pg.take() {
            let _ = admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .await;
        }
    }
}

impl Drop for TestStore {
    fn drop(&mut self) {
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

fn server_log() -> Stdio {
    match std::env::var("ROTA_TEST_SERVER_LOG") {
        Ok(path) => std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_or_else(|_| Stdio::null(), Stdio::from),
        Err(_) => Stdio::null(),
    }
}

/// A running server, killed on drop.
pub struct Server {
    child: Child,
    pub base: String,
}

impl Server {
    pub async fn start(db_url: &str) -> Server {
        Server::start_with(db_url, &[]).await
    }

    /// A server with more environment (a cluster file, a data folder).
    pub async fn start_with(db_url: &str, env: &[(&str, &str)]) -> Server {
        let port = free_port();
        let child = Command::new(env!("CARGO_BIN_EXE_rota-server"))
            .envs(env.iter().copied())
            .env("DATABASE_URL", db_url)
            .env("ROTA_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
            .env(
                "RUST_LOG",
                std::env::var("ROTA_TEST_SERVER_LOG_LEVEL").unwrap_or_else(|_| "warn".into()),
            )
            // ROTA_TEST_SERVER_LOG=FILE keeps what the servers say (they append to it).
            .stdout(server_log())
            .stderr(server_log())
            .spawn()
            .expect("the server starts");
        let server = Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(r) = client.get(format!("{}/healthz", server.base)).send().await
                && r.status().is_success()
            {
                return server;
            }
            assert!(
                Instant::now() < deadline,
                "the server did not become healthy within 60 s"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub fn kill(&mut self) {
        self.child.kill().expect("SIGKILL");
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `rota` CLI, built beside the server by `cargo test`.
pub fn rota_bin() -> PathBuf {
    let server = PathBuf::from(env!("CARGO_BIN_EXE_rota-server"));
    let rota = server.with_file_name(format!("rota{}", std::env::consts::EXE_SUFFIX));
    assert!(
        rota.exists(),
        "{} is missing: build the CLI first (cargo build -p rota-cli)",
        rota.display()
    );
    rota
}

/// Checks in the store at `db_url` that no GPU is held by two pods and every GPU held exists;
/// answers how many are held.
pub async fn gpus_held_once(db_url: &str) -> usize {
    use rota_control::store::entity::{node, pod};
    use rota_scheduler::GpuSlots;
    use sea_orm::EntityTrait;

    let store = rota_control::Store::open(db_url).await.expect("store");
    let nodes = node::Entity::find().all(&store.db).await.expect("nodes");
    let mut taken = std::collections::BTreeSet::new();
    for p in pod::Entity::find().all(&store.db).await.expect("pods") {
        let slots: GpuSlots = serde_json::from_str(&p.gpu_slots).expect("slots");
        let GpuSlots::Devices(devices) = slots else {
            panic!("whole devices were asked for")
        };
        let gpus = nodes
            .iter()
            .find(|n| n.id == p.node_id)
            .map(|n| n.gpus)
            .expect("node");
        for d in devices {
            assert!(
                (d as i32) < gpus,
                "GPU {d} does not exist on node {}",
                p.node_id
            );
            assert!(
                taken.insert((p.node_id, d)),
                "GPU {d} of node {} is held by two pods",
                p.node_id
            );
        }
    }
    store.db.close().await.expect("close");
    taken.len()
}
