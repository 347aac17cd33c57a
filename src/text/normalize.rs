//! Character folding before segmentation: full-width forms to half-width,
//! the ideographic space to a space, Latin case to lower case, and
//! traditional Chinese characters to simplified ones (fast2s, which also
//! picks by the neighbouring characters where one traditional character has
//! several simplified forms). Each character maps to exactly one character,
//! so offsets map back to the original text (tantivy needs byte offsets into
//! the stored text for snippets).

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
    let mut out = String::with_capacity(text.len());
    let mut origin = Vec::with_capacity(text.len() + 1);
    for (((i, _), f), s) in text
        .char_indices()
        .zip(folded.chars())
        .zip(simplified.chars())
    {
        let c = if KEPT_AS_WRITTEN.contains(&f) { f } else { s };
        out.push(c);
        origin.extend(std::iter::repeat_n(i, c.len_utf8()));
    }
    origin.push(text.len());
    Normalized { text: out, origin }
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
}
