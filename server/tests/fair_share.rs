//! Time-based fair share's settings over REST: read back as stored, refused by field (and then
//! nothing changes), and shown as each project's usage beside its fair share.

use axum::http::StatusCode;
use serde_json::json;
use support::app::TestApp;

mod support;

const PATH: &str = "/api/v1/settings/fair-share";

#[tokio::test]
async fn settings_are_stored_as_given_and_refused_by_field() {
    let app = TestApp::new().await;
    let admin = app.token().await;
    let (status, got) = app.call("GET", PATH, Some(&admin), None).await;
    assert_eq!(status, StatusCode::OK, "{got}");
    assert_eq!(got, json!({"kValue": 0.0, "windowSize": "168h"}));

    let body = json!({"kValue": 0.5, "windowSize": "72h", "halfLifePeriod": "12h"}).to_string();
    let (status, got) = app.call("PUT", PATH, Some(&admin), Some(&body)).await;
    assert_eq!(status, StatusCode::OK, "{got}");
    let stored = json!({"kValue": 0.5, "windowSize": "72h", "halfLifePeriod": "12h"});
    assert_eq!(got, stored);

    for (body, field) in [
        (json!({"kValue": 101, "windowSize": "72h"}), "kValue"),
        (json!({"kValue": -0.5, "windowSize": "72h"}), "kValue"),
        (json!({"kValue": 1, "windowSize": "10m"}), "windowSize"),
        (json!({"kValue": 1, "windowSize": "a week"}), "windowSize"),
        (json!({"kValue": 1, "windowSize": "800h"}), "windowSize"),
        (
            json!({"kValue": 1, "windowSize": "72h", "halfLifePeriod": "5s"}),
            "halfLifePeriod",
        ),
        (json!({"kValue": "high", "windowSize": "72h"}), "kValue"),
        (json!({"windowSize": "72h"}), "body"),
    ] {
        let (status, got) = app
            .call("PUT", PATH, Some(&admin), Some(&body.to_string()))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {got}");
        assert_eq!(got["details"][0]["field"], field, "{body}: {got}");
        if field == "body" {
            let said = got["details"][0]["message"].as_str().unwrap_or_default();
            assert!(said.contains("kValue"), "names the missing field: {got}");
        }
        let (_, now) = app.call("GET", PATH, Some(&admin), None).await;
        assert_eq!(now, stored, "a refused change keeps what was stored");
    }

    // An empty half life turns decay off.
    let body = json!({"kValue": 0, "windowSize": "168h", "halfLifePeriod": ""}).to_string();
    let (status, got) = app.call("PUT", PATH, Some(&admin), Some(&body)).await;
    assert_eq!(status, StatusCode::OK, "{got}");
    assert_eq!(got, json!({"kValue": 0.0, "windowSize": "168h"}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_shows_and_changes_time_based_fair_share() {
    let store = support::TestStore::sqlite();
    let server = support::Server::start(&store.url).await;
    let cli = support::cli::Cli::new(&server.base);
    assert_eq!(
        cli.ok(&["settings", "fair-share"]).trim(),
        "time-based fair share: off (k 0; window 168h, half life none)"
    );
    assert_eq!(
        cli.ok(&[
            "settings",
            "fair-share",
            "--k-value",
            "0.5",
            "--half-life-period",
            "12h"
        ])
        .trim(),
        "time-based fair share: k 0.5, window 168h, half life 12h"
    );
    // A refusal names the flag, and changes nothing.
    let out = cli.run(&["settings", "fair-share", "--window-size", "5m"]);
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("--window-size: at least 1h"), "{said}");
    assert_eq!(
        cli.ok(&["settings", "fair-share", "--half-life-period", "none"])
            .trim(),
        "time-based fair share: k 0.5, window 168h, half life none"
    );
}
