//! `verify` on the generated 300-overlay repository (benches/bench_repo.rs)
//! next to render-all of the same repository, one thread each: issue 17
//! asks verify to stay under twice render-all.

use criterion::{Criterion, criterion_group, criterion_main};

#[path = "bench_repo.rs"]
mod bench_repo;

fn verify(c: &mut Criterion) {
    let root = std::env::temp_dir().join(format!("trueup-bench-verify-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let overlays = bench_repo::write_repo(&root, 100).expect("writes the repository");
    assert_eq!(overlays.len(), 300);

    let mut group = c.benchmark_group("verify");
    group.sample_size(10);
    group.bench_function("render_all_300_jobs_1", |b| {
        b.iter(|| {
            let options = trueup_core::BuildAllOptions {
                jobs: Some(1),
                ..trueup_core::BuildAllOptions::default()
            };
            let results = trueup_core::build_all(&root, &options).expect("walks");
            assert!(results.iter().all(|r| r.result.is_ok()));
            results
        })
    });
    group.bench_function("verify_300_jobs_1", |b| {
        b.iter(|| {
            let options = trueup_core::guard::VerifyOptions {
                jobs: Some(1),
                ..trueup_core::guard::VerifyOptions::default()
            };
            let report = trueup_core::guard::verify(&root, &options).expect("verifies");
            assert!(report.findings.is_empty(), "{}", report.to_text());
            report
        })
    });
    group.finish();
    let _ = std::fs::remove_dir_all(&root);
}

criterion_group!(benches, verify);
criterion_main!(benches);
