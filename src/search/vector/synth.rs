//! Synthetic clustered unit vectors, for the vector index's tests and
//! benchmarks. Text embeddings are clustered by topic; uniform random
//! vectors are the pathological case for HNSW and say nothing about them.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A standard normal sample (Box–Muller).
fn gaussian(rng: &mut impl Rng) -> f32 {
    let u1: f32 = rng.random::<f32>().max(f32::MIN_POSITIVE);
    let u2: f32 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (std::f32::consts::TAU * u2).cos()
}

fn normalize(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
}

/// `n` L2-normalised vectors of `dim` floats around `clusters` random
/// centres (round-robin), each a centre plus gaussian noise of expected norm
/// `spread` (0.5 gives a cosine of about 0.8 to the centre), drawn
/// deterministically from `seed`.
pub fn clustered(n: usize, dim: usize, clusters: usize, spread: f32, seed: u64) -> Vec<Vec<f32>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let clusters = clusters.max(1);
    let centres: Vec<Vec<f32>> = (0..clusters)
        .map(|_| {
            let mut c: Vec<f32> = (0..dim).map(|_| gaussian(&mut rng)).collect();
            normalize(&mut c);
            c
        })
        .collect();
    let scale = spread / (dim as f32).sqrt();
    (0..n)
        .map(|i| {
            let centre = &centres[i % clusters];
            let mut v: Vec<f32> = centre
                .iter()
                .map(|c| c + scale * gaussian(&mut rng))
                .collect();
            normalize(&mut v);
            v
        })
        .collect()
}

/// The `k` nearest of `corpus` to `query` by dot product (brute force), as indices.
pub fn brute_force(corpus: &[Vec<f32>], query: &[f32], k: usize) -> Vec<usize> {
    let mut scored: Vec<(f32, usize)> = corpus
        .iter()
        .enumerate()
        .map(|(i, v)| (v.iter().zip(query).map(|(a, b)| a * b).sum::<f32>(), i))
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    scored.into_iter().take(k).map(|(_, i)| i).collect()
}
