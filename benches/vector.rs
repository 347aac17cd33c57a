//! Vector index benchmark: build rate, query latency, recall@10 against
//! exact search, and the exact-scan baseline, on a synthetic clustered corpus
//! of unit vectors of the built-in encoder's dimension (512).
//!
//! `cargo bench --bench vector` runs 100k vectors; `DUIJIE_BENCH_N=1000000`
//! runs 1M; `DUIJIE_BENCH_CLUSTER_SIZE` (default 100) and
//! `DUIJIE_BENCH_SPREAD` (noise norm, default 0.6) shape the corpus. Figures are printed as plain `key=value` lines. The timing is
//! done by hand (criterion reports no p99 and would repeat the build).

use duijie::model::{Kind, Status};
use duijie::search::vector::{
    synth, Item, VectorFilter, VectorIndexes, VectorMeta, DEFAULT_EF_SEARCH,
};
use std::collections::HashSet;
use std::hint::black_box;
use std::time::Instant;

/// The built-in encoder's dimension.
fn dim() -> usize {
    duijie::embed::TrainOptions::default().dim
}
const K: usize = 10;
const BATCH: usize = 20_000;

fn meta(i: usize) -> VectorMeta {
    VectorMeta {
        region: Some(format!(
            "{:02}{:02}{:02}",
            11 + i % 20,
            1 + i % 7,
            1 + i % 3
        )),
        industry: Some(format!("{}{}", 13 + i % 30, 11 + i % 5)),
        status: if i.is_multiple_of(10) {
            Status::Closed
        } else {
            Status::Open
        },
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

/// Runs every query once; returns results and sorted latencies in µs.
fn run(
    index: &VectorIndexes,
    queries: &[Vec<f32>],
    filter: &VectorFilter,
    exact: bool,
) -> (Vec<Vec<String>>, Vec<f64>) {
    let mut results = Vec::with_capacity(queries.len());
    let mut micros = Vec::with_capacity(queries.len());
    for q in queries {
        let t = Instant::now();
        let found = if exact {
            index.search_exact(Kind::Achievement, q, K, filter)
        } else {
            index.search(Kind::Achievement, q, K, filter)
        }
        .expect("search");
        micros.push(t.elapsed().as_secs_f64() * 1e6);
        results.push(black_box(found).into_iter().map(|(id, _)| id).collect());
    }
    micros.sort_by(f64::total_cmp);
    (results, micros)
}

fn recall(found: &[Vec<String>], truth: &[Vec<String>]) -> f64 {
    let mut hits = 0;
    let mut total = 0;
    for (f, t) in found.iter().zip(truth) {
        let t: HashSet<&String> = t.iter().collect();
        hits += f.iter().filter(|id| t.contains(id)).count();
        total += t.len();
    }
    hits as f64 / total.max(1) as f64
}

fn main() {
    let n: usize = std::env::var("DUIJIE_BENCH_N")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);
    let nq = if n >= 1_000_000 { 300 } else { 500 };
    let env = |name: &str| std::env::var(name).ok().and_then(|s| s.parse::<f64>().ok());
    let cluster_size = env("DUIJIE_BENCH_CLUSTER_SIZE").unwrap_or(100.0) as usize;
    let spread = env("DUIJIE_BENCH_SPREAD").unwrap_or(0.6) as f32;
    let clusters = (n / cluster_size.max(1)).max(10);
    let threads = std::thread::available_parallelism().map_or(1, |p| p.get());

    let t = Instant::now();
    let all = synth::clustered(n + nq, dim(), clusters, spread, 42);
    let (corpus, queries) = all.split_at(n);
    let gen_s = t.elapsed().as_secs_f64();

    let dir = tempfile::tempdir().expect("temp dir");
    let index = VectorIndexes::open(dir.path(), dim(), "bench").expect("open");
    let t = Instant::now();
    for start in (0..n).step_by(BATCH) {
        let end = (start + BATCH).min(n);
        let items: Vec<Item> = (start..end)
            .map(|i| (format!("A{i:08}"), Some((corpus[i].clone(), meta(i)))))
            .collect();
        index.apply_batch(Kind::Achievement, items).expect("apply");
    }
    let build_s = t.elapsed().as_secs_f64();

    let t = Instant::now();
    index.persist(1).expect("persist");
    let persist_s = t.elapsed().as_secs_f64();
    drop(index);
    let t = Instant::now();
    let index = VectorIndexes::open(dir.path(), dim(), "bench").expect("reopen");
    let load_s = t.elapsed().as_secs_f64();
    assert_eq!(
        index.len(Kind::Achievement),
        n,
        "reloaded index is complete"
    );
    assert_eq!(index.committed_seq(), 1);

    let none = VectorFilter::default();
    let (truth, exact_us) = run(&index, queries, &none, true);
    let mut line = format!(
        "vector n={n} dim={} clusters={clusters} spread={spread} threads={threads} gen_s={gen_s:.1} build_s={build_s:.1} insert_per_s={:.0} persist_s={persist_s:.2} load_s={load_s:.2} load_vs_rebuild={:.0}x",
        dim(),
        n as f64 / build_s,
        build_s / load_s
    );
    let mut p50_default = 0.0;
    for ef in [32, 64, 128] {
        index.set_ef_search(ef);
        let (found, us) = run(&index, queries, &none, false);
        let p50 = percentile(&us, 0.5);
        line += &format!(
            " ef{ef}:recall@10={:.4},p50_us={p50:.0},p99_us={:.0}",
            recall(&found, &truth),
            percentile(&us, 0.99)
        );
        if ef == DEFAULT_EF_SEARCH {
            p50_default = p50;
        }
    }
    index.set_ef_search(DEFAULT_EF_SEARCH);
    let exact_p50 = percentile(&exact_us, 0.5);
    line += &format!(
        " exact_p50_us={exact_p50:.0} exact_p99_us={:.0} speedup_default_ef={:.1}x",
        percentile(&exact_us, 0.99),
        exact_p50 / p50_default
    );

    // Filtered: open status (90%) and industries 1x (23%) go to the graph
    // (unfiltered over-fetch, then filtered); a province (5%) and a city
    // (0.7%) to the exact scan over the matching vectors.
    let filters = [
        ("open", None, None, Some(Status::Open)),
        ("industry1x", None, Some("1"), None),
        ("province", Some("12"), None, None),
        ("city", Some("1202"), None, None),
    ];
    for (name, region, industry, status) in filters {
        let filter = VectorFilter {
            region_prefix: region.map(Into::into),
            industry_prefix: industry.map(Into::into),
            status,
            exclude_id: None,
        };
        let (exact, _) = run(&index, queries, &filter, true);
        let (found, us) = run(&index, queries, &filter, false);
        line += &format!(
            " filter_{name}:recall@10={:.4},p50_us={:.0},p99_us={:.0}",
            recall(&found, &exact),
            percentile(&us, 0.5),
            percentile(&us, 0.99)
        );
    }
    println!("{line}");
}
