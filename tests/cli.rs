//! The reading commands on a fresh data directory: `match` and `eval` load the
//! corpora first (as `serve` does) and answer from them, while `stats` leaves
//! an empty directory empty.

mod crashkit;

use crashkit::{corpus_slice, duijie_ok, json_lines};

#[test]
fn reading_commands_load_the_corpora_into_an_empty_data_directory() {
    let root = tempfile::tempdir().unwrap();
    let corpora = root.path().join("corpora");
    corpus_slice(&corpora, 0, 200);
    let corpora = corpora.to_str().unwrap();

    // `stats` does not load: an empty directory stays empty.
    let data = root.path().join("data");
    let (stats, _) = duijie_ok(&data, &["--json", "--corpora", corpora, "stats"]);
    let stats: serde_json::Value = serde_json::from_str(stats.trim()).unwrap();
    assert_eq!(stats["store_seq"], 0, "{stats}");

    // `match --text` loads the slice, then answers from it.
    let (out, err) = duijie_ok(
        &data,
        &[
            "--json",
            "--corpora",
            corpora,
            "match",
            "--text",
            "钛合金加工刀具磨损太快，想找高效切削的办法",
            "--kind",
            "achievement",
        ],
    );
    assert!(err.contains("loaded 800 documents"), "{err}");
    let hits = json_lines(&out);
    assert_eq!(hits.len(), 10, "{out}");
    assert!(hits
        .iter()
        .all(|h| h["id"].as_str().unwrap().starts_with("A-")));

    // The second command finds the data there and does not load again.
    let (_, err) = duijie_ok(&data, &["--corpora", corpora, "stats"]);
    assert!(!err.contains("documents from"), "{err}");

    // `eval` on another empty directory: judgments about the loaded achievements
    // score above zero, and nDCG is printed without a sign when nothing is found.
    let judged: Vec<String> = hits
        .iter()
        .take(3)
        .map(|h| h["source_ref"].as_str().unwrap().to_string())
        .collect();
    let mut judgments = String::from(
        r#"{"query_id":"q1","text":"钛合金加工刀具磨损太快，想找高效切削的办法","kind":"achievement"}
{"query_id":"q2","text":"钛合金加工刀具磨损太快，想找高效切削的办法","kind":"achievement"}
{"query_id":"q2","doc_id":"no-such-record","grade":3}
"#,
    );
    for id in &judged {
        judgments.push_str(&format!(
            "{{\"query_id\":\"q1\",\"doc_id\":\"{id}\",\"grade\":3}}\n"
        ));
    }
    let file = root.path().join("judgments.jsonl");
    std::fs::write(&file, judgments).unwrap();
    let fresh = root.path().join("fresh");
    let (out, _) = duijie_ok(
        &fresh,
        &[
            "--corpora",
            corpora,
            "eval",
            file.to_str().unwrap(),
            "--profile",
            "default-tech",
        ],
    );
    let row = |q: &str| {
        out.lines()
            .find(|l| l.starts_with(q))
            .unwrap_or_else(|| panic!("no row {q}: {out}"))
            .split_whitespace()
            .skip(1)
            .map(|v| v.parse::<f64>().unwrap())
            .collect::<Vec<f64>>()
    };
    assert_eq!(row("q1 ")[0], 1.0, "{out}");
    assert!(
        out.contains("q2                              0.000"),
        "{out}"
    );
    assert!(!out.contains("-0.000"), "{out}");
}
