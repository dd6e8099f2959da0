//! Render-all: every overlay under a root, in parallel, failures isolated.

use std::path::Path;

use trueup_core::kustomize::{BuildAllOptions, build_all_source, find_overlays};
use trueup_core::{MemorySource, build, build_all};

fn examples() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/gitops")
}

#[test]
fn renders_every_overlay_of_the_example_like_build() {
    let results = build_all(
        examples(),
        &BuildAllOptions {
            jobs: Some(2),
            ..BuildAllOptions::default()
        },
    )
    .expect("walks");
    let paths: Vec<&str> = results.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "apps/catalog/overlays/prod",
            "apps/catalog/overlays/staging",
            "apps/checkout/overlays/prod",
            "apps/checkout/overlays/staging",
            "platform/namespaces",
        ]
    );
    for overlay in &results {
        let alone = build(examples().join(&overlay.path)).expect("renders alone");
        let together = overlay.result.as_ref().expect("renders in the batch");
        assert_eq!(together.to_yaml(), alone.to_yaml(), "{}", overlay.path);
    }
}

#[test]
fn one_failure_stops_no_other() {
    let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n";
    let src: MemorySource = [
        ("envs/base/kustomization.yaml", "resources: [cm.yaml]\n"),
        ("envs/base/cm.yaml", cm),
        (
            "envs/good/kustomization.yaml",
            "resources: [../base]\nnamespace: good\n",
        ),
        (
            "envs/broken/kustomization.yaml",
            "resources: [../base, missing.yaml]\n",
        ),
        (
            "envs/also-good/kustomization.yaml",
            "resources: [../base]\nnamespace: also\n",
        ),
    ]
    .into_iter()
    .collect();
    assert_eq!(
        find_overlays(&src, "envs").expect("walks"),
        ["envs/also-good", "envs/broken", "envs/good"]
    );
    let results = build_all_source(&src, "envs", &BuildAllOptions::default()).expect("walks");
    let outcome: Vec<(&str, bool)> = results
        .iter()
        .map(|r| (r.path.as_str(), r.result.is_ok()))
        .collect();
    assert_eq!(
        outcome,
        [("also-good", true), ("broken", false), ("good", true)]
    );
    let err = results[1].result.as_ref().expect_err("broken");
    assert!(err.to_string().contains("missing.yaml"), "{err}");

    let only = BuildAllOptions {
        jobs: Some(1),
        overlays: Some(vec!["good".into()]),
        ..BuildAllOptions::default()
    };
    let results = build_all_source(&src, "envs", &only).expect("walks");
    assert_eq!(results.len(), 1);
    assert_eq!(results[0].path, "good");
}

#[test]
fn the_cli_writes_one_file_per_overlay() {
    let out = std::env::temp_dir().join(format!("trueup-render-all-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_trueup"))
        .args(["build", "--all"])
        .arg(examples())
        .arg("--out")
        .arg(&out)
        .output()
        .expect("runs");
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let written =
        std::fs::read_to_string(out.join("apps/checkout/overlays/prod.yaml")).expect("written");
    let golden = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/conformance/example-checkout-prod/expected.yaml"),
    )
    .expect("golden");
    for doc in written.split("---\n") {
        assert!(golden.contains(doc), "{doc}");
    }
    assert!(out.join("platform/namespaces.yaml").is_file());
    let _ = std::fs::remove_dir_all(&out);
}
