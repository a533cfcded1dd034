//! `rota bench failover`: two `rota-server` processes on one PostgreSQL store; the leader is
//! killed with SIGKILL and the time is measured until the follower says it leads (`/healthz`)
//! and until it committed its first plan (a CPU-only training submitted to it right after the
//! kill is Running). Repeated `--runs` times on the same store, each with two fresh processes.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Args;
use serde::Serialize;

use super::Format;
use super::bench::{percentile, request, sign_in};
use super::client::Client;

#[derive(Debug, Args)]
pub struct FailoverArgs {
    /// The PostgreSQL store both servers use (a database made for the purpose).
    #[arg(long)]
    database_url: String,
    /// The server program (default: `rota-server` beside this program).
    #[arg(long)]
    server: Option<std::path::PathBuf>,
    /// The admin password the servers seed the store with.
    #[arg(long, env = "ROTA_ADMIN_PASSWORD")]
    password: String,
    /// Fail-overs to measure.
    #[arg(long, default_value_t = 10)]
    runs: u32,
    /// `text`, or `json` for one JSON object.
    #[arg(long, short, value_enum, default_value_t)]
    output: Format,
}

#[derive(Debug, Serialize)]
struct Figures {
    runs: u32,
    leads_ms: Vec<f64>,
    first_plan_ms: Vec<f64>,
    leads_p50_ms: f64,
    leads_max_ms: f64,
    first_plan_p50_ms: f64,
    first_plan_max_ms: f64,
}

/// A server process, killed on drop.
struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(
    program: &std::path::Path,
    args: &FailoverArgs,
    data: &std::path::Path,
) -> anyhow::Result<Server> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .context("finding a free port")?;
    let child = Command::new(program)
        .env("DATABASE_URL", &args.database_url)
        .env("ROTA_ADMIN_PASSWORD", &args.password)
        .env("ROTA_DATA_DIR", data)
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("starting {}", program.display()))?;
    Ok(Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
    })
}

/// What a server's `/healthz` says it is (`leader`, `follower`), if it answers.
fn role(http: &reqwest::blocking::Client, base: &str) -> Option<String> {
    let text = http
        .get(format!("{base}/healthz"))
        .send()
        .ok()?
        .text()
        .ok()?;
    text.trim().strip_prefix("ok: ").map(str::to_owned)
}

/// One fail-over: answers (ms to leading, ms to the first plan).
fn once(
    program: &std::path::Path,
    args: &FailoverArgs,
    data: &std::path::Path,
) -> anyhow::Result<(f64, f64)> {
    let http = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()?;
    let a = start(program, args, data)?;
    let b = start(program, args, data)?;
    let deadline = Instant::now() + Duration::from_secs(60);
    let (mut leader, follower) = loop {
        match (
            role(&http, &a.base).as_deref(),
            role(&http, &b.base).as_deref(),
        ) {
            (Some("leader"), Some("follower")) => break (a, b),
            (Some("follower"), Some("leader")) => break (b, a),
            _ if Instant::now() > deadline => bail!("the two servers never had one leader"),
            _ => std::thread::sleep(Duration::from_millis(20)),
        }
    };
    let session = sign_in(&follower.base, "admin", &args.password)?;
    let client = Client::new(&follower.base, Some(session.token.clone()))?;
    leader.child.kill().context("killing the leader")?;
    let killed = Instant::now();
    let _ = leader.child.wait();
    let name = format!(
        "failover-{}",
        killed.elapsed().as_nanos() ^ u128::from(std::process::id())
    );
    let created = client.submit(
        "training",
        &request(name, &session.projects[0], &session.cluster, 0.0),
    )?;
    let mut leads = None;
    loop {
        if leads.is_none() && role(&http, &follower.base).as_deref() == Some("leader") {
            leads = Some(killed.elapsed());
        }
        if client.get_workload(&created.id)?.phase == "Running" {
            break;
        }
        if killed.elapsed() > Duration::from_secs(30) {
            bail!("the follower had not started the probe 30 s after the kill");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let first_plan = killed.elapsed();
    let leads = leads.unwrap_or(first_plan);
    client
        .delete("training", &created.id)
        .context("cleaning up")?;
    Ok((ms(leads), ms(first_plan)))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

pub fn run(args: &FailoverArgs) -> anyhow::Result<()> {
    let program = match &args.server {
        Some(p) => p.clone(),
        None => std::env::current_exe()
            .context("finding this program")?
            .with_file_name(format!("rota-server{}", std::env::consts::EXE_SUFFIX)),
    };
    let data = std::env::temp_dir().join(format!("rota-bench-failover-{}", std::process::id()));
    let mut leads = Vec::new();
    let mut first_plan = Vec::new();
    for run in 0..args.runs {
        let (l, p) = once(&program, args, &data).with_context(|| format!("run {}", run + 1))?;
        if args.output == Format::Text {
            println!(
                "run {}: leads after {l:.0} ms, first plan after {p:.0} ms",
                run + 1
            );
        }
        leads.push(l);
        first_plan.push(p);
    }
    let _ = std::fs::remove_dir_all(&data);
    let mut sorted_leads = leads.clone();
    sorted_leads.sort_by(f64::total_cmp);
    let mut sorted_plan = first_plan.clone();
    sorted_plan.sort_by(f64::total_cmp);
    let figures = Figures {
        runs: args.runs,
        leads_p50_ms: percentile(&sorted_leads, 50.0),
        leads_max_ms: sorted_leads.last().copied().unwrap_or(0.0),
        first_plan_p50_ms: percentile(&sorted_plan, 50.0),
        first_plan_max_ms: sorted_plan.last().copied().unwrap_or(0.0),
        leads_ms: leads,
        first_plan_ms: first_plan,
    };
    match args.output {
        Format::Json => println!("{}", serde_json::to_string(&figures)?),
        Format::Text => println!(
            "{} fail-overs (kill -9 of the leader): leads p50 {:.0} ms, max {:.0} ms; first plan p50 {:.0} ms, max {:.0} ms",
            figures.runs,
            figures.leads_p50_ms,
            figures.leads_max_ms,
            figures.first_plan_p50_ms,
            figures.first_plan_max_ms
        ),
    }
    Ok(())
}
