//! Generated corpora of typical Kubernetes manifests, shared by the benches.
//! Deterministic: the same size gives the same bytes.

use std::fmt::Write as _;

/// Multi-document YAML of typical manifests (Deployments, Services,
/// ConfigMaps with scripts, Ingresses, HPAs), at least `target_bytes` long.
pub fn typical_manifests(target_bytes: usize) -> String {
    let mut out = String::with_capacity(target_bytes + 4096);
    let mut i = 0usize;
    while out.len() < target_bytes {
        let ns = ["shop", "payments", "search", "identity"][i % 4];
        let name = format!("service-{i:05}");
        if i > 0 {
            out.push_str("---\n");
        }
        match i % 5 {
            0 | 1 => deployment(&mut out, &name, ns, i),
            2 => service(&mut out, &name, ns),
            3 => config_map(&mut out, &name, ns, i),
            _ => ingress_and_hpa(&mut out, &name, ns),
        }
        i += 1;
    }
    out
}

fn deployment(out: &mut String, name: &str, ns: &str, i: usize) {
    let _ = write!(
        out,
        r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  namespace: {ns}
  labels:
    app.kubernetes.io/name: {name}
    app.kubernetes.io/part-of: {ns}
    app.kubernetes.io/version: "1.{i}.0"
  annotations:
    kubernetes.io/change-cause: "release {i}: roll out the new image digest and raise the memory limit for the JVM heap"
spec:
  replicas: {replicas}
  revisionHistoryLimit: 5
  selector:
    matchLabels:
      app.kubernetes.io/name: {name}
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxSurge: 25%
      maxUnavailable: 0
  template:
    metadata:
      labels:
        app.kubernetes.io/name: {name}
      annotations:
        prometheus.io/scrape: "true"
        prometheus.io/port: "9090"
    spec:
      serviceAccountName: {name}
      securityContext:
        runAsNonRoot: true
        runAsUser: 10001
      containers:
      - name: app
        image: registry.example.com/{ns}/{name}@sha256:4a1c3f1b9e0d2c7a8b6f5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d{i:04x}
        args: ["--port=8080", "--log-level=info"]
        env:
        - name: JAVA_OPTS
          value: -Xms512m -Xmx1g
        - name: FEATURE_FLAGS
          value: "on"
        - name: POD_IP
          valueFrom:
            fieldRef:
              fieldPath: status.podIP
        ports:
        - name: http
          containerPort: 8080
        - name: metrics
          containerPort: 9090
        resources:
          requests:
            cpu: 250m
            memory: 512Mi
          limits:
            cpu: "1"
            memory: 1Gi
        readinessProbe:
          httpGet:
            path: /healthz
            port: http
          periodSeconds: 10
        volumeMounts:
        - name: config
          mountPath: /etc/app
          readOnly: true
      volumes:
      - name: config
        configMap:
          name: {name}-config
"#,
        replicas = 1 + i % 5
    );
}

fn service(out: &mut String, name: &str, ns: &str) {
    let _ = write!(
        out,
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\n  namespace: {ns}\n  labels:\n    app.kubernetes.io/name: {name}\nspec:\n  type: ClusterIP\n  selector:\n    app.kubernetes.io/name: {name}\n  ports:\n  - name: http\n    port: 80\n    targetPort: http\n  - name: metrics\n    port: 9090\n    targetPort: 9090\n"
    );
}

fn config_map(out: &mut String, name: &str, ns: &str, i: usize) {
    let _ = write!(
        out,
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}-config\n  namespace: {ns}\ndata:\n  LOG_LEVEL: info\n  MAX_CONNECTIONS: \"{}\"\n  ENABLED: \"yes\"\n  application.yaml: |\n    server:\n      port: 8080\n    upstream:\n      url: http://backend-{i}.{ns}.svc.cluster.local:8080\n      timeout: 30s\n  entrypoint.sh: |\n    #!/bin/sh\n    set -eu\n    exec /app/bin/server --config /etc/app/application.yaml \"$@\"\n",
        100 + i
    );
}

fn ingress_and_hpa(out: &mut String, name: &str, ns: &str) {
    let _ = write!(
        out,
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: {name}\n  namespace: {ns}\n  annotations:\n    nginx.ingress.kubernetes.io/rewrite-target: /$2\nspec:\n  ingressClassName: nginx\n  rules:\n  - host: {name}.example.com\n    http:\n      paths:\n      - path: /api(/|$)(.*)\n        pathType: ImplementationSpecific\n        backend:\n          service:\n            name: {name}\n            port:\n              name: http\n---\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: {name}\n  namespace: {ns}\nspec:\n  scaleTargetRef:\n    apiVersion: apps/v1\n    kind: Deployment\n    name: {name}\n  minReplicas: 2\n  maxReplicas: 10\n  metrics:\n  - type: Resource\n    resource:\n      name: cpu\n      target:\n        type: Utilization\n        averageUtilization: 70\n"
    );
}
