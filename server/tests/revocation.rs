//! Tokens end before they expire when they should, at once and after a restart: signing out
//! (REST and the browser's form), deleting an application or rotating its secret, deleting a
//! user. Other tokens go on working.

use serde_json::{Value, json};
use support::{ADMIN_PASSWORD, Server, TestStore};

mod support;

struct Http {
    client: reqwest::Client,
    base: String,
}

impl Http {
    async fn token(&self, grant: Value) -> String {
        let res = self
            .client
            .post(format!("{}/api/v1/token", self.base))
            .json(&grant)
            .send()
            .await
            .expect("token");
        assert_eq!(res.status().as_u16(), 200, "{grant}");
        let body: Value = res.json().await.expect("body");
        body["accessToken"].as_str().expect("token").to_owned()
    }

    async fn password(&self, user: &str, password: &str) -> String {
        self.token(json!({"grantType": "password", "username": user, "password": password}))
            .await
    }

    /// The status of a read with `token`.
    async fn works(&self, token: &str) -> u16 {
        self.client
            .get(format!("{}/api/v1/org-unit/projects", self.base))
            .bearer_auth(token)
            .send()
            .await
            .expect("read")
            .status()
            .as_u16()
    }

    async fn send(
        &self,
        method: &str,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self
            .client
            .request(
                method.parse().expect("method"),
                format!("{}{path}", self.base),
            )
            .bearer_auth(token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.expect("answer");
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_out_and_deleting_end_tokens_at_once_and_after_a_restart() {
    let store = TestStore::sqlite();
    let mut server = Server::start(&store.url).await;
    let http = Http {
        client: reqwest::Client::new(),
        base: server.base.clone(),
    };
    let admin = http.password("admin", ADMIN_PASSWORD).await;
    let other_session = http.password("admin", ADMIN_PASSWORD).await;

    // Signing out ends that token and no other.
    let signed_out = http.password("admin", ADMIN_PASSWORD).await;
    let (status, _) = http.send("POST", "/api/v1/logout", &signed_out, None).await;
    assert_eq!(status, 204);
    assert_eq!(http.works(&signed_out).await, 401);
    let (status, body) = http.send("POST", "/api/v1/logout", &signed_out, None).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(
        body["message"],
        "this session was signed out; sign in again"
    );
    assert_eq!(http.works(&admin).await, 200);

    // A user with an application: deleting the application ends its tokens, the user's stay.
    let (status, _) = http
        .send(
            "POST",
            "/api/v1/users",
            &admin,
            Some(
                json!({"username": "rita", "password": "rita-pass-1", "role": "researcher",
                        "projects": ["team-a"]}),
            ),
        )
        .await;
    assert_eq!(status, 201);
    let rita = http.password("rita", "rita-pass-1").await;
    let (status, app) = http
        .send(
            "POST",
            "/api/v1/user-applications",
            &rita,
            Some(json!({"name": "ci"})),
        )
        .await;
    assert_eq!(status, 201, "{app}");
    let app_grant = |secret: &Value| json!({"grantType": "client_credentials", "clientId": app["clientId"], "clientSecret": secret});
    let app_token = http.token(app_grant(&app["secret"])).await;
    assert_eq!(http.works(&app_token).await, 200);

    // Rotating the secret ends the tokens issued with the old one; the new one signs in.
    let (status, rotated) = http
        .send(
            "POST",
            &format!(
                "/api/v1/user-applications/{}/secret",
                app["id"].as_str().expect("id")
            ),
            &rita,
            None,
        )
        .await;
    assert_eq!(status, 200, "{rotated}");
    assert_eq!(http.works(&app_token).await, 401);
    let app_token = http.token(app_grant(&rotated["secret"])).await;
    assert_eq!(http.works(&app_token).await, 200);
    assert_eq!(http.works(&rita).await, 200);

    // Survives a restart: the store keeps what was revoked.
    server.kill();
    server = Server::start(&store.url).await;
    let http = Http {
        client: reqwest::Client::new(),
        base: server.base.clone(),
    };
    assert_eq!(http.works(&signed_out).await, 401, "still signed out");
    assert_eq!(http.works(&admin).await, 200);
    assert_eq!(http.works(&app_token).await, 200);

    // Deleting rita ends her tokens and her application's; the admin cannot delete itself.
    let (_, users) = http.send("GET", "/api/v1/users", &admin, None).await;
    let id_of = |name: &str| {
        users
            .as_array()
            .and_then(|us| us.iter().find(|u| u["username"] == name))
            .and_then(|u| u["id"].as_str())
            .expect("user")
            .to_owned()
    };
    let (status, body) = http
        .send(
            "DELETE",
            &format!("/api/v1/users/{}", id_of("admin")),
            &admin,
            None,
        )
        .await;
    assert_eq!(status, 409, "{body}");
    let (status, _) = http
        .send(
            "DELETE",
            &format!("/api/v1/users/{}", id_of("rita")),
            &rita,
            None,
        )
        .await;
    assert_eq!(status, 403, "a researcher deletes nobody");
    let (status, _) = http
        .send(
            "DELETE",
            &format!("/api/v1/users/{}", id_of("rita")),
            &admin,
            None,
        )
        .await;
    assert_eq!(status, 204);
    assert_eq!(http.works(&rita).await, 401);
    assert_eq!(http.works(&app_token).await, 401);
    let res = http
        .client
        .post(format!("{}/api/v1/token", http.base))
        .json(&app_grant(&rotated["secret"]))
        .send()
        .await
        .expect("answer");
    assert_eq!(res.status().as_u16(), 401, "her application is gone");
    let (status, _) = http
        .send(
            "DELETE",
            &format!("/api/v1/users/{}", id_of("rita")),
            &admin,
            None,
        )
        .await;
    assert_eq!(status, 404);
    assert_eq!(http.works(&admin).await, 200);
    assert_eq!(http.works(&other_session).await, 200);
}

/// The `kid` in a token's header.
fn key_id(token: &str) -> String {
    use base64::Engine;
    let header = token.split('.').next().expect("header");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header)
        .expect("base64");
    let v: Value = serde_json::from_slice(&bytes).expect("JSON");
    v["kid"].as_str().expect("kid").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotating_the_signing_key_logs_nobody_out_until_it_is_rotated_again() {
    let store = TestStore::sqlite();
    let mut server = Server::start(&store.url).await;
    let http = Http {
        client: reqwest::Client::new(),
        base: server.base.clone(),
    };
    let admin = http.password("admin", ADMIN_PASSWORD).await;
    assert_eq!(key_id(&admin), "1");
    let (status, _) = http
        .send(
            "POST",
            "/api/v1/users",
            &admin,
            Some(json!({"username": "vic", "password": "vic-pass-1", "role": "viewer"})),
        )
        .await;
    assert_eq!(status, 201);
    let viewer = http.password("vic", "vic-pass-1").await;
    let (status, _) = http
        .send("POST", "/api/v1/token-signing-key", &viewer, None)
        .await;
    assert_eq!(status, 403, "only an admin rotates the key");

    let (status, body) = http
        .send("POST", "/api/v1/token-signing-key", &admin, None)
        .await;
    assert_eq!((status, body["keyId"].as_str()), (200, Some("2")));
    let second = http.password("admin", ADMIN_PASSWORD).await;
    assert_eq!(key_id(&second), "2");
    assert_eq!(
        http.works(&admin).await,
        200,
        "the previous key still verifies"
    );
    assert_eq!(http.works(&viewer).await, 200);

    // The keys are in the store: a restart keeps both.
    server.kill();
    server = Server::start(&store.url).await;
    let http = Http {
        client: reqwest::Client::new(),
        base: server.base.clone(),
    };
    assert_eq!(http.works(&admin).await, 200);
    assert_eq!(http.works(&second).await, 200);

    // A second rotation retires the first key.
    let (status, body) = http
        .send("POST", "/api/v1/token-signing-key", &second, None)
        .await;
    assert_eq!((status, body["keyId"].as_str()), (200, Some("3")));
    let res = http
        .client
        .get(format!("{}/api/v1/org-unit/projects", http.base))
        .bearer_auth(&admin)
        .send()
        .await
        .expect("answer");
    assert_eq!(res.status().as_u16(), 401);
    let body: Value = res.json().await.expect("JSON");
    assert_eq!(
        body["message"],
        "the token was signed with a key that has since been replaced; sign in again"
    );
    assert_eq!(http.works(&second).await, 200);
}
