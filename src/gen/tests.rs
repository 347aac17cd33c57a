//! Tests of the generator: validity, determinism, variety, CSL conversion, and
//! the ignored `write_corpora` helper that regenerates `corpora/*.jsonl`.

use super::*;
use crate::model::codes::{industries, regions};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::PathBuf;

const KINDS: [Kind; 4] = [Kind::Need, Kind::Request, Kind::Supplier, Kind::Achievement];

fn csl_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpora-src/csl")
}

fn to_json(docs: &[Document]) -> Vec<String> {
    docs.iter()
        .map(|d| serde_json::to_string(d).expect("serialise"))
        .collect()
}

#[test]
fn generated_documents_validate() {
    for seed in [7, 20240601] {
        for kind in KINDS {
            let docs = generate(kind, 2000, seed);
            assert_eq!(docs.len(), 2000);
            for d in docs {
                let mut v = d.clone();
                v.validate()
                    .unwrap_or_else(|e| panic!("{kind} {}: {e}\n{d:?}", d.id));
                assert_eq!(v.kind, kind);
                assert_eq!(v.source.as_deref(), Some("generated"));
                let title = d.title.chars().count();
                let body = d.body.chars().count();
                assert!(title <= 200, "{}", d.title);
                assert!((80..=600).contains(&body), "{body}: {}", d.body);
                for text in [&d.title, &d.body] {
                    assert!(
                        !text.contains('{') && !text.contains('}'),
                        "placeholder left: {text}"
                    );
                }
                let p = d.provenance.as_ref().expect("provenance");
                assert_eq!(
                    p.generator.as_deref(),
                    Some(format!("duijie-gen seed={seed}").as_str())
                );
                for f in ["owner", "title", "body", "region"] {
                    assert!(p.synthetic_fields.iter().any(|s| s == f), "{f} not listed");
                }
                // canonical codes already: validation must not rewrite them
                assert_eq!(v.region, d.region);
                assert_eq!(v.industry, d.industry);
            }
        }
    }
}

#[test]
fn same_seed_same_json_and_other_seed_differs() {
    for kind in KINDS {
        let a = to_json(&generate(kind, 300, 42));
        let b = to_json(&generate(kind, 300, 42));
        assert_eq!(a, b, "{kind} not deterministic");
        let c = to_json(&generate(kind, 300, 43));
        assert_ne!(a, c);
        // a prefix of a longer run is the shorter run
        let d = to_json(&generate(kind, 100, 42));
        assert_eq!(&a[..100], &d[..]);
    }
}

#[test]
fn text_is_varied() {
    for kind in [Kind::Need, Kind::Request, Kind::Supplier] {
        let docs = generate(kind, 1000, 7);
        let titles: BTreeSet<&str> = docs.iter().map(|d| d.title.as_str()).collect();
        let openings: BTreeSet<String> = docs
            .iter()
            .map(|d| d.body.chars().take(8).collect())
            .collect();
        let bodies: BTreeSet<&str> = docs.iter().map(|d| d.body.as_str()).collect();
        println!(
            "{kind}: {} titles, {} openings, {} bodies",
            titles.len(),
            openings.len(),
            bodies.len()
        );
        assert!(
            titles.len() >= 800,
            "{kind}: only {} distinct titles",
            titles.len()
        );
        assert!(
            openings.len() >= 15,
            "{kind}: only {} openings",
            openings.len()
        );
        assert_eq!(bodies.len(), 1000, "{kind}: repeated bodies");
    }
}

#[test]
fn needs_have_plausible_distributions() {
    let docs = generate(Kind::Need, 2000, 7);
    let gz = docs
        .iter()
        .filter(|d| d.region.as_deref().unwrap().starts_with("52"))
        .count();
    assert!((600..=800).contains(&gz), "Guizhou share {gz}/2000");
    let provinces: BTreeSet<&str> = docs
        .iter()
        .map(|d| &d.region.as_deref().unwrap()[..2])
        .collect();
    assert!(provinces.len() >= 28, "{provinces:?}");
    let mut budgets: Vec<f64> = docs.iter().map(|d| d.budget.unwrap()).collect();
    budgets.sort_by(|a, b| a.partial_cmp(b).unwrap());
    assert!(budgets[0] >= 5.0 && budgets[1999] <= 2000.0);
    let median = budgets[1000];
    assert!((30.0..=120.0).contains(&median), "median budget {median}");
    let divisions: BTreeSet<String> = docs
        .iter()
        .map(|d| {
            industries()
                .division(d.industry.as_deref().unwrap())
                .unwrap()
        })
        .collect();
    assert!(divisions.len() >= 40, "only {} divisions", divisions.len());
    for d in &docs {
        let dl = d.deadline.unwrap().to_string();
        assert!(("2026-12-01".."2028-07-01").contains(&dl.as_str()), "{dl}");
        assert!((1..=3).contains(&d.cooperation_modes.len()));
        assert!(regions().get(d.region.as_deref().unwrap()).is_some());
    }
}

#[test]
fn requests_find_capable_suppliers() {
    let requests = generate(Kind::Request, 500, 7);
    let suppliers = generate(Kind::Supplier, 3000, 7);
    let mut lacking = 0;
    for r in &requests {
        let wanted: BTreeSet<&str> = r.processes.iter().map(String::as_str).collect();
        let family = &r.tags[0];
        let capable = suppliers
            .iter()
            .filter(|s| &s.tags[0] == family && s.volume_unit == r.volume_unit)
            .filter(|s| {
                wanted.is_empty() || s.processes.iter().any(|p| wanted.contains(p.as_str()))
            })
            .count();
        if capable < 3 {
            lacking += 1;
        }
    }
    assert!(
        lacking * 20 <= requests.len(),
        "{lacking} requests with fewer than 3 capable suppliers"
    );
    let mandatory = requests.iter().filter(|r| r.certs_mandatory).count() as f64;
    let with_certs = requests
        .iter()
        .filter(|r| !r.certifications.is_empty())
        .count() as f64;
    let share = mandatory / with_certs;
    assert!((0.3..=0.5).contains(&share), "mandatory share {share}");
    let levels: BTreeMap<String, usize> = suppliers.iter().fold(BTreeMap::new(), |mut m, s| {
        *m.entry(s.zjtx_level.unwrap().as_str().to_string())
            .or_default() += 1;
        m
    });
    assert!(levels["none"] > 1300 && levels["none"] < 1700, "{levels:?}");
    assert!(levels["champion"] < levels["little_giant"], "{levels:?}");
}

#[test]
fn csl_achievements_convert_every_record() {
    let dir = csl_dir();
    if !dir.join(csl::FILES[0]).exists() {
        println!(
            "note: {} missing; CSL conversion test skipped",
            dir.display()
        );
        return;
    }
    let docs = achievements_from_csl(&dir, 7).expect("read CSL");
    assert_eq!(docs.len(), 4772);
    let mut ids = BTreeSet::new();
    let mut raw_ids = Vec::new();
    for name in csl::FILES {
        for line in std::fs::read_to_string(dir.join(name)).unwrap().lines() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            raw_ids.push(v["id"].as_str().unwrap().to_string());
        }
    }
    let mut no_industry = 0;
    for (d, raw) in docs.iter().zip(&raw_ids) {
        let mut v = d.clone();
        v.validate().unwrap_or_else(|e| panic!("{}: {e}", d.id));
        assert_eq!(d.source_ref.as_ref(), Some(raw));
        assert_eq!(d.id, format!("A-{raw}"));
        assert_eq!(d.source.as_deref(), Some("csl"));
        assert_eq!(d.owner, *d.institution.as_ref().unwrap());
        assert!(d.field.is_some() && d.trl.is_some() && d.ip.is_some());
        let trl = d.trl.unwrap();
        let ok = match d.maturity.unwrap() {
            Maturity::Research => (1..=3).contains(&trl),
            Maturity::BenchTrial => (4..=5).contains(&trl),
            Maturity::Pilot => (6..=7).contains(&trl),
            Maturity::Industrial => (8..=9).contains(&trl),
        };
        assert!(ok, "trl {trl} vs {:?}", d.maturity);
        if d.industry.is_none() {
            no_industry += 1;
        }
        assert!(ids.insert(d.id.clone()), "duplicate id {}", d.id);
    }
    assert_eq!(no_industry, 0, "disciplines missing from the table");
    let again = achievements_from_csl(&dir, 7).unwrap();
    assert_eq!(to_json(&docs), to_json(&again));
    let gz = docs
        .iter()
        .filter(|d| d.region.as_deref().unwrap().starts_with("52"))
        .count();
    println!("CSL: {} achievements, {gz} in Guizhou", docs.len());
}

use crate::model::Maturity;

fn write_jsonl(path: &Path, docs: &[Document]) {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).expect("create"));
    for d in docs {
        writeln!(out, "{}", serde_json::to_string(d).expect("serialise")).expect("write");
    }
    out.flush().expect("flush");
    println!("wrote {} ({} documents)", path.display(), docs.len());
}

/// Regenerates the shipped corpora (seed 7):
/// `cargo test --release --lib gen:: -- --ignored write_corpora`
#[test]
#[ignore]
fn write_corpora() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpora");
    write_jsonl(&root.join("needs.jsonl"), &generate(Kind::Need, 2000, 7));
    write_jsonl(
        &root.join("requests.jsonl"),
        &generate(Kind::Request, 2000, 7),
    );
    write_jsonl(
        &root.join("suppliers.jsonl"),
        &generate(Kind::Supplier, 3000, 7),
    );
    let csl = achievements_from_csl(&csl_dir(), 7).expect("CSL files beside the repository");
    write_jsonl(&root.join("achievements.jsonl"), &csl);
}
