//! The API is exactly what its OpenAPI document says: the OpenAPI fuzzer schemathesis (PyPI, in a
//! throwaway virtualenv under target/) runs all its phases (examples, coverage, fuzzing, stateful
//! through the document's links) and all its checks against a throwaway server on SQLite, with a
//! fixed seed and a bounded number of cases, and any finding fails the test: a 5xx, a status or a
//! body the document does not declare, a request the document allows that is refused, one it
//! forbids that is taken, a deleted resource still there, a created one missing.
//!
//! The two operations that end the caller's own session (sign-out, rotating the signing key) run
//! last, on their own, so that the rest runs signed in. `tests/schemathesis.toml` lists the few
//! operations with rules JSON Schema cannot state (one field against another, or against what is
//! stored), which alone may refuse a schema-valid request with 422.

use std::path::{Path, PathBuf};
use std::process::Command;

use support::rest::Api;
use support::{Server, TestStore};

mod support;

const SCHEMATHESIS: &str = "schemathesis==4.32.5";
/// Cases per operation and phase: enough to reach every rule, small enough for 2 cores.
const MAX_EXAMPLES: &str = "40";
const SEED: &str = "20261203";
/// Sign-out and rotating the signing key, whose 2xx ends the token the run signs in with.
const ENDS_THE_SESSION: [&str; 2] = ["/api/v1/logout", "/api/v1/token-signing-key"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_holds_to_its_openapi_document_under_schemathesis() {
    let python = support::python::venv("schemathesis-venv", SCHEMATHESIS, "schemathesis");
    let schemathesis = python.with_file_name("schemathesis");
    let store = TestStore::sqlite();
    let server = Server::start(&store.url).await;
    let token = Api::new(&server.base).await.token().to_owned();
    let base = server.base.clone();
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/schemathesis.toml");
    let work = tempdir();
    tokio::task::spawn_blocking(move || {
        let rest: Vec<&str> = ENDS_THE_SESSION
            .iter()
            .flat_map(|p| ["--exclude-path", p])
            .collect();
        let run = Fuzzer {
            schemathesis,
            config,
            work,
            base,
            token,
        };
        run.fuzz("the API", "examples,coverage,fuzzing,stateful", &rest);
        // These two have no links to follow; each runs alone, the sign-out last.
        for path in ENDS_THE_SESSION.iter().rev() {
            run.fuzz(path, "examples,coverage,fuzzing", &["--include-path", path]);
        }
        let _ = std::fs::remove_dir_all(&run.work);
    })
    .await
    .expect("joined");
    drop(server);
}

/// A folder to run schemathesis in (it may write reports there).
fn tempdir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rota-st-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// schemathesis, pointed at one server with one token.
struct Fuzzer {
    schemathesis: PathBuf,
    config: PathBuf,
    work: PathBuf,
    base: String,
    token: String,
}

impl Fuzzer {
    /// Runs the given phases over the operations the filter selects; any finding fails.
    fn fuzz(&self, what: &str, phases: &str, filter: &[&str]) {
        let out = Command::new(&self.schemathesis)
            .current_dir(&self.work)
            .arg("--config-file")
            .arg(&self.config)
            .args(["--no-color", "run"])
            .arg(format!("{}/api/openapi.json", self.base))
            .args(["--header", &format!("Authorization: Bearer {}", self.token)])
            .args(["--checks", "all"])
            .args(["--phases", phases])
            .args(["--max-examples", MAX_EXAMPLES, "--seed", SEED])
            .args(["--workers", "1", "--generation-database", "none"])
            .args(["--request-timeout", "30", "--output-truncate", "false"])
            .args(filter)
            .output()
            .expect("schemathesis runs");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "schemathesis found disagreements between the API and its document ({what}):\n{stdout}\n{stderr}"
        );
    }
}
