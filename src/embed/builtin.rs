//! The built-in encoder: TF-IDF over words and character n-grams (see
//! [`super::features`]), projected onto the top right singular vectors of the
//! training matrix (latent semantic analysis). Trained from the store's
//! documents plus the shipped concept thesaurus; nothing is downloaded.

use super::features::{concept_lines, FeatureExtractor};
use super::svd::{randomized_svd, Csr};
use super::{normalize, Embedder};
use crate::error::{Error, Result};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::time::Instant;

const MAGIC: &[u8; 8] = b"DJENC002";
/// Name of the built-in encoder.
pub const BUILTIN_NAME: &str = "builtin-lsa";

/// Training parameters.
#[derive(Debug, Clone)]
pub struct TrainOptions {
    /// Output dimension.
    pub dim: usize,
    /// Most features kept (by document frequency).
    pub max_vocab: usize,
    /// A feature must occur in at least this many documents.
    pub min_df: u32,
    /// A feature in more than this share of documents is dropped.
    pub max_df_ratio: f32,
    /// Extra sketch columns of the randomized SVD.
    pub oversample: usize,
    /// Power iterations of the randomized SVD.
    pub power_iters: usize,
    /// Seed of the random sketch.
    pub seed: u64,
    /// How many times each concept-thesaurus line is added as a document.
    pub concept_weight: usize,
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            dim: 512,
            max_vocab: 60_000,
            min_df: 2,
            max_df_ratio: 0.4,
            oversample: 16,
            power_iters: 3,
            seed: 7,
            concept_weight: 3,
        }
    }
}

/// What training did.
#[derive(Debug, Clone, Serialize)]
pub struct TrainReport {
    /// Training documents (store documents plus thesaurus lines).
    pub documents: usize,
    /// Features kept.
    pub vocabulary: usize,
    /// Output dimension.
    pub dimension: usize,
    /// Wall-clock seconds.
    pub seconds: f64,
}

#[derive(Debug, Serialize, Deserialize)]
struct Header {
    dim: usize,
    vocab_size: usize,
    version: String,
    trained_documents: usize,
    /// [`recipe_fingerprint`] of the code that trained the model (empty in
    /// models written before it was recorded).
    #[serde(default)]
    recipe: String,
}

/// Version of the model's recipe: the feature extraction ([`FeatureExtractor`])
/// and the default [`TrainOptions`]. Bump it when the features of a text or
/// the default training change (2: 512 dimensions instead of 256).
const RECIPE_VERSION: &str = "recipe-2";

/// Identity of the recipe a model was trained by: [`RECIPE_VERSION`] and the
/// analysis (dictionary, stop words, thesaurus). A model of another recipe is
/// refused on load, so it is retrained.
fn recipe_fingerprint() -> String {
    format!(
        "{RECIPE_VERSION}-{:08x}",
        crate::text::analysis_fingerprint()
    )
}

/// The trained model.
pub struct BuiltinEncoder {
    dim: usize,
    vocab: HashMap<String, u32>,
    terms: Vec<String>,
    idf: Vec<f32>,
    /// vocab_size × dim, row-major.
    projection: Vec<f32>,
    /// Mean of the training documents' projected vectors, subtracted before
    /// normalising: the direction all documents share says nothing about
    /// which of them are alike.
    mean: Vec<f32>,
    version: String,
    trained_documents: usize,
}

/// Sublinear term frequency; weighted counts below one (n-grams, concept
/// expansions) keep their weight.
fn tf(count: f32) -> f32 {
    if count < 1.0 {
        count.max(0.0)
    } else {
        1.0 + count.ln()
    }
}

impl BuiltinEncoder {
    /// Trains on `texts` (each a whole document's text) plus the concept thesaurus.
    pub fn train(
        texts: &[String],
        options: &TrainOptions,
    ) -> Result<(BuiltinEncoder, TrainReport)> {
        let started = Instant::now();
        let extractor = FeatureExtractor;
        let concepts: Vec<String> = concept_lines().collect();
        let mut corpus: Vec<&str> = texts.iter().map(String::as_str).collect();
        for line in &concepts {
            corpus.extend(std::iter::repeat_n(line.as_str(), options.concept_weight));
        }
        if corpus.is_empty() {
            return Err(Error::Internal(
                "no documents to train the encoder on".into(),
            ));
        }
        let features: Vec<HashMap<String, f32>> =
            corpus.par_iter().map(|t| extractor.extract(t)).collect();
        let mut df: HashMap<&str, u32> = HashMap::new();
        for doc in &features {
            for key in doc.keys() {
                *df.entry(key.as_str()).or_default() += 1;
            }
        }
        let n = features.len() as f32;
        let max_df = (options.max_df_ratio * n).max(options.min_df as f32);
        let mut kept: Vec<(&str, u32)> = df
            .into_iter()
            .filter(|(_, d)| *d >= options.min_df && (*d as f32) <= max_df)
            .collect();
        kept.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        kept.truncate(options.max_vocab);
        kept.sort_by(|a, b| a.0.cmp(b.0));
        let terms: Vec<String> = kept.iter().map(|(t, _)| t.to_string()).collect();
        let vocab: HashMap<String, u32> = terms
            .iter()
            .enumerate()
            .map(|(i, t)| (t.clone(), i as u32))
            .collect();
        let idf: Vec<f32> = kept
            .iter()
            .map(|(_, d)| ((1.0 + n) / (1.0 + *d as f32)).ln() + 1.0)
            .collect();

        let mut matrix = Csr::new(terms.len());
        for doc in &features {
            let row = weighted_row(doc, &vocab, &idf);
            matrix.push_row(&row);
        }
        drop(features);
        let (v, _sigma) = randomized_svd(
            &matrix,
            options.dim,
            options.oversample,
            options.power_iters,
            options.seed,
        );
        let dim = v.ncols();
        let projection: Vec<f32> = v.as_standard_layout().iter().copied().collect();
        let mut encoder = BuiltinEncoder {
            dim,
            vocab,
            terms,
            idf,
            projection,
            mean: vec![0.0; dim],
            version: String::new(),
            trained_documents: corpus.len(),
        };
        let rows: Vec<Vec<f32>> = (0..matrix.rows())
            .into_par_iter()
            .map(|i| encoder.project(matrix.row_pairs(i)))
            .collect();
        let mut mean = vec![0f32; dim];
        for row in &rows {
            mean.iter_mut()
                .zip(row)
                .for_each(|(m, x)| *m += x / rows.len() as f32);
        }
        encoder.mean = mean;
        encoder.version = model_version(
            &encoder.terms,
            &encoder.idf,
            &encoder.projection,
            &encoder.mean,
        );
        let report = TrainReport {
            documents: corpus.len(),
            vocabulary: encoder.terms.len(),
            dimension: dim,
            seconds: started.elapsed().as_secs_f64(),
        };
        Ok((encoder, report))
    }

    /// Number of features in the vocabulary.
    pub fn vocabulary_size(&self) -> usize {
        self.terms.len()
    }

    /// Writes the model atomically: a temporary file, fsync, rename.
    pub fn save(&self, path: &Path) -> Result<()> {
        let header = serde_json::to_vec(&Header {
            dim: self.dim,
            vocab_size: self.terms.len(),
            version: self.version.clone(),
            trained_documents: self.trained_documents,
            recipe: recipe_fingerprint(),
        })
        .map_err(|e| Error::Internal(e.to_string()))?;
        let mut bytes = Vec::with_capacity(
            16 + header.len() + self.projection.len() * 4 + self.terms.len() * 16,
        );
        bytes.extend_from_slice(MAGIC);
        bytes.extend_from_slice(&(header.len() as u32).to_le_bytes());
        bytes.extend_from_slice(&header);
        for term in &self.terms {
            bytes.extend_from_slice(&(term.len() as u16).to_le_bytes());
            bytes.extend_from_slice(term.as_bytes());
        }
        for x in self.idf.iter().chain(&self.projection).chain(&self.mean) {
            bytes.extend_from_slice(&x.to_le_bytes());
        }
        let crc = crc32fast::hash(&bytes);
        bytes.extend_from_slice(&crc.to_le_bytes());
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let tmp = path.with_extension("tmp");
        {
            let mut file = std::fs::File::create(&tmp)?;
            file.write_all(&bytes)?;
            file.sync_all()?;
        }
        std::fs::rename(&tmp, path)?;
        if let Some(dir) = path.parent() {
            std::fs::File::open(dir)?.sync_all()?;
        }
        Ok(())
    }

    /// Reads a model written by [`BuiltinEncoder::save`]; a truncated,
    /// corrupted or foreign file is an error, never a panic.
    pub fn load(path: &Path) -> Result<BuiltinEncoder> {
        let bytes = std::fs::read(path)?;
        let bad = |why: &str| Error::Embedding(format!("encoder model {}: {why}", path.display()));
        if bytes.len() < MAGIC.len() + 8 || &bytes[..MAGIC.len()] != MAGIC {
            return Err(bad("not a duijie encoder model"));
        }
        let (body, crc) = bytes.split_at(bytes.len() - 4);
        if crc32fast::hash(body) != u32::from_le_bytes(crc.try_into().expect("4 bytes")) {
            return Err(bad("checksum mismatch (truncated or damaged)"));
        }
        let mut reader = Reader {
            bytes: body,
            at: MAGIC.len(),
        };
        let header_len = reader.u32().ok_or_else(|| bad("truncated header"))? as usize;
        let header: Header = serde_json::from_slice(
            reader
                .take(header_len)
                .ok_or_else(|| bad("truncated header"))?,
        )
        .map_err(|e| bad(&format!("bad header: {e}")))?;
        if header.recipe != recipe_fingerprint() {
            return Err(bad(&format!(
                "trained by another recipe: other text features or training options \
                 ({:?}; this build uses {})",
                header.recipe,
                recipe_fingerprint()
            )));
        }
        let mut terms = Vec::with_capacity(header.vocab_size);
        for _ in 0..header.vocab_size {
            let len = reader.u16().ok_or_else(|| bad("truncated vocabulary"))? as usize;
            let term = reader
                .take(len)
                .ok_or_else(|| bad("truncated vocabulary"))?;
            terms.push(
                String::from_utf8(term.to_vec()).map_err(|_| bad("vocabulary is not UTF-8"))?,
            );
        }
        let floats = header.vocab_size * (1 + header.dim) + header.dim;
        let raw = reader
            .take(floats * 4)
            .ok_or_else(|| bad("truncated matrix"))?;
        if reader.at != body.len() {
            return Err(bad("trailing bytes"));
        }
        let values: Vec<f32> = raw
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes")))
            .collect();
        let (idf, rest) = values.split_at(header.vocab_size);
        let (projection, mean) = rest.split_at(header.vocab_size * header.dim);
        let vocab = terms
            .iter()
            .enumerate()
            .map(|(i, t)| (t.clone(), i as u32))
            .collect();
        Ok(BuiltinEncoder {
            dim: header.dim,
            vocab,
            terms,
            idf: idf.to_vec(),
            projection: projection.to_vec(),
            mean: mean.to_vec(),
            version: header.version,
            trained_documents: header.trained_documents,
        })
    }

    /// Embeds one text.
    pub fn embed_one(&self, text: &str) -> Vec<f32> {
        let features = FeatureExtractor.extract(text);
        let row = weighted_row(&features, &self.vocab, &self.idf);
        if row.is_empty() {
            return vec![0f32; self.dim];
        }
        let mut out = self.project(row.into_iter());
        out.iter_mut().zip(&self.mean).for_each(|(o, m)| *o -= m);
        normalize(&mut out);
        out
    }

    /// Projects a weighted sparse row onto the latent dimensions.
    fn project(&self, row: impl Iterator<Item = (u32, f32)>) -> Vec<f32> {
        let mut out = vec![0f32; self.dim];
        for (index, weight) in row {
            let start = index as usize * self.dim;
            let column = &self.projection[start..start + self.dim];
            out.iter_mut()
                .zip(column)
                .for_each(|(o, p)| *o += weight * p);
        }
        out
    }
}

/// TF-IDF weights of the known features of a document, L2-normalised, sorted by index.
fn weighted_row(
    features: &HashMap<String, f32>,
    vocab: &HashMap<String, u32>,
    idf: &[f32],
) -> Vec<(u32, f32)> {
    let mut row: Vec<(u32, f32)> = features
        .iter()
        .filter_map(|(k, c)| vocab.get(k).map(|i| (*i, tf(*c) * idf[*i as usize])))
        .collect();
    row.sort_by_key(|(i, _)| *i);
    let norm = row.iter().map(|(_, w)| w * w).sum::<f32>().sqrt();
    if norm > 0.0 {
        row.iter_mut().for_each(|(_, w)| *w /= norm);
    }
    row
}

fn model_version(terms: &[String], idf: &[f32], projection: &[f32], mean: &[f32]) -> String {
    let mut vocab_hash = crc32fast::Hasher::new();
    for t in terms {
        vocab_hash.update(t.as_bytes());
        vocab_hash.update(&[0]);
    }
    let mut weights_hash = crc32fast::Hasher::new();
    for x in idf.iter().chain(projection).chain(mean) {
        weights_hash.update(&x.to_le_bytes());
    }
    format!(
        "v1-{:08x}-{:08x}",
        vocab_hash.finalize(),
        weights_hash.finalize()
    )
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.at.checked_add(n)?;
        let slice = self.bytes.get(self.at..end)?;
        self.at = end;
        Some(slice)
    }
    fn u32(&mut self) -> Option<u32> {
        self.take(4)
            .map(|b| u32::from_le_bytes(b.try_into().expect("4 bytes")))
    }
    fn u16(&mut self) -> Option<u16> {
        self.take(2)
            .map(|b| u16::from_le_bytes(b.try_into().expect("2 bytes")))
    }
}

impl Embedder for BuiltinEncoder {
    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        Ok(crate::parallel::map_batch(texts, |t| self.embed_one(t)))
    }

    fn dimension(&self) -> usize {
        self.dim
    }

    fn name(&self) -> &str {
        BUILTIN_NAME
    }

    fn version(&self) -> String {
        self.version.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn corpus() -> Vec<String> {
        let topics = [
            "锂电池 正极材料 能量密度 循环寿命 高镍三元 包覆改性 续航",
            "注塑成型 模具 缩痕 翘曲 工艺参数 保压 冷却",
            "茶园 病虫害 生物防治 农药残留 绿色防控 茶叶",
            "养殖废水 粪污 厌氧发酵 沼气 氨氮 资源化",
        ];
        (0..200)
            .map(|i| {
                let words: Vec<&str> = topics[i % 4].split(' ').collect();
                let a = words[i % words.len()];
                let b = words[(i / 4 + 1) % words.len()];
                let c = words[(i / 8 + 3) % words.len()];
                format!("{a}{b}研究，{c}与{a}")
            })
            .collect()
    }

    fn small_options() -> TrainOptions {
        TrainOptions {
            dim: 4,
            concept_weight: 0,
            ..TrainOptions::default()
        }
    }

    #[test]
    fn related_texts_embed_closer_than_unrelated_ones() {
        let (encoder, report) = BuiltinEncoder::train(&corpus(), &small_options()).unwrap();
        assert_eq!(report.dimension, 4);
        let v = encoder
            .embed(&["提高锂电池续航", "高镍三元正极材料", "茶园病虫害防治"])
            .unwrap();
        let close = super::super::dot(&v[0], &v[1]);
        let far = super::super::dot(&v[0], &v[2]);
        assert!(close > far + 0.3, "close {close} far {far}");
        let norm: f32 = v[0].iter().map(|x| x * x).sum();
        assert!((norm - 1.0).abs() < 1e-4);
        // Nothing known: the zero vector.
        assert!(encoder.embed_one("qqq").iter().all(|x| *x == 0.0));
    }

    /// The model file at `path` with its header's `recipe` replaced by
    /// `recipe` (or removed when `None`), checksum renewed.
    fn rewrite_recipe(path: &Path, recipe: Option<&str>) {
        let bytes = std::fs::read(path).unwrap();
        let at = MAGIC.len();
        let len = u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        let mut header: serde_json::Value =
            serde_json::from_slice(&bytes[at + 4..at + 4 + len]).unwrap();
        match recipe {
            Some(r) => header["recipe"] = r.into(),
            None => {
                header.as_object_mut().unwrap().remove("recipe");
            }
        }
        let header = serde_json::to_vec(&header).unwrap();
        let mut out = bytes[..at].to_vec();
        out.extend_from_slice(&(header.len() as u32).to_le_bytes());
        out.extend_from_slice(&header);
        out.extend_from_slice(&bytes[at + 4 + len..bytes.len() - 4]);
        let crc = crc32fast::hash(&out);
        out.extend_from_slice(&crc.to_le_bytes());
        std::fs::write(path, out).unwrap();
    }

    /// A small model trained and saved into a new temporary directory (kept
    /// alive by the returned guard), and the model file's path.
    fn saved_model() -> (BuiltinEncoder, tempfile::TempDir, std::path::PathBuf) {
        let (encoder, _) = BuiltinEncoder::train(&corpus(), &small_options()).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("encoder.model");
        encoder.save(&path).unwrap();
        (encoder, dir, path)
    }

    #[test]
    fn a_model_of_another_recipe_is_refused() {
        let (_, _dir, path) = saved_model();
        // Rewritten with this build's own fingerprint, the file still loads.
        rewrite_recipe(&path, Some(&recipe_fingerprint()));
        assert!(BuiltinEncoder::load(&path).is_ok());
        // Another dictionary, feature code or default training, or a model from
        // before the recipe was recorded: refused, so the caller retrains.
        for other in [Some("recipe-1-00000000"), None] {
            rewrite_recipe(&path, other);
            let error = BuiltinEncoder::load(&path).err().expect("refused");
            assert!(error.to_string().contains("other text features"), "{error}");
        }
    }

    #[test]
    fn save_and_load_round_trip_and_damage_is_detected() {
        let (encoder, _dir, path) = saved_model();
        let loaded = BuiltinEncoder::load(&path).unwrap();
        assert_eq!(loaded.fingerprint(), encoder.fingerprint());
        assert_eq!(
            loaded.embed_one("锂电池续航"),
            encoder.embed_one("锂电池续航")
        );

        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
        assert!(matches!(
            BuiltinEncoder::load(&path),
            Err(Error::Embedding(_))
        ));
        std::fs::write(&path, b"garbage").unwrap();
        assert!(matches!(
            BuiltinEncoder::load(&path),
            Err(Error::Embedding(_))
        ));
        let mut flipped = bytes.clone();
        flipped[bytes.len() / 2] ^= 0xff;
        std::fs::write(&path, &flipped).unwrap();
        assert!(matches!(
            BuiltinEncoder::load(&path),
            Err(Error::Embedding(_))
        ));
    }

    #[test]
    fn training_is_deterministic() {
        let (a, _) = BuiltinEncoder::train(&corpus(), &small_options()).unwrap();
        let (b, _) = BuiltinEncoder::train(&corpus(), &small_options()).unwrap();
        assert_eq!(a.version(), b.version());
    }
}
