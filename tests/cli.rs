//! Command-line conventions: `build` defaults to the current folder, `-`
//! reads live objects from standard input, flags that do not apply are
//! errors, and an empty live input is a warning.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

fn trueup() -> Command {
    Command::new(env!("CARGO_BIN_EXE_trueup"))
}

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn build_defaults_to_the_current_folder() {
    let overlay = repo().join("examples/gitops/apps/checkout/overlays/prod");
    let here = trueup()
        .arg("build")
        .current_dir(&overlay)
        .output()
        .expect("runs");
    let named = trueup().arg("build").arg(&overlay).output().expect("runs");
    assert!(
        here.status.success(),
        "{}",
        String::from_utf8_lossy(&here.stderr)
    );
    assert!(!here.stdout.is_empty());
    assert_eq!(here.stdout, named.stdout);
}

#[test]
fn flags_that_do_not_apply_are_errors() {
    for args in [
        vec!["build", "examples/gitops", "--out", "/tmp/never-written"],
        vec!["build", "examples/gitops", "--jobs", "2"],
        vec![
            "diff",
            "examples/gitops/apps/checkout/overlays/prod",
            "--from-rev",
            "HEAD",
            "--to-rev",
            "HEAD",
            "--ignore",
            "rules.yaml",
        ],
    ] {
        let out = trueup()
            .args(&args)
            .current_dir(repo())
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("cannot be used with")
                || stderr.contains("required")
                || stderr.contains("go with --all"),
            "{args:?}: {stderr}"
        );
    }
}

fn diff_with_stdin(input: &str) -> std::process::Output {
    let mut child = trueup()
        .args([
            "diff",
            "tests/fixtures/diff/desired.yaml",
            "--live",
            "-",
            "--app",
            "web",
        ])
        .current_dir(repo())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("writes");
    child.wait_with_output().expect("ends")
}

#[test]
fn live_objects_from_standard_input() {
    let live =
        std::fs::read_to_string(repo().join("tests/fixtures/diff/live.json")).expect("reads");
    let piped = diff_with_stdin(&live);
    let named = trueup()
        .args([
            "diff",
            "tests/fixtures/diff/desired.yaml",
            "--live",
            "tests/fixtures/diff/live.json",
            "--app",
            "web",
        ])
        .current_dir(repo())
        .output()
        .expect("runs");
    assert_eq!(piped.status.code(), Some(1));
    assert_eq!(piped.stdout, named.stdout);
}

#[test]
fn empty_live_input_is_a_warning() {
    let out = diff_with_stdin("");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("warning: the live input holds no objects"),
        "{stderr}"
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "every desired object is Missing"
    );
}
