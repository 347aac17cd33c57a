//! Text encoders: the [`Embedder`] trait, the built-in encoder trained on the
//! store's own documents (TF-IDF over jieba words and character n-grams,
//! reduced by randomized truncated SVD), and a client for an
//! OpenAI-compatible embeddings endpoint an operator may run.

mod builtin;
mod features;
mod http;
mod svd;

pub use builtin::{BuiltinEncoder, TrainOptions, TrainReport};
pub use features::{concept_lines, FeatureExtractor};
pub use http::{HttpEncoder, HttpEncoderConfig};

use crate::error::Result;

/// Turns texts into L2-normalised vectors of a fixed dimension.
pub trait Embedder: Send + Sync {
    /// One vector per text, in order. A text with nothing the encoder knows
    /// gets the zero vector.
    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>>;
    /// Vector dimension.
    fn dimension(&self) -> usize;
    /// Encoder name, e.g. `builtin-lsa`.
    fn name(&self) -> &str;
    /// Version string; changes whenever the vectors it produces change
    /// (for the built-in encoder: it includes the vocabulary hash).
    fn version(&self) -> String;
    /// Identity of the vector space: vectors from encoders with different
    /// fingerprints must never be compared.
    fn fingerprint(&self) -> String {
        format!("{}/{}/{}", self.name(), self.version(), self.dimension())
    }
}

/// L2-normalises in place; leaves a zero vector as it is.
pub fn normalize(vector: &mut [f32]) {
    let norm = vector.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        vector.iter_mut().for_each(|x| *x /= norm);
    }
}

/// Dot product (cosine for unit vectors).
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// The text of a document the encoders see: the title twice (it says most
/// about the document), then body and the listed fields.
pub fn embedding_text(doc: &crate::model::Document) -> String {
    format!("{0}\n{0}\n{1}\n{2}", doc.title, doc.body, doc.extra_text())
}
