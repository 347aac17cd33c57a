//! Soak: `duijie serve` as a child process under mixed load from many
//! keep-alive connections on loopback — searches, matches of stored documents
//! and of free text, reads and listings, and creates, updates and deletes
//! from several parties — for `DUIJIE_SOAK_SECS` seconds (default 30).
//! Afterwards: no 5xx and no failed connection; the store, the full-text
//! index and the vector index agree per kind, live (from `/metrics`) and
//! after a restart (`duijie stats`), with what the writers were told; and
//! the server's RSS after the run stays within twice its RSS after warm-up.

mod crashkit;

use crashkit::{
    add_key, agent, call, corpus_slice, duijie, encode, index_sizes, wait_ready, Server, KINDS,
};
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const READERS: usize = 12;
const WRITERS: usize = 4;
/// Writes per second per writer: under the per-key limit (20/s), so no 429 is expected.
const WRITES_PER_SECOND: f64 = 12.0;

/// What the clients saw.
#[derive(Default)]
struct Tally {
    requests: AtomicU64,
    server_errors: AtomicU64,
    failures: AtomicU64,
    throttled: AtomicU64,
    by_route: Mutex<BTreeMap<&'static str, u64>>,
    latencies_us: Mutex<Vec<u64>>,
    problems: Mutex<Vec<String>>,
}

impl Tally {
    /// Runs one request, counting it; returns its status and body when it got an answer.
    fn call(
        &self,
        http: &ureq::Agent,
        route: &'static str,
        method: &str,
        url: &str,
        key: Option<&str>,
        body: Option<&Value>,
    ) -> Option<(u16, Value)> {
        let started = Instant::now();
        let result = call(http, method, url, key, body);
        let elapsed = started.elapsed().as_micros() as u64;
        self.requests.fetch_add(1, Ordering::Relaxed);
        *self.by_route.lock().unwrap().entry(route).or_default() += 1;
        self.latencies_us.lock().unwrap().push(elapsed);
        match result {
            Ok((status, body)) => {
                if status >= 500 {
                    self.server_errors.fetch_add(1, Ordering::Relaxed);
                    self.problem(format!("{method} {url}: {status} {body}"));
                } else if status == 429 {
                    self.throttled.fetch_add(1, Ordering::Relaxed);
                }
                Some((status, body))
            }
            Err(e) => {
                self.failures.fetch_add(1, Ordering::Relaxed);
                self.problem(format!("{method} {url}: {e}"));
                None
            }
        }
    }

    fn problem(&self, what: String) {
        let mut problems = self.problems.lock().unwrap();
        if problems.len() < 20 {
            problems.push(what);
        }
    }
}

/// A document of the shipped corpus the readers use.
struct Known {
    id: String,
    kind: &'static str,
    title: String,
}

fn plural(kind: &str) -> &'static str {
    match kind {
        "need" => "needs",
        "achievement" => "achievements",
        "request" => "requests",
        _ => "suppliers",
    }
}

fn known_documents(corpora: &Path) -> Vec<Known> {
    let mut known = Vec::new();
    for name in duijie::engine::CORPUS_FILES {
        let text = std::fs::read_to_string(corpora.join(name)).unwrap();
        for line in text.lines() {
            let v: Value = serde_json::from_str(line).unwrap();
            if v["status"].as_str().is_some_and(|s| s != "open") {
                continue; // anonymous readers see open documents only
            }
            let kind = KINDS
                .into_iter()
                .find(|k| *k == v["kind"].as_str().unwrap())
                .unwrap();
            known.push(Known {
                id: v["id"].as_str().unwrap().to_string(),
                kind,
                title: v["title"].as_str().unwrap().to_string(),
            });
        }
    }
    known
}

fn reader(
    seed: u64,
    base: String,
    known: Arc<Vec<Known>>,
    tally: Arc<Tally>,
    stop: Arc<AtomicBool>,
) {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let http = agent(Duration::from_secs(30));
    // Bounded by the stop flag; the count is a backstop.
    for _ in 0..10_000_000u64 {
        if stop.load(Ordering::Relaxed) {
            return;
        }
        let doc = known.choose(&mut rng).unwrap();
        let words: String = doc.title.chars().take(rng.random_range(2..8)).collect();
        let answer = match rng.random_range(0..100) {
            0..=34 => tally.call(
                &http,
                "search",
                "GET",
                &format!(
                    "{base}/v1/search?q={}&kind={}&limit=10",
                    encode(&words),
                    doc.kind
                ),
                None,
                None,
            ),
            35..=49 => tally.call(
                &http,
                "search_all_kinds",
                "GET",
                &format!("{base}/v1/search?q={}", encode(&words)),
                None,
                None,
            ),
            50..=74 => tally.call(
                &http,
                "matches",
                "GET",
                &format!(
                    "{base}/v1/{}/{}/matches?k=10",
                    plural(doc.kind),
                    encode(&doc.id)
                ),
                None,
                None,
            ),
            75..=84 => tally.call(
                &http,
                "match_text",
                "POST",
                &format!("{base}/v1/match"),
                None,
                Some(&json!({"text": doc.title, "kind": doc.kind, "k": 10})),
            ),
            85..=94 => tally.call(
                &http,
                "get",
                "GET",
                &format!("{base}/v1/{}/{}", plural(doc.kind), encode(&doc.id)),
                None,
                None,
            ),
            _ => tally.call(
                &http,
                "list",
                "GET",
                &format!("{base}/v1/{}?limit=20", plural(doc.kind)),
                None,
                None,
            ),
        };
        if let Some((status, body)) = answer {
            if status != 200 {
                tally.problem(format!("a read answered {status}: {body}"));
            }
        }
    }
}

fn document(kind: &str, id: &str, n: u64, rng: &mut impl Rng) -> Value {
    let topics = [
        "锂电池正极材料",
        "铝合金压铸",
        "茶园病虫害绿色防控",
        "工业机器人视觉引导",
        "废水处理",
        "注塑模具设计",
    ];
    let topic = topics.choose(rng).unwrap();
    let title = format!("{topic}压力测试{n}");
    let body = format!("{topic}：并发读写压力测试文档第{n}版，需要{topic}相关技术与配套。");
    match kind {
        "need" => json!({"id": id, "title": title, "body": body, "region": "520102",
                         "industry": "C38", "budget": 10.0 + n as f64, "maturity": "pilot"}),
        _ => json!({"id": id, "title": title, "body": body, "region": "520300",
                    "industry": "3670", "products": [topic], "capacity": 1000.0,
                    "volume_unit": "件"}),
    }
}

/// Creates, updates and deletes its own needs and supplier profiles at a
/// steady pace; returns the ids (with kinds) it left live.
fn writer(
    party: usize,
    base: String,
    key: String,
    tally: Arc<Tally>,
    stop: Arc<AtomicBool>,
) -> BTreeMap<String, &'static str> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1000 + party as u64);
    let http = agent(Duration::from_secs(30));
    let pause = Duration::from_secs_f64(1.0 / WRITES_PER_SECOND);
    let mut live: BTreeMap<String, &'static str> = BTreeMap::new();
    let mut next = 0u64;
    let mut due = Instant::now();
    for _ in 0..10_000_000u64 {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        // Pacing the load (not synchronisation): one write per period.
        due += pause;
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        let choice = rng.random_range(0..100);
        if live.len() < 5 || choice < 50 {
            let kind = if rng.random_bool(0.5) {
                "need"
            } else {
                "supplier"
            };
            let id = format!("SOAK-{party}-{next}");
            next += 1;
            let answer = tally.call(
                &http,
                "create",
                "POST",
                &format!("{base}/v1/{}", plural(kind)),
                Some(&key),
                Some(&document(kind, &id, next, &mut rng)),
            );
            match answer {
                Some((201, _)) => {
                    live.insert(id, kind);
                }
                Some((status, body)) => tally.problem(format!("create answered {status}: {body}")),
                None => {}
            }
        } else {
            let ids: Vec<String> = live.keys().cloned().collect();
            let id = ids.choose(&mut rng).unwrap().clone();
            let kind = live[&id];
            let url = format!("{base}/v1/{}/{id}", plural(kind));
            if choice < 80 {
                next += 1;
                let answer = tally.call(
                    &http,
                    "update",
                    "PUT",
                    &url,
                    Some(&key),
                    Some(&document(kind, &id, next, &mut rng)),
                );
                if let Some((status, body)) = answer.filter(|(s, _)| *s != 200) {
                    tally.problem(format!("update answered {status}: {body}"));
                }
            } else {
                match tally.call(&http, "delete", "DELETE", &url, Some(&key), None) {
                    Some((200, _)) => {
                        live.remove(&id);
                    }
                    Some((status, body)) => {
                        tally.problem(format!("delete answered {status}: {body}"))
                    }
                    None => {}
                }
            }
        }
    }
    live
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i] as f64 / 1000.0
}

#[test]
fn mixed_load_keeps_indexes_consistent_without_errors_or_memory_growth() {
    let seconds: u64 = std::env::var("DUIJIE_SOAK_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(30);
    let warm_up = Duration::from_secs((seconds / 8).clamp(3, 60));
    let root = tempfile::tempdir().unwrap();
    let corpora = root.path().join("corpora");
    corpus_slice(&corpora, 0, 300);
    let known = Arc::new(known_documents(&corpora));
    let data = root.path().join("data");
    let keys: Vec<String> = (0..WRITERS)
        .map(|i| add_key(&data, "sme", &format!("压力测试企业{i}")))
        .collect();
    let server = Server::start(&data, &corpora, Duration::from_secs(180));
    let base = server.base.clone();
    let http = agent(Duration::from_secs(60));
    wait_ready(&http, &base, Duration::from_secs(60));
    let initial = index_sizes(&http, &base);
    let rss_ready = server.rss_kib();

    let tally = Arc::new(Tally::default());
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let readers: Vec<_> = (0..READERS)
        .map(|i| {
            let (base, known, tally, stop) =
                (base.clone(), known.clone(), tally.clone(), stop.clone());
            std::thread::spawn(move || reader(i as u64, base, known, tally, stop))
        })
        .collect();
    let writers: Vec<_> = keys
        .iter()
        .enumerate()
        .map(|(party, key)| {
            let (base, key, tally, stop) = (base.clone(), key.clone(), tally.clone(), stop.clone());
            std::thread::spawn(move || writer(party, base, key, tally, stop))
        })
        .collect();
    // Sample the server's RSS once a second while the load runs.
    let mut rss_samples: Vec<(f64, u64)> = Vec::new();
    let mut rss_warm = None;
    let end = started + Duration::from_secs(seconds);
    while Instant::now() < end {
        std::thread::sleep(Duration::from_secs(1).min(end - Instant::now())); // sampling period
        let rss = server.rss_kib();
        rss_samples.push((started.elapsed().as_secs_f64(), rss));
        if rss_warm.is_none() && started.elapsed() >= warm_up {
            rss_warm = Some(rss);
        }
    }
    stop.store(true, Ordering::Relaxed);
    for r in readers {
        r.join().unwrap();
    }
    let mut live: BTreeMap<String, &'static str> = BTreeMap::new();
    for w in writers {
        live.extend(w.join().unwrap());
    }
    let elapsed = started.elapsed();
    let rss_end = server.rss_kib();
    let rss_warm = rss_warm.unwrap_or(rss_ready);
    let rss_max = rss_samples.iter().map(|(_, r)| *r).max().unwrap_or(rss_end);

    // Report.
    let requests = tally.requests.load(Ordering::Relaxed);
    let mut latencies = tally.latencies_us.lock().unwrap().clone();
    latencies.sort_unstable();
    eprintln!(
        "soak: {seconds} s, {READERS} readers + {WRITERS} writers: {requests} requests ({:.0}/s), \
         {} 5xx, {} failed connections, {} throttled (429)",
        requests as f64 / elapsed.as_secs_f64(),
        tally.server_errors.load(Ordering::Relaxed),
        tally.failures.load(Ordering::Relaxed),
        tally.throttled.load(Ordering::Relaxed),
    );
    eprintln!("soak: by route {:?}", tally.by_route.lock().unwrap());
    eprintln!(
        "soak: latency p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        percentile(&latencies, 1.0)
    );
    eprintln!(
        "soak: RSS ready {} MiB, after warm-up ({warm_up:?}) {} MiB, end {} MiB, max {} MiB",
        rss_ready / 1024,
        rss_warm / 1024,
        rss_end / 1024,
        rss_max / 1024
    );
    let problems = tally.problems.lock().unwrap().clone();
    assert_eq!(
        tally.server_errors.load(Ordering::Relaxed),
        0,
        "{problems:#?}"
    );
    assert_eq!(tally.failures.load(Ordering::Relaxed), 0, "{problems:#?}");
    assert_eq!(tally.throttled.load(Ordering::Relaxed), 0, "{problems:#?}");
    assert!(problems.is_empty(), "{problems:#?}");
    assert!(
        requests > 20 * seconds,
        "too few requests to call this a soak: {requests}"
    );
    assert!(
        rss_end < 2 * rss_warm,
        "RSS grew from {rss_warm} KiB after warm-up to {rss_end} KiB"
    );

    // The store holds what the writers were told, and the indexes agree with it.
    let mut expected: BTreeMap<String, u64> = KINDS
        .iter()
        .map(|k| (k.to_string(), initial.get("store", k)))
        .collect();
    for kind in live.values() {
        *expected.get_mut(*kind).unwrap() += 1;
    }
    wait_ready(&http, &base, Duration::from_secs(60));
    let sizes = index_sizes(&http, &base);
    for kind in KINDS {
        for index in ["store", "fulltext", "vector"] {
            assert_eq!(
                sizes.get(index, kind),
                expected[kind],
                "{index} {kind}: {sizes:?}"
            );
        }
    }
    for (id, kind) in live.iter().take(50) {
        let (status, _) = call(
            &http,
            "GET",
            &format!("{base}/v1/{}/{id}", plural(kind)),
            None,
            None,
        )
        .unwrap();
        assert_eq!(status, 200, "{id} was left live");
    }
    server.stop();
    // After a restart, the persisted indexes agree too.
    let out = duijie(&data, &["--json", "stats"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stats: Value = serde_json::from_slice(&out.stdout).unwrap();
    for kind in KINDS {
        for part in ["documents", "fulltext", "vectors"] {
            assert_eq!(
                stats[part][kind].as_u64().unwrap(),
                expected[kind],
                "{part} {kind} after restart: {stats}"
            );
        }
    }
    assert_eq!(stats["store_seq"], stats["fulltext_seq"]);
    eprintln!("soak: counts agree: {expected:?}");
}
