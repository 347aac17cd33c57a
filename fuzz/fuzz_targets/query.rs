//! The query parser (free terms and quoted phrases), the full-text query
//! built from it, search filters from user codes, and the analyzer under
//! both: nothing may panic, terms are non-empty, phrases have two or more
//! terms, and every term's offsets lie on character boundaries of the input,
//! point at what the term was made from, and come with ordinal positions.
#![no_main]

use duijie::search::fulltext::{search_query, Filters};
use duijie::search::query::parse_query;
use duijie::text::{normalize, Analyzer, Mode};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let parsed = parse_query(&text);
    assert!(parsed.terms.iter().all(|t| !t.is_empty()));
    assert!(parsed
        .phrases
        .iter()
        .all(|p| p.len() >= 2 && p.iter().all(|t| !t.is_empty())));
    // The first bytes double as filter codes, as a search's parameters would.
    let codes: Vec<&str> = text.splitn(3, '|').collect();
    let filters = if codes.len() == 3 {
        match Filters::parse(Some(codes[0]), Some(codes[1]), None) {
            Ok(filters) => filters,
            Err(duijie::Error::Invalid(e)) => {
                assert!(e.field == "region" || e.field == "industry", "{e:?}");
                Filters::default()
            }
            Err(e) => panic!("unexpected error {e}"),
        }
    } else {
        Filters::default()
    };
    let _ = search_query(&text, &filters);
    for mode in [Mode::Query, Mode::Index] {
        let mut last: Option<usize> = None;
        for term in Analyzer::shared().analyze(&text, mode) {
            assert!(!term.text.is_empty());
            assert!(term.from < term.to && term.to <= text.len(), "{term:?}");
            assert!(text.is_char_boundary(term.from) && text.is_char_boundary(term.to));
            assert_eq!(normalize(&text[term.from..term.to]).text, term.text);
            let expected_ok = match (mode, last) {
                (_, None) => term.position == 0,
                (Mode::Query, Some(p)) => term.position == p + 1,
                (Mode::Index, Some(p)) => term.position == p || term.position == p + 1,
            };
            assert!(expected_ok, "position {} after {last:?}", term.position);
            last = Some(term.position);
        }
    }
});
