//! Character folding before segmentation: full-width forms to half-width,
//! the ideographic space to a space, and Latin case to lower case. Each
//! character maps to exactly one character, so offsets map back to the
//! original text (tantivy needs byte offsets into the stored text for snippets).

/// Folds one character: full-width ASCII variants (U+FF01–U+FF5E) to ASCII,
/// U+3000 to a space, upper case to lower case (when that is one character).
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

/// Folds every character of `text` (see [`fold_char`]).
pub fn normalize(text: &str) -> Normalized {
    let mut folded = String::with_capacity(text.len());
    let mut origin = Vec::with_capacity(text.len() + 1);
    for (i, c) in text.char_indices() {
        let f = fold_char(c);
        folded.push(f);
        origin.extend(std::iter::repeat_n(i, f.len_utf8()));
    }
    origin.push(text.len());
    Normalized {
        text: folded,
        origin,
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
}
