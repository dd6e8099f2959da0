//! Rendering a small in-memory tree: the input is split at NUL bytes into a
//! kustomization, a base kustomization, two resource files and a patch;
//! every render ends in a result or an error, never a panic or a hang.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trueup_core::{MemorySource, build_source};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut parts = text.split('\0');
    let mut next = || parts.next().unwrap_or("").to_owned();
    let mut source = MemorySource::new();
    source.insert("app/kustomization.yaml", next());
    source.insert("base/kustomization.yaml", next());
    source.insert("app/resources.yaml", next());
    source.insert("base/resources.yaml", next());
    source.insert("app/patch.yaml", next());
    source.insert("app/env.properties", next());
    if let Ok(set) = build_source(&source, "app") {
        let _ = set.to_yaml();
    }
});
