//! Sparse features of a text for the built-in encoder: jieba words (search
//! granularity, so the parts of a compound count too) and character bigrams
//! and trigrams of every run of Chinese characters, so that words the
//! dictionary does not know still land near their parts.

use crate::text::{fold_char, Analyzer, Mode, Thesaurus};
use std::collections::HashMap;

/// Weight of a character n-gram relative to a word.
const NGRAM_WEIGHT: f32 = 0.5;

/// Weight of a term added because a word of the text belongs to its concept,
/// divided among the concepts the word belongs to.
const EXPANSION_WEIGHT: f32 = 1.0;

/// Lines of the concept thesaurus, used as extra training documents.
pub fn concept_lines() -> impl Iterator<Item = String> {
    Thesaurus::shared().lines().iter().map(|l| l.join(" "))
}

/// Extracts weighted sparse features from text.
#[derive(Clone, Default)]
pub struct FeatureExtractor;

fn is_han(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}')
}

impl FeatureExtractor {
    /// Feature → raw weighted count. Words are keyed as they are, bigrams with
    /// a `\u{1}` prefix and trigrams with `\u{2}`, so the three never collide.
    pub fn extract(&self, text: &str) -> HashMap<String, f32> {
        let analyzer = Analyzer::shared();
        let mut counts: HashMap<String, f32> = HashMap::new();
        for term in analyzer.analyze(text, Mode::Index) {
            *counts.entry(term.text).or_default() += 1.0;
        }
        // Concept expansion: each distinct word that is a thesaurus term brings
        // the other terms of its concepts, so business wording and technical
        // wording of the same concept share features.
        let thesaurus = Thesaurus::shared();
        let mut expansion: HashMap<String, f32> = HashMap::new();
        // Sorted, so the float sums below are the same on every run.
        let mut words: Vec<&String> = counts.keys().collect();
        words.sort();
        for word in words {
            let concepts = thesaurus.concepts_of(word);
            if concepts.is_empty() {
                continue;
            }
            let share = EXPANSION_WEIGHT / concepts.len() as f32;
            for line in concepts {
                for term in &thesaurus.lines()[*line] {
                    if term != word.as_str() {
                        *expansion.entry(term.clone()).or_default() += share;
                    }
                }
            }
        }
        for (term, weight) in expansion {
            *counts.entry(term).or_default() += weight;
        }
        let folded: Vec<char> = text.chars().map(fold_char).collect();
        for run in folded.split(|c| !is_han(*c)) {
            for (n, prefix) in [(2usize, '\u{1}'), (3, '\u{2}')] {
                if run.len() < n {
                    continue;
                }
                for window in run.windows(n) {
                    let mut key = String::with_capacity(1 + 3 * n);
                    key.push(prefix);
                    key.extend(window);
                    *counts.entry(key).or_default() += NGRAM_WEIGHT;
                }
            }
        }
        counts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_and_ngrams_are_counted_separately() {
        let f = FeatureExtractor.extract("锂电池正极材料");
        assert_eq!(f.get("锂电池"), Some(&1.0));
        assert_eq!(f.get("电池"), Some(&1.0));
        assert_eq!(f.get("\u{1}电池"), Some(&NGRAM_WEIGHT));
        assert_eq!(f.get("\u{2}锂电池"), Some(&NGRAM_WEIGHT));
        assert!(!f.contains_key("\u{1}池正") || f.get("\u{1}池正") == Some(&NGRAM_WEIGHT));
    }

    #[test]
    fn the_concept_thesaurus_is_shipped() {
        assert!(concept_lines().count() >= 100);
    }
}
