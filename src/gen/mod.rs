//! Seeded generator of sample documents (stub; being written).

use crate::model::{Document, Kind};
use std::path::Path;

/// Generates `n` documents of `kind` from `seed`.
pub fn generate(kind: Kind, n: usize, seed: u64) -> Vec<Document> {
    let _ = (kind, n, seed);
    Vec::new()
}

/// Converts the CSL records under `csl_dir` into achievements.
pub fn achievements_from_csl(csl_dir: &Path, seed: u64) -> std::io::Result<Vec<Document>> {
    let _ = (csl_dir, seed);
    Ok(Vec::new())
}
