//! Writes the benchmark repository (100 services x dev/staging/prod) to a
//! folder, for `benches/compare.py`:
//!
//!     cargo run --release --example write_bench_repo -- /tmp/bench-repo

#[path = "../benches/bench_repo.rs"]
mod bench_repo;

fn main() -> std::io::Result<()> {
    let root = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "bench-repo".to_owned());
    let overlays = bench_repo::write_repo(std::path::Path::new(&root), 100)?;
    let mut out = std::io::stdout().lock();
    for overlay in overlays {
        use std::io::Write as _;
        if writeln!(out, "{overlay}").is_err() {
            break; // a closed pipe is not an error
        }
    }
    Ok(())
}
