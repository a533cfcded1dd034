//! `rota sim run` as a user runs it: exit codes, text and JSON Lines, and errors that name the file,
//! the line and the field.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn rota(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rota"))
        .args(args)
        .output()
        .expect("rota runs")
}

fn scenarios_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../scheduler/tests/scenarios")
}

fn walkthrough() -> String {
    scenarios_dir()
        .join("quickstart-over-quota-fairness-binpacking.json")
        .display()
        .to_string()
}

fn temp_file(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rota-sim-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write scenario");
    path
}

const SMALL: &str = r#"{
  "name": "one training runs",
  "nodes": [ { "name": "node-1", "gpus": 2 } ],
  "projects": [ { "name": "a", "deserved_gpus": 1 } ],
  "steps": [
    { "submit": [ { "name": "t", "project": "a", "gpus": 1 } ] },
    { "expect": { "t": { "status": "STATUS" } } }
  ]
}"#;

#[test]
fn the_walkthrough_passes_with_exit_status_zero() {
    let out = rota(&["sim", "run", &walkthrough()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.starts_with("PASS"), "{stdout}");
    assert!(
        stdout.contains("a1 (team-a) pending: needs 1 GPU"),
        "the pending reason is shown: {stdout}"
    );
}

#[test]
fn json_output_is_one_object_per_file_per_line() {
    let ok = temp_file("ok.json", &SMALL.replace("STATUS", "Running"));
    let out = rota(&[
        "sim",
        "run",
        "--output",
        "json",
        &walkthrough(),
        &ok.display().to_string(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert_eq!(lines.len(), 2);
    let first = &lines[0];
    assert_eq!(first["passed"], true);
    assert_eq!(first["file"], walkthrough());
    assert!(
        first["name"]
            .as_str()
            .is_some_and(|n| n.starts_with("team-a runs over quota"))
    );
    let step = &first["steps"][3];
    assert_eq!(step["index"], 4);
    assert_eq!(step["kind"], "expect");
    let a1 = step["workloads"]
        .as_array()
        .and_then(|w| w.iter().find(|w| w["name"] == "a1"))
        .expect("a1 listed");
    assert_eq!(a1["status"], "Pending");
    assert_eq!(a1["gpus_allocated"], 0.0);
    assert!(
        a1["reason"]
            .as_str()
            .is_some_and(|r| r.contains("fair share"))
    );
    assert_eq!(step["mismatches"].as_array().map(Vec::len), Some(0));
}

#[test]
fn a_failed_expectation_exits_one_and_says_what_differed() {
    let bad = temp_file("fails.json", &SMALL.replace("STATUS", "Pending"));
    let out = rota(&["sim", "run", &bad.display().to_string()]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.starts_with("FAIL"), "{stdout}");
    assert!(
        stdout.contains("t: expected Pending, got Running"),
        "{stdout}"
    );
}

#[test]
fn an_unknown_field_exits_two_naming_file_line_and_field() {
    let typo = temp_file(
        "typo.json",
        &SMALL
            .replace("STATUS", "Running")
            .replace("\"gpus\": 1 }", "\"gpu\": 1 }"),
    );
    let out = rota(&["sim", "run", &typo.display().to_string()]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("typo.json"), "{stderr}");
    assert!(stderr.contains("line 6"), "{stderr}");
    assert!(stderr.contains("steps[0].submit[0]"), "{stderr}");
    assert!(stderr.contains("unknown field `gpu`"), "{stderr}");
}

#[test]
fn a_fraction_above_one_is_refused_with_what_was_expected() {
    let odd = temp_file(
        "odd.json",
        &SMALL
            .replace("STATUS", "Running")
            .replace("\"gpus\": 1 }", "\"gpus\": 1.5 }"),
    );
    let out = rota(&["sim", "run", &odd.display().to_string()]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("steps[0].submit[0].gpus"), "{stderr}");
    assert!(
        stderr.contains("a whole number of GPUs, or a fraction below 1"),
        "{stderr}"
    );
}

#[test]
fn a_workload_of_an_unknown_project_is_refused_with_its_place() {
    let text = SMALL
        .replace("STATUS", "Running")
        .replace("\"project\": \"a\"", "\"project\": \"nobody\"");
    let file = temp_file("unknown-project.json", &text);
    let out = rota(&["sim", "run", &file.display().to_string()]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("steps[0].submit[0].project: project nobody is not defined"),
        "{stderr}"
    );
}

#[test]
fn a_missing_file_exits_two_and_the_others_still_run() {
    let out = rota(&["sim", "run", "/nonexistent/scenario.json", &walkthrough()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("/nonexistent/scenario.json: cannot read it")
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("PASS"));
}

#[test]
fn every_shared_scenario_passes() {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/scenarios");
    let entries = std::fs::read_dir(&shared).unwrap_or_else(|e| {
        panic!(
            "the spec's scenarios ({}) cannot be read: {e}; ../shared must sit beside the \
             project's root, as it does in CI",
            shared.display()
        )
    });
    let files: Vec<String> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| p.display().to_string())
        .collect();
    assert!(!files.is_empty(), "{} holds no scenario", shared.display());
    let mut args = vec!["sim", "run"];
    args.extend(files.iter().map(String::as_str));
    let out = rota(&args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn bench_prints_its_figures_as_json_on_the_last_line() {
    let out = rota(&[
        "sim",
        "bench",
        "--nodes",
        "20",
        "--gpus-per-node",
        "8",
        "--projects",
        "6",
        "--departments",
        "2",
        "--running",
        "60",
        "--pending",
        "120",
        "--repeat",
        "1",
        "--output",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let last: serde_json::Value =
        serde_json::from_str(stdout.lines().last().expect("a line")).expect("JSON");
    for key in ["cycle_ms", "floor_ms", "placements", "evictions"] {
        assert!(last[key].is_number(), "{key} in {last}");
    }
    for phase in [
        "fair_share_ms",
        "allocate_ms",
        "consolidate_ms",
        "reclaim_ms",
        "preempt_ms",
    ] {
        assert!(last["phases"][phase].is_number(), "{phase} in {last}");
    }
    assert!(
        last["placements"].as_u64().is_some_and(|p| p > 0),
        "some pending workloads were placed: {last}"
    );
}
