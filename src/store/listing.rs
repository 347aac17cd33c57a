//! Paged listing of the live documents of one kind, in id order, with a
//! caller-supplied predicate. Each page scans a bounded number of records, so
//! a sparse filter answers with a short page and a cursor rather than a long wait.

use super::record::Record;
use super::Store;
use crate::error::Result;
use crate::model::{Document, Kind};
use std::ops::Bound;

/// Records examined per page at most, whatever the filter.
const MAX_SCAN: usize = 20_000;

/// One page of a listing.
#[derive(Debug, Clone)]
pub struct Page {
    /// Documents in id order.
    pub items: Vec<Document>,
    /// Id to pass as `after` for the next page; `None` at the end.
    pub next: Option<String>,
}

impl Store {
    /// Live documents of `kind` with an id after `after`, for which `keep` holds,
    /// at most `limit` of them.
    pub fn list(
        &self,
        kind: Kind,
        after: Option<&str>,
        limit: usize,
        keep: impl Fn(&Document) -> bool,
    ) -> Result<Page> {
        let start = match after {
            Some(id) => Bound::Excluded(id.as_bytes().to_vec()),
            None => Bound::Unbounded,
        };
        let mut items = Vec::new();
        let mut scanned = 0;
        let mut last: Option<String> = None;
        for entry in self.docs.range::<Vec<u8>, _>((start, Bound::Unbounded)) {
            let (key, value) = entry?;
            scanned += 1;
            last = Some(String::from_utf8_lossy(&key).into_owned());
            if let Record::Live { doc, .. } = Record::decode(&key, &value)? {
                if doc.kind == kind && keep(&doc) {
                    items.push(*doc);
                    if items.len() >= limit {
                        break;
                    }
                }
            }
            if scanned >= MAX_SCAN {
                break;
            }
        }
        let more = items.len() >= limit || scanned >= MAX_SCAN;
        let next = match (more, last) {
            (true, Some(id)) => {
                // Past the last key there is nothing: say so instead of a cursor.
                let after_last = self
                    .docs
                    .range::<Vec<u8>, _>((
                        Bound::Excluded(id.as_bytes().to_vec()),
                        Bound::Unbounded,
                    ))
                    .next()
                    .is_some();
                after_last.then_some(id)
            }
            _ => None,
        };
        Ok(Page { items, next })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_follow_the_cursor_and_skip_other_kinds() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        for i in 0..5 {
            let mut d = Document::new(Kind::Need, format!("需求{i}"), "正文");
            d.id = format!("N{i}");
            d.owner = "x".into();
            store.put(d).unwrap();
        }
        let mut s = Document::new(Kind::Supplier, "企业", "正文");
        s.id = "N2a".into();
        s.owner = "y".into();
        store.put(s).unwrap();
        let first = store.list(Kind::Need, None, 2, |_| true).unwrap();
        assert_eq!(first.items.len(), 2);
        let second = store
            .list(Kind::Need, first.next.as_deref(), 10, |_| true)
            .unwrap();
        let ids: Vec<_> = second.items.iter().map(|d| d.id.as_str()).collect();
        assert_eq!(ids, ["N2", "N3", "N4"]);
        assert!(second.next.is_none());
    }
}
