//! What a free-text query says about the pair besides its subject: the place
//! (贵州, 贵阳市, 花溪区), the certifications it names (IATF16949, ISO 9001)
//! and a budget (预算30万, 50万元以内). A free-text query is read as a document
//! of the counterpart kind; these hints fill that document's fields, so the
//! two-sided features (`region_fit`, `cert_fit`, `budget_fit`) weigh the
//! query as they weigh a stored document, instead of a neutral value.
//!
//! The reading is conservative: a place counts only by a name the region
//! table holds once (吉林 is a province and a city, so only 吉林省 and 吉林市
//! count), never a one-character name, and not inside a university's name
//! (中山大学 is not in 中山市); places on different branches leave the region
//! at what they share (贵州和四川 gives none). Certifications count only as
//! the known schemes' names with their numbers; a budget only after 预算 or
//! before 以内/以下/左右, in 万 (元).

use crate::model::codes::{regions, RegionLevel, RegionTable};
use crate::model::{Document, Kind};
use crate::rank::features::normalize_cert;
use crate::text::{normalize, Analyzer, Mode};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::sync::LazyLock;
use utoipa::ToSchema;

/// Hints read from a free-text query.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct TextHints {
    /// Six-digit code of the most specific place named, if one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Certifications named (IATF16949, CE认证), each once.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub certifications: Vec<String>,
    /// Budget in 万元.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub budget: Option<f64>,
}

impl TextHints {
    /// Reads the hints of `text`.
    pub fn read(text: &str) -> TextHints {
        TextHints::read_with_subject(text).0
    }

    /// The hints of `text` and its subject: the text (folded as analysis
    /// folds it) without the places and the budget read, which the
    /// structured features weigh, so that they do not also match as words
    /// (贵阳 would find every paper of a Guiyang university). Certifications
    /// stay: a supplier's text names them too. The whole text when nothing
    /// else would be left.
    pub fn read_with_subject(text: &str) -> (TextHints, String) {
        let folded = normalize(text).text;
        let (region, mut spans) = region_of(&folded);
        let budget = budget_of(&folded).map(|(value, span)| {
            spans.push(span);
            value
        });
        let hints = TextHints {
            region,
            certifications: certifications_of(&folded),
            budget,
        };
        spans.sort_by_key(|span| span.start);
        let mut subject = String::with_capacity(folded.len());
        let mut at = 0;
        for span in spans {
            if span.start >= at {
                subject.push_str(&folded[at..span.start]);
                subject.push(' ');
                at = span.end;
            }
        }
        subject.push_str(&folded[at..]);
        if !subject.chars().any(char::is_alphanumeric) {
            return (hints, folded);
        }
        (hints, subject)
    }

    /// True when nothing was read.
    pub fn is_empty(&self) -> bool {
        self == &TextHints::default()
    }

    /// Fills the fields of `doc` (a free-text query read as a document) that
    /// its kind has: region for every kind, certifications for requests
    /// (wanted, not mandatory) and suppliers (held), budget for needs.
    pub fn apply(&self, doc: &mut Document) {
        doc.region.clone_from(&self.region);
        if matches!(doc.kind, Kind::Request | Kind::Supplier) {
            doc.certifications.clone_from(&self.certifications);
        }
        if doc.kind == Kind::Need {
            doc.budget = self.budget;
        }
    }
}

/// Names that identify one division, each with whether it is a short name
/// (贵阳 for 贵阳市): full names of two characters or more (three for a
/// county: 矿区, 城区 are words too), and provinces' and cities' names without
/// 省/市/自治区, when the table holds the name once.
fn place_names() -> &'static Places {
    static NAMES: LazyLock<Places> = LazyLock::new(|| {
        let mut seen: HashMap<String, (Vec<String>, bool)> = HashMap::new();
        for region in regions().iter() {
            let shortest = if region.level == RegionLevel::County {
                3
            } else {
                2
            };
            let mut names = vec![(region.name.clone(), false)];
            if region.level != RegionLevel::County {
                if let Some(short) = short_name(&region.name) {
                    names.push((short, true));
                }
            }
            for (name, short) in names {
                if name.chars().count() >= shortest {
                    let (codes, is_short) = seen.entry(name).or_default();
                    *is_short |= short;
                    if !codes.contains(&region.code) {
                        codes.push(region.code.clone());
                    }
                }
            }
        }
        let by_name: HashMap<String, (String, bool)> = seen
            .into_iter()
            .filter(|(_, (codes, _))| codes.len() == 1)
            .map(|(name, (mut codes, short))| (name, (codes.remove(0), short)))
            .collect();
        let longest = by_name.keys().map(String::len).max().unwrap_or(0);
        Places { by_name, longest }
    });
    &NAMES
}

/// The place names of [`place_names`]: name → (six-digit code, short name?),
/// and the longest name's length in bytes.
struct Places {
    by_name: HashMap<String, (String, bool)>,
    longest: usize,
}

/// 贵州省 → 贵州, 贵阳市 → 贵阳, 广西壮族自治区 → 广西; `None` when nothing
/// of two characters or more would be left.
fn short_name(name: &str) -> Option<String> {
    const SUFFIXES: [&str; 7] = [
        "壮族自治区",
        "回族自治区",
        "维吾尔自治区",
        "特别行政区",
        "自治区",
        "省",
        "市",
    ];
    let stem = SUFFIXES.iter().find_map(|s| name.strip_suffix(s))?;
    (stem.chars().count() >= 2).then(|| stem.to_string())
}

/// Words after a place name that make it part of another name.
const NOT_A_PLACE_AFTER: [&str; 4] = ["大学", "学院", "职业", "师范"];

/// The most specific division the text names (places on different branches
/// leave what they share), and where the places are named.
fn region_of(text: &str) -> (Option<String>, Vec<Range<usize>>) {
    let names = place_names();
    // A short name counts only as a word of its own: 通化 is not read in
    // 普通化学, nor 三明 in 三明治.
    let words: HashSet<(usize, usize)> = Analyzer::shared()
        .analyze(text, Mode::Query)
        .into_iter()
        .map(|t| (t.from, t.to))
        .collect();
    let longest = names.longest;
    let mut found: Vec<&str> = Vec::new();
    let mut spans: Vec<Range<usize>> = Vec::new();
    let mut at = 0;
    while at < text.len() {
        let matched = (1..=longest.min(text.len() - at))
            .rev()
            .filter(|n| text.is_char_boundary(at + n))
            .find_map(|n| {
                let name = &text[at..at + n];
                names
                    .by_name
                    .get(name)
                    .map(|(code, short)| (n, code.as_str(), *short))
            });
        match matched {
            Some((n, code, short)) => {
                let rest = &text[at + n..];
                let a_word = !short || words.contains(&(at, at + n));
                if a_word && !NOT_A_PLACE_AFTER.iter().any(|w| rest.starts_with(w)) {
                    found.push(code);
                    spans.push(at..at + n);
                }
                at += n;
            }
            None => at += text[at..].chars().next().map_or(1, char::len_utf8),
        }
    }
    (common_region(&found), spans)
}

/// The most specific of `codes` when all lie on one branch, else the most
/// specific division they all lie in.
fn common_region(codes: &[&str]) -> Option<String> {
    let paths: Vec<Vec<String>> = codes.iter().map(|c| RegionTable::path(c)).collect();
    let first = paths.first()?;
    let shared = first
        .iter()
        .enumerate()
        .take_while(|(i, step)| paths.iter().all(|p| p.get(*i) == Some(step)))
        .count();
    // The most specific place named, when all lie on one branch.
    let deepest = paths.iter().max_by_key(|p| p.len())?;
    let on_one_branch = paths.iter().all(|p| deepest.starts_with(p));
    let prefix = if on_one_branch {
        deepest.last()?
    } else {
        first.get(shared.checked_sub(1)?)?
    };
    regions().normalize(prefix)
}

/// Certification schemes named with their numbers (letters and digits run
/// together after folding: `iso 9001` → `iso9001`), and those known by name.
fn certifications_of(text: &str) -> Vec<String> {
    const NUMBERED: [&str; 4] = ["iso", "iatf", "as", "gjb"];
    const NAMED: [&str; 7] = [
        "nadcap",
        "haccp",
        "gmp",
        "ce认证",
        "ccc认证",
        "3c认证",
        "ul认证",
    ];
    let squeezed: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let mut found: Vec<String> = Vec::new();
    let mut push = |name: String| {
        let canonical = normalize_cert(&name);
        if !found.iter().any(|f| normalize_cert(f) == canonical) {
            found.push(name);
        }
    };
    for (at, _) in squeezed.char_indices() {
        let rest = &squeezed[at..];
        let starts_word = squeezed[..at]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_ascii_alphanumeric());
        if !starts_word {
            continue;
        }
        for scheme in NUMBERED {
            if let Some(after) = rest.strip_prefix(scheme) {
                let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
                if (4..=5).contains(&digits.len()) {
                    // A revision letter (AS9100D, GJB9001C) stays with the number.
                    let revision = after[digits.len()..]
                        .chars()
                        .next()
                        .filter(|c| c.is_ascii_lowercase() && *c <= 'd')
                        .filter(|_| {
                            after[digits.len() + 1..]
                                .chars()
                                .next()
                                .is_none_or(|c| !c.is_ascii_alphanumeric())
                        });
                    let mut name = format!("{scheme}{digits}");
                    name.extend(revision);
                    push(name.to_uppercase());
                }
            }
        }
        for name in NAMED {
            if rest.starts_with(name) {
                push(name.to_uppercase());
            }
        }
    }
    found
}

/// A budget in 万元: the number after 预算 (预算30万, 预算：50万元), or before
/// 万…以内/以下/左右 (50万元以内); with the bytes of the phrase.
fn budget_of(text: &str) -> Option<(f64, Range<usize>)> {
    let chars: Vec<char> = text.chars().collect();
    let number_at = |from: usize| -> Option<(f64, usize)> {
        let digits: String = chars[from..]
            .iter()
            .take_while(|c| c.is_ascii_digit() || **c == '.')
            .collect();
        let value: f64 = digits.parse().ok()?;
        Some((value, from + digits.chars().count()))
    };
    for start in 0..chars.len() {
        let starts_number = chars[start].is_ascii_digit()
            && (start == 0 || !(chars[start - 1].is_ascii_digit() || chars[start - 1] == '.'));
        if !starts_number {
            continue;
        }
        let Some((value, end)) = number_at(start) else {
            continue;
        };
        let after: String = chars[end..].iter().take(6).collect();
        let Some(unit_rest) = after.strip_prefix('万') else {
            continue;
        };
        let before: String = chars[start.saturating_sub(4)..start].iter().collect();
        let (unit_rest, yuan) = match unit_rest.strip_prefix('元') {
            Some(rest) => (rest, true),
            None => (unit_rest, false),
        };
        let word_at = ["预算", "经费"]
            .iter()
            .filter_map(|w| before.rfind(w))
            .max()
            .map(|byte| start.saturating_sub(4) + before[..byte].chars().count());
        let bound = ["以内", "以下", "左右"]
            .iter()
            .find(|w| unit_rest.starts_with(**w));
        if (word_at.is_some() || bound.is_some()) && value > 0.0 && value.is_finite() {
            // 万, 元 when written, and the bound.
            let end = end + 1 + usize::from(yuan) + bound.map_or(0, |w| w.chars().count());
            let byte = |i: usize| chars[..i].iter().map(|c| c.len_utf8()).sum::<usize>();
            return Some((value, byte(word_at.unwrap_or(start))..byte(end)));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn region(text: &str) -> Option<String> {
        TextHints::read(text).region
    }

    #[test]
    fn places_by_full_or_short_name_the_most_specific_on_one_branch() {
        assert_eq!(region("找贵州的注塑件供应商").as_deref(), Some("520000"));
        assert_eq!(region("贵阳附近的压铸厂").as_deref(), Some("520100"));
        assert_eq!(
            region("贵州省贵阳市花溪区的企业").as_deref(),
            Some("520111")
        );
        // Two provinces: nothing they share.
        assert_eq!(region("贵州或四川的供应商"), None);
        // Two cities of one province: the province.
        assert_eq!(region("贵阳、遵义都可以").as_deref(), Some("520000"));
    }

    #[test]
    fn ambiguous_one_character_and_university_names_are_not_places() {
        // 吉林 is a province and a city.
        assert_eq!(region("吉林的供应商"), None);
        assert_eq!(region("吉林市的供应商").as_deref(), Some("220200"));
        // 县 is a county's whole name; one character is not enough.
        assert_eq!(region("县里想发展乡村旅游"), None);
        assert_eq!(region("和中山大学合作过"), None);
        // A city's short name inside another word is not the city.
        assert_eq!(region("普通化学实验"), None);
        assert_eq!(region("三明治生产线"), None);
        assert_eq!(region("矿区废水处理"), None);
        assert_eq!(region("通化的企业").as_deref(), Some("220500"));
        assert_eq!(region("大棚番茄连作障碍"), None);
    }

    #[test]
    fn certifications_by_scheme_and_number() {
        let certs =
            TextHints::read("需通过ＩＡＴＦ１６９４９和ISO 9001认证，最好有AS9100D").certifications;
        assert_eq!(certs, ["IATF16949", "ISO9001", "AS9100D"]);
        assert_eq!(
            TextHints::read("有HACCP和CE认证的食品机械").certifications,
            ["HACCP", "CE认证"]
        );
        // A model number is not a certification.
        assert!(TextHints::read("采购ABC90012型号")
            .certifications
            .is_empty());
        assert!(TextHints::read("iso").certifications.is_empty());
    }

    #[test]
    fn budgets_after_the_word_or_before_a_bound() {
        assert_eq!(TextHints::read("预算30万，想找保鲜技术").budget, Some(30.0));
        assert_eq!(TextHints::read("总投入控制在50万元以内").budget, Some(50.0));
        assert_eq!(TextHints::read("经费：12.5万").budget, Some(12.5));
        // A quantity is not a budget.
        assert_eq!(TextHints::read("年产10万件").budget, None);
        assert_eq!(TextHints::read("亩产提高").budget, None);
    }

    #[test]
    fn the_subject_is_the_text_without_its_places_and_budget() {
        let subject = |text: &str| TextHints::read_with_subject(text).1;
        assert_eq!(
            subject("我们在贵阳做锂电池，预算30万元，要求IATF16949"),
            "我们在 做锂电池, ,要求iatf16949"
        );
        assert_eq!(subject("总投入控制在50万元以内。"), "总投入控制在 。");
        assert_eq!(
            subject("和中山大学合作的保鲜技术"),
            "和中山大学合作的保鲜技术"
        );
        // Nothing but a place: the text stays whole.
        assert_eq!(subject("贵阳"), "贵阳");
    }

    #[test]
    fn hints_fill_only_the_fields_of_the_query_kind() {
        let hints = TextHints::read("贵阳，预算30万，需IATF16949");
        let mut need = Document::new(Kind::Need, "x", "");
        hints.apply(&mut need);
        assert_eq!(need.region.as_deref(), Some("520100"));
        assert_eq!(need.budget, Some(30.0));
        assert!(need.certifications.is_empty());
        let mut request = Document::new(Kind::Request, "x", "");
        hints.apply(&mut request);
        assert_eq!(request.certifications, ["IATF16949"]);
        assert!(!request.certs_mandatory);
        assert_eq!(request.budget, None);
        assert!(TextHints::read("大棚番茄连作障碍").is_empty());
    }
}
