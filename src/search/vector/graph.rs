//! The HNSW graph of one kind (hnsw_rs, half-precision vectors: see
//! [`super::half`]), keyed by entry slot. hnsw_rs builds, stores and loads
//! it; searches walk a flat copy of its links ([`Links`], [`super::walk`]).
//! Every call into hnsw_rs is guarded with `catch_unwind`: hnsw_rs asserts
//! and panics on bad input or files, and the engine must not go down for a
//! derived index.

use super::data::Data;
use super::half::{Half, HalfDot};
use super::links::Links;
use super::locks::{read, write};
use super::walk;
use crate::error::{Error, Result};
use hnsw_rs::prelude::{AnnT, Hnsw, HnswIo};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::RwLock;

/// Maximum connections per node and layer (hnsw_rs `max_nb_connection`).
pub const MAX_CONNECTIONS: usize = 16;
/// Candidate list width while building (Qdrant's default too): a 1M × 256
/// build takes 393–515 s on 2 threads, where 200 took 1,171 s for recall@10 that
/// the default search width makes up for (`benches/vector.rs`).
pub const EF_CONSTRUCTION: usize = 100;
/// Layers of the graph (hnsw_rs caps it at 16).
const MAX_LAYERS: usize = 16;
/// Below this many vectors an insert is done serially: rayon's overhead
/// outweighs the gain.
const PARALLEL_MIN: usize = 64;

/// Turns a panic payload into a message.
pub(crate) fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "unknown panic".to_string())
}

/// Runs `f`, turning a panic into `Error::Internal`.
pub(crate) fn guarded<T>(what: &str, f: impl FnOnce() -> T) -> Result<T> {
    catch_unwind(AssertUnwindSafe(f))
        .map_err(|p| Error::Internal(format!("{what}: hnsw_rs panicked: {}", panic_message(p))))
}

/// One kind's graph.
pub(crate) struct Graph {
    hnsw: Hnsw<'static, Half, HalfDot>,
    /// The links of `hnsw`, as of its last completed insert.
    links: RwLock<Links>,
}

impl Graph {
    /// An empty graph sized for about `expected` vectors.
    pub(crate) fn new(expected: usize) -> Graph {
        let hnsw = Hnsw::new(
            MAX_CONNECTIONS,
            expected.max(1_000),
            MAX_LAYERS,
            EF_CONSTRUCTION,
            HalfDot,
        );
        Graph {
            hnsw,
            links: RwLock::default(),
        }
    }

    /// Points in the graph (tombstoned ones included).
    pub(crate) fn points(&self) -> usize {
        self.hnsw.get_nb_point()
    }

    /// Inserts vectors under their slots; in parallel (rayon) when there are
    /// many. Searches find them once the insert is done. The caller inserts
    /// from one thread at a time (the index's writer lock).
    pub(crate) fn insert(&self, items: &[(&[Half], usize)]) -> Result<()> {
        guarded("insert", || {
            if items.len() >= PARALLEL_MIN {
                self.hnsw.parallel_insert_slice(&items.to_vec());
            } else {
                for &(v, slot) in items {
                    self.hnsw.insert_slice((v, slot));
                }
            }
        })?;
        let changed = guarded("insert", || self.hnsw.take_changed())?;
        let entry = self.hnsw.entry_point();
        match changed {
            Some(nodes) => write(&self.links).update(nodes, entry),
            // Too many changed to track (a bulk insert): copy them all, aside.
            None => {
                let links = Links::new(guarded("insert", || self.hnsw.all_links())?, entry);
                *write(&self.links) = links;
            }
        }
        Ok(())
    }

    /// Up to `k` nearest slots among those `accept` takes (all, when `None`),
    /// as (slot, distance), nearest first; `data` holds the graph's vectors.
    pub(crate) fn search(
        &self,
        data: &Data,
        query: &[Half],
        k: usize,
        ef: usize,
        accept: Option<&dyn Fn(usize) -> bool>,
    ) -> Vec<(usize, f32)> {
        walk::search(&read(&self.links), data, query, k, ef, accept)
    }

    /// Writes `<basename>.hnsw.graph` and `<basename>.hnsw.data` into `dir`;
    /// returns the basename hnsw_rs actually used.
    pub(crate) fn dump(&self, dir: &Path, basename: &str) -> Result<String> {
        guarded("dump", || self.hnsw.file_dump(dir, basename))?
            .map_err(|e| Error::Internal(format!("hnsw dump failed: {e}")))
    }

    /// Loads a dump written by [`Graph::dump`]. Checks that it holds vectors of
    /// `dim` components under slots below `entries`.
    pub(crate) fn load(
        dir: &Path,
        basename: &str,
        dim: usize,
        entries: usize,
    ) -> std::result::Result<Graph, String> {
        // The loaded graph borrows its loader for its whole life ('b: 'a in
        // hnsw_rs). Without mmap it holds no data, only paths and options, so
        // leaking one small loader per load is the simplest sound way to get a
        // `Hnsw<'static>`.
        let loaded = catch_unwind(|| {
            let loader: &'static mut HnswIo = Box::leak(Box::new(HnswIo::new(dir, basename)));
            loader.load_hnsw::<Half, HalfDot>()
        })
        .map_err(|p| format!("hnsw_rs panicked while loading: {}", panic_message(p)))?;
        let mut hnsw = loaded.map_err(|e| format!("hnsw_rs could not load the graph: {e}"))?;
        // A reloaded graph has extend_candidates on; new inserts should behave
        // like those of a freshly built graph.
        hnsw.set_extend_candidates(false);
        let points = hnsw.get_nb_point();
        if points > entries {
            return Err(format!("graph has {points} points for {entries} entries"));
        }
        let bad = hnsw
            .get_point_indexation()
            .into_iter()
            .any(|p| p.get_origin_id() >= entries || p.get_v().len() != dim);
        if bad {
            return Err(format!(
                "graph holds a slot past the entries or a vector not of {dim} components"
            ));
        }
        let links = catch_unwind(AssertUnwindSafe(|| {
            Links::new(hnsw.all_links(), hnsw.entry_point())
        }))
        .map_err(|p| format!("hnsw_rs panicked reading links: {}", panic_message(p)))?;
        Ok(Graph {
            hnsw,
            links: RwLock::new(links),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::vector::half::encode;
    use crate::search::vector::synth::clustered;

    /// The links searches walk, and a fresh copy of hnsw_rs's own.
    fn mirrored_and_fresh(graph: &Graph) -> (Links, Links) {
        let fresh = Links::new(graph.hnsw.all_links(), graph.hnsw.entry_point());
        (std::mem::take(&mut *write(&graph.links)), fresh)
    }

    #[test]
    fn the_walked_links_are_hnsw_rs_links_after_every_insert() {
        let vectors: Vec<Vec<Half>> = clustered(5_000, 16, 20, 0.6, 11)
            .iter()
            .map(|v| encode(v))
            .collect();
        let graph = Graph::new(0);
        let items = |range: std::ops::Range<usize>| -> Vec<(&[Half], usize)> {
            range.map(|s| (vectors[s].as_slice(), s)).collect()
        };
        // A parallel bulk insert (too many changes to track: copied whole),
        // then batches of one to three (serial, tracked).
        graph.insert(&items(0..4_500)).unwrap();
        let mut at = 4_500;
        let mut batch = 1;
        while at < vectors.len() {
            let end = (at + batch).min(vectors.len());
            graph.insert(&items(at..end)).unwrap();
            at = end;
            batch = batch % 3 + 1;
            if at % 97 < 3 {
                let (mirrored, fresh) = mirrored_and_fresh(&graph);
                assert_eq!(mirrored, fresh, "after inserting up to slot {at}");
                *write(&graph.links) = mirrored;
            }
        }
        let (mirrored, fresh) = mirrored_and_fresh(&graph);
        assert_eq!(mirrored, fresh);
        assert_eq!(fresh.entry().map(|(_, level)| level > 0), Some(true));
    }
}
