//! The ranking catalog: an in-memory projection of every live document that
//! ranking reads per candidate — its structured fields (body dropped) and its
//! terms for pair BM25 — kept in step with the store by the engine's sync.
//! Rebuilt from the store on start.

use super::features::{industry_key, normalized_certs};
use super::lexical::{Bm25Scorer, Collection, Interner, TermProfile};
use crate::model::codes::IndustryKey;
use crate::model::{Document, Kind};
use crate::parallel::map_batch;
use crate::prefetch;
use crate::store::Change;
use rustc_hash::FxHashMap as HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

/// What ranking knows of one document.
#[derive(Debug)]
pub struct CatalogEntry {
    /// The document without its body.
    pub doc: Document,
    /// Its terms.
    pub terms: TermProfile,
    /// Its certifications in canonical form (see [`super::features::normalized_certs`]).
    pub certs: Vec<String>,
    /// Its industry path (see [`super::features::industry_key`]).
    pub industry: Option<IndustryKey>,
}

/// Most cache lines of an entry's record prefetched ahead of pair scoring …
const RECORD_LINES: usize = 16;
/// … and of its term list.
const TERM_LINES: usize = 24;

impl CatalogEntry {
    /// Hints the cache to load the entry's record (see [`crate::prefetch`]).
    #[inline]
    pub fn prefetch_record(&self) {
        prefetch::lines(
            self as *const Self,
            std::mem::size_of::<Self>(),
            RECORD_LINES,
        );
    }

    /// Hints the cache to load what pair scoring reads behind the record:
    /// the entry's terms as a query (`as_query`) or as a document, and its
    /// region and industry codes.
    #[inline]
    pub fn prefetch_pair_data(&self, as_query: bool) {
        let terms = if as_query {
            &self.terms.query_terms
        } else {
            &self.terms.doc_terms
        };
        prefetch::slice(terms, TERM_LINES);
        for code in [&self.doc.region, &self.doc.industry].into_iter().flatten() {
            prefetch::slice(code.as_bytes(), 1);
        }
    }
}

#[derive(Default)]
struct KindCatalog {
    entries: HashMap<String, Arc<CatalogEntry>>,
    collection: Collection,
}

/// Every live document's ranking data, per kind.
#[derive(Default)]
pub struct Catalog {
    interner: Interner,
    kinds: [RwLock<KindCatalog>; 4],
    applied_seq: AtomicU64,
}

fn slot(kind: Kind) -> usize {
    Kind::ALL
        .iter()
        .position(|k| *k == kind)
        .expect("a known kind")
}

impl Catalog {
    /// Store sequence number the catalog reflects.
    pub fn applied_seq(&self) -> u64 {
        self.applied_seq.load(Ordering::Acquire)
    }

    /// Terms of a document that is not (or not yet) in the catalog.
    pub fn profile_of(&self, doc: &Document) -> TermProfile {
        TermProfile::of(doc, &self.interner)
    }

    /// Applies changes with sequence numbers above the catalog's, analysing
    /// documents in parallel when there are many; `reached` becomes the catalog's sequence number.
    pub fn apply(&self, changes: &[(u64, Change)], reached: u64) {
        let from = self.applied_seq();
        let pending: Vec<&Change> = changes
            .iter()
            .filter(|(seq, _)| *seq > from)
            .map(|(_, change)| change)
            .collect();
        let analysed: Vec<(Kind, String, Option<Arc<CatalogEntry>>)> =
            map_batch(&pending, |change| match change {
                Change::Upsert(doc) => {
                    let terms = TermProfile::of(doc, &self.interner);
                    let certs = normalized_certs(doc);
                    let industry = industry_key(doc);
                    let mut doc = (**doc).clone();
                    doc.body = String::new();
                    (
                        doc.kind,
                        doc.id.clone(),
                        Some(Arc::new(CatalogEntry {
                            doc,
                            terms,
                            certs,
                            industry,
                        })),
                    )
                }
                Change::Delete { id, kind } => (*kind, id.clone(), None),
            });
        for (kind, id, entry) in analysed {
            let mut catalog = self.kinds[slot(kind)].write().expect("catalog lock");
            if let Some(old) = catalog.entries.remove(&id) {
                catalog.collection.remove(&old.terms);
            }
            if let Some(entry) = entry {
                catalog.collection.add(&entry.terms);
                catalog.entries.insert(id, entry);
            }
        }
        self.applied_seq.fetch_max(reached, Ordering::AcqRel);
    }

    /// The entry of a live document.
    pub fn get(&self, kind: Kind, id: &str) -> Option<Arc<CatalogEntry>> {
        self.kinds[slot(kind)]
            .read()
            .expect("catalog lock")
            .entries
            .get(id)
            .cloned()
    }

    /// Entries of several ids of one kind (missing ones skipped), in order.
    pub fn get_many(&self, kind: Kind, ids: &[&str]) -> Vec<Arc<CatalogEntry>> {
        let catalog = self.kinds[slot(kind)].read().expect("catalog lock");
        ids.iter()
            .filter_map(|id| catalog.entries.get(*id).cloned())
            .collect()
    }

    /// Every entry of a kind.
    pub fn entries(&self, kind: Kind) -> Vec<Arc<CatalogEntry>> {
        self.kinds[slot(kind)]
            .read()
            .expect("catalog lock")
            .entries
            .values()
            .cloned()
            .collect()
    }

    /// Number of documents of a kind.
    pub fn len(&self, kind: Kind) -> usize {
        self.kinds[slot(kind)]
            .read()
            .expect("catalog lock")
            .entries
            .len()
    }

    /// True when the catalog holds no document.
    pub fn is_empty(&self) -> bool {
        Kind::ALL.iter().all(|k| self.len(*k) == 0)
    }

    /// Runs `f` with a BM25 scorer over the statistics of `supply_kind`
    /// (demand words against supply documents). The kind's catalog is read
    /// locked meanwhile: `f` must not call back into the catalog.
    pub fn with_bm25<R>(&self, supply_kind: Kind, f: impl FnOnce(&Bm25Scorer) -> R) -> R {
        let catalog = self.kinds[slot(supply_kind)].read().expect("catalog lock");
        f(&Bm25Scorer::new(&catalog.collection))
    }

    /// Text of interned terms.
    pub fn term_names(&self, ids: impl Iterator<Item = u32>) -> Vec<String> {
        ids.map(|id| self.interner.name(id).to_string()).collect()
    }
}
