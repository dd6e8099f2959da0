//! Writes the Git benchmark repository (benches/git_repo.rs) for
//! `benches/git_compare.py`: the repository in DIR/repo, the overlays on
//! stdout, one per line.
//!
//!     cargo run --release --example write_git_bench_repo -- /tmp/git-bench 10000

#[path = "../benches/git_repo.rs"]
mod git_repo;

use std::io::Write as _;

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = args.next().unwrap_or_else(|| "git-bench".to_owned());
    let commits = args.next().and_then(|n| n.parse().ok()).unwrap_or(10_000);
    let (_, overlays) = git_repo::make_repo(std::path::Path::new(&dir), commits);
    let mut out = std::io::stdout().lock();
    for overlay in overlays {
        if writeln!(out, "{overlay}").is_err() {
            break; // a closed pipe is not an error
        }
    }
}
