//! Data parallelism sized to the batch: rayon's pool for bulk loads, the
//! calling thread for the few documents of a single write.

use rayon::prelude::*;

/// Batches smaller than this are mapped on the calling thread. Handing one
/// document to the pool wakes a worker that, its job done, spins before it
/// sleeps: under a mixed load of matches and single-document writes that spin
/// was 4% of the server's CPU time, taken from the matches.
pub const PARALLEL_MIN_ITEMS: usize = 16;

/// `items` mapped by `f`, in order; on rayon's pool when there are at least
/// [`PARALLEL_MIN_ITEMS`].
pub fn map_batch<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync + Send) -> Vec<R> {
    if items.len() < PARALLEL_MIN_ITEMS {
        items.iter().map(f).collect()
    } else {
        items.par_iter().map(f).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_and_large_batches_keep_their_order() {
        for n in [0, 1, PARALLEL_MIN_ITEMS - 1, PARALLEL_MIN_ITEMS, 1_000] {
            let items: Vec<usize> = (0..n).collect();
            let doubled = map_batch(&items, |x| x * 2);
            assert_eq!(doubled, (0..n).map(|x| x * 2).collect::<Vec<_>>());
        }
    }
}
