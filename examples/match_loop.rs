//! Profiling aid: opens (or, when empty, fills with generated documents) a
//! data directory, then matches the first 500 generated needs and requests
//! repeatedly and prints latency percentiles per profile. Meant to run under
//! `perf record`; the figures of record come from `benches/`.
//!
//! `cargo run --release --example match_loop -- DIR [N per kind] [rounds]`

use duijie::engine::MatchOptions;
use duijie::model::Kind;
use duijie::Engine;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dir = args.get(1).expect("usage: match_loop DIR [N] [ROUNDS]");
    let n: usize = args.get(2).and_then(|v| v.parse().ok()).unwrap_or(20_000);
    let rounds: usize = args.get(3).and_then(|v| v.parse().ok()).unwrap_or(3);
    let engine = Engine::open(std::path::Path::new(dir)).unwrap();
    if engine.store().last_seq().unwrap() == 0 {
        let started = Instant::now();
        for kind in Kind::ALL {
            for chunk in duijie::gen::generate(kind, n, 5).chunks(2_000) {
                engine.store().put_batch(chunk.to_vec()).unwrap();
            }
        }
        engine.sync().unwrap();
        engine.ensure_encoder().unwrap();
        println!(
            "filled {n} per kind in {:.0} s",
            started.elapsed().as_secs_f64()
        );
    }
    engine.sync().unwrap();
    for (kind, profiles) in [
        (Kind::Need, ["default-tech", "bm25-only"]),
        (Kind::Request, ["default-supply", "bm25-only"]),
    ] {
        let ids: Vec<String> = duijie::gen::generate(kind, 500, 5)
            .into_iter()
            .map(|d| d.id)
            .collect();
        for profile in profiles {
            let options = MatchOptions {
                profile: Some(profile.into()),
                k: 10,
                explain: true,
                ..MatchOptions::default()
            };
            let mut micros = Vec::new();
            for _ in 0..rounds {
                for id in &ids {
                    let started = Instant::now();
                    engine.match_id(id, &options).unwrap();
                    micros.push(started.elapsed().as_secs_f64() * 1e6);
                }
            }
            micros.sort_by(f64::total_cmp);
            println!(
                "{kind:?} {profile}: p50 {:.0} µs, p99 {:.0} µs",
                micros[micros.len() / 2],
                micros[micros.len() * 99 / 100]
            );
        }
    }
}
