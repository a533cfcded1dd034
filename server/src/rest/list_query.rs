//! `GET /api/v1/workloads`'s query, typed: `filterBy` may repeat (`?filterBy=a==b&filterBy=c==d`),
//! and each may join several terms with commas as Run:ai's clients do. Read by `serde_html_form`
//! (which takes repeated keys into a list) under `serde_path_to_error`, so a bad value is refused
//! with the name of its parameter.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use rota_api::ApiError;
use rota_api::validate::{self, FilterOp};
use rota_control::services::workloads::{ListFilter, SortBy};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::AppError;

/// Fields `filterBy` accepts.
const FILTER_FIELDS: [&str; 6] = [
    "projectName",
    "projectId",
    "phase",
    "type",
    "name",
    "clusterId",
];

/// Rows a page holds when `limit` is not given.
const DEFAULT_LIMIT: u16 = 50;
/// The most rows one page may hold.
const MAX_LIMIT: u16 = 500;

/// What a list of workloads may be ordered by.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum SortField {
    CreatedAt,
    Name,
    Phase,
    Type,
    ProjectName,
    ProjectId,
    Priority,
}

/// Up or down.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SortOrder {
    Asc,
    Desc,
}

/// The query of `GET /api/v1/workloads`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct WorkloadsQuery {
    /// Rows to skip
    #[param(maximum = 2147483647)]
    offset: Option<u32>,
    /// At most this many (1-500, default 50)
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u16>,
    /// createdAt, name, phase, type, projectName or priority
    #[param(inline)]
    sort_by: Option<SortField>,
    /// asc or desc
    #[param(inline)]
    sort_order: Option<SortOrder>,
    /// field==value, field!=value or field=@value; several joined by commas, or repeated
    #[serde(default)]
    #[param(
        pattern = r"^((projectName|projectId|type|clusterId)==[^,]*|phase(==|!=)[^,]*|name(==|=@)[^,]*)?(,((projectName|projectId|type|clusterId)==[^,]*|phase(==|!=)[^,]*|name(==|=@)[^,]*)?)*$"
    )]
    filter_by: Vec<String>,
    /// Names containing this
    search: Option<String>,
}

impl<S: Send + Sync> FromRequestParts<S> for WorkloadsQuery {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let raw = parts.uri.query().unwrap_or_default();
        let form = serde_html_form::Deserializer::new(form_urlencoded::parse(raw.as_bytes()));
        serde_path_to_error::deserialize(form).map_err(|e| {
            let field = e.path().to_string();
            let inner = e.into_inner();
            let why = match field.as_str() {
                "offset" => format!("must be a whole number from 0 to {} ({inner})", i32::MAX),
                "limit" => format!("must be a whole number from 1 to {MAX_LIMIT} ({inner})"),
                _ => inner.to_string(),
            };
            AppError::from(ApiError::invalid(&field, why))
        })
    }
}

impl WorkloadsQuery {
    /// The list filter this query asks for, or which parameter is wrong.
    pub fn filter(self) -> Result<ListFilter, ApiError> {
        let limit = self.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(ApiError::invalid(
                "limit",
                format!("must be from 1 to {MAX_LIMIT} (got {limit})"),
            ));
        }
        let offset = self.offset.unwrap_or(0);
        if offset > i32::MAX as u32 {
            return Err(ApiError::invalid(
                "offset",
                format!(
                    "must be a whole number from 0 to {} (got {offset})",
                    i32::MAX
                ),
            ));
        }
        let mut filter = ListFilter {
            offset: u64::from(offset),
            limit: Some(u64::from(limit)),
            search: self.search,
            descending: matches!(self.sort_order, Some(SortOrder::Desc)),
            sort_by: match self.sort_by {
                None | Some(SortField::CreatedAt) => SortBy::CreatedAt,
                Some(SortField::Name) => SortBy::Name,
                Some(SortField::Phase) => SortBy::Phase,
                Some(SortField::Type) => SortBy::Type,
                Some(SortField::ProjectName | SortField::ProjectId) => SortBy::Project,
                Some(SortField::Priority) => SortBy::Priority,
            },
            ..ListFilter::default()
        };
        for term in self.filter_by.iter().flat_map(|f| f.split(',')) {
            if !term.is_empty() {
                apply_filter(&mut filter, term)?;
            }
        }
        Ok(filter)
    }
}

fn apply_filter(filter: &mut ListFilter, term: &str) -> Result<(), ApiError> {
    let term = validate::filter_term(term, &FILTER_FIELDS)?;
    let v = Some(term.value.clone());
    match (term.field.as_str(), term.op) {
        ("projectName" | "projectId", FilterOp::Equals) => filter.project = v,
        ("phase", FilterOp::Equals) => filter.phase = v,
        ("phase", FilterOp::NotEquals) => filter.not_phase = v,
        ("type", FilterOp::Equals) => filter.kind = v,
        ("name", FilterOp::Contains | FilterOp::Equals) => filter.search = v,
        ("clusterId", FilterOp::Equals) => {}
        (field, _) => {
            return Err(ApiError::invalid(
                "filterBy",
                format!("{field} cannot be filtered with that operator"),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Request;

    async fn read(query: &str) -> Result<ListFilter, ApiError> {
        let (mut parts, ()) = Request::builder()
            .uri(format!("/api/v1/workloads?{query}"))
            .body(())
            .map_err(|e| ApiError::invalid("uri", e.to_string()))?
            .into_parts();
        match WorkloadsQuery::from_request_parts(&mut parts, &()).await {
            Ok(q) => q.filter(),
            Err(e) => Err(e.0),
        }
    }

    #[tokio::test]
    async fn filter_by_repeats_and_joins_with_commas() {
        let f = read("filterBy=projectName==team-a&filterBy=phase!=Completed,type==Training")
            .await
            .expect("a good query");
        assert_eq!(f.project.as_deref(), Some("team-a"));
        assert_eq!(f.not_phase.as_deref(), Some("Completed"));
        assert_eq!(f.kind.as_deref(), Some("Training"));
        assert_eq!(f.limit, Some(50));
        let f = read("sortBy=projectId&sortOrder=desc&limit=500&offset=10&unknown=1")
            .await
            .expect("a good query");
        assert_eq!((f.sort_by, f.descending), (SortBy::Project, true));
        assert_eq!((f.limit, f.offset), (Some(500), 10));
    }

    #[tokio::test]
    async fn a_bad_parameter_is_refused_by_name() {
        for (query, field) in [
            ("limit=0", "limit"),
            ("limit=501", "limit"),
            ("limit=x", "limit"),
            ("offset=-1", "offset"),
            ("offset=2147483648", "offset"),
            ("sortBy=size", "sortBy"),
            ("sortOrder=up", "sortOrder"),
            ("filterBy=color==red", "filterBy"),
            (
                "filterBy=projectName==a&filterBy=type!=Training",
                "filterBy",
            ),
        ] {
            let err = read(query).await.expect_err(query);
            assert_eq!(err.code, rota_api::ErrorCode::Invalid, "{query}");
            let text = serde_json::to_string(&err).unwrap_or_default();
            assert!(text.contains(field), "{query}: {text}");
        }
    }
}
