//! Pair features. Every feature is a function of the (demand, supply) pair —
//! need and achievement, or request and supplier — in that orientation,
//! normalised to [0, 1]. A field missing on either side gives [`NEUTRAL`]:
//! unknown is neither a fit nor a misfit.

use crate::model::codes::{industries, IndustryKey};
use crate::model::{Document, Maturity};
use crate::text::fold_char;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::LazyLock;

/// Value of a fit feature when a side lacks the field.
pub const NEUTRAL: f32 = 0.5;

const ADJACENCY_TSV: &str = include_str!("../../corpora/codes/province_adjacency.tsv");

/// The named features.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Feature {
    /// Lexical relevance: BM25 of the demand's words against the supply document.
    Bm25,
    /// Semantic relevance: cosine of the two documents' vectors.
    Cosine,
    /// Same GB/T 4754 class > group > division > section > same industry chain.
    IndustryFit,
    /// Same county > city > province > neighbouring province > elsewhere.
    RegionFit,
    /// Offered maturity against the wanted one (研发 < 小试 < 中试 < 产业化).
    MaturityFit,
    /// The need's budget against the achievement's asking price.
    BudgetFit,
    /// The supplier's capacity against the request's annual volume.
    CapacityFit,
    /// Share of the request's certifications the supplier holds.
    CertFit,
    /// The supplier's 专精特新 level: none 0 < 培育库 < 省级 < 小巨人 < 单项冠军 1.
    ZjtxLevel,
    /// Recency of both documents (exponential decay with a half-life).
    Freshness,
    /// Overlap of wanted and offered cooperation modes.
    CoopFit,
}

impl Feature {
    /// Every feature.
    pub const ALL: [Feature; 11] = [
        Feature::Bm25,
        Feature::Cosine,
        Feature::IndustryFit,
        Feature::RegionFit,
        Feature::MaturityFit,
        Feature::BudgetFit,
        Feature::CapacityFit,
        Feature::CertFit,
        Feature::ZjtxLevel,
        Feature::Freshness,
        Feature::CoopFit,
    ];

    /// Name as in profiles and explanations.
    pub fn as_str(self) -> &'static str {
        match self {
            Feature::Bm25 => "bm25",
            Feature::Cosine => "cosine",
            Feature::IndustryFit => "industry_fit",
            Feature::RegionFit => "region_fit",
            Feature::MaturityFit => "maturity_fit",
            Feature::BudgetFit => "budget_fit",
            Feature::CapacityFit => "capacity_fit",
            Feature::CertFit => "cert_fit",
            Feature::ZjtxLevel => "zjtx_level",
            Feature::Freshness => "freshness",
            Feature::CoopFit => "coop_fit",
        }
    }
}

/// The feature values of one pair, one slot per [`Feature`]: scoring reads
/// hundreds of these per match, so no map and no allocation.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct FeatureValues([Option<f32>; Feature::ALL.len()]);

impl FeatureValues {
    /// The value of `feature`, when computed.
    #[inline]
    pub fn get(&self, feature: Feature) -> Option<f32> {
        self.0[feature as usize]
    }

    /// The value of `feature`, 0 when not computed.
    #[inline]
    pub fn value(&self, feature: Feature) -> f32 {
        self.get(feature).unwrap_or(0.0)
    }

    /// Sets the value of `feature`.
    #[inline]
    pub fn insert(&mut self, feature: Feature, value: f32) {
        self.0[feature as usize] = Some(value);
    }
}

impl FromIterator<(Feature, f32)> for FeatureValues {
    fn from_iter<I: IntoIterator<Item = (Feature, f32)>>(iter: I) -> Self {
        let mut values = FeatureValues::default();
        for (feature, value) in iter {
            values.insert(feature, value);
        }
        values
    }
}

impl fmt::Display for Feature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Industry fit of two GB/T 4754 codes, with the industry-chain labels as a fallback.
pub fn industry_fit(a: &Document, b: &Document) -> f32 {
    industry_fit_by_key((a, industry_key(a)), (b, industry_key(b)))
}

/// The path of a document's industry from its section down, as an
/// [`IndustryKey`] (see [`crate::model::codes::IndustryTable::key`]): of
/// depth 0 for an unknown code, `None` without a code. Looked up once per
/// document, not once per pair.
pub fn industry_key(doc: &Document) -> Option<IndustryKey> {
    doc.industry.as_deref().map(|code| industries().key(code))
}

/// [`industry_fit`] of two documents whose [`industry_key`]s are at hand.
pub fn industry_fit_by_key(
    (a, kx): (&Document, Option<IndustryKey>),
    (b, ky): (&Document, Option<IndustryKey>),
) -> f32 {
    let (Some(kx), Some(ky)) = (kx, ky) else {
        return NEUTRAL;
    };
    // path: [section, division, group, class]
    let by_code: f32 = match kx.common_depth(&ky) {
        4 => 1.0,
        3 => 0.9,
        2 => 0.8,
        1 => 0.4,
        _ => 0.0,
    };
    let same_chain = matches!((&a.chain, &b.chain), (Some(p), Some(q)) if p == q);
    if same_chain {
        by_code.max(0.3)
    } else {
        by_code
    }
}

/// Provinces by their two-digit code number (00–99).
type ProvinceMatrix = [[bool; 100]; 100];

/// `[a][b]` is true when provinces `a` and `b` share a border (symmetric),
/// read from the shipped adjacency table: a lookup per pair without hashing.
fn adjacency() -> &'static ProvinceMatrix {
    static TABLE: LazyLock<Box<ProvinceMatrix>> = LazyLock::new(|| {
        let mut table = Box::new([[false; 100]; 100]);
        for line in ADJACENCY_TSV.lines().skip(1) {
            let Some((code, neighbours)) = line.split_once('\t') else {
                continue;
            };
            let Some(a) = province_number(code) else {
                continue;
            };
            for b in neighbours.split(',').filter_map(province_number) {
                table[a][b] = true;
                table[b][a] = true;
            }
        }
        table
    });
    &TABLE
}

/// The number of a two-digit province code.
fn province_number(code: &str) -> Option<usize> {
    match code.as_bytes() {
        [a @ b'0'..=b'9', b @ b'0'..=b'9'] => {
            Some(usize::from(a - b'0') * 10 + usize::from(b - b'0'))
        }
        _ => None,
    }
}

/// True when two provinces (two-digit codes) share a border.
pub fn neighbouring_provinces(a: &str, b: &str) -> bool {
    match (province_number(a), province_number(b)) {
        (Some(a), Some(b)) => adjacency()[a][b],
        _ => false,
    }
}

/// Region fit of two six-digit division codes.
pub fn region_fit(a: &Document, b: &Document) -> f32 {
    let (Some(x), Some(y)) = (a.region.as_deref(), b.region.as_deref()) else {
        return NEUTRAL;
    };
    if x.len() != 6 || y.len() != 6 {
        return NEUTRAL;
    }
    let county_level = |c: &str| !c.ends_with("00");
    if x == y && county_level(x) {
        1.0
    } else if x[..4] == y[..4] && !x.ends_with("0000") && !y.ends_with("0000") {
        0.8
    } else if x[..2] == y[..2] {
        0.6
    } else if neighbouring_provinces(&x[..2], &y[..2]) {
        0.4
    } else {
        0.1
    }
}

/// Offered maturity (supply) against the wanted one (demand): at or above → 1,
/// one stage short → 0.5, two → 0.2, three → 0.
pub fn maturity_fit(wanted: Option<Maturity>, offered: Option<Maturity>) -> f32 {
    let (Some(w), Some(o)) = (wanted, offered) else {
        return NEUTRAL;
    };
    match w.stage().saturating_sub(o.stage()) {
        0 => 1.0,
        1 => 0.5,
        2 => 0.2,
        _ => 0.0,
    }
}

/// Budget against asking price: within budget → 1; up to `tolerance` over →
/// falls linearly to 0.5; beyond, decays as budget ÷ price. A zero or missing
/// figure (negotiable) is neutral.
pub fn budget_fit(budget: Option<f64>, price: Option<f64>, tolerance: f64) -> f32 {
    match (budget, price) {
        (Some(b), Some(p)) if b > 0.0 && p > 0.0 => {
            let tolerance = tolerance.max(1e-6);
            if p <= b {
                1.0
            } else if p <= b * (1.0 + tolerance) {
                (1.0 - 0.5 * (p / b - 1.0) / tolerance) as f32
            } else {
                (0.5 * b * (1.0 + tolerance) / p) as f32
            }
        }
        _ => NEUTRAL,
    }
}

/// Capacity against volume: enough → 1, otherwise the share covered. Volumes
/// in different units cannot be compared (neutral).
pub fn capacity_fit(request: &Document, supplier: &Document) -> f32 {
    let (Some(volume), Some(capacity)) = (request.annual_volume, supplier.capacity) else {
        return NEUTRAL;
    };
    if let (Some(u), Some(v)) = (&request.volume_unit, &supplier.volume_unit) {
        if u.trim() != v.trim() {
            return NEUTRAL;
        }
    }
    if volume <= 0.0 {
        return 1.0;
    }
    (capacity / volume).clamp(0.0, 1.0) as f32
}

/// Canonical form of a certification name: folded, without spaces and
/// punctuation, without a year suffix (`:2015`) or 认证/体系 suffixes.
pub fn normalize_cert(name: &str) -> String {
    let folded: String = name
        .chars()
        .map(fold_char)
        .filter(|c| !c.is_whitespace() && !matches!(c, '-' | '_' | '/' | '.' | '·'))
        .collect();
    let mut s = match folded.find(':') {
        Some(i) => folded[..i].to_string(),
        None => folded,
    };
    for suffix in [
        "质量管理体系认证",
        "管理体系认证",
        "体系认证",
        "认证证书",
        "认证",
        "体系",
        "证书",
    ] {
        if let Some(stripped) = s.strip_suffix(suffix) {
            s = stripped.to_string();
        }
    }
    s
}

fn cert_held(required: &str, held: &[String]) -> bool {
    held.iter().any(|h| {
        h == required
            || (required.len() >= 6 && h.starts_with(required))
            || (h.len() >= 6 && required.starts_with(h.as_str()))
    })
}

/// A document's certifications in canonical form ([`normalize_cert`]),
/// computed once per document rather than once per pair.
pub fn normalized_certs(doc: &Document) -> Vec<String> {
    doc.certifications
        .iter()
        .map(|c| normalize_cert(c))
        .collect()
}

/// Share of the required certifications the supplier holds (1 when none is
/// required); both lists in canonical form ([`normalized_certs`]).
pub fn cert_fit(required: &[String], held: &[String]) -> f32 {
    if required.is_empty() {
        return 1.0;
    }
    let met = required.iter().filter(|c| cert_held(c, held)).count();
    met as f32 / required.len() as f32
}

/// 专精特新 level of the supplier, 0 (none) to 1 (单项冠军).
pub fn zjtx_level(supplier: &Document) -> f32 {
    supplier.zjtx_level.map_or(0.0, |z| z.rank() as f32 / 4.0)
}

/// Mean recency of the two documents: each 0.5^(age in days ÷ half-life).
pub fn freshness(a: &Document, b: &Document, now: DateTime<Utc>, half_life_days: f32) -> f32 {
    let one = |d: &Document| match d.created_at {
        Some(t) => {
            let days = (now - t).num_seconds().max(0) as f32 / 86_400.0;
            0.5f32.powf(days / half_life_days.max(1e-3))
        }
        None => NEUTRAL,
    };
    (one(a) + one(b)) / 2.0
}

/// Whether the modes wanted and offered share one.
pub fn coop_fit(a: &Document, b: &Document) -> f32 {
    if a.cooperation_modes.is_empty() || b.cooperation_modes.is_empty() {
        return NEUTRAL;
    }
    if a.cooperation_modes
        .iter()
        .any(|m| b.cooperation_modes.contains(m))
    {
        1.0
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{CoopMode, Kind, ZjtxLevel};

    fn doc(kind: Kind) -> Document {
        Document::new(kind, "t", "b")
    }

    fn with_industry(code: Option<&str>, chain: Option<&str>) -> Document {
        let mut d = doc(Kind::Need);
        d.industry = code.map(str::to_string);
        d.chain = chain.map(str::to_string);
        d
    }

    #[test]
    fn feature_values_keep_each_feature_in_its_own_slot() {
        let values: FeatureValues = Feature::ALL
            .iter()
            .enumerate()
            .map(|(i, f)| (*f, i as f32))
            .collect();
        for (i, f) in Feature::ALL.iter().enumerate() {
            assert_eq!(values.get(*f), Some(i as f32), "{f}");
        }
        let one: FeatureValues = [(Feature::CertFit, 0.25)].into_iter().collect();
        for f in Feature::ALL {
            let wanted = (f == Feature::CertFit).then_some(0.25);
            assert_eq!(one.get(f), wanted, "{f}");
        }
        assert_eq!(
            (one.get(Feature::Bm25), one.value(Feature::Bm25)),
            (None, 0.0)
        );
    }

    #[test]
    fn industry_fit_orders_class_division_section_chain() {
        let a = with_industry(Some("3841"), None);
        assert_eq!(industry_fit(&a, &with_industry(Some("3841"), None)), 1.0);
        assert_eq!(industry_fit(&a, &with_industry(Some("3842"), None)), 0.9);
        assert_eq!(industry_fit(&a, &with_industry(Some("38"), None)), 0.8);
        assert_eq!(industry_fit(&a, &with_industry(Some("3670"), None)), 0.4);
        assert_eq!(industry_fit(&a, &with_industry(Some("0111"), None)), 0.0);
        assert_eq!(industry_fit(&a, &with_industry(None, None)), NEUTRAL);
        let chained = with_industry(Some("3841"), Some("新能源电池"));
        assert_eq!(
            industry_fit(&chained, &with_industry(Some("0111"), Some("新能源电池"))),
            0.3
        );
    }

    fn at(region: Option<&str>) -> Document {
        let mut d = doc(Kind::Request);
        d.region = region.map(str::to_string);
        d
    }

    #[test]
    fn region_fit_orders_county_city_province_neighbour_elsewhere() {
        let a = at(Some("520102"));
        assert_eq!(region_fit(&a, &at(Some("520102"))), 1.0);
        assert_eq!(region_fit(&a, &at(Some("520103"))), 0.8);
        assert_eq!(region_fit(&a, &at(Some("520100"))), 0.8);
        assert_eq!(region_fit(&a, &at(Some("520302"))), 0.6);
        assert_eq!(region_fit(&a, &at(Some("520000"))), 0.6);
        assert_eq!(
            region_fit(&a, &at(Some("500101"))),
            0.4,
            "Chongqing borders Guizhou"
        );
        assert_eq!(region_fit(&a, &at(Some("230102"))), 0.1);
        assert_eq!(region_fit(&a, &at(None)), NEUTRAL);
        assert!(neighbouring_provinces("52", "43") && neighbouring_provinces("43", "52"));
    }

    #[test]
    fn neighbouring_provinces_reads_the_shipped_table_and_refuses_bad_codes() {
        let of_guizhou: Vec<String> = (0..100)
            .map(|n| format!("{n:02}"))
            .filter(|c| neighbouring_provinces("52", c))
            .collect();
        // Chongqing, Sichuan, Yunnan, Guangxi, Hunan.
        assert_eq!(of_guizhou, ["43", "45", "50", "51", "53"]);
        assert!(!neighbouring_provinces("52", "52"));
        assert!(!neighbouring_provinces("52", "11"));
        for bad in ["5", "520", "5x", "", "５２"] {
            assert!(!neighbouring_provinces(bad, "43"), "{bad}");
            assert!(!neighbouring_provinces("43", bad), "{bad}");
        }
    }

    #[test]
    fn maturity_fit_edges() {
        use Maturity::*;
        assert_eq!(maturity_fit(Some(Pilot), Some(Industrial)), 1.0);
        assert_eq!(maturity_fit(Some(Pilot), Some(Pilot)), 1.0);
        assert_eq!(maturity_fit(Some(Pilot), Some(BenchTrial)), 0.5);
        assert_eq!(maturity_fit(Some(Industrial), Some(Research)), 0.0);
        assert_eq!(maturity_fit(None, Some(Research)), NEUTRAL);
    }

    #[test]
    fn budget_fit_edges() {
        assert_eq!(budget_fit(Some(100.0), Some(80.0), 0.3), 1.0);
        assert_eq!(budget_fit(Some(100.0), Some(100.0), 0.3), 1.0);
        assert!((budget_fit(Some(100.0), Some(130.0), 0.3) - 0.5).abs() < 1e-6);
        assert!(budget_fit(Some(100.0), Some(1000.0), 0.3) < 0.1);
        assert_eq!(budget_fit(None, Some(10.0), 0.3), NEUTRAL);
        assert_eq!(budget_fit(Some(0.0), Some(10.0), 0.3), NEUTRAL);
    }

    #[test]
    fn capacity_fit_edges() {
        let mut r = doc(Kind::Request);
        r.annual_volume = Some(10_000.0);
        r.volume_unit = Some("件".into());
        let mut s = doc(Kind::Supplier);
        s.capacity = Some(50_000.0);
        s.volume_unit = Some("件".into());
        assert_eq!(capacity_fit(&r, &s), 1.0);
        s.capacity = Some(2_500.0);
        assert_eq!(capacity_fit(&r, &s), 0.25);
        s.capacity = Some(0.0);
        assert_eq!(capacity_fit(&r, &s), 0.0);
        s.volume_unit = Some("吨".into());
        assert_eq!(capacity_fit(&r, &s), NEUTRAL);
        s.capacity = None;
        assert_eq!(capacity_fit(&r, &s), NEUTRAL);
    }

    #[test]
    fn cert_fit_normalises_names() {
        let cert_fit =
            |r: &Document, s: &Document| cert_fit(&normalized_certs(r), &normalized_certs(s));
        let mut r = doc(Kind::Request);
        r.certifications = vec!["IATF 16949".into(), "ISO9001:2015".into()];
        let mut s = doc(Kind::Supplier);
        s.certifications = vec!["iatf16949认证".into(), "ISO 9001".into()];
        assert_eq!(cert_fit(&r, &s), 1.0);
        s.certifications = vec!["ISO9001质量管理体系认证".into()];
        assert_eq!(cert_fit(&r, &s), 0.5);
        s.certifications.clear();
        assert_eq!(cert_fit(&r, &s), 0.0);
        r.certifications.clear();
        assert_eq!(cert_fit(&r, &s), 1.0);
        assert_eq!(normalize_cert("GJB 9001C-2017"), "gjb9001c2017");
    }

    #[test]
    fn zjtx_freshness_and_coop() {
        let mut s = doc(Kind::Supplier);
        assert_eq!(zjtx_level(&s), 0.0);
        s.zjtx_level = Some(ZjtxLevel::Champion);
        assert_eq!(zjtx_level(&s), 1.0);
        s.zjtx_level = Some(ZjtxLevel::Provincial);
        assert_eq!(zjtx_level(&s), 0.5);

        let now = Utc::now();
        let mut a = doc(Kind::Need);
        let mut b = doc(Kind::Achievement);
        a.created_at = Some(now);
        b.created_at = Some(now - chrono::Duration::days(180));
        assert!((freshness(&a, &b, now, 180.0) - 0.75).abs() < 1e-3);
        b.created_at = None;
        assert!((freshness(&a, &b, now, 180.0) - 0.75).abs() < 1e-3);

        a.cooperation_modes = vec![CoopMode::Transfer];
        b.cooperation_modes = vec![CoopMode::License, CoopMode::Transfer];
        assert_eq!(coop_fit(&a, &b), 1.0);
        b.cooperation_modes = vec![CoopMode::Service];
        assert_eq!(coop_fit(&a, &b), 0.0);
        b.cooperation_modes.clear();
        assert_eq!(coop_fit(&a, &b), NEUTRAL);
    }
}
