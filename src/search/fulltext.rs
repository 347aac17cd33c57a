//! Full-text index: one tantivy index per document kind, jieba-tokenised text
//! fields (title boosted over body), and fast fields for filters. Each commit
//! records the store sequence number it reflects in the commit payload, so a
//! reopened index knows where to catch up from.

use super::ids::SegmentIds;
use super::max_score::{disjunction, top_by_max_score};
use super::query::{parse_query, ParsedQuery};
use crate::error::{Error, Result};
use crate::model::codes::{industries, regions, RegionTable};
use crate::model::{Document, Kind, Maturity, Status, ValidationError, ZjtxLevel};
use crate::store::Change;
use crate::text::{analysis_fingerprint, JiebaTokenizer, Mode, INDEX_TOKENIZER, QUERY_TOKENIZER};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use tantivy::collector::TopDocs;
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, Occur, PhraseQuery, Query, TermQuery,
};
use tantivy::schema::{
    Field, IndexRecordOption, NumericOptions, Schema, TextFieldIndexing, TextOptions, Value, FAST,
    STORED, STRING,
};
use tantivy::snippet::SnippetGenerator;
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

/// Bumped whenever the schema or the analysis changes: an index of another
/// version is rebuilt from the store.
const SCHEMA_VERSION: u32 = 3;
/// Weight of a title match relative to a body match.
pub const TITLE_BOOST: f32 = 2.0;
/// Weight of a match in tags, products, processes, certifications …
pub const EXTRA_BOOST: f32 = 1.5;
const WRITER_HEAP_BYTES: usize = 100_000_000;
/// Indexing threads of each kind's writer. One instead of two made a bulk
/// ingest 19% slower (`benches/ingest.rs`) with no difference under the mixed
/// load beyond the runs' noise (`benches/load.rs`: 2.20–2.69 ms of server CPU
/// per request with one, 2.47–2.58 with two).
const WRITER_THREADS: usize = 2;
const SNIPPET_CHARS: usize = 160;
/// Unfiltered candidate searches fetch `limit / STATUS_MARGIN_DIVISOR` extra
/// hits to make up for those of another status.
const STATUS_MARGIN_DIVISOR: usize = 4;

/// How much the BM25 candidate search inflates its pruning threshold (see
/// [`top_by_max_score`]): every hit scoring above twice the final cut-off is
/// found, those just above the cut-off may be passed over for the next best.
/// Measured on the shipped judgments, 1.3, 1.6 and 2.0 left every profile's
/// nDCG@10 where the exact search (1.0) had it (BM25-only recall@50 0.604 →
/// 0.601 at 2.0), while at 1M achievements the BM25-only match p50 fell from
/// 1.30 to 0.93 ms (measured with tantivy's block-max WAND, which MaxScore
/// replaced with the same slack and the same evaluation figures).
const CANDIDATE_SLACK: f32 = 2.0;

/// Structured filters of a search. Codes are validated and canonicalised by [`Filters::parse`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filters {
    /// Region prefix: 2 (province), 4 (city) or 6 (county) digits.
    pub region: Option<String>,
    /// Industry code at any level (section letter, division, group, class).
    pub industry: Option<String>,
    /// Only documents in this status; `None` means any status.
    pub status: Option<Status>,
    /// Only achievements / needs at this maturity.
    pub maturity: Option<Maturity>,
    /// Only suppliers at this 专精特新 level.
    pub zjtx_level: Option<ZjtxLevel>,
}

impl Filters {
    /// True when a filter other than status is set.
    pub fn restricts_beyond_status(&self) -> bool {
        self.region.is_some()
            || self.industry.is_some()
            || self.maturity.is_some()
            || self.zjtx_level.is_some()
    }

    /// Filters from user-supplied codes, refusing unknown ones with the field named.
    pub fn parse(
        region: Option<&str>,
        industry: Option<&str>,
        status: Option<Status>,
    ) -> Result<Filters> {
        let region = region
            .map(|code| {
                regions()
                    .normalize(code)
                    .map(|c| RegionTable::prefix(&c).to_string())
                    .ok_or_else(|| {
                        ValidationError::new(
                            "region",
                            format!("`{code}` is not a known region code"),
                        )
                    })
            })
            .transpose()?;
        let industry = industry
            .map(|code| {
                industries().normalize(code).ok_or_else(|| {
                    ValidationError::new("industry", format!("`{code}` is not a GB/T 4754 code"))
                })
            })
            .transpose()?;
        Ok(Filters {
            region,
            industry,
            status,
            ..Filters::default()
        })
    }
}

/// One search result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hit {
    /// Document id.
    pub id: String,
    /// BM25 score (title and extra fields boosted).
    pub score: f32,
    /// Title as stored.
    pub title: String,
    /// Body excerpt with matched terms in `<b>…</b>` (HTML-escaped otherwise).
    pub snippet: String,
}

#[derive(Clone, Copy)]
struct Fields {
    id: Field,
    title: Field,
    body: Field,
    extra: Field,
    /// Title (twice), body and extra fields in one field, frequencies only:
    /// matching's candidate search runs one term scorer per word on it
    /// instead of one per word and field.
    all: Field,
    region: Field,
    industry: Field,
    status: Field,
    maturity: Field,
    zjtx: Field,
    created: Field,
}

fn schema() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    let indexing = TextFieldIndexing::default()
        .set_tokenizer(INDEX_TOKENIZER)
        .set_index_option(IndexRecordOption::WithFreqsAndPositions);
    let stored_text = TextOptions::default()
        .set_indexing_options(indexing.clone())
        .set_stored();
    let text = TextOptions::default().set_indexing_options(indexing);
    let counted = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(INDEX_TOKENIZER)
            .set_index_option(IndexRecordOption::WithFreqs),
    );
    let fields = Fields {
        id: builder.add_text_field("id", STRING | STORED | FAST),
        title: builder.add_text_field("title", stored_text.clone()),
        body: builder.add_text_field("body", stored_text),
        extra: builder.add_text_field("extra", text),
        all: builder.add_text_field("all", counted),
        region: builder.add_text_field("region", STRING | FAST),
        industry: builder.add_text_field("industry", STRING | FAST),
        status: builder.add_text_field("status", STRING | FAST),
        maturity: builder.add_text_field("maturity", STRING | FAST),
        zjtx: builder.add_text_field("zjtx_level", STRING | FAST),
        created: builder.add_i64_field("created", NumericOptions::default().set_fast()),
    };
    (builder.build(), fields)
}

#[derive(Debug, Serialize, Deserialize)]
struct CommitPayload {
    seq: u64,
    schema: u32,
    #[serde(default)]
    analysis: u32,
}

/// The full-text index of one kind.
struct KindIndex {
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
    fields: Fields,
    ids: SegmentIds,
}

impl KindIndex {
    /// Opens the index in `dir`, or creates it empty when it is missing, of
    /// another schema or analysis version, never committed, or damaged (a
    /// file failing its checksum or unreadable): a derived index is rebuilt
    /// from the store, with a warning, rather than refusing to start. Returns
    /// the index and its committed sequence number.
    fn open(dir: &Path) -> Result<(KindIndex, u64)> {
        let (schema, fields) = schema();
        if dir.join("meta.json").exists() {
            let opened = Self::open_existing(dir, &schema)
                .and_then(|(index, seq)| Self::with_io(index, fields).map(|k| (k, seq)));
            match opened {
                Ok(found) => return Ok(found),
                // Another process holds the writer: not damage, never a reason to rebuild.
                Err(Error::FullText(e @ tantivy::TantivyError::LockFailure(..))) => {
                    return Err(Error::FullText(e))
                }
                Err(e) => {
                    tracing::warn!(dir = %dir.display(), reason = %e, "full-text index unusable: rebuilding from the store");
                }
            }
        }
        if dir.exists() {
            std::fs::remove_dir_all(dir)?;
        }
        std::fs::create_dir_all(dir)?;
        let index = Index::create_in_dir(dir, schema)?;
        Ok((Self::with_io(index, fields)?, 0))
    }

    /// Opens an index on disk and checks it: commit payload of this schema
    /// and analysis, the same schema, and every file of the committed
    /// segments passing its checksum. Returns it with its committed sequence number.
    fn open_existing(dir: &Path, schema: &Schema) -> Result<(Index, u64)> {
        let damaged = |why: String| Error::FullText(tantivy::TantivyError::InternalError(why));
        let index = Index::open_in_dir(dir)?;
        let payload = index
            .load_metas()?
            .payload
            .ok_or_else(|| damaged("no commit yet (an interrupted build)".into()))?;
        let payload: CommitPayload = serde_json::from_str(&payload)
            .map_err(|e| damaged(format!("commit payload cannot be read: {e}")))?;
        if payload.schema != SCHEMA_VERSION || index.schema() != *schema {
            return Err(damaged(format!(
                "schema version {}, expected {SCHEMA_VERSION}",
                payload.schema
            )));
        }
        if payload.analysis != analysis_fingerprint() {
            return Err(damaged(
                "built with another dictionary, stop-word list or thesaurus".into(),
            ));
        }
        let mut bad: Vec<String> = index
            .validate_checksum()?
            .into_iter()
            .map(|p| p.display().to_string())
            .collect();
        if !bad.is_empty() {
            bad.sort();
            return Err(damaged(format!("checksum mismatch in {}", bad.join(", "))));
        }
        Ok((index, payload.seq))
    }

    /// Registers the tokenizers and opens writer and reader (which opens
    /// every segment: a missing or truncated file fails here).
    fn with_io(index: Index, fields: Fields) -> Result<KindIndex> {
        index.tokenizers().register(
            INDEX_TOKENIZER,
            TextAnalyzer::from(JiebaTokenizer::new(Mode::Index)),
        );
        index.tokenizers().register(
            QUERY_TOKENIZER,
            TextAnalyzer::from(JiebaTokenizer::new(Mode::Query)),
        );
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        let writer: IndexWriter =
            index.writer_with_num_threads(WRITER_THREADS, WRITER_HEAP_BYTES)?;
        // No background merges: the crash test found, about one run in ten, a
        // replaced document's old copy alive again in a segment that tantivy's
        // merge policy had been merging while the replacement's delete came
        // in. Segments are merged by the engine instead, between syncs, when
        // no delete can arrive (`compact_segments`, `merge_segments`).
        writer.set_merge_policy(Box::new(tantivy::indexer::NoMergePolicy));
        // Files of a commit a crash interrupted (a delete file, a segment)
        // are not in `meta.json`; replaying the same changes would reach the
        // same operation stamp and fail on "file already exists". Remove them now.
        let collected = writer.garbage_collect_files().wait()?;
        if !collected.deleted_files.is_empty() {
            tracing::info!(
                files = collected.deleted_files.len(),
                "full-text index: files of an interrupted commit removed"
            );
        }
        Ok(KindIndex {
            reader,
            writer: Mutex::new(writer),
            fields,
            ids: SegmentIds::default(),
        })
    }

    fn to_tantivy(&self, doc: &Document) -> TantivyDocument {
        let f = self.fields;
        let mut out = TantivyDocument::new();
        out.add_text(f.id, &doc.id);
        out.add_text(f.title, &doc.title);
        out.add_text(f.body, &doc.body);
        let extra = doc.extra_text();
        out.add_text(f.extra, &extra);
        for text in [&doc.title, &doc.title, &doc.body, &extra] {
            out.add_text(f.all, text);
        }
        if let Some(region) = &doc.region {
            for prefix in RegionTable::path(region) {
                out.add_text(f.region, prefix);
            }
        }
        if let Some(industry) = &doc.industry {
            for code in industries().path(industry) {
                out.add_text(f.industry, code);
            }
        }
        out.add_text(f.status, doc.status.as_str());
        if let Some(m) = doc.maturity {
            out.add_text(f.maturity, m.as_str());
        }
        if let Some(z) = doc.zjtx_level {
            out.add_text(f.zjtx, z.as_str());
        }
        out.add_i64(
            f.created,
            doc.created_at.map(|t| t.timestamp()).unwrap_or(0),
        );
        out
    }
}

fn lock<T>(m: &Mutex<T>) -> Result<std::sync::MutexGuard<'_, T>> {
    m.lock()
        .map_err(|_| Error::Internal("index writer lock poisoned".into()))
}

/// The full-text indexes of all four kinds.
pub struct FullText {
    dir: PathBuf,
    kinds: BTreeMap<Kind, KindIndex>,
    committed_seq: AtomicU64,
}

impl FullText {
    /// Opens the indexes under `dir` (one sub-directory per kind). The committed
    /// sequence number is the lowest over the kinds, so catching up from it
    /// misses nothing.
    pub fn open(dir: &Path) -> Result<FullText> {
        let mut kinds = BTreeMap::new();
        let mut committed_seq = u64::MAX;
        for kind in Kind::ALL {
            let (index, seq) = KindIndex::open(&dir.join(kind.as_str()))?;
            committed_seq = committed_seq.min(seq);
            kinds.insert(kind, index);
        }
        Ok(FullText {
            dir: dir.to_path_buf(),
            kinds,
            committed_seq: AtomicU64::new(committed_seq),
        })
    }

    /// Directory holding the indexes.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Store sequence number the committed indexes reflect.
    pub fn committed_seq(&self) -> u64 {
        self.committed_seq.load(Ordering::Acquire)
    }

    fn kind(&self, kind: Kind) -> &KindIndex {
        &self.kinds[&kind]
    }

    /// Stages changes in the writers; they become visible at [`FullText::commit`].
    /// On failure every writer is rolled back to its last commit.
    pub fn apply(&self, changes: &[(u64, Change)]) -> Result<()> {
        let staged = self.stage(changes);
        if staged.is_err() {
            self.discard();
        }
        staged
    }

    /// Merges each kind's segments into one and reloads the readers. A bulk
    /// load leaves one segment per indexing thread and commit, and a query
    /// collects its top hits segment by segment, so after a bulk load fewer
    /// segments are faster to search. Blocks the kind's writer until its merge
    /// is done; committed data and the committed sequence number stay.
    pub fn merge_segments(&self) -> Result<()> {
        let merged = self.merge_picked(|metas| {
            if metas.len() < 2 {
                return Vec::new();
            }
            metas.iter().map(|m| m.id()).collect()
        })?;
        for (kind, segments, secs) in merged {
            tracing::info!(
                kind = kind.as_str(),
                segments,
                secs,
                "full-text segments merged into one"
            );
        }
        Ok(())
    }

    /// Merges the segments of each kind that has more than `max` into two:
    /// its largest segment stays as it is, every other one is merged into a
    /// new one, so the cost is that of the small segments the commits since
    /// the last merge left.
    pub fn compact_segments(&self, max: usize) -> Result<()> {
        let merged = self.merge_picked(|mut metas| {
            if metas.len() <= max {
                return Vec::new();
            }
            metas.sort_by_key(|m| std::cmp::Reverse(m.max_doc()));
            metas[1..].iter().map(|m| m.id()).collect()
        })?;
        for (kind, segments, _) in merged {
            tracing::debug!(
                kind = kind.as_str(),
                merged = segments,
                "small full-text segments merged"
            );
        }
        Ok(())
    }

    /// Merges, for each kind, the searchable segments `pick` chooses (none
    /// when it picks none), holding the kind's writer until the merge is
    /// done, and reloads its reader; returns each merge's kind, segment count
    /// and seconds. A merge tantivy refuses or that fails leaves the segments
    /// as they were, with a warning: merging only makes searches faster.
    fn merge_picked(
        &self,
        pick: impl Fn(Vec<tantivy::index::SegmentMeta>) -> Vec<tantivy::index::SegmentId>,
    ) -> Result<Vec<(Kind, usize, f64)>> {
        let mut merged = Vec::new();
        for (kind, index) in &self.kinds {
            let mut writer = lock(&index.writer)?;
            let ids = pick(writer.index().searchable_segment_metas()?);
            if ids.is_empty() {
                continue;
            }
            let started = std::time::Instant::now();
            if let Err(error) = writer.merge(&ids).wait() {
                tracing::warn!(kind = kind.as_str(), segments = ids.len(), %error, "full-text segments not merged");
                continue;
            }
            index.reader.reload()?;
            merged.push((*kind, ids.len(), started.elapsed().as_secs_f64()));
        }
        Ok(merged)
    }

    /// Rolls every writer back to its last commit, dropping staged changes
    /// (they are staged again from the committed sequence number).
    fn discard(&self) {
        for (kind, index) in &self.kinds {
            let rolled = lock(&index.writer).and_then(|mut w| Ok(w.rollback()?));
            if let Err(e) = rolled {
                tracing::warn!(%kind, error = %e, "full-text writer could not be rolled back");
            }
        }
    }

    fn stage(&self, changes: &[(u64, Change)]) -> Result<()> {
        for (_, change) in changes {
            let index = self.kind(change.kind());
            let writer = lock(&index.writer)?;
            match change {
                Change::Upsert(doc) => {
                    writer.delete_term(Term::from_field_text(index.fields.id, &doc.id));
                    writer.add_document(index.to_tantivy(doc))?;
                }
                Change::Delete { id, .. } => {
                    writer.delete_term(Term::from_field_text(index.fields.id, id));
                }
            }
        }
        Ok(())
    }

    /// Commits every kind with `seq` as the sequence number reached, and
    /// reloads the readers. A failed commit rolls every writer back: the
    /// committed sequence number stays, and the next sync stages the changes
    /// again (re-staging a change is idempotent: delete by id, then add).
    pub fn commit(&self, seq: u64) -> Result<()> {
        let committed = self.commit_all(seq);
        if committed.is_err() {
            self.discard();
        }
        committed
    }

    fn commit_all(&self, seq: u64) -> Result<()> {
        let payload = serde_json::to_string(&CommitPayload {
            seq,
            schema: SCHEMA_VERSION,
            analysis: analysis_fingerprint(),
        })
        .map_err(|e| Error::Internal(e.to_string()))?;
        for index in self.kinds.values() {
            let mut writer = lock(&index.writer)?;
            let mut prepared = writer.prepare_commit()?;
            prepared.set_payload(&payload);
            prepared.commit()?;
            index.reader.reload()?;
        }
        self.committed_seq.store(seq, Ordering::Release);
        Ok(())
    }

    /// BM25 candidates of `kind` for already-analysed query terms: ids and
    /// scores of the top `limit` within `filters`, without snippets.
    pub fn candidates(
        &self,
        kind: Kind,
        terms: &[String],
        filters: &Filters,
        limit: usize,
    ) -> Result<Vec<(String, f32)>> {
        let index = self.kind(kind);
        let f = index.fields;
        if terms.is_empty() {
            return Ok(Vec::new());
        }
        let terms: Vec<Term> = terms
            .iter()
            .map(|t| Term::from_field_text(f.all, t))
            .collect();
        let searcher = index.reader.searcher();
        let resolver = index.ids.resolver(&searcher)?;
        let filtered_search = || -> Result<Vec<(String, f32)>> {
            let query = filtered(&f, Box::new(disjunction(&terms)), filters);
            let top = searcher.search(&query, &TopDocs::with_limit(limit).order_by_score())?;
            Ok(top
                .into_iter()
                .filter_map(|(score, a)| resolver.id(a).map(|id| (id.to_string(), score)))
                .collect())
        };
        if filters.restricts_beyond_status() {
            return filtered_search();
        }
        // A bare disjunction of terms can skip what cannot reach the top
        // (MaxScore); a filter clause would turn it into a full evaluation of
        // the union. So the status filter is checked on the hits' fast field,
        // over a margin of extra hits; when the margin is not enough, the
        // search with the filter clause answers instead.
        let fetched = limit + limit / STATUS_MARGIN_DIVISOR;
        let top = top_by_max_score(&searcher, &terms, fetched, CANDIDATE_SLACK)?;
        let exhausted = top.len() < fetched;
        let wanted = filters.status.map(|s| s.as_str());
        let mut status_ords: Vec<Option<(tantivy::columnar::StrColumn, Option<u64>)>> =
            vec![None; searcher.segment_readers().len()];
        let mut found = Vec::with_capacity(limit);
        for (score, address) in top {
            if found.len() == limit {
                break;
            }
            if let Some(wanted) = wanted {
                let slot = &mut status_ords[address.segment_ord as usize];
                if slot.is_none() {
                    let column = searcher
                        .segment_reader(address.segment_ord)
                        .fast_fields()
                        .str("status")?
                        .ok_or_else(|| Error::Internal("status is not a fast field".into()))?;
                    let ord = column.dictionary().term_ord(wanted)?;
                    *slot = Some((column, ord));
                }
                let (column, ord) = slot.as_ref().expect("filled above");
                if ord.is_none_or(|ord| column.term_ords(address.doc_id).next() != Some(ord)) {
                    continue;
                }
            }
            if let Some(id) = resolver.id(address) {
                found.push((id.to_string(), score));
            }
        }
        if found.len() < limit && !exhausted {
            return filtered_search();
        }
        Ok(found)
    }

    /// Ids of `kind` that more than one live document carries (see
    /// [`crate::search::ids::IdResolver::duplicate_ids`]); a scan of the id
    /// column through the same per-segment tables matching reads.
    pub fn duplicate_ids(&self, kind: Kind) -> Result<Vec<String>> {
        let index = self.kind(kind);
        let searcher = index.reader.searcher();
        Ok(index.ids.resolver(&searcher)?.duplicate_ids(&searcher))
    }

    /// Number of searchable segments of `kind` (as of the last reload).
    pub fn segments(&self, kind: Kind) -> usize {
        self.kind(kind).reader.searcher().segment_readers().len()
    }

    /// Number of documents (of every status) indexed for `kind`.
    pub fn num_docs(&self, kind: Kind) -> u64 {
        self.kind(kind).reader.searcher().num_docs()
    }

    /// BM25 search of `kind`: top `limit` hits for `text` within `filters`, with
    /// snippets. An empty text with filters lists matching documents unscored.
    pub fn search(
        &self,
        kind: Kind,
        text: &str,
        filters: &Filters,
        limit: usize,
    ) -> Result<Vec<Hit>> {
        let index = self.kind(kind);
        let f = index.fields;
        let parsed = parse_query(text);
        let text_query = text_query(&f, &parsed);
        let has_text = text_query.is_some();
        if !has_text && !text.trim().is_empty() {
            // Only stop words or punctuation: nothing can match.
            return Ok(Vec::new());
        }
        let query = filtered(
            &f,
            text_query.unwrap_or_else(|| Box::new(AllQuery)),
            filters,
        );
        let searcher = index.reader.searcher();
        let top = searcher.search(&query, &TopDocs::with_limit(limit.max(1)).order_by_score())?;
        let mut snippets = if has_text {
            let mut generator = SnippetGenerator::create(&searcher, &query, f.body)?;
            generator.set_max_num_chars(SNIPPET_CHARS);
            Some(generator)
        } else {
            None
        };
        let mut hits = Vec::with_capacity(top.len());
        for (score, address) in top {
            let stored: TantivyDocument = searcher.doc(address)?;
            let text_of = |field: Field| {
                stored
                    .get_first(field)
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default()
            };
            let snippet = match snippets.as_mut() {
                Some(generator) => render_snippet(&generator.snippet_from_doc(&stored)),
                None => html_escape_prefix(&text_of(f.body), SNIPPET_CHARS),
            };
            hits.push(Hit {
                id: text_of(f.id),
                score,
                title: text_of(f.title),
                snippet,
            });
        }
        Ok(hits)
    }
}

/// The query [`FullText::search`] runs for `text` within `filters`, for other
/// readers of the same indexes (such as [`super::facets`]); `None` when the
/// text holds only stop words or punctuation, so nothing can match.
pub fn search_query(text: &str, filters: &Filters) -> Option<BooleanQuery> {
    let (_, f) = schema();
    let parsed = parse_query(text);
    let text_query = text_query(&f, &parsed);
    if text_query.is_none() && !text.trim().is_empty() {
        return None;
    }
    Some(filtered(
        &f,
        text_query.unwrap_or_else(|| Box::new(AllQuery)),
        filters,
    ))
}

impl FullText {
    /// Facet counts (province, industry division, maturity, 专精特新 level) of
    /// the documents of `kind` that [`FullText::search`] matches for `text` within `filters`.
    pub fn facets(
        &self,
        kind: Kind,
        text: &str,
        filters: &Filters,
    ) -> Result<super::facets::FacetCounts> {
        match search_query(text, filters) {
            Some(query) => super::facets::count(&self.kind(kind).reader.searcher(), &query),
            None => Ok(super::facets::FacetCounts::default()),
        }
    }
}

/// `query` restricted by `filters` (filter clauses do not score).
fn filtered(f: &Fields, query: Box<dyn Query>, filters: &Filters) -> BooleanQuery {
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, query)];
    let mut filter = |field: Field, value: &str| {
        let term = Term::from_field_text(field, value);
        clauses.push((
            Occur::Must,
            Box::new(ConstScoreQuery::new(
                Box::new(TermQuery::new(term, IndexRecordOption::Basic)),
                0.0,
            )),
        ));
    };
    if let Some(region) = &filters.region {
        filter(f.region, region);
    }
    if let Some(industry) = &filters.industry {
        filter(f.industry, industry);
    }
    if let Some(status) = filters.status {
        filter(f.status, status.as_str());
    }
    if let Some(maturity) = filters.maturity {
        filter(f.maturity, maturity.as_str());
    }
    if let Some(zjtx) = filters.zjtx_level {
        filter(f.zjtx, zjtx.as_str());
    }
    BooleanQuery::new(clauses)
}

/// Text fields searched, with their boosts.
fn text_fields(f: &Fields) -> [(Field, f32); 3] {
    [
        (f.title, TITLE_BOOST),
        (f.body, 1.0),
        (f.extra, EXTRA_BOOST),
    ]
}

/// Free terms: one `Should` clause per term and field (title and extra fields
/// boosted). Phrases: each must occur, in any of the fields.
fn text_query(f: &Fields, parsed: &ParsedQuery) -> Option<Box<dyn Query>> {
    if parsed.is_empty() {
        return None;
    }
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    for term in &parsed.terms {
        for (field, boost) in text_fields(f) {
            let q = TermQuery::new(
                Term::from_field_text(field, term),
                IndexRecordOption::WithFreqs,
            );
            clauses.push((Occur::Should, Box::new(BoostQuery::new(Box::new(q), boost))));
        }
    }
    for phrase in &parsed.phrases {
        let per_field: Vec<(Occur, Box<dyn Query>)> = text_fields(f)
            .into_iter()
            .map(|(field, boost)| {
                let terms = phrase
                    .iter()
                    .map(|t| Term::from_field_text(field, t))
                    .collect();
                let q: Box<dyn Query> =
                    Box::new(BoostQuery::new(Box::new(PhraseQuery::new(terms)), boost));
                (Occur::Should, q)
            })
            .collect();
        clauses.push((Occur::Must, Box::new(BooleanQuery::new(per_field))));
    }
    Some(Box::new(BooleanQuery::new(clauses)))
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The snippet as HTML with matches in `<b>`. Sub-words overlap their words
/// (电池 inside 锂电池), so highlighted ranges are merged before rendering;
/// tantivy's own `to_html` assumes disjoint ranges.
fn render_snippet(snippet: &tantivy::snippet::Snippet) -> String {
    let fragment = snippet.fragment();
    // Overlapping tokens can make tantivy report empty or reversed ranges: drop them.
    let mut ranges: Vec<std::ops::Range<usize>> = snippet
        .highlighted()
        .iter()
        .filter(|r| r.start < r.end)
        .cloned()
        .collect();
    ranges.sort_by_key(|r| (r.start, std::cmp::Reverse(r.end)));
    let mut merged: Vec<std::ops::Range<usize>> = Vec::new();
    for r in ranges {
        match merged.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => merged.push(r),
        }
    }
    let mut html = String::with_capacity(fragment.len() + merged.len() * 7);
    let mut at = 0;
    for r in merged {
        let (start, end) = (r.start.min(fragment.len()), r.end.min(fragment.len()));
        if start >= end
            || start < at
            || !fragment.is_char_boundary(start)
            || !fragment.is_char_boundary(end)
        {
            continue;
        }
        html.push_str(&html_escape(&fragment[at..start]));
        html.push_str("<b>");
        html.push_str(&html_escape(&fragment[start..end]));
        html.push_str("</b>");
        at = end;
    }
    html.push_str(&html_escape(&fragment[at..]));
    html
}

fn html_escape_prefix(text: &str, chars: usize) -> String {
    let prefix: String = text.chars().take(chars).collect();
    html_escape(&prefix)
}
