//! The generated Git repository of the Git benchmarks: the 300 overlays of
//! benches/bench_repo.rs in a first commit, then commits that each bump the
//! image tag of one overlay, written with `git fast-import` and repacked.
//! Used by `benches/git.rs` and, through `examples/write_git_bench_repo.rs`,
//! by `benches/git_compare.py`.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

#[path = "bench_repo.rs"]
mod bench_repo;

/// Runs git in `dir`; panics when it fails.
pub fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .status()
        .expect("git runs");
    assert!(status.success(), "git {args:?}");
}

/// Writes the repository into `dir/repo` with `git fast-import` (the
/// overlays' files in `dir/files`; one commit a minute; overlays chosen by a
/// fixed linear congruential sequence) and repacks it. Returns the
/// repository's folder and the overlays.
pub fn make_repo(dir: &Path, commits: usize) -> (PathBuf, Vec<String>) {
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
    for n in 1..commits {
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
    (repo, overlays)
}
