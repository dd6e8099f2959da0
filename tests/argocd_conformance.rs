//! Argo CD's diff and health tests (`../shared/conformance/argocd-diff`, run
//! by its own `run.py` against the `trueup` binary): every case agrees but
//! those listed in `tests/argocd_diff_known.txt`, and every listed case
//! still disagrees (the list only shrinks). With
//! `TRUEUP_ARGOCD_HEALTH_SCRIPTS` naming a copy of Argo CD's
//! `resource_customizations`, the scripts are passed as `--health-scripts`
//! and the `needs-scripts` cases must agree too.

#[path = "common/shared.rs"]
mod shared;

use std::collections::BTreeSet;
use std::process::Command;

#[test]
fn argo_cd_diff_and_health_cases_agree_but_the_known_ones() {
    let Some(corpus) = shared::shared_dir("conformance/argocd-diff") else {
        return;
    };
    let scripts = std::env::var_os("TRUEUP_ARGOCD_HEALTH_SCRIPTS");
    let mut run = Command::new("python3");
    run.arg(corpus.join("run.py"))
        .arg(env!("CARGO_BIN_EXE_trueup"))
        .arg(&corpus);
    if let Some(scripts) = &scripts {
        run.arg("--health-scripts").arg(scripts);
    }
    let out = run.output().expect("python3 runs run.py");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.lines().any(|l| l.starts_with("diffpeer: ")),
        "run.py did not finish:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let disagreeing: BTreeSet<&str> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("  "))
        .filter_map(|l| l.split(':').next())
        .collect();
    let known_text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/argocd_diff_known.txt"),
    )
    .expect("the known list");
    let known: BTreeSet<&str> = known_text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter(|l| scripts.is_none() || !l.contains("# needs-scripts"))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    let new: Vec<_> = disagreeing.difference(&known).collect();
    let fixed: Vec<_> = known.difference(&disagreeing).collect();
    assert!(
        new.is_empty(),
        "cases that now disagree with Argo CD: {new:?}\n{stdout}"
    );
    assert!(
        fixed.is_empty(),
        "cases that now agree: remove them from tests/argocd_diff_known.txt: {fixed:?}"
    );
}
