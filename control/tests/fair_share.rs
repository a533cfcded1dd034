//! Time-based fair share through the services and the loop, on SQLite and on PostgreSQL: the
//! settings are checked and stored, past usage read from the store moves the split of idle GPUs,
//! and what runs is saved as usage.

mod support;

use std::time::Duration;

use rota_api::wire::FairShareSettings;
use rota_control::services::org::{self, QuotaChange};
use rota_control::services::{Rota, fair_share, workloads};
use rota_control::store::entity::{event, project_usage};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use support::{admin, quickstart, training};

fn settings(k: f64, window: &str, half_life: Option<&str>) -> FairShareSettings {
    FairShareSettings {
        k_value: k,
        window_size: window.into(),
        half_life_period: half_life.map(Into::into),
    }
}

/// team-a and team-b deserve nothing, so all four GPUs are surplus.
async fn no_quotas(rota: &Rota) {
    for project in ["team-a", "team-b"] {
        let change = QuotaChange {
            node_pool: "default".into(),
            deserved: 0.0,
            limit: None,
            over_quota_weight: Some(1),
            rank: None,
        };
        org::set_project_quota(rota, &admin(), project, &change)
            .await
            .expect("admin may");
    }
}

/// Running trainings per project, as the store says.
async fn running(rota: &Rota, project: &str) -> usize {
    workloads::list(rota, &workloads::ListFilter::default())
        .await
        .expect("lists")
        .into_iter()
        .filter(|w| w.project_name == project && w.phase == "Running")
        .count()
}

on_both!(
    past_usage_in_the_store_moves_the_split_of_idle_gpus,
    |store, _url| async move {
        let (rota, mut control) = quickstart(store.clone()).await;
        control.save_usage_every = Duration::ZERO;
        no_quotas(&rota).await;
        // Refused settings name the field and change nothing.
        let e = fair_share::set(&rota, &admin(), &settings(-1.0, "168h", None))
            .await
            .unwrap_err()
            .to_api();
        assert_eq!(e.details[0].field, "kValue", "{e:?}");
        let e = fair_share::set(&rota, &admin(), &settings(1.0, "168h", Some("1 day")))
            .await
            .unwrap_err()
            .to_api();
        assert_eq!(e.details[0].field, "halfLifePeriod", "{e:?}");
        assert_eq!(
            fair_share::get(&rota).await.expect("reads"),
            settings(0.0, "168h", None)
        );
        // team-a used all four GPUs for the last ten hours.
        let team_a = org::find_project(&rota, "team-a").await.expect("team-a");
        let pool = rota_control::store::entity::node_pool::Entity::find()
            .one(&store.db)
            .await
            .expect("reads")
            .expect("the default pool");
        let hour = 3_600_000i64;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("after 1970")
            .as_millis() as i64;
        let rows = (1..=10).map(|h| project_usage::ActiveModel {
            project_id: sea_orm::ActiveValue::Set(team_a.id),
            node_pool_id: sea_orm::ActiveValue::Set(pool.id),
            span_ms: sea_orm::ActiveValue::Set(hour),
            bucket_start_ms: sea_orm::ActiveValue::Set(now - now % hour - h * hour),
            gpu_secs: sea_orm::ActiveValue::Set(4.0 * 3600.0),
            deserved_gpu_secs: sea_orm::ActiveValue::Set(0.0),
            fair_share_gpu_secs: sea_orm::ActiveValue::Set(4.0 * 3600.0),
            capacity_gpu_secs: sea_orm::ActiveValue::Set(0.0),
            pending_secs: sea_orm::ActiveValue::Set(0.0),
            longest_wait_secs: sea_orm::ActiveValue::Set(0.0),
            covered_secs: sea_orm::ActiveValue::Set(3600.0),
        });
        project_usage::Entity::insert_many(rows)
            .exec(&store.db)
            .await
            .expect("writes");
        let set = fair_share::set(&rota, &admin(), &settings(1.0, "24h", Some("12h")))
            .await
            .expect("admin may");
        assert_eq!(set, settings(1.0, "24h", Some("12h")));
        let changed = event::Entity::find()
            .filter(event::Column::Kind.eq("SettingsChanged"))
            .count(&store.db)
            .await
            .expect("reads");
        assert_eq!(changed, 1, "one event for one change");

        for i in 1..=4 {
            workloads::submit(
                &rota,
                &admin(),
                training(&rota, &format!("a{i}"), "team-a", 1.0),
            )
            .await
            .expect("submits");
        }
        control.settle().await.expect("settles");
        assert_eq!(running(&rota, "team-a").await, 4);
        for i in 1..=4 {
            workloads::submit(
                &rota,
                &admin(),
                training(&rota, &format!("b{i}"), "team-b", 1.0),
            )
            .await
            .expect("submits");
        }
        for _ in 0..5 {
            control.settle().await.expect("settles");
        }
        // Weights 1 + (1/2 - 1) and 1 + (1/2 - 0): fair shares 1 and 3, not 2 and 2.
        assert_eq!(
            (
                running(&rota, "team-a").await,
                running(&rota, "team-b").await
            ),
            (1, 3)
        );
        let shares = rota.metrics.shares();
        let a = shares.iter().find(|s| s.name == "team-a").expect("team-a");
        assert_eq!(a.fair_share, 1.0);
        assert!(a.usage_gpu_hours > 20.0, "{a:?}");

        // What ran since is saved: team-b's GPU time is in the store.
        tokio::time::sleep(Duration::from_millis(300)).await;
        control.settle().await.expect("settles");
        let team_b = org::find_project(&rota, "team-b").await.expect("team-b");
        let saved: f64 = project_usage::Entity::find()
            .filter(project_usage::Column::ProjectId.eq(team_b.id))
            .filter(project_usage::Column::SpanMs.eq(3_600_000i64))
            .all(&store.db)
            .await
            .expect("reads")
            .iter()
            .map(|r| r.gpu_secs)
            .sum();
        assert!(saved > 0.0, "team-b's usage was saved");

        // Setting k back to 0 gives the weight split again.
        fair_share::set(&rota, &admin(), &settings(0.0, "24h", None))
            .await
            .expect("admin may");
        for _ in 0..5 {
            control.settle().await.expect("settles");
        }
        let shares = rota.metrics.shares();
        let b = shares.iter().find(|s| s.name == "team-b").expect("team-b");
        assert_eq!(b.fair_share, 2.0);
    }
);

on_both!(
    the_cluster_files_fair_share_section_is_applied_at_every_start,
    |store, _url| async move {
        let (rota, _control) = quickstart(store.clone()).await;
        assert_eq!(
            fair_share::get(&rota).await.expect("reads"),
            settings(0.0, "168h", None),
            "without a section: the defaults"
        );
        fair_share::set(&rota, &admin(), &settings(2.0, "48h", None))
            .await
            .expect("admin may");
        let file = rota_control::cluster_file::ClusterFile::parse(
            "c.toml",
            &format!(
                "{}\n[fair_share]\nk_value = 0.5\nhalf_life_period = \"6h\"\n",
                rota_control::cluster_file::QUICKSTART
            ),
        )
        .expect("valid");
        let (again, _, _) = Rota::start(
            store,
            &file,
            None,
            std::sync::Arc::new(rota_control::executor::Simulated),
            support::test_logs(),
        )
        .await
        .expect("starts again");
        assert_eq!(
            fair_share::get(&again).await.expect("reads"),
            settings(0.5, "168h", Some("6h"))
        );
    }
);
