//! The walkthrough's steps and the tables `rota list -A` shows after each, shared by the tests
//! that walk it (on one server, and on the survivor of a fail-over).

use super::cli::Cli;

pub const IMAGE: &str = "runai.jfrog.io/demo/quickstart";
const HEADER: &str = "Workload  Type      Status   Project  Priority  Preemptible  Running/Req. Pods  GPU Alloc.\n\
     ──────────────────────────────────────────────────────────────────────────────────────────\n";

pub fn table(rows: &[(&str, &str, &str, &str, &str)]) -> String {
    let mut out = HEADER.to_owned();
    for (name, status, project, pods, gpus) in rows {
        out.push_str(&format!(
            "{name:<8}  Training  {status:<7}  {project}   low       yes          {pods:<17}  {gpus}\n"
        ));
    }
    out
}

pub fn first_step() -> String {
    table(&[
        ("a2", "Running", "team-a", "1/1", "2.00"),
        ("a1", "Running", "team-a", "1/1", "1.00"),
        ("b1", "Running", "team-b", "1/1", "1.00"),
    ])
}

pub fn after_b2() -> String {
    table(&[
        ("a2", "Running", "team-a", "1/1", "2.00"),
        ("a1", "Pending", "team-a", "0/1", "1.00"),
        ("b1", "Running", "team-b", "1/1", "1.00"),
        ("b2", "Running", "team-b", "1/1", "1.00"),
    ])
}

pub fn after_consolidation() -> String {
    table(&[
        ("a1", "Running", "team-a", "1/1", "1.00"),
        ("b2", "Running", "team-b", "1/1", "1.00"),
        ("a2", "Running", "team-a", "1/1", "2.00"),
    ])
}

/// The walkthrough in the CLI's v1 shapes, through `cli` (signed in to a server whose store holds
/// only the seed), each table checked whole.
pub fn cli_v1(cli: &Cli) {
    let list = ["list", "-A"];
    cli.ok(&["submit", "a2", "-i", IMAGE, "-g", "2", "-p", "team-a"]);
    cli.ok(&["submit", "a1", "-i", IMAGE, "-g", "1", "-p", "team-a"]);
    cli.ok(&["submit", "b1", "-i", IMAGE, "-g", "1", "-p", "team-b"]);
    cli.until(&list, &first_step());
    cli.ok(&["submit", "b2", "-i", IMAGE, "-g", "1", "-p", "team-b"]);
    cli.until(&list, &after_b2());
    let described = cli.ok(&["describe", "job", "a1", "-p", "team-a"]);
    assert!(described.contains("Status:     Pending"), "{described}");
    assert!(
        described.contains("preempted: team-b reclaimed its fair share of GPUs for b2"),
        "{described}"
    );
    cli.ok(&["delete", "job", "a2", "-p", "team-a"]);
    cli.until(
        &list,
        &table(&[
            ("a1", "Running", "team-a", "1/1", "1.00"),
            ("b1", "Running", "team-b", "1/1", "1.00"),
            ("b2", "Running", "team-b", "1/1", "1.00"),
        ]),
    );
    cli.ok(&["delete", "job", "b1", "-p", "team-b"]);
    cli.ok(&["submit", "a2", "-i", IMAGE, "-g", "2", "-p", "team-a"]);
    cli.until(&list, &after_consolidation());
}
