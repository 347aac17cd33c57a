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
use serde::de::DeserializeOwned;
use std::sync::Arc;

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

fn bearer(value: &str) -> Option<&str> {
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

/// The raw request body, at most the configured size (413 beyond).
pub struct Body(pub Bytes);

impl FromRequest<Arc<AppState>> for Body {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &Arc<AppState>) -> ApiResult<Body> {
        let limit = state.config.body_limit;
        Bytes::from_request(req, state)
            .await
            .map(Body)
            .map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::new(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "payload_too_large",
                        format!("the body is larger than {limit} bytes"),
                    )
                } else {
                    ApiError::bad_request(format!("the body could not be read: {rejection}"))
                }
            })
    }
}

impl Body {
    /// Parses the body as JSON: 400 when it is not JSON at all.
    pub fn json_value(&self) -> ApiResult<serde_json::Value> {
        serde_json::from_slice(&self.0)
            .map_err(|e| ApiError::bad_request(format!("malformed JSON: {e}")))
    }

    /// Parses the body as a JSON `T`: 400 for malformed JSON, 422 naming the
    /// field for JSON of the wrong shape.
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
            (Some(name), ".") => name,
            (Some(name), p) => format!("{p}.{name}"),
            (None, ".") => "body".to_string(),
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
