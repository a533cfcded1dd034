//! `rota bench executor`: how long a workload takes from its submission's 202 to Running — which,
//! on a real executor, means its process or Slurm job is confirmed running. With `--bare-sbatch
//! NODE` it also times Slurm on its own (`sbatch -w NODE` → `RUNNING` in `squeue`) on the same
//! cluster, and with `--squeue` one `squeue --json` (the Slurm executor's look per cycle) with
//! whatever jobs Slurm holds. Run it against a server started for the purpose.

use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Args;
use serde::Serialize;

use super::Format;
use super::bench::{ServerArgs, percentile, request, sign_in, wait_running};

#[derive(Debug, Args)]
pub struct ExecutorBenchArgs {
    /// The server under test.
    #[command(flatten)]
    server: ServerArgs,
    /// Workloads submitted one after the other.
    #[arg(long, default_value_t = 50)]
    samples: u32,
    /// GPUs each asks for.
    #[arg(long, default_value_t = 0.0)]
    gpus: f64,
    /// What each runs (it is deleted once it runs).
    #[arg(long, default_value = "sleep 600")]
    command: String,
    /// Also time bare `sbatch -w NODE` → RUNNING on the same Slurm (SLURM_CONF as for Slurm's
    /// own tools).
    #[arg(long, value_name = "NODE")]
    bare_sbatch: Option<String>,
    /// Also time the Slurm executor's `squeue` (and `squeue --json`), this many times.
    #[arg(long, value_name = "TIMES")]
    squeue: Option<u32>,
    /// `text`, or `json` for one JSON object.
    #[arg(long, short, value_enum, default_value_t)]
    output: Format,
}

#[derive(Debug, Default, Serialize)]
struct Figures {
    samples: u32,
    to_running_p50_ms: f64,
    to_running_p99_ms: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    bare_sbatch_p50_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bare_sbatch_p99_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    squeue_jobs: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    squeue_p50_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    squeue_json_p50_ms: Option<f64>,
}

pub fn run(args: &ExecutorBenchArgs) -> anyhow::Result<()> {
    let mut to_running = Vec::with_capacity(args.samples as usize);
    let run_id = format!("{:x}", std::process::id());
    // `--samples 0` times Slurm alone: no server needed.
    let session = match args.samples {
        0 => None,
        _ => Some(sign_in(
            &args.server.url,
            &args.server.username,
            &args.server.password,
        )?),
    };
    for i in 0..args.samples {
        let Some(session) = &session else { break };
        let client = &session.client;
        let mut req = request(
            format!("x{run_id}-{i}"),
            &session.projects[0],
            &session.cluster,
            args.gpus,
        );
        req.spec.command = Some(args.command.clone());
        let t = Instant::now();
        let created = client.submit("training", &req)?;
        wait_running(client, &created, t, Duration::from_secs(30))?;
        to_running.push(t.elapsed().as_secs_f64() * 1000.0);
        client
            .delete("training", &created.id)
            .context("cleaning up")?;
        // On Slurm, the next job waits while this one completes on its node: let it finish
        // first, as the bare measurement does, so both time a quiet node.
        if args.bare_sbatch.is_some() {
            wait_gone(&format!("rota-{}-", created.id))?;
        }
    }
    to_running.sort_by(f64::total_cmp);
    let mut figures = Figures {
        samples: args.samples,
        to_running_p50_ms: percentile(&to_running, 50.0),
        to_running_p99_ms: percentile(&to_running, 99.0),
        ..Figures::default()
    };
    if let Some(node) = &args.bare_sbatch {
        let mut bare = bare_sbatch(node, args.samples, &args.command)?;
        bare.sort_by(f64::total_cmp);
        figures.bare_sbatch_p50_ms = Some(percentile(&bare, 50.0));
        figures.bare_sbatch_p99_ms = Some(percentile(&bare, 99.0));
    }
    if let Some(times) = args.squeue {
        let (jobs, mut text, mut json) = squeue(times.max(1))?;
        text.sort_by(f64::total_cmp);
        json.sort_by(f64::total_cmp);
        figures.squeue_jobs = Some(jobs);
        figures.squeue_p50_ms = Some(percentile(&text, 50.0));
        figures.squeue_json_p50_ms = Some(percentile(&json, 50.0));
    }
    match args.output {
        Format::Json => println!("{}", serde_json::to_string(&figures)?),
        Format::Text => {
            println!(
                "202 to Running ({} samples): p50 {:.1} ms, p99 {:.1} ms",
                figures.samples, figures.to_running_p50_ms, figures.to_running_p99_ms
            );
            if let (Some(p50), Some(p99)) = (figures.bare_sbatch_p50_ms, figures.bare_sbatch_p99_ms)
            {
                println!("bare sbatch to RUNNING: p50 {p50:.1} ms, p99 {p99:.1} ms");
            }
            if let (Some(jobs), Some(p50), Some(json)) = (
                figures.squeue_jobs,
                figures.squeue_p50_ms,
                figures.squeue_json_p50_ms,
            ) {
                println!(
                    "squeue as the executor calls it, {jobs} jobs: p50 {p50:.1} ms (squeue --json: {json:.1} ms)"
                );
            }
        }
    }
    Ok(())
}

fn tool(program: &str, args: &[&str], stdin: Option<&str>) -> anyhow::Result<String> {
    use std::io::Write;
    let mut child = Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .with_context(|| format!("running {program}"))?;
    if let Some(mut input) = child.stdin.take() {
        input.write_all(stdin.unwrap_or_default().as_bytes())?;
    }
    let out = child.wait_with_output()?;
    if !out.status.success() {
        bail!("{program}: {}", String::from_utf8_lossy(&out.stderr).trim());
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Slurm alone: `sbatch -w NODE` and poll `squeue` until the job runs, `samples` times.
fn bare_sbatch(node: &str, samples: u32, command: &str) -> anyhow::Result<Vec<f64>> {
    let script = format!("#!/bin/sh\n{command}\n");
    let mut took = Vec::with_capacity(samples as usize);
    for _ in 0..samples {
        let t = Instant::now();
        let id = tool(
            "sbatch",
            &[
                "--parsable",
                "-N1",
                "--ntasks=1",
                &format!("--nodelist={node}"),
                "--cpus-per-task=1",
                "--mem=100M",
                "--no-requeue",
                "--job-name=bench-bare",
                "--output=/dev/null",
            ],
            Some(&script),
        )?;
        let id = id.trim().split(';').next().unwrap_or_default().to_owned();
        loop {
            let state = tool("squeue", &["-h", "-j", &id, "-o", "%T"], None)?;
            if state.trim() == "RUNNING" {
                break;
            }
            if t.elapsed() > Duration::from_secs(30) {
                bail!("job {id} did not run within 30 s ({})", state.trim());
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        took.push(t.elapsed().as_secs_f64() * 1000.0);
        tool("scancel", &[&id], None)?;
        wait_gone("bench-bare")?;
    }
    Ok(took)
}

/// Waits until no job whose name starts with `prefix` is running or completing.
fn wait_gone(prefix: &str) -> anyhow::Result<()> {
    let t = Instant::now();
    loop {
        let names = tool("squeue", &["-h", "-t", "R,CG,PD", "-o", "%j"], None)?;
        if !names.lines().any(|n| n.starts_with(prefix)) {
            return Ok(());
        }
        if t.elapsed() > Duration::from_secs(60) {
            bail!("jobs named {prefix}… did not end within 60 s");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// The Slurm executor's look at its jobs (rota_control's `slurm::parse::SQUEUE_ARGS`), and the
/// same in JSON, each `times` times: the jobs listed and each call's time in ms.
fn squeue(times: u32) -> anyhow::Result<(usize, Vec<f64>, Vec<f64>)> {
    let mut text_took = Vec::with_capacity(times as usize);
    let mut json_took = Vec::with_capacity(times as usize);
    let mut jobs = 0;
    for _ in 0..times {
        let t = Instant::now();
        let text = tool(
            "squeue",
            &[
                "--noheader",
                "--states=all",
                "--Format=JobID:|,State:|,Reason:|,NodeList:|,exit_code:|,Name:",
                "--array",
            ],
            None,
        )?;
        jobs = text.lines().count();
        text_took.push(t.elapsed().as_secs_f64() * 1000.0);
        let t = Instant::now();
        let json = tool("squeue", &["--json"], None)?;
        let _: serde_json::Value = serde_json::from_str(&json)?;
        json_took.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    Ok((jobs, text_took, json_took))
}
