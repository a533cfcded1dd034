//! Run:ai's own Python client, `runapy` 1.224.0, unchanged, against a real Rota server: a script
//! (tests/runapy/conformance.py) in a throwaway virtualenv (kept under target/ between runs, made
//! again if it is missing or broken).

use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};
use support::{Server, TestStore};

mod support;

const RUNAPY: &str = "runapy==1.224.0";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runapy_works_unchanged_against_rota() {
    let python = support::python::venv("runapy-venv", RUNAPY, "runai");
    let store = TestStore::sqlite();
    let server = Server::start(&store.url).await;
    let http = reqwest::Client::new();
    let token = support::rest::sign_in(&http, &server.base).await;
    let app: Value = http
        .post(format!("{}/api/v1/apps", server.base))
        .bearer_auth(&token)
        .json(&json!({"name": "runapy"}))
        .send()
        .await
        .expect("app")
        .json()
        .await
        .expect("body");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/runapy/conformance.py");
    let out = tokio::task::spawn_blocking(move || {
        Command::new(python)
            .arg(script)
            .env("ROTA_URL", &server.base)
            .env(
                "ROTA_CLIENT_ID",
                app["clientId"].as_str().expect("clientId"),
            )
            .env(
                "ROTA_CLIENT_SECRET",
                app["secret"].as_str().expect("secret"),
            )
            .output()
            .expect("the script runs")
    })
    .await
    .expect("joined");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "runapy conformance failed:\n{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains("runapy conformance: all passed"),
        "{stdout}"
    );
}
