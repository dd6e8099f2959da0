//! The deployment audit log of an environment: the commits that changed it,
//! newest first, and what each did to its rendered desired state.
//!
//!     cargo run --example audit_log -- apps/checkout/overlays/prod REPO [N]

use std::fmt::Write as _;
use std::io::Write as _;

use trueup_core::git::{HistoryOptions, Repo};

fn main() -> Result<(), trueup_core::Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let path = args
        .first()
        .map_or("apps/checkout/overlays/prod", String::as_str);
    let repo = match args.get(1) {
        Some(dir) => Repo::open(dir)?,
        None => Repo::discover(".")?,
    };
    let options = HistoryOptions {
        max: Some(args.get(2).and_then(|n| n.parse().ok()).unwrap_or(5)),
        ..Default::default()
    };
    let mut out = String::new();
    for commit in repo.history(path, &options)? {
        let _ = writeln!(
            out,
            "{} {} {}: {}",
            &commit.id[..12],
            commit.time,
            commit.author,
            commit.subject
        );
        let parent = format!("{}~1", commit.id);
        let delta = match repo.diff_revisions(path, &parent, &commit.id, &Default::default()) {
            Ok(delta) => delta,
            // The first commit has no parent to compare with.
            Err(err) if err.kind().code() == "E_GIT" => {
                out.push_str("    (first commit)\n");
                continue;
            }
            Err(err) => return Err(err),
        };
        for resource in &delta.resources {
            let _ = writeln!(out, "    {:<8} {}", resource.change.as_str(), resource.id);
        }
    }
    // A closed pipe (`| head`) is not an error.
    let _ = std::io::stdout().write_all(out.as_bytes());
    Ok(())
}
