//! A signed-in REST client for tests that drive a real server, and waiting for a condition.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::ADMIN_PASSWORD;

/// A signed-in REST client.
pub struct Api {
    client: reqwest::Client,
    base: String,
    token: String,
}

/// A token for the admin from the server at `base`.
pub async fn sign_in(client: &reqwest::Client, base: &str) -> String {
    let body: Value = client
        .post(format!("{base}/api/v1/token"))
        .json(&json!({"grantType": "password", "username": "admin", "password": ADMIN_PASSWORD}))
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("token body");
    body["accessToken"].as_str().expect("token").to_owned()
}

/// The cluster's projects by name (their ids), and the cluster's id.
pub async fn organization(
    client: &reqwest::Client,
    base: &str,
    token: &str,
) -> (std::collections::BTreeMap<String, String>, String) {
    let projects: Value = client
        .get(format!("{base}/api/v1/org-unit/projects"))
        .bearer_auth(token)
        .send()
        .await
        .expect("projects")
        .json()
        .await
        .expect("projects body");
    let list = projects["projects"].as_array().expect("projects");
    let ids = list
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap_or("").to_owned(),
                p["id"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    (
        ids,
        list[0]["clusterId"].as_str().expect("clusterId").to_owned(),
    )
}

/// The server's `/metrics` text.
pub async fn metrics(client: &reqwest::Client, base: &str) -> String {
    client
        .get(format!("{base}/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("metrics text")
}

/// Every live workload the server at `base` lists, page by page.
pub async fn all_workloads(client: &reqwest::Client, base: &str, token: &str) -> Vec<Value> {
    let mut all = Vec::new();
    loop {
        let page: Value = client
            .get(format!(
                "{base}/api/v1/workloads?limit=500&offset={}",
                all.len()
            ))
            .bearer_auth(token)
            .send()
            .await
            .expect("list")
            .json()
            .await
            .expect("list body");
        let rows = page["workloads"].as_array().cloned().unwrap_or_default();
        if rows.is_empty() {
            return all;
        }
        all.extend(rows);
    }
}

impl Api {
    /// Signs in as the admin.
    pub async fn new(base: &str) -> Api {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .expect("client");
        let token = sign_in(&client, base).await;
        Api {
            client,
            base: base.to_owned(),
            token,
        }
    }

    /// The bearer token it signs in with.
    pub fn token(&self) -> &str {
        &self.token
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("GET")
    }

    /// POSTs JSON; answers the status and the body.
    pub async fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        let r = self
            .client
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .json(body)
            .send()
            .await
            .expect("POST");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// The project called `name`, as `GET /api/v1/org-unit/projects` shows it.
    pub async fn project(&self, name: &str) -> Value {
        let body: Value = self
            .get("/api/v1/org-unit/projects")
            .await
            .json()
            .await
            .expect("projects");
        body["projects"]
            .as_array()
            .and_then(|ps| ps.iter().find(|p| p["name"] == name))
            .cloned()
            .unwrap_or_else(|| panic!("no project {name}: {body}"))
    }

    /// PUTs JSON; answers the status and the body.
    pub async fn put(&self, path: &str, body: &Value) -> (u16, Value) {
        let r = self
            .client
            .put(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .json(body)
            .send()
            .await
            .expect("PUT");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// DELETEs; answers the status.
    pub async fn delete(&self, path: &str) -> u16 {
        self.client
            .delete(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("DELETE")
            .status()
            .as_u16()
    }

    pub async fn workload(&self, project_name: &str) -> Value {
        let id = project_name.replace('/', "%2F");
        self.get(&format!("/api/v1/workloads/trainings/{id}"))
            .await
            .json()
            .await
            .expect("workload")
    }

    pub async fn events(&self, project_name: &str) -> Vec<Value> {
        let id = project_name.replace('/', "%2F");
        let body: Value = self
            .get(&format!("/api/v1/workloads/{id}/events"))
            .await
            .json()
            .await
            .expect("events");
        body["events"].as_array().cloned().unwrap_or_default()
    }

    pub async fn log(&self, project_name: &str, query: &str) -> String {
        let id = project_name.replace('/', "%2F");
        let r = self
            .get(&format!("/api/v1/workloads/{id}/logs?{query}"))
            .await;
        assert!(r.status().is_success(), "logs: {}", r.status());
        r.text().await.expect("log text")
    }

    /// Waits until every named workload is in the phase given.
    pub async fn until(&self, want: &[(&str, &str)]) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let mut got = Vec::new();
            let mut why = Vec::new();
            for (w, _) in want {
                let v = self.workload(w).await;
                got.push(v["phase"].as_str().unwrap_or("?").to_owned());
                why.push(format!("{w}: {}", v["phaseReason"]));
            }
            if want.iter().zip(&got).all(|((_, p), g)| p == g) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "never reached {want:?}; last {got:?} ({})",
                why.join("; ")
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// Waits until `check` holds, at most 20 s.
pub async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !check() {
        assert!(Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
