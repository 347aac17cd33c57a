//! Operations: liveness, readiness, Prometheus metrics, the OpenAPI document
//! and the interactive docs page.

use super::error::{ApiError, ApiResult};
use super::state::AppState;
use super::telemetry::prometheus;
use crate::model::Kind;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use std::sync::Arc;
use utoipa::ToSchema;

/// The docs page: renders `/openapi.json` with a form per operation; no external assets.
const DOCS_HTML: &str = include_str!("docs.html");

/// Liveness.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// Always `ok`.
    pub status: String,
}

/// Readiness: the indexes reflect every write the store has.
#[derive(Debug, Serialize, ToSchema)]
pub struct Readiness {
    /// True when the engine is open and the indexes have caught up.
    pub ready: bool,
    /// Sequence number of the store's last write.
    pub store_seq: u64,
    /// Sequence number the indexes are known to reflect.
    pub indexed_seq: u64,
    /// `store_seq − indexed_seq`.
    pub lag: u64,
}

/// The process is alive (always 200).
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "Alive", body = Health)))]
pub async fn healthz() -> Json<Health> {
    Json(Health {
        status: "ok".into(),
    })
}

fn readiness(state: &AppState) -> ApiResult<Readiness> {
    let Some(engine) = state.engine_if_open() else {
        return Ok(Readiness {
            ready: false,
            store_seq: 0,
            indexed_seq: 0,
            lag: 0,
        });
    };
    let store_seq = engine.store().last_seq()?;
    let indexed_seq = state.indexed_seq();
    Ok(Readiness {
        ready: indexed_seq >= store_seq,
        store_seq,
        indexed_seq,
        lag: store_seq.saturating_sub(indexed_seq),
    })
}

/// 200 when the engine is open and its indexes reflect every stored write; 503 otherwise.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses(
        (status = 200, description = "Ready", body = Readiness),
        (status = 503, description = "Loading, or the indexes lag behind the store", body = Readiness),
    ))]
pub async fn readyz(State(state): State<Arc<AppState>>) -> ApiResult<Response> {
    let r = readiness(&state)?;
    let status = if r.ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    Ok((status, Json(r)).into_response())
}

/// Prometheus metrics: requests and latency per route, live documents per kind in
/// the store and in each index, index lag.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text format", body = String, content_type = "text/plain")))]
pub async fn metrics(State(state): State<Arc<AppState>>) -> ApiResult<Response> {
    let handle = prometheus();
    let r = readiness(&state)?;
    metrics::gauge!("duijie_store_seq").set(r.store_seq as f64);
    metrics::gauge!("duijie_indexed_seq").set(r.indexed_seq as f64);
    metrics::gauge!("duijie_index_lag").set(r.lag as f64);
    metrics::gauge!("duijie_ready").set(if r.ready { 1.0 } else { 0.0 });
    if state.engine_if_open().is_some() {
        let state = state.clone();
        tokio::task::spawn_blocking(move || index_gauges(&state))
            .await
            .map_err(|e| ApiError::internal(&e))??;
    }
    handle.run_upkeep();
    Ok((
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        handle.render(),
    )
        .into_response())
}

/// Sets the document-count gauges of the store and the indexes (blocking:
/// reloads the index readers and reads the store's owner index).
fn index_gauges(state: &AppState) -> ApiResult<()> {
    let engine = state.engine()?;
    let facets = state.facets()?;
    facets.reload()?;
    let semantic = engine.semantic();
    let stored = engine.store().counts()?;
    for kind in Kind::ALL {
        metrics::gauge!("duijie_store_documents", "kind" => kind.as_str())
            .set(stored.get(&kind).copied().unwrap_or(0) as f64);
        metrics::gauge!("duijie_index_documents", "index" => "fulltext", "kind" => kind.as_str())
            .set(facets.num_docs(kind) as f64);
        let vectors = semantic.as_ref().map_or(0, |s| s.vectors.len(kind));
        metrics::gauge!("duijie_index_documents", "index" => "vector", "kind" => kind.as_str())
            .set(vectors as f64);
    }
    Ok(())
}

/// This API's OpenAPI 3.1 description, generated from the handlers.
#[utoipa::path(get, path = "/openapi.json", tag = "operations",
    responses((status = 200, description = "OpenAPI document", body = Object)))]
pub async fn openapi_json() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        super::openapi::spec_json(),
    )
        .into_response()
}

/// Interactive documentation: every operation with a form to try it.
#[utoipa::path(get, path = "/docs", tag = "operations",
    responses((status = 200, description = "HTML page", body = String, content_type = "text/html")))]
pub async fn docs() -> Html<&'static str> {
    Html(DOCS_HTML)
}
