//! Guaranteed minimum runtime end to end on the walkthrough's cluster (two nodes of two GPUs;
//! team-a and team-b deserve two each), against a real server on a fresh SQLite store: an admin
//! sets team-a's `reclaimMinRuntime` over REST; team-b's training then waits, saying whom it can
//! take from and when, instead of reclaiming a training that has just started; once the minimum
//! is lowered, the reclaim happens in the next cycles.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use support::cli::Cli;
use support::rest::Api;
use support::{Server, TestStore};

mod support;

const IMAGE: &str = "runai.jfrog.io/demo/quickstart";

/// team-a as a PUT body, with its minimum runtimes.
fn team_a_with(reclaim: Option<&str>, preempt: Option<&str>) -> Value {
    let mut body = json!({
        "name": "team-a",
        "resources": [{"nodePool": {"name": "default"}, "gpu": {"deserved": 2}}],
    });
    if let Some(r) = reclaim {
        body["reclaimMinRuntime"] = json!(r);
    }
    if let Some(p) = preempt {
        body["preemptMinRuntime"] = json!(p);
    }
    body
}

/// Submits a one-GPU training of the quickstart image.
async fn train(api: &Api, org: &(BTreeMap<String, String>, String), project: &str, name: &str) {
    let body = json!({"name": name, "projectId": org.0[project], "clusterId": org.1,
                      "spec": {"image": IMAGE, "compute": {"gpuDevicesRequest": 1}}});
    let (status, created) = api.post("/api/v1/workloads/trainings", &body).await;
    assert_eq!(status, 202, "{created}");
}

/// team-a runs on all four GPUs: two in its quota, two over it (a4 the newest).
async fn team_a_on_every_gpu(api: &Api, org: &(BTreeMap<String, String>, String)) {
    for name in ["a1", "a2", "a3", "a4"] {
        train(api, org, "team-a", name).await;
    }
    api.until(&[
        ("team-a/a1", "Running"),
        ("team-a/a2", "Running"),
        ("team-a/a3", "Running"),
        ("team-a/a4", "Running"),
    ])
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reclaim_waits_for_the_minimum_runtime_and_says_how_long() {
    let store = TestStore::sqlite();
    let server = Server::start(&store.url).await;
    let api = Api::new(&server.base).await;
    let org = support::rest::organization(&reqwest::Client::new(), &server.base, api.token()).await;
    let path = format!("/api/v1/org-unit/projects/{}", org.0["team-a"]);

    // A duration that is not one is refused by name, and nothing of the change is kept.
    let (status, e) = api.put(&path, &team_a_with(Some("soon"), None)).await;
    assert_eq!(status, 422, "{e}");
    assert_eq!(e["details"][0]["field"], "reclaimMinRuntime", "{e}");
    assert!(
        api.project("team-a")
            .await
            .get("reclaimMinRuntime")
            .is_none()
    );

    let (status, p) = api.put(&path, &team_a_with(Some("1h"), Some("90s"))).await;
    assert_eq!(status, 200, "{p}");
    assert_eq!(
        (&p["reclaimMinRuntime"], &p["preemptMinRuntime"]),
        (&json!("1h"), &json!("1m30s"))
    );
    // The CLI lists each project's own minimums, or that it inherits them.
    let listed = Cli::new(&server.base).ok(&["project", "list"]);
    let row = |name: &str| {
        listed
            .lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_default()
            .to_owned()
    };
    assert!(row("team-a").ends_with("1m30s / 1h"), "{listed}");
    assert!(row("team-b").ends_with("inherited / inherited"), "{listed}");

    // team-a fills the cluster: two trainings in its quota, two over it.
    team_a_on_every_gpu(&api, &org).await;

    // team-b is within its share, but a4 (the newest) has run for less than an hour.
    train(&api, &org, "team-b", "b1").await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let reason = loop {
        let b1 = api.workload("team-b/b1").await;
        let reason = b1["phaseReason"].as_str().unwrap_or_default().to_owned();
        if reason.contains("minimum runtime") {
            break reason;
        }
        assert!(std::time::Instant::now() < deadline, "{b1}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert!(
        reason.starts_with("can take GPUs back from a4 in 59 m")
            || reason.starts_with("can take GPUs back from a4 in 1 h"),
        "{reason}"
    );
    assert!(
        reason.ends_with("when a4's minimum runtime ends"),
        "{reason}"
    );
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    api.until(&[("team-a/a4", "Running"), ("team-b/b1", "Pending")])
        .await;

    // Lowered, the protection is gone: b1 reclaims a4's GPU.
    let (status, p) = api.put(&path, &team_a_with(Some("0s"), None)).await;
    assert_eq!(status, 200, "{p}");
    assert_eq!(p["reclaimMinRuntime"], "0s");
    assert!(p.get("preemptMinRuntime").is_none(), "{p}");
    api.until(&[("team-b/b1", "Running"), ("team-a/a4", "Pending")])
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_a_minimum_runtime_ends_the_waiting_workload_starts_with_nothing_else_happening() {
    let store = TestStore::sqlite();
    let server = Server::start(&store.url).await;
    let api = Api::new(&server.base).await;
    let org = support::rest::organization(&reqwest::Client::new(), &server.base, api.token()).await;
    let path = format!("/api/v1/org-unit/projects/{}", org.0["team-a"]);
    let (status, p) = api.put(&path, &team_a_with(Some("3s"), None)).await;
    assert_eq!(status, 200, "{p}");
    team_a_on_every_gpu(&api, &org).await;
    train(&api, &org, "team-b", "b1").await;
    // It waits while a4 is younger than 3 s, then starts: no submission, deletion or edit wakes
    // the loop; the plan's time to look again does.
    let started = std::time::Instant::now();
    let mut waited = false;
    loop {
        let b1 = api.workload("team-b/b1").await;
        match b1["phase"].as_str() {
            Some("Pending") => {
                let reason = b1["phaseReason"].as_str().unwrap_or_default();
                waited |= reason.contains("when a4's minimum runtime ends");
            }
            Some("Running") => break,
            // Bound, its pod on its way (the executor reports it running next).
            Some("Starting") => {}
            other => panic!("{other:?}: {b1}"),
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "{b1}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(waited, "b1 never said it waited for a4's minimum runtime");
    api.until(&[("team-a/a4", "Pending")]).await;
}
