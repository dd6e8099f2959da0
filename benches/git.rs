//! Git operations on a generated repository: the 300 overlays of
//! benches/bench_repo.rs in a first commit, then commits that each bump the
//! image tag of one overlay, written with `git fast-import` and repacked.
//! Measured in-process: the history of one environment (packed objects
//! only, then with a commit-graph holding changed-path filters) and
//! rendering an overlay at an old commit. The comparison with the git CLI
//! (whole processes, 10,000 commits) is `benches/git_compare.py`.

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

use criterion::{Criterion, criterion_group, criterion_main};
use trueup_core::git::{HistoryOptions, Repo};

#[path = "bench_repo.rs"]
mod bench_repo;

const COMMITS: usize = 3_000;
const ENVIRONMENT: &str = "apps/svc-042/overlays/prod";

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .status()
        .expect("git runs");
    assert!(status.success(), "git {args:?}");
}

/// Writes the repository into `dir` with `git fast-import` (one commit a
/// minute; overlays chosen by a fixed linear congruential sequence).
fn make_repo(dir: &Path) {
    let files_dir = dir.join("files");
    let overlays = bench_repo::write_repo(&files_dir, 100).expect("writes the overlays");
    let mut files = std::collections::BTreeMap::new();
    let mut pending = vec![files_dir.clone()];
    while let Some(folder) = pending.pop() {
        for entry in std::fs::read_dir(&folder).expect("reads") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let name = path.strip_prefix(&files_dir).expect("inside");
                let name = name.to_string_lossy().replace('\\', "/");
                files.insert(name, std::fs::read_to_string(&path).expect("reads"));
            }
        }
    }
    let repo = dir.join("repo");
    std::fs::create_dir_all(&repo).expect("creates");
    git(&repo, &["init", "-q", "-b", "main"]);
    let mut stream = Vec::new();
    let commit = |stream: &mut Vec<u8>, n: usize, message: &str, changes: &[(&str, &str)]| {
        let who = format!("Bench <bench@example.com> {} +0000", 1_700_000_000 + n * 60);
        let _ = write!(
            stream,
            "commit refs/heads/main\nauthor {who}\ncommitter {who}\ndata {}\n{message}\n",
            message.len()
        );
        for (path, text) in changes {
            let _ = write!(
                stream,
                "M 100644 inline {path}\ndata {}\n{text}\n",
                text.len()
            );
        }
    };
    let all: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    commit(&mut stream, 0, "Add 300 overlays", &all);
    let mut seed = 7u64;
    for n in 1..COMMITS {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        let overlay = &overlays[(seed >> 33) as usize % overlays.len()];
        let path = format!("{overlay}/kustomization.yaml");
        let text = match files[&path].contains("newTag: \"") {
            true => files[&path].replacen("newTag: \"", &format!("newTag: \"{n}."), 1),
            false => format!("{}# {n}\n", files[&path]),
        };
        files.insert(path.clone(), text.clone());
        commit(
            &mut stream,
            n,
            &format!("Bump {overlay} to {n}"),
            &[(&path, &text)],
        );
    }
    let mut import = Command::new("git")
        .args(["fast-import", "--quiet"])
        .current_dir(&repo)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .stdin(Stdio::piped())
        .spawn()
        .expect("git fast-import runs");
    import
        .stdin
        .take()
        .expect("a stdin")
        .write_all(&stream)
        .expect("writes the stream");
    assert!(import.wait().expect("waits").success());
    git(&repo, &["repack", "-adfq"]);
}

/// The history of [`ENVIRONMENT`], checked to list `expected` commits.
fn bench_history(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
    repo: &Repo,
    expected: usize,
) {
    group.bench_function(name, |b| {
        b.iter(|| {
            let history = repo
                .history(ENVIRONMENT, &HistoryOptions::default())
                .expect("history");
            assert_eq!(history.len(), expected);
            history
        })
    });
}

fn git_benches(c: &mut Criterion) {
    let dir = std::env::temp_dir().join(format!("trueup-bench-git-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    make_repo(&dir);
    let repo_dir = dir.join("repo");
    let repo = Repo::open(&repo_dir).expect("opens");
    let expected = repo
        .history(ENVIRONMENT, &HistoryOptions::default())
        .expect("history")
        .len();
    assert!(expected > 5);

    let mut group = c.benchmark_group("git_3000_commits");
    group.sample_size(20);
    bench_history(&mut group, "history_one_environment", &repo, expected);
    let old = repo.resolve("HEAD~2500").expect("resolves");
    group.bench_function("build_at_old_commit", |b| {
        b.iter(|| {
            repo.build(ENVIRONMENT, &old, &Default::default())
                .expect("renders")
                .to_yaml()
        })
    });
    git(
        &repo_dir,
        &["commit-graph", "write", "--reachable", "--changed-paths"],
    );
    let repo = Repo::open(&repo_dir).expect("opens");
    bench_history(
        &mut group,
        "history_one_environment_changed_path_filters",
        &repo,
        expected,
    );
    group.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, git_benches);
criterion_main!(benches);
