//! Damaged files, with the real binary.
//!
//! - Derived files (`damaged_indexes_and_model_are_rebuilt_with_a_warning`):
//!   a truncated or garbled full-text segment file or `meta.json`, vector
//!   entries file, graph file or manifest, or encoder model is detected on
//!   start, logged as a warning, and rebuilt from the store: the commands
//!   answer as before the damage, nothing panics, and the next start loads
//!   the rebuilt files without a warning. `serve` does the same.
//! - The store (`a_damaged_store_refuses_to_start`): a record failing its
//!   checksum, damaged sled files, a change log out of step with the
//!   documents, or a store that lost writes its indexes have seen make
//!   `serve` exit with code 1 and a message naming the problem, without a
//!   panic and without ever reporting that it serves.

mod crashkit;

use crashkit::{
    agent, answers, assert_same_ranking, call, copy_dir, duijie, garble, ids, loaded, stats_agree,
    truncate_half, wait_ready, Server,
};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Files in `dir` whose name ends with `suffix`.
fn files(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_str().unwrap().ends_with(suffix))
        .collect();
    found.sort();
    assert!(!found.is_empty(), "no *{suffix} in {}", dir.display());
    found
}

/// The largest file in `dir` ending with `suffix`.
fn largest(dir: &Path, suffix: &str) -> PathBuf {
    files(dir, suffix)
        .into_iter()
        .max_by_key(|p| std::fs::metadata(p).unwrap().len())
        .unwrap()
}

fn assert_no_panic(stderr: &str) {
    assert!(!stderr.contains("panicked"), "a panic was logged: {stderr}");
}

#[test]
fn damaged_indexes_and_model_are_rebuilt_with_a_warning() {
    let started = Instant::now();
    let tmp = tempfile::tempdir().unwrap();
    let data = loaded(tmp.path(), 0, 120);
    let (search, matched, _) = answers(&data);
    assert!(!search.is_empty() && !matched.is_empty());

    type Damage = fn(&Path);
    let cases: Vec<(&str, Damage, &str)> = vec![
        (
            "full-text term dictionary truncated",
            |d| truncate_half(&largest(&d.join("fulltext/need"), ".term")),
            "full-text index unusable",
        ),
        (
            "full-text stored documents garbled",
            |d| garble(&largest(&d.join("fulltext/need"), ".store")),
            "full-text index unusable",
        ),
        (
            "full-text postings garbled",
            |d| garble(&largest(&d.join("fulltext/achievement"), ".idx")),
            "full-text index unusable",
        ),
        (
            "full-text meta.json garbled",
            |d| std::fs::write(d.join("fulltext/request/meta.json"), b"{\"segments\": [").unwrap(),
            "full-text index unusable",
        ),
        (
            "vector entries truncated",
            |d| truncate_half(&files(&d.join("vectors"), ".vec")[0]),
            "vector indexes unusable",
        ),
        (
            "vector graph garbled",
            |d| garble(&files(&d.join("vectors"), ".hnsw.graph")[0]),
            "vector indexes unusable",
        ),
        (
            "vector data garbled",
            |d| garble(&files(&d.join("vectors"), ".hnsw.data")[0]),
            "vector indexes unusable",
        ),
        (
            "vector manifest truncated",
            |d| truncate_half(&d.join("vectors/manifest.json")),
            "vector indexes unusable",
        ),
        (
            "encoder model truncated",
            |d| truncate_half(&d.join("encoder.model")),
            "encoder model unusable",
        ),
        (
            "encoder model garbled",
            |d| garble(&d.join("encoder.model")),
            "encoder model unusable",
        ),
        (
            "encoder model emptied",
            |d| std::fs::write(d.join("encoder.model"), b"").unwrap(),
            "encoder model unusable",
        ),
    ];
    for (what, damage, warning) in &cases {
        damage(&data);
        // The first open detects, warns and rebuilds; the counts agree.
        let (_, stderr) = stats_agree(&data);
        assert!(
            stderr.contains(warning),
            "{what}: no `{warning}` warning: {stderr}"
        );
        assert!(stderr.contains("WARN"), "{what}: {stderr}");
        assert_no_panic(&stderr);
        // The next ones load the rebuilt files quietly and answer as before.
        let (after_search, after_match, stderr) = answers(&data);
        assert!(!stderr.contains("WARN"), "{what}: still warning: {stderr}");
        assert_same_ranking(what, &after_search, &search);
        if warning.starts_with("encoder") {
            // Retrained on every document now in the store (the first model
            // saw only the first file ingested): another model, other scores.
            assert!(!after_match.is_empty(), "{what}: no matches");
        } else {
            assert_same_ranking(what, &after_match, &matched);
        }
        println!("{what}: detected ({warning}), rebuilt from the store, answers checked");
    }

    // The server: damage to all three at once, warnings, then serving.
    let (_, matched, _) = answers(&data);
    truncate_half(&largest(&data.join("fulltext/supplier"), ".idx"));
    garble(&files(&data.join("vectors"), ".vec")[0]);
    garble(&data.join("encoder.model"));
    let corpora = tmp.path().join("corpora");
    let server = Server::start(&data, &corpora, Duration::from_secs(120));
    let http = agent(Duration::from_secs(20));
    wait_ready(&http, &server.base, Duration::from_secs(60));
    let stderr = server.proc.stderr();
    for warning in [
        "full-text index unusable",
        "vector indexes unusable",
        "encoder model unusable",
    ] {
        assert!(stderr.contains(warning), "serve: no `{warning}`: {stderr}");
    }
    assert_no_panic(&stderr);
    let (status, body) = call(
        &http,
        "GET",
        &format!(
            "{}/v1/search?q=%E6%9D%90%E6%96%99&kind=supplier",
            server.base
        ),
        None,
        None,
    )
    .unwrap();
    assert_eq!(status, 200);
    assert!(!body["hits"].as_array().unwrap().is_empty(), "{body}");
    let request = serde_json::json!({
        "text": "复合材料 固化 工艺 优化", "kind": "need", "profile": "vector-only", "k": 5
    });
    let (status, body) = call(
        &http,
        "POST",
        &format!("{}/v1/match", server.base),
        None,
        Some(&request),
    )
    .unwrap();
    assert_eq!(status, 200);
    let served: Vec<String> = body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_str().unwrap().to_string())
        .collect();
    let mut expected = ids(&matched);
    expected.sort();
    let mut served = served;
    served.sort();
    assert_eq!(served, expected, "serve: match answers differ");
    drop(server);
    println!(
        "corruption of derived files: {} cases and one served start, {:.1} s",
        cases.len(),
        started.elapsed().as_secs_f64()
    );
}

/// Starts `serve` on a damaged store and expects a refusal naming `problem`.
fn refuses(case: &str, data: &Path, corpora: &Path, problem: &str) {
    let mut proc = Server::spawn(data, corpora);
    let status = proc
        .wait_exit(Duration::from_secs(60))
        .unwrap_or_else(|| panic!("{case}: serve kept running on a damaged store"));
    let stderr = proc.stderr();
    assert_eq!(status.code(), Some(1), "{case}: exit {status}: {stderr}");
    assert!(
        stderr.contains(problem),
        "{case}: the error does not name `{problem}`: {stderr}"
    );
    assert!(
        stderr.contains("refusing to start"),
        "{case}: the error does not say it refuses to start: {stderr}"
    );
    assert_no_panic(&stderr);
    assert!(
        proc.wait_stdout("duijie serving on ", Duration::from_millis(1))
            .is_none(),
        "{case}: reported serving"
    );
    let message = stderr
        .lines()
        .find(|l| l.starts_with("error:"))
        .unwrap_or("");
    println!("{case}: exit 1, {message}");
}

/// Opens the sled database of a data directory (no server may run).
fn sled_db(data: &Path) -> sled::Db {
    sled::Config::new().path(data.join("store")).open().unwrap()
}

#[test]
fn a_damaged_store_refuses_to_start() {
    let tmp = tempfile::tempdir().unwrap();
    let base = loaded(tmp.path(), 300, 60);
    let corpora = tmp.path().join("corpora");
    let copy = |name: &str| -> PathBuf {
        let dir = tmp.path().join(name);
        copy_dir(&base, &dir);
        dir
    };

    // A record whose checksum fails.
    let data = copy("record");
    let victim = {
        let db = sled_db(&data);
        let docs = db.open_tree("docs").unwrap();
        let (key, value) = docs.iter().nth(17).unwrap().unwrap();
        let mut value = value.to_vec();
        let last = value.len() - 3;
        value[last] ^= 0x20;
        docs.insert(&key, value).unwrap();
        db.flush().unwrap();
        String::from_utf8(key.to_vec()).unwrap()
    };
    refuses(
        "record checksum",
        &data,
        &corpora,
        &format!("record `{victim}` fails its checksum"),
    );

    // A gap in the change log.
    let data = copy("log");
    {
        let db = sled_db(&data);
        let log = db.open_tree("log").unwrap();
        log.remove(40u64.to_be_bytes()).unwrap();
        db.flush().unwrap();
    }
    refuses(
        "change log gap",
        &data,
        &corpora,
        "(sequence 40) is missing from the change log",
    );

    // A live document missing from the owner index.
    let data = copy("owners");
    {
        let db = sled_db(&data);
        let owners = db.open_tree("owners").unwrap();
        let (key, _) = owners.iter().next().unwrap().unwrap();
        owners.remove(key).unwrap();
        db.flush().unwrap();
    }
    refuses(
        "owner index",
        &data,
        &corpora,
        "missing from the owner index",
    );

    // Bytes of sled's own files damaged: every stored copy of one document.
    let data = copy("sled");
    let id = {
        let db = sled_db(&data);
        let docs = db.open_tree("docs").unwrap();
        let (key, _) = docs.iter().next_back().unwrap().unwrap();
        String::from_utf8(key.to_vec()).unwrap()
    };
    let file = data.join("store/db");
    let mut bytes = std::fs::read(&file).unwrap();
    let needle = format!("\"title\":\"{}", {
        let out = duijie(&base, &["--json", "get", &id]);
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        doc["title"]
            .as_str()
            .unwrap()
            .chars()
            .take(4)
            .collect::<String>()
    });
    let mut hits = 0;
    let mut at = 0;
    while let Some(pos) = find(&bytes[at..], needle.as_bytes()) {
        let i = at + pos + needle.len() - 1;
        bytes[i] ^= 0x01;
        hits += 1;
        at = i + 1;
    }
    assert!(hits > 0, "`{needle}` not found in the sled file");
    std::fs::write(&file, bytes).unwrap();
    refuses("sled file damaged", &data, &corpora, "store");

    // A store older than its indexes: writes the indexes saw are gone
    // (as when sled drops the tail of its log).
    let data = copy("stale");
    let stale = tmp.path().join("stale-store");
    copy_dir(&data.join("store"), &stale);
    let extra = tmp.path().join("extra.jsonl");
    let more = std::fs::read_to_string(crashkit::shipped("needs.jsonl")).unwrap();
    std::fs::write(
        &extra,
        more.lines()
            .skip(900)
            .take(5)
            .collect::<Vec<_>>()
            .join("\n"),
    )
    .unwrap();
    let out = duijie(&data, &["--json", "ingest", extra.to_str().unwrap()]);
    assert!(out.status.success());
    std::fs::remove_dir_all(data.join("store")).unwrap();
    copy_dir(&stale, &data.join("store"));
    refuses(
        "store lost writes",
        &data,
        &corpora,
        "the store has lost writes",
    );
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
