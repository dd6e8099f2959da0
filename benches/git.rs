//! Git operations on the generated repository of benches/git_repo.rs.
//! Measured in-process: the history of one environment (packed objects
//! only, then with a commit-graph holding changed-path filters) and
//! rendering an overlay at an old commit. The comparison with the git CLI
//! (whole processes, 10,000 commits) is `benches/git_compare.py`.

use criterion::{Criterion, criterion_group, criterion_main};
use trueup_core::git::{HistoryOptions, Repo};

#[path = "git_repo.rs"]
mod git_repo;

const COMMITS: usize = 3_000;
const ENVIRONMENT: &str = "apps/svc-042/overlays/prod";

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
    let (repo_dir, _) = git_repo::make_repo(&dir, COMMITS);
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
    git_repo::git(
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
