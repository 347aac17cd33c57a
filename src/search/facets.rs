//! Facet counts of a search: how many matching documents fall in each province,
//! industry division, maturity and 专精特新 level. A tantivy collector counts
//! the fast-field term ordinals of every matching document per segment and
//! resolves them to codes once, at the end.
//!
//! [`FacetReader`] opens the full-text indexes read-only beside the engine's
//! writer, so a caller holding only the data directory can count facets.

use super::fulltext::{search_query, Filters};
use crate::error::Result;
use crate::model::codes::{industries, regions};
use crate::model::Kind;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::StrColumn;
use tantivy::query::Query;
use tantivy::{
    DocId, Index, IndexReader, ReloadPolicy, Score, Searcher, SegmentOrdinal, SegmentReader,
};

/// Fast fields counted, and the facet each feeds.
const FACET_FIELDS: [(&str, Facet); 4] = [
    ("region", Facet::Region),
    ("industry", Facet::Industry),
    ("maturity", Facet::Maturity),
    ("zjtx_level", Facet::ZjtxLevel),
];

/// A faceted dimension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Facet {
    /// Province (two-digit region prefix).
    Region,
    /// GB/T 4754 division (two digits).
    Industry,
    /// Maturity.
    Maturity,
    /// 专精特新 level.
    ZjtxLevel,
}

impl Facet {
    /// The facet value of an indexed term, if the term is one (regions and
    /// industries index every level of their code; only provinces and
    /// divisions are facets).
    fn value(self, term: &str) -> Option<String> {
        match self {
            Facet::Region => (term.len() == 2).then(|| term.to_string()),
            Facet::Industry => (term.len() == 2 && term.bytes().all(|b| b.is_ascii_digit()))
                .then(|| term.to_string()),
            Facet::Maturity | Facet::ZjtxLevel => Some(term.to_string()),
        }
    }
}

/// One facet value and its count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FacetValue {
    /// Code: province (2 digits), industry division (2 digits), maturity or level name.
    pub value: String,
    /// Human-readable name (Chinese), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Matching documents with this value.
    pub count: u64,
}

/// Facet counts of a search, each list largest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FacetCounts {
    /// Matching documents in all.
    pub total: u64,
    /// By province.
    pub region: Vec<FacetValue>,
    /// By GB/T 4754 division.
    pub industry: Vec<FacetValue>,
    /// By maturity (needs and achievements).
    pub maturity: Vec<FacetValue>,
    /// By 专精特新 level (suppliers).
    pub zjtx_level: Vec<FacetValue>,
}

impl FacetCounts {
    /// Adds another kind's counts to these.
    pub fn merge(&mut self, other: FacetCounts) {
        self.total += other.total;
        for (mine, theirs) in [
            (&mut self.region, other.region),
            (&mut self.industry, other.industry),
            (&mut self.maturity, other.maturity),
            (&mut self.zjtx_level, other.zjtx_level),
        ] {
            for value in theirs {
                match mine.iter_mut().find(|v| v.value == value.value) {
                    Some(v) => v.count += value.count,
                    None => mine.push(value),
                }
            }
            sort(mine);
        }
    }
}

fn sort(values: &mut [FacetValue]) {
    values.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
}

fn name_of(facet: Facet, value: &str) -> Option<String> {
    match facet {
        Facet::Region => regions()
            .get(&format!("{value}0000"))
            .map(|r| r.name.clone()),
        Facet::Industry => industries().get(value).map(|i| i.name.clone()),
        Facet::Maturity | Facet::ZjtxLevel => None,
    }
}

/// Counts facet values of every document a query matches.
pub struct FacetCollector;

/// Per-segment counts: ordinal counts per fast field, resolved at harvest.
pub struct FacetSegmentCollector {
    total: u64,
    columns: Vec<(Facet, Option<StrColumn>, Vec<u64>)>,
}

/// What one segment counted: matches, and counts per facet value.
pub type SegmentFruit = (u64, Vec<(Facet, BTreeMap<String, u64>)>);

impl Collector for FacetCollector {
    type Fruit = FacetCounts;
    type Child = FacetSegmentCollector;

    fn for_segment(
        &self,
        _: SegmentOrdinal,
        segment: &SegmentReader,
    ) -> tantivy::Result<Self::Child> {
        let mut columns = Vec::with_capacity(FACET_FIELDS.len());
        for (field, facet) in FACET_FIELDS {
            let column = segment.fast_fields().str(field)?;
            let terms = column.as_ref().map_or(0, |c| c.num_terms());
            columns.push((facet, column, vec![0u64; terms]));
        }
        Ok(FacetSegmentCollector { total: 0, columns })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<SegmentFruit>) -> tantivy::Result<FacetCounts> {
        let mut merged: BTreeMap<u8, BTreeMap<String, u64>> = BTreeMap::new();
        let mut counts = FacetCounts::default();
        for (total, facets) in fruits {
            counts.total += total;
            for (facet, values) in facets {
                let slot = merged.entry(facet as u8).or_default();
                for (value, n) in values {
                    *slot.entry(value).or_default() += n;
                }
            }
        }
        for (_, facet) in FACET_FIELDS {
            let values = merged.remove(&(facet as u8)).unwrap_or_default();
            let mut list: Vec<FacetValue> = values
                .into_iter()
                .map(|(value, count)| FacetValue {
                    name: name_of(facet, &value),
                    value,
                    count,
                })
                .collect();
            sort(&mut list);
            match facet {
                Facet::Region => counts.region = list,
                Facet::Industry => counts.industry = list,
                Facet::Maturity => counts.maturity = list,
                Facet::ZjtxLevel => counts.zjtx_level = list,
            }
        }
        Ok(counts)
    }
}

impl SegmentCollector for FacetSegmentCollector {
    type Fruit = SegmentFruit;

    fn collect(&mut self, doc: DocId, _: Score) {
        self.total += 1;
        for (_, column, counts) in &mut self.columns {
            if let Some(column) = column {
                for ord in column.term_ords(doc) {
                    if let Some(n) = counts.get_mut(ord as usize) {
                        *n += 1;
                    }
                }
            }
        }
    }

    fn harvest(self) -> SegmentFruit {
        let mut out = Vec::with_capacity(self.columns.len());
        let mut term = String::new();
        for (facet, column, counts) in self.columns {
            let mut values = BTreeMap::new();
            if let Some(column) = column {
                for (ord, n) in counts.into_iter().enumerate() {
                    if n == 0 {
                        continue;
                    }
                    if matches!(column.ord_to_str(ord as u64, &mut term), Ok(true)) {
                        if let Some(value) = facet.value(&term) {
                            *values.entry(value).or_default() += n;
                        }
                    }
                }
            }
            out.push((facet, values));
        }
        (self.total, out)
    }
}

/// Facet counts of `query` over one searcher.
pub fn count(searcher: &Searcher, query: &dyn Query) -> Result<FacetCounts> {
    Ok(searcher.search(query, &FacetCollector)?)
}

/// Read-only readers of the full-text indexes of a data directory, for facet counts.
pub struct FacetReader {
    readers: BTreeMap<Kind, IndexReader>,
}

impl FacetReader {
    /// Opens the indexes under `fulltext_dir` (the engine's `DATA/fulltext`) for reading.
    pub fn open(fulltext_dir: &Path) -> Result<FacetReader> {
        let mut readers = BTreeMap::new();
        for kind in Kind::ALL {
            let index = Index::open_in_dir(fulltext_dir.join(kind.as_str()))?;
            let reader = index
                .reader_builder()
                .reload_policy(ReloadPolicy::Manual)
                .try_into()?;
            readers.insert(kind, reader);
        }
        Ok(FacetReader { readers })
    }

    /// Picks up the latest commit of every kind.
    pub fn reload(&self) -> Result<()> {
        for reader in self.readers.values() {
            reader.reload()?;
        }
        Ok(())
    }

    /// Documents of a kind in the last reloaded commit.
    pub fn num_docs(&self, kind: Kind) -> u64 {
        self.readers[&kind].searcher().num_docs()
    }

    /// Facet counts of the documents of `kind` that [`super::fulltext::FullText::search`]
    /// would match for `text` within `filters`.
    pub fn facets(&self, kind: Kind, text: &str, filters: &Filters) -> Result<FacetCounts> {
        match search_query(text, filters) {
            Some(query) => count(&self.readers[&kind].searcher(), &query),
            None => Ok(FacetCounts::default()),
        }
    }
}
