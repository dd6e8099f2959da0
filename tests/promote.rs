//! Promotion as a Git change, on real repositories built with the git CLI
//! in temporary folders: staging ran digest 1 then 2; prod runs 0.

use std::path::Path;
use std::process::Command;

use trueup_core::ErrorKind;
use trueup_core::git::{PromoteOptions, Repo, Signature, WriteOptions};
use trueup_core::release::ReleaseManifest;

#[path = "common/git_scratch.rs"]
mod git_scratch;
use git_scratch::{Scratch, digest, git, write};

const PROD: &str = "# prod: owned by the platform team\nresources:\n- ../../base\nimages:\n- name: ghcr.io/acme/api # the API\n  digest: DIGEST # pinned by promotion\n";

/// The repository and its commits: staging at digest 1, then at digest 2.
fn shop(name: &str) -> (Scratch, Vec<String>) {
    let s = Scratch::repo(&format!("promote-{name}"));
    let d = &s.0;
    write(
        d,
        "apps/shop/base/kustomization.yaml",
        "resources:\n- api.yaml\n",
    );
    write(
        d,
        "apps/shop/base/api.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  template:\n    spec:\n      containers:\n      - name: api\n        image: ghcr.io/acme/api:1.0\n",
    );
    let staging = |digest: &str| {
        format!("resources:\n- ../../base\nimages:\n- name: ghcr.io/acme/api\n  digest: {digest}\n")
    };
    write(
        d,
        "apps/shop/overlays/staging/kustomization.yaml",
        &staging(&digest('1')),
    );
    write(
        d,
        "apps/shop/overlays/prod/kustomization.yaml",
        &PROD.replace("DIGEST", &digest('0')),
    );
    git(d, &["add", "-A"]);
    git(
        d,
        &["commit", "-q", "-m", "shop: staging runs 1, prod runs 0"],
    );
    let first = git(d, &["rev-parse", "HEAD"]);
    write(
        d,
        "apps/shop/overlays/staging/kustomization.yaml",
        &staging(&digest('2')),
    );
    git(d, &["commit", "-q", "-am", "staging runs 2"]);
    let second = git(d, &["rev-parse", "HEAD"]);
    (s, vec![first, second])
}

fn options(release: Option<ReleaseManifest>) -> PromoteOptions {
    PromoteOptions {
        release,
        write: WriteOptions {
            author: Some(Signature {
                name: "Release Bot".into(),
                email: "bot@example.com".into(),
                time: Some(1_790_000_600),
            }),
            committer: None,
        },
        ..PromoteOptions::default()
    }
}

fn release_of(c: char) -> ReleaseManifest {
    let mut release =
        ReleaseManifest::new("shop-1", "https://github.com/acme/shop", &"1".repeat(40));
    release.add_image(&format!("ghcr.io/acme/api:1.4.2@{}", digest(c)));
    release
}

#[test]
fn a_promotion_is_one_commit_on_a_new_branch_changing_only_the_pins() {
    let (s, commits) = shop("basic");
    let repo = Repo::open(&s.0).unwrap();
    let status_before = git(&s.0, &["status", "--porcelain"]);
    let promotion = repo
        .promote(
            "apps/shop/overlays/staging",
            "apps/shop/overlays/prod",
            &options(None),
        )
        .unwrap();
    assert!(
        promotion.branch.starts_with("deploy/prod-"),
        "{}",
        promotion.branch
    );
    assert_eq!(promotion.base, commits[1]);
    assert!(!promotion.existing);
    assert_eq!(promotion.images.len(), 1);
    assert_eq!(
        promotion.images[0].tested_at.as_deref(),
        Some(commits[1].as_str())
    );
    // The branch: one commit on the base, touching B's kustomization and ref only.
    assert_eq!(
        git(&s.0, &["rev-parse", &format!("{}^", promotion.branch)]),
        commits[1]
    );
    let files = git(
        &s.0,
        &["diff", "--name-only", &commits[1], &promotion.branch],
    );
    assert_eq!(
        files,
        "apps/shop/overlays/prod/kustomization.yaml\napps/shop/overlays/prod/release-manifest.ref"
    );
    let diff = git(
        &s.0,
        &[
            "diff",
            "-U0",
            &commits[1],
            &promotion.branch,
            "--",
            "apps/shop/overlays/prod/kustomization.yaml",
        ],
    );
    let changed: Vec<&str> = diff
        .lines()
        .filter(|l| l.starts_with(['+', '-']) && !l.starts_with("+++") && !l.starts_with("---"))
        .collect();
    assert_eq!(
        changed,
        [
            format!("-  digest: {} # pinned by promotion", digest('0')),
            format!("+  digest: {} # pinned by promotion", digest('2'))
        ]
    );
    // B renders exactly the promoted digest at the new commit.
    let rendered = repo
        .build(
            "apps/shop/overlays/prod",
            &promotion.commit,
            &Default::default(),
        )
        .unwrap();
    assert!(
        rendered
            .to_yaml()
            .contains(&format!("image: ghcr.io/acme/api@{}\n", digest('2')))
    );
    // The working tree and the base branch are untouched.
    assert_eq!(git(&s.0, &["status", "--porcelain"]), status_before);
    assert_eq!(git(&s.0, &["rev-parse", "main"]), commits[1]);
    // Running it again finds the branch and writes nothing.
    let again = repo
        .promote(
            "apps/shop/overlays/staging",
            "apps/shop/overlays/prod",
            &options(None),
        )
        .unwrap();
    assert!(again.existing);
    assert_eq!(again.commit, promotion.commit);
    // The pull request, as reviewed once by hand.
    let release_id = &promotion.release_id;
    assert_eq!(
        promotion.title,
        format!("Promote staging-{} to prod", &commits[1][..12])
    );
    assert_eq!(
        promotion.body,
        format!(
            "Promotes release **staging-{short}** (`{release_id}`) from `apps/shop/overlays/staging` to `apps/shop/overlays/prod`, from `main` at `{short}`.\n\n\
             | image | now | promoted | ran in `apps/shop/overlays/staging` at |\n\
             | --- | --- | --- | --- |\n\
             | `ghcr.io/acme/api` | `ghcr.io/acme/api@{d0}` | `{d2}` | `{short}` |\n\n\
             ### Desired state of `apps/shop/overlays/prod`\n\n\
             0 added, 0 removed, 1 changed, 0 unchanged.\n\n\
             - changed `apps/Deployment//api`\n  \
             - `spec.template.spec.containers[name=api].image`: `\"ghcr.io/acme/api@{d0}\"` → `\"ghcr.io/acme/api@{d2}\"`\n",
            short = &commits[1][..12],
            d0 = digest('0'),
            d2 = digest('2'),
        )
    );
}

#[test]
fn production_accepts_only_what_staging_ran() {
    let (s, commits) = shop("staging");
    let repo = Repo::open(&s.0).unwrap();
    // Digest 1 ran in staging at the first commit only: accepted, with that commit.
    let promotion = repo
        .promote(
            "apps/shop/overlays/staging",
            "apps/shop/overlays/prod",
            &options(Some(release_of('1'))),
        )
        .unwrap();
    assert_eq!(
        promotion.images[0].tested_at.as_deref(),
        Some(commits[0].as_str())
    );
    assert_eq!(promotion.images[0].tag.as_deref(), Some("1.4.2"));
    // Digest 9 never ran: refused, naming the image, the digest and staging.
    let err = repo
        .promote(
            "apps/shop/overlays/staging",
            "apps/shop/overlays/prod",
            &options(Some(release_of('9'))),
        )
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Untested);
    assert!(
        err.to_string().starts_with(&format!(
            "apps/shop/overlays/staging: never ran ghcr.io/acme/api@{}",
            digest('9')
        )),
        "{err}"
    );
    assert_eq!(
        git(&s.0, &["branch", "--list", "deploy/*"]).lines().count(),
        1
    );
    // Unless an exception says why, which the pull request records.
    let mut allowed = options(Some(release_of('9')));
    allowed.allow_untested = Some("hotfix INC-42, approved by on-call".into());
    let promotion = repo
        .promote(
            "apps/shop/overlays/staging",
            "apps/shop/overlays/prod",
            &allowed,
        )
        .unwrap();
    assert_eq!(promotion.images[0].tested_at, None);
    assert!(promotion.body.ends_with("### Exception\n\nPromoted without having run in `apps/shop/overlays/staging`: hotfix INC-42, approved by on-call\n"), "{}", promotion.body);
}

#[test]
fn a_branch_with_other_content_is_an_error_and_concurrent_promotions_lose_nothing() {
    let (s, commits) = shop("concurrent");
    let repo = Repo::open(&s.0).unwrap();
    let id = release_of('2').id();
    let branch = format!("deploy/prod-{}", &id["sha256:".len()..][..12]);
    git(&s.0, &["branch", &branch, &commits[0]]);
    let err = repo
        .promote(
            "apps/shop/overlays/staging",
            "apps/shop/overlays/prod",
            &options(Some(release_of('2'))),
        )
        .unwrap_err();
    assert!(
        err.to_string().contains("exists with other content"),
        "{err}"
    );
    git(&s.0, &["branch", "-D", &branch]);
    // Eight promotions of two releases at once: one commit per release, no
    // error, every promotion reports its release's branch and commit.
    let results: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|i| {
                let dir = s.0.clone();
                scope.spawn(move || {
                    let repo = Repo::open(&dir).unwrap();
                    let release = release_of(if i % 2 == 0 { '1' } else { '2' });
                    repo.promote(
                        "apps/shop/overlays/staging",
                        "apps/shop/overlays/prod",
                        &options(Some(release)),
                    )
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut by_branch = std::collections::BTreeMap::new();
    for result in results {
        let promotion = result.expect("every promotion succeeds");
        let commit = by_branch
            .entry(promotion.branch.clone())
            .or_insert(promotion.commit.clone());
        assert_eq!(*commit, promotion.commit);
    }
    assert_eq!(by_branch.len(), 2);
    for (branch, commit) in &by_branch {
        assert_eq!(&git(&s.0, &["rev-parse", branch]), commit);
    }
}

/// `trueup promote`: exit 0 (promoted, or already there), 1 refused as
/// untested, 2 on errors; JSON with the keys the pull request needs.
#[test]
fn the_cli_promotes_and_refuses_with_exit_codes() {
    let (s, _) = shop("cli");
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_trueup"))
            .arg("promote")
            .args(args)
            .current_dir(&s.0)
            .output()
            .expect("runs");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let args = [
        "--from",
        "apps/shop/overlays/staging",
        "--to",
        "apps/shop/overlays/prod",
    ];
    let (code, stdout, stderr) = run(&[&args[..], &["-o", "json"]].concat());
    assert_eq!(code, Some(0), "{stderr}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    for key in [
        "branch",
        "commit",
        "base",
        "releaseId",
        "title",
        "body",
        "images",
        "existing",
    ] {
        assert!(json.get(key).is_some(), "{key} in {stdout}");
    }
    let (code, stdout, _) = run(&args);
    assert_eq!(code, Some(0));
    assert!(stdout.contains("(already there)"), "{stdout}");
    let release = s.0.join("r.yaml");
    std::fs::write(&release, release_of('9').to_yaml()).unwrap();
    let (code, _, stderr) = run(&[&args[..], &["--release", release.to_str().unwrap()]].concat());
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("never ran ghcr.io/acme/api@sha256:9999"),
        "{stderr}"
    );
    let (code, _, _) = run(&[
        "--from",
        "apps/shop/overlays/absent",
        "--to",
        "apps/shop/overlays/prod",
    ]);
    assert_eq!(code, Some(2));
}

/// The promoted overlay is what kustomize renders from the expected bytes:
/// `tests/promote_golden/` holds the repository's files, the edit prod must
/// get (`overlays/prod-promoted/kustomization.yaml`, written by hand) and
/// what the real kustomize renders from it (`expected.yaml`, from
/// `../shared/oracle/kustomize-oracle golden tests/promote_golden`).
#[test]
fn the_promoted_overlay_renders_what_kustomize_renders_from_the_expected_bytes() {
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/promote_golden/apps/shop");
    let s = Scratch::repo("promote-golden");
    for file in [
        "base/kustomization.yaml",
        "base/api.yaml",
        "base/worker.yaml",
        "overlays/staging/kustomization.yaml",
        "overlays/prod/kustomization.yaml",
    ] {
        let text = std::fs::read_to_string(golden.join(file)).expect("reads");
        write(&s.0, &format!("apps/shop/{file}"), &text);
    }
    git(&s.0, &["add", "-A"]);
    git(&s.0, &["commit", "-q", "-m", "shop"]);
    let repo = Repo::open(&s.0).expect("repo");
    let promotion = repo
        .promote(
            "apps/shop/overlays/staging",
            "apps/shop/overlays/prod",
            &options(None),
        )
        .expect("promotes");
    let tree = repo.tree_source(&promotion.commit).expect("tree");
    let edited = trueup_core::Source::read(&tree, "apps/shop/overlays/prod/kustomization.yaml")
        .expect("reads");
    let expected =
        std::fs::read(golden.join("overlays/prod-promoted/kustomization.yaml")).expect("reads");
    assert_eq!(
        String::from_utf8_lossy(&edited),
        String::from_utf8_lossy(&expected)
    );
    let rendered = repo
        .build(
            "apps/shop/overlays/prod",
            &promotion.commit,
            &Default::default(),
        )
        .expect("renders");
    let oracle = std::fs::read_to_string(golden.join("overlays/prod-promoted/expected.yaml"))
        .expect("golden");
    assert_eq!(rendered.to_yaml(), oracle);
    assert_eq!(promotion.images.len(), 2);
}
