//! Writes the benchmark repository (100 services x dev/staging/prod, or
//! SERVICES services) to a folder, for `benches/compare.py`:
//!
//!     cargo run --release --example write_bench_repo -- /tmp/bench-repo [SERVICES]

#[path = "../benches/bench_repo.rs"]
mod bench_repo;

fn main() -> std::io::Result<()> {
    let root = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "bench-repo".to_owned());
    let services = match std::env::args().nth(2) {
        Some(n) => n.parse().map_err(|_| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("SERVICES: {n:?} is not a number"),
            )
        })?,
        None => 100,
    };
    let overlays = bench_repo::write_repo(std::path::Path::new(&root), services)?;
    let mut out = std::io::stdout().lock();
    for overlay in overlays {
        use std::io::Write as _;
        if writeln!(out, "{overlay}").is_err() {
            break; // a closed pipe is not an error
        }
    }
    Ok(())
}
