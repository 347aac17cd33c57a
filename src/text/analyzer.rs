//! Segmentation of normalised text into terms with ordinal positions.

use super::normalize::normalize;
use super::thesaurus::Thesaurus;
use jieba_rs::Jieba;
use std::collections::HashSet;
use std::sync::{Arc, LazyLock};

/// The domain dictionary (jieba user-dictionary format: `word freq tag`).
const DOMAIN_DICT: &str = include_str!("domain_dict.txt");
/// Boiler-plate and function words dropped from index and queries.
const STOPWORDS: &str = include_str!("stopwords.txt");

/// Checksum of everything that shapes analysis (dictionary, stop words,
/// thesaurus, regional words, and the analysis code's own version). Indexes
/// and models built under another fingerprint are rebuilt.
pub fn analysis_fingerprint() -> u32 {
    const ANALYSIS_CODE_VERSION: &[u8] = b"analysis-v3";
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(ANALYSIS_CODE_VERSION);
    hasher.update(DOMAIN_DICT.as_bytes());
    hasher.update(STOPWORDS.as_bytes());
    hasher.update(super::thesaurus::THESAURUS.as_bytes());
    hasher.update(super::normalize::REGIONAL_WORDS.as_bytes());
    hasher.finalize()
}

/// Segmentation granularity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Search granularity: every word plus the dictionary words inside it
    /// (锂电池 → 锂电, 电池, 锂电池), all at the word's position. For indexing,
    /// so that a short word inside a longer one is found.
    Index,
    /// Plain segmentation: each word once. For queries.
    Query,
}

/// One term of analysed text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    /// Normalised term text.
    pub text: String,
    /// Ordinal word position (sub-words share their word's position).
    pub position: usize,
    /// Byte offset of the term's start in the original text.
    pub from: usize,
    /// Byte offset of the term's end in the original text.
    pub to: usize,
}

/// Segmenter shared by the index, queries and the encoder: jieba with the
/// domain dictionary, stop words, and normalisation.
#[derive(Clone)]
pub struct Analyzer {
    jieba: Arc<Jieba>,
    stopwords: Arc<HashSet<String>>,
}

impl Analyzer {
    /// Builds an analyzer (≈150 ms: prefer [`Analyzer::shared`]).
    pub fn new() -> Self {
        let mut jieba = Jieba::new();
        for line in DOMAIN_DICT.lines() {
            let mut parts = line.split_whitespace();
            let Some(word) = parts.next() else { continue };
            let freq = parts.next().and_then(|f| f.parse().ok());
            let tag = parts.next();
            // Text is case-folded before segmentation, so the dictionary must be too.
            jieba.add_word(&normalize(word).text, freq, tag);
        }
        // Thesaurus terms are domain words too (缩痕, 良品率, 粪污 …).
        for term in Thesaurus::shared().terms() {
            if term.chars().count() > 1 && !jieba.has_word(term) {
                jieba.add_word(term, None, None);
            }
        }
        let stopwords: HashSet<String> = STOPWORDS
            .lines()
            .map(|w| normalize(w.trim()).text)
            .filter(|w| !w.is_empty())
            .collect();
        // A stop word can only be dropped if segmentation yields it as one word.
        for word in stopwords.iter().filter(|w| w.chars().count() > 1) {
            if !jieba.has_word(word) {
                jieba.add_word(word, None, None);
            }
        }
        Analyzer {
            jieba: Arc::new(jieba),
            stopwords: Arc::new(stopwords),
        }
    }

    /// The process-wide analyzer, built once.
    pub fn shared() -> &'static Analyzer {
        static SHARED: LazyLock<Analyzer> = LazyLock::new(Analyzer::new);
        &SHARED
    }

    /// True when `word` (already normalised) is a stop word.
    pub fn is_stopword(&self, word: &str) -> bool {
        self.stopwords.contains(word)
    }

    /// True when `word` (already normalised) is in the segmentation dictionary.
    pub fn has_word(&self, word: &str) -> bool {
        self.jieba.has_word(word)
    }

    /// Segments `text` into terms. Punctuation, whitespace and stop words are
    /// dropped; a stop word takes its sub-words with it.
    pub fn analyze(&self, text: &str, mode: Mode) -> Vec<Term> {
        let normalized = normalize(text);
        let norm = normalized.text.as_str();
        let mut terms = Vec::new();
        match mode {
            Mode::Query => {
                for token in self.jieba.cut(norm, true) {
                    if is_content(token.word) && !self.is_stopword(token.word) {
                        terms.push(Term {
                            text: token.word.to_string(),
                            position: terms.len(),
                            from: normalized.original_offset(token.byte_start),
                            to: normalized.original_offset(token.byte_end),
                        });
                    }
                }
            }
            Mode::Index => {
                // jieba emits the sub-words of a word right before the word. Walking
                // backwards, each word comes first and its sub-words follow inside its span.
                let tokens = self.jieba.cut_for_search(norm, true);
                let mut groups: Vec<Vec<&jieba_rs::Token>> = Vec::new();
                let mut span = (usize::MAX, usize::MAX);
                for token in tokens.iter().rev() {
                    let inside = token.byte_start >= span.0 && token.byte_end <= span.1;
                    if inside {
                        if let Some(group) = groups.last_mut() {
                            group.push(token);
                        }
                    } else {
                        span = (token.byte_start, token.byte_end);
                        groups.push(vec![token]);
                    }
                }
                let mut position = 0;
                for group in groups.iter().rev() {
                    let word = group[0].word;
                    if !is_content(word) || self.is_stopword(word) {
                        continue;
                    }
                    // Sub-words in text order, then the word itself.
                    for token in group.iter().skip(1).rev().chain(std::iter::once(&group[0])) {
                        if token.word != word
                            && (self.is_stopword(token.word) || !is_content(token.word))
                        {
                            continue;
                        }
                        terms.push(Term {
                            text: token.word.to_string(),
                            position,
                            from: normalized.original_offset(token.byte_start),
                            to: normalized.original_offset(token.byte_end),
                        });
                    }
                    position += 1;
                }
            }
        }
        terms
    }

    /// Distinct term texts of `text` in query mode, in order of first appearance.
    pub fn query_terms(&self, text: &str) -> Vec<String> {
        let mut seen = HashSet::new();
        self.analyze(text, Mode::Query)
            .into_iter()
            .filter(|t| seen.insert(t.text.clone()))
            .map(|t| t.text)
            .collect()
    }
}

impl Default for Analyzer {
    fn default() -> Self {
        Analyzer::new()
    }
}

/// A token carries content when it has a letter or digit of any script.
fn is_content(word: &str) -> bool {
    word.chars().any(char::is_alphanumeric)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str, mode: Mode) -> Vec<String> {
        Analyzer::shared()
            .analyze(text, mode)
            .into_iter()
            .map(|t| t.text)
            .collect()
    }

    fn query(text: &str) -> Vec<String> {
        words(text, Mode::Query)
    }

    #[test]
    fn domain_terms_stay_whole_in_queries() {
        let cases: &[(&str, &[&str])] = &[
            ("锂电池正极材料制备", &["锂电池", "正极材料", "制备"]),
            ("注塑模具设计与制造", &["注塑模具", "设计", "制造"]),
            ("申报专精特新小巨人", &["申报", "专精特新小巨人"]),
            ("高镍三元正极材料", &["高镍三元", "正极材料"]),
            (
                "铝合金压铸件阳极氧化处理",
                &["铝合金", "压铸件", "阳极氧化", "处理"],
            ),
            ("谐波减速器精密加工", &["谐波减速器", "精密加工"]),
            ("磷石膏综合利用", &["磷石膏", "综合利用"]),
            ("中药材种植基地", &["中药材种植", "基地"]),
            ("工业机器人视觉引导", &["工业机器人", "视觉引导"]),
            ("废水处理与污泥处置", &["废水处理", "污泥处置"]),
        ];
        for (text, expected) in cases {
            assert_eq!(query(text), *expected, "segmenting {text}");
        }
    }

    #[test]
    fn a_traditional_text_segments_into_the_mainland_words() {
        // 軟體 (Taiwan) is 软件; 鋰電池 folds to 锂电池: the words a mainland
        // document is indexed under.
        let q = query("徵求軟體開發與鋰電池正極材料的合作廠商");
        for word in ["软件开发", "锂电池", "正极材料"] {
            assert!(q.contains(&word.to_string()), "{word} not in {q:?}");
        }
        let index = words("軟體開發的伺服馬達", Mode::Index);
        for word in ["软件", "开发", "伺服电机"] {
            assert!(index.contains(&word.to_string()), "{word} not in {index:?}");
        }
    }

    #[test]
    fn latin_letters_and_digits_inside_chinese_stay_whole() {
        assert!(query("通过IATF16949认证的供应商").contains(&"iatf16949".to_string()));
        assert!(query("5G基站散热").contains(&"5g".to_string()));
        assert!(query("PLC控制柜").contains(&"plc".to_string()));
        assert!(query("3D打印钛合金").contains(&"3d打印".to_string()));
        assert!(query("304不锈钢管材").contains(&"304不锈钢".to_string()));
        assert!(query("ＩＡＴＦ１６９４９").contains(&"iatf16949".to_string()));
    }

    #[test]
    fn index_mode_finds_short_words_inside_long_ones() {
        let index = words("中国农业发展银行", Mode::Index);
        assert!(index.contains(&"农业".to_string()), "{index:?}");
        let index = words("安装简单", Mode::Index);
        assert!(index.contains(&"简单".to_string()), "{index:?}");
        let index = words("锂电池", Mode::Index);
        assert!(index.contains(&"电池".to_string()), "{index:?}");
    }

    #[test]
    fn positions_are_word_ordinals_shared_by_sub_words() {
        let terms = Analyzer::shared().analyze("锂电池正极材料制备", Mode::Index);
        let pos = |w: &str| terms.iter().find(|t| t.text == w).map(|t| t.position);
        assert_eq!(pos("锂电池"), Some(0));
        assert_eq!(pos("电池"), Some(0));
        assert_eq!(pos("正极材料"), Some(1));
        assert_eq!(pos("材料"), Some(1));
        assert_eq!(pos("制备"), Some(2));
    }

    #[test]
    fn stop_words_are_dropped() {
        let q = query("我公司需求锂电池技术");
        assert_eq!(q, vec!["锂电池"]);
        // An owner's everyday filler (做, 找, 用, 这边, 好几年) is not a subject.
        let q = query("我们这边做锂电池好几年了，想找用在电池上的正极材料");
        assert_eq!(q, vec!["锂电池", "电池", "正极材料"]);
        let i = words("贵州某某有限公司", Mode::Index);
        assert!(!i.contains(&"有限公司".to_string()), "{i:?}");
        assert!(!i.contains(&"公司".to_string()), "{i:?}");
    }

    #[test]
    fn offsets_point_into_the_original_text() {
        let text = "ＰＬＣ控制柜";
        let terms = Analyzer::shared().analyze(text, Mode::Query);
        let plc = terms.iter().find(|t| t.text == "plc").unwrap();
        assert_eq!(&text[plc.from..plc.to], "ＰＬＣ");
    }

    #[test]
    fn no_pinyin_folding() {
        assert_ne!(query("景点"), query("经典"));
    }
}
