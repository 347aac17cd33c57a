//! Character folding before segmentation: full-width forms to half-width,
//! the ideographic space to a space, Latin case to lower case, and
//! traditional Chinese characters to simplified ones (fast2s, which also
//! picks by the neighbouring characters where one traditional character has
//! several simplified forms). A text written in traditional characters also
//! has the regional words of Taiwan and Hong Kong replaced by the mainland's
//! (軟體 → 软件, 奈米 → 纳米; `regional.txt`). Each character maps to exactly
//! one character, so offsets map back to the original text (tantivy needs
//! byte offsets into the stored text for snippets).

use rustc_hash::FxHashMap as HashMap;
use std::sync::OnceLock;

/// Folds one character: full-width ASCII variants (U+FF01–U+FF5E) to ASCII,
/// U+3000 to a space, upper case to lower case (when that is one character).
/// Traditional characters are folded by [`normalize`], which sees their context.
pub fn fold_char(c: char) -> char {
    let c = match c {
        '\u{3000}' => ' ',
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        _ => c,
    };
    if c.is_ascii() {
        return c.to_ascii_lowercase();
    }
    let mut lower = c.to_lowercase();
    match (lower.next(), lower.next()) {
        (Some(l), None) => l,
        _ => c,
    }
}

/// Characters fast2s would change that are standard simplified characters
/// with their own words (煅烧 calcination is not 锻烧, 捍卫 is not 扞卫).
const KEPT_AS_WRITTEN: [char; 2] = ['煅', '捍'];

/// Normalised text with a map from its byte offsets back to the original's.
#[derive(Debug, Clone)]
pub struct Normalized {
    /// The folded text.
    pub text: String,
    /// `origin[i]` is the byte offset in the original text of the character
    /// that starts at byte `i` of `text`; `origin[text.len()]` is the original length.
    origin: Vec<usize>,
}

impl Normalized {
    /// Byte offset in the original text for byte offset `i` of the normalised text.
    pub fn original_offset(&self, i: usize) -> usize {
        self.origin[i.min(self.origin.len() - 1)]
    }
}

/// Folds every character of `text` (see [`fold_char`]), then traditional
/// characters to simplified ones.
pub fn normalize(text: &str) -> Normalized {
    let folded: String = text.chars().map(fold_char).collect();
    let simplified = fast2s::convert(&folded);
    // fast2s maps one character to one; should that ever not hold, the text
    // stays as folded rather than misaligned.
    let simplified = if simplified.chars().count() == folded.chars().count() {
        simplified
    } else {
        folded.clone()
    };
    let mut chars: Vec<char> = folded
        .chars()
        .zip(simplified.chars())
        .map(|(f, s)| if KEPT_AS_WRITTEN.contains(&f) { f } else { s })
        .collect();
    if simplified != folded && written_in_traditional(&folded, &simplified) {
        replace_regional_words(&folded.chars().collect::<Vec<char>>(), &mut chars);
    }
    let mut out = String::with_capacity(text.len());
    let mut origin = Vec::with_capacity(text.len() + 1);
    for ((i, _), c) in text.char_indices().zip(chars) {
        out.push(c);
        origin.extend(std::iter::repeat_n(i, c.len_utf8()));
    }
    origin.push(text.len());
    Normalized { text: out, origin }
}

/// Whether a text is written in traditional characters: at least a tenth of
/// its Chinese characters are simplified differently (a mainland text with a
/// stray traditional character, a name or a quotation, is not).
fn written_in_traditional(folded: &str, simplified: &str) -> bool {
    let (mut han, mut traditional) = (0usize, 0usize);
    for (f, s) in folded.chars().zip(simplified.chars()) {
        if ('\u{4E00}'..='\u{9FFF}').contains(&f) {
            han += 1;
            traditional += usize::from(f != s);
        }
    }
    traditional * 10 >= han && traditional > 0
}

/// Regional words by their first character: (regional, mainland) pairs of
/// the same length, longest first.
type RegionalTable = HashMap<char, Vec<(Vec<char>, Vec<char>)>>;

/// The table of `regional.txt`, read once.
fn regional_table() -> &'static RegionalTable {
    static TABLE: OnceLock<RegionalTable> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table = RegionalTable::default();
        for (regional, mainland) in regional_pairs() {
            let regional: Vec<char> = regional.chars().collect();
            let mainland: Vec<char> = mainland.chars().collect();
            if regional.len() == mainland.len() && !regional.is_empty() {
                table
                    .entry(regional[0])
                    .or_default()
                    .push((regional, mainland));
            }
        }
        for pairs in table.values_mut() {
            pairs.sort_by_key(|(regional, _)| std::cmp::Reverse(regional.len()));
        }
        table
    })
}

/// The table of regional words (see the module's comment).
pub(super) const REGIONAL_WORDS: &str = include_str!("regional.txt");

/// The (regional, mainland) lines of [`REGIONAL_WORDS`].
fn regional_pairs() -> impl Iterator<Item = (&'static str, &'static str)> {
    REGIONAL_WORDS
        .lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .filter_map(|line| line.split_once('\t'))
}

/// Writes the mainland word over each regional word of `written` (the text
/// as written, folded) into `out` (the same text simplified, as long),
/// longest regional word first, left to right.
fn replace_regional_words(written: &[char], out: &mut [char]) {
    let table = regional_table();
    let mut at = 0;
    while at < written.len() {
        let found = table.get(&written[at]).and_then(|pairs| {
            pairs
                .iter()
                .find(|(regional, _)| written[at..].starts_with(regional))
        });
        match found {
            Some((regional, mainland)) => {
                out[at..at + regional.len()].copy_from_slice(mainland);
                at += regional.len();
            }
            None => at += 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_width_and_case_fold_to_half_width_lower_case() {
        let n = normalize("ＩＡＴＦ１６９４９认证　ＰＬＣ控制Ａｂｃ，５Ｇ");
        assert_eq!(n.text, "iatf16949认证 plc控制abc,5g");
    }

    #[test]
    fn offsets_map_back_to_the_original_text() {
        let original = "Ａ锂电池";
        let n = normalize(original);
        assert_eq!(n.text, "a锂电池");
        // `锂` starts at byte 1 of the folded text and byte 3 of the original.
        assert_eq!(n.original_offset(1), 3);
        assert_eq!(n.original_offset(n.text.len()), original.len());
    }

    #[test]
    fn chinese_text_and_greek_letters_pass_through() {
        assert_eq!(normalize("正极材料Ω").text, "正极材料ω");
        assert_eq!(normalize("").text, "");
    }

    #[test]
    fn traditional_characters_fold_to_simplified_with_offsets_kept() {
        let original = "臺灣鋰電池正極材料與注塑模具";
        let n = normalize(original);
        assert_eq!(n.text, "台湾锂电池正极材料与注塑模具");
        assert_eq!(n.text.chars().count(), original.chars().count());
        // `锂` is the third character in both.
        assert_eq!(n.original_offset(6), 6);
        assert_eq!(n.original_offset(n.text.len()), original.len());
        // Simplified text passes through, context-dependent forms included.
        assert_eq!(normalize("显著著作，干燥").text, "显著著作,干燥");
        // Standard simplified characters fast2s would change are kept.
        assert_eq!(normalize("煅烧工艺，捍卫").text, "煅烧工艺,捍卫");
    }

    #[test]
    fn regional_words_of_a_traditional_text_become_the_mainland_words() {
        let original = "臺灣軟體公司的奈米碳管與雷射、塑膠射出成型";
        let n = normalize(original);
        assert_eq!(n.text, "台湾软件公司的碳纳米管与激光、塑料注塑成型");
        // Same length: offsets still map back (`激` is the 13th character).
        let byte = n.text.char_indices().nth(12).unwrap().0;
        assert_eq!(&original[n.original_offset(byte)..][..3], "雷");
        assert_eq!(n.original_offset(n.text.len()), original.len());
        // The longest regional word wins (伺服馬達, not 馬達 alone).
        assert_eq!(normalize("伺服馬達與馬達").text, "伺服电机与电机");
    }

    #[test]
    fn a_mainland_text_keeps_its_words() {
        // 软体 is a mainland word (软体动物); 雷射 and 奈米 alone carry no
        // traditional character, so a text of them is not taken as one.
        for text in ["软体动物与软体家具", "雷射与奈米", "程式化的界面"] {
            assert_eq!(normalize(text).text, text);
        }
        // A stray traditional character (a name) does not make a mainland
        // text a traditional one: 软体 and 雷射 stay; the character folds.
        let text = "本公司研发软体机器人与雷射测距仪，合作单位位于臺州市的园区内";
        assert_eq!(
            normalize(text).text,
            "本公司研发软体机器人与雷射测距仪,合作单位位于台州市的园区内"
        );
    }

    #[test]
    fn every_regional_pair_is_of_the_same_length_and_changes_something() {
        let pairs: Vec<(&str, &str)> = regional_pairs().collect();
        assert!(pairs.len() >= 40, "{} pairs", pairs.len());
        for (regional, mainland) in pairs {
            assert_eq!(
                regional.chars().count(),
                mainland.chars().count(),
                "{regional} → {mainland}"
            );
            assert_ne!(
                fast2s::convert(regional),
                mainland,
                "{regional} needs no entry"
            );
            // The mainland side is simplified already.
            assert_eq!(fast2s::convert(mainland), mainland, "{mainland}");
        }
    }
}
