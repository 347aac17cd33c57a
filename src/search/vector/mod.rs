//! Vector index: one HNSW graph (hnsw_rs, dot product on L2-normalised
//! vectors, i.e. cosine) per document kind, with metadata filters, tombstones
//! for deletes, and crash-safe persistence. Vectors are held in half
//! precision ([`half`]): half the memory traffic of a graph walk.
//!
//! - **Search** uses the graph, or an exact scan when a filter matches few
//!   vectors (≤ [`EXACT_MIN`] or [`EXACT_FRACTION`] of the kind) or the kind
//!   is that small; the graph's answer falls back to the exact one when it
//!   comes back short.
//! - **Deletes and changed vectors** leave tombstones, filtered at query time;
//!   past [`TOMBSTONE_FRACTION`] of a kind's entries its graph is rebuilt from
//!   the live vectors (kept in memory for that and for exact scans).
//! - **Persistence** ([`VectorIndexes::persist`]): per kind an entries file
//!   (ids, metadata, tombstones, vectors; header + CRC32) and the hnsw_rs
//!   dump, under new names (a generation number), fsynced; then
//!   `manifest.json` (seq, dim, fingerprint, file CRCs) replaces the old one
//!   atomically. Reopening loads the dumped graph rather than rebuilding it:
//!   at 1M × 256 the load takes 16–26 s where a rebuild with
//!   `parallel_insert` on 2 threads takes 393–515 s (`benches/vector.rs`). Anything that does not check
//!   out starts the indexes empty at sequence 0, and the engine rebuilds them
//!   from the store.

mod data;
mod datafile;
mod exact;
mod filter;
mod graph;
mod half;
mod kind_index;
mod links;
mod locks;
mod manifest;
pub mod synth;
#[cfg(test)]
mod tests;
mod walk;

pub use filter::{VectorFilter, VectorMeta};
pub use graph::{EF_CONSTRUCTION, MAX_CONNECTIONS};
pub use kind_index::{Item, EXACT_FRACTION, EXACT_MIN, TOMBSTONE_FRACTION};

use crate::error::{Error, Result};
use crate::model::Kind;
use graph::Graph;
use kind_index::{KindIndex, Plan};
use locks::lock;
use manifest::{KindFiles, Manifest};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;

/// Default candidate list width of a graph search. With graphs built at
/// [`EF_CONSTRUCTION`] 100 it gives recall@10 0.99–1.00 at 1M vectors (0.96–0.98
/// at 64), p99 1.3 ms (`benches/vector.rs`). Matching searches deeper anyway: its
/// width is at least the over-fetched candidate depth.
pub const DEFAULT_EF_SEARCH: usize = 128;

/// What persist knows about the files on disk.
struct Persisted {
    /// Next generation number for file names.
    next_generation: u64,
    /// The current manifest, if any was written or loaded.
    manifest: Option<Manifest>,
    /// Per kind: version of the in-memory index the manifest's files hold.
    versions: [Option<u64>; 4],
}

/// The vector indexes of all four kinds, persisted under one directory.
pub struct VectorIndexes {
    dir: PathBuf,
    dim: usize,
    fingerprint: String,
    kinds: [KindIndex; 4],
    committed_seq: AtomicU64,
    ef_search: AtomicUsize,
    persisted: Mutex<Persisted>,
}

fn position(kind: Kind) -> usize {
    match kind {
        Kind::Need => 0,
        Kind::Achievement => 1,
        Kind::Request => 2,
        Kind::Supplier => 3,
    }
}

/// Indexes and manifest read back from disk.
struct Loaded {
    kinds: [KindIndex; 4],
    manifest: Manifest,
}

/// Why persisted indexes cannot be loaded.
enum Unusable {
    /// Sound files of another encoder (after a retrain) or of an older
    /// format (after an upgrade): expected, not damage.
    Superseded(String),
    /// Missing, truncated or damaged files.
    Damaged(String),
}

impl From<String> for Unusable {
    fn from(reason: String) -> Unusable {
        Unusable::Damaged(reason)
    }
}

/// Reads and checks everything the manifest lists. `Ok(None)`: nothing persisted.
fn load(
    dir: &Path,
    dim: usize,
    fingerprint: &str,
) -> std::result::Result<Option<Loaded>, Unusable> {
    let Some(manifest) = manifest::read(dir)? else {
        return Ok(None);
    };
    if manifest.format != manifest::FORMAT {
        return Err(Unusable::Superseded(format!(
            "files of format {}, this version writes {}",
            manifest.format,
            manifest::FORMAT
        )));
    }
    if manifest.dim != dim {
        return Err(Unusable::Superseded(format!(
            "dimension {} on disk, {dim} asked",
            manifest.dim
        )));
    }
    if manifest.fingerprint != fingerprint {
        return Err(Unusable::Superseded(format!(
            "encoder `{}` on disk, `{fingerprint}` asked",
            manifest.fingerprint
        )));
    }
    let mut kinds = Vec::with_capacity(4);
    for kind in Kind::ALL {
        let files = manifest
            .kinds
            .get(kind.as_str())
            .ok_or_else(|| format!("manifest lists no files for {kind}"))?;
        let crc = |name: &str| {
            manifest
                .files
                .get(name)
                .copied()
                .ok_or_else(|| format!("manifest has no checksum for {name}"))
        };
        let data = datafile::read(
            &dir.join(&files.entries),
            dim,
            fingerprint,
            Some(crc(&files.entries)?),
        )
        .map_err(|e| format!("{}: {e}", files.entries))?;
        let graph = match &files.graph {
            Some(base) => {
                for name in files.names().iter().skip(1) {
                    let actual =
                        manifest::file_crc(&dir.join(name)).map_err(|e| format!("{name}: {e}"))?;
                    if actual != crc(name)? {
                        return Err(format!("{name}: checksum mismatch").into());
                    }
                }
                Graph::load(dir, base, dim, data.entries()).map_err(|e| format!("{base}: {e}"))?
            }
            None if data.entries() == 0 => Graph::new(0),
            None => return Err(format!("{kind}: entries without a graph").into()),
        };
        kinds.push(KindIndex::from_parts(data, graph));
    }
    let kinds: [KindIndex; 4] = kinds
        .try_into()
        .map_err(|_| "wrong number of kinds".to_string())?;
    Ok(Some(Loaded { kinds, manifest }))
}

impl VectorIndexes {
    /// Opens the indexes under `dir`, creating the directory. `dim` and
    /// `model_fingerprint` (the encoder's name, version and vocabulary hash)
    /// must match what is persisted. On any mismatch, missing or damaged
    /// file, or hnsw_rs load failure (panics included) it logs a warning and
    /// starts empty with committed sequence number 0, for the engine to
    /// rebuild from the store. Only a directory that cannot be created is an error.
    pub fn open(dir: &Path, dim: usize, model_fingerprint: &str) -> Result<VectorIndexes> {
        if dim == 0 {
            return Err(Error::Internal("vector dimension 0".into()));
        }
        std::fs::create_dir_all(dir)?;
        let started = std::time::Instant::now();
        let loaded =
            std::panic::catch_unwind(|| load(dir, dim, model_fingerprint)).unwrap_or_else(|p| {
                Err(Unusable::Damaged(format!(
                    "panic: {}",
                    graph::panic_message(p)
                )))
            });
        let (kinds, manifest, seq) = match loaded {
            Ok(Some(Loaded { kinds, manifest })) => {
                let seq = manifest.seq;
                tracing::info!(
                    dir = %dir.display(),
                    seq,
                    secs = started.elapsed().as_secs_f64(),
                    "vector indexes loaded"
                );
                (kinds, Some(manifest), seq)
            }
            Ok(None) => (Kind::ALL.map(|_| KindIndex::empty(dim)), None, 0),
            Err(Unusable::Superseded(reason)) => {
                tracing::info!(dir = %dir.display(), %reason, "vector indexes of another encoder or format: rebuilding from the store");
                (Kind::ALL.map(|_| KindIndex::empty(dim)), None, 0)
            }
            Err(Unusable::Damaged(reason)) => {
                tracing::warn!(dir = %dir.display(), %reason, "vector indexes unusable: starting empty, to be rebuilt from the store");
                (Kind::ALL.map(|_| KindIndex::empty(dim)), None, 0)
            }
        };
        let versions = Kind::ALL.map(|_| manifest.as_ref().map(|_| 0));
        Ok(VectorIndexes {
            dir: dir.to_path_buf(),
            dim,
            fingerprint: model_fingerprint.to_string(),
            kinds,
            committed_seq: AtomicU64::new(seq),
            ef_search: AtomicUsize::new(DEFAULT_EF_SEARCH),
            persisted: Mutex::new(Persisted {
                next_generation: manifest::max_generation(dir) + 1,
                manifest,
                versions,
            }),
        })
    }

    fn kind(&self, kind: Kind) -> &KindIndex {
        &self.kinds[position(kind)]
    }

    /// Vector dimension.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Store sequence number the last successful persist (or the load) reflects.
    pub fn committed_seq(&self) -> u64 {
        self.committed_seq.load(Ordering::Acquire)
    }

    /// Candidate list width of graph searches (default [`DEFAULT_EF_SEARCH`]);
    /// higher is slower and more exact.
    pub fn set_ef_search(&self, ef: usize) {
        self.ef_search.store(ef.max(1), Ordering::Release);
    }

    /// Current candidate list width of graph searches.
    pub fn ef_search(&self) -> usize {
        self.ef_search.load(Ordering::Acquire)
    }

    /// Upserts (`Some`) or deletes (`None`) the vector of a document. A
    /// changed vector tombstones the old entry and inserts anew; the same
    /// vector with new metadata only updates the metadata. A vector of the
    /// wrong dimension or with non-finite values is `Error::Internal`.
    pub fn apply(
        &self,
        kind: Kind,
        id: &str,
        vector: Option<(Vec<f32>, VectorMeta)>,
    ) -> Result<()> {
        self.apply_batch(kind, vec![(id.to_string(), vector)])
    }

    /// Applies many upserts and deletes in order (a later item for an id
    /// wins), inserting the new vectors into the graph in parallel. Every
    /// vector is checked before anything changes. May rebuild the kind's
    /// graph when tombstones pass [`TOMBSTONE_FRACTION`].
    pub fn apply_batch(&self, kind: Kind, items: Vec<Item>) -> Result<()> {
        self.kind(kind).apply_batch(items)
    }

    /// Top-k live vectors of `kind` by cosine to `query` among those passing
    /// `filter`: (document id, cosine), best first.
    pub fn search(
        &self,
        kind: Kind,
        query: &[f32],
        k: usize,
        filter: &VectorFilter,
    ) -> Result<Vec<(String, f32)>> {
        self.kind(kind)
            .search(query, k, filter, self.ef_search(), Plan::Auto)
    }

    /// Like [`VectorIndexes::search`], always by exact scan: the reference
    /// for recall measurements, linear in the kind's size.
    pub fn search_exact(
        &self,
        kind: Kind,
        query: &[f32],
        k: usize,
        filter: &VectorFilter,
    ) -> Result<Vec<(String, f32)>> {
        self.kind(kind)
            .search(query, k, filter, self.ef_search(), Plan::Exact)
    }

    /// Live vectors of a kind.
    pub fn len(&self, kind: Kind) -> usize {
        self.kind(kind).len()
    }

    /// True when no kind has a live vector.
    pub fn is_empty(&self) -> bool {
        Kind::ALL.iter().all(|&k| self.len(k) == 0)
    }

    /// Tombstoned entries of a kind (awaiting the next rebuild).
    pub fn tombstones(&self, kind: Kind) -> usize {
        self.kind(kind).tombstones()
    }

    /// Stored (normalised) vector of a live document.
    pub fn vector(&self, kind: Kind, id: &str) -> Option<Vec<f32>> {
        self.kind(kind).vector(id)
    }

    /// Cosine of `query` with each id's stored vector of `kind` (`None` where
    /// the id has no live vector), in the order of `ids`.
    pub fn cosines(&self, kind: Kind, query: &[f32], ids: &[&str]) -> Vec<Option<f32>> {
        self.kind(kind).cosines(query, ids)
    }

    /// Persists every kind with `seq` as the store sequence number reached.
    /// Kinds unchanged since the last persist keep their files. New files get
    /// new names and are fsynced; then the manifest is replaced atomically, so
    /// a crash at any point leaves the previous version loadable. Files no
    /// longer listed are removed afterwards.
    pub fn persist(&self, seq: u64) -> Result<()> {
        let started = std::time::Instant::now();
        let mut persisted = lock(&self.persisted);
        let (manifest, versions) = self.stage(&mut persisted, seq)?;
        manifest::write(&self.dir, &manifest)?;
        self.committed_seq.store(seq, Ordering::Release);
        manifest::remove_unlisted(&self.dir, &manifest);
        persisted.manifest = Some(manifest);
        persisted.versions = versions;
        tracing::debug!(
            seq,
            secs = started.elapsed().as_secs_f64(),
            "vector indexes persisted"
        );
        Ok(())
    }

    /// Writes and fsyncs the files of a new generation (kinds that changed)
    /// and returns the manifest that would list them, without writing it.
    fn stage(&self, persisted: &mut Persisted, seq: u64) -> Result<(Manifest, [Option<u64>; 4])> {
        let generation = persisted.next_generation;
        persisted.next_generation += 1;
        let mut files = BTreeMap::new();
        let mut kinds = BTreeMap::new();
        let mut versions = [None; 4];
        for kind in Kind::ALL {
            let i = position(kind);
            let snap = self.kinds[i].snapshot();
            let reuse = persisted.manifest.as_ref().and_then(|m| {
                let kf = m.kinds.get(kind.as_str())?;
                (persisted.versions[i] == Some(snap.version)).then_some((m, kf))
            });
            let kind_files = match reuse {
                Some((m, kf)) => {
                    for name in kf.names() {
                        let crc = m.files.get(&name).copied().ok_or_else(|| {
                            Error::Internal(format!("manifest lacks checksum of {name}"))
                        })?;
                        files.insert(name, crc);
                    }
                    kf.clone()
                }
                None => {
                    let entries = format!("{kind}.{generation}.vec");
                    let path = self.dir.join(&entries);
                    datafile::write(&path, &snap.data, &self.fingerprint)?;
                    files.insert(entries.clone(), manifest::file_crc(&path)?);
                    let graph = if snap.graph.points() > 0 {
                        let base = snap
                            .graph
                            .dump(&self.dir, &format!("{kind}.{generation}"))?;
                        Some(base)
                    } else {
                        None
                    };
                    let kf = KindFiles { entries, graph };
                    for name in kf.names().into_iter().skip(1) {
                        let path = self.dir.join(&name);
                        manifest::sync_file(&path)?;
                        files.insert(name, manifest::file_crc(&path)?);
                    }
                    kf
                }
            };
            versions[i] = Some(snap.version);
            kinds.insert(kind.as_str().to_string(), kind_files);
        }
        manifest::sync_dir(&self.dir)?;
        let manifest = Manifest {
            format: manifest::FORMAT,
            seq,
            dim: self.dim,
            fingerprint: self.fingerprint.clone(),
            generation,
            files,
            kinds,
        };
        Ok((manifest, versions))
    }
}

// The engine shares the indexes between threads.
const _: fn() = || {
    fn is<T: Send + Sync>() {}
    is::<VectorIndexes>();
};
