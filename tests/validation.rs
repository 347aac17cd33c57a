//! Each validation rule refuses one bad document, naming the field.

mod common;

use common::{achievement, need, request, supplier};
use duijie::model::{parse_document, Document, Kind, Maturity, Status};

fn refused(mut doc: Document) -> String {
    match doc.validate() {
        Ok(()) => panic!("document was accepted: {doc:?}"),
        Err(e) => e.field,
    }
}

#[test]
fn valid_documents_of_every_kind_pass_and_codes_become_canonical() {
    let mut n = need("N1", "锂电池正极材料", "需要提高续航");
    n.validate().unwrap();
    assert_eq!(n.industry.as_deref(), Some("38"));
    let mut a = achievement("A1", "高镍三元正极材料", "制备方法");
    a.validate().unwrap();
    assert_eq!(a.region.as_deref(), Some("520100"));
    request("R1", "压铸壳体", "年需求5万件").validate().unwrap();
    supplier("S1", "压铸加工", "专业压铸").validate().unwrap();
}

#[test]
fn required_fields() {
    assert_eq!(refused(need("N1", "", "正文")), "title");
    assert_eq!(refused(need("N1", "标题", "  ")), "body");
    let mut d = need("N1", "标题", "正文");
    d.owner.clear();
    assert_eq!(refused(d), "owner");
    let mut d = need("N1", "标题", "正文");
    d.region = None;
    assert_eq!(refused(d), "region");
    let mut d = need("N1", "标题", "正文");
    d.industry = None;
    assert_eq!(refused(d), "industry");
    let mut d = request("R1", "标题", "正文");
    d.products.clear();
    d.processes.clear();
    assert_eq!(refused(d), "products");
}

#[test]
fn lengths() {
    assert_eq!(refused(need("N1", &"长".repeat(201), "正文")), "title");
    need("N1", &"长".repeat(200), "正文").validate().unwrap();
    assert_eq!(refused(need("N1", "标题", &"长".repeat(20_001))), "body");
    let mut d = need("N1", "标题", "正文");
    d.tags = vec!["标签".into(); 51];
    assert_eq!(refused(d), "tags");
    let mut d = need("N1", "标题", "正文");
    d.tags = vec!["".into()];
    assert_eq!(refused(d), "tags[0]");
}

#[test]
fn unknown_region_and_industry_codes() {
    let mut d = need("N1", "标题", "正文");
    d.region = Some("990000".into());
    assert_eq!(refused(d), "region");
    let mut d = need("N1", "标题", "正文");
    d.region = Some("52a".into());
    assert_eq!(refused(d), "region");
    let mut d = need("N1", "标题", "正文");
    d.industry = Some("Z99".into());
    assert_eq!(refused(d), "industry");
    let mut d = need("N1", "标题", "正文");
    d.industry = Some("A38".into()); // 38 is in section C, not A
    assert_eq!(refused(d), "industry");
}

#[test]
fn money_and_volumes_must_be_non_negative_and_finite() {
    let mut d = need("N1", "标题", "正文");
    d.budget = Some(-1.0);
    assert_eq!(refused(d), "budget");
    let mut d = achievement("A1", "标题", "正文");
    d.asking_price = Some(f64::NAN);
    assert_eq!(refused(d), "asking_price");
    let mut d = request("R1", "标题", "正文");
    d.annual_volume = Some(-5.0);
    assert_eq!(refused(d), "annual_volume");
    let mut d = supplier("S1", "标题", "正文");
    d.capacity = Some(-5.0);
    assert_eq!(refused(d), "capacity");
    let mut d = supplier("S1", "标题", "正文");
    d.debt_ratio = Some(1.5);
    assert_eq!(refused(d), "debt_ratio");
    let mut d = achievement("A1", "标题", "正文");
    d.trl = Some(10);
    assert_eq!(refused(d), "trl");
}

#[test]
fn fields_of_another_kind_are_refused() {
    let mut d = need("N1", "标题", "正文");
    d.capacity = Some(10.0);
    assert_eq!(refused(d), "capacity");
    let mut d = supplier("S1", "标题", "正文");
    d.budget = Some(10.0);
    assert_eq!(refused(d), "budget");
    let mut d = request("R1", "标题", "正文");
    d.maturity = Some(Maturity::Pilot);
    assert_eq!(refused(d), "maturity");
}

#[test]
fn mandatory_certifications_need_a_list_and_ids_a_safe_alphabet() {
    let mut d = request("R1", "标题", "正文");
    d.certifications.clear();
    assert_eq!(refused(d), "certifications");
    assert_eq!(refused(need("N 1/..", "标题", "正文")), "id");
    assert_eq!(refused(need("N1", "标题\u{0007}", "正文")), "title");
}

#[test]
fn json_errors_name_the_field() {
    let bad = |json: &str| parse_document(json).unwrap_err().field;
    assert_eq!(
        bad(r#"{"kind":"need","title":"t","budget":"很多"}"#),
        "budget"
    );
    assert_eq!(
        bad(r#"{"kind":"need","title":"t","maturity":"量产"}"#),
        "maturity"
    );
    assert_eq!(bad(r#"{"kind":"robot","title":"t"}"#), "kind");
    assert_eq!(
        bad(r#"{"kind":"need","title":"t","colour":"red"}"#),
        "colour"
    );
    assert_eq!(
        bad(r#"{"kind":"supplier","title":"t","zjtx_level":"金牌"}"#),
        "zjtx_level"
    );
    assert_eq!(bad(r#"{"title":"t"}"#), "kind");
    assert_eq!(
        bad(r#"{"kind":"need","title":"t","ip":{"patent_type":"x"}}"#),
        "ip.patent_type"
    );
    assert_eq!(bad("[1,2]"), "document");
}

#[test]
fn chinese_enum_names_are_accepted_and_ascii_codes_written() {
    let json = r#"{"kind":"技术需求","title":"t","body":"b","owner":"o","region":"52","industry":"C38",
        "maturity":"中试","cooperation_modes":["转让","合作开发"],"status":"开放"}"#;
    let mut doc = parse_document(json).unwrap();
    doc.validate().unwrap();
    assert_eq!(doc.kind, Kind::Need);
    assert_eq!(doc.status, Status::Open);
    let out = serde_json::to_string(&doc).unwrap();
    assert!(out.contains(r#""maturity":"pilot""#), "{out}");
    assert!(
        out.contains(r#""cooperation_modes":["transfer","joint_development"]"#),
        "{out}"
    );
}

#[test]
fn json_round_trip_keeps_every_field() {
    let mut docs = vec![
        need("N1", "锂电池", "续航"),
        achievement("A1", "正极材料", "制备"),
        request("R1", "压铸壳体", "5万件"),
        supplier("S1", "压铸", "加工"),
    ];
    docs[1].source = Some("csl".into());
    docs[1].source_ref = Some("csl-bench-dev-0000".into());
    docs[1].provenance = Some(duijie::model::Provenance {
        synthetic_fields: vec!["region".into()],
        generator: Some("duijie-gen seed=7".into()),
    });
    docs[1].tags = vec!["正极".into(), "锂电".into()];
    for doc in docs {
        let json = serde_json::to_string(&doc).unwrap();
        let back = parse_document(&json).unwrap();
        assert_eq!(back, doc, "{json}");
    }
}
