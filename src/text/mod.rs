//! Chinese text analysis: normalisation, jieba segmentation with the domain
//! dictionary and stop words, and the tantivy tokenizer built on them.
//!
//! Normalisation folds traditional characters to simplified ones and a
//! traditional text's regional words to the mainland's, so a document in
//! either script matches queries in either.

mod analyzer;
mod normalize;
mod thesaurus;
mod tokenizer;

pub use analyzer::{analysis_fingerprint, Analyzer, Mode, Term};
pub use normalize::{fold_char, normalize, Normalized};
pub use thesaurus::Thesaurus;
pub use tokenizer::{JiebaTokenizer, INDEX_TOKENIZER, QUERY_TOKENIZER};
