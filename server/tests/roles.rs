//! Every endpoint against every role: admin (everything), researcher (workloads of the projects
//! assigned to them), viewer (read only), and no token at all.

use axum::http::StatusCode;
use serde_json::{Value, json};
use support::app::TestApp;

mod support;

struct Callers {
    admin: String,
    researcher: String,
    viewer: String,
}

async fn callers(app: &TestApp) -> Callers {
    let admin = app.token().await;
    for (name, role, projects) in [
        ("rita", "researcher", json!(["team-a"])),
        ("vic", "viewer", json!([])),
    ] {
        let body = json!({"username": name, "password": "long-enough", "role": role, "projects": projects}).to_string();
        let (status, got) = app
            .call("POST", "/api/v1/users", Some(&admin), Some(&body))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{got}");
    }
    Callers {
        admin,
        researcher: app.token_for("rita", "long-enough").await,
        viewer: app.token_for("vic", "long-enough").await,
    }
}

fn training(app: &TestApp, name: &str, project: &str) -> String {
    json!({"name": name, "projectId": project, "clusterId": app.rota.cluster_uuid,
           "spec": {"image": "gcr.io/run-ai-demo/quickstart", "compute": {"gpuDevicesRequest": 1}}})
    .to_string()
}

/// Calls `method path` as each caller and checks the statuses: [admin, researcher, viewer, none].
async fn expect(
    app: &TestApp,
    who: &Callers,
    method: &str,
    path: &str,
    body: Option<&str>,
    want: [u16; 4],
) -> [Value; 4] {
    let tokens = [
        Some(who.admin.as_str()),
        Some(who.researcher.as_str()),
        Some(who.viewer.as_str()),
        None,
    ];
    let mut out: [Value; 4] = Default::default();
    for (i, (token, want)) in tokens.into_iter().zip(want).enumerate() {
        let (status, got) = app.call(method, path, token, body).await;
        let role = ["admin", "researcher", "viewer", "anonymous"][i];
        assert_eq!(status.as_u16(), want, "{role} {method} {path}: {got}");
        if status.is_client_error() {
            assert!(
                got["code"].is_string() && got["message"].is_string(),
                "{role} {method} {path}: error body {got}"
            );
        }
        out[i] = got;
    }
    out
}

/// DELETE `path` as everyone but the admin (refused: 403, 403, 401), then as the admin.
async fn only_the_admin_deletes(app: &TestApp, who: &Callers, path: &str, admin_gets: StatusCode) {
    let others = [
        (Some(who.researcher.as_str()), 403),
        (Some(who.viewer.as_str()), 403),
        (None, 401),
    ];
    for (token, want) in others {
        let (status, body) = app.call("DELETE", path, token, None).await;
        assert_eq!(status.as_u16(), want, "DELETE {path}: {body}");
    }
    let (status, body) = app.call("DELETE", path, Some(&who.admin), None).await;
    assert_eq!(status, admin_gets, "admin DELETE {path}: {body}");
}

#[tokio::test]
async fn every_endpoint_answers_each_role_as_it_may() {
    let app = TestApp::new().await;
    let who = callers(&app).await;
    expect(&app, &who, "GET", "/healthz", None, [200, 200, 200, 200]).await;
    expect(
        &app,
        &who,
        "GET",
        "/api/v1/org-unit/projects",
        None,
        [200, 200, 200, 401],
    )
    .await;
    expect(
        &app,
        &who,
        "GET",
        "/api/v1/workloads",
        None,
        [200, 200, 200, 401],
    )
    .await;

    // Submitting: the researcher only in team-a (project 1); the viewer never.
    for (i, name) in ["w-admin", "w-res", "w-view", "w-anon"].iter().enumerate() {
        let mut want = [403, 403, 403, 401];
        want[i] = if i == 3 {
            401
        } else if i == 2 {
            403
        } else {
            202
        };
        let tokens = [
            Some(who.admin.as_str()),
            Some(who.researcher.as_str()),
            Some(who.viewer.as_str()),
            None,
        ];
        let (status, got) = app
            .call(
                "POST",
                "/api/v1/workloads/trainings",
                tokens[i],
                Some(&training(&app, name, "1")),
            )
            .await;
        assert_eq!(status.as_u16(), want[i], "{name}: {got}");
    }
    expect(
        &app,
        &who,
        "POST",
        "/api/v1/workloads/trainings",
        Some(&training(&app, "b-any", "2")),
        [202, 403, 403, 401],
    )
    .await;
    expect(
        &app,
        &who,
        "POST",
        "/api/v1/workloads/workspaces",
        Some(&training(&app, "ws-b", "2")),
        [202, 403, 403, 401],
    )
    .await;
    expect(
        &app,
        &who,
        "POST",
        "/api/v1/workloads/preview",
        Some(&training(&app, "p", "1")),
        [200, 200, 403, 401],
    )
    .await;
    // A distributed training: team-b's is the admin's alone.
    let distributed = json!({"name": "d-b", "projectId": "2", "clusterId": app.rota.cluster_uuid,
        "spec": {"image": "pytorch/pytorch", "distributedFramework": "PyTorch", "numWorkers": 1}})
    .to_string();
    expect(
        &app,
        &who,
        "POST",
        "/api/v1/workloads/distributed",
        Some(&distributed),
        [202, 403, 403, 401],
    )
    .await;

    let (_, list) = app
        .call("GET", "/api/v1/workloads", Some(&who.admin), None)
        .await;
    let id_of = |name: &str| {
        list["workloads"]
            .as_array()
            .and_then(|w| w.iter().find(|w| w["name"] == name))
            .expect("listed")["id"]
            .as_str()
            .expect("id")
            .to_owned()
    };
    let res_id = id_of("w-res");
    expect(
        &app,
        &who,
        "GET",
        &format!("/api/v1/workloads/trainings/{res_id}"),
        None,
        [200, 200, 200, 401],
    )
    .await;
    expect(
        &app,
        &who,
        "GET",
        &format!("/api/v1/workloads/{res_id}/events"),
        None,
        [200, 200, 200, 401],
    )
    .await;
    expect(
        &app,
        &who,
        "GET",
        &format!("/api/v1/workloads/{res_id}/pods"),
        None,
        [200, 200, 200, 401],
    )
    .await;
    // Rotating the token signing key is the admin's (the old key still verifies the others).
    expect(
        &app,
        &who,
        "POST",
        "/api/v1/token-signing-key",
        None,
        [200, 403, 403, 401],
    )
    .await;
    // Deleting: the viewer and a stranger may not; the researcher may in team-a; a team-b
    // workload is the admin's alone.
    let b_id = id_of("b-any");
    let (status, _) = app
        .call(
            "DELETE",
            &format!("/api/v1/workloads/trainings/{b_id}"),
            Some(&who.researcher),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app
        .call(
            "DELETE",
            &format!("/api/v1/workloads/trainings/{res_id}"),
            Some(&who.viewer),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app
        .call(
            "DELETE",
            &format!("/api/v1/workloads/trainings/{res_id}"),
            None,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = app
        .call(
            "DELETE",
            &format!("/api/v1/workloads/trainings/{res_id}"),
            Some(&who.researcher),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let (status, _) = app
        .call(
            "DELETE",
            &format!("/api/v1/workloads/trainings/{b_id}"),
            Some(&who.admin),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);

    // Applications: admin apps for admins; every user may make their own.
    let app_body = |name: &str| json!({"name": name}).to_string();
    expect(
        &app,
        &who,
        "POST",
        "/api/v1/apps",
        Some(&app_body("ci")),
        [201, 403, 403, 401],
    )
    .await;
    let created = expect(
        &app,
        &who,
        "POST",
        "/api/v1/user-applications",
        Some(&app_body("mine")),
        [201, 409, 409, 401],
    )
    .await;
    assert!(
        created[0]["secret"].is_string(),
        "the secret is shown once: {}",
        created[0]
    );
    let (_, rita_app) = app
        .call(
            "POST",
            "/api/v1/user-applications",
            Some(&who.researcher),
            Some(&app_body("rita-app")),
        )
        .await;
    expect(
        &app,
        &who,
        "GET",
        "/api/v1/apps",
        None,
        [200, 200, 200, 401],
    )
    .await;
    let (_, rita_list) = app
        .call(
            "GET",
            "/api/v1/user-applications",
            Some(&who.researcher),
            None,
        )
        .await;
    assert_eq!(
        rita_list.as_array().map(Vec::len),
        Some(1),
        "a researcher sees only their own: {rita_list}"
    );
    assert!(rita_list[0]["secret"].is_null(), "never shown again");
    expect(
        &app,
        &who,
        "POST",
        "/api/v1/users",
        Some(&json!({"username": "x", "password": "long-enough", "role": "viewer"}).to_string()),
        [201, 403, 403, 401],
    )
    .await;
    let users = expect(
        &app,
        &who,
        "GET",
        "/api/v1/users",
        None,
        [200, 403, 403, 401],
    )
    .await;
    let x = users[0]
        .as_array()
        .and_then(|us| us.iter().find(|u| u["username"] == "x"))
        .and_then(|u| u["id"].as_str())
        .expect("x listed")
        .to_owned();
    only_the_admin_deletes(
        &app,
        &who,
        &format!("/api/v1/users/{x}"),
        StatusCode::NO_CONTENT,
    )
    .await;

    // Org units: admins create and change them; everyone reads.
    for (i, name) in ["org-a", "org-r", "org-v", "org-n"].iter().enumerate() {
        let body = json!({"name": name, "resources": []}).to_string();
        let tokens = [
            Some(who.admin.as_str()),
            Some(who.researcher.as_str()),
            Some(who.viewer.as_str()),
            None,
        ];
        let (status, _) = app
            .call(
                "POST",
                "/api/v1/org-unit/departments",
                tokens[i],
                Some(&body),
            )
            .await;
        assert_eq!(
            status.as_u16(),
            [201, 403, 403, 401][i],
            "department by caller {i}"
        );
        let (status, _) = app
            .call("POST", "/api/v1/org-unit/projects", tokens[i], Some(&body))
            .await;
        assert_eq!(
            status.as_u16(),
            [201, 403, 403, 401][i],
            "project by caller {i}"
        );
    }
    expect(
        &app,
        &who,
        "GET",
        "/api/v1/org-unit/departments",
        None,
        [200, 200, 200, 401],
    )
    .await;
    expect(
        &app,
        &who,
        "GET",
        "/api/v1/org-unit/projects/1",
        None,
        [200, 200, 200, 401],
    )
    .await;
    let change = json!({"name": "team-b", "resources": [{"nodePool": {"name": "default"}, "gpu": {"deserved": 2}}]}).to_string();
    expect(
        &app,
        &who,
        "PUT",
        "/api/v1/org-unit/projects/2",
        Some(&change),
        [200, 403, 403, 401],
    )
    .await;
    expect(
        &app,
        &who,
        "GET",
        "/api/v1/clusters",
        None,
        [200, 200, 200, 401],
    )
    .await;
    expect(
        &app,
        &who,
        "GET",
        "/api/v1/nodes",
        None,
        [200, 200, 200, 401],
    )
    .await;
    // The Overview's history: everyone signed in; a range that is none is refused by name.
    expect(
        &app,
        &who,
        "GET",
        "/api/v1/overview?range=day",
        None,
        [200, 200, 200, 401],
    )
    .await;
    let [refused, ..] = expect(
        &app,
        &who,
        "GET",
        "/api/v1/overview?range=month",
        None,
        [422, 422, 422, 401],
    )
    .await;
    assert_eq!(refused["details"][0]["field"], "range", "{refused}");
    // Time-based fair share: everyone signed in reads it, only the admin changes it.
    expect(
        &app,
        &who,
        "GET",
        "/api/v1/settings/fair-share",
        None,
        [200, 200, 200, 401],
    )
    .await;
    let settings = json!({"kValue": 0.5, "windowSize": "24h"}).to_string();
    expect(
        &app,
        &who,
        "PUT",
        "/api/v1/settings/fair-share",
        Some(&settings),
        [200, 403, 403, 401],
    )
    .await;
    expect(
        &app,
        &who,
        "GET",
        "/api/v1/node-pools",
        None,
        [200, 200, 200, 401],
    )
    .await;
    expect(&app, &who, "GET", "/metrics", None, [200, 200, 200, 200]).await;
    expect(
        &app,
        &who,
        "GET",
        "/api/openapi.json",
        None,
        [200, 200, 200, 200],
    )
    .await;

    // Assets: admins anywhere; a researcher only in their own project; a viewer reads.
    let scopes = [
        json!({"scope": "cluster"}),
        json!({"scope": "project", "projectId": "1"}),
        json!({"scope": "project", "projectId": "2"}),
    ];
    for (i, scope) in scopes.iter().enumerate() {
        let mut meta = scope.clone();
        meta["name"] = json!(format!("env-{i}"));
        let body = json!({"meta": meta, "spec": {"image": "img"}}).to_string();
        // In project 1 the researcher passes the role check and meets the admin's asset of that name.
        let want = if i == 1 {
            [201, 409, 403, 401]
        } else {
            [201, 403, 403, 401]
        };
        expect(
            &app,
            &who,
            "POST",
            "/api/v1/asset/environment",
            Some(&body),
            want,
        )
        .await;
    }
    let mine = json!({"meta": {"name": "rita-env", "scope": "project", "projectId": "1"}, "spec": {"image": "img"}}).to_string();
    let (status, _) = app
        .call(
            "POST",
            "/api/v1/asset/environment",
            Some(&who.researcher),
            Some(&mine),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "a researcher creates assets in their own project"
    );
    for path in [
        "/api/v1/asset/environment",
        "/api/v1/asset/compute",
        "/api/v1/asset/workload-template",
    ] {
        expect(&app, &who, "GET", path, None, [200, 200, 200, 401]).await;
    }
    let compute =
        json!({"meta": {"name": "c", "scope": "cluster"}, "spec": {"gpuDevicesRequest": 1}})
            .to_string();
    expect(
        &app,
        &who,
        "POST",
        "/api/v1/asset/compute",
        Some(&compute),
        [201, 403, 403, 401],
    )
    .await;
    let (_, c) = app.call("POST", "/api/v1/asset/compute", Some(&who.admin), Some(&json!({"meta": {"name": "c2", "scope": "cluster"}, "spec": {"gpuDevicesRequest": 2}}).to_string())).await;
    let c_id = c["meta"]["id"].as_str().expect("id").to_owned();
    let (_, e) = app
        .call("GET", "/api/v1/asset/environment", Some(&who.admin), None)
        .await;
    let env_id = e["entries"][0]["meta"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let template = json!({"meta": {"name": "t", "scope": "cluster"}, "assets": {"environment": env_id, "compute": c_id}}).to_string();
    let made = expect(
        &app,
        &who,
        "POST",
        "/api/v1/asset/workload-template",
        Some(&template),
        [201, 403, 403, 401],
    )
    .await;
    let t_id = made[0]["meta"]["id"].as_str().expect("id").to_owned();
    let renamed =
        json!({"meta": {"name": "c3", "scope": "cluster"}, "spec": {"gpuDevicesRequest": 1}})
            .to_string();
    // Non-admins are refused before anything changes; the admin's call goes through.
    expect(
        &app,
        &who,
        "PUT",
        &format!("/api/v1/asset/compute/{c_id}"),
        Some(&renamed),
        [200, 403, 403, 401],
    )
    .await;
    let env_body =
        json!({"meta": {"name": "env-x", "scope": "cluster"}, "spec": {"image": "img2"}})
            .to_string();
    expect(
        &app,
        &who,
        "PUT",
        &format!("/api/v1/asset/environment/{env_id}"),
        Some(&env_body),
        [200, 403, 403, 401],
    )
    .await;
    let retyped = json!({"meta": {"name": "t2", "scope": "cluster"}, "spec": {"workloadType": "workspace"}, "assets": {"environment": env_id, "compute": c_id}}).to_string();
    let changed = expect(
        &app,
        &who,
        "PUT",
        &format!("/api/v1/asset/workload-template/{t_id}"),
        Some(&retyped),
        [200, 403, 403, 401],
    )
    .await;
    assert_eq!(changed[0]["meta"]["name"], "t2");
    assert_eq!(changed[0]["spec"]["workloadType"], "workspace");
    only_the_admin_deletes(
        &app,
        &who,
        &format!("/api/v1/asset/workload-template/{t_id}"),
        StatusCode::NO_CONTENT,
    )
    .await;
    only_the_admin_deletes(
        &app,
        &who,
        &format!("/api/v1/asset/compute/{c_id}"),
        StatusCode::NO_CONTENT,
    )
    .await;

    // Departments and projects are changed and deleted by admins alone.
    let (_, depts) = app
        .call(
            "GET",
            "/api/v1/org-unit/departments",
            Some(&who.admin),
            None,
        )
        .await;
    let d_id = depts["departments"][0]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let d_body = json!({"name": "org-a2", "resources": []}).to_string();
    expect(
        &app,
        &who,
        "PUT",
        &format!("/api/v1/org-unit/departments/{d_id}"),
        Some(&d_body),
        [200, 403, 403, 401],
    )
    .await;
    only_the_admin_deletes(
        &app,
        &who,
        &format!("/api/v1/org-unit/departments/{d_id}"),
        StatusCode::NO_CONTENT,
    )
    .await;
    let (_, projects) = app
        .call("GET", "/api/v1/org-unit/projects", Some(&who.admin), None)
        .await;
    let p_id = projects["projects"]
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["name"] == "org-a"))
        .expect("org-a")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    only_the_admin_deletes(
        &app,
        &who,
        &format!("/api/v1/org-unit/projects/{p_id}"),
        StatusCode::NO_CONTENT,
    )
    .await;

    // An application acts with its owner's role: rita's app submits to team-a, not team-b.
    let grant = json!({"grantType": "app_token", "AppId": rita_app["clientId"], "AppSecret": rita_app["secret"]}).to_string();
    let (status, token) = app.call("POST", "/api/v1/token", None, Some(&grant)).await;
    assert_eq!(status, StatusCode::OK, "{token}");
    let app_token = token["accessToken"].as_str().expect("token").to_owned();
    let (status, _) = app
        .call(
            "POST",
            "/api/v1/workloads/trainings",
            Some(&app_token),
            Some(&training(&app, "by-app", "1")),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let (status, _) = app
        .call(
            "POST",
            "/api/v1/workloads/trainings",
            Some(&app_token),
            Some(&training(&app, "by-app", "2")),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let client =
        json!({"grantType": "client_credentials", "clientId": "ci", "clientSecret": "wrong"})
            .to_string();
    let (status, _) = app.call("POST", "/api/v1/token", None, Some(&client)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // Revoked: the secret stops working.
    let (status, _) = app
        .call(
            "DELETE",
            &format!(
                "/api/v1/user-applications/{}",
                rita_app["id"].as_str().expect("id")
            ),
            Some(&who.researcher),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app.call("POST", "/api/v1/token", None, Some(&grant)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn repeated_failed_sign_ins_are_slowed_down() {
    let app = TestApp::new().await;
    let wrong =
        json!({"grantType": "password", "username": "admin", "password": "nope"}).to_string();
    for _ in 0..5 {
        let (status, _) = app.call("POST", "/api/v1/token", None, Some(&wrong)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, body) = app.call("POST", "/api/v1/token", None, Some(&wrong)).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("too many failed sign-ins for admin"))
    );
    let right = json!({"grantType": "password", "username": "admin", "password": "pw"}).to_string();
    let (status, _) = app.call("POST", "/api/v1/token", None, Some(&right)).await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "even the right password waits out the window"
    );
}

#[tokio::test]
async fn an_app_secret_is_rotated_and_the_old_one_stops_working_at_once() {
    let app = TestApp::new().await;
    let admin = app.token().await;
    let (status, created) = app
        .call(
            "POST",
            "/api/v1/apps",
            Some(&admin),
            Some(r#"{"name":"ci"}"#),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().expect("id").to_owned();
    let grant = |secret: &str| {
        json!({"grantType": "client_credentials", "clientId": "ci", "clientSecret": secret})
            .to_string()
    };
    let old = created["secret"].as_str().expect("secret").to_owned();
    let (status, _) = app
        .call("POST", "/api/v1/token", None, Some(&grant(&old)))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, rotated) = app
        .call(
            "POST",
            &format!("/api/v1/apps/{id}/secret"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{rotated}");
    let new = rotated["secret"].as_str().expect("a new secret").to_owned();
    assert_ne!(new, old);
    assert_eq!(rotated["id"], id.as_str());
    let (status, _) = app
        .call("POST", "/api/v1/token", None, Some(&grant(&old)))
        .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the old secret is refused"
    );
    let (status, _) = app
        .call("POST", "/api/v1/token", None, Some(&grant(&new)))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app
        .call(
            "POST",
            "/api/v1/users",
            Some(&admin),
            Some(r#"{"username":"rita","password":"rita-pass-1","role":"researcher","projects":["team-a"]}"#),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let rita = app.token_for("rita", "rita-pass-1").await;
    let (status, body) = app
        .call(
            "POST",
            &format!("/api/v1/user-applications/{id}/secret"),
            Some(&rita),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "not rita's: {body}");
    let (status, _) = app
        .call("POST", "/api/v1/token", None, Some(&grant(&new)))
        .await;
    assert_eq!(status, StatusCode::OK, "a refused rotation changes nothing");
}

#[tokio::test]
async fn a_user_changes_their_password_with_the_current_one() {
    let app = TestApp::new().await;
    let admin = app.token().await;
    let (status, _) = app
        .call(
            "POST",
            "/api/v1/users",
            Some(&admin),
            Some(r#"{"username":"rita","password":"rita-pass-1","role":"researcher","projects":["team-a"]}"#),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let rita = app.token_for("rita", "rita-pass-1").await;
    let change = |current: &str, new: &str| {
        json!({"currentPassword": current, "newPassword": new}).to_string()
    };
    let (status, body) = app
        .call(
            "POST",
            "/api/v1/me/password",
            Some(&rita),
            Some(&change("not-it-at-all", "rita-pass-2")),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["details"][0]["field"], "currentPassword", "{body}");
    let (status, body) = app
        .call(
            "POST",
            "/api/v1/me/password",
            Some(&rita),
            Some(&change("rita-pass-1", "short")),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["details"][0]["field"], "newPassword", "{body}");
    app.token_for("rita", "rita-pass-1").await;
    let (status, body) = app
        .call(
            "POST",
            "/api/v1/me/password",
            Some(&rita),
            Some(&change("rita-pass-1", "rita-pass-2")),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let old =
        json!({"grantType": "password", "username": "rita", "password": "rita-pass-1"}).to_string();
    let (status, _) = app.call("POST", "/api/v1/token", None, Some(&old)).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the old password is refused"
    );
    app.token_for("rita", "rita-pass-2").await;
    // An application acting for rita cannot change her password.
    let (status, created) = app
        .call(
            "POST",
            "/api/v1/user-applications",
            Some(&rita),
            Some(r#"{"name":"rita-ci"}"#),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let grant = json!({"grantType": "client_credentials", "clientId": "rita-ci", "clientSecret": created["secret"]}).to_string();
    let (status, token) = app.call("POST", "/api/v1/token", None, Some(&grant)).await;
    assert_eq!(status, StatusCode::OK);
    let app_token = token["accessToken"].as_str().expect("token").to_owned();
    let (status, _) = app
        .call(
            "POST",
            "/api/v1/me/password",
            Some(&app_token),
            Some(&change("rita-pass-2", "rita-pass-3")),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
