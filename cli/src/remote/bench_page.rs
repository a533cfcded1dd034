//! `rota bench page`: how long the Workloads page takes to serve its first page (rendered on the
//! server, as a signed-in browser asks for it) with many workloads in the store. Run it against a
//! server started for the purpose: it submits `--workloads` trainings first.

use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, ensure};
use clap::Args;
use rota_api::wire::TokenRequest;
use serde::Serialize;

use super::Format;
use super::bench::{percentile, request};
use super::client::Client;

#[derive(Debug, Args)]
pub struct PageArgs {
    /// The server.
    #[arg(long)]
    url: String,
    /// Admin user name.
    #[arg(long, default_value = "admin")]
    username: String,
    /// Its password.
    #[arg(long, env = "ROTA_ADMIN_PASSWORD")]
    password: String,
    /// Workloads to submit before measuring (on top of those already there).
    #[arg(long, default_value_t = 10_000)]
    workloads: u32,
    /// Page loads to time.
    #[arg(long, default_value_t = 200)]
    samples: u32,
    /// The page, with its filters and order.
    #[arg(long, default_value = "/workloads")]
    path: String,
    /// `text`, or `json` for one JSON object.
    #[arg(long, short, value_enum, default_value_t)]
    output: Format,
}

#[derive(Debug, Serialize)]
struct Figures {
    workloads_submitted: u32,
    samples: u32,
    rows_per_page: usize,
    bytes: usize,
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
}

/// Submits the workloads from 8 clients, then times the page one load at a time.
pub fn run(args: &PageArgs) -> anyhow::Result<()> {
    let token = Client::new(&args.url, None)?
        .token(&TokenRequest {
            grant_type: "password".into(),
            username: Some(args.username.clone()),
            password: Some(args.password.clone()),
            ..TokenRequest::default()
        })?
        .access_token;
    let client = Client::new(&args.url, Some(token.clone()))?;
    let projects = client.projects()?.projects;
    if projects.len() < 2 {
        bail!("the server needs two projects (the quickstart's team-a and team-b)");
    }
    let cluster = projects[0].cluster_id.clone();
    let ids: Arc<Vec<String>> = Arc::new(projects.iter().take(2).map(|p| p.id.clone()).collect());
    let run_id = format!("{:x}", std::process::id());
    let clients = 8u32;
    let per_client = args.workloads.div_ceil(clients);
    let mut handles = Vec::new();
    for c in 0..clients {
        let (url, token, cluster, ids, run_id) = (
            args.url.clone(),
            token.clone(),
            cluster.clone(),
            ids.clone(),
            run_id.clone(),
        );
        handles.push(std::thread::spawn(move || -> anyhow::Result<()> {
            let client = Client::new(&url, Some(token))?;
            for i in 0..per_client {
                let name = format!("p{run_id}-{c}-{i}");
                client.submit(
                    "training",
                    &request(name, &ids[(i % 2) as usize], &cluster, 1.0),
                )?;
            }
            Ok(())
        }));
    }
    for h in handles {
        h.join()
            .map_err(|_| anyhow::anyhow!("a client thread panicked"))??;
    }

    let mut times = Vec::with_capacity(args.samples as usize);
    let (mut rows, mut bytes) = (0, 0);
    for _ in 0..args.samples {
        let t = Instant::now();
        let (status, body) = client.page(&args.path)?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        ensure!(status == 200, "{} answered {status}", args.path);
        rows = body.matches("data-workload=").count();
        bytes = body.len();
        ensure!(
            rows > 0,
            "{} showed no workloads: is the session accepted?",
            args.path
        );
    }
    times.sort_by(f64::total_cmp);
    let figures = Figures {
        workloads_submitted: per_client * clients,
        samples: args.samples,
        rows_per_page: rows,
        bytes,
        p50_ms: percentile(&times, 50.0),
        p99_ms: percentile(&times, 99.0),
        max_ms: times.last().copied().unwrap_or(0.0),
    };
    match args.output {
        Format::Json => println!("{}", serde_json::to_string(&figures)?),
        Format::Text => println!(
            "{} with {} more workloads: {} rows, {} bytes; p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms ({} loads)",
            args.path,
            figures.workloads_submitted,
            figures.rows_per_page,
            figures.bytes,
            figures.p50_ms,
            figures.p99_ms,
            figures.max_ms,
            figures.samples
        ),
    }
    Ok(())
}
