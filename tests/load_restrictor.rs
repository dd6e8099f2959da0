//! kustomize's load restrictor: files outside a kustomization's folder are
//! refused unless the caller opts out, as `--load-restrictor none` does.

use std::path::Path;

use trueup_core::{BuildOptions, ErrorKind, LoadRestrictor, build, build_opts};

fn case() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance/error-file-outside-root")
}

#[test]
fn files_outside_the_root_need_an_opt_out() {
    let err = build(case()).expect_err("restricted by default");
    assert_eq!(err.kind(), ErrorKind::Overlay);
    assert!(err.to_string().contains("not in or below"), "{err}");

    let open = BuildOptions {
        load_restrictor: LoadRestrictor::None,
        ..BuildOptions::default()
    };
    let set = build_opts(case(), &open).expect("allowed when opted out");
    // What `kustomize-oracle --load-restrictor none build` prints for this case.
    assert_eq!(
        set.to_yaml(),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: outside\n"
    );
}

#[test]
fn restrictor_names() {
    for (text, want) in [
        ("none", LoadRestrictor::None),
        ("LoadRestrictionsNone", LoadRestrictor::None),
        ("root-only", LoadRestrictor::RootOnly),
        ("LoadRestrictionsRootOnly", LoadRestrictor::RootOnly),
    ] {
        assert_eq!(text.parse::<LoadRestrictor>().expect(text), want);
    }
    assert!("loose".parse::<LoadRestrictor>().is_err());
}

#[test]
fn the_cli_flag() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_trueup"))
        .args(["build", "--load-restrictor", "none"])
        .arg(case())
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("name: outside"));
}

/// A scratch tree under the temporary folder, removed when dropped.
struct Scratch(std::path::PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("trueup-escape-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch folder");
        Scratch(dir)
    }

    fn write(&self, path: &str, text: &str) -> &Scratch {
        let full = self.0.join(path);
        std::fs::create_dir_all(full.parent().expect("has a parent")).expect("folders");
        std::fs::write(full, text).expect("writes");
        self
    }

    #[cfg(unix)]
    fn link(&self, path: &str, target: &str) -> &Scratch {
        let full = self.0.join(path);
        std::fs::create_dir_all(full.parent().expect("has a parent")).expect("folders");
        std::os::unix::fs::symlink(target, full).expect("links");
        self
    }

    fn path(&self, relative: &str) -> std::path::PathBuf {
        self.0.join(relative)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const OUTSIDE_SECRET: &str = "TOKEN=outside-secret-value\n";
const OUTSIDE_CM: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: outside\ndata:\n  token: outside-secret-value\n";

/// Builds `overlay` and expects kustomize's refusal, with nothing from the
/// outside file in the message.
fn assert_refused(overlay: &std::path::Path, what: &str) {
    let err = build(overlay).expect_err(what);
    let message = err.to_string();
    assert!(
        message.contains("security;") || message.contains("not a regular file"),
        "{what}: {message}"
    );
    assert!(
        !message.contains("outside-secret-value"),
        "{what}: {message}"
    );
}

/// Every way a kustomization could name a file outside its folder is
/// refused, as the real kustomize refuses it (`security; file ... is not in
/// or below ...`, checked with the oracle): absolute paths in resources,
/// generator files and env files, patches and configurations, and links
/// (to a file, through a folder) that lead out.
#[test]
#[cfg(unix)]
fn no_file_outside_the_folder_is_read() {
    let t = Scratch::new("files");
    t.write("outside/secret.env", OUTSIDE_SECRET)
        .write("outside/cm.yaml", OUTSIDE_CM);
    let outside = t.path("outside");
    let outside = outside.to_str().expect("UTF-8 path");
    let cases = [
        (
            "abs-files",
            format!("configMapGenerator:\n- name: x\n  files: [{outside}/secret.env]\n"),
        ),
        (
            "abs-envs",
            format!("secretGenerator:\n- name: x\n  envs: [{outside}/secret.env]\n"),
        ),
        ("abs-resource", format!("resources: [{outside}/cm.yaml]\n")),
        (
            "abs-patch",
            format!("resources: [cm.yaml]\npatches:\n- path: {outside}/cm.yaml\n"),
        ),
        (
            "abs-config",
            format!("resources: [cm.yaml]\nconfigurations: [{outside}/cm.yaml]\n"),
        ),
        (
            "dotdot-files",
            "configMapGenerator:\n- name: x\n  files: [../outside/secret.env]\n".to_owned(),
        ),
        ("link-resource", "resources: [link.yaml]\n".to_owned()),
        (
            "link-env",
            "configMapGenerator:\n- name: x\n  envs: [link.env]\n".to_owned(),
        ),
        ("link-folder", "resources: [sub/out/cm.yaml]\n".to_owned()),
        (
            "link-patch",
            "resources: [cm.yaml]\npatchesStrategicMerge: [link.yaml]\n".to_owned(),
        ),
    ];
    // The kustomization file itself, linked to one outside its folder.
    t.write("outside/kustomization.yaml", "resources: [cm.yaml]\n")
        .link(
            "link-kustomization/kustomization.yaml",
            &format!("{outside}/kustomization.yaml"),
        )
        .write("link-kustomization/cm.yaml", OUTSIDE_CM);
    assert_refused(&t.path("link-kustomization"), "a linked kustomization file");
    for (name, kustomization) in &cases {
        t.write(&format!("{name}/kustomization.yaml"), kustomization)
            .write(
                &format!("{name}/cm.yaml"),
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: outside\n",
            )
            .link(&format!("{name}/link.yaml"), &format!("{outside}/cm.yaml"))
            .link(
                &format!("{name}/link.env"),
                &format!("{outside}/secret.env"),
            )
            .link(&format!("{name}/sub/out"), outside);
        assert_refused(&t.path(name), name);
    }
    // A link that stays inside the folder is fine, as in kustomize.
    t.write(
        "inside/sub/real.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: real\n",
    )
    .link("inside/link.yaml", "sub/real.yaml")
    .write("inside/kustomization.yaml", "resources: [link.yaml]\n");
    assert!(
        build(t.path("inside"))
            .expect("an inner link")
            .to_yaml()
            .contains("name: real")
    );
}

/// Devices and pipes are never read (kustomize itself hangs on a pipe), and
/// folder links that loop are a cycle, not an endless walk.
#[test]
#[cfg(unix)]
fn devices_pipes_and_link_cycles_are_refused() {
    let t = Scratch::new("special");
    t.link("dev/zero.yaml", "/dev/zero")
        .write("dev/kustomization.yaml", "resources: [zero.yaml]\n");
    assert_refused(&t.path("dev"), "a link to /dev/zero");
    let open = BuildOptions {
        load_restrictor: LoadRestrictor::None,
        ..BuildOptions::default()
    };
    let err = build_opts(t.path("dev"), &open).expect_err("a device, even unrestricted");
    assert!(err.to_string().contains("not a regular file"), "{err}");

    t.write("fifo/kustomization.yaml", "resources: [pipe.yaml]\n");
    let status = std::process::Command::new("mkfifo")
        .arg(t.path("fifo/pipe.yaml"))
        .status()
        .expect("mkfifo runs");
    assert!(status.success());
    let err = build(t.path("fifo")).expect_err("a pipe");
    assert!(err.to_string().contains("not a regular file"), "{err}");

    t.write(
        "loop/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n",
    )
    .write("loop/kustomization.yaml", "resources: [cm.yaml, again]\n")
    .link("loop/again", ".");
    let err = build(t.path("loop")).expect_err("a folder that includes itself through a link");
    assert!(err.to_string().contains("cycle"), "{err}");
}
