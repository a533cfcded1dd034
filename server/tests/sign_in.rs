//! Failed sign-ins over a socket are throttled per account and per client address, with
//! `Retry-After`; behind a trusted proxy the address is `X-Forwarded-For`'s.

use serde_json::{Value, json};
use support::{ADMIN_PASSWORD, Server, TestStore};

mod support;

async fn sign_in(
    http: &reqwest::Client,
    base: &str,
    user: &str,
    password: &str,
    forwarded_for: Option<&str>,
) -> reqwest::Response {
    let mut req = http
        .post(format!("{base}/api/v1/token"))
        .json(&json!({"grantType": "password", "username": user, "password": password}));
    if let Some(f) = forwarded_for {
        req = req.header("x-forwarded-for", f);
    }
    req.send().await.expect("answer")
}

fn retry_after(res: &reqwest::Response) -> u64 {
    res.headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("a Retry-After in seconds")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_failures_lock_the_account_and_the_address_with_retry_after() {
    let store = TestStore::sqlite();
    let server = Server::start(&store.url).await;
    let http = reqwest::Client::new();
    let base = &server.base;
    for _ in 0..5 {
        let res = sign_in(&http, base, "admin", "wrong", None).await;
        assert_eq!(res.status().as_u16(), 401);
    }
    let res = sign_in(&http, base, "admin", ADMIN_PASSWORD, None).await;
    assert_eq!(res.status().as_u16(), 429, "the right password waits too");
    let wait = retry_after(&res);
    assert!((1..=60).contains(&wait), "{wait}");
    let body: Value = res.json().await.expect("JSON");
    assert_eq!(body["code"], "too_many_requests");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("too many failed sign-ins for admin; try again in ")),
        "{body}"
    );
    // The address is locked as well: another account from it waits.
    let res = sign_in(&http, base, "someone-else", "whatever", None).await;
    assert_eq!(res.status().as_u16(), 429);
    let body: Value = res.json().await.expect("JSON");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("for address 127.0.0.1")),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_a_trusted_proxy_each_forwarded_address_is_counted_apart() {
    let store = TestStore::sqlite();
    let server = Server::start_with(&store.url, &[("ROTA_TRUST_FORWARDED_FOR", "1")]).await;
    let http = reqwest::Client::new();
    let base = &server.base;
    let guesser = Some("203.0.113.1");
    for i in 0..5 {
        let res = sign_in(&http, base, &format!("nobody-{i}"), "x", guesser).await;
        assert_eq!(res.status().as_u16(), 401);
    }
    let res = sign_in(&http, base, "admin", ADMIN_PASSWORD, guesser).await;
    assert_eq!(res.status().as_u16(), 429, "the guessing address is locked");
    let body: Value = res.json().await.expect("JSON");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("for address 203.0.113.1")),
        "{body}"
    );
    let res = sign_in(&http, base, "admin", ADMIN_PASSWORD, Some("203.0.113.2")).await;
    assert_eq!(res.status().as_u16(), 200, "another client is not");
}
