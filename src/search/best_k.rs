//! The best `k` of a stream of items, where a smaller item is a better one: a
//! max-heap whose top is the worst item kept. Shared by the exact vector scan
//! (nearest first) and BM25 candidate retrieval (highest score first).

use std::collections::BinaryHeap;

/// At most `k` items, the smallest offered so far.
pub(crate) struct BestK<T: Ord> {
    k: usize,
    heap: BinaryHeap<T>,
}

impl<T: Ord> BestK<T> {
    /// Keeps at most `k` items.
    pub(crate) fn new(k: usize) -> BestK<T> {
        BestK {
            k,
            heap: BinaryHeap::with_capacity(k + 1),
        }
    }

    /// Keeps `item` while fewer than `k` are held, or in place of the worst
    /// one when it is better.
    pub(crate) fn offer(&mut self, item: T) {
        if self.heap.len() < self.k {
            self.heap.push(item);
        } else if let Some(mut worst) = self.heap.peek_mut() {
            if item < *worst {
                *worst = item;
            }
        }
    }

    /// The worst item kept, once `k` are held.
    pub(crate) fn worst_when_full(&self) -> Option<&T> {
        if self.heap.len() == self.k {
            self.heap.peek()
        } else {
            None
        }
    }

    /// The items kept, best first.
    pub(crate) fn into_sorted_vec(self) -> Vec<T> {
        self.heap.into_sorted_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_smallest_k_and_reports_the_worst_only_when_full() {
        let mut best = BestK::new(3);
        for x in [5, 1, 9] {
            assert_eq!(best.worst_when_full(), None);
            best.offer(x);
        }
        assert_eq!(best.worst_when_full(), Some(&9));
        for x in [7, 0, 8] {
            best.offer(x);
        }
        assert_eq!(best.worst_when_full(), Some(&5));
        assert_eq!(best.into_sorted_vec(), vec![0, 1, 5]);
    }

    #[test]
    fn zero_keeps_nothing() {
        let mut best = BestK::new(0);
        best.offer(1);
        assert_eq!(best.worst_when_full(), None);
        assert!(best.into_sorted_vec().is_empty());
    }
}
