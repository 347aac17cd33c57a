//! Turning a candidate's feature values into a score with an explanation
//! whose contributions add up to the score.

use super::features::Feature;
use super::profile::{Combine, RankProfile};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::BTreeMap;

/// One term of a score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Part {
    /// Feature name (`boost:<feature>` for a boost).
    pub feature: Cow<'static, str>,
    /// Feature value in [0, 1] (for RRF: the reciprocal rank 1/(k + rank)).
    pub value: f32,
    /// Effective weight: `contribution = weight × value` (for a boost: the factor).
    pub weight: f32,
    /// What the part adds to the score.
    pub contribution: f32,
}

/// Why a result scored what it did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Explanation {
    /// The score; equals the sum of the parts' contributions.
    pub score: f32,
    /// Score of the demand side (need / request view) before combining.
    pub demand_side: f32,
    /// Score of the supply side (result owner / supplier view) before combining.
    pub supply_side: f32,
    /// The parts, largest contribution first.
    pub parts: Vec<Part>,
    /// Words of the demand that the supply document contains, most weighty first.
    pub matched_terms: Vec<String>,
}

fn side_score(
    weights: &BTreeMap<Feature, f32>,
    values: &BTreeMap<Feature, f32>,
) -> Option<(f32, f32)> {
    let total: f32 = weights.values().sum();
    if total <= 0.0 {
        return None;
    }
    let sum: f32 = weights
        .iter()
        .map(|(f, w)| w * values.get(f).copied().unwrap_or(0.0))
        .sum();
    Some((sum / total, total))
}

/// Weighted fusion: each side is the weighted mean of its features; the pair
/// score combines the sides; contributions are attributed so they add up.
pub fn weighted(profile: &RankProfile, values: &BTreeMap<Feature, f32>) -> Explanation {
    let demand = side_score(&profile.demand_side, values);
    let supply = side_score(&profile.supply_side, values);
    // Per feature, the share of each side's total weight (a side's score is Σ share × value).
    let share = |side: &Option<(f32, f32)>, weights: &BTreeMap<Feature, f32>, f: Feature| {
        side.map_or(0.0, |(_, total)| {
            weights.get(&f).copied().unwrap_or(0.0) / total
        })
    };
    let (a, b) = (demand.map_or(0.0, |s| s.0), supply.map_or(0.0, |s| s.0));
    // Effective weight of feature f = da × share_demand(f) + db × share_supply(f).
    let (score, da, db) = match (demand, supply) {
        (Some(_), None) => (a, 1.0, 0.0),
        (None, Some(_)) => (b, 0.0, 1.0),
        (None, None) => (0.0, 0.0, 0.0),
        (Some(_), Some(_)) => match profile.combine {
            Combine::Mean => ((a + b) / 2.0, 0.5, 0.5),
            Combine::Min if a <= b => (a, 1.0, 0.0),
            Combine::Min => (b, 0.0, 1.0),
            Combine::Harmonic if a + b <= 0.0 => (0.0, 0.0, 0.0),
            Combine::Harmonic => {
                let h = 2.0 * a * b / (a + b);
                let k = h / (a + b);
                (h, k, k)
            }
        },
    };
    let mut parts: Vec<Part> = Feature::ALL
        .iter()
        .filter(|f| profile.demand_side.contains_key(f) || profile.supply_side.contains_key(f))
        .map(|f| {
            let weight = da * share(&demand, &profile.demand_side, *f)
                + db * share(&supply, &profile.supply_side, *f);
            let value = values.get(f).copied().unwrap_or(0.0);
            Part {
                feature: Cow::Borrowed(f.as_str()),
                value,
                weight,
                contribution: weight * value,
            }
        })
        .collect();
    let score = apply_boosts(profile, values, score, &mut parts);
    finish(score, a, b, parts)
}

/// Reciprocal-rank fusion over the candidates' `bm25` and `cosine` ranks
/// (1-based); weights from the demand side (1 when absent).
pub fn rrf(
    profile: &RankProfile,
    k: f32,
    values: &BTreeMap<Feature, f32>,
    ranks: &[(Feature, usize)],
) -> Explanation {
    let mut parts: Vec<Part> = ranks
        .iter()
        .map(|(f, rank)| {
            let weight = profile.demand_side.get(f).copied().unwrap_or(1.0);
            let value = 1.0 / (k + *rank as f32);
            Part {
                feature: Cow::Borrowed(f.as_str()),
                value,
                weight,
                contribution: weight * value,
            }
        })
        .collect();
    let base: f32 = parts.iter().map(|p| p.contribution).sum();
    let score = apply_boosts(profile, values, base, &mut parts);
    finish(score, base, base, parts)
}

fn apply_boosts(
    profile: &RankProfile,
    values: &BTreeMap<Feature, f32>,
    mut score: f32,
    parts: &mut Vec<Part>,
) -> f32 {
    for boost in &profile.boosts {
        let value = values.get(&boost.feature).copied().unwrap_or(0.0);
        if value >= boost.min {
            let boosted = score * boost.factor;
            parts.push(Part {
                feature: Cow::Owned(format!("boost:{}", boost.feature)),
                value,
                weight: boost.factor,
                contribution: boosted - score,
            });
            score = boosted;
        }
    }
    score
}

fn finish(score: f32, demand_side: f32, supply_side: f32, mut parts: Vec<Part>) -> Explanation {
    parts.sort_by(|x, y| y.contribution.total_cmp(&x.contribution));
    Explanation {
        score,
        demand_side,
        supply_side,
        parts,
        matched_terms: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rank::profile::Boost;

    fn profile(combine: Combine) -> RankProfile {
        let mut p = RankProfile::shipped().remove(0);
        p.combine = combine;
        p
    }

    fn values() -> BTreeMap<Feature, f32> {
        Feature::ALL
            .iter()
            .enumerate()
            .map(|(i, f)| (*f, 0.1 + 0.08 * i as f32))
            .collect()
    }

    fn sum(e: &Explanation) -> f32 {
        e.parts.iter().map(|p| p.contribution).sum()
    }

    #[test]
    fn contributions_sum_to_the_score_for_every_combination() {
        for combine in [Combine::Harmonic, Combine::Min, Combine::Mean] {
            let e = weighted(&profile(combine), &values());
            assert!((sum(&e) - e.score).abs() < 1e-5, "{combine:?}: {e:?}");
            for p in &e.parts {
                assert!((p.weight * p.value - p.contribution).abs() < 1e-6);
            }
        }
        let mut boosted = profile(Combine::Harmonic);
        boosted.boosts.push(Boost {
            feature: Feature::Cosine,
            min: 0.0,
            factor: 1.5,
        });
        let e = weighted(&boosted, &values());
        assert!((sum(&e) - e.score).abs() < 1e-5);
        assert!(e.parts.iter().any(|p| p.feature == "boost:cosine"));
        // Equal bm25 and cosine weights on both sides: the score is plain RRF.
        for side in [&mut boosted.demand_side, &mut boosted.supply_side] {
            side.insert(Feature::Bm25, 0.4);
            side.insert(Feature::Cosine, 0.4);
        }
        let e = rrf(
            &boosted,
            60.0,
            &values(),
            &[(Feature::Bm25, 1), (Feature::Cosine, 3)],
        );
        assert!((sum(&e) - e.score).abs() < 1e-6);
        assert!(
            (e.score - 1.5 * (0.4 / 61.0 + 0.4 / 63.0)).abs() < 1e-6,
            "{e:?}"
        );
    }

    #[test]
    fn a_pair_weak_on_one_side_ranks_below_a_balanced_pair() {
        let p = profile(Combine::Harmonic);
        let mut balanced = BTreeMap::new();
        let mut lopsided = BTreeMap::new();
        for f in Feature::ALL {
            balanced.insert(f, 0.5);
            lopsided.insert(f, 0.5);
        }
        // Same relevance; the lopsided pair fails the supply side's own features.
        lopsided.insert(Feature::BudgetFit, 0.0);
        lopsided.insert(Feature::RegionFit, 0.0);
        lopsided.insert(Feature::Freshness, 0.0);
        lopsided.insert(Feature::IndustryFit, 1.0);
        lopsided.insert(Feature::MaturityFit, 1.0);
        lopsided.insert(Feature::CoopFit, 1.0);
        let (b, l) = (weighted(&p, &balanced), weighted(&p, &lopsided));
        assert!(l.demand_side > b.demand_side && l.supply_side < b.supply_side);
        assert!(
            l.score < b.score,
            "harmonic mean penalises imbalance: {} vs {}",
            l.score,
            b.score
        );
        let mean = weighted(&profile(Combine::Mean), &lopsided);
        assert!(mean.score > l.score);
    }
}
