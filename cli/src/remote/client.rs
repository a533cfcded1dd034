//! A thin REST client: every refusal becomes one clear error carrying the server's message.

use anyhow::{anyhow, bail};
use reqwest::blocking::{Client as Http, Response};
use rota_api::ApiError;
use rota_api::wire::{
    FairShareSettings, PodList, Preview, ProjectList, TokenRequest, TokenResponse, WorkloadPod,
    WorkloadSummary,
};
use serde::Deserialize;
use serde::de::DeserializeOwned;

/// Talks to one Rota server.
#[derive(Debug)]
pub struct Client {
    http: Http,
    base: String,
    token: Option<String>,
}

/// One event of a workload.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    pub kind: String,
    pub message: String,
    pub created_at: String,
}

#[derive(Deserialize)]
struct Events {
    events: Vec<Event>,
}

#[derive(Deserialize)]
struct Workloads {
    workloads: Vec<WorkloadSummary>,
    #[serde(default)]
    next: Option<u64>,
}

impl Client {
    pub fn new(base: &str, token: Option<String>) -> anyhow::Result<Self> {
        let base = base.trim_end_matches('/').to_owned();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            bail!("{base:?} is not a server address; write e.g. http://127.0.0.1:3000");
        }
        let http = Http::builder()
            .timeout(std::time::Duration::from_secs(30))
            .build()?;
        Ok(Client { http, base, token })
    }

    /// A web page, as a signed-in browser asks for it (the token in the session cookie): its
    /// status and body.
    pub fn page(&self, path: &str) -> anyhow::Result<(u16, String)> {
        let mut req = self.http.get(format!("{}{path}", self.base));
        if let Some(t) = &self.token {
            req = req.header("cookie", format!("rota_session={t}"));
        }
        let res = req
            .send()
            .map_err(|e| anyhow!("cannot reach {}: {}", self.base, e))?;
        let status = res.status().as_u16();
        Ok((status, res.text()?))
    }

    fn read<T: DeserializeOwned>(&self, res: reqwest::Result<Response>) -> anyhow::Result<T> {
        let res = res.map_err(|e| anyhow!("cannot reach {}: {}", self.base, e))?;
        let status = res.status();
        let text = res.text().unwrap_or_default();
        if status.is_success() {
            return serde_json::from_str(&text)
                .map_err(|e| anyhow!("the server sent something unexpected ({e})"));
        }
        match serde_json::from_str::<ApiError>(&text) {
            Ok(e) => Err(anyhow!(e.message)),
            Err(_) => Err(anyhow!("the server answered {status}")),
        }
    }

    fn get<T: DeserializeOwned>(&self, path: &str, query: &[(&str, &str)]) -> anyhow::Result<T> {
        let mut req = self.http.get(format!("{}{path}", self.base)).query(query);
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        self.read(req.send())
    }

    fn post<B: serde::Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> anyhow::Result<T> {
        self.send_json(reqwest::Method::POST, path, body)
    }

    fn put<B: serde::Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> anyhow::Result<T> {
        self.send_json(reqwest::Method::PUT, path, body)
    }

    /// Sends a JSON body with the token, and reads the answer.
    fn send_json<B: serde::Serialize, T: DeserializeOwned>(
        &self,
        method: reqwest::Method,
        path: &str,
        body: &B,
    ) -> anyhow::Result<T> {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .json(body);
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        self.read(req.send())
    }

    /// Time-based fair share's settings.
    pub fn fair_share(&self) -> anyhow::Result<FairShareSettings> {
        self.get("/api/v1/settings/fair-share", &[])
    }

    /// Changes them (admins); answers what was stored.
    pub fn set_fair_share(&self, s: &FairShareSettings) -> anyhow::Result<FairShareSettings> {
        self.put("/api/v1/settings/fair-share", s)
    }

    pub fn token(&self, req: &TokenRequest) -> anyhow::Result<TokenResponse> {
        self.post("/api/v1/token", req)
    }

    pub fn projects(&self) -> anyhow::Result<ProjectList> {
        self.get("/api/v1/org-unit/projects", &[])
    }

    /// Submits a `training`, `workspace` or `distributed` workload.
    pub fn submit(
        &self,
        kind: &str,
        req: &impl serde::Serialize,
    ) -> anyhow::Result<WorkloadSummary> {
        self.post(&format!("/api/v1/workloads/{}", collection(kind)), req)
    }

    pub fn preview(&self, kind: &str, req: &impl serde::Serialize) -> anyhow::Result<Preview> {
        let mut body = serde_json::to_value(req)?;
        if let Some(o) = body.as_object_mut() {
            o.insert("type".into(), kind.into());
        }
        self.post("/api/v1/workloads/preview", &body)
    }

    /// Every live workload (of `project`), following the pages.
    pub fn list(&self, project: Option<&str>) -> anyhow::Result<Vec<WorkloadSummary>> {
        let filter = project.map(|p| format!("projectName=={p}"));
        let mut all = Vec::new();
        let mut offset = 0u64;
        loop {
            let offset_text = offset.to_string();
            let mut query = vec![("limit", "500"), ("offset", offset_text.as_str())];
            if let Some(f) = &filter {
                query.push(("filterBy", f.as_str()));
            }
            let page = self.get::<Workloads>("/api/v1/workloads", &query)?;
            all.extend(page.workloads);
            match page.next {
                Some(next) if next > offset => offset = next,
                _ => return Ok(all),
            }
        }
    }

    pub fn get_workload(&self, id: &str) -> anyhow::Result<WorkloadSummary> {
        self.get(&format!("/api/v1/workloads/trainings/{}", encode(id)), &[])
    }

    pub fn events(&self, id: &str) -> anyhow::Result<Vec<Event>> {
        Ok(self
            .get::<Events>(&format!("/api/v1/workloads/{}/events", encode(id)), &[])?
            .events)
    }

    pub fn pods(&self, id: &str) -> anyhow::Result<Vec<WorkloadPod>> {
        Ok(self
            .get::<PodList>(&format!("/api/v1/workloads/{}/pods", encode(id)), &[])?
            .pods)
    }

    pub fn delete(&self, kind: &str, id: &str) -> anyhow::Result<WorkloadSummary> {
        let mut req = self.http.delete(format!(
            "{}/api/v1/workloads/{}/{}",
            self.base,
            collection(kind),
            encode(id)
        ));
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        self.read(req.send())
    }
}

/// The REST collection of a workload type: `trainings`, `workspaces`, `distributed`.
fn collection(kind: &str) -> String {
    match kind {
        "distributed" => kind.to_owned(),
        _ => format!("{kind}s"),
    }
}

/// `project/name` ids travel in one path segment.
impl Client {
    /// Writes a pod's log to `out`; with `follow`, keeps writing what comes until the pod is
    /// done.
    pub fn logs(
        &self,
        id: &str,
        pod: u32,
        tail: Option<usize>,
        follow: bool,
        out: &mut impl std::io::Write,
    ) -> anyhow::Result<()> {
        use std::io::Read;
        let mut query = vec![("pod", pod.to_string())];
        if let Some(t) = tail {
            query.push(("tail", t.to_string()));
        }
        if follow {
            query.push(("follow", "true".into()));
        }
        // A followed log stays open as long as the pod runs: no overall time limit.
        let http = if follow {
            Http::builder().timeout(None).build()?
        } else {
            self.http.clone()
        };
        let mut req = http
            .get(format!(
                "{}/api/v1/workloads/{}/logs",
                self.base,
                encode(id)
            ))
            .query(&query);
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        let mut res = req
            .send()
            .map_err(|e| anyhow!("cannot reach {}: {}", self.base, e))?;
        if !res.status().is_success() {
            let status = res.status();
            let text = res.text().unwrap_or_default();
            return Err(match serde_json::from_str::<ApiError>(&text) {
                Ok(e) => anyhow!(e.message),
                Err(_) => anyhow!("the server answered {status}"),
            });
        }
        let mut buf = [0u8; 8192];
        loop {
            let n = res.read(&mut buf)?;
            if n == 0 {
                return Ok(());
            }
            out.write_all(&buf[..n])?;
            out.flush()?;
        }
    }
}

fn encode(id: &str) -> String {
    id.replace('/', "%2F")
}
