//! The document model: four kinds, their fields, code tables and validation.

pub mod codes;
mod document;
mod enums;
mod validate;

pub use document::{Contact, Document, IpInfo, Provenance};
pub use enums::{CoopMode, Kind, Market, Maturity, PatentType, Status, ZjtxLevel};
pub use validate::{parse_document, ValidationError, MAX_BODY_CHARS, MAX_TITLE_CHARS};
