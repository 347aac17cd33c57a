//! Rank profiles: which features count, with what weight, on which side of
//! the pair; how sides combine; hard constraints, boosts, candidate depth.
//! Operators edit them; the shipped ones are the markets' defaults and the
//! `bm25-only` / `vector-only` baselines.

use super::features::Feature;
use crate::model::{Market, ValidationError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How the two side scores become the pair score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Combine {
    /// 2ab/(a+b): a pair weak on either side ranks low.
    #[default]
    Harmonic,
    /// The weaker side decides.
    Min,
    /// Arithmetic mean (for baselines: no two-sided penalty).
    Mean,
}

/// How features become a side score.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum Fusion {
    /// Weighted mean of the normalised features.
    #[default]
    Weighted,
    /// Reciprocal-rank fusion of the `bm25` and `cosine` rankings of the
    /// candidates: Σ w / (k + rank). Rank-based, so it depends on the
    /// candidate set and is not symmetric between the two directions.
    Rrf {
        /// The RRF constant.
        k: f32,
    },
}

/// A candidate is dropped when `feature` is below `min`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Constraint {
    /// Feature tested.
    pub feature: Feature,
    /// Lowest value allowed.
    pub min: f32,
    /// Apply only when the request marks its certifications mandatory.
    #[serde(default)]
    pub when_mandatory: bool,
}

/// The score is multiplied by `factor` when `feature` is at least `min`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Boost {
    /// Feature tested.
    pub feature: Feature,
    /// Threshold.
    pub min: f32,
    /// Multiplier (> 0).
    pub factor: f32,
}

/// How many candidates each retriever contributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Candidates {
    /// BM25 top-N from the full-text index.
    pub bm25: usize,
    /// ANN top-N from the vector index.
    pub ann: usize,
}

impl Default for Candidates {
    fn default() -> Self {
        Candidates {
            bm25: 200,
            ann: 200,
        }
    }
}

/// Pseudo-relevance feedback for free-text queries (Rocchio, on vectors): the
/// query's vector moves toward the mean vector of its first `docs` results,
/// and the match runs again with it. A plain-language need ("大棚番茄苗长不好、
/// 根容易烂") then reaches the results its best matches are close to, not only
/// those close to its own everyday words. A stored document's own vector is
/// never changed, so the pair scores of two stored documents stay the same
/// whichever side asks.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Feedback {
    /// How many of the first results feed back (0: off).
    pub docs: usize,
    /// Weight of their mean vector against the query's (1: equal).
    pub weight: f32,
}

impl Default for Feedback {
    fn default() -> Self {
        Feedback {
            docs: 0,
            weight: 1.0,
        }
    }
}

/// Most results a profile may feed back.
pub const MAX_FEEDBACK_DOCS: usize = 20;

fn default_half_life() -> f32 {
    180.0
}

fn default_tolerance() -> f32 {
    0.3
}

/// A rank profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RankProfile {
    /// Profile name.
    pub name: String,
    /// Version, set by the store on save.
    #[serde(default)]
    pub version: u32,
    /// Market the profile is meant for (`None`: either).
    #[serde(default)]
    pub market: Option<Market>,
    /// What the profile is for.
    #[serde(default)]
    pub description: String,
    /// Feature fusion.
    #[serde(default)]
    pub fusion: Fusion,
    /// Weights of "does the supply meet the demand" (the need's or request's view).
    pub demand_side: BTreeMap<Feature, f32>,
    /// Weights of "does the demand suit the supplier" (the result owner's or supplier's view).
    #[serde(default)]
    pub supply_side: BTreeMap<Feature, f32>,
    /// How the two sides combine.
    #[serde(default)]
    pub combine: Combine,
    /// Hard constraints.
    #[serde(default)]
    pub constraints: Vec<Constraint>,
    /// Multiplicative boosts.
    #[serde(default)]
    pub boosts: Vec<Boost>,
    /// Candidate depth.
    #[serde(default)]
    pub candidates: Candidates,
    /// Half-life of `freshness`, in days.
    #[serde(default = "default_half_life")]
    pub freshness_half_life_days: f32,
    /// Share over budget still tolerated by `budget_fit`.
    #[serde(default = "default_tolerance")]
    pub budget_tolerance: f32,
    /// Feedback for free-text queries (off unless set).
    #[serde(default)]
    pub feedback: Feedback,
}

const SHIPPED: [(&str, &str); 4] = [
    ("default-tech", include_str!("profiles/default-tech.json")),
    (
        "default-supply",
        include_str!("profiles/default-supply.json"),
    ),
    ("bm25-only", include_str!("profiles/bm25-only.json")),
    ("vector-only", include_str!("profiles/vector-only.json")),
];

impl RankProfile {
    /// The profiles shipped with the engine.
    pub fn shipped() -> Vec<RankProfile> {
        SHIPPED
            .iter()
            .map(|(name, json)| {
                let p: RankProfile = serde_json::from_str(json)
                    .unwrap_or_else(|e| panic!("shipped profile {name}: {e}"));
                p.validate()
                    .unwrap_or_else(|e| panic!("shipped profile {name}: {e}"));
                p
            })
            .collect()
    }

    /// Name of the default profile of a market.
    pub fn default_name(market: Market) -> &'static str {
        match market {
            Market::Tech => "default-tech",
            Market::Supply => "default-supply",
        }
    }

    /// Every feature the profile reads.
    pub fn features(&self) -> Vec<Feature> {
        let mut all: Vec<Feature> = self
            .demand_side
            .keys()
            .chain(self.supply_side.keys())
            .copied()
            .chain(self.constraints.iter().map(|c| c.feature))
            .chain(self.boosts.iter().map(|b| b.feature))
            .collect();
        all.sort();
        all.dedup();
        all
    }

    /// Checks names, weights and parameters; names the offending field.
    pub fn validate(&self) -> Result<(), ValidationError> {
        let name_ok = !self.name.is_empty()
            && self.name.len() <= 64
            && self
                .name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !name_ok {
            return Err(ValidationError::new(
                "name",
                "must be 1–64 characters of a–z, 0–9, '-', '_'",
            ));
        }
        for (side, weights) in [
            ("demand_side", &self.demand_side),
            ("supply_side", &self.supply_side),
        ] {
            for (feature, w) in weights {
                if !w.is_finite() || *w < 0.0 {
                    return Err(ValidationError::new(
                        format!("{side}.{feature}"),
                        "weight must be a finite number ≥ 0",
                    ));
                }
            }
        }
        if self.demand_side.values().sum::<f32>() <= 0.0
            && self.supply_side.values().sum::<f32>() <= 0.0
        {
            return Err(ValidationError::new(
                "demand_side",
                "at least one weight must be positive",
            ));
        }
        if let Fusion::Rrf { k } = self.fusion {
            if !k.is_finite() || k <= 0.0 {
                return Err(ValidationError::new("fusion.k", "must be > 0"));
            }
        }
        for (i, c) in self.constraints.iter().enumerate() {
            if !c.min.is_finite() {
                return Err(ValidationError::new(
                    format!("constraints[{i}].min"),
                    "must be a number",
                ));
            }
        }
        for (i, b) in self.boosts.iter().enumerate() {
            if !b.factor.is_finite() || b.factor <= 0.0 || b.factor > 10.0 {
                return Err(ValidationError::new(
                    format!("boosts[{i}].factor"),
                    "must be in (0, 10]",
                ));
            }
        }
        if self.candidates.bm25 + self.candidates.ann == 0
            || self.candidates.bm25.max(self.candidates.ann) > 5_000
        {
            return Err(ValidationError::new(
                "candidates",
                "between 1 and 5,000 per retriever",
            ));
        }
        if !self.freshness_half_life_days.is_finite() || self.freshness_half_life_days <= 0.0 {
            return Err(ValidationError::new(
                "freshness_half_life_days",
                "must be > 0",
            ));
        }
        if !self.budget_tolerance.is_finite() || self.budget_tolerance < 0.0 {
            return Err(ValidationError::new("budget_tolerance", "must be ≥ 0"));
        }
        if self.feedback.docs > MAX_FEEDBACK_DOCS {
            return Err(ValidationError::new(
                "feedback.docs",
                format!("at most {MAX_FEEDBACK_DOCS}"),
            ));
        }
        let weight = self.feedback.weight;
        if !weight.is_finite() || !(0.0..=10.0).contains(&weight) {
            return Err(ValidationError::new(
                "feedback.weight",
                "must be in [0, 10]",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_profiles_parse_and_validate() {
        let names: Vec<String> = RankProfile::shipped().into_iter().map(|p| p.name).collect();
        assert_eq!(
            names,
            vec!["default-tech", "default-supply", "bm25-only", "vector-only"]
        );
    }

    #[test]
    fn bad_profiles_name_the_field() {
        let mut p = RankProfile::shipped().remove(0);
        p.demand_side.insert(Feature::Bm25, -1.0);
        assert_eq!(p.validate().unwrap_err().field, "demand_side.bm25");
        let mut p = RankProfile::shipped().remove(0);
        p.name = "has space".into();
        assert_eq!(p.validate().unwrap_err().field, "name");
        let json = r#"{"name":"x","demand_side":{"colour":1}}"#;
        assert!(serde_json::from_str::<RankProfile>(json).is_err());
        let mut p = RankProfile::shipped().remove(0);
        p.feedback.docs = MAX_FEEDBACK_DOCS + 1;
        assert_eq!(p.validate().unwrap_err().field, "feedback.docs");
        let mut p = RankProfile::shipped().remove(0);
        p.feedback.weight = f32::NAN;
        assert_eq!(p.validate().unwrap_err().field, "feedback.weight");
    }

    #[test]
    fn feedback_is_off_unless_a_profile_sets_it() {
        let json = r#"{"name":"x","demand_side":{"bm25":1}}"#;
        let p: RankProfile = serde_json::from_str(json).expect("parses");
        assert_eq!(p.feedback.docs, 0);
        let shipped = RankProfile::shipped();
        let docs = |name: &str| {
            shipped
                .iter()
                .find(|p| p.name == name)
                .unwrap()
                .feedback
                .docs
        };
        assert!(docs("default-tech") > 0);
        // The baselines stay plain BM25 and plain vectors.
        assert_eq!(docs("bm25-only"), 0);
        assert_eq!(docs("vector-only"), 0);
    }
}
