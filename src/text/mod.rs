//! Chinese text analysis: normalisation, jieba segmentation with the domain
//! dictionary and stop words, and the tantivy tokenizer built on them.
//!
//! Traditional and simplified characters are left as they are: a document in
//! traditional script matches queries in traditional script only.

mod analyzer;
mod normalize;
mod thesaurus;
mod tokenizer;

pub use analyzer::{analysis_fingerprint, Analyzer, Mode, Term};
pub use normalize::{fold_char, normalize, Normalized};
pub use thesaurus::Thesaurus;
pub use tokenizer::{JiebaTokenizer, INDEX_TOKENIZER, QUERY_TOKENIZER};
