//! Features trueup does not render yet are refused by name, with the file —
//! never rendered differently from kustomize.

use trueup_core::{ErrorKind, MemorySource, build_source};

const CM: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n";

fn refused(kustomization: &str, field: &str) {
    let src: MemorySource = [
        ("app/kustomization.yaml", kustomization),
        ("app/cm.yaml", CM),
        (
            "app/patch.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  a: b\n",
        ),
    ]
    .into_iter()
    .collect();
    let err = build_source(&src, "app").expect_err(kustomization);
    assert_eq!(err.kind(), ErrorKind::Unsupported, "{err}");
    let message = err.to_string();
    assert!(message.contains(field), "{message:?} should name {field:?}");
    assert!(
        message.contains("app/kustomization.yaml"),
        "{message:?} should name the file"
    );
}

#[test]
fn unrendered_fields_are_refused() {
    refused("helmCharts:\n- name: x\n", "helmCharts");
    refused(
        "resources: [cm.yaml]\ntransformers:\n- |-\n  apiVersion: someteam.example.com/v1\n  kind: ChartInflator\n  metadata:\n    name: x\n",
        "external plugin ChartInflator",
    );
    refused(
        "resources: [cm.yaml]\ngenerators:\n- |-\n  apiVersion: example.com/v1\n  kind: Gen\n  metadata:\n    name: x\n    annotations:\n      config.kubernetes.io/function: |\n        container:\n          image: example/gen:1\n",
        "KRM function",
    );
    refused(
        "resources: [cm.yaml]\ntransformers:\n- |-\n  apiVersion: builtin\n  kind: ValueAddTransformer\n  metadata:\n    name: x\n",
        "ValueAddTransformer",
    );
}

#[test]
fn validators_run_builtin_plugins_on_a_copy() {
    let src: MemorySource = [
        (
            "app/kustomization.yaml",
            "resources: [cm.yaml]\nvalidators:\n- |-\n  apiVersion: builtin\n  kind: LabelTransformer\n  metadata:\n    name: x\n  labels:\n    a: b\n  fieldSpecs:\n  - path: metadata/labels\n    create: true\n",
        ),
        ("app/cm.yaml", CM),
    ]
    .into_iter()
    .collect();
    let err = build_source(&src, "app").expect_err("a validator may not change objects");
    assert!(
        err.to_string().contains("validator shouldn't modify"),
        "{err}"
    );
    let src: MemorySource = [
        (
            "app/kustomization.yaml",
            "resources: [cm.yaml]\nvalidators:\n- |-\n  apiVersion: example.com/v1\n  kind: Kubeval\n  metadata:\n    name: x\n",
        ),
        ("app/cm.yaml", CM),
    ]
    .into_iter()
    .collect();
    let err = build_source(&src, "app").expect_err("external validator");
    assert_eq!(err.kind(), ErrorKind::Unsupported, "{err}");
    assert!(
        err.to_string()
            .contains("validators: external plugin Kubeval"),
        "{err}"
    );
}

#[test]
fn patches_json6902_needs_a_target() {
    let src: MemorySource = [
        (
            "k/kustomization.yaml",
            "resources: [cm.yaml]\npatchesJson6902:\n- path: p.yaml\n",
        ),
        ("k/cm.yaml", CM),
        ("k/p.yaml", "[]\n"),
    ]
    .into_iter()
    .collect();
    let err = build_source(&src, "k").expect_err("no target");
    assert_eq!(err.kind(), ErrorKind::Overlay);
    assert!(
        err.to_string()
            .contains("patchesJson6902[0]: must specify a target"),
        "{err}"
    );
}
