//! The gap report (补链): open needs and requests whose best match scores
//! below a threshold, grouped by industry division and region — the missing
//! links a platform should recruit suppliers or research partners for.

use super::{Engine, MatchOptions};
use crate::error::Result;
use crate::model::codes::{industries, regions, RegionTable};
use crate::model::{Kind, Market, Status};
use crate::search::fulltext::Filters;
use serde::Serialize;
use std::collections::BTreeMap;

/// A best-match score below this is a gap, unless the caller says otherwise.
pub const DEFAULT_GAP_THRESHOLD: f32 = 0.45;

/// One unmatched demand.
#[derive(Debug, Clone, Serialize)]
pub struct GapDocument {
    /// Need or request id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// Score of its best match (0 when nothing matched at all).
    pub best_score: f32,
    /// Id of that best match.
    pub best_match: Option<String>,
}

/// Unmatched demands of one industry division in one region.
#[derive(Debug, Clone, Serialize)]
pub struct GapGroup {
    /// GB/T 4754 division (two digits), or `unknown`.
    pub industry: String,
    /// Its name.
    pub industry_name: String,
    /// Region code (province, or city when the report is for a province).
    pub region: String,
    /// Its name.
    pub region_name: String,
    /// The demands, weakest best match first.
    pub documents: Vec<GapDocument>,
}

/// The gap report.
#[derive(Debug, Clone, Serialize)]
pub struct GapReport {
    /// Market scanned.
    pub market: Market,
    /// Region prefix scanned, if any.
    pub region: Option<String>,
    /// Threshold used.
    pub threshold: f32,
    /// Open demands scanned.
    pub scanned: usize,
    /// Demands below the threshold.
    pub gaps: usize,
    /// Groups, largest first.
    pub groups: Vec<GapGroup>,
}

impl Engine {
    /// Scans the open demands of a market (optionally in a region) and reports
    /// those whose best match, under the market's default profile, is below `threshold`.
    pub fn gaps(&self, market: Market, region: Option<&str>, threshold: f32) -> Result<GapReport> {
        let demand = match market {
            Market::Tech => Kind::Need,
            Market::Supply => Kind::Request,
        };
        let filters = Filters::parse(region, None, Some(Status::Open))?;
        let options = MatchOptions {
            k: 1,
            ..MatchOptions::default()
        };
        let today = chrono::Utc::now().date_naive();
        let mut scanned = 0;
        let mut groups: BTreeMap<(String, String), Vec<GapDocument>> = BTreeMap::new();
        let mut entries = self.catalog.entries(demand);
        entries.sort_by(|a, b| a.doc.id.cmp(&b.doc.id));
        for entry in entries {
            let doc = &entry.doc;
            if doc.status != Status::Open || doc.deadline.is_some_and(|d| d < today) {
                continue;
            }
            let region_code = doc.region.clone().unwrap_or_default();
            if let Some(prefix) = &filters.region {
                if !RegionTable::path(&region_code).contains(prefix) {
                    continue;
                }
            }
            scanned += 1;
            let best = self.match_id(&doc.id, &options)?.into_iter().next();
            let best_score = best.as_ref().map_or(0.0, |b| b.score);
            if best_score >= threshold {
                continue;
            }
            let division = doc
                .industry
                .as_deref()
                .and_then(|i| industries().division(i))
                .unwrap_or_else(|| "unknown".into());
            let group_len = if filters.region.is_some() { 4 } else { 2 };
            let prefix = RegionTable::prefix(&region_code);
            let group_region = prefix[..group_len.min(prefix.len())].to_string();
            groups
                .entry((division, group_region))
                .or_default()
                .push(GapDocument {
                    id: doc.id.clone(),
                    title: doc.title.clone(),
                    best_score,
                    best_match: best.map(|b| b.id),
                });
        }
        let gaps = groups.values().map(Vec::len).sum();
        let mut groups: Vec<GapGroup> = groups
            .into_iter()
            .map(|((industry, region), mut documents)| {
                documents.sort_by(|a, b| a.best_score.total_cmp(&b.best_score));
                let full = format!("{region:0<6}");
                GapGroup {
                    industry_name: industries()
                        .get(&industry)
                        .map(|i| i.name.clone())
                        .unwrap_or_default(),
                    region_name: regions()
                        .get(&full)
                        .map(|r| r.name.clone())
                        .unwrap_or_default(),
                    industry,
                    region,
                    documents,
                }
            })
            .collect();
        groups.sort_by(|a, b| {
            b.documents
                .len()
                .cmp(&a.documents.len())
                .then(a.industry.cmp(&b.industry))
        });
        Ok(GapReport {
            market,
            region: filters.region,
            threshold,
            scanned,
            gaps,
            groups,
        })
    }
}
