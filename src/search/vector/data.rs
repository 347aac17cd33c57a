//! The vectors of one kind and what is known about each: document id,
//! metadata, live or tombstoned. Entries are addressed by their slot (the
//! position in insertion order), which is also the id the graph knows them by.

use super::filter::{MetaMatcher, PackedMeta, VectorMeta};
use super::half::Half;
use rustc_hash::FxHashMap as HashMap;

/// Entries of one kind, append-only until compacted.
#[derive(Debug, Clone, Default)]
pub(crate) struct Data {
    dim: usize,
    ids: Vec<Box<str>>,
    metas: Vec<VectorMeta>,
    /// `metas` packed, for the filter scan.
    packed: Vec<PackedMeta>,
    live: Vec<bool>,
    /// `ids.len() * dim` half-precision components, slot after slot.
    vectors: Vec<Half>,
    by_id: HashMap<Box<str>, usize>,
    n_live: usize,
}

/// What an upsert did to the entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Upserted {
    /// A new slot was appended; its vector must go into the graph.
    Appended(usize),
    /// The id already had this very vector: only the metadata changed.
    MetaOnly,
}

impl Data {
    /// No entries, vectors of `dim` floats.
    pub(crate) fn new(dim: usize) -> Data {
        Data {
            dim,
            ..Data::default()
        }
    }

    /// Vector dimension.
    pub(crate) fn dim(&self) -> usize {
        self.dim
    }

    /// Entries, live and tombstoned.
    pub(crate) fn entries(&self) -> usize {
        self.ids.len()
    }

    /// Live entries.
    pub(crate) fn live_count(&self) -> usize {
        self.n_live
    }

    /// Tombstoned entries.
    pub(crate) fn tombstones(&self) -> usize {
        self.ids.len() - self.n_live
    }

    /// Slot of the live entry with this id.
    pub(crate) fn slot_of(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).copied()
    }

    /// Document id of a slot.
    pub(crate) fn id(&self, slot: usize) -> &str {
        &self.ids[slot]
    }

    /// Metadata of a slot.
    pub(crate) fn meta(&self, slot: usize) -> &VectorMeta {
        &self.metas[slot]
    }

    /// True when the slot's metadata satisfies `matcher` (live or not).
    #[inline]
    pub(crate) fn satisfies(&self, slot: usize, matcher: &MetaMatcher) -> bool {
        matcher.matches(&self.packed[slot], &self.metas[slot])
    }

    /// True when the slot exists and is not tombstoned.
    #[inline]
    pub(crate) fn is_live(&self, slot: usize) -> bool {
        self.live.get(slot).copied().unwrap_or(false)
    }

    /// Vector of a slot.
    #[inline]
    pub(crate) fn vector(&self, slot: usize) -> &[Half] {
        &self.vectors[slot * self.dim..(slot + 1) * self.dim]
    }

    /// Live slots in ascending order.
    pub(crate) fn live_slots(&self) -> impl Iterator<Item = usize> + '_ {
        self.live
            .iter()
            .enumerate()
            .filter_map(|(slot, live)| live.then_some(slot))
    }

    /// Appends an entry as it was persisted (tombstones included). The caller
    /// guarantees `vector.len() == dim` and that a live id occurs once.
    pub(crate) fn push_raw(&mut self, id: Box<str>, meta: VectorMeta, live: bool, vector: &[Half]) {
        let slot = self.ids.len();
        if live {
            self.by_id.insert(id.clone(), slot);
            self.n_live += 1;
        }
        self.ids.push(id);
        self.packed.push(PackedMeta::of(&meta));
        self.metas.push(meta);
        self.live.push(live);
        self.vectors.extend_from_slice(vector);
    }

    /// Inserts or replaces the vector of `id` (already checked, normalised
    /// and rounded to half precision).
    /// A changed vector tombstones the old slot and appends a new one.
    pub(crate) fn upsert(&mut self, id: &str, vector: &[Half], meta: VectorMeta) -> Upserted {
        if let Some(old) = self.slot_of(id) {
            if self.vector(old) == vector {
                self.packed[old] = PackedMeta::of(&meta);
                self.metas[old] = meta;
                return Upserted::MetaOnly;
            }
            self.tombstone(old);
        }
        let slot = self.ids.len();
        self.push_raw(id.into(), meta, true, vector);
        Upserted::Appended(slot)
    }

    /// Tombstones the live entry of `id`; false when there is none.
    pub(crate) fn delete(&mut self, id: &str) -> bool {
        match self.slot_of(id) {
            Some(slot) => {
                self.tombstone(slot);
                true
            }
            None => false,
        }
    }

    fn tombstone(&mut self, slot: usize) {
        if self.live[slot] {
            self.live[slot] = false;
            self.n_live -= 1;
            self.by_id.remove(&self.ids[slot]);
        }
    }

    /// A copy holding only the live entries, in slot order, renumbered from 0.
    pub(crate) fn compacted(&self) -> Data {
        let mut out = Data::new(self.dim);
        out.ids.reserve(self.n_live);
        out.vectors.reserve(self.n_live * self.dim);
        for slot in self.live_slots() {
            out.push_raw(
                self.ids[slot].clone(),
                self.metas[slot].clone(),
                true,
                self.vector(slot),
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::vector::half::{decode, encode};

    /// `x` as half precision holds it.
    fn round(x: f32) -> f32 {
        decode(&encode(&[x]))[0]
    }

    #[test]
    fn upsert_delete_compact() {
        let mut d = Data::new(2);
        assert_eq!(
            d.upsert("a", &encode(&[1.0, 0.0]), VectorMeta::default()),
            Upserted::Appended(0)
        );
        assert_eq!(
            d.upsert("b", &encode(&[0.0, 1.0]), VectorMeta::default()),
            Upserted::Appended(1)
        );
        assert_eq!(
            d.upsert("a", &encode(&[1.0, 0.0]), VectorMeta::default()),
            Upserted::MetaOnly
        );
        assert_eq!(
            d.upsert("a", &encode(&[0.6, 0.8]), VectorMeta::default()),
            Upserted::Appended(2)
        );
        assert_eq!((d.live_count(), d.tombstones()), (2, 1));
        assert!(d.delete("b"));
        assert!(!d.delete("b"));
        assert_eq!((d.live_count(), d.tombstones()), (1, 2));
        let c = d.compacted();
        assert_eq!((c.live_count(), c.tombstones()), (1, 0));
        assert_eq!(
            decode(c.vector(c.slot_of("a").unwrap())),
            [0.6, 0.8].map(round)
        );
    }
}
