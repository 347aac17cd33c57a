//! `duijie serve` as a child process for the backup and soak tests: a small
//! corpus cut from the shipped one, keys made before the start, the bound
//! address read from the server's first line, SIGTERM to stop, and its RSS.
#![allow(dead_code)]

use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The `duijie` binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_duijie");

/// Writes the first `per_kind` lines of each shipped corpus file into `dir`.
pub fn small_corpora(dir: &Path, per_kind: usize) {
    std::fs::create_dir_all(dir).unwrap();
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpora");
    for name in duijie::engine::CORPUS_FILES {
        let text = std::fs::read_to_string(shipped.join(name)).unwrap();
        let mut out = std::fs::File::create(dir.join(name)).unwrap();
        for line in text.lines().take(per_kind) {
            writeln!(out, "{line}").unwrap();
        }
    }
}

/// Runs `duijie --data DATA ARGS…` to completion.
pub fn duijie(data: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("--data")
        .arg(data)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// Creates an API key with `duijie keys add` (the server must not be running).
pub fn add_key(data: &Path, role: &str, party: &str) -> String {
    let out = duijie(
        data,
        &["--json", "keys", "add", "--role", role, "--party", party],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v["key"].as_str().unwrap().to_string()
}

/// A running `duijie serve`.
pub struct Server {
    child: std::process::Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// Where its standard error goes.
    pub log: PathBuf,
}

impl Server {
    /// Starts `duijie serve` on a random loopback port and waits (at most
    /// `wait`) until it prints its URL, i.e. until it is ready.
    pub fn start(data: &Path, corpora: &Path, wait: Duration) -> Server {
        let log = data.with_extension("serve.log");
        let mut child = Command::new(BIN)
            .arg("--data")
            .arg(data)
            .args(["serve", "--addr", "127.0.0.1:0", "--corpora"])
            .arg(corpora)
            .env("RUST_LOG", "warn,duijie=info")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(url) = line.strip_prefix("duijie serving on ") {
                    let _ = tx.send(url.trim().to_string());
                }
            }
        });
        let base = match rx.recv_timeout(wait) {
            Ok(base) => base,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "duijie serve did not get ready within {wait:?}: {}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                );
            }
        };
        Server { child, base, log }
    }

    /// Process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
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
    /// persists) and waits for it to exit; asserts a clean exit.
    pub fn stop(mut self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(
                    status.success(),
                    "serve exited with {status}: {}",
                    std::fs::read_to_string(&self.log).unwrap_or_default()
                );
                return;
            }
            assert!(
                Instant::now() < deadline,
                "serve did not stop after SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(20)); // polling the exit, bounded by the deadline
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// An HTTP client that reports every status as a value.
pub fn agent(timeout: Duration) -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(timeout))
        .build()
        .into()
}

/// Status and parsed body of a request (a string body when it is not JSON).
pub fn call(
    agent: &ureq::Agent,
    method: &str,
    url: &str,
    key: Option<&str>,
    body: Option<&str>,
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
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Ok((status, body))
}

/// Polls `/readyz` until the indexes have caught up with the store.
pub fn wait_ready(agent: &ureq::Agent, base: &str, wait: Duration) {
    let deadline = Instant::now() + wait;
    loop {
        let (status, body) = call(agent, "GET", &format!("{base}/readyz"), None, None).unwrap();
        if status == 200 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "not ready within {wait:?}: {body}"
        );
        std::thread::sleep(Duration::from_millis(20)); // polling a condition, bounded
    }
}

/// The `duijie_index_documents` / `duijie_store_documents` gauges of `/metrics`,
/// keyed by (index, kind) with index `store`, `fulltext` or `vector`.
pub fn index_sizes(
    agent: &ureq::Agent,
    base: &str,
) -> std::collections::BTreeMap<(String, String), u64> {
    let (status, body) = call(agent, "GET", &format!("{base}/metrics"), None, None).unwrap();
    assert_eq!(status, 200);
    let text = body.as_str().unwrap().to_string();
    let mut sizes = std::collections::BTreeMap::new();
    for line in text.lines() {
        let (name, rest) = match line.split_once('{') {
            Some(parts) => parts,
            None => continue,
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
    sizes
}
