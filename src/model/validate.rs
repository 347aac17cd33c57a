//! Parsing and validation of documents. Every refusal names the field and the reason.

use super::codes::{industries, regions};
use super::document::Document;
use super::enums::Kind;
use thiserror::Error;

/// Longest title, in characters.
pub const MAX_TITLE_CHARS: usize = 200;
/// Longest body, in characters.
pub const MAX_BODY_CHARS: usize = 20_000;
/// Most entries in one list field (tags, products, certifications …).
pub const MAX_LIST_LEN: usize = 50;
/// Longest entry of a list field, in characters.
pub const MAX_ITEM_CHARS: usize = 200;

/// A document was refused: `field` is the JSON path of the offending field.
#[derive(Debug, Clone, PartialEq, Eq, Error, serde::Serialize)]
#[error("{field}: {reason}")]
pub struct ValidationError {
    /// JSON field (path) at fault, e.g. `region` or `ip.patent_type`.
    pub field: String,
    /// Why it was refused.
    pub reason: String,
}

impl ValidationError {
    /// A refusal of `field` for `reason`.
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        ValidationError {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// Parses one JSON document. Type errors and unknown fields name their field;
/// the result is not yet validated (see [`Document::validate`]).
pub fn parse_document(json: &str) -> Result<Document, ValidationError> {
    let de = &mut serde_json::Deserializer::from_str(json);
    serde_path_to_error::deserialize(de).map_err(|err| {
        let path = err.path().to_string();
        let message = err.inner().to_string();
        // The path names the offending field, unknown ones included; a missing
        // field is reported at the enclosing object. A syntax error where no
        // key has been read yet ends the path in `?`: it names the enclosing
        // field, or the document.
        let mut path = path.as_str();
        while let Some(outer) = path
            .strip_suffix(".?")
            .or_else(|| (path == "?").then_some(""))
        {
            path = outer;
        }
        let field = match missing_field_name(&message) {
            Some(name) if path == "." || path.is_empty() => name.to_string(),
            Some(name) => format!("{path}.{name}"),
            None if path == "." || path.is_empty() || path.starts_with('[') => {
                "document".to_string()
            }
            None => path.to_string(),
        };
        ValidationError::new(field, strip_position(&message))
    })
}

fn missing_field_name(message: &str) -> Option<&str> {
    message.strip_prefix("missing field `")?.split('`').next()
}

fn strip_position(message: &str) -> String {
    match message.find(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

fn check_text(
    field: &str,
    value: &str,
    max: usize,
    allow_newlines: bool,
) -> Result<(), ValidationError> {
    let count = value.chars().count();
    if count > max {
        return Err(ValidationError::new(
            field,
            format!("is {count} characters long; at most {max} allowed"),
        ));
    }
    if let Some(c) = value
        .chars()
        .find(|c| c.is_control() && !(allow_newlines && matches!(c, '\n' | '\r' | '\t')))
    {
        return Err(ValidationError::new(
            field,
            format!("contains the control character U+{:04X}", c as u32),
        ));
    }
    Ok(())
}

fn check_required(field: &str, value: &str) -> Result<(), ValidationError> {
    if value.trim().is_empty() {
        return Err(ValidationError::new(
            field,
            "is required and must not be empty",
        ));
    }
    Ok(())
}

fn check_list(field: &str, items: &[String]) -> Result<(), ValidationError> {
    if items.len() > MAX_LIST_LEN {
        return Err(ValidationError::new(
            field,
            format!(
                "has {} entries; at most {MAX_LIST_LEN} allowed",
                items.len()
            ),
        ));
    }
    for (i, item) in items.iter().enumerate() {
        let name = format!("{field}[{i}]");
        check_required(&name, item)?;
        check_text(&name, item, MAX_ITEM_CHARS, false)?;
    }
    Ok(())
}

fn check_amount(field: &str, value: Option<f64>, max: Option<f64>) -> Result<(), ValidationError> {
    let Some(v) = value else { return Ok(()) };
    if !v.is_finite() {
        return Err(ValidationError::new(field, "must be a finite number"));
    }
    if v < 0.0 {
        return Err(ValidationError::new(
            field,
            format!("must not be negative (got {v})"),
        ));
    }
    if let Some(max) = max {
        if v > max {
            return Err(ValidationError::new(
                field,
                format!("must be at most {max} (got {v})"),
            ));
        }
    }
    Ok(())
}

fn check_id(field: &str, id: &str) -> Result<(), ValidationError> {
    if id.len() > 64
        || !id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
    {
        return Err(ValidationError::new(
            field,
            "must be 1–64 characters of A–Z, a–z, 0–9, '-', '_', '.', ':'",
        ));
    }
    Ok(())
}

/// Names of the kind-specific fields that are set on `doc`, with the kinds each applies to.
fn kind_specific_fields(doc: &Document) -> Vec<(&'static str, &'static [Kind])> {
    use Kind::*;
    const TECH: &[Kind] = &[Need, Achievement];
    const SUPPLY: &[Kind] = &[Request, Supplier];
    let mut set = Vec::new();
    let mut mark = |present: bool, name: &'static str, kinds: &'static [Kind]| {
        if present {
            set.push((name, kinds));
        }
    };
    mark(doc.budget.is_some(), "budget", &[Need]);
    mark(doc.deadline.is_some(), "deadline", &[Need, Request]);
    mark(!doc.cooperation_modes.is_empty(), "cooperation_modes", TECH);
    mark(doc.maturity.is_some(), "maturity", TECH);
    mark(doc.trl.is_some(), "trl", &[Achievement]);
    mark(doc.institution.is_some(), "institution", &[Achievement]);
    mark(doc.field.is_some(), "field", &[Achievement]);
    mark(doc.ip.is_some(), "ip", &[Achievement]);
    mark(doc.asking_price.is_some(), "asking_price", &[Achievement]);
    mark(!doc.products.is_empty(), "products", SUPPLY);
    mark(!doc.processes.is_empty(), "processes", SUPPLY);
    mark(doc.specs.is_some(), "specs", &[Request]);
    mark(!doc.certifications.is_empty(), "certifications", SUPPLY);
    mark(doc.certs_mandatory, "certs_mandatory", &[Request]);
    mark(doc.annual_volume.is_some(), "annual_volume", &[Request]);
    mark(doc.capacity.is_some(), "capacity", &[Supplier]);
    mark(doc.volume_unit.is_some(), "volume_unit", SUPPLY);
    mark(!doc.equipment.is_empty(), "equipment", &[Supplier]);
    mark(doc.revenue.is_some(), "revenue", &[Supplier]);
    mark(doc.debt_ratio.is_some(), "debt_ratio", &[Supplier]);
    mark(
        doc.main_business_share.is_some(),
        "main_business_share",
        &[Supplier],
    );
    mark(doc.zjtx_level.is_some(), "zjtx_level", &[Supplier]);
    set
}

impl Document {
    /// Checks every rule and brings codes into canonical form (region to six
    /// digits, industry without a section letter before digits). The first
    /// violation found is returned.
    pub fn validate(&mut self) -> Result<(), ValidationError> {
        if !self.id.is_empty() {
            check_id("id", &self.id)?;
        }
        check_required("owner", &self.owner)?;
        check_text("owner", &self.owner, MAX_ITEM_CHARS, false)?;
        check_required("title", &self.title)?;
        check_text("title", &self.title, MAX_TITLE_CHARS, false)?;
        check_required("body", &self.body)?;
        check_text("body", &self.body, MAX_BODY_CHARS, true)?;
        check_list("tags", &self.tags)?;

        for (name, kinds) in kind_specific_fields(self) {
            if !kinds.contains(&self.kind) {
                let allowed: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
                return Err(ValidationError::new(
                    name,
                    format!(
                        "does not apply to a {}; only to: {}",
                        self.kind,
                        allowed.join(", ")
                    ),
                ));
            }
        }

        match self.region.as_deref() {
            None => return Err(ValidationError::new("region", "is required")),
            Some(code) => match regions().normalize(code) {
                Some(canonical) => self.region = Some(canonical),
                None => {
                    return Err(ValidationError::new(
                        "region",
                        format!("`{code}` is not a known administrative division code (2, 4 or 6 digits, e.g. 52, 5201, 520102)"),
                    ))
                }
            },
        }
        match self.industry.as_deref() {
            None if self.kind != Kind::Achievement => {
                return Err(ValidationError::new("industry", "is required"))
            }
            None => {}
            Some(code) => match industries().normalize(code) {
                Some(canonical) => self.industry = Some(canonical),
                None => {
                    return Err(ValidationError::new(
                        "industry",
                        format!("`{code}` is not a GB/T 4754-2017 code (e.g. C, 38, C38, 3811)"),
                    ))
                }
            },
        }

        for (name, value) in [
            ("source", &self.source),
            ("source_ref", &self.source_ref),
            ("chain", &self.chain),
            ("institution", &self.institution),
            ("field", &self.field),
            ("volume_unit", &self.volume_unit),
        ] {
            if let Some(v) = value {
                check_required(name, v)?;
                check_text(name, v, MAX_TITLE_CHARS, false)?;
            }
        }
        if let Some(specs) = &self.specs {
            check_text("specs", specs, 2_000, true)?;
        }
        if let Some(contact) = &self.contact {
            for (name, value) in [
                ("contact.name", &contact.name),
                ("contact.phone", &contact.phone),
                ("contact.email", &contact.email),
            ] {
                if let Some(v) = value {
                    check_text(name, v, MAX_ITEM_CHARS, false)?;
                }
            }
            if let Some(email) = &contact.email {
                if !email.contains('@') {
                    return Err(ValidationError::new(
                        "contact.email",
                        "is not an e-mail address",
                    ));
                }
            }
        }
        if let Some(ip) = &self.ip {
            check_list("ip.numbers", &ip.numbers)?;
        }
        if let Some(provenance) = &self.provenance {
            check_list("provenance.synthetic_fields", &provenance.synthetic_fields)?;
        }

        check_list("products", &self.products)?;
        check_list("processes", &self.processes)?;
        check_list("certifications", &self.certifications)?;
        check_list("equipment", &self.equipment)?;

        check_amount("budget", self.budget, None)?;
        check_amount("asking_price", self.asking_price, None)?;
        check_amount("annual_volume", self.annual_volume, None)?;
        check_amount("capacity", self.capacity, None)?;
        check_amount("revenue", self.revenue, None)?;
        check_amount("debt_ratio", self.debt_ratio, Some(1.0))?;
        check_amount("main_business_share", self.main_business_share, Some(1.0))?;
        if let Some(trl) = self.trl {
            if !(1..=9).contains(&trl) {
                return Err(ValidationError::new(
                    "trl",
                    format!("must be 1–9 (got {trl})"),
                ));
            }
        }

        match self.kind {
            Kind::Request | Kind::Supplier
                if self.products.is_empty() && self.processes.is_empty() =>
            {
                Err(ValidationError::new(
                    "products",
                    format!("a {} needs at least one product or process", self.kind),
                ))
            }
            Kind::Request if self.certs_mandatory && self.certifications.is_empty() => {
                Err(ValidationError::new(
                    "certifications",
                    "certs_mandatory is set but no certification is listed",
                ))
            }
            _ => Ok(()),
        }
    }
}
