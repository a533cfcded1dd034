//! The walkthrough with real processes: a workstation cluster (the local executor, one node of
//! four GPUs declared) served by a real `rota-server`, driven from the CLI and the REST API.
//! Every pod is a process group under its supervisor; the test reads their pid files and
//! `/proc` to check what really runs, then kills the server with SIGKILL and starts it again.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use rota_control::executor::local::supervisor::{self, PIDS, Pids};
use serde_json::Value;
use support::Server;
use support::cli::Cli;
use support::rest::{Api, eventually};

mod support;

const IMAGE: &str = "runai.jfrog.io/demo/quickstart";
/// A pod that says which devices it got, then runs until SIGTERM, which it reports.
const SERVE: &str = "echo devices=$CUDA_VISIBLE_DEVICES pod=$ROTA_POD_INDEX/$ROTA_POD_COUNT workload=$ROTA_WORKLOAD project=$ROTA_PROJECT; \
                     trap 'echo stopping on SIGTERM; exit 0' TERM; while :; do sleep 0.1; done";

const CLUSTER: &str =
    "name = \"workstation\"\nexecutor = \"local\"\n\n[local]\ngpus = 4\nnode = \"ws\"\n";

struct Fixture {
    dir: PathBuf,
    db_url: String,
}

impl Fixture {
    fn new() -> Fixture {
        let dir =
            std::env::temp_dir().join(format!("rota-local-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("dir");
        std::fs::write(dir.join("cluster.toml"), CLUSTER).expect("cluster file");
        Fixture {
            db_url: format!("sqlite://{}/rota.db", dir.display()),
            dir,
        }
    }

    async fn serve(&self) -> Server {
        let cluster = self.dir.join("cluster.toml").display().to_string();
        let data = self.dir.join("data").display().to_string();
        Server::start_with(
            &self.db_url,
            &[("ROTA_CLUSTER", &cluster), ("ROTA_DATA_DIR", &data)],
        )
        .await
    }

    fn pods_dir(&self) -> PathBuf {
        self.dir.join("data").join("pods")
    }

    /// Live pod processes by pod name, from their supervisors' pid files.
    fn live_pods(&self) -> BTreeMap<String, Pids> {
        let mut out = BTreeMap::new();
        let Ok(entries) = std::fs::read_dir(self.pods_dir()) else {
            return out;
        };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if let Some(p) = supervisor::read::<Pids>(&e.path(), PIDS)
                && p.pod.is_alive()
            {
                out.insert(name, p);
            }
        }
        out
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        // Leave nothing running, whatever happened.
        for pids in self.live_pods().values() {
            pids.pod.signal_group(nix::sys::signal::Signal::SIGKILL);
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn devices_in(log: &str) -> String {
    log.lines()
        .find_map(|l| l.strip_prefix("devices="))
        .and_then(|l| l.split_whitespace().next())
        .unwrap_or_default()
        .to_owned()
}

fn submit(cli: &Cli, name: &str, project: &str, gpus: &str, script: &str) {
    cli.ok(&[
        "training", "submit", name, "-i", IMAGE, "-g", gpus, "-p", project, "--", "sh", "-c",
        script,
    ]);
}

fn uuid_of(w: &Value) -> String {
    w["id"].as_str().expect("id").to_owned()
}

fn live_of(f: &Fixture, uuid: &str) -> Vec<String> {
    f.live_pods()
        .into_keys()
        .filter(|n| n.starts_with(uuid))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_walkthrough_runs_real_processes_and_survives_a_killed_server() {
    let f = Fixture::new();
    let mut server = f.serve().await;
    let cli = Cli::new(&server.base);
    let api = Api::new(&server.base).await;

    // team-a runs 3 GPUs (over quota) while team-b uses 1: three real processes.
    submit(&cli, "a2", "team-a", "2", SERVE);
    submit(&cli, "a1", "team-a", "1", SERVE);
    submit(&cli, "b1", "team-b", "1", SERVE);
    api.until(&[
        ("team-a/a2", "Running"),
        ("team-a/a1", "Running"),
        ("team-b/b1", "Running"),
    ])
    .await;
    let a1 = uuid_of(&api.workload("team-a/a1").await);
    eventually("three pod processes", || f.live_pods().len() == 3).await;
    let mut seen = BTreeMap::new();
    for (w, gpus) in [("team-a/a2", 2), ("team-a/a1", 1), ("team-b/b1", 1)] {
        let log = api.log(w, "tail=5").await;
        let devices = devices_in(&log);
        assert_eq!(devices.split(',').count(), gpus, "{w}: {log}");
        assert!(log.contains("pod=0/1"), "{log}");
        seen.insert(w, devices);
    }
    let mut all: Vec<String> = seen
        .values()
        .flat_map(|d| d.split(',').map(str::to_owned))
        .collect();
    all.sort();
    assert_eq!(all, ["0", "1", "2", "3"], "every GPU given once: {seen:?}");
    let cli_log = cli.ok(&["logs", "a2", "-p", "team-a", "--tail", "5"]);
    assert!(cli_log.contains("workload=a2 project=team-a"), "{cli_log}");
    let v2_log = cli.ok(&["training", "logs", "b1", "-p", "team-b"]);
    assert!(
        v2_log.contains(&format!("devices={}", seen["team-b/b1"])),
        "{v2_log}"
    );

    // team-b asks for its quota back: a1 gets SIGTERM, its process is gone, b2 runs on its GPU.
    submit(&cli, "b2", "team-b", "1", SERVE);
    api.until(&[("team-a/a1", "Pending"), ("team-b/b2", "Running")])
        .await;
    assert!(live_of(&f, &a1).is_empty(), "a1's process is gone");
    let a1_log = api.log("team-a/a1", "").await;
    assert!(a1_log.contains("stopping on SIGTERM"), "{a1_log}");
    let b2_log = api.log("team-b/b2", "").await;
    assert_eq!(
        devices_in(&b2_log),
        seen["team-a/a1"],
        "b2 runs on the GPU a1 gave up"
    );
    let events = api.events("team-a/a1").await;
    assert!(
        events.iter().any(|e| e["message"]
            .as_str()
            .is_some_and(|m| m.contains("team-b reclaimed its fair share of GPUs for b2"))),
        "{events:?}"
    );
    eventually("three pod processes", || f.live_pods().len() == 3).await;

    // Deleting a2 stops its process and a1 runs again, as a new process.
    let a2 = uuid_of(&api.workload("team-a/a2").await);
    cli.ok(&["delete", "job", "a2", "-p", "team-a"]);
    api.until(&[("team-a/a1", "Running")]).await;
    eventually("a2's process is gone", || live_of(&f, &a2).is_empty()).await;
    eventually("a1 runs again", || live_of(&f, &a1).len() == 1).await;

    // Exit 0 completes; exit 3 fails with the code and the end of the output.
    submit(&cli, "done", "team-b", "0", "echo all done; exit 0");
    submit(
        &cli,
        "broken",
        "team-b",
        "0",
        "echo something went wrong >&2; exit 3",
    );
    api.until(&[("team-b/done", "Completed"), ("team-b/broken", "Failed")])
        .await;
    let broken = api.workload("team-b/broken").await;
    assert!(
        broken["phaseReason"]
            .as_str()
            .is_some_and(|r| r.contains("exited with code 3")),
        "{broken}"
    );
    let events = api.events("team-b/broken").await;
    let failed = events
        .iter()
        .find(|e| e["kind"] == "Failed")
        .expect("a Failed event");
    let message = failed["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("exited with code 3") && message.contains("something went wrong"),
        "{message}"
    );
    assert_eq!(api.log("team-b/done", "").await, "all done\n");

    // A followed log streams until the pod is done.
    submit(
        &cli,
        "counter",
        "team-b",
        "0",
        "for i in 1 2 3; do echo line $i; sleep 0.3; done",
    );
    let followed = cli.ok(&["logs", "counter", "-p", "team-b", "-f"]);
    assert_eq!(followed, "line 1\nline 2\nline 3\n");

    // SIGKILL the server: the processes run on, and the restarted server adopts them.
    let before = f.live_pods();
    assert_eq!(before.len(), 3, "{before:?}");
    server.kill();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(f.live_pods(), before, "the pods outlive the server");
    let server = f.serve().await;
    cli.login(&server.base);
    let api = Api::new(&server.base).await;
    api.until(&[
        ("team-a/a1", "Running"),
        ("team-b/b1", "Running"),
        ("team-b/b2", "Running"),
    ])
    .await;
    // Two reconciliations later, still the same processes: none restarted, none doubled.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(
        f.live_pods(),
        before,
        "every pod was adopted, none started twice"
    );

    // A workload deleted while it starts leaves nothing running.
    submit(&cli, "hasty", "team-b", "0", SERVE);
    let hasty = uuid_of(&api.workload("team-b/hasty").await);
    cli.ok(&["delete", "job", "hasty", "-p", "team-b"]);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert!(live_of(&f, &hasty).is_empty(), "nothing of hasty runs");

    // Deleting the rest stops every process.
    for (w, p) in [("a1", "team-a"), ("b1", "team-b"), ("b2", "team-b")] {
        cli.ok(&["delete", "job", w, "-p", p]);
    }
    eventually("no pod process is left", || f.live_pods().is_empty()).await;
    drop(server);
}

/// A distributed training's pods find each other as `torchrun` expects: the master's address
/// and port, the world size and each pod's rank.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_distributed_training_gets_pytorchs_rendezvous_variables() {
    let f = Fixture::new();
    let server = f.serve().await;
    let cli = Cli::new(&server.base);
    let api = Api::new(&server.base).await;
    cli.ok(&[
        "pytorch",
        "submit",
        "ddp",
        "-i",
        IMAGE,
        "-g",
        "1",
        "--workers",
        "2",
        "-p",
        "team-a",
        "--",
        "sh",
        "-c",
        "echo rank=$RANK world=$WORLD_SIZE master=$MASTER_ADDR:$MASTER_PORT \
         framework=$ROTA_DISTRIBUTED_FRAMEWORK devices=$CUDA_VISIBLE_DEVICES; \
         trap 'exit 0' TERM; while :; do sleep 0.1; done",
    ]);
    api.until(&[("team-a/ddp", "Running")]).await;
    let uuid = uuid_of(&api.workload("team-a/ddp").await);
    eventually("three pod processes", || live_of(&f, &uuid).len() == 3).await;
    let mut port = None;
    let mut devices = Vec::new();
    for pod in 0..3 {
        let mut log = String::new();
        for _ in 0..100 {
            log = api.log("team-a/ddp", &format!("pod={pod}&tail=5")).await;
            if log.contains("rank=") {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let line = log.lines().find(|l| l.starts_with("rank=")).expect(&log);
        assert!(
            line.starts_with(&format!("rank={pod} world=3 master=127.0.0.1:")),
            "{line}"
        );
        assert!(line.contains("framework=PyTorch"), "{line}");
        let this_port = line
            .split("master=127.0.0.1:")
            .nth(1)
            .and_then(|r| r.split_whitespace().next())
            .expect("port")
            .to_owned();
        assert_eq!(
            port.get_or_insert(this_port.clone()),
            &this_port,
            "one port"
        );
        devices.push(devices_in(&format!(
            "devices={}",
            line.rsplit("devices=").next().unwrap_or("")
        )));
    }
    devices.sort();
    devices.dedup();
    assert_eq!(devices.len(), 3, "each pod its own GPU: {devices:?}");
    cli.ok(&["pytorch", "delete", "ddp", "-p", "team-a"]);
    eventually("every pod stopped", || live_of(&f, &uuid).is_empty()).await;
}
