//! Revision parsing on a fixture repository (made once, with `git`): any
//! text given as a revision resolves, or is an error; rendering and listing
//! history at it never panics.
#![no_main]

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use trueup_core::git::{HistoryOptions, Repo};

/// A repository with two commits, a tag and a branch, in the temp folder.
fn fixture() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("trueup-fuzz-git-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("app")).expect("a temp folder");
        let git = |args: &[&str]| {
            let ok = Command::new("git")
                .args(["-c", "user.name=fuzz", "-c", "user.email=fuzz@example.com"])
                .args(args)
                .current_dir(&dir)
                .output()
                .expect("git runs")
                .status
                .success();
            assert!(ok, "git {args:?}");
        };
        git(&["init", "-q", "-b", "main"]);
        std::fs::write(dir.join("app/kustomization.yaml"), "resources: [cm.yaml]\n").expect("write");
        std::fs::write(
            dir.join("app/cm.yaml"),
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n",
        )
        .expect("write");
        git(&["add", "."]);
        git(&["commit", "-qm", "first"]);
        git(&["tag", "v1"]);
        std::fs::write(dir.join("app/kustomization.yaml"), "resources: [cm.yaml]\nnamespace: prod\n")
            .expect("write");
        git(&["commit", "-qam", "second"]);
        git(&["branch", "release"]);
        dir
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(rev) = std::str::from_utf8(data) else {
        return;
    };
    let repo = Repo::open(fixture()).expect("the fixture opens");
    if repo.resolve(rev).is_ok() {
        let _ = repo.build("app", rev, &Default::default());
        let options = HistoryOptions {
            rev: Some(rev.to_owned()),
            ..HistoryOptions::default()
        };
        let _ = repo.history("app", &options);
    }
});
