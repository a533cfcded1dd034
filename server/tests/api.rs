//! The REST router without a socket (`tower::ServiceExt::oneshot`), on a fresh SQLite store.

use axum::http::StatusCode;
use serde_json::{Value, json};
use support::app::TestApp;

mod support;

#[tokio::test]
async fn health_answers_while_the_store_does() {
    let app = TestApp::new().await;
    let (status, body) = app.call("GET", "/healthz", None, None).await;
    assert_eq!(
        (status, body),
        (StatusCode::OK, Value::String("ok: only server\n".into()))
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

#[tokio::test]
async fn admins_create_change_and_delete_departments_and_projects() {
    let app = TestApp::new().await;
    let token = app.token().await;
    let dept = json!({"name": "research", "resources": [{"nodePool": {"name": "default"}, "gpu": {"deserved": 4, "limit": -1, "overQuotaWeight": 2}}]}).to_string();
    let (status, created) = app
        .call(
            "POST",
            "/api/v1/org-unit/departments",
            Some(&token),
            Some(&dept),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(
        created["resources"][0]["gpu"],
        json!({"deserved": 4.0, "limit": -1.0, "overQuotaWeight": 2})
    );
    let dept_id = created["id"].as_str().expect("id").to_owned();
    let (status, dup) = app
        .call(
            "POST",
            "/api/v1/org-unit/departments",
            Some(&token),
            Some(&dept),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{dup}");

    let project = json!({"name": "team-c", "parentId": dept_id, "resources": [{"nodePool": {"id": "1"}, "gpu": {"deserved": 1, "limit": 2}}]});
    let (status, p) = app
        .call(
            "POST",
            "/api/v1/org-unit/projects",
            Some(&token),
            Some(&project.to_string()),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{p}");
    assert_eq!(
        (
            p["parentName"].as_str(),
            p["resources"][0]["gpu"]["limit"].as_f64()
        ),
        (Some("research"), Some(2.0))
    );
    let pid = p["id"].as_str().expect("id").to_owned();

    let bad_limit = json!({"name": "team-c", "resources": [{"nodePool": {"name": "default"}, "gpu": {"deserved": 3, "limit": 1}}]}).to_string();
    let (status, e) = app
        .call(
            "PUT",
            &format!("/api/v1/org-unit/projects/{pid}"),
            Some(&token),
            Some(&bad_limit),
        )
        .await;
    assert_eq!(
        (status, e["details"][0]["field"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("resources[0].gpu.limit")
        )
    );
    let no_pool = json!({"name": "team-c", "resources": [{"nodePool": {"name": "h100"}, "gpu": {"deserved": 1}}]}).to_string();
    let (status, e) = app
        .call(
            "PUT",
            &format!("/api/v1/org-unit/projects/{pid}"),
            Some(&token),
            Some(&no_pool),
        )
        .await;
    assert_eq!(
        (status, e["details"][0]["field"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("resources[0].nodePool")
        )
    );
    let (_, unchanged) = app
        .call(
            "GET",
            &format!("/api/v1/org-unit/projects/{pid}"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(
        unchanged["resources"][0]["gpu"]["deserved"], 1.0,
        "a refused update changes nothing"
    );

    let moved = json!({"name": "team-c", "rank": 200, "resources": [{"nodePool": {"name": "default"}, "gpu": {"deserved": 3}}]}).to_string();
    let (status, p) = app
        .call(
            "PUT",
            &format!("/api/v1/org-unit/projects/{pid}"),
            Some(&token),
            Some(&moved),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{p}");
    assert_eq!(
        (
            p["rank"].as_i64(),
            p["parentId"].as_str(),
            p["resources"][0]["gpu"]["deserved"].as_f64()
        ),
        (Some(200), None, Some(3.0))
    );

    let (_, list) = app
        .call("GET", "/api/v1/org-unit/departments", Some(&token), None)
        .await;
    assert_eq!(list["departments"][0]["name"], "research");
    let (status, _) = app
        .call(
            "DELETE",
            &format!("/api/v1/org-unit/projects/{pid}"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app
        .call(
            "DELETE",
            &format!("/api/v1/org-unit/departments/{dept_id}"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app
        .call("DELETE", "/api/v1/org-unit/projects/1", Some(&token), None)
        .await;
    assert_eq!(
        status,
        StatusCode::NO_CONTENT,
        "team-a has no workloads yet"
    );
}

#[tokio::test]
async fn assets_in_run_ai_shapes_and_in_use_ones_are_not_deleted() {
    let app = TestApp::new().await;
    let token = app.token().await;
    let env = json!({"meta": {"name": "quickstart", "scope": "cluster"}, "spec": {"image": "runai.jfrog.io/demo/quickstart",
        "command": "python train.py", "args": "--epochs 3", "environmentVariables": [{"name": "LR", "value": "0.1"}]}})
    .to_string();
    let (status, e) = app
        .call(
            "POST",
            "/api/v1/asset/environment",
            Some(&token),
            Some(&env),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{e}");
    assert_eq!(
        (
            e["spec"]["command"].as_str(),
            e["spec"]["environmentVariables"][0]["value"].as_str()
        ),
        (Some("python train.py"), Some("0.1"))
    );
    let env_id = e["meta"]["id"].as_str().expect("id").to_owned();
    let one = json!({"meta": {"name": "one-gpu", "scope": "project", "projectId": "1"}, "spec": {"gpuDevicesRequest": 1}}).to_string();
    let (status, c) = app
        .call("POST", "/api/v1/asset/compute", Some(&token), Some(&one))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    assert_eq!(
        (
            c["spec"]["cpuCoreRequest"].as_f64(),
            c["meta"]["projectId"].as_str()
        ),
        (Some(0.1), Some("1"))
    );
    let compute_id = c["meta"]["id"].as_str().expect("id").to_owned();
    let (status, e) = app
        .call(
            "POST",
            "/api/v1/asset/compute",
            Some(&token),
            Some(&json!({"meta": {"name": "x", "scope": "project"}, "spec": {}}).to_string()),
        )
        .await;
    assert_eq!(
        (status, e["details"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("meta.projectId"))
    );
    let t = json!({"meta": {"name": "train", "scope": "cluster"}, "spec": {"workloadType": "training"}, "assets": {"environment": env_id, "compute": compute_id}}).to_string();
    let (status, t) = app
        .call(
            "POST",
            "/api/v1/asset/workload-template",
            Some(&token),
            Some(&t),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{t}");
    // A training from the template alone takes its image and compute.
    let body = json!({"name": "from-template", "projectId": "1", "clusterId": app.rota.cluster_uuid, "templateId": t["meta"]["id"]}).to_string();
    let (status, w) = app
        .call(
            "POST",
            "/api/v1/workloads/trainings",
            Some(&token),
            Some(&body),
        )
        .await;
    assert_eq!(
        (status, w["requestedGpus"].as_f64()),
        (StatusCode::ACCEPTED, Some(1.0)),
        "{w}"
    );
    let (status, refused) = app
        .call(
            "DELETE",
            &format!("/api/v1/asset/environment/{env_id}"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        refused["message"]
            .as_str()
            .is_some_and(|m| m.contains("train")),
        "{refused}"
    );
    let (_, list) = app
        .call("GET", "/api/v1/asset/environment", Some(&token), None)
        .await;
    assert_eq!(list["entries"].as_array().map(Vec::len), Some(1));
    let edited = json!({"meta": {"name": "quickstart-2", "scope": "cluster"}, "spec": {"image": "runai.jfrog.io/demo/quickstart:2"}}).to_string();
    let (status, e) = app
        .call(
            "PUT",
            &format!("/api/v1/asset/environment/{env_id}"),
            Some(&token),
            Some(&edited),
        )
        .await;
    assert_eq!(
        (status, e["spec"]["image"].as_str()),
        (StatusCode::OK, Some("runai.jfrog.io/demo/quickstart:2"))
    );
}
