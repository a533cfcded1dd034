//! Test stores: a fresh SQLite file, or a fresh PostgreSQL database created and dropped around the
//! test (never a shared one). PostgreSQL is `ROTA_TEST_POSTGRES` (default: the local server with
//! trust auth); set it to `skip` to run SQLite only.

#![allow(dead_code)]

use std::future::Future;
use std::sync::Arc;

use rota_api::wire::{Compute, WorkloadCreationRequest, WorkloadSpec};
use rota_control::auth::{Principal, Role};
use rota_control::cluster_file::ClusterFile;
use rota_control::executor::Simulated;
use rota_control::logs::Logs;
use rota_control::services::Rota;
use rota_control::services::workloads::Submission;
use rota_control::{Control, Store};
use rota_scheduler::WorkloadKind;
use sea_orm::{ConnectionTrait, Database};

pub const ADMIN_PASSWORD: &str = "walkthrough-admin";

#[derive(Debug, Clone, Copy)]
pub enum Backend {
    Sqlite,
    Postgres,
}

fn postgres_admin_url() -> Option<String> {
    match std::env::var("ROTA_TEST_POSTGRES") {
        Ok(v) if v == "skip" => None,
        Ok(v) => Some(v),
        Err(_) => Some("postgres://postgres@127.0.0.1:5432/postgres".into()),
    }
}

/// Runs `body` against a fresh store of `backend`, then removes the store, even if `body` panics.
pub async fn with_store<F, Fut>(backend: Backend, body: F)
where
    F: FnOnce(Store, String) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let name = format!("rota_test_{}", uuid::Uuid::new_v4().simple());
    let (url, admin) = match backend {
        Backend::Sqlite => {
            let dir = std::env::temp_dir().join(&name);
            (format!("sqlite://{}/rota.db", dir.display()), None)
        }
        Backend::Postgres => {
            let Some(admin_url) = postgres_admin_url() else {
                return;
            };
            let admin = Database::connect(&admin_url)
                .await
                .expect("PostgreSQL answers (set ROTA_TEST_POSTGRES=skip to run without it)");
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .expect("create test database");
            let base = admin_url
                .rsplit_once('/')
                .map_or(admin_url.as_str(), |(b, _)| b)
                .to_owned();
            (format!("{base}/{name}"), Some(admin))
        }
    };
    let store = Store::open(&url).await.expect("store opens and migrates");
    let outcome = tokio::spawn(body(store.clone(), url.clone())).await;
    store.db.close_by_ref().await.ok();
    match (backend, admin) {
        (Backend::Sqlite, _) => {
            let _ = std::fs::remove_dir_all(std::env::temp_dir().join(&name));
        }
        (Backend::Postgres, Some(admin)) => {
            let _ = admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .await;
        }
        (Backend::Postgres, None) => {}
    }
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

/// Seeds the quickstart cluster and returns the services and a loop (not spawned: tests call
/// `settle` to run the scheduler at the moments they choose).
pub async fn quickstart(store: Store) -> (Rota, Control) {
    let file = ClusterFile::load(None).expect("quickstart cluster");
    let logs = test_logs();
    let (rota, control, _) = Rota::start(
        store,
        &file,
        Some(ADMIN_PASSWORD),
        Arc::new(Simulated),
        logs,
    )
    .await
    .expect("starts");
    (rota, control)
}

/// A logs folder of its own under the temporary directory.
pub fn test_logs() -> Logs {
    Logs::new(&std::env::temp_dir().join(format!("rota_logs_{}", uuid::Uuid::new_v4().simple())))
}

/// A training of `gpus` devices per pod.
pub fn training(rota: &Rota, name: &str, project: &str, gpus: f64) -> Submission {
    Submission {
        kind: WorkloadKind::Training,
        request: WorkloadCreationRequest {
            name: name.into(),
            project_id: project.into(),
            cluster_id: rota.cluster_uuid.clone(),
            spec: WorkloadSpec {
                image: "gcr.io/run-ai-demo/quickstart".into(),
                compute: Compute {
                    gpu_devices_request: Some(gpus),
                    ..Compute::default()
                },
                ..WorkloadSpec::default()
            },
            ..WorkloadCreationRequest::default()
        },
        duration_secs: None,
        distributed: None,
    }
}

pub fn admin() -> Principal {
    Principal {
        user_id: Some(1),
        name: "admin".into(),
        role: Role::Admin,
    }
}

/// Declares a test that runs on SQLite and again on PostgreSQL.
#[macro_export]
macro_rules! on_both {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                support::with_store(support::Backend::Sqlite, $body).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                support::with_store(support::Backend::Postgres, $body).await;
            }
        }
    };
}
