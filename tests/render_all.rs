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
    let written = std::fs::read_to_string(out.join("apps%2Fcheckout%2Foverlays%2Fprod.yaml"))
        .expect("written");
    let golden = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/conformance/example-checkout-prod/expected.yaml"),
    )
    .expect("golden");
    for doc in written.split("---\n") {
        assert!(golden.contains(doc), "{doc}");
    }
    assert!(out.join("platform%2Fnamespaces.yaml").is_file());
    let stderr = String::from_utf8_lossy(&status.stderr);
    assert!(
        stderr.contains("apps/checkout/overlays/prod -> "),
        "says which overlay went where: {stderr}"
    );
    let _ = std::fs::remove_dir_all(&out);
}

/// A tree built to trip a walk up: a link to `.` (endless), a link to `..`
/// (every overlay again), a link out of the root, overlays whose output names
/// would clash in a tree layout (`a` and `a.yaml/b`), and an output that
/// cannot be written. Every overlay renders once, nothing outside the root is
/// rendered, every output is written but the one that cannot be, and the
/// exit code says so.
#[test]
#[cfg(unix)]
fn render_all_survives_links_and_clashing_names() {
    let base =
        std::env::temp_dir().join(format!("trueup-render-all-hostile-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    let root = base.join("root");
    let outside = base.join("outside");
    let cm = |name: &str| format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n");
    for (dir, name) in [("a", "a"), ("a.yaml/b", "b"), ("deep/c", "c")] {
        std::fs::create_dir_all(root.join(dir)).expect("folders");
        std::fs::write(root.join(dir).join("cm.yaml"), cm(name)).expect("writes");
        std::fs::write(
            root.join(dir).join("kustomization.yaml"),
            "resources: [cm.yaml]\n",
        )
        .expect("writes");
    }
    std::fs::create_dir_all(&outside).expect("folders");
    std::fs::write(outside.join("cm.yaml"), cm("outside")).expect("writes");
    std::fs::write(outside.join("kustomization.yaml"), "resources: [cm.yaml]\n").expect("writes");
    std::os::unix::fs::symlink(".", root.join("deep/self")).expect("links");
    std::os::unix::fs::symlink("..", root.join("deep/c/parent")).expect("links");
    std::os::unix::fs::symlink(&outside, root.join("out-link")).expect("links");

    let out = base.join("rendered");
    std::fs::create_dir_all(&out).expect("folders");
    // The output of `deep/c` cannot be written: a folder stands in its way.
    std::fs::create_dir_all(out.join("deep%2Fc.yaml")).expect("folders");
    let started = std::time::Instant::now();
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_trueup"))
        .args(["build", "--all"])
        .arg(&root)
        .arg("--out")
        .arg(&out)
        .output()
        .expect("runs");
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("error: deep/c: cannot write"), "{stderr}");
    let a = std::fs::read_to_string(out.join("a.yaml")).expect("a written");
    assert!(a.contains("name: a"));
    let b = std::fs::read_to_string(out.join("a.yaml%2Fb.yaml")).expect("a.yaml/b written");
    assert!(b.contains("name: b"));
    let names: Vec<String> = std::fs::read_dir(&out)
        .expect("lists")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names.len(),
        3,
        "one output per overlay, nothing else: {names:?}"
    );
    assert!(
        !stderr.contains("outside") && !stderr.contains("self"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&base);
}

/// `shard: i/n`: n CI jobs, one shard each, render every overlay exactly
/// once, and an overlay's shard depends only on its path.
#[test]
fn shards_cover_every_overlay_exactly_once() {
    let mut files: Vec<(String, String)> =
        vec![("base/kustomization.yaml".into(), "resources: []\n".into())];
    for i in 0..40 {
        files.push((
            format!("apps/app-{i:02}/prod/kustomization.yaml"),
            "resources: [../../../base]\n".into(),
        ));
    }
    let source: trueup_core::MemorySource = files.into_iter().collect();
    let paths = |shard: Option<&str>| -> Vec<String> {
        let options = BuildAllOptions {
            shard: shard.map(|s| s.parse().expect("a shard")),
            ..BuildAllOptions::default()
        };
        trueup_core::kustomize::build_all_source(&source, "", &options)
            .expect("renders")
            .into_iter()
            .map(|r| r.path)
            .collect()
    };
    let all = paths(None);
    assert_eq!(all.len(), 40);
    for count in 1..=5 {
        let mut union = Vec::new();
        for index in 1..=count {
            let part = paths(Some(&format!("{index}/{count}")));
            if count > 1 {
                assert!(part.len() < all.len(), "{index}/{count} holds everything");
            }
            union.extend(part);
        }
        union.sort();
        assert_eq!(union, all, "{count} shards");
    }
    for bad in ["0/3", "4/3", "1/0", "x", "1-3"] {
        assert!(
            bad.parse::<trueup_core::kustomize::Shard>().is_err(),
            "{bad}"
        );
    }
}

#[allow(dead_code)]
#[path = "common/git_scratch.rs"]
mod git_scratch;

/// The overlays `build_all` keeps with `changed_since: rev` under `root`.
fn changed(root: &std::path::Path, rev: &str, shard: Option<&str>) -> Vec<String> {
    let options = BuildAllOptions {
        changed_since: Some(rev.to_owned()),
        shard: shard.map(|s| s.parse().expect("a shard")),
        ..BuildAllOptions::default()
    };
    build_all(root, &options)
        .expect("renders")
        .into_iter()
        .map(|r| {
            assert!(r.result.is_ok(), "{}: {:?}", r.path, r.result.err());
            r.path
        })
        .collect()
}

#[test]
fn changed_since_keeps_the_overlays_whose_inputs_changed() {
    use git_scratch::{Scratch, git, write};
    let repo = Scratch::repo("changed-since");
    let deploy = |name: &str| {
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\nspec:\n  template:\n    spec:\n      containers:\n      - name: {name}\n        image: example/{name}:1\n"
        )
    };
    write(
        &repo.0,
        "apps/web/base/kustomization.yaml",
        "resources: [deploy.yaml]\n",
    );
    write(&repo.0, "apps/web/base/deploy.yaml", &deploy("web"));
    for env in ["dev", "prod"] {
        write(
            &repo.0,
            &format!("apps/web/overlays/{env}/kustomization.yaml"),
            &format!("resources: [../../base]\nnamespace: {env}\n"),
        );
    }
    write(
        &repo.0,
        "apps/api/base/kustomization.yaml",
        "resources: [deploy.yaml]\n",
    );
    write(&repo.0, "apps/api/base/deploy.yaml", &deploy("api"));
    write(
        &repo.0,
        "apps/api/overlays/prod/kustomization.yaml",
        "resources: [../../base]\ncomponents: [../../../../components/probes]\n",
    );
    write(
        &repo.0,
        "components/probes/kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\npatches:\n- path: probe.yaml\n  target:\n    kind: Deployment\n",
    );
    let probe = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\nspec:\n  minReadySeconds: 5\n";
    write(&repo.0, "components/probes/probe.yaml", probe);
    git(&repo.0, &["add", "-A"]);
    git(&repo.0, &["commit", "-qm", "one"]);

    let none: Vec<String> = Vec::new();
    assert_eq!(changed(&repo.0, "HEAD", None), none);

    // An uncommitted change to a base: the overlays built on it.
    write(
        &repo.0,
        "apps/web/base/deploy.yaml",
        &deploy("web").replace(":1", ":2"),
    );
    let web = ["apps/web/overlays/dev", "apps/web/overlays/prod"];
    assert_eq!(changed(&repo.0, "HEAD", None), web);
    git(&repo.0, &["commit", "-qam", "two"]);
    assert_eq!(changed(&repo.0, "HEAD", None), none);
    assert_eq!(changed(&repo.0, "HEAD~1", None), web);

    // A component's patch file reaches the overlay that uses it; a new
    // overlay (absent at the revision) is kept too.
    write(
        &repo.0,
        "components/probes/probe.yaml",
        &probe.replace('5', "9"),
    );
    write(
        &repo.0,
        "apps/web/overlays/staging/kustomization.yaml",
        "resources: [../../base]\nnamespace: staging\n",
    );
    let now = ["apps/api/overlays/prod", "apps/web/overlays/staging"];
    assert_eq!(changed(&repo.0, "HEAD", None), now);

    // The shards of the changed set cover it exactly once.
    let mut union: Vec<String> = (1..=3)
        .flat_map(|i| changed(&repo.0, "HEAD", Some(&format!("{i}/3"))))
        .collect();
    union.sort();
    assert_eq!(union, now);

    // A render root below the repository's root: paths relative to it.
    assert_eq!(
        changed(&repo.0.join("apps/web"), "HEAD", None),
        ["overlays/staging"]
    );
    // Not a revision: an error naming it.
    let err = build_all(
        &repo.0,
        &BuildAllOptions {
            changed_since: Some("no-such-rev".into()),
            ..BuildAllOptions::default()
        },
    )
    .expect_err("no such revision");
    assert!(err.to_string().contains("no-such-rev"), "{err}");
}

#[test]
fn render_all_at_a_revision_keys_its_cache_by_blob_ids() {
    use git_scratch::{git, write};
    let repo = git_scratch::Scratch::repo("render-all-rev");
    let cm = |level: &str| {
        format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  level: {level}\n"
        )
    };
    write(
        &repo.0,
        "apps/base/kustomization.yaml",
        "resources: [cm.yaml]\n",
    );
    write(&repo.0, "apps/base/cm.yaml", &cm("info"));
    for env in ["dev", "prod"] {
        write(
            &repo.0,
            &format!("apps/{env}/kustomization.yaml"),
            &format!("resources: [../base]\nnamespace: {env}\n"),
        );
    }
    git(&repo.0, &["add", "-A"]);
    git(&repo.0, &["commit", "-qm", "one"]);
    let cache_dir = repo.0.join(".cache");
    let cached = BuildAllOptions {
        cache: Some(trueup_core::kustomize::RenderCache::new(&cache_dir)),
        ..BuildAllOptions::default()
    };
    let at = |rev: &str, options: &BuildAllOptions| -> Vec<(String, String)> {
        trueup_core::git::build_all_path(&repo.0.join("apps"), Some(rev), None, options)
            .expect("renders")
            .into_iter()
            .map(|r| (r.path, r.result.expect("overlay renders").to_yaml()))
            .collect()
    };
    let fresh = BuildAllOptions::default();
    let one = outputs(&repo.0.join("apps"), &fresh);
    assert_eq!(one.len(), 2);
    // As a checkout renders, cold and warm.
    assert_eq!(at("HEAD", &fresh), one);
    assert_eq!(at("HEAD", &cached), one);
    assert_eq!(at("HEAD", &cached), one);
    // The entries hold blob ids: asking costs no read of a blob.
    let blob = git(&repo.0, &["rev-parse", "HEAD:apps/base/cm.yaml"]);
    let entries: Vec<String> = std::fs::read_dir(&cache_dir)
        .expect("cache written")
        .map(|e| std::fs::read_to_string(e.expect("entry").path()).expect("reads"))
        .collect();
    assert_eq!(entries.len(), 2);
    assert!(
        entries
            .iter()
            .all(|e| e.contains(&format!("git-blob:{blob}")))
    );

    // An edit in the working tree is not the revision.
    write(&repo.0, "apps/base/cm.yaml", &cm("debug"));
    assert_eq!(at("HEAD", &cached), one);
    // Committed, it is: the new revision misses, the old one still hits.
    git(&repo.0, &["commit", "-qam", "two"]);
    let two = outputs(&repo.0.join("apps"), &fresh);
    assert_ne!(two, one);
    assert_eq!(at("HEAD", &cached), two);
    assert_eq!(at("HEAD~1", &cached), one);
    assert_eq!(at("HEAD", &fresh), two);

    // The CLI: one file per overlay, as of the revision.
    let out = repo.0.join(".out");
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_trueup"))
        .args(["build", "--all", "apps", "--rev", "HEAD~1", "--out"])
        .arg(&out)
        .arg("--render-cache")
        .arg(&cache_dir)
        .current_dir(&repo.0)
        .output()
        .expect("runs");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    for (path, yaml) in &one {
        let file = out.join(trueup_core::kustomize::output_file_name(path, "yaml"));
        assert_eq!(&std::fs::read_to_string(file).expect("written"), yaml);
    }

    // A root that is not a folder at the revision, and changed-since (a
    // comparison of the disk with a revision), are refused.
    let err = trueup_core::git::build_all_path(&repo.0.join("nothere"), Some("HEAD"), None, &fresh)
        .expect_err("no such folder");
    assert!(err.to_string().contains("nothere"), "{err}");
    let since = BuildAllOptions {
        changed_since: Some("HEAD".into()),
        ..BuildAllOptions::default()
    };
    assert!(trueup_core::git::build_all_path(&repo.0, Some("HEAD"), None, &since).is_err());
}

#[test]
fn overlays_sharing_a_base_render_as_each_alone() {
    // A base rendered once for the run must give every overlay what its
    // own render gives: with origin annotations, name prefixes, a
    // component and a nested base in between.
    let scratch = scratch("shared-base");
    let root = scratch.0.join("repo");
    let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  a: \"1\"\n";
    let deploy = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n      - name: web\n        image: web:1\n        envFrom:\n        - configMapRef:\n            name: settings\n";
    write(
        &root.join("base/kustomization.yaml"),
        "resources: [cm.yaml, deploy.yaml]\nnamePrefix: base-\n",
    );
    write(&root.join("base/cm.yaml"), cm);
    write(&root.join("base/deploy.yaml"), deploy);
    write(
        &root.join("mid/kustomization.yaml"),
        "resources: [../base]\ncommonLabels:\n  tier: mid\n",
    );
    write(
        &root.join("comp/kustomization.yaml"),
        "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nimages:\n- name: web\n  newTag: \"2\"\n",
    );
    let overlays = [
        ("dev", "resources: [../base]\nnamespace: dev\n"),
        (
            "prod",
            "resources: [../base]\nbuildMetadata: [originAnnotations]\n",
        ),
        (
            "staging",
            "resources: [../mid]\ncomponents: [../comp]\nnameSuffix: -s\n",
        ),
        ("qa", "resources: [../mid, ../base]\nnamePrefix: qa-\n"),
        ("perf", "resources: [../mid]\nnamespace: perf\n"),
    ];
    for (name, text) in overlays {
        write(&root.join(name).join("kustomization.yaml"), text);
    }
    for jobs in [1, 2] {
        let options = BuildAllOptions {
            jobs: Some(jobs),
            ..BuildAllOptions::default()
        };
        let results = build_all(&root, &options).expect("walks");
        assert_eq!(results.len(), overlays.len());
        // `qa` takes the base twice (an id conflict); the others render.
        let rendered = results.iter().filter(|r| r.result.is_ok()).count();
        assert_eq!(rendered, overlays.len() - 1);
        for overlay in results {
            let alone = build(root.join(&overlay.path)).map(|s| s.to_yaml());
            let all = overlay.result.map(|s| s.to_yaml());
            match (all, alone) {
                (Ok(all), Ok(one)) => assert_eq!(all, one, "{}", overlay.path),
                (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
                (all, one) => panic!("{}: {all:?} vs {one:?}", overlay.path),
            }
        }
    }
}

/// A scratch folder, removed when dropped.
struct Scratch(std::path::PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn scratch(name: &str) -> Scratch {
    let dir = std::env::temp_dir().join(format!("trueup-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch folder");
    Scratch(dir)
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

fn outputs(root: &Path, options: &BuildAllOptions) -> Vec<(String, String)> {
    build_all(root, options)
        .expect("walks")
        .into_iter()
        .map(|r| {
            (
                r.path,
                r.result
                    .map_or_else(|e| format!("error: {e}"), |s| s.to_yaml()),
            )
        })
        .collect()
}

#[test]
fn the_render_cache_gives_what_a_render_gives_and_notices_every_change() {
    let scratch = scratch("render-cache");
    let repo = scratch.0.join("repo");
    let cache_dir = scratch.0.join("cache");
    let cm = |value: &str| {
        format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  level: {value}\n"
        )
    };
    write(
        &repo.join("base/kustomization.yaml"),
        "resources: [cm.yaml]\n",
    );
    write(&repo.join("base/cm.yaml"), &cm("info"));
    write(
        &repo.join("prod/kustomization.yaml"),
        "resources: [../base]\nnamespace: prod\n",
    );
    write(
        &repo.join("dev/kustomization.yaml"),
        "resources: [../base]\nnamespace: dev\nnamePrefix: dev-\n",
    );
    let cached = BuildAllOptions {
        cache: Some(trueup_core::kustomize::RenderCache::new(&cache_dir)),
        jobs: Some(2),
        ..BuildAllOptions::default()
    };
    let fresh = BuildAllOptions::default();

    // A cold cache, then a warm one: both as rendered, and entries written.
    assert_eq!(outputs(&repo, &cached), outputs(&repo, &fresh));
    let entries = std::fs::read_dir(&cache_dir)
        .expect("cache written")
        .count();
    assert_eq!(entries, 2);
    assert_eq!(outputs(&repo, &cached), outputs(&repo, &fresh));

    // A base file edited: both overlays change.
    write(&repo.join("base/cm.yaml"), &cm("debug"));
    let after = outputs(&repo, &cached);
    assert_eq!(after, outputs(&repo, &fresh));
    assert!(after.iter().all(|(_, yaml)| yaml.contains("level: debug")));

    // A file that was looked for and missing appears: kustomize reads
    // `Kustomization` only when `kustomization.yaml` is absent, so replacing
    // the file name changes what is read.
    std::fs::remove_file(repo.join("prod/kustomization.yaml")).expect("remove");
    write(
        &repo.join("prod/kustomization.yml"),
        "resources: [../base]\nnamespace: other\n",
    );
    let after = outputs(&repo, &cached);
    assert_eq!(after, outputs(&repo, &fresh));
    assert!(
        after
            .iter()
            .any(|(_, yaml)| yaml.contains("namespace: other"))
    );

    // A broken overlay is reported, never cached.
    write(
        &repo.join("dev/kustomization.yaml"),
        "resources: [missing.yaml]\n",
    );
    let broken = outputs(&repo, &cached);
    assert!(broken.iter().any(|(_, out)| out.starts_with("error: ")));
    assert_eq!(broken, outputs(&repo, &fresh));

    // A corrupt entry is a miss, not a failure.
    for entry in std::fs::read_dir(&cache_dir).expect("entries") {
        std::fs::write(entry.expect("entry").path(), "{not json").expect("corrupt");
    }
    assert_eq!(outputs(&repo, &cached), outputs(&repo, &fresh));
}

#[test]
fn cached_renders_print_back_to_the_same_bytes() {
    // A cache hit reads back the values it kept: every conformance case's
    // render must print the same after that round trip.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance");
    let mut checked = 0;
    for case in std::fs::read_dir(&root).expect("cases") {
        let dir = case.expect("case").path();
        let Ok(set) = build(&dir) else {
            continue;
        };
        let kept = trueup_core::kustomize::kept_round_trip(&set).expect("reads back");
        assert_eq!(kept.to_yaml(), set.to_yaml(), "{}", dir.display());
        checked += 1;
    }
    assert!(checked > 150, "{checked}");
}

#[test]
fn render_all_of_the_conformance_cases_matches_each_build() {
    // Every conformance case rendered by render-all (in parallel, in
    // chunks) renders as a build of its own folder does.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance");
    let results = build_all(
        &root,
        &BuildAllOptions {
            jobs: Some(2),
            ..BuildAllOptions::default()
        },
    )
    .expect("walks");
    assert!(results.len() > 200, "{}", results.len());
    for overlay in results {
        let alone = build(root.join(&overlay.path));
        match (overlay.result, alone) {
            (Ok(all), Ok(one)) => assert_eq!(all.to_yaml(), one.to_yaml(), "{}", overlay.path),
            (Err(_), Err(_)) => {}
            (all, one) => panic!(
                "{}: {:?} vs {:?}",
                overlay.path,
                all.map(|s| s.len()),
                one.map(|s| s.len())
            ),
        }
    }
}
