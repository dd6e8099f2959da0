//! The YAML reader: the fast reader and saphyr-parser agree on every text
//! (values, lines, errors), and whatever reads prints as YAML that reads
//! back as the same JSON values (kustomize prints through JSON: `1.0` prints
//! as `1`) and prints the same again.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trueup_core::patch::json_equal;
use trueup_core::yaml::{ParseLimits, parse_documents_with, to_yaml};

/// Whether `value` holds what go-yaml v2 (so kustomize, so trueup) prints
/// in a way its own reader reads differently: NEL (U+0085) in a key or
/// string (printed as a space), or a key `<<` (printed plain, read as a
/// merge key).
fn prints_unlike_itself(value: &trueup_core::Value) -> bool {
    use trueup_core::Value;
    match value {
        Value::String(s) => s.contains('\u{85}'),
        Value::Seq(items) => items.iter().any(prints_unlike_itself),
        Value::Map(map) => map
            .iter()
            .any(|(k, v)| k.contains('\u{85}') || k == "<<" || prints_unlike_itself(v)),
        _ => false,
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let limits = ParseLimits::default();
    let read = parse_documents_with(text, &limits);
    let full = trueup_core::yaml::parse_documents_with_full_reader(text, &limits);
    match (&read, &full) {
        (Ok(a), Ok(b)) => {
            assert_eq!(a.len(), b.len(), "document counts differ");
            for (x, y) in a.iter().zip(b) {
                assert_eq!(x.value, y.value, "values differ");
                assert_eq!(x.line, y.line, "lines differ");
            }
        }
        (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "errors differ"),
        _ => panic!("one reader failed: {read:?} / {full:?}"),
    }
    if let Ok(docs) = read {
        // Documents kustomize prints are mappings; a top-level block scalar
        // is printed at column 0 exactly as go-yaml v2 prints it, where a
        // line `...` would end the document (kustomize never prints one).
        for doc in docs.into_iter().filter(|d| d.value.as_map().is_some()) {
            let printed = to_yaml(&doc.value);
            // kustomize (go-yaml v2) prints U+2028/U+2029 raw inside quotes,
            // where go-yaml then reads them as line breaks, NEL (U+0085) as a
            // space and a key `<<` plain: its own output does not read back
            // the same, and trueup prints as it does
            // (tests/conformance/strings-unicode).
            if printed.contains(['\u{2028}', '\u{2029}']) || prints_unlike_itself(&doc.value) {
                continue;
            }
            let again = parse_documents_with(&printed, &limits)
                .unwrap_or_else(|e| panic!("printed YAML does not read: {e}\n{printed}"));
            let value = again.into_iter().next().map(|d| d.value).unwrap_or_default();
            assert!(json_equal(&value, &doc.value), "printed YAML reads back differently:\n{printed}");
            assert_eq!(to_yaml(&value), printed, "printing is not a fixpoint");
        }
    }
});
