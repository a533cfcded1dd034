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

/// Every name and image field of the document states the rule rota-api enforces: the patterns are
/// literals in the wire types (utoipa takes nothing else), so they are held to the one rule here.
#[test]
fn name_and_image_fields_state_the_rules_the_server_enforces() {
    use rota_api::validate::{IMAGE_PATTERN, MAX_NAME_LEN, NAME_PATTERN};
    let doc = serde_json::to_value(rota_server::rest::openapi::document()).expect("serializes");
    let mut names = 0;
    let mut images = 0;
    for (schema, body) in doc["components"]["schemas"].as_object().expect("schemas") {
        // An environment variable's name is not a resource name (rota_api::validate::env_name).
        let Some(props) = body["properties"]
            .as_object()
            .filter(|_| schema != "EnvironmentVariable")
        else {
            continue;
        };
        for (field, p) in props {
            let Some(pattern) = p["pattern"].as_str() else {
                continue;
            };
            match field.as_str() {
                "name" | "username" => {
                    assert_eq!(pattern, NAME_PATTERN, "{schema}.{field}");
                    assert_eq!(p["maxLength"], MAX_NAME_LEN, "{schema}.{field}");
                    names += 1;
                }
                "image" => {
                    assert_eq!(pattern, IMAGE_PATTERN, "{schema}.{field}");
                    images += 1;
                }
                _ => {}
            }
        }
    }
    // Workload, distributed, unit, asset, application and user names; two image fields.
    assert!(names >= 6, "{names} name fields carry a pattern");
    assert_eq!(images, 2, "{images} image fields carry a pattern");
}
