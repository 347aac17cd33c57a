//! Documents: create, read, replace, delete, and list one collection with a cursor.

use super::error::{ApiError, ApiResult, ErrorBody};
use super::extract::{from_value, kind_segment, Body, Caller, Params};
use super::schema::{Collection, DocumentSchema};
use super::state::AppState;
use crate::model::codes::{industries, RegionTable};
use crate::model::{Document, Kind, Status};
use crate::search::fulltext::Filters;
use crate::store::{ApiKey, Role};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::Json;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};

/// Largest page of a listing.
pub const MAX_PAGE: usize = 100;

/// What a write did.
#[derive(Debug, Serialize, ToSchema)]
pub struct WriteResult {
    /// Document id (generated when the body had none).
    pub id: String,
    /// Document kind.
    #[schema(value_type = String, example = "need")]
    pub kind: Kind,
    /// Store sequence number of the write; `/readyz` reports when the indexes reach it.
    pub seq: u64,
    /// True when the document did not exist before.
    pub created: bool,
}

/// What a delete did.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeleteResult {
    /// Document id.
    pub id: String,
    /// Store sequence number of the delete.
    pub seq: u64,
    /// Always true.
    pub deleted: bool,
}

/// One page of a listing.
#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentPage {
    /// Documents in id order.
    #[schema(value_type = Vec<DocumentSchema>)]
    pub items: Vec<Document>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// Parameters of a listing.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    /// Page size, 1–100 (default 20).
    pub limit: Option<usize>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Region code prefix: 52, 5201 or 520102.
    pub region: Option<String>,
    /// GB/T 4754 code at any level: C, 38, 381, 3811.
    pub industry: Option<String>,
    /// open (default), closed, expired or any. Documents that are not open are
    /// listed for their owner and operators only.
    pub status: Option<String>,
    /// Only documents of this party.
    pub owner: Option<String>,
}

/// Parses a status parameter; `any` is `None`.
pub fn parse_status(value: Option<&str>) -> ApiResult<Option<Status>> {
    match value {
        None => Ok(Some(Status::Open)),
        Some("any") => Ok(None),
        Some(other) => serde_json::from_value(serde_json::Value::String(other.to_string()))
            .map(Some)
            .map_err(|_| {
                ApiError::bad_param(
                    "status",
                    format!("`{other}` is not open, closed, expired or any"),
                )
            }),
    }
}

/// Reads a document body for `kind`: 400 for malformed JSON, 422 for a
/// document that does not parse (naming the field). Timestamps are the
/// server's and are dropped; a missing `kind` is taken from the path.
fn document_from(body: &Body, kind: Kind) -> ApiResult<Document> {
    let mut value = body.json_value()?;
    let object = value.as_object_mut().ok_or_else(|| {
        ApiError::invalid(crate::model::ValidationError::new(
            "body",
            "must be a JSON object",
        ))
    })?;
    object.remove("created_at");
    object.remove("updated_at");
    object
        .entry("kind")
        .or_insert_with(|| serde_json::Value::String(kind.as_str().to_string()));
    let doc: Document = from_value(value)?;
    if doc.kind != kind {
        return Err(ApiError::invalid(crate::model::ValidationError::new(
            "kind",
            format!(
                "is {}, but this is the {} collection",
                doc.kind,
                kind.plural()
            ),
        )));
    }
    Ok(doc)
}

fn may_post(holder: &ApiKey, kind: Kind) -> ApiResult<()> {
    if holder.role.may_post(kind) {
        Ok(())
    } else {
        Err(ApiError::forbidden(format!(
            "a key of role {} may not post {}",
            holder.role,
            kind.plural()
        )))
    }
}

/// The owner of a new document: the key's party; an operator may post on a party's behalf.
fn owner_for_new(holder: &ApiKey, requested: &str) -> String {
    if holder.role == Role::Operator && !requested.trim().is_empty() {
        requested.trim().to_string()
    } else {
        holder.party.clone()
    }
}

fn location(kind: Kind, id: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    if let Ok(value) = HeaderValue::from_str(&format!("/v1/{}/{}", kind.plural(), id)) {
        headers.insert(header::LOCATION, value);
    }
    headers
}

/// Creates a document in a collection the key's role posts to.
#[utoipa::path(
    post, path = "/v1/{kind}", tag = "documents",
    params(("kind" = Collection, Path, description = "Collection")),
    request_body(content = DocumentSchema, description = "The document; `owner` is the key's party, `created_at`/`updated_at` are set by the server"),
    responses(
        (status = 201, description = "Created", body = WriteResult),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "No or unknown API key", body = ErrorBody),
        (status = 403, description = "The role may not post this kind", body = ErrorBody),
        (status = 404, description = "No such collection", body = ErrorBody),
        (status = 409, description = "A document with this id exists", body = ErrorBody),
        (status = 413, description = "Body over 1 MiB", body = ErrorBody),
        (status = 422, description = "Invalid document; `field` names the field", body = ErrorBody),
        (status = 429, description = "Rate limit of the key", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
pub async fn create(
    State(state): State<Arc<AppState>>,
    Path(collection): Path<String>,
    caller: Caller,
    body: Body,
) -> ApiResult<(StatusCode, HeaderMap, Json<WriteResult>)> {
    let kind = kind_segment(&collection)?;
    let holder = caller.writer()?.clone();
    may_post(&holder, kind)?;
    let mut doc = document_from(&body, kind)?;
    doc.owner = owner_for_new(&holder, &doc.owner);
    let receipt = state
        .blocking(move |engine| {
            if !doc.id.is_empty() && engine.store().get(&doc.id)?.is_some() {
                return Err(ApiError::conflict(format!(
                    "a document `{}` exists already",
                    doc.id
                )));
            }
            Ok(engine.upsert(doc)?)
        })
        .await?;
    state.written.notify_one();
    Ok((
        StatusCode::CREATED,
        location(kind, &receipt.id),
        Json(WriteResult {
            id: receipt.id,
            kind,
            seq: receipt.seq,
            created: receipt.created,
        }),
    ))
}

/// Reads one document. Contact details are shown to its owner and operators only;
/// documents that are not open are visible to them only.
#[utoipa::path(
    get, path = "/v1/{kind}/{id}", tag = "documents",
    params(("kind" = Collection, Path, description = "Collection"), ("id" = String, Path, description = "Document id")),
    responses(
        (status = 200, description = "The document", body = DocumentSchema),
        (status = 401, description = "Unknown API key", body = ErrorBody),
        (status = 404, description = "No such document in this collection", body = ErrorBody),
    ),
    security((), ("api_key" = []))
)]
pub async fn read(
    State(state): State<Arc<AppState>>,
    Path((collection, id)): Path<(String, String)>,
    caller: Caller,
) -> ApiResult<Json<Document>> {
    let kind = kind_segment(&collection)?;
    let doc = state
        .blocking(move |engine| Ok(engine.store().get(&id)?.filter(|d| d.kind == kind)))
        .await?
        .filter(|d| caller.may_read(d))
        .ok_or_else(|| ApiError::not_found(format!("no such document in {}", kind.plural())))?;
    Ok(Json(caller.view(doc)))
}

/// Replaces a document the key's party owns (operators: any document), or
/// creates it under this id when there is none.
#[utoipa::path(
    put, path = "/v1/{kind}/{id}", tag = "documents",
    params(("kind" = Collection, Path, description = "Collection"), ("id" = String, Path, description = "Document id")),
    request_body(content = DocumentSchema, description = "The whole document; `id` may be omitted"),
    responses(
        (status = 200, description = "Replaced", body = WriteResult),
        (status = 201, description = "Created", body = WriteResult),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "No or unknown API key", body = ErrorBody),
        (status = 403, description = "Another party's document, or a kind the role may not post", body = ErrorBody),
        (status = 404, description = "No such collection", body = ErrorBody),
        (status = 409, description = "The id belongs to a document of another kind", body = ErrorBody),
        (status = 413, description = "Body over 1 MiB", body = ErrorBody),
        (status = 422, description = "Invalid document", body = ErrorBody),
        (status = 429, description = "Rate limit of the key", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
pub async fn replace(
    State(state): State<Arc<AppState>>,
    Path((collection, id)): Path<(String, String)>,
    caller: Caller,
    body: Body,
) -> ApiResult<(StatusCode, Json<WriteResult>)> {
    let kind = kind_segment(&collection)?;
    let holder = caller.writer()?.clone();
    let mut doc = document_from(&body, kind)?;
    if !doc.id.is_empty() && doc.id != id {
        return Err(ApiError::invalid(crate::model::ValidationError::new(
            "id",
            format!("is `{}` but the path names `{id}`", doc.id),
        )));
    }
    doc.id = id;
    let receipt = state
        .blocking(move |engine| {
            match engine.store().get(&doc.id)? {
                Some(old) => {
                    if old.kind != kind {
                        return Err(ApiError::conflict(format!(
                            "`{}` is a {}, not a {}",
                            old.id, old.kind, kind
                        )));
                    }
                    if holder.role != Role::Operator && old.owner != holder.party {
                        return Err(ApiError::forbidden(format!(
                            "`{}` belongs to another party",
                            old.id
                        )));
                    }
                    doc.owner = old.owner;
                }
                None => {
                    may_post(&holder, kind)?;
                    doc.owner = owner_for_new(&holder, &doc.owner);
                }
            }
            Ok(engine.upsert(doc)?)
        })
        .await?;
    state.written.notify_one();
    let status = if receipt.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(WriteResult {
            id: receipt.id,
            kind,
            seq: receipt.seq,
            created: receipt.created,
        }),
    ))
}

/// Deletes a document the key's party owns (operators: any document).
#[utoipa::path(
    delete, path = "/v1/{kind}/{id}", tag = "documents",
    params(("kind" = Collection, Path, description = "Collection"), ("id" = String, Path, description = "Document id")),
    responses(
        (status = 200, description = "Deleted", body = DeleteResult),
        (status = 401, description = "No or unknown API key", body = ErrorBody),
        (status = 403, description = "Another party's document", body = ErrorBody),
        (status = 404, description = "No such document in this collection", body = ErrorBody),
        (status = 429, description = "Rate limit of the key", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
pub async fn remove(
    State(state): State<Arc<AppState>>,
    Path((collection, id)): Path<(String, String)>,
    caller: Caller,
) -> ApiResult<Json<DeleteResult>> {
    let kind = kind_segment(&collection)?;
    let holder = caller.writer()?.clone();
    let seq = state
        .blocking(move |engine| {
            let doc = engine
                .store()
                .get(&id)?
                .filter(|d| d.kind == kind)
                .ok_or_else(|| {
                    ApiError::not_found(format!("no such document in {}", kind.plural()))
                })?;
            if holder.role != Role::Operator && doc.owner != holder.party {
                return Err(ApiError::forbidden(format!(
                    "`{id}` belongs to another party"
                )));
            }
            Ok((id.clone(), engine.delete(&id)?))
        })
        .await?;
    state.written.notify_one();
    Ok(Json(DeleteResult {
        id: seq.0,
        seq: seq.1,
        deleted: true,
    }))
}

/// Lists a collection in id order, a page at a time, with filters.
#[utoipa::path(
    get, path = "/v1/{kind}", tag = "documents",
    params(("kind" = Collection, Path, description = "Collection"), ListParams),
    responses(
        (status = 200, description = "A page", body = DocumentPage),
        (status = 400, description = "Bad query parameter", body = ErrorBody),
        (status = 401, description = "Unknown API key", body = ErrorBody),
        (status = 404, description = "No such collection", body = ErrorBody),
    ),
    security((), ("api_key" = []))
)]
pub async fn list(
    State(state): State<Arc<AppState>>,
    Path(collection): Path<String>,
    caller: Caller,
    Params(params): Params<ListParams>,
) -> ApiResult<Json<DocumentPage>> {
    let kind = kind_segment(&collection)?;
    let limit = params.limit.unwrap_or(20);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(ApiError::bad_param(
            "limit",
            format!("must be 1–{MAX_PAGE}"),
        ));
    }
    let status = parse_status(params.status.as_deref())?;
    let filters = Filters::parse(params.region.as_deref(), params.industry.as_deref(), status)
        .map_err(ApiError::from_param_error)?;
    let owner = params.owner;
    let cursor = params.cursor;
    let page = state
        .blocking(move |engine| {
            let keep = |doc: &Document| {
                filters.status.is_none_or(|s| doc.status == s)
                    && caller.may_read(doc)
                    && owner.as_deref().is_none_or(|o| doc.owner == o)
                    && filters.region.as_deref().is_none_or(|prefix| {
                        doc.region
                            .as_deref()
                            .is_some_and(|r| RegionTable::path(r).iter().any(|p| p == prefix))
                    })
                    && filters.industry.as_deref().is_none_or(|code| {
                        doc.industry
                            .as_deref()
                            .is_some_and(|i| industries().path(i).iter().any(|p| p == code))
                    })
            };
            let page = engine.store().list(kind, cursor.as_deref(), limit, keep)?;
            Ok(DocumentPage {
                items: page.items.into_iter().map(|d| caller.view(d)).collect(),
                next_cursor: page.next,
            })
        })
        .await?;
    Ok(Json(page))
}
