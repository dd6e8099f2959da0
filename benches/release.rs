//! Applying a release of 20 images to 300 overlays (each a base of 20
//! Deployments and an overlay pinning them with `newTag`), in memory: the
//! edit of each kustomization.yaml, worked out, rendered before and after,
//! and checked. The comparison with `kustomize edit set image` (whole
//! processes, on disk) is `benches/release_compare.py`.

use criterion::{Criterion, criterion_group, criterion_main};
use trueup_core::MemorySource;
use trueup_core::release::{ReleaseManifest, apply_release_source};

const OVERLAYS: usize = 300;
const IMAGES: usize = 20;

fn image(i: usize) -> String {
    format!("ghcr.io/acme/service-{i:02}")
}

/// The repository: `apps/app-NNN/{base,prod}`.
fn repository() -> MemorySource {
    let mut files: Vec<(String, String)> = Vec::new();
    for o in 0..OVERLAYS {
        let app = format!("apps/app-{o:03}");
        let mut resources = String::from("resources:\n");
        for i in 0..IMAGES {
            resources.push_str(&format!("- d{i:02}.yaml\n"));
            files.push((
                format!("{app}/base/d{i:02}.yaml"),
                format!(
                    "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: svc-{i:02}\nspec:\n  template:\n    spec:\n      containers:\n      - name: app\n        image: {}:1.0.0\n",
                    image(i)
                ),
            ));
        }
        files.push((format!("{app}/base/kustomization.yaml"), resources));
        let mut overlay =
            String::from("# prod of the app (owner: team)\nresources:\n- ../base\nimages:\n");
        for i in 0..IMAGES {
            overlay.push_str(&format!(
                "- name: {} # team {i}\n  newTag: \"1.3.{i}\"\n",
                image(i)
            ));
        }
        files.push((format!("{app}/prod/kustomization.yaml"), overlay));
    }
    files.into_iter().collect()
}

fn bench(c: &mut Criterion) {
    let source = repository();
    let mut release = ReleaseManifest::new("r", "https://github.com/acme/shop", &"1".repeat(40));
    for i in 0..IMAGES {
        release.add_image(&format!(
            "{}@sha256:{}",
            image(i),
            format!("{:x}", i % 16).repeat(64)
        ));
    }
    let mut group = c.benchmark_group("release_apply");
    group.sample_size(10);
    group.bench_function("300_overlays_20_images", |b| {
        b.iter(|| {
            for o in 0..OVERLAYS {
                let edits =
                    apply_release_source(&release, &source, &format!("apps/app-{o:03}/prod"))
                        .expect("applies");
                assert_eq!(edits.len(), 2);
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
