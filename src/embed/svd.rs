//! Randomized truncated SVD (Halko, Martinsson & Tropp 2011) of a sparse
//! matrix: a Gaussian sketch, a few power iterations with re-orthonormalisation,
//! and an exact eigendecomposition of the small projected matrix.
//! Large products run on all cores (rayon); small decompositions use nalgebra.

use nalgebra::{DMatrix, SymmetricEigen};
use ndarray::Array2;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;

/// A sparse matrix in compressed-row form.
#[derive(Debug, Clone, Default)]
pub struct Csr {
    /// Number of columns.
    pub cols: usize,
    /// Row `i` spans `indptr[i]..indptr[i + 1]` of `indices` and `values`.
    pub indptr: Vec<usize>,
    /// Column of each stored value.
    pub indices: Vec<u32>,
    /// Stored values.
    pub values: Vec<f32>,
}

impl Csr {
    /// An empty matrix with `cols` columns.
    pub fn new(cols: usize) -> Csr {
        Csr {
            cols,
            indptr: vec![0],
            indices: Vec::new(),
            values: Vec::new(),
        }
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.indptr.len() - 1
    }

    /// Appends a row of `(column, value)` pairs.
    pub fn push_row(&mut self, row: &[(u32, f32)]) {
        for (c, v) in row {
            self.indices.push(*c);
            self.values.push(*v);
        }
        self.indptr.push(self.indices.len());
    }

    /// Row `i` as (column, value) pairs.
    pub fn row_pairs(&self, i: usize) -> impl Iterator<Item = (u32, f32)> + '_ {
        let span = self.indptr[i]..self.indptr[i + 1];
        self.indices[span.clone()]
            .iter()
            .copied()
            .zip(self.values[span].iter().copied())
    }

    fn row(&self, i: usize) -> impl Iterator<Item = (usize, f32)> + '_ {
        let span = self.indptr[i]..self.indptr[i + 1];
        self.indices[span.clone()]
            .iter()
            .zip(&self.values[span])
            .map(|(c, v)| (*c as usize, *v))
    }

    /// `self · m` for a dense `m` of shape (cols × k).
    fn mul(&self, m: &Array2<f32>) -> Array2<f32> {
        let k = m.ncols();
        let m = m.as_standard_layout();
        let m = m.as_slice().expect("standard layout");
        let mut out = vec![0f32; self.rows() * k];
        out.par_chunks_mut(k).enumerate().for_each(|(i, out_row)| {
            for (c, v) in self.row(i) {
                let src = &m[c * k..(c + 1) * k];
                out_row.iter_mut().zip(src).for_each(|(o, s)| *o += v * s);
            }
        });
        Array2::from_shape_vec((self.rows(), k), out).expect("shape")
    }

    /// `selfᵀ · m` for a dense `m` of shape (rows × k).
    fn t_mul(&self, m: &Array2<f32>) -> Array2<f32> {
        let k = m.ncols();
        let m = m.as_standard_layout();
        let m = m.as_slice().expect("standard layout");
        let threads = rayon::current_num_threads().max(1);
        let chunk = self.rows().div_ceil(threads).max(1);
        let partials: Vec<Vec<f32>> = (0..self.rows())
            .step_by(chunk)
            .collect::<Vec<_>>()
            .into_par_iter()
            .map(|start| {
                let mut acc = vec![0f32; self.cols * k];
                for i in start..(start + chunk).min(self.rows()) {
                    let src = &m[i * k..(i + 1) * k];
                    for (c, v) in self.row(i) {
                        let dst = &mut acc[c * k..(c + 1) * k];
                        dst.iter_mut().zip(src).for_each(|(d, s)| *d += v * s);
                    }
                }
                acc
            })
            .collect();
        let mut total = vec![0f32; self.cols * k];
        for partial in partials {
            total.iter_mut().zip(partial).for_each(|(t, p)| *t += p);
        }
        Array2::from_shape_vec((self.cols, k), total).expect("shape")
    }
}

/// Eigen-decomposition of a symmetric matrix, eigenvalues descending.
fn sym_eigen(g: &Array2<f32>) -> (Vec<f64>, DMatrix<f64>) {
    let n = g.nrows();
    let m = DMatrix::from_fn(n, n, |i, j| g[[i, j]] as f64);
    let eigen = SymmetricEigen::new(m);
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|a, b| eigen.eigenvalues[*b].total_cmp(&eigen.eigenvalues[*a]));
    let values = order.iter().map(|i| eigen.eigenvalues[*i]).collect();
    let vectors = DMatrix::from_fn(n, n, |r, c| eigen.eigenvectors[(r, order[c])]);
    (values, vectors)
}

/// Orthonormal basis of the columns of `y` (same shape), through the
/// eigen-decomposition of the Gram matrix: Q = Y W Λ^{-1/2}.
fn orthonormalize(y: &Array2<f32>) -> Array2<f32> {
    let gram = y.t().dot(y);
    let (values, vectors) = sym_eigen(&gram);
    let k = y.ncols();
    let floor = values.first().copied().unwrap_or(0.0).max(0.0) * 1e-10;
    let transform = Array2::from_shape_fn((k, k), |(r, c)| {
        if values[c] > floor {
            (vectors[(r, c)] / values[c].sqrt()) as f32
        } else {
            0.0
        }
    });
    y.dot(&transform)
}

/// Top `rank` right singular vectors (as columns of a cols × rank matrix) and
/// singular values of `x`, descending.
pub fn randomized_svd(
    x: &Csr,
    rank: usize,
    oversample: usize,
    power_iters: usize,
    seed: u64,
) -> (Array2<f32>, Vec<f32>) {
    let k = (rank + oversample).min(x.cols).min(x.rows()).max(1);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let omega = Array2::from_shape_simple_fn((x.cols, k), || {
        let v: f32 = StandardNormal.sample(&mut rng);
        v
    });
    let mut q = orthonormalize(&x.mul(&omega));
    for _ in 0..power_iters {
        let z = orthonormalize(&x.t_mul(&q));
        q = orthonormalize(&x.mul(&z));
    }
    // B = Qᵀ X, held transposed (cols × k); B Bᵀ = U Σ² Uᵀ; V = Bᵀ U Σ⁻¹.
    let bt = x.t_mul(&q);
    let (values, vectors) = sym_eigen(&bt.t().dot(&bt));
    let rank = rank.min(k);
    let sigma: Vec<f32> = values
        .iter()
        .take(rank)
        .map(|v| v.max(0.0).sqrt() as f32)
        .collect();
    let u = Array2::from_shape_fn((k, rank), |(r, c)| {
        if sigma[c] > 0.0 {
            (vectors[(r, c)] / sigma[c] as f64) as f32
        } else {
            0.0
        }
    });
    (bt.dot(&u), sigma)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 200 × 60 matrix of rank 3 built from known factors.
    fn low_rank() -> (Csr, Vec<f32>) {
        let mut x = Csr::new(60);
        for i in 0..200 {
            let row: Vec<(u32, f32)> = (0..60)
                .map(|j| {
                    let v = ((i % 7) as f32) * ((j % 5) as f32)
                        + ((i % 3) as f32) * if j < 30 { 1.0 } else { -1.0 }
                        + if i % 2 == 0 { (j % 4) as f32 } else { 0.0 };
                    (j as u32, v)
                })
                .filter(|(_, v)| *v != 0.0)
                .collect();
            x.push_row(&row);
        }
        let dense = Array2::from_shape_fn((200, 60), |(i, j)| {
            x.row(i).find(|(c, _)| *c == j).map_or(0.0, |(_, v)| v)
        });
        let (values, _) = sym_eigen(&dense.t().dot(&dense));
        (x, values.iter().map(|v| v.max(0.0).sqrt() as f32).collect())
    }

    #[test]
    fn recovers_singular_values_and_orthonormal_vectors() {
        let (x, exact) = low_rank();
        let (v, sigma) = randomized_svd(&x, 3, 5, 2, 1);
        for i in 0..3 {
            assert!(
                (sigma[i] - exact[i]).abs() / exact[i] < 1e-3,
                "{sigma:?} vs {exact:?}"
            );
        }
        let gram = v.t().dot(&v);
        for i in 0..3 {
            for j in 0..3 {
                let expected = if i == j { 1.0 } else { 0.0 };
                assert!((gram[[i, j]] - expected).abs() < 1e-3, "{gram:?}");
            }
        }
    }
}
