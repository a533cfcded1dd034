//! The leader lease on PostgreSQL: one leader at a time; a follower takes over once the lease ran
//! out; a takeover waits for a write the old leader already fenced, and after it the old leader
//! (paused meanwhile, still believing it leads) can commit nothing — not even a whole plan.

mod support;

use std::time::Duration;

use rota_control::ControlError;
use rota_control::leadership::{LEASE, Leadership, Role};
use rota_control::services::workloads;
use support::{Backend, admin, quickstart, training, with_store};

/// Waits at most `limit` for `leadership` to lead; answers its term.
async fn leads_within(leadership: &Leadership, limit: Duration) -> i64 {
    tokio::time::timeout(limit, leadership.until_leading())
        .await
        .expect("leads in time")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_leader_at_a_time_and_a_deposed_leader_commits_nothing() {
    with_store(Backend::Postgres, |store, url| async move {
        let (rota, control) = quickstart(store.clone()).await;
        let a = Leadership::connect(&url, rota.cluster_id, "a".into())
            .await
            .expect("a connects");
        let b = Leadership::connect(&url, rota.cluster_id, "b".into())
            .await
            .expect("b connects");
        let campaign_a = a.spawn();
        let first = leads_within(&a, Duration::from_secs(2)).await;
        b.spawn();
        // The leader renews: the follower never gets the lease while it does.
        tokio::time::sleep(LEASE * 2).await;
        assert_eq!((a.role(), b.role()), (Role::Leader, Role::Follower));

        // A write the leader fenced holds the lease row: even once the lease ran out (the
        // leader is "paused": it renews no more), the takeover waits for that write to end.
        campaign_a.abort();
        let txn = store.write().await.expect("txn");
        a.fence(&txn).await.expect("a still leads");
        tokio::time::sleep(LEASE + Duration::from_millis(500)).await;
        assert_eq!(b.role(), Role::Follower, "took over during a fenced write");
        txn.commit().await.expect("the fenced write commits");
        let second = leads_within(&b, Duration::from_secs(2)).await;
        assert_eq!(second, first + 1);

        // The paused leader wakes up still believing it leads: every write it tries is refused.
        assert_eq!(a.term(), Some(first));
        let txn = store.write().await.expect("txn");
        match a.fence(&txn).await {
            Err(ControlError::NotLeader { mine, store }) => {
                assert_eq!((mine, store), (Some(first), Some(second)));
            }
            other => panic!("a deposed leader was let write: {other:?}"),
        }
        drop(txn);
        // Its scheduling loop cannot commit a plan either: the submission stays pending.
        let control = control.with_leadership(a.clone());
        let w = workloads::submit(&rota, &admin(), training(&rota, "x", "team-a", 1.0))
            .await
            .expect("submitted");
        assert!(
            matches!(control.settle().await, Err(ControlError::NotLeader { .. })),
            "a deposed leader's loop committed"
        );
        let now = workloads::get(&rota, &w.id).await.expect("read");
        assert_eq!(now.phase, "Pending");
        assert_eq!(b.role(), Role::Leader);
    })
    .await;
}
