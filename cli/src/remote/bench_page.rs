//! `rota bench page`: how long the Workloads page takes to serve its first page (rendered on the
//! server, as a signed-in browser asks for it) with many workloads in the store. Run it against a
//! server started for the purpose: it submits `--workloads` trainings first.

use std::time::Instant;

use anyhow::ensure;
use clap::Args;
use serde::Serialize;

use super::Format;
use super::bench::{ServerArgs, percentile, sign_in, submit_many};

#[derive(Debug, Args)]
pub struct PageArgs {
    /// The server under test.
    #[command(flatten)]
    server: ServerArgs,
    /// Workloads to submit before measuring (on top of those already there).
    #[arg(long, default_value_t = 10_000)]
    workloads: u32,
    /// Page loads to time.
    #[arg(long, default_value_t = 200)]
    samples: u32,
    /// Seconds to wait after submitting before timing (0: time the page while the scheduler is
    /// still taking in what was just submitted).
    #[arg(long, default_value_t = 0.0)]
    settle: f64,
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
    let session = sign_in(
        &args.server.url,
        &args.server.username,
        &args.server.password,
    )?;
    let clients = 8u32;
    let per_client = args.workloads.div_ceil(clients);
    let prefix = format!("p{:x}", std::process::id());
    submit_many(
        std::slice::from_ref(&args.server.url),
        &session,
        clients,
        per_client,
        &prefix,
    )?;
    ensure!(
        args.settle.is_finite() && args.settle >= 0.0,
        "--settle must be a number of seconds ≥ 0 (got {})",
        args.settle
    );
    std::thread::sleep(std::time::Duration::from_secs_f64(args.settle));
    let client = &session.client;

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
