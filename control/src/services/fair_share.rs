//! Time-based fair share's settings: read by anyone signed in, changed by an admin (REST, the
//! Settings page) or by the cluster file at start. Stored on the cluster's row.

use rota_api::validate;
use rota_api::wire::FairShareSettings;
use rota_scheduler::TimeFairShare;
use sea_orm::ActiveValue::Set;
use sea_orm::{ConnectionTrait, EntityTrait};

use super::{Rota, require_admin};
use crate::auth::Principal;
use crate::control_loop::insert_event;
use crate::error::{ControlError, ControlResult};
use crate::store::entity::cluster;
use crate::time::now_ms;

/// The settings as the cluster's row holds them.
pub fn of_row(row: &cluster::Model) -> TimeFairShare {
    TimeFairShare {
        k_value: row.k_value,
        window_secs: u64::try_from(row.usage_window_secs)
            .unwrap_or(rota_scheduler::usage::DEFAULT_WINDOW_SECS),
        half_life_secs: row.half_life_secs.and_then(|s| u64::try_from(s).ok()),
    }
}

/// The settings as the API shows them.
pub fn to_wire(t: &TimeFairShare) -> FairShareSettings {
    FairShareSettings {
        k_value: t.k_value,
        window_size: validate::duration_text(t.window_secs),
        half_life_period: t.half_life_secs.map(validate::duration_text),
    }
}

/// Checks settings as an admin wrote them.
pub fn from_wire(req: &FairShareSettings) -> ControlResult<TimeFairShare> {
    Ok(validate::time_fair_share(
        req.k_value,
        &req.window_size,
        req.half_life_period.as_deref(),
    )?)
}

/// The cluster's settings.
pub async fn get(rota: &Rota) -> ControlResult<FairShareSettings> {
    Ok(to_wire(&read(&rota.store.db, rota.cluster_id).await?))
}

/// Reads the settings of cluster `cluster_id`.
pub async fn read(db: &impl ConnectionTrait, cluster_id: i32) -> ControlResult<TimeFairShare> {
    let row = cluster::Entity::find_by_id(cluster_id)
        .one(db)
        .await?
        .ok_or_else(|| ControlError::Corrupt(format!("cluster {cluster_id} is missing")))?;
    Ok(of_row(&row))
}

/// Writes the settings of cluster `cluster_id` (inside the caller's transaction).
pub async fn write(
    db: &impl ConnectionTrait,
    cluster_id: i32,
    t: &TimeFairShare,
) -> ControlResult<()> {
    cluster::Entity::update(cluster::ActiveModel {
        id: Set(cluster_id),
        k_value: Set(t.k_value),
        usage_window_secs: Set(i64::try_from(t.window_secs).unwrap_or(i64::MAX)),
        half_life_secs: Set(t.half_life_secs.and_then(|s| i64::try_from(s).ok())),
        ..Default::default()
    })
    .exec(db)
    .await?;
    Ok(())
}

/// Changes the settings (admins only), with an event saying who did; the loop uses them from
/// its next cycle.
pub async fn set(
    rota: &Rota,
    who: &Principal,
    req: &FairShareSettings,
) -> ControlResult<FairShareSettings> {
    require_admin(who)?;
    let settings = from_wire(req)?;
    let txn = rota.store.write().await?;
    write(&txn, rota.cluster_id, &settings).await?;
    let shown = to_wire(&settings);
    insert_event(
        &txn,
        None,
        "SettingsChanged",
        format!(
            "{} set time-based fair share: kValue {}, window {}, half life {}",
            who.name,
            shown.k_value,
            shown.window_size,
            shown.half_life_period.as_deref().unwrap_or("none")
        ),
        now_ms(),
    )
    .await?;
    txn.commit().await?;
    rota.organization_changed().await;
    Ok(shown)
}
