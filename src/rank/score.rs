//! Turning a candidate's feature values into a score with an explanation
//! whose contributions add up to the score.

use super::features::{Feature, FeatureValues};
use super::profile::{Boost, Combine, RankProfile};
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

fn side_score(weights: &BTreeMap<Feature, f32>, values: &FeatureValues) -> Option<(f32, f32)> {
    let total: f32 = weights.values().sum();
    if total <= 0.0 {
        return None;
    }
    let sum: f32 = weights.iter().map(|(f, w)| w * values.value(*f)).sum();
    Some((sum / total, total))
}

/// The two sides of a weighted score and how they combine.
struct Sides {
    /// Demand side: (score, total weight), when it has weights.
    demand: Option<(f32, f32)>,
    /// Supply side, likewise.
    supply: Option<(f32, f32)>,
    /// The two side scores (0 for a side without weights).
    side_scores: (f32, f32),
    /// The combined score, before boosts.
    score: f32,
    /// How much the combined score moves per unit of each side's score.
    per_demand: f32,
    per_supply: f32,
}

fn sides(profile: &RankProfile, values: &FeatureValues) -> Sides {
    let demand = side_score(&profile.demand_side, values);
    let supply = side_score(&profile.supply_side, values);
    let (a, b) = (demand.map_or(0.0, |s| s.0), supply.map_or(0.0, |s| s.0));
    let (score, per_demand, per_supply) = match (demand, supply) {
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
    Sides {
        demand,
        supply,
        side_scores: (a, b),
        score,
        per_demand,
        per_supply,
    }
}

/// The boosts that apply to a pair, with the feature value that triggered each.
fn applied_boosts<'a>(
    profile: &'a RankProfile,
    values: &'a FeatureValues,
) -> impl Iterator<Item = (&'a Boost, f32)> + 'a {
    profile.boosts.iter().filter_map(|boost| {
        let value = values.value(boost.feature);
        (value >= boost.min).then_some((boost, value))
    })
}

/// The score [`weighted`] explains, without building the explanation.
pub fn weighted_score(profile: &RankProfile, values: &FeatureValues) -> f32 {
    applied_boosts(profile, values).fold(sides(profile, values).score, |score, (boost, _)| {
        score * boost.factor
    })
}

/// Weighted fusion: each side is the weighted mean of its features; the pair
/// score combines the sides; contributions are attributed so they add up.
pub fn weighted(profile: &RankProfile, values: &FeatureValues) -> Explanation {
    let sides = sides(profile, values);
    // Per feature, the share of each side's total weight (a side's score is Σ share × value).
    let share = |side: &Option<(f32, f32)>, weights: &BTreeMap<Feature, f32>, f: Feature| {
        side.map_or(0.0, |(_, total)| {
            weights.get(&f).copied().unwrap_or(0.0) / total
        })
    };
    // Effective weight of feature f = per_demand × share_demand(f) + per_supply × share_supply(f).
    let mut parts: Vec<Part> = Feature::ALL
        .iter()
        .filter(|f| profile.demand_side.contains_key(f) || profile.supply_side.contains_key(f))
        .map(|f| {
            let weight = sides.per_demand * share(&sides.demand, &profile.demand_side, *f)
                + sides.per_supply * share(&sides.supply, &profile.supply_side, *f);
            let value = values.value(*f);
            Part {
                feature: Cow::Borrowed(f.as_str()),
                value,
                weight,
                contribution: weight * value,
            }
        })
        .collect();
    let score = apply_boosts(profile, values, sides.score, &mut parts);
    let (a, b) = sides.side_scores;
    finish(score, a, b, parts)
}

/// The parts of a reciprocal-rank fusion: (feature, weight, 1/(k + rank)).
fn rrf_terms<'a>(
    profile: &'a RankProfile,
    k: f32,
    ranks: &'a [(Feature, usize)],
) -> impl Iterator<Item = (Feature, f32, f32)> + 'a {
    ranks.iter().map(move |(f, rank)| {
        let weight = profile.demand_side.get(f).copied().unwrap_or(1.0);
        (*f, weight, 1.0 / (k + *rank as f32))
    })
}

/// The score [`rrf`] explains, without building the explanation.
pub fn rrf_score(
    profile: &RankProfile,
    k: f32,
    values: &FeatureValues,
    ranks: &[(Feature, usize)],
) -> f32 {
    let base: f32 = rrf_terms(profile, k, ranks).map(|(_, w, v)| w * v).sum();
    applied_boosts(profile, values).fold(base, |score, (boost, _)| score * boost.factor)
}

/// Reciprocal-rank fusion over the candidates' `bm25` and `cosine` ranks
/// (1-based); weights from the demand side (1 when absent).
pub fn rrf(
    profile: &RankProfile,
    k: f32,
    values: &FeatureValues,
    ranks: &[(Feature, usize)],
) -> Explanation {
    let mut parts: Vec<Part> = rrf_terms(profile, k, ranks)
        .map(|(f, weight, value)| Part {
            feature: Cow::Borrowed(f.as_str()),
            value,
            weight,
            contribution: weight * value,
        })
        .collect();
    let base: f32 = parts.iter().map(|p| p.contribution).sum();
    let score = apply_boosts(profile, values, base, &mut parts);
    finish(score, base, base, parts)
}

fn apply_boosts(
    profile: &RankProfile,
    values: &FeatureValues,
    mut score: f32,
    parts: &mut Vec<Part>,
) -> f32 {
    for (boost, value) in applied_boosts(profile, values) {
        let boosted = score * boost.factor;
        parts.push(Part {
            feature: Cow::Owned(format!("boost:{}", boost.feature)),
            value,
            weight: boost.factor,
            contribution: boosted - score,
        });
        score = boosted;
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

    fn profile(combine: Combine) -> RankProfile {
        let mut p = RankProfile::shipped().remove(0);
        p.combine = combine;
        p
    }

    fn values() -> FeatureValues {
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

    /// The score-only functions give exactly the explained score, for every
    /// shipped profile, combination and boost.
    #[test]
    fn scores_without_explanations_equal_the_explained_scores() {
        for mut p in RankProfile::shipped() {
            for combine in [Combine::Harmonic, Combine::Min, Combine::Mean] {
                p.combine = combine;
                p.boosts = vec![Boost {
                    feature: Feature::IndustryFit,
                    min: 0.2,
                    factor: 1.3,
                }];
                for shift in 0..5 {
                    let v: FeatureValues = Feature::ALL
                        .iter()
                        .enumerate()
                        .map(|(i, f)| (*f, ((i + shift) % 7) as f32 / 6.0))
                        .collect();
                    assert_eq!(weighted_score(&p, &v), weighted(&p, &v).score, "{}", p.name);
                    let ranks = [(Feature::Bm25, shift + 1), (Feature::Cosine, 7 - shift)];
                    assert_eq!(
                        rrf_score(&p, 60.0, &v, &ranks),
                        rrf(&p, 60.0, &v, &ranks).score
                    );
                }
            }
        }
    }

    #[test]
    fn a_pair_weak_on_one_side_ranks_below_a_balanced_pair() {
        let p = profile(Combine::Harmonic);
        let mut balanced = FeatureValues::default();
        let mut lopsided = FeatureValues::default();
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
