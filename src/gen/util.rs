//! Small seeded-sampling helpers shared by the generators.
//!
//! Everything here uses integer arithmetic on top of [`ChaCha8Rng`] so that a
//! seed yields byte-identical output on every machine (no `ln`/`exp` whose last
//! bit may depend on the platform's maths library).

use chrono::{Days, NaiveDate};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The generator's random number source.
pub type GenRng = ChaCha8Rng;

/// A fresh generator for `seed`, salted per use so that the kinds draw
/// independent streams from the same seed.
pub fn rng_for(seed: u64, salt: u64) -> GenRng {
    ChaCha8Rng::seed_from_u64(seed ^ salt.wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

/// A uniform index below `n` (`n` > 0), portable across pointer widths.
pub fn index(rng: &mut GenRng, n: usize) -> usize {
    debug_assert!(n > 0);
    rng.random_range(0..n as u32) as usize
}

/// One element of a non-empty slice of copyable values (`&str`, numbers).
pub fn pick<T: Copy>(rng: &mut GenRng, items: &[T]) -> T {
    items[index(rng, items.len())]
}

/// Up to `k` distinct elements of `items`, in the order drawn.
pub fn pick_distinct<T: Clone>(rng: &mut GenRng, items: &[T], k: usize) -> Vec<T> {
    let mut idx: Vec<usize> = (0..items.len()).collect();
    let k = k.min(items.len());
    for i in 0..k {
        let j = i + index(rng, idx.len() - i);
        idx.swap(i, j);
    }
    idx[..k].iter().map(|&i| items[i].clone()).collect()
}

/// An index drawn with the given integer weights (at least one positive).
pub fn weighted(rng: &mut GenRng, weights: &[u32]) -> usize {
    let total: u32 = weights.iter().sum();
    let mut x = rng.random_range(0..total);
    for (i, &w) in weights.iter().enumerate() {
        if x < w {
            return i;
        }
        x -= w;
    }
    weights.len() - 1
}

/// True with probability `percent`/100.
pub fn chance(rng: &mut GenRng, percent: u32) -> bool {
    rng.random_range(0..100u32) < percent
}

/// An integer in `lo..=hi`.
pub fn between(rng: &mut GenRng, lo: u64, hi: u64) -> u64 {
    rng.random_range(lo..=hi)
}

/// A roughly log-uniform integer in `lo..=hi` (`lo` ≥ 1): a geometric band is
/// chosen first, then a uniform value inside it, rounded to two significant digits.
pub fn log_uniform(rng: &mut GenRng, lo: u64, hi: u64) -> u64 {
    let lo = lo.max(1);
    let mut bands = Vec::new();
    let mut a = lo;
    while a < hi {
        let b = (a.saturating_mul(2)).min(hi);
        bands.push((a, b));
        a = b;
    }
    if bands.is_empty() {
        return lo;
    }
    let (a, b) = bands[index(rng, bands.len())];
    round2(between(rng, a, b)).clamp(lo, hi)
}

/// A log-normal-ish amount: bands around `median` with weights falling off on
/// both sides, clamped to `lo..=hi`, two significant digits.
pub fn skewed(rng: &mut GenRng, lo: u64, median: u64, hi: u64) -> u64 {
    // bands: [lo, m/4), [m/4, m/2), [m/2, m), [m, 2m), [2m, 4m), [4m, hi]
    let m = median.max(lo + 1);
    let cuts = [
        lo,
        (m / 4).max(lo),
        (m / 2).max(lo),
        m,
        (m * 2).min(hi),
        (m * 4).min(hi),
        hi,
    ];
    let weights = [8u32, 16, 26, 26, 15, 9];
    let i = weighted(rng, &weights);
    let (a, b) = (cuts[i], cuts[i + 1].max(cuts[i]));
    round2(between(rng, a, b)).clamp(lo, hi)
}

/// Rounds to two significant digits (1234 → 1200, 57 → 57).
pub fn round2(v: u64) -> u64 {
    let mut scale = 1;
    while v / scale >= 100 {
        scale *= 10;
    }
    (v + scale / 2) / scale * scale
}

/// A day in `from..=to`.
pub fn date_between(rng: &mut GenRng, from: NaiveDate, to: NaiveDate) -> NaiveDate {
    let span = (to - from).num_days().max(0) as u64;
    from + Days::new(between(rng, 0, span))
}

/// Replaces `{key}` placeholders in `template` by the matching value.
/// Unknown placeholders are left as they are (tests catch them).
pub fn fill(template: &str, vars: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        match after.find('}') {
            Some(end) => {
                let key = &after[..end];
                match vars.iter().find(|(k, _)| *k == key) {
                    Some((_, v)) => out.push_str(v),
                    None => {
                        out.push('{');
                        out.push_str(key);
                        out.push('}');
                    }
                }
                rest = &after[end + 1..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// Splits a `|`-separated lexicon entry.
pub fn parts(s: &'static str) -> Vec<&'static str> {
    s.split('|')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect()
}

/// Formats an amount of 万元 or a volume compactly: `12000` → `1.2万`, `800` → `800`.
pub fn cn_amount(v: u64) -> String {
    if v >= 100_000_000 {
        trim_decimal(v, 100_000_000, "亿")
    } else if v >= 10_000 {
        trim_decimal(v, 10_000, "万")
    } else {
        v.to_string()
    }
}

fn trim_decimal(v: u64, unit: u64, suffix: &str) -> String {
    let tenths = (v * 10 + unit / 2) / unit;
    if tenths.is_multiple_of(10) {
        format!("{}{suffix}", tenths / 10)
    } else {
        format!("{}.{}{suffix}", tenths / 10, tenths % 10)
    }
}

/// Number of characters (not bytes).
pub fn chars(s: &str) -> usize {
    s.chars().count()
}

/// Cuts `s` to at most `max` characters, preferably after a sentence end (`。`, `；`).
pub fn cut_sentences(s: &str, max: usize) -> String {
    if chars(s) <= max {
        return s.to_string();
    }
    let head: String = s.chars().take(max).collect();
    match head.rfind(['。', '；', '！']) {
        Some(i) if chars(&head[..i]) > max / 2 => {
            let end = i + head[i..].chars().next().map_or(0, char::len_utf8);
            head[..end].to_string()
        }
        _ => {
            let mut h: String = s.chars().take(max - 1).collect();
            h.push('。');
            h
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers_behave() {
        assert_eq!(round2(1234), 1200);
        assert_eq!(round2(57), 57);
        assert_eq!(round2(995), 1000);
        assert_eq!(cn_amount(12000), "1.2万");
        assert_eq!(cn_amount(30000), "3万");
        assert_eq!(cn_amount(800), "800");
        assert_eq!(fill("a{x}b{y}c{z}", &[("x", "1"), ("y", "2")]), "a1b2c{z}");
        let mut rng = rng_for(1, 2);
        for _ in 0..1000 {
            let v = skewed(&mut rng, 5, 60, 2000);
            assert!((5..=2000).contains(&v));
            let w = log_uniform(&mut rng, 3, 900);
            assert!((3..=900).contains(&w));
        }
        let s = "第一句话。第二句话比较长一些。第三句";
        assert_eq!(cut_sentences(s, 16), "第一句话。第二句话比较长一些。");
    }
}
