//! The web console (对接平台控制台): one page of plain HTML, CSS and a little
//! JavaScript, embedded in the binary and served by `duijie serve` at `/`.
//!
//! The page talks only to the `/v1` API. Besides the page and its assets this
//! module serves the shipped relevance judgments read-only
//! (`/console/judgments`), so operators can evaluate a rank profile from the
//! browser. The judgments are read from disk on each request, because they
//! are data that may change without a rebuild: from the directory in
//! `DUIJIE_JUDGMENTS`, else `corpora/judgments` under the working directory,
//! else the crate's own `corpora/judgments`.

use axum::extract::Path;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::OnceLock;

/// The single page.
const INDEX_HTML: &str = include_str!("index.html");
/// The page's script (hash routes, forms, charts).
const APP_JS: &str = include_str!("app.js");
/// The page's style sheet (responsive down to phone width).
const APP_CSS: &str = include_str!("app.css");
/// The page's icon.
const FAVICON_SVG: &str = include_str!("favicon.svg");

/// Environment variable naming the judgments directory.
pub const JUDGMENTS_ENV: &str = "DUIJIE_JUDGMENTS";

/// Largest judgments file served, in bytes (the eval route takes 1 MiB bodies).
const MAX_JUDGMENTS_BYTES: u64 = 1024 * 1024;

/// The console's routes: `/`, `/index.html`, `/assets/*`, and the read-only
/// judgments under `/console/judgments`. Stateless, so it merges into any router.
pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/", get(index))
        .route("/index.html", get(index))
        .route("/assets/app.js", get(app_js))
        .route("/assets/app.css", get(app_css))
        .route("/assets/favicon.svg", get(favicon))
        .route("/favicon.ico", get(favicon))
        .route("/console/codes.json", get(codes))
        .route("/console/judgments", get(list_judgments))
        .route("/console/judgments/{name}", get(read_judgments))
}

/// A strong validator of an embedded asset.
fn etag(content: &str) -> String {
    let digest = Sha256::digest(content.as_bytes());
    format!("\"{}\"", hex::encode(&digest[..8]))
}

/// An embedded asset with its content type: revalidated on every use (the
/// URLs are not versioned), answered with 304 when the browser's copy is current.
fn asset(headers: &HeaderMap, content: &'static str, content_type: &'static str) -> Response {
    let tag = etag(content);
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == tag));
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        ([(header::CONTENT_TYPE, content_type)], content).into_response()
    };
    let h = response.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Ok(value) = HeaderValue::from_str(&tag) {
        h.insert(header::ETAG, value);
    }
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    response
}

async fn index(headers: HeaderMap) -> Response {
    let mut response = asset(&headers, INDEX_HTML, "text/html; charset=utf-8");
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
             connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
        ),
    );
    response.headers_mut().insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

async fn app_js(headers: HeaderMap) -> Response {
    asset(&headers, APP_JS, "text/javascript; charset=utf-8")
}

async fn app_css(headers: HeaderMap) -> Response {
    asset(&headers, APP_CSS, "text/css; charset=utf-8")
}

async fn favicon(headers: HeaderMap) -> Response {
    asset(&headers, FAVICON_SVG, "image/svg+xml")
}

/// Region and industry names by code, as JSON, built once from the embedded tables.
fn codes_json() -> &'static str {
    static JSON: OnceLock<String> = OnceLock::new();
    JSON.get_or_init(|| {
        let regions: BTreeMap<&str, &str> = crate::model::codes::regions()
            .iter()
            .map(|r| (r.code.as_str(), r.name.as_str()))
            .collect();
        let industries: BTreeMap<&str, &str> = crate::model::codes::industries()
            .iter()
            .map(|i| (i.code.as_str(), i.name.as_str()))
            .collect();
        serde_json::json!({"regions": regions, "industries": industries}).to_string()
    })
}

async fn codes(headers: HeaderMap) -> Response {
    asset(&headers, codes_json(), "application/json")
}

/// The directory the judgments are read from.
pub fn judgments_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os(JUDGMENTS_ENV).filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    let local = PathBuf::from("corpora/judgments");
    if local.is_dir() {
        return local;
    }
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/corpora/judgments"))
}

/// One judgments file on offer.
#[derive(Debug, Serialize)]
pub struct JudgmentsFile {
    /// File name, e.g. `tech.jsonl`.
    pub name: String,
    /// Size in bytes.
    pub bytes: u64,
}

/// The judgments files on offer.
#[derive(Debug, Serialize)]
pub struct JudgmentsList {
    /// Files in name order (empty when the directory does not exist).
    pub files: Vec<JudgmentsFile>,
}

/// A judgments file name: letters, digits, `-`, `_`, `.`, ending in `.jsonl`, no path.
fn valid_name(name: &str) -> bool {
    name.len() <= 128
        && name.ends_with(".jsonl")
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

fn error(status: StatusCode, code: &str, detail: String) -> Response {
    (
        status,
        Json(serde_json::json!({"error": code, "detail": detail})),
    )
        .into_response()
}

async fn list_judgments() -> Response {
    let dir = judgments_dir();
    let listed = tokio::task::spawn_blocking(move || -> std::io::Result<Vec<JudgmentsFile>> {
        let mut files = Vec::new();
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(files),
            Err(e) => return Err(e),
        };
        for entry in entries {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let meta = entry.metadata()?;
            if meta.is_file() && valid_name(&name) && meta.len() <= MAX_JUDGMENTS_BYTES {
                files.push(JudgmentsFile {
                    name,
                    bytes: meta.len(),
                });
            }
        }
        files.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(files)
    })
    .await;
    match listed {
        Ok(Ok(files)) => {
            let mut response = Json(JudgmentsList { files }).into_response();
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Ok(Err(e)) => error(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()),
    }
}

async fn read_judgments(Path(name): Path<String>) -> Response {
    if !valid_name(&name) {
        return error(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no judgments file `{name}`"),
        );
    }
    let path = judgments_dir().join(&name);
    let read = tokio::task::spawn_blocking(move || -> std::io::Result<Option<String>> {
        match std::fs::metadata(&path) {
            Ok(meta) if meta.is_file() && meta.len() <= MAX_JUDGMENTS_BYTES => {
                std::fs::read_to_string(&path).map(Some)
            }
            Ok(_) => Ok(None),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    })
    .await;
    match read {
        Ok(Ok(Some(text))) => (
            [
                (header::CONTENT_TYPE, "application/x-ndjson; charset=utf-8"),
                (header::CACHE_CONTROL, "no-store"),
            ],
            text,
        )
            .into_response(),
        Ok(Ok(None)) => error(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no judgments file `{name}`"),
        ),
        Ok(Err(e)) => error(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;

    async fn get(uri: &str, etag: Option<&str>) -> Response {
        let mut request = Request::builder().uri(uri);
        if let Some(tag) = etag {
            request = request.header(header::IF_NONE_MATCH, tag);
        }
        router::<()>()
            .oneshot(request.body(Body::empty()).unwrap())
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn serves_the_page_and_assets_with_types_and_validators() {
        for (uri, ty) in [
            ("/", "text/html; charset=utf-8"),
            ("/assets/app.js", "text/javascript; charset=utf-8"),
            ("/assets/app.css", "text/css; charset=utf-8"),
            ("/assets/favicon.svg", "image/svg+xml"),
        ] {
            let response = get(uri, None).await;
            assert_eq!(response.status(), StatusCode::OK, "{uri}");
            assert_eq!(response.headers()[header::CONTENT_TYPE], ty, "{uri}");
            assert_eq!(response.headers()[header::CACHE_CONTROL], "no-cache");
            let tag = response.headers()[header::ETAG]
                .to_str()
                .unwrap()
                .to_string();
            let again = get(uri, Some(&tag)).await;
            assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{uri}");
        }
    }

    #[test]
    fn judgments_names_cannot_leave_the_directory() {
        assert!(valid_name("tech.jsonl"));
        assert!(valid_name("supply-v2_final.jsonl"));
        assert!(!valid_name("../secret.jsonl"));
        assert!(!valid_name(".hidden.jsonl"));
        assert!(!valid_name("tech.json"));
        assert!(!valid_name("a/b.jsonl"));
    }
}
