//! Exact top-k by scanning vectors: the fallback for selective filters and
//! small kinds, and the reference the graph is measured against.

use super::data::Data;
use super::half::{distance, Half};
use crate::search::best_k::BestK;
use std::cmp::Ordering;

/// A slot and its distance to the query, ordered by distance, then slot
/// (smaller is nearer); the graph walk's heaps hold these too.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Near(pub f32, pub u32);

impl Eq for Near {}

impl PartialOrd for Near {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Near {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.total_cmp(&other.0).then(self.1.cmp(&other.1))
    }
}

/// The `k` slots among `slots` nearest to `query`, as (slot, distance), nearest first.
pub(crate) fn top_k(
    data: &Data,
    query: &[Half],
    k: usize,
    slots: impl Iterator<Item = usize>,
) -> Vec<(usize, f32)> {
    if k == 0 {
        return Vec::new();
    }
    let mut best = BestK::new(k);
    for slot in slots {
        best.offer(Near(distance(query, data.vector(slot)), slot as u32));
    }
    best.into_sorted_vec()
        .into_iter()
        .map(|Near(d, slot)| (slot as usize, d))
        .collect()
}
