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

/// Runs trueup in the repository's root and gives its exit code and stderr.
fn run_in_repo(args: &[&str]) -> (Option<i32>, String) {
    let out = trueup()
        .args(args)
        .current_dir(repo())
        .output()
        .expect("runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn errors_name_the_path_as_the_user_typed_it() {
    let (code, stderr) = run_in_repo(&["build", "examples/no-such-overlay"]);
    assert_eq!(code, Some(2));
    assert_eq!(stderr, "error: examples/no-such-overlay: does not exist\n");

    let (code, stderr) = run_in_repo(&["build", "examples/gitops/README.md"]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.starts_with("error: examples/gitops/README.md: is not a directory"),
        "{stderr}"
    );

    let (code, stderr) = run_in_repo(&["build", "tests/fixtures"]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.starts_with("error: tests/fixtures: unable to find one of 'kustomization.yaml'"),
        "{stderr}"
    );

    // A file of the overlay, and a file of a base it reaches through `..`,
    // are named from where the user stands.
    let overlay = repo().join("tests/conformance/error-not-a-mapping");
    assert!(overlay.join("resources.yaml").is_file());
    let (code, stderr) = run_in_repo(&["build", "tests/conformance/error-not-a-mapping/"]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.starts_with(
            "error: tests/conformance/error-not-a-mapping/resources.yaml, document 2, line 6:"
        ),
        "{stderr}"
    );
}

#[test]
fn a_broken_base_is_named_from_the_current_folder() {
    let dir = std::env::temp_dir().join(format!("trueup-cli-base-{}", std::process::id()));
    let write = |path: &str, text: &str| {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    };
    write("apps/base/kustomization.yaml", "resources: [cm.yaml]\n");
    write(
        "apps/base/cm.yaml",
        "kind: ConfigMap\nmetadata: {name: a}\nx: [\n",
    );
    write("apps/prod/kustomization.yaml", "resources: [../base]\n");
    let out = trueup()
        .args(["build", "apps/prod"])
        .current_dir(&dir)
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    std::fs::remove_dir_all(&dir).expect("clean up");
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr.starts_with("error: apps/base/cm.yaml, "), "{stderr}");
}

/// `trueup diff` of the example overlay against a live state with one
/// hand edit, with extra arguments and environment; gives stdout.
fn colour_run(args: &[&str], env: &[(&str, &str)]) -> String {
    let overlay = "examples/gitops/apps/checkout/overlays/prod";
    let live = "examples/live/checkout-prod.json";
    let mut cmd = trueup();
    cmd.args(["diff", overlay, "--live", live, "-n", "shop-prod"])
        .args(args)
        .current_dir(repo())
        .env_remove("NO_COLOR");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("runs");
    assert_eq!(out.status.code(), Some(1));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The same through a pseudo-terminal (`script` from util-linux), so that
/// standard output is a terminal.
fn colour_run_on_a_terminal(env: &[(&str, &str)]) -> String {
    let bin = env!("CARGO_BIN_EXE_trueup");
    let line = format!(
        "{bin} diff examples/gitops/apps/checkout/overlays/prod --live examples/live/checkout-prod.json -n shop-prod"
    );
    let mut cmd = Command::new("script");
    cmd.args(["-qec", &line, "/dev/null"])
        .current_dir(repo())
        .env_remove("NO_COLOR")
        .env("TERM", "xterm");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("script (util-linux) runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn colour_on_a_terminal_never_with_no_color_or_in_a_pipe() {
    const RED: &str = "\x1b[31m-  replicas: 3\x1b[0m";
    assert!(!colour_run(&[], &[]).contains('\x1b'), "piped: no colour");
    assert!(colour_run(&["--color", "always"], &[]).contains(RED));
    assert!(!colour_run(&["--color", "never"], &[]).contains('\x1b'));
    let tty = colour_run_on_a_terminal(&[]);
    assert!(tty.contains(RED), "{tty:?}");
    let tty = colour_run_on_a_terminal(&[("NO_COLOR", "1")]);
    assert!(
        tty.contains("-  replicas: 3") && !tty.contains('\x1b'),
        "{tty:?}"
    );
}

#[test]
fn completions_and_examples_in_help() {
    for shell in ["bash", "zsh", "fish"] {
        let out = trueup()
            .args(["completions", shell])
            .output()
            .expect("runs");
        assert!(out.status.success());
        let script = String::from_utf8_lossy(&out.stdout);
        assert!(
            script.contains("rollback") && script.contains("--live"),
            "{shell}"
        );
    }
    for command in ["build", "diff", "history", "rollback"] {
        let out = trueup().args([command, "--help"]).output().expect("runs");
        let help = String::from_utf8_lossy(&out.stdout);
        assert!(help.contains("Examples:\n  trueup "), "{command}: {help}");
    }
}

#[test]
fn render_all_shows_progress_on_a_terminal_only() {
    let out_dir = std::env::temp_dir().join(format!("trueup-progress-{}", std::process::id()));
    let out = out_dir.to_str().expect("UTF-8");
    let bin = env!("CARGO_BIN_EXE_trueup");
    let line = format!("{bin} build --all examples/gitops --out {out}");
    let on_tty = Command::new("script")
        .args(["-qec", &line, "/dev/null"])
        .current_dir(repo())
        .output()
        .expect("script (util-linux) runs");
    let piped = trueup()
        .args(["build", "--all", "examples/gitops", "--out", out])
        .current_dir(repo())
        .output()
        .expect("runs");
    std::fs::remove_dir_all(&out_dir).expect("clean up");
    let tty = String::from_utf8_lossy(&on_tty.stdout);
    assert!(tty.contains("\rrendering: 5/5 overlays"), "{tty:?}");
    assert!(piped.status.success());
    assert!(!String::from_utf8_lossy(&piped.stderr).contains("rendering:"));
}

#[test]
fn diff_takes_argo_cd_health_scripts() {
    let dir = std::env::temp_dir().join(format!("trueup-cli-lua-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("scripts/example.com/Widget")).expect("mkdir");
    std::fs::write(
        dir.join("scripts/example.com/Widget/health.lua"),
        "return {status = 'Degraded', message = 'widget is ' .. obj.status.phase}\n",
    )
    .expect("write");
    let object = "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\nstatus:\n  phase: broken\n";
    std::fs::write(dir.join("w.yaml"), object).expect("write");
    let with_scripts = |scripts: &str| {
        trueup()
            .args(["diff", "w.yaml", "--live", "w.yaml", "-o", "json"])
            .args(["--health-scripts", scripts])
            .current_dir(&dir)
            .output()
            .expect("runs")
    };
    let (out, missing) = (with_scripts("scripts"), with_scripts("nope"));
    std::fs::remove_dir_all(&dir).expect("clean up");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(report["resources"][0]["health"], "Degraded");
    assert_eq!(report["resources"][0]["healthMessage"], "widget is broken");
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).starts_with("error: nope: "));
}

#[cfg(unix)]
#[test]
fn a_base_reached_through_a_linked_folder_is_named_where_it_really_is() {
    let dir = std::env::temp_dir().join(format!("trueup-cli-linked-{}", std::process::id()));
    let write = |path: &str, text: &str| {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    };
    write("real/base/kustomization.yaml", "resources: [cm.yaml]\n");
    write(
        "real/base/cm.yaml",
        "kind: ConfigMap\nmetadata: {name: a}\nx: [\n",
    );
    write("real/prod/kustomization.yaml", "resources: [../base]\n");
    std::fs::create_dir_all(dir.join("links")).expect("mkdir");
    std::os::unix::fs::symlink(dir.join("real/prod"), dir.join("links/prod")).expect("link");
    let out = trueup()
        .args(["build", "links/prod"])
        .current_dir(&dir)
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let real = std::fs::canonicalize(dir.join("real/base/cm.yaml")).expect("real path");
    std::fs::remove_dir_all(&dir).expect("clean up");
    // Not `links/base/cm.yaml`, which does not exist.
    assert!(
        stderr.starts_with(&format!("error: {}, ", real.display())),
        "{stderr}"
    );
}

/// `--crds` says which custom kinds are cluster-scoped: a ClusterIssuer
/// gets no `-n` namespace.
#[test]
fn crds_given_tell_the_scope_of_custom_kinds() {
    let dir = std::env::temp_dir().join(format!("trueup-cli-crds-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("creates");
    let write = |name: &str, text: &str| {
        let path = dir.join(name);
        std::fs::write(&path, text).expect("writes");
        path
    };
    let issuer = write(
        "issuer.yaml",
        "apiVersion: cert-manager.io/v1\nkind: ClusterIssuer\nmetadata:\n  name: le\n",
    );
    let live = write("live.yaml", "");
    let crd = write(
        "crd.yaml",
        "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: clusterissuers.cert-manager.io\nspec:\n  group: cert-manager.io\n  names: {kind: ClusterIssuer, plural: clusterissuers}\n  scope: Cluster\n  versions: []\n",
    );
    let run = |extra: &[&std::path::Path]| {
        let mut command = trueup();
        command
            .arg("diff")
            .arg(&issuer)
            .arg("--live")
            .arg(&live)
            .args(["-n", "prod"]);
        for path in extra {
            command.arg("--crds").arg(path);
        }
        let out = command.output().expect("runs");
        assert_eq!(out.status.code(), Some(1), "{out:?}");
        String::from_utf8(out.stdout).expect("utf-8")
    };
    assert!(run(&[]).contains("namespace: prod"));
    assert!(!run(&[&crd]).contains("namespace"));
    std::fs::remove_dir_all(&dir).expect("removes");
}

/// `trueup release`: verify exits 0 valid, 1 with problems (listed with
/// their fields), 2 when unreadable; diff exits 1 when releases differ;
/// apply --dry-run prints the edit and writes nothing.
#[test]
fn release_commands_and_their_exit_codes() {
    let dir = std::env::temp_dir().join(format!("trueup-cli-release-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let corpus = repo().join("tests/release_edits");
    let run = |args: &[&str]| {
        let out = trueup()
            .args(args)
            .current_dir(&corpus)
            .output()
            .expect("runs");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, stdout, _) = run(&["release", "verify", "release.yaml"]);
    assert_eq!(code, Some(0), "{stdout}");
    let (code, id, _) = run(&["release", "id", "release.yaml"]);
    assert_eq!(
        (code, id.as_str()),
        (
            Some(0),
            "sha256:c7361a257e5c99096d96e9ee336c6d4302a25dab4b27f9753508a6d5b3ed006a\n"
        )
    );
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.yaml");
    std::fs::write(&bad, "apiVersion: trueup.dev/v1alpha1\nkind: ReleaseManifest\nmetadata:\n  name: x\nspec:\n  source: {repository: r, revision: main}\n  images:\n  - name: ghcr.io/acme/api\n    tag: '1'\n").unwrap();
    let (code, stdout, _) = run(&["release", "verify", bad.to_str().unwrap()]);
    assert_eq!(code, Some(1));
    assert!(
        stdout.contains("spec.source.revision: not a commit id"),
        "{stdout}"
    );
    assert!(
        stdout.contains("spec.images[0].digest: missing"),
        "{stdout}"
    );
    std::fs::write(&bad, "[").unwrap();
    assert_eq!(
        run(&["release", "verify", bad.to_str().unwrap()]).0,
        Some(2)
    );
    let created = dir.join("created.yaml");
    let (code, _, stderr) = run(&[
        "release",
        "create",
        "--name",
        "n",
        "--repository",
        "https://github.com/acme/shop",
        "--revision",
        "0123456789abcdef0123456789abcdef01234567",
        "--image",
        &format!("ghcr.io/acme/api@sha256:{}", "a".repeat(64)),
        "-o",
        created.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(0), "{stderr}");
    let (code, stdout, _) = run(&["release", "diff", "release.yaml", created.to_str().unwrap()]);
    assert_eq!(code, Some(1));
    assert!(
        stdout.contains("- ghcr.io/acme/worker: ghcr.io/acme/worker@sha256:bbbb"),
        "{stdout}"
    );
    assert_eq!(
        run(&["release", "diff", "release.yaml", "release.yaml"]).0,
        Some(0)
    );
    let (code, _, stderr) = run(&[
        "release",
        "create",
        "--name",
        "n",
        "--repository",
        "r",
        "--revision",
        "main",
        "--image",
        "ghcr.io/acme/api:1",
    ]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("spec.images[0].digest: missing"),
        "{stderr}"
    );
    // A dry run prints the edit and writes nothing.
    let overlay = "cases/newtag-becomes-digest/input";
    let before = std::fs::read(corpus.join(overlay).join("kustomization.yaml")).unwrap();
    let (code, stdout, _) = run(&["release", "apply", "release.yaml", overlay, "--dry-run"]);
    assert_eq!(code, Some(0));
    assert!(
        stdout.contains("-  newTag: \"1.3\"\n+  digest: \"sha256:aaaa"),
        "{stdout}"
    );
    assert!(
        stdout.contains("+++ b/cases/newtag-becomes-digest/input/release-manifest.ref"),
        "{stdout}"
    );
    assert_eq!(
        std::fs::read(corpus.join(overlay).join("kustomization.yaml")).unwrap(),
        before
    );
    assert!(!corpus.join(overlay).join("release-manifest.ref").exists());
    std::fs::remove_dir_all(&dir).unwrap();
}
