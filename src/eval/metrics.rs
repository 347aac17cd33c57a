//! Ranking metrics over graded judgments.

use std::collections::BTreeMap;

/// Grade from which a document counts as relevant for recall and MRR.
pub const RELEVANT: u8 = 1;

/// Gains 2^grade − 1 of a ranking (unjudged documents count as 0).
pub fn dcg_gains(ranking: &[String], grades: &BTreeMap<String, u8>) -> Vec<f64> {
    ranking
        .iter()
        .map(|id| grades.get(id).map_or(0.0, |g| (2f64.powi(*g as i32)) - 1.0))
        .collect()
}

fn dcg(gains: &[f64], k: usize) -> f64 {
    gains
        .iter()
        .take(k)
        .enumerate()
        // A fold from +0.0: `sum()` of no terms is −0.0, printed as "-0.000".
        .fold(0.0, |total, (i, g)| total + g / ((i + 2) as f64).log2())
}

/// nDCG@k: DCG of the ranking over the DCG of the ideal ordering of all judged documents.
pub fn ndcg_at(ranking: &[String], grades: &BTreeMap<String, u8>, k: usize) -> f64 {
    let mut ideal: Vec<f64> = grades
        .values()
        .map(|g| 2f64.powi(*g as i32) - 1.0)
        .collect();
    ideal.sort_by(|a, b| b.total_cmp(a));
    let best = dcg(&ideal, k);
    if best == 0.0 {
        return 0.0;
    }
    dcg(&dcg_gains(ranking, grades), k) / best
}

/// Share of the relevant documents found in the top k.
pub fn recall_at(ranking: &[String], grades: &BTreeMap<String, u8>, k: usize) -> f64 {
    let relevant = grades.values().filter(|g| **g >= RELEVANT).count();
    if relevant == 0 {
        return 0.0;
    }
    let found = ranking
        .iter()
        .take(k)
        .filter(|id| grades.get(*id).is_some_and(|g| *g >= RELEVANT))
        .count();
    found as f64 / relevant as f64
}

/// Reciprocal rank of the first relevant document (0 when none is ranked).
pub fn mrr(ranking: &[String], grades: &BTreeMap<String, u8>) -> f64 {
    ranking
        .iter()
        .position(|id| grades.get(id).is_some_and(|g| *g >= RELEVANT))
        .map_or(0.0, |p| 1.0 / (p + 1) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grades() -> BTreeMap<String, u8> {
        [("a", 3), ("b", 2), ("c", 0), ("d", 1)]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect()
    }

    fn ids(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn ideal_ranking_scores_one_and_worse_rankings_less() {
        let g = grades();
        assert!((ndcg_at(&ids(&["a", "b", "d", "c"]), &g, 10) - 1.0).abs() < 1e-12);
        let worse = ndcg_at(&ids(&["c", "d", "b", "a"]), &g, 10);
        assert!(worse < 1.0 && worse > 0.0);
        assert_eq!(ndcg_at(&ids(&["x", "y"]), &g, 10), 0.0);
        // Hand-computed: gains a=7, b=3, d=1; ranking [b, a, x] at k=3.
        let dcg = 3.0 + 7.0 / 3f64.log2();
        let ideal = 7.0 + 3.0 / 3f64.log2() + 1.0 / 2.0;
        assert!((ndcg_at(&ids(&["b", "a", "x", "d"]), &g, 3) - dcg / ideal).abs() < 1e-12);
    }

    #[test]
    fn recall_and_mrr() {
        let g = grades();
        assert_eq!(recall_at(&ids(&["a", "x", "d"]), &g, 50), 2.0 / 3.0);
        assert_eq!(recall_at(&ids(&["a", "x", "d"]), &g, 1), 1.0 / 3.0);
        assert_eq!(mrr(&ids(&["c", "x", "b"]), &g), 1.0 / 3.0);
        assert_eq!(mrr(&ids(&["c"]), &g), 0.0);
    }
}
