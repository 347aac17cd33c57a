//! Fitting a profile's weights to judgments: coordinate ascent on mean
//! nDCG@10, with k-fold cross-validation so the reported gain is measured on
//! queries the fit did not see.

use super::judgments::JudgmentSet;
use super::run::{pool, query_spec, score_pool, Pool};
use crate::engine::QuerySpec;
use crate::error::{Error, Result};
use crate::model::{Market, ValidationError};
use crate::rank::{Feature, RankProfile};
use crate::Engine;
use serde::Serialize;
use std::collections::BTreeMap;

/// Multipliers tried for each weight in a round.
const STEPS: [f32; 6] = [0.0, 0.5, 0.8, 1.25, 1.6, 2.5];
/// Rounds of coordinate ascent.
const ROUNDS: usize = 4;

/// What tuning found.
#[derive(Debug, Clone, Serialize)]
pub struct TuneReport {
    /// Queries used.
    pub queries: usize,
    /// Folds of the cross-validation.
    pub folds: usize,
    /// Mean nDCG@10 of the base profile on all queries.
    pub base_ndcg10: f64,
    /// Mean nDCG@10 of the fitted profile on the queries it was fitted to.
    pub fitted_ndcg10_train: f64,
    /// Mean held-out nDCG@10 of the base profile (same as `base_ndcg10`: it is not fitted).
    pub cv_base_ndcg10: f64,
    /// Mean held-out nDCG@10 of profiles fitted on the other folds.
    pub cv_fitted_ndcg10: f64,
    /// The profile fitted on all queries.
    pub profile: RankProfile,
}

fn subset(p: &Pool, ids: &[String]) -> Pool {
    Pool {
        candidates: ids
            .iter()
            .map(|q| (q.clone(), p.candidates[q].clone()))
            .collect(),
        grades: ids
            .iter()
            .map(|q| (q.clone(), p.grades[q].clone()))
            .collect(),
    }
}

/// Coordinate ascent over the weights the base profile uses.
fn fit(pool: &Pool, base: &RankProfile) -> RankProfile {
    let mut best = base.clone();
    let mut best_score = score_pool(pool, &best).ndcg10;
    let keys: Vec<(bool, Feature)> = base
        .demand_side
        .keys()
        .map(|f| (true, *f))
        .chain(base.supply_side.keys().map(|f| (false, *f)))
        .collect();
    for _ in 0..ROUNDS {
        let mut improved = false;
        for (demand, feature) in &keys {
            let current = if *demand {
                best.demand_side[feature]
            } else {
                best.supply_side[feature]
            };
            let candidates: Vec<f32> = STEPS
                .iter()
                .map(|s| if current > 0.0 { current * s } else { s * 0.1 })
                .collect();
            for value in candidates {
                let mut trial = best.clone();
                let side: &mut BTreeMap<Feature, f32> = if *demand {
                    &mut trial.demand_side
                } else {
                    &mut trial.supply_side
                };
                side.insert(*feature, value);
                if trial.validate().is_err() {
                    continue;
                }
                let score = score_pool(pool, &trial).ndcg10;
                if score > best_score + 1e-6 {
                    best = trial;
                    best_score = score;
                    improved = true;
                }
            }
        }
        if !improved {
            break;
        }
    }
    best
}

fn market_of(set: &JudgmentSet, engine: &Engine, query_id: &str) -> Option<Market> {
    match query_spec(set, query_id) {
        QuerySpec::Text { target, .. } => Some(target.market()),
        QuerySpec::Id(id) => engine.get(&id).ok().map(|d| d.kind.market()),
    }
}

/// Fits the weights of `market`'s default profile (or `base`) to the judged
/// queries of that market, reporting k-fold held-out nDCG@10 before and after.
pub fn tune(
    engine: &Engine,
    set: &JudgmentSet,
    market: Market,
    base: &RankProfile,
    folds: usize,
) -> Result<TuneReport> {
    let ids: Vec<String> = set
        .query_ids()
        .into_iter()
        .filter(|q| market_of(set, engine, q) == Some(market))
        .collect();
    if ids.len() < 2 {
        return Err(Error::Invalid(ValidationError::new(
            "judgments",
            format!("fewer than 2 judged queries of the {market:?} market"),
        )));
    }
    let folds = folds.clamp(2, ids.len());
    let all = pool(engine, &set.subset(&ids), base)?;
    let mut held_out_fitted = 0.0;
    let mut held_out_base = 0.0;
    for fold in 0..folds {
        let (test, train): (Vec<String>, Vec<String>) =
            ids.iter()
                .enumerate()
                .fold((vec![], vec![]), |(mut te, mut tr), (i, q)| {
                    if i % folds == fold {
                        te.push(q.clone());
                    } else {
                        tr.push(q.clone());
                    }
                    (te, tr)
                });
        let fitted = fit(&subset(&all, &train), base);
        let test_pool = subset(&all, &test);
        held_out_fitted += score_pool(&test_pool, &fitted).ndcg10 * test.len() as f64;
        held_out_base += score_pool(&test_pool, base).ndcg10 * test.len() as f64;
    }
    let mut profile = fit(&all, base);
    profile.name = format!("{}-tuned", base.name);
    profile.description = format!(
        "Weights fitted to {} judged queries by coordinate ascent on nDCG@10.",
        ids.len()
    );
    profile.version = 0;
    let n = ids.len() as f64;
    Ok(TuneReport {
        queries: ids.len(),
        folds,
        base_ndcg10: score_pool(&all, base).ndcg10,
        fitted_ndcg10_train: score_pool(&all, &profile).ndcg10,
        cv_base_ndcg10: held_out_base / n,
        cv_fitted_ndcg10: held_out_fitted / n,
        profile,
    })
}
