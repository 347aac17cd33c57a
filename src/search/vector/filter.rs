//! Per-vector metadata and the filter a vector search applies to it.

use crate::model::codes::RegionTable;
use crate::model::Status;

/// Metadata kept per vector for filtering.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VectorMeta {
    /// Administrative division code of the document (six digits, e.g. `520102`).
    pub region: Option<String>,
    /// GB/T 4754 industry code of the document, digits only (e.g. `3811` or `38`).
    pub industry: Option<String>,
    /// Life-cycle status of the document.
    pub status: Status,
}

/// Filter applied during a vector search. Every condition that is set must hold.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct VectorFilter {
    /// Region prefix: `52` (province), `5201` (city) or `520102` (county). A
    /// six-digit province or city code (`520000`, `520100`) is read as its prefix.
    pub region_prefix: Option<String>,
    /// Industry code prefix on digits: `38` matches `3811`.
    pub industry_prefix: Option<String>,
    /// Only vectors whose document has this status.
    pub status: Option<Status>,
    /// Never return the document with this id (typically the query document itself).
    pub exclude_id: Option<String>,
}

impl VectorFilter {
    /// True when a metadata condition (region, industry or status) is set;
    /// `exclude_id` alone does not count.
    pub fn restricts_metadata(&self) -> bool {
        self.region_prefix.is_some() || self.industry_prefix.is_some() || self.status.is_some()
    }
}

/// A region or industry code packed for prefix tests that touch no heap
/// memory: the filter scan over a million vectors reads these, not strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Code {
    /// No code.
    Absent,
    /// A code of one to nine ASCII digits (`len` keeps leading zeros).
    Digits {
        /// The digits read as a number.
        value: u32,
        /// How many digits.
        len: u8,
    },
    /// Anything else (empty, letters, ten digits or more): only the string can tell.
    Other,
}

/// Powers of ten up to 10^9.
const POW10: [u32; 10] = [
    1,
    10,
    100,
    1_000,
    10_000,
    100_000,
    1_000_000,
    10_000_000,
    100_000_000,
    1_000_000_000,
];

impl Code {
    /// Packs an optional code.
    pub(crate) fn of(code: Option<&str>) -> Code {
        match code {
            None => Code::Absent,
            Some(s)
                if (1..POW10.len()).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit()) =>
            {
                Code::Digits {
                    value: s.parse().unwrap_or(0),
                    len: s.len() as u8,
                }
            }
            Some(_) => Code::Other,
        }
    }

    /// Whether `self`, read as a prefix, begins `code`; `None` when only the
    /// strings can tell.
    #[inline]
    fn begins(self, code: Code) -> Option<bool> {
        match (self, code) {
            (_, Code::Absent) => Some(false),
            (Code::Digits { value: p, len: pl }, Code::Digits { value, len }) => {
                Some(pl <= len && value / POW10[usize::from(len - pl)] == p)
            }
            _ => None,
        }
    }
}

/// A [`VectorMeta`] packed for the filter scan (no heap pointers).
#[derive(Debug, Clone, Copy)]
pub(crate) struct PackedMeta {
    region: Code,
    industry: Code,
    status: Status,
}

impl PackedMeta {
    /// Packs the metadata.
    pub(crate) fn of(meta: &VectorMeta) -> PackedMeta {
        PackedMeta {
            region: Code::of(meta.region.as_deref()),
            industry: Code::of(meta.industry.as_deref()),
            status: meta.status,
        }
    }
}

/// A prefix condition: the string and its packed form.
#[derive(Debug, Clone)]
struct Prefix {
    text: String,
    code: Code,
}

impl Prefix {
    fn new(text: String) -> Prefix {
        let code = Code::of(Some(&text));
        Prefix { text, code }
    }

    /// True when `packed` (or, when the packed forms cannot tell, `full`) begins with the prefix.
    #[inline]
    fn begins(&self, packed: Code, full: Option<&str>) -> bool {
        self.code
            .begins(packed)
            .unwrap_or_else(|| full.is_some_and(|s| s.starts_with(self.text.as_str())))
    }
}

/// A [`VectorFilter`]'s metadata conditions, canonicalised once per search.
#[derive(Debug, Clone)]
pub(crate) struct MetaMatcher {
    region: Option<Prefix>,
    industry: Option<Prefix>,
    status: Option<Status>,
}

impl MetaMatcher {
    /// Canonicalises the filter's conditions.
    pub(crate) fn new(filter: &VectorFilter) -> MetaMatcher {
        let region = filter.region_prefix.as_deref().map(|r| {
            let r = r.trim();
            if r.len() == 6 && r.bytes().all(|b| b.is_ascii_digit()) {
                RegionTable::prefix(r).to_string()
            } else {
                r.to_string()
            }
        });
        let industry = filter
            .industry_prefix
            .as_deref()
            .map(|i| i.trim().to_string());
        MetaMatcher {
            region: region.map(Prefix::new),
            industry: industry.map(Prefix::new),
            status: filter.status,
        }
    }

    /// True when the metadata satisfies every condition. `packed` must be
    /// `meta` packed; `meta` is read only where the packed form cannot tell.
    #[inline]
    pub(crate) fn matches(&self, packed: &PackedMeta, meta: &VectorMeta) -> bool {
        if self.status.is_some_and(|s| s != packed.status) {
            return false;
        }
        if let Some(prefix) = &self.region {
            if !prefix.begins(packed.region, meta.region.as_deref()) {
                return false;
            }
        }
        if let Some(prefix) = &self.industry {
            if !prefix.begins(packed.industry, meta.industry.as_deref()) {
                return false;
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(region: &str, industry: &str, status: Status) -> VectorMeta {
        VectorMeta {
            region: Some(region.into()),
            industry: Some(industry.into()),
            status,
        }
    }

    #[test]
    fn prefixes_and_status() {
        let m = meta("520102", "3811", Status::Open);
        let f = |r: Option<&str>, i: Option<&str>, s: Option<Status>| {
            MetaMatcher::new(&VectorFilter {
                region_prefix: r.map(Into::into),
                industry_prefix: i.map(Into::into),
                status: s,
                exclude_id: None,
            })
            .matches(&PackedMeta::of(&m), &m)
        };
        assert!(f(None, None, None));
        assert!(f(Some("52"), None, None));
        assert!(f(Some("5201"), Some("38"), Some(Status::Open)));
        assert!(f(Some("520100"), Some("3811"), None));
        assert!(f(Some("520000"), None, None));
        assert!(!f(Some("53"), None, None));
        assert!(!f(None, Some("39"), None));
        assert!(!f(None, None, Some(Status::Closed)));
        let bare = VectorMeta::default();
        assert!(!MetaMatcher::new(&VectorFilter {
            region_prefix: Some("52".into()),
            ..VectorFilter::default()
        })
        .matches(&PackedMeta::of(&bare), &bare));
    }

    /// The packed test agrees with the string test on every pair of these,
    /// leading zeros, over-long prefixes and non-digit codes included.
    #[test]
    fn packed_prefixes_agree_with_strings() {
        let codes = [
            None,
            Some(""),
            Some("0"),
            Some("01"),
            Some("0123"),
            Some("3811"),
            Some("38"),
            Some("520102"),
            Some("52"),
            Some("5201029999"),
            Some("C3811"),
            Some("C"),
        ];
        for prefix in codes.iter().flatten() {
            let wanted = Prefix::new(prefix.to_string());
            for code in codes {
                let by_string = code.is_some_and(|c| c.starts_with(prefix));
                assert_eq!(
                    wanted.begins(Code::of(code), code),
                    by_string,
                    "prefix {prefix:?} of {code:?}"
                );
            }
        }
        assert_eq!(Code::of(Some("0123")), Code::Digits { value: 123, len: 4 });
        assert_eq!(Code::of(Some("C38")), Code::Other);
        assert_eq!(Code::of(None), Code::Absent);
    }
}
