//! Release manifests and their application to overlays.
//!
//! `tests/release_edits/` holds 32 hand-written kustomizations in the styles
//! teams write them (`cases/<name>/input`), each with the bytes the edit
//! must give, written by hand (`cases/<name>/expected/kustomization.yaml`),
//! and what the real kustomize renders from those bytes
//! (`expected/expected.yaml`, from `../shared/oracle/kustomize-oracle golden
//! tests/release_edits`).

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use trueup_core::release::{
    ApplyOptions, RELEASE_REF_FILE, ReleaseManifest, apply_release, apply_release_source,
};
use trueup_core::{ErrorKind, MemorySource};

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/release_edits")
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("creates");
    for entry in std::fs::read_dir(from).expect("reads") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copies");
        }
    }
}

/// A scratch folder removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir =
            std::env::temp_dir().join(format!("trueup-release-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("creates");
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn every_hand_written_kustomization_gets_exactly_the_expected_bytes() {
    let scratch = Scratch::new("corpus");
    copy_tree(&corpus(), &scratch.0);
    let release = ReleaseManifest::load(scratch.0.join("release.yaml")).expect("release");
    let mut names: Vec<String> = std::fs::read_dir(scratch.0.join("cases"))
        .expect("cases")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.len() >= 30, "{} cases", names.len());
    for name in &names {
        let case = scratch.0.join("cases").join(name);
        let input = case.join("input");
        let before = std::fs::read(input.join("kustomization.yaml")).expect("input");
        let expected = std::fs::read(case.join("expected/kustomization.yaml")).expect("expected");
        // A dry run writes nothing.
        let planned = apply_release(&release, &input, &ApplyOptions { write: false })
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            std::fs::read(input.join("kustomization.yaml")).unwrap(),
            before,
            "{name}"
        );
        let edits = apply_release(&release, &input, &ApplyOptions::default())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(edits, planned, "{name}");
        let after = std::fs::read(input.join("kustomization.yaml")).expect("after");
        assert!(
            after == expected,
            "{name}: got\n{}\nwant\n{}",
            String::from_utf8_lossy(&after),
            String::from_utf8_lossy(&expected)
        );
        // A kustomization that needs no change is not among the edits.
        let edited_kustomization = edits.iter().any(|e| e.path.ends_with("kustomization.yaml"));
        assert_eq!(edited_kustomization, before != expected, "{name}");
        // The edited overlay renders what kustomize renders from the expected bytes.
        let golden = std::fs::read_to_string(case.join("expected/expected.yaml")).expect("golden");
        assert_eq!(
            trueup_core::build(&input).expect("renders").to_yaml(),
            golden,
            "{name}"
        );
        // Applying twice changes nothing.
        assert_eq!(
            apply_release(&release, &input, &ApplyOptions::default()).unwrap(),
            Vec::new(),
            "{name}"
        );
        let recorded = std::fs::read_to_string(input.join(RELEASE_REF_FILE)).expect("ref");
        assert!(
            recorded.contains(&format!("id: {}", release.id())),
            "{name}: {recorded}"
        );
        assert!(
            recorded.contains("name: shop-2026-11-29.1"),
            "{name}: {recorded}"
        );
    }
}

/// The id of `tests/release_edits/release.yaml`, computed independently:
/// `json.dumps(spec, sort_keys=True, separators=(",", ":"),
/// ensure_ascii=False)` (RFC 8785 for this content) hashed with Python's
/// hashlib.
#[test]
fn the_id_is_the_sha256_of_the_canonical_json_of_the_spec() {
    let release = ReleaseManifest::load(corpus().join("release.yaml")).expect("release");
    assert_eq!(
        release.id(),
        "sha256:c7361a257e5c99096d96e9ee336c6d4302a25dab4b27f9753508a6d5b3ed006a"
    );
    // Another vector: labels sorted by code unit, a control character escaped.
    let mut labelled = ReleaseManifest::new("x", "r", &"0".repeat(40));
    labelled.set_profile(
        Some("prod-eu"),
        [("z", "2"), ("é", "1"), ("a", "\u{1}")]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
    );
    assert_eq!(
        labelled.id(),
        "sha256:4b0aacd7ae33370ae95a24635fc3590c942fafe4afc0121d90507a1cdaaaa528"
    );
    // Renaming keeps the id; key order and quoting do not change it;
    // content does.
    let text = std::fs::read_to_string(corpus().join("release.yaml")).unwrap();
    let renamed =
        ReleaseManifest::from_yaml(&text.replace("shop-2026-11-29.1", "other"), "r").unwrap();
    assert_eq!(renamed.id(), release.id());
    let reordered = text.replace(
        "  source:\n    repository: https://github.com/acme/shop\n    revision: 0123456789abcdef0123456789abcdef01234567\n",
        "  source:\n    revision: \"0123456789abcdef0123456789abcdef01234567\"\n    repository: 'https://github.com/acme/shop'\n",
    );
    assert_ne!(reordered, text);
    assert_eq!(
        ReleaseManifest::from_yaml(&reordered, "r").unwrap().id(),
        release.id()
    );
    let json = ReleaseManifest::from_yaml(&release.to_json(), "r.json").unwrap();
    assert_eq!(json.id(), release.id());
    let changed = ReleaseManifest::from_yaml(&text.replace("1.4.2", "1.4.3"), "r").unwrap();
    assert_ne!(changed.id(), release.id());
}

#[test]
fn verify_names_every_problem_with_its_field() {
    let a = "a".repeat(64);
    let problems = |spec: &str| -> Vec<String> {
        let text = format!(
            "apiVersion: trueup.dev/v1alpha1\nkind: ReleaseManifest\nmetadata:\n  name: r\nspec:\n{spec}"
        );
        ReleaseManifest::from_yaml(&text, "r.yaml")
            .expect("reads")
            .verify()
            .iter()
            .map(ToString::to_string)
            .collect()
    };
    let source = "  source:\n    repository: https://github.com/acme/shop\n    revision: 0123456789abcdef0123456789abcdef01234567\n";
    assert_eq!(
        problems(&format!(
            "{source}  images:\n  - name: ghcr.io/acme/api\n    digest: sha256:{a}\n"
        )),
        Vec::<String>::new()
    );
    let cases: &[(&str, &str)] = &[
        (
            "  images:\n  - name: ghcr.io/acme/api\n    tag: '1.4'\n",
            "spec.images[0].digest: missing: a release pins every image by digest (a tag alone can move)",
        ),
        (
            "  images:\n  - name: ghcr.io/acme/api\n    digest: sha256:abc\n",
            "spec.images[0].digest: not a digest: expected sha256:<64 lowercase hex>",
        ),
        (
            "  images:\n  - name: ghcr.io/acme/api:1.4\n    digest: sha256:AAAA\n",
            "spec.images[0].name: not an image name: expected a repository without tag or digest (ghcr.io/acme/api)",
        ),
        (
            "  images:\n  - name: ghcr.io/acme/api\n    digest: sha256:AAA\n    tag: -bad\n",
            "spec.images[0].tag: not a tag: expected up to 128 letters, digits, '_', '.' and '-', not starting with '.' or '-'",
        ),
        (
            "  images:\n  - {name: a, digest: DIGEST}\n  - {name: a, digest: DIGEST}\n",
            "spec.images[1].name: a is already spec.images[0]",
        ),
        (
            "  images: []\n  artifacts:\n  - {name: s, ref: oci://x}\n  - {name: s, ref: oci://y}\n",
            "spec.artifacts[1].name: s is already spec.artifacts[0]",
        ),
        (
            "  images: []\n  artifacts:\n  - {name: s, ref: oci://x, digest: md5:00}\n",
            "spec.artifacts[0].digest: not a digest: expected sha256:<64 lowercase hex>",
        ),
        (
            "  images: []\n  artifacts:\n  - {name: s}\n",
            "spec.artifacts[0].ref: missing",
        ),
        (
            "  images: []\n  extra: 1\n",
            "spec.extra: unknown field (expected one of: source, images, artifacts, profile, labels)",
        ),
        (
            "  images:\n  - {name: a, digest: DIGEST, sha: x}\n",
            "spec.images[0].sha: unknown field (expected one of: name, digest, tag)",
        ),
        (
            "  images: {}\n",
            "spec.images: expected a list, found a mapping",
        ),
        (
            "  images: []\n  profile: 3\n",
            "spec.profile: expected a string, found an integer (quote it)",
        ),
        (
            "  images: []\n  labels: {team: 1}\n",
            "spec.labels.team: expected a string, found an integer",
        ),
    ];
    for (spec, want) in cases {
        let spec = spec.replace("DIGEST", &format!("sha256:{a}"));
        let got = problems(&format!("{source}{spec}"));
        assert!(got.iter().any(|p| p == want), "{spec}: {got:?}");
    }
    let bad_source = problems("  source:\n    repository: r\n    revision: main\n  images: []\n");
    assert_eq!(
        bad_source,
        [
            "spec.source.revision: not a commit id: expected 40 hex digits (64 for a SHA-256 repository)"
        ]
    );
    let missing = problems("  images: []\n");
    assert_eq!(missing, ["spec.source: missing"]);
    let header = ReleaseManifest::from_yaml(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {}\nspec: {}\n",
        "r.yaml",
    )
    .unwrap()
    .verify();
    let paths: Vec<&str> = header.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(
        paths,
        ["apiVersion", "kind", "metadata.name", "spec.source"]
    );
    // Text that is not a release at all is an error, naming the file.
    let err = ReleaseManifest::from_yaml("- a\n", "r.yaml").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Release);
    assert_eq!(
        err.to_string(),
        "r.yaml: expected a mapping, found a sequence"
    );
}

#[test]
fn a_release_from_a_rendered_overlay_needs_every_image_pinned() {
    let a = format!("sha256:{}", "a".repeat(64));
    let set = |images: &[&str]| {
        let containers: String = images
            .iter()
            .enumerate()
            .map(|(i, image)| format!("      - name: c{i}\n        image: {image}\n"))
            .collect();
        trueup_core::load_manifests(
            &format!("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  template:\n    spec:\n      containers:\n{containers}"),
            "d.yaml",
        )
        .unwrap()
    };
    let release = ReleaseManifest::from_manifests(
        "r",
        "https://github.com/acme/shop",
        &"1".repeat(40),
        &set(&[
            &format!("ghcr.io/acme/api:1.4@{a}"),
            &format!("ghcr.io/acme/api:1.4@{a}"),
        ]),
    )
    .unwrap();
    assert_eq!(release.images.len(), 1);
    assert_eq!(release.images[0].tag.as_deref(), Some("1.4"));
    assert!(release.verify().is_empty());
    let err = ReleaseManifest::from_manifests(
        "r",
        "x",
        &"1".repeat(40),
        &set(&["redis:7", &format!("ghcr.io/acme/api@{a}"), "nginx"]),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "<manifests>: images not pinned by digest (a release records digests): nginx, redis:7"
    );
}

#[test]
fn releases_compare_by_image_and_artifact() {
    let a = format!("sha256:{}", "a".repeat(64));
    let b = format!("sha256:{}", "b".repeat(64));
    let mut old = ReleaseManifest::new("r1", "x", &"1".repeat(40));
    old.add_image(&format!("ghcr.io/acme/api@{a}"));
    old.add_image(&format!("ghcr.io/acme/gone@{a}"));
    let mut new = ReleaseManifest::new("r2", "x", &"2".repeat(40));
    new.add_image(&format!("ghcr.io/acme/api@{b}"));
    new.add_image(&format!("ghcr.io/acme/new@{b}"));
    new.add_artifact("schema", "oci://ghcr.io/acme/schema:1", Some(&a));
    let diff = old.compare(&new);
    assert_eq!(
        diff.to_text(),
        format!(
            "~ revision: {} -> {}\n~ ghcr.io/acme/api: ghcr.io/acme/api@{a} -> ghcr.io/acme/api@{b}\n- ghcr.io/acme/gone: ghcr.io/acme/gone@{a}\n+ ghcr.io/acme/new: ghcr.io/acme/new@{b}\n+ schema: oci://ghcr.io/acme/schema:1@{a}\n",
            "1".repeat(40),
            "2".repeat(40)
        )
    );
    assert!(old.compare(&old).is_empty());
}

/// Bad input is a clear error, and nothing is written.
#[test]
fn bad_input_changes_no_file() {
    let scratch = Scratch::new("bad");
    copy_tree(&corpus(), &scratch.0);
    let release = ReleaseManifest::load(scratch.0.join("release.yaml")).unwrap();
    let overlay = scratch.0.join("cases/newtag-becomes-digest/input");
    let kustomization = overlay.join("kustomization.yaml");
    let original = std::fs::read(&kustomization).unwrap();
    let check = |text: &str, want: &str| {
        std::fs::write(&kustomization, text).unwrap();
        let err = apply_release(&release, &overlay, &ApplyOptions::default()).unwrap_err();
        assert!(err.to_string().contains(want), "{err}");
        assert_eq!(std::fs::read_to_string(&kustomization).unwrap(), text);
        assert!(!overlay.join(RELEASE_REF_FILE).exists());
    };
    // Not YAML.
    check(
        "resources:\n- ../../../base\nimages: [\n",
        "kustomization.yaml",
    );
    // Does not render.
    check("resources:\n- ../../../absent\n", "absent");
    // A replacement sets the image after the images transformer has run:
    // pinning cannot work, and the overlay is left as it is.
    std::fs::write(
        overlay.join("images.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: images\ndata:\n  worker: ghcr.io/acme/worker:9\n",
    )
    .unwrap();
    check(
        "resources:\n- ../../../base\n- images.yaml\nreplacements:\n- source: {kind: ConfigMap, name: images, fieldPath: data.worker}\n  targets:\n  - select: {kind: Deployment, name: worker}\n    fieldPaths: [spec.template.spec.containers.0.image]\n",
        "the overlay still runs ghcr.io/acme/worker:9",
    );
    std::fs::write(&kustomization, &original).unwrap();
    // A release-manifest.ref that is a link (to a file outside the overlay)
    // is neither read nor replaced.
    #[cfg(unix)]
    {
        let outside = scratch.0.join("outside.txt");
        std::fs::write(&outside, "secret\n").unwrap();
        std::os::unix::fs::symlink(&outside, overlay.join(RELEASE_REF_FILE)).unwrap();
        let err = apply_release(&release, &overlay, &ApplyOptions::default()).unwrap_err();
        assert!(err.to_string().contains("is a symbolic link"), "{err}");
        assert!(!err.to_string().contains("secret"));
        assert_eq!(std::fs::read(&kustomization).unwrap(), original);
        std::fs::remove_file(overlay.join(RELEASE_REF_FILE)).unwrap();
    }
    // An invalid release.
    let mut invalid = ReleaseManifest::new("bad", "x", "main");
    invalid.add_image("ghcr.io/acme/api:1.4");
    let err = apply_release(&invalid, &overlay, &ApplyOptions::default()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Release);
    assert!(
        err.to_string().contains("spec.images[0].digest: missing"),
        "{err}"
    );
    assert_eq!(std::fs::read(&kustomization).unwrap(), original);
}

/// The edits are worked out from any source (a Git tree, memory), with
/// nothing on disk.
#[test]
fn edits_come_from_any_source() {
    let a = format!("sha256:{}", "a".repeat(64));
    let source: MemorySource = [
        ("apps/api/base/kustomization.yaml", "resources:\n- d.yaml\n"),
        (
            "apps/api/base/d.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  template:\n    spec:\n      containers:\n      - name: api\n        image: ghcr.io/acme/api:1\n",
        ),
        ("apps/api/prod/kustomization.yaml", "resources:\n- ../base # shared\n"),
    ]
    .into_iter()
    .collect();
    let mut release = ReleaseManifest::new("r", "x", &"1".repeat(40));
    release.add_image(&format!("ghcr.io/acme/api@{a}"));
    let edits = apply_release_source(&release, &source, "apps/api/prod").unwrap();
    assert_eq!(edits[0].path, "apps/api/prod/kustomization.yaml");
    assert_eq!(
        String::from_utf8(edits[0].new.clone()).unwrap(),
        format!(
            "resources:\n- ../base # shared\nimages:\n- name: ghcr.io/acme/api\n  digest: {a}\n"
        )
    );
    assert_eq!(edits[1].path, "apps/api/prod/release-manifest.ref");
    assert_eq!(edits[1].old, None);
}

fn decorated_kustomization() -> impl Strategy<Value = (String, String)> {
    // (indentation of list items, key offset, comment after each line?,
    // blank line or comment line after each line?, CRLF?)
    (
        prop::sample::select(vec![0usize, 2, 4]),
        prop::sample::select(vec![2usize, 4]),
        prop::collection::vec((any::<bool>(), 0u8..3), 9),
        any::<bool>(),
        prop::sample::select(vec!["\"", "'", ""]),
    )
        .prop_map(|(dash, offset, decorations, crlf, quote)| {
            let item = |key: &str, value: &str, first: bool| {
                if first {
                    format!(
                        "{}-{}{key}: {value}",
                        " ".repeat(dash),
                        " ".repeat(offset - 1)
                    )
                } else {
                    format!("{}{key}: {value}", " ".repeat(dash + offset))
                }
            };
            let lines = vec![
                "resources:".to_owned(),
                format!("{}- ../base", " ".repeat(dash)),
                "images:".to_owned(),
                item("name", "ghcr.io/acme/api", true),
                item("newTag", &format!("{quote}v1.3{quote}"), false),
                item("name", "docker.io/library/redis", true),
                item("newTag", "\"7\"", false),
                item("name", "ghcr.io/acme/worker", true),
                item("newTag", &format!("{quote}v1.3{quote}"), false),
            ];
            let eol = if crlf { "\r\n" } else { "\n" };
            let mut text = String::from("# kustomization of prod");
            text.push_str(eol);
            for (line, (comment, after)) in lines.iter().zip(&decorations) {
                text.push_str(line);
                if *comment {
                    text.push_str("  # note é");
                }
                text.push_str(eol);
                match after {
                    1 => text.push_str(eol),
                    2 => text.push_str(&format!("{}# between{eol}", " ".repeat(dash))),
                    _ => {}
                }
            }
            (text, quote.to_owned())
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Whatever comments, blank lines, indentation and line endings
    /// decorate a kustomization, pinning changes the pinned lines only:
    /// `newTag: X` becomes `digest: D` in X's quotes, every other line is
    /// byte for byte the same.
    #[test]
    fn decorations_never_change_anything_but_the_pinned_lines((text, quote) in decorated_kustomization()) {
        let a = format!("sha256:{}", "a".repeat(64));
        let b = format!("sha256:{}", "b".repeat(64));
        let source: MemorySource = [
            ("base/kustomization.yaml", "resources:\n- d.yaml\n".to_owned()),
            ("base/d.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  template:\n    spec:\n      containers:\n      - name: api\n        image: ghcr.io/acme/api:1\n      - name: worker\n        image: ghcr.io/acme/worker:1\n      - name: redis\n        image: docker.io/library/redis:6\n".to_owned()),
            ("prod/kustomization.yaml", text.clone()),
        ]
        .into_iter()
        .collect();
        let mut release = ReleaseManifest::new("r", "x", &"1".repeat(40));
        release.add_image(&format!("ghcr.io/acme/api@{a}"));
        release.add_image(&format!("ghcr.io/acme/worker@{b}"));
        let edits = apply_release_source(&release, &source, "prod").unwrap();
        let new = String::from_utf8(edits[0].new.clone()).unwrap();
        let old_lines: Vec<&str> = text.split('\n').collect();
        let new_lines: Vec<&str> = new.split('\n').collect();
        prop_assert_eq!(old_lines.len(), new_lines.len());
        let mut pinned = 0;
        for (old, new) in old_lines.iter().zip(&new_lines) {
            if old == new {
                continue;
            }
            pinned += 1;
            let digest = if pinned == 1 { &a } else { &b };
            let want = old
                .replace("newTag", "digest")
                .replace(&format!("{quote}v1.3{quote}"), &format!("{quote}{digest}{quote}"));
            prop_assert_eq!(*new, want.as_str());
        }
        prop_assert_eq!(pinned, 2);
    }
}
