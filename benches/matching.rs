//! One match end to end — candidates (BM25 ∪ ANN), features, scoring and
//! explanation — on generated documents (`DUIJIE_BENCH_N` per kind, default
//! 20,000). Criterion measures the mean; a timed loop over 500 different
//! query documents prints p50/p99 next to the BM25-only baseline profile, so
//! the ratio is measured in the same run.

use criterion::{criterion_group, Criterion};
use duijie::engine::MatchOptions;
use duijie::model::Kind;
use duijie::Engine;
use std::sync::OnceLock;
use std::time::Instant;

struct Fixture {
    _dir: tempfile::TempDir,
    engine: Engine,
    needs: Vec<String>,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let n: usize = std::env::var("DUIJIE_BENCH_N")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(20_000);
        let dir = tempfile::tempdir().unwrap();
        let engine = Engine::open(dir.path()).unwrap();
        let started = Instant::now();
        let mut needs = Vec::new();
        for kind in [Kind::Need, Kind::Achievement] {
            let docs = duijie::gen::generate(kind, n, 5);
            if kind == Kind::Need {
                needs = docs.iter().take(500).map(|d| d.id.clone()).collect();
            }
            for chunk in docs.chunks(1_000) {
                engine.store().put_batch(chunk.to_vec()).unwrap();
            }
        }
        engine.sync().unwrap();
        engine.ensure_encoder().unwrap();
        println!(
            "matching bench: {n} needs + {n} achievements indexed in {:.0} s",
            started.elapsed().as_secs_f64()
        );
        Fixture {
            _dir: dir,
            engine,
            needs,
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

fn percentiles(profile: &str) -> (f64, f64) {
    let f = fixture();
    let opts = options(profile);
    let mut micros: Vec<f64> = f
        .needs
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
    let (hybrid50, hybrid99) = percentiles("default-tech");
    let (bm2550, bm2599) = percentiles("bm25-only");
    println!("match default-tech: p50 {hybrid50:.0} µs, p99 {hybrid99:.0} µs");
    println!("match bm25-only:    p50 {bm2550:.0} µs, p99 {bm2599:.0} µs");
    println!(
        "hybrid / bm25-only: p50 {:.2}×, p99 {:.2}×",
        hybrid50 / bm2550,
        hybrid99 / bm2599
    );
    Criterion::default().final_summary();
}
