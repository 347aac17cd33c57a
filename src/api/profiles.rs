//! Rank profiles (read by anyone, changed by operators), their evaluation on
//! judgments, and the gap report (operators only).

use super::error::{ApiError, ApiResult, ErrorBody};
use super::extract::{from_value, Body, Caller, Params};
use super::schema::{EvalReportSchema, GapReportSchema, RankProfileSchema};
use super::state::AppState;
use crate::engine::{GapReport, DEFAULT_GAP_THRESHOLD};
use crate::eval::{evaluate, parse_judgments, EvalReport};
use crate::model::{Market, ValidationError};
use crate::rank::RankProfile;
use crate::store::ProfileOrigin;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};

/// Names of the stored profiles.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProfileList {
    /// Profile names.
    pub profiles: Vec<String>,
}

/// Lists the stored rank profiles.
#[utoipa::path(
    get, path = "/v1/profiles", tag = "profiles",
    responses((status = 200, description = "Profile names", body = ProfileList))
)]
pub async fn list(State(state): State<Arc<AppState>>) -> ApiResult<Json<ProfileList>> {
    let profiles = state
        .blocking(|engine| Ok(engine.store().profile_names()?))
        .await?;
    Ok(Json(ProfileList { profiles }))
}

/// The latest version of a rank profile.
#[utoipa::path(
    get, path = "/v1/profiles/{name}", tag = "profiles",
    params(("name" = String, Path, description = "Profile name", example = "default-tech")),
    responses(
        (status = 200, description = "The profile", body = RankProfileSchema),
        (status = 404, description = "No such profile", body = ErrorBody),
    )
)]
pub async fn read(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
) -> ApiResult<Json<RankProfile>> {
    let profile = state
        .blocking(move |engine| Ok(engine.profile(&name)?))
        .await?;
    Ok(Json(profile))
}

/// Saves a new version of a profile (operators only). The body is the whole
/// profile; `name` may be omitted and must match the path when given.
#[utoipa::path(
    put, path = "/v1/profiles/{name}", tag = "profiles",
    params(("name" = String, Path, description = "Profile name", example = "default-tech")),
    request_body = RankProfileSchema,
    responses(
        (status = 200, description = "Saved as a new version of an existing profile", body = RankProfileSchema),
        (status = 201, description = "Saved as a new profile", body = RankProfileSchema),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "No or unknown API key", body = ErrorBody),
        (status = 403, description = "Not an operator", body = ErrorBody),
        (status = 413, description = "Body over 1 MiB", body = ErrorBody),
        (status = 422, description = "Invalid profile; `field` names it", body = ErrorBody),
        (status = 429, description = "Rate limit of the key", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
pub async fn save(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    caller: Caller,
    body: Body,
) -> ApiResult<(StatusCode, Json<RankProfile>)> {
    caller.operator()?;
    let mut value = body.json_value()?;
    let object = value
        .as_object_mut()
        .ok_or_else(|| ApiError::invalid(ValidationError::new("body", "must be a JSON object")))?;
    object.remove("version");
    let named = object
        .entry("name")
        .or_insert_with(|| serde_json::Value::String(name.clone()));
    if named.as_str() != Some(name.as_str()) {
        return Err(ApiError::invalid(ValidationError::new(
            "name",
            format!("must be `{name}`, as in the path"),
        )));
    }
    let profile: RankProfile = from_value(value)?;
    profile.validate()?;
    let saved = state
        .blocking(move |engine| {
            Ok(engine
                .store()
                .put_profile(profile, ProfileOrigin::Operator)?)
        })
        .await?;
    let status = if saved.version == 1 {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(saved)))
}

/// Evaluates a profile on graded judgments (operators only): the body is JSON
/// lines of `{"query_id", "doc_id", "grade"}` (grade 0–3) and optionally
/// free-text queries `{"query_id", "text", "kind"}`.
#[utoipa::path(
    post, path = "/v1/profiles/{name}/eval", tag = "profiles",
    params(("name" = String, Path, description = "Profile name", example = "default-tech")),
    request_body(content = String, content_type = "application/x-ndjson", description = "Judgments, one JSON object a line"),
    responses(
        (status = 200, description = "nDCG@10, recall@50, MRR overall and per query", body = EvalReportSchema),
        (status = 401, description = "No or unknown API key", body = ErrorBody),
        (status = 403, description = "Not an operator", body = ErrorBody),
        (status = 404, description = "No such profile", body = ErrorBody),
        (status = 413, description = "Body over 1 MiB", body = ErrorBody),
        (status = 422, description = "A bad judgment line; `field` names the line", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
pub async fn eval(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    caller: Caller,
    body: Body,
) -> ApiResult<Json<EvalReport>> {
    caller.operator()?;
    let text = String::from_utf8(body.bytes.to_vec())
        .map_err(|_| ApiError::bad_request("the body is not UTF-8 text"))?;
    let set = parse_judgments(&text)?;
    if set.grades.is_empty() {
        return Err(ApiError::invalid(ValidationError::new(
            "body",
            "holds no judgments",
        )));
    }
    let report = state
        .blocking(move |engine| {
            let profile = engine.profile(&name)?;
            Ok(evaluate(engine, &set, &profile)?)
        })
        .await?;
    Ok(Json(report))
}

/// Parameters of the gap report.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct GapParams {
    /// tech (needs) or supply (requests); default supply.
    pub market: Option<String>,
    /// Region code prefix, e.g. 52.
    pub region: Option<String>,
    /// Best-match score below which a demand is a gap (default 0.45).
    pub threshold: Option<f32>,
}

/// Open needs or requests whose best match is weak (补链 gaps), by industry and region (operators only).
#[utoipa::path(
    get, path = "/v1/gaps", tag = "profiles",
    params(GapParams),
    responses(
        (status = 200, description = "The gap report", body = GapReportSchema),
        (status = 400, description = "Bad query parameter", body = ErrorBody),
        (status = 401, description = "No or unknown API key", body = ErrorBody),
        (status = 403, description = "Not an operator", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
pub async fn gaps(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Params(params): Params<GapParams>,
) -> ApiResult<Json<GapReport>> {
    caller.operator()?;
    let market = match params.market.as_deref().unwrap_or("supply") {
        "tech" | "技术市场" => Market::Tech,
        "supply" | "协作配套" => Market::Supply,
        other => {
            return Err(ApiError::bad_param(
                "market",
                format!("`{other}` is not tech or supply"),
            ))
        }
    };
    let threshold = params.threshold.unwrap_or(DEFAULT_GAP_THRESHOLD);
    if !threshold.is_finite() {
        return Err(ApiError::bad_param("threshold", "must be a number"));
    }
    let report = state
        .blocking(move |engine| {
            engine
                .gaps(market, params.region.as_deref(), threshold)
                .map_err(ApiError::from_param_error)
        })
        .await?;
    Ok(Json(report))
}
