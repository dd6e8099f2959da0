//! How fast hostile input fails: deep nesting and alias bombs must be refused
//! in microseconds to milliseconds, not after building huge trees.

use criterion::{Criterion, criterion_group, criterion_main};

fn alias_bomb() -> String {
    let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 0..9 {
        let prev = if i == 0 {
            "a".to_owned()
        } else {
            format!("l{}", i - 1)
        };
        let refs = vec![format!("*{prev}"); 10].join(", ");
        bomb.push_str(&format!("l{i}: &l{i} [{refs}]\n"));
    }
    bomb
}

fn hostile_input(c: &mut Criterion) {
    let cases = [
        ("flow_brackets_10000", "[".repeat(10_000)),
        ("flow_mappings_10000", "{a: ".repeat(10_000)),
        ("block_sequences_10000", "- ".repeat(10_000)),
        ("billion_laughs", alias_bomb()),
    ];
    let mut group = c.benchmark_group("hostile_input");
    for (name, text) in &cases {
        group.bench_function(*name, |b| {
            b.iter(|| trueup_core::load_manifests(text, "hostile.yaml").expect_err("refused"))
        });
    }
    group.finish();
}

criterion_group!(benches, hostile_input);
criterion_main!(benches);
