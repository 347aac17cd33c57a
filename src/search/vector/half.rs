//! Vectors in half precision (IEEE 754 binary16, held as their `u16` bits),
//! the form the vector index keeps them in, and their dot product.
//!
//! A graph walk reads a few thousand stored vectors scattered over memory; at
//! 512 floats each it waits on memory far more than it computes. Half the
//! bytes per vector is half the memory traffic (and half the memory). For unit
//! vectors the rounding moves a cosine by about 1e-4, well below what ranking
//! can tell apart; every cosine the index returns, from the graph, an exact
//! scan or a lookup, goes through the same [`dot`], so a pair has one cosine
//! whichever way it was found.

use hnsw_rs::prelude::Distance;
use std::sync::OnceLock;

/// One vector component in half precision: the bits of an IEEE binary16.
pub(crate) type Half = u16;

/// A vector in half precision (round to nearest).
pub(crate) fn encode(vector: &[f32]) -> Vec<Half> {
    vector
        .iter()
        .map(|x| half::f16::from_f32(*x).to_bits())
        .collect()
}

/// A half-precision vector widened to single precision (exactly).
pub(crate) fn decode(vector: &[Half]) -> Vec<f32> {
    vector.iter().map(|h| widen(*h)).collect()
}

#[inline]
fn widen(h: Half) -> f32 {
    half::f16::from_bits(h).to_f32()
}

/// Dot product of two half-precision vectors of equal length, summed in
/// single precision. Symmetric to the bit: `dot(a, b) == dot(b, a)`.
#[inline]
pub(crate) fn dot(a: &[Half], b: &[Half]) -> f32 {
    debug_assert_eq!(a.len(), b.len());
    (kernel())(a, b)
}

/// `1 - dot`, never below 0: the distance of two unit vectors the graph
/// orders by (rounding can take a unit vector's dot with itself just past 1).
#[inline]
pub(crate) fn distance(a: &[Half], b: &[Half]) -> f32 {
    (1.0 - dot(a, b)).max(0.0)
}

/// The graph's distance (hnsw_rs): [`distance`] on half-precision vectors.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct HalfDot;

impl Distance<Half> for HalfDot {
    fn eval(&self, a: &[Half], b: &[Half]) -> f32 {
        distance(a, b)
    }
}

type Kernel = fn(&[Half], &[Half]) -> f32;

/// The fastest dot product this processor runs, chosen once.
fn kernel() -> Kernel {
    static KERNEL: OnceLock<Kernel> = OnceLock::new();
    *KERNEL.get_or_init(|| {
        #[cfg(target_arch = "x86_64")]
        if let Some(&(_, fastest)) = x86::kernels().first() {
            return fastest;
        }
        dot_portable
    })
}

/// The reference: widen each component, multiply, add in order.
fn dot_portable(a: &[Half], b: &[Half]) -> f32 {
    a.iter().zip(b).map(|(x, y)| widen(*x) * widen(*y)).sum()
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    //! Dot products with the processor's conversion instructions (F16C, or
    //! AVX-512's 16-wide form), selected at run time by [`super::kernel`].
    use super::{widen, Half};
    use std::arch::x86_64::*;

    /// Components per loop step: two registers of 16.
    const STEP_512: usize = 32;
    /// Components per loop step: two registers of 8.
    const STEP_256: usize = 16;

    pub(super) fn dot_avx512(a: &[Half], b: &[Half]) -> f32 {
        // SAFETY: chosen only when the processor has AVX-512F.
        unsafe { dot_avx512_inner(a, b) }
    }

    pub(super) fn dot_avx2(a: &[Half], b: &[Half]) -> f32 {
        // SAFETY: chosen only when the processor has AVX2, FMA and F16C.
        unsafe { dot_avx2_inner(a, b) }
    }

    fn tail(a: &[Half], b: &[Half], from: usize) -> f32 {
        a[from..]
            .iter()
            .zip(&b[from..])
            .map(|(x, y)| widen(*x) * widen(*y))
            .sum()
    }

    #[target_feature(enable = "avx512f")]
    unsafe fn dot_avx512_inner(a: &[Half], b: &[Half]) -> f32 {
        let n = a.len().min(b.len());
        let steps = n / STEP_512;
        let (pa, pb) = (a.as_ptr(), b.as_ptr());
        let mut acc0 = _mm512_setzero_ps();
        let mut acc1 = _mm512_setzero_ps();
        for i in 0..steps {
            let at = i * STEP_512;
            // SAFETY: `at + 32 <= n`, so both 16-component halves of the
            // step lie inside both slices; unaligned loads.
            let (a0, b0, a1, b1) = unsafe {
                (
                    _mm256_loadu_si256(pa.add(at) as *const __m256i),
                    _mm256_loadu_si256(pb.add(at) as *const __m256i),
                    _mm256_loadu_si256(pa.add(at + 16) as *const __m256i),
                    _mm256_loadu_si256(pb.add(at + 16) as *const __m256i),
                )
            };
            acc0 = _mm512_fmadd_ps(_mm512_cvtph_ps(a0), _mm512_cvtph_ps(b0), acc0);
            acc1 = _mm512_fmadd_ps(_mm512_cvtph_ps(a1), _mm512_cvtph_ps(b1), acc1);
        }
        _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1)) + tail(a, b, steps * STEP_512)
    }

    #[target_feature(enable = "avx2,fma,f16c")]
    unsafe fn dot_avx2_inner(a: &[Half], b: &[Half]) -> f32 {
        let n = a.len().min(b.len());
        let steps = n / STEP_256;
        let (pa, pb) = (a.as_ptr(), b.as_ptr());
        let mut acc0 = _mm256_setzero_ps();
        let mut acc1 = _mm256_setzero_ps();
        for i in 0..steps {
            let at = i * STEP_256;
            // SAFETY: `at + 16 <= n`, so both 8-component halves of the step
            // lie inside both slices; unaligned loads.
            let (a0, b0, a1, b1) = unsafe {
                (
                    _mm_loadu_si128(pa.add(at) as *const __m128i),
                    _mm_loadu_si128(pb.add(at) as *const __m128i),
                    _mm_loadu_si128(pa.add(at + 8) as *const __m128i),
                    _mm_loadu_si128(pb.add(at + 8) as *const __m128i),
                )
            };
            acc0 = _mm256_fmadd_ps(_mm256_cvtph_ps(a0), _mm256_cvtph_ps(b0), acc0);
            acc1 = _mm256_fmadd_ps(_mm256_cvtph_ps(a1), _mm256_cvtph_ps(b1), acc1);
        }
        let sum = _mm256_add_ps(acc0, acc1);
        let quad = _mm_add_ps(_mm256_castps256_ps128(sum), _mm256_extractf128_ps(sum, 1));
        let pair = _mm_add_ps(quad, _mm_movehl_ps(quad, quad));
        let one = _mm_add_ss(pair, _mm_shuffle_ps(pair, pair, 1));
        _mm_cvtss_f32(one) + tail(a, b, steps * STEP_256)
    }

    /// The kernels this processor runs, by name, fastest first.
    pub(super) fn kernels() -> Vec<(&'static str, super::Kernel)> {
        let mut found: Vec<(&'static str, super::Kernel)> = Vec::new();
        if std::arch::is_x86_feature_detected!("avx512f") {
            found.push(("avx512", dot_avx512));
        }
        if std::arch::is_x86_feature_detected!("avx2")
            && std::arch::is_x86_feature_detected!("fma")
            && std::arch::is_x86_feature_detected!("f16c")
        {
            found.push(("avx2", dot_avx2));
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    fn unit(rng: &mut impl Rng, dim: usize) -> Vec<f32> {
        let mut v: Vec<f32> = (0..dim).map(|_| rng.random_range(-1.0..1.0)).collect();
        crate::embed::normalize(&mut v);
        v
    }

    #[test]
    fn rounding_moves_a_cosine_by_far_less_than_ranking_can_tell() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        for dim in [1, 7, 16, 33, 512, 515] {
            for _ in 0..50 {
                let (a, b) = (unit(&mut rng, dim), unit(&mut rng, dim));
                let exact: f32 = crate::embed::dot(&a, &b);
                let rounded = dot(&encode(&a), &encode(&b));
                assert!(
                    (exact - rounded).abs() < 2e-3,
                    "{dim}: {exact} vs {rounded}"
                );
            }
        }
    }

    #[test]
    fn every_kernel_agrees_with_the_portable_one_and_is_symmetric() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        for dim in [0, 1, 15, 16, 31, 32, 47, 512, 515] {
            let (a, b) = (encode(&unit(&mut rng, dim)), encode(&unit(&mut rng, dim)));
            let reference = dot_portable(&a, &b);
            assert_eq!(dot(&a, &b), dot(&b, &a), "{dim}: not symmetric");
            #[cfg(target_arch = "x86_64")]
            for (name, k) in x86::kernels() {
                assert!((k(&a, &b) - reference).abs() < 1e-5, "{name} at {dim}");
                assert_eq!(k(&a, &b), k(&b, &a), "{name} at {dim}: not symmetric");
            }
        }
    }

    #[test]
    fn encoding_round_trips_and_a_unit_vector_is_nearest_itself() {
        let v = [1.0f32, 0.0, -0.5, 0.25, 65504.0, 1e-8];
        let back = decode(&encode(&v));
        assert_eq!(&back[..5], &v[..5], "representable values are exact");
        assert!(
            back[5].abs() < 1e-7,
            "below the smallest half it rounds to ±0"
        );
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
        let u = encode(&unit(&mut rng, 512));
        assert!(distance(&u, &u) < 1e-3);
        let other = encode(&unit(&mut rng, 512));
        assert!(distance(&u, &other) > distance(&u, &u));
        assert_eq!(HalfDot.eval(&u, &other), distance(&u, &other));
    }
}
