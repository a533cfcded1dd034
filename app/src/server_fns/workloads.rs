//! Workloads, for the Workloads page.

use leptos::prelude::*;
use rota_api::wire::WorkloadSummary;

use crate::UiError;

/// Live workloads in submission order.
#[server]
pub async fn list_workloads() -> Result<Vec<WorkloadSummary>, UiError> {
    use super::ssr::{rota, ui};
    use rota_control::services::workloads::{ListFilter, list};
    let rota = rota()?;
    list(&rota, &ListFilter::default()).await.map_err(ui)
}
