//! `/api/v1/clusters`, `/api/v1/node-pools`, `/api/v1/nodes`.

use axum::Json;
use axum::extract::State;
use rota_api::wire::{Cluster, NodeInfo, NodePool};
use rota_control::services::{Rota, cluster};
use serde::Serialize;

use super::{AppResult, Caller};

pub async fn clusters(State(rota): State<Rota>, _caller: Caller) -> AppResult<Json<Vec<Cluster>>> {
    Ok(Json(cluster::list_clusters(&rota).await?))
}

/// Body of `GET /api/v1/node-pools`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NodePools {
    node_pools: Vec<NodePool>,
}

pub async fn node_pools(State(rota): State<Rota>, _caller: Caller) -> AppResult<Json<NodePools>> {
    Ok(Json(NodePools {
        node_pools: cluster::list_node_pools(&rota).await?,
    }))
}

/// Body of `GET /api/v1/nodes`.
#[derive(Debug, Serialize)]
pub struct Nodes {
    nodes: Vec<NodeInfo>,
}

pub async fn nodes(State(rota): State<Rota>, _caller: Caller) -> AppResult<Json<Nodes>> {
    Ok(Json(Nodes {
        nodes: cluster::list_nodes(&rota).await?,
    }))
}
