//! Every scenario file under tests/scenarios/ replays to a pass. The files are named as sentences;
//! each says what rule it shows.

use std::path::PathBuf;

use rota_scheduler::scenario;

fn scenario_files() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/scenarios exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_scenario_file_passes() {
    let files = scenario_files();
    assert!(
        files.len() >= 26,
        "expected at least 26 scenarios, found {}",
        files.len()
    );
    let mut failures = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("readable scenario");
        let outcome = scenario::parse(&text).and_then(|s| scenario::replay(&s));
        match outcome {
            Err(e) => failures.push(format!("{}: invalid: {e}", file.display())),
            Ok(report) if !report.passed => {
                let mut lines = vec![format!("{}: FAILED", file.display())];
                for step in &report.steps {
                    for m in &step.mismatches {
                        lines.push(format!("  step {} ({}): {m}", step.index, step.kind));
                    }
                    if !step.mismatches.is_empty() {
                        for w in &step.workloads {
                            lines.push(format!(
                                "    {} {:?} {:?} {} {}",
                                w.name,
                                w.status,
                                w.nodes,
                                w.gpus_allocated,
                                w.reason.clone().unwrap_or_default()
                            ));
                        }
                    }
                }
                failures.push(lines.join("\n"));
            }
            Ok(_) => {}
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn the_shared_walkthrough_is_part_of_the_suite() {
    // The project's copy must stay the same as the spec's.
    let ours = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/scenarios/quickstart-over-quota-fairness-binpacking.json");
    let theirs = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/scenarios/quickstart-over-quota-fairness-binpacking.json");
    let ours = std::fs::read_to_string(ours).expect("our copy exists");
    let theirs = std::fs::read_to_string(&theirs).unwrap_or_else(|e| {
        panic!(
            "the spec's walkthrough ({}) cannot be read: {e}; ../shared must sit beside the \
             project's root, as it does in CI",
            theirs.display()
        )
    });
    assert_eq!(
        ours, theirs,
        "tests/scenarios holds an outdated copy of the walkthrough"
    );
}
