//! Snapshot tests of `trueup diff` on tests/fixtures/diff (desired.yaml, and
//! live.json written by make_live.py): the JSON report and the text report,
//! from the library and from the CLI. To accept a deliberate change of
//! output, run with `UPDATE_SNAPSHOTS=1` and review the diff of the
//! expected files. (Not insta: these expected files are plain JSON and text
//! that the Python and Node suites compare with too; insta's `.snap` files
//! carry a header of their own.)

use std::path::{Path, PathBuf};
use std::process::Command;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/diff")
        .join(name)
}

fn check_snapshot(name: &str, actual: &str) {
    let path = fixture(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, actual).expect("writes the snapshot");
        return;
    }
    let expected = std::fs::read_to_string(&path).expect("reads the snapshot");
    assert!(
        expected == actual,
        "{name} differs from the snapshot; run with UPDATE_SNAPSHOTS=1 to accept:\n{actual}"
    );
}

fn report() -> trueup_core::diff::DiffReport {
    let desired =
        trueup_core::diff::load_desired(&[fixture("desired.yaml")]).expect("desired loads");
    let live = trueup_core::diff::load_live(fixture("live.json")).expect("live loads");
    let options = trueup_core::diff::DiffOptions {
        app: Some("web".into()),
        ..Default::default()
    };
    trueup_core::diff::diff(&desired, &live, &options).expect("diffs")
}

#[test]
fn json_report_matches_the_snapshot() {
    let report = report();
    assert_eq!(
        (
            report.summary.synced,
            report.summary.out_of_sync,
            report.summary.missing,
            report.summary.extraneous
        ),
        (1, 2, 1, 1)
    );
    check_snapshot("expected.json", &(report.to_json_pretty() + "\n"));
}

#[test]
fn text_report_matches_the_snapshot() {
    check_snapshot("expected.txt", &report().to_text());
}

fn cli(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_trueup"))
        .args(args)
        .current_dir(fixture(""))
        .output()
        .expect("the CLI runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).expect("UTF-8 output"),
        String::from_utf8(out.stderr).expect("UTF-8 errors"),
    )
}

#[test]
fn cli_prints_the_same_reports_and_exits_1_when_out_of_sync() {
    let base = [
        "diff",
        "desired.yaml",
        "--live",
        "live.json",
        "--app",
        "web",
    ];
    for (output, expected) in [(Some("json"), "expected.json"), (None, "expected.txt")] {
        let mut args = base.to_vec();
        args.extend(output.iter().flat_map(|o| ["--output", o]));
        let (code, stdout, _) = cli(&args);
        assert_eq!(code, 1);
        assert_eq!(stdout, std::fs::read_to_string(fixture(expected)).unwrap());
    }
}

#[test]
fn cli_exits_0_in_sync_and_2_on_errors() {
    // Desired compared with itself as live: nothing differs.
    let (code, stdout, _) = cli(&["diff", "desired.yaml", "--live", "desired.yaml"]);
    assert_eq!(code, 0, "{stdout}");
    assert!(
        stdout.ends_with("4 synced, 0 out of sync, 0 missing, 0 extraneous; health Progressing\n"),
        "{stdout}"
    );
    let (code, _, stderr) = cli(&["diff", "desired.yaml", "--live", "absent.json"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("absent.json"), "{stderr}");
    let dir = std::env::temp_dir().join(format!("trueup-diff-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("live.yaml");
    std::fs::write(&bad, "apiVersion: v1\nmetadata:\n  name: x\n").unwrap();
    let (code, _, stderr) = cli(&["diff", "desired.yaml", "--live", bad.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("live.yaml") && stderr.contains("kind"),
        "{stderr}"
    );
    let rules = dir.join("ignore.yaml");
    std::fs::write(&rules, "- kind: Deployment\n  jsonPointer: [/spec]\n").unwrap();
    let (code, _, stderr) = cli(&[
        "diff",
        "desired.yaml",
        "--live",
        "live.json",
        "--ignore",
        rules.to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("ignore.yaml") && stderr.contains("jsonPointer"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
