//! A generated GitOps repository for the overlay benchmarks: `services`
//! services, each with a base (Deployment, Service, a generated ConfigMap and
//! five ConfigMaps) and dev, staging and prod overlays using namespace,
//! prefix, labels, annotations, images, replicas, strategic merge and JSON 6902
//! patches, and a generator merge. Deterministic.

use std::path::Path;

/// Writes the repository under `root` and returns the overlay folders,
/// relative to `root`.
pub fn write_repo(root: &Path, services: usize) -> std::io::Result<Vec<String>> {
    let mut overlays = Vec::new();
    for i in 0..services {
        let svc = format!("svc-{i:03}");
        let base = root.join(format!("apps/{svc}/base"));
        std::fs::create_dir_all(&base)?;
        std::fs::write(base.join("kustomization.yaml"), base_kustomization(&svc))?;
        std::fs::write(base.join("deployment.yaml"), deployment(&svc, i))?;
        std::fs::write(base.join("service.yaml"), service(&svc))?;
        std::fs::write(base.join("configmaps.yaml"), config_maps(&svc))?;
        for (env, replicas) in [("dev", 1), ("staging", 2), ("prod", 3 + i % 4)] {
            let dir = root.join(format!("apps/{svc}/overlays/{env}"));
            std::fs::create_dir_all(&dir)?;
            std::fs::write(
                dir.join("kustomization.yaml"),
                overlay_kustomization(&svc, env, replicas, i),
            )?;
            std::fs::write(dir.join("resources.yaml"), resources_patch(&svc, env))?;
            overlays.push(format!("apps/{svc}/overlays/{env}"));
        }
    }
    Ok(overlays)
}

fn base_kustomization(svc: &str) -> String {
    format!(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- deployment.yaml\n- service.yaml\n- configmaps.yaml\ncommonLabels:\n  app.kubernetes.io/name: {svc}\nconfigMapGenerator:\n- name: {svc}-settings\n  literals:\n  - LOG_LEVEL=info\n  - TIMEOUT=30s\n  - FEATURE_FLAGS=a,b,c\n"
    )
}

fn deployment(svc: &str, i: usize) -> String {
    format!(
        r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: {svc}
spec:
  replicas: 1
  selector:
    matchLabels:
      app: {svc}
  template:
    metadata:
      labels:
        app: {svc}
    spec:
      containers:
      - name: app
        image: registry.example.com/team/{svc}:1.{i}.0
        args: ["--port=8080"]
        env:
        - name: LOG_FORMAT
          value: json
        envFrom:
        - configMapRef:
            name: {svc}-settings
        ports:
        - name: http
          containerPort: 8080
        resources:
          requests:
            cpu: 100m
            memory: 128Mi
        volumeMounts:
        - name: extra
          mountPath: /etc/extra
      volumes:
      - name: extra
        configMap:
          name: {svc}-extra-0
"#
    )
}

fn service(svc: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: {svc}\nspec:\n  selector:\n    app: {svc}\n  ports:\n  - name: http\n    port: 80\n    targetPort: http\n"
    )
}

fn config_maps(svc: &str) -> String {
    (0..5)
        .map(|n| {
            format!(
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {svc}-extra-{n}\ndata:\n  key-{n}: value-{n}\n  settings.yaml: |\n    setting: {n}\n    enabled: true\n"
            )
        })
        .collect::<Vec<_>>()
        .join("---\n")
}

fn overlay_kustomization(svc: &str, env: &str, replicas: usize, i: usize) -> String {
    format!(
        r#"apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: {svc}-{env}
namePrefix: {env}-
resources:
- ../../base
commonLabels:
  environment: {env}
commonAnnotations:
  owner: team-{owner}
images:
- name: registry.example.com/team/{svc}
  newTag: "1.{i}.1"
replicas:
- name: {svc}
  count: {replicas}
configMapGenerator:
- name: {svc}-settings
  behavior: merge
  literals:
  - ENVIRONMENT={env}
patches:
- path: resources.yaml
- target:
    kind: Deployment
    name: {svc}
  patch: |-
    - op: add
      path: /spec/template/spec/containers/0/env/-
      value:
        name: ENV
        value: {env}
"#,
        owner = i % 7
    )
}

fn resources_patch(svc: &str, env: &str) -> String {
    let memory = match env {
        "prod" => "512Mi",
        "staging" => "256Mi",
        _ => "128Mi",
    };
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {svc}\nspec:\n  template:\n    spec:\n      containers:\n      - name: app\n        resources:\n          limits:\n            memory: {memory}\n"
    )
}
