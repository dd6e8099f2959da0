//! Property tests: generated inputs, a bounded number of cases per property
//! (`PROPTEST_CASES` raises it for a longer local run; FUZZING.md). The
//! engine must never panic on any input, and what it prints must read back
//! as what it printed.

use proptest::prelude::*;
use trueup_core::patch::JsonPatch;
use trueup_core::yaml::{Mapping, parse_documents, to_yaml};
use trueup_core::{MemorySource, Value, build_source, load_manifests};

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|c| c.parse().ok())
            .unwrap_or(256),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Strings that exercise the printer's quoting: YAML 1.1 words, numbers,
/// indicators, blanks, line breaks, tabs, escapes, non-ASCII. (U+2028,
/// U+2029, DEL and C1 controls are left out: kustomize itself prints them in
/// a form that does not read back, and trueup refuses them on input.)
fn text() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "",
        "a",
        "yes",
        "no",
        "on",
        "~",
        "null",
        "1",
        "1.0",
        "0755",
        "-",
        "- x",
        ": ",
        "#",
        "'",
        "\"",
        "\\",
        " ",
        "  ",
        "\n",
        "\n\n",
        "\t",
        "{",
        "}",
        "[",
        "]",
        "&a",
        "*a",
        "!tag",
        "%",
        "@",
        "`",
        "é",
        "日本",
        "\u{1F600}",
        "\u{7}",
        "\u{1b}",
        "2024-01-01",
        "0x1F",
        ".inf",
        "-.5",
        "+1",
        "=",
        ",",
        "?",
        "|",
        ">",
        "key: value",
    ]);
    prop::collection::vec(pieces, 0..6).prop_map(|parts| parts.concat())
}

fn key() -> impl Strategy<Value = String> {
    text().prop_map(|k| if k.is_empty() { "k".to_owned() } else { k })
}

/// Values as objects hold them: strings, integers, booleans, nulls, lists
/// and mappings, a few levels deep.
fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        text().prop_map(Value::String),
        any::<i64>().prop_map(Value::Int),
        any::<bool>().prop_map(Value::Bool),
        Just(Value::Null),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Seq),
            prop::collection::vec((key(), inner), 0..5)
                .prop_map(|pairs| Value::Map(pairs.into_iter().collect::<Mapping>())),
        ]
    })
}

/// A mapping at the top, as every printed object is.
fn object() -> impl Strategy<Value = Value> {
    prop::collection::vec((key(), value()), 1..6)
        .prop_map(|pairs| Value::Map(pairs.into_iter().collect::<Mapping>()))
}

proptest! {
    #![proptest_config(config())]

    /// What the printer writes, the reader reads back as the same value.
    #[test]
    fn printed_yaml_reads_back_the_same(v in object()) {
        let text = to_yaml(&v);
        let docs = parse_documents(&text)
            .map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(docs.len(), 1);
        prop_assert_eq!(&docs[0].value, &v, "printed:\n{}", text);
    }

    /// Any text: an error or documents, never a panic; a second read of the
    /// printed documents gives the same documents.
    #[test]
    fn any_text_parses_or_fails_cleanly(text in "[ -~\n\t\u{e9}\u{2028}]{0,200}") {
        if let Ok(docs) = parse_documents(&text) {
            for doc in docs {
                if doc.value.as_map().is_some() {
                    let again = parse_documents(&to_yaml(&doc.value));
                    prop_assert!(again.is_ok());
                }
            }
        }
    }

    /// JSON patches over objects: an error or a value, never a panic, in both
    /// dialects.
    #[test]
    fn json_patches_never_panic(doc in object(), ops in prop::collection::vec(op(), 0..6)) {
        let ops = Value::Seq(ops);
        if let Ok(patch) = JsonPatch::from_value(&ops) {
            let _ = patch.apply(&doc);
            let _ = patch.apply_as_kustomize(&doc);
        }
    }

    /// Kustomizations built from generated parts render or fail with an
    /// error, never a panic.
    #[test]
    fn small_kustomizations_never_panic(k in kustomization(), res in object()) {
        let mut res = res;
        if let Some(m) = res.as_map_mut() {
            m.insert("apiVersion".into(), Value::String("v1".into()));
            m.insert("kind".into(), Value::String("ConfigMap".into()));
            let mut meta = Mapping::default();
            meta.insert("name".into(), Value::String("app".into()));
            m.insert("metadata".into(), Value::Map(meta));
        }
        let src: MemorySource = [
            ("app/kustomization.yaml", k),
            ("app/cm.yaml", to_yaml(&res)),
            ("app/patch.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  x: y\n".to_owned()),
        ]
        .into_iter()
        .collect();
        let _ = build_source(&src, "app");
    }

    /// Diffs of generated objects never panic.
    #[test]
    fn diffs_never_panic(a in object(), b in object()) {
        let dress = |mut v: Value| {
            if let Some(m) = v.as_map_mut() {
                m.insert("apiVersion".into(), Value::String("apps/v1".into()));
                m.insert("kind".into(), Value::String("Deployment".into()));
                let mut meta = Mapping::default();
                meta.insert("name".into(), Value::String("web".into()));
                m.insert("metadata".into(), Value::Map(meta));
            }
            to_yaml(&v)
        };
        let desired = load_manifests(&dress(a), "desired.yaml");
        let live = load_manifests(&dress(b), "live.yaml");
        if let (Ok(desired), Ok(live)) = (desired, live) {
            let report = trueup_core::diff::diff(&desired, &live, &Default::default());
            prop_assert!(report.is_ok());
        }
    }
}

/// One JSON patch operation, with paths that often exist.
fn op() -> impl Strategy<Value = Value> {
    let path = prop::sample::select(vec![
        "",
        "/",
        "/a",
        "/a/b",
        "/metadata/annotations/x",
        "/0",
        "/-",
        "/a/-",
        "/a/0",
        "/~1",
        "/~0",
        "/~2",
        "/a/01",
    ]);
    (
        prop::sample::select(vec![
            "add", "remove", "replace", "move", "copy", "test", "nope",
        ]),
        path.clone(),
        path,
        value(),
    )
        .prop_map(|(op, path, from, value)| {
            let mut m = Mapping::default();
            m.insert("op".into(), Value::String(op.into()));
            m.insert("path".into(), Value::String(path.into()));
            m.insert("from".into(), Value::String(from.into()));
            m.insert("value".into(), value);
            Value::Map(m)
        })
}

/// A kustomization of parts that each exercise a transformer.
fn kustomization() -> impl Strategy<Value = String> {
    let part = prop::sample::select(vec![
        "namespace: prod\n",
        "namePrefix: p-\n",
        "nameSuffix: -s\n",
        "commonLabels: {a: b}\n",
        "commonAnnotations: {n: '1'}\n",
        "labels:\n- pairs: {t: x}\n  includeSelectors: true\n",
        "images:\n- name: nginx\n  newTag: '2'\n",
        "patches:\n- path: patch.yaml\n",
        "patchesStrategicMerge: [patch.yaml]\n",
        "configMapGenerator:\n- name: gen\n  literals: [a=b]\n",
        "replacements:\n- source: {kind: ConfigMap, name: app}\n  targets:\n  - select: {kind: ConfigMap}\n    fieldPaths: [data.x]\n    options: {create: true}\n",
        "patches:\n- target: {kind: ConfigMap}\n  patch: '[{op: add, path: /data/z, value: w}]'\n",
        "sortOptions: {order: fifo}\n",
    ]);
    prop::collection::vec(part, 0..5).prop_map(|parts| {
        let mut seen = std::collections::BTreeSet::new();
        let mut text = String::from("resources: [cm.yaml]\n");
        for p in parts {
            let field = p.split(':').next().unwrap_or_default();
            if seen.insert(field) {
                text.push_str(p);
            }
        }
        text
    })
}
