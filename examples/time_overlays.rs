//! Renders overlays in-process on one thread, as `kustomize build` would
//! (render, then print YAML), and reports the mean time per overlay, for
//! `benches/compare.py`:
//!
//!     cargo run --release --example time_overlays -- ROOT ROUNDS OVERLAY...
//!
//! Every overlay is rendered once to warm the file cache, then all of them
//! `ROUNDS` times; the mean per overlay goes to stdout in microseconds.

use std::io::Write as _;
use std::time::Instant;

// The allocator the `trueup` binary uses, so that the two figures compare.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: time_overlays ROOT ROUNDS OVERLAY...";
    let root = std::path::PathBuf::from(args.next().ok_or(usage)?);
    let rounds: u32 = args.next().ok_or(usage)?.parse()?;
    let overlays: Vec<_> = args.map(|overlay| root.join(overlay)).collect();
    if overlays.is_empty() || rounds == 0 {
        return Err(usage.into());
    }
    let render = |dir: &std::path::Path| -> Result<usize, trueup_core::Error> {
        Ok(trueup_core::build(dir)?.to_yaml().len())
    };
    for dir in &overlays {
        render(dir)?;
    }
    let start = Instant::now();
    let mut bytes = 0;
    for _ in 0..rounds {
        for dir in &overlays {
            bytes += render(dir)?;
        }
    }
    let per_overlay = start.elapsed() / (rounds * overlays.len() as u32);
    writeln!(std::io::stdout(), "{:.1}", per_overlay.as_secs_f64() * 1e6)?;
    writeln!(std::io::stderr(), "{bytes} bytes printed")?;
    Ok(())
}
