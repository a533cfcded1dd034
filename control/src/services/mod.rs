//! The services every surface calls — REST handlers, UI server functions, tests. Each validates its
//! input with `rota_api`'s rules, checks the caller's role, writes in one transaction, and wakes
//! the scheduling loop.

use std::sync::Arc;

use rota_api::{ApiError, ErrorCode};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::auth::{Principal, Role, Signer};
use crate::cluster_file::ClusterFile;
use crate::control_loop::{Control, Reasons, Wake};
use crate::error::{ControlError, ControlResult};
use crate::executor::Executor;
use crate::logs::Logs;
use crate::metrics::Metrics;
use crate::revocations::Revocations;
use crate::seed::{self, Seeded};
use crate::store::Store;
use crate::store::entity::{cluster as cluster_row, department, project, user_project};

pub mod access;
pub mod asset_wire;
pub mod assets;
pub mod cluster;
pub mod fair_share;
mod intake;
pub mod logs;
pub mod org;
pub mod overview;
pub mod pods;
pub mod preview;
pub mod session;
pub mod throttle;
pub mod units;
pub mod workloads;

/// Everything a service needs: the store, the loop's wake-up, the token signer, the cluster.
#[derive(Debug, Clone)]
pub struct Rota {
    /// The store.
    pub store: Store,
    /// Wakes the scheduling loop.
    pub wake: Wake,
    /// Signs and checks tokens.
    pub signer: Arc<Signer>,
    /// The cluster's row id.
    pub cluster_id: i32,
    /// The cluster's public id.
    pub cluster_uuid: String,
    /// The cluster's name.
    pub cluster_name: String,
    /// Slows down password guessing.
    pub throttle: Arc<throttle::Throttle>,
    /// Tokens refused before they expire.
    pub revocations: Arc<Revocations>,
    /// What the scheduling loop measured.
    pub metrics: Metrics,
    /// Why each workload waits, as the last cycle said.
    pub reasons: Reasons,
    /// Pods' output.
    pub logs: Logs,
    /// What runs the pods.
    pub executor: Arc<dyn Executor>,
    /// How the scheduling loop's task fares.
    pub health: crate::control_loop::Health,
    /// This server's claim to schedule, when others share its store.
    pub leadership: Option<crate::leadership::Leadership>,
    /// The cluster's projects and departments, read once and dropped whenever the organization
    /// changes (every submission looks its project up).
    directory: Arc<tokio::sync::RwLock<Option<Arc<Directory>>>>,
    /// Writes submissions, several to a transaction under load.
    intake: intake::Intake,
}

impl Rota {
    /// Opens the store, seeds it on first start, and builds the scheduling loop (not yet running:
    /// call [`Control::spawn`]). Pods' output is kept in `logs`.
    pub async fn start(
        store: Store,
        file: &ClusterFile,
        admin_password: Option<&str>,
        executor: Arc<dyn Executor>,
        logs: Logs,
    ) -> ControlResult<(Rota, Control, Seeded)> {
        let seeded = seed::seed(&store, file, admin_password).await?;
        let signer = Signer::load_or_create(&store.db).await?;
        let revocations = Revocations::load(&store.db, chrono::Utc::now().timestamp()).await?;
        let c = cluster_row::Entity::find_by_id(seeded.cluster_id)
            .one(&store.db)
            .await?
            .ok_or_else(|| ControlError::Corrupt("the seeded cluster vanished".into()))?;
        let wake = Wake::default();
        let metrics = Metrics::default();
        let reasons = Reasons::default();
        let control = Control::new(
            store.clone(),
            wake.clone(),
            executor.clone(),
            c.id,
            metrics.clone(),
            reasons.clone(),
            logs.clone(),
        );
        let rota = Rota {
            intake: intake::Intake::start(store.clone(), wake.clone()),
            store,
            wake,
            signer: Arc::new(signer),
            cluster_id: c.id,
            cluster_uuid: c.uuid,
            cluster_name: c.name,
            throttle: Arc::default(),
            revocations: Arc::new(revocations),
            metrics,
            reasons,
            logs,
            executor,
            health: control.health.clone(),
            leadership: None,
            directory: Arc::default(),
        };
        Ok((rota, control, seeded))
    }

    /// The cluster's projects and department names (from memory once read).
    pub(crate) async fn directory(&self) -> ControlResult<Arc<Directory>> {
        if let Some(d) = self.directory.read().await.as_ref() {
            return Ok(d.clone());
        }
        let mut slot = self.directory.write().await;
        let projects = project::Entity::find()
            .filter(project::Column::ClusterId.eq(self.cluster_id))
            .order_by_asc(project::Column::Id)
            .all(&self.store.db)
            .await?;
        let departments = department::Entity::find()
            .all(&self.store.db)
            .await?
            .into_iter()
            .map(|d| (d.id, d.name))
            .collect();
        let read = Arc::new(Directory {
            projects,
            departments,
        });
        *slot = Some(read.clone());
        Ok(read)
    }

    /// Projects, departments or quotas changed (and committed): forget what is cached and have
    /// the scheduling loop read the organization again.
    pub async fn organization_changed(&self) {
        self.forget_directory().await;
        self.wake.changed(crate::control_loop::Change::Organization);
    }

    /// Drops the projects and departments read from the store.
    pub(crate) async fn forget_directory(&self) {
        *self.directory.write().await = None;
    }

    /// What part this server plays in scheduling its cluster.
    pub fn role(&self) -> crate::leadership::Role {
        self.leadership
            .as_ref()
            .map_or(crate::leadership::Role::Only, |l| l.role())
    }

    /// Whether this server schedules its cluster.
    pub fn leads(&self) -> bool {
        self.role() != crate::leadership::Role::Follower
    }

    /// Tokens were revoked (and committed): refused here at once, and on the other servers.
    pub(crate) fn revoked(&self, revoke: &crate::revocations::Revoke) {
        self.revocations.apply(revoke);
        self.wake.tell_peers(|| crate::peers::Note::Revoked {
            revoke: revoke.clone(),
        });
    }

    /// The principal behind a bearer token that is neither expired nor revoked.
    pub fn authenticate(&self, token: &str) -> Result<Principal, ApiError> {
        let (principal, facts) = self.signer.verify_facts(token)?;
        match self.revocations.refuses(&facts) {
            Some(why) => Err(ApiError::new(ErrorCode::Unauthorized, why)),
            None => Ok(principal),
        }
    }
}

/// The cluster's projects, and the names of departments by row id.
#[derive(Debug, Default)]
pub(crate) struct Directory {
    pub projects: Vec<project::Model>,
    pub departments: std::collections::BTreeMap<i32, String>,
}

/// Refuses anyone but an admin.
pub fn require_admin(who: &Principal) -> ControlResult<()> {
    if who.role == Role::Admin {
        Ok(())
    } else {
        Err(ApiError::new(
            ErrorCode::Forbidden,
            format!(
                "only an admin may do this; {} is a {}",
                who.name,
                who.role.as_str()
            ),
        )
        .into())
    }
}

/// Refuses anyone who may not change workloads of `project_id`.
pub async fn require_project_writer(
    rota: &Rota,
    who: &Principal,
    project_id: i32,
    project_name: &str,
) -> ControlResult<()> {
    match who.role {
        Role::Admin => Ok(()),
        Role::Viewer => Err(ApiError::new(
            ErrorCode::Forbidden,
            format!("{} is a viewer and may not change workloads", who.name),
        )
        .into()),
        Role::Researcher => {
            let assigned = match who.user_id {
                Some(uid) => user_project::Entity::find()
                    .filter(user_project::Column::UserId.eq(uid))
                    .filter(user_project::Column::ProjectId.eq(project_id))
                    .one(&rota.store.db)
                    .await?
                    .is_some(),
                None => false,
            };
            if assigned {
                Ok(())
            } else {
                Err(ApiError::new(
                    ErrorCode::Forbidden,
                    format!("{} is not a member of project {project_name}", who.name),
                )
                .into())
            }
        }
    }
}
