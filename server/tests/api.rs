//! The REST router without a socket (`tower::ServiceExt::oneshot`), on a fresh SQLite store.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use rota_control::cluster_file::ClusterFile;
use rota_control::executor::Simulated;
use rota_control::services::Rota;
use rota_control::store::Store;
use serde_json::{Value, json};
use tower::ServiceExt;

struct TestApp {
    rota: Rota,
    router: axum::Router,
    dir: std::path::PathBuf,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl TestApp {
    async fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("rota-api-{}", uuid::Uuid::new_v4().simple()));
        let store = Store::open(&format!("sqlite://{}/rota.db", dir.display()))
            .await
            .expect("store");
        let file = ClusterFile::load(None).expect("cluster");
        let (rota, _control, _) = Rota::start(store, &file, Some("pw"), Arc::new(Simulated))
            .await
            .expect("start");
        let router = rota_server::rest::router(rota.clone());
        TestApp { rota, router, dir }
    }

    async fn call(
        &self,
        method: &str,
        uri: &str,
        token: Option<&str>,
        body: Option<&str>,
    ) -> (StatusCode, Value) {
        let mut req = Request::builder().method(method).uri(uri);
        if let Some(t) = token {
            req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        let req = req
            .header(header::CONTENT_TYPE, "application/json")
            .body(body.map_or_else(Body::empty, |b| Body::from(b.to_owned())))
            .expect("request");
        let res = self.router.clone().oneshot(req).await.expect("response");
        let status = res.status();
        let bytes = axum::body::to_bytes(res.into_body(), 1 << 20)
            .await
            .expect("body");
        let value = serde_json::from_slice(&bytes)
            .unwrap_or(Value::String(String::from_utf8_lossy(&bytes).into_owned()));
        (status, value)
    }

    async fn token(&self) -> String {
        let (status, body) = self
            .call(
                "POST",
                "/api/v1/token",
                None,
                Some(r#"{"grantType":"password","username":"admin","password":"pw"}"#),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["accessToken"]
            .as_str()
            .expect("accessToken")
            .to_owned()
    }
}

#[tokio::test]
async fn health_answers_while_the_store_does() {
    let app = TestApp::new().await;
    let (status, body) = app.call("GET", "/healthz", None, None).await;
    assert_eq!(
        (status, body),
        (StatusCode::OK, Value::String("ok\n".into()))
    );
}

#[tokio::test]
async fn a_password_grant_gives_a_token_and_a_wrong_one_a_401_in_json() {
    let app = TestApp::new().await;
    let token = app.token().await;
    assert_eq!(token.split('.').count(), 3, "a JWT");
    let (status, body) = app
        .call(
            "POST",
            "/api/v1/token",
            None,
            Some(r#"{"grantType":"password","username":"admin","password":"no"}"#),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["code"], "unauthorized");
    assert_eq!(body["message"], "wrong credentials");
}

#[tokio::test]
async fn projects_need_a_token_and_come_with_their_quotas() {
    let app = TestApp::new().await;
    let (status, body) = app
        .call("GET", "/api/v1/org-unit/projects", None, None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    let (status, body) = app
        .call(
            "GET",
            "/api/v1/org-unit/projects",
            Some("not-a-token"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    let token = app.token().await;
    let (status, body) = app
        .call("GET", "/api/v1/org-unit/projects", Some(&token), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let projects = body["projects"].as_array().expect("projects");
    assert_eq!(projects.len(), 2);
    assert_eq!(projects[0]["name"], "team-a");
    assert_eq!(projects[0]["clusterId"], app.rota.cluster_uuid.as_str());
    assert_eq!(
        projects[0]["resources"][0],
        json!({"nodePool": {"id": "1", "name": "default"}, "gpu": {"deserved": 2.0, "limit": -1.0, "overQuotaWeight": 1}})
    );
}

#[tokio::test]
async fn bad_submissions_get_4xx_naming_the_field_and_write_nothing() {
    let app = TestApp::new().await;
    let token = app.token().await;
    let cluster = app.rota.cluster_uuid.clone();
    let cases = [
        ("{\"name\":", StatusCode::BAD_REQUEST, None),
        (
            "{\"name\": 5}",
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("name"),
        ),
        (
            r#"{"name":"A1","projectId":"1","clusterId":"CID","spec":{"image":"x"}}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("name"),
        ),
        (
            r#"{"name":"a1","projectId":"9","clusterId":"CID","spec":{"image":"x"}}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("projectId"),
        ),
        (
            r#"{"name":"a1","projectId":"1","clusterId":"CID","spec":{"image":"x","compute":{"gpuDevicesRequest":-1}}}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("spec.compute.gpuDevicesRequest"),
        ),
        (
            r#"{"name":"a1","projectId":"1","clusterId":"CID","spec":{"image":"x","compute":{"gpuDevicesRequest":"two"}}}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("spec.compute.gpuDevicesRequest"),
        ),
        (
            r#"{"name":"a1","projectId":"1","clusterId":"CID","spec":{"image":"x","compute":{"gpuDevicesRequest":100000}}}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("spec.compute.gpuDevicesRequest"),
        ),
    ];
    for (body, want, field) in cases {
        let body = body.replace("CID", &cluster);
        let (status, got) = app
            .call(
                "POST",
                "/api/v1/workloads/trainings",
                Some(&token),
                Some(&body),
            )
            .await;
        assert_eq!(status, want, "{body} -> {got}");
        if let Some(field) = field {
            assert_eq!(got["details"][0]["field"], field, "{got}");
        }
    }
    let (_, list) = app
        .call("GET", "/api/v1/workloads", Some(&token), None)
        .await;
    assert_eq!(list["workloads"], json!([]));
    let ok = format!(
        r#"{{"name":"a1","projectId":"1","clusterId":"{cluster}","spec":{{"image":"gcr.io/run-ai-demo/quickstart","compute":{{"gpuDevicesRequest":1}}}}}}"#
    );
    let (status, created) = app
        .call(
            "POST",
            "/api/v1/workloads/trainings",
            Some(&token),
            Some(&ok),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{created}");
    assert_eq!(
        (
            created["name"].as_str(),
            created["phase"].as_str(),
            created["type"].as_str()
        ),
        (Some("a1"), Some("Pending"), Some("Training"))
    );
    let (status, dup) = app
        .call(
            "POST",
            "/api/v1/workloads/trainings",
            Some(&token),
            Some(&ok),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{dup}");
    let id = created["id"].as_str().expect("id");
    let (status, _) = app
        .call(
            "DELETE",
            &format!("/api/v1/workloads/trainings/{id}"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let (status, gone) = app
        .call(
            "GET",
            &format!("/api/v1/workloads/trainings/{id}"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{gone}");
}
