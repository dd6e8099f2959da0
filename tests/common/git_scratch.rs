//! A scratch Git repository for the promotion and evidence tests: made with
//! the git CLI at a fixed date, removed when dropped.

use std::path::{Path, PathBuf};
use std::process::Command;

/// `sha256:` and 64 times `c`.
pub fn digest(c: char) -> String {
    format!("sha256:{}", c.to_string().repeat(64))
}

/// A folder removed when dropped.
pub struct Scratch(pub PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl Scratch {
    /// An empty repository on `main` in a new temporary folder.
    pub fn repo(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("trueup-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("creates");
        git(&dir, &["init", "-q", "-b", "main"]);
        git(&dir, &["config", "user.name", "Test Author"]);
        git(&dir, &["config", "user.email", "author@example.com"]);
        Scratch(dir)
    }
}

/// Runs git in `dir` at a fixed date; its standard output, trimmed.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_DATE", "1790000000 +0000")
        .env("GIT_COMMITTER_DATE", "1790000000 +0000")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
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

/// Writes `text` at `path` under `dir`, making its folders.
pub fn write(dir: &Path, path: &str, text: &str) {
    let full = dir.join(path);
    std::fs::create_dir_all(full.parent().expect("a folder")).expect("creates");
    std::fs::write(full, text).expect("writes");
}
