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
