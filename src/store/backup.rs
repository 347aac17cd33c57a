//! Snapshots of the store and their restore.
//!
//! A snapshot is a directory holding `store.dump` (every entry of the store's
//! trees — documents, owners, change log, meta, profiles, API keys — copied at
//! one point in time, while the store's write lock is held), optionally the
//! encoder model, and `manifest.json` (sequence number, documents per kind,
//! entries per tree, size and SHA-256 of every file). It is written into a
//! temporary sibling directory, fsynced, and renamed into place, so a
//! snapshot directory is either complete or absent. The derived indexes are
//! not part of it: they are rebuilt from the store on the next start.
//!
//! A restore verifies everything the manifest claims (checksums, entry and
//! document counts, sequence number, each record's own checksum) while it
//! imports into a new store beside the data directory, and only then swaps
//! the new data directory in.
//!
//! `store.dump` format: the magic `DJDUMP1\n`, then entries
//! `[1u8][tree u8][key length u32 LE][key][value length u32 LE][value]`,
//! then `[0u8][entry count u64 LE]`.

use super::record::Record;
use super::{Store, StoredProfile, SEQ_KEY};
use crate::error::{Error, Result};
use crate::model::Kind;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;
use thiserror::Error;

/// Name of the manifest in a snapshot directory.
pub const MANIFEST_FILE: &str = "manifest.json";
/// Name of the store's entries in a snapshot directory.
pub const DUMP_FILE: &str = "store.dump";
/// Name of the encoder model in a snapshot directory (and in a data directory).
pub const MODEL_FILE: &str = "encoder.model";
/// Format tag of the manifest.
pub const FORMAT: &str = "duijie-snapshot-v1";

const MAGIC: &[u8; 8] = b"DJDUMP1\n";
/// The trees a snapshot holds, by their index in the dump.
const TREES: [&str; 6] = ["docs", "owners", "log", "meta", "profiles", "keys"];
/// Entries per write batch during a restore.
const IMPORT_BATCH: usize = 5_000;
/// Largest key or value accepted from a dump (sled values are far smaller).
const MAX_ENTRY_BYTES: u32 = 256 * 1024 * 1024;

/// Why a snapshot or a restore was refused.
#[derive(Debug, Error)]
pub enum BackupError {
    /// The snapshot fails a check: a checksum, a count, its format.
    #[error("snapshot {path} is damaged: {reason}")]
    Damaged {
        /// The snapshot directory.
        path: PathBuf,
        /// What failed.
        reason: String,
    },
    /// A snapshot would overwrite a directory that holds files.
    #[error("{0} exists and is not empty: snapshots go into a new or empty directory")]
    SnapshotExists(PathBuf),
    /// A restore would overwrite a data directory that holds files.
    #[error("{0} exists and is not empty: pass --force to replace it")]
    TargetNotEmpty(PathBuf),
    /// The data directory's store is open in another process.
    #[error("the store in {0} is in use by another process (a running `duijie serve`?)")]
    InUse(PathBuf),
    /// There is no store to snapshot.
    #[error("there is no store in {0}")]
    NoStore(PathBuf),
    /// The running server could not be asked for a snapshot.
    #[error("the running server did not take the snapshot: {0}")]
    Remote(String),
}

/// One file of a snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotFile {
    /// File name inside the snapshot directory.
    pub name: String,
    /// Size in bytes.
    pub bytes: u64,
    /// SHA-256 of the content, hex.
    pub sha256: String,
}

/// What a snapshot holds; written last, as `manifest.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Always [`FORMAT`].
    pub format: String,
    /// When the snapshot was taken.
    pub created_at: DateTime<Utc>,
    /// Version of duijie that wrote it.
    pub engine_version: String,
    /// Sequence number of the last write the snapshot holds.
    pub seq: u64,
    /// Live documents per kind.
    pub documents: BTreeMap<Kind, u64>,
    /// Entries per tree.
    pub entries: BTreeMap<String, u64>,
    /// The files, with sizes and checksums.
    pub files: Vec<SnapshotFile>,
}

impl Manifest {
    /// The entry of a file, if the snapshot has it.
    pub fn file(&self, name: &str) -> Option<&SnapshotFile> {
        self.files.iter().find(|f| f.name == name)
    }

    /// Live documents in all kinds.
    pub fn total_documents(&self) -> u64 {
        self.documents.values().sum()
    }
}

/// True when `error` is sled refusing to open a store another process holds.
pub fn is_lock_error(error: &Error) -> bool {
    matches!(error, Error::Storage(sled::Error::Io(e)) if e.to_string().contains("could not acquire lock"))
}

/// Writer that counts bytes and hashes what passes through.
struct Hashing<W> {
    inner: W,
    hasher: Sha256,
    bytes: u64,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Reader that counts bytes and hashes what passes through.
struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
    bytes: u64,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
}

fn is_empty_dir(dir: &Path) -> Result<bool> {
    Ok(std::fs::read_dir(dir)?.next().is_none())
}

/// A fresh sibling of `target` (same file system, so it can be renamed into place).
fn sibling(target: &Path, label: &str) -> Result<PathBuf> {
    let name = target
        .file_name()
        .ok_or_else(|| Error::Internal(format!("{} has no file name", target.display())))?
        .to_string_lossy();
    let parent = parent_of(target);
    let nanos = Utc::now().timestamp_subsec_nanos();
    Ok(parent.join(format!(".{name}.{label}-{}-{nanos}", std::process::id())))
}

/// Finishes or clears what a restore into `data_dir` left beside it when its
/// process died (a crash, a kill): the siblings named by [`sibling`] of a
/// process that no longer runs. Killed between its two renames, a restore
/// had moved the old data directory aside and not yet moved the new one in:
/// its staging directory is complete then (it is renamed only after the
/// import is synced), so the swap is finished. Then the old data directory
/// kept aside is removed, as the restore would have, and so is the staging
/// directory of an import cut short (the data directory is untouched until
/// an import completes). Siblings of a running process, or whose process
/// cannot be told, are left alone.
pub fn recover_interrupted_restore(data_dir: &Path) -> Result<()> {
    let Some(name) = data_dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
    else {
        return Ok(());
    };
    let parent = parent_of(data_dir);
    let Ok(entries) = std::fs::read_dir(&parent) else {
        return Ok(());
    };
    let prefix = format!(".{name}.");
    // (label, pid, path) of the left siblings.
    let mut left: Vec<(String, u32, PathBuf)> = Vec::new();
    for entry in entries {
        let entry = entry?;
        let file = entry.file_name().to_string_lossy().into_owned();
        let Some((label, owner)) = file.strip_prefix(&prefix).and_then(|r| r.split_once('-'))
        else {
            continue;
        };
        let Some(pid) = owner.split('-').next().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        if matches!(label, "restore" | "replaced") && !process_may_run(pid) {
            left.push((label.to_string(), pid, entry.path()));
        }
    }
    if left.is_empty() {
        return Ok(());
    }
    if !data_dir.exists() {
        let replaced = left.iter().find(|(label, ..)| label == "replaced");
        if let Some((_, pid, old)) = replaced {
            let staged = left
                .iter()
                .find(|(label, p, _)| label == "restore" && p == pid);
            // The staging directory is the restored data; without it (which
            // the order of the renames rules out) the old data goes back.
            let back = staged.map_or(old, |(_, _, path)| path);
            tracing::warn!(from = %back.display(), to = %data_dir.display(), "finishing a restore that was interrupted");
            std::fs::rename(back, data_dir)?;
            sync_dir(&parent)?;
        }
    }
    for (label, _, path) in &left {
        if path.exists() {
            tracing::warn!(path = %path.display(), label, "removing what an interrupted restore left");
            std::fs::remove_dir_all(path)?;
        }
    }
    sync_dir(&parent)?;
    Ok(())
}

/// Whether process `pid` may still run: true unless the system's process
/// table (Linux `/proc`) shows it does not.
fn process_may_run(pid: u32) -> bool {
    let proc = Path::new("/proc");
    pid == std::process::id() || !proc.join("self").exists() || proc.join(pid.to_string()).exists()
}

fn parent_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Makes a directory's entries (creations, renames) durable.
fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)?.sync_all()?;
    Ok(())
}

/// Copies `from` to `to`, returning its size and SHA-256, and fsyncs the copy.
fn copy_hashed(from: &Path, to: &Path) -> Result<SnapshotFile> {
    let mut reader = HashingReader {
        inner: BufReader::new(File::open(from)?),
        hasher: Sha256::new(),
        bytes: 0,
    };
    let file = File::create(to)?;
    let mut writer = BufWriter::new(&file);
    std::io::copy(&mut reader, &mut writer)?;
    writer.flush()?;
    drop(writer);
    file.sync_all()?;
    Ok(SnapshotFile {
        name: to
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        bytes: reader.bytes,
        sha256: hex::encode(reader.hasher.finalize()),
    })
}

fn sha256_of(path: &Path) -> Result<(u64, String)> {
    let mut reader = HashingReader {
        inner: BufReader::new(File::open(path)?),
        hasher: Sha256::new(),
        bytes: 0,
    };
    std::io::copy(&mut reader, &mut std::io::sink())?;
    Ok((reader.bytes, hex::encode(reader.hasher.finalize())))
}

fn write_entry(out: &mut impl Write, tree: u8, key: &[u8], value: &[u8]) -> std::io::Result<()> {
    out.write_all(&[1, tree])?;
    out.write_all(&(key.len() as u32).to_le_bytes())?;
    out.write_all(key)?;
    out.write_all(&(value.len() as u32).to_le_bytes())?;
    out.write_all(value)
}

impl Store {
    /// Writes a consistent snapshot of the store into `dir` (which must not
    /// exist or be empty), with a copy of the encoder model at `model` when
    /// that file exists. Writes are held back only while the entries are
    /// copied; checksums and fsyncs happen after.
    pub fn snapshot(&self, dir: &Path, model: Option<&Path>) -> Result<Manifest> {
        if dir.exists() && !is_empty_dir(dir)? {
            return Err(BackupError::SnapshotExists(dir.to_path_buf()).into());
        }
        std::fs::create_dir_all(parent_of(dir))?;
        let staging = sibling(dir, "partial")?;
        std::fs::create_dir_all(&staging)?;
        let result = self.snapshot_into(&staging, model);
        let manifest = match result {
            Ok(manifest) => manifest,
            Err(e) => {
                let _ = std::fs::remove_dir_all(&staging);
                return Err(e);
            }
        };
        sync_dir(&staging)?;
        if dir.exists() {
            std::fs::remove_dir(dir)?;
        }
        std::fs::rename(&staging, dir)?;
        sync_dir(&parent_of(dir))?;
        tracing::info!(
            dir = %dir.display(),
            seq = manifest.seq,
            documents = manifest.total_documents(),
            "snapshot written"
        );
        Ok(manifest)
    }

    fn snapshot_into(&self, staging: &Path, model: Option<&Path>) -> Result<Manifest> {
        let dump_path = staging.join(DUMP_FILE);
        let file = File::create(&dump_path)?;
        let mut out = Hashing {
            inner: BufWriter::with_capacity(1 << 20, &file),
            hasher: Sha256::new(),
            bytes: 0,
        };
        out.write_all(MAGIC)?;
        let mut entries: BTreeMap<String, u64> = BTreeMap::new();
        let mut documents: BTreeMap<Kind, u64> = Kind::ALL.iter().map(|k| (*k, 0)).collect();
        let mut total: u64 = 0;
        let started = Instant::now();
        let seq = {
            // Every write path takes this lock: while it is held, the trees
            // stand still, so what is copied is one point in time.
            let _guard = self
                .write_lock
                .lock()
                .map_err(|_| Error::Internal("store lock poisoned".into()))?;
            let seq = self.last_seq()?;
            for (index, name) in TREES.iter().enumerate() {
                let tree = self.tree(name);
                let mut count = 0u64;
                for entry in tree.iter() {
                    let (key, value) = entry?;
                    if *name == "docs" {
                        // Never copy damage silently: each record carries its checksum.
                        if let Record::Live { doc, .. } = Record::decode(&key, &value)? {
                            *documents.entry(doc.kind).or_default() += 1;
                        }
                    }
                    write_entry(&mut out, index as u8, &key, &value)?;
                    count += 1;
                }
                entries.insert(name.to_string(), count);
                total += count;
            }
            seq
        };
        tracing::info!(
            held_ms = started.elapsed().as_millis() as u64,
            entries = total,
            "store entries copied for a snapshot"
        );
        out.write_all(&[0])?;
        out.write_all(&total.to_le_bytes())?;
        out.flush()?;
        let dump = SnapshotFile {
            name: DUMP_FILE.to_string(),
            bytes: out.bytes,
            sha256: hex::encode(out.hasher.finalize()),
        };
        drop(out.inner);
        file.sync_all()?;
        let mut files = vec![dump];
        if let Some(model) = model.filter(|m| m.is_file()) {
            // The model is replaced by an atomic rename: the open file is one version.
            files.push(copy_hashed(model, &staging.join(MODEL_FILE))?);
        }
        let manifest = Manifest {
            format: FORMAT.to_string(),
            created_at: Utc::now(),
            engine_version: env!("CARGO_PKG_VERSION").to_string(),
            seq,
            documents,
            entries,
            files,
        };
        let json =
            serde_json::to_vec_pretty(&manifest).map_err(|e| Error::Internal(e.to_string()))?;
        let manifest_file = File::create(staging.join(MANIFEST_FILE))?;
        (&manifest_file).write_all(&json)?;
        manifest_file.sync_all()?;
        Ok(manifest)
    }

    fn tree(&self, name: &str) -> &sled::Tree {
        match name {
            "docs" => &self.docs,
            "owners" => &self.owners,
            "log" => &self.log,
            "meta" => &self.meta,
            "profiles" => &self.profiles,
            _ => &self.keys,
        }
    }
}

/// Takes a snapshot of the store in `data_dir/store` directly (no server may
/// hold it), with the encoder model of the data directory.
pub fn snapshot_data_dir(data_dir: &Path, dir: &Path) -> Result<Manifest> {
    let store_dir = data_dir.join("store");
    if !store_dir.is_dir() {
        return Err(BackupError::NoStore(data_dir.to_path_buf()).into());
    }
    let store = Store::open(&store_dir)?;
    store.snapshot(dir, Some(&data_dir.join(MODEL_FILE)))
}

fn damaged(path: &Path, reason: impl Into<String>) -> Error {
    BackupError::Damaged {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
    .into()
}

/// Reads a snapshot's manifest and checks its format and that its files are
/// there with the sizes it states (contents are checked by [`verify`]).
pub fn read_manifest(snapshot: &Path) -> Result<Manifest> {
    let path = snapshot.join(MANIFEST_FILE);
    let bytes = std::fs::read(&path)
        .map_err(|e| damaged(snapshot, format!("{MANIFEST_FILE} cannot be read: {e}")))?;
    let manifest: Manifest = serde_json::from_slice(&bytes)
        .map_err(|e| damaged(snapshot, format!("{MANIFEST_FILE} cannot be parsed: {e}")))?;
    if manifest.format != FORMAT {
        return Err(damaged(
            snapshot,
            format!("format `{}` is not {FORMAT}", manifest.format),
        ));
    }
    if manifest.file(DUMP_FILE).is_none() {
        return Err(damaged(
            snapshot,
            format!("the manifest lists no {DUMP_FILE}"),
        ));
    }
    for file in &manifest.files {
        if file.name.contains(['/', '\\']) || file.name.starts_with('.') {
            return Err(damaged(snapshot, format!("bad file name `{}`", file.name)));
        }
        let size = std::fs::metadata(snapshot.join(&file.name))
            .map_err(|e| damaged(snapshot, format!("{}: {e}", file.name)))?
            .len();
        if size != file.bytes {
            return Err(damaged(
                snapshot,
                format!(
                    "{} is {size} bytes; the manifest says {}",
                    file.name, file.bytes
                ),
            ));
        }
    }
    Ok(manifest)
}

/// What reading a dump found, to compare with the manifest.
#[derive(Default)]
struct DumpTally {
    entries: BTreeMap<String, u64>,
    documents: BTreeMap<Kind, u64>,
    seq: Option<u64>,
}

/// Reads every entry of a snapshot's dump, checking its structure and each
/// record, and hands the entries to `sink` tree by tree; then checks the
/// checksum and the counts against the manifest.
fn read_dump(
    snapshot: &Path,
    manifest: &Manifest,
    mut sink: impl FnMut(usize, Vec<u8>, Vec<u8>) -> Result<()>,
) -> Result<()> {
    let expected = manifest.file(DUMP_FILE).expect("checked by read_manifest");
    let mut reader = HashingReader {
        inner: BufReader::with_capacity(1 << 20, File::open(snapshot.join(DUMP_FILE))?),
        hasher: Sha256::new(),
        bytes: 0,
    };
    let truncated = |e: std::io::Error| damaged(snapshot, format!("{DUMP_FILE} is truncated: {e}"));
    let mut magic = [0u8; 8];
    reader.read_exact(&mut magic).map_err(truncated)?;
    if &magic != MAGIC {
        return Err(damaged(snapshot, format!("{DUMP_FILE} has no dump header")));
    }
    let mut tally = DumpTally::default();
    let mut total = 0u64;
    let mut last_tree = 0usize;
    let read_blob = |reader: &mut HashingReader<BufReader<File>>| -> Result<Vec<u8>> {
        let mut len = [0u8; 4];
        reader.read_exact(&mut len).map_err(truncated)?;
        let len = u32::from_le_bytes(len);
        if len > MAX_ENTRY_BYTES {
            return Err(damaged(snapshot, format!("an entry claims {len} bytes")));
        }
        let mut blob = vec![0u8; len as usize];
        reader.read_exact(&mut blob).map_err(truncated)?;
        Ok(blob)
    };
    loop {
        let mut tag = [0u8; 1];
        reader.read_exact(&mut tag).map_err(truncated)?;
        match tag[0] {
            0 => break,
            1 => {}
            other => return Err(damaged(snapshot, format!("unknown entry tag {other}"))),
        }
        reader.read_exact(&mut tag).map_err(truncated)?;
        let tree = tag[0] as usize;
        if tree >= TREES.len() || tree < last_tree {
            return Err(damaged(snapshot, format!("entry of unknown tree {tree}")));
        }
        last_tree = tree;
        let key = read_blob(&mut reader)?;
        let value = read_blob(&mut reader)?;
        match TREES[tree] {
            "docs" => {
                let record =
                    Record::decode(&key, &value).map_err(|e| damaged(snapshot, e.to_string()))?;
                if let Record::Live { doc, .. } = record {
                    *tally.documents.entry(doc.kind).or_default() += 1;
                }
            }
            "meta" if key == SEQ_KEY => {
                let seq: [u8; 8] = value
                    .as_slice()
                    .try_into()
                    .map_err(|_| damaged(snapshot, "the sequence number has the wrong length"))?;
                tally.seq = Some(u64::from_be_bytes(seq));
            }
            "profiles" => {
                serde_json::from_slice::<StoredProfile>(&value)
                    .map_err(|e| damaged(snapshot, format!("a profile cannot be decoded: {e}")))?;
            }
            _ => {}
        }
        *tally.entries.entry(TREES[tree].to_string()).or_default() += 1;
        total += 1;
        sink(tree, key, value)?;
    }
    let mut count = [0u8; 8];
    reader.read_exact(&mut count).map_err(truncated)?;
    if u64::from_le_bytes(count) != total {
        return Err(damaged(
            snapshot,
            "the entry count at the end does not match",
        ));
    }
    let mut rest = Vec::new();
    reader.read_to_end(&mut rest)?;
    if !rest.is_empty() {
        return Err(damaged(
            snapshot,
            format!("{} bytes after the end of the dump", rest.len()),
        ));
    }
    let sha = hex::encode(reader.hasher.finalize());
    if reader.bytes != expected.bytes || sha != expected.sha256 {
        return Err(damaged(
            snapshot,
            format!("{DUMP_FILE} fails its SHA-256 checksum"),
        ));
    }
    for name in TREES {
        let found = tally.entries.get(name).copied().unwrap_or(0);
        let stated = manifest.entries.get(name).copied().unwrap_or(0);
        if found != stated {
            return Err(damaged(
                snapshot,
                format!("tree {name} has {found} entries; the manifest says {stated}"),
            ));
        }
    }
    for kind in Kind::ALL {
        let found = tally.documents.get(&kind).copied().unwrap_or(0);
        let stated = manifest.documents.get(&kind).copied().unwrap_or(0);
        if found != stated {
            return Err(damaged(
                snapshot,
                format!("{found} live {kind} documents; the manifest says {stated}"),
            ));
        }
    }
    if tally.seq.unwrap_or(0) != manifest.seq {
        return Err(damaged(
            snapshot,
            format!(
                "the store is at sequence {}; the manifest says {}",
                tally.seq.unwrap_or(0),
                manifest.seq
            ),
        ));
    }
    Ok(())
}

/// Checks a snapshot completely (manifest, checksums, every record) without
/// restoring it.
pub fn verify(snapshot: &Path) -> Result<Manifest> {
    let manifest = read_manifest(snapshot)?;
    verify_model(snapshot, &manifest)?;
    read_dump(snapshot, &manifest, |_, _, _| Ok(()))?;
    Ok(manifest)
}

fn verify_model(snapshot: &Path, manifest: &Manifest) -> Result<()> {
    if let Some(model) = manifest.file(MODEL_FILE) {
        let (bytes, sha) = sha256_of(&snapshot.join(MODEL_FILE))?;
        if bytes != model.bytes || sha != model.sha256 {
            return Err(damaged(
                snapshot,
                format!("{MODEL_FILE} fails its SHA-256 checksum"),
            ));
        }
    }
    Ok(())
}

/// Brings a snapshot back as the data directory `data_dir`: verifies it,
/// imports it into a new store beside `data_dir`, and swaps that in. A
/// non-empty `data_dir` is refused unless `force`, and refused in any case
/// while another process holds its store. The indexes are rebuilt from the
/// restored store on the next start.
pub fn restore(snapshot: &Path, data_dir: &Path, force: bool) -> Result<Manifest> {
    let manifest = read_manifest(snapshot)?;
    verify_model(snapshot, &manifest)?;
    recover_interrupted_restore(data_dir)?;
    let replacing = data_dir.exists() && !is_empty_dir(data_dir)?;
    if replacing && !force {
        return Err(BackupError::TargetNotEmpty(data_dir.to_path_buf()).into());
    }
    if replacing && data_dir.join("store").is_dir() {
        // Opening takes sled's lock: it fails while a server holds the store.
        match Store::open(&data_dir.join("store")) {
            Ok(store) => drop(store),
            Err(e) if is_lock_error(&e) => {
                return Err(BackupError::InUse(data_dir.to_path_buf()).into())
            }
            // A damaged store is what a restore is for.
            Err(e) => tracing::warn!(error = %e, "the store being replaced does not open"),
        }
    }
    std::fs::create_dir_all(parent_of(data_dir))?;
    let staging = sibling(data_dir, "restore")?;
    std::fs::create_dir_all(&staging)?;
    if let Err(e) = import(snapshot, &manifest, &staging) {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(e);
    }
    if data_dir.exists() {
        let old = sibling(data_dir, "replaced")?;
        std::fs::rename(data_dir, &old)?;
        std::fs::rename(&staging, data_dir)?;
        sync_dir(&parent_of(data_dir))?;
        std::fs::remove_dir_all(&old)?;
    } else {
        std::fs::rename(&staging, data_dir)?;
    }
    sync_dir(&parent_of(data_dir))?;
    tracing::info!(
        data = %data_dir.display(),
        seq = manifest.seq,
        documents = manifest.total_documents(),
        "snapshot restored"
    );
    Ok(manifest)
}

fn import(snapshot: &Path, manifest: &Manifest, staging: &Path) -> Result<()> {
    let store = Store::open(&staging.join("store"))?;
    let mut batch = sled::Batch::default();
    let mut batch_tree = 0usize;
    let mut pending = 0usize;
    read_dump(snapshot, manifest, |tree, key, value| {
        if tree != batch_tree || pending >= IMPORT_BATCH {
            store
                .tree(TREES[batch_tree])
                .apply_batch(std::mem::take(&mut batch))?;
            batch_tree = tree;
            pending = 0;
        }
        batch.insert(key, value);
        pending += 1;
        Ok(())
    })?;
    store.tree(TREES[batch_tree]).apply_batch(batch)?;
    store.flush()?;
    if store.last_seq()? != manifest.seq {
        return Err(Error::Internal(
            "the restored store is not at the snapshot's sequence number".into(),
        ));
    }
    drop(store);
    if manifest.file(MODEL_FILE).is_some() {
        copy_hashed(&snapshot.join(MODEL_FILE), &staging.join(MODEL_FILE))?;
    }
    sync_dir(staging)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Document;
    use crate::store::Role;

    fn doc(id: &str, kind: Kind) -> Document {
        let mut d = Document::new(kind, format!("标题{id}"), "正文");
        d.id = id.into();
        d.owner = "某单位".into();
        d
    }

    /// A process id above Linux's largest (2^22): never a running process.
    const GONE: u32 = 4_194_305;

    /// A directory holding one file `marker` with `text`.
    fn dir_with(path: &Path, text: &str) {
        std::fs::create_dir_all(path).unwrap();
        std::fs::write(path.join("marker"), text).unwrap();
    }

    fn marker(path: &Path) -> String {
        std::fs::read_to_string(path.join("marker")).unwrap()
    }

    /// The names in `dir`, sorted.
    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn a_restore_killed_between_its_renames_is_finished() {
        let root = tempfile::tempdir().unwrap();
        let data = root.path().join("data");
        dir_with(&root.path().join(format!(".data.replaced-{GONE}-1")), "old");
        dir_with(&root.path().join(format!(".data.restore-{GONE}-2")), "new");
        recover_interrupted_restore(&data).unwrap();
        assert_eq!(marker(&data), "new");
        assert_eq!(names(root.path()), vec!["data"]);
    }

    #[test]
    fn what_a_finished_or_cut_short_restore_left_is_removed_and_the_data_kept() {
        let root = tempfile::tempdir().unwrap();
        let data = root.path().join("data");
        dir_with(&data, "current");
        // Killed after the swap, before removing the old data …
        dir_with(&root.path().join(format!(".data.replaced-{GONE}-1")), "old");
        // … and another killed during its import.
        dir_with(
            &root.path().join(format!(".data.restore-{GONE}-7")),
            "partial",
        );
        // Not a restore's, or another directory's: left alone.
        dir_with(&root.path().join(".data.notes"), "mine");
        dir_with(
            &root.path().join(format!(".data2.restore-{GONE}-3")),
            "other",
        );
        recover_interrupted_restore(&data).unwrap();
        assert_eq!(marker(&data), "current");
        assert_eq!(
            names(root.path()),
            vec![
                ".data.notes".to_string(),
                format!(".data2.restore-{GONE}-3"),
                "data".into()
            ]
        );
    }

    #[test]
    fn a_running_restore_is_left_alone() {
        let root = tempfile::tempdir().unwrap();
        let data = root.path().join("data");
        let me = std::process::id();
        dir_with(&root.path().join(format!(".data.replaced-{me}-1")), "old");
        dir_with(&root.path().join(format!(".data.restore-{me}-2")), "new");
        recover_interrupted_restore(&data).unwrap();
        assert!(!data.exists());
        assert_eq!(names(root.path()).len(), 2);
    }

    #[test]
    fn a_snapshot_round_trips_and_damage_is_refused() {
        let root = tempfile::tempdir().unwrap();
        let data = root.path().join("data");
        let store = Store::open(&data.join("store")).unwrap();
        for i in 0..30 {
            store.put(doc(&format!("N{i}"), Kind::Need)).unwrap();
        }
        store.put(doc("S1", Kind::Supplier)).unwrap();
        store.delete("N3").unwrap();
        let key = store.add_key("某单位", Role::Sme).unwrap();
        std::fs::write(data.join(MODEL_FILE), b"model bytes").unwrap();
        let snap = root.path().join("snap");
        let manifest = store.snapshot(&snap, Some(&data.join(MODEL_FILE))).unwrap();
        assert_eq!(manifest.seq, 32);
        assert_eq!(manifest.documents[&Kind::Need], 29);
        assert_eq!(manifest.documents[&Kind::Supplier], 1);
        assert_eq!(manifest.entries["keys"], 1);
        assert!(manifest.file(MODEL_FILE).is_some());
        // A second snapshot into the same directory is refused.
        assert!(matches!(
            store.snapshot(&snap, None),
            Err(Error::Backup(BackupError::SnapshotExists(_)))
        ));
        drop(store);

        assert_eq!(verify(&snap).unwrap(), manifest);
        let restored = root.path().join("restored");
        restore(&snap, &restored, false).unwrap();
        let back = Store::open(&restored.join("store")).unwrap();
        assert_eq!(back.last_seq().unwrap(), 32);
        assert!(back.get("N3").unwrap().is_none());
        assert_eq!(back.get("N7").unwrap().unwrap().title, "标题N7");
        assert_eq!(back.key_holder(&key).unwrap().unwrap().party, "某单位");
        assert_eq!(back.ids_by_owner("某单位").unwrap().len(), 30);
        drop(back);
        assert_eq!(
            std::fs::read(restored.join(MODEL_FILE)).unwrap(),
            b"model bytes"
        );
        // Not over a non-empty directory without force; with force it is replaced.
        assert!(matches!(
            restore(&snap, &restored, false),
            Err(Error::Backup(BackupError::TargetNotEmpty(_)))
        ));
        restore(&snap, &restored, true).unwrap();

        // One flipped byte in the dump, a truncated dump, a damaged model: refused.
        let dump = snap.join(DUMP_FILE);
        let original = std::fs::read(&dump).unwrap();
        let mut flipped = original.clone();
        let middle = flipped.len() / 2;
        flipped[middle] ^= 0x20;
        std::fs::write(&dump, &flipped).unwrap();
        let target = root.path().join("never");
        let e = restore(&snap, &target, false).unwrap_err();
        assert!(
            matches!(e, Error::Backup(BackupError::Damaged { .. })),
            "{e}"
        );
        assert!(!target.exists(), "nothing is left behind");
        std::fs::write(&dump, &original[..original.len() - 9]).unwrap();
        assert!(verify(&snap).is_err());
        std::fs::write(&dump, &original).unwrap();
        std::fs::write(snap.join(MODEL_FILE), b"model bytez").unwrap();
        let e = verify(&snap).unwrap_err();
        assert!(e.to_string().contains(MODEL_FILE), "{e}");
    }
}
