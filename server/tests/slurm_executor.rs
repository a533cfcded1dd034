//! The walkthrough on a real multi-node Slurm (Debian's slurm-wlm, two nodes of two fake GPUs,
//! started by ../shared/slurm/start.sh in a scratch folder): every pod is a batch job pinned to
//! the node Rota chose; consolidation moves a pod as a new job; a node taken down sends its
//! trainings back to the queue; a killed server adopts the jobs again.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use serde_json::Value;
use support::Server;
use support::cli::Cli;
use support::rest::{Api, eventually};

mod support;

const IMAGE: &str = "runai.jfrog.io/demo/quickstart";
const SERVE: &str = "echo devices=$CUDA_VISIBLE_DEVICES; trap 'echo stopping; exit 0' TERM; while :; do sleep 0.1; done";

/// A Slurm cluster of its own for the test, stopped on drop.
struct SlurmCluster {
    dir: PathBuf,
    scripts: PathBuf,
}

impl SlurmCluster {
    fn start() -> SlurmCluster {
        let scripts = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/slurm");
        assert!(
            scripts.join("start.sh").exists(),
            "{} is missing: the Slurm fixture comes with shared/",
            scripts.display()
        );
        let dir =
            std::env::temp_dir().join(format!("rota-slurm-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("dir");
        let cluster = SlurmCluster { dir, scripts };
        let out = Command::new(cluster.scripts.join("start.sh"))
            .args(["2", "2", "8"])
            .env("SLURM_FIXTURE_DIR", &cluster.dir)
            .env("CLEAN", "1")
            .output()
            .expect("start.sh runs (apt-get install slurm-wlm: scripts/setup does)");
        assert!(
            out.status.success(),
            "the Slurm fixture did not start: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        cluster
    }

    fn conf(&self) -> String {
        self.dir.join("etc/slurm.conf").display().to_string()
    }

    fn tool(&self, tool: &str, args: &[&str]) -> String {
        let out = Command::new(tool)
            .args(args)
            .env("SLURM_CONF", self.conf())
            .output()
            .expect("a Slurm tool runs");
        assert!(
            out.status.success(),
            "{tool} {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Rota's jobs that are pending or running: job name → (job id, state, node).
    fn jobs(&self) -> BTreeMap<String, (u64, String, String)> {
        let v: Value = serde_json::from_str(&self.tool("squeue", &["--json"])).expect("json");
        v["jobs"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .filter(|j| {
                matches!(
                    j["job_state"].as_str(),
                    Some("RUNNING" | "PENDING" | "CONFIGURING" | "COMPLETING")
                )
            })
            .filter_map(|j| {
                let name = j["name"].as_str()?.strip_prefix("rota-")?.to_owned();
                Some((
                    name,
                    (
                        j["job_id"].as_u64()?,
                        j["job_state"].as_str()?.to_owned(),
                        j["nodes"].as_str()?.to_owned(),
                    ),
                ))
            })
            .collect()
    }

    /// The running job of a workload (by its UUID): its node and job id.
    fn running_job_of(&self, uuid: &str) -> Option<(String, u64)> {
        self.jobs()
            .into_iter()
            .find(|(name, (_, state, _))| name.starts_with(uuid) && state == "RUNNING")
            .map(|(_, (id, _, node))| (node, id))
    }
}

impl Drop for SlurmCluster {
    fn drop(&mut self) {
        let _ = Command::new(self.scripts.join("stop.sh"))
            .env("SLURM_FIXTURE_DIR", &self.dir)
            .output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn serve(slurm: &SlurmCluster, dir: &std::path::Path, db_url: &str) -> Server {
    let cluster = dir.join("cluster.toml");
    std::fs::write(
        &cluster,
        "name = \"hpc\"\nexecutor = \"slurm\"\n\n[slurm]\npartition = \"gpu\"\n",
    )
    .expect("cluster file");
    let cluster = cluster.display().to_string();
    let data = dir.join("data").display().to_string();
    Server::start_with(
        db_url,
        &[
            ("ROTA_CLUSTER", &cluster),
            ("ROTA_DATA_DIR", &data),
            ("SLURM_CONF", &slurm.conf()),
        ],
    )
    .await
}

fn submit(cli: &Cli, name: &str, project: &str, gpus: &str) {
    // A SIGTERM that reaches a job while slurmstepd still launches its script is lost (Rota sends
    // it twice); a short grace period makes the kill that follows come within the test's waits.
    cli.ok(&[
        "training",
        "submit",
        name,
        "-i",
        IMAGE,
        "-g",
        gpus,
        "-p",
        project,
        "--grace-period",
        "5",
        "--",
        "sh",
        "-c",
        SERVE,
    ]);
}

async fn uuid_and_node(api: &Api, w: &str) -> (String, String) {
    let v = api.workload(w).await;
    (
        v["id"].as_str().expect("id").to_owned(),
        v["nodes"][0].as_str().unwrap_or_default().to_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_walkthrough_runs_as_slurm_jobs_on_the_nodes_rota_chose() {
    let slurm = SlurmCluster::start();
    let dir = std::env::temp_dir().join(format!("rota-hpc-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("dir");
    let db_url = format!("sqlite://{}/rota.db", dir.display());
    let mut server = serve(&slurm, &dir, &db_url).await;
    let cli = Cli::new(&server.base);
    let api = Api::new(&server.base).await;

    // Whole GPUs only: this Slurm has no `shard` gres, so a fraction is refused at once.
    let frac = cli.run(&[
        "training", "submit", "half", "-i", IMAGE, "-g", "0.5", "-p", "team-a", "--", "sleep", "1",
    ]);
    assert!(!frac.status.success());
    let said = String::from_utf8_lossy(&frac.stderr);
    assert!(said.contains("no `shard` gres"), "{said}");

    // Three jobs, each RUNNING on the node Rota chose.
    submit(&cli, "a2", "team-a", "2");
    submit(&cli, "a1", "team-a", "1");
    submit(&cli, "b1", "team-b", "1");
    api.until(&[
        ("team-a/a2", "Running"),
        ("team-a/a1", "Running"),
        ("team-b/b1", "Running"),
    ])
    .await;
    for w in ["team-a/a2", "team-a/a1", "team-b/b1"] {
        let (uuid, node) = uuid_and_node(&api, w).await;
        let (slurm_node, _) = slurm.running_job_of(&uuid).expect("a running job");
        assert_eq!(slurm_node, node, "{w} runs where Rota put it");
    }
    // The job writes its output a moment after Slurm says it runs.
    let mut log = String::new();
    for _ in 0..100 {
        log = api.log("team-a/a2", "").await;
        if !log.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        log.starts_with("devices="),
        "Slurm's devices reach the pod: {log:?}"
    );

    // b2 takes a1's GPU back: a1's job is cancelled and a1 waits.
    let (a1, _) = uuid_and_node(&api, "team-a/a1").await;
    submit(&cli, "b2", "team-b", "1");
    api.until(&[("team-a/a1", "Pending"), ("team-b/b2", "Running")])
        .await;
    eventually("a1's job is gone", || slurm.running_job_of(&a1).is_none()).await;

    // a2 deleted: a1 runs again, as a new job.
    let (a2, _) = uuid_and_node(&api, "team-a/a2").await;
    cli.ok(&["delete", "job", "a2", "-p", "team-a"]);
    api.until(&[("team-a/a1", "Running")]).await;
    eventually("a2's job is gone", || {
        !slurm.jobs().keys().any(|n| n.starts_with(&a2))
    })
    .await;

    // Fragmented: b1 leaves, a 2-GPU a2 comes; one 1-GPU training moves as a new job.
    let before: BTreeMap<String, (String, u64)> = {
        let mut m = BTreeMap::new();
        for w in ["team-a/a1", "team-b/b2"] {
            let (uuid, _) = uuid_and_node(&api, w).await;
            m.insert(w.to_owned(), slurm.running_job_of(&uuid).expect("running"));
        }
        m
    };
    cli.ok(&["delete", "job", "b1", "-p", "team-b"]);
    submit(&cli, "a2", "team-a", "2");
    api.until(&[
        ("team-a/a1", "Running"),
        ("team-b/b2", "Running"),
        ("team-a/a2", "Running"),
    ])
    .await;
    let (a2, a2_node) = uuid_and_node(&api, "team-a/a2").await;
    let mut moved = 0;
    for (w, (node_before, job_before)) in &before {
        let (uuid, node) = uuid_and_node(&api, w).await;
        assert_ne!(node, a2_node, "{w} shares no node with a2");
        let (slurm_node, job) = slurm.running_job_of(&uuid).expect("running");
        assert_eq!(slurm_node, node);
        if job != *job_before {
            assert_ne!(
                &node, node_before,
                "a moved pod is a new job on the other node"
            );
            moved += 1;
        }
    }
    assert_eq!(moved, 1, "consolidation moved one training");
    assert_eq!(
        slurm.running_job_of(&a2).map(|(n, _)| n),
        Some(a2_node.clone())
    );

    // a2's node goes down: a2 goes back to the queue (its job ends), and runs again as a new
    // job once the node is back (Slurm's ReturnToService may bring it back by itself).
    let (_, old_job) = slurm.running_job_of(&a2).expect("a2 runs");
    slurm.tool(
        "scontrol",
        &[
            "update",
            &format!("nodename={a2_node}"),
            "state=down",
            "reason=test",
        ],
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let events = api.events("team-a/a2").await;
        if events.iter().any(|e| {
            e["kind"] == "Requeued"
                && e["message"].as_str().is_some_and(|m| {
                    m.contains(&a2_node) && (m.contains("went down") || m.contains("failed"))
                })
        }) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "a2 was never requeued: {events:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Already back, or brought back now.
    let _ = Command::new("scontrol")
        .args(["update", &format!("nodename={a2_node}"), "state=resume"])
        .env("SLURM_CONF", slurm.conf())
        .output();
    api.until(&[("team-a/a2", "Running")]).await;
    let (_, new_job) = slurm.running_job_of(&a2).expect("a2 runs again");
    assert_ne!(new_job, old_job, "a2 runs as a new job");

    // SIGKILL the server: the restarted one adopts the jobs; none is submitted again.
    let running: BTreeMap<String, (u64, String, String)> = slurm.jobs();
    assert_eq!(running.len(), 3, "{running:?}");
    server.kill();
    let server = serve(&slurm, &dir, &db_url).await;
    cli.login(&server.base);
    let api = Api::new(&server.base).await;
    api.until(&[
        ("team-a/a1", "Running"),
        ("team-b/b2", "Running"),
        ("team-a/a2", "Running"),
    ])
    .await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(slurm.jobs(), running, "the same jobs, adopted");

    for (w, p) in [("a1", "team-a"), ("b2", "team-b"), ("a2", "team-a")] {
        cli.ok(&["delete", "job", w, "-p", p]);
    }
    eventually("every job of Rota's is gone", || slurm.jobs().is_empty()).await;

    // A distributed training: a job per pod, one on each node; every pod finds its master at the
    // master node's NodeAddr (127.0.0.1 in the fixture), with its rank and the world size.
    cli.ok(&[
        "pytorch",
        "submit",
        "ddp",
        "-i",
        IMAGE,
        "-g",
        "2",
        "--workers",
        "1",
        "-p",
        "team-a",
        "--",
        "sh",
        "-c",
        "echo rank=$RANK world=$WORLD_SIZE master=$MASTER_ADDR",
    ]);
    api.until(&[("team-a/ddp", "Completed")]).await;
    for pod in 0..2 {
        let log = api.log("team-a/ddp", &format!("pod={pod}")).await;
        assert!(
            log.contains(&format!("rank={pod} world=2 master=127.0.0.1")),
            "pod {pod}: {log}"
        );
    }
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}
