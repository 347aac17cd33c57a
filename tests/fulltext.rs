//! Full-text search through the engine: ranking basics, filters, phrases,
//! segmentation pitfalls, durability across a crash, and catch-up.

mod common;

use common::{achievement, need, request, supplier};
use duijie::model::{Document, Kind, Status};
use duijie::search::fulltext::{Filters, FullText};
use duijie::store::Change;
use duijie::Engine;
use std::path::Path;
use std::process::Command;

fn ids(engine: &Engine, kind: Kind, text: &str, filters: &Filters) -> Vec<String> {
    engine
        .search(kind, text, filters, 20)
        .unwrap()
        .into_iter()
        .map(|h| h.id)
        .collect()
}

fn open_with(dir: &Path, docs: Vec<duijie::model::Document>) -> Engine {
    let engine = Engine::open(dir).unwrap();
    for doc in docs {
        engine.upsert(doc).unwrap();
    }
    engine.sync().unwrap();
    engine
}

fn any() -> Filters {
    Filters::default()
}

#[test]
fn title_matches_rank_above_body_matches_and_snippets_highlight() {
    let dir = tempfile::tempdir().unwrap();
    let engine = open_with(
        dir.path(),
        vec![
            achievement(
                "A-body",
                "一种新型储能装置",
                "本装置采用磷酸铁锂正极材料，循环寿命长。",
            ),
            achievement(
                "A-title",
                "高镍三元正极材料制备方法",
                "提高锂电池能量密度。",
            ),
            achievement("A-none", "茶叶加工工艺", "绿茶杀青与揉捻。"),
        ],
    );
    let hits = engine
        .search(Kind::Achievement, "正极材料", &any(), 10)
        .unwrap();
    let order: Vec<&str> = hits.iter().map(|h| h.id.as_str()).collect();
    assert_eq!(order, vec!["A-title", "A-body"]);
    assert!(
        hits[1].snippet.contains("<b>正极材料</b>"),
        "{}",
        hits[1].snippet
    );
}

#[test]
fn filters_by_region_prefix_industry_and_status() {
    let dir = tempfile::tempdir().unwrap();
    let mut gy = need("N-gy", "注塑模具冷却优化", "注塑件缩痕");
    gy.region = Some("520102".into());
    gy.industry = Some("2927".into());
    let mut zy = need("N-zy", "注塑模具寿命提升", "注塑模具磨损");
    zy.region = Some("520300".into());
    zy.industry = Some("3525".into());
    let mut sh = need("N-sh", "注塑模具设计", "汽车内饰件注塑模具");
    sh.region = Some("310000".into());
    sh.industry = Some("2927".into());
    let mut closed = need("N-closed", "注塑模具维修", "注塑模具");
    closed.status = Status::Closed;
    let engine = open_with(dir.path(), vec![gy, zy, sh, closed]);

    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    let guizhou = Filters::parse(Some("52"), None, Some(Status::Open)).unwrap();
    assert_eq!(
        sorted(ids(&engine, Kind::Need, "注塑模具", &guizhou)),
        vec!["N-gy", "N-zy"]
    );
    let guiyang = Filters::parse(Some("5201"), None, Some(Status::Open)).unwrap();
    assert_eq!(ids(&engine, Kind::Need, "注塑模具", &guiyang), vec!["N-gy"]);
    let rubber = Filters::parse(None, Some("C29"), Some(Status::Open)).unwrap();
    assert_eq!(
        sorted(ids(&engine, Kind::Need, "注塑模具", &rubber)),
        vec!["N-gy", "N-sh"]
    );
    let open = Filters::parse(None, None, Some(Status::Open)).unwrap();
    assert_eq!(ids(&engine, Kind::Need, "注塑模具", &open).len(), 3);
    assert_eq!(ids(&engine, Kind::Need, "注塑模具", &any()).len(), 4);
    // Filters alone list the matching documents.
    assert_eq!(
        sorted(ids(&engine, Kind::Need, "", &guizhou)),
        vec!["N-gy", "N-zy"]
    );
    // Unknown codes are refused with the field named.
    match Filters::parse(Some("99"), None, None) {
        Err(duijie::Error::Invalid(e)) => assert_eq!(e.field, "region"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn phrases_need_adjacent_words_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let engine = open_with(
        dir.path(),
        vec![
            achievement("A-adjacent", "锂电池正极材料制备", "工艺路线"),
            achievement("A-apart", "正极材料在锂电池中的应用", "综述"),
        ],
    );
    assert_eq!(
        ids(&engine, Kind::Achievement, "\"锂电池正极材料\"", &any()),
        vec!["A-adjacent"]
    );
    // Sub-words share their word's position, so a phrase across sub-words matches too.
    assert_eq!(
        ids(&engine, Kind::Achievement, "\"电池正极\"", &any()),
        vec!["A-adjacent"]
    );
    assert_eq!(
        ids(&engine, Kind::Achievement, "锂电池 正极材料", &any()).len(),
        2
    );
}

#[test]
fn segmentation_pitfalls_of_other_engines_are_avoided() {
    let dir = tempfile::tempdir().unwrap();
    let engine = open_with(
        dir.path(),
        vec![
            supplier("S-easy", "智能门锁", "产品安装简单，适配多种门型。"),
            supplier(
                "S-bank",
                "供应链金融服务",
                "与中国农业发展银行合作开展授信。",
            ),
            supplier(
                "S-cert",
                "汽车线束",
                "已通过IATF16949认证，具备304不锈钢加工和3D打印能力，PLC编程，5G模组。",
            ),
            supplier("S-classic", "经典款家具", "实木家具。"),
        ],
    );
    assert_eq!(ids(&engine, Kind::Supplier, "简单", &any()), vec!["S-easy"]);
    assert_eq!(ids(&engine, Kind::Supplier, "农业", &any()), vec!["S-bank"]);
    for q in [
        "IATF16949",
        "iatf16949",
        "ＩＡＴＦ１６９４９",
        // Traditional characters fold to simplified.
        "汽車線束",
        "304不锈钢",
        "3D打印",
        "PLC",
        "5G",
    ] {
        assert_eq!(
            ids(&engine, Kind::Supplier, q, &any()),
            vec!["S-cert"],
            "query {q}"
        );
    }
    // No partial match of a code: 16949 alone is not IATF16949.
    assert!(ids(&engine, Kind::Supplier, "16949", &any()).is_empty());
    // No pinyin folding: 景点 (jingdian) must not find 经典 (jingdian).
    assert!(ids(&engine, Kind::Supplier, "景点", &any()).is_empty());
    // Only stop words: nothing.
    assert!(ids(&engine, Kind::Supplier, "我公司 需求 技术", &any()).is_empty());
}

#[test]
fn updates_replace_and_deletes_remove() {
    let dir = tempfile::tempdir().unwrap();
    let engine = open_with(
        dir.path(),
        vec![request("R1", "压铸壳体采购", "铝合金压铸")],
    );
    let mut changed = request("R1", "冲压件采购", "钣金冲压");
    changed.products = vec!["冲压件".into()];
    engine.upsert(changed).unwrap();
    engine.sync().unwrap();
    assert!(ids(&engine, Kind::Request, "压铸壳体", &any()).is_empty());
    assert_eq!(ids(&engine, Kind::Request, "冲压件", &any()), vec!["R1"]);
    engine.delete("R1").unwrap();
    engine.sync().unwrap();
    assert!(ids(&engine, Kind::Request, "冲压件", &any()).is_empty());
    assert!(engine.get("R1").is_err());
    assert!(matches!(
        engine.delete("R1"),
        Err(duijie::Error::NotFound(_))
    ));
}

#[test]
fn an_index_deleted_on_disk_is_rebuilt_from_the_store() {
    let dir = tempfile::tempdir().unwrap();
    {
        let engine = open_with(
            dir.path(),
            vec![
                achievement("A1", "钠离子电池负极材料", "硬碳"),
                achievement("A2", "茶园病虫害绿色防控", "生物农药"),
            ],
        );
        engine.delete("A2").unwrap();
    }
    std::fs::remove_dir_all(dir.path().join("fulltext")).unwrap();
    let engine = Engine::open(dir.path()).unwrap();
    assert_eq!(
        ids(&engine, Kind::Achievement, "负极材料", &any()),
        vec!["A1"]
    );
    assert!(ids(&engine, Kind::Achievement, "生物农药", &any()).is_empty());
    let stats = engine.stats().unwrap();
    assert_eq!(stats.fulltext[&Kind::Achievement], 1);
    assert_eq!(stats.fulltext_seq, stats.store_seq);
}

/// A document indexed twice (seen after kill -9) is re-indexed once from the
/// store when the engine opens.
#[test]
fn a_document_indexed_twice_is_repaired_on_open() {
    let dir = tempfile::tempdir().unwrap();
    drop(open_with(
        dir.path(),
        vec![
            achievement("A1", "钠离子电池负极材料", "硬碳"),
            achievement("A2", "茶园病虫害绿色防控", "生物农药"),
        ],
    ));
    // A second copy of A1 behind the engine's back, under the same commit payload.
    let index = tantivy::Index::open_in_dir(dir.path().join("fulltext/achievement")).unwrap();
    let payload = index.load_metas().unwrap().payload.unwrap();
    let id = index.schema().get_field("id").unwrap();
    // The engine's tokenizers are not registered here; the copy fills no text field.
    for (_, entry) in index.schema().fields() {
        if let tantivy::schema::FieldType::Str(options) = entry.field_type() {
            if let Some(indexing) = options.get_indexing_options() {
                index.tokenizers().register(
                    indexing.tokenizer(),
                    tantivy::tokenizer::TextAnalyzer::from(
                        tantivy::tokenizer::SimpleTokenizer::default(),
                    ),
                );
            }
        }
    }
    let mut writer: tantivy::IndexWriter = index.writer(15_000_000).unwrap();
    let mut copy = tantivy::TantivyDocument::new();
    copy.add_text(id, "A1");
    writer.add_document(copy).unwrap();
    let mut prepared = writer.prepare_commit().unwrap();
    prepared.set_payload(&payload);
    prepared.commit().unwrap();
    drop(writer);
    assert_eq!(index.reader().unwrap().searcher().num_docs(), 3);

    let engine = Engine::open(dir.path()).unwrap();
    let stats = engine.stats().unwrap();
    assert_eq!(stats.fulltext[&Kind::Achievement], 2);
    assert_eq!(
        ids(&engine, Kind::Achievement, "负极材料", &any()),
        vec!["A1"]
    );
}

#[test]
fn a_garbage_index_file_is_rebuilt_not_fatal() {
    let dir = tempfile::tempdir().unwrap();
    {
        open_with(
            dir.path(),
            vec![achievement("A1", "钠离子电池负极材料", "硬碳")],
        );
    }
    std::fs::write(
        dir.path().join("fulltext/achievement/meta.json"),
        b"{not json",
    )
    .unwrap();
    let engine = Engine::open(dir.path()).unwrap();
    assert_eq!(
        ids(&engine, Kind::Achievement, "负极材料", &any()),
        vec!["A1"]
    );
}

/// Runs this test binary's `child_writes_then_aborts` in a child process that
/// writes a document (and syncs the indexes or not) and then aborts without
/// any shutdown.
fn crash_child(dir: &Path, sync: bool) {
    let status = Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            "child_writes_then_aborts",
            "--nocapture",
        ])
        .env("DUIJIE_CHILD_DIR", dir)
        .env("DUIJIE_CHILD_SYNC", if sync { "1" } else { "0" })
        .status()
        .unwrap();
    assert!(!status.success(), "the child must die by abort");
}

#[test]
#[ignore = "run only as the child process of the crash tests"]
fn child_writes_then_aborts() {
    let dir = std::env::var("DUIJIE_CHILD_DIR").expect("started by a crash test");
    let engine = Engine::open(Path::new(&dir)).unwrap();
    engine
        .upsert(achievement(
            "A-crash",
            "固态电解质界面改性",
            "硫化物固态电解质",
        ))
        .unwrap();
    if std::env::var("DUIJIE_CHILD_SYNC").as_deref() == Ok("1") {
        engine.sync().unwrap();
    }
    std::process::abort();
}

#[test]
fn an_acknowledged_write_survives_a_crash_with_its_search_hit() {
    for sync in [true, false] {
        let dir = tempfile::tempdir().unwrap();
        crash_child(dir.path(), sync);
        let engine = Engine::open(dir.path()).unwrap();
        assert_eq!(engine.get("A-crash").unwrap().title, "固态电解质界面改性");
        assert_eq!(
            ids(&engine, Kind::Achievement, "固态电解质", &any()),
            vec!["A-crash"],
            "sync before crash: {sync}"
        );
    }
}

#[test]
fn snippets_highlight_overlapping_sub_words_once() {
    let dir = tempfile::tempdir().unwrap();
    let engine = open_with(
        dir.path(),
        vec![achievement(
            "A1",
            "储能研究",
            "锂电池<储能>系统：电池管理与锂电池热失控防护",
        )],
    );
    // 电池 is a sub-word of 锂电池: the two highlights overlap and must merge.
    let hits = engine
        .search(Kind::Achievement, "电池 锂电池", &any(), 5)
        .unwrap();
    let snippet = &hits[0].snippet;
    assert!(snippet.contains("<b>锂电池</b>"), "{snippet}");
    assert!(
        snippet.contains("&lt;储能&gt;"),
        "text is escaped: {snippet}"
    );
    assert!(
        !snippet.contains("<b><b>") && !snippet.contains("</b></b>"),
        "{snippet}"
    );
}

#[test]
fn match_candidates_hold_only_the_wanted_status_up_to_the_limit() {
    // Candidate search without filters beyond status runs as a bare term
    // disjunction and checks status on the hits: closed documents must not
    // slip in, and the limit must hold even when many hits are dropped.
    let dir = tempfile::tempdir().unwrap();
    let fulltext = FullText::open(dir.path()).unwrap();
    let changes: Vec<(u64, Change)> = (0..40)
        .map(|i| {
            let mut doc = need(
                &format!("N-{i:02}"),
                "注塑模具冷却优化",
                &"注塑模具".repeat(1 + i % 5),
            );
            if i % 2 == 0 {
                doc.status = Status::Closed;
            }
            doc.region = Some(if i < 20 { "520102" } else { "310000" }.into());
            (i as u64 + 1, Change::Upsert(Box::new(doc)))
        })
        .collect();
    fulltext.apply(&changes).unwrap();
    fulltext.commit(40).unwrap();
    let words = vec!["注塑模具".to_string(), "冷却".to_string()];
    let status = |ids: &[(String, f32)]| -> Vec<u32> {
        ids.iter()
            .map(|(id, _)| id[2..].parse::<u32>().unwrap() % 2)
            .collect()
    };
    let open = Filters::parse(None, None, Some(Status::Open)).unwrap();
    let hits = fulltext.candidates(Kind::Need, &words, &open, 15).unwrap();
    assert_eq!(hits.len(), 15, "{hits:?}");
    assert!(status(&hits).iter().all(|odd| *odd == 1), "{hits:?}");
    let all = fulltext
        .candidates(Kind::Need, &words, &any(), 100)
        .unwrap();
    assert_eq!(all.len(), 40);
    let closed = Filters::parse(None, None, Some(Status::Closed)).unwrap();
    let hits = fulltext
        .candidates(Kind::Need, &words, &closed, 100)
        .unwrap();
    assert_eq!(hits.len(), 20);
    assert!(status(&hits).iter().all(|odd| *odd == 0), "{hits:?}");
    // With a region filter the filtered query runs; status still holds.
    let guizhou_open = Filters::parse(Some("52"), None, Some(Status::Open)).unwrap();
    let hits = fulltext
        .candidates(Kind::Need, &words, &guizhou_open, 100)
        .unwrap();
    assert_eq!(hits.len(), 10, "{hits:?}");
    assert!(hits
        .iter()
        .all(|(id, _)| id[2..].parse::<u32>().unwrap() < 20));
    assert!(status(&hits).iter().all(|odd| *odd == 1), "{hits:?}");
}

#[test]
fn merging_segments_keeps_every_hit_and_the_committed_sequence() {
    let dir = tempfile::tempdir().unwrap();
    let words = vec![
        "注塑模具".to_string(),
        "冷却".to_string(),
        "锂电池".to_string(),
    ];
    let hits = |fulltext: &FullText| {
        fulltext
            .candidates(Kind::Need, &words, &any(), 100)
            .unwrap()
    };
    let before = {
        let fulltext = FullText::open(dir.path()).unwrap();
        // Three commits: three segments at least.
        for batch in 0..3u64 {
            let changes: Vec<(u64, Change)> = (0..30)
                .map(|i| {
                    let n = batch * 30 + i;
                    let body = if n % 3 == 0 {
                        "锂电池正极材料"
                    } else {
                        "注塑模具冷却"
                    };
                    let doc = need(
                        &format!("N-{n:03}"),
                        "合作需求",
                        &body.repeat(1 + n as usize % 4),
                    );
                    (n + 1, Change::Upsert(Box::new(doc)))
                })
                .collect();
            fulltext.apply(&changes).unwrap();
            fulltext.commit((batch + 1) * 30).unwrap();
        }
        assert!(fulltext.segments(Kind::Need) >= 3);
        let before = hits(&fulltext);
        assert_eq!(before.len(), 90);
        fulltext.merge_segments().unwrap();
        assert_eq!(fulltext.segments(Kind::Need), 1);
        // Same documents, same scores (no deletes: the statistics are unchanged).
        assert_eq!(hits(&fulltext), before);
        assert_eq!(fulltext.committed_seq(), 90);
        before
    };
    // The merge is durable, and the commit's sequence number survives it.
    let reopened = FullText::open(dir.path()).unwrap();
    assert_eq!(reopened.segments(Kind::Need), 1);
    assert_eq!(reopened.committed_seq(), 90);
    assert_eq!(hits(&reopened), before);
}

#[test]
fn a_bulk_catch_up_ends_with_one_segment_per_kind() {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(dir.path()).unwrap();
    // 12,000 needs in 12 transactions, indexed by one catch-up: the writer's
    // threads leave several segments, and the catch-up merges them.
    for chunk in duijie::gen::generate(Kind::Need, 12_000, 3).chunks(1_000) {
        engine.store().put_batch(chunk.to_vec()).unwrap();
    }
    assert_eq!(engine.sync().unwrap(), 12_000);
    assert_eq!(engine.fulltext().segments(Kind::Need), 1);
    assert_eq!(engine.fulltext().num_docs(Kind::Need), 12_000);
    // A small catch-up does not merge: the writes of a running server stay cheap.
    // Copies of `docs`, each changed by `edit`.
    let edited = |docs: &[Document], edit: &dyn Fn(&mut Document)| -> Vec<Document> {
        docs.iter()
            .cloned()
            .map(|mut d| {
                edit(&mut d);
                d
            })
            .collect()
    };
    for chunk in duijie::gen::generate(Kind::Need, 12_100, 4)[..100].chunks(50) {
        let renamed = edited(chunk, &|d| d.id = format!("{}-b", d.id));
        engine.store().put_batch(renamed).unwrap();
        engine.sync().unwrap();
    }
    assert!(engine.fulltext().segments(Kind::Need) > 1);
    assert_eq!(engine.fulltext().num_docs(Kind::Need), 12_100);
    // Many small syncs (replacing documents, so deletes too): the small
    // segments are merged once past the limit, the big one stays, and every
    // document is there once.
    let mut most = 0;
    for (round, chunk) in duijie::gen::generate(Kind::Need, 12_000, 3)[..400]
        .chunks(20)
        .enumerate()
    {
        let replaced = edited(chunk, &|d| d.title = format!("{} 第{round}版", d.title));
        engine.store().put_batch(replaced).unwrap();
        engine.sync().unwrap();
        most = most.max(engine.fulltext().segments(Kind::Need));
    }
    assert!(most <= 8, "{most} segments after a sync");
    assert_eq!(engine.fulltext().num_docs(Kind::Need), 12_100);
    assert!(engine
        .fulltext()
        .duplicate_ids(Kind::Need)
        .unwrap()
        .is_empty());
}
