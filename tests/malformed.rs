//! Every kind of malformed input gives an error of the right kind whose
//! message names the file (and the document and line where known). How fast
//! hostile input fails is measured by `cargo bench --bench hostile_input`.

use trueup_core::{ErrorKind, LoadOptions, ParseLimits, load_manifests, load_manifests_opts};

const OK_DOC: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\n---\n";

fn assert_error(text: &str, kind: ErrorKind, needles: &[&str]) {
    let err = load_manifests(text, "bad/input.yaml").expect_err(text);
    let message = err.to_string();
    assert_eq!(err.kind(), kind, "{message}");
    assert_eq!(err.file(), Some("bad/input.yaml"), "{message}");
    assert!(message.starts_with("bad/input.yaml"), "{message}");
    for needle in needles {
        assert!(
            message.contains(needle),
            "{message:?} should mention {needle:?}"
        );
    }
}

#[test]
fn not_a_mapping() {
    assert_error(
        &format!("{OK_DOC}- a\n- b\n"),
        ErrorKind::Manifest,
        &["document 2", "line 6", "sequence"],
    );
    assert_error(
        &format!("{OK_DOC}just text\n"),
        ErrorKind::Manifest,
        &["document 2", "string"],
    );
}

#[test]
fn missing_identity_fields() {
    // kustomize takes an object without apiVersion, or with a number there
    // (the oracle prints them as they are), so trueup does too.
    for text in [
        "kind: Widget\nmetadata:\n  name: x\n",
        "apiVersion: 1\nkind: Widget\nmetadata:\n  name: x\n",
    ] {
        let set = load_manifests(text, "ok.yaml").expect(text);
        assert_eq!(set.to_yaml(), text);
    }
    assert_error(
        "apiVersion: v1\nmetadata:\n  name: x\n",
        ErrorKind::Manifest,
        &["missing kind"],
    );
    assert_error(
        "apiVersion: v1\nkind: ConfigMap\n",
        ErrorKind::Manifest,
        &["missing metadata.name"],
    );
    assert_error(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ''\n",
        ErrorKind::Manifest,
        &["missing metadata.name"],
    );
    assert_error(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: [a]\n",
        ErrorKind::Manifest,
        &["metadata must be a mapping"],
    );
    assert_error(
        "apiVersion: [v1]\nkind: ConfigMap\nmetadata:\n  name: x\n",
        ErrorKind::Manifest,
        &["apiVersion must be a string"],
    );
}

#[test]
fn invalid_yaml() {
    assert_error("a: [1, 2\n", ErrorKind::Yaml, &["invalid YAML"]);
    assert_error("a: b: c\n", ErrorKind::Yaml, &["line 1"]);
    assert_error("a:\n  - b\n c: d\n", ErrorKind::Yaml, &["invalid YAML"]);
    assert_error("a: *missing\n", ErrorKind::Yaml, &["invalid YAML"]);
}

#[test]
fn duplicate_keys_and_values_json_cannot_hold() {
    assert_error(
        &format!("{OK_DOC}a: 1\nb: 2\na: 3\n"),
        ErrorKind::Yaml,
        &["document 2", "line 8", "\"a\" is defined twice"],
    );
    assert_error("x: .inf\n", ErrorKind::Yaml, &["line 1", ".inf"]);
    assert_error("x: -.Inf\n", ErrorKind::Yaml, &[".Inf"]);
    assert_error("x: .nan\n", ErrorKind::Yaml, &[".nan"]);
    assert_error(
        "x:\n  true: 1\n",
        ErrorKind::Yaml,
        &["line 2", "must be a string"],
    );
    assert_error("x: !!int abc\n", ErrorKind::Yaml, &["!!int"]);
    assert_error("x: \"a\\x7Fb\"\n", ErrorKind::Yaml, &["U+007F"]);
}

#[test]
fn deep_nesting_stops_at_the_depth_limit() {
    for text in [
        "[".repeat(10_000),
        "{a: ".repeat(10_000),
        "- ".repeat(10_000),
    ] {
        let err = load_manifests(&text, "bad/input.yaml").expect_err("too deep");
        assert_eq!(err.kind(), ErrorKind::Yaml);
        assert!(err.to_string().starts_with("bad/input.yaml"), "{err}");
        // Stopped by a limit, at a shallow line, not after building the tree.
        let message = err.to_string();
        assert!(
            message.contains("limit") || message.contains("recursion"),
            "{message}"
        );
    }
}

#[test]
fn alias_bombs_stop_at_the_expansion_limit() {
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
    let err = load_manifests(&bomb, "bad/input.yaml").expect_err("alias bomb");
    assert_eq!(err.kind(), ErrorKind::Yaml);
    assert!(err.to_string().contains("more than 100000 nodes"), "{err}");
    assert!(err.to_string().starts_with("bad/input.yaml"), "{err}");
}

#[test]
fn caller_limits_apply() {
    let options = |limits: ParseLimits| LoadOptions {
        file: Some("limited.yaml".into()),
        limits,
    };
    let doc = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: b\n";
    assert!(load_manifests_opts(doc, &options(ParseLimits::default())).is_ok());

    let tight = ParseLimits::from_options(Some(1), None, None);
    let err = load_manifests_opts(doc, &options(tight)).expect_err("depth 1");
    assert!(
        err.to_string().starts_with("limited.yaml") && err.to_string().contains("nesting"),
        "{err}"
    );

    let small = ParseLimits::from_options(None, None, Some(20));
    let err = load_manifests_opts(doc, &options(small)).expect_err("size 20");
    assert!(err.to_string().contains("larger than the limit"), "{err}");

    let aliases = ParseLimits::from_options(None, Some(3), None);
    let text =
        b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\nbase: &b [1, 2, 3]\ncopy: *b\n";
    let err = load_manifests_opts(text, &options(aliases)).expect_err("aliases");
    assert!(err.to_string().contains("alias"), "{err}");

    let err =
        load_manifests_opts(b"a: \xff\n", &options(ParseLimits::default())).expect_err("utf-8");
    assert_eq!(err.kind(), ErrorKind::Yaml);
    assert!(
        err.to_string().starts_with("limited.yaml") && err.to_string().contains("UTF-8"),
        "{err}"
    );
}

#[test]
fn list_items_must_be_a_sequence() {
    assert_error(
        "apiVersion: v1\nkind: List\nitems: {a: b}\n",
        ErrorKind::Manifest,
        &["List.items"],
    );
}

#[test]
fn duplicate_ids_name_both_forms() {
    let err = load_manifests(&format!("{OK_DOC}{OK_DOC}"), "bad/input.yaml").expect_err("dup");
    assert_eq!(err.kind(), ErrorKind::Overlay);
    assert!(err.to_string().starts_with("bad/input.yaml"), "{err}");
    assert!(err.to_string().contains("/ConfigMap//ok"), "{err}");
}

/// Aliases of one long string are few nodes but many bytes: they are
/// bounded by the document size limit too.
#[test]
fn aliases_of_long_strings_are_bounded_by_bytes() {
    let long = "x".repeat(100_000);
    let mut text =
        format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n  a: &s {long}\n");
    for i in 0..200 {
        text.push_str(&format!("  k{i}: *s\n"));
    }
    assert_error(&text, ErrorKind::Yaml, &["bytes of text", "alias bomb"]);
}

/// Raw control characters are refused as kustomize's YAML reader refuses
/// them, with line and column, and the message never carries the raw byte
/// (a terminal escape in input cannot fake a log line). U+2028 outside a
/// quoted string is refused too: go-yaml would read it as a line break.
#[test]
fn control_characters_and_line_separators() {
    let text = format!(
        "{OK_DOC}apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  k: red\u{1b}[31m\n"
    );
    let err = load_manifests(&text, "bad/input.yaml").expect_err("refused");
    assert_eq!(err.kind(), ErrorKind::Yaml);
    assert_eq!((err.line(), err.column()), (Some(11), Some(9)));
    let message = err.to_string();
    assert!(
        message.contains("U+001B") && !message.contains('\u{1b}'),
        "{message:?}"
    );

    let plain = format!(
        "{OK_DOC}apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  k: a\u{2028}b\n"
    );
    assert_error(&plain, ErrorKind::Yaml, &["U+2028", "line 11", "column 7"]);
    let comment = format!(
        "{OK_DOC}apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x # note\u{2029}evil: 1\n"
    );
    assert_error(&comment, ErrorKind::Yaml, &["U+2029"]);
    // NEL too (found by the yaml_read fuzz target): kustomize reads
    // `\u{85}k: v` under `data:` as a line break, leaving `data: null`
    // and a top-level `k` (checked with the oracle); trueup refuses.
    let nel = format!(
        "{OK_DOC}apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  \u{85}k: v\n"
    );
    assert_error(&nel, ErrorKind::Yaml, &["U+0085", "line 11", "column 3"]);
    let quoted = format!(
        "{OK_DOC}apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  k: \"a\u{2028}b\"\n"
    );
    assert!(load_manifests(&quoted, "ok.yaml").is_ok());
}

#[test]
fn broken_json_is_called_json_with_its_line_and_column() {
    let text = "{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": [\n  {\"kind\": \"ConfigMap\", \"metadata\": {\"name\": \"a\",}}\n]}\n";
    let err = load_manifests(text, "live.json").expect_err("a trailing comma is not JSON");
    assert_eq!(err.kind(), ErrorKind::Yaml);
    assert_eq!(
        (err.file(), err.line(), err.column()),
        (Some("live.json"), Some(2), Some(50))
    );
    assert_eq!(
        err.to_string(),
        "live.json, line 2, column 50: invalid JSON: trailing comma"
    );
    // The same text elsewhere is YAML, whose flow mappings take the comma.
    let set = load_manifests(text, "live.yaml").expect("YAML");
    assert_eq!(set.len(), 1);
    // JSON read as JSON gives what the YAML reader gives.
    let json = "{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"metadata\": {\"name\": \"a\"}, \"data\": {\"n\": \"1\", \"t\": \"true\"}, \"x\": [1.5, 2, null, false]}";
    let as_json = load_manifests(json, "a.json").expect("JSON");
    let as_yaml =
        load_manifests(&format!("# a comment first: YAML\n{json}"), "a.yaml").expect("YAML");
    assert_eq!(as_json.to_yaml(), as_yaml.to_yaml());
}

#[test]
fn json_with_a_byte_order_mark_or_deep_nesting_reads_as_before() {
    let json = "\u{feff}{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"metadata\": {\"name\": \"a\"}}";
    assert_eq!(
        load_manifests(json, "a.json")
            .expect("a BOM is not an error")
            .len(),
        1
    );
    // 200 levels: past serde_json's 128, within the YAML reader's 256.
    let deep = format!(
        "{{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"metadata\": {{\"name\": \"a\"}}, \"data\": {}1{}}}",
        "[".repeat(200),
        "]".repeat(200)
    );
    assert_eq!(
        load_manifests(&deep, "deep.json")
            .expect("within the depth limit")
            .len(),
        1
    );
    // A lower limit given by the caller holds for JSON too.
    let options = LoadOptions {
        file: Some("deep.json".into()),
        limits: ParseLimits {
            max_depth: 5,
            ..ParseLimits::default()
        },
    };
    assert!(load_manifests_opts(deep.as_bytes(), &options).is_err());
}
