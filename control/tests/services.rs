//! The services and the scheduling loop against a real store, on SQLite and on PostgreSQL.

mod support;

use rota_api::ErrorCode;
use rota_api::wire::{EnvironmentSpec, EnvironmentVariable, TokenRequest};
use rota_control::ControlError;
use rota_control::auth::{Principal, Role};
use rota_control::cluster_file::ClusterFile;
use rota_control::services::assets::{self, ComputeInput, Scope};
use rota_control::services::org::{self, QuotaChange};
use rota_control::services::workloads::{self, ListFilter};
use rota_control::services::{Rota, session};
use rota_control::store::entity::{event, workload};
use sea_orm::{EntityTrait, PaginatorTrait};
use support::{admin, quickstart, training};

async fn phases(rota: &Rota) -> Vec<(String, String, u32, f64)> {
    workloads::list(rota, &ListFilter::default())
        .await
        .expect("lists")
        .into_iter()
        .map(|w| (w.name, w.phase, w.running_pods, w.allocated_gpus))
        .collect()
}

fn row(name: &str, phase: &str, pods: u32, gpus: f64) -> (String, String, u32, f64) {
    (name.into(), phase.into(), pods, gpus)
}

fn image(image: &str) -> EnvironmentSpec {
    EnvironmentSpec {
        image: image.into(),
        ..EnvironmentSpec::default()
    }
}

fn var(name: &str, value: &str) -> EnvironmentVariable {
    EnvironmentVariable {
        name: name.into(),
        value: value.into(),
    }
}

fn code(e: ControlError) -> ErrorCode {
    e.to_api().code
}

on_both!(
    first_start_seeds_the_walkthrough_and_a_restart_seeds_nothing,
    |store, _url| async move {
        let file = ClusterFile::load(None).expect("file");
        let exec = std::sync::Arc::new(rota_control::executor::Simulated);
        let (rota, _, seeded) = Rota::start(
            store.clone(),
            &file,
            None,
            exec.clone(),
            support::test_logs(),
        )
        .await
        .expect("first start");
        assert!(seeded.first_start);
        let password = seeded
            .generated_password
            .expect("a password is generated when none is given");
        let projects = org::list_projects(&rota).await.expect("projects");
        let names: Vec<&str> = projects.projects.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["team-a", "team-b"]);
        for p in &projects.projects {
            assert_eq!(p.resources.len(), 1);
            assert_eq!(p.resources[0].node_pool.name, "default");
            assert_eq!(p.resources[0].gpu.deserved, 2.0);
            assert_eq!(p.resources[0].gpu.limit, -1.0);
        }
        let (again, _, seeded) = Rota::start(
            store.clone(),
            &file,
            Some("other"),
            exec,
            support::test_logs(),
        )
        .await
        .expect("second start");
        assert!(!seeded.first_start);
        assert_eq!(seeded.generated_password, None);
        assert_eq!(
            org::list_projects(&again)
                .await
                .expect("projects")
                .projects
                .len(),
            2
        );
        assert_eq!(again.cluster_uuid, rota.cluster_uuid);
        // The first password still signs in; the second start did not replace it.
        let token = session::token(
            &again,
            &TokenRequest {
                grant_type: "password".into(),
                username: Some("admin".into()),
                password: Some(password),
                ..TokenRequest::default()
            },
            None,
        )
        .await
        .expect("the generated password works");
        // Tokens are signed with a key kept in the store: the first process's signer accepts it.
        assert_eq!(
            rota.authenticate(&token.access_token)
                .expect("valid across restarts")
                .role,
            Role::Admin
        );
    }
);

on_both!(
    the_walkthrough_runs_through_the_services_and_the_loop,
    |store, _url| async move {
        let (rota, control) = quickstart(store).await;
        let who = admin();
        for (name, project, gpus) in [
            ("a2", "team-a", 2.0),
            ("a1", "team-a", 1.0),
            ("b1", "team-b", 1.0),
        ] {
            let w = workloads::submit(&rota, &who, training(&rota, name, project, gpus))
                .await
                .expect("submitted");
            assert_eq!(w.phase, "Pending");
        }
        control.settle().await.expect("settles");
        assert_eq!(
            phases(&rota).await,
            [
                row("a2", "Running", 1, 2.0),
                row("a1", "Running", 1, 1.0),
                row("b1", "Running", 1, 1.0)
            ]
        );

        workloads::submit(&rota, &who, training(&rota, "b2", "team-b", 1.0))
            .await
            .expect("submitted");
        control.settle().await.expect("settles");
        assert_eq!(
            phases(&rota).await,
            [
                row("a2", "Running", 1, 2.0),
                row("a1", "Pending", 0, 0.0),
                row("b1", "Running", 1, 1.0),
                row("b2", "Running", 1, 1.0)
            ]
        );
        let a1 = workloads::get(&rota, "team-a/a1").await.expect("a1");
        assert!(
            a1.phase_reason
                .as_deref()
                .is_some_and(|r| r.contains("fair share")),
            "{a1:?}"
        );
        let history = workloads::events(&rota, "team-a/a1").await.expect("events");
        let kinds: Vec<&str> = history.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(
            &kinds[..4],
            ["Submitted", "Scheduled", "Running", "Preempted"],
            "{history:?}"
        );
        assert!(
            history[3]
                .message
                .contains("team-b reclaimed its fair share of GPUs for b2"),
            "{history:?}"
        );

        workloads::delete(&rota, &who, "team-a/a2")
            .await
            .expect("deleted");
        control.settle().await.expect("settles");
        assert_eq!(
            phases(&rota).await,
            [
                row("a1", "Running", 1, 1.0),
                row("b1", "Running", 1, 1.0),
                row("b2", "Running", 1, 1.0)
            ]
        );

        workloads::delete(&rota, &who, "team-b/b1")
            .await
            .expect("deleted");
        workloads::submit(&rota, &who, training(&rota, "a2", "team-a", 2.0))
            .await
            .expect("the name is free again");
        control.settle().await.expect("settles");
        let rows = phases(&rota).await;
        assert_eq!(
            rows,
            [
                row("a1", "Running", 1, 1.0),
                row("b2", "Running", 1, 1.0),
                row("a2", "Running", 1, 2.0)
            ]
        );
        // Consolidation moved one 1-GPU training so the 2-GPU one has a node to itself.
        let all = workloads::list(&rota, &ListFilter::default())
            .await
            .expect("list");
        let a2 = all.iter().find(|w| w.name == "a2").expect("a2");
        assert!(
            all.iter()
                .filter(|w| w.name != "a2")
                .all(|w| w.nodes != a2.nodes),
            "{all:?}"
        );
    }
);

on_both!(
    submissions_are_checked_and_a_refusal_writes_nothing,
    |store, _url| async move {
        let (rota, _control) = quickstart(store).await;
        let who = admin();
        let before = workload::Entity::find()
            .count(&rota.store.db)
            .await
            .expect("count");
        let bad_name = workloads::submit(&rota, &who, training(&rota, "A_1", "team-a", 1.0))
            .await
            .unwrap_err();
        assert_eq!(code(bad_name), ErrorCode::Invalid);
        let e = workloads::submit(&rota, &who, training(&rota, "x", "team-z", 1.0))
            .await
            .unwrap_err()
            .to_api();
        assert_eq!(
            (e.code, e.details[0].field.as_str()),
            (ErrorCode::Invalid, "projectId")
        );
        let e = workloads::submit(&rota, &who, training(&rota, "x", "team-a", -2.0))
            .await
            .unwrap_err()
            .to_api();
        assert_eq!(e.details[0].field, "spec.compute.gpuDevicesRequest");
        let mut no_image = training(&rota, "x", "team-a", 1.0);
        no_image.request.spec.image = " ".into();
        assert_eq!(
            workloads::submit(&rota, &who, no_image)
                .await
                .unwrap_err()
                .to_api()
                .details[0]
                .field,
            "spec.image"
        );
        let mut wrong_cluster = training(&rota, "x", "team-a", 1.0);
        wrong_cluster.request.cluster_id = "elsewhere".into();
        assert_eq!(
            workloads::submit(&rota, &who, wrong_cluster)
                .await
                .unwrap_err()
                .to_api()
                .details[0]
                .field,
            "clusterId"
        );
        assert_eq!(
            workload::Entity::find()
                .count(&rota.store.db)
                .await
                .expect("count"),
            before,
            "nothing written"
        );

        workloads::submit(&rota, &who, training(&rota, "dup", "team-a", 1.0))
            .await
            .expect("first");
        let again = workloads::submit(&rota, &who, training(&rota, "dup", "team-a", 1.0))
            .await
            .unwrap_err();
        assert_eq!(code(again), ErrorCode::Conflict);
        workloads::submit(&rota, &who, training(&rota, "dup", "team-b", 1.0))
            .await
            .expect("another project may use the name");
        assert_eq!(
            workload::Entity::find()
                .count(&rota.store.db)
                .await
                .expect("count"),
            before + 2
        );
        let viewer = Principal {
            user_id: None,
            name: "v".into(),
            role: Role::Viewer,
        };
        assert_eq!(
            code(
                workloads::submit(&rota, &viewer, training(&rota, "v1", "team-a", 1.0))
                    .await
                    .unwrap_err()
            ),
            ErrorCode::Forbidden
        );
    }
);

on_both!(
    wrong_credentials_get_401_and_right_ones_a_token,
    |store, _url| async move {
        let (rota, _control) = quickstart(store).await;
        let ask = |password: &str| TokenRequest {
            grant_type: "password".into(),
            username: Some("admin".into()),
            password: Some(password.into()),
            ..TokenRequest::default()
        };
        let wrong = session::token(&rota, &ask("nope"), None).await.unwrap_err();
        assert_eq!(code(wrong), ErrorCode::Unauthorized);
        let token = session::token(&rota, &ask(support::ADMIN_PASSWORD), None)
            .await
            .expect("token");
        let who = rota.authenticate(&token.access_token).expect("verifies");
        assert_eq!((who.name.as_str(), who.role), ("admin", Role::Admin));
        let odd = TokenRequest {
            grant_type: "magic".into(),
            ..TokenRequest::default()
        };
        assert_eq!(
            code(session::token(&rota, &odd, None).await.unwrap_err()),
            ErrorCode::Invalid
        );
    }
);

on_both!(
    a_quota_edit_changes_what_the_next_cycle_does,
    |store, _url| async move {
        let (rota, control) = quickstart(store).await;
        let who = admin();
        let limit = QuotaChange {
            node_pool: "default".into(),
            deserved: 1.0,
            limit: Some(1.0),
            over_quota_weight: None,
            rank: None,
        };
        let edited = org::set_project_quota(&rota, &who, "team-a", &limit)
            .await
            .expect("admin may");
        assert_eq!(
            (
                edited.resources[0].gpu.deserved,
                edited.resources[0].gpu.limit
            ),
            (1.0, 1.0)
        );
        workloads::submit(&rota, &who, training(&rota, "a1", "team-a", 1.0))
            .await
            .expect("a1");
        workloads::submit(&rota, &who, training(&rota, "a2", "team-a", 1.0))
            .await
            .expect("a2");
        control.settle().await.expect("settles");
        let a2 = workloads::get(&rota, "team-a/a2").await.expect("a2");
        assert_eq!(a2.phase, "Pending");
        assert!(
            a2.phase_reason
                .as_deref()
                .is_some_and(|r| r.contains("team-a is at its limit of 1 GPU")),
            "{a2:?}"
        );
        let researcher = Principal {
            user_id: None,
            name: "r".into(),
            role: Role::Researcher,
        };
        assert_eq!(
            code(
                org::set_project_quota(&rota, &researcher, "team-a", &limit)
                    .await
                    .unwrap_err()
            ),
            ErrorCode::Forbidden
        );
        let below = QuotaChange {
            limit: Some(0.5),
            ..limit
        };
        let e = org::set_project_quota(&rota, &who, "team-a", &below)
            .await
            .unwrap_err()
            .to_api();
        assert_eq!(e.details[0].field, "resources.gpu.limit");
        let events = event::Entity::find()
            .all(&rota.store.db)
            .await
            .expect("events");
        assert!(
            events
                .iter()
                .any(|e| e.kind == "QuotaChanged" && e.message.contains("team-a"))
        );
    }
);

on_both!(
    assets_are_created_scoped_and_not_deleted_while_in_use,
    |store, _url| async move {
        let (rota, _control) = quickstart(store).await;
        let who = admin();
        let env = assets::create_environment(
            &rota,
            &who,
            "quickstart",
            Scope::Cluster,
            &image("gcr.io/run-ai-demo/quickstart"),
        )
        .await
        .expect("env");
        let dup =
            assets::create_environment(&rota, &who, "quickstart", Scope::Cluster, &image("other"))
                .await
                .unwrap_err();
        assert_eq!(code(dup), ErrorCode::Conflict);
        let one = ComputeInput {
            gpu_devices_request: Some(1.0),
            ..ComputeInput::default()
        };
        let compute = assets::create_compute(&rota, &who, "one-gpu", Scope::Cluster, &one)
            .await
            .expect("compute");
        assert_eq!(
            (
                compute.gpu_devices_request,
                compute.cpu_core_request,
                compute.cpu_memory_mib
            ),
            (1, 0.1, 96)
        );
        let half = ComputeInput {
            gpu_portion_request: Some(0.5),
            ..ComputeInput::default()
        };
        let shared = assets::create_compute(&rota, &who, "half-gpu", Scope::Project(1), &half)
            .await
            .expect("project-scoped");
        assert_eq!(shared.gpu_portion_request, Some(0.5));
        let nowhere = assets::create_compute(&rota, &who, "x", Scope::Project(999), &one)
            .await
            .unwrap_err()
            .to_api();
        assert_eq!(nowhere.details[0].field, "scopeId");
        let renamed = assets::update_environment(
            &rota,
            &who,
            &env.id,
            Some("quickstart-v2"),
            Some(&image("gcr.io/run-ai-demo/quickstart:v2")),
        )
        .await
        .expect("edited");
        assert_eq!(
            (
                renamed.id.as_str(),
                renamed.name.as_str(),
                renamed.spec.image.as_str()
            ),
            (
                env.id.as_str(),
                "quickstart-v2",
                "gcr.io/run-ai-demo/quickstart:v2"
            )
        );
        let two = ComputeInput {
            gpu_devices_request: Some(2.0),
            ..ComputeInput::default()
        };
        let bad = assets::update_compute(
            &rota,
            &who,
            &compute.id,
            None,
            &ComputeInput {
                gpu_devices_request: Some(-1.0),
                ..ComputeInput::default()
            },
        )
        .await
        .unwrap_err()
        .to_api();
        assert_eq!(bad.details[0].field, "compute.gpuDevicesRequest");
        assert_eq!(
            assets::list_compute(&rota).await.expect("list")[0].gpu_devices_request,
            1,
            "a refused edit changes nothing"
        );
        let edited = assets::update_compute(&rota, &who, &compute.id, Some("two-gpus"), &two)
            .await
            .expect("edited");
        assert_eq!(
            (edited.name.as_str(), edited.gpu_devices_request),
            ("two-gpus", 2)
        );
        let template = assets::create_template(
            &rota,
            &who,
            "train-1",
            Scope::Cluster,
            "training",
            &env.id,
            &compute.id,
        )
        .await
        .expect("template");
        let refused = assets::delete_environment(&rota, &who, &env.id)
            .await
            .unwrap_err()
            .to_api();
        assert_eq!(refused.code, ErrorCode::Conflict);
        assert!(refused.message.contains("train-1"), "{refused:?}");
        assert_eq!(
            assets::list_environments(&rota).await.expect("list").len(),
            1,
            "the refused delete kept it"
        );
        assets::delete_template(&rota, &who, &template.id)
            .await
            .expect("template deleted");
        assets::delete_environment(&rota, &who, &env.id)
            .await
            .expect("now free");
        assets::delete_compute(&rota, &who, &compute.id)
            .await
            .expect("free");
        assert!(
            assets::list_environments(&rota)
                .await
                .expect("list")
                .is_empty()
        );
        let viewer = Principal {
            user_id: None,
            name: "v".into(),
            role: Role::Viewer,
        };
        assert_eq!(
            code(
                assets::create_environment(&rota, &viewer, "v", Scope::Cluster, &image("img"))
                    .await
                    .unwrap_err()
            ),
            ErrorCode::Forbidden
        );
    }
);

on_both!(
    a_timed_workload_completes_and_frees_its_gpus,
    |store, _url| async move {
        let (rota, control) = quickstart(store).await;
        let who = admin();
        let mut short = training(&rota, "short", "team-a", 2.0);
        short.duration_secs = Some(1);
        workloads::submit(&rota, &who, short).await.expect("short");
        workloads::submit(&rota, &who, training(&rota, "b1", "team-b", 2.0))
            .await
            .expect("b1");
        workloads::submit(&rota, &who, training(&rota, "b2", "team-b", 2.0))
            .await
            .expect("b2");
        control.settle().await.expect("settles");
        let s = workloads::get(&rota, "team-a/short").await.expect("short");
        assert_eq!(s.phase, "Running", "{s:?}");
        assert_eq!(
            workloads::get(&rota, "team-b/b2").await.expect("b2").phase,
            "Pending"
        );
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        control.settle().await.expect("settles");
        assert_eq!(
            workloads::get(&rota, "team-a/short")
                .await
                .expect("kept")
                .phase,
            "Completed",
            "a completed workload is kept, with its phase, until it is deleted"
        );
        assert!(
            !workloads::list(&rota, &ListFilter::default())
                .await
                .expect("list")
                .iter()
                .any(|w| w.name == "short"),
            "completed workloads leave the live list"
        );
        assert_eq!(
            workloads::get(&rota, "team-b/b2").await.expect("b2").phase,
            "Running"
        );
        let done = workload::Entity::find()
            .all(&rota.store.db)
            .await
            .expect("rows");
        assert!(
            done.iter()
                .any(|w| w.name == "short" && w.phase == "Completed" && w.ended_at.is_some())
        );
    }
);

on_both!(
    submissions_queued_together_stand_or_fall_alone,
    |store, _url| async move {
        let (rota, _control) = quickstart(store).await;
        let who = admin();
        let submitted = || async {
            event::Entity::find()
                .all(&rota.store.db)
                .await
                .expect("events")
                .into_iter()
                .filter(|e| e.kind == "Submitted")
                .count()
        };
        let before = workload::Entity::find()
            .count(&rota.store.db)
            .await
            .expect("count");
        let events_before = submitted().await;
        // Forty submissions at once, so that they queue and are written together; ten of them
        // reuse a name another one also asks for.
        let mut running = tokio::task::JoinSet::new();
        for i in 0..40 {
            let (rota, who) = (rota.clone(), who.clone());
            let name = format!("burst-{}", i % 30);
            running.spawn(async move {
                let result =
                    workloads::submit(&rota, &who, training(&rota, &name, "team-a", 1.0)).await;
                (name, result)
            });
        }
        let mut stored = std::collections::BTreeSet::new();
        let mut refused = 0;
        while let Some(joined) = running.join_next().await {
            let (name, result) = joined.expect("no panic");
            match result {
                Ok(w) => {
                    assert_eq!(w.name, name);
                    assert!(stored.insert(name), "one name, one workload");
                }
                Err(e) => {
                    assert_eq!(code(e), ErrorCode::Conflict, "{name}");
                    refused += 1;
                }
            }
        }
        assert_eq!((stored.len(), refused), (30, 10));
        let rows = workload::Entity::find()
            .all(&rota.store.db)
            .await
            .expect("rows");
        assert_eq!(rows.len() as u64, before + 30, "nothing refused was kept");
        assert_eq!(
            submitted().await,
            events_before + 30,
            "one Submitted event per workload"
        );
    }
);

on_both!(
    every_migration_goes_down_and_up_again,
    |store, _url| async move {
        use rota_migrations::{Migrator, MigratorTrait};
        Migrator::down(&store.db, None).await.expect("down");
        Migrator::up(&store.db, None).await.expect("up again");
        let (rota, _control) = quickstart(store).await;
        workloads::submit(&rota, &admin(), training(&rota, "after", "team-a", 1.0))
            .await
            .expect("the schema works again");
    }
);

on_both!(
    a_workload_from_a_template_runs_its_environments_command_unless_it_names_its_own,
    |store, _url| async move {
        let (rota, _control) = quickstart(store).await;
        let who = admin();
        let twice = assets::create_environment(
            &rota,
            &who,
            "bad",
            Scope::Cluster,
            &EnvironmentSpec {
                environment_variables: vec![var("A", "1"), var("A", "2")],
                ..image("img")
            },
        )
        .await
        .unwrap_err()
        .to_api();
        assert_eq!(
            (
                twice.details[0].field.as_str(),
                twice.details[0].message.as_str()
            ),
            ("spec.environmentVariables[1].name", "A is given twice")
        );
        let env = assets::create_environment(
            &rota,
            &who,
            "trainer",
            Scope::Cluster,
            &EnvironmentSpec {
                image: "pytorch:2".into(),
                command: Some("python train.py".into()),
                args: Some("--epochs 3".into()),
                environment_variables: vec![var("EPOCHS", "3"), var("LR", "0.1")],
            },
        )
        .await
        .expect("environment");
        assert_eq!(
            assets::list_environments(&rota).await.expect("list")[0].spec,
            env.spec,
            "read back as written"
        );
        let compute = assets::create_compute(
            &rota,
            &who,
            "one",
            Scope::Cluster,
            &ComputeInput {
                gpu_devices_request: Some(1.0),
                ..ComputeInput::default()
            },
        )
        .await
        .expect("compute");
        let template = assets::create_template(
            &rota,
            &who,
            "train",
            Scope::Cluster,
            "training",
            &env.id,
            &compute.id,
        )
        .await
        .expect("template");
        let stored = |name: &'static str| {
            let rota = rota.clone();
            async move {
                let w = workload::Entity::find()
                    .all(&rota.store.db)
                    .await
                    .expect("rows")
                    .into_iter()
                    .find(|w| w.name == name)
                    .expect("stored");
                (w.image, w.command, w.args, w.env_json)
            }
        };
        let mut plain = training(&rota, "plain", "team-a", 1.0);
        plain.request.template_id = Some(template.id.clone());
        plain.request.spec.image = String::new();
        workloads::submit(&rota, &who, plain).await.expect("plain");
        assert_eq!(
            stored("plain").await,
            (
                "pytorch:2".into(),
                Some("python train.py".into()),
                Some("--epochs 3".into()),
                r#"[{"name":"EPOCHS","value":"3"},{"name":"LR","value":"0.1"}]"#.into()
            )
        );
        let mut own = training(&rota, "own", "team-a", 1.0);
        own.request.template_id = Some(template.id.clone());
        own.request.spec.command = Some("sleep".into());
        own.request.spec.environment_variables = vec![var("LR", "0.5")];
        workloads::submit(&rota, &who, own).await.expect("own");
        assert_eq!(
            stored("own").await,
            (
                "gcr.io/run-ai-demo/quickstart".into(),
                Some("sleep".into()),
                None,
                r#"[{"name":"EPOCHS","value":"3"},{"name":"LR","value":"0.5"}]"#.into()
            )
        );
        let edited = assets::update_environment(
            &rota,
            &who,
            &env.id,
            None,
            Some(&EnvironmentSpec {
                environment_variables: vec![var("A=B", "1")],
                ..image("pytorch:3")
            }),
        )
        .await
        .unwrap_err()
        .to_api();
        assert_eq!(edited.details[0].field, "spec.environmentVariables[0].name");
        assert_eq!(
            assets::list_environments(&rota).await.expect("list")[0].spec,
            env.spec,
            "a refused edit changes nothing"
        );
    }
);
