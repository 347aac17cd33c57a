//! On-disk form of a stored record: a format byte, a CRC-32 of the payload,
//! and the JSON payload. A record that fails its checksum is reported as
//! damage, never served.

use crate::error::{Error, Result};
use crate::model::{Document, Kind};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

const FORMAT_V1: u8 = 1;

/// The latest state of an id: a live document or a tombstone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Record {
    /// A live document.
    Live {
        /// Sequence number of the write that produced this state.
        seq: u64,
        /// The document.
        doc: Box<Document>,
    },
    /// A deleted document: what the indexes need to drop it.
    Deleted {
        /// Sequence number of the delete.
        seq: u64,
        /// Id of the deleted document.
        id: String,
        /// Its kind.
        kind: Kind,
        /// Its owner.
        owner: String,
        /// When it was deleted.
        deleted_at: DateTime<Utc>,
    },
}

impl Record {
    /// Sequence number of the write that produced this state.
    pub fn seq(&self) -> u64 {
        match self {
            Record::Live { seq, .. } | Record::Deleted { seq, .. } => *seq,
        }
    }

    /// Kind of the document.
    pub fn kind(&self) -> Kind {
        match self {
            Record::Live { doc, .. } => doc.kind,
            Record::Deleted { kind, .. } => *kind,
        }
    }

    /// Encodes with format byte and checksum.
    pub fn encode(&self) -> Vec<u8> {
        let payload = serde_json::to_vec(self).expect("a record always serialises");
        let mut bytes = Vec::with_capacity(payload.len() + 5);
        bytes.push(FORMAT_V1);
        bytes.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
        bytes.extend_from_slice(&payload);
        bytes
    }

    /// Decodes and verifies a stored value; `key` names it in errors.
    pub fn decode(key: &[u8], bytes: &[u8]) -> Result<Record> {
        serde_json::from_slice(payload(key, bytes)?).map_err(|e| {
            Error::Corrupt(format!(
                "record `{}` cannot be decoded: {e}",
                String::from_utf8_lossy(key)
            ))
        })
    }
}

/// What an integrity check needs of a record, read without building the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RecordHead {
    /// Sequence number of the write that produced this state.
    pub seq: u64,
    /// Kind and owner of a live document; `None` for a tombstone.
    pub live: Option<(Kind, String)>,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum HeadRepr {
    Live { seq: u64, doc: DocHead },
    Deleted { seq: u64 },
}

#[derive(Deserialize)]
struct DocHead {
    kind: Kind,
    owner: String,
}

/// Checks a record's format byte and checksum; returns the payload.
fn payload<'a>(key: &[u8], bytes: &'a [u8]) -> Result<&'a [u8]> {
    let name = String::from_utf8_lossy(key);
    if bytes.len() < 5 || bytes[0] != FORMAT_V1 {
        return Err(Error::Corrupt(format!(
            "record `{name}` has an unknown format"
        )));
    }
    let expected = u32::from_le_bytes(bytes[1..5].try_into().expect("4 bytes"));
    let payload = &bytes[5..];
    if crc32fast::hash(payload) != expected {
        return Err(Error::Corrupt(format!(
            "record `{name}` fails its checksum"
        )));
    }
    Ok(payload)
}

impl RecordHead {
    /// Verifies the checksum and reads sequence number, kind and owner
    /// (the rest of the payload is skipped, not built).
    pub(crate) fn decode(key: &[u8], bytes: &[u8]) -> Result<RecordHead> {
        let head: HeadRepr = serde_json::from_slice(payload(key, bytes)?).map_err(|e| {
            Error::Corrupt(format!(
                "record `{}` cannot be decoded: {e}",
                String::from_utf8_lossy(key)
            ))
        })?;
        Ok(match head {
            HeadRepr::Live { seq, doc } => RecordHead {
                seq,
                live: Some((doc.kind, doc.owner)),
            },
            HeadRepr::Deleted { seq } => RecordHead { seq, live: None },
        })
    }
}

/// One entry of the change feed the indexes consume.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// Insert or replace this document.
    Upsert(Box<Document>),
    /// Remove the document with this id.
    Delete {
        /// Id of the removed document.
        id: String,
        /// Its kind.
        kind: Kind,
    },
}

impl Change {
    /// Kind of the changed document.
    pub fn kind(&self) -> Kind {
        match self {
            Change::Upsert(doc) => doc.kind,
            Change::Delete { kind, .. } => *kind,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flipped_byte_is_detected() {
        let record = Record::Deleted {
            seq: 7,
            id: "N1".into(),
            kind: Kind::Need,
            owner: "x".into(),
            deleted_at: Utc::now(),
        };
        let mut bytes = record.encode();
        assert_eq!(Record::decode(b"N1", &bytes).unwrap(), record);
        let last = bytes.len() - 2;
        bytes[last] ^= 0x01;
        assert!(matches!(
            Record::decode(b"N1", &bytes),
            Err(Error::Corrupt(_))
        ));
        assert!(matches!(
            Record::decode(b"N1", &[9, 9]),
            Err(Error::Corrupt(_))
        ));
    }
}
