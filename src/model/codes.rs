//! Code tables shipped with the engine: national administrative divisions (region)
//! and GB/T 4754-2017 industries, converted from `../shared/corpora-src` by
//! `corpora/tools/convert_codes.py` and embedded at compile time.

use rustc_hash::FxHashMap as HashMap;
use std::sync::LazyLock;

const REGIONS_TSV: &str = include_str!("../../corpora/codes/regions.tsv");
const INDUSTRIES_TSV: &str = include_str!("../../corpora/codes/industries.tsv");

/// Level of an administrative division.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegionLevel {
    /// 省级 (province, autonomous region, municipality, SAR).
    Province,
    /// 地级 (prefecture-level city and equivalents).
    City,
    /// 县级 (county, district, county-level city).
    County,
}

/// One administrative division.
#[derive(Debug, Clone)]
pub struct Region {
    /// Six-digit code, e.g. `520102`.
    pub code: String,
    /// Official name, e.g. `南明区`.
    pub name: String,
    /// Six-digit code of the parent division, if any.
    pub parent: Option<String>,
    /// Level in the hierarchy.
    pub level: RegionLevel,
}

/// All administrative divisions, by six-digit code.
pub struct RegionTable {
    by_code: HashMap<String, Region>,
}

/// The embedded region table.
pub fn regions() -> &'static RegionTable {
    static TABLE: LazyLock<RegionTable> = LazyLock::new(|| {
        let mut by_code = HashMap::default();
        for line in REGIONS_TSV.lines().skip(1) {
            let cols: Vec<&str> = line.split('\t').collect();
            if cols.len() < 4 {
                continue;
            }
            let level = match cols[3] {
                "province" => RegionLevel::Province,
                "city" => RegionLevel::City,
                _ => RegionLevel::County,
            };
            let parent = (!cols[2].is_empty()).then(|| cols[2].to_string());
            by_code.insert(
                cols[0].to_string(),
                Region {
                    code: cols[0].to_string(),
                    name: cols[1].to_string(),
                    parent,
                    level,
                },
            );
        }
        RegionTable { by_code }
    });
    &TABLE
}

impl RegionTable {
    /// Looks up a division by its six-digit code.
    pub fn get(&self, code: &str) -> Option<&Region> {
        self.by_code.get(code)
    }

    /// Number of divisions in the table.
    pub fn len(&self) -> usize {
        self.by_code.len()
    }

    /// True when the table is empty (never, for the shipped table).
    pub fn is_empty(&self) -> bool {
        self.by_code.is_empty()
    }

    /// Turns `52`, `5201`, `520100` or `520102` into the canonical six-digit code
    /// of a known division; `None` when the code is malformed or unknown.
    pub fn normalize(&self, input: &str) -> Option<String> {
        let input = input.trim();
        if !matches!(input.len(), 2 | 4 | 6) || !input.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let code = format!("{input:0<6}");
        self.by_code.contains_key(&code).then_some(code)
    }

    /// The significant prefix of a canonical code: 2 digits for a province,
    /// 4 for a city, 6 for a county. Filters match documents by this prefix.
    pub fn prefix(code: &str) -> &str {
        if code.ends_with("0000") {
            &code[..2]
        } else if code.ends_with("00") {
            &code[..4]
        } else {
            code
        }
    }

    /// Prefixes of a canonical code from province down: `520102` → `52`, `5201`, `520102`.
    pub fn path(code: &str) -> Vec<String> {
        let prefix = Self::prefix(code);
        [2, 4, 6]
            .into_iter()
            .filter(|n| *n <= prefix.len())
            .map(|n| prefix[..n].to_string())
            .collect()
    }

    /// Every division, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &Region> {
        self.by_code.values()
    }
}

/// Level of a GB/T 4754 industry code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndustryLevel {
    /// 门类, a letter A–T.
    Section,
    /// 大类, two digits.
    Division,
    /// 中类, three digits.
    Group,
    /// 小类, four digits.
    Class,
}

/// One GB/T 4754-2017 industry.
#[derive(Debug, Clone)]
pub struct Industry {
    /// Code as in the standard: `C`, `38`, `381`, `3811`.
    pub code: String,
    /// Official name.
    pub name: String,
    /// Parent code, if any.
    pub parent: Option<String>,
    /// Level in the hierarchy.
    pub level: IndustryLevel,
    /// Section letter the code belongs to.
    pub section: String,
}

/// All GB/T 4754-2017 industries, by code.
pub struct IndustryTable {
    by_code: HashMap<String, Industry>,
    /// Each code's path from its section down (see [`IndustryTable::path`]),
    /// worked out once.
    paths: HashMap<String, Vec<String>>,
    /// Each code's path as numbers (see [`IndustryTable::key`]).
    keys: HashMap<String, IndustryKey>,
}

/// Most levels of an industry path: section, division, group, class.
const INDUSTRY_DEPTH: usize = 4;

/// An industry code's path (see [`IndustryTable::path`]) with each code on it
/// replaced by its number in the table: matching compares the paths of every
/// candidate pair, and comparing these reads no memory beyond the keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct IndustryKey {
    levels: [u16; INDUSTRY_DEPTH],
    depth: u8,
}

impl IndustryKey {
    /// How many levels the two paths share from the top (0 for unknown codes).
    #[inline]
    pub fn common_depth(&self, other: &IndustryKey) -> usize {
        let depth = self.depth.min(other.depth) as usize;
        self.levels[..depth]
            .iter()
            .zip(&other.levels[..depth])
            .take_while(|(a, b)| a == b)
            .count()
    }
}

/// The embedded industry table.
pub fn industries() -> &'static IndustryTable {
    static TABLE: LazyLock<IndustryTable> = LazyLock::new(|| {
        let mut by_code = HashMap::default();
        for line in INDUSTRIES_TSV.lines().skip(1) {
            let cols: Vec<&str> = line.split('\t').collect();
            if cols.len() < 5 {
                continue;
            }
            let level = match cols[3] {
                "section" => IndustryLevel::Section,
                "division" => IndustryLevel::Division,
                "group" => IndustryLevel::Group,
                _ => IndustryLevel::Class,
            };
            let parent = (!cols[2].is_empty()).then(|| cols[2].to_string());
            by_code.insert(
                cols[0].to_string(),
                Industry {
                    code: cols[0].to_string(),
                    name: cols[1].to_string(),
                    parent,
                    level,
                    section: cols[4].to_string(),
                },
            );
        }
        let paths = by_code
            .keys()
            .map(|code| {
                let mut path = Vec::with_capacity(4);
                let mut current = by_code.get(code);
                while let Some(industry) = current {
                    path.push(industry.code.clone());
                    current = industry.parent.as_deref().and_then(|p| by_code.get(p));
                }
                path.reverse();
                (code.clone(), path)
            })
            .collect::<HashMap<String, Vec<String>>>();
        let mut codes: Vec<&String> = by_code.keys().collect();
        codes.sort();
        let number: HashMap<&str, u16> = codes
            .iter()
            .enumerate()
            .map(|(i, code)| (code.as_str(), i as u16))
            .collect();
        let keys = paths
            .iter()
            .map(|(code, path)| {
                let mut key = IndustryKey::default();
                for (level, step) in key.levels.iter_mut().zip(path) {
                    *level = number[step.as_str()];
                }
                key.depth = path.len().min(INDUSTRY_DEPTH) as u8;
                (code.clone(), key)
            })
            .collect();
        IndustryTable {
            by_code,
            paths,
            keys,
        }
    });
    &TABLE
}

impl IndustryTable {
    /// Looks up an industry by its canonical code.
    pub fn get(&self, code: &str) -> Option<&Industry> {
        self.by_code.get(code)
    }

    /// Number of codes in the table.
    pub fn len(&self) -> usize {
        self.by_code.len()
    }

    /// True when the table is empty (never, for the shipped table).
    pub fn is_empty(&self) -> bool {
        self.by_code.is_empty()
    }

    /// Accepts `C`, `38`, `C38`, `381`, `C3811` (section letter optional before
    /// digits, case-insensitive) and returns the canonical code of a known industry.
    /// A section letter that contradicts the digits (`A38`) is refused.
    pub fn normalize(&self, input: &str) -> Option<String> {
        let input = input.trim().to_ascii_uppercase();
        let (letter, digits) = match input.char_indices().find(|(_, c)| c.is_ascii_digit()) {
            Some((i, _)) => (&input[..i], &input[i..]),
            None => (input.as_str(), ""),
        };
        if digits.is_empty() {
            return self
                .by_code
                .contains_key(letter)
                .then(|| letter.to_string());
        }
        if letter.len() > 1 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let found = self.by_code.get(digits)?;
        if !letter.is_empty() && found.section != letter {
            return None;
        }
        Some(found.code.clone())
    }

    /// The section letter and every ancestor code of a canonical code, from the
    /// top: `3811` → `C`, `38`, `381`, `3811`. Empty for an unknown code.
    pub fn path(&self, code: &str) -> &[String] {
        self.paths.get(code).map_or(&[], Vec::as_slice)
    }

    /// A code's path as an [`IndustryKey`] (of depth 0 for an unknown code).
    pub fn key(&self, code: &str) -> IndustryKey {
        self.keys.get(code).copied().unwrap_or_default()
    }

    /// The division (大类, two digits) of a code, if the code is at or below division level.
    pub fn division(&self, code: &str) -> Option<String> {
        let industry = self.by_code.get(code)?;
        (industry.level != IndustryLevel::Section).then(|| code[..2].to_string())
    }

    /// Every industry, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &Industry> {
        self.by_code.values()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_codes_normalise_and_reject_unknown() {
        let t = regions();
        assert!(t.len() > 3000);
        assert_eq!(t.normalize("52").as_deref(), Some("520000"));
        assert_eq!(t.normalize("5201").as_deref(), Some("520100"));
        assert_eq!(t.normalize("520102").as_deref(), Some("520102"));
        assert_eq!(t.normalize("99"), None);
        assert_eq!(t.normalize("52a1"), None);
        assert_eq!(t.normalize("5"), None);
        assert_eq!(t.get("520100").unwrap().name, "贵阳市");
        assert_eq!(RegionTable::path("520102"), vec!["52", "5201", "520102"]);
        assert_eq!(RegionTable::path("520000"), vec!["52"]);
    }

    #[test]
    fn industry_codes_normalise_and_reject_contradictions() {
        let t = industries();
        assert_eq!(t.normalize("C38").as_deref(), Some("38"));
        assert_eq!(t.normalize("c").as_deref(), Some("C"));
        assert_eq!(t.normalize("3811").as_deref(), Some("3811"));
        assert_eq!(t.normalize("A38"), None);
        assert_eq!(t.normalize("Z"), None);
        assert_eq!(t.normalize("99"), None);
        assert_eq!(t.path("3811"), vec!["C", "38", "381", "3811"]);
        let depth = |a: &str, b: &str| t.key(a).common_depth(&t.key(b));
        assert_eq!(depth("3811", "3811"), 4);
        assert_eq!(depth("3811", "3812"), 3);
        assert_eq!(depth("3811", "3821"), 2);
        assert_eq!(depth("3811", "39"), 1, "same section C");
        assert_eq!(depth("3811", "C"), 1);
        assert_eq!(depth("3811", "0111"), 0);
        assert_eq!(depth("3811", "99"), 0, "unknown code");
        assert_eq!(t.division("3811").as_deref(), Some("38"));
        assert_eq!(t.division("C"), None);
    }
}
