//! The crate's error type.

use crate::model::ValidationError;
use thiserror::Error;

/// Everything that can go wrong inside the engine.
#[derive(Debug, Error)]
pub enum Error {
    /// A document or parameter was refused.
    #[error("invalid input: {0}")]
    Invalid(#[from] ValidationError),
    /// No document with this id.
    #[error("not found: {0}")]
    NotFound(String),
    /// The caller may not do this.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// The request conflicts with the stored state (e.g. kind change of an id).
    #[error("conflict: {0}")]
    Conflict(String),
    /// The store holds data that fails its checksum or cannot be decoded.
    #[error("store is damaged: {0}")]
    Corrupt(String),
    /// The embedded database failed.
    #[error("storage error: {0}")]
    Storage(#[from] sled::Error),
    /// The full-text index failed.
    #[error("full-text index error: {0}")]
    FullText(#[from] tantivy::TantivyError),
    /// A file could not be read or written.
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
    /// The embedding service failed or answered nonsense.
    #[error("embedding error: {0}")]
    Embedding(String),
    /// A snapshot or restore was refused.
    #[error(transparent)]
    Backup(#[from] crate::store::backup::BackupError),
    /// Anything else that is the engine's fault.
    #[error("internal error: {0}")]
    Internal(String),
}

/// Result with the crate's error.
pub type Result<T, E = Error> = std::result::Result<T, E>;
