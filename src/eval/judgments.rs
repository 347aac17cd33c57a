//! Judgments: JSON lines `{"query_id", "doc_id", "grade"}` (grade 0–3), and
//! optionally query definitions `{"query_id", "text", "kind"}` for queries that
//! are free text rather than stored documents (`kind` is the kind of the
//! results). A `doc_id` may be a document id or a `source_ref` (such as a CSL
//! record id); the engine resolves both.

use crate::error::Result;
use crate::model::{Kind, ValidationError};
use serde::Deserialize;
use std::collections::BTreeMap;

/// One graded pair.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Judgment {
    /// Query: a stored document id, or the id of a query definition.
    pub query_id: String,
    /// Judged document (id or source_ref).
    pub doc_id: String,
    /// 0 not relevant, 1 marginal, 2 relevant, 3 highly relevant.
    pub grade: u8,
}

/// A free-text query.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueryDef {
    /// Id the judgments refer to.
    pub query_id: String,
    /// Query text.
    pub text: String,
    /// Kind of the results.
    pub kind: Kind,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Line {
    Judgment(Judgment),
    Query(QueryDef),
}

/// Judgments grouped by query.
#[derive(Debug, Clone, Default)]
pub struct JudgmentSet {
    /// query id → (doc id → grade).
    pub grades: BTreeMap<String, BTreeMap<String, u8>>,
    /// Free-text query definitions by id.
    pub queries: BTreeMap<String, QueryDef>,
}

impl JudgmentSet {
    /// Query ids in order.
    pub fn query_ids(&self) -> Vec<String> {
        self.grades.keys().cloned().collect()
    }

    /// The subset with these queries.
    pub fn subset(&self, ids: &[String]) -> JudgmentSet {
        JudgmentSet {
            grades: ids
                .iter()
                .filter_map(|id| self.grades.get(id).map(|g| (id.clone(), g.clone())))
                .collect(),
            queries: self.queries.clone(),
        }
    }
}

/// Parses judgment lines; a bad line is refused with its number.
pub fn parse_judgments(text: &str) -> Result<JudgmentSet> {
    let mut set = JudgmentSet::default();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let parsed: Line = serde_json::from_str(line).map_err(|e| {
            ValidationError::new(
                format!("line {}", i + 1),
                format!("not a judgment {{query_id, doc_id, grade}} nor a query {{query_id, text, kind}}: {e}"),
            )
        })?;
        match parsed {
            Line::Judgment(j) => {
                if j.grade > 3 {
                    return Err(ValidationError::new(
                        format!("line {}", i + 1),
                        "grade must be 0–3",
                    )
                    .into());
                }
                set.grades
                    .entry(j.query_id)
                    .or_default()
                    .insert(j.doc_id, j.grade);
            }
            Line::Query(q) => {
                set.queries.insert(q.query_id.clone(), q);
            }
        }
    }
    Ok(set)
}
