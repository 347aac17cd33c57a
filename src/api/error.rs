//! Errors as JSON: `{"error": …, "field": …, "detail": …}` with the status
//! that says what went wrong, and the mapping of the engine's errors.

use crate::model::ValidationError;
use crate::store::backup::BackupError;
use crate::Error;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// The body of every error response.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Short machine-readable reason, e.g. `validation_failed`, `forbidden`.
    pub error: String,
    /// The request field at fault (JSON path or query parameter), when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Human-readable explanation.
    pub detail: String,
}

/// An error answer: status, body, and optionally seconds to wait before retrying.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// JSON body.
    pub body: ErrorBody,
    /// `Retry-After` seconds (429 and 503).
    pub retry_after: Option<u64>,
}

impl ApiError {
    /// An error with a status, a reason code and a detail.
    pub fn new(status: StatusCode, error: &str, detail: impl Into<String>) -> ApiError {
        ApiError {
            status,
            body: ErrorBody {
                error: error.to_string(),
                field: None,
                detail: detail.into(),
            },
            retry_after: None,
        }
    }

    /// Names the field at fault.
    pub fn with_field(mut self, field: impl Into<String>) -> ApiError {
        self.body.field = Some(field.into());
        self
    }

    /// 400: the request itself is malformed (JSON syntax, a query parameter).
    pub fn bad_request(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", detail)
    }

    /// 400 naming a query or path parameter.
    pub fn bad_param(field: &str, detail: impl Into<String>) -> ApiError {
        ApiError::bad_request(detail).with_field(field)
    }

    /// 401: a write without a key, or an unknown key.
    pub fn unauthorized(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", detail)
    }

    /// 403: the key's party or role may not do this.
    pub fn forbidden(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", detail)
    }

    /// 404.
    pub fn not_found(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", detail)
    }

    /// 409.
    pub fn conflict(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::CONFLICT, "conflict", detail)
    }

    /// 422 from a validation error, naming its field.
    pub fn invalid(e: ValidationError) -> ApiError {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            e.reason,
        )
        .with_field(e.field)
    }

    /// 429 with the seconds until a request would be admitted.
    pub fn rate_limited(retry_after: u64) -> ApiError {
        let mut e = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "too many requests for this key; slow down",
        );
        e.retry_after = Some(retry_after.max(1));
        e
    }

    /// 503: the service is not ready (loading, indexes catching up).
    pub fn unavailable(detail: impl Into<String>) -> ApiError {
        let mut e = ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", detail);
        e.retry_after = Some(1);
        e
    }

    /// 500 with a generic message; the cause goes to the log only.
    pub fn internal(cause: &dyn std::fmt::Display) -> ApiError {
        tracing::error!(error = %cause, "internal error");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the server failed to process the request; it has been logged",
        )
    }

    /// Maps an engine error met while handling query parameters: refusals are 400.
    pub fn from_param_error(e: Error) -> ApiError {
        match e {
            Error::Invalid(v) => ApiError::bad_param(&v.field.clone(), v.reason),
            other => other.into(),
        }
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> ApiError {
        match e {
            Error::Invalid(v) => ApiError::invalid(v),
            Error::NotFound(what) => ApiError::not_found(what),
            Error::Forbidden(what) => ApiError::forbidden(what),
            Error::Conflict(what) => ApiError::conflict(what),
            Error::Backup(e) => match e {
                BackupError::SnapshotExists(_)
                | BackupError::TargetNotEmpty(_)
                | BackupError::InUse(_) => ApiError::conflict(e.to_string()),
                BackupError::NoStore(_) => ApiError::not_found(e.to_string()),
                BackupError::Damaged { .. } | BackupError::Remote(_) => ApiError::internal(&e),
            },
            Error::Corrupt(_)
            | Error::Storage(_)
            | Error::FullText(_)
            | Error::Io(_)
            | Error::Embedding(_)
            | Error::Internal(_) => ApiError::internal(&e),
        }
    }
}

impl From<ValidationError> for ApiError {
    fn from(e: ValidationError) -> ApiError {
        ApiError::invalid(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, axum::Json(self.body)).into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// Result of a handler.
pub type ApiResult<T> = Result<T, ApiError>;

/// The reason code of a status, for error responses produced outside the
/// handlers (timeouts, unknown routes, wrong methods).
pub fn reason_of(status: StatusCode) -> &'static str {
    match status {
        StatusCode::BAD_REQUEST => "bad_request",
        StatusCode::UNAUTHORIZED => "unauthorized",
        StatusCode::FORBIDDEN => "forbidden",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::CONFLICT => "conflict",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::UNPROCESSABLE_ENTITY => "validation_failed",
        StatusCode::TOO_MANY_REQUESTS => "rate_limited",
        StatusCode::SERVICE_UNAVAILABLE => "unavailable",
        StatusCode::REQUEST_TIMEOUT | StatusCode::GATEWAY_TIMEOUT => "timeout",
        s if s.is_server_error() => "internal",
        _ => "error",
    }
}
