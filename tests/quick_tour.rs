//! The README's quick tour runs as written: every command of its command-line
//! block, in order, in one shell, with the freshly built `trueup` on PATH and
//! the demo repository made in a temporary folder instead of `/tmp/shop`.

use std::path::Path;
use std::process::Command;

/// The first ```sh block after "## Quick tour" in the README.
fn tour_block(readme: &str) -> &str {
    let tour = &readme[readme.find("## Quick tour").expect("a Quick tour section")..];
    let start = tour.find("```sh\n").expect("a sh block") + "```sh\n".len();
    let end = start + tour[start..].find("```").expect("the block ends");
    &tour[start..end]
}

/// A command line without its trailing comment (two spaces, then `#`).
fn command(line: &str) -> &str {
    line.split("  #").next().unwrap_or("").trim()
}

#[test]
fn every_command_of_the_quick_tour_runs_as_written() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
    let scratch = std::env::temp_dir().join(format!("trueup-tour-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch).expect("a scratch folder");
    let shop = scratch.join("shop");
    let shop = shop.to_str().expect("a UTF-8 temp path");

    // Each command must succeed; `diff` may also exit 1 (differences found).
    let mut script = String::from("set -u -o pipefail\n");
    let mut commands = 0;
    for line in tour_block(&readme).lines() {
        let line = command(line);
        if line.is_empty() {
            continue;
        }
        commands += 1;
        let line = line.replace("/tmp/shop", shop);
        let allowed = if line.contains("trueup diff") { 1 } else { 0 };
        let quoted = line.replace('\'', "'\\''");
        script.push_str(&format!(
            "{{ {line} ; }}; rc=$?; if [ $rc -gt {allowed} ]; then echo 'tour: exit '$rc' from: {quoted}' >&2; exit 1; fi\n"
        ));
    }
    assert!(commands >= 8, "the tour has its commands: {commands}");
    let bin = Path::new(env!("CARGO_BIN_EXE_trueup"))
        .parent()
        .expect("the binary's folder");
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("bash")
        .arg("-c")
        .arg(&script)
        .current_dir(root)
        .env("PATH", path)
        .output()
        .expect("bash runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let git = |args: &[&str]| {
        let out = Command::new("git")
            .args(args)
            .current_dir(shop)
            .output()
            .expect("git runs");
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    };
    let last_subject = git(&["log", "-1", "--format=%s"]);
    let rendered = std::fs::read_dir(format!("{shop}-rendered")).map(|d| d.count());
    std::fs::remove_dir_all(&scratch).expect("clean up");
    assert!(out.status.success(), "{stderr}\n{stdout}");
    // What the tour promises: the hand edit found as drift, the promotion
    // as a change, and a rollback commit at the end.
    assert!(
        stdout.contains("drift spec.replicas: live 3 -> desired 1"),
        "{stdout}"
    );
    assert!(stdout.contains("Promote checkout 1.4 to prod"), "{stdout}");
    assert!(
        last_subject.starts_with("Roll back apps/checkout/overlays/prod"),
        "{last_subject}"
    );
    assert_eq!(rendered.expect("build --all wrote files"), 5);
}
