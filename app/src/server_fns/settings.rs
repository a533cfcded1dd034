//! Cluster-wide scheduling settings (time-based fair share).

use leptos::prelude::*;
use rota_api::wire::FairShareSettings;

use crate::UiError;

/// Time-based fair share's settings.
#[server]
pub async fn load_fair_share() -> Result<FairShareSettings, UiError> {
    use super::ssr::{caller, ui};
    let (rota, _who) = caller()?;
    rota_control::services::fair_share::get(&rota)
        .await
        .map_err(ui)
}

/// Changes them (admins only); answers what was stored.
#[server]
pub async fn save_fair_share(settings: FairShareSettings) -> Result<FairShareSettings, UiError> {
    use super::ssr::{caller, ui};
    let (rota, who) = caller()?;
    rota_control::services::fair_share::set(&rota, &who, &settings)
        .await
        .map_err(ui)
}
