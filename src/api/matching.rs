//! Matches: of a stored document, or of free text, against the counterpart kind.

use super::error::{ApiError, ApiResult, ErrorBody};
use super::extract::{kind_param, kind_segment, Body, Caller, Params};
use super::schema::{Collection, MatchHitSchema};
use super::state::AppState;
use crate::engine::{MatchHit, MatchOptions, TextHints};
use crate::model::{Kind, Maturity, ValidationError, ZjtxLevel, MAX_BODY_CHARS};
use crate::rank::RankProfile;
use crate::search::fulltext::Filters;
use crate::Engine;
use axum::extract::{Path, State};
use axum::Json;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};

/// Most results of one match.
pub const MAX_K: usize = 100;

/// Matches and what produced them.
#[derive(Debug, Serialize, ToSchema)]
pub struct MatchResponse {
    /// Id of the matched document (absent for free text).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    /// Kind of the results.
    #[schema(value_type = String, example = "achievement")]
    pub kind: Kind,
    /// Rank profile used.
    pub profile: String,
    /// What a free text said besides its subject (place, certifications,
    /// budget), used as the query's fields; absent when nothing was read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub understood: Option<TextHints>,
    /// Best first.
    #[schema(value_type = Vec<MatchHitSchema>)]
    pub results: Vec<MatchHit>,
}

/// Parameters of the matches of a document.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MatchParams {
    /// Number of results, 1–100 (default 10).
    pub k: Option<usize>,
    /// Rank profile (default: the market's default).
    pub profile: Option<String>,
    /// Include each score's parts.
    pub explain: Option<bool>,
    /// Region code prefix the results must be in.
    pub region: Option<String>,
    /// GB/T 4754 code the results must be in.
    pub industry: Option<String>,
}

/// A free-text match.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MatchRequest {
    /// The text (at most 20,000 characters), read as a document of the counterpart of `kind`.
    #[schema(example = "废旧锂电池正极材料回收再利用")]
    pub text: String,
    /// Kind of the results: need, achievement, request, supplier (singular, plural or Chinese).
    #[schema(example = "achievement")]
    pub kind: String,
    /// Number of results, 1–100 (default 10).
    #[serde(default)]
    pub k: Option<usize>,
    /// Rank profile (default: the market's default).
    #[serde(default)]
    pub profile: Option<String>,
    /// Include each score's parts.
    #[serde(default)]
    pub explain: bool,
    /// Region code prefix the results must be in.
    #[serde(default)]
    pub region: Option<String>,
    /// GB/T 4754 code the results must be in.
    #[serde(default)]
    pub industry: Option<String>,
    /// Only results at this maturity.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub maturity: Option<Maturity>,
    /// Only suppliers at this 专精特新 level.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub zjtx_level: Option<ZjtxLevel>,
}

fn check_k(k: Option<usize>, bad: impl Fn(String) -> ApiError) -> ApiResult<usize> {
    let k = k.unwrap_or(10);
    if (1..=MAX_K).contains(&k) {
        Ok(k)
    } else {
        Err(bad(format!("must be 1–{MAX_K}")))
    }
}

/// The profile to use: the named one (which must exist), or the market's default.
fn profile_name(engine: &Engine, name: Option<&str>, kind: Kind) -> crate::Result<Option<String>> {
    match name {
        None => Ok(Some(RankProfile::default_name(kind.market()).to_string())),
        Some(name) => Ok(engine.store().profile(name)?.map(|_| name.to_string())),
    }
}

/// Best documents of the counterpart kind for a stored document.
#[utoipa::path(
    get, path = "/v1/{kind}/{id}/matches", tag = "matching",
    params(("kind" = Collection, Path, description = "Collection of the document"), ("id" = String, Path, description = "Document id"), MatchParams),
    responses(
        (status = 200, description = "Matches", body = MatchResponse),
        (status = 400, description = "Bad query parameter (unknown profile, bad k or codes)", body = ErrorBody),
        (status = 404, description = "No such document", body = ErrorBody),
        (status = 503, description = "Loading", body = ErrorBody),
    ),
    security((), ("api_key" = []))
)]
pub async fn of_document(
    State(state): State<Arc<AppState>>,
    Path((collection, id)): Path<(String, String)>,
    caller: Caller,
    Params(params): Params<MatchParams>,
) -> ApiResult<Json<MatchResponse>> {
    let kind = kind_segment(&collection)?;
    let k = check_k(params.k, |m| ApiError::bad_param("k", m))?;
    let filters = Filters::parse(params.region.as_deref(), params.industry.as_deref(), None)
        .map_err(ApiError::from_param_error)?;
    let response = state
        .blocking(move |engine| {
            let doc = engine
                .store()
                .get(&id)?
                .filter(|d| d.kind == kind && caller.may_read(d))
                .ok_or_else(|| {
                    ApiError::not_found(format!("no such document in {}", kind.plural()))
                })?;
            let profile = profile_name(engine, params.profile.as_deref(), kind)?
                .ok_or_else(|| ApiError::bad_param("profile", "no profile of this name"))?;
            let options = MatchOptions {
                profile: Some(profile.clone()),
                k,
                filters,
                explain: params.explain.unwrap_or(false),
            };
            let results = engine.match_id(&doc.id, &options)?;
            Ok(MatchResponse {
                query: Some(doc.id),
                kind: kind.counterpart(),
                profile,
                understood: None,
                results,
            })
        })
        .await?;
    Ok(Json(response))
}

/// Best documents of a kind for a free text (read as a document of the counterpart kind).
#[utoipa::path(
    post, path = "/v1/match", tag = "matching",
    request_body = MatchRequest,
    responses(
        (status = 200, description = "Matches", body = MatchResponse),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 413, description = "Body over 1 MiB", body = ErrorBody),
        (status = 422, description = "Invalid request; `field` names it", body = ErrorBody),
        (status = 503, description = "Loading", body = ErrorBody),
    )
)]
pub async fn of_text(
    State(state): State<Arc<AppState>>,
    body: Body,
) -> ApiResult<Json<MatchResponse>> {
    let request: MatchRequest = body.json()?;
    let invalid = |field: &str, m: String| ApiError::invalid(ValidationError::new(field, m));
    let length = request.text.chars().count();
    if length > MAX_BODY_CHARS {
        return Err(invalid(
            "text",
            format!("is {length} characters long; at most {MAX_BODY_CHARS} allowed"),
        ));
    }
    let kind = kind_param("kind", &request.kind).map_err(|e| invalid("kind", e.body.detail))?;
    let k = check_k(request.k, |m| invalid("k", m))?;
    let mut filters = Filters::parse(request.region.as_deref(), request.industry.as_deref(), None)?;
    filters.maturity = request.maturity;
    filters.zjtx_level = request.zjtx_level;
    let response = state
        .blocking(move |engine| {
            let profile = profile_name(engine, request.profile.as_deref(), kind)?
                .ok_or_else(|| invalid("profile", "no profile of this name".into()))?;
            let options = MatchOptions {
                profile: Some(profile.clone()),
                k,
                filters,
                explain: request.explain,
            };
            let matched = engine.match_text(&request.text, kind, &options)?;
            let understood = matched.understood;
            Ok(MatchResponse {
                query: None,
                kind,
                profile,
                understood: (!understood.is_empty()).then_some(understood),
                results: matched.hits,
            })
        })
        .await?;
    Ok(Json(response))
}
