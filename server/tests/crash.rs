//! Crash safety: the server is killed (SIGKILL) in the middle of a stream of submissions and
//! started again on the same store. Every acknowledged submission is there, no GPU is held by two
//! pods, and scheduling resumes.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use serde_json::Value;
use support::Server;

mod support;

async fn live(client: &reqwest::Client, base: &str, token: &str) -> Vec<Value> {
    support::rest::all_workloads(client, base, token).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_server_loses_no_acknowledged_submission_and_gives_no_gpu_twice() {
    let dir = std::env::temp_dir().join(format!("rota-crash-{}", uuid::Uuid::new_v4().simple()));
    let db_url = format!("sqlite://{}/rota.db", dir.display());
    let mut server = Server::start(&db_url).await;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .expect("client");
    let token = support::rest::sign_in(&client, &server.base).await;
    let cluster: Value = client
        .get(format!("{}/api/v1/org-unit/projects", server.base))
        .bearer_auth(&token)
        .send()
        .await
        .expect("projects")
        .json()
        .await
        .expect("projects body");
    let cluster_id = cluster["projects"][0]["clusterId"]
        .as_str()
        .expect("clusterId")
        .to_owned();

    // Submit from a task; kill the server once 30 were acknowledged, while more are in flight.
    let (acked_tx, mut acked_rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    let submitter = {
        let (client, base, token) = (client.clone(), server.base.clone(), token.clone());
        tokio::spawn(async move {
            for i in 0..500 {
                let name = format!("w-{i}");
                let project = if i % 2 == 0 { "1" } else { "2" };
                let body = serde_json::json!({
                    "name": name, "projectId": project, "clusterId": cluster_id,
                    "spec": {"image": "gcr.io/run-ai-demo/quickstart", "compute": {"gpuDevicesRequest": 1}}
                });
                match client
                    .post(format!("{base}/api/v1/workloads/trainings"))
                    .bearer_auth(&token)
                    .json(&body)
                    .send()
                    .await
                {
                    Ok(r) if r.status().as_u16() == 202 => {
                        if acked_tx.send(name).is_err() {
                            return;
                        }
                    }
                    _ => return,
                }
            }
        })
    };
    let mut acked = BTreeSet::new();
    while let Some(name) = acked_rx.recv().await {
        acked.insert(name);
        if acked.len() == 30 {
            server.kill();
        }
    }
    let _ = submitter.await;
    assert!(
        acked.len() >= 30,
        "the stream was acknowledged before the kill"
    );

    let server = Server::start(&db_url).await;
    // The token issued before the crash is still valid.
    let listed = live(&client, &server.base, &token).await;
    let names: BTreeSet<String> = listed
        .iter()
        .filter_map(|w| w["name"].as_str().map(str::to_owned))
        .collect();
    let lost: Vec<&String> = acked.difference(&names).collect();
    assert!(lost.is_empty(), "acknowledged but lost: {lost:?}");

    // Scheduling resumes: the 4 GPUs of the quickstart cluster fill up.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let running = live(&client, &server.base, &token)
            .await
            .iter()
            .filter(|w| w["phase"] == "Running")
            .count();
        if running == 4 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "scheduling did not resume: {running} running"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    drop(server);

    assert_eq!(support::gpus_held_once(&db_url).await, 4);
    let _ = std::fs::remove_dir_all(&dir);
}
