//! The graph search (HNSW's): a greedy descent through the upper layers,
//! then a best-first walk of layer 0 keeping the `ef` nearest accepted nodes.
//! It reads the links from [`Links`] and the vectors from the entries, both
//! indexed by slot, and keeps its visited set in a per-thread array stamped
//! with a search number, so a search allocates little and follows no pointers.

use super::data::Data;
use super::exact::Near;
use super::half::{distance, Half};
use super::links::{is_neighbour, Links, BASE_DEGREE};
use std::cell::RefCell;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// How many neighbours ahead of the one being measured the walk prefetches
/// the vector of, so their loads overlap.
const VECTOR_AHEAD: usize = 3;

/// Slots a search has reached: `marks[slot] == stamp`. A new search takes a
/// new stamp instead of clearing the array.
#[derive(Default)]
struct Visited {
    marks: Vec<u16>,
    stamp: u16,
}

impl Visited {
    /// Forgets every slot and makes room for `slots`.
    fn start(&mut self, slots: usize) {
        if self.marks.len() < slots {
            self.marks.resize(slots, 0);
        }
        self.stamp = self.stamp.wrapping_add(1);
        if self.stamp == 0 {
            self.marks.fill(0);
            self.stamp = 1;
        }
    }

    /// Marks `slot`; true when it was not marked yet.
    #[inline]
    fn insert(&mut self, slot: usize) -> bool {
        let mark = &mut self.marks[slot];
        let fresh = *mark != self.stamp;
        *mark = self.stamp;
        fresh
    }
}

thread_local! {
    static VISITED: RefCell<Visited> = RefCell::new(Visited::default());
}

/// Up to `k` nearest slots to `query` among those `accept` takes (all, when
/// `None`), as (slot, distance), nearest first. The walk keeps the `ef`
/// (at least `k`) nearest accepted nodes it meets. Unfiltered, it stops when
/// the nearest node left to expand is farther than the farthest it keeps;
/// filtered, only once it also keeps `ef` nodes, so a filter that rejects
/// most nodes makes it walk much of the graph (the caller plans for that).
pub(crate) fn search(
    links: &Links,
    data: &Data,
    query: &[Half],
    k: usize,
    ef: usize,
    accept: Option<&dyn Fn(usize) -> bool>,
) -> Vec<(usize, f32)> {
    let Some((entry, top)) = links.entry() else {
        return Vec::new();
    };
    if k == 0 {
        return Vec::new();
    }
    let dist = |slot: usize| distance(query, data.vector(slot));
    // Layers above 0: move to a nearer neighbour while there is one.
    let (mut at, mut at_dist) = (entry, dist(entry));
    for layer in (1..=top).rev() {
        let mut moved = true;
        while moved {
            moved = false;
            for n in links.neighbours(at, layer) {
                let d = dist(n);
                if d < at_dist {
                    (at, at_dist, moved) = (n, d, true);
                }
            }
        }
    }
    let ef = ef.max(k);
    let mut kept = VISITED.with_borrow_mut(|visited| {
        visited.start(data.entries());
        walk_base(links, data, query, (at, at_dist), ef, accept, visited)
    });
    kept.truncate(k);
    kept
}

/// The best-first walk of layer 0 from `start`: the `ef` nearest accepted
/// nodes, nearest first.
fn walk_base(
    links: &Links,
    data: &Data,
    query: &[Half],
    (start, start_dist): (usize, f32),
    ef: usize,
    accept: Option<&dyn Fn(usize) -> bool>,
    visited: &mut Visited,
) -> Vec<(usize, f32)> {
    let accepts = |slot: usize| accept.is_none_or(|f| f(slot));
    // Nearest first: the nodes to expand.
    let mut frontier = BinaryHeap::with_capacity(4 * ef);
    // Farthest first: the accepted nodes kept, at most `ef`.
    let mut kept = BinaryHeap::with_capacity(ef + 1);
    visited.insert(start);
    frontier.push(Reverse(Near(start_dist, start as u32)));
    if accepts(start) {
        kept.push(Near(start_dist, start as u32));
    }
    // Distance of the farthest node kept (infinite while none is).
    let mut bound = kept.peek().map_or(f32::INFINITY, |n: &Near| n.0);
    let mut fresh = [0u32; BASE_DEGREE];
    while let Some(Reverse(Near(d, node))) = frontier.pop() {
        if d > bound && (kept.len() >= ef || accept.is_none()) {
            break;
        }
        let mut n_fresh = 0;
        for &cell in links.base_row(node as usize) {
            if !is_neighbour(cell) {
                break;
            }
            if visited.insert(cell as usize) {
                fresh[n_fresh] = cell;
                n_fresh += 1;
            }
        }
        let fresh = &fresh[..n_fresh];
        for &slot in fresh.iter().take(VECTOR_AHEAD) {
            crate::prefetch::slice(data.vector(slot as usize), usize::MAX);
        }
        for (i, &slot) in fresh.iter().enumerate() {
            if let Some(&ahead) = fresh.get(i + VECTOR_AHEAD) {
                crate::prefetch::slice(data.vector(ahead as usize), usize::MAX);
            }
            let d = distance(query, data.vector(slot as usize));
            if kept.len() < ef || d < bound {
                frontier.push(Reverse(Near(d, slot)));
                if accepts(slot as usize) {
                    kept.push(Near(d, slot));
                    if kept.len() > ef {
                        kept.pop();
                    }
                }
                if let Some(farthest) = kept.peek() {
                    bound = farthest.0;
                }
            }
        }
        // The next node to expand: start loading its row.
        if let Some(Reverse(Near(_, next))) = frontier.peek() {
            crate::prefetch::slice(links.base_row(*next as usize), usize::MAX);
        }
    }
    kept.into_sorted_vec()
        .into_iter()
        .map(|Near(d, slot)| (slot as usize, d))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_stamp_forgets_every_slot_even_across_wrap_around() {
        let mut v = Visited::default();
        v.start(4);
        assert!(v.insert(2));
        assert!(!v.insert(2));
        // 65,535 further searches wrap the stamp to 0 and back to 1, where
        // stale marks of 1 from the first search must not count.
        for _ in 0..u16::MAX {
            v.start(4);
        }
        assert_eq!(v.stamp, 1);
        assert!(v.insert(2), "a mark from 65,536 searches ago");
        v.start(8);
        assert!(v.insert(7), "room made for new slots");
    }
}
