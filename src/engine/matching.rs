//! Matching: given a document (or free text treated as a document of the
//! opposite kind), retrieve candidates of the counterpart kind from BM25 and
//! the vector index, compute pair features in the fixed (demand, supply)
//! orientation, apply the profile's constraints and scoring, and explain.

use super::hints::TextHints;
use super::Engine;
use crate::error::{Error, Result};
use crate::model::codes::{industries, IndustryKey, RegionTable};
use crate::model::{Document, Kind, Status, ValidationError};
use crate::rank::features::{self as f, Feature, FeatureValues};
use crate::rank::lexical::TermProfile;
use crate::rank::{score, CatalogEntry, Explanation, Fusion, RankProfile};
use crate::search::fulltext::Filters;
use crate::search::vector::VectorFilter;
use chrono::{DateTime, Utc};
use rustc_hash::{FxHashMap, FxHashSet};
use serde::Serialize;
use std::sync::Arc;

/// Query words sent to the full-text index for BM25 candidates.
const MAX_QUERY_TERMS: usize = 24;
/// Matched terms listed in an explanation.
const MAX_MATCHED_TERMS: usize = 12;
/// How many candidates ahead pair scoring prefetches records …
const RECORD_AHEAD: usize = 4;
/// … and, once the record is in, its term list and codes.
const PAIR_DATA_AHEAD: usize = 2;
/// Softness of the BM25 ratio's saturation: ratio r becomes r(1+c)/(r+c).
const BM25_SATURATION: f32 = 0.1;

/// What to match and how.
#[derive(Debug, Clone)]
pub struct MatchOptions {
    /// Rank profile name (default: the market's default profile).
    pub profile: Option<String>,
    /// Number of results.
    pub k: usize,
    /// Hard filters on the results.
    pub filters: Filters,
    /// Include the explanation.
    pub explain: bool,
}

impl Default for MatchOptions {
    fn default() -> Self {
        MatchOptions {
            profile: None,
            k: 10,
            filters: Filters::default(),
            explain: false,
        }
    }
}

/// The matches of a free text.
#[derive(Debug, Clone)]
pub struct TextMatch {
    /// What the text named besides its subject (place, certifications,
    /// budget), used as the query's fields.
    pub understood: TextHints,
    /// Best first.
    pub hits: Vec<MatchHit>,
}

/// One match.
#[derive(Debug, Clone, Serialize)]
pub struct MatchHit {
    /// Document id.
    pub id: String,
    /// Its kind.
    pub kind: Kind,
    /// Title.
    pub title: String,
    /// Pair score.
    pub score: f32,
    /// Region code.
    pub region: Option<String>,
    /// Industry code.
    pub industry: Option<String>,
    /// Origin of the record.
    pub source: Option<String>,
    /// Id in the source.
    pub source_ref: Option<String>,
    /// Why it scored what it did (when asked for).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explanation: Option<Explanation>,
}

/// What to match: a stored document, or free text looking for `target` documents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuerySpec {
    /// A stored document.
    Id(String),
    /// Free text, read as a document of the counterpart of `target`.
    Text {
        /// The text.
        text: String,
        /// Kind of the results.
        target: Kind,
    },
}

/// The query side of a match.
struct Query {
    doc: Document,
    terms: TermProfile,
    /// Certifications in canonical form.
    certs: Vec<String>,
    /// Industry path (see [`f::industry_key`]).
    industry: Option<IndustryKey>,
    vector: Option<Vec<f32>>,
    /// For free text read as a document (not a stored one), what it named
    /// besides its subject; only such a query is refined by feedback (see
    /// [`crate::rank::profile::Feedback`]).
    understood: Option<TextHints>,
}

/// One party of a pair: its document and its canonical certifications.
#[derive(Clone, Copy)]
struct Party<'a> {
    doc: &'a Document,
    certs: &'a [String],
    industry: Option<IndustryKey>,
}

fn is_demand(kind: Kind) -> bool {
    matches!(kind, Kind::Need | Kind::Request)
}

/// The kind whose statistics score pair BM25 for a query of `query_kind`:
/// the supply side's, whichever side asks.
fn supply_kind_for(query_kind: Kind) -> Kind {
    if is_demand(query_kind) {
        query_kind.counterpart()
    } else {
        query_kind
    }
}

fn saturate(ratio: f32) -> f32 {
    ratio * (1.0 + BM25_SATURATION) / (ratio + BM25_SATURATION)
}

/// Feature values of a (demand, supply) pair; `bm25` is the pair's BM25
/// ratio and `cosine` its vector similarity when both have vectors.
fn pair_features(
    profile: &RankProfile,
    wanted: &[Feature],
    (demand, supply): (Party, Party),
    bm25: f32,
    cosine: Option<f32>,
    now: DateTime<Utc>,
) -> FeatureValues {
    let (d, s) = (demand.doc, supply.doc);
    let mut values = FeatureValues::default();
    for feature in wanted {
        let value = match feature {
            Feature::Bm25 => saturate(bm25),
            Feature::Cosine => cosine.unwrap_or(0.0).clamp(0.0, 1.0),
            Feature::IndustryFit => {
                f::industry_fit_by_key((d, demand.industry), (s, supply.industry))
            }
            Feature::RegionFit => f::region_fit(d, s),
            Feature::MaturityFit => f::maturity_fit(d.maturity, s.maturity),
            Feature::BudgetFit => {
                f::budget_fit(d.budget, s.asking_price, profile.budget_tolerance as f64)
            }
            Feature::CapacityFit => f::capacity_fit(d, s),
            Feature::CertFit => f::cert_fit(demand.certs, supply.certs),
            Feature::ZjtxLevel => f::zjtx_level(s),
            Feature::Freshness => f::freshness(d, s, now, profile.freshness_half_life_days),
            Feature::CoopFit => f::coop_fit(d, s),
        };
        values.insert(*feature, value);
    }
    values
}

fn passes(profile: &RankProfile, demand: &Document, values: &FeatureValues) -> bool {
    profile.constraints.iter().all(|c| {
        if c.when_mandatory && !demand.certs_mandatory {
            return true;
        }
        values.get(c.feature).is_none_or(|v| v >= c.min)
    })
}

fn within_filters(doc: &Document, filters: &Filters, today: chrono::NaiveDate) -> bool {
    if doc.status != filters.status.unwrap_or(Status::Open) {
        return false;
    }
    if doc.deadline.is_some_and(|d| d < today) {
        return false;
    }
    if let Some(prefix) = &filters.region {
        if !doc
            .region
            .as_deref()
            .is_some_and(|r| RegionTable::path(r).contains(prefix))
        {
            return false;
        }
    }
    if let Some(code) = &filters.industry {
        if !doc
            .industry
            .as_deref()
            .is_some_and(|i| industries().path(i).contains(code))
        {
            return false;
        }
    }
    filters.maturity.is_none_or(|m| doc.maturity == Some(m))
        && filters.zjtx_level.is_none_or(|z| doc.zjtx_level == Some(z))
}

/// A candidate with its feature values.
#[derive(Clone)]
pub struct Candidate {
    /// The candidate document's catalog entry.
    pub entry: Arc<CatalogEntry>,
    /// Its feature values in the pair.
    pub values: FeatureValues,
}

/// Scores candidates with a profile and returns the best `limit`, best first
/// (ties by id), each with its explanation. Every candidate is scored; only
/// those returned are explained.
pub fn rank(
    profile: &RankProfile,
    scored: Vec<Candidate>,
    limit: usize,
) -> Vec<(Explanation, Candidate)> {
    let ranks = |feature: Feature| -> Vec<usize> {
        let value = |i: usize| scored[i].values.value(feature);
        let mut order: Vec<usize> = (0..scored.len()).collect();
        order.sort_by(|a, b| value(*b).total_cmp(&value(*a)));
        let mut rank = vec![0; scored.len()];
        for (r, i) in order.into_iter().enumerate() {
            rank[i] = r + 1;
        }
        rank
    };
    let fused_ranks: Vec<[(Feature, usize); 2]> = match profile.fusion {
        Fusion::Weighted => Vec::new(),
        Fusion::Rrf { .. } => {
            let (bm25, cosine) = (ranks(Feature::Bm25), ranks(Feature::Cosine));
            bm25.into_iter()
                .zip(cosine)
                .map(|(b, c)| [(Feature::Bm25, b), (Feature::Cosine, c)])
                .collect()
        }
    };
    let scores: Vec<f32> = scored
        .iter()
        .enumerate()
        .map(|(i, c)| match profile.fusion {
            Fusion::Weighted => score::weighted_score(profile, &c.values),
            Fusion::Rrf { k } => score::rrf_score(profile, k, &c.values, &fused_ranks[i]),
        })
        .collect();
    let mut order: Vec<usize> = (0..scored.len()).collect();
    let best_first = |a: &usize, b: &usize| {
        scores[*b]
            .total_cmp(&scores[*a])
            .then_with(|| scored[*a].entry.doc.id.cmp(&scored[*b].entry.doc.id))
    };
    if limit < order.len() {
        order.select_nth_unstable_by(limit, best_first);
        order.truncate(limit);
    }
    order.sort_by(best_first);
    let mut slots: Vec<Option<Candidate>> = scored.into_iter().map(Some).collect();
    order
        .into_iter()
        .filter_map(|i| {
            let candidate = slots[i].take()?;
            let explanation = match profile.fusion {
                Fusion::Weighted => score::weighted(profile, &candidate.values),
                Fusion::Rrf { k } => score::rrf(profile, k, &candidate.values, &fused_ranks[i]),
            };
            Some((explanation, candidate))
        })
        .collect()
}

impl Engine {
    /// Loads a profile by name, or the default of the market.
    pub fn resolve_profile(&self, name: Option<&str>, kind: Kind) -> Result<RankProfile> {
        let name = name.unwrap_or(RankProfile::default_name(kind.market()));
        self.profile(name)
    }

    /// Matches of the counterpart kind for a stored document.
    pub fn match_id(&self, id: &str, options: &MatchOptions) -> Result<Vec<MatchHit>> {
        self.run_match(self.query_of(&QuerySpec::Id(id.to_string()))?, options)
    }

    /// Matches of `target` kind for free text, read as a document of the
    /// counterpart kind, and what the text named besides its subject.
    pub fn match_text(
        &self,
        text: &str,
        target: Kind,
        options: &MatchOptions,
    ) -> Result<TextMatch> {
        let spec = QuerySpec::Text {
            text: text.to_string(),
            target,
        };
        let query = self.query_of(&spec)?;
        let understood = query.understood.clone().unwrap_or_default();
        let hits = self.run_match(query, options)?;
        Ok(TextMatch { understood, hits })
    }

    /// Candidates of a query with the `wanted` features, unranked (for evaluation and tuning).
    pub fn candidates(
        &self,
        spec: &QuerySpec,
        profile: &RankProfile,
        wanted: &[Feature],
    ) -> Result<Vec<Candidate>> {
        let mut query = self.query_of(spec)?;
        self.refined_candidates(&mut query, profile, &Filters::default(), wanted)
    }

    fn query_of(&self, spec: &QuerySpec) -> Result<Query> {
        let semantic = self.semantic();
        match spec {
            QuerySpec::Id(id) => {
                let doc = self.get(id)?;
                let vector = match &semantic {
                    Some(s) => Some(match s.vectors.vector(doc.kind, id) {
                        Some(v) => v,
                        None => s.embed_one(&crate::embed::embedding_text(&doc))?,
                    }),
                    None => None,
                };
                let (terms, certs) = match self.catalog.get(doc.kind, id) {
                    Some(entry) => (entry.terms.clone(), entry.certs.clone()),
                    None => (self.catalog.profile_of(&doc), f::normalized_certs(&doc)),
                };
                Ok(Query {
                    industry: f::industry_key(&doc),
                    doc,
                    terms,
                    certs,
                    vector,
                    understood: None,
                })
            }
            QuerySpec::Text { text, target } => {
                if text.trim().is_empty() {
                    return Err(
                        ValidationError::new("text", "is required and must not be empty").into(),
                    );
                }
                // The place and budget it names are weighed as fields, not words.
                let (hints, subject) = TextHints::read_with_subject(text);
                let mut doc = Document::new(target.counterpart(), subject, "");
                hints.apply(&mut doc);
                let vector = match &semantic {
                    Some(s) => Some(s.embed_one(&crate::embed::embedding_text(&doc))?),
                    None => None,
                };
                let terms = self.catalog.profile_of(&doc);
                let certs = f::normalized_certs(&doc);
                Ok(Query {
                    industry: f::industry_key(&doc),
                    doc,
                    terms,
                    certs,
                    vector,
                    understood: Some(hints),
                })
            }
        }
    }

    fn run_match(&self, mut query: Query, options: &MatchOptions) -> Result<Vec<MatchHit>> {
        let target = query.doc.kind.counterpart();
        let profile = self.resolve_profile(options.profile.as_deref(), target)?;
        let scored =
            self.refined_candidates(&mut query, &profile, &options.filters, &profile.features())?;
        let results = rank(&profile, scored, options.k);
        let matched = self.matched_terms(&query, results.iter().map(|(_, c)| &*c.entry));
        Ok(results
            .into_iter()
            .zip(matched)
            .map(|((mut explanation, candidate), matched)| {
                let doc = &candidate.entry.doc;
                explanation.matched_terms = matched;
                MatchHit {
                    id: doc.id.clone(),
                    kind: doc.kind,
                    title: doc.title.clone(),
                    score: explanation.score,
                    region: doc.region.clone(),
                    industry: doc.industry.clone(),
                    source: doc.source.clone(),
                    source_ref: doc.source_ref.clone(),
                    explanation: options.explain.then_some(explanation),
                }
            })
            .collect())
    }

    /// The words each result shares with the query, weightiest first (in the
    /// pair's demand → supply orientation).
    fn matched_terms<'a>(
        &self,
        query: &Query,
        results: impl Iterator<Item = &'a CatalogEntry>,
    ) -> Vec<Vec<String>> {
        let query_is_demand = is_demand(query.doc.kind);
        let supply_kind = supply_kind_for(query.doc.kind);
        let ids: Vec<Vec<u32>> = self.catalog.with_bm25(supply_kind, |bm25| {
            results
                .map(|entry| {
                    let pair = if query_is_demand {
                        bm25.pair(&query.terms, &entry.terms)
                    } else {
                        bm25.pair(&entry.terms, &query.terms)
                    };
                    pair.matched
                        .iter()
                        .take(MAX_MATCHED_TERMS)
                        .map(|(t, _)| *t)
                        .collect()
                })
                .collect()
        });
        ids.into_iter()
            .map(|t| self.catalog.term_names(t.into_iter()))
            .collect()
    }

    /// The scored candidates of a query (open documents unless `filters`
    /// say otherwise), and for a free-text query under a profile with
    /// feedback, scored once more with the query's vector moved toward the
    /// mean of its first results' vectors (Rocchio): q ← normalise(q + w ·
    /// mean). The first results are ranked by the same profile within the
    /// same filters; those without a vector are passed over. The second pass
    /// reuses the first's BM25 candidates, as the words have not changed.
    fn refined_candidates(
        &self,
        query: &mut Query,
        profile: &RankProfile,
        filters: &Filters,
        wanted: &[Feature],
    ) -> Result<Vec<Candidate>> {
        let mut filters = filters.clone();
        filters.status = Some(filters.status.unwrap_or(Status::Open));
        let lexical = self.lexical_candidates(query, profile, &filters)?;
        let scored = self.score_candidates(query, profile, &filters, wanted, &lexical)?;
        let feedback = profile.feedback;
        let (Some(semantic), Some(vector)) = (self.semantic(), query.vector.as_mut()) else {
            return Ok(scored);
        };
        if query.understood.is_none() || feedback.docs == 0 || vector.iter().all(|x| *x == 0.0) {
            return Ok(scored);
        }
        let target = query.doc.kind.counterpart();
        let mut mean = vec![0.0f32; vector.len()];
        let mut fed = 0usize;
        for (_, candidate) in rank(profile, scored, feedback.docs) {
            if let Some(theirs) = semantic.vectors.vector(target, &candidate.entry.doc.id) {
                mean.iter_mut().zip(&theirs).for_each(|(m, x)| *m += x);
                fed += 1;
            }
        }
        if fed > 0 {
            let scale = feedback.weight / fed as f32;
            vector
                .iter_mut()
                .zip(&mean)
                .for_each(|(q, m)| *q += scale * m);
            crate::embed::normalize(vector);
        }
        self.score_candidates(query, profile, &filters, wanted, &lexical)
    }

    /// Ids of the BM25 candidates of the counterpart kind: the query's most
    /// telling words (weight × idf among the targets) at the profile's depth,
    /// within `filters` (their status already set).
    fn lexical_candidates(
        &self,
        query: &Query,
        profile: &RankProfile,
        filters: &Filters,
    ) -> Result<Vec<String>> {
        if profile.candidates.bm25 == 0 {
            return Ok(Vec::new());
        }
        let target = query.doc.kind.counterpart();
        let mut weighted: Vec<(u32, f32)> = self.catalog.with_bm25(target, |bm25| {
            query
                .terms
                .query_terms
                .iter()
                .map(|(t, w)| (*t, w * bm25.idf(*t)))
                .collect()
        });
        weighted.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let words = self
            .catalog
            .term_names(weighted.iter().take(MAX_QUERY_TERMS).map(|(t, _)| *t));
        let found = self
            .fulltext
            .candidates(target, &words, filters, profile.candidates.bm25)?;
        Ok(found.into_iter().map(|(id, _)| id).collect())
    }

    /// Candidates of the counterpart kind (the `lexical` ones ∪ ANN at the
    /// profile's depth, within `filters`, their status already set), with the
    /// `wanted` features of each pair, minus those failing the profile's
    /// constraints.
    fn score_candidates(
        &self,
        query: &Query,
        profile: &RankProfile,
        filters: &Filters,
        wanted: &[Feature],
        lexical: &[String],
    ) -> Result<Vec<Candidate>> {
        let target = query.doc.kind.counterpart();
        let now = Utc::now();
        let today = now.date_naive();
        let semantic = self.semantic();
        // ANN candidates with their cosines, which need not be computed again.
        let mut ann: Vec<(String, f32)> = Vec::new();
        if let (Some(semantic), Some(vector)) = (&semantic, &query.vector) {
            if profile.candidates.ann > 0 && vector.iter().any(|x| *x != 0.0) {
                let filter = VectorFilter {
                    region_prefix: filters.region.clone(),
                    industry_prefix: filters
                        .industry
                        .clone()
                        .filter(|c| c.bytes().all(|b| b.is_ascii_digit())),
                    status: filters.status,
                    exclude_id: (!query.doc.id.is_empty()).then(|| query.doc.id.clone()),
                };
                ann = semantic
                    .vectors
                    .search(target, vector, profile.candidates.ann, &filter)?;
            }
        }
        // The union, first occurrence kept, without the query itself.
        let mut seen: FxHashSet<&str> = FxHashSet::default();
        seen.insert(&query.doc.id);
        let unique: Vec<&str> = lexical
            .iter()
            .map(String::as_str)
            .chain(ann.iter().map(|(id, _)| id.as_str()))
            .filter(|id| seen.insert(id))
            .collect();
        let entries: Vec<Arc<CatalogEntry>> = self
            .catalog
            .get_many(target, &unique)
            .into_iter()
            .filter(|entry| within_filters(&entry.doc, filters, today))
            .collect();
        let cosines: Vec<Option<f32>> = match (&semantic, &query.vector) {
            (Some(semantic), Some(vector)) => {
                let known: FxHashMap<&str, f32> =
                    ann.iter().map(|(id, c)| (id.as_str(), *c)).collect();
                let mut cosines: Vec<Option<f32>> = entries
                    .iter()
                    .map(|e| known.get(e.doc.id.as_str()).copied())
                    .collect();
                let missing: Vec<&str> = entries
                    .iter()
                    .zip(&cosines)
                    .filter(|(_, c)| c.is_none())
                    .map(|(e, _)| e.doc.id.as_str())
                    .collect();
                let computed = semantic.vectors.cosines(target, vector, &missing);
                for (slot, cosine) in cosines.iter_mut().filter(|c| c.is_none()).zip(computed) {
                    *slot = cosine;
                }
                cosines
            }
            _ => vec![None; entries.len()],
        };
        let query_is_demand = is_demand(query.doc.kind);
        let supply_kind = supply_kind_for(query.doc.kind);
        let wants_bm25 = wanted.contains(&Feature::Bm25);
        let scored = self.catalog.with_bm25(supply_kind, |bm25| {
            // The query's side is BM25's query when it is the demand, its
            // document otherwise; either is prepared once.
            let weighed_query = (wants_bm25 && query_is_demand).then(|| bm25.weigh(&query.terms));
            let query_as_document =
                (wants_bm25 && !query_is_demand).then(|| bm25.document(&query.terms));
            entries
                .iter()
                .zip(cosines)
                .enumerate()
                .filter_map(|(i, (entry, cosine))| {
                    // The records and then the term lists of the candidates
                    // a few places on, so their cache misses overlap.
                    if let Some(ahead) = entries.get(i + RECORD_AHEAD) {
                        ahead.prefetch_record();
                    }
                    if let Some(ahead) = entries.get(i + PAIR_DATA_AHEAD) {
                        // The candidate is BM25's query when it is the demand.
                        ahead.prefetch_pair_data(!query_is_demand);
                    }
                    let lexical = match (&weighed_query, &query_as_document) {
                        (Some(weighed), _) => bm25.ratio(weighed, &entry.terms),
                        (None, Some(document)) => bm25.ratio_against(&entry.terms, document),
                        (None, None) => 0.0,
                    };
                    let ours = Party {
                        doc: &query.doc,
                        certs: &query.certs,
                        industry: query.industry,
                    };
                    let theirs = Party {
                        doc: &entry.doc,
                        certs: &entry.certs,
                        industry: entry.industry,
                    };
                    let (demand, supply) = if query_is_demand {
                        (ours, theirs)
                    } else {
                        (theirs, ours)
                    };
                    let values =
                        pair_features(profile, wanted, (demand, supply), lexical, cosine, now);
                    let keep = passes(profile, demand.doc, &values);
                    keep.then(|| Candidate {
                        entry: Arc::clone(entry),
                        values,
                    })
                })
                .collect()
        });
        Ok(scored)
    }

    /// A stored profile by name.
    pub fn profile(&self, name: &str) -> Result<RankProfile> {
        self.store
            .profile(name)?
            .ok_or_else(|| Error::NotFound(format!("no rank profile `{name}`")))
    }
}

impl Engine {
    /// Nearest documents of the counterpart kind by cosine alone (no filters,
    /// open documents only), for inspecting the encoder.
    pub fn neighbors(&self, id: &str, k: usize) -> Result<Vec<(Document, f32)>> {
        let doc = self.get(id)?;
        let semantic = self
            .semantic()
            .ok_or_else(|| Error::NotFound("no encoder yet: the store is empty".into()))?;
        let vector = match semantic.vectors.vector(doc.kind, id) {
            Some(v) => v,
            None => semantic.embed_one(&crate::embed::embedding_text(&doc))?,
        };
        let filter = VectorFilter {
            status: Some(Status::Open),
            ..VectorFilter::default()
        };
        let target = doc.kind.counterpart();
        semantic
            .vectors
            .search(target, &vector, k, &filter)?
            .into_iter()
            .filter_map(|(id, cosine)| {
                self.store
                    .get(&id)
                    .transpose()
                    .map(|d| d.map(|d| (d, cosine)))
            })
            .collect()
    }
}
