//! `rota bench api`: sustained submissions through the REST API, and the time from a submission's
//! 202 to Running. Run it against a server started for the purpose: it submits many workloads.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Args;
use rota_api::wire::{Compute, TokenRequest, WorkloadCreationRequest, WorkloadSpec};
use serde::Serialize;

use super::Format;
use super::client::Client;

/// The server a benchmark runs against, and the admin it signs in as.
#[derive(Debug, Args)]
pub struct ServerArgs {
    /// The server.
    #[arg(long)]
    pub url: String,
    /// Admin user name.
    #[arg(long, default_value = "admin")]
    pub username: String,
    /// Its password.
    #[arg(long, env = "ROTA_ADMIN_PASSWORD")]
    pub password: String,
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// The server under test.
    #[command(flatten)]
    server: ServerArgs,
    /// Other servers on the same store (PostgreSQL): the clients, and the 202-to-Running
    /// samples, are spread over all of them in turn.
    #[arg(long = "also-url")]
    also: Vec<String>,
    /// Submissions in the throughput phase.
    #[arg(long, default_value_t = 4000)]
    submissions: u32,
    /// Clients submitting at once.
    #[arg(long, default_value_t = 16)]
    concurrency: u32,
    /// Submit-to-Running samples in the latency phase.
    #[arg(long, default_value_t = 100)]
    samples: u32,
    /// `text`, or `json` for one JSON object.
    #[arg(long, short, value_enum, default_value_t)]
    output: Format,
}

#[derive(Debug, Serialize)]
struct Figures {
    servers: usize,
    submissions: u32,
    concurrency: u32,
    seconds: f64,
    submissions_per_s: f64,
    submit_p50_ms: f64,
    submit_p99_ms: f64,
    to_running_p50_ms: f64,
    to_running_p99_ms: f64,
}

pub(super) fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

pub(super) fn request(
    name: String,
    project: &str,
    cluster: &str,
    gpus: f64,
) -> WorkloadCreationRequest {
    WorkloadCreationRequest {
        name,
        project_id: project.to_owned(),
        cluster_id: cluster.to_owned(),
        spec: WorkloadSpec {
            image: "runai.jfrog.io/demo/quickstart".into(),
            compute: Compute {
                gpu_devices_request: Some(gpus),
                ..Compute::default()
            },
            ..WorkloadSpec::default()
        },
        ..WorkloadCreationRequest::default()
    }
}

/// A signed-in session against the server under test.
pub(super) struct Session {
    /// The bearer token.
    pub token: String,
    /// A client holding it.
    pub client: Client,
    /// The cluster's id.
    pub cluster: String,
    /// The ids of the quickstart's two projects.
    pub projects: Arc<Vec<String>>,
}

/// Signs in with a password and finds the cluster and the quickstart's two projects.
pub(super) fn sign_in(url: &str, username: &str, password: &str) -> anyhow::Result<Session> {
    let token = Client::new(url, None)?
        .token(&TokenRequest {
            grant_type: "password".into(),
            username: Some(username.to_owned()),
            password: Some(password.to_owned()),
            ..TokenRequest::default()
        })?
        .access_token;
    let client = Client::new(url, Some(token.clone()))?;
    let projects = client.projects()?.projects;
    if projects.len() < 2 {
        bail!("the server needs two projects (the quickstart's team-a and team-b)");
    }
    Ok(Session {
        token,
        cluster: projects[0].cluster_id.clone(),
        projects: Arc::new(projects.iter().take(2).map(|p| p.id.clone()).collect()),
        client,
    })
}

/// `clients` threads submit 1-GPU trainings named `{prefix}-{client}-{i}`, `per_client` each, as
/// fast as they can, alternating the two projects; client `c` submits to `urls[c % n]`. Returns
/// each submission's latency in ms.
pub(super) fn submit_many(
    urls: &[String],
    session: &Session,
    clients: u32,
    per_client: u32,
    prefix: &str,
) -> anyhow::Result<Vec<f64>> {
    let mut handles = Vec::new();
    for c in 0..clients {
        let (url, token, cluster, projects, prefix) = (
            urls[c as usize % urls.len().max(1)].clone(),
            session.token.clone(),
            session.cluster.clone(),
            session.projects.clone(),
            prefix.to_owned(),
        );
        handles.push(std::thread::spawn(move || -> anyhow::Result<Vec<f64>> {
            let client = Client::new(&url, Some(token))?;
            let mut latencies = Vec::with_capacity(per_client as usize);
            for i in 0..per_client {
                let name = format!("{prefix}-{c}-{i}");
                let t = Instant::now();
                client.submit(
                    "training",
                    &request(name, &projects[(i % 2) as usize], &cluster, 1.0),
                )?;
                latencies.push(t.elapsed().as_secs_f64() * 1000.0);
            }
            Ok(latencies)
        }));
    }
    let mut latencies = Vec::new();
    for h in handles {
        latencies.extend(
            h.join()
                .map_err(|_| anyhow::anyhow!("a client thread panicked"))??,
        );
    }
    Ok(latencies)
}

/// Polls a submitted workload until it is Running (started at `t`), at most `within`.
pub(super) fn wait_running(
    client: &Client,
    created: &rota_api::wire::WorkloadSummary,
    t: Instant,
    within: Duration,
) -> anyhow::Result<()> {
    loop {
        let now = client.get_workload(&created.id)?;
        match now.phase.as_str() {
            "Running" => return Ok(()),
            "Failed" | "Completed" => bail!(
                "{} ended as {} before it ran: {:?}",
                created.name,
                now.phase,
                now.phase_reason
            ),
            _ => {}
        }
        if t.elapsed() > within {
            bail!(
                "{} did not run within {} s: {:?}",
                created.name,
                within.as_secs(),
                now.phase_reason
            );
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

pub fn run(args: &BenchArgs) -> anyhow::Result<()> {
    let session = sign_in(
        &args.server.url,
        &args.server.username,
        &args.server.password,
    )?;
    let (cluster, project_ids) = (&session.cluster, &session.projects);
    let run_id = format!(
        "{:x}",
        Instant::now().elapsed().as_nanos() ^ u128::from(std::process::id())
    );

    // Throughput: `concurrency` clients submit 1-GPU trainings as fast as they can.
    let per_client = args.submissions.div_ceil(args.concurrency.max(1));
    let start = Instant::now();
    let urls: Vec<String> = std::iter::once(args.server.url.clone())
        .chain(args.also.iter().cloned())
        .collect();
    let clients: Vec<Client> = urls
        .iter()
        .map(|url| Client::new(url, Some(session.token.clone())))
        .collect::<Result<_, _>>()?;
    let mut latencies = submit_many(
        &urls,
        &session,
        args.concurrency,
        per_client,
        &format!("b{run_id}"),
    )?;
    let seconds = start.elapsed().as_secs_f64();
    latencies.sort_by(f64::total_cmp);

    // Latency to Running: one CPU-only training at a time (nothing else can block it).
    let mut to_running = Vec::with_capacity(args.samples as usize);
    for i in 0..args.samples {
        let name = format!("r{run_id}-{i}");
        let client = &clients[i as usize % clients.len()];
        let t = Instant::now();
        let created = client.submit("training", &request(name, &project_ids[0], cluster, 0.0))?;
        wait_running(client, &created, t, Duration::from_secs(10))?;
        to_running.push(t.elapsed().as_secs_f64() * 1000.0);
        client
            .delete("training", &created.id)
            .context("cleaning up")?;
    }
    to_running.sort_by(f64::total_cmp);
    let figures = Figures {
        servers: urls.len(),
        submissions: latencies.len() as u32,
        concurrency: args.concurrency,
        seconds,
        submissions_per_s: latencies.len() as f64 / seconds,
        submit_p50_ms: percentile(&latencies, 50.0),
        submit_p99_ms: percentile(&latencies, 99.0),
        to_running_p50_ms: percentile(&to_running, 50.0),
        to_running_p99_ms: percentile(&to_running, 99.0),
    };
    match args.output {
        Format::Json => println!("{}", serde_json::to_string(&figures)?),
        Format::Text => {
            println!(
                "{} submissions from {} clients to {} server(s) in {:.2} s: {:.0}/s; latency p50 {:.1} ms, p99 {:.1} ms",
                figures.submissions,
                figures.concurrency,
                figures.servers,
                figures.seconds,
                figures.submissions_per_s,
                figures.submit_p50_ms,
                figures.submit_p99_ms
            );
            println!(
                "202 to Running ({} samples): p50 {:.1} ms, p99 {:.1} ms",
                args.samples, figures.to_running_p50_ms, figures.to_running_p99_ms
            );
        }
    }
    Ok(())
}
