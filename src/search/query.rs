//! Parsing of a user's search text: free words, and exact phrases in double
//! quotes (ASCII `"…"` or Chinese `“…”`). An unbalanced quote is ignored.

use crate::text::Analyzer;

/// A parsed search text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsedQuery {
    /// Distinct free terms (query granularity), any of which may match.
    pub terms: Vec<String>,
    /// Phrases, each a sequence of terms that must occur in order, adjacent.
    pub phrases: Vec<Vec<String>>,
}

impl ParsedQuery {
    /// True when nothing searchable is left (empty text, stop words, punctuation).
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty() && self.phrases.is_empty()
    }
}

/// Splits `text` into free terms and quoted phrases.
pub fn parse_query(text: &str) -> ParsedQuery {
    let analyzer = Analyzer::shared();
    let mut parsed = ParsedQuery::default();
    let mut free = String::new();
    let mut rest = text;
    while let Some(open) = rest.find(['"', '“']) {
        let quote_len = rest[open..].chars().next().map_or(1, char::len_utf8);
        let after = &rest[open + quote_len..];
        let Some(close) = after.find(['"', '”']) else {
            break;
        };
        free.push_str(&rest[..open]);
        free.push(' ');
        let phrase: Vec<String> = analyzer.query_terms(&after[..close]);
        match phrase.len() {
            0 => {}
            1 => free.push_str(&phrase[0]),
            _ => parsed.phrases.push(phrase),
        }
        free.push(' ');
        let close_len = after[close..].chars().next().map_or(1, char::len_utf8);
        rest = &after[close + close_len..];
    }
    free.push_str(&rest.replace(['"', '“', '”'], " "));
    parsed.terms = analyzer.query_terms(&free);
    parsed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_text_becomes_a_phrase() {
        let q = parse_query("\"锂电池正极材料\" 制备");
        assert_eq!(
            q.phrases,
            vec![vec!["锂电池".to_string(), "正极材料".to_string()]]
        );
        assert_eq!(q.terms, vec!["制备"]);
        let q = parse_query("“注塑模具设计”");
        assert_eq!(q.phrases.len(), 1);
        assert!(q.terms.is_empty());
    }

    #[test]
    fn an_unbalanced_quote_is_plain_text() {
        let q = parse_query("\"锂电池 正极材料");
        assert!(q.phrases.is_empty());
        assert_eq!(q.terms, vec!["锂电池", "正极材料"]);
    }

    #[test]
    fn a_one_word_phrase_is_a_free_term_and_empty_text_is_empty() {
        let q = parse_query("\"锂电池\"");
        assert!(q.phrases.is_empty());
        assert_eq!(q.terms, vec!["锂电池"]);
        assert!(parse_query("  \"\" 的 ").is_empty());
    }
}
