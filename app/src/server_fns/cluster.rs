//! Nodes and what holds each GPU.

use leptos::prelude::*;
use rota_api::wire::NodeInfo;

use crate::UiError;

/// Every node with its devices and their holders.
#[server]
pub async fn list_nodes() -> Result<Vec<NodeInfo>, UiError> {
    use super::ssr::{caller, ui};
    let (rota, _who) = caller()?;
    rota_control::services::cluster::list_nodes(&rota)
        .await
        .map_err(ui)
}
