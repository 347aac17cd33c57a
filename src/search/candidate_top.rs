//! The collector behind BM25 candidate retrieval: the top `limit` hits by
//! score, found with an inflated pruning threshold ("approximate WAND",
//! Broder et al., 2003).
//!
//! Block-max WAND skips every block whose best possible score cannot beat the
//! current threshold, the `limit`-th best score so far. Candidates are
//! re-scored by the ranking core, so their exact order, and which documents
//! sit just at the border of the top `limit`, hardly matter; telling the
//! index to skip what cannot beat `slack` × that score lets it skip far more
//! blocks of long posting lists. Every hit scoring above `slack` times the
//! final threshold is still found, so the best candidates are exact; the
//! ones below may be replaced by the next best. A slack of 1 is the exact
//! top `limit`.

use super::best_k::BestK;
use std::cmp::Ordering;
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::query::Weight;
use tantivy::{DocAddress, DocId, Score, SegmentOrdinal, SegmentReader};

/// Top `limit` hits by score with an inflated pruning threshold.
pub struct CandidateTop {
    limit: usize,
    slack: Score,
}

impl CandidateTop {
    /// At most `limit` hits (at least one); `slack` ≥ 1 inflates the threshold.
    pub fn new(limit: usize, slack: Score) -> CandidateTop {
        CandidateTop {
            limit: limit.max(1),
            slack: slack.max(1.0),
        }
    }
}

/// A hit, ordered better first: higher score, then lower doc.
#[derive(Clone, Copy)]
struct Hit {
    score: Score,
    doc: DocId,
}

impl PartialEq for Hit {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Hit {}

impl PartialOrd for Hit {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Hit {
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .score
            .total_cmp(&self.score)
            .then_with(|| self.doc.cmp(&other.doc))
    }
}

/// The best `limit` hits of one segment.
pub struct SegmentTop {
    segment: SegmentOrdinal,
    best: BestK<Hit>,
}

impl SegmentTop {
    fn new(limit: usize, segment: SegmentOrdinal) -> SegmentTop {
        SegmentTop {
            segment,
            best: BestK::new(limit),
        }
    }

    /// Keeps the hit if it is among the best; returns the `limit`-th best score
    /// once there are `limit` hits.
    fn push(&mut self, doc: DocId, score: Score) -> Option<Score> {
        self.best.offer(Hit { score, doc });
        self.best.worst_when_full().map(|h| h.score)
    }
}

impl SegmentCollector for SegmentTop {
    type Fruit = Vec<(Score, DocAddress)>;

    fn collect(&mut self, doc: DocId, score: Score) {
        self.push(doc, score);
    }

    fn harvest(self) -> Self::Fruit {
        let segment = self.segment;
        self.best
            .into_sorted_vec()
            .into_iter()
            .map(|h| (h.score, DocAddress::new(segment, h.doc)))
            .collect()
    }
}

impl Collector for CandidateTop {
    type Fruit = Vec<(Score, DocAddress)>;
    type Child = SegmentTop;

    fn for_segment(
        &self,
        segment: SegmentOrdinal,
        _reader: &SegmentReader,
    ) -> tantivy::Result<SegmentTop> {
        Ok(SegmentTop::new(self.limit, segment))
    }

    fn requires_scoring(&self) -> bool {
        true
    }

    /// All segments' hits, best first (ties by address), at most `limit`.
    fn merge_fruits(&self, fruits: Vec<Vec<(Score, DocAddress)>>) -> tantivy::Result<Self::Fruit> {
        let mut all: Vec<(Score, DocAddress)> = fruits.into_iter().flatten().collect();
        all.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        all.truncate(self.limit);
        Ok(all)
    }

    fn collect_segment(
        &self,
        weight: &dyn Weight,
        segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<Vec<(Score, DocAddress)>> {
        let mut top = SegmentTop::new(self.limit, segment);
        let alive = reader.alive_bitset();
        let mut threshold = Score::MIN;
        weight.for_each_pruning(Score::MIN, reader, &mut |doc, score| {
            if alive.is_some_and(|a| a.is_deleted(doc)) {
                return threshold;
            }
            if let Some(kth) = top.push(doc, score) {
                threshold = if kth > 0.0 { kth * self.slack } else { kth };
            }
            threshold
        })?;
        Ok(top.harvest())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::collector::TopDocs;
    use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
    use tantivy::schema::{IndexRecordOption, Schema, TEXT};
    use tantivy::{doc, Index, Term};

    /// 3,000 documents over a 40-word vocabulary with skewed frequencies
    /// (pseudo-random, fixed seed), and a 12-word disjunction over it.
    fn index_and_query() -> (Index, Box<dyn Query>) {
        let mut builder = Schema::builder();
        let body = builder.add_text_field("body", TEXT);
        let index = Index::create_in_ram(builder.build());
        let mut writer = index.writer(15_000_000).expect("writer");
        let mut state: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..3_000 {
            let len = 3 + next() % 30;
            let words: Vec<String> = (0..len)
                .map(|_| {
                    // Squaring skews the draw toward low word numbers.
                    let r = (next() % 1_000) as f64 / 1_000.0;
                    format!("w{}", (r * r * 40.0) as u32)
                })
                .collect();
            writer
                .add_document(doc!(body => words.join(" ")))
                .expect("add");
        }
        writer.commit().expect("commit");
        let clauses: Vec<(Occur, Box<dyn Query>)> = [0, 1, 2, 3, 5, 8, 13, 17, 21, 25, 30, 38]
            .iter()
            .map(|n| {
                let term = Term::from_field_text(body, &format!("w{n}"));
                let q: Box<dyn Query> =
                    Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs));
                (Occur::Should, q)
            })
            .collect();
        (index, Box::new(BooleanQuery::new(clauses)))
    }

    #[test]
    fn without_slack_it_is_the_exact_top_and_with_slack_it_keeps_every_clear_winner() {
        let (index, query) = index_and_query();
        let searcher = index.reader().expect("reader").searcher();
        let limit = 200;
        let exact = searcher
            .search(&query, &TopDocs::with_limit(limit).order_by_score())
            .expect("exact");
        assert_eq!(exact.len(), limit);
        let plain = searcher
            .search(&query, &CandidateTop::new(limit, 1.0))
            .expect("slack 1");
        let scores =
            |hits: &[(Score, DocAddress)]| -> Vec<Score> { hits.iter().map(|(s, _)| *s).collect() };
        assert_eq!(scores(&plain), scores(&exact));

        let slack = 1.2;
        let approximate = searcher
            .search(&query, &CandidateTop::new(limit, slack))
            .expect("slack 2");
        assert_eq!(approximate.len(), limit);
        let cutoff = exact[limit - 1].0;
        let found: std::collections::HashSet<DocAddress> =
            approximate.iter().map(|(_, a)| *a).collect();
        let clear: Vec<&(Score, DocAddress)> =
            exact.iter().filter(|(s, _)| *s > slack * cutoff).collect();
        // The slack took effect: the border of the list changed.
        let unchanged = approximate
            .iter()
            .zip(&exact)
            .filter(|(a, b)| a.1 == b.1)
            .count();
        assert!(unchanged < limit, "slack {slack} skipped nothing");
        assert!(!clear.is_empty(), "the query should have clear winners");
        for (score, address) in clear {
            assert!(found.contains(address), "lost a hit scoring {score}");
        }
        // Whatever it returns, it returns with its true score, best first.
        assert!(approximate.windows(2).all(|w| w[0].0 >= w[1].0));
        let exact_score: std::collections::HashMap<DocAddress, Score> = searcher
            .search(&query, &TopDocs::with_limit(3_000).order_by_score())
            .expect("all")
            .into_iter()
            .map(|(s, a)| (a, s))
            .collect();
        for (score, address) in &approximate {
            let true_score = exact_score.get(address).copied().unwrap_or(f32::NAN);
            assert!((true_score - score).abs() < 1e-4, "{score} vs {true_score}");
        }
    }

    #[test]
    fn a_segment_keeps_the_best_hits_and_reports_the_kth_score_once_full() {
        let mut top = SegmentTop::new(3, 0);
        assert_eq!(top.push(1, 1.0), None);
        assert_eq!(top.push(2, 5.0), None);
        assert_eq!(top.push(3, 3.0), Some(1.0));
        assert_eq!(top.push(4, 4.0), Some(3.0));
        assert_eq!(top.push(5, 0.5), Some(3.0));
        let mut kept: Vec<DocId> = top.harvest().into_iter().map(|(_, a)| a.doc_id).collect();
        kept.sort();
        assert_eq!(kept, vec![2, 3, 4]);
    }

    #[test]
    fn equal_scores_keep_the_lower_doc() {
        let mut top = SegmentTop::new(1, 0);
        top.push(7, 2.0);
        top.push(3, 2.0);
        top.push(9, 2.0);
        let kept: Vec<DocId> = top.harvest().into_iter().map(|(_, a)| a.doc_id).collect();
        assert_eq!(kept, vec![3]);
    }
}
