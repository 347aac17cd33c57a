//! Ranking: pair features, rank profiles, scoring with explanations, and the
//! in-memory catalog ranking reads.

pub mod catalog;
pub mod features;
pub mod lexical;
pub mod profile;
pub mod score;

pub use catalog::{Catalog, CatalogEntry};
pub use features::Feature;
pub use profile::{Combine, Fusion, RankProfile};
pub use score::{Explanation, Part};
