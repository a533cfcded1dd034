//! A REST router over a fresh SQLite store, called without a socket (`tower::ServiceExt::oneshot`).

#![allow(dead_code)]

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use rota_control::cluster_file::ClusterFile;
use rota_control::executor::Simulated;
use rota_control::services::Rota;
use rota_control::store::Store;
use serde_json::Value;
use tower::ServiceExt;

pub struct TestApp {
    pub rota: Rota,
    router: axum::Router,
    dir: std::path::PathBuf,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl TestApp {
    pub async fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("rota-api-{}", uuid::Uuid::new_v4().simple()));
        let store = Store::open(&format!("sqlite://{}/rota.db", dir.display()))
            .await
            .expect("store");
        let file = ClusterFile::load(None).expect("cluster");
        let (rota, _control, _) = Rota::start(
            store,
            &file,
            Some("pw"),
            Arc::new(Simulated),
            rota_control::logs::Logs::new(&dir),
        )
        .await
        .expect("start");
        let router = rota_server::rest::router(rota.clone());
        TestApp { rota, router, dir }
    }

    pub async fn call(
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

    pub async fn token_for(&self, username: &str, password: &str) -> String {
        let body = serde_json::json!({"grantType": "password", "username": username, "password": password}).to_string();
        let (status, got) = self.call("POST", "/api/v1/token", None, Some(&body)).await;
        assert_eq!(status, StatusCode::OK, "{got}");
        got["accessToken"].as_str().expect("accessToken").to_owned()
    }

    pub async fn token(&self) -> String {
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
