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
