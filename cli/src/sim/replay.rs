//! `rota sim run FILE...`

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use rota_scheduler::scenario::{self, Report, Status};
use serde::Serialize;

use super::Output;

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Scenario files (JSON).
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// `text` for people, `json` for one JSON object per file, one per line.
    #[arg(long, short, value_enum, default_value_t)]
    output: Output,
}

/// The JSON line for one file.
#[derive(Serialize)]
struct FileResult<'a> {
    name: &'a str,
    file: String,
    passed: bool,
    steps: &'a [scenario::StepReport],
}

pub fn run(args: &RunArgs) -> ExitCode {
    let mut any_failed = false;
    let mut any_invalid = false;
    for file in &args.files {
        let outcome = std::fs::read_to_string(file)
            .map_err(|e| format!("cannot read it: {e}"))
            .and_then(|text| scenario::parse(&text).map_err(|e| e.to_string()))
            .and_then(|s| scenario::replay(&s).map_err(|e| e.to_string()));
        match outcome {
            Err(message) => {
                any_invalid = true;
                eprintln!("{}: {message}", file.display());
            }
            Ok(report) => {
                any_failed |= !report.passed;
                match args.output {
                    Output::Text => print_text(file, &report),
                    Output::Json => {
                        let line = FileResult {
                            name: &report.name,
                            file: file.display().to_string(),
                            passed: report.passed,
                            steps: &report.steps,
                        };
                        match serde_json::to_string(&line) {
                            Ok(json) => println!("{json}"),
                            Err(e) => {
                                eprintln!(
                                    "{}: cannot write the report as JSON: {e}",
                                    file.display()
                                );
                                any_invalid = true;
                            }
                        }
                    }
                }
            }
        }
    }
    if any_invalid {
        ExitCode::from(2)
    } else if any_failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn print_text(file: &std::path::Path, report: &Report) {
    let verdict = if report.passed { "PASS" } else { "FAIL" };
    println!("{verdict}  {}", file.display());
    println!("      {}", report.name);
    for step in &report.steps {
        let outcome = if step.mismatches.is_empty() {
            "ok"
        } else {
            "FAILED"
        };
        let cycles = if step.kind == "expect" {
            String::new()
        } else {
            format!(" ({} cycles)", step.cycles)
        };
        let at = if step.at_secs > 0 {
            format!(" at {}", rota_scheduler::span(step.at_secs))
        } else {
            String::new()
        };
        println!(
            "  step {:>2} {:<7}{cycles}{at} {outcome}",
            step.index, step.kind
        );
        for m in &step.mismatches {
            println!("           - {m}");
        }
        if !step.mismatches.is_empty() || step.kind == "expect" {
            for w in step
                .workloads
                .iter()
                .filter(|w| w.status == Status::Pending)
            {
                let reason = w.reason.as_deref().unwrap_or("no reason recorded");
                println!("           {} ({}) pending: {reason}", w.name, w.project);
            }
            // With past usage in play, each project's standing shows how it was weighed.
            if step.projects.iter().any(|p| p.usage_gpu_hours > 0.0) {
                for p in &step.projects {
                    println!(
                        "           project {} ({}): fair share {}, holds {}, deserved {}, used {:.1} GPU-hours in the window",
                        p.name, p.pool, p.fair_share, p.allocated, p.deserved, p.usage_gpu_hours
                    );
                }
            }
        }
    }
}
