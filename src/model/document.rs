//! The document: one flat record shared by the four kinds. Fields that apply to
//! some kinds only are optional; [`crate::model::validate`] refuses a field set
//! on a kind it does not apply to.

use super::enums::{CoopMode, Kind, Maturity, PatentType, Status, ZjtxLevel};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// Where a document's data came from, when part of it is not fact.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provenance {
    /// Fields filled by a generator rather than taken from the source.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub synthetic_fields: Vec<String>,
    /// The generator and seed that produced them, e.g. `duijie-gen seed=7`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generator: Option<String>,
}

/// Intellectual property behind an achievement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IpInfo {
    /// Kind of protection.
    pub patent_type: PatentType,
    /// Patent or registration numbers, e.g. `CN114583201A`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub numbers: Vec<String>,
}

/// Contact details. Never shown to anonymous readers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    /// Contact person.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Telephone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// E-mail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// A document of any kind. Money is in 万元 (10,000 CNY); volumes and
/// capacities are per year in `volume_unit`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Document {
    /// Stable identifier; generated from the kind and the store's sequence when empty.
    #[serde(default)]
    pub id: String,
    /// The party that may edit the document.
    #[serde(default)]
    pub owner: String,
    /// Document kind.
    pub kind: Kind,
    /// Title, at most 200 characters.
    pub title: String,
    /// Description, at most 20,000 characters.
    #[serde(default)]
    pub body: String,
    /// Free keywords.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Life-cycle status.
    #[serde(default)]
    pub status: Status,
    /// Set by the store on first write.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime<Utc>>,
    /// Set by the store on every write.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<DateTime<Utc>>,
    /// Origin of the record, e.g. `csl` or `generated`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The record's id in its source, exactly as given there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_ref: Option<String>,
    /// Which fields are synthetic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provenance: Option<Provenance>,
    /// Administrative division code (province, city or county); stored as six digits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// GB/T 4754-2017 industry code (section letter, division, group or class).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub industry: Option<String>,
    /// Province's key industry chain the document belongs to, e.g. `新能源汽车`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chain: Option<String>,
    /// Last day the need or request is open.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<NaiveDate>,
    /// Contact details (owner and operators only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<Contact>,

    // ---- technology market: need and achievement ----
    /// need: budget in 万元.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget: Option<f64>,
    /// need: wanted modes; achievement: offered transfer modes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cooperation_modes: Vec<CoopMode>,
    /// need: wanted maturity; achievement: offered maturity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maturity: Option<Maturity>,
    /// achievement: technology readiness level 1–9.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trl: Option<u8>,
    /// achievement: university or institute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub institution: Option<String>,
    /// achievement: discipline (学科), e.g. `材料科学与工程`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// achievement: intellectual property.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<IpInfo>,
    /// achievement: asking price in 万元.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asking_price: Option<f64>,

    // ---- supply chain: request and supplier ----
    /// request: the parts or products wanted; supplier: products offered.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub products: Vec<String>,
    /// request: processes wanted; supplier: processes mastered.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub processes: Vec<String>,
    /// request: specifications (material, tolerance, standard).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub specs: Option<String>,
    /// request: required certifications; supplier: held certifications.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub certifications: Vec<String>,
    /// request: the certifications are a hard requirement.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub certs_mandatory: bool,
    /// request: volume wanted per year.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annual_volume: Option<f64>,
    /// supplier: capacity per year.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity: Option<f64>,
    /// request and supplier: unit of volume and capacity, e.g. `件`, `吨`, `套`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_unit: Option<String>,
    /// supplier: main equipment.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub equipment: Vec<String>,
    /// supplier: annual revenue in 万元.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revenue: Option<f64>,
    /// supplier: debt-to-asset ratio, 0–1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub debt_ratio: Option<f64>,
    /// supplier: share of revenue from the main business, 0–1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub main_business_share: Option<f64>,
    /// supplier: 专精特新 level.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zjtx_level: Option<ZjtxLevel>,
}

impl Document {
    /// An empty document of a kind with a title, for builders and tests.
    pub fn new(kind: Kind, title: impl Into<String>, body: impl Into<String>) -> Self {
        Document {
            id: String::new(),
            owner: String::new(),
            kind,
            title: title.into(),
            body: body.into(),
            tags: Vec::new(),
            status: Status::Open,
            created_at: None,
            updated_at: None,
            source: None,
            source_ref: None,
            provenance: None,
            region: None,
            industry: None,
            chain: None,
            deadline: None,
            contact: None,
            budget: None,
            cooperation_modes: Vec::new(),
            maturity: None,
            trl: None,
            institution: None,
            field: None,
            ip: None,
            asking_price: None,
            products: Vec::new(),
            processes: Vec::new(),
            specs: None,
            certifications: Vec::new(),
            certs_mandatory: false,
            annual_volume: None,
            capacity: None,
            volume_unit: None,
            equipment: Vec::new(),
            revenue: None,
            debt_ratio: None,
            main_business_share: None,
            zjtx_level: None,
        }
    }

    /// All searchable text of the document beyond title and body: tags,
    /// products, processes, specs, certifications, equipment, field, institution, chain.
    pub fn extra_text(&self) -> String {
        let mut parts: Vec<&str> = Vec::new();
        parts.extend(self.tags.iter().map(String::as_str));
        parts.extend(self.products.iter().map(String::as_str));
        parts.extend(self.processes.iter().map(String::as_str));
        parts.extend(self.certifications.iter().map(String::as_str));
        parts.extend(self.equipment.iter().map(String::as_str));
        parts.extend(
            [&self.specs, &self.field, &self.institution, &self.chain]
                .into_iter()
                .flatten()
                .map(String::as_str),
        );
        parts.join(" ")
    }

    /// A copy without contact details, for readers who may not see them.
    pub fn public_view(&self) -> Document {
        Document {
            contact: None,
            ..self.clone()
        }
    }
}
