//! Matching through the engine: pair-score symmetry, hard constraints,
//! explanations that add up, free-text queries, profiles.

mod common;

use common::{achievement, need, request, supplier};
use duijie::engine::{MatchHit, MatchOptions};
use duijie::model::{Kind, Maturity};
use duijie::store::ProfileOrigin;
use duijie::Engine;

fn engine_with(dir: &std::path::Path, docs: Vec<duijie::model::Document>) -> Engine {
    let engine = Engine::open(dir).unwrap();
    for doc in docs {
        engine.upsert(doc).unwrap();
    }
    engine.sync().unwrap();
    assert!(
        engine.ensure_encoder().unwrap(),
        "an encoder is trained on first documents"
    );
    engine
}

fn explained(k: usize) -> MatchOptions {
    MatchOptions {
        k,
        explain: true,
        ..MatchOptions::default()
    }
}

fn tech_docs() -> Vec<duijie::model::Document> {
    let mut docs = vec![
        need(
            "N-battery",
            "提高动力锂电池续航",
            "我们生产电动车电池包，希望提升正极材料的能量密度和循环寿命。",
        ),
        need(
            "N-tea",
            "茶园病虫害绿色防控",
            "茶叶农药残留超标，需要生物防治和绿色防控技术。",
        ),
        achievement(
            "A-cathode",
            "高镍三元正极材料包覆改性",
            "通过包覆改性提升锂电池正极材料的比容量与循环寿命，已中试。",
        ),
        achievement(
            "A-bio",
            "茶小绿叶蝉生物防治技术",
            "利用天敌和生物农药防控茶园害虫，降低农药残留。",
        ),
        achievement(
            "A-steel",
            "高强钢焊接工艺",
            "激光焊接高强钢的工艺参数优化。",
        ),
    ];
    docs[2].maturity = Some(Maturity::Pilot);
    docs[2].industry = Some("3841".into());
    docs[0].industry = Some("3841".into());
    docs
}

#[test]
fn a_pair_scores_the_same_from_either_side() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine_with(dir.path(), tech_docs());
    let score_of = |hits: &[MatchHit], id: &str| hits.iter().find(|h| h.id == id).map(|h| h.score);
    for (need_id, achievement_id) in [
        ("N-battery", "A-cathode"),
        ("N-tea", "A-bio"),
        ("N-battery", "A-bio"),
    ] {
        let forward = engine.match_id(need_id, &explained(10)).unwrap();
        let backward = engine.match_id(achievement_id, &explained(10)).unwrap();
        let (f, b) = (
            score_of(&forward, achievement_id),
            score_of(&backward, need_id),
        );
        assert!(
            f.is_some() && b.is_some(),
            "{need_id} ↔ {achievement_id}: {f:?} {b:?}"
        );
        assert!(
            (f.unwrap() - b.unwrap()).abs() < 1e-6,
            "{need_id} ↔ {achievement_id}: {f:?} vs {b:?}"
        );
    }
    let hits = engine.match_id("N-battery", &explained(3)).unwrap();
    assert_eq!(hits[0].id, "A-cathode");
    let hits = engine.match_id("N-tea", &explained(3)).unwrap();
    assert_eq!(hits[0].id, "A-bio");
}

#[test]
fn explanations_add_up_and_name_the_matched_words() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine_with(dir.path(), tech_docs());
    for profile in ["default-tech", "bm25-only", "vector-only"] {
        let options = MatchOptions {
            profile: Some(profile.into()),
            ..explained(5)
        };
        for hit in engine.match_id("N-battery", &options).unwrap() {
            let e = hit.explanation.as_ref().unwrap();
            let sum: f32 = e.parts.iter().map(|p| p.contribution).sum();
            assert!(
                (sum - hit.score).abs() < 1e-5,
                "{profile} {}: {sum} vs {}",
                hit.id,
                hit.score
            );
            for part in &e.parts {
                assert!((0.0..=1.0).contains(&part.value), "{part:?}");
            }
        }
    }
    let top = &engine.match_id("N-battery", &explained(1)).unwrap()[0];
    let e = top.explanation.as_ref().unwrap();
    assert!(
        e.matched_terms.iter().any(|t| t == "正极材料"),
        "{:?}",
        e.matched_terms
    );
    let features: Vec<&str> = e.parts.iter().map(|p| p.feature.as_ref()).collect();
    for name in [
        "bm25",
        "cosine",
        "industry_fit",
        "maturity_fit",
        "budget_fit",
        "region_fit",
    ] {
        assert!(features.contains(&name), "{features:?}");
    }
}

#[test]
fn a_supplier_without_a_mandatory_certification_never_appears() {
    let dir = tempfile::tempdir().unwrap();
    let mut certified = supplier(
        "S-cert",
        "铝合金压铸件",
        "汽车压铸壳体，通过IATF16949认证。",
    );
    certified.certifications = vec!["IATF 16949".into()];
    let uncertified = supplier("S-plain", "铝合金压铸件", "汽车压铸壳体，压铸和数控加工。");
    let mut optional = request(
        "R-optional",
        "采购铝合金压铸壳体",
        "新能源汽车电机壳体压铸。",
    );
    optional.certs_mandatory = false;
    let mandatory = request(
        "R-mandatory",
        "采购铝合金压铸壳体",
        "新能源汽车电机壳体压铸。",
    );
    let engine = engine_with(
        dir.path(),
        vec![certified, uncertified, optional, mandatory],
    );
    let ids = |id: &str| -> Vec<String> {
        engine
            .match_id(id, &explained(10))
            .unwrap()
            .into_iter()
            .map(|h| h.id)
            .collect()
    };
    assert_eq!(ids("R-mandatory"), vec!["S-cert"]);
    let both = ids("R-optional");
    assert_eq!(both.len(), 2, "{both:?}");
    assert_eq!(
        both[0], "S-cert",
        "holding the certification still ranks first"
    );
    // From the supplier's side the same rule holds.
    assert!(!ids("S-plain").contains(&"R-mandatory".to_string()));
    assert!(ids("S-cert").contains(&"R-mandatory".to_string()));
}

#[test]
fn free_text_is_matched_as_a_document_of_the_other_kind() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine_with(dir.path(), tech_docs());
    let hits = engine
        .match_text("茶叶害虫防治", Kind::Achievement, &explained(3))
        .unwrap()
        .hits;
    assert_eq!(hits[0].id, "A-bio");
    assert!(hits.iter().all(|h| h.kind == Kind::Achievement));
    assert!(engine
        .match_text("  ", Kind::Achievement, &explained(3))
        .is_err());
}

#[test]
fn feedback_refines_free_text_and_leaves_stored_documents_alone() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine_with(dir.path(), tech_docs());
    let with = engine.profile("default-tech").unwrap();
    assert!(with.feedback.docs > 0, "the tech default feeds back");
    let mut without = with.clone();
    without.name = "no-feedback".into();
    without.feedback.docs = 0;
    engine
        .store()
        .put_profile(without, ProfileOrigin::Operator)
        .unwrap();
    let options = |profile: &str| MatchOptions {
        profile: Some(profile.into()),
        ..explained(5)
    };
    let cosine = |hit: &MatchHit| -> f32 {
        let e = hit.explanation.as_ref().unwrap();
        e.parts
            .iter()
            .find(|p| p.feature.as_ref() == "cosine")
            .unwrap()
            .value
    };
    // A free-text need moves toward its first results: its best match is
    // closer to it than to the words alone, and still explained exactly.
    let text = "茶叶上的虫子用什么办法治";
    let plain = engine
        .match_text(text, Kind::Achievement, &options("no-feedback"))
        .unwrap()
        .hits;
    let refined = engine
        .match_text(text, Kind::Achievement, &options("default-tech"))
        .unwrap()
        .hits;
    assert_eq!(plain[0].id, "A-bio");
    assert_eq!(refined[0].id, "A-bio");
    assert!(
        cosine(&refined[0]) > cosine(&plain[0]) + 1e-3,
        "{} vs {}",
        cosine(&refined[0]),
        cosine(&plain[0])
    );
    for hit in &refined {
        let e = hit.explanation.as_ref().unwrap();
        let sum: f32 = e.parts.iter().map(|p| p.contribution).sum();
        assert!((sum - hit.score).abs() < 1e-5, "{sum} vs {}", hit.score);
    }
    // A stored document's vector is its own: the same scores either way.
    let scores = |profile: &str| -> Vec<(String, f32)> {
        engine
            .match_id("N-battery", &options(profile))
            .unwrap()
            .into_iter()
            .map(|h| (h.id, h.score))
            .collect()
    };
    assert_eq!(scores("default-tech"), scores("no-feedback"));
}

#[test]
fn unknown_profiles_are_refused_and_baselines_exist() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine_with(dir.path(), tech_docs());
    let options = MatchOptions {
        profile: Some("no-such".into()),
        ..MatchOptions::default()
    };
    assert!(matches!(
        engine.match_id("N-tea", &options),
        Err(duijie::Error::NotFound(_))
    ));
    for name in ["default-tech", "default-supply", "bm25-only", "vector-only"] {
        assert_eq!(engine.profile(name).unwrap().name, name);
    }
}

#[test]
fn closed_and_expired_documents_are_not_matched() {
    let dir = tempfile::tempdir().unwrap();
    let mut docs = tech_docs();
    docs[3].status = duijie::model::Status::Closed;
    let engine = engine_with(dir.path(), docs);
    let ids: Vec<String> = engine
        .match_id("N-tea", &explained(10))
        .unwrap()
        .into_iter()
        .map(|h| h.id)
        .collect();
    assert!(!ids.contains(&"A-bio".to_string()), "{ids:?}");
    let mut expired = need("N-old", "茶园病虫害防控", "农药残留");
    expired.deadline = Some(chrono::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap());
    engine.upsert(expired).unwrap();
    engine.sync().unwrap();
    let ids: Vec<String> = engine
        .match_id("A-steel", &explained(10))
        .unwrap()
        .into_iter()
        .map(|h| h.id)
        .collect();
    assert!(!ids.contains(&"N-old".to_string()), "{ids:?}");
}
