//! Snapshot and restore, end to end with the real binary: `duijie snapshot`
//! while `duijie serve` runs on the data directory and writes stream in,
//! `duijie restore` into a new data directory, a start on it, and the same
//! documents, profiles and keys — exactly the writes up to the snapshot's
//! sequence number. Damaged snapshots and non-empty targets are refused.

mod crashkit;

use crashkit::{
    add_key, agent, call, copy_dir, corpus_slice, duijie, encode, index_sizes, wait_ready, Server,
};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const READY: Duration = Duration::from_secs(120);

/// One acknowledged write of a writer thread.
#[derive(Debug, Clone)]
enum Ack {
    Created { id: String, title: String, seq: u64 },
    Deleted { id: String, seq: u64 },
}

fn need_json(id: &str, title: &str) -> Value {
    json!({"id": id, "title": title, "body": format!("{title}：备份恢复测试需求，锂电池正极材料。"),
           "region": "520102", "industry": "C38", "budget": 10.0})
}

/// Sends one write, backing off while the key's rate limit answers 429
/// (bounded: gives up after 200 refusals).
fn write_retrying(
    http: &ureq::Agent,
    method: &str,
    url: &str,
    key: &str,
    body: Option<&Value>,
) -> (u16, Value) {
    for _ in 0..200 {
        let (status, reply) = call(http, method, url, Some(key), body).unwrap();
        if status != 429 {
            return (status, reply);
        }
        std::thread::sleep(Duration::from_millis(50)); // the key's rate limit: back off
    }
    panic!("{method} {url} stayed rate-limited");
}

/// Creates needs (and deletes every fourth one again) until `stop`.
fn writer(base: String, key: String, party: usize, stop: Arc<AtomicBool>) -> Vec<Ack> {
    let http = agent(Duration::from_secs(30));
    let mut acks = Vec::new();
    // Bounded: the main thread stops the writers after a few seconds; the
    // count bounds the loop should it not.
    for i in 0..2_000 {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let id = format!("N-bk-{party}-{i}");
        let title = format!("备份测试{party}号第{i}条");
        let need = need_json(&id, &title);
        let (status, body) = write_retrying(
            &http,
            "POST",
            &format!("{base}/v1/needs"),
            &key,
            Some(&need),
        );
        assert_eq!(status, 201, "POST answered {status}: {body}");
        acks.push(Ack::Created {
            id: id.clone(),
            title,
            seq: body["seq"].as_u64().unwrap(),
        });
        if i % 4 == 3 {
            let url = format!("{base}/v1/needs/{id}");
            let (status, body) = write_retrying(&http, "DELETE", &url, &key, None);
            assert_eq!(status, 200, "{body}");
            acks.push(Ack::Deleted {
                id,
                seq: body["seq"].as_u64().unwrap(),
            });
        }
    }
    acks
}

fn manifest_of(out: &std::process::Output) -> Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line: Value = serde_json::from_slice(&out.stdout).unwrap();
    line["manifest"].clone()
}

/// What the store should hold at sequence number `seq`, by the writers' acknowledgements:
/// id → Some(title) when live, None when deleted by then; ids created later are absent.
fn expected_at(acks: &[Ack], seq: u64) -> BTreeMap<String, Option<String>> {
    let mut state = BTreeMap::new();
    let mut ordered: Vec<&Ack> = acks.iter().collect();
    ordered.sort_by_key(|a| match a {
        Ack::Created { seq, .. } | Ack::Deleted { seq, .. } => *seq,
    });
    for ack in ordered {
        match ack {
            Ack::Created { id, title, seq: s } if *s <= seq => {
                state.insert(id.clone(), Some(title.clone()));
            }
            Ack::Deleted { id, seq: s } if *s <= seq => {
                state.insert(id.clone(), None);
            }
            _ => {}
        }
    }
    state
}

fn created_after(acks: &[Ack], seq: u64) -> Vec<String> {
    acks.iter()
        .filter_map(|a| match a {
            Ack::Created { id, seq: s, .. } if *s > seq => Some(id.clone()),
            _ => None,
        })
        .collect()
}

fn flip_byte(path: &Path, at: usize) {
    let mut bytes = std::fs::read(path).unwrap();
    bytes[at] ^= 0x40;
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn a_snapshot_taken_while_serving_and_writing_restores_the_same_state() {
    let started = Instant::now();
    let root = tempfile::tempdir().unwrap();
    let corpora = root.path().join("corpora");
    corpus_slice(&corpora, 0, 60);
    let data = root.path().join("data");
    let writers = 3;
    let keys: Vec<String> = (0..writers)
        .map(|i| add_key(&data, "sme", &format!("备份测试企业{i}")))
        .collect();
    let operator = add_key(&data, "operator", "贵州省技术市场");
    let server = Server::start(&data, &corpora, READY);
    let base = server.base.clone();
    let http = agent(Duration::from_secs(60));
    eprintln!("server ready after {:?}", started.elapsed());

    // An operator's profile, to be restored with the documents.
    let (status, mut profile) = call(
        &http,
        "GET",
        &format!("{base}/v1/profiles/default-tech"),
        None,
        None,
    )
    .unwrap();
    assert_eq!(status, 200);
    profile.as_object_mut().unwrap().remove("name");
    let (status, saved) = call(
        &http,
        "PUT",
        &format!("{base}/v1/profiles/ops-tech"),
        Some(&operator),
        Some(&profile),
    )
    .unwrap();
    assert_eq!(status, 201, "{saved}");
    let (_, profiles_before) =
        call(&http, "GET", &format!("{base}/v1/profiles"), None, None).unwrap();

    // The admin route takes the token of admin.json only.
    let snapshot_url = format!("{base}/v1/admin/snapshot");
    let body = json!({"dir": root.path().join("unused")});
    let (status, reply) = call(&http, "POST", &snapshot_url, None, Some(&body)).unwrap();
    assert_eq!(status, 401, "{reply}");
    let (status, reply) = call(&http, "POST", &snapshot_url, Some(&operator), Some(&body)).unwrap();
    assert_eq!(status, 403, "{reply}");
    let (status, reply) =
        call(&http, "POST", &snapshot_url, Some("0123abcd"), Some(&body)).unwrap();
    assert_eq!(status, 401, "{reply}");
    assert!(!root.path().join("unused").exists());
    let admin: Value =
        serde_json::from_slice(&std::fs::read(data.join("admin.json")).unwrap()).unwrap();
    let token = admin["token"].as_str().unwrap();
    let relative = json!({"dir": "relative/dir"});
    let (status, reply) = call(&http, "POST", &snapshot_url, Some(token), Some(&relative)).unwrap();
    assert_eq!(status, 422, "{reply}");
    assert_eq!(reply["field"], "dir");

    // Writes stream in from several parties while the snapshot is taken.
    let stop = Arc::new(AtomicBool::new(false));
    let threads: Vec<_> = keys
        .iter()
        .enumerate()
        .map(|(party, key)| {
            let (base, key, stop) = (base.clone(), key.clone(), stop.clone());
            std::thread::spawn(move || writer(base, key, party, stop))
        })
        .collect();
    let write_count = |min: u64| {
        // Polls the store's sequence number until the writers are under way (bounded).
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let (_, r) = call(&http, "GET", &format!("{base}/readyz"), None, None).unwrap();
            let seq = r["store_seq"].as_u64().unwrap();
            if seq >= min {
                return seq;
            }
            assert!(Instant::now() < deadline, "the writers made no progress");
            std::thread::sleep(Duration::from_millis(20)); // polling a condition, bounded
        }
    };
    let seq_before = write_count(0);
    write_count(seq_before + 30);
    let snap = root.path().join("snapshots").join("first");
    let out = duijie(&data, &["--json", "snapshot", snap.to_str().unwrap()]);
    let manifest = manifest_of(&out);
    let snap_seq = manifest["seq"].as_u64().unwrap();
    // Keep writing past the snapshot, then stop.
    write_count(snap_seq + 30);
    stop.store(true, Ordering::Relaxed);
    let acks: Vec<Ack> = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    let later = created_after(&acks, snap_seq);
    assert!(
        snap_seq > seq_before && !later.is_empty(),
        "the snapshot (seq {snap_seq}) fell inside the write stream ({seq_before}…)"
    );
    assert!(snap.join("manifest.json").is_file() && snap.join("store.dump").is_file());
    assert!(
        snap.join("encoder.model").is_file(),
        "the encoder model is copied"
    );
    // Only complete snapshots are visible: no temporary directory is left.
    let leftovers: Vec<_> = std::fs::read_dir(snap.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers, vec![std::ffi::OsString::from("first")]);
    // A second snapshot into the same directory is refused.
    let again = duijie(&data, &["snapshot", snap.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(2));
    let final_seq = write_count(0);
    server.stop();
    eprintln!(
        "{} acknowledged writes; snapshot at seq {snap_seq}, store at {final_seq}",
        acks.len()
    );

    // With the server stopped, `snapshot` opens the store itself.
    let direct = root.path().join("snapshots").join("direct");
    let direct_manifest = manifest_of(&duijie(
        &data,
        &["--json", "snapshot", direct.to_str().unwrap()],
    ));
    assert_eq!(direct_manifest["seq"].as_u64().unwrap(), final_seq);

    // Restore into a new data directory; not over it again without --force.
    let restored = root.path().join("restored");
    let out = duijie(&restored, &["restore", snap.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = duijie(&restored, &["restore", snap.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--force"));
    let out = duijie(&restored, &["restore", "--force", snap.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let empty_corpora = root.path().join("no-corpora");
    std::fs::create_dir_all(&empty_corpora).unwrap();
    let server = Server::start(&restored, &empty_corpora, READY);
    let base = server.base.clone();
    wait_ready(&http, &base, READY);
    // Exactly the writes up to the snapshot's sequence number.
    let expected = expected_at(&acks, snap_seq);
    for (id, title) in &expected {
        let (status, doc) =
            call(&http, "GET", &format!("{base}/v1/needs/{id}"), None, None).unwrap();
        match title {
            Some(title) => {
                assert_eq!(status, 200, "{id} was acknowledged before the snapshot");
                assert_eq!(doc["title"], title.as_str());
            }
            None => assert_eq!(status, 404, "{id} was deleted before the snapshot"),
        }
    }
    for id in &later {
        let (status, _) = call(&http, "GET", &format!("{base}/v1/needs/{id}"), None, None).unwrap();
        assert_eq!(status, 404, "{id} was written after the snapshot");
    }
    // The same profiles (with the operator's), the same keys.
    let (_, profiles_after) =
        call(&http, "GET", &format!("{base}/v1/profiles"), None, None).unwrap();
    assert_eq!(profiles_after, profiles_before);
    let (status, ops) = call(
        &http,
        "GET",
        &format!("{base}/v1/profiles/ops-tech"),
        None,
        None,
    )
    .unwrap();
    assert_eq!(status, 200);
    assert_eq!(ops, saved);
    let (status, reply) = call(
        &http,
        "POST",
        &format!("{base}/v1/needs"),
        Some(&keys[0]),
        Some(&need_json("N-after-restore", "恢复后写入")),
    )
    .unwrap();
    assert_eq!(status, 201, "the key works after the restore: {reply}");
    assert_eq!(reply["seq"].as_u64().unwrap(), snap_seq + 1);
    // The indexes were rebuilt from the restored store and agree with it.
    wait_ready(&http, &base, READY);
    let sizes = index_sizes(&http, &base);
    for (kind, count) in manifest["documents"].as_object().unwrap() {
        let mut count = count.as_u64().unwrap();
        if kind == "need" {
            count += 1;
        }
        for index in ["store", "fulltext", "vector"] {
            assert_eq!(sizes.get(index, kind), count, "{index} {kind}: {sizes:?}");
        }
    }
    let (live_id, live_title) = expected
        .iter()
        .find_map(|(id, t)| t.as_ref().map(|t| (id.clone(), t.clone())))
        .unwrap();
    let (_, hits) = call(
        &http,
        "GET",
        &format!(
            "{base}/v1/search?kind=need&limit=5&q={}",
            encode(&live_title)
        ),
        None,
        None,
    )
    .unwrap();
    assert!(
        hits["hits"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["id"] == live_id.as_str()),
        "{hits}"
    );
    server.stop();

    // A damaged snapshot is refused and leaves the target alone.
    let damaged = root.path().join("damaged");
    copy_dir(&snap, &damaged);
    let dump = damaged.join("store.dump");
    let size = std::fs::metadata(&dump).unwrap().len() as usize;
    flip_byte(&dump, size / 2);
    let target = root.path().join("never");
    let out = duijie(&target, &["restore", damaged.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("damaged"), "{stderr}");
    assert!(!target.exists());
    let out = duijie(
        &restored,
        &["restore", "--force", damaged.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(2));
    let out = duijie(&restored, &["--json", "stats"]);
    assert!(out.status.success(), "the old data directory is intact");
    // A manifest that lies about the counts, or is cut short, is refused.
    copy_dir(&snap, &damaged);
    let manifest_path = damaged.join("manifest.json");
    let mut lying = manifest.clone();
    lying["documents"]["need"] = json!(lying["documents"]["need"].as_u64().unwrap() + 1);
    std::fs::write(&manifest_path, lying.to_string()).unwrap();
    let out = duijie(&target, &["restore", damaged.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let text = std::fs::read(snap.join("manifest.json")).unwrap();
    std::fs::write(&manifest_path, &text[..text.len() / 2]).unwrap();
    let out = duijie(&target, &["restore", damaged.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(!target.exists());
    eprintln!("backup round trip in {:?}", started.elapsed());
}
