//! Ingest throughput, stage by stage, on generated needs (size from
//! `DUIJIE_BENCH_N`, default 20,000). Prints docs/s for: parsing and
//! validation alone (the baseline), the durable store alone, the full ingest
//! (store + full-text + ranking catalog), and the vectors built after
//! training the encoder, with each stage's ratio to the baseline.

use duijie::model::{parse_document, Kind};
use duijie::store::Store;
use duijie::Engine;
use std::io::Cursor;
use std::time::Instant;

fn main() {
    let n: usize = std::env::var("DUIJIE_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let docs = duijie::gen::generate(Kind::Need, n, 11);
    let jsonl: String = docs
        .iter()
        .map(|d| serde_json::to_string(d).unwrap() + "\n")
        .collect();
    println!(
        "ingest bench: {n} generated needs, {:.1} MB of JSON lines",
        jsonl.len() as f64 / 1e6
    );

    let started = Instant::now();
    let mut parsed = Vec::with_capacity(n);
    for line in jsonl.lines() {
        let mut doc = parse_document(line).unwrap();
        doc.validate().unwrap();
        parsed.push(doc);
    }
    let parse_s = started.elapsed().as_secs_f64();
    let baseline = n as f64 / parse_s;
    println!(
        "parse+validate         {:>9.0} docs/s  (baseline)",
        baseline
    );

    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("store")).unwrap();
    let started = Instant::now();
    for chunk in parsed.chunks(1_000) {
        store.put_batch(chunk.to_vec()).unwrap();
    }
    let store_rate = n as f64 / started.elapsed().as_secs_f64();
    println!(
        "store (sled, durable)  {:>9.0} docs/s  ({:.2}× baseline)",
        store_rate,
        store_rate / baseline
    );
    drop(store);

    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(dir.path()).unwrap();
    let started = Instant::now();
    let report = engine
        .ingest(Cursor::new(jsonl.as_bytes()), |_| {})
        .unwrap();
    let full = n as f64 / started.elapsed().as_secs_f64();
    assert_eq!(report.accepted, n);
    println!(
        "ingest: store + full-text + catalog {:>9.0} docs/s  ({:.2}× baseline)",
        full,
        full / baseline
    );

    let started = Instant::now();
    let trained = engine.retrain_encoder().unwrap();
    let total = started.elapsed().as_secs_f64();
    let vectors = n as f64 / (total - trained.seconds).max(1e-9);
    println!(
        "encoder training       {:>9.1} s on {} documents ({} features)",
        trained.seconds, trained.documents, trained.vocabulary
    );
    println!(
        "vectors (embed + HNSW) {:>9.0} docs/s  ({:.2}× baseline)",
        vectors,
        vectors / baseline
    );
}
