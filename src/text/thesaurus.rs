//! The domain thesaurus (`thesaurus.txt`): each line a cluster of terms that
//! belong to one concept, from the words an SME owner uses (续航, 缩痕, 粪污)
//! to those a paper uses (能量密度, 保压, 厌氧发酵). Its terms are dictionary
//! words for segmentation; the encoder learns from its lines and expands a
//! text's words with their concepts' terms.

use super::normalize::normalize;
use std::collections::HashMap;
use std::sync::LazyLock;

pub(super) const THESAURUS: &str = include_str!("thesaurus.txt");

/// Concept clusters and an index from term to the clusters that hold it.
pub struct Thesaurus {
    lines: Vec<Vec<String>>,
    by_term: HashMap<String, Vec<usize>>,
}

impl Thesaurus {
    /// The shipped thesaurus, normalised like all text.
    pub fn shared() -> &'static Thesaurus {
        static SHARED: LazyLock<Thesaurus> = LazyLock::new(|| {
            let lines: Vec<Vec<String>> = THESAURUS
                .lines()
                .map(|l| {
                    l.split_whitespace()
                        .map(|t| normalize(t).text)
                        .collect::<Vec<_>>()
                })
                .filter(|l| !l.is_empty())
                .collect();
            let mut by_term: HashMap<String, Vec<usize>> = HashMap::new();
            for (i, line) in lines.iter().enumerate() {
                for term in line {
                    let ids = by_term.entry(term.clone()).or_default();
                    if ids.last() != Some(&i) {
                        ids.push(i);
                    }
                }
            }
            Thesaurus { lines, by_term }
        });
        &SHARED
    }

    /// Every concept line, as its terms.
    pub fn lines(&self) -> &[Vec<String>] {
        &self.lines
    }

    /// Every distinct term.
    pub fn terms(&self) -> impl Iterator<Item = &str> {
        self.by_term.keys().map(String::as_str)
    }

    /// The concept lines that hold `term` (already normalised).
    pub fn concepts_of(&self, term: &str) -> &[usize] {
        self.by_term.get(term).map_or(&[], Vec::as_slice)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_index_their_lines() {
        let t = Thesaurus::shared();
        assert!(t.lines().len() >= 400);
        let lines = t.concepts_of("续航");
        assert!(!lines.is_empty());
        assert!(lines
            .iter()
            .all(|i| t.lines()[*i].contains(&"续航".to_string())));
        assert!(t.concepts_of("不存在的词语").is_empty());
    }
}
