//! `/api/v1/clusters`, `/api/v1/node-pools`, `/api/v1/nodes`.

use axum::Json;
use axum::extract::State;
use rota_api::wire::{Cluster, NodeInfo, NodePool};
use rota_control::services::{Rota, cluster};
use serde::Serialize;

use super::{AppResult, Caller};

#[utoipa::path(get, path = "/api/v1/clusters", tag = "cluster", security(("bearer" = [])), responses((status = 200, body = Vec<rota_api::wire::Cluster>), (status = 401, description = "Not signed in", body = rota_api::ApiError)))]
pub async fn clusters(State(rota): State<Rota>, _caller: Caller) -> AppResult<Json<Vec<Cluster>>> {
    Ok(Json(cluster::list_clusters(&rota).await?))
}

/// Body of `GET /api/v1/node-pools`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NodePools {
    node_pools: Vec<NodePool>,
}

#[utoipa::path(get, path = "/api/v1/node-pools", tag = "cluster", security(("bearer" = [])), responses((status = 200, body = NodePools), (status = 401, description = "Not signed in", body = rota_api::ApiError)))]
pub async fn node_pools(State(rota): State<Rota>, _caller: Caller) -> AppResult<Json<NodePools>> {
    Ok(Json(NodePools {
        node_pools: cluster::list_node_pools(&rota).await?,
    }))
}

/// Body of `GET /api/v1/nodes`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Nodes {
    nodes: Vec<NodeInfo>,
}

#[utoipa::path(get, path = "/api/v1/nodes", tag = "cluster", security(("bearer" = [])), responses((status = 200, body = Nodes), (status = 401, description = "Not signed in", body = rota_api::ApiError)))]
pub async fn nodes(State(rota): State<Rota>, _caller: Caller) -> AppResult<Json<Nodes>> {
    Ok(Json(Nodes {
        nodes: cluster::list_nodes(&rota).await?,
    }))
}
