//! The three-way diff of two object sets (desired, NUL, live, NUL,
//! last-applied): a report, never a panic; the report prints.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trueup_core::diff::{DiffOptions, diff};
use trueup_core::load_manifests;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut parts = text.split('\0');
    let mut load = |name: &str| load_manifests(parts.next().unwrap_or(""), name).ok();
    let (Some(desired), Some(live)) = (load("desired.yaml"), load("live.yaml")) else {
        return;
    };
    let last_applied = load("last-applied.yaml");
    let options = DiffOptions {
        last_applied,
        ..DiffOptions::default()
    };
    if let Ok(report) = diff(&desired, &live, &options) {
        let _ = report.to_text();
    }
});
