//! A memory slice counts for its share of its pool's reference device — the scheduling core's rule
//! (`rota_scheduler::gpus`) — in a workload's summary and in the submission preview alike.

mod support;

use std::sync::Arc;

use rota_api::wire::Compute;
use rota_control::cluster_file::ClusterFile;
use rota_control::executor::Simulated;
use rota_control::services::org::{self, QuotaChange};
use rota_control::services::{Rota, preview, workloads};
use support::{ADMIN_PASSWORD, admin, test_logs, training};

/// The default pool's devices have 40 GiB; the `big` pool's 80 GiB.
const TWO_POOLS: &str = r#"
name = "two-pools"
[[nodes]]
name = "node-1"
gpus = 2
gpu_memory_mib = 40960
[[nodes]]
name = "node-2"
gpus = 2
pool = "big"
gpu_memory_mib = 81920
"#;

fn slice(rota: &Rota, name: &str, memory: &str) -> workloads::Submission {
    let mut s = training(rota, name, "team-a", 0.0);
    s.request.spec.compute = Compute {
        gpu_memory_request: Some(memory.into()),
        ..Compute::default()
    };
    s
}

on_both!(
    a_memory_slice_counts_against_its_own_pools_device,
    |store, _url| async move {
        let file = ClusterFile::parse("two-pools.toml", TWO_POOLS).expect("file");
        let (rota, control, _) = Rota::start(
            store,
            &file,
            Some(ADMIN_PASSWORD),
            Arc::new(Simulated),
            test_logs(),
        )
        .await
        .expect("starts");
        let who = admin();
        // Waiting, it counts in the pool tried first (default: 40 GiB devices), not the largest
        // device of the cluster.
        let waiting = workloads::submit(&rota, &who, slice(&rota, "s1", "20Gi"))
            .await
            .expect("submitted");
        assert_eq!(waiting.requested_gpus, 0.5);
        control.settle().await.expect("settles");
        let placed = workloads::get(&rota, &waiting.id).await.expect("found");
        assert_eq!(
            (placed.nodes.clone(), placed.requested_gpus),
            (vec!["node-1".to_owned()], 0.5)
        );
        // The preview counts a slice as the core does: team-a deserves 1 GPU in the default
        // pool and holds half of one, so 30 GiB (0.75 of a 40 GiB device) runs over quota.
        let one = QuotaChange {
            node_pool: "default".into(),
            deserved: 1.0,
            limit: None,
            over_quota_weight: None,
            rank: None,
        };
        org::set_project_quota(&rota, &who, "team-a", &one)
            .await
            .expect("quota");
        let p = preview::preview(&rota, &who, &slice(&rota, "s2", "30Gi"))
            .await
            .expect("preview");
        assert_eq!(
            (p.nodes, p.over_quota),
            (vec!["node-1".to_owned()], true),
            "{}",
            p.message
        );
        let p = preview::preview(&rota, &who, &slice(&rota, "s3", "10Gi"))
            .await
            .expect("preview");
        assert!(!p.over_quota, "0.5 + 0.25 stays within 1: {}", p.message);
    }
);
