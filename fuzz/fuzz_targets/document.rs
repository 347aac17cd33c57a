//! The JSON document parser and validation, as `duijie ingest` and the HTTP
//! API run them on untrusted input. Nothing may panic; a refusal names a
//! field; an accepted document is in canonical form (validating again
//! changes nothing) and survives a JSON round trip unchanged.
#![no_main]

use duijie::model::{parse_document, Document};
use libfuzzer_sys::fuzz_target;

fn check_refusal(field: &str, reason: &str) {
    assert!(!field.is_empty(), "a refusal without a field: {reason}");
    assert!(
        !reason.is_empty(),
        "a refusal of `{field}` without a reason"
    );
    assert!(
        field != "?" && !field.ends_with(".?"),
        "a refusal naming an unknown position `{field}`: {reason}"
    );
}

fuzz_target!(|data: &[u8]| {
    // The HTTP API reads bytes into a JSON value first, then the typed document.
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) {
        let _ = serde_json::from_value::<Document>(value);
    }
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match parse_document(text) {
        Err(e) => check_refusal(&e.field, &e.reason),
        Ok(mut doc) => match doc.validate() {
            Err(e) => check_refusal(&e.field, &e.reason),
            Ok(()) => {
                let once = doc.clone();
                doc.validate()
                    .expect("a canonical document validates again");
                assert_eq!(doc, once, "validation is idempotent");
                let json = serde_json::to_string(&doc).expect("a document serialises");
                let mut again = parse_document(&json).expect("a document parses back");
                again
                    .validate()
                    .expect("a round-tripped document validates");
                assert_eq!(again, once, "a document survives a JSON round trip");
            }
        },
    }
});
