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

/// A [`VectorFilter`]'s metadata conditions, canonicalised once per search.
#[derive(Debug, Clone)]
pub(crate) struct MetaMatcher {
    region: Option<String>,
    industry: Option<String>,
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
            region,
            industry,
            status: filter.status,
        }
    }

    /// True when the metadata satisfies every condition.
    #[inline]
    pub(crate) fn matches(&self, meta: &VectorMeta) -> bool {
        if let Some(status) = self.status {
            if meta.status != status {
                return false;
            }
        }
        if let Some(prefix) = &self.region {
            match &meta.region {
                Some(region) if region.starts_with(prefix.as_str()) => {}
                _ => return false,
            }
        }
        if let Some(prefix) = &self.industry {
            match &meta.industry {
                Some(industry) if industry.starts_with(prefix.as_str()) => {}
                _ => return false,
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
            .matches(&m)
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
        .matches(&bare));
    }
}
