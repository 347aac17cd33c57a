//! End-to-end test of the web console: starts the `duijie` binary on a slice
//! of the shipped corpora on a random loopback port, creates an SME and an
//! operator key, writes judgments from the server's own matches, and runs
//! `tests/e2e/console.spec.mjs` (playwright-core driving Debian's headless
//! Chromium). Screenshots land in `target/e2e-screenshots/`.
//!
//! Needs `/usr/bin/chromium` and `tests/e2e/node_modules` (`.ci/run` installs
//! both); set `DUIJIE_SKIP_BROWSER=1` to skip it on a machine without them.

mod crashkit;

use crashkit::{add_key, agent, call, corpus_slice, wait_ready, Server};
use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const CHROMIUM: &str = "/usr/bin/chromium";
/// Lines taken from each corpus file.
const SLICE: usize = 400;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn get_json(url: &str) -> Value {
    match call(&agent(Duration::from_secs(60)), "GET", url, None, None) {
        Ok((200, json)) => json,
        other => panic!("GET {url}: {other:?}"),
    }
}

/// Judgments from the server's own rankings of a few needs, with a few
/// lower-ranked results graded up, so a change of weights moves the metrics.
fn write_judgments(base: &str, dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    let needs = get_json(&format!("{base}/v1/needs?limit=8"));
    let mut lines = String::new();
    for need in needs["items"].as_array().expect("needs") {
        let id = need["id"].as_str().unwrap();
        let matches = get_json(&format!("{base}/v1/needs/{id}/matches?k=30"));
        for (rank, hit) in matches["results"].as_array().unwrap().iter().enumerate() {
            let grade = match rank {
                0 => 3,
                1 | 12 => 2,
                5 | 20 => 1,
                2 | 8 => 0,
                _ => continue,
            };
            let line = serde_json::json!({"query_id": id, "doc_id": hit["id"], "grade": grade});
            lines.push_str(&format!("{line}\n"));
        }
    }
    assert!(!lines.is_empty(), "no judgments could be written");
    std::fs::write(dir.join("tech.jsonl"), lines).unwrap();
}

#[test]
fn web_console_end_to_end_in_headless_chromium() {
    let e2e = repo().join("tests/e2e");
    let missing: Vec<&str> = [
        (!Path::new(CHROMIUM).exists()).then_some("/usr/bin/chromium"),
        (!e2e.join("node_modules/playwright-core").exists()).then_some("tests/e2e/node_modules"),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !missing.is_empty() {
        if std::env::var("DUIJIE_SKIP_BROWSER").is_ok_and(|v| v == "1") {
            eprintln!(
                "skipped: DUIJIE_SKIP_BROWSER=1 and {} missing",
                missing.join(", ")
            );
            return;
        }
        panic!(
            "the browser test needs {}: run the install steps of .ci/run \
             (apt-get install -y chromium fonts-wqy-microhei; npm ci --prefix tests/e2e), \
             or set DUIJIE_SKIP_BROWSER=1 to skip it",
            missing.join(" and ")
        );
    }

    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let corpora = tmp.path().join("corpora");
    let judgments = tmp.path().join("judgments");
    corpus_slice(&corpora, 0, SLICE);
    std::fs::create_dir_all(&judgments).unwrap();
    let sme = add_key(&data, "sme", "黔南测试科技有限公司");
    let operator = add_key(&data, "operator", "贵州省技术市场");

    let server = Server::start_env(
        &data,
        &corpora,
        Duration::from_secs(300),
        &[("DUIJIE_JUDGMENTS", judgments.to_str().unwrap())],
    );
    let base = server.base.clone();
    wait_ready(
        &agent(Duration::from_secs(10)),
        &base,
        Duration::from_secs(60),
    );
    write_judgments(&base, &judgments);

    let shots = repo().join("target/e2e-screenshots");
    let status = Command::new("node")
        .arg(e2e.join("console.spec.mjs"))
        .env("DUIJIE_URL", &base)
        .env("DUIJIE_SME_KEY", &sme)
        .env("DUIJIE_OPERATOR_KEY", &operator)
        .env("DUIJIE_SCREENSHOTS", &shots)
        .env("DUIJIE_CHROMIUM", CHROMIUM)
        .status()
        .expect("run node (Node.js is needed for the browser test)");
    drop(server);
    std::io::stdout().flush().ok();
    assert!(
        status.success(),
        "console.spec.mjs failed ({status}); see its output above and {}",
        shots.display()
    );
    for name in [
        "search",
        "post-error",
        "matches",
        "free-text-match",
        "operator",
        "gaps",
    ] {
        assert!(
            shots.join(format!("{name}.png")).exists(),
            "no screenshot {name}.png"
        );
    }
}
