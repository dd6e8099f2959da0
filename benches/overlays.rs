//! Overlay rendering on the generated repository (benches/bench_repo.rs):
//! one overlay at a time on one thread, and render-all on every core.
//! The comparison with the real kustomize is `benches/compare.py`.

use criterion::{Criterion, criterion_group, criterion_main};

#[path = "bench_repo.rs"]
mod bench_repo;

fn overlays(c: &mut Criterion) {
    let root = std::env::temp_dir().join(format!("trueup-bench-repo-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let overlays = bench_repo::write_repo(&root, 100).expect("writes the repository");
    assert_eq!(overlays.len(), 300);

    let mut group = c.benchmark_group("overlays");
    group.sample_size(20);
    group.bench_function("one_overlay_single_thread", |b| {
        let mut i = 0;
        b.iter(|| {
            let dir = root.join(&overlays[i % overlays.len()]);
            i += 1;
            // Render and print, as `kustomize build` does.
            trueup_core::build(&dir).expect("renders").to_yaml()
        })
    });
    group.sample_size(10);
    for jobs in [1, 2] {
        group.bench_function(format!("render_all_300_jobs_{jobs}"), |b| {
            b.iter(|| {
                let options = trueup_core::BuildAllOptions {
                    jobs: Some(jobs),
                    ..trueup_core::BuildAllOptions::default()
                };
                let results = trueup_core::build_all(&root, &options).expect("walks");
                assert!(results.iter().all(|r| r.result.is_ok()));
                results
            })
        });
    }
    group.finish();
    let _ = std::fs::remove_dir_all(&root);
}

criterion_group!(benches, overlays);
criterion_main!(benches);
