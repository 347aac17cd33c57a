//! Achievements from the CSL paper metadata (Li et al., COLING 2022): title,
//! abstract, keywords and discipline are the paper's; everything a
//! technology-market listing needs beyond that is filled from the seed and
//! named in `provenance.synthetic_fields`.

use super::academic;
use super::util::rng_for;
use crate::model::{Document, Kind, Provenance, MAX_TITLE_CHARS};
use serde::Deserialize;
use std::io::{self, BufRead, BufReader};
use std::path::Path;

/// The CSL files read, in order.
pub const FILES: [&str; 2] = ["csl_benchmark_joined.jsonl", "csl_sample_sswdxl.jsonl"];

/// Fields filled from the seed for every CSL achievement.
pub const SYNTHETIC: [&str; 9] = [
    "institution",
    "region",
    "owner",
    "maturity",
    "trl",
    "cooperation_modes",
    "asking_price",
    "ip",
    "industry",
];

/// One CSL record as stored in the JSONL files.
#[derive(Debug, Deserialize)]
struct Record {
    id: String,
    title: String,
    #[serde(rename = "abstract")]
    abstract_: String,
    #[serde(default)]
    keywords: Vec<String>,
    discipline: String,
}

/// FNV-1a of the record id, so a record's synthetic fields depend only on the
/// seed and its own id, not on its position in the files.
fn stable_hash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Removes control characters and trims.
fn clean(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_string()
}

/// Keywords as tags: trimmed, deduplicated, each at most 100 characters (a
/// keyword glued to an English heading is cut at its first space).
fn tags(keywords: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for k in keywords {
        let mut k = clean(k);
        if k.chars().count() > 100 {
            let head = k.split_whitespace().next().unwrap_or("").to_string();
            k = if !head.is_empty() && head.chars().count() <= 100 {
                head
            } else {
                k.chars().take(100).collect()
            };
        }
        if !k.is_empty() && !out.contains(&k) && out.len() < 50 {
            out.push(k);
        }
    }
    out
}

/// Turns one CSL record into an achievement with seeded institution, region,
/// maturity, TRL, modes, price, IP and industry.
fn convert(r: Record, seed: u64) -> Document {
    let mut rng = rng_for(seed, stable_hash(&r.id));
    let title: String = clean(&r.title).chars().take(MAX_TITLE_CHARS).collect();
    let body = {
        let b = clean(&r.abstract_);
        if b.is_empty() {
            title.clone()
        } else {
            b
        }
    };
    let tags = tags(&r.keywords);
    let discipline = clean(&r.discipline);
    let uni = academic::university(&mut rng, &discipline);
    let maturity = academic::maturity(&mut rng, &discipline);
    let trl = academic::trl(&mut rng, maturity);
    let modes = academic::modes(&mut rng, &discipline);
    let price = academic::asking_price(&mut rng, &discipline, maturity);
    let ip = academic::ip(&mut rng, &discipline);
    let industry = academic::industry_for(&discipline, &format!("{title} {}", tags.join(" ")));

    let mut doc = Document::new(Kind::Achievement, title, body);
    doc.id = format!("A-{}", r.id);
    doc.owner = uni.name.clone();
    doc.tags = tags;
    doc.source = Some("csl".into());
    doc.source_ref = Some(r.id);
    doc.institution = Some(uni.name.clone());
    doc.region = Some(uni.region.clone());
    doc.field = (!discipline.is_empty()).then_some(discipline);
    doc.maturity = Some(maturity);
    doc.trl = Some(trl);
    doc.cooperation_modes = modes;
    doc.asking_price = Some(price);
    doc.ip = Some(ip);
    let mut synthetic: Vec<String> = SYNTHETIC.iter().map(|s| s.to_string()).collect();
    if industry.is_none() {
        synthetic.retain(|f| f != "industry");
    }
    doc.industry = industry;
    doc.provenance = Some(Provenance {
        synthetic_fields: synthetic,
        generator: Some(super::generator_label(seed)),
    });
    doc
}

/// Reads both CSL files under `dir` and converts every record, in file order.
pub fn read(dir: &Path, seed: u64) -> io::Result<Vec<Document>> {
    let mut docs = Vec::new();
    for name in FILES {
        let path = dir.join(name);
        let file = std::fs::File::open(&path)
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
        for (n, line) in BufReader::new(file).lines().enumerate() {
            let line = line?;
            if line.trim().is_empty() {
                continue;
            }
            let record: Record = serde_json::from_str(&line).map_err(|e| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("{}:{}: {e}", path.display(), n + 1),
                )
            })?;
            docs.push(convert(record, seed));
        }
    }
    Ok(docs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_keyword_is_cut() {
        let t = tags(&[
            "软磁铁氧体 材料工艺Current Status and Future Trend of R&D on Son FerritesLiu Yuhong (Fenghua Electronic Engineering R&D Co．,Ltd,Zhaoqing 526020)".into(),
            " 钙沉着症,特发性 ".into(),
            "钙沉着症,特发性".into(),
            "".into(),
        ]);
        assert_eq!(
            t,
            vec!["软磁铁氧体".to_string(), "钙沉着症,特发性".to_string()]
        );
    }
}
