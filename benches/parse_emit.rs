//! Parse and print throughput on ~10 MB of typical manifests: the floor the
//! overlay renderer is measured against. Figures in benches/README.md.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

#[path = "corpus.rs"]
mod corpus;

fn parse_emit(c: &mut Criterion) {
    let text = corpus::typical_manifests(10 << 20);
    let set = trueup_core::load_manifests(&text, "corpus.yaml").expect("the corpus is valid");
    let mut group = c.benchmark_group("manifests_10mb");
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.sample_size(10);
    group.bench_function("parse", |b| {
        b.iter(|| trueup_core::load_manifests(&text, "corpus.yaml").expect("valid"))
    });
    group.bench_function("emit", |b| b.iter(|| set.to_yaml()));
    group.bench_function("parse_and_emit", |b| {
        b.iter(|| {
            trueup_core::load_manifests(&text, "corpus.yaml")
                .expect("valid")
                .to_yaml()
        })
    });
    group.finish();
}

criterion_group!(benches, parse_emit);
criterion_main!(benches);
