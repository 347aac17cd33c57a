//! Extractors whose refusals are JSON errors: the caller (API key), query
//! parameters, the raw body (with its size limit), and the document kind in a path.

use super::error::{ApiError, ApiResult};
use super::state::AppState;
use crate::model::{Document, Kind};
use crate::store::{ApiKey, Role};
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, Method, StatusCode};
use bytes::BytesMut;
use http_body_util::BodyExt;
use serde::de::DeserializeOwned;
use std::sync::Arc;
use std::time::Duration;

/// Who is calling: anonymous, or the holder of a known key.
#[derive(Debug, Clone, Default)]
pub struct Caller {
    /// The key's holder, for authenticated requests.
    pub holder: Option<ApiKey>,
}

impl Caller {
    /// The holder, or 401 for an anonymous caller.
    pub fn writer(&self) -> ApiResult<&ApiKey> {
        self.holder.as_ref().ok_or_else(|| {
            ApiError::unauthorized("this request needs an API key: `Authorization: Bearer <key>`")
        })
    }

    /// The holder if it is an operator: 401 when anonymous, 403 otherwise.
    pub fn operator(&self) -> ApiResult<&ApiKey> {
        let holder = self.writer()?;
        if holder.role == Role::Operator {
            Ok(holder)
        } else {
            Err(ApiError::forbidden(format!(
                "only operators may do this; this key's role is {}",
                holder.role
            )))
        }
    }

    /// True for an operator's key.
    pub fn is_operator(&self) -> bool {
        self.holder
            .as_ref()
            .is_some_and(|h| h.role == Role::Operator)
    }

    /// True when the caller may see everything of `doc`: its owner or an operator.
    pub fn sees_all_of(&self, doc: &Document) -> bool {
        self.is_operator() || self.holder.as_ref().is_some_and(|h| h.party == doc.owner)
    }

    /// The document as this caller may see it (contact details for its owner and operators only).
    pub fn view(&self, doc: Document) -> Document {
        if self.sees_all_of(&doc) {
            doc
        } else {
            doc.public_view()
        }
    }

    /// True when the caller may read `doc` at all: open documents are public,
    /// closed and expired ones are visible to their owner and operators.
    pub fn may_read(&self, doc: &Document) -> bool {
        doc.status == crate::model::Status::Open || self.sees_all_of(doc)
    }
}

/// The token of an `Authorization: Bearer <token>` header value.
pub(super) fn bearer(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

impl FromRequestParts<Arc<AppState>> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> ApiResult<Caller> {
        let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
            return Ok(Caller::default());
        };
        let key = value
            .to_str()
            .ok()
            .and_then(bearer)
            .ok_or_else(|| {
                ApiError::unauthorized("the Authorization header must be `Bearer <key>`")
            })?
            .to_string();
        let engine = state.engine()?;
        let holder = engine
            .store()
            .key_holder(&key)?
            .ok_or_else(|| ApiError::unauthorized("unknown API key"))?;
        let limiter = if parts.method == Method::GET || parts.method == Method::HEAD {
            &state.read_limiter
        } else {
            &state.write_limiter
        };
        limiter.check(&key).map_err(ApiError::rate_limited)?;
        Ok(Caller {
            holder: Some(holder),
        })
    }
}

/// Query parameters; a bad one is a 400 naming the parameter.
pub struct Params<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Params<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> ApiResult<Params<T>> {
        let query = parts.uri.query().unwrap_or_default();
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(de)
            .map(Params)
            .map_err(|e| {
                let field = e.path().to_string();
                let detail = e.into_inner().to_string();
                let field = if field == "." {
                    detail
                        .strip_prefix("missing field `")
                        .or_else(|| detail.strip_prefix("unknown field `"))
                        .and_then(|r| r.split('`').next())
                        .unwrap_or("query")
                        .to_string()
                } else {
                    field
                };
                ApiError::bad_param(&field, format!("query parameter: {detail}"))
            })
    }
}

/// The raw request body, at most the configured size (413 beyond, as soon
/// as a declared length or the bytes read exceed it), read with an idle
/// timeout (408 when the client stops sending), and its declared content type.
pub struct Body {
    /// The bytes.
    pub bytes: Bytes,
    /// The `Content-Type` header, when the request had one.
    pub content_type: Option<String>,
}

/// True when an error, or one of its sources, is the body read timeout.
fn is_body_timeout(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(error);
    while let Some(e) = current {
        if e.is::<tower_http::timeout::TimeoutError>() {
            return true;
        }
        current = e.source();
    }
    false
}

/// Most bytes of a refused body read and discarded after the answer, so that a
/// client that sends its whole body before reading (most do) reads the 413
/// instead of a reset connection.
const DRAIN_BYTES: usize = 16 * 1024 * 1024;
/// Longest time spent discarding a refused body.
const DRAIN_TIME: Duration = Duration::from_secs(10);

/// Reads and discards the rest of a refused body in the background (bounded
/// in bytes and time), unless the client waits for `100 Continue` and so has
/// not sent it.
fn drain(mut body: axum::body::Body, expects_continue: bool) {
    if expects_continue {
        return;
    }
    tokio::spawn(async move {
        let discard = async {
            let mut drained = 0usize;
            while let Some(Ok(frame)) = body.frame().await {
                drained += frame.data_ref().map_or(0, |d| d.len());
                if drained > DRAIN_BYTES {
                    break;
                }
            }
        };
        let _ = tokio::time::timeout(DRAIN_TIME, discard).await;
    });
}

impl FromRequest<Arc<AppState>> for Body {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &Arc<AppState>) -> ApiResult<Body> {
        let limit = state.config.body_limit;
        let too_large = || {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("the body is larger than {limit} bytes"),
            )
        };
        let headers = req.headers();
        let content_type = headers
            .get(header::CONTENT_TYPE)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        let declared = headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        let expects_continue = headers
            .get(header::EXPECT)
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
        let mut body = req.into_body();
        // A declared length over the limit is refused before any of the body is read.
        if declared.is_some_and(|n| n > limit as u64) {
            drain(body, expects_continue);
            return Err(too_large());
        }
        let mut bytes = BytesMut::with_capacity(declared.map_or(0, |n| n as usize));
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| {
                if is_body_timeout(&e) {
                    ApiError::new(
                        StatusCode::REQUEST_TIMEOUT,
                        "timeout",
                        format!(
                            "the body stopped arriving for {} s",
                            state.config.body_read_timeout.as_secs_f64()
                        ),
                    )
                } else {
                    ApiError::bad_request(format!("the body could not be read: {e}"))
                }
            })?;
            if let Some(data) = frame.data_ref() {
                if bytes.len() + data.len() > limit {
                    drain(body, expects_continue);
                    return Err(too_large());
                }
                bytes.extend_from_slice(data);
            }
        }
        Ok(Body {
            bytes: bytes.freeze(),
            content_type,
        })
    }
}

/// True for `application/json` and `application/…+json` (parameters aside).
fn is_json_type(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

impl Body {
    /// Parses the body as JSON: 415 when it is declared as something else,
    /// 400 when it is not JSON at all (the parser's message names the line
    /// and column).
    pub fn json_value(&self) -> ApiResult<serde_json::Value> {
        if let Some(declared) = self.content_type.as_deref() {
            if !is_json_type(declared) {
                return Err(ApiError::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "unsupported_media_type",
                    format!(
                        "the body must be JSON (`Content-Type: application/json`), not `{declared}`"
                    ),
                ));
            }
        }
        serde_json::from_slice(&self.bytes)
            .map_err(|e| ApiError::bad_request(format!("malformed JSON: {e}")))
    }

    /// Parses the body as a JSON `T`: 415 for another declared type, 400 for
    /// malformed JSON, 422 naming the field for JSON of the wrong shape.
    pub fn json<T: DeserializeOwned>(&self) -> ApiResult<T> {
        let value = self.json_value()?;
        from_value(value)
    }
}

/// Deserialises a JSON value, naming the field at fault (422).
pub fn from_value<T: DeserializeOwned>(value: serde_json::Value) -> ApiResult<T> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let detail = e.into_inner().to_string();
        let missing = detail
            .strip_prefix("missing field `")
            .and_then(|r| r.split('`').next())
            .map(str::to_string);
        let field = match (missing, path.as_str()) {
            (Some(name), "." | "") => name,
            (Some(name), p) => format!("{p}.{name}"),
            // An unknown field with an empty name has an empty path.
            (None, "." | "") => "body".to_string(),
            (None, p) => p.to_string(),
        };
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            detail,
        )
        .with_field(field)
    })
}

/// The kind named by a path segment (`needs`, `achievements`, `requests`,
/// `suppliers`); 404 for anything else.
pub fn kind_segment(segment: &str) -> ApiResult<Kind> {
    Kind::ALL
        .into_iter()
        .find(|k| k.plural() == segment)
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "no collection `{segment}` (needs, achievements, requests, suppliers)"
            ))
        })
}

/// A kind named in a parameter: singular, plural or Chinese; 400 otherwise.
pub fn kind_param(field: &str, value: &str) -> ApiResult<Kind> {
    value
        .parse()
        .map_err(|e: String| ApiError::bad_param(field, e))
}
