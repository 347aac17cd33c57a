//! Full-text search with highlighted snippets and facet counts.

use super::documents::parse_status;
use super::error::{ApiError, ApiResult, ErrorBody};
use super::extract::{kind_param, Params};
use super::schema::SearchHitSchema;
use super::state::AppState;
use crate::engine::SearchHit;
use crate::model::{Kind, Maturity, ZjtxLevel};
use crate::search::facets::FacetCounts;
use crate::search::fulltext::Filters;
use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};

/// Most hits of one search.
pub const MAX_HITS: usize = 100;
/// Longest query text, in characters.
pub const MAX_QUERY_CHARS: usize = 2_000;

/// Parameters of a search.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SearchParams {
    /// Query text (at most 2,000 characters); words match anywhere, "quoted phrases" in order. Empty: all documents within the filters.
    pub q: Option<String>,
    /// Kind to search (need, achievement, request, supplier); all kinds when absent.
    pub kind: Option<String>,
    /// Region code prefix: 52, 5201, 520102.
    pub region: Option<String>,
    /// GB/T 4754 code at any level.
    pub industry: Option<String>,
    /// open (default), closed, expired or any.
    pub status: Option<String>,
    /// research, bench_trial, pilot, industrial (or 研发/小试/中试/产业化).
    pub maturity: Option<String>,
    /// none, pool, provincial, little_giant, champion.
    pub zjtx_level: Option<String>,
    /// Number of hits, 1–100 (default 10).
    pub limit: Option<usize>,
}

/// Search results.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchResponse {
    /// The query text.
    pub q: String,
    /// Hits, best first (across kinds when no kind was given).
    #[schema(value_type = Vec<SearchHitSchema>)]
    pub hits: Vec<SearchHit>,
    /// Counts over every matching document, not only the hits returned.
    #[schema(value_type = Object)]
    pub facets: FacetCounts,
}

fn enum_param<T: serde::de::DeserializeOwned>(
    field: &str,
    value: Option<&str>,
) -> ApiResult<Option<T>> {
    value
        .map(|v| {
            serde_json::from_value(serde_json::Value::String(v.to_string()))
                .map_err(|_| ApiError::bad_param(field, format!("`{v}` is not a known {field}")))
        })
        .transpose()
}

/// Full-text search with snippets (HTML, matched terms in `<b>`) and facets
/// (province, industry division, maturity, 专精特新 level).
#[utoipa::path(
    get, path = "/v1/search", tag = "search",
    params(SearchParams),
    responses(
        (status = 200, description = "Hits and facets", body = SearchResponse),
        (status = 400, description = "Bad query parameter", body = ErrorBody),
        (status = 503, description = "Loading", body = ErrorBody),
    )
)]
pub async fn search(
    State(state): State<Arc<AppState>>,
    Params(params): Params<SearchParams>,
) -> ApiResult<Json<SearchResponse>> {
    let kinds: Vec<Kind> = match params.kind.as_deref() {
        Some(k) => vec![kind_param("kind", k)?],
        None => Kind::ALL.to_vec(),
    };
    let limit = params.limit.unwrap_or(10);
    if !(1..=MAX_HITS).contains(&limit) {
        return Err(ApiError::bad_param(
            "limit",
            format!("must be 1–{MAX_HITS}"),
        ));
    }
    let status = parse_status(params.status.as_deref())?;
    let mut filters = Filters::parse(params.region.as_deref(), params.industry.as_deref(), status)
        .map_err(ApiError::from_param_error)?;
    filters.maturity = enum_param::<Maturity>("maturity", params.maturity.as_deref())?;
    filters.zjtx_level = enum_param::<ZjtxLevel>("zjtx_level", params.zjtx_level.as_deref())?;
    let q = params.q.unwrap_or_default();
    let length = q.chars().count();
    if length > MAX_QUERY_CHARS {
        return Err(ApiError::bad_param(
            "q",
            format!("is {length} characters long; at most {MAX_QUERY_CHARS} allowed"),
        ));
    }
    let echo = q.clone();
    let reader_state = state.clone();
    let (hits, facets) = state
        .blocking(move |engine| {
            let facet_reader = reader_state.facets()?;
            facet_reader.reload()?;
            let mut hits = Vec::new();
            let mut facets = FacetCounts::default();
            for kind in kinds {
                hits.extend(engine.search(kind, &q, &filters, limit)?);
                facets.merge(facet_reader.facets(kind, &q, &filters)?);
            }
            hits.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.id.cmp(&b.id)));
            hits.truncate(limit);
            Ok((hits, facets))
        })
        .await?;
    Ok(Json(SearchResponse {
        q: echo,
        hits,
        facets,
    }))
}
