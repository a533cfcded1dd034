//! What the loop asks of its executor, in order, recorded: a reclaimed pod is stopped before the
//! pod it makes room for is started, a deleted workload's pod is stopped through the executor,
//! and every pod gets its devices and its place in the environment.

mod support;

use std::sync::Arc;

use rota_control::cluster_file::ClusterFile;
use rota_control::executor::{Call, Recording};
use rota_control::services::{Rota, workloads};
use support::{admin, training};

fn env_of(call: &Call, key: &str) -> Option<String> {
    match call {
        Call::Start(p) => p
            .environment()
            .into_iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v),
        Call::Stop(_) => None,
    }
}

on_both!(
    the_loop_stops_before_it_starts_and_names_every_attempt,
    |store, _url| async move {
        let recording = Recording::default();
        let file = ClusterFile::load(None).expect("quickstart");
        let (rota, control, _) = Rota::start(
            store,
            &file,
            Some("pw"),
            Arc::new(recording.clone()),
            support::test_logs(),
        )
        .await
        .expect("starts");
        let who = admin();
        let uuid = |rota: &Rota, name: &'static str| {
            let rota = rota.clone();
            async move { workloads::get(&rota, name).await.expect("found").id }
        };
        for (name, project, gpus) in [
            ("a2", "team-a", 2.0),
            ("a1", "team-a", 1.0),
            ("b1", "team-b", 1.0),
        ] {
            workloads::submit(&rota, &who, training(&rota, name, project, gpus))
                .await
                .expect("submitted");
        }
        control.settle().await.expect("settles");
        let a2 = uuid(&rota, "team-a/a2").await;
        let a1 = uuid(&rota, "team-a/a1").await;
        let calls = recording.calls();
        assert_eq!(recording.started().len(), 3, "{calls:?}");
        let a2_start = calls
            .iter()
            .find(|c| matches!(c, Call::Start(p) if p.workload == a2))
            .expect("a2 started");
        assert_eq!(
            env_of(a2_start, "CUDA_VISIBLE_DEVICES").as_deref(),
            Some("0,1")
        );
        assert_eq!(env_of(a2_start, "ROTA_PROJECT").as_deref(), Some("team-a"));
        assert_eq!(env_of(a2_start, "ROTA_POD_COUNT").as_deref(), Some("1"));

        workloads::submit(&rota, &who, training(&rota, "b2", "team-b", 1.0))
            .await
            .expect("submitted");
        control.settle().await.expect("settles");
        let b2 = uuid(&rota, "team-b/b2").await;
        let calls = recording.calls();
        let stop_a1 = calls
            .iter()
            .position(|c| matches!(c, Call::Stop(p) if p.name == format!("{a1}-0-0")))
            .expect("a1's pod was stopped");
        let start_b2 = calls
            .iter()
            .position(|c| matches!(c, Call::Start(p) if p.workload == b2))
            .expect("b2 was started");
        assert!(stop_a1 < start_b2, "a1 stops before b2 starts: {calls:?}");

        workloads::delete(&rota, &who, "team-a/a2")
            .await
            .expect("deleted");
        control.settle().await.expect("settles");
        let stopped = recording.stopped();
        assert!(stopped.contains(&format!("{a2}-0-0")), "{stopped:?}");
        assert!(
            recording.started().contains(&format!("{a1}-0-1")),
            "a1 runs again as its second attempt: {:?}",
            recording.started()
        );
    }
);
