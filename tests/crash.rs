//! Crash safety, with the real binary as a child process and `kill -9`.
//!
//! - `acknowledged_writes_survive_kill_9`: several clients stream creates,
//!   replacements and deletes of their own documents over HTTP while the
//!   server is killed at seeded random points (after a random number of
//!   acknowledged writes, or while it catches up on start); after each
//!   restart on the same data directory every acknowledged write is found in
//!   the store (the acknowledged version), in full-text search (by a token
//!   unique to that version) and in vector matching (the version's own text,
//!   profile `vector-only`, with a high cosine); a write in flight at the kill
//!   is either complete everywhere or absent everywhere; and the store and
//!   both indexes hold the same number of documents per kind.
//! - `killed_train_encoder_leaves_a_usable_model`: `duijie train-encoder`
//!   killed before, during and after the model is replaced; the model file
//!   loads afterwards (no warning), and search and matching answer.
//! - `killed_index_rebuild_leaves_usable_indexes`: a rebuild of a damaged
//!   full-text or vector index killed part-way; the next start finishes it and
//!   search and matching answer as before the damage (same scores).
//! - `leftovers_of_an_interrupted_commit_do_not_block_the_next_one`: files of
//!   a full-text commit a kill cut short do not make the next commit fail.
//!
//! `DUIJIE_CRASH_ROUNDS=N` runs N kill rounds instead of 22;
//! `DUIJIE_CRASH_KEEP=1` keeps the data directory and every server's log of
//! a failed run.

mod crashkit;

use crashkit::{
    add_key, agent, answers, assert_same_ranking, call, corpus_slice, duijie, duijie_ok,
    index_sizes, loaded, shipped, stats_agree, truncate_half, wait_ready, Proc, Server, KINDS,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Value};
use std::collections::HashSet;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

const SEED: u64 = 0x6475_696a_6965;
/// Documents per kind the server loads on its first start.
const CORPUS_PER_KIND: usize = 200;
const ROUNDS: usize = 22;
/// Set to run more (or fewer) kill rounds than [`ROUNDS`].
const ROUNDS_ENV: &str = "DUIJIE_CRASH_ROUNDS";
const CLIENTS: usize = 4;
/// Most acknowledged writes before a kill.
const MAX_ACKS_PER_ROUND: usize = 48;
/// Every this many rounds, the kill comes while the server catches up on start.
const STARTUP_KILL_EVERY: usize = 5;
/// Documents not touched in a round that are checked anyway.
const OLD_SAMPLE: usize = 12;
/// Results asked of a match.
const MATCH_K: usize = 100;
/// A document's own text has at least this cosine with its stored vector;
/// another version's text (a different corpus document) stays far below.
const MIN_SELF_COSINE: f64 = 0.9;
const START_WAIT: Duration = Duration::from_secs(120);
/// The server persists its vector indexes after this many changes (instead
/// of 5,000), so kills also land during persists and restarts load
/// persisted vectors and catch up from there.
const PERSIST_EVERY: &str = "10";
/// Set to keep the data directory and every server's log of a failed run.
const KEEP_ENV: &str = "DUIJIE_CRASH_KEEP";

/// Appends a finished server's standard error to `servers.log` in `dir`.
fn keep_log(dir: &Path, what: &str, proc: &Proc) {
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("servers.log"))
        .unwrap();
    writeln!(file, "=== {what}\n{}", proc.stderr()).unwrap();
}

/// A version of a document: its collection and the text that identifies it.
#[derive(Debug, Clone, PartialEq)]
struct Version {
    /// Unique word in the title.
    token: String,
    title: String,
    /// What the encoder embeds of it.
    text: String,
}

/// What a client knows of one of its documents.
#[derive(Debug, Clone)]
struct Tracked {
    id: String,
    /// `needs` or `suppliers`.
    collection: &'static str,
    /// State after the last acknowledged write (`None`: absent or deleted).
    acked: Option<Version>,
    /// A write in flight at the kill: the state it would leave.
    pending: Option<Option<Version>>,
    /// Versions this document had or was sent since its last check.
    seen: Vec<Version>,
    touched: bool,
}

impl Tracked {
    fn kind(&self) -> &'static str {
        match self.collection {
            "needs" => "need",
            _ => "supplier",
        }
    }
}

/// Corpus documents whose texts the clients post (never loaded by the server).
struct Pool {
    needs: Vec<Value>,
    suppliers: Vec<Value>,
}

impl Pool {
    fn load() -> Pool {
        let read = |name: &str, skip: usize| -> Vec<Value> {
            std::fs::read_to_string(shipped(name))
                .unwrap()
                .lines()
                .skip(skip)
                .map(|l| serde_json::from_str(l).unwrap())
                .collect()
        };
        Pool {
            needs: read("needs.jsonl", CORPUS_PER_KIND),
            suppliers: read("suppliers.jsonl", CORPUS_PER_KIND),
        }
    }

    /// The body of a write: a pool document under `id`, open, with `token` in its title.
    fn document(&self, collection: &str, n: usize, id: &str, token: &str) -> (Value, Version) {
        let list = if collection == "needs" {
            &self.needs
        } else {
            &self.suppliers
        };
        let mut doc = list[n % list.len()].clone();
        let object = doc.as_object_mut().unwrap();
        for field in [
            "owner",
            "deadline",
            "created_at",
            "updated_at",
            "provenance",
        ] {
            object.remove(field);
        }
        let title = format!("{token} {}", object["title"].as_str().unwrap());
        object.insert("id".into(), json!(id));
        object.insert("title".into(), json!(title));
        object.insert("status".into(), json!("open"));
        // The text the encoder sees of the stored document (title twice, body,
        // listed fields: `duijie::embed::embedding_text`).
        let list = |field: &str| -> Vec<String> {
            object
                .get(field)
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default()
        };
        let mut extra: Vec<String> = Vec::new();
        for field in [
            "tags",
            "products",
            "processes",
            "certifications",
            "equipment",
        ] {
            extra.extend(list(field));
        }
        for field in ["specs", "field", "institution", "chain"] {
            if let Some(v) = object.get(field).and_then(Value::as_str) {
                extra.push(v.to_string());
            }
        }
        let body = object["body"].as_str().unwrap();
        let text = format!("{title}\n{title}\n{body}\n{}", extra.join(" "));
        let version = Version {
            token: token.to_string(),
            title,
            text,
        };
        (doc, version)
    }
}

/// One client in one round.
struct Client {
    base: String,
    key: String,
    client: usize,
    round: usize,
    pool: Arc<Pool>,
    /// Told of every acknowledged write.
    acks: mpsc::Sender<()>,
    /// Set once the server has been killed.
    killed: Arc<AtomicBool>,
}

/// One client's writes in one round, until the server stops answering.
fn client_round(c: Client, mut docs: Vec<Tracked>) -> (Vec<Tracked>, usize) {
    let Client {
        base,
        key,
        client,
        round,
        pool,
        acks,
        killed,
    } = c;
    let agent = agent(Duration::from_secs(20));
    let mut rng = ChaCha8Rng::seed_from_u64(SEED ^ ((round as u64) << 8) ^ client as u64);
    let mut acked = 0;
    for op in 0..10_000 {
        if killed.load(Ordering::Acquire) {
            break;
        }
        let live: Vec<usize> = (0..docs.len())
            .filter(|&i| docs[i].acked.is_some())
            .collect();
        let roll: f64 = rng.random();
        let token = format!("zq{client}r{round}w{op}");
        let text_no = rng.random_range(0..100_000);
        let (index, method, body) = if live.len() < 3 || roll < 0.5 {
            let collection = if rng.random_bool(0.5) {
                "needs"
            } else {
                "suppliers"
            };
            let id = format!("CR{client}-{round}-{op}");
            let (body, version) = pool.document(collection, text_no, &id, &token);
            docs.push(Tracked {
                id,
                collection,
                acked: None,
                pending: Some(Some(version.clone())),
                seen: vec![version],
                touched: true,
            });
            (docs.len() - 1, "POST", Some(body))
        } else if roll < 0.85 {
            let i = live[rng.random_range(0..live.len())];
            let (body, version) = pool.document(docs[i].collection, text_no, &docs[i].id, &token);
            docs[i].pending = Some(Some(version.clone()));
            docs[i].seen.push(version);
            docs[i].touched = true;
            (i, "PUT", Some(body))
        } else {
            let i = live[rng.random_range(0..live.len())];
            docs[i].pending = Some(None);
            docs[i].touched = true;
            (i, "DELETE", None)
        };
        let d = &docs[index];
        let url = match method {
            "POST" => format!("{base}/v1/{}", d.collection),
            _ => format!("{base}/v1/{}/{}", d.collection, d.id),
        };
        match call(&agent, method, &url, Some(&key), body.as_ref()) {
            Ok((status, _)) if (200..300).contains(&status) => {
                let d = &mut docs[index];
                d.acked = d.pending.take().unwrap();
                acked += 1;
                let _ = acks.send(());
            }
            Ok((429, _)) => {
                // Refused by the rate limit: nothing was written.
                let d = &mut docs[index];
                d.pending = None;
                if method == "POST" {
                    docs.pop();
                }
                // Pacing under the per-key limit; not a synchronisation.
                std::thread::sleep(Duration::from_millis(200));
            }
            Ok((status, body)) => panic!("{method} {url}: {status} {body}"),
            // The server is gone: the write stays in flight (maybe done, maybe not).
            Err(_) => break,
        }
    }
    (docs, acked)
}

/// Result of checking one document after a restart.
struct Checked {
    requests: usize,
    /// Cosine of the stored version's vector with its own text.
    cosine: Option<f64>,
}

fn search_ids(agent: &ureq::Agent, base: &str, kind: &str, token: &str) -> Vec<(String, String)> {
    let url = format!("{base}/v1/search?q={token}&kind={kind}&limit=20&status=any");
    let (status, body) = call(agent, "GET", &url, None, None).unwrap();
    assert_eq!(status, 200, "{url}: {body}");
    body["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["id"].as_str().unwrap().to_string(),
                h["title"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Vector matches of a version's text among documents of `kind`: (id, title, cosine).
fn vector_matches(
    agent: &ureq::Agent,
    base: &str,
    kind: &str,
    v: &Version,
) -> Vec<(String, String, f64)> {
    let request = json!({
        "text": v.text,
        "kind": kind,
        "profile": "vector-only",
        "k": MATCH_K,
        "explain": true,
    });
    let (status, body) = call(
        agent,
        "POST",
        &format!("{base}/v1/match"),
        None,
        Some(&request),
    )
    .unwrap();
    assert_eq!(status, 200, "match: {body}");
    body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            let e = &h["explanation"];
            let cosine = e["demand_side"].as_f64().unwrap_or(0.0);
            (
                h["id"].as_str().unwrap().to_string(),
                h["title"].as_str().unwrap().to_string(),
                cosine,
            )
        })
        .collect()
}

/// Checks one document in the store and both indexes and settles its state.
fn check(agent: &ureq::Agent, base: &str, d: &mut Tracked, problems: &mut Vec<String>) -> Checked {
    let mut requests = 0;
    let mut self_cosine = None;
    let url = format!("{base}/v1/{}/{}", d.collection, d.id);
    let (status, body) = call(agent, "GET", &url, None, None).unwrap();
    requests += 1;
    let stored: Option<Version> = match status {
        200 => {
            let title = body["title"].as_str().unwrap_or_default();
            match d.seen.iter().find(|v| v.title == title) {
                Some(v) => Some(v.clone()),
                None => {
                    problems.push(format!(
                        "{}: the store holds an unknown title `{title}`",
                        d.id
                    ));
                    return Checked {
                        requests,
                        cosine: None,
                    };
                }
            }
        }
        404 => None,
        other => panic!("GET {url}: {other} {body}"),
    };
    let allowed = match &d.pending {
        Some(p) => stored == d.acked || stored == *p,
        None => stored == d.acked,
    };
    if !allowed {
        problems.push(format!(
            "{}: the store holds {:?}, acknowledged {:?}, in flight {:?}",
            d.id,
            stored.as_ref().map(|v| &v.token),
            d.acked.as_ref().map(|v| &v.token),
            d.pending
                .as_ref()
                .map(|p| p.as_ref().map(|v| v.token.clone()))
        ));
    }
    let kind = d.kind();
    if let Some(v) = &stored {
        let hits = search_ids(agent, base, kind, &v.token);
        requests += 1;
        if !hits
            .iter()
            .any(|(id, title)| *id == d.id && *title == v.title)
        {
            problems.push(format!(
                "{}: stored version `{}` not found by full-text search ({hits:?})",
                d.id, v.token
            ));
        }
        let found = vector_matches(agent, base, kind, v);
        requests += 1;
        self_cosine = found
            .iter()
            .find(|(id, _, _)| *id == d.id)
            .map(|(_, _, c)| *c);
        match found.iter().find(|(id, _, _)| *id == d.id) {
            Some((_, title, cosine)) if *title == v.title && *cosine >= MIN_SELF_COSINE => {}
            Some((_, title, cosine)) => problems.push(format!(
                "{}: vector match of version `{}` shows `{title}` at cosine {cosine:.3}",
                d.id, v.token
            )),
            None => problems.push(format!(
                "{}: stored version `{}` not among the vector matches of its own text",
                d.id, v.token
            )),
        }
    }
    // Every other version seen since the last check must be gone from the
    // full-text index; an absent document from vector matching too.
    for v in d.seen.iter().filter(|v| Some(*v) != stored.as_ref()) {
        let hits = search_ids(agent, base, kind, &v.token);
        requests += 1;
        if hits.iter().any(|(id, _)| *id == d.id) {
            problems.push(format!(
                "{}: full-text search still finds version `{}` (store: {:?})",
                d.id,
                v.token,
                stored.as_ref().map(|v| &v.token)
            ));
        }
    }
    if stored.is_none() {
        if let Some(v) = d.seen.last() {
            requests += 1;
            if vector_matches(agent, base, kind, v)
                .iter()
                .any(|(id, _, _)| *id == d.id)
            {
                problems.push(format!("{}: absent from the store but matched", d.id));
            }
        }
    }
    d.acked = stored.clone();
    d.pending = None;
    d.seen = stored.into_iter().collect();
    d.touched = false;
    Checked {
        requests,
        cosine: self_cosine,
    }
}

#[test]
fn acknowledged_writes_survive_kill_9() {
    let started = Instant::now();
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let corpora = tmp.path().join("corpora");
    corpus_slice(&corpora, 0, CORPUS_PER_KIND);
    let keys: Vec<String> = (0..CLIENTS)
        .map(|c| add_key(&data, "sme", &format!("崩溃测试企业{c}")))
        .collect();
    let pool = Arc::new(Pool::load());
    let mut rng = ChaCha8Rng::seed_from_u64(SEED);
    let http = agent(Duration::from_secs(20));
    let mut docs: Vec<Vec<Tracked>> = vec![Vec::new(); CLIENTS];
    let (mut acked_total, mut in_flight, mut in_flight_applied) = (0usize, 0usize, 0usize);
    let (mut checked_docs, mut check_requests, mut startup_kills) = (0usize, 0usize, 0usize);
    let mut min_cosine = f64::MAX;

    let rounds: usize = std::env::var(ROUNDS_ENV)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(ROUNDS);
    let env = [(duijie::engine::PERSIST_EVERY_ENV, PERSIST_EVERY)];
    let mut server = Server::start_env(&data, &corpora, START_WAIT, &env);
    for round in 0..=rounds {
        wait_ready(&http, &server.base, START_WAIT);
        let base = server.base.clone();
        // Check what the last round wrote, and a sample of older documents
        // (all of them after the last round).
        let mut problems = Vec::new();
        let mut all: Vec<&mut Tracked> = docs.iter_mut().flatten().collect();
        let old: Vec<usize> = (0..all.len()).filter(|&i| !all[i].touched).collect();
        let sample: HashSet<usize> = if round == rounds {
            old.into_iter().collect()
        } else {
            (0..OLD_SAMPLE.min(old.len()))
                .map(|_| old[rng.random_range(0..old.len())])
                .collect()
        };
        for (i, d) in all.iter_mut().enumerate() {
            if d.touched || sample.contains(&i) {
                if d.pending.is_some() {
                    in_flight += 1;
                }
                let pending = d.pending.clone();
                let checked = check(&http, &base, d, &mut problems);
                if pending.is_some_and(|p| d.acked == p) {
                    in_flight_applied += 1;
                }
                checked_docs += 1;
                check_requests += checked.requests;
                if let Some(c) = checked.cosine {
                    min_cosine = min_cosine.min(c);
                }
            }
        }
        let sizes = index_sizes(&http, &base);
        for kind in KINDS {
            let store = sizes.get("store", kind);
            let (fulltext, vector) = (sizes.get("fulltext", kind), sizes.get("vector", kind));
            if store != fulltext || store != vector {
                problems.push(format!(
                    "{kind}: {store} documents in the store, {fulltext} in the full-text index, {vector} in the vector index"
                ));
            }
        }
        if !problems.is_empty() && std::env::var_os(KEEP_ENV).is_some() {
            server.proc.kill9();
            keep_log(tmp.path(), "last", &server.proc);
            eprintln!("kept {}", tmp.keep().display());
            panic!("after round {round}: {}", problems.join("\n"));
        }
        assert!(
            problems.is_empty(),
            "after round {round}: {}\n--- server log ---\n{}\n(set {KEEP_ENV}=1 to keep the data directory and all logs)",
            problems.join("\n"),
            server.proc.stderr()
        );
        if round == rounds {
            break;
        }

        // Write until the kill.
        let target = rng.random_range(0..=MAX_ACKS_PER_ROUND);
        let killed = Arc::new(AtomicBool::new(false));
        let (acks_tx, acks) = mpsc::channel();
        let handles: Vec<_> = docs
            .iter_mut()
            .enumerate()
            .map(|(c, mine)| {
                let client = Client {
                    base: base.clone(),
                    key: keys[c].clone(),
                    client: c,
                    round,
                    pool: pool.clone(),
                    acks: acks_tx.clone(),
                    killed: killed.clone(),
                };
                let mine = std::mem::take(mine);
                std::thread::spawn(move || client_round(client, mine))
            })
            .collect();
        drop(acks_tx);
        let deadline = Instant::now() + Duration::from_secs(30);
        for _ in 0..target {
            let left = deadline.saturating_duration_since(Instant::now());
            if acks.recv_timeout(left).is_err() {
                break;
            }
        }
        server.proc.kill9();
        keep_log(tmp.path(), &format!("round {round}"), &server.proc);
        killed.store(true, Ordering::Release);
        for (c, handle) in handles.into_iter().enumerate() {
            let (mine, acked) = handle.join().expect("a client panicked");
            docs[c] = mine;
            acked_total += acked;
        }

        // Restart; now and then kill again while it catches up.
        if round % STARTUP_KILL_EVERY == STARTUP_KILL_EVERY - 1 {
            let mut starting = Server::spawn_env(&data, &corpora, &env);
            assert!(
                starting.wait_stderr("vector indexes loaded", START_WAIT),
                "no progress on start: {}",
                starting.stderr()
            );
            starting.kill9();
            keep_log(
                tmp.path(),
                &format!("round {round}, killed starting"),
                &starting,
            );
            startup_kills += 1;
        }
        server = Server::start_env(&data, &corpora, START_WAIT, &env);
    }
    server.proc.kill9();
    let total: usize = docs.iter().map(Vec::len).sum();
    println!(
        "crash: {rounds} kill -9 rounds ({startup_kills} more during start-up), {acked_total} writes acknowledged, \
         {in_flight} unanswered at a kill ({in_flight_applied} of them applied), {total} documents, \
         {checked_docs} document checks ({check_requests} requests, lowest self-cosine {min_cosine:.3}), {:.1} s",
        started.elapsed().as_secs_f64()
    );
    assert!(acked_total >= rounds * 10, "too few writes: {acked_total}");
}

#[test]
fn killed_train_encoder_leaves_a_usable_model() {
    let started = Instant::now();
    let tmp = tempfile::tempdir().unwrap();
    let data = loaded(tmp.path(), 400, 150);
    let extra = tmp.path().join("extra.jsonl");
    let more: Vec<String> = std::fs::read_to_string(shipped("needs.jsonl"))
        .unwrap()
        .lines()
        .skip(1500)
        .take(8)
        .map(str::to_string)
        .collect();
    let mut rng = ChaCha8Rng::seed_from_u64(SEED ^ 0x7472_6169);
    // Kill points: on a progress line, optionally after a seeded delay
    // (up to the training time measured on the first, uninterrupted run).
    let points = [
        ("training the encoder", true),
        ("training the encoder", true),
        ("encoder trained", false),
        ("rebuilding the vectors", false),
        ("training the encoder", true),
        ("vectors rebuilt", false),
    ];
    let begin = Instant::now();
    let (_, stderr) = duijie_ok(&data, &["train-encoder"]);
    let training_ms = begin.elapsed().as_millis() as u64;
    assert!(stderr.contains("encoder trained"), "{stderr}");
    let mut fingerprints = HashSet::new();
    for (round, (line, delayed)) in points.iter().enumerate() {
        // A new document each round, so each training makes a different model.
        std::fs::write(&extra, format!("{}\n", more[round])).unwrap();
        duijie_ok(&data, &["--json", "ingest", extra.to_str().unwrap()]);
        let (before, _) = stats_agree(&data);
        let old_model = std::fs::read(data.join("encoder.model")).unwrap();
        let mut train = Proc::spawn(&data, &["train-encoder"], false);
        assert!(
            train.wait_stderr(line, Duration::from_secs(120)),
            "train-encoder never logged `{line}`: {}",
            train.stderr()
        );
        if *delayed {
            // A seeded kill point inside the training; not a synchronisation.
            std::thread::sleep(Duration::from_millis(rng.random_range(0..training_ms)));
        }
        train.kill9();
        let replaced = std::fs::read(data.join("encoder.model")).unwrap() != old_model;
        let (after, stderr) = stats_agree(&data);
        assert!(
            !stderr.contains("WARN"),
            "round {round}: warnings after a killed train-encoder: {stderr}"
        );
        if !replaced {
            assert_eq!(before["encoder"], after["encoder"]);
        }
        fingerprints.insert(after["encoder"].as_str().unwrap().to_string());
        let (search, matched, stderr) = answers(&data);
        assert!(!stderr.contains("WARN"), "{stderr}");
        assert!(!search.is_empty() && !matched.is_empty());
        println!(
            "train-encoder killed at `{line}`{}: model {}",
            if *delayed { " + delay" } else { "" },
            if replaced { "replaced" } else { "kept" }
        );
    }
    assert!(fingerprints.len() >= 2, "no kill let a new model through");
    println!(
        "train-encoder: {} kills, usable after each, {:.1} s",
        points.len(),
        started.elapsed().as_secs_f64()
    );
}

#[test]
fn killed_index_rebuild_leaves_usable_indexes() {
    let started = Instant::now();
    let tmp = tempfile::tempdir().unwrap();
    let data = loaded(tmp.path(), 600, 150);
    let (reference_search, reference_match, _) = answers(&data);
    assert!(!reference_search.is_empty() && !reference_match.is_empty());
    let mut rng = ChaCha8Rng::seed_from_u64(SEED ^ 0x7265_6275);
    let damage_fulltext = |data: &Path| {
        let dir = data.join("fulltext/need");
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "idx") {
                truncate_half(&path);
            }
        }
    };
    let damage_vectors = |data: &Path| {
        std::fs::write(data.join("vectors/manifest.json"), b"{ not json").unwrap();
    };
    // Time of an uninterrupted rebuild of both, for the seeded kill delays.
    damage_fulltext(&data);
    damage_vectors(&data);
    let begin = Instant::now();
    let (_, stderr) = stats_agree(&data);
    let rebuild_ms = begin.elapsed().as_millis() as u64;
    assert!(stderr.contains("full-text index unusable"), "{stderr}");
    assert!(stderr.contains("vector indexes unusable"), "{stderr}");
    for round in 0..6 {
        let (what, line) = match round % 3 {
            0 => ("full-text", "full-text index unusable"),
            1 => ("vector", "vector indexes unusable"),
            _ => ("both", "full-text index unusable"),
        };
        if what != "vector" {
            damage_fulltext(&data);
        }
        if what != "full-text" {
            damage_vectors(&data);
        }
        let mut rebuild = Proc::spawn(&data, &["--json", "stats"], false);
        assert!(
            rebuild.wait_stderr(line, Duration::from_secs(60)),
            "no `{line}`: {}",
            rebuild.stderr()
        );
        let delay = rng.random_range(0..rebuild_ms);
        // A seeded kill point inside the rebuild; not a synchronisation.
        std::thread::sleep(Duration::from_millis(delay));
        rebuild.kill9();
        stats_agree(&data);
        let (search, matched, stderr) = answers(&data);
        assert!(!stderr.contains("WARN"), "round {round}: {stderr}");
        assert_same_ranking(&format!("round {round}"), &search, &reference_search);
        assert_same_ranking(&format!("round {round}"), &matched, &reference_match);
        println!("rebuild of the {what} index killed after {delay} ms: indexes usable");
    }
    let out = duijie(&data, &["--json", "stats"]);
    assert!(out.status.success());
    println!(
        "index rebuild: 6 kills (rebuild takes {rebuild_ms} ms), usable after each, {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

/// Files a commit wrote before a crash cut it short (a delete file is named
/// by segment and operation stamp) are not in `meta.json`. Replaying the
/// same changes after the restart reaches the same stamps: the next commit
/// must not fail on "file already exists" (it did, once in ~250 kill rounds).
#[test]
fn leftovers_of_an_interrupted_commit_do_not_block_the_next_one() {
    use duijie::model::parse_document;
    let tmp = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(shipped("needs.jsonl")).unwrap();
    let docs: Vec<_> = text
        .lines()
        .take(30)
        .map(|l| parse_document(l).unwrap())
        .collect();
    {
        let engine = duijie::Engine::open(tmp.path()).unwrap();
        engine.store().put_batch(docs.clone()).unwrap();
        engine.sync().unwrap();
    }
    // Leftovers for the next operation stamps of every segment, as managed files.
    let dir = tmp.path().join("fulltext/need");
    let meta: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("meta.json")).unwrap()).unwrap();
    let opstamp = meta["opstamp"].as_u64().unwrap();
    let managed_path = dir.join(".managed.json");
    let mut managed: Vec<String> =
        serde_json::from_str(&std::fs::read_to_string(&managed_path).unwrap()).unwrap();
    let mut planted = 0;
    for segment in meta["segments"].as_array().unwrap() {
        let id = segment["segment_id"].as_str().unwrap().replace('-', "");
        for stamp in opstamp..opstamp + 32 {
            let name = format!("{id}.{stamp}.del");
            std::fs::write(dir.join(&name), b"left by a killed commit").unwrap();
            managed.push(name);
            planted += 1;
        }
    }
    std::fs::write(&managed_path, serde_json::to_vec(&managed).unwrap()).unwrap();
    assert!(planted > 0);

    // Replacing documents deletes them from their segments: new delete files.
    let engine = duijie::Engine::open(tmp.path()).unwrap();
    for doc in docs.iter().take(3) {
        let mut doc = doc.clone();
        doc.title = format!("{} 改", doc.title);
        engine.upsert(doc).unwrap();
    }
    engine.sync().expect("the commit after the restart");
    let stats = engine.stats().unwrap();
    let need = duijie::model::Kind::Need;
    assert_eq!(stats.fulltext[&need], stats.documents[&need] as u64);
    assert_eq!(stats.fulltext_seq, stats.store_seq);
}
