//! The HTTP service: JSON routes under `/v1` over the engine, API keys with
//! roles, JSON errors, per-key rate limits, request ids and logs, Prometheus
//! metrics, an OpenAPI document generated from the handlers, and a docs page.
//!
//! Engine calls block (sled, tantivy, rayon), so handlers run them on the
//! blocking pool. Writes are acknowledged once durable in the store; a
//! background task brings the indexes up to the store right after writes
//! (at most every [`ServiceConfig::sync_interval`]), so a write is visible to
//! search and matching within about a second.

pub mod admin;
mod documents;
pub mod error;
mod extract;
mod matching;
pub mod openapi;
mod ops;
mod profiles;
pub mod ratelimit;
mod schema;
mod search;
pub mod server;
pub mod state;
mod telemetry;

pub use server::{run, serve, shutdown_signal, ServeOptions};
pub use state::{AppState, ServiceConfig};

use axum::extract::DefaultBodyLimit;
use axum::http::{Request, StatusCode};
use axum::middleware::{from_fn, map_response};
use axum::Router;
use std::sync::Arc;
use tower::ServiceBuilder;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::{RequestBodyTimeoutLayer, TimeoutLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tower_http::LatencyUnit;
use tracing::Level;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The documented routes, with their timeouts (the ordinary one, and a long
/// one for evaluation and gap reports).
fn routes_with(config: &ServiceConfig) -> OpenApiRouter<Arc<AppState>> {
    let timeout = |d| TimeoutLayer::with_status_code(StatusCode::SERVICE_UNAVAILABLE, d);
    let fast = OpenApiRouter::new()
        .routes(routes!(documents::list, documents::create))
        .routes(routes!(
            documents::read,
            documents::replace,
            documents::remove
        ))
        .routes(routes!(matching::of_document))
        .routes(routes!(matching::of_text))
        .routes(routes!(search::search))
        .routes(routes!(profiles::list))
        .routes(routes!(profiles::read, profiles::save))
        .routes(routes!(ops::healthz))
        .routes(routes!(ops::readyz))
        .routes(routes!(ops::metrics))
        .routes(routes!(ops::openapi_json))
        .routes(routes!(ops::docs))
        .layer(timeout(config.request_timeout));
    let slow = OpenApiRouter::new()
        .routes(routes!(profiles::eval))
        .routes(routes!(profiles::gaps))
        .routes(routes!(admin::snapshot))
        .layer(timeout(config.slow_request_timeout));
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .merge(fast)
        .merge(slow)
}

/// The documented routes with the default configuration (for the OpenAPI document).
pub(crate) fn routes() -> OpenApiRouter<Arc<AppState>> {
    routes_with(&ServiceConfig::default())
}

fn request_span<B>(request: &Request<B>) -> tracing::Span {
    let id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    tracing::info_span!(
        "request",
        request_id = %id,
        method = %request.method(),
        uri = %request.uri(),
    )
}

/// The service over `state`: routes, fallbacks, metrics, body limit, request
/// ids, request logs and JSON errors.
pub fn router(state: Arc<AppState>) -> Router {
    telemetry::prometheus();
    let (routes, _) = routes_with(&state.config).split_for_parts();
    routes
        .route_layer(from_fn(telemetry::track))
        .merge(crate::web::router())
        .fallback(telemetry::not_found)
        .method_not_allowed_fallback(telemetry::method_not_allowed)
        .layer(DefaultBodyLimit::max(state.config.body_limit))
        .layer(RequestBodyTimeoutLayer::new(state.config.body_read_timeout))
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
                .layer(
                    TraceLayer::new_for_http()
                        .make_span_with(request_span)
                        .on_request(())
                        .on_failure(())
                        .on_response(
                            DefaultOnResponse::new()
                                .level(Level::INFO)
                                .latency_unit(LatencyUnit::Micros),
                        ),
                )
                .layer(PropagateRequestIdLayer::x_request_id())
                .layer(map_response(telemetry::json_errors))
                .layer(from_fn(telemetry::close_after_refused_body)),
        )
        .with_state(state)
}
