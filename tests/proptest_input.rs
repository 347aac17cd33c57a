//! Property tests of everything that reads untrusted text: document parsing
//! and validation (arbitrary Unicode, control characters, huge strings,
//! invalid codes, wrong types, unknown fields, deep nesting), normalisation
//! and tokenisation (offsets on character boundaries that map back to the
//! term, ordinal positions), query parsing, and the hints read from free
//! text (place, certifications, budget). Nothing may panic; every
//! refusal names a field.

use duijie::engine::TextHints;
use duijie::model::{parse_document, Document};
use duijie::search::fulltext::{search_query, Filters};
use duijie::search::query::parse_query;
use duijie::text::{normalize, Analyzer, JiebaTokenizer, Mode};
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use serde_json::{Map, Number, Value};
use tantivy::tokenizer::{TokenStream, Tokenizer};

/// Every top-level field of a document.
const FIELDS: &[&str] = &[
    "id",
    "owner",
    "kind",
    "title",
    "body",
    "tags",
    "status",
    "created_at",
    "updated_at",
    "source",
    "source_ref",
    "provenance",
    "region",
    "industry",
    "chain",
    "deadline",
    "contact",
    "budget",
    "cooperation_modes",
    "maturity",
    "trl",
    "institution",
    "field",
    "ip",
    "asking_price",
    "products",
    "processes",
    "specs",
    "certifications",
    "certs_mandatory",
    "annual_volume",
    "capacity",
    "volume_unit",
    "equipment",
    "revenue",
    "debt_ratio",
    "main_business_share",
    "zjtx_level",
];

/// Characters that break naive text handling: controls, combining marks,
/// full-width forms, the ideographic space, quotes, surrogates' neighbours,
/// emoji, right-to-left text, and plenty of Chinese.
fn tricky_char() -> impl Strategy<Value = char> {
    prop_oneof![
        4 => prop::char::range('\u{4e00}', '\u{9fff}'),
        2 => any::<char>(),
        1 => prop::char::range('\u{0}', '\u{1f}'),
        1 => prop::char::range('\u{7f}', '\u{9f}'),
        1 => prop::char::range('\u{ff01}', '\u{ff5e}'),
        1 => prop::char::range('\u{300}', '\u{36f}'),
        1 => prop::sample::select(vec![
            '\u{3000}', '"', '“', '”', '\u{feff}', '\u{200b}', '\u{202e}', '\u{fffd}',
            'İ', 'ß', 'ﬀ', 'Σ', '\u{10ffff}', '😀', 'ا', ' ', '\n', '\t', '\\',
        ]),
        2 => prop::char::range('a', 'z'),
        1 => prop::char::range('0', '9'),
    ]
}

fn tricky_string(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(tricky_char(), 0..max).prop_map(String::from_iter)
}

/// Tricky text, or (one time in four) up to `parts` pieces spliced
/// together, each either tricky text of under `piece` characters or one of
/// `words`, all equally likely.
fn tricky_text_with(
    words: &'static [&'static str],
    piece: usize,
    parts: usize,
) -> impl Strategy<Value = String> {
    prop_oneof![
        3 => tricky_string(120),
        1 => prop::collection::vec(prop_oneof![
            1 => tricky_string(piece),
            words.len() as u32 => prop::sample::select(words).prop_map(str::to_string),
        ], 0..parts).prop_map(|pieces| pieces.concat()),
    ]
}

/// A short piece repeated into a string of up to ~120 KB.
fn huge_string() -> impl Strategy<Value = String> {
    (tricky_string(12), 500usize..10_000).prop_map(|(piece, n)| {
        let piece = if piece.is_empty() {
            "锂".to_string()
        } else {
            piece
        };
        piece.repeat(n).chars().take(40_000).collect()
    })
}

fn number() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(|n| Value::Number(n.into())),
        any::<u64>().prop_map(|n| Value::Number(n.into())),
        any::<f64>().prop_map(|f| Number::from_f64(f).map_or(Value::Null, Value::Number)),
        (-1.0e3..1.0e3f64).prop_map(|f| Number::from_f64(f).map_or(Value::Null, Value::Number)),
    ]
}

/// Any JSON value, a few levels deep.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        number(),
        tricky_string(30).prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map(tricky_string(8), inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn one_of(values: &[&str]) -> impl Strategy<Value = Value> {
    let values: Vec<Value> = values
        .iter()
        .map(|v| Value::String(v.to_string()))
        .collect();
    prop::sample::select(values)
}

/// A text field: plausible, tricky, huge, or not a string at all.
fn text_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        4 => tricky_string(60).prop_map(Value::String),
        1 => huge_string().prop_map(Value::String),
        1 => any_json(),
    ]
}

fn code_value(known: &'static [&'static str]) -> impl Strategy<Value = Value> {
    prop_oneof![
        3 => one_of(known),
        2 => "[0-9]{0,8}".prop_map(Value::String),
        1 => "[A-Za-z][0-9]{0,5}".prop_map(Value::String),
        1 => tricky_string(10).prop_map(Value::String),
        1 => number(),
    ]
}

fn list_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        4 => prop::collection::vec(tricky_string(20).prop_map(Value::String), 0..8).prop_map(Value::Array),
        1 => prop::collection::vec(Just(Value::String("x".into())), 45..60).prop_map(Value::Array),
        1 => any_json(),
    ]
}

/// The value of one field of a generated document.
fn field_value(field: &'static str) -> BoxedStrategy<Value> {
    match field {
        "kind" => prop_oneof![
            4 => one_of(&["need", "achievement", "request", "supplier", "技术需求", "企业能力"]),
            1 => text_value(),
        ]
        .boxed(),
        "region" => code_value(&["52", "5201", "520102", "110000", "99", "520199"]).boxed(),
        "industry" => code_value(&["C", "38", "C38", "3811", "A0159", "Z", "99"]).boxed(),
        "status" => prop_oneof![
            one_of(&["open", "closed", "expired", "开放", "gone"]),
            any_json()
        ]
        .boxed(),
        "maturity" => prop_oneof![
            one_of(&["research", "pilot", "中试", "产业化", "mature"]),
            any_json()
        ]
        .boxed(),
        "zjtx_level" => prop_oneof![
            one_of(&["none", "little_giant", "小巨人", "giant"]),
            any_json()
        ]
        .boxed(),
        "cooperation_modes" => prop_oneof![
            prop::collection::vec(
                one_of(&["transfer", "技术许可", "joint_development", "gift"]),
                0..4
            )
            .prop_map(Value::Array),
            any_json(),
        ]
        .boxed(),
        "budget"
        | "asking_price"
        | "annual_volume"
        | "capacity"
        | "revenue"
        | "debt_ratio"
        | "main_business_share"
        | "trl" => prop_oneof![4 => number(), 1 => any_json()].boxed(),
        "certs_mandatory" => prop_oneof![any::<bool>().prop_map(Value::Bool), any_json()].boxed(),
        "deadline" | "created_at" | "updated_at" => prop_oneof![
            one_of(&["2027-07-17", "2027-02-30", "2027-07-17T00:00:00Z", "明年"]),
            any_json(),
        ]
        .boxed(),
        "tags" | "products" | "processes" | "certifications" | "equipment" => list_value().boxed(),
        "contact" => prop_oneof![
            (text_value(), text_value(), text_value())
                .prop_map(|(n, p, e)| { serde_json::json!({"name": n, "phone": p, "email": e}) }),
            any_json(),
        ]
        .boxed(),
        "ip" => prop_oneof![
            (
                one_of(&["invention", "发明专利", "trade_secret", "copyright?"]),
                list_value()
            )
                .prop_map(|(t, n)| serde_json::json!({"patent_type": t, "numbers": n})),
            any_json(),
        ]
        .boxed(),
        "provenance" => prop_oneof![
            list_value().prop_map(|f| serde_json::json!({"synthetic_fields": f})),
            any_json(),
        ]
        .boxed(),
        "id" => prop_oneof![
            "[A-Za-z0-9_.:-]{1,70}".prop_map(Value::String),
            text_value(),
        ]
        .boxed(),
        _ => text_value().boxed(),
    }
}

/// A document-shaped JSON object: a plausible base with fields removed,
/// replaced by hostile values, and unknown fields added.
fn document_json() -> impl Strategy<Value = Value> {
    let base = serde_json::json!({
        "owner": "贵阳某新材料有限公司", "kind": "need", "title": "提高动力锂电池续航",
        "body": "希望提升正极材料的能量密度。", "region": "520102", "industry": "C38",
    });
    let replaced = prop::collection::vec(
        prop::sample::select(FIELDS).prop_flat_map(|f| (Just(f), field_value(f))),
        0..6,
    );
    let removed = prop::collection::vec(prop::sample::select(FIELDS), 0..3);
    let unknown = prop::collection::vec((tricky_string(10), any_json()), 0..2);
    (replaced, removed, unknown, any::<bool>()).prop_map(
        move |(replaced, removed, unknown, add_unknown)| {
            let mut object: Map<String, Value> = base.as_object().unwrap().clone();
            for field in removed {
                object.remove(field);
            }
            for (field, value) in replaced {
                object.insert(field.to_string(), value);
            }
            if add_unknown {
                for (key, value) in unknown {
                    object.insert(key, value);
                }
            }
            Value::Object(object)
        },
    )
}

/// The leading name of a field path: `contact.email` → `contact`, `tags[3]` → `tags`.
fn root_of(path: &str) -> &str {
    path.split(['.', '[']).next().unwrap_or_default()
}

/// `cases` cases; failures are kept in tests/proptest-regressions and replayed first.
fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "tests/proptest-regressions/proptest_input.txt",
        ))),
        ..ProptestConfig::default()
    }
}

fn check_document(json: &str, object: Option<&Map<String, Value>>) -> Result<(), TestCaseError> {
    // A refusal names a document field, the document, or (for unknown fields) the key given.
    let named = |field: &str| {
        let root = root_of(field);
        let known = FIELDS.contains(&root) || field == "document";
        let given = match object {
            Some(o) => o.contains_key(root) || o.keys().any(|k| field.starts_with(k.as_str())),
            None => true,
        };
        (known || given) && field != "?" && !field.ends_with(".?")
    };
    match parse_document(json) {
        Err(e) => {
            prop_assert!(!e.field.is_empty() && !e.reason.is_empty(), "{e:?}");
            prop_assert!(
                named(&e.field),
                "parse refusal names `{}`: {}",
                e.field,
                e.reason
            );
        }
        Ok(mut doc) => match doc.validate() {
            Err(e) => {
                prop_assert!(!e.reason.is_empty());
                prop_assert!(
                    FIELDS.contains(&root_of(&e.field)),
                    "validation names `{}`",
                    e.field
                );
            }
            Ok(()) => {
                // Canonical form is stable: validating again changes nothing, and
                // it survives a JSON round trip.
                let once = doc.clone();
                prop_assert!(doc.validate().is_ok());
                prop_assert_eq!(&doc, &once);
                let text = serde_json::to_string(&doc).unwrap();
                let mut again: Document = parse_document(&text).unwrap();
                prop_assert!(again.validate().is_ok());
                prop_assert_eq!(&again, &once);
            }
        },
    }
    Ok(())
}

fn check_terms(text: &str) -> Result<(), TestCaseError> {
    let analyzer = Analyzer::shared();
    for mode in [Mode::Query, Mode::Index] {
        let terms = analyzer.analyze(text, mode);
        let mut last_position: Option<usize> = None;
        for term in &terms {
            prop_assert!(!term.text.is_empty());
            prop_assert!(term.from < term.to && term.to <= text.len(), "{term:?}");
            prop_assert!(
                text.is_char_boundary(term.from) && text.is_char_boundary(term.to),
                "{term:?} splits a character"
            );
            // The offsets point at what the term was made from.
            prop_assert_eq!(&normalize(&text[term.from..term.to]).text, &term.text);
            match (mode, last_position) {
                (_, None) => prop_assert_eq!(term.position, 0),
                (Mode::Query, Some(p)) => prop_assert_eq!(term.position, p + 1),
                (Mode::Index, Some(p)) => prop_assert!(
                    term.position == p || term.position == p + 1,
                    "positions are word ordinals: {p} then {}",
                    term.position
                ),
            }
            last_position = Some(term.position);
        }
        // The tantivy tokenizer streams exactly these terms.
        let mut tokenizer = JiebaTokenizer::new(mode);
        let mut stream = tokenizer.token_stream(text);
        let mut streamed = 0;
        while stream.advance() {
            let token = stream.token();
            let term = &terms[streamed];
            prop_assert_eq!(
                (
                    &token.text,
                    token.offset_from,
                    token.offset_to,
                    token.position
                ),
                (&term.text, term.from, term.to, term.position)
            );
            streamed += 1;
        }
        prop_assert_eq!(streamed, terms.len());
    }
    Ok(())
}

#[test]
fn numbers_survive_a_json_round_trip_exactly() {
    // Found by `documents_are_accepted_or_refused_by_field`: without serde_json's
    // `float_roundtrip`, 132714344504645385 came back one unit in the last place off.
    let json = r#"{"owner":"x","kind":"need","title":"t","body":"b","region":"52","industry":"C38","budget":132714344504645385}"#;
    let doc = parse_document(json).unwrap();
    let again = parse_document(&serde_json::to_string(&doc).unwrap()).unwrap();
    assert_eq!(again.budget, doc.budget);
}

#[test]
fn syntax_errors_and_odd_keys_name_a_field() {
    // Found by `arbitrary_text_as_a_document_is_refused_by_field`: a syntax error
    // where no key had been read yet named the field `?`, an empty unknown key
    // named nothing, and (after a first fix) a key ending in `?` lost its `?`.
    for (text, field) in [
        ("{0", "document"),
        ("{\"title\":", "title"),
        ("{\"contact\":{\"name\":", "contact.name"),
        ("{\"contact\":{0", "contact"),
        ("{\"\":1}", "document"),
        ("{\"一?\":1}", "一?"),
    ] {
        let e = parse_document(text).unwrap_err();
        assert_eq!(e.field, field, "{text}: {e:?}");
    }
}

proptest! {
    #![proptest_config(config(2_000))]

    #[test]
    fn documents_are_accepted_or_refused_by_field(object in document_json()) {
        let json = serde_json::to_string(&object).unwrap();
        check_document(&json, object.as_object())?;
    }

    #[test]
    fn arbitrary_text_as_a_document_is_refused_by_field(text in prop_oneof![
        tricky_string(80),
        "\\{[\"a-z:,0-9\\[\\]{} ]{0,80}\\}?",
        any::<Vec<u8>>().prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
    ]) {
        check_document(&text, None)?;
    }

    #[test]
    fn tokens_lie_on_character_boundaries_with_ordinal_positions(text in tricky_string(200)) {
        check_terms(&text)?;
    }

    #[test]
    fn normalisation_keeps_one_character_per_character(text in tricky_string(200)) {
        let n = normalize(&text);
        prop_assert_eq!(n.text.chars().count(), text.chars().count());
        let mut previous = 0;
        for (i, _) in n.text.char_indices() {
            let original = n.original_offset(i);
            prop_assert!(text.is_char_boundary(original) && original >= previous);
            previous = original;
        }
        prop_assert_eq!(n.original_offset(n.text.len()), text.len());
    }

    #[test]
    fn free_text_hints_read_without_panicking(text in tricky_text_with(
        &["贵阳", "预算", "万元以内", "ISO", "9001", "as9100d", "中山大学"], 6, 16,
    )) {
        let (hints, subject) = TextHints::read_with_subject(&text);
        if let Some(region) = &hints.region {
            prop_assert!(duijie::model::codes::regions().get(region).is_some(), "{region}");
        }
        prop_assert!(hints.budget.is_none_or(|b| b.is_finite() && b > 0.0));
        // The subject keeps some content whenever the text had some.
        if text.chars().any(char::is_alphanumeric) {
            prop_assert!(subject.chars().any(char::is_alphanumeric), "{text:?} → {subject:?}");
        }
    }

    #[test]
    fn queries_parse_without_panicking(text in tricky_text_with(&["\"", "“", "”"], 8, 20),
        region in prop::option::of("[0-9A-Za-z]{0,8}"), industry in prop::option::of("[0-9A-Za-z]{0,6}")) {
        let parsed = parse_query(&text);
        prop_assert!(parsed.terms.iter().all(|t| !t.is_empty()));
        prop_assert!(parsed.phrases.iter().all(|p| p.len() >= 2 && p.iter().all(|t| !t.is_empty())));
        let _ = search_query(&text, &Filters::default());
        match Filters::parse(region.as_deref(), industry.as_deref(), None) {
            Ok(filters) => { let _ = search_query(&text, &filters); }
            Err(duijie::Error::Invalid(e)) => {
                prop_assert!(e.field == "region" || e.field == "industry", "{e:?}");
            }
            Err(e) => prop_assert!(false, "unexpected error {e}"),
        }
    }
}

proptest! {
    #![proptest_config(config(64))]

    #[test]
    fn huge_strings_are_tokenised_and_validated(text in huge_string()) {
        check_terms(&text)?;
        let _ = parse_query(&text);
        let json = serde_json::json!({
            "owner": "x", "kind": "need", "title": text.clone(), "body": text,
            "region": "52", "industry": "C38",
        });
        check_document(&json.to_string(), json.as_object())?;
    }

    #[test]
    fn deep_nesting_is_refused_cleanly(depth in 1usize..50_000, arrays in any::<bool>(), at_root in any::<bool>()) {
        let (open, close) = if arrays { ("[", "]") } else { ("{\"a\":", "}") };
        let nested = format!("{}1{}", open.repeat(depth), close.repeat(depth));
        let json = if at_root {
            nested
        } else {
            format!("{{\"owner\":\"x\",\"kind\":\"need\",\"title\":{nested},\"body\":\"x\",\"region\":\"52\",\"industry\":\"C38\"}}")
        };
        let e = parse_document(&json).unwrap_err();
        prop_assert!(!e.field.is_empty());
        prop_assert!(matches!(e.field.as_str(), "document" | "title" | "a"), "{e:?}");
        let _ = serde_json::from_str::<Value>(&json);
    }
}
