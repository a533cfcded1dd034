//! OpenAPI links: what each create answers leads to the operations on the thing it made (its get,
//! put and delete), so a client — or the stateful phase of a fuzzer — can follow an id from the
//! answer of one call into the path of the next.

use utoipa::Modify;
use utoipa::openapi::extensions::Extensions;
use utoipa::openapi::link::LinkBuilder;
use utoipa::openapi::{OpenApi, RefOr};

use super::responses::operations;

/// Where the id is in each kind of answer.
const ID: &str = "$response.body#/id";
const ASSET_ID: &str = "$response.body#/meta/id";

/// (creating operation, its success status, where the id is, operations that take it as `id`).
const LINKS: &[(&str, &str, &str, &[&str])] = &[
    (
        "create_project",
        "201",
        ID,
        &["get_project", "update_project", "delete_project"],
    ),
    (
        "create_department",
        "201",
        ID,
        &["update_department", "delete_department"],
    ),
    (
        "create_environment",
        "201",
        ASSET_ID,
        &["update_environment", "delete_environment"],
    ),
    (
        "create_compute",
        "201",
        ASSET_ID,
        &["update_compute", "delete_compute"],
    ),
    (
        "create_template",
        "201",
        ASSET_ID,
        &["update_template", "delete_template"],
    ),
    (
        "create_app",
        "201",
        ID,
        &["rotate_app_secret", "delete_app"],
    ),
    (
        "create_user_app",
        "201",
        ID,
        &["rotate_user_app_secret", "delete_user_app"],
    ),
    ("create_user", "201", ID, &["delete_user"]),
    ("submit_training", "202", ID, WORKLOAD_OPERATIONS),
    ("submit_workspace", "202", ID, WORKLOAD_OPERATIONS),
    ("submit_distributed", "202", ID, WORKLOAD_OPERATIONS),
];

const WORKLOAD_OPERATIONS: &[&str] = &["get_one", "events", "pods", "logs", "delete"];

/// Adds [`LINKS`] to the document.
pub struct CreateLinks;

impl Modify for CreateLinks {
    fn modify(&self, doc: &mut OpenApi) {
        for item in doc.paths.paths.values_mut() {
            for operation in operations(item) {
                let Some(id) = operation.operation_id.as_deref() else {
                    continue;
                };
                let Some((_, status, at, targets)) = LINKS.iter().find(|l| l.0 == id) else {
                    continue;
                };
                let Some(RefOr::T(response)) = operation.responses.responses.get_mut(*status)
                else {
                    continue;
                };
                for target in *targets {
                    // utoipa 5.5 writes `Link::operation_id` as "operation_id", which no client
                    // reads; OpenAPI spells it "operationId", so it goes in by that name.
                    let operation_id = Extensions::from_iter([("operationId", *target)]);
                    let link = LinkBuilder::new()
                        .parameter("id", *at)
                        .extensions(Some(operation_id))
                        .build();
                    response.links.insert((*target).to_owned(), RefOr::T(link));
                }
            }
        }
    }
}
