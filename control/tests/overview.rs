//! The Overview's history through the loop, on SQLite and on PostgreSQL: what each cycle leaves
//! running is charged, saved, and read back as averages per bucket.

mod support;

use std::time::Duration;

use rota_control::services::overview::{self, Range};
use rota_control::services::workloads;
use support::{admin, quickstart, training};

on_both!(
    the_overview_reads_back_what_the_loop_recorded,
    |store, _url| async move {
        let (rota, mut control) = quickstart(store).await;
        control.save_usage_every = Duration::ZERO;
        for (name, project, gpus) in [
            ("a1", "team-a", 2.0),
            ("b1", "team-b", 1.0),
            ("a2", "team-a", 1.0),
            ("a3", "team-a", 1.0),
        ] {
            workloads::submit(&rota, &admin(), training(&rota, name, project, gpus))
                .await
                .expect("submits");
        }
        control.settle().await.expect("settles");
        tokio::time::sleep(Duration::from_millis(1200)).await;
        control.settle().await.expect("settles");

        let o = overview::overview(&rota, Range::Hour).await.expect("reads");
        assert_eq!((o.range.as_str(), o.bucket_secs), ("hour", 60));
        let last = o.cluster.last().expect("a point");
        // a1, b1 and a2 run on all 4 GPUs; a3 waits (team-a is over its quota).
        assert!((last.capacity - 4.0).abs() < 1e-9, "{last:?}");
        assert!((last.allocated - 4.0).abs() < 1e-9, "{last:?}");
        assert!((last.pending - 1.0).abs() < 1e-9, "{last:?}");
        assert!(last.longest_wait_secs >= 1.0, "{last:?}");
        let pool = &o.pools[0];
        assert_eq!(pool.pool, "default");
        let names: Vec<&str> = pool.projects.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["team-a", "team-b"], "the busiest first");
        let a = pool.projects[0].points.last().expect("a point");
        let near = |got: (f64, f64, f64), want: (f64, f64, f64)| {
            (got.0 - want.0).abs() < 1e-9
                && (got.1 - want.1).abs() < 1e-9
                && (got.2 - want.2).abs() < 1e-9
        };
        assert!(
            near((a.allocated, a.deserved, a.fair_share), (3.0, 2.0, 3.0)),
            "{a:?}"
        );
        let b = pool.projects[1].points.last().expect("a point");
        assert!(
            near((b.allocated, b.deserved, b.fair_share), (1.0, 2.0, 1.0)),
            "{b:?}"
        );

        let week = overview::overview(&rota, Range::Week).await.expect("reads");
        assert_eq!(week.bucket_secs, 3600);
        assert!((week.cluster.last().expect("a point").allocated - 4.0).abs() < 1e-9);
        assert!(Range::parse("month").is_err());
    }
);

/// An hourly usage row of team-a, `hours_ago` hours old.
fn old_row(
    project: i32,
    pool: i32,
    hours_ago: i64,
) -> rota_control::store::entity::project_usage::ActiveModel {
    use sea_orm::ActiveValue::Set;
    let hour = 3_600_000i64;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_millis() as i64;
    rota_control::store::entity::project_usage::ActiveModel {
        project_id: Set(project),
        node_pool_id: Set(pool),
        span_ms: Set(hour),
        bucket_start_ms: Set(now - now % hour - hours_ago * hour),
        gpu_secs: Set(3600.0),
        deserved_gpu_secs: Set(0.0),
        fair_share_gpu_secs: Set(0.0),
        capacity_gpu_secs: Set(0.0),
        pending_secs: Set(0.0),
        longest_wait_secs: Set(0.0),
        covered_secs: Set(3600.0),
    }
}

on_both!(
    history_past_the_retention_is_pruned_in_the_save,
    |store, _url| async move {
        use rota_control::store::entity::{node_pool, project_usage};
        use sea_orm::{EntityTrait, PaginatorTrait};
        let (rota, mut control) = quickstart(store.clone()).await;
        control.save_usage_every = Duration::ZERO;
        let team_a = rota_control::services::org::find_project(&rota, "team-a")
            .await
            .expect("team-a");
        let pool = node_pool::Entity::find()
            .one(&store.db)
            .await
            .expect("reads")
            .expect("the default pool");
        project_usage::Entity::insert_many([
            old_row(team_a.id, pool.id, 24 * 8),
            old_row(team_a.id, pool.id, 24 * 20),
            old_row(team_a.id, pool.id, 24),
        ])
        .exec(&store.db)
        .await
        .expect("writes");
        // Kept 10 days: the 8-day-old row stays, the 20-day-old one goes.
        control.keep_history = Duration::from_secs(10 * 86_400);
        control.settle().await.expect("settles");
        tokio::time::sleep(Duration::from_millis(50)).await;
        control.settle().await.expect("settles");
        let count = || async {
            project_usage::Entity::find()
                .count(&store.db)
                .await
                .expect("counts")
        };
        let day = overview::overview(&rota, Range::Week).await.expect("reads");
        assert!(
            !day.pools.is_empty(),
            "the week shows team-a's day-old hour"
        );
        let with_recent = count().await;
        assert!(with_recent >= 2, "{with_recent}");
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("after 1970")
            .as_millis() as i64;
        let mut ages: Vec<i64> = project_usage::Entity::find()
            .all(&store.db)
            .await
            .expect("reads")
            .into_iter()
            .filter(|r| r.span_ms == 3_600_000 && r.project_id == team_a.id)
            .map(|r| (now - r.bucket_start_ms) / 86_400_000)
            .collect();
        ages.sort_unstable();
        // This hour's (charged by the loop), a day old, 8 days old; not 20 days old.
        assert_eq!(ages, [0, 1, 8], "the 20-day-old row is pruned");
    }
);
