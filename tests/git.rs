//! Git as the source of truth: real repositories built with the git CLI in
//! temporary folders, every operation checked against what `git` reports
//! (rev-parse, log -- PATH, ls-tree, show, diff), including merges, renames,
//! a deleted environment and a bare clone.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use trueup_core::git::{CommitRequest, FileChange, HistoryOptions, Repo, Rollback, WriteOptions};

/// A scratch repository driven by the git CLI, with commit dates that
/// increase by a minute per commit (so that `git log` order is total).
struct Scratch {
    dir: PathBuf,
    clock: AtomicUsize,
}

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("trueup-git-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("creates the folder");
        let s = Scratch {
            dir,
            clock: AtomicUsize::new(0),
        };
        s.git(&["init", "-q", "-b", "main"]);
        s.git(&["config", "user.name", "Test Author"]);
        s.git(&["config", "user.email", "author@example.com"]);
        s
    }

    fn git(&self, args: &[&str]) -> String {
        self.git_in(&self.dir, args)
    }

    fn git_in(&self, dir: &Path, args: &[&str]) -> String {
        let tick = self.clock.fetch_add(1, Ordering::SeqCst);
        let date = format!("{} +0100", 1_790_000_000 + tick * 60);
        let out = Command::new("git")
            .args(args)
            .current_dir(dir)
            .env("GIT_AUTHOR_DATE", &date)
            .env("GIT_COMMITTER_DATE", &date)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("HOME", &self.dir)
            .output()
            .expect("git runs");
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout)
            .expect("UTF-8")
            .trim_end()
            .to_owned()
    }

    fn write(&self, path: &str, text: &str) {
        let file = self.dir.join(path);
        std::fs::create_dir_all(file.parent().expect("a parent")).expect("creates folders");
        std::fs::write(file, text).expect("writes");
    }

    fn commit(&self, message: &str) -> String {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "-m", message]);
        self.git(&["rev-parse", "HEAD"])
    }

    fn repo(&self) -> Repo {
        Repo::open(&self.dir).expect("opens")
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn deployment(name: &str, image: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\nspec:\n  replicas: 1\n  template:\n    spec:\n      containers:\n      - name: app\n        image: {image}\n"
    )
}

/// A GitOps repository: a base and staging/prod overlays, with history
/// that includes a merge, a rename and a deleted environment.
fn gitops_repo(name: &str) -> (Scratch, Vec<String>) {
    let s = Scratch::new(name);
    let mut commits = Vec::new();
    s.write(
        "apps/web/base/deployment.yaml",
        &deployment("web", "web:1.0"),
    );
    s.write(
        "apps/web/base/kustomization.yaml",
        "resources:\n- deployment.yaml\n",
    );
    for env in ["staging", "prod"] {
        s.write(
            &format!("apps/web/overlays/{env}/kustomization.yaml"),
            &format!("resources:\n- ../../base\nnamespace: web-{env}\nnamePrefix: {env}-\n"),
        );
    }
    s.write("README.md", "apps\n");
    commits.push(s.commit("Add web"));
    s.write(
        "apps/web/overlays/prod/kustomization.yaml",
        "resources:\n- ../../base\nnamespace: web-prod\nnamePrefix: prod-\nimages:\n- name: web\n  newTag: \"1.1\"\n",
    );
    commits.push(s.commit("Promote web 1.1 to prod"));
    s.write("README.md", "apps and docs\n");
    commits.push(s.commit("Docs only"));
    // A branch that changes staging, merged with --no-ff, while main changes prod.
    s.git(&["checkout", "-q", "-b", "feature"]);
    s.write(
        "apps/web/overlays/staging/kustomization.yaml",
        "resources:\n- ../../base\nnamespace: web-staging\nnamePrefix: staging-\nreplicas:\n- name: web\n  count: 2\n",
    );
    commits.push(s.commit("Scale staging"));
    s.git(&["checkout", "-q", "main"]);
    s.write(
        "apps/web/overlays/prod/kustomization.yaml",
        "resources:\n- ../../base\nnamespace: web-prod\nnamePrefix: prod-\nimages:\n- name: web\n  newTag: \"1.2\"\n",
    );
    commits.push(s.commit("Promote web 1.2 to prod"));
    s.git(&["merge", "-q", "--no-ff", "-m", "Merge feature", "feature"]);
    commits.push(s.git(&["rev-parse", "HEAD"]));
    // A rename inside prod, then an environment deleted.
    s.git(&[
        "mv",
        "apps/web/base/deployment.yaml",
        "apps/web/base/web.yaml",
    ]);
    s.write(
        "apps/web/base/kustomization.yaml",
        "resources:\n- web.yaml\n",
    );
    commits.push(s.commit("Rename the base file"));
    s.write(
        "apps/web/overlays/qa/kustomization.yaml",
        "resources:\n- ../../base\nnamespace: web-qa\n",
    );
    commits.push(s.commit("Add qa"));
    s.git(&["rm", "-q", "-r", "apps/web/overlays/qa"]);
    commits.push(s.commit("Delete qa"));
    s.git(&["tag", "-a", "-m", "release 1", "v1"]);
    s.git(&["tag", "light", "HEAD~2"]);
    (s, commits)
}

#[test]
fn revisions_resolve_as_git_rev_parse_does() {
    let (s, commits) = gitops_repo("resolve");
    let repo = s.repo();
    for rev in [
        "HEAD", "HEAD~2", "main", "feature", "v1", "light", "HEAD~3^2", "HEAD~3^1",
    ] {
        let expected = s.git(&["rev-parse", &format!("{rev}^{{commit}}")]);
        assert_eq!(repo.resolve(rev).expect(rev), expected, "{rev}");
    }
    let short = &commits[1][..9];
    assert_eq!(repo.resolve(short).expect("short id"), commits[1]);
    let err = repo.resolve("no-such-branch").unwrap_err();
    assert!(
        err.to_string()
            .contains("unknown revision \"no-such-branch\""),
        "{err}"
    );
    assert_eq!(err.kind().code(), "E_GIT");
    let err = Repo::open(std::env::temp_dir().join("trueup-not-a-repo-xyz")).unwrap_err();
    assert!(err.to_string().contains("not a Git repository"), "{err}");
}

#[test]
fn a_revision_lists_the_files_git_ls_tree_lists() {
    let (s, commits) = gitops_repo("ls-tree");
    let repo = s.repo();
    for commit in &commits {
        let source = repo.tree_source(commit).expect("reads the tree");
        let expected = s.git(&["ls-tree", "-r", "--name-only", commit]);
        let expected: Vec<&str> = expected.lines().collect();
        assert_eq!(source.paths().expect("lists"), expected, "{commit}");
        use trueup_core::Source as _;
        for path in &expected {
            let bytes = source.read(path).expect("reads");
            assert_eq!(
                String::from_utf8(bytes).expect("UTF-8").trim_end(),
                s.git(&["show", &format!("{commit}:{path}")]),
                "{path}"
            );
        }
    }
}

#[test]
fn rendering_a_revision_equals_rendering_its_checkout_also_from_a_bare_clone() {
    let (s, commits) = gitops_repo("build");
    let repo = s.repo();
    let bare_dir = s.dir.join("bare.git");
    s.git(&[
        "clone",
        "-q",
        "--bare",
        ".",
        bare_dir.to_str().expect("UTF-8"),
    ]);
    let bare = Repo::open(&bare_dir).expect("opens the bare clone");
    // The working tree is dirty: it must not matter.
    s.write("apps/web/overlays/prod/kustomization.yaml", "garbage: [\n");
    for (i, commit) in commits.iter().enumerate() {
        let checkout = s.dir.join(format!("wt-{i}"));
        s.git(&[
            "worktree",
            "add",
            "-q",
            "--detach",
            checkout.to_str().expect("UTF-8"),
            commit,
        ]);
        for env in ["staging", "prod"] {
            let path = format!("apps/web/overlays/{env}");
            let expected = trueup_core::build(checkout.join(&path)).expect("renders the checkout");
            let from_git = repo
                .build(&path, commit, &Default::default())
                .expect("renders the revision");
            assert_eq!(from_git.to_yaml(), expected.to_yaml(), "{env} at {commit}");
            let from_bare = bare
                .build(&path, commit, &Default::default())
                .expect("renders from bare");
            assert_eq!(from_bare.to_yaml(), expected.to_yaml());
        }
        s.git(&[
            "worktree",
            "remove",
            "--force",
            checkout.to_str().expect("UTF-8"),
        ]);
    }
    let err = repo
        .build("apps/web/overlays/qa", "HEAD", &Default::default())
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("apps/web/overlays/qa is not in the tree of HEAD"),
        "{err}"
    );
}

#[test]
fn history_lists_what_git_log_lists() {
    let (s, _) = gitops_repo("history");
    assert_history_as_git_log(&s);
}

/// With a commit-graph and changed-path filters (as `git gc` or
/// `git maintenance` leave them), and with commits newer than the graph,
/// the history is still exactly git's.
#[test]
fn history_with_a_commit_graph_lists_what_git_log_lists() {
    let (s, _) = gitops_repo("history-graph");
    s.git(&["commit-graph", "write", "--reachable", "--changed-paths"]);
    assert_history_as_git_log(&s);
    s.write(
        "apps/web/overlays/prod/kustomization.yaml",
        "resources:\n- ../../base\nnamespace: web-prod\nnamePrefix: prod-\n",
    );
    s.commit("Newer than the graph");
    s.write("README.md", "more docs\n");
    s.commit("Docs, newer than the graph");
    assert_history_as_git_log(&s);
    // A graph without filters, and one git is told not to read.
    s.git(&["commit-graph", "write", "--reachable", "--no-changed-paths"]);
    assert_history_as_git_log(&s);
    s.git(&["config", "core.commitGraph", "false"]);
    assert_history_as_git_log(&s);
}

/// Checks `history` against `git log -- PATH` for paths of `gitops_repo`:
/// ids, files, subject, author, time; with a maximum and since a revision.
fn assert_history_as_git_log(s: &Scratch) {
    let repo = s.repo();
    for path in [
        "apps/web/overlays/prod",
        "apps/web/overlays/staging",
        "apps/web/overlays/qa",
        "apps/web/base",
        "apps/web/base/web.yaml",
        "README.md",
        "",
    ] {
        let args = [
            "log",
            "--format=%H",
            "--",
            if path.is_empty() { "." } else { path },
        ];
        let expected = s.git(&args);
        let expected: Vec<&str> = expected.lines().collect();
        let history = repo
            .history(path, &HistoryOptions::default())
            .expect("history");
        let ids: Vec<&str> = history.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, expected, "git log -- {path}");
        for c in &history {
            let first_parent = format!("{}^1", c.id);
            let files = if s
                .git(&["rev-list", "--parents", "-n1", &c.id])
                .split(' ')
                .count()
                > 1
            {
                s.git(&[
                    "diff",
                    "--no-renames",
                    "--name-only",
                    &first_parent,
                    &c.id,
                    "--",
                    if path.is_empty() { "." } else { path },
                ])
            } else {
                // trueup lists a rename as the deleted and the added file.
                s.git(&[
                    "show",
                    "--no-renames",
                    "--name-only",
                    "--format=",
                    &c.id,
                    "--",
                    if path.is_empty() { "." } else { path },
                ])
            };
            let mut files: Vec<&str> = files.lines().collect();
            files.sort_unstable();
            assert_eq!(c.files, files, "files of {} under {path}", c.id);
            assert_eq!(c.subject, s.git(&["log", "-1", "--format=%s", &c.id]));
            assert_eq!(c.author, "Test Author");
            assert_eq!(c.time, s.git(&["log", "-1", "--format=%aI", &c.id]));
        }
    }
    let limited = repo
        .history(
            "apps/web/overlays/prod",
            &HistoryOptions {
                max: Some(2),
                ..Default::default()
            },
        )
        .expect("history");
    assert_eq!(limited.len(), 2);
    let since = repo
        .history(
            "apps/web",
            &HistoryOptions {
                since: Some("HEAD~4".into()),
                ..Default::default()
            },
        )
        .expect("history");
    let expected = s.git(&["log", "--format=%H", "HEAD~4..HEAD", "--", "apps/web"]);
    let ids: Vec<&str> = since.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, expected.lines().collect::<Vec<_>>());
}

#[test]
fn revisions_compare_as_a_promotion_changes_them() {
    let (s, commits) = gitops_repo("compare");
    let repo = s.repo();
    let delta = repo
        .diff_revisions(
            "apps/web/overlays/prod",
            &commits[1],
            &commits[4],
            &Default::default(),
        )
        .expect("compares");
    assert_eq!(delta.summary.changed, 1);
    let change = &delta.resources[0].changes[0];
    assert_eq!(change.path, "spec.template.spec.containers[name=app].image");
    assert_eq!(change.from, Some("web:1.1".into()));
    assert_eq!(change.to, Some("web:1.2".into()));
    let added = repo
        .diff_revisions(
            "apps/web/overlays/qa",
            &commits[6],
            &commits[7],
            &Default::default(),
        )
        .expect("compares");
    assert_eq!(added.summary.added, 1);
    let removed = repo
        .diff_revisions(
            "apps/web/overlays/qa",
            "HEAD~1",
            "HEAD",
            &Default::default(),
        )
        .expect("compares");
    assert_eq!(removed.summary.removed, 1);
    let _ = s;
}

#[test]
fn commits_write_objects_and_move_the_branch_without_touching_the_worktree() {
    let (s, _) = gitops_repo("commit");
    let repo = s.repo();
    s.write("untracked.txt", "mine\n");
    let status_before = s.git(&["status", "--porcelain"]);
    let parent = s.git(&["rev-parse", "main"]);
    let id = repo
        .commit(&CommitRequest {
            branch: "main".into(),
            parent: Some(parent.clone()),
            changes: vec![
                FileChange {
                    path: "apps/web/overlays/prod/release.yaml".into(),
                    content: Some(b"digest: sha256:abc\n".to_vec()),
                },
                FileChange {
                    path: "README.md".into(),
                    content: Some(b"changed\n".to_vec()),
                },
                FileChange {
                    path: "apps/web/overlays/staging/kustomization.yaml".into(),
                    content: None,
                },
            ],
            message: "Promote web\n\nBy trueup.".into(),
            options: WriteOptions {
                author: Some(trueup_core::git::Signature {
                    name: "Release Bot".into(),
                    email: "bot@example.com".into(),
                    time: Some(1_800_000_000),
                }),
                committer: None,
            },
        })
        .expect("commits");
    assert_eq!(s.git(&["rev-parse", "main"]), id);
    assert_eq!(s.git(&["rev-parse", &format!("{id}^")]), parent);
    assert_eq!(
        s.git(&["show", "--name-status", "--format=", &id]),
        "M\tREADME.md\nA\tapps/web/overlays/prod/release.yaml\nD\tapps/web/overlays/staging/kustomization.yaml"
    );
    assert_eq!(
        s.git(&["show", &format!("{id}:apps/web/overlays/prod/release.yaml")]),
        "digest: sha256:abc"
    );
    assert_eq!(
        s.git(&["log", "-1", "--format=%an <%ae> %at %s", &id]),
        "Release Bot <bot@example.com> 1800000000 Promote web"
    );
    // Nothing on disk changed: only the branch moved.
    assert_eq!(
        std::fs::read_to_string(s.dir.join("README.md")).expect("reads"),
        "apps and docs\n"
    );
    assert!(status_before.contains("untracked.txt"));
    // The working tree now differs from HEAD exactly by what the commit changed.
    let status = s.git(&["status", "--porcelain"]);
    assert!(
        status.contains(" M README.md")
            || status.contains("M  README.md")
            || status.contains("MM README.md")
            || status.contains(" M README.md"),
        "{status}"
    );
    // A new branch from a given parent.
    let pr = repo
        .commit(&CommitRequest {
            branch: "promote/web-1.3".into(),
            parent: Some(parent.clone()),
            changes: vec![FileChange {
                path: "NOTES".into(),
                content: Some(b"x\n".to_vec()),
            }],
            message: "PR".into(),
            options: WriteOptions::default(),
        })
        .expect("creates the branch");
    assert_eq!(s.git(&["rev-parse", "promote/web-1.3"]), pr);
    assert_eq!(s.git(&["log", "-1", "--format=%an", &pr]), "Test Author");
}

#[test]
fn two_writers_from_one_parent_exactly_one_wins_and_no_commit_is_lost() {
    let (s, _) = gitops_repo("race");
    let parent = s.git(&["rev-parse", "main"]);
    let dir = s.dir.clone();
    let results: Vec<Result<String, trueup_core::Error>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..2)
            .map(|i| {
                let (dir, parent) = (dir.clone(), parent.clone());
                scope.spawn(move || {
                    Repo::open(&dir).expect("opens").commit(&CommitRequest {
                        branch: "main".into(),
                        parent: Some(parent),
                        changes: vec![FileChange {
                            path: format!("writer-{i}.txt"),
                            content: Some(b"hi\n".to_vec()),
                        }],
                        message: format!("writer {i}"),
                        options: WriteOptions::default(),
                    })
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("joins"))
            .collect()
    });
    let wins: Vec<&String> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    let losses: Vec<&trueup_core::Error> =
        results.iter().filter_map(|r| r.as_ref().err()).collect();
    assert_eq!(wins.len(), 1, "{results:?}");
    assert_eq!(losses.len(), 1);
    assert!(
        matches!(losses[0], trueup_core::Error::BranchMoved { .. }),
        "{}",
        losses[0]
    );
    assert_eq!(losses[0].kind().code(), "E_BRANCH_MOVED");
    assert_eq!(&s.git(&["rev-parse", "main"]), wins[0]);
    // The loser retries on the new tip; both commits are on the branch.
    let repo = s.repo();
    let retry = repo
        .commit(&CommitRequest {
            branch: "main".into(),
            parent: Some(wins[0].clone()),
            changes: vec![FileChange {
                path: "writer-late.txt".into(),
                content: Some(b"hi\n".to_vec()),
            }],
            message: "late writer".into(),
            options: WriteOptions::default(),
        })
        .expect("retries");
    let log = s.git(&["log", "--format=%H", &format!("{parent}..main")]);
    assert_eq!(
        log.lines().collect::<Vec<_>>(),
        [retry.as_str(), wins[0].as_str()]
    );
    // A stale parent is refused before anything is written to the branch.
    let stale = repo
        .commit(&CommitRequest {
            branch: "main".into(),
            parent: Some(parent.clone()),
            changes: vec![],
            message: "stale".into(),
            options: WriteOptions::default(),
        })
        .unwrap_err();
    assert!(
        stale.to_string().starts_with("branch moved: main is at"),
        "{stale}"
    );
}

#[test]
fn rollback_restores_a_path_and_nothing_else() {
    let (s, commits) = gitops_repo("rollback");
    let repo = s.repo();
    let before = s.git(&["rev-parse", "main"]);
    let outcome = repo
        .restore(
            "apps/web/overlays/prod",
            &commits[1],
            None,
            &WriteOptions::default(),
        )
        .expect("rolls back");
    let id = outcome.commit.clone().expect("a commit");
    assert_eq!(s.git(&["rev-parse", "main"]), id);
    // main is checked out: the outcome says how to update the working tree.
    assert_eq!(outcome.branch, "refs/heads/main");
    assert!(outcome.checked_out);
    assert!(
        outcome.message.starts_with(&format!(
            "committed {} on main: apps/web/overlays/prod restored",
            &id[..12]
        )) && outcome
            .message
            .contains("git restore --source=HEAD --staged --worktree -- apps/web/overlays/prod"),
        "{}",
        outcome.message
    );
    assert_eq!(
        s.git(&[
            "diff",
            "--name-only",
            &commits[1],
            &id,
            "--",
            "apps/web/overlays/prod"
        ]),
        ""
    );
    assert_eq!(
        s.git(&[
            "diff",
            "--name-only",
            &before,
            &id,
            "--",
            ".",
            ":!apps/web/overlays/prod"
        ]),
        ""
    );
    let message = s.git(&["log", "-1", "--format=%B", &id]);
    assert!(
        message.starts_with(&format!(
            "Roll back apps/web/overlays/prod to {}",
            &commits[1][..12]
        )),
        "{message}"
    );
    assert!(message.contains(&commits[1]));
    // Rendering prod now gives what it gave at that revision.
    assert_eq!(
        repo.build("apps/web/overlays/prod", "main", &Default::default())
            .expect("renders")
            .to_yaml(),
        repo.build("apps/web/overlays/prod", &commits[1], &Default::default())
            .expect("renders")
            .to_yaml()
    );
    // Again: nothing to do is not an error, and nothing is committed.
    let again = repo
        .restore(
            "apps/web/overlays/prod",
            &commits[1],
            None,
            &WriteOptions::default(),
        )
        .expect("a no-op");
    assert_eq!((again.commit, again.checked_out), (None, false));
    assert!(
        again.message.contains("already as it was"),
        "{}",
        again.message
    );
    assert_eq!(s.git(&["rev-parse", "main"]), id);
    // A deleted environment comes back.
    let qa = repo
        .rollback(
            "apps/web/overlays/qa",
            &Rollback::To(commits[7].clone()),
            Some("main"),
            &WriteOptions::default(),
        )
        .expect("restores qa")
        .commit
        .expect("a commit");
    assert_eq!(
        s.git(&[
            "ls-tree",
            "-r",
            "--name-only",
            &qa,
            "--",
            "apps/web/overlays/qa"
        ]),
        "apps/web/overlays/qa/kustomization.yaml"
    );
}

#[test]
fn revert_of_one_commit_limited_to_a_path_or_a_clear_conflict() {
    let (s, commits) = gitops_repo("revert");
    let repo = s.repo();
    // Reverting "Promote web 1.2" conflicts? No: prod still has 1.2. It applies.
    let id = repo
        .revert(
            "apps/web/overlays/prod",
            &commits[4],
            None,
            &WriteOptions::default(),
        )
        .expect("reverts")
        .commit
        .expect("a commit");
    assert_eq!(
        s.git(&[
            "show",
            &format!("{id}:apps/web/overlays/prod/kustomization.yaml")
        ]),
        s.git(&[
            "show",
            &format!("{}:apps/web/overlays/prod/kustomization.yaml", commits[1])
        ])
    );
    assert!(
        s.git(&["log", "-1", "--format=%s", &id])
            .starts_with("Revert \"Promote web 1.2 to prod\" in apps/web/overlays/prod")
    );
    // "Promote web 1.1" was overwritten by 1.2's commit (now reverted to 1.1): it
    // still applies. But after changing prod by hand, it conflicts.
    s.git(&["checkout", "-q", "-f", "main"]);
    s.write(
        "apps/web/overlays/prod/kustomization.yaml",
        "resources:\n- ../../base\nnamespace: web-prod\n",
    );
    s.commit("Hand edit");
    let err = repo
        .revert(
            "apps/web/overlays/prod",
            &commits[1],
            None,
            &WriteOptions::default(),
        )
        .unwrap_err();
    assert_eq!(err.kind().code(), "E_CONFLICT");
    assert!(
        err.to_string()
            .contains("apps/web/overlays/prod/kustomization.yaml"),
        "{err}"
    );
    let err = repo
        .revert(
            "apps/web/overlays/prod",
            &commits[2],
            None,
            &WriteOptions::default(),
        )
        .unwrap_err();
    assert!(err.to_string().contains("changed nothing under"), "{err}");
}

/// A revert merges line by line where the file changed since, exactly as
/// `git revert` does, and conflicts where `git revert` conflicts.
#[test]
fn revert_merges_later_changes_as_git_revert_does() {
    let s = Scratch::new("revert-merge");
    let file = "apps/web/overlays/prod/kustomization.yaml";
    let lines = |tag: &str, replicas: &str| {
        format!(
            "resources:\n- ../../base\nnamespace: web-prod\nimages:\n- name: web\n  newTag: \"{tag}\"\nlabels:\n- pairs:\n    team: web\n    tier: frontend\n    owner: platform\nreplicas:\n- name: web\n  count: {replicas}\n"
        )
    };
    s.write(file, &lines("1.0", "2"));
    s.write("README.md", "docs\n");
    s.commit("Add prod");
    s.write(file, &lines("1.1", "2"));
    let promote = s.commit("Promote 1.1");
    s.write(file, &lines("1.1", "5"));
    s.write("README.md", "more docs\n");
    let scale = s.commit("Scale prod");
    let repo = s.repo();
    let id = repo
        .revert(
            "apps/web/overlays/prod",
            &promote,
            None,
            &WriteOptions::default(),
        )
        .expect("merges the later scaling")
        .commit
        .expect("a commit");
    // git revert of the same commit, on a branch at the same tip.
    s.git(&["checkout", "-q", "-b", "by-git", &scale]);
    s.git(&["revert", "--no-edit", &promote]);
    assert_eq!(
        s.git(&["rev-parse", &format!("{id}:{file}")]),
        s.git(&["rev-parse", &format!("by-git:{file}")]),
    );
    assert!(
        s.git(&["show", &format!("{id}:{file}")])
            .contains("newTag: \"1.0\"")
    );
    assert!(
        s.git(&["show", &format!("{id}:{file}")])
            .contains("count: 5")
    );
    // Nothing outside the path moves (README's later change stays).
    assert_eq!(s.git(&["show", &format!("{id}:README.md")]), "more docs");

    // A later change to the same lines: git revert conflicts, and so do we.
    s.git(&["checkout", "-q", "main"]);
    s.write(file, &lines("1.2", "5"));
    let tip = s.commit("Promote 1.2");
    let err = repo
        .revert(
            "apps/web/overlays/prod",
            &promote,
            None,
            &WriteOptions::default(),
        )
        .unwrap_err();
    assert_eq!(err.kind().code(), "E_CONFLICT");
    assert!(err.to_string().contains(file), "{err}");
    assert_eq!(
        s.git(&["rev-parse", "main"]),
        tip,
        "the branch did not move"
    );
    s.git(&["checkout", "-q", "-b", "by-git-2", &tip]);
    let by_git = Command::new("git")
        .args(["revert", "--no-edit", &promote])
        .current_dir(&s.dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", &s.dir)
        .output()
        .expect("git runs");
    assert!(!by_git.status.success(), "git revert conflicts too");
    s.git(&["revert", "--abort"]);
}

fn cli(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_trueup"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the CLI runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).expect("UTF-8"),
        String::from_utf8(out.stderr).expect("UTF-8"),
    )
}

#[test]
fn cli_history_build_diff_and_rollback() {
    let (s, commits) = gitops_repo("cli");
    let prod = "apps/web/overlays/prod";
    // From a subfolder, --repo defaults to the repository around it.
    let sub = s.dir.join("apps/web");
    let (code, out, err) = cli(&sub, &["history", "overlays/prod", "-o", "json"]);
    assert_eq!(code, 0, "{err}");
    let log: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    let ids: Vec<&str> = log
        .as_array()
        .expect("a list")
        .iter()
        .map(|c| c["id"].as_str().expect("id"))
        .collect();
    assert_eq!(
        ids,
        s.git(&["log", "--format=%H", "--", prod])
            .lines()
            .collect::<Vec<_>>()
    );
    for key in ["id", "author", "time", "subject", "files"] {
        assert!(log[0].get(key).is_some(), "{key}");
    }
    let (code, out, _) = cli(&s.dir, &["build", prod, "--rev", &commits[1]]);
    assert_eq!(code, 0);
    assert!(out.contains("image: web:1.1"), "{out}");
    // Without a folder, --rev renders the current folder at that revision
    // (never the working tree).
    let (code, here, _) = cli(&s.dir.join(prod), &["build", "--rev", &commits[1]]);
    assert_eq!((code, &here), (0, &out));
    let (code, out, _) = cli(
        &s.dir,
        &[
            "diff",
            "--from-rev",
            &commits[1],
            "--to-rev",
            &commits[4],
            prod,
        ],
    );
    assert_eq!(code, 1);
    assert!(
        out.contains("spec.template.spec.containers[name=app].image: \"web:1.1\" -> \"web:1.2\""),
        "{out}"
    );
    let (code, _, _) = cli(
        &s.dir,
        &["diff", "--from-rev", "HEAD", "--to-rev", "HEAD", prod],
    );
    assert_eq!(code, 0);
    let (code, out, err) = cli(&s.dir, &["rollback", prod, "--to", &commits[1]]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.trim(), s.git(&["rev-parse", "main"]));
    assert!(
        err.contains("on main: apps/web/overlays/prod restored")
            && err.contains(
                "git restore --source=HEAD --staged --worktree -- apps/web/overlays/prod"
            ),
        "{err}"
    );
    // The same rollback again: nothing to do, exit 0, no commit id, a message.
    let (code, out, err) = cli(&s.dir, &["rollback", prod, "--to", &commits[1]]);
    assert_eq!((code, out.as_str()), (0, ""), "{err}");
    assert!(
        err.starts_with("nothing to commit: apps/web/overlays/prod is already as it was"),
        "{err}"
    );
    // From outside the repository, PATH finds it (not the current folder).
    let outside = std::env::temp_dir();
    let absolute = s.dir.join(prod);
    let (code, out, err) = cli(
        &outside,
        &["history", absolute.to_str().expect("UTF-8"), "-n", "1"],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with(&s.git(&["rev-parse", "--short=12", "main"])),
        "{out}"
    );
    let (code, _, err) = cli(&s.dir, &["history", prod, "--rev", "nope"]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown revision \"nope\""), "{err}");
    let outside = std::env::temp_dir();
    let (code, _, err) = cli(
        &outside,
        &["history", "x", "--repo", outside.to_str().expect("UTF-8")],
    );
    assert_eq!(code, 2);
    assert!(err.contains("not a Git repository"), "{err}");
}

/// Writes move branches only: a tag keeps no reflog, so moving one would
/// lose the release it marked.
#[test]
fn writes_never_move_a_tag() {
    let (s, commits) = gitops_repo("tag-guard");
    let tag_before = s.git(&["rev-parse", "refs/tags/v1"]);
    let err = s
        .repo()
        .restore(
            "apps/web/overlays/prod",
            &commits[1],
            Some("refs/tags/v1"),
            &WriteOptions::default(),
        )
        .expect_err("a tag is not a branch");
    assert!(err.to_string().contains("not a branch"), "{err}");
    assert_eq!(s.git(&["rev-parse", "refs/tags/v1"]), tag_before);
}

/// `git` with `input` on its standard input (`mktree`).
fn git_with_input(s: &Scratch, args: &[&str], input: &str) -> String {
    use std::io::Write;
    let mut child = Command::new("git")
        .args(args)
        .current_dir(&s.dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", &s.dir)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("git runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("writes");
    let out = child.wait_with_output().expect("git ends");
    assert!(out.status.success(), "git {args:?}");
    String::from_utf8(out.stdout)
        .expect("UTF-8")
        .trim()
        .to_owned()
}

/// A tree bomb: 168 bytes of trees that name one file 10^10 times, beside
/// an ordinary overlay. Rendering the overlay at that revision never looks
/// at the bomb, and a walk for overlays stops at its folder limit with an
/// error instead of growing without end.
#[test]
fn a_tree_bomb_costs_nothing_to_an_overlay_and_stops_a_walk() {
    let s = Scratch::new("tree-bomb");
    s.write("app/kustomization.yaml", "resources:\n- cm.yaml\n");
    s.write(
        "app/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n",
    );
    let first = s.commit("app");
    let blob = git_with_input(&s, &["hash-object", "-w", "--stdin"], "x\n");
    let mut tree = git_with_input(&s, &["mktree"], &format!("100644 blob {blob}\tf\n"));
    for _ in 0..10 {
        let entries: String = (0..10)
            .map(|i| format!("040000 tree {tree}\td{i}\n"))
            .collect();
        tree = git_with_input(&s, &["mktree"], &entries);
    }
    let root = s.git(&["ls-tree", "HEAD"]);
    let root = git_with_input(
        &s,
        &["mktree"],
        &format!("{root}\n040000 tree {tree}\tbomb\n"),
    );
    let bomb = s.git(&["commit-tree", &root, "-p", &first, "-m", "bomb"]);
    s.git(&["update-ref", "refs/heads/main", &bomb]);

    let started = std::time::Instant::now();
    let repo = s.repo();
    let set = repo
        .build("app", "main", &Default::default())
        .expect("the overlay renders at the bomb's revision");
    let ids: Vec<String> = set.iter().map(|r| r.id().to_string()).collect();
    assert_eq!(ids, ["/ConfigMap//app"]);
    let source = repo.tree_source("main").expect("the revision");
    let err = trueup_core::kustomize::find_overlays(&source, "").expect_err("the walk stops");
    assert!(err.to_string().contains("folders to look through"), "{err}");
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
}

/// Replaces the loose object `id` of `s`'s repository with bytes that do
/// not decompress.
fn damage_object(s: &Scratch, id: &str) {
    let path = s
        .dir
        .join(format!(".git/objects/{}/{}", &id[..2], &id[2..]));
    let mut perms = std::fs::metadata(&path)
        .expect("a loose object")
        .permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(&path, perms).expect("writable");
    std::fs::write(&path, b"not zlib").expect("damaged");
}

#[test]
fn a_damaged_object_is_an_error_naming_its_id_and_path_never_an_empty_folder() {
    let s = Scratch::new("damaged");
    s.write("app/kustomization.yaml", "resources:\n- cm.yaml\n");
    s.write(
        "app/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n",
    );
    s.commit("app");
    let tree = s.git(&["rev-parse", "HEAD:app"]);
    damage_object(&s, &tree);
    let repo = s.repo();
    let err = repo
        .build("app", "HEAD", &Default::default())
        .expect_err("a damaged tree is not an empty folder");
    let message = err.to_string();
    assert!(
        message.contains(&tree) && message.contains("(app)"),
        "{message}"
    );
    assert!(!message.contains("unable to find"), "{message}");

    let s = Scratch::new("damaged-blob");
    s.write("app/kustomization.yaml", "resources:\n- cm.yaml\n");
    s.write(
        "app/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n",
    );
    s.commit("app");
    let blob = s.git(&["rev-parse", "HEAD:app/cm.yaml"]);
    damage_object(&s, &blob);
    let err = s
        .repo()
        .build("app", "HEAD", &Default::default())
        .expect_err("a damaged blob");
    let message = err.to_string();
    assert!(
        message.contains(&blob) && message.contains("app/cm.yaml"),
        "{message}"
    );
}
