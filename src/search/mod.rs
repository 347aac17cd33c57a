//! Derived indexes over the store: full-text (tantivy) now, vectors later.

mod best_k;
pub mod facets;
pub mod fulltext;
pub mod ids;
pub mod max_score;
pub mod query;
pub mod vector;
