//! Document ids of search hits, read from the `id` fast column through a
//! per-segment cache of its dictionary.
//!
//! Resolving a term ordinal to its string decompresses a dictionary block
//! (zstd) on every call; a match resolves hundreds of candidates. Segments are
//! immutable, so each segment's ordinal → id table is built once by streaming
//! its dictionary and reused until the segment is merged away.

use crate::error::Result;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tantivy::columnar::StrColumn;
use tantivy::index::SegmentId;
use tantivy::{DocAddress, Searcher};

/// Name of the fast field holding document ids.
const ID_FIELD: &str = "id";

/// A segment's opened `id` column and its ordinal → id table.
type SegmentTable = (StrColumn, Arc<Vec<String>>);

/// The opened `id` column and ordinal → id table of the segments seen, by
/// segment (opening the column costs as much as resolving a match's ids).
#[derive(Default)]
pub struct SegmentIds {
    tables: Mutex<HashMap<SegmentId, SegmentTable>>,
}

/// Id resolver for one searcher's segments.
pub struct IdResolver {
    segments: Vec<Option<SegmentTable>>,
}

impl IdResolver {
    /// The id of the document at `address`, if it has one.
    pub fn id(&self, address: DocAddress) -> Option<&str> {
        let (column, table) = self.segments.get(address.segment_ord as usize)?.as_ref()?;
        let ord = column.term_ords(address.doc_id).next()?;
        table.get(ord as usize).map(String::as_str)
    }
}

impl IdResolver {
    /// Ids that more than one live document of `searcher` (the searcher this
    /// resolver was made for) carries, sorted. An upsert deletes by id before
    /// it adds, so a healthy index has none.
    pub fn duplicate_ids(&self, searcher: &Searcher) -> Vec<String> {
        let mut seen: HashMap<&str, u32> = HashMap::new();
        for (segment_ord, reader) in searcher.segment_readers().iter().enumerate() {
            for doc in reader.doc_ids_alive() {
                if let Some(id) = self.id(DocAddress::new(segment_ord as u32, doc)) {
                    *seen.entry(id).or_default() += 1;
                }
            }
        }
        let mut twice: Vec<String> = seen
            .into_iter()
            .filter(|(_, n)| *n > 1)
            .map(|(id, _)| id.to_string())
            .collect();
        twice.sort();
        twice
    }
}

impl SegmentIds {
    /// A resolver for `searcher`, building the tables of segments not seen
    /// before and forgetting those no longer searched.
    pub fn resolver(&self, searcher: &Searcher) -> Result<IdResolver> {
        let mut tables = self.tables.lock().unwrap_or_else(|e| e.into_inner());
        let mut segments = Vec::with_capacity(searcher.segment_readers().len());
        for reader in searcher.segment_readers() {
            if let Some(known) = tables.get(&reader.segment_id()) {
                segments.push(Some(known.clone()));
                continue;
            }
            let Some(column) = reader.fast_fields().str(ID_FIELD)? else {
                segments.push(None);
                continue;
            };
            let table = Arc::new(ordinal_table(&column)?);
            tables.insert(reader.segment_id(), (column.clone(), table.clone()));
            segments.push(Some((column, table)));
        }
        let live: Vec<SegmentId> = searcher
            .segment_readers()
            .iter()
            .map(|r| r.segment_id())
            .collect();
        tables.retain(|id, _| live.contains(id));
        Ok(IdResolver { segments })
    }
}

/// Every term of the column's dictionary, by ordinal.
fn ordinal_table(column: &StrColumn) -> Result<Vec<String>> {
    let mut table = Vec::with_capacity(column.num_terms());
    let mut stream = column.dictionary().stream()?;
    while stream.advance() {
        table.push(String::from_utf8_lossy(stream.key()).into_owned());
    }
    Ok(table)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::collector::TopDocs;
    use tantivy::query::AllQuery;
    use tantivy::schema::Field;
    use tantivy::schema::{Schema, FAST, STRING};
    use tantivy::{doc, Index, IndexWriter};

    /// An in-memory index of the id field alone, and its writer.
    fn id_index() -> (Field, Index, IndexWriter) {
        let mut builder = Schema::builder();
        let id = builder.add_text_field(ID_FIELD, STRING | FAST);
        let index = Index::create_in_ram(builder.build());
        let writer = index.writer(15_000_000).unwrap();
        (id, index, writer)
    }

    #[test]
    fn duplicate_ids_are_found_and_deleted_ones_ignored() {
        let (id, index, mut writer) = id_index();
        for value in ["a", "b", "c"] {
            writer.add_document(doc!(id => value)).unwrap();
        }
        writer.commit().unwrap();
        // "b" replaced properly (delete, then add); "c" added twice.
        writer.delete_term(tantivy::Term::from_field_text(id, "b"));
        writer.add_document(doc!(id => "b")).unwrap();
        writer.add_document(doc!(id => "c")).unwrap();
        writer.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        let resolver = SegmentIds::default().resolver(&searcher).unwrap();
        assert_eq!(resolver.duplicate_ids(&searcher), vec!["c".to_string()]);
    }

    #[test]
    fn ids_resolve_across_segments_and_after_merges() {
        let (id, index, mut writer) = id_index();
        let cache = SegmentIds::default();
        let reader = index.reader().unwrap();
        let mut expected = Vec::new();
        for batch in 0..3 {
            for i in 0..5 {
                let value = format!("doc-{batch}-{i}");
                writer.add_document(doc!(id => value.clone())).unwrap();
                expected.push(value);
            }
            writer.commit().unwrap();
            reader.reload().unwrap();
            let searcher = reader.searcher();
            let resolver = cache.resolver(&searcher).unwrap();
            let mut found: Vec<String> = searcher
                .search(&AllQuery, &TopDocs::with_limit(100).order_by_score())
                .unwrap()
                .into_iter()
                .map(|(_, a)| resolver.id(a).unwrap().to_string())
                .collect();
            found.sort();
            assert_eq!(found, expected);
        }
        let segments = index.searchable_segment_ids().unwrap();
        assert_eq!(segments.len(), 3);
        writer.merge(&segments).wait().unwrap();
        writer.commit().unwrap();
        reader.reload().unwrap();
        let searcher = reader.searcher();
        let resolver = cache.resolver(&searcher).unwrap();
        let mut found: Vec<String> = (0..15)
            .map(|d| resolver.id(DocAddress::new(0, d)).unwrap().to_string())
            .collect();
        found.sort();
        assert_eq!(found, expected);
        assert_eq!(
            cache.tables.lock().unwrap().len(),
            1,
            "merged-away segments are forgotten"
        );
    }
}
