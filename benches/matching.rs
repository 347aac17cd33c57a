//! One match end to end — candidates (BM25 ∪ ANN), features, scoring and
//! explanation — on generated documents (`DUIJIE_BENCH_N` per kind, default
//! 20,000, all four kinds). Criterion measures the mean of one need →
//! achievements match; then a timed loop over 500 different query documents
//! per direction prints p50/p99 of the market's default profile next to the
//! BM25-only baseline profile, so the ratio is measured in the same run;
//! then the needs' words as free text against the achievements, with
//! `default-tech`'s feedback and without it (the cost of the second pass);
//! last, matches per second on one thread and on every core.
//!
//! `DUIJIE_BENCH_MARKET=tech` (or `supply`) generates one market only: N
//! documents of its supply kind (achievements, suppliers) and at most
//! 20,000 of its demand kind, and measures demand → supply only, whose cost
//! does not depend on the demand kind's size; that is how a million
//! documents per kind fits this machine's memory. With
//! `DUIJIE_BENCH_REVERSE=1` it is the other way round: N documents of the
//! demand kind, at most 20,000 of the supply kind, and supply → demand
//! measured (`n<N>-<market>-reverse/`). `DUIJIE_BENCH_ONLY=supplier` (any
//! start of a direction's name) measures that direction alone, for profiles.
//!
//! The generated data directory is kept under `target/matching-bench/n<N>/`
//! (`n<N>-<market>/`) and reopened by later runs (delete it to regenerate).

use criterion::{criterion_group, Criterion};
use duijie::engine::MatchOptions;
use duijie::model::Kind;
use duijie::store::ProfileOrigin;
use duijie::Engine;
use std::path::Path;
use std::sync::OnceLock;
use std::time::Instant;

/// Query documents per market in the percentile loop.
const QUERIES: usize = 500;

/// Most documents of the small side (demand, or supply when reversed)
/// generated in a one-market run.
const MAX_SMALL_SIDE: usize = 20_000;

struct Fixture {
    engine: Engine,
    needs: Vec<String>,
    achievements: Vec<String>,
    requests: Vec<String>,
    suppliers: Vec<String>,
}

/// The market of `DUIJIE_BENCH_MARKET` (`tech` or `supply`), if any.
fn market() -> Option<&'static str> {
    match std::env::var("DUIJIE_BENCH_MARKET").as_deref() {
        Ok("tech") => Some("tech"),
        Ok("supply") => Some("supply"),
        _ => None,
    }
}

/// True when `DUIJIE_BENCH_REVERSE=1`: a one-market run measures supply → demand.
fn reverse() -> bool {
    std::env::var("DUIJIE_BENCH_REVERSE").as_deref() == Ok("1")
}

/// Documents of `kind` to generate for `n` per kind.
fn count(kind: Kind, n: usize) -> usize {
    let in_market = match market() {
        None => true,
        Some("tech") => matches!(kind, Kind::Need | Kind::Achievement),
        Some(_) => matches!(kind, Kind::Request | Kind::Supplier),
    };
    let demand = matches!(kind, Kind::Need | Kind::Request);
    match kind {
        _ if !in_market => 0,
        _ if market().is_some() && demand != reverse() => n.min(MAX_SMALL_SIDE),
        _ => n,
    }
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let n: usize = std::env::var("DUIJIE_BENCH_N")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(20_000);
        let name = match market() {
            Some(market) if reverse() => format!("n{n}-{market}-reverse"),
            Some(market) => format!("n{n}-{market}"),
            None => format!("n{n}"),
        };
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("target/matching-bench")
            .join(name);
        let started = Instant::now();
        let engine = Engine::open(&dir).unwrap();
        if engine.store().last_seq().unwrap() == 0 {
            for kind in Kind::ALL {
                for chunk in duijie::gen::generate(kind, count(kind, n), 5).chunks(2_000) {
                    engine.store().put_batch(chunk.to_vec()).unwrap();
                }
            }
        }
        engine.sync().unwrap();
        engine.ensure_encoder().unwrap();
        println!(
            "matching bench: {n} documents per kind ready in {:.0} s ({})",
            started.elapsed().as_secs_f64(),
            dir.display()
        );
        let ids = |kind| {
            duijie::gen::generate(kind, QUERIES.min(count(kind, n)), 5)
                .into_iter()
                .map(|d| d.id)
                .collect()
        };
        Fixture {
            needs: ids(Kind::Need),
            achievements: ids(Kind::Achievement),
            requests: ids(Kind::Request),
            suppliers: ids(Kind::Supplier),
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

/// p50 and p99 in µs of `run` over each of `items` once.
fn timed<T>(items: &[T], run: impl Fn(&T)) -> (f64, f64) {
    let mut micros: Vec<f64> = items
        .iter()
        .map(|item| {
            let started = Instant::now();
            run(item);
            started.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    micros.sort_by(f64::total_cmp);
    (micros[micros.len() / 2], micros[micros.len() * 99 / 100])
}

/// p50 and p99 in µs of matching each of `ids` once with `profile`.
fn percentiles(ids: &[String], profile: &str) -> (f64, f64) {
    let opts = options(profile);
    timed(ids, |id| {
        fixture().engine.match_id(id, &opts).unwrap();
    })
}

/// p50 and p99 in µs of matching each need's words (title and body) once as
/// free text against the achievements with `profile`.
fn text_percentiles(texts: &[String], profile: &str) -> (f64, f64) {
    let opts = options(profile);
    timed(texts, |text| {
        fixture()
            .engine
            .match_text(text, Kind::Achievement, &opts)
            .unwrap();
    })
}

/// Free-text needs against the achievements, `default-tech` (which feeds
/// back its first results) beside the same profile without feedback, when
/// the need → achievements direction is measured.
fn free_text() {
    let f = fixture();
    if !directions()
        .iter()
        .any(|(what, _, _)| what.starts_with("need"))
    {
        return;
    }
    let mut plain = f.engine.profile("default-tech").unwrap();
    plain.name = "default-tech-no-feedback".into();
    plain.feedback.docs = 0;
    f.engine
        .store()
        .put_profile(plain, ProfileOrigin::Operator)
        .unwrap();
    let texts: Vec<String> = f
        .needs
        .iter()
        .map(|id| {
            let doc = f.engine.get(id).unwrap();
            format!("{} {}", doc.title, doc.body)
        })
        .collect();
    text_percentiles(&texts, "default-tech");
    let (with50, with99) = text_percentiles(&texts, "default-tech");
    let (without50, without99) = text_percentiles(&texts, "default-tech-no-feedback");
    println!("need text → achievements, default-tech: p50 {with50:.0} µs, p99 {with99:.0} µs");
    println!(
        "need text → achievements, without feedback: p50 {without50:.0} µs, p99 {without99:.0} µs"
    );
    println!(
        "need text → achievements, feedback / without: p50 {:.2}×, p99 {:.2}×",
        with50 / without50,
        with99 / without99
    );
}

/// Matches per second over `ids` (each matched `rounds` times) on `threads`
/// threads sharing the engine: the in-process ceiling of the HTTP service.
fn throughput(ids: &[String], profile: &str, threads: usize, rounds: usize) -> f64 {
    let f = fixture();
    let opts = options(profile);
    let started = Instant::now();
    std::thread::scope(|scope| {
        for part in 0..threads {
            let opts = &opts;
            scope.spawn(move || {
                for _ in 0..rounds {
                    for id in ids.iter().skip(part).step_by(threads) {
                        f.engine.match_id(id, opts).unwrap();
                    }
                }
            });
        }
    });
    (ids.len() * rounds) as f64 / started.elapsed().as_secs_f64()
}

/// (direction, query ids, the market's default profile) of the generated markets.
fn directions() -> Vec<(&'static str, &'static [String], &'static str)> {
    let f = fixture();
    [
        ("need → achievements", &f.needs, "default-tech"),
        ("request → suppliers", &f.requests, "default-supply"),
        ("achievement → needs", &f.achievements, "default-tech"),
        ("supplier → requests", &f.suppliers, "default-supply"),
    ]
    .into_iter()
    .filter(|(what, ids, _)| {
        // A one-market run measures the direction into its large side only.
        let supply_to_demand = what.starts_with("achievement") || what.starts_with("supplier");
        let skipped = market().is_some() && supply_to_demand != reverse();
        let chosen =
            std::env::var("DUIJIE_BENCH_ONLY").map_or(true, |only| what.starts_with(&only));
        !ids.is_empty() && !skipped && chosen
    })
    .map(|(what, ids, profile)| (what, ids.as_slice(), profile))
    .collect()
}

fn bench(c: &mut Criterion) {
    let f = fixture();
    let Some(&(what, ids, profile)) = directions().first() else {
        eprintln!("no direction to measure: see DUIJIE_BENCH_MARKET, _REVERSE and _ONLY");
        return;
    };
    let opts = options(profile);
    c.bench_function(&format!("match {what} ({profile}, k=10, explain)"), |b| {
        b.iter(|| f.engine.match_id(&ids[0], &opts).unwrap())
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30);
    targets = bench
}

fn main() {
    benches();
    for (what, ids, profile) in directions() {
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
    free_text();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    for (what, ids, profile) in directions() {
        let one = throughput(ids, profile, 1, 2);
        let all = throughput(ids, profile, cores, 2);
        println!(
            "{what}, {profile}: {one:.0} matches/s on 1 thread, {all:.0} on {cores} ({:.2}×)",
            all / one
        );
    }
    Criterion::default().final_summary();
}
