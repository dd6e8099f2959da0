//! Writes the generated diff fixture (tests/common/diff_fixture.rs) to a
//! folder, for `benches/diff_compare.py`: `desired.yaml`, `live.yaml` (a
//! `kind: List`) and `truth.json` (the expected counts).
//!
//!     cargo run --release --example write_diff_fixture -- /tmp/diff-fixture [SERVICES]

#[path = "../tests/common/diff_fixture.rs"]
mod diff_fixture;

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let dir = std::path::PathBuf::from(args.next().unwrap_or_else(|| "diff-fixture".into()));
    let services = args.next().and_then(|n| n.parse().ok()).unwrap_or(300);
    let fixture = diff_fixture::generate(services);
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join("desired.yaml"), &fixture.desired)?;
    std::fs::write(dir.join("live.yaml"), &fixture.live)?;
    let truth = &fixture.truth;
    let json = format!(
        "{{\"desired\": {}, \"live\": {}, \"synced\": {}, \"outOfSync\": {}, \"missing\": {}, \"extraneous\": {}}}\n",
        fixture.desired_count,
        fixture.live_count,
        truth.synced,
        truth.out_of_sync.len(),
        truth.missing.len(),
        truth.extraneous.len()
    );
    std::fs::write(dir.join("truth.json"), json)
}
