//! The tantivy tokenizer over [`Analyzer`]. It must be registered again on
//! every opened index: tantivy does not store tokenizers.

use super::analyzer::{Analyzer, Mode};
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

/// Name under which the index-granularity tokenizer is registered.
pub const INDEX_TOKENIZER: &str = "duijie_index";
/// Name under which the query-granularity tokenizer is registered.
pub const QUERY_TOKENIZER: &str = "duijie_query";

/// Jieba-based tokenizer for tantivy.
#[derive(Clone)]
pub struct JiebaTokenizer {
    analyzer: Analyzer,
    mode: Mode,
}

impl JiebaTokenizer {
    /// A tokenizer in `mode` sharing the process-wide analyzer.
    pub fn new(mode: Mode) -> Self {
        JiebaTokenizer {
            analyzer: Analyzer::shared().clone(),
            mode,
        }
    }
}

/// Stream over pre-computed tokens.
pub struct JiebaTokenStream {
    tokens: Vec<Token>,
    index: usize,
}

impl Tokenizer for JiebaTokenizer {
    type TokenStream<'a> = JiebaTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> JiebaTokenStream {
        let tokens = self
            .analyzer
            .analyze(text, self.mode)
            .into_iter()
            .map(|t| Token {
                offset_from: t.from,
                offset_to: t.to,
                position: t.position,
                text: t.text,
                position_length: 1,
            })
            .collect();
        JiebaTokenStream { tokens, index: 0 }
    }
}

impl TokenStream for JiebaTokenStream {
    fn advance(&mut self) -> bool {
        if self.index < self.tokens.len() {
            self.index += 1;
            true
        } else {
            false
        }
    }

    fn token(&self) -> &Token {
        &self.tokens[self.index - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.index - 1]
    }
}
