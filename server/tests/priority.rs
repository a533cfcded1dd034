//! Priority classes and preemptibility as users choose them, end to end on the walkthrough's
//! cluster (two nodes of two GPUs; team-a and team-b deserve two each), against a real server on
//! a fresh SQLite store: from the REST API (`spec.priorityClass`, `spec.preemptibility`) and the
//! CLI (`--priority`, `--preemptibility`, v1's `--preemptible`).

use serde_json::{Value, json};
use support::cli::Cli;
use support::rest::Api;
use support::{Server, TestStore};

mod support;

const IMAGE: &str = "runai.jfrog.io/demo/quickstart";

/// A workload summary's priority, class and preemptibility.
fn priority_of(w: &Value) -> (i64, &str, bool) {
    (
        w["priority"].as_i64().unwrap_or_default(),
        w["priorityClass"].as_str().unwrap_or_default(),
        w["preemptible"].as_bool().unwrap_or_default(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chosen_class_orders_preemption_and_non_preemptible_work_stays_in_quota() {
    let store = TestStore::sqlite();
    let server = Server::start(&store.url).await;
    let api = Api::new(&server.base).await;
    let (projects, cluster) =
        support::rest::organization(&reqwest::Client::new(), &server.base, api.token()).await;
    let training = |name: &str, project: &str, gpus: u32, priority: Value| {
        let mut spec = json!({"image": IMAGE, "compute": {"gpuDevicesRequest": gpus}});
        if let Value::Object(extra) = priority {
            spec.as_object_mut().expect("spec").extend(extra);
        }
        json!({"name": name, "projectId": projects[project], "clusterId": cluster, "spec": spec})
    };
    let submit = |body: Value| {
        let api = &api;
        async move { api.post("/api/v1/workloads/trainings", &body).await }
    };

    // Words that are not classes, or not preemptibility, are refused by name.
    let (status, e) = submit(training(
        "x",
        "team-a",
        1,
        json!({"priorityClass": "urgent"}),
    ))
    .await;
    assert_eq!(status, 422, "{e}");
    assert_eq!(e["details"][0]["field"], "spec.priorityClass", "{e}");
    let message = e["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("\"urgent\" is not a priority class"),
        "{message}"
    );
    assert!(message.contains("very-low, low, medium-low, medium, medium-high, high, very-high"));
    let (status, e) = submit(training(
        "x",
        "team-a",
        1,
        json!({"preemptibility": "often"}),
    ))
    .await;
    assert_eq!(status, 422, "{e}");
    assert_eq!(e["details"][0]["field"], "spec.preemptibility", "{e}");

    // team-a fills the idle cluster with four low, preemptible trainings: two over its quota.
    for name in ["t1", "t2", "t3", "t4"] {
        let (status, created) = submit(training(name, "team-a", 1, json!({}))).await;
        assert_eq!(status, 202, "{created}");
        assert_eq!(priority_of(&created), (40, "low", true), "{created}");
    }
    let a = |n: &str| format!("team-a/{n}");
    api.until(&[
        (&a("t1"), "Running"),
        (&a("t2"), "Running"),
        (&a("t3"), "Running"),
        (&a("t4"), "Running"),
    ])
    .await;

    // A medium training of team-a takes the GPU of its newest low one: inside a project, higher
    // priority preempts lower. Medium is below 100, so it is preemptible unless it says so.
    let (status, created) = submit(training(
        "urgent",
        "team-a",
        1,
        json!({"priorityClass": "medium"}),
    ))
    .await;
    assert_eq!(status, 202, "{created}");
    assert_eq!(priority_of(&created), (80, "medium", true), "{created}");
    api.until(&[(&a("urgent"), "Running"), (&a("t4"), "Pending")])
        .await;
    let events = api.events(&a("t4")).await;
    assert!(
        events.iter().any(|e| {
            let m = e["message"].as_str().unwrap_or_default();
            m.contains("preempted") && m.contains("urgent")
        }),
        "{events:?}"
    );

    // A high training of team-b is non-preemptible by default: it reclaims team-b's quota from
    // team-a's lowest, newest running training.
    let (status, created) = submit(training(
        "serve",
        "team-b",
        1,
        json!({"priorityClass": "high"}),
    ))
    .await;
    assert_eq!(status, 202, "{created}");
    assert_eq!(priority_of(&created), (125, "high", false), "{created}");
    api.until(&[
        ("team-b/serve", "Running"),
        (&a("t3"), "Pending"),
        (&a("urgent"), "Running"),
    ])
    .await;

    // Non-preemptible work runs only within deserved quota: 1 + 2 GPUs is over team-b's 2.
    let (status, created) = submit(training(
        "big",
        "team-b",
        2,
        json!({"priorityClass": "very-high"}),
    ))
    .await;
    assert_eq!(status, 202, "{created}");
    api.until(&[("team-b/big", "Pending")]).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let big = api.workload("team-b/big").await;
        let reason = big["phaseReason"].as_str().unwrap_or_default();
        if reason.contains("non-preemptible workloads must fit in team-b's deserved quota") {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{big}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    // The CLI: --priority and --preemptibility as Run:ai's v2 spells them, --preemptible as v1's.
    let cli = Cli::new(&server.base);
    let refused = cli.run(&[
        "training",
        "submit",
        "c1",
        "-i",
        IMAGE,
        "-p",
        "team-b",
        "--priority",
        "asap",
    ]);
    assert_eq!(refused.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("spec.priorityClass"), "{stderr}");
    cli.ok(&[
        "training",
        "submit",
        "c2",
        "-i",
        IMAGE,
        "-p",
        "team-b",
        "--priority",
        "medium-high",
        "--preemptibility",
        "non-preemptible",
    ]);
    let described = cli.ok(&["describe", "job", "c2", "-p", "team-b"]);
    assert!(
        described.contains("Priority:   medium-high (90), non-preemptible"),
        "{described}"
    );
    cli.ok(&[
        "submit",
        "ws",
        "-i",
        IMAGE,
        "-p",
        "team-b",
        "--interactive",
        "--preemptible",
    ]);
    let described = cli.ok(&["describe", "job", "ws", "-p", "team-b"]);
    assert!(
        described.contains("Priority:   high (125), preemptible"),
        "{described}"
    );
    let listed = cli.ok(&["list", "-p", "team-b"]);
    let row = |name: &str| {
        listed
            .lines()
            .find(|l| l.starts_with(name))
            .map(|l| l.split_whitespace().collect::<Vec<_>>())
            .unwrap_or_default()
    };
    assert_eq!(row("serve")[4..6], ["high", "no"], "{listed}");
    assert_eq!(row("ws")[4..6], ["high", "yes"], "{listed}");
}
