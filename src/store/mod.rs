//! The store: sled as the source of truth. Documents by id (each record with
//! a checksum), an owner index, and a change log keyed by a monotonically
//! increasing sequence number, from which the derived indexes catch up.
//! A write returns only after sled has flushed it to disk.

pub mod backup;
mod keys;
mod listing;
mod record;
mod verify;

pub use keys::{ApiKey, Role, KEY_PREFIX};
pub use listing::Page;
pub use record::{Change, Record};
pub use verify::IntegrityReport;

use crate::error::{Error, Result};
use crate::model::{Document, Kind};
use crate::rank::RankProfile;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use sled::transaction::{ConflictableTransactionError, TransactionError};
use sled::Transactional;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, RwLock};

const SEQ_KEY: &[u8] = b"seq";

/// What a write did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteReceipt {
    /// Document id (generated when the document had none).
    pub id: String,
    /// Sequence number of the write.
    pub seq: u64,
    /// True when the id did not exist before (or was deleted).
    pub created: bool,
}

/// Durable document store.
pub struct Store {
    db: sled::Db,
    docs: sled::Tree,
    owners: sled::Tree,
    log: sled::Tree,
    meta: sled::Tree,
    profiles: sled::Tree,
    keys: sled::Tree,
    write_lock: Mutex<()>,
    /// Latest version of each profile read or written so far (profiles are
    /// read on every match; they change only through [`Store::put_profile`]).
    latest_profiles: RwLock<HashMap<String, RankProfile>>,
    /// First sequence number of a write applied in sled's memory but not yet
    /// flushed (0: none). Readers of the change log stop before it, so the
    /// indexes never reflect a write a crash could still take back.
    unflushed: AtomicU64,
}

/// Clears [`Store::unflushed`] when a write's flush is over (or failed).
struct Flushing<'a>(&'a AtomicU64);

impl Drop for Flushing<'_> {
    fn drop(&mut self) {
        self.0.store(0, Ordering::SeqCst);
    }
}

/// Who saved a profile version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProfileOrigin {
    /// Seeded from the profiles shipped with the engine.
    Shipped,
    /// Saved by an operator.
    Operator,
}

#[derive(Serialize, Deserialize)]
struct StoredProfile {
    origin: ProfileOrigin,
    profile: RankProfile,
}

fn profile_key(name: &str, version: u32) -> Vec<u8> {
    let mut key = name.as_bytes().to_vec();
    key.push(0);
    key.extend_from_slice(&version.to_be_bytes());
    key
}

fn owner_key(owner: &str, id: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(owner.len() + id.len() + 1);
    key.extend_from_slice(owner.as_bytes());
    key.push(0);
    key.extend_from_slice(id.as_bytes());
    key
}

fn decode_u64(bytes: &[u8]) -> Result<u64> {
    let array: [u8; 8] = bytes
        .try_into()
        .map_err(|_| Error::Corrupt("a sequence number has the wrong length".into()))?;
    Ok(u64::from_be_bytes(array))
}

fn abort(e: Error) -> ConflictableTransactionError<Error> {
    ConflictableTransactionError::Abort(e)
}

fn unwrap_tx<T>(result: std::result::Result<T, TransactionError<Error>>) -> Result<T> {
    result.map_err(|e| match e {
        TransactionError::Abort(e) => e,
        TransactionError::Storage(e) => Error::Storage(e),
    })
}

impl Store {
    /// Opens (or creates) the store in `dir`. Fails with a clear error when the
    /// directory holds a damaged database.
    ///
    /// Every open runs [`Store::verify`]: a record failing its checksum, a
    /// change log out of step with the documents, or sled reporting
    /// corruption (or panicking on its files) is `Error::Corrupt` naming the
    /// directory and the defect, and nothing is served.
    pub fn open(dir: &Path) -> Result<Store> {
        std::fs::create_dir_all(dir)?;
        let opened = std::panic::catch_unwind(|| Store::open_unchecked(dir)).unwrap_or_else(|p| {
            let why = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            Err(Error::Corrupt(format!(
                "sled panicked reading its files: {why}"
            )))
        });
        let damaged = |e: Error| {
            match e {
            Error::Corrupt(why) => Error::Corrupt(format!(
                "{why} (in {}); refusing to start: restore the store from a snapshot",
                dir.display()
            )),
            Error::Storage(e @ (sled::Error::Corruption { .. } | sled::Error::ReportableBug(_))) => {
                Error::Corrupt(format!(
                    "the sled database in {} cannot be read ({e}); refusing to start: restore the store from a snapshot",
                    dir.display()
                ))
            }
            other => other,
        }
        };
        let store = opened.map_err(damaged)?;
        let report = store.verify().map_err(damaged)?;
        tracing::debug!(
            records = report.records,
            log = report.log_entries,
            secs = report.seconds,
            "store verified"
        );
        Ok(store)
    }

    fn open_unchecked(dir: &Path) -> Result<Store> {
        let db = sled::Config::new().path(dir).open()?;
        let store = Store {
            docs: db.open_tree("docs")?,
            owners: db.open_tree("owners")?,
            log: db.open_tree("log")?,
            meta: db.open_tree("meta")?,
            profiles: db.open_tree("profiles")?,
            keys: db.open_tree("keys")?,
            db,
            write_lock: Mutex::new(()),
            latest_profiles: RwLock::default(),
            unflushed: AtomicU64::new(0),
        };
        store.last_seq()?;
        Ok(store)
    }

    /// The sequence number of the last durable write (0 for an empty store):
    /// a write still being flushed is not counted.
    pub fn last_seq(&self) -> Result<u64> {
        // The counter first: a write it includes announced itself before.
        let written = self.written_seq()?;
        Ok(match self.unflushed.load(Ordering::SeqCst) {
            0 => written,
            first => written.min(first - 1),
        })
    }

    /// The sequence number of the last write applied, flushed or not.
    fn written_seq(&self) -> Result<u64> {
        self.meta
            .get(SEQ_KEY)?
            .map(|v| decode_u64(&v))
            .transpose()
            .map(|seq| seq.unwrap_or(0))
    }

    /// Stores one validated document durably (see [`Store::put_batch`]).
    pub fn put(&self, doc: Document) -> Result<WriteReceipt> {
        let mut receipts = self.put_batch(vec![doc])?;
        Ok(receipts.remove(0))
    }

    /// Stores validated documents in one transaction and one flush: all or none.
    /// Empty ids are generated from the kind and the sequence number;
    /// `created_at` is kept from the stored version, else from the document,
    /// else set to now; `updated_at` is set to now. Changing the kind or the
    /// owner of an existing id is refused.
    pub fn put_batch(&self, mut docs: Vec<Document>) -> Result<Vec<WriteReceipt>> {
        if docs.is_empty() {
            return Ok(Vec::new());
        }
        let _guard = self
            .write_lock
            .lock()
            .map_err(|_| Error::Internal("store lock poisoned".into()))?;
        let now = Utc::now();
        let base = self.written_seq()?;
        self.unflushed.store(base + 1, Ordering::SeqCst);
        let _flushing = Flushing(&self.unflushed);
        // Assign ids and sequence numbers outside the transaction, which may be retried.
        for (i, doc) in docs.iter_mut().enumerate() {
            if doc.id.is_empty() {
                doc.id = format!("{}{:09}", doc.kind.id_prefix(), base + 1 + i as u64);
            }
            doc.updated_at = Some(now);
        }
        let receipts = unwrap_tx(
            (&self.docs, &self.owners, &self.log, &self.meta).transaction(
                |(docs_tree, owners, log, meta)| {
                    let mut receipts = Vec::with_capacity(docs.len());
                    for (i, doc) in docs.iter().enumerate() {
                        let seq = base + 1 + i as u64;
                        let mut doc = doc.clone();
                        let previous = docs_tree
                            .get(doc.id.as_bytes())?
                            .map(|v| Record::decode(doc.id.as_bytes(), &v))
                            .transpose()
                            .map_err(abort)?;
                        let created = match &previous {
                            Some(Record::Live { doc: old, .. }) => {
                                if old.kind != doc.kind {
                                    return Err(abort(Error::Conflict(format!(
                                        "`{}` is a {}, not a {}",
                                        doc.id, old.kind, doc.kind
                                    ))));
                                }
                                if old.owner != doc.owner {
                                    return Err(abort(Error::Forbidden(format!(
                                        "`{}` belongs to another party",
                                        doc.id
                                    ))));
                                }
                                doc.created_at = old.created_at;
                                false
                            }
                            _ => {
                                doc.created_at = doc.created_at.or(Some(now));
                                true
                            }
                        };
                        let id = doc.id.clone();
                        owners.insert(owner_key(&doc.owner, &id), doc.kind.as_str().as_bytes())?;
                        docs_tree.insert(
                            id.as_bytes(),
                            Record::Live {
                                seq,
                                doc: Box::new(doc),
                            }
                            .encode(),
                        )?;
                        log.insert(&seq.to_be_bytes(), id.as_bytes())?;
                        receipts.push(WriteReceipt { id, seq, created });
                    }
                    meta.insert(SEQ_KEY, &(base + docs.len() as u64).to_be_bytes())?;
                    Ok(receipts)
                },
            ),
        )?;
        self.db.flush()?;
        Ok(receipts)
    }

    /// Deletes a document, leaving a tombstone. Returns the delete's sequence
    /// number, or `None` when there was no live document with this id.
    pub fn delete(&self, id: &str) -> Result<Option<u64>> {
        let _guard = self
            .write_lock
            .lock()
            .map_err(|_| Error::Internal("store lock poisoned".into()))?;
        let Some(Record::Live { doc, .. }) = self.record(id)? else {
            return Ok(None);
        };
        let seq = self.written_seq()? + 1;
        self.unflushed.store(seq, Ordering::SeqCst);
        let _flushing = Flushing(&self.unflushed);
        let tombstone = Record::Deleted {
            seq,
            id: id.to_string(),
            kind: doc.kind,
            owner: doc.owner.clone(),
            deleted_at: Utc::now(),
        };
        unwrap_tx(
            (&self.docs, &self.owners, &self.log, &self.meta).transaction(
                |(docs_tree, owners, log, meta)| {
                    owners.remove(owner_key(&doc.owner, id))?;
                    docs_tree.insert(id.as_bytes(), tombstone.encode())?;
                    log.insert(&seq.to_be_bytes(), id.as_bytes())?;
                    meta.insert(SEQ_KEY, &seq.to_be_bytes())?;
                    Ok(())
                },
            ),
        )?;
        self.db.flush()?;
        Ok(Some(seq))
    }

    /// The latest record of an id, live or deleted.
    pub fn record(&self, id: &str) -> Result<Option<Record>> {
        self.docs
            .get(id.as_bytes())?
            .map(|v| Record::decode(id.as_bytes(), &v))
            .transpose()
    }

    /// The live document with this id.
    pub fn get(&self, id: &str) -> Result<Option<Document>> {
        Ok(match self.record(id)? {
            Some(Record::Live { doc, .. }) => Some(*doc),
            _ => None,
        })
    }

    /// Changes after sequence number `after`, oldest first, each id once at its
    /// latest state, up to the last durable write ([`Store::last_seq`]).
    /// Returns the changes and the sequence number they reach. An id whose
    /// latest state is a write still being flushed ends the batch before its
    /// earlier entry, so nothing a crash could take back reaches the indexes.
    pub fn changes_since(&self, after: u64, limit: usize) -> Result<(Vec<(u64, Change)>, u64)> {
        let durable = self.last_seq()?;
        let mut changes = Vec::new();
        let mut reached = after;
        if durable <= after {
            return Ok((changes, reached));
        }
        for entry in self
            .log
            .range((after + 1).to_be_bytes()..=durable.to_be_bytes())
        {
            let (key, id) = entry?;
            let seq = decode_u64(&key)?;
            let id = String::from_utf8_lossy(&id).into_owned();
            match self.record(&id)? {
                // A newer state not yet durable: wait for it.
                Some(record) if record.seq() > durable => break,
                // A later write of the same id will deliver its latest state.
                Some(record) if record.seq() > seq => {}
                Some(Record::Live { doc, .. }) => changes.push((seq, Change::Upsert(doc))),
                Some(Record::Deleted { kind, .. }) => {
                    changes.push((seq, Change::Delete { id, kind }))
                }
                None => {
                    return Err(Error::Corrupt(format!(
                        "the change log names `{id}` but the store has no record of it"
                    )))
                }
            }
            reached = seq;
            if changes.len() >= limit {
                break;
            }
        }
        Ok((changes, reached))
    }

    /// Ids of the live documents an owner holds.
    pub fn ids_by_owner(&self, owner: &str) -> Result<Vec<String>> {
        let mut prefix = owner.as_bytes().to_vec();
        prefix.push(0);
        self.owners
            .scan_prefix(&prefix)
            .map(|entry| {
                let (key, _) = entry?;
                Ok(String::from_utf8_lossy(&key[prefix.len()..]).into_owned())
            })
            .collect()
    }

    /// Every live document, optionally of one kind, in id order.
    pub fn live_documents(
        &self,
        kind: Option<Kind>,
    ) -> impl Iterator<Item = Result<Document>> + '_ {
        self.docs.iter().filter_map(move |entry| {
            let record = entry
                .map_err(Error::from)
                .and_then(|(key, value)| Record::decode(&key, &value));
            match record {
                Ok(Record::Live { doc, .. }) if kind.is_none_or(|k| k == doc.kind) => {
                    Some(Ok(*doc))
                }
                Ok(_) => None,
                Err(e) => Some(Err(e)),
            }
        })
    }

    /// Number of live documents per kind, read from the owner index (one
    /// entry per live document, its kind as the value): no record is decoded.
    pub fn counts(&self) -> Result<BTreeMap<Kind, usize>> {
        let mut counts: BTreeMap<Kind, usize> = Kind::ALL.iter().map(|k| (*k, 0)).collect();
        for entry in self.owners.iter() {
            let (key, kind) = entry?;
            let kind: Kind = std::str::from_utf8(&kind)
                .ok()
                .and_then(|k| k.parse().ok())
                .ok_or_else(|| {
                    Error::Corrupt(format!(
                        "owner index entry `{}` names no kind",
                        String::from_utf8_lossy(&key)
                    ))
                })?;
            *counts.entry(kind).or_default() += 1;
        }
        Ok(counts)
    }

    fn latest_profile(&self, name: &str) -> Result<Option<(u32, StoredProfile)>> {
        let mut prefix = name.as_bytes().to_vec();
        prefix.push(0);
        let Some(entry) = self.profiles.scan_prefix(&prefix).next_back() else {
            return Ok(None);
        };
        let (key, value) = entry?;
        let version = decode_u64(&[&[0u8; 4][..], &key[prefix.len()..]].concat())? as u32;
        let stored = serde_json::from_slice(&value)
            .map_err(|e| Error::Corrupt(format!("profile `{name}` cannot be decoded: {e}")))?;
        Ok(Some((version, stored)))
    }

    /// The latest version of a rank profile.
    pub fn profile(&self, name: &str) -> Result<Option<RankProfile>> {
        let cached = self
            .latest_profiles
            .read()
            .ok()
            .and_then(|c| c.get(name).cloned());
        if cached.is_some() {
            return Ok(cached);
        }
        let _guard = self
            .write_lock
            .lock()
            .map_err(|_| Error::Internal("store lock poisoned".into()))?;
        let latest = self.latest_profile(name)?.map(|(_, s)| s.profile);
        if let (Some(profile), Ok(mut cache)) = (&latest, self.latest_profiles.write()) {
            cache.insert(name.to_string(), profile.clone());
        }
        Ok(latest)
    }

    /// One version of a rank profile.
    pub fn profile_version(&self, name: &str, version: u32) -> Result<Option<RankProfile>> {
        self.profiles
            .get(profile_key(name, version))?
            .map(|v| {
                serde_json::from_slice::<StoredProfile>(&v)
                    .map(|s| s.profile)
                    .map_err(|e| Error::Corrupt(format!("profile `{name}` v{version}: {e}")))
            })
            .transpose()
    }

    /// Saves a new version of a profile (durably) and returns it with its version set.
    pub fn put_profile(
        &self,
        mut profile: RankProfile,
        origin: ProfileOrigin,
    ) -> Result<RankProfile> {
        let _guard = self
            .write_lock
            .lock()
            .map_err(|_| Error::Internal("store lock poisoned".into()))?;
        let version = self.latest_profile(&profile.name)?.map_or(0, |(v, _)| v) + 1;
        profile.version = version;
        let stored = StoredProfile {
            origin,
            profile: profile.clone(),
        };
        let bytes = serde_json::to_vec(&stored).map_err(|e| Error::Internal(e.to_string()))?;
        self.profiles
            .insert(profile_key(&profile.name, version), bytes)?;
        self.db.flush()?;
        if let Ok(mut cache) = self.latest_profiles.write() {
            cache.insert(profile.name.clone(), profile.clone());
        }
        Ok(profile)
    }

    /// Seeds a shipped profile: saved when absent, or when the stored latest
    /// version is an older shipped one (operators' versions are never replaced).
    pub fn seed_profile(&self, shipped: RankProfile) -> Result<()> {
        match self.latest_profile(&shipped.name)? {
            Some((_, stored)) if stored.origin == ProfileOrigin::Operator => Ok(()),
            Some((v, stored))
                if RankProfile {
                    version: v,
                    ..shipped.clone()
                } == stored.profile =>
            {
                Ok(())
            }
            _ => self
                .put_profile(shipped, ProfileOrigin::Shipped)
                .map(|_| ()),
        }
    }

    /// Names of all stored profiles.
    pub fn profile_names(&self) -> Result<Vec<String>> {
        let mut names: Vec<String> = Vec::new();
        for entry in self.profiles.iter() {
            let (key, _) = entry?;
            let name = key.split(|b| *b == 0).next().unwrap_or_default();
            let name = String::from_utf8_lossy(name).into_owned();
            if names.last() != Some(&name) {
                names.push(name);
            }
        }
        Ok(names)
    }

    /// Flushes everything to disk.
    pub fn flush(&self) -> Result<()> {
        self.db.flush()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_profile_version_is_read_at_once_and_after_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let shipped = RankProfile::shipped().remove(0);
        let name = shipped.name.clone();
        store.seed_profile(shipped.clone()).unwrap();
        // The first read fills the cache; a later save must not be hidden by it.
        let first = store.profile(&name).unwrap().unwrap();
        let mut edited = first.clone();
        edited.candidates.bm25 += 1;
        let saved = store.put_profile(edited, ProfileOrigin::Operator).unwrap();
        assert_eq!(saved.version, first.version + 1);
        assert_eq!(store.profile(&name).unwrap(), Some(saved.clone()));
        assert_eq!(store.profile("no-such").unwrap(), None);
        drop(store);
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.profile(&name).unwrap(), Some(saved));
    }
}
