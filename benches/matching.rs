//! One match end to end — candidates (BM25 ∪ ANN), features, scoring and
//! explanation — on generated documents (`DUIJIE_BENCH_N` per kind, default
//! 20,000, all four kinds). Criterion measures the mean of one need →
//! achievements match; then a timed loop over 500 different query documents
//! per market prints p50/p99 of the market's default profile next to the
//! BM25-only baseline profile, so the ratio is measured in the same run.
//!
//! The generated data directory is kept under `target/matching-bench/n<N>/`
//! and reopened by later runs (delete it to regenerate).

use criterion::{criterion_group, Criterion};
use duijie::engine::MatchOptions;
use duijie::model::Kind;
use duijie::Engine;
use std::path::Path;
use std::sync::OnceLock;
use std::time::Instant;

/// Query documents per market in the percentile loop.
const QUERIES: usize = 500;

struct Fixture {
    engine: Engine,
    needs: Vec<String>,
    requests: Vec<String>,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let n: usize = std::env::var("DUIJIE_BENCH_N")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(20_000);
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("target/matching-bench/n{n}"));
        let started = Instant::now();
        let engine = Engine::open(&dir).unwrap();
        if engine.store().last_seq().unwrap() == 0 {
            for kind in Kind::ALL {
                for chunk in duijie::gen::generate(kind, n, 5).chunks(2_000) {
                    engine.store().put_batch(chunk.to_vec()).unwrap();
                }
            }
        }
        engine.sync().unwrap();
        engine.ensure_encoder().unwrap();
        println!(
            "matching bench: {n} documents of each kind ready in {:.0} s ({})",
            started.elapsed().as_secs_f64(),
            dir.display()
        );
        let ids = |kind| {
            duijie::gen::generate(kind, QUERIES.min(n), 5)
                .into_iter()
                .map(|d| d.id)
                .collect()
        };
        Fixture {
            needs: ids(Kind::Need),
            requests: ids(Kind::Request),
            engine,
        }
    })
}

fn options(profile: &str) -> MatchOptions {
    MatchOptions {
        profile: Some(profile.into()),
        k: 10,
        explain: true,
        ..MatchOptions::default()
    }
}

/// p50 and p99 in µs of matching each of `ids` once with `profile`.
fn percentiles(ids: &[String], profile: &str) -> (f64, f64) {
    let f = fixture();
    let opts = options(profile);
    let mut micros: Vec<f64> = ids
        .iter()
        .map(|id| {
            let started = Instant::now();
            f.engine.match_id(id, &opts).unwrap();
            started.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    micros.sort_by(f64::total_cmp);
    (micros[micros.len() / 2], micros[micros.len() * 99 / 100])
}

fn bench(c: &mut Criterion) {
    let f = fixture();
    let id = f.needs[0].clone();
    let opts = options("default-tech");
    c.bench_function(
        "match need→achievements (default-tech, k=10, explain)",
        |b| b.iter(|| f.engine.match_id(&id, &opts).unwrap()),
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30);
    targets = bench
}

fn main() {
    benches();
    let f = fixture();
    for (what, ids, profile) in [
        ("need → achievements", &f.needs, "default-tech"),
        ("request → suppliers", &f.requests, "default-supply"),
    ] {
        // A warm-up pass, then the measured one.
        percentiles(ids, profile);
        let (hybrid50, hybrid99) = percentiles(ids, profile);
        let (bm2550, bm2599) = percentiles(ids, "bm25-only");
        println!("{what}, {profile}: p50 {hybrid50:.0} µs, p99 {hybrid99:.0} µs");
        println!("{what}, bm25-only: p50 {bm2550:.0} µs, p99 {bm2599:.0} µs");
        println!(
            "{what}, {profile} / bm25-only: p50 {:.2}×, p99 {:.2}×",
            hybrid50 / bm2550,
            hybrid99 / bm2599
        );
    }
    Criterion::default().final_summary();
}
