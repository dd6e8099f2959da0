//! JSON 6902 (both dialects) and strategic merge: the input is a document,
//! a NUL byte, and a patch; applying ends in a value or an error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trueup_core::patch::{JsonPatch, apply_strategic_merge};
use trueup_core::yaml::parse_documents;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (doc, patch) = text.split_once('\0').unwrap_or((text, ""));
    let (Ok(docs), Ok(patches)) = (parse_documents(doc), parse_documents(patch)) else {
        return;
    };
    let (Some(doc), Some(patch)) = (docs.into_iter().next(), patches.into_iter().next()) else {
        return;
    };
    if let Ok(ops) = JsonPatch::from_value(&patch.value) {
        let _ = ops.apply(&doc.value);
        let _ = ops.apply_as_kustomize(&doc.value);
    }
    for (group, kind) in [("apps", "Deployment"), ("", "Service"), ("example.com", "Widget")] {
        let mut target = doc.value.clone();
        let _ = apply_strategic_merge(&mut target, &patch.value, group, kind);
    }
});
