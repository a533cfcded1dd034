//! `rota sim bench`: one full cycle on a synthetic cluster, timed per phase, against a first-fit
//! floor over the same snapshot.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Args;
use rota_scheduler::synthetic::{self, Shape};
use rota_scheduler::{Config, Cycle, Phase, Plan};
use serde::Serialize;

use super::Output;

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Nodes in the cluster.
    #[arg(long, default_value_t = 10_000)]
    nodes: u32,
    /// GPUs per node.
    #[arg(long, default_value_t = 8)]
    gpus_per_node: u32,
    /// Projects.
    #[arg(long, default_value_t = 1_000)]
    projects: u32,
    /// Departments the projects are spread over.
    #[arg(long, default_value_t = 100)]
    departments: u32,
    /// Workloads running at the start.
    #[arg(long, default_value_t = 50_000)]
    running: u32,
    /// Workloads pending.
    #[arg(long, default_value_t = 100_000)]
    pending: u32,
    /// Percent of the pending that are CPU-heavy (CPU-only pods of 96 cores, or one GPU with 32
    /// cores), so that placement meets nodes with GPUs free but not the CPU.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=100))]
    cpu_heavy: u32,
    /// Search again for every workload instead of remembering the shapes that found no room or
    /// no victims (the plan is the same; this measures what remembering saves).
    #[arg(long)]
    no_memo: bool,
    /// Seed of the synthetic load.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Days of usage history per project, in hourly buckets, weighed before every cycle
    /// (time-based fair share); 0: none.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=30))]
    usage_days: u32,
    /// Time-based fair share's k with `--usage-days`.
    #[arg(long, default_value_t = 1.0, value_parser = k_value)]
    k_value: f64,
    /// A half life for the usage, in hours (default: none).
    #[arg(long)]
    half_life_hours: Option<u64>,
    /// Times to run the cycle; the median is reported.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=100))]
    repeat: u32,
    /// `text`, or `json` for a JSON object on the last line.
    #[arg(long, short, value_enum, default_value_t)]
    output: Output,
}

#[derive(Debug, Clone, Copy, Default, Serialize)]
struct Phases {
    /// Weighing the usage history (with `--usage-days`), as the control plane does before each
    /// cycle.
    usage_ms: f64,
    prepare_ms: f64,
    fair_share_ms: f64,
    allocate_ms: f64,
    consolidate_ms: f64,
    reclaim_ms: f64,
    preempt_ms: f64,
    finish_ms: f64,
}

impl Phases {
    fn of(&mut self, phase: Phase) -> &mut f64 {
        match phase {
            Phase::FairShare => &mut self.fair_share_ms,
            Phase::Allocate => &mut self.allocate_ms,
            Phase::Consolidate => &mut self.consolidate_ms,
            Phase::Reclaim => &mut self.reclaim_ms,
            Phase::Preempt => &mut self.preempt_ms,
        }
    }
}

#[derive(Debug, Serialize)]
struct Figures {
    cycle_ms: f64,
    floor_ms: f64,
    placements: usize,
    evictions: usize,
    placements_per_s: f64,
    floor_placements: usize,
    phases: Phases,
}

/// A k value from 0 to 100.
fn k_value(text: &str) -> Result<f64, String> {
    let k: f64 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number"))?;
    let max = rota_scheduler::usage::MAX_K_VALUE;
    if !k.is_finite() || !(0.0..=max).contains(&k) {
        return Err(format!("must be from 0 to {max}, got {text}"));
    }
    Ok(k)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn one_cycle(
    snapshot: &rota_scheduler::Snapshot,
    config: &Config,
) -> Result<(Phases, f64, Plan), String> {
    let mut phases = Phases::default();
    let start = Instant::now();
    let mut mark = start;
    let mut lap = |slot: &mut f64| {
        let now = Instant::now();
        *slot = ms(now - mark);
        mark = now;
    };
    let cycle = Cycle::new(snapshot, config).map_err(|e| e.to_string())?;
    lap(&mut phases.prepare_ms);
    let plan = cycle.run(|phase| lap(phases.of(phase)));
    lap(&mut phases.finish_ms);
    Ok((phases, ms(start.elapsed()), plan))
}

pub fn run(args: &BenchArgs) -> ExitCode {
    let shape = Shape {
        nodes: args.nodes,
        gpus_per_node: args.gpus_per_node,
        projects: args.projects,
        departments: args.departments,
        running: args.running,
        pending: args.pending,
        cpu_heavy: args.cpu_heavy,
        seed: args.seed,
    };
    let mut snapshot = synthetic::build(shape);
    let mut config = Config {
        remember_failures: !args.no_memo,
        ..Config::default()
    };
    let now_ms = rota_scheduler::scenario::START_MS;
    let history = (args.usage_days > 0).then(|| {
        config.time_fair_share = rota_scheduler::TimeFairShare {
            k_value: args.k_value,
            window_secs: u64::from(args.usage_days) * 86_400,
            half_life_secs: args.half_life_hours.map(|h| h * 3600),
        };
        synthetic::usage_history(shape, now_ms, args.usage_days, 3_600_000)
    });
    snapshot.now_ms = now_ms;
    let running = snapshot.workloads.iter().filter(|w| w.is_running()).count();
    if args.output == Output::Text {
        println!(
            "cluster: {} nodes x {} GPUs, {} projects in {} departments; {} workloads running, {} pending ({}% CPU-heavy){}",
            args.nodes,
            args.gpus_per_node,
            args.projects,
            args.departments,
            running,
            snapshot.workloads.len() - running,
            args.cpu_heavy,
            if args.no_memo {
                "; no memo of failed shapes"
            } else {
                ""
            }
        );
    }
    let mut runs = Vec::with_capacity(args.repeat as usize);
    let mut floors = Vec::with_capacity(args.repeat as usize);
    let mut last_plan = None;
    let mut floor_placements = 0;
    for _ in 0..args.repeat {
        let weighing = Instant::now();
        if let Some(ledger) = &history {
            snapshot.usage = ledger.weighed(now_ms, &config.time_fair_share);
        }
        let usage_ms = ms(weighing.elapsed());
        match one_cycle(&snapshot, &config) {
            Ok((phases, total, plan)) => {
                runs.push((usage_ms + total, Phases { usage_ms, ..phases }));
                last_plan = Some(plan);
            }
            Err(e) => {
                eprintln!("the synthetic snapshot was refused: {e}");
                return ExitCode::from(2);
            }
        }
        let start = Instant::now();
        match rota_scheduler::first_fit(&snapshot, &config) {
            Ok(n) => floor_placements = n,
            Err(e) => {
                eprintln!("the synthetic snapshot was refused: {e}");
                return ExitCode::from(2);
            }
        }
        floors.push(ms(start.elapsed()));
    }
    runs.sort_by(|a, b| a.0.total_cmp(&b.0));
    floors.sort_by(f64::total_cmp);
    let (cycle_ms, phases) = runs[runs.len() / 2];
    let floor_ms = floors[floors.len() / 2];
    let plan = last_plan.unwrap_or_default();
    let placements = plan.counters.allocated as usize;
    let figures = Figures {
        cycle_ms,
        floor_ms,
        placements,
        evictions: plan.evictions.len(),
        placements_per_s: placements as f64 / (cycle_ms / 1000.0),
        floor_placements,
        phases,
    };
    match args.output {
        Output::Text => {
            println!(
                "one full cycle (median of {}): {cycle_ms:.1} ms",
                args.repeat
            );
            if history.is_some() {
                println!(
                    "  usage        {:>8.1} ms ({} days of hourly usage for each project, k {})",
                    phases.usage_ms, args.usage_days, args.k_value
                );
            }
            println!("  prepare      {:>8.1} ms", phases.prepare_ms);
            println!("  fair share   {:>8.1} ms", phases.fair_share_ms);
            println!("  allocate     {:>8.1} ms", phases.allocate_ms);
            println!("  consolidate  {:>8.1} ms", phases.consolidate_ms);
            println!("  reclaim      {:>8.1} ms", phases.reclaim_ms);
            println!("  preempt      {:>8.1} ms", phases.preempt_ms);
            println!("  finish       {:>8.1} ms", phases.finish_ms);
            println!(
                "placed {placements} workloads ({:.0}/s); evicted {} (reclaim {}, preempt {}); consolidated {}",
                figures.placements_per_s,
                figures.evictions,
                plan.counters.reclaimed,
                plan.counters.preempted,
                plan.counters.consolidated
            );
            println!(
                "first-fit floor: {floor_ms:.1} ms ({floor_placements} placed); the cycle is {:.2}x the floor",
                cycle_ms / floor_ms.max(f64::MIN_POSITIVE)
            );
        }
        Output::Json => match serde_json::to_string(&figures) {
            Ok(json) => println!("{json}"),
            Err(e) => {
                eprintln!("cannot write the figures as JSON: {e}");
                return ExitCode::from(2);
            }
        },
    }
    ExitCode::SUCCESS
}
