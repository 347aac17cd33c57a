//! Child-process harness of the crash, corruption, backup and soak tests:
//! the `duijie` binary run on a data directory, slices of the shipped corpus,
//! keys made before a start, its standard error collected line by line (so a
//! test can wait for a line, then kill), `kill -9` or SIGTERM, the server's
//! RSS, and an HTTP client that reports every status as a value.
#![allow(dead_code)]

use serde_json::Value;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The `duijie` binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_duijie");
/// Logging of the children: warnings, and the engine's progress at info.
pub const LOG_FILTER: &str = "warn,duijie=info";
/// The document kinds, as the API and `/metrics` name them.
pub const KINDS: [&str; 4] = ["need", "achievement", "request", "supplier"];

/// Writes lines `skip..skip + per_kind` of each shipped corpus file into `dir`.
pub fn corpus_slice(dir: &Path, skip: usize, per_kind: usize) {
    std::fs::create_dir_all(dir).unwrap();
    for name in duijie::engine::CORPUS_FILES {
        let text = std::fs::read_to_string(shipped(name)).unwrap();
        let mut out = std::fs::File::create(dir.join(name)).unwrap();
        for line in text.lines().skip(skip).take(per_kind) {
            writeln!(out, "{line}").unwrap();
        }
    }
}

/// Path of a shipped corpus file.
pub fn shipped(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpora")
        .join(name)
}

/// `duijie --data DATA ARGS…`, run to completion.
pub fn duijie(data: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("--data")
        .arg(data)
        .args(args)
        .env("RUST_LOG", LOG_FILTER)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// Like [`duijie`], asserting success; returns standard output and error.
pub fn duijie_ok(data: &Path, args: &[&str]) -> (String, String) {
    let out = duijie(data, args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success(),
        "duijie {args:?} failed ({}): {stderr}",
        out.status
    );
    (String::from_utf8_lossy(&out.stdout).into_owned(), stderr)
}

/// Parses JSON lines.
pub fn json_lines(text: &str) -> Vec<Value> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// Creates an API key of `role` for `party` with `duijie keys add` (no
/// server may hold the store); returns the key.
pub fn add_key(data: &Path, role: &str, party: &str) -> String {
    let (out, _) = duijie_ok(
        data,
        &["--json", "keys", "add", "--role", role, "--party", party],
    );
    let v: Value = serde_json::from_str(out.trim()).unwrap();
    v["key"].as_str().unwrap().to_string()
}

/// A running `duijie` child whose standard error is read line by line.
pub struct Proc {
    child: Child,
    /// Every line of standard error so far.
    pub log: Arc<Mutex<Vec<String>>>,
    lines: Receiver<String>,
    stdout: Option<Receiver<String>>,
    /// The thread reading standard error; joined once the process has exited,
    /// so that [`Proc::stderr`] then holds every line the process wrote.
    stderr_reader: Option<std::thread::JoinHandle<()>>,
}

impl Proc {
    /// Starts `duijie --data DATA ARGS…` with standard error (and standard
    /// output, when `read_stdout`) read by background threads.
    pub fn spawn(data: &Path, args: &[&str], read_stdout: bool) -> Proc {
        Proc::spawn_env(data, args, read_stdout, &[])
    }

    /// [`Proc::spawn`] with extra environment variables.
    pub fn spawn_env(data: &Path, args: &[&str], read_stdout: bool, env: &[(&str, &str)]) -> Proc {
        let mut child = Command::new(BIN)
            .arg("--data")
            .arg(data)
            .args(args)
            .env("RUST_LOG", LOG_FILTER)
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(if read_stdout {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, lines) = mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        let kept = log.clone();
        let stderr_reader = std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                kept.lock().unwrap().push(line.clone());
                let _ = tx.send(line);
            }
        });
        let stdout = child.stdout.take().map(|out| {
            let (tx, rx) = mpsc::channel();
            std::thread::spawn(move || {
                for line in BufReader::new(out).lines() {
                    let Ok(line) = line else { break };
                    let _ = tx.send(line);
                }
            });
            rx
        });
        Proc {
            child,
            log,
            lines,
            stdout,
            stderr_reader: Some(stderr_reader),
        }
    }

    /// Waits (at most `wait`) for a line of standard error containing
    /// `needle`; false when the process closed standard error first or the
    /// time ran out.
    pub fn wait_stderr(&self, needle: &str, wait: Duration) -> bool {
        let deadline = Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if line.contains(needle) => return true,
                Ok(_) => {}
                Err(_) => return false,
            }
        }
    }

    /// Waits (at most `wait`) for a line of standard output starting with
    /// `prefix`; returns the rest of it.
    pub fn wait_stdout(&self, prefix: &str, wait: Duration) -> Option<String> {
        let rx = self.stdout.as_ref().expect("standard output is read");
        let deadline = Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => {
                    if let Some(rest) = line.strip_prefix(prefix) {
                        return Some(rest.trim().to_string());
                    }
                }
                Err(_) => return None,
            }
        }
    }

    /// Process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Standard error so far, as one text.
    pub fn stderr(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    /// `kill -9` (SIGKILL) and reap.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.finish_stderr();
    }

    /// After the process has exited: waits until its standard error is read
    /// to the end (the pipe closes with the process).
    fn finish_stderr(&mut self) {
        if let Some(reader) = self.stderr_reader.take() {
            let _ = reader.join();
        }
    }

    /// Waits (at most `wait`) for the process to exit by itself.
    pub fn wait_exit(&mut self, wait: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + wait;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                self.finish_stderr();
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            // Polling the exit status, bounded by the deadline.
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.kill9();
        }
    }
}

/// `duijie serve` on a random loopback port.
pub struct Server {
    /// The process.
    pub proc: Proc,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
}

impl Server {
    /// Starts the server and waits (at most `wait`) until it prints its URL.
    pub fn start(data: &Path, corpora: &Path, wait: Duration) -> Server {
        Server::start_env(data, corpora, wait, &[])
    }

    /// [`Server::start`] with extra environment variables.
    pub fn start_env(data: &Path, corpora: &Path, wait: Duration, env: &[(&str, &str)]) -> Server {
        let proc = Server::spawn_env(data, corpora, env);
        let base = match proc.wait_stdout("duijie serving on ", wait) {
            Some(base) => base,
            None => panic!(
                "duijie serve did not report its address within {wait:?}: {}",
                proc.stderr()
            ),
        };
        Server { proc, base }
    }

    /// Starts the server without waiting for anything.
    pub fn spawn(data: &Path, corpora: &Path) -> Proc {
        Server::spawn_env(data, corpora, &[])
    }

    /// [`Server::spawn`] with extra environment variables.
    pub fn spawn_env(data: &Path, corpora: &Path, env: &[(&str, &str)]) -> Proc {
        let corpora = corpora.to_str().unwrap();
        Proc::spawn_env(
            data,
            &["serve", "--addr", "127.0.0.1:0", "--corpora", corpora],
            true,
            env,
        )
    }

    /// Process id.
    pub fn pid(&self) -> u32 {
        self.proc.pid()
    }

    /// Resident set size in KiB (VmRSS of /proc/PID/status).
    pub fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS in /proc/PID/status")
    }

    /// Stops the server with SIGTERM (it finishes requests, syncs and
    /// persists) and waits (at most 60 s) for it to exit; asserts a clean exit.
    pub fn stop(mut self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        match self.proc.wait_exit(Duration::from_secs(60)) {
            Some(status) => assert!(
                status.success(),
                "serve exited with {status}: {}",
                self.proc.stderr()
            ),
            None => panic!("serve did not stop after SIGTERM"),
        }
    }
}

/// An HTTP client that reports every status as a value and gives up on a
/// request after `timeout`.
pub fn agent(timeout: Duration) -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(timeout))
        .build()
        .into()
}

/// Status and JSON body of a request (a string value when the body is not JSON).
pub fn call(
    agent: &ureq::Agent,
    method: &str,
    url: &str,
    key: Option<&str>,
    body: Option<&Value>,
) -> Result<(u16, Value), ureq::Error> {
    let mut builder = ureq::http::Request::builder().method(method).uri(url);
    if let Some(key) = key {
        builder = builder.header("Authorization", format!("Bearer {key}"));
    }
    let mut response = match body {
        Some(body) => agent.run(
            builder
                .header("Content-Type", "application/json")
                .body(body.to_string())
                .unwrap(),
        )?,
        None => agent.run(builder.body(()).unwrap())?,
    };
    let status = response.status().as_u16();
    let text = response
        .body_mut()
        .with_config()
        .limit(64 * 1024 * 1024)
        .read_to_string()?;
    Ok((
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    ))
}

/// Polls `/readyz` (bounded by `wait`) until the indexes reflect the store;
/// the panic when they do not names the last answer.
pub fn wait_ready(agent: &ureq::Agent, base: &str, wait: Duration) {
    let deadline = Instant::now() + wait;
    loop {
        let last = match call(agent, "GET", &format!("{base}/readyz"), None, None) {
            Ok((200, _)) => return,
            Ok((status, body)) => format!("{status} {body}"),
            Err(e) => e.to_string(),
        };
        assert!(
            Instant::now() < deadline,
            "{base}/readyz not ready within {wait:?}: {last}"
        );
        // Polling readiness, bounded by the deadline.
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Document counts of `/metrics`: the `duijie_store_documents` and
/// `duijie_index_documents` gauges, keyed by (index, kind) with index
/// `store`, `fulltext` or `vector`.
pub struct IndexSizes(pub BTreeMap<(String, String), u64>);

impl IndexSizes {
    /// Documents of `kind` in `index` (`store`, `fulltext` or `vector`);
    /// panics when `/metrics` had no such gauge.
    pub fn get(&self, index: &str, kind: &str) -> u64 {
        *self
            .0
            .get(&(index.to_string(), kind.to_string()))
            .unwrap_or_else(|| panic!("no `{index}` count of `{kind}` in /metrics: {self:?}"))
    }
}

impl std::fmt::Debug for IndexSizes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// Reads the document counts of the store and both indexes from `/metrics`.
pub fn index_sizes(agent: &ureq::Agent, base: &str) -> IndexSizes {
    let (status, body) = call(agent, "GET", &format!("{base}/metrics"), None, None).unwrap();
    assert_eq!(status, 200);
    let text = body.as_str().unwrap().to_string();
    let mut sizes = BTreeMap::new();
    for line in text.lines() {
        let Some((name, rest)) = line.split_once('{') else {
            continue;
        };
        if name != "duijie_index_documents" && name != "duijie_store_documents" {
            continue;
        }
        let (labels, value) = rest.split_once('}').unwrap();
        let label = |key: &str| {
            labels
                .split(',')
                .find_map(|l| l.strip_prefix(&format!("{key}=\"")))
                .map(|v| v.trim_end_matches('"').to_string())
        };
        let index = if name == "duijie_store_documents" {
            "store".to_string()
        } else {
            label("index").unwrap()
        };
        let value: f64 = value.trim().parse().unwrap();
        sizes.insert((index, label("kind").unwrap()), value as u64);
    }
    IndexSizes(sizes)
}

/// Percent-encodes `s` for a query string.
pub fn encode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// A data directory loaded with `per_kind` documents of each shipped corpus
/// (from line `skip`) by `duijie ingest`, with its encoder and indexes.
pub fn loaded(dir: &Path, skip: usize, per_kind: usize) -> std::path::PathBuf {
    let corpora = dir.join("corpora");
    let data = dir.join("data");
    corpus_slice(&corpora, skip, per_kind);
    for name in duijie::engine::CORPUS_FILES {
        let file = corpora.join(name);
        duijie_ok(&data, &["--json", "ingest", file.to_str().unwrap()]);
    }
    data
}

/// Answers of the offline commands: full-text search hits, vector-only
/// match results (JSON lines), and what they logged.
pub fn answers(data: &Path) -> (Vec<Value>, Vec<Value>, String) {
    let (search, stderr_a) = duijie_ok(
        data,
        &["--json", "search", "材料 技术", "--kind", "need", "-k", "5"],
    );
    let (matched, stderr_b) = duijie_ok(
        data,
        &[
            "--json",
            "match",
            "--text",
            "复合材料 固化 工艺 优化",
            "--kind",
            "need",
            "--profile",
            "vector-only",
            "-k",
            "5",
        ],
    );
    (
        json_lines(&search),
        json_lines(&matched),
        format!("{stderr_a}{stderr_b}"),
    )
}

/// `duijie --json stats`, asserting that every kind has documents and that
/// the store and both indexes hold the same number of each.
pub fn stats_agree(data: &Path) -> (Value, String) {
    let (out, stderr) = duijie_ok(data, &["--json", "stats"]);
    let stats: Value = serde_json::from_str(out.trim()).unwrap();
    for kind in KINDS {
        let store = &stats["documents"][kind];
        assert!(store.as_u64().unwrap() > 0, "{stats}");
        assert_eq!(store, &stats["fulltext"][kind], "{stats}");
        assert_eq!(store, &stats["vectors"][kind], "{stats}");
    }
    (stats, stderr)
}

/// Ids of results, in order.
pub fn ids(values: &[Value]) -> Vec<String> {
    values
        .iter()
        .map(|v| v["id"].as_str().unwrap().to_string())
        .collect()
}

/// Copies a directory tree.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Cuts a file to half its length.
pub fn truncate_half(path: &Path) {
    let len = std::fs::metadata(path).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .unwrap()
        .set_len(len / 2)
        .unwrap();
}

/// Overwrites 64 bytes in the middle of a file with garbage.
pub fn garble(path: &Path) {
    let mut bytes = std::fs::read(path).unwrap();
    let at = bytes.len() / 2;
    let end = (at + 64).min(bytes.len());
    for (i, b) in bytes[at..end].iter_mut().enumerate() {
        *b = b.wrapping_mul(7).wrapping_add(13 + i as u8);
    }
    std::fs::write(path, bytes).unwrap();
}

/// Asserts that two rankings agree: the same scores in order (to 1e-3) and
/// the same documents above the last score (tied documents at the cut-off
/// may be any of the tied ones: their order follows document addresses).
pub fn assert_same_ranking(what: &str, got: &[Value], expected: &[Value]) {
    let scores =
        |v: &[Value]| -> Vec<f64> { v.iter().map(|h| h["score"].as_f64().unwrap()).collect() };
    let (a, b) = (scores(got), scores(expected));
    assert!(
        a.len() == b.len() && a.iter().zip(&b).all(|(x, y)| (x - y).abs() < 1e-3),
        "{what}: scores {a:?}, expected {b:?}"
    );
    let above = |v: &[Value]| -> Vec<String> {
        let last = v.last().map_or(0.0, |h| h["score"].as_f64().unwrap());
        let mut ids: Vec<String> = v
            .iter()
            .filter(|h| h["score"].as_f64().unwrap() > last + 1e-3)
            .map(|h| h["id"].as_str().unwrap().to_string())
            .collect();
        ids.sort();
        ids
    };
    assert_eq!(above(got), above(expected), "{what}: different documents");
}
