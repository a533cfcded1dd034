//! What the server answers for what it does not have, over a socket: an unknown `/api/…` path is a
//! JSON 404, a known one with the wrong method a JSON 405 with `Allow`, an unknown page the app's
//! "not found" page with status 404 — never a 500, never the app shell for an API path.

use serde_json::Value;
use support::{Server, TestStore};

mod support;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_paths_and_methods_get_404_and_405() {
    let store = TestStore::sqlite();
    let server = Server::start(&store.url).await;
    let http = reqwest::Client::new();
    let base = &server.base;

    for (method, path) in [
        ("GET", "/api/v1/nope"),
        ("POST", "/api/v1/workloads/trainings/x/y"),
        ("DELETE", "/api"),
        ("GET", "/api/v2/workloads"),
    ] {
        let res = http
            .request(method.parse().expect("method"), format!("{base}{path}"))
            .send()
            .await
            .expect("answer");
        assert_eq!(res.status().as_u16(), 404, "{method} {path}");
        let body: Value = res.json().await.expect("JSON");
        assert_eq!(body["code"], "not_found", "{method} {path}: {body}");
        assert_eq!(
            body["message"],
            format!("the API has no {method} {path}; /api/openapi.json lists every operation")
        );
    }

    let res = http
        .delete(format!("{base}/api/v1/token"))
        .send()
        .await
        .expect("answer");
    assert_eq!(res.status().as_u16(), 405);
    assert_eq!(
        res.headers().get("allow").and_then(|v| v.to_str().ok()),
        Some("POST")
    );
    let body: Value = res.json().await.expect("JSON");
    assert_eq!(body["code"], "method_not_allowed", "{body}");
    assert_eq!(
        body["message"],
        "/api/v1/token does not take DELETE; the Allow header lists what it takes"
    );

    let res = http
        .get(format!("{base}/no/such/page"))
        .send()
        .await
        .expect("answer");
    assert_eq!(res.status().as_u16(), 404);
    let html = res.text().await.expect("HTML");
    assert!(html.contains("Page not found"), "{html}");
    assert!(html.contains("/no/such/page"), "{html}");

    // The pages and the API that do exist still answer.
    let res = http
        .get(format!("{base}/signin"))
        .send()
        .await
        .expect("answer");
    assert_eq!(res.status().as_u16(), 200);
    let res = http
        .get(format!("{base}/api/openapi.json"))
        .send()
        .await
        .expect("answer");
    assert_eq!(res.status().as_u16(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_ask_for_their_token_when_one_is_set() {
    let store = TestStore::sqlite();
    let server = Server::start_with(&store.url, &[("ROTA_METRICS_TOKEN", "s3cret")]).await;
    let http = reqwest::Client::new();
    let url = format!("{}/metrics", server.base);
    let res = http.get(&url).send().await.expect("answer");
    assert_eq!(res.status().as_u16(), 401);
    let body: Value = res.json().await.expect("JSON");
    assert_eq!(body["code"], "unauthorized");
    let res = http
        .get(&url)
        .bearer_auth("wrong")
        .send()
        .await
        .expect("answer");
    assert_eq!(res.status().as_u16(), 401);
    let res = http
        .get(&url)
        .bearer_auth("s3cret")
        .send()
        .await
        .expect("answer");
    assert_eq!(res.status().as_u16(), 200);
    let text = res.text().await.expect("text");
    assert!(text.contains("rota_pending_workloads"), "{text}");
}
