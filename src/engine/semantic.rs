//! The semantic side of the engine: the encoder (built-in, trained from the
//! store, or an HTTP service) and the vector indexes it feeds.

use crate::embed::{
    embedding_text, BuiltinEncoder, Embedder, HttpEncoder, HttpEncoderConfig, TrainOptions,
    TrainReport,
};
use crate::error::{Error, Result};
use crate::model::Kind;
use crate::search::vector::{Item, VectorIndexes, VectorMeta};
use crate::store::{Change, Store};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// File name of the built-in encoder's model under the data directory.
pub const MODEL_FILE: &str = "encoder.model";
/// Changes applied since the last persist that trigger a persist, unless
/// [`PERSIST_EVERY_ENV`] says otherwise.
pub const PERSIST_EVERY: u64 = 5_000;
/// Environment variable overriding [`PERSIST_EVERY`] (a positive number):
/// lower means less re-embedding after a crash and more frequent writes of
/// the vector files (the crash test sets it low to crash during persists).
pub const PERSIST_EVERY_ENV: &str = "DUIJIE_VECTOR_PERSIST_EVERY";

/// [`PERSIST_EVERY`], or the positive number in [`PERSIST_EVERY_ENV`].
fn persist_every() -> u64 {
    static EVERY: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *EVERY.get_or_init(|| {
        std::env::var(PERSIST_EVERY_ENV)
            .ok()
            .and_then(|v| v.trim().parse().ok())
            .filter(|n| *n > 0)
            .unwrap_or(PERSIST_EVERY)
    })
}

/// Encoder and vector indexes of one encoder's vector space.
pub struct Semantic {
    /// The encoder.
    pub encoder: Arc<dyn Embedder>,
    /// The vector indexes (in that encoder's space).
    pub vectors: VectorIndexes,
    applied_seq: AtomicU64,
}

/// Where the model lives.
pub fn model_path(data_dir: &Path) -> PathBuf {
    data_dir.join(MODEL_FILE)
}

/// Most documents the built-in encoder trains on; a larger store is
/// sampled evenly. The topics of LSA settle long before this (the shipped
/// corpora are about 12,000 documents), while training holds every sampled
/// document's features in memory, some 30 KB each: unsampled, 400,000
/// documents took 15 GiB and a million would not fit.
pub const MAX_TRAINING_DOCUMENTS: usize = 50_000;

/// Texts of the live documents to train on: all of them, or every n-th in
/// id order when there are more than `max`.
fn training_texts(store: &Store, max: usize) -> Result<Vec<String>> {
    let live: usize = store.counts()?.values().sum();
    let stride = live.div_ceil(max.max(1)).max(1);
    if stride > 1 {
        tracing::info!(live, stride, "training the encoder on every n-th document");
    }
    store
        .live_documents(None)
        .step_by(stride)
        .map(|d| d.map(|d| embedding_text(&d)))
        .collect()
}

/// Trains the built-in encoder on the store and saves it atomically (the old
/// model stays in place until the new one is complete).
pub fn train_and_save(store: &Store, data_dir: &Path) -> Result<(BuiltinEncoder, TrainReport)> {
    let texts = training_texts(store, MAX_TRAINING_DOCUMENTS)?;
    let (encoder, report) = BuiltinEncoder::train(&texts, &TrainOptions::default())?;
    encoder.save(&model_path(data_dir))?;
    tracing::info!(
        documents = report.documents,
        vocabulary = report.vocabulary,
        seconds = report.seconds,
        "encoder trained"
    );
    Ok((encoder, report))
}

/// The encoder to use: the HTTP service when configured; else the built-in
/// model on disk; else, when the store has documents, a freshly trained one.
/// `None` when there is nothing to train on yet.
pub fn load_encoder(store: &Store, data_dir: &Path) -> Result<Option<Arc<dyn Embedder>>> {
    if let Some(config) = HttpEncoderConfig::from_env()? {
        return Ok(Some(Arc::new(HttpEncoder::new(config))));
    }
    let path = model_path(data_dir);
    if path.exists() {
        match BuiltinEncoder::load(&path) {
            Ok(encoder) => return Ok(Some(Arc::new(encoder))),
            Err(e) => {
                tracing::warn!(error = %e, "encoder model unusable: retraining from the store")
            }
        }
    }
    if store.last_seq()? == 0 {
        return Ok(None);
    }
    let (encoder, _) = train_and_save(store, data_dir)?;
    Ok(Some(Arc::new(encoder)))
}

impl Semantic {
    /// Opens the vector indexes of `encoder`'s space under `dir`.
    pub fn open(encoder: Arc<dyn Embedder>, dir: &Path) -> Result<Semantic> {
        let vectors = VectorIndexes::open(dir, encoder.dimension(), &encoder.fingerprint())?;
        let applied_seq = AtomicU64::new(vectors.committed_seq());
        Ok(Semantic {
            encoder,
            vectors,
            applied_seq,
        })
    }

    /// Store sequence number the in-memory vectors reflect.
    pub fn applied_seq(&self) -> u64 {
        self.applied_seq.load(Ordering::Acquire)
    }

    /// Embeds and applies the changes after the applied sequence number.
    pub fn apply(&self, changes: &[(u64, Change)], reached: u64) -> Result<()> {
        let from = self.applied_seq();
        let fresh: Vec<&Change> = changes
            .iter()
            .filter(|(s, _)| *s > from)
            .map(|(_, c)| c)
            .collect();
        let texts: Vec<String> = fresh
            .iter()
            .filter_map(|c| match c {
                Change::Upsert(doc) => Some(embedding_text(doc)),
                Change::Delete { .. } => None,
            })
            .collect();
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let mut vectors = self.encoder.embed(&refs)?.into_iter();
        let mut per_kind: BTreeMap<Kind, Vec<Item>> = BTreeMap::new();
        for change in fresh {
            let item: Item = match change {
                Change::Upsert(doc) => {
                    let vector = vectors.next().ok_or_else(|| {
                        Error::Internal("encoder returned too few vectors".into())
                    })?;
                    let meta = VectorMeta {
                        region: doc.region.clone(),
                        industry: doc
                            .industry
                            .clone()
                            .filter(|c| c.bytes().all(|b| b.is_ascii_digit())),
                        status: doc.status,
                    };
                    (doc.id.clone(), Some((vector, meta)))
                }
                Change::Delete { id, .. } => (id.clone(), None),
            };
            per_kind.entry(change.kind()).or_default().push(item);
        }
        for (kind, items) in per_kind {
            self.vectors.apply_batch(kind, items)?;
        }
        self.applied_seq.fetch_max(reached, Ordering::AcqRel);
        if self.applied_seq() >= self.vectors.committed_seq() + persist_every() {
            self.persist()?;
        }
        Ok(())
    }

    /// Persists the vectors at the applied sequence number (no-op when nothing changed).
    pub fn persist(&self) -> Result<()> {
        let seq = self.applied_seq();
        if seq > self.vectors.committed_seq() {
            self.vectors.persist(seq)?;
        }
        Ok(())
    }

    /// The query vector of a text.
    pub fn embed_one(&self, text: &str) -> Result<Vec<f32>> {
        self.encoder
            .embed(&[text])?
            .pop()
            .ok_or_else(|| Error::Internal("encoder returned no vector".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn training_samples_a_large_store_evenly_and_takes_a_small_one_whole() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        store
            .put_batch(crate::gen::generate(Kind::Need, 30, 1))
            .unwrap();
        store
            .put_batch(crate::gen::generate(Kind::Achievement, 30, 1))
            .unwrap();
        assert_eq!(training_texts(&store, 100).unwrap().len(), 60);
        assert_eq!(training_texts(&store, 60).unwrap().len(), 60);
        let sample = training_texts(&store, 20).unwrap();
        assert_eq!(sample.len(), 20, "every third of 60 documents");
        let all = training_texts(&store, 100).unwrap();
        assert!(sample.iter().all(|t| all.contains(t)));
        assert_ne!(
            sample[..],
            all[..20],
            "spread over the store, not its first 20"
        );
    }
}
