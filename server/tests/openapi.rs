//! The OpenAPI document: generated from the code, checked against its snapshot (a change to the
//! API shows up as a diff in review), and served at /api/openapi.json.

use axum::http::StatusCode;
use support::app::TestApp;

mod support;

#[test]
fn the_openapi_document_matches_its_snapshot() {
    let doc = serde_json::to_value(rota_server::rest::openapi::document()).expect("serializes");
    assert_eq!(doc["openapi"], "3.1.0");
    insta::assert_json_snapshot!("openapi", doc, { ".info.version" => "[version]" });
}

#[tokio::test]
async fn the_document_is_served_and_documents_the_walkthrough_endpoints() {
    let app = TestApp::new().await;
    let (status, doc) = app.call("GET", "/api/openapi.json", None, None).await;
    assert_eq!(status, StatusCode::OK);
    for path in [
        "/api/v1/token",
        "/api/v1/workloads/trainings",
        "/api/v1/workloads",
        "/api/v1/org-unit/projects",
        "/api/v1/apps",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} is documented");
    }
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    assert!(doc["components"]["schemas"]["ApiError"].is_object());
}
