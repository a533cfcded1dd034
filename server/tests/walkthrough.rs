//! The walkthrough, word for word, from the CLI's v1 and v2 shapes and from the API, against a
//! real server process on a fresh store — on SQLite and on PostgreSQL. After each step the table
//! `rota list -A` prints is checked whole; then the bin-packing continuation of the scenario
//! (shared/scenarios/quickstart-over-quota-fairness-binpacking.json).

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::cli::Cli;
use support::walkthrough::{self, IMAGE, after_b2, after_consolidation, first_step, table};
use support::{Server, TestStore};

mod support;

async fn cli_v1(db_url: String) {
    let server = Server::start(&db_url).await;
    let cli = Cli::new(&server.base);
    walkthrough::cli_v1(&cli);
}

async fn cli_v2(db_url: String) {
    let server = Server::start(&db_url).await;
    let cli = Cli::new(&server.base);
    let list = ["workload", "list", "-A"];
    cli.ok(&["project", "set", "team-a"]);
    cli.ok(&["training", "submit", "a2", "-i", IMAGE, "-g", "2"]);
    cli.ok(&["training", "submit", "a1", "-i", IMAGE, "-g", "1"]);
    cli.ok(&[
        "training", "submit", "b1", "-i", IMAGE, "-g", "1", "-p", "team-b",
    ]);
    cli.until(&list, &first_step());
    let preview = cli.ok(&[
        "training",
        "submit",
        "b2",
        "-i",
        IMAGE,
        "-g",
        "1",
        "-p",
        "team-b",
        "--dry-run",
    ]);
    assert_eq!(
        preview,
        "b2: starts after preempting a1 to return team-b's fair share\n"
    );
    cli.ok(&[
        "training", "submit", "b2", "-i", IMAGE, "-g", "1", "-p", "team-b", "--wait",
    ]);
    cli.until(&list, &after_b2());
    let json: Value =
        serde_json::from_str(&cli.ok(&["workload", "list", "-A", "--output", "json"]))
            .expect("JSON");
    assert_eq!(json.as_array().map(Vec::len), Some(4));
    assert_eq!(json[1]["name"], "a1");
    assert_eq!(json[1]["phase"], "Pending");
    cli.ok(&["training", "delete", "a2"]);
    cli.ok(&["training", "delete", "b1", "-p", "team-b"]);
    cli.until(
        &list,
        &table(&[
            ("a1", "Running", "team-a", "1/1", "1.00"),
            ("b2", "Running", "team-b", "1/1", "1.00"),
        ]),
    );
    cli.ok(&["training", "submit", "a2", "-i", IMAGE, "-g", "2"]);
    cli.until(&list, &after_consolidation());
    let refused = cli.run(&["training", "submit", "a2", "-i", IMAGE, "-g", "2"]);
    assert_eq!(refused.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&refused.stderr),
        "rota: a workload called a2 already exists in project team-a\n"
    );
}

async fn api(db_url: String) {
    let server = Server::start(&db_url).await;
    let http = reqwest::Client::new();
    let base = &server.base;
    let token = support::rest::sign_in(&http, base).await;
    let (projects, cluster) = support::rest::organization(&http, base, &token).await;
    let id_of = |name: &str| projects.get(name).expect("project").clone();
    let submit = |name: &'static str, project: String, gpus: u32| {
        let (http, token, cluster) = (http.clone(), token.clone(), cluster.clone());
        async move {
            let body = json!({"name": name, "projectId": project, "clusterId": cluster,
                              "spec": {"image": IMAGE, "compute": {"gpuDevicesRequest": gpus}}});
            let res = http
                .post(format!("{base}/api/v1/workloads/trainings"))
                .bearer_auth(&token)
                .json(&body)
                .send()
                .await
                .expect("submit");
            assert_eq!(res.status().as_u16(), 202, "{name}");
            res.json::<Value>().await.expect("workload")
        }
    };
    let phases = || {
        let (http, token) = (http.clone(), token.clone());
        async move {
            let list: Value = http
                .get(format!("{base}/api/v1/workloads"))
                .bearer_auth(&token)
                .send()
                .await
                .expect("list")
                .json()
                .await
                .expect("body");
            list["workloads"]
                .as_array()
                .expect("workloads")
                .iter()
                .map(|w| {
                    format!(
                        "{} {} {}",
                        w["name"].as_str().unwrap_or(""),
                        w["phase"].as_str().unwrap_or(""),
                        w["runningPods"]
                    )
                })
                .collect::<Vec<_>>()
        }
    };
    let until = |want: Vec<&'static str>| async move {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let got = phases().await;
            if got == want {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "never saw {want:?}; last {got:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    submit("a2", id_of("team-a"), 2).await;
    submit("a1", id_of("team-a"), 1).await;
    submit("b1", id_of("team-b"), 1).await;
    until(vec!["a2 Running 1", "a1 Running 1", "b1 Running 1"]).await;
    submit("b2", id_of("team-b"), 1).await;
    until(vec![
        "a2 Running 1",
        "a1 Pending 0",
        "b1 Running 1",
        "b2 Running 1",
    ])
    .await;
    let list: Value = http
        .get(format!("{base}/api/v1/workloads"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("body");
    let a1 = list["workloads"]
        .as_array()
        .and_then(|w| w.iter().find(|w| w["name"] == "a1"))
        .expect("a1")
        .clone();
    let events: Value = http
        .get(format!(
            "{base}/api/v1/workloads/{}/events",
            a1["id"].as_str().expect("id")
        ))
        .bearer_auth(&token)
        .send()
        .await
        .expect("events")
        .json()
        .await
        .expect("body");
    assert!(
        events["events"]
            .as_array()
            .expect("events")
            .iter()
            .any(|e| e["kind"] == "Preempted"),
        "{events}"
    );
    let delete = |name: &'static str| {
        let (http, token, list) = (http.clone(), token.clone(), list.clone());
        async move {
            let w = list["workloads"]
                .as_array()
                .and_then(|ws| ws.iter().find(|w| w["name"] == name))
                .expect("listed");
            let res = http
                .delete(format!(
                    "{base}/api/v1/workloads/trainings/{}",
                    w["id"].as_str().expect("id")
                ))
                .bearer_auth(&token)
                .send()
                .await
                .expect("delete");
            assert_eq!(res.status().as_u16(), 202, "{name}");
        }
    };
    delete("a2").await;
    until(vec!["a1 Running 1", "b1 Running 1", "b2 Running 1"]).await;
    delete("b1").await;
    until(vec!["a1 Running 1", "b2 Running 1"]).await;
    submit("a2", id_of("team-a"), 2).await;
    until(vec!["a1 Running 1", "b2 Running 1", "a2 Running 1"]).await;
    let metrics = support::rest::metrics(&http, base).await;
    for line in [
        "rota_deserved_gpus{pool=\"default\",project=\"team-a\"} 2.0",
        "rota_evictions_total{reason=\"reclaim\"} 1",
        "rota_evictions_total{reason=\"consolidate\"} 1",
        "rota_pending_workloads 0",
    ] {
        assert!(
            metrics.lines().any(|l| l == line),
            "/metrics lacks {line}:\n{metrics}"
        );
    }
    assert!(
        metrics.contains("rota_cycle_phase_seconds_count{phase=\"allocate\"}"),
        "{metrics}"
    );
}

macro_rules! on_both {
    ($name:ident, $body:ident) => {
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let store = TestStore::sqlite();
                $body(store.url.clone()).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some(mut store) = TestStore::postgres().await else {
                    return;
                };
                let outcome = tokio::spawn($body(store.url.clone())).await;
                store.drop_database().await;
                if let Err(e) = outcome {
                    std::panic::resume_unwind(e.into_panic());
                }
            }
        }
    };
}

on_both!(the_walkthrough_from_the_cli_in_v1_shapes, cli_v1);
on_both!(the_walkthrough_from_the_cli_in_v2_shapes, cli_v2);
on_both!(the_walkthrough_from_the_api, api);
