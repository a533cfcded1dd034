//! First start: the cluster from its file, the walkthrough's projects, and the first admin. Later
//! starts add nodes that the file gained and seed nothing else.

use rota_scheduler::MilliGpus;
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

use crate::auth::{self, Role};
use crate::cluster_file::ClusterFile;
use crate::store::Store;
use crate::store::entity::{cluster, node, node_pool, project, quota, user};
use crate::time::now_ms;

/// The walkthrough's projects, each deserving 2 GPUs in the default pool.
pub const QUICKSTART_PROJECTS: [&str; 2] = ["team-a", "team-b"];

/// What seeding did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seeded {
    /// The cluster's row id.
    pub cluster_id: i32,
    /// True on the first start.
    pub first_start: bool,
    /// The admin password, when one was generated (print it once).
    pub generated_password: Option<String>,
}

/// Seeds an empty store, or brings the nodes up to date with the cluster file.
pub async fn seed(
    store: &Store,
    file: &ClusterFile,
    admin_password: Option<&str>,
) -> Result<Seeded, DbErr> {
    let txn = store.write().await?;
    let existing = cluster::Entity::find()
        .filter(cluster::Column::Name.eq(&file.name))
        .one(&txn)
        .await?;
    let any_cluster = cluster::Entity::find().one(&txn).await?;
    let now = now_ms();
    let (cluster_id, first_start) = match (existing, any_cluster) {
        (Some(c), _) => (c.id, false),
        (None, Some(other)) => {
            return Err(DbErr::Custom(format!(
                "this store holds cluster {}, but the cluster file names {}; point DATABASE_URL elsewhere or fix ROTA_CLUSTER",
                other.name, file.name
            )));
        }
        (None, None) => {
            let c = cluster::Entity::insert(cluster::ActiveModel {
                id: NotSet,
                uuid: Set(uuid::Uuid::new_v4().to_string()),
                name: Set(file.name.clone()),
                created_at: Set(now),
                k_value: Set(0.0),
                usage_window_secs: Set(rota_scheduler::usage::DEFAULT_WINDOW_SECS as i64),
                half_life_secs: Set(None),
            })
            .exec(&txn)
            .await?;
            (c.last_insert_id, true)
        }
    };
    sync_nodes(&txn, cluster_id, file).await?;
    if let Some(section) = &file.fair_share {
        let settings = section
            .settings()
            .map_err(|e| DbErr::Custom(format!("fair_share: {}: {}", e.field, e.message)))?;
        crate::services::fair_share::write(&txn, cluster_id, &settings)
            .await
            .map_err(|e| DbErr::Custom(e.to_string()))?;
    }
    let mut generated_password = None;
    if first_start {
        let default_pool = node_pool::Entity::find()
            .filter(node_pool::Column::ClusterId.eq(cluster_id))
            .filter(node_pool::Column::Name.eq(rota_scheduler::model::DEFAULT_POOL))
            .one(&txn)
            .await?;
        for name in QUICKSTART_PROJECTS {
            let p = project::Entity::insert(project::ActiveModel {
                id: NotSet,
                cluster_id: Set(cluster_id),
                name: Set(name.to_owned()),
                department_id: Set(None),
                created_at: Set(now),
                preempt_min_runtime_secs: Set(None),
                reclaim_min_runtime_secs: Set(None),
            })
            .exec(&txn)
            .await?;
            if let Some(pool) = &default_pool {
                quota::Entity::insert(quota::ActiveModel {
                    id: NotSet,
                    unit_kind: Set("project".into()),
                    unit_id: Set(p.last_insert_id),
                    node_pool_id: Set(pool.id),
                    deserved_milli: Set(MilliGpus::whole(2).0),
                    limit_milli: Set(None),
                    over_quota_weight: Set(1),
                    rank: Set(rota_scheduler::model::DEFAULT_RANK),
                })
                .exec(&txn)
                .await?;
            }
        }
        let password = match admin_password {
            Some(p) => p.to_owned(),
            None => {
                let p = auth::random_secret();
                generated_password = Some(p.clone());
                p
            }
        };
        let hash = auth::hash_secret(&password).map_err(|e| DbErr::Custom(e.message))?;
        user::Entity::insert(user::ActiveModel {
            id: NotSet,
            username: Set("admin".into()),
            password_hash: Set(hash),
            role: Set(Role::Admin.as_str().into()),
            created_at: Set(now),
        })
        .exec(&txn)
        .await?;
    }
    txn.commit().await?;
    Ok(Seeded {
        cluster_id,
        first_start,
        generated_password,
    })
}

/// Adds the pools and nodes the file names that the store lacks, and updates their capacity.
/// Nodes missing from the file are kept: pods may still run there.
async fn sync_nodes(
    db: &impl ConnectionTrait,
    cluster_id: i32,
    file: &ClusterFile,
) -> Result<(), DbErr> {
    let mut pools = node_pool::Entity::find()
        .filter(node_pool::Column::ClusterId.eq(cluster_id))
        .all(db)
        .await?;
    let nodes = node::Entity::find()
        .filter(node::Column::ClusterId.eq(cluster_id))
        .all(db)
        .await?;
    for spec in &file.nodes {
        let pool_id = match pools.iter().find(|p| p.name == spec.pool) {
            Some(p) => p.id,
            None => {
                let placement = serde_json::to_value(file.placement)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_else(|| "binpack".into());
                let inserted = node_pool::Entity::insert(node_pool::ActiveModel {
                    id: NotSet,
                    cluster_id: Set(cluster_id),
                    name: Set(spec.pool.clone()),
                    placement: Set(placement.clone()),
                })
                .exec(db)
                .await?;
                pools.push(node_pool::Model {
                    id: inserted.last_insert_id,
                    cluster_id,
                    name: spec.pool.clone(),
                    placement,
                });
                inserted.last_insert_id
            }
        };
        let row = node::ActiveModel {
            id: NotSet,
            cluster_id: Set(cluster_id),
            node_pool_id: Set(pool_id),
            name: Set(spec.name.clone()),
            gpus: Set(spec.gpus as i32),
            gpu_memory_mib: Set(spec.gpu_memory_mib as i64),
            cpu_millicores: Set(i64::from(spec.cpu_cores) * 1000),
            memory_mib: Set(i64::from(spec.memory_gib) * 1024),
            // Up until an executor says otherwise.
            state: NotSet,
            state_reason: NotSet,
        };
        match nodes.iter().find(|n| n.name == spec.name) {
            Some(existing) => {
                let mut row = row;
                row.id = Set(existing.id);
                node::Entity::update(row).exec(db).await?;
            }
            None => {
                node::Entity::insert(row).exec(db).await?;
            }
        }
    }
    Ok(())
}
