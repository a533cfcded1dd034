//! Two servers on one PostgreSQL store: exactly one schedules (the leader), both serve; what one
//! takes (submissions, sign-outs, a new signing key) reaches the other at once, and followers
//! show what the leader decided (phases, why a workload waits). When the leader is killed with
//! SIGKILL in the middle of 1,000 concurrent submissions spread over both, the follower leads
//! within 5 s, every acknowledged submission is there, no GPU is given twice, and the
//! walkthrough then reads as always on the survivor.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::cli::Cli;
use support::rest::{all_workloads, metrics, organization, sign_in};
use support::{Server, TestStore, gpus_held_once, walkthrough};

mod support;

/// Submissions in the fail-over test, and after how many acknowledged ones the leader dies.
const SUBMISSIONS: usize = 1_000;
const KILL_AFTER: usize = 400;
const CLIENTS: usize = 16;

/// What `/healthz` says, without its "ok: ".
async fn role(http: &reqwest::Client, base: &str) -> Option<String> {
    let r = http.get(format!("{base}/healthz")).send().await.ok()?;
    let text = r.text().await.ok()?;
    text.trim().strip_prefix("ok: ").map(str::to_owned)
}

/// Two servers started together on `url`, the leader first (once one leads).
async fn pair(url: &str, http: &reqwest::Client) -> (Server, Server) {
    let (a, b) = tokio::join!(Server::start(url), Server::start(url));
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let roles = (role(http, &a.base).await, role(http, &b.base).await);
        match (roles.0.as_deref(), roles.1.as_deref()) {
            (Some("leader"), Some("follower")) => return (a, b),
            (Some("follower"), Some("leader")) => return (b, a),
            _ => {}
        }
        assert!(
            Instant::now() < deadline,
            "never one leader and one follower: {roles:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn training(name: &str, project: &str, cluster: &str) -> Value {
    json!({"name": name, "projectId": project, "clusterId": cluster,
           "spec": {"image": walkthrough::IMAGE, "compute": {"gpuDevicesRequest": 1}}})
}

/// Polls `check` every 20 ms for at most `within`; answers how long it took.
async fn within<F, Fut>(within: Duration, what: &str, mut check: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    while !check().await {
        assert!(started.elapsed() < within, "not within {within:?}: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    started.elapsed()
}

async fn on_postgres<F: std::future::Future<Output = ()> + Send + 'static>(
    body: impl FnOnce(String) -> F,
) {
    let Some(mut store) = TestStore::postgres().await else {
        return;
    };
    let outcome = tokio::spawn(body(store.url.clone())).await;
    store.drop_database().await;
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_follower_passes_on_what_it_takes_and_shows_what_the_leader_decided() {
    on_postgres(follower_and_leader).await;
}

async fn follower_and_leader(url: String) {
    let http = reqwest::Client::new();
    let (leader, follower) = pair(&url, &http).await;
    let (l, f) = (leader.base.clone(), follower.base.clone());
    let token = sign_in(&http, &f).await;
    let (projects, cluster) = organization(&http, &f, &token).await;
    // Five one-GPU trainings on four GPUs, all through the follower: the leader's loop hears of
    // them at once (not at its next check of the store, seconds later).
    let mut ids = Vec::new();
    for i in 0..5 {
        let res = http
            .post(format!("{f}/api/v1/workloads/trainings"))
            .bearer_auth(&token)
            .json(&training(&format!("t{i}"), &projects["team-a"], &cluster))
            .send()
            .await
            .expect("submit");
        assert_eq!(res.status().as_u16(), 202);
        let body: Value = res.json().await.expect("body");
        ids.push(body["id"].as_str().expect("id").to_owned());
    }
    let phases = |base: String| {
        let (http, token, ids) = (http.clone(), token.clone(), ids.clone());
        async move {
            let mut out = Vec::new();
            for id in &ids {
                let w: Value = http
                    .get(format!("{base}/api/v1/workloads/trainings/{id}"))
                    .bearer_auth(&token)
                    .send()
                    .await
                    .expect("workload")
                    .json()
                    .await
                    .expect("body");
                out.push((
                    w["phase"].as_str().unwrap_or("").to_owned(),
                    w["phaseReason"].as_str().unwrap_or("").to_owned(),
                ));
            }
            out
        }
    };
    let settled = |got: &[(String, String)]| {
        got.iter().filter(|(p, _)| p == "Running").count() == 4
            && got.iter().any(|(p, r)| p == "Pending" && r.contains("GPU"))
    };
    within(
        Duration::from_secs(3),
        "four run and one waits, as the follower shows",
        || {
            let phases = phases(f.clone());
            async move { settled(&phases.await) }
        },
    )
    .await;
    // The follower shows the same phases and the same reason as the leader.
    assert_eq!(phases(f.clone()).await, phases(l.clone()).await);
    // Its /metrics (and Projects page) show the units' figures the leader's cycle computed.
    let shares = |base: String| {
        let http = http.clone();
        async move {
            let text = metrics(&http, &base).await;
            text.lines()
                .filter(|l| {
                    l.starts_with("rota_allocated_gpus{") || l.starts_with("rota_fair_share_gpus{")
                })
                .map(str::to_owned)
                .collect::<BTreeSet<_>>()
        }
    };
    let on_leader = shares(l.clone()).await;
    assert!(
        on_leader.contains("rota_allocated_gpus{pool=\"default\",project=\"team-a\"} 4.0"),
        "{on_leader:?}"
    );
    within(
        Duration::from_secs(3),
        "the follower's /metrics shows the leader's shares",
        || {
            let (shares, on_leader) = (shares(f.clone()), on_leader.clone());
            async move { shares.await == on_leader }
        },
    )
    .await;
    // Pages on the follower follow what happens through the leader (its live feed).
    let mut feed = http
        .get(format!("{f}/api/v1/changes"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("the follower's live feed");
    assert_eq!(feed.status().as_u16(), 200);
    let res = http
        .delete(format!("{l}/api/v1/workloads/trainings/{}", ids[0]))
        .bearer_auth(&token)
        .send()
        .await
        .expect("delete");
    assert_eq!(res.status().as_u16(), 202);
    let event = tokio::time::timeout(Duration::from_secs(3), feed.chunk())
        .await
        .expect("the follower's feed tells of a deletion through the leader")
        .expect("a chunk")
        .expect("an event");
    assert!(
        String::from_utf8_lossy(&event).contains("event: changed"),
        "{event:?}"
    );
    drop(feed);
    // A sign-out on the follower ends the token on the leader too.
    let signed_out = sign_in(&http, &f).await;
    let res = http
        .post(format!("{f}/api/v1/logout"))
        .bearer_auth(&signed_out)
        .send()
        .await
        .expect("logout");
    assert_eq!(res.status().as_u16(), 204);
    let status_on = |base: String, token: String| {
        let http = http.clone();
        async move {
            http.get(format!("{base}/api/v1/org-unit/projects"))
                .bearer_auth(token)
                .send()
                .await
                .expect("read")
                .status()
                .as_u16()
        }
    };
    within(
        Duration::from_secs(3),
        "the signed-out token is refused by the leader",
        || {
            let s = status_on(l.clone(), signed_out.clone());
            async move { s.await == 401 }
        },
    )
    .await;
    // A new signing key made on the leader: its tokens work on the follower.
    let res = http
        .post(format!("{l}/api/v1/token-signing-key"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("rotate");
    assert_eq!(res.status().as_u16(), 200);
    let fresh = sign_in(&http, &l).await;
    within(
        Duration::from_secs(3),
        "the follower takes the new key's tokens",
        || {
            let s = status_on(f.clone(), fresh.clone());
            async move { s.await == 200 }
        },
    )
    .await;
    assert_eq!(
        status_on(f.clone(), token.clone()).await,
        200,
        "the old key's token still works"
    );
    // Failed sign-ins count on every server: three on the follower and two on the leader lock
    // the account out on the leader, the right password too (last: it locks this address).
    let sign_in_status = |base: String, password: &'static str| {
        let http = http.clone();
        async move {
            http.post(format!("{base}/api/v1/token"))
                .json(&json!({"grantType": "password", "username": "admin", "password": password}))
                .send()
                .await
                .expect("sign in")
                .status()
                .as_u16()
        }
    };
    for base in [&f, &f, &f, &l, &l] {
        assert_eq!(sign_in_status(base.clone(), "wrong").await, 401);
    }
    // The follower's failures reach the leader within moments.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        sign_in_status(l.clone(), support::ADMIN_PASSWORD).await,
        429,
        "the leader did not count the follower's failures"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_follower_leads_within_5_s_of_the_leaders_sigkill_and_nothing_acknowledged_is_lost() {
    on_postgres(fail_over).await;
}

async fn fail_over(url: String) {
    let http = reqwest::Client::new();
    let (leader, follower) = pair(&url, &http).await;
    let token = sign_in(&http, &follower.base).await;
    let (projects, cluster) = organization(&http, &follower.base, &token).await;
    let bases = [leader.base.clone(), follower.base.clone()];
    let leader = Arc::new(Mutex::new(Some(leader)));
    let next = Arc::new(AtomicUsize::new(0));
    let acked = Arc::new(Mutex::new(Vec::<String>::new()));
    let killed_at = Arc::new(Mutex::new(None::<Instant>));
    let mut clients = Vec::new();
    for _ in 0..CLIENTS {
        let (http, token, projects, cluster, bases) = (
            http.clone(),
            token.clone(),
            projects.clone(),
            cluster.clone(),
            bases.clone(),
        );
        let (next, acked, leader, killed_at) = (
            next.clone(),
            acked.clone(),
            leader.clone(),
            killed_at.clone(),
        );
        clients.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= SUBMISSIONS {
                    return;
                }
                let project = if i % 3 == 0 { "team-b" } else { "team-a" };
                let name = format!("burst-{i}");
                let sent = http
                    .post(format!("{}/api/v1/workloads/trainings", bases[i % 2]))
                    .bearer_auth(&token)
                    .json(&training(&name, &projects[project], &cluster))
                    .send()
                    .await;
                // Refused connections (the killed leader) are not acknowledgements.
                if sent.is_ok_and(|r| r.status().as_u16() == 202) {
                    let count = {
                        let mut acked = acked.lock().expect("acked");
                        acked.push(name);
                        acked.len()
                    };
                    if count == KILL_AFTER
                        && let Some(mut server) = leader.lock().expect("leader").take()
                    {
                        server.kill();
                        *killed_at.lock().expect("killed") = Some(Instant::now());
                    }
                }
            }
        }));
    }
    for c in clients {
        c.await.expect("client");
    }
    let killed_at = killed_at
        .lock()
        .expect("killed")
        .expect("the leader was killed");
    let f = follower.base.clone();
    // The follower leads within 5 s of the kill (it may already, while the clients finished).
    let deadline = killed_at + Duration::from_secs(5);
    loop {
        if role(&http, &f).await.as_deref() == Some("leader") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the follower did not lead within 5 s of the kill"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let acked = acked.lock().expect("acked").clone();
    assert!(
        acked.len() > KILL_AFTER,
        "only {} acknowledged",
        acked.len()
    );
    // Every acknowledged submission is there.
    let listed = all_workloads(&http, &f, &token).await;
    let names: BTreeSet<&str> = listed.iter().filter_map(|w| w["name"].as_str()).collect();
    let lost: Vec<&String> = acked
        .iter()
        .filter(|n| !names.contains(n.as_str()))
        .collect();
    assert!(lost.is_empty(), "acknowledged but lost: {lost:?}");
    // The new leader schedules: the four GPUs are busy again, and no GPU is held twice.
    within(Duration::from_secs(10), "four workloads running", || {
        let (http, token, f) = (http.clone(), token.clone(), f.clone());
        async move {
            let all = all_workloads(&http, &f, &token).await;
            all.iter().filter(|w| w["phase"] == "Running").count() == 4
        }
    })
    .await;
    assert_eq!(gpus_held_once(&url).await, 4);
    // Clear the burst away, then the walkthrough reads as always on the survivor.
    let ids: Vec<String> = listed
        .iter()
        .filter_map(|w| w["id"].as_str().map(str::to_owned))
        .collect();
    let delete_all = ids.into_iter().map(|id| {
        let (http, token, f) = (http.clone(), token.clone(), f.clone());
        async move {
            let res = http
                .delete(format!("{f}/api/v1/workloads/trainings/{id}"))
                .bearer_auth(&token)
                .send()
                .await
                .expect("delete");
            assert_eq!(res.status().as_u16(), 202);
        }
    });
    futures::StreamExt::collect::<Vec<()>>(futures::StreamExt::buffer_unordered(
        futures::stream::iter(delete_all),
        CLIENTS,
    ))
    .await;
    within(Duration::from_secs(15), "the burst is gone", || {
        let (http, token, f) = (http.clone(), token.clone(), f.clone());
        async move { all_workloads(&http, &f, &token).await.is_empty() }
    })
    .await;
    let cli = Cli::new(&f);
    tokio::task::spawn_blocking(move || walkthrough::cli_v1(&cli))
        .await
        .expect("the walkthrough");
    drop(follower);
}
