//! The graph's links copied into flat arrays by slot, for [`super::walk`].
//!
//! hnsw_rs keeps each neighbour as a shared pointer to a record that points to
//! the point, which points to its vector: three dependent cache misses before
//! a walk can even start loading a neighbour's vector, and a lock per node.
//! Here a node's layer-0 neighbours are one row of slots (two cache lines) and
//! a slot is also where its vector sits in the entries, so a walk goes from a
//! node to its neighbours' vectors in one step. hnsw_rs still builds the
//! graph; [`Links`] mirrors it, updated from the points each insert changed.

use super::graph::MAX_CONNECTIONS;
use rustc_hash::FxHashMap as HashMap;

/// Neighbours per node in layer 0 (hnsw_rs keeps twice the connections there).
pub(crate) const BASE_DEGREE: usize = 2 * MAX_CONNECTIONS;
/// Pads a row past its last neighbour.
const NONE: u32 = u32::MAX;

/// A node's links as hnsw_rs reports them: slot, then one list of neighbour
/// slots per layer from 0 to the node's level, nearest first.
pub(crate) type NodeLinks = (usize, Vec<Vec<usize>>);

/// The links of every node of one graph, by slot.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Links {
    /// Layer-0 neighbours: row `slot` is `base[slot * BASE_DEGREE..][..BASE_DEGREE]`,
    /// padded with [`NONE`]. Slots not in the graph have empty rows.
    base: Vec<u32>,
    /// Neighbours in layers 1 and up, of the few nodes that reach them:
    /// `upper[slot][layer - 1]`.
    upper: HashMap<u32, Box<[Box<[u32]>]>>,
    /// Slot and level of the node every walk starts from.
    entry: Option<(u32, u8)>,
}

impl Links {
    /// Links of the given nodes, starting at `entry` (slot, level).
    pub(crate) fn new(nodes: Vec<NodeLinks>, entry: Option<(usize, u8)>) -> Links {
        let mut links = Links::default();
        let top = nodes.iter().map(|(slot, _)| slot + 1).max().unwrap_or(0);
        links.base.resize(top * BASE_DEGREE, NONE);
        links.update(nodes, entry);
        links
    }

    /// Replaces the links of the given nodes and the entry point.
    pub(crate) fn update(&mut self, nodes: Vec<NodeLinks>, entry: Option<(usize, u8)>) {
        for (slot, layers) in nodes {
            self.set(slot, layers);
        }
        self.entry = entry.map(|(slot, level)| (slot as u32, level));
    }

    fn set(&mut self, slot: usize, mut layers: Vec<Vec<usize>>) {
        let start = slot * BASE_DEGREE;
        if self.base.len() < start + BASE_DEGREE {
            self.base.resize(start + BASE_DEGREE, NONE);
        }
        let row = &mut self.base[start..start + BASE_DEGREE];
        row.fill(NONE);
        if !layers.is_empty() {
            // Lists come nearest first: should one ever run long, the nearest stay.
            for (cell, &n) in row.iter_mut().zip(layers[0].iter()) {
                *cell = n as u32;
            }
        }
        let upper: Box<[Box<[u32]>]> = layers
            .drain(1.min(layers.len())..)
            .map(|l| l.into_iter().map(|n| n as u32).collect())
            .collect();
        if upper.is_empty() {
            self.upper.remove(&(slot as u32));
        } else {
            self.upper.insert(slot as u32, upper);
        }
    }

    /// Slot and level of the node every walk starts from (`None`: empty graph).
    #[inline]
    pub(crate) fn entry(&self) -> Option<(usize, u8)> {
        self.entry.map(|(slot, level)| (slot as usize, level))
    }

    /// Layer-0 neighbours of `slot`, padded with `u32::MAX` (see [`Links::neighbours`]).
    #[inline]
    pub(crate) fn base_row(&self, slot: usize) -> &[u32] {
        self.base
            .get(slot * BASE_DEGREE..(slot + 1) * BASE_DEGREE)
            .unwrap_or(&[])
    }

    /// Neighbours of `slot` in `layer` (layer 0 included), nearest first.
    pub(crate) fn neighbours(&self, slot: usize, layer: u8) -> impl Iterator<Item = usize> + '_ {
        let list: &[u32] = if layer == 0 {
            self.base_row(slot)
        } else {
            self.upper
                .get(&(slot as u32))
                .and_then(|layers| layers.get(layer as usize - 1))
                .map_or(&[], |l| l)
        };
        list.iter().take_while(|&&n| n != NONE).map(|&n| n as usize)
    }
}

/// True for a row cell that holds a neighbour.
#[inline]
pub(crate) fn is_neighbour(cell: u32) -> bool {
    cell != NONE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_hold_each_layer_and_updates_replace_them() {
        let mut links = Links::new(
            vec![(0, vec![vec![1, 2]]), (2, vec![vec![0], vec![1]])],
            Some((2, 1)),
        );
        assert_eq!(links.neighbours(0, 0).collect::<Vec<_>>(), [1, 2]);
        assert_eq!(links.neighbours(2, 1).collect::<Vec<_>>(), [1]);
        assert_eq!(links.neighbours(0, 1).count(), 0);
        assert_eq!(links.neighbours(7, 0).count(), 0, "a slot past the rows");
        assert_eq!(links.entry(), Some((2, 1)));
        // A node's new lists replace its old ones, a new slot grows the rows.
        links.update(vec![(2, vec![vec![5]]), (5, vec![vec![2]])], Some((5, 0)));
        assert_eq!(links.neighbours(2, 0).collect::<Vec<_>>(), [5]);
        assert_eq!(links.neighbours(2, 1).count(), 0);
        assert_eq!(links.neighbours(5, 0).collect::<Vec<_>>(), [2]);
        assert_eq!(links.entry(), Some((5, 0)));
    }

    #[test]
    fn an_overlong_list_keeps_its_nearest() {
        let list: Vec<usize> = (1..=BASE_DEGREE + 5).collect();
        let links = Links::new(vec![(0, vec![list])], Some((0, 0)));
        let kept: Vec<usize> = links.neighbours(0, 0).collect();
        assert_eq!(kept, (1..=BASE_DEGREE).collect::<Vec<_>>());
    }
}
