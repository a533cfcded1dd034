//! The answers every operation of a kind can give, declared once for all of them: any operation
//! that needs a token may answer 401; any that reads a body, 400 (not JSON, or over 1 MiB) and
//! 422 (a field of the wrong type or value — or naming something that does not exist — with the
//! field in `details`).

use utoipa::Modify;
use utoipa::openapi::path::Operation;
use utoipa::openapi::{OpenApi, PathItem, RefOr, Response, ResponseBuilder, content::Content};

/// Adds the common answers an operation does not already declare.
pub struct CommonResponses;

impl Modify for CommonResponses {
    fn modify(&self, doc: &mut OpenApi) {
        for item in doc.paths.paths.values_mut() {
            for operation in operations(item) {
                let signed_in = operation.security.as_ref().is_some_and(|s| !s.is_empty());
                if signed_in {
                    declare(
                        operation,
                        "401",
                        "Not signed in, or the token no longer works",
                    );
                }
                if operation.request_body.is_some() {
                    declare(
                        operation,
                        "400",
                        "The body is not JSON, or larger than 1 MiB",
                    );
                    declare(operation, "422", "A field is wrong; details name it");
                }
            }
        }
    }
}

fn declare(operation: &mut Operation, status: &str, description: &str) {
    let responses = &mut operation.responses.responses;
    if !responses.contains_key(status) {
        responses.insert(status.to_owned(), RefOr::T(error(description)));
    }
}

/// An answer whose body is the error shape every failure has.
fn error(description: &str) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            Content::new(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(
                "ApiError",
            )))),
        )
        .build()
}

/// Every operation of a path.
pub fn operations(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        item.get.as_mut(),
        item.put.as_mut(),
        item.post.as_mut(),
        item.delete.as_mut(),
        item.patch.as_mut(),
    ]
    .into_iter()
    .flatten()
}
