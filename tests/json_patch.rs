//! The public JSON Patch test suite (RFC 6902), from
//! ../shared/conformance/json-patch: every enabled record must pass.

use std::path::Path;

use trueup_core::Value;

#[path = "common/shared.rs"]
mod shared;
use trueup_core::patch::{JsonPatch, json_equal};

fn to_value(v: &serde_json::Value) -> Value {
    match v {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::Int(i)
            } else if let Some(u) = n.as_u64() {
                Value::UInt(u)
            } else {
                Value::Float(n.as_f64().expect("a JSON number is a float"))
            }
        }
        serde_json::Value::String(s) => Value::String(s.clone()),
        serde_json::Value::Array(items) => Value::Seq(items.iter().map(to_value).collect()),
        serde_json::Value::Object(map) => {
            Value::Map(map.iter().map(|(k, v)| (k.clone(), to_value(v))).collect())
        }
    }
}

fn run_suite(suite: &Path, file: &str) -> (usize, Vec<String>) {
    let path = suite.join(file);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (the suite lives in ../shared)", path.display()));
    let records: Vec<serde_json::Value> = serde_json::from_str(&text).expect("suite is JSON");
    let mut ran = 0;
    let mut failures = Vec::new();
    for (i, record) in records.iter().enumerate() {
        if record.get("disabled").and_then(serde_json::Value::as_bool) == Some(true) {
            continue;
        }
        let (Some(doc), Some(patch)) = (record.get("doc"), record.get("patch")) else {
            continue; // a comment-only record
        };
        ran += 1;
        let name = record
            .get("comment")
            .and_then(serde_json::Value::as_str)
            .map_or_else(|| format!("{file}#{i}"), |c| format!("{file}#{i} {c}"));
        let result = JsonPatch::from_value(&to_value(patch)).and_then(|p| p.apply(&to_value(doc)));
        match (record.get("expected"), record.get("error"), result) {
            (Some(expected), _, Ok(got)) => {
                if !json_equal(&got, &to_value(expected)) {
                    failures.push(format!("{name}: got {got:?}"));
                }
            }
            (Some(_), _, Err(e)) => failures.push(format!("{name}: unexpected error {e}")),
            (None, Some(_), Ok(got)) => {
                failures.push(format!("{name}: expected an error, got {got:?}"))
            }
            (None, Some(_), Err(_)) => {}
            (None, None, _) => {} // no expectation: only that it does not crash
        }
    }
    (ran, failures)
}

#[test]
fn rfc6902_suite_passes_in_full() {
    let Some(suite) = shared::shared_dir("conformance/json-patch") else {
        return;
    };
    let mut total = 0;
    let mut failures = Vec::new();
    for file in ["tests.json", "spec_tests.json"] {
        let (ran, mut f) = run_suite(&suite, file);
        total += ran;
        failures.append(&mut f);
    }
    assert!(total > 100, "ran only {total} records");
    assert!(
        failures.is_empty(),
        "{} of {total} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
