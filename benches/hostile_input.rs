//! How fast hostile input fails: deep nesting, alias bombs (by nodes and by
//! bytes) and JSON patch copy doubling must be refused in microseconds to
//! milliseconds, not after building huge trees.

use criterion::{Criterion, criterion_group, criterion_main};

fn alias_bomb() -> String {
    let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 0..9 {
        let prev = if i == 0 {
            "a".to_owned()
        } else {
            format!("l{}", i - 1)
        };
        let refs = vec![format!("*{prev}"); 10].join(", ");
        bomb.push_str(&format!("l{i}: &l{i} [{refs}]\n"));
    }
    bomb
}

/// 200 aliases of one 100 KB string: few nodes, 20 MB of text.
fn alias_bytes_bomb() -> String {
    let mut text = format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n  a: &s {}\n",
        "x".repeat(100_000)
    );
    for i in 0..200 {
        text.push_str(&format!("  k{i}: *s\n"));
    }
    text
}

/// A JSON 6902 patch whose `copy` operations double a 1 MB object 40 times.
fn copy_doubling() -> (trueup_core::patch::JsonPatch, trueup_core::Value) {
    let doc = trueup_core::yaml::parse_documents(&format!("a: {}\n", "x".repeat(1 << 20)))
        .expect("parses")
        .remove(0)
        .value;
    let ops = (0..40)
        .map(|i| format!("- {{op: copy, from: /a, path: /a{i}}}\n"))
        .collect::<String>();
    let ops = trueup_core::yaml::parse_documents(&ops)
        .expect("parses")
        .remove(0)
        .value;
    (
        trueup_core::patch::JsonPatch::from_value(&ops).expect("a patch"),
        doc,
    )
}

/// A Deployment whose one container has `n` environment variables, every
/// value prefixed with `prefix` (desired "a", live "b": every one changed),
/// with the live object's managedFields and last-applied state.
fn env_deployments(n: usize) -> (trueup_core::ManifestSet, trueup_core::ManifestSet) {
    let deployment = |prefix: &str, extra: &str| {
        let mut text = format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: prod\n{extra}spec:\n  selector:\n    matchLabels: {{app: web}}\n  template:\n    metadata:\n      labels: {{app: web}}\n    spec:\n      containers:\n      - name: app\n        image: nginx\n        env:\n"
        );
        for i in 0..n {
            text.push_str(&format!("        - {{name: V{i}, value: {prefix}{i}}}\n"));
        }
        text
    };
    let desired = deployment("a", "");
    let mut fields = String::new();
    for i in 0..n {
        fields.push_str(&format!("                  'k:{{\"name\":\"V{i}\"}}': {{'.': {{}}, 'f:name': {{}}, 'f:value': {{}}}}\n"));
    }
    let managed = format!(
        "  managedFields:\n  - manager: kubectl-client-side-apply\n    operation: Update\n    fieldsV1:\n      f:spec:\n        f:template:\n          f:spec:\n            f:containers:\n              'k:{{\"name\":\"app\"}}':\n                f:env:\n{fields}"
    );
    let live = deployment("b", &managed);
    (
        trueup_core::load_manifests(&desired, "desired.yaml").expect("desired"),
        trueup_core::load_manifests(&live, "live.yaml").expect("live"),
    )
}

fn hostile_input(c: &mut Criterion) {
    let cases = [
        ("flow_brackets_10000", "[".repeat(10_000)),
        ("flow_mappings_10000", "{a: ".repeat(10_000)),
        ("block_sequences_10000", "- ".repeat(10_000)),
        ("billion_laughs", alias_bomb()),
        ("alias_bytes_200x100k", alias_bytes_bomb()),
    ];
    let mut group = c.benchmark_group("hostile_input");
    for (name, text) in &cases {
        group.bench_function(*name, |b| {
            b.iter(|| trueup_core::load_manifests(text, "hostile.yaml").expect_err("refused"))
        });
    }
    let (desired, live) = env_deployments(5_000);
    let options = trueup_core::diff::DiffOptions {
        last_applied: Some(desired.clone()),
        ..Default::default()
    };
    group.sample_size(10);
    group.bench_function("diff_env_5000_all_changed", |b| {
        b.iter(|| trueup_core::diff::diff(&desired, &live, &options).expect("compares"))
    });
    let (patch, doc) = copy_doubling();
    group.bench_function("json_patch_copy_doubling", |b| {
        b.iter(|| patch.apply(&doc).expect_err("refused"))
    });
    group.finish();
}

criterion_group!(benches, hostile_input);
criterion_main!(benches);
