//! A generated application where the truth is known: desired objects (as Git
//! has them), the live objects the API server would hold after
//! `kubectl apply` (defaults, status, managedFields, normalized quantities,
//! the last-applied annotation), and then scenarios applied on top — a
//! `kubectl scale`, an env var added with `kubectl edit`, Git-side image
//! bumps and removed fields, conflicts, missing and extraneous objects —
//! each recorded in the expected outcome. Shared by tests/diff.rs,
//! benches/diff.rs and examples/write_diff_fixture.rs. Deterministic.

#![allow(dead_code)]

use std::collections::BTreeMap;

use trueup_core::Value;
use trueup_core::yaml::Mapping;

/// The application name carried by the tracking annotation in live objects.
pub const APP: &str = "shop";

/// What the generator knows the diff must say.
#[derive(Debug, Default)]
pub struct Truth {
    /// Resources in sync.
    pub synced: usize,
    /// Resources out of sync, by id, with their (path, cause) changes.
    pub out_of_sync: BTreeMap<String, Vec<(String, &'static str)>>,
    /// Ids of resources missing from the cluster.
    pub missing: Vec<String>,
    /// Ids of tracked live resources not in Git.
    pub extraneous: Vec<String>,
}

/// The generated inputs and the expected outcome.
pub struct Fixture {
    /// Desired objects, multi-document YAML.
    pub desired: String,
    /// Live objects, a `kind: List` as `kubectl get -o yaml` prints it.
    pub live: String,
    /// How many desired objects there are.
    pub desired_count: usize,
    /// How many live objects there are.
    pub live_count: usize,
    /// The expected outcome.
    pub truth: Truth,
}

fn parse(text: &str) -> Value {
    trueup_core::parse_documents(text)
        .expect("generated YAML parses")
        .remove(0)
        .value
}

fn map(value: &mut Value) -> &mut Mapping {
    match value {
        Value::Map(m) => m,
        other => {
            *other = Value::Map(Mapping::default());
            map(other)
        }
    }
}

/// The mapping at `path`, created on the way.
fn at<'v>(value: &'v mut Value, path: &[&str]) -> &'v mut Value {
    let mut node = value;
    for key in path {
        node = map(node)
            .entry((*key).to_owned())
            .or_insert_with(|| Value::Map(Mapping::default()));
    }
    node
}

fn set(value: &mut Value, path: &[&str], new: Value) {
    let (last, parents) = path.split_last().expect("a path");
    map(at(value, parents)).insert((*last).to_owned(), new);
}

/// Sets `key` only when absent (an API server default).
fn default(value: &mut Value, path: &[&str], new: Value) {
    let (last, parents) = path.split_last().expect("a path");
    map(at(value, parents))
        .entry((*last).to_owned())
        .or_insert(new);
}

fn s(text: &str) -> Value {
    Value::String(text.to_owned())
}

fn containers(value: &mut Value) -> &mut Vec<Value> {
    match at(value, &["spec", "template", "spec", "containers"]) {
        Value::Seq(items) => items,
        other => {
            *other = Value::Seq(Vec::new());
            containers(other)
        }
    }
}

/// What `kubectl apply` of `desired` leaves in the cluster.
fn applied(desired: &Value) -> Value {
    let mut applied = desired.clone();
    // Argo CD 3 adds its tracking annotation when it applies.
    let text = |path: &[&str]| {
        desired
            .get_path(path)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    };
    let api_version = text(&["apiVersion"]);
    let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
    let id = format!(
        "{APP}:{group}/{}:{}/{}",
        text(&["kind"]),
        text(&["metadata", "namespace"]),
        text(&["metadata", "name"])
    );
    set(
        &mut applied,
        &["metadata", "annotations", "argocd.argoproj.io/tracking-id"],
        s(&id),
    );
    applied
}

fn live_of(applied: &Value, index: usize) -> Value {
    let mut live = applied.clone();
    let kind = applied
        .get_path(&["kind"])
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let json = serde_json::to_string(applied).expect("serializes");
    set(
        &mut live,
        &[
            "metadata",
            "annotations",
            "kubectl.kubernetes.io/last-applied-configuration",
        ],
        Value::String(json + "\n"),
    );
    set(
        &mut live,
        &["metadata", "uid"],
        s(&format!("0000-{index:08}")),
    );
    set(
        &mut live,
        &["metadata", "resourceVersion"],
        s(&format!("{}", 1000 + index)),
    );
    set(
        &mut live,
        &["metadata", "creationTimestamp"],
        s("2026-11-01T10:00:00Z"),
    );
    set(&mut live, &["metadata", "generation"], Value::Int(1));
    let managed = parse(
        r#"
- manager: kubectl-client-side-apply
  operation: Update
  apiVersion: v1
  time: "2026-11-01T10:00:00Z"
  fieldsType: FieldsV1
  fieldsV1: {"f:metadata": {"f:annotations": {".": {}, "f:kubectl.kubernetes.io/last-applied-configuration": {}}}}
- manager: kube-controller-manager
  operation: Update
  apiVersion: v1
  subresource: status
  time: "2026-11-01T10:00:05Z"
  fieldsType: FieldsV1
  fieldsV1: {"f:status": {}}
"#,
    );
    set(&mut live, &["metadata", "managedFields"], managed);
    match kind.as_str() {
        "Deployment" => {
            set(
                &mut live,
                &[
                    "metadata",
                    "annotations",
                    "deployment.kubernetes.io/revision",
                ],
                s("1"),
            );
            default(
                &mut live,
                &["spec", "progressDeadlineSeconds"],
                Value::Int(600),
            );
            default(&mut live, &["spec", "revisionHistoryLimit"], Value::Int(10));
            default(&mut live, &["spec", "strategy", "type"], s("RollingUpdate"));
            default(
                &mut live,
                &["spec", "strategy", "rollingUpdate", "maxSurge"],
                s("25%"),
            );
            default(
                &mut live,
                &["spec", "strategy", "rollingUpdate", "maxUnavailable"],
                s("25%"),
            );
            for (key, value) in [
                ("dnsPolicy", s("ClusterFirst")),
                ("restartPolicy", s("Always")),
                ("schedulerName", s("default-scheduler")),
                ("terminationGracePeriodSeconds", Value::Int(30)),
                ("securityContext", Value::Map(Mapping::default())),
            ] {
                default(&mut live, &["spec", "template", "spec", key], value);
            }
            for container in containers(&mut live) {
                default(container, &["imagePullPolicy"], s("IfNotPresent"));
                default(
                    container,
                    &["terminationMessagePath"],
                    s("/dev/termination-log"),
                );
                default(container, &["terminationMessagePolicy"], s("File"));
                if let Some(Value::Seq(ports)) =
                    container.as_map_mut().and_then(|c| c.get_mut("ports"))
                {
                    for port in ports {
                        default(port, &["protocol"], s("TCP"));
                    }
                }
                // The API server prints quantities canonically.
                if let Some(cpu) = container.get_path(&["resources", "limits", "cpu"]).cloned()
                    && cpu == s("1000m")
                {
                    set(container, &["resources", "limits", "cpu"], s("1"));
                }
                if let Some(memory) = container
                    .get_path(&["resources", "limits", "memory"])
                    .cloned()
                    && memory == s("1024Mi")
                {
                    set(container, &["resources", "limits", "memory"], s("1Gi"));
                }
            }
            let replicas = live
                .get_path(&["spec", "replicas"])
                .cloned()
                .unwrap_or(Value::Int(1));
            set(&mut live, &["status", "observedGeneration"], Value::Int(1));
            set(&mut live, &["status", "replicas"], replicas.clone());
            set(&mut live, &["status", "updatedReplicas"], replicas.clone());
            set(&mut live, &["status", "readyReplicas"], replicas.clone());
            set(&mut live, &["status", "availableReplicas"], replicas);
        }
        "Service" => {
            default(&mut live, &["spec", "type"], s("ClusterIP"));
            default(&mut live, &["spec", "sessionAffinity"], s("None"));
            default(&mut live, &["spec", "internalTrafficPolicy"], s("Cluster"));
            let ip = format!("10.96.{}.{}", index / 250 % 250, index % 250);
            set(&mut live, &["spec", "clusterIP"], s(&ip));
            set(&mut live, &["spec", "clusterIPs"], Value::Seq(vec![s(&ip)]));
            set(
                &mut live,
                &["spec", "ipFamilies"],
                Value::Seq(vec![s("IPv4")]),
            );
            set(&mut live, &["spec", "ipFamilyPolicy"], s("SingleStack"));
            if let Some(Value::Seq(ports)) = at(&mut live, &["spec"])
                .as_map_mut()
                .and_then(|m| m.get_mut("ports"))
            {
                for port in ports {
                    default(port, &["protocol"], s("TCP"));
                    // `targetPort: "8080"` is stored as the number.
                    if let Some(Value::String(t)) = port.get_path(&["targetPort"]).cloned()
                        && let Ok(n) = t.parse::<i64>()
                    {
                        set(port, &["targetPort"], Value::Int(n));
                    }
                }
            }
            set(
                &mut live,
                &["status", "loadBalancer"],
                Value::Map(Mapping::default()),
            );
        }
        "Secret" => {
            if let Some(Value::Map(string_data)) = map(&mut live).shift_remove("stringData") {
                for (key, value) in string_data {
                    let text = value.as_str().unwrap_or_default().to_owned();
                    set(&mut live, &["data", &key], s(&base64(text.as_bytes())));
                }
            }
            default(&mut live, &["type"], s("Opaque"));
        }
        "PersistentVolumeClaim" => {
            default(&mut live, &["spec", "volumeMode"], s("Filesystem"));
            default(&mut live, &["spec", "storageClassName"], s("standard"));
            set(
                &mut live,
                &["spec", "volumeName"],
                s(&format!("pvc-{index:08}")),
            );
            if live.get_path(&["spec", "resources", "requests", "storage"]) == Some(&s("1024Mi")) {
                set(
                    &mut live,
                    &["spec", "resources", "requests", "storage"],
                    s("1Gi"),
                );
            }
            set(&mut live, &["status", "phase"], s("Bound"));
        }
        "HorizontalPodAutoscaler" => {
            set(&mut live, &["status", "currentReplicas"], Value::Int(2));
            set(&mut live, &["status", "desiredReplicas"], Value::Int(2));
        }
        "Ingress" => {
            let ingress = parse("- ip: 203.0.113.10\n");
            set(&mut live, &["status", "loadBalancer", "ingress"], ingress);
        }
        _ => {}
    }
    live
}

fn base64(bytes: &[u8]) -> String {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(TABLE[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Adds a managedFields entry.
fn manage(live: &mut Value, manager: &str, subresource: Option<&str>, fields: &str) {
    let mut entry = parse(&format!(
        "manager: {manager}\noperation: Update\napiVersion: v1\ntime: \"2026-11-02T09:00:00Z\"\nfieldsType: FieldsV1\n"
    ));
    if let Some(sub) = subresource {
        set(&mut entry, &["subresource"], s(sub));
    }
    set(&mut entry, &["fieldsV1"], parse(fields));
    if let Some(Value::Seq(entries)) = at(live, &["metadata"])
        .as_map_mut()
        .and_then(|m| m.get_mut("managedFields"))
    {
        entries.push(entry);
    }
}

fn id(group: &str, kind: &str, ns: &str, name: &str) -> String {
    format!("{group}/{kind}/{ns}/{name}")
}

/// The objects Git has for service `i`.
fn service_objects(i: usize, ns: &str, image_tag: &str) -> Vec<Value> {
    let name = format!("svc-{i:04}");
    let mut objects = vec![
        parse(&format!(
            r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  namespace: {ns}
  labels:
    app.kubernetes.io/name: {name}
spec:
  replicas: {replicas}
  selector:
    matchLabels:
      app.kubernetes.io/name: {name}
  template:
    metadata:
      labels:
        app.kubernetes.io/name: {name}
    spec:
      serviceAccountName: {name}
      containers:
      - name: app
        image: registry.example.com/shop/{name}:{image_tag}
        args: ["--port=8080"]
        env:
        - name: LOG_LEVEL
          value: info
        ports:
        - name: http
          containerPort: 8080
        resources:
          requests:
            cpu: 100m
            memory: 128Mi
          limits:
            cpu: 1000m
            memory: 1024Mi
        volumeMounts:
        - name: config
          mountPath: /etc/app
      volumes:
      - name: config
        configMap:
          name: {name}-config
"#,
            replicas = 2 + i % 3
        )),
        parse(&format!(
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\n  namespace: {ns}\nspec:\n  selector:\n    app.kubernetes.io/name: {name}\n  ports:\n  - name: http\n    port: 80\n    targetPort: \"8080\"\n"
        )),
        parse(&format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}-config\n  namespace: {ns}\ndata:\n  LOG_LEVEL: info\n  settings.yaml: |\n    cache: 30s\n"
        )),
        parse(&format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: {name}-db\n  namespace: {ns}\nstringData:\n  password: s3cret-{i}\n"
        )),
        parse(&format!(
            "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: {name}\n  namespace: {ns}\n"
        )),
        parse(&format!(
            "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: {name}\n  namespace: {ns}\nspec:\n  scaleTargetRef:\n    apiVersion: apps/v1\n    kind: Deployment\n    name: {name}\n  minReplicas: 2\n  maxReplicas: 10\n  metrics:\n  - type: Resource\n    resource:\n      name: cpu\n      target:\n        type: Utilization\n        averageUtilization: 70\n"
        )),
        parse(&format!(
            "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: {name}\n  namespace: {ns}\nspec:\n  ingressClassName: nginx\n  rules:\n  - host: {name}.example.com\n    http:\n      paths:\n      - path: /\n        pathType: Prefix\n        backend:\n          service:\n            name: {name}\n            port:\n              name: http\n"
        )),
        parse(&format!(
            "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: {name}-data\n  namespace: {ns}\nspec:\n  accessModes: [ReadWriteOnce]\n  resources:\n    requests:\n      storage: 1024Mi\n"
        )),
    ];
    if i.is_multiple_of(4) {
        objects.push(parse(&format!(
            "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: {name}-nightly\n  namespace: {ns}\nspec:\n  schedule: \"0 3 * * *\"\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          restartPolicy: OnFailure\n          containers:\n          - name: job\n            image: registry.example.com/shop/{name}-job:1.0.0\n"
        )));
    }
    objects
}

fn yaml_stream(objects: &[Value]) -> String {
    objects
        .iter()
        .map(trueup_core::yaml::to_yaml)
        .collect::<Vec<_>>()
        .join("---\n")
}

/// Generates `services` services (8 or 9 objects each) and their live state.
pub fn generate(services: usize) -> Fixture {
    let mut truth = Truth::default();
    let mut desired_all = Vec::new();
    let mut live_all = Vec::new();
    let mut index = 0;
    for i in 0..services {
        let ns = format!("shop-{}", i % 8);
        let name = format!("svc-{i:04}");
        let scenario = i % 10;
        // What was applied last (and, before any scenario, is live).
        let applied_objects = service_objects(i, &ns, "1.0.0");
        let desired_tag = if matches!(scenario, 3 | 5) {
            "1.1.0"
        } else {
            "1.0.0"
        };
        let desired_objects = service_objects(i, &ns, desired_tag);
        let mut out_of_sync: BTreeMap<String, Vec<(String, &'static str)>> = BTreeMap::new();
        let image_path = "spec.template.spec.containers[name=app].image".to_owned();
        if matches!(scenario, 3) {
            out_of_sync
                .entry(id("apps", "Deployment", &ns, &name))
                .or_default()
                .push((image_path.clone(), "change"));
        }
        let mut applied_objects = applied_objects;
        if scenario == 4 {
            // Git removed OLD_FLAG from the ConfigMap; the last apply had it.
            set(&mut applied_objects[2], &["data", "OLD_FLAG"], s("true"));
            out_of_sync
                .entry(id("", "ConfigMap", &ns, &format!("{name}-config")))
                .or_default()
                .push(("data.OLD_FLAG".to_owned(), "change"));
        }
        for (desired, last) in desired_objects.iter().zip(&applied_objects) {
            let kind = desired
                .get_path(&["kind"])
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            let object_name = desired
                .get_path(&["metadata", "name"])
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            let group = match kind.as_str() {
                "Deployment" => "apps",
                "HorizontalPodAutoscaler" => "autoscaling",
                "Ingress" => "networking.k8s.io",
                "CronJob" => "batch",
                _ => "",
            };
            let object_id = id(group, &kind, &ns, &object_name);
            desired_all.push(desired.clone());
            if scenario == 6 && kind == "ServiceAccount" {
                truth.missing.push(object_id);
                continue;
            }
            let mut live = live_of(&applied(last), index);
            index += 1;
            match (scenario, kind.as_str()) {
                (1, "Deployment") => {
                    // kubectl scale deploy --replicas=N+2
                    let replicas = match live.get_path(&["spec", "replicas"]) {
                        Some(Value::Int(n)) => *n,
                        _ => 1,
                    };
                    set(&mut live, &["spec", "replicas"], Value::Int(replicas + 2));
                    manage(
                        &mut live,
                        "kubectl",
                        Some("scale"),
                        r#"{"f:spec": {"f:replicas": {}}}"#,
                    );
                    out_of_sync
                        .entry(object_id.clone())
                        .or_default()
                        .push(("spec.replicas".to_owned(), "drift"));
                }
                (2, "Deployment") => {
                    // kubectl edit: a DEBUG env var added by hand.
                    let debug = parse("name: DEBUG\nvalue: \"true\"\n");
                    if let Some(Value::Seq(env)) = containers(&mut live)[0]
                        .as_map_mut()
                        .and_then(|c| c.get_mut("env"))
                    {
                        env.push(debug);
                    }
                    manage(
                        &mut live,
                        "kubectl-edit",
                        None,
                        r#"{"f:spec": {"f:template": {"f:spec": {"f:containers": {"k:{\"name\":\"app\"}": {"f:env": {"k:{\"name\":\"DEBUG\"}": {".": {}, "f:name": {}, "f:value": {}}}}}}}}}"#,
                    );
                    out_of_sync.entry(object_id.clone()).or_default().push((
                        "spec.template.spec.containers[name=app].env[name=DEBUG]".to_owned(),
                        "drift",
                    ));
                }
                (5, "Deployment") => {
                    // kubectl set image to a hotfix while Git moved to 1.1.0.
                    let image = s(&format!("registry.example.com/shop/{name}:1.0.0-hotfix"));
                    set(&mut containers(&mut live)[0], &["image"], image);
                    manage(
                        &mut live,
                        "kubectl-set",
                        None,
                        r#"{"f:spec": {"f:template": {"f:spec": {"f:containers": {"k:{\"name\":\"app\"}": {"f:image": {}}}}}}}"#,
                    );
                    out_of_sync
                        .entry(object_id.clone())
                        .or_default()
                        .push((image_path.clone(), "conflict"));
                }
                (9, "Service") => {
                    // kubectl label svc hand-added=yes
                    set(&mut live, &["metadata", "labels", "hand-added"], s("yes"));
                    manage(
                        &mut live,
                        "kubectl-label",
                        None,
                        r#"{"f:metadata": {"f:labels": {"f:hand-added": {}}}}"#,
                    );
                    out_of_sync
                        .entry(object_id.clone())
                        .or_default()
                        .push(("metadata.labels.hand-added".to_owned(), "drift"));
                }
                (7, "Deployment") => {
                    // A controller (not a person) adds a sidecar and an annotation.
                    let sidecar = parse("name: istio-proxy\nimage: istio/proxyv2:1.22\n");
                    containers(&mut live).push(sidecar);
                    set(
                        &mut live,
                        &[
                            "spec",
                            "template",
                            "metadata",
                            "annotations",
                            "sidecar.istio.io/status",
                        ],
                        s("injected"),
                    );
                    manage(
                        &mut live,
                        "istio-sidecar-injector",
                        None,
                        r#"{"f:spec": {"f:template": {"f:spec": {"f:containers": {"k:{\"name\":\"istio-proxy\"}": {".": {}}}}}}}"#,
                    );
                }
                _ => {}
            }
            live_all.push(live);
        }
        if scenario == 7 {
            // Pruned from Git, still live and tracked.
            let legacy = parse(&format!(
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}-legacy\n  namespace: {ns}\ndata:\n  OLD: \"1\"\n"
            ));
            live_all.push(live_of(&applied(&legacy), index));
            index += 1;
            truth
                .extraneous
                .push(id("", "ConfigMap", &ns, &format!("{name}-legacy")));
        }
        if scenario == 8 {
            // Another application's object: not ours, never reported.
            let other = parse(&format!(
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}-other\n  namespace: {ns}\n"
            ));
            let mut other_live = live_of(&other, index);
            set(
                &mut other_live,
                &["metadata", "annotations", "argocd.argoproj.io/tracking-id"],
                s(&format!("billing:/ConfigMap:{ns}/{name}-other")),
            );
            live_all.push(other_live);
            index += 1;
        }
        for (id, changes) in out_of_sync {
            truth.out_of_sync.insert(id, changes);
        }
    }
    truth.synced = desired_all.len() - truth.out_of_sync.len() - truth.missing.len();
    let mut list = Mapping::default();
    list.insert("apiVersion".into(), s("v1"));
    list.insert("kind".into(), s("List"));
    list.insert("items".into(), Value::Seq(live_all.clone()));
    Fixture {
        desired: yaml_stream(&desired_all),
        live: trueup_core::yaml::to_yaml(&Value::Map(list)),
        desired_count: desired_all.len(),
        live_count: live_all.len(),
        truth,
    }
}
