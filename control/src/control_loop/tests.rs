//! The loop's snapshot, kept up to date from the changes it is told of, against one read afresh
//! from the store.

use std::sync::Arc;
use std::time::Duration;

use rota_api::wire::{Compute, WorkloadCreationRequest, WorkloadSpec};
use rota_scheduler::WorkloadKind;
use sea_orm::ActiveModelTrait;
use sea_orm::ActiveValue::Set;

use super::snapshot;
use crate::auth::{Principal, Role};
use crate::cluster_file::ClusterFile;
use crate::executor::Simulated;
use crate::services::Rota;
use crate::services::org::{self, QuotaChange};
use crate::services::workloads::{self, Submission};
use crate::store::Store;
use crate::store::entity::workload;

fn training(rota: &Rota, name: &str, project: &str, gpus: f64, secs: Option<i64>) -> Submission {
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
        duration_secs: secs,
        distributed: None,
    }
}

/// What of a live workload the cache must agree with the store on.
fn rows(loaded: &snapshot::Loaded) -> Vec<(i32, String, bool, bool)> {
    loaded
        .workloads
        .values()
        .map(|w| (w.id, w.name.clone(), w.nominated, w.phase_reason.is_some()))
        .collect()
}

/// A fresh SQLite store with the quickstart cluster seeded, removed when dropped.
struct Quickstart {
    rota: Rota,
    control: super::Control,
    who: Principal,
    dir: std::path::PathBuf,
}

impl Quickstart {
    async fn start() -> Self {
        let dir = std::env::temp_dir().join(format!("rota_loop_{}", uuid::Uuid::new_v4().simple()));
        let store = Store::open(&format!("sqlite://{}/rota.db", dir.display()))
            .await
            .expect("store");
        let file = ClusterFile::load(None).expect("quickstart cluster");
        let (rota, control, _) = Rota::start(
            store,
            &file,
            Some("loop-test"),
            Arc::new(Simulated),
            crate::logs::Logs::new(&dir),
        )
        .await
        .expect("starts");
        let who = Principal {
            user_id: Some(1),
            name: "admin".into(),
            role: Role::Admin,
        };
        Quickstart {
            rota,
            control,
            who,
            dir,
        }
    }
}

impl Drop for Quickstart {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn assert_matches_store(control: &super::Control, rota: &Rota, names: &[&str]) {
    let cache = control.cache.lock().await;
    let (kept, _) = cache.as_ref().expect("a snapshot is kept");
    let fresh = snapshot::load(&rota.store.db, rota.cluster_id)
        .await
        .expect("reads");
    assert_eq!(kept.snapshot, fresh.snapshot);
    assert_eq!(rows(kept), rows(&fresh));
    let kept_names: Vec<&str> = kept.workloads.values().map(|w| w.name.as_str()).collect();
    assert_eq!(kept_names, names);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_kept_snapshot_matches_a_fresh_read_after_submissions_deletions_and_exits() {
    let quickstart = Quickstart::start().await;
    let (rota, who) = (&quickstart.rota, &quickstart.who);
    let mut control = quickstart.control.clone();
    // Durations end when the executor is looked at: every pass, here.
    control.reconcile_every = Duration::ZERO;
    let submit = |name: &'static str, project: &'static str, gpus: f64, secs: Option<i64>| {
        let (rota, who) = (rota.clone(), who.clone());
        async move {
            workloads::submit(&rota, &who, training(&rota, name, project, gpus, secs))
                .await
                .expect("submitted")
        }
    };
    submit("short", "team-a", 1.0, Some(1)).await;
    submit("a2", "team-a", 2.0, None).await;
    submit("b1", "team-b", 1.0, None).await;
    control.settle().await.expect("settles");
    submit("b2", "team-b", 1.0, None).await;
    submit("gone", "team-b", 4.0, None).await;
    control.settle().await.expect("settles");
    workloads::delete(rota, who, "team-b/gone")
        .await
        .expect("deleted");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let settled = control.settle().await.expect("settles");
    assert_eq!(settled.exited, 1, "the timed workload ended");
    submit("late", "team-a", 1.0, None).await;
    control.settle().await.expect("settles");
    // A quota change: the organization is read again, the workloads are kept.
    org::set_project_quota(
        rota,
        who,
        "team-b",
        &QuotaChange {
            node_pool: "default".into(),
            deserved: 1.0,
            limit: None,
            over_quota_weight: Some(3),
            rank: None,
        },
    )
    .await
    .expect("quota");
    control.settle().await.expect("settles");
    assert_matches_store(&control, rota, &["a2", "b1", "b2", "late"]).await;

    // A row written behind the services' back is found by the fingerprint check.
    control.check_every = Duration::ZERO;
    let mut sneaked = <workload::ActiveModel as ActiveModelTrait>::default();
    sneaked.uuid = Set(uuid::Uuid::new_v4().to_string());
    sneaked.name = Set("sneaked".into());
    sneaked.cluster_id = Set(rota.cluster_id);
    sneaked.project_id = Set(1);
    sneaked.kind = Set("training".into());
    sneaked.image = Set("img".into());
    sneaked.env_json = Set("[]".into());
    sneaked.pods = Set(1);
    sneaked.min_pods = Set(1);
    sneaked.gpu_kind = Set("devices".into());
    sneaked.gpu_amount = Set(0);
    sneaked.cpu_millicores = Set(100);
    sneaked.memory_mib = Set(100);
    sneaked.priority = Set(50);
    sneaked.preemptible = Set(true);
    sneaked.phase = Set("Pending".into());
    sneaked.nominated = Set(false);
    sneaked.created_at = Set(0);
    sneaked.insert(&rota.store.db).await.expect("inserted");
    // A newer row may just not be reported yet: the first check notes it, the next one reads
    // the store whole when it is still missing.
    control.settle().await.expect("settles");
    control.settle().await.expect("settles");
    assert_matches_store(&control, rota, &["a2", "b1", "b2", "late", "sneaked"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_settled_cluster_is_not_scheduled_again_until_something_happens() {
    let quickstart = Quickstart::start().await;
    let (rota, who, control) = (&quickstart.rota, &quickstart.who, &quickstart.control);
    for (name, gpus) in [("big", 2.0), ("other", 2.0), ("waits", 2.0)] {
        workloads::submit(rota, who, training(rota, name, "team-a", gpus, None))
            .await
            .expect("submitted");
    }
    let first = control.settle().await.expect("settles");
    assert!(first.cycles >= 1 && first.started == 2, "{first:?}");
    // One more cycle wrote the first pending reason; from then on nothing changes.
    control.settle().await.expect("settles");
    let idle = control.settle().await.expect("settles");
    assert_eq!(idle.cycles, 0, "nothing happened, so nothing is scheduled");
    workloads::delete(rota, who, "team-a/big")
        .await
        .expect("deleted");
    let after = control.settle().await.expect("settles");
    assert_eq!(
        after.started, 1,
        "the deletion is scheduled at once: {after:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_workload_the_snapshot_cannot_take_is_set_aside_and_the_rest_schedules_on() {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

    use crate::store::entity::pod;
    let quickstart = Quickstart::start().await;
    let (rota, who, control) = (&quickstart.rota, &quickstart.who, &quickstart.control);
    for (name, gpus) in [("a2", 2.0), ("x", 1.0)] {
        workloads::submit(rota, who, training(rota, name, "team-a", gpus, None))
            .await
            .expect("submitted");
    }
    control.settle().await.expect("settles");
    let x = workloads::get(rota, "team-a/x").await.expect("x");
    let a2 = workloads::get(rota, "team-a/a2").await.expect("a2");
    assert_ne!(x.nodes, a2.nodes);
    // A row written behind the services' back: x now claims a GPU that a2 holds.
    let x_row = workload::Entity::find()
        .filter(workload::Column::Name.eq("x"))
        .one(&rota.store.db)
        .await
        .expect("reads")
        .expect("x's row");
    let a2_pod = pod::Entity::find()
        .filter(pod::Column::WorkloadId.ne(x_row.id))
        .one(&rota.store.db)
        .await
        .expect("reads")
        .expect("a2's pod");
    pod::Entity::update_many()
        .col_expr(
            pod::Column::NodeId,
            sea_orm::sea_query::Expr::value(a2_pod.node_id),
        )
        .col_expr(
            pod::Column::GpuSlots,
            sea_orm::sea_query::Expr::value("{\"devices\":[0]}"),
        )
        .filter(pod::Column::WorkloadId.eq(x_row.id))
        .exec(&rota.store.db)
        .await
        .expect("written");
    *control.cache.lock().await = None;
    workloads::submit(rota, who, training(rota, "y", "team-b", 1.0, None))
        .await
        .expect("submitted");
    control
        .settle()
        .await
        .expect("the cluster schedules on despite x");
    let y = workloads::get(rota, "team-b/y").await.expect("y");
    assert_eq!(y.phase, "Running", "{y:?}");
    let why = rota.reasons.get(x_row.id).unwrap_or_default();
    assert!(
        why.starts_with("set aside") && why.contains("GPU 0 is already in use"),
        "{why}"
    );
}
