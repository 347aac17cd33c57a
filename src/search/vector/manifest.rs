//! The manifest: the one file that says which files make up the persisted
//! vector indexes, with their checksums and the store sequence number they
//! reflect. It is replaced atomically (write temp, fsync, rename, fsync dir),
//! so the previous version stays loadable until the rename.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Write};
use std::path::Path;

/// File name of the manifest.
pub(crate) const MANIFEST: &str = "manifest.json";
const MANIFEST_TMP: &str = "manifest.json.tmp";
/// Format of the manifest and of the files it lists (2: half-precision
/// vectors; 1: single).
pub(crate) const FORMAT: u32 = 2;

/// Files of one kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct KindFiles {
    /// Entries file (ids, metadata, tombstones, vectors).
    pub entries: String,
    /// Basename of the hnsw_rs dump (`<graph>.hnsw.graph` / `.hnsw.data`);
    /// `None` when the graph was empty.
    pub graph: Option<String>,
}

impl KindFiles {
    /// Names of every file of the kind.
    pub(crate) fn names(&self) -> Vec<String> {
        let mut names = vec![self.entries.clone()];
        if let Some(g) = &self.graph {
            names.push(format!("{g}.hnsw.graph"));
            names.push(format!("{g}.hnsw.data"));
        }
        names
    }
}

/// Contents of `manifest.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Manifest {
    /// Format version of the persisted files.
    pub format: u32,
    /// Store sequence number the files reflect.
    pub seq: u64,
    /// Vector dimension.
    pub dim: usize,
    /// Encoder fingerprint (name, version, vocabulary hash).
    pub fingerprint: String,
    /// Generation of the newest files; names carry their generation.
    pub generation: u64,
    /// CRC32 of every file listed, by name.
    pub files: BTreeMap<String, u32>,
    /// Files of each kind, by kind name.
    pub kinds: BTreeMap<String, KindFiles>,
}

/// CRC32 of a whole file.
pub(crate) fn file_crc(path: &Path) -> std::io::Result<u32> {
    let mut file = File::open(path)?;
    let mut hasher = crc32fast::Hasher::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            return Ok(hasher.finalize());
        }
        hasher.update(&buf[..n]);
    }
}

/// Fsyncs a file written by someone else (hnsw_rs does not).
pub(crate) fn sync_file(path: &Path) -> std::io::Result<()> {
    File::open(path)?.sync_all()
}

/// Fsyncs a directory, making renames and creations in it durable.
pub(crate) fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Reads the manifest, of whatever [`FORMAT`]; `Ok(None)` when there is none.
pub(crate) fn read(dir: &Path) -> Result<Option<Manifest>, String> {
    let path = dir.join(MANIFEST);
    let text = match std::fs::read(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read the manifest: {e}")),
    };
    let manifest: Manifest =
        serde_json::from_slice(&text).map_err(|e| format!("manifest is not valid: {e}"))?;
    Ok(Some(manifest))
}

/// Replaces the manifest atomically.
pub(crate) fn write(dir: &Path, manifest: &Manifest) -> std::io::Result<()> {
    let tmp = dir.join(MANIFEST_TMP);
    let json = serde_json::to_vec_pretty(manifest).map_err(std::io::Error::other)?;
    {
        let mut file = File::create(&tmp)?;
        file.write_all(&json)?;
        file.sync_all()?;
    }
    std::fs::rename(&tmp, dir.join(MANIFEST))?;
    sync_dir(dir)
}

/// Generation encoded in a file name `<kind>.<generation>[-suffix].<ext…>`;
/// `None` for any other file.
pub(crate) fn generation_of(name: &str) -> Option<u64> {
    let mut parts = name.split('.');
    let kind = parts.next()?;
    if !crate::model::Kind::ALL.iter().any(|k| k.as_str() == kind) {
        return None;
    }
    parts.next()?.split('-').next()?.parse().ok()
}

/// Highest generation among the files in `dir`.
pub(crate) fn max_generation(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .filter_map(|e| e.file_name().to_str().and_then(generation_of))
                .max()
                .unwrap_or(0)
        })
        .unwrap_or(0)
}

/// Removes the files of `dir` the manifest does not list (older generations,
/// leftovers of an interrupted persist). Failures are logged, not returned.
pub(crate) fn remove_unlisted(dir: &Path, manifest: &Manifest) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.filter_map(|e| e.ok()) {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if name == MANIFEST || manifest.files.contains_key(name) || generation_of(name).is_none() {
            continue;
        }
        if let Err(e) = std::fs::remove_file(entry.path()) {
            tracing::warn!(file = name, error = %e, "could not remove an old vector index file");
        }
    }
}
