//! The three-way diff on the generated application of 2,475 desired and
//! 2,505 live objects (tests/common/diff_fixture.rs): the comparison step
//! alone (sets already loaded; on every core, and on one), the report as
//! JSON, and parse + compare.
//! The comparison with Python (PyYAML + DeepDiff) is `benches/diff_compare.py`.

use criterion::{Criterion, criterion_group, criterion_main};

#[path = "../tests/common/diff_fixture.rs"]
mod diff_fixture;

fn diff(c: &mut Criterion) {
    let fixture = diff_fixture::generate(300);
    let desired = trueup_core::load_manifests(&fixture.desired, "desired.yaml").expect("loads");
    let live = trueup_core::load_manifests(&fixture.live, "live.yaml").expect("loads");
    let options = trueup_core::diff::DiffOptions {
        app: Some(diff_fixture::APP.to_owned()),
        ..Default::default()
    };
    let mut group = c.benchmark_group("diff_2475_objects");
    group.sample_size(20);
    group.bench_function("compare", |b| {
        b.iter(|| trueup_core::diff::diff(&desired, &live, &options).expect("diffs"))
    });
    let one_thread = trueup_core::diff::DiffOptions {
        jobs: Some(1),
        ..options.clone()
    };
    group.bench_function("compare_one_thread", |b| {
        b.iter(|| trueup_core::diff::diff(&desired, &live, &one_thread).expect("diffs"))
    });
    let report = trueup_core::diff::diff(&desired, &live, &options).expect("diffs");
    group.bench_function("report_to_json", |b| b.iter(|| report.to_json()));
    group.bench_function("parse_and_compare", |b| {
        b.iter(|| {
            let desired = trueup_core::load_manifests(&fixture.desired, "d").expect("loads");
            let live = trueup_core::load_manifests(&fixture.live, "l").expect("loads");
            trueup_core::diff::diff(&desired, &live, &options).expect("diffs")
        })
    });
    group.finish();
}

criterion_group!(benches, diff);
criterion_main!(benches);
