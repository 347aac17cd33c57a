//! Load run: `duijie serve` (the release binary) on a loopback port over
//! generated corpora, a closed loop of N connections for a fixed time with
//! 90% `GET /v1/{kind}/{id}/matches?k=10` and 10% authenticated `PUT`s of the
//! load's own documents; QPS, p50/p99 latency and errors. Then the same load
//! against a Python baseline (jieba + rank_bm25 + hnswlib, `benches/baseline/`)
//! over the same files, and the ratio.
//!
//! Environment: `DUIJIE_LOAD_N` documents per kind (default 10,000),
//! `DUIJIE_LOAD_SECS` seconds of load (20), `DUIJIE_LOAD_CONNS` connections
//! (4), `DUIJIE_LOAD_WRITES` share of writes (0.1), `DUIJIE_LOAD_BASELINE=0`
//! skips the baseline. The generated data
//! directory is kept under `target/load/` and reused by later runs.
//!
//! Run: `cargo bench --bench load`.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::Value;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_duijie");
const KINDS: [(&str, &str); 4] = [
    ("need", "needs"),
    ("achievement", "achievements"),
    ("request", "requests"),
    ("supplier", "suppliers"),
];
/// Texts the writes cycle through, so every write changes the document.
const WRITE_TEXTS: [&str; 4] = [
    "需要锂电池正极材料包覆改性技术，提升循环寿命。",
    "寻求茶叶深加工与茶多酚提取纯化工艺。",
    "需要铝合金压铸件表面处理与防腐技术。",
    "寻求工业废水中重金属的低成本去除技术。",
];

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn write_share() -> f64 {
    std::env::var("DUIJIE_LOAD_WRITES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.1)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into()
}

/// Generates the corpora (once) and returns the ids of each kind.
fn corpora(dir: &Path, n: usize) -> Vec<(&'static str, Vec<String>)> {
    std::fs::create_dir_all(dir).expect("corpora directory");
    let mut ids = Vec::new();
    for (kind, plural) in KINDS {
        let file = dir.join(format!("{plural}.jsonl"));
        if !file.exists() {
            eprintln!("generating {n} {plural} …");
            let partial = dir.join(format!("{plural}.jsonl.part"));
            let status = Command::new(BIN)
                .args([
                    "gen",
                    "--kind",
                    kind,
                    "--n",
                    &n.to_string(),
                    "--seed",
                    "7",
                    "--out",
                ])
                .arg(&partial)
                .status()
                .expect("run duijie gen");
            assert!(status.success(), "duijie gen --kind {kind} failed");
            std::fs::rename(&partial, &file).expect("rename corpus");
        }
        let reader = std::io::BufReader::new(std::fs::File::open(&file).expect("open corpus"));
        let kind_ids: Vec<String> = reader
            .lines()
            .map_while(Result::ok)
            .filter_map(|line| serde_json::from_str::<Value>(&line).ok())
            .filter_map(|v| v["id"].as_str().map(str::to_string))
            .collect();
        ids.push((plural, kind_ids));
    }
    ids
}

/// Keys (and documents) each connection spreads its writes over, so that at
/// the target rate no key nears the server's per-key write limit (20/s).
const KEYS_PER_CONN: usize = 4;

/// `count` keys (created once, before the server holds the store).
fn keys(data: &Path, file: &Path, count: usize) -> Vec<String> {
    let mut keys: Vec<String> = std::fs::read_to_string(file)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default();
    while keys.len() < count {
        let party = format!("负载测试企业{}", keys.len());
        let out = Command::new(BIN)
            .arg("--data")
            .arg(data)
            .args(["--json", "keys", "add", "--role", "sme", "--party", &party])
            .output()
            .expect("run duijie keys add");
        assert!(
            out.status.success(),
            "keys add: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: Value = serde_json::from_slice(&out.stdout).expect("keys add --json");
        keys.push(v["key"].as_str().expect("a key").to_string());
    }
    std::fs::write(file, serde_json::to_string(&keys).unwrap()).expect("save keys");
    keys.truncate(count);
    keys
}

fn wait_ready(base: &str, child: &mut Child, limit: Duration) -> Duration {
    let started = Instant::now();
    let agent = agent();
    loop {
        if let Ok(r) = agent.get(format!("{base}/readyz")).call() {
            if r.status() == 200 {
                return started.elapsed();
            }
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the server exited while starting: {status}");
        }
        assert!(started.elapsed() < limit, "not ready after {limit:?}");
        std::thread::sleep(Duration::from_millis(250));
    }
}

fn stop(mut child: Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
}

fn write_body(conn: usize, n: u64) -> String {
    let text = WRITE_TEXTS[(n as usize + conn) % WRITE_TEXTS.len()];
    serde_json::json!({
        "title": format!("负载测试需求{conn}-{n}"),
        "body": text,
        "region": "520102",
        "industry": "C38",
        "budget": 50.0,
        "maturity": "pilot",
    })
    .to_string()
}

/// Latencies and errors of one load run.
#[derive(Default)]
struct Tally {
    matches: Vec<u32>,
    writes: Vec<u32>,
    errors: usize,
    statuses: std::collections::BTreeMap<u16, usize>,
}

impl Tally {
    fn merge(&mut self, other: Tally) {
        self.matches.extend(other.matches);
        self.writes.extend(other.writes);
        self.errors += other.errors;
        for (s, n) in other.statuses {
            *self.statuses.entry(s).or_default() += n;
        }
    }
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i] as f64 / 1000.0
}

/// What a load run measured.
struct Figures {
    qps: f64,
    match_qps: f64,
    p50: f64,
    p99: f64,
    write_p50: f64,
    write_p99: f64,
    errors: usize,
}

/// CPU seconds (user + system) a process has used so far, from
/// `/proc/PID/stat` (Linux; clock ticks of 1/100 s).
fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which is in parentheses.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i)?.parse::<f64>().ok();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 here.
    Some((ticks(11)? + ticks(12)?) / 100.0)
}

/// A closed loop of one connection per [`KEYS_PER_CONN`] keys for `secs` seconds against the
/// server process `server`, whose CPU time per request is reported too.
fn load(
    base: &str,
    server: u32,
    ids: &[(&'static str, Vec<String>)],
    keys: &[String],
    secs: f64,
    label: &str,
) -> Figures {
    let write_share = write_share();
    let cpu_before = cpu_seconds(server);
    let started = Instant::now();
    let until = started + Duration::from_secs_f64(secs);
    let tally = std::thread::scope(|scope| {
        let workers: Vec<_> = keys
            .chunks(KEYS_PER_CONN)
            .enumerate()
            .map(|(conn, own_keys)| {
                scope.spawn(move || {
                    let agent = agent();
                    let mut rng = ChaCha8Rng::seed_from_u64(conn as u64);
                    let mut tally = Tally::default();
                    let mut writes = 0u64;
                    while Instant::now() < until {
                        let t = Instant::now();
                        let write = rng.random::<f64>() < write_share;
                        let result = if write {
                            writes += 1;
                            let k = writes as usize % own_keys.len();
                            let key = &own_keys[k];
                            let doc = conn * KEYS_PER_CONN + k;
                            agent
                                .put(format!("{base}/v1/needs/N-LOAD-{doc}"))
                                .header("Authorization", format!("Bearer {key}"))
                                .header("Content-Type", "application/json")
                                .send(write_body(conn, writes))
                        } else {
                            let (plural, kind_ids) = &ids[rng.random_range(0..ids.len())];
                            let id = &kind_ids[rng.random_range(0..kind_ids.len())];
                            agent
                                .get(format!("{base}/v1/{plural}/{id}/matches?k=10"))
                                .call()
                        };
                        let micros = t.elapsed().as_micros().min(u32::MAX as u128) as u32;
                        match result {
                            Ok(mut r) => {
                                let status = r.status().as_u16();
                                let _ = r.body_mut().read_to_vec();
                                *tally.statuses.entry(status).or_default() += 1;
                                if !(200..300).contains(&status) {
                                    tally.errors += 1;
                                } else if write {
                                    tally.writes.push(micros);
                                } else {
                                    tally.matches.push(micros);
                                }
                            }
                            Err(_) => tally.errors += 1,
                        }
                    }
                    tally
                })
            })
            .collect();
        let mut all = Tally::default();
        for w in workers {
            all.merge(w.join().expect("a load thread"));
        }
        all
    });
    let elapsed = started.elapsed().as_secs_f64();
    let cpu = cpu_before
        .zip(cpu_seconds(server))
        .map(|(before, after)| after - before);
    let mut m = tally.matches.clone();
    m.sort_unstable();
    let mut w = tally.writes.clone();
    w.sort_unstable();
    let figures = Figures {
        qps: (m.len() + w.len()) as f64 / elapsed,
        match_qps: m.len() as f64 / elapsed,
        p50: percentile(&m, 0.50),
        p99: percentile(&m, 0.99),
        write_p50: percentile(&w, 0.50),
        write_p99: percentile(&w, 0.99),
        errors: tally.errors,
    };
    println!(
        "{label:<9} {:>8.0} req/s  ({:>7.0} matches/s)  match p50 {:>7.2} ms  p99 {:>8.2} ms  write p50 {:>7.2} ms  p99 {:>8.2} ms  errors {}  statuses {:?}",
        figures.qps,
        figures.match_qps,
        figures.p50,
        figures.p99,
        figures.write_p50,
        figures.write_p99,
        figures.errors,
        tally.statuses
    );
    if let Some(cpu) = cpu {
        let requests = (tally.matches.len() + tally.writes.len()).max(1);
        println!(
            "{label:<9} server CPU {:.2} ms per request, {:.0}% of one core",
            cpu * 1e3 / requests as f64,
            cpu / elapsed * 100.0
        );
    }
    figures
}

/// Makes the baseline's Python modules importable, installing them when missing.
fn baseline_python() -> Option<PathBuf> {
    let python = PathBuf::from("/usr/bin/python3");
    let check = || {
        Command::new(&python)
            .args(["-c", "import jieba, hnswlib, rank_bm25, numpy"])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if check() {
        return Some(python);
    }
    eprintln!("installing the baseline's packages (python3-jieba, python3-hnswlib, rank_bm25) …");
    let _ = Command::new("apt-get")
        .args([
            "install",
            "-y",
            "python3-jieba",
            "python3-hnswlib",
            "python3-numpy",
            "python3-pip",
        ])
        .stdout(Stdio::null())
        .status();
    let _ = Command::new(&python)
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--break-system-packages",
            "rank_bm25",
        ])
        .status();
    if check() {
        Some(python)
    } else {
        println!(
            "baseline skipped: python3-jieba, python3-hnswlib and rank_bm25 could not be installed"
        );
        None
    }
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let n = env_usize("DUIJIE_LOAD_N", 10_000);
    let secs = env_usize("DUIJIE_LOAD_SECS", 20) as f64;
    let conns = env_usize("DUIJIE_LOAD_CONNS", 4).max(1);
    let work = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("target/load/n{n}"));
    let corpora_dir = work.join("corpora");
    let data = work.join("data");
    let ids = corpora(&corpora_dir, n);
    let keys = keys(&data, &work.join("keys.json"), conns * KEYS_PER_CONN);

    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let log = std::fs::File::create(work.join("serve.log")).expect("log file");
    eprintln!("starting duijie serve on {base} over {n} documents per kind (first start loads and indexes them) …");
    let mut server = Command::new(BIN)
        .arg("--data")
        .arg(&data)
        .args(["serve", "--addr", &format!("127.0.0.1:{port}"), "--corpora"])
        .arg(&corpora_dir)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("start duijie serve");
    let ready = wait_ready(&base, &mut server, Duration::from_secs(3 * 3600));
    eprintln!("ready after {:.1} s", ready.as_secs_f64());
    // The load's own documents, one per key.
    let agent = agent();
    for (k, key) in keys.iter().enumerate() {
        let r = agent
            .put(format!("{base}/v1/needs/N-LOAD-{k}"))
            .header("Authorization", format!("Bearer {key}"))
            .header("Content-Type", "application/json")
            .send(write_body(k, 0))
            .expect("create the load's documents");
        assert!(r.status().is_success(), "setup write: {}", r.status());
    }
    wait_ready(&base, &mut server, Duration::from_secs(60));
    println!(
        "load: {conns} connections, {secs} s, GET /v1/{{kind}}/{{id}}/matches?k=10 and {:.0}% PUT /v1/needs/{{own id}}; {n} documents per kind; server and load share the machine's cores",
        write_share() * 100.0
    );
    load(&base, server.id(), &ids, &keys, 2.0, "warm-up");
    let duijie = load(&base, server.id(), &ids, &keys, secs, "duijie");
    stop(server);

    if std::env::var("DUIJIE_LOAD_BASELINE").as_deref() == Ok("0") {
        return;
    }
    let Some(python) = baseline_python() else {
        return;
    };
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/baseline/server.py");
    eprintln!("starting the Python baseline on {base} …");
    let mut baseline = Command::new(python)
        .arg(script)
        .arg(&corpora_dir)
        .arg(port.to_string())
        .stdout(Stdio::null())
        .spawn()
        .expect("start the baseline");
    let ready = wait_ready(&base, &mut baseline, Duration::from_secs(3 * 3600));
    eprintln!("baseline ready after {:.1} s", ready.as_secs_f64());
    load(&base, baseline.id(), &ids, &keys, 2.0, "warm-up");
    let python = load(&base, baseline.id(), &ids, &keys, secs, "baseline");
    stop(baseline);
    println!(
        "duijie / baseline: {:.1}× the matches per second, p50 {:.1}× lower, p99 {:.1}× lower",
        duijie.match_qps / python.match_qps.max(1e-9),
        python.p50 / duijie.p50,
        python.p99 / duijie.p99
    );
}
