//! Overlay conformance: every case folder under tests/conformance (one with a
//! `.case` file) is rendered and compared byte for byte with the output of the
//! real kustomize, which `../shared/oracle/kustomize-oracle golden` wrote into
//! `expected.yaml` — or, where kustomize fails (`expected-error.txt`), trueup
//! must fail too, with a message containing the case's `trueup-error:` text.

use std::path::{Path, PathBuf};

fn cases() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("tests/conformance exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.join(".case").is_file())
        .collect();
    cases.sort();
    cases
}

/// The `known-difference:` line of a case: a kustomize behaviour trueup
/// does not reproduce yet, which the case must then still show (so that a
/// fix is noticed and the line removed).
fn known_difference(case: &Path) -> Option<String> {
    let meta = std::fs::read_to_string(case.join(".case")).expect(".case readable");
    meta.lines()
        .find_map(|l| l.strip_prefix("known-difference:"))
        .map(|s| s.trim().to_owned())
}

/// The `trueup-error:` expectation of a case, if any.
fn expected_error_text(case: &Path) -> Option<String> {
    let meta = std::fs::read_to_string(case.join(".case")).expect(".case readable");
    meta.lines()
        .find_map(|l| l.strip_prefix("trueup-error:"))
        .map(|s| s.trim().to_owned())
}

#[test]
fn every_case_matches_kustomize() {
    let cases = cases();
    assert!(
        cases.len() >= 40,
        "expected at least 40 cases, found {}",
        cases.len()
    );
    let mut failures = Vec::new();
    for case in &cases {
        let name = case
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("?")
            .to_owned();
        let result = trueup_core::build(case);
        let expected = case.join("expected.yaml");
        if expected.is_file() {
            let want = std::fs::read_to_string(&expected).expect("golden readable");
            let known = known_difference(case);
            match result {
                Ok(set) if known.is_some() => {
                    if set.to_yaml() == want {
                        failures.push(format!(
                            "{name}: agrees with kustomize now; remove its known-difference line"
                        ));
                    }
                }
                Ok(set) => {
                    let got = set.to_yaml();
                    if got != want {
                        failures.push(format!(
                            "{name}: output differs from kustomize\n{}",
                            first_difference(&want, &got)
                        ));
                    }
                }
                Err(e) => {
                    failures.push(format!("{name}: kustomize renders it, trueup failed: {e}"))
                }
            }
        } else {
            assert!(
                case.join("expected-error.txt").is_file(),
                "{name}: no golden file; run the oracle"
            );
            match result {
                Ok(_) => failures.push(format!("{name}: kustomize fails, trueup rendered it")),
                Err(e) => {
                    let message = e.to_string();
                    let needle = expected_error_text(case).unwrap_or_else(|| {
                        panic!("{name}: error case without a trueup-error: line")
                    });
                    if !message.contains(&needle) {
                        failures.push(format!(
                            "{name}: error {message:?} does not mention {needle:?}"
                        ));
                    }
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}

/// The first differing line, for a readable failure.
fn first_difference(want: &str, got: &str) -> String {
    for (i, (w, g)) in want.lines().zip(got.lines()).enumerate() {
        if w != g {
            return format!(
                "  line {}:\n    kustomize: {w:?}\n    trueup:    {g:?}",
                i + 1
            );
        }
    }
    format!(
        "  lengths differ: kustomize {} lines, trueup {} lines",
        want.lines().count(),
        got.lines().count()
    )
}

#[test]
fn the_cli_prints_the_same_bytes() {
    let case = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance/realistic-web-app");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_trueup"))
        .arg("build")
        .arg(&case)
        .output()
        .expect("trueup runs");
    assert!(out.status.success());
    let want = std::fs::read(case.join("expected.yaml")).expect("golden");
    assert_eq!(out.stdout, want);

    let bad = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance/error-missing-kind");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_trueup"))
        .arg("build")
        .arg(&bad)
        .output()
        .expect("trueup runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("resources.yaml") && stderr.contains("missing kind"),
        "{stderr}"
    );
}
