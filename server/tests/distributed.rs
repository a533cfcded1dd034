//! Distributed trainings end to end on the walkthrough's cluster (two nodes of two GPUs, team-a
//! and team-b deserving two each), against a real server on a fresh SQLite store: from the REST
//! API (Run:ai's `POST /api/v1/workloads/distributed`) and from the CLI's v1 and v2 shapes. A
//! training waits for room as a whole, starts whole, is preempted whole and comes back whole.

use serde_json::{Value, json};
use support::cli::Cli;
use support::rest::Api;
use support::{Server, TestStore};

mod support;

const IMAGE: &str = "pytorch/pytorch";

async fn project_ids(api: &Api) -> (String, String, String) {
    let id = |p: Value| p["id"].as_str().expect("id").to_owned();
    let team_a = api.project("team-a").await;
    let cluster = team_a["clusterId"].as_str().expect("cluster").to_owned();
    (id(team_a), id(api.project("team-b").await), cluster)
}

async fn pods(api: &Api, id: &str) -> Vec<Value> {
    let body: Value = api
        .get(&format!(
            "/api/v1/workloads/{}/pods",
            id.replace('/', "%2F")
        ))
        .await
        .json()
        .await
        .expect("pods");
    body["pods"].as_array().cloned().expect("pods")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_distributed_training_starts_whole_is_preempted_whole_and_waits_whole() {
    let store = TestStore::sqlite();
    let server = Server::start(&store.url).await;
    let api = Api::new(&server.base).await;
    let (team_a, team_b, cluster) = project_ids(&api).await;
    let distributed = |name: &str, project: &str, workers: u32| {
        json!({"name": name, "projectId": project, "clusterId": cluster,
               "masterSpecSameAsWorker": true,
               "spec": {"image": IMAGE, "compute": {"gpuDevicesRequest": 1},
                        "distributedFramework": "PyTorch", "numWorkers": workers,
                        "nodePools": ["default"]}})
    };

    // A master and three workers: all four GPUs of the idle cluster, over team-a's quota.
    let (status, created) = api
        .post(
            "/api/v1/workloads/distributed",
            &distributed("ddp", &team_a, 3),
        )
        .await;
    assert_eq!(status, 202, "{created}");
    assert_eq!(created["type"], "Distributed");
    assert_eq!(created["distributedFramework"], "PyTorch");
    assert_eq!(created["requestedPods"], 4);
    assert_eq!(created["requestedGpus"], 4.0);
    assert_eq!(created["nodePools"], json!(["default"]));
    api.until(&[("team-a/ddp", "Running")]).await;
    let running = pods(&api, "team-a/ddp").await;
    let placed: Vec<(u64, String, usize)> = running
        .iter()
        .map(|p| {
            (
                p["index"].as_u64().expect("index"),
                p["node"].as_str().expect("node").to_owned(),
                p["devices"].as_array().map_or(0, Vec::len),
            )
        })
        .collect();
    assert_eq!(placed.len(), 4, "{running:?}");
    assert_eq!(
        placed.iter().map(|p| p.0).collect::<Vec<_>>(),
        vec![0, 1, 2, 3]
    );
    assert!(placed.iter().all(|p| p.2 == 1), "{placed:?}");
    assert_eq!(
        api.workload("team-a/ddp").await["runningPods"],
        4,
        "every pod confirmed"
    );

    // team-b wants one GPU of its quota back: the gang cannot run with three pods, so it is
    // preempted whole and waits, holding nothing.
    let (status, _) = api
        .post(
            "/api/v1/workloads/trainings",
            &json!({"name": "b1", "projectId": team_b, "clusterId": cluster,
                    "spec": {"image": IMAGE, "compute": {"gpuDevicesRequest": 1}}}),
        )
        .await;
    assert_eq!(status, 202);
    api.until(&[("team-a/ddp", "Pending"), ("team-b/b1", "Running")])
        .await;
    let waiting = api.workload("team-a/ddp").await;
    assert_eq!(waiting["runningPods"], 0, "{waiting}");
    let events = api.events("team-a/ddp").await;
    assert!(
        events
            .iter()
            .any(|e| e["message"].as_str().unwrap_or("").contains("b1")),
        "the preemption names who it was for: {events:?}"
    );
    eventually_no_pods(&api, "team-a/ddp").await;

    // b1 ends: the gang comes back whole.
    assert_eq!(
        api.delete("/api/v1/workloads/trainings/team-b%2Fb1").await,
        202
    );
    api.until(&[("team-a/ddp", "Running")]).await;
    assert_eq!(pods(&api, "team-a/ddp").await.len(), 4);

    // Five pods never fit four GPUs: it waits as a whole and says why, holding nothing.
    let (status, big) = api
        .post(
            "/api/v1/workloads/distributed",
            &distributed("big", &team_b, 4),
        )
        .await;
    assert_eq!(status, 202, "{big}");
    eventually_reason(&api, "team-b/big").await;
    assert!(pods(&api, "team-b/big").await.is_empty());
    assert_eq!(api.workload("team-a/ddp").await["phase"], "Running");

    // Elastic: three workers wanted, one enough. Deleting ddp leaves room for big (5 pods
    // won't fit) — then for the elastic one beside it once big is gone.
    assert_eq!(
        api.delete("/api/v1/workloads/distributed/team-b%2Fbig")
            .await,
        202
    );
    assert_eq!(
        api.delete("/api/v1/workloads/distributed/team-a%2Fddp")
            .await,
        202
    );
    let mut elastic = distributed("elastic", &team_a, 5);
    elastic["spec"]["minReplicas"] = json!(1);
    let (status, body) = api.post("/api/v1/workloads/distributed", &elastic).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["requestedPods"], 6);
    api.until(&[("team-a/elastic", "Running")]).await;
    assert_eq!(
        pods(&api, "team-a/elastic").await.len(),
        4,
        "as many pods as there are GPUs, at least the master and one worker"
    );
}

async fn eventually_no_pods(api: &Api, id: &str) {
    for _ in 0..200 {
        if pods(api, id).await.is_empty() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("{id} still holds pods");
}

async fn eventually_reason(api: &Api, id: &str) {
    for _ in 0..200 {
        let w = api.workload(id).await;
        if w["phase"] == "Pending" && w["phaseReason"].is_string() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("{id} never said why it waits");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_distributed_fields_are_named_and_nothing_is_written() {
    let store = TestStore::sqlite();
    let server = Server::start(&store.url).await;
    let api = Api::new(&server.base).await;
    let (team_a, _, cluster) = project_ids(&api).await;
    let base = json!({"name": "d", "projectId": team_a, "clusterId": cluster,
                      "spec": {"image": IMAGE, "distributedFramework": "PyTorch", "numWorkers": 2}});
    let cases = [
        (
            "/spec/distributedFramework",
            json!("caffe"),
            "spec.distributedFramework",
        ),
        ("/spec/numWorkers", json!(0), "spec.numWorkers"),
        ("/spec/minReplicas", json!(3), "spec.minReplicas"),
        ("/spec/maxReplicas", json!(1), "spec.maxReplicas"),
        ("/spec/nodePools", json!(["nope"]), "spec.nodePools"),
        (
            "/spec/nodePools",
            json!(["default", "default"]),
            "spec.nodePools",
        ),
        ("/masterSpecSameAsWorker", json!(false), "masterSpec"),
    ];
    for (pointer, value, field) in cases {
        let mut body = base.clone();
        let (parent, key) = pointer.rsplit_once('/').expect("pointer");
        body.pointer_mut(if parent.is_empty() { "" } else { parent })
            .and_then(Value::as_object_mut)
            .expect("parent")
            .insert(key.to_owned(), value);
        let (status, err) = api.post("/api/v1/workloads/distributed", &body).await;
        assert_eq!(status, 422, "{pointer}: {err}");
        assert_eq!(err["details"][0]["field"], field, "{pointer}: {err}");
    }
    let (_, err) = api
        .post(
            "/api/v1/workloads/distributed",
            &json!({"name": "d", "projectId": team_a, "clusterId": cluster,
                    "spec": {"image": IMAGE, "distributedFramework": "JAX", "nodePools": ["gpu-x"]}}),
        )
        .await;
    assert_eq!(
        err["details"][0]["message"],
        "node pool gpu-x does not exist; the cluster has default"
    );
    let list: Value = api
        .get("/api/v1/workloads")
        .await
        .json()
        .await
        .expect("list");
    assert_eq!(list["workloads"], json!([]), "nothing was written");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn distributed_trainings_from_the_cli_in_v1_and_v2_shapes() {
    let store = TestStore::sqlite();
    let server = Server::start(&store.url).await;
    let cli = Cli::new(&server.base);
    cli.ok(&[
        "pytorch",
        "submit",
        "ddp",
        "-i",
        IMAGE,
        "-g",
        "1",
        "--workers",
        "1",
        "-p",
        "team-a",
        "--node-pools",
        "default",
    ]);
    cli.ok(&[
        "submit-dist",
        "tf",
        "tfd",
        "-i",
        IMAGE,
        "-g",
        "1",
        "--workers",
        "1",
        "-p",
        "team-b",
    ]);
    cli.until(
        &["list", "-A"],
        "Workload  Type         Status   Project  Priority  Preemptible  Running/Req. Pods  GPU Alloc.\n\
         ─────────────────────────────────────────────────────────────────────────────────────────────\n\
         ddp       Distributed  Running  team-a   low       yes          2/2                2.00\n\
         tfd       Distributed  Running  team-b   low       yes          2/2                2.00\n",
    );
    let described = cli.ok(&["pytorch", "describe", "ddp", "-p", "team-a"]);
    assert!(
        described.contains("Type:       Distributed (PyTorch)"),
        "{described}"
    );
    assert!(described.contains("Node pools: default"), "{described}");
    let pod_lines: Vec<&str> = described
        .lines()
        .skip_while(|l| !l.starts_with("Pods:"))
        .skip(3)
        .take_while(|l| !l.starts_with("Events:"))
        .collect();
    assert_eq!(pod_lines.len(), 2, "{described}");
    let first: Vec<&str> = pod_lines[0].split_whitespace().collect();
    assert_eq!(first[..3], ["0", "Running", "node-1"], "{described}");
    let refused = cli.run(&[
        "mpi",
        "submit",
        "m",
        "-i",
        IMAGE,
        "--workers",
        "0",
        "-p",
        "team-a",
    ]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("spec.numWorkers"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    // A third training of two pods waits whole: its preview says so and exits 3.
    let preview = cli.run(&[
        "jax",
        "submit",
        "j",
        "-i",
        IMAGE,
        "-g",
        "1",
        "--workers",
        "1",
        "-p",
        "team-a",
        "--dry-run",
    ]);
    assert_eq!(preview.status.code(), Some(3), "{preview:?}");
    cli.ok(&["pytorch", "delete", "ddp", "-p", "team-a"]);
    cli.until(
        &["list", "-A"],
        "Workload  Type         Status   Project  Priority  Preemptible  Running/Req. Pods  GPU Alloc.\n\
         ─────────────────────────────────────────────────────────────────────────────────────────────\n\
         tfd       Distributed  Running  team-b   low       yes          2/2                2.00\n",
    );
}
