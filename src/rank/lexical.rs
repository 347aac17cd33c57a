//! The lexical side of ranking: a forward index of every document's terms
//! (weighted by field) with per-kind document frequencies, so that BM25 can be
//! computed for any pair of documents in a fixed orientation (the demand
//! side's words as the query, the supply side as the document). That makes the
//! `bm25` feature a function of the pair alone: the same whichever side asks.

use crate::model::Document;
use crate::text::{Analyzer, Mode, Thesaurus};
use rustc_hash::FxHashMap as HashMap;
use std::sync::{Arc, RwLock};

/// BM25 term-frequency saturation.
pub const K1: f32 = 1.2;
/// BM25 length normalisation.
pub const B: f32 = 0.75;
/// Field weights when counting term frequencies (title, body, extra).
pub const FIELD_WEIGHTS: [f32; 3] = [2.0, 1.0, 1.5];
/// Query weight of a term that joins through a thesaurus concept (a query
/// word weighs at least 1), shared among the word's concepts.
pub const EXPANSION_WEIGHT: f32 = 0.3;
/// Query weight of a dictionary word inside a query word (电池 in 锂电池)
/// that is not a query word itself: documents are indexed with these
/// sub-words, so a compound the documents never use (塑料件) still finds
/// them through its parts (塑料), below the whole word.
pub const SUBWORD_WEIGHT: f32 = 0.5;

/// Interned term ids, shared by all kinds.
#[derive(Default)]
pub struct Interner {
    ids: RwLock<HashMap<Arc<str>, u32>>,
    names: RwLock<Vec<Arc<str>>>,
}

impl Interner {
    /// Id of a term, creating it when new.
    pub fn intern(&self, term: &str) -> u32 {
        if let Some(id) = self.ids.read().expect("interner lock").get(term) {
            return *id;
        }
        let mut ids = self.ids.write().expect("interner lock");
        if let Some(id) = ids.get(term) {
            return *id;
        }
        let mut names = self.names.write().expect("interner lock");
        let id = names.len() as u32;
        let name: Arc<str> = Arc::from(term);
        names.push(name.clone());
        ids.insert(name, id);
        id
    }

    /// Id of a known term.
    pub fn get(&self, term: &str) -> Option<u32> {
        self.ids.read().expect("interner lock").get(term).copied()
    }

    /// The text of a term id.
    pub fn name(&self, id: u32) -> Arc<str> {
        self.names.read().expect("interner lock")[id as usize].clone()
    }
}

/// The terms of one document, in both roles.
#[derive(Debug, Clone, Default)]
pub struct TermProfile {
    /// As a document: (term, field-weighted frequency), index granularity, sorted by term.
    pub doc_terms: Vec<(u32, f32)>,
    /// Field-weighted length in words.
    pub doc_len: f32,
    /// As a query: (term, weight 1 + ln(weighted frequency)), query granularity, sorted by term.
    pub query_terms: Vec<(u32, f32)>,
}

fn collect(counts: HashMap<u32, f32>) -> Vec<(u32, f32)> {
    let mut v: Vec<(u32, f32)> = counts.into_iter().collect();
    v.sort_by_key(|(t, _)| *t);
    v
}

impl TermProfile {
    /// Analyses title, body and the extra fields of a document.
    pub fn of(doc: &Document, interner: &Interner) -> TermProfile {
        Self::of_fields([&doc.title, &doc.body, &doc.extra_text()], interner)
    }

    /// Analyses three fields (title, body, extra).
    pub fn of_fields(fields: [&str; 3], interner: &Interner) -> TermProfile {
        let analyzer = Analyzer::shared();
        let mut doc_counts: HashMap<u32, f32> = HashMap::default();
        let mut query_counts: HashMap<u32, f32> = HashMap::default();
        let mut doc_len = 0.0;
        for (text, weight) in fields.iter().zip(FIELD_WEIGHTS) {
            let terms = analyzer.analyze(text, Mode::Index);
            doc_len += weight * terms.last().map_or(0, |t| t.position + 1) as f32;
            for term in terms {
                *doc_counts.entry(interner.intern(&term.text)).or_default() += weight;
            }
            for term in analyzer.analyze(text, Mode::Query) {
                *query_counts.entry(interner.intern(&term.text)).or_default() += weight;
            }
        }
        let mut query_terms: HashMap<u32, f32> = query_counts
            .into_iter()
            .map(|(t, c)| (t, 1.0 + c.ln().max(0.0)))
            .collect();
        // Concept expansion: the other terms of a query word's thesaurus
        // concepts join the query at a low weight, so 土豆 also finds 马铃薯.
        let thesaurus = Thesaurus::shared();
        let mut expansion: HashMap<u32, f32> = HashMap::default();
        let mut words: Vec<u32> = query_terms.keys().copied().collect();
        words.sort();
        // Index-granularity terms (the document's) that are not whole words.
        for term in doc_counts.keys() {
            query_terms.entry(*term).or_insert(SUBWORD_WEIGHT);
        }
        for term in words {
            let name = interner.name(term);
            let concepts = thesaurus.concepts_of(&name);
            if concepts.is_empty() {
                continue;
            }
            let share = EXPANSION_WEIGHT / concepts.len() as f32;
            for line in concepts {
                for other in &thesaurus.lines()[*line] {
                    *expansion.entry(interner.intern(other)).or_default() += share;
                }
            }
        }
        for (term, weight) in expansion {
            query_terms
                .entry(term)
                .or_insert(weight.min(EXPANSION_WEIGHT));
        }
        TermProfile {
            doc_terms: collect(doc_counts),
            doc_len,
            query_terms: collect(query_terms),
        }
    }
}

/// Document frequencies and lengths of one kind (the supply side of BM25).
///
/// BM25's idf, `ln(1 + (N - df + 0.5) / (df + 0.5))`, is `ln(N + 1) -
/// ln(df + 0.5)`: the second part is kept per term, indexed by term id and
/// updated only when the term's df changes, so an idf is one subtraction and
/// one array read however many documents came and went.
#[derive(Debug, Default, Clone)]
pub struct Collection {
    /// Document frequency by term id (ids past the end: 0).
    df: Vec<u32>,
    /// `ln(df + 0.5)` by term id (ids past the end: `ln 0.5`).
    ln_df: Vec<f32>,
    docs: u64,
    total_len: f64,
}

/// `ln(df + 0.5)` of a term no document has.
const LN_HALF: f32 = -std::f32::consts::LN_2;

impl Collection {
    /// Counts a document in.
    pub fn add(&mut self, profile: &TermProfile) {
        if let Some((last, _)) = profile.doc_terms.last() {
            // Terms are sorted, so the last has the largest id.
            let len = *last as usize + 1;
            if self.df.len() < len {
                self.df.resize(len, 0);
                self.ln_df.resize(len, LN_HALF);
            }
        }
        for (t, _) in &profile.doc_terms {
            self.set_df(*t as usize, self.df[*t as usize] + 1);
        }
        self.docs += 1;
        self.total_len += profile.doc_len as f64;
    }

    /// Counts a document out.
    pub fn remove(&mut self, profile: &TermProfile) {
        for (t, _) in &profile.doc_terms {
            if let Some(n) = self.df.get(*t as usize).copied().filter(|n| *n > 0) {
                self.set_df(*t as usize, n - 1);
            }
        }
        self.docs = self.docs.saturating_sub(1);
        self.total_len = (self.total_len - profile.doc_len as f64).max(0.0);
    }

    fn set_df(&mut self, term: usize, df: u32) {
        self.df[term] = df;
        self.ln_df[term] = (df as f32 + 0.5).ln();
    }

    /// `ln(N + 1)`, the part of every idf that depends on the collection's size.
    fn ln_docs(&self) -> f32 {
        (self.docs as f32 + 1.0).ln()
    }

    /// Document frequency of a term.
    #[cfg(test)]
    fn df(&self, term: u32) -> u32 {
        self.df.get(term as usize).copied().unwrap_or(0)
    }

    /// `ln(df + 0.5)` of a term.
    #[inline]
    fn ln_df(&self, term: u32) -> f32 {
        self.ln_df.get(term as usize).copied().unwrap_or(LN_HALF)
    }

    fn avg_len(&self) -> f32 {
        if self.docs == 0 {
            1.0
        } else {
            (self.total_len / self.docs as f64).max(1.0) as f32
        }
    }
}

/// BM25 of a pair: the score, its share of the best score the query could
/// reach (all its terms matched at saturation), and the matched terms with
/// their contributions, largest first.
#[derive(Debug, Clone, Default)]
pub struct PairBm25 {
    /// Raw BM25 score.
    pub score: f32,
    /// `score` over the query's maximum, in [0, 1].
    pub ratio: f32,
    /// Matched term ids and their contributions.
    pub matched: Vec<(u32, f32)>,
}

/// Pair BM25 of many pairs against one collection.
pub struct Bm25Scorer<'c> {
    collection: &'c Collection,
    avg_len: f32,
    ln_docs: f32,
}

impl<'c> Bm25Scorer<'c> {
    /// A scorer over the statistics of `collection` (the supply kind's).
    pub fn new(collection: &'c Collection) -> Bm25Scorer<'c> {
        Bm25Scorer {
            collection,
            avg_len: collection.avg_len(),
            ln_docs: collection.ln_docs(),
        }
    }

    /// Inverse document frequency of a term in the collection.
    #[inline]
    pub fn idf(&self, term: u32) -> f32 {
        self.ln_docs - self.collection.ln_df(term)
    }

    /// The query side of a pair weighed once: each query term's weight × idf.
    pub fn weigh(&self, query: &TermProfile) -> WeighedQuery {
        let terms: Vec<(u32, f32)> = query
            .query_terms
            .iter()
            .map(|(term, weight)| (*term, self.term_weight(*term, *weight)))
            .collect();
        let best = terms.iter().map(|(_, w)| w).sum();
        let mask = TermMask::of(&terms);
        WeighedQuery { terms, best, mask }
    }

    /// The document side of pairs whose query side varies (a candidate's
    /// terms): its length norm and term mask, worked out once.
    pub fn document<'d>(&self, doc: &'d TermProfile) -> FixedDocument<'d> {
        FixedDocument {
            terms: &doc.doc_terms,
            norm: self.norm(doc),
            mask: TermMask::of(&doc.doc_terms),
        }
    }

    /// The pair's BM25 share (as [`Bm25Scorer::ratio`]) of `query`, weighed on
    /// the fly, against a fixed document: one pass over the query's terms and
    /// no allocation, with the same sums in the same order, so the same value.
    pub fn ratio_against(&self, query: &TermProfile, doc: &FixedDocument) -> f32 {
        let mut best = -0.0;
        let mut score = 0.0;
        for &(term, weight) in &query.query_terms {
            let weight = self.term_weight(term, weight);
            best += weight;
            if let Some(tf) = doc.mask.find(doc.terms, term) {
                score += weight * tf / (tf + doc.norm);
            }
        }
        share(score, best)
    }

    /// A query term's BM25 weight: its query weight × idf × (k1 + 1).
    #[inline]
    fn term_weight(&self, term: u32, weight: f32) -> f32 {
        weight * self.idf(term) * (K1 + 1.0)
    }

    /// BM25's length normalisation of a document.
    fn norm(&self, doc: &TermProfile) -> f32 {
        K1 * (1.0 - B + B * doc.doc_len / self.avg_len)
    }

    /// The pair's BM25 share of the query's best (see [`PairBm25::ratio`]).
    pub fn ratio(&self, query: &WeighedQuery, doc: &TermProfile) -> f32 {
        self.run(query, doc, None).1
    }

    /// The pair's BM25 with its matched terms, largest contribution first.
    pub fn pair(&self, query: &TermProfile, doc: &TermProfile) -> PairBm25 {
        let query = self.weigh(query);
        let mut matched = Vec::new();
        let (score, ratio) = self.run(&query, doc, Some(&mut matched));
        matched.sort_by(|a, b| b.1.total_cmp(&a.1));
        PairBm25 {
            score,
            ratio,
            matched,
        }
    }

    /// (score, ratio), pushing matched terms and contributions when asked.
    fn run(
        &self,
        query: &WeighedQuery,
        doc: &TermProfile,
        mut matched: Option<&mut Vec<(u32, f32)>>,
    ) -> (f32, f32) {
        let norm = self.norm(doc);
        let mut score = 0.0;
        // The document's terms, ascending, each looked up among the query's.
        for &(term, tf) in &doc.doc_terms {
            let Some(weight) = query.mask.find(&query.terms, term) else {
                continue;
            };
            let contribution = weight * tf / (tf + norm);
            score += contribution;
            if let Some(m) = matched.as_deref_mut() {
                m.push((term, contribution));
            }
        }
        (score, share(score, query.best))
    }
}

/// `score` as a share of `best`, in [0, 1].
fn share(score: f32, best: f32) -> f32 {
    if best > 0.0 {
        (score / best).clamp(0.0, 1.0)
    } else {
        0.0
    }
}

/// Bits in a [`TermMask`]: 1 KB, built once per match, so that a query of a
/// few hundred terms (sub-words and thesaurus expansions included) sets only
/// a few per cent of them (1,024 bits let a tenth or more of the document's
/// terms through to the search: matching p50 3–4% slower at 100k and 1M).
const MASK_BITS: usize = 8192;
const MASK_WORDS: usize = MASK_BITS / 64;

/// A set of term ids folded into [`MASK_BITS`] bits: rules out most terms
/// outside the set in one test, far cheaper than a step of a merge or search.
#[derive(Debug, Clone)]
struct TermMask([u64; MASK_WORDS]);

impl TermMask {
    fn of(terms: &[(u32, f32)]) -> TermMask {
        let mut mask = [0u64; MASK_WORDS];
        for (term, _) in terms {
            let bit = *term as usize % MASK_BITS;
            mask[bit / 64] |= 1 << (bit % 64);
        }
        TermMask(mask)
    }

    /// The value of `term` in `terms` (sorted by term; the list this mask was
    /// made of): most terms not in it are ruled out by the mask alone, far
    /// cheaper than a step of a merge or a search.
    #[inline]
    fn find(&self, terms: &[(u32, f32)], term: u32) -> Option<f32> {
        let bit = term as usize % MASK_BITS;
        if self.0[bit / 64] & (1 << (bit % 64)) == 0 {
            return None;
        }
        let i = terms.binary_search_by_key(&term, |(t, _)| *t).ok()?;
        Some(terms[i].1)
    }
}

/// Query terms with their BM25 weight (query weight × idf × (k1 + 1)),
/// sorted by term, and the score of a document matching all at saturation.
#[derive(Debug, Clone)]
pub struct WeighedQuery {
    terms: Vec<(u32, f32)>,
    best: f32,
    mask: TermMask,
}

/// A document's terms, length norm and term mask (see [`Bm25Scorer::document`]).
#[derive(Debug, Clone)]
pub struct FixedDocument<'d> {
    terms: &'d [(u32, f32)],
    norm: f32,
    mask: TermMask,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(interner: &Interner, title: &str, body: &str) -> TermProfile {
        TermProfile::of_fields([title, body, ""], interner)
    }

    #[test]
    fn matching_words_score_and_rarer_words_weigh_more() {
        let interner = Interner::default();
        let docs = [
            profile(&interner, "高镍三元正极材料", "提高锂电池能量密度"),
            profile(&interner, "锂电池回收", "锂电池拆解"),
            profile(&interner, "茶叶加工", "绿茶"),
        ];
        let mut collection = Collection::default();
        docs.iter().for_each(|d| collection.add(d));
        let query = profile(&interner, "锂电池正极材料", "");
        let first = Bm25Scorer::new(&collection).pair(&query, &docs[0]);
        let second = Bm25Scorer::new(&collection).pair(&query, &docs[1]);
        let third = Bm25Scorer::new(&collection).pair(&query, &docs[2]);
        assert!(first.score > second.score && second.score > 0.0);
        assert_eq!(third.score, 0.0);
        assert!(first.ratio > 0.0 && first.ratio <= 1.0);
        let top: Vec<Arc<str>> = first
            .matched
            .iter()
            .map(|(t, _)| interner.name(*t))
            .collect();
        assert_eq!(
            &*top[0], "正极材料",
            "the rarer term contributes most: {top:?}"
        );
    }

    #[test]
    fn a_compound_query_word_finds_documents_through_its_parts_below_the_whole_word() {
        let interner = Interner::default();
        let docs = [
            profile(&interner, "锂电池", "锂电池拆解"),
            profile(&interner, "电池", "电池拆解"),
            profile(&interner, "茶叶加工", "绿茶"),
        ];
        let mut collection = Collection::default();
        docs.iter().for_each(|d| collection.add(d));
        let query = profile(&interner, "锂电池", "");
        let weight = |name: &str| {
            let id = interner.get(name).expect("interned");
            query
                .query_terms
                .iter()
                .find(|(t, _)| *t == id)
                .map(|(_, w)| *w)
        };
        assert_eq!(weight("锂电池"), Some(2.0f32.ln() + 1.0));
        assert_eq!(weight("电池"), Some(SUBWORD_WEIGHT));
        let scorer = Bm25Scorer::new(&collection);
        let whole = scorer.pair(&query, &docs[0]);
        let part = scorer.pair(&query, &docs[1]);
        assert!(part.score > 0.0, "电池 is found through 锂电池's part");
        assert!(whole.score > part.score);
        assert_eq!(scorer.pair(&query, &docs[2]).score, 0.0);
    }

    #[test]
    fn pair_bm25_sums_exactly_the_shared_terms() {
        // Term ids far past the mask's width, so that masked bits collide.
        let mut state = 7u64;
        let mut next = move || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) as u32
        };
        let mut terms = |n: usize| {
            let mut v: Vec<(u32, f32)> = (0..n)
                .map(|_| (next() % 5_000, 1.0 + (next() % 4) as f32))
                .collect();
            v.sort_by_key(|(t, _)| *t);
            v.dedup_by_key(|(t, _)| *t);
            v
        };
        let mut collection = Collection::default();
        let docs: Vec<TermProfile> = (0..40)
            .map(|_| {
                let doc_terms = terms(300);
                TermProfile {
                    doc_len: doc_terms.iter().map(|(_, f)| f).sum(),
                    doc_terms,
                    query_terms: terms(120),
                }
            })
            .collect();
        docs.iter().for_each(|d| collection.add(d));
        let scorer = Bm25Scorer::new(&collection);
        let avg_len = collection.avg_len();
        for query in &docs {
            for doc in &docs {
                let norm = K1 * (1.0 - B + B * doc.doc_len / avg_len);
                let mut expected = 0.0;
                let mut shared = Vec::new();
                for (term, weight) in &query.query_terms {
                    if let Some((_, tf)) = doc.doc_terms.iter().find(|(t, _)| t == term) {
                        let w = weight * textbook_idf(&collection, *term) * (K1 + 1.0);
                        expected += w * tf / (tf + norm);
                        shared.push(*term);
                    }
                }
                let pair = scorer.pair(query, doc);
                assert!(
                    (pair.score - expected).abs() <= 1e-4 * expected.max(1.0),
                    "{} vs {expected}",
                    pair.score
                );
                let fixed = scorer.document(doc);
                assert_eq!(scorer.ratio_against(query, &fixed), pair.ratio);
                let mut matched: Vec<u32> = pair.matched.iter().map(|(t, _)| *t).collect();
                matched.sort();
                assert_eq!(matched, shared);
            }
        }
    }

    #[test]
    fn removing_a_document_restores_the_statistics() {
        let interner = Interner::default();
        let a = profile(&interner, "锂电池", "正极");
        let b = profile(&interner, "茶叶", "绿茶");
        let mut collection = Collection::default();
        collection.add(&a);
        let before = collection.clone();
        collection.add(&b);
        collection.remove(&b);
        assert_eq!(collection.docs, before.docs);
        for (term, _) in a.doc_terms.iter().chain(&b.doc_terms) {
            assert_eq!(collection.df(*term), before.df(*term));
            assert_eq!(collection.ln_df(*term), before.ln_df(*term));
        }
        assert!(b.doc_terms.iter().any(|(t, _)| before.df(*t) == 0));
    }

    /// BM25's idf as textbooks write it.
    fn textbook_idf(collection: &Collection, term: u32) -> f32 {
        let n = collection.docs as f32;
        let df = collection.df(term) as f32;
        (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
    }

    #[test]
    fn idf_is_the_textbook_formula_for_known_and_unknown_terms() {
        let interner = Interner::default();
        let mut collection = Collection::default();
        for (title, body) in [("锂电池", "正极"), ("茶叶", "绿茶"), ("锂电池", "负极")]
        {
            collection.add(&profile(&interner, title, body));
        }
        let scorer = Bm25Scorer::new(&collection);
        let common = interner.get("锂电池").unwrap();
        let rare = interner.get("茶叶").unwrap();
        let unknown = interner.intern("从未出现的词");
        for term in [common, rare, unknown, u32::MAX] {
            let expected = textbook_idf(&collection, term);
            assert!((scorer.idf(term) - expected).abs() < 1e-5, "term {term}");
        }
        assert!(scorer.idf(rare) > scorer.idf(common));
        assert!(scorer.idf(unknown) > scorer.idf(rare));
    }
}
