//! Seeded generator of sample documents.
//!
//! - [`generate`] writes synthetic needs, requests, suppliers (and, for
//!   completeness, achievements) from hand-written domain lexicons
//!   (`topics` for the technology market, `families` for supply chains).
//! - [`achievements_from_csl`] turns the real CSL paper metadata into
//!   achievements, filling the listing fields the papers lack.
//!
//! Output depends only on the seed: [`rand_chacha::ChaCha8Rng`] and integer
//! sampling make it byte-identical across runs and machines. Every generated
//! document carries `provenance` naming its synthetic fields and the seed.

mod academic;
mod achievement;
mod csl;
mod families;
mod need;
mod place;
mod supply;
mod topics;
mod util;

#[cfg(test)]
mod tests;

use crate::model::{Document, Kind, Provenance};
use std::path::Path;

/// Generator name and seed recorded in `provenance.generator`.
fn generator_label(seed: u64) -> String {
    format!("duijie-gen seed={seed}")
}

/// Names of the fields set on a generated document, in JSON order.
fn set_fields(d: &Document) -> Vec<String> {
    let mut f: Vec<&str> = Vec::new();
    let mut mark = |present: bool, name: &'static str| {
        if present {
            f.push(name);
        }
    };
    mark(!d.id.is_empty(), "id");
    mark(!d.owner.is_empty(), "owner");
    mark(true, "title");
    mark(true, "body");
    mark(!d.tags.is_empty(), "tags");
    mark(d.region.is_some(), "region");
    mark(d.industry.is_some(), "industry");
    mark(d.chain.is_some(), "chain");
    mark(d.deadline.is_some(), "deadline");
    mark(d.budget.is_some(), "budget");
    mark(!d.cooperation_modes.is_empty(), "cooperation_modes");
    mark(d.maturity.is_some(), "maturity");
    mark(d.trl.is_some(), "trl");
    mark(d.institution.is_some(), "institution");
    mark(d.field.is_some(), "field");
    mark(d.ip.is_some(), "ip");
    mark(d.asking_price.is_some(), "asking_price");
    mark(!d.products.is_empty(), "products");
    mark(!d.processes.is_empty(), "processes");
    mark(d.specs.is_some(), "specs");
    mark(!d.certifications.is_empty(), "certifications");
    mark(d.certs_mandatory, "certs_mandatory");
    mark(d.annual_volume.is_some(), "annual_volume");
    mark(d.capacity.is_some(), "capacity");
    mark(d.volume_unit.is_some(), "volume_unit");
    mark(!d.equipment.is_empty(), "equipment");
    mark(d.revenue.is_some(), "revenue");
    mark(d.debt_ratio.is_some(), "debt_ratio");
    mark(d.main_business_share.is_some(), "main_business_share");
    mark(d.zjtx_level.is_some(), "zjtx_level");
    f.into_iter().map(String::from).collect()
}

/// Marks a wholly synthetic document: `source = "generated"` and every set
/// field listed in `provenance.synthetic_fields`.
fn mark_generated(mut d: Document, seed: u64) -> Document {
    d.source = Some("generated".into());
    d.provenance = Some(Provenance {
        synthetic_fields: set_fields(&d),
        generator: Some(generator_label(seed)),
    });
    d
}

/// Generates `n` documents of `kind` from `seed`: needs, requests and
/// suppliers (and synthetic achievements, should one ask), all marked
/// `source: "generated"`. Ids are `{N|A|R|S}-G{seed}-{00001…}`. The same
/// seed always yields the same documents; each kind draws its own stream.
pub fn generate(kind: Kind, n: usize, seed: u64) -> Vec<Document> {
    let salt = match kind {
        Kind::Need => 1,
        Kind::Achievement => 2,
        Kind::Request => 3,
        Kind::Supplier => 4,
    };
    let mut rng = util::rng_for(seed, salt);
    let mut buyers = supply::Buyers::default();
    (0..n)
        .map(|i| {
            let doc = match kind {
                Kind::Need => need::need(&mut rng, i, seed),
                Kind::Achievement => achievement::achievement(&mut rng, i, seed),
                Kind::Request => supply::request(&mut rng, i, seed, &mut buyers),
                Kind::Supplier => supply::supplier(&mut rng, i, seed),
            };
            mark_generated(doc, seed)
        })
        .collect()
}

/// Converts the CSL records in `csl_dir` (`csl_benchmark_joined.jsonl` then
/// `csl_sample_sswdxl.jsonl`) into achievements: one per record, in file
/// order, `id = "A-" + record id`, `source = "csl"`, `source_ref` = record id;
/// title, abstract, keywords and discipline are the paper's, the listing
/// fields (institution, region, owner, maturity, TRL, modes, price, IP,
/// industry) come from `seed` and are named in `provenance.synthetic_fields`.
pub fn achievements_from_csl(csl_dir: &Path, seed: u64) -> std::io::Result<Vec<Document>> {
    csl::read(csl_dir, seed)
}
