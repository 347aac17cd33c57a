//! Running a profile over judged queries.

use super::judgments::JudgmentSet;
use super::metrics::{mrr, ndcg_at, recall_at};
use crate::engine::{rank, Candidate, QuerySpec};
use crate::error::{Error, Result};
use crate::rank::{Feature, RankProfile};
use crate::Engine;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// Depth of the ranking evaluated (recall is measured at this depth).
pub const EVAL_DEPTH: usize = 50;

/// Metrics of one query.
#[derive(Debug, Clone, Serialize)]
pub struct QueryScores {
    /// Query id.
    pub query_id: String,
    /// nDCG@10.
    pub ndcg10: f64,
    /// Recall@50.
    pub recall50: f64,
    /// Reciprocal rank of the first relevant result.
    pub rr: f64,
    /// Judged documents of the query.
    pub judged: usize,
}

/// Metrics of a profile over a judgment set.
#[derive(Debug, Clone, Serialize)]
pub struct EvalReport {
    /// Profile evaluated.
    pub profile: String,
    /// Mean nDCG@10.
    pub ndcg10: f64,
    /// Mean recall@50.
    pub recall50: f64,
    /// Mean reciprocal rank.
    pub mrr: f64,
    /// Per query.
    pub queries: Vec<QueryScores>,
}

/// Two profiles side by side.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    /// First profile.
    pub a: EvalReport,
    /// Second profile.
    pub b: EvalReport,
    /// Queries where A's nDCG@10 is higher, B's is higher, or equal.
    pub wins: (usize, usize, usize),
}

/// The query spec of a judged query id.
pub fn query_spec(set: &JudgmentSet, query_id: &str) -> QuerySpec {
    match set.queries.get(query_id) {
        Some(def) => QuerySpec::Text {
            text: def.text.clone(),
            target: def.kind,
        },
        None => QuerySpec::Id(query_id.to_string()),
    }
}

/// Candidates of every judged query, computed once with all features, so that
/// profiles can be scored against them many times (tuning).
pub struct Pool {
    /// query id → candidates.
    pub candidates: BTreeMap<String, Vec<Candidate>>,
    /// query id → (resolved doc id → grade).
    pub grades: BTreeMap<String, BTreeMap<String, u8>>,
}

/// Maps judged doc ids that are source refs (e.g. CSL record ids) to document ids.
fn resolve_grades(
    engine: &Engine,
    set: &JudgmentSet,
) -> Result<BTreeMap<String, BTreeMap<String, u8>>> {
    let mut by_ref: HashMap<String, String> = HashMap::new();
    for doc in engine.store().live_documents(None) {
        let doc = doc?;
        if let Some(r) = doc.source_ref {
            by_ref.insert(r, doc.id);
        }
    }
    Ok(set
        .grades
        .iter()
        .map(|(q, grades)| {
            let resolved = grades
                .iter()
                .map(|(d, g)| (by_ref.get(d).cloned().unwrap_or_else(|| d.clone()), *g))
                .collect();
            (q.clone(), resolved)
        })
        .collect())
}

/// Retrieves and featurises every judged query's candidates at `profile`'s depth.
pub fn pool(engine: &Engine, set: &JudgmentSet, profile: &RankProfile) -> Result<Pool> {
    let grades = resolve_grades(engine, set)?;
    let mut candidates = BTreeMap::new();
    for query_id in set.grades.keys() {
        let spec = query_spec(set, query_id);
        let found = engine
            .candidates(&spec, profile, &Feature::ALL)
            .map_err(|e| match e {
                Error::NotFound(why) => {
                    Error::NotFound(format!("judged query `{query_id}`: {why}"))
                }
                other => other,
            })?;
        candidates.insert(query_id.clone(), found);
    }
    Ok(Pool { candidates, grades })
}

/// Scores `profile` on a pool (its weights and fusion; the pool's candidates
/// already passed the pooling profile's constraints).
pub fn score_pool(pool: &Pool, profile: &RankProfile) -> EvalReport {
    let mut queries = Vec::new();
    for (query_id, candidates) in &pool.candidates {
        let grades = &pool.grades[query_id];
        let ranking: Vec<String> = rank(profile, candidates.clone(), EVAL_DEPTH)
            .into_iter()
            .map(|(_, c)| c.entry.doc.id.clone())
            .collect();
        queries.push(QueryScores {
            query_id: query_id.clone(),
            ndcg10: ndcg_at(&ranking, grades, 10),
            recall50: recall_at(&ranking, grades, EVAL_DEPTH),
            rr: mrr(&ranking, grades),
            judged: grades.len(),
        });
    }
    let n = queries.len().max(1) as f64;
    EvalReport {
        profile: profile.name.clone(),
        ndcg10: queries.iter().map(|q| q.ndcg10).sum::<f64>() / n,
        recall50: queries.iter().map(|q| q.recall50).sum::<f64>() / n,
        mrr: queries.iter().map(|q| q.rr).sum::<f64>() / n,
        queries,
    }
}

/// Evaluates a profile: each judged query is matched as the engine would
/// (the profile's candidate depth, constraints and scoring).
pub fn evaluate(engine: &Engine, set: &JudgmentSet, profile: &RankProfile) -> Result<EvalReport> {
    Ok(score_pool(&pool(engine, set, profile)?, profile))
}

/// Evaluates two profiles on the same judgments.
pub fn compare(
    engine: &Engine,
    set: &JudgmentSet,
    a: &RankProfile,
    b: &RankProfile,
) -> Result<Comparison> {
    let (ra, rb) = (evaluate(engine, set, a)?, evaluate(engine, set, b)?);
    let mut wins = (0, 0, 0);
    for (qa, qb) in ra.queries.iter().zip(&rb.queries) {
        if (qa.ndcg10 - qb.ndcg10).abs() < 1e-9 {
            wins.2 += 1;
        } else if qa.ndcg10 > qb.ndcg10 {
            wins.0 += 1;
        } else {
            wins.1 += 1;
        }
    }
    Ok(Comparison { a: ra, b: rb, wins })
}
