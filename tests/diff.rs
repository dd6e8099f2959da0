//! Three-way diff: a generated application of 2,400+ objects where the truth
//! is known (tests/common/diff_fixture.rs), then small cases one at a time.

#[path = "common/diff_fixture.rs"]
mod diff_fixture;

use std::collections::BTreeMap;

use trueup_core::diff::{self, Cause, DiffOptions, SyncStatus, TrackingMethod};
use trueup_core::{ManifestSet, Value, load_manifests};

fn options_for_app() -> DiffOptions {
    DiffOptions {
        app: Some(diff_fixture::APP.to_owned()),
        ..DiffOptions::default()
    }
}

#[test]
fn generated_application_gives_exactly_the_known_verdicts() {
    let fixture = diff_fixture::generate(300);
    assert!(
        fixture.desired_count >= 2000,
        "{} objects",
        fixture.desired_count
    );
    let desired = load_manifests(&fixture.desired, "desired.yaml").expect("desired loads");
    let live = load_manifests(&fixture.live, "live.yaml").expect("live loads");
    assert_eq!(live.len(), fixture.live_count);
    let report = diff::diff(&desired, &live, &options_for_app()).expect("diffs");
    let truth = &fixture.truth;

    let mut out_of_sync: BTreeMap<String, Vec<(String, &'static str)>> = BTreeMap::new();
    let mut missing = Vec::new();
    let mut extraneous = Vec::new();
    for r in &report.resources {
        match r.status {
            SyncStatus::Synced => assert!(r.changes.is_empty() && r.patch.is_none()),
            SyncStatus::OutOfSync => {
                let changes = r
                    .changes
                    .iter()
                    .map(|c| (c.path.clone(), c.cause.as_str()))
                    .collect();
                out_of_sync.insert(r.id.clone(), changes);
            }
            SyncStatus::Missing => missing.push(r.id.clone()),
            SyncStatus::Extraneous => extraneous.push(r.id.clone()),
        }
    }
    // Every verdict, and nothing else: no false positives anywhere.
    assert_eq!(out_of_sync, truth.out_of_sync);
    assert_eq!(missing, truth.missing);
    assert_eq!(extraneous, truth.extraneous);
    assert_eq!(report.summary.synced, truth.synced);
    assert_eq!(report.summary.out_of_sync, truth.out_of_sync.len());
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    // Each kind of cause is represented.
    for cause in [Cause::Change, Cause::Drift, Cause::Conflict] {
        assert!(
            report
                .resources
                .iter()
                .flat_map(|r| &r.changes)
                .any(|c| c.cause == cause),
            "no {cause:?}"
        );
    }
}

#[test]
fn the_report_is_the_same_on_one_thread_or_many() {
    let fixture = diff_fixture::generate(30);
    let desired = load_manifests(&fixture.desired, "desired.yaml").expect("desired loads");
    let live = load_manifests(&fixture.live, "live.yaml").expect("live loads");
    let run = |jobs| {
        let options = DiffOptions {
            jobs: Some(jobs),
            ..options_for_app()
        };
        diff::diff(&desired, &live, &options).expect("diffs")
    };
    let one = run(1);
    assert_eq!(one, run(3));
    assert_eq!(one, run(64));
}

#[test]
fn patches_converge_live_to_desired() {
    let fixture = diff_fixture::generate(40);
    let desired = load_manifests(&fixture.desired, "desired.yaml").expect("desired loads");
    let live = load_manifests(&fixture.live, "live.yaml").expect("live loads");
    let options = options_for_app();
    let report = diff::diff(&desired, &live, &options).expect("diffs");
    let patches: BTreeMap<&str, &Value> = report
        .resources
        .iter()
        .filter_map(|r| Some((r.id.as_str(), r.patch.as_ref()?)))
        .collect();
    assert!(patches.len() >= 10, "{} patches", patches.len());
    // Live after `kubectl patch --type strategic` with each patch.
    let mut patched = Vec::new();
    for r in live.iter() {
        let mut value = r.value().clone();
        if let Some(patch) = patches.get(r.id().to_string().as_str()) {
            trueup_core::patch::apply_strategic_merge(
                &mut value,
                patch,
                &r.id().group,
                &r.id().kind,
            )
            .expect("the patch applies");
        }
        patched.push(trueup_core::yaml::to_yaml(&value));
    }
    let patched = load_manifests(&patched.join("---\n"), "patched.yaml").expect("loads");
    let again = diff::diff(&desired, &patched, &options).expect("diffs");
    let left: Vec<_> = again
        .resources
        .iter()
        .filter(|r| r.status == SyncStatus::OutOfSync)
        .map(|r| (&r.id, &r.changes))
        .collect();
    assert!(left.is_empty(), "still out of sync: {left:#?}");
}

fn set(text: &str) -> ManifestSet {
    load_manifests(text, "test.yaml").expect("loads")
}

const DEPLOYMENT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: prod\nspec:\n  replicas: 3\n  template:\n    spec:\n      containers:\n      - name: app\n        image: web:1\n";

fn live_with(applied: &str, extra: &str) -> String {
    let first = set(applied)
        .iter()
        .next()
        .expect("one object")
        .value()
        .clone();
    let json = serde_json::to_string(&first).expect("serializes");
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: prod\n  annotations:\n    kubectl.kubernetes.io/last-applied-configuration: '{json}'\n{extra}"
    )
}

#[test]
fn defaults_and_status_alone_are_in_sync() {
    let live = live_with(
        DEPLOYMENT,
        "  uid: 1\n  generation: 4\nspec:\n  replicas: 3\n  progressDeadlineSeconds: 600\n  template:\n    spec:\n      dnsPolicy: ClusterFirst\n      containers:\n      - name: app\n        image: web:1\n        imagePullPolicy: IfNotPresent\nstatus:\n  replicas: 3\n",
    );
    let report = diff::diff(&set(DEPLOYMENT), &set(&live), &DiffOptions::default()).unwrap();
    assert_eq!(report.resources[0].status, SyncStatus::Synced);
    assert!(report.in_sync());
    assert_eq!(report.resources[0].diff, "");
}

#[test]
fn a_field_removed_in_git_is_a_change_and_the_patch_deletes_it() {
    let applied = DEPLOYMENT.replace("  replicas: 3\n", "  replicas: 3\n  minReadySeconds: 5\n");
    let live = live_with(
        &applied,
        "spec:\n  replicas: 3\n  minReadySeconds: 5\n  template:\n    spec:\n      containers:\n      - name: app\n        image: web:1\n",
    );
    let report = diff::diff(&set(DEPLOYMENT), &set(&live), &DiffOptions::default()).unwrap();
    let r = &report.resources[0];
    assert_eq!(r.status, SyncStatus::OutOfSync);
    assert_eq!(r.changes.len(), 1);
    assert_eq!(r.changes[0].path, "spec.minReadySeconds");
    assert_eq!(r.changes[0].cause, Cause::Change);
    assert_eq!(r.changes[0].desired, None);
    assert_eq!(r.changes[0].live, Some(Value::Int(5)));
    assert_eq!(
        r.patch
            .as_ref()
            .unwrap()
            .get_path(&["spec", "minReadySeconds"]),
        Some(&Value::Null)
    );
    assert!(r.diff.contains("-  minReadySeconds: 5\n"), "{}", r.diff);
    assert!(
        r.diff.starts_with(
            "--- live/apps/Deployment/prod/web\n+++ desired/apps/Deployment/prod/web\n"
        ),
        "{}",
        r.diff
    );
}

#[test]
fn without_last_applied_git_differences_are_changes() {
    let live = DEPLOYMENT.replace("web:1", "web:0");
    let report = diff::diff(&set(DEPLOYMENT), &set(&live), &DiffOptions::default()).unwrap();
    let change = &report.resources[0].changes[0];
    assert_eq!(change.path, "spec.template.spec.containers[name=app].image");
    assert_eq!(change.cause, Cause::Change);
    assert_eq!(change.last_applied, None);
}

#[test]
fn a_malformed_last_applied_annotation_is_a_warning() {
    let live = DEPLOYMENT.replace(
        "  namespace: prod\n",
        "  namespace: prod\n  annotations:\n    kubectl.kubernetes.io/last-applied-configuration: '{not json'\n",
    );
    let report = diff::diff(&set(DEPLOYMENT), &set(&live), &DiffOptions::default()).unwrap();
    assert_eq!(report.resources[0].status, SyncStatus::Synced);
    assert_eq!(report.warnings.len(), 1);
    assert_eq!(report.warnings[0].id, "apps/Deployment/prod/web");
    assert!(
        report.warnings[0].message.contains("malformed"),
        "{:?}",
        report.warnings
    );
}

#[test]
fn missing_and_extraneous_and_health() {
    let desired = set(&format!(
        "{DEPLOYMENT}---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: prod\n"
    ));
    let live = set(&format!(
        "{}status:\n  observedGeneration: 1\n  replicas: 3\n  updatedReplicas: 1\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: old\n  namespace: prod\n  annotations:\n    argocd.argoproj.io/tracking-id: web:/ConfigMap:prod/old\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: someone-elses\n  namespace: prod\n  annotations:\n    argocd.argoproj.io/tracking-id: billing:/ConfigMap:prod/someone-elses\n---\napiVersion: apps/v1\nkind: ReplicaSet\nmetadata:\n  name: web-5d8f\n  namespace: prod\n  annotations:\n    argocd.argoproj.io/tracking-id: web:apps/ReplicaSet:prod/web-5d8f\n  ownerReferences:\n  - {{apiVersion: apps/v1, kind: Deployment, name: web, uid: u1}}\n---\napiVersion: v1\nkind: Endpoints\nmetadata:\n  name: web\n  namespace: prod\n  annotations:\n    argocd.argoproj.io/tracking-id: web:/Endpoints:prod/web\n",
        DEPLOYMENT.replace(
            "  namespace: prod\n",
            "  namespace: prod\n  generation: 1\n  annotations:\n    argocd.argoproj.io/tracking-id: web:apps/Deployment:prod/web\n"
        )
    ));
    let report = diff::diff(&desired, &live, &DiffOptions::default()).unwrap();
    let statuses: Vec<(&str, SyncStatus)> = report
        .resources
        .iter()
        .map(|r| (r.id.as_str(), r.status))
        .collect();
    assert_eq!(
        statuses,
        [
            ("apps/Deployment/prod/web", SyncStatus::Synced),
            ("/ConfigMap/prod/settings", SyncStatus::Missing),
            ("/ConfigMap/prod/old", SyncStatus::Extraneous),
        ]
    );
    assert_eq!(
        report.resources[0].health,
        Some(trueup_core::health::HealthStatus::Progressing)
    );
    assert_eq!(
        report.health,
        Some(trueup_core::health::HealthStatus::Missing)
    );
    assert!(!report.in_sync());
}

#[test]
fn secrets_quantities_and_ports_compare_as_kubernetes_does() {
    let desired = set(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: hunter2\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  ports:\n  - port: 80\n    targetPort: \"8080\"\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    resources:\n      limits:\n        cpu: 1000m\n        memory: 1024Mi\n",
    );
    let live = set(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: default\ndata:\n  password: aHVudGVyMg==\ntype: Opaque\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: default\nspec:\n  ports:\n  - port: 80\n    protocol: TCP\n    targetPort: 8080\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: default\nspec:\n  containers:\n  - name: c\n    resources:\n      limits:\n        cpu: \"1\"\n        memory: 1Gi\n",
    );
    let report = diff::diff(&desired, &live, &DiffOptions::default()).unwrap();
    for r in &report.resources {
        assert_eq!(r.status, SyncStatus::Synced, "{}: {:?}", r.id, r.changes);
    }
    let changed = set(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: other\n",
    );
    let report = diff::diff(&changed, &live, &DiffOptions::default()).unwrap();
    assert_eq!(report.resources[0].changes[0].path, "data.password");
}

#[test]
fn ignore_rules_by_pointer_and_by_manager() {
    let live = live_with(DEPLOYMENT, "spec:\n  replicas: 7\n  template:\n    spec:\n      containers:\n      - name: app\n        image: web:1\n  paused: true\n")
        .replace("  annotations:\n", "  managedFields:\n  - manager: kubectl-patch\n    operation: Update\n    fieldsV1: {\"f:spec\": {\"f:paused\": {}}}\n  annotations:\n");
    let drifted = diff::diff(&set(DEPLOYMENT), &set(&live), &DiffOptions::default()).unwrap();
    let paths: Vec<&str> = drifted.resources[0]
        .changes
        .iter()
        .map(|c| c.path.as_str())
        .collect();
    assert_eq!(paths, ["spec.replicas", "spec.paused"]);
    let rules = diff::parse_ignore_rules(
        "- group: apps\n  kind: Deployment\n  jsonPointers: [/spec/replicas]\n  managedFieldsManagers: [kubectl-patch]\n",
        "ignore.yaml",
    )
    .unwrap();
    let options = DiffOptions {
        ignore: rules,
        ..DiffOptions::default()
    };
    let report = diff::diff(&set(DEPLOYMENT), &set(&live), &options).unwrap();
    assert_eq!(
        report.resources[0].status,
        SyncStatus::Synced,
        "{:?}",
        report.resources[0].changes
    );
}

#[test]
fn bad_live_input_is_a_clear_error() {
    let err = load_manifests("apiVersion: v1\nmetadata:\n  name: x\n", "live.yaml").unwrap_err();
    assert!(err.to_string().starts_with("live.yaml"), "{err}");
    assert!(err.to_string().contains("kind"), "{err}");
    let err = load_manifests(
        "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n",
        "live.yaml",
    )
    .unwrap_err();
    assert!(err.to_string().contains("already registered"), "{err}");
}

/// No Secret value appears anywhere in a report (changes, patch, unified
/// diff, text and JSON), from desired, live or the last-applied annotation;
/// masks keep equal values equal and different values different, so the
/// verdict is the same; `show_secrets` shows them.
#[test]
fn secret_values_are_masked_everywhere() {
    let secret = |password: &str, extra: &str| {
        format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: prod\n{extra}data:\n  password: {password}\n  user: YWRtaW4=\nstringData:\n  token: plain-token-value\n"
        )
    };
    let desired = load_manifests(&secret("bmV3LXNlY3JldA==", ""), "desired.yaml").expect("loads");
    let applied = r#"{"apiVersion":"v1","kind":"Secret","metadata":{"name":"db","namespace":"prod"},"data":{"password":"YXBwbGllZC1zZWNyZXQ="}}"#;
    let annotation = format!(
        "  annotations:\n    kubectl.kubernetes.io/last-applied-configuration: '{applied}'\n    vault.example.com/token: vault-token-value\n"
    );
    let live =
        load_manifests(&secret("b2xkLXNlY3JldA==", &annotation), "live.yaml").expect("loads");
    let options = DiffOptions {
        sensitive_annotations: vec!["vault.example.com/token".into()],
        ..DiffOptions::default()
    };
    let report = diff::diff(&desired, &live, &options).expect("diffs");
    let shown = format!("{}{}", report.to_json(), report.to_text());
    for value in [
        "bmV3LXNlY3JldA==",
        "b2xkLXNlY3JldA==",
        "YXBwbGllZC1zZWNyZXQ=",
        "YWRtaW4=",
        "plain-token-value",
        "cGxhaW4tdG9rZW4tdmFsdWU=",
        "vault-token-value",
    ] {
        assert!(!shown.contains(value), "{value} shown:\n{shown}");
    }
    let resource = &report.resources[0];
    assert_eq!(resource.status, SyncStatus::OutOfSync);
    let paths: Vec<&str> = resource.changes.iter().map(|c| c.path.as_str()).collect();
    assert!(paths.contains(&"data.password"), "{paths:?}");
    assert!(
        !paths.contains(&"data.user"),
        "equal values stay equal: {paths:?}"
    );

    let open = DiffOptions {
        show_secrets: true,
        ..DiffOptions::default()
    };
    let report = diff::diff(&desired, &live, &open).expect("diffs");
    assert!(report.to_json().contains("bmV3LXNlY3JldA=="));
}

/// A generated Secret's base64 is wrapped at 70 columns, as kustomize
/// prints it; the API server returns the same bytes on one line: Synced.
/// And a masked Secret gets no patch (a patch of masks would write them).
#[test]
fn wrapped_base64_is_the_same_bytes_and_masked_secrets_get_no_patch() {
    let long = "x".repeat(100);
    let src: trueup_core::MemorySource = [
        (
            "app/kustomization.yaml",
            "secretGenerator:\n- name: tls\n  files: [tls.crt]\n  options: {disableNameSuffixHash: true}\n".to_owned(),
        ),
        ("app/tls.crt", long.clone()),
    ]
    .into_iter()
    .collect();
    let desired = trueup_core::build_source(&src, "app").expect("renders");
    assert!(
        desired.to_yaml().contains("tls.crt: |"),
        "wrapped as kustomize prints it"
    );
    // base64 of the 100 bytes, on one line.
    let flat = format!("{}eA==", "eHh4".repeat(33));
    let live = load_manifests(
        &format!("apiVersion: v1\nkind: Secret\nmetadata:\n  name: tls\n  namespace: default\ntype: Opaque\ndata:\n  tls.crt: {flat}\n"),
        "live.yaml",
    )
    .expect("loads");
    let report = diff::diff(&desired, &live, &DiffOptions::default()).expect("diffs");
    assert_eq!(
        report.resources[0].status,
        SyncStatus::Synced,
        "{:?}",
        report.resources[0].changes
    );

    let changed = load_manifests(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: tls\n  namespace: default\ntype: Opaque\ndata:\n  tls.crt: b3RoZXI=\n",
        "live.yaml",
    )
    .expect("loads");
    let report = diff::diff(&desired, &changed, &DiffOptions::default()).expect("diffs");
    assert_eq!(report.resources[0].status, SyncStatus::OutOfSync);
    assert!(report.resources[0].patch.is_none(), "no patch of masks");
    let open = DiffOptions {
        show_secrets: true,
        ..DiffOptions::default()
    };
    let report = diff::diff(&desired, &changed, &open).expect("diffs");
    assert!(report.resources[0].patch.is_some());
}

/// Argo CD's ignore rules match group and kind as globs, and a rule without
/// a group is about the core group only (argo-cd util/argo/diff/ignore.go).
#[test]
fn ignore_rules_match_group_and_kind_as_argo_cd_does() {
    let live = live_with(
        DEPLOYMENT,
        "spec:\n  replicas: 7\n  template:\n    spec:\n      containers:\n      - name: app\n        image: web:1\n",
    );
    let status = |rules: &str| {
        let options = DiffOptions {
            ignore: diff::parse_ignore_rules(rules, "ignore.yaml").unwrap(),
            ..DiffOptions::default()
        };
        diff::diff(&set(DEPLOYMENT), &set(&live), &options)
            .unwrap()
            .resources[0]
            .status
    };
    assert_eq!(
        status("- group: app*\n  kind: Deploy*\n  jsonPointers: [/spec/replicas]\n"),
        SyncStatus::Synced
    );
    assert_eq!(
        status("- group: '{apps,batch}'\n  kind: '*'\n  jsonPointers: [/spec/replicas]\n"),
        SyncStatus::Synced
    );
    assert_eq!(
        status("- kind: Deployment\n  jsonPointers: [/spec/replicas]\n"),
        SyncStatus::OutOfSync
    );
    assert_eq!(
        status(
            "- group: apps\n  kind: Deployment\n  name: other\n  jsonPointers: [/spec/replicas]\n"
        ),
        SyncStatus::OutOfSync
    );
}

/// gitops-engine's TestIgnoreNamespaceForClusterScopedResources: a custom
/// kind whose live object has no namespace is cluster-scoped; the namespace
/// Git gives it is dropped by the API server, not a difference.
#[test]
fn a_namespace_the_api_server_dropped_from_a_cluster_scoped_kind_is_no_difference() {
    let desired = "apiVersion: foo.io/v1\nkind: Foo\nmetadata:\n  name: my-foo\n  namespace: kube-system\nspec:\n  foo: bar\n";
    let live = "apiVersion: foo.io/v1\nkind: Foo\nmetadata:\n  name: my-foo\n  uid: 1\nspec:\n  foo: bar\n";
    let report = diff::diff(&set(desired), &set(live), &DiffOptions::default()).unwrap();
    assert_eq!(report.resources.len(), 1, "{:?}", report.resources);
    assert_eq!(report.resources[0].status, SyncStatus::Synced);
    let changed = live.replace("foo: bar", "foo: baz");
    let report = diff::diff(&set(desired), &set(&changed), &DiffOptions::default()).unwrap();
    assert_eq!(report.resources[0].status, SyncStatus::OutOfSync);
}

/// gitops-engine's TestNullSecretData: a Secret key mapped to null holds the
/// same bytes as "".
#[test]
fn a_secret_key_mapped_to_null_equals_an_empty_value() {
    let desired = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  namespace: prod\ndata:\n  password: ''\n  user: YQ==\n";
    let live = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  namespace: prod\ndata:\n  password: null\n  user: YQ==\n";
    let report = diff::diff(&set(desired), &set(live), &DiffOptions::default()).unwrap();
    assert_eq!(
        report.resources[0].status,
        SyncStatus::Synced,
        "{:?}",
        report.resources[0].changes
    );
    let report = diff::diff(
        &set(desired),
        &set(&live.replace("YQ==", "Yg==")),
        &DiffOptions::default(),
    )
    .unwrap();
    assert_eq!(report.resources[0].status, SyncStatus::OutOfSync);
}

/// Argo CD health scripts, laid out as its `resource_customizations` or in
/// an argocd-cm ConfigMap: a script decides its kind's health; a hostile one
/// (endless loop, runaway memory, `os.execute`) gives Unknown with the
/// reason within its bounds, and the diff of everything else goes on.
#[test]
fn health_scripts_decide_custom_kinds_and_hostile_ones_are_bounded() {
    use trueup_core::health::HealthStatus;
    use trueup_core::health_scripts::HealthScripts;
    let dir = std::env::temp_dir().join(format!("trueup-health-scripts-{}", std::process::id()));
    let write = |path: &str, text: &str| {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write(
        "example.com/Widget/health.lua",
        "hs = {}\nif obj.status ~= nil and obj.status.ready then\n  hs.status = 'Healthy'\n  hs.message = 'ready'\nelse\n  hs.status = 'Progressing'\n  hs.message = 'waiting for ' .. obj.metadata.name\nend\nreturn hs\n",
    );
    write("example.com/Loop/health.lua", "while true do end\n");
    write(
        "example.com/Hog/health.lua",
        "local s = string.rep('x', 1048576) local t = {} for i = 1, 1e6 do t[i] = s .. i end\n",
    );
    write(
        "example.com/Shell/health.lua",
        "os.execute('id')\nreturn {status = 'Healthy'}\n",
    );
    write(
        "_.example.org/_/health.lua",
        "return {status = 'Suspended', message = 'wildcard'}\n",
    );
    let scripts = HealthScripts::load(&dir).expect("scripts load");
    std::fs::remove_dir_all(&dir).unwrap();
    let object = |kind: &str, group: &str, status: &str| {
        format!(
            "apiVersion: {group}/v1\nkind: {kind}\nmetadata:\n  name: {}\n  namespace: prod\n{status}---\n",
            kind.to_lowercase()
        )
    };
    let desired: String = ["Widget", "Loop", "Hog", "Shell"]
        .iter()
        .map(|k| object(k, "example.com", ""))
        .chain([object("Gadget", "things.example.org", "")])
        .collect();
    let live: String = ["Widget", "Loop", "Hog", "Shell"]
        .iter()
        .map(|k| {
            object(
                k,
                "example.com",
                if *k == "Widget" {
                    "status:\n  ready: true\n"
                } else {
                    ""
                },
            )
        })
        .chain([object("Gadget", "things.example.org", "")])
        .collect();
    let options = DiffOptions {
        health_scripts: Some(std::sync::Arc::new(scripts)),
        ..DiffOptions::default()
    };
    let started = std::time::Instant::now();
    let report = diff::diff(&set(&desired), &set(&live), &options).expect("the diff goes on");
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    let health = |kind: &str| {
        let r = report
            .resources
            .iter()
            .find(|r| r.id.contains(kind))
            .expect(kind);
        (
            r.health.expect("assessed"),
            r.health_message.clone().unwrap_or_default(),
        )
    };
    assert_eq!(
        health("Widget"),
        (HealthStatus::Healthy, "ready".to_owned())
    );
    assert_eq!(
        health("Gadget"),
        (HealthStatus::Suspended, "wildcard".to_owned())
    );
    for (kind, reason) in [
        ("Loop", "more than a second"),
        ("Hog", "memory"),
        ("Shell", "execute"),
    ] {
        let (status, message) = health(kind);
        assert_eq!(status, HealthStatus::Unknown, "{kind}");
        assert!(message.contains(reason), "{kind}: {message}");
    }
    assert!(
        report
            .resources
            .iter()
            .all(|r| r.status == SyncStatus::Synced)
    );

    // The same script from an argocd-cm ConfigMap.
    let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: argocd-cm\ndata:\n  resource.customizations.health.example.com_Widget: |\n    return {status = 'Degraded', message = 'from the ConfigMap'}\n";
    let file = std::env::temp_dir().join(format!("trueup-argocd-cm-{}.yaml", std::process::id()));
    std::fs::write(&file, cm).unwrap();
    let scripts = HealthScripts::load(&file).expect("the ConfigMap loads");
    std::fs::remove_file(&file).unwrap();
    let widget = trueup_core::health::assess_with_scripts(
        "example.com",
        "Widget",
        set(&object("Widget", "example.com", ""))
            .iter()
            .next()
            .unwrap()
            .value(),
        Some(&scripts),
    )
    .expect("assessed");
    assert_eq!(
        (widget.status, widget.message.as_str()),
        (HealthStatus::Degraded, "from the ConfigMap")
    );
}

/// Argo CD's `jqPathExpressions` (util/argo/normalizers: `del(EXPR)` over
/// both sides): an init container a webhook injects is not a difference; an
/// expression that does not fit the object leaves it as it is; one that is
/// not jq is an error naming the rule.
#[test]
fn jq_path_expressions_ignore_what_they_select() {
    let with_init = |name: &str| {
        DEPLOYMENT.replace(
            "      containers:\n",
            &format!("      initContainers:\n      - name: {name}\n        image: init:1\n      containers:\n"),
        )
    };
    let live = live_with(
        DEPLOYMENT,
        "spec:\n  replicas: 3\n  template:\n    spec:\n      initContainers:\n      - name: istio-init\n        image: proxy:1\n      containers:\n      - name: app\n        image: web:1\n",
    );
    let status = |rules: &str, desired: &str| {
        let options = DiffOptions {
            ignore: diff::parse_ignore_rules(rules, "ignore.yaml").unwrap(),
            ..DiffOptions::default()
        };
        diff::diff(&set(desired), &set(&live), &options)
            .unwrap()
            .resources[0]
            .status
    };
    let select = "- group: apps\n  kind: Deployment\n  jqPathExpressions:\n  - .spec.template.spec.initContainers[] | select(.name == \"istio-init\")\n";
    // Git pins another image of the injected container than the cluster runs.
    let pinned = with_init("istio-init");
    assert_eq!(status("[]", &pinned), SyncStatus::OutOfSync);
    assert_eq!(status(select, &pinned), SyncStatus::Synced);
    assert_eq!(status(select, &with_init("other")), SyncStatus::OutOfSync);
    let missing =
        "- group: apps\n  kind: Deployment\n  jqPathExpressions: ['.spec.fakeField.foo[]']\n";
    assert_eq!(status(missing, &pinned), SyncStatus::OutOfSync);
    let err = diff::parse_ignore_rules(
        "- group: apps\n  kind: Deployment\n  jqPathExpressions: ['.spec[']\n",
        "ignore.yaml",
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("ignore.yaml: ignoreDifferences[0]: jqPathExpressions: \".spec[\""),
        "{err}"
    );
}

/// Rules in Argo CD's own places: an Application's `spec.ignoreDifferences`,
/// and an argocd-cm ConfigMap's `resource.customizations.ignoreDifferences.*`
/// keys (argo-cd util/settings: `<group>_<kind>`, `<kind>` for the core
/// group, `all`).
#[test]
fn ignore_rules_from_an_application_and_from_argocd_cm() {
    let application = "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: web\nspec:\n  ignoreDifferences:\n  - group: apps\n    kind: Deployment\n    jsonPointers: [/spec/replicas]\n";
    let rules = diff::parse_ignore_rules(application, "app.yaml").unwrap();
    assert_eq!(rules.len(), 1);
    assert_eq!(rules[0].json_pointers, ["/spec/replicas"]);
    let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: argocd-cm\ndata:\n  resource.customizations.ignoreDifferences.apps_Deployment: |\n    jqPathExpressions:\n    - .spec.replicas\n  resource.customizations.ignoreDifferences.Service: |\n    jsonPointers: [/spec/clusterIP]\n  resource.customizations.ignoreDifferences.all: |\n    managedFieldsManagers: [kube-controller-manager]\n  resource.customizations.health.apps_Deployment: return nil\n";
    let rules = diff::parse_ignore_rules(cm, "argocd-cm.yaml").unwrap();
    let summary: Vec<(Option<&str>, Option<&str>)> = rules
        .iter()
        .map(|r| (r.group.as_deref(), r.kind.as_deref()))
        .collect();
    assert_eq!(
        summary,
        [
            (Some("apps"), Some("Deployment")),
            (Some(""), Some("Service")),
            (Some("*"), Some("*"))
        ]
    );
    assert_eq!(rules[0].jq_path_expressions, [".spec.replicas"]);
    assert_eq!(rules[1].json_pointers, ["/spec/clusterIP"]);
    assert_eq!(
        rules[2].managed_fields_managers,
        ["kube-controller-manager"]
    );
    let live = live_with(
        DEPLOYMENT,
        "spec:\n  replicas: 7\n  template:\n    spec:\n      containers:\n      - name: app\n        image: web:1\n",
    );
    let options = DiffOptions {
        ignore: rules,
        ..DiffOptions::default()
    };
    let report = diff::diff(&set(DEPLOYMENT), &set(&live), &options).unwrap();
    assert_eq!(report.resources[0].status, SyncStatus::Synced);
}

/// Server-side apply (gitops-engine's TestServerSideDiff "will reflect
/// deletion of labels"): without the last-applied annotation, the fields an
/// applier owns through `Apply` are what it last applied, so a field it
/// applied that Git no longer has is a change; a field nobody applied is
/// the server's, not a difference.
#[test]
fn fields_a_server_side_applier_owns_are_the_last_applied_state() {
    let desired = "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: prod\n  labels:\n    app: web\nspec:\n  ports:\n  - name: http\n    port: 80\n";
    let live = |manager: &str| {
        format!(
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: prod\n  labels:\n    app: web\n    delete-me: x\n  managedFields:\n  - manager: {manager}\n    operation: Apply\n    fieldsType: FieldsV1\n    fieldsV1:\n      f:metadata:\n        f:labels:\n          f:app: {{}}\n          f:delete-me: {{}}\n      f:spec:\n        f:ports:\n          k:{{\"port\":80,\"protocol\":\"TCP\"}}:\n            .: {{}}\n            f:name: {{}}\n            f:port: {{}}\nspec:\n  clusterIP: 10.0.0.1\n  ports:\n  - name: http\n    port: 80\n    protocol: TCP\n"
        )
    };
    let report = diff::diff(
        &set(desired),
        &set(&live("argocd-controller")),
        &DiffOptions::default(),
    )
    .unwrap();
    let r = &report.resources[0];
    assert_eq!(r.status, SyncStatus::OutOfSync);
    let changes: Vec<(&str, &str)> = r
        .changes
        .iter()
        .map(|c| (c.path.as_str(), c.cause.as_str()))
        .collect();
    assert_eq!(changes, [("metadata.labels.delete-me", "change")]);
    // Another applier's Apply is not ours: nothing we applied is gone.
    let theirs = diff::diff(
        &set(desired),
        &set(&live("someone-else")),
        &DiffOptions::default(),
    )
    .unwrap();
    assert_eq!(theirs.resources[0].status, SyncStatus::Synced);
    // Unless we name it.
    let options = DiffOptions {
        apply_managers: vec!["someone-else".into()],
        ..DiffOptions::default()
    };
    let named = diff::diff(&set(desired), &set(&live("someone-else")), &options).unwrap();
    assert_eq!(named.resources[0].status, SyncStatus::OutOfSync);
}

/// jq expressions come from rules that may live in Git: what could run
/// without end or allocate without bound is refused when the rules are read.
#[test]
fn jq_expressions_that_could_run_without_end_are_refused() {
    for expression in [
        ".metadata.labels[range(1e15)|tostring]",
        "def f: f | .a; f",
        ".spec | repeat(.)",
        ".spec | recurse(.a)",
        "limit(1e18; .spec)",
        ".a * 1000000000",
        "$ENV.HOME",
    ] {
        let rules =
            format!("- group: apps\n  kind: Deployment\n  jqPathExpressions: ['{expression}']\n");
        let err = diff::parse_ignore_rules(&rules, "ignore.yaml").expect_err(expression);
        assert!(
            err.to_string().contains("not allowed"),
            "{expression}: {err}"
        );
    }
    // A `*` inside a string is text, not multiplication.
    let rules = "- group: apps\n  kind: Deployment\n  jqPathExpressions: ['.metadata.annotations[\"a*b\"]']\n";
    assert!(diff::parse_ignore_rules(rules, "ignore.yaml").is_ok());
}

/// Non-pointer `omitempty` fields of the Kubernetes API (generated table,
/// `crates/core/data/omitempty_zero.tsv`): Git restating a zero value the
/// server drops is no difference; a non-zero value still is.
#[test]
fn a_zero_value_the_server_drops_is_no_difference() {
    let desired = DEPLOYMENT.replace(
        "      containers:\n      - name: app\n        image: web:1\n",
        "      hostNetwork: false\n      containers:\n      - name: app\n        image: web:1\n        tty: false\n        volumeMounts:\n        - name: config\n          mountPath: /etc/config\n          readOnly: false\n          subPath: \"\"\n",
    );
    let live = live_with(
        &desired,
        "spec:\n  replicas: 3\n  template:\n    spec:\n      containers:\n      - name: app\n        image: web:1\n        volumeMounts:\n        - name: config\n          mountPath: /etc/config\n",
    );
    let report = diff::diff(&set(&desired), &set(&live), &DiffOptions::default()).unwrap();
    assert_eq!(
        report.resources[0].status,
        SyncStatus::Synced,
        "{:?}",
        report.resources[0].changes
    );
    let read_only = desired.replace("readOnly: false", "readOnly: true");
    let report = diff::diff(&set(&read_only), &set(&live), &DiffOptions::default()).unwrap();
    let paths: Vec<&str> = report.resources[0]
        .changes
        .iter()
        .map(|c| c.path.as_str())
        .collect();
    assert_eq!(
        paths,
        ["spec.template.spec.containers[name=app].volumeMounts[mountPath=/etc/config].readOnly"]
    );
}

/// Argo CD's `argocd.argoproj.io/compare-options: IgnoreExtraneous`: an
/// extraneous object so marked does not make the application OutOfSync.
#[test]
fn an_extraneous_object_marked_ignore_extraneous_does_not_count() {
    let live = |options: &str| {
        set(&format!(
            "{}---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: leftover\n  namespace: prod\n  annotations:\n    argocd.argoproj.io/tracking-id: web:/ConfigMap:prod/leftover\n    argocd.argoproj.io/compare-options: {options}\n",
            live_with(DEPLOYMENT, "")
        ))
    };
    let extraneous = |options: &str| {
        let report = diff::diff(&set(DEPLOYMENT), &live(options), &DiffOptions::default()).unwrap();
        report
            .resources
            .iter()
            .filter(|r| r.status == SyncStatus::Extraneous)
            .count()
    };
    assert_eq!(extraneous("ServerSideDiff=true, IgnoreExtraneous"), 0);
    assert_eq!(extraneous("ServerSideDiff=true"), 1);
}

/// gitops-engine's TestDiffOptionIgnoreAggregateRoles: with
/// `ignoreAggregatedRoles`, the rules the aggregation controller filled in
/// are not a difference; without it they are.
#[test]
fn aggregated_roles_rules_are_ignored_when_asked() {
    let desired = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: admin\naggregationRule:\n  clusterRoleSelectors:\n  - matchLabels:\n      rbac.example.com/aggregate-to-admin: \"true\"\nrules: []\n";
    let live = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: admin\naggregationRule:\n  clusterRoleSelectors:\n  - matchLabels:\n      rbac.example.com/aggregate-to-admin: \"true\"\nrules:\n- apiGroups: [\"\"]\n  resources: [pods]\n  verbs: [get]\n";
    let status = |ignore_aggregated_roles| {
        let options = DiffOptions {
            ignore_aggregated_roles,
            ..DiffOptions::default()
        };
        diff::diff(&set(desired), &set(live), &options)
            .unwrap()
            .resources[0]
            .status
    };
    assert_eq!(status(false), SyncStatus::OutOfSync);
    assert_eq!(status(true), SyncStatus::Synced);
}

/// Argo CD's `knownTypeFields` (util/argo/normalizers/knowntypes_normalizer):
/// a custom resource's field declared as `core/Quantity` or
/// `meta/v1/Duration` compares by value, one declared `core/v1/PodSpec`
/// merges its containers by name; types Argo CD does not know are refused,
/// naming the rule. Argo CD reads them from argocd-cm's
/// `resource.customizations.knownTypeFields.<group>_<kind>` too.
#[test]
fn known_type_fields_compare_custom_fields_as_their_kubernetes_type() {
    let widget = |spec: &str| {
        format!(
            "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n  namespace: prod\nspec:\n{spec}"
        )
    };
    let status = |rules: &str, desired: &str, live: &str| {
        let options = DiffOptions {
            ignore: diff::parse_ignore_rules(rules, "rules.yaml").unwrap(),
            ..DiffOptions::default()
        };
        let report = diff::diff(&set(&widget(desired)), &set(&widget(live)), &options).unwrap();
        report.resources[0].status
    };
    let declared = "- group: example.com\n  kind: Widget\n  knownTypeFields:\n  - {field: spec.cpu, type: core/Quantity}\n  - {field: spec.every, type: meta/v1/Duration}\n  - {field: spec.template.spec, type: core/v1/PodSpec}\n";
    // A number the server wrote as a quantity: only a declaration says so.
    assert_eq!(
        status("[]", "  cpu: '0.5'\n", "  cpu: 500m\n"),
        SyncStatus::OutOfSync
    );
    assert_eq!(
        status(declared, "  cpu: '0.5'\n", "  cpu: 500m\n"),
        SyncStatus::Synced
    );
    assert_eq!(
        status(declared, "  cpu: '0.5'\n", "  cpu: 600m\n"),
        SyncStatus::OutOfSync
    );
    assert_eq!(
        status(declared, "  every: 90m\n", "  every: 1h30m0s\n"),
        SyncStatus::Synced
    );
    assert_eq!(
        status(declared, "  every: 90m\n", "  every: 1h0m0s\n"),
        SyncStatus::OutOfSync
    );
    // A sidecar a webhook injected into a declared pod spec is not Git's.
    let pod =
        "  template:\n    spec:\n      containers:\n      - name: app\n        image: app:1\n";
    let injected = format!("{pod}      - name: proxy\n        image: proxy:1\n");
    assert_eq!(status("[]", pod, &injected), SyncStatus::OutOfSync);
    assert_eq!(status(declared, pod, &injected), SyncStatus::Synced);

    let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: argocd-cm\ndata:\n  resource.customizations.knownTypeFields.example.com_Widget: |\n    - field: spec.cpu\n      type: core/Quantity\n";
    let rules = diff::parse_ignore_rules(cm, "argocd-cm.yaml").unwrap();
    assert_eq!(rules[0].group.as_deref(), Some("example.com"));
    assert_eq!(rules[0].known_type_fields[0].field, "spec.cpu");
    assert_eq!(
        status(cm, "  cpu: '0.5'\n", "  cpu: 500m\n"),
        SyncStatus::Synced
    );

    let err = diff::parse_ignore_rules(
        "- kind: Widget\n  group: example.com\n  knownTypeFields:\n  - {field: spec.x, type: core/v1/Nothing}\n",
        "rules.yaml",
    )
    .unwrap_err();
    assert!(
        err.to_string().starts_with(
            "rules.yaml: ignoreDifferences[0]: knownTypeFields[0]: type: \"core/v1/Nothing\""
        ),
        "{err}"
    );
}

/// A custom resource's schema is unknown, but a string the API server
/// rewrote to the canonical form of its type reads differently and means
/// the same: two strings with units that are the same quantity (`1.25G`,
/// `1250M`) or Go duration (`8760h`, `8760h0m0s`) are the same. Text
/// without units, and free-form maps, compare as written.
#[test]
fn a_custom_resources_canonicalized_quantities_and_durations_are_no_drift() {
    let object = |kind: &str, body: &str| {
        let api = if kind == "ConfigMap" {
            "v1"
        } else {
            "example.com/v1"
        };
        set(&format!(
            "apiVersion: {api}\nkind: {kind}\nmetadata:\n  name: c\n  namespace: prod\n{body}"
        ))
    };
    let status = |kind: &str, desired: &str, live: &str| {
        diff::diff(
            &object(kind, desired),
            &object(kind, live),
            &DiffOptions::default(),
        )
        .unwrap()
        .resources[0]
            .status
    };
    assert_eq!(
        status("Cert", "spec:\n  ram: 1.25G\n", "spec:\n  ram: 1250M\n"),
        SyncStatus::Synced
    );
    assert_eq!(
        status(
            "Cert",
            "spec:\n  duration: 8760h\n",
            "spec:\n  duration: 8760h0m0s\n"
        ),
        SyncStatus::Synced
    );
    assert_eq!(
        status("Cert", "spec:\n  ram: 1.25G\n", "spec:\n  ram: 1G\n"),
        SyncStatus::OutOfSync
    );
    assert_eq!(
        status(
            "Cert",
            "spec:\n  version: '1.0'\n",
            "spec:\n  version: '1'\n"
        ),
        SyncStatus::OutOfSync
    );
    assert_eq!(
        status(
            "Cert",
            "spec:\n  labels:\n    size: 1.25G\n",
            "spec:\n  labels:\n    size: 1250M\n"
        ),
        SyncStatus::OutOfSync
    );
    assert_eq!(
        status(
            "ConfigMap",
            "data:\n  ram: 1.25G\n",
            "data:\n  ram: 1250M\n"
        ),
        SyncStatus::OutOfSync
    );
}

/// `PodDisruptionBudget.spec.selector` is `patchStrategy: replace` in the
/// Kubernetes API (and in the schema kyaml ships): a strategic merge patch
/// replaces it whole, so the converging patch carries all of Git's
/// selector, and a label an ignore rule names keeps its live value (argo-cd
/// controller/sync_test.go TestNormalizeTargetResourcesPDBSelector).
#[test]
fn a_field_replaced_whole_is_patched_whole() {
    let pdb = |labels: &str| {
        format!(
            "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: web\n  namespace: prod\nspec:\n  minAvailable: 1\n  selector:\n    matchLabels:\n{labels}"
        )
    };
    let live = pdb("      app: web\n      version: v1\n");
    let patch = |desired: &str, rules: &str| {
        let options = DiffOptions {
            ignore: diff::parse_ignore_rules(rules, "rules.yaml").unwrap(),
            ..DiffOptions::default()
        };
        let report = diff::diff(&set(desired), &set(&live), &options).unwrap();
        let patch = report.resources[0].patch.clone().expect("a patch");
        serde_json::to_value(&patch).unwrap()
    };
    let desired = pdb("      app: web-v2\n      version: v2\n");
    assert_eq!(
        patch(&desired, "[]"),
        serde_json::json!({"spec": {"selector": {"matchLabels": {"app": "web-v2", "version": "v2"}}}})
    );
    let ignore_version = "- group: policy\n  kind: PodDisruptionBudget\n  jsonPointers: [/spec/selector/matchLabels/version]\n";
    assert_eq!(
        patch(&desired, ignore_version),
        serde_json::json!({"spec": {"selector": {"matchLabels": {"app": "web-v2", "version": "v1"}}}})
    );
    // A Deployment's selector merges: its patch names only what changed.
    let deployment = |labels: &str| {
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: prod\nspec:\n  selector:\n    matchLabels:\n{labels}"
        )
    };
    let report = diff::diff(
        &set(&deployment("      app: web-v2\n      version: v1\n")),
        &set(&deployment("      app: web\n      version: v1\n")),
        &DiffOptions::default(),
    )
    .unwrap();
    assert_eq!(
        serde_json::to_value(report.resources[0].patch.clone().unwrap()).unwrap(),
        serde_json::json!({"spec": {"selector": {"matchLabels": {"app": "web-v2"}}}})
    );
}

/// Argo CD 3 ties live objects to their application with the
/// `argocd.argoproj.io/tracking-id` annotation (its default
/// `resourceTrackingMethod`); the `app.kubernetes.io/instance` label then is
/// an ordinary label, compared as any other. With `label` (Argo CD 2's
/// default) the label tracks and is not compared; `annotation+label` takes
/// either.
#[test]
fn tracking_follows_argo_cd_3_and_the_label_only_when_asked() {
    let desired = set(DEPLOYMENT);
    let leftover = |metadata: &str| {
        format!(
            "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: leftover\n  namespace: prod\n{metadata}"
        )
    };
    let by_label = leftover("  labels:\n    app.kubernetes.io/instance: web\n");
    let by_annotation = leftover(
        "  annotations:\n    argocd.argoproj.io/tracking-id: web:/ConfigMap:prod/leftover\n",
    );
    let extraneous = |method: TrackingMethod, objects: &str| {
        let live = set(&format!("{}{objects}", live_with(DEPLOYMENT, "")));
        let options = DiffOptions {
            tracking_method: method,
            ..DiffOptions::default()
        };
        let report = diff::diff(&desired, &live, &options).unwrap();
        report
            .resources
            .iter()
            .filter(|r| r.status == SyncStatus::Extraneous)
            .count()
    };
    assert_eq!(TrackingMethod::default(), TrackingMethod::Annotation);
    assert_eq!(extraneous(TrackingMethod::Annotation, &by_annotation), 1);
    assert_eq!(extraneous(TrackingMethod::Annotation, &by_label), 0);
    assert_eq!(extraneous(TrackingMethod::Label, &by_label), 1);
    assert_eq!(extraneous(TrackingMethod::Label, &by_annotation), 0);
    assert_eq!(
        extraneous(
            TrackingMethod::AnnotationAndLabel,
            &format!("{by_label}{}", by_annotation.replace("leftover", "other"))
        ),
        2
    );

    // A label Git sets that differs in the cluster: a difference with
    // annotation tracking, not compared with label tracking.
    let labelled = DEPLOYMENT.replace(
        "  namespace: prod\n",
        "  namespace: prod\n  labels:\n    app.kubernetes.io/instance: web\n",
    );
    let live = set(&labelled.replace("instance: web\n", "instance: web-copy\n"));
    let paths = |method: TrackingMethod| {
        let options = DiffOptions {
            tracking_method: method,
            ..DiffOptions::default()
        };
        let report = diff::diff(&set(&labelled), &live, &options).unwrap();
        report.resources[0]
            .changes
            .iter()
            .map(|c| c.path.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        paths(TrackingMethod::Annotation),
        ["metadata.labels[\"app.kubernetes.io/instance\"]"]
    );
    assert!(paths(TrackingMethod::Label).is_empty());
    assert_eq!(
        "annotation+label".parse::<TrackingMethod>().unwrap(),
        TrackingMethod::AnnotationAndLabel
    );
    let err = "labels".parse::<TrackingMethod>().unwrap_err();
    assert_eq!(
        err.to_string(),
        "trackingMethod: \"labels\" is not annotation, label or annotation+label"
    );
}

/// Git dropping a whole map removes the keys Git applied, never the ones a
/// controller added (Argo CD's three-way patch: `annotations: null` would
/// wipe `deployment.kubernetes.io/revision`).
#[test]
fn a_map_git_dropped_loses_only_the_keys_git_owned() {
    let applied = DEPLOYMENT.replace(
        "  namespace: prod\n",
        "  namespace: prod\n  annotations:\n    team: shop\n",
    );
    let live = live_with(&applied, "spec:\n  replicas: 3\n  template:\n    spec:\n      containers:\n      - name: app\n        image: web:1\n")
        .replace(
            "  annotations:\n",
            "  annotations:\n    team: shop\n    deployment.kubernetes.io/revision: '4'\n",
        );
    let report = diff::diff(&set(DEPLOYMENT), &set(&live), &DiffOptions::default()).unwrap();
    let r = &report.resources[0];
    let changes: Vec<(&str, Cause)> = r
        .changes
        .iter()
        .map(|c| (c.path.as_str(), c.cause))
        .collect();
    assert_eq!(changes, [("metadata.annotations.team", Cause::Change)]);
    assert_eq!(
        serde_json::to_value(r.patch.clone().expect("a patch")).unwrap(),
        serde_json::json!({"metadata": {"annotations": {"team": null}}})
    );
}

/// Argo CD's `ignoreResourceStatusField` (util/settings: `all`, Argo CD 3's
/// default; `crd`, Argo CD 2's: only CustomResourceDefinitions' status is
/// left out; `none`, also read as `off`/`false`): a `status` Git gives is
/// compared unless it is left out.
#[test]
fn status_git_gives_is_compared_when_asked() {
    let with_status = |kind: &str, phase: &str| {
        let api = if kind == "CustomResourceDefinition" {
            "apiextensions.k8s.io/v1"
        } else {
            "example.com/v1"
        };
        format!(
            "apiVersion: {api}\nkind: {kind}\nmetadata:\n  name: w\nstatus:\n  phase: {phase}\n"
        )
    };
    let status = |setting: &str, kind: &str| {
        let options = DiffOptions {
            ignore_resource_status_field: setting.parse().unwrap(),
            ..DiffOptions::default()
        };
        let report = diff::diff(
            &set(&with_status(kind, "Ready")),
            &set(&with_status(kind, "Failed")),
            &options,
        )
        .unwrap();
        let r = &report.resources[0];
        (
            r.status,
            r.changes.iter().map(|c| c.path.clone()).collect::<Vec<_>>(),
        )
    };
    assert_eq!(status("all", "Widget"), (SyncStatus::Synced, vec![]));
    assert_eq!(
        status("none", "Widget"),
        (SyncStatus::OutOfSync, vec!["status.phase".to_owned()])
    );
    assert_eq!(status("off", "Widget").0, SyncStatus::OutOfSync);
    assert_eq!(status("crd", "Widget").0, SyncStatus::OutOfSync);
    assert_eq!(
        status("crd", "CustomResourceDefinition").0,
        SyncStatus::Synced
    );
    assert_eq!(
        status("none", "CustomResourceDefinition").0,
        SyncStatus::OutOfSync
    );
    // Only a status Git gives: the server's own is never a difference.
    let options = DiffOptions {
        ignore_resource_status_field: diff::IgnoreResourceStatus::None,
        ..DiffOptions::default()
    };
    let bare = "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n";
    let report = diff::diff(&set(bare), &set(&with_status("Widget", "Failed")), &options).unwrap();
    assert_eq!(report.resources[0].status, SyncStatus::Synced);
    let err = "some".parse::<diff::IgnoreResourceStatus>().unwrap_err();
    assert_eq!(
        err.to_string(),
        "ignoreResourceStatusField: \"some\" is not all, crd or none"
    );
}

/// The scope of a custom kind, as the API server's discovery tells Argo CD:
/// from a CustomResourceDefinition (in the desired set or given), else from
/// a live object of the kind (one without a namespace is cluster-scoped).
/// An object of a cluster-scoped kind gets no destination namespace, so a
/// `ClusterIssuer` is neither Missing in `prod` nor Extraneous.
#[test]
fn custom_kinds_are_cluster_scoped_as_their_crd_or_live_objects_say() {
    let issuer = "apiVersion: cert-manager.io/v1\nkind: ClusterIssuer\nmetadata:\n  name: letsencrypt\nspec:\n  acme: {}\n";
    let crd = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: clusterissuers.cert-manager.io\nspec:\n  group: cert-manager.io\n  names:\n    kind: ClusterIssuer\n    plural: clusterissuers\n  scope: Cluster\n  versions: []\n";
    let report = |desired: &str, live: &str, crds: Option<&str>| {
        let options = DiffOptions {
            namespace: Some("prod".into()),
            crds: crds.map(set),
            ..DiffOptions::default()
        };
        diff::diff(&set(desired), &set(live), &options).unwrap()
    };
    let run = |desired: &str, live: &str, crds: Option<&str>| {
        report(desired, live, crds)
            .resources
            .iter()
            .map(|r| (r.id.clone(), r.status))
            .collect::<Vec<_>>()
    };
    let id = "cert-manager.io/ClusterIssuer//letsencrypt".to_owned();
    // The live object tells.
    assert_eq!(
        run(issuer, issuer, None),
        [(id.clone(), SyncStatus::Synced)]
    );
    // Nothing tells: a custom kind is namespaced, as the API server would
    // need to be told otherwise.
    let missing = run(issuer, "", None);
    assert_eq!(missing[0].1, SyncStatus::Missing);
    // A CRD in the desired set, or given, tells.
    let with_crd = format!("{crd}---\n{issuer}");
    let in_desired = diff::diff(
        &set(&with_crd),
        &set(""),
        &DiffOptions {
            namespace: Some("prod".into()),
            ..DiffOptions::default()
        },
    )
    .unwrap();
    let shown = &in_desired
        .resources
        .iter()
        .find(|r| r.id == id)
        .expect("reported")
        .diff;
    assert!(!shown.contains("namespace"), "{shown}");
    assert_eq!(
        run(issuer, "", Some(crd)),
        [(id.clone(), SyncStatus::Missing)]
    );
    assert!(
        !report(issuer, "", Some(crd)).resources[0]
            .diff
            .contains("namespace")
    );
    let namespaced_crd = crd.replace("scope: Cluster", "scope: Namespaced");
    let namespaced = report(issuer, "", Some(&namespaced_crd));
    assert!(
        namespaced.resources[0]
            .diff
            .contains("+  namespace: prod\n"),
        "{}",
        namespaced.resources[0].diff
    );
    // Git naming a namespace for it: the API server drops it.
    let named = issuer.replace(
        "  name: letsencrypt\n",
        "  name: letsencrypt\n  namespace: prod\n",
    );
    assert_eq!(run(&named, issuer, None), [(id, SyncStatus::Synced)]);
}

/// Git removing a line that restated the API server's default is no
/// difference: applying removes the field and the server sets it again
/// (gitops-engine applies the scheme's defaults to the predicted live
/// object). The defaults are Kubernetes' own (`data/defaults.tsv`, from its
/// `SetDefaults_*` functions): a container's `imagePullPolicy` is
/// `IfNotPresent`, or `Always` for a `latest` tag; ports are TCP; a
/// Deployment keeps 10 revisions. A value that is not the default is a
/// change.
#[test]
fn a_line_that_restated_a_server_default_removed_from_git_is_no_difference() {
    let restated = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: prod\nspec:\n  revisionHistoryLimit: 10\n  template:\n    spec:\n      dnsPolicy: ClusterFirst\n      containers:\n      - name: app\n        image: IMAGE\n        imagePullPolicy: POLICY\n        ports:\n        - containerPort: 80\n          protocol: TCP\n        readinessProbe:\n          httpGet: {port: 80, path: /, scheme: HTTP}\n          periodSeconds: 10\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: prod\nspec:\n  type: ClusterIP\n  ports:\n  - port: 80\n    protocol: TCP\n";
    let trimmed = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: prod\nspec:\n  template:\n    spec:\n      containers:\n      - name: app\n        image: IMAGE\n        ports:\n        - containerPort: 80\n        readinessProbe:\n          httpGet: {port: 80}\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: prod\nspec:\n  ports:\n  - port: 80\n";
    let changes = |image: &str, policy: &str| {
        let applied = restated.replace("IMAGE", image).replace("POLICY", policy);
        let options = DiffOptions {
            last_applied: Some(set(&applied)),
            ..DiffOptions::default()
        };
        let report = diff::diff(
            &set(&trimmed.replace("IMAGE", image)),
            &set(&applied),
            &options,
        )
        .unwrap();
        report
            .resources
            .iter()
            .flat_map(|r| r.changes.iter().map(|c| c.path.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(changes("web:1.4", "IfNotPresent"), Vec::<String>::new());
    assert_eq!(changes("web", "Always"), Vec::<String>::new());
    assert_eq!(changes("web:latest", "Always"), Vec::<String>::new());
    assert_eq!(
        changes("web@sha256:0123", "IfNotPresent"),
        Vec::<String>::new()
    );
    let pull = "spec.template.spec.containers[name=app].imagePullPolicy".to_owned();
    assert_eq!(changes("web:1.4", "Always"), std::slice::from_ref(&pull));
    assert_eq!(changes("web:latest", "IfNotPresent"), [pull]);
    // A value that is not the server's default is Git's to remove.
    let options = |applied: &str| DiffOptions {
        last_applied: Some(set(applied)),
        ..DiffOptions::default()
    };
    let applied = restated
        .replace("IMAGE", "web:1")
        .replace("POLICY", "IfNotPresent")
        .replace("revisionHistoryLimit: 10", "revisionHistoryLimit: 3");
    let report = diff::diff(
        &set(&trimmed.replace("IMAGE", "web:1")),
        &set(&applied),
        &options(&applied),
    )
    .unwrap();
    let paths: Vec<&str> = report.resources[0]
        .changes
        .iter()
        .map(|c| c.path.as_str())
        .collect();
    assert_eq!(paths, ["spec.revisionHistoryLimit"]);
}

/// The API server sorts an Endpoints object's subsets (Kubernetes'
/// `endpoints.SortSubsets`; gitops-engine's `normalizeEndpoint` sorts both
/// sides and defaults a port's protocol to TCP): the order Git writes
/// addresses and ports in is no difference, another address is.
#[test]
fn endpoints_compare_whatever_the_order_of_their_subsets() {
    let endpoints = |subsets: &str| {
        set(&format!(
            "apiVersion: v1\nkind: Endpoints\nmetadata:\n  name: db\n  namespace: prod\nsubsets:\n{subsets}"
        ))
    };
    let git = endpoints(
        "- addresses:\n  - ip: 10.0.0.2\n  - ip: 10.0.0.1\n  ports:\n  - {name: b, port: 6432}\n  - {name: a, port: 5432}\n- addresses:\n  - ip: 10.0.1.9\n  ports:\n  - {name: c, port: 80}\n",
    );
    let live = endpoints(
        "- addresses:\n  - ip: 10.0.1.9\n  ports:\n  - {name: c, port: 80, protocol: TCP}\n- addresses:\n  - ip: 10.0.0.1\n  - ip: 10.0.0.2\n  ports:\n  - {name: a, port: 5432, protocol: TCP}\n  - {name: b, port: 6432, protocol: TCP}\n",
    );
    let status = |git: &ManifestSet, live: &ManifestSet| {
        diff::diff(git, live, &DiffOptions::default())
            .unwrap()
            .resources[0]
            .status
    };
    assert_eq!(status(&git, &live), SyncStatus::Synced);
    let moved = endpoints(
        "- addresses:\n  - ip: 10.0.1.9\n  ports:\n  - {name: c, port: 80}\n- addresses:\n  - ip: 10.0.0.1\n  - ip: 10.0.0.3\n  ports:\n  - {name: a, port: 5432}\n  - {name: b, port: 6432}\n",
    );
    assert_eq!(status(&git, &moved), SyncStatus::OutOfSync);
}

/// A Service's ports are keyed by port and protocol (the API's list-map
/// keys): DNS's port 53 is two ports, TCP and UDP, and the order live
/// lists them in is no difference.
#[test]
fn service_ports_are_keyed_by_port_and_protocol() {
    let service = |ports: &str| {
        set(&format!(
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: dns\n  namespace: kube-system\nspec:\n  ports:\n{ports}"
        ))
    };
    let desired = service(
        "  - {name: dns, port: 53, protocol: UDP, targetPort: 53}\n  - {name: dns-tcp, port: 53, targetPort: 53}\n",
    );
    let live = |udp_target: u16| {
        service(&format!(
            "  - {{name: dns-tcp, port: 53, protocol: TCP, targetPort: 53}}\n  - {{name: dns, port: 53, protocol: UDP, targetPort: {udp_target}}}\n"
        ))
    };
    let report = diff::diff(&desired, &live(53), &DiffOptions::default()).unwrap();
    assert_eq!(
        report.resources[0].status,
        SyncStatus::Synced,
        "{:?}",
        report.resources[0].changes
    );
    let report = diff::diff(&desired, &live(5353), &DiffOptions::default()).unwrap();
    let paths: Vec<&str> = report.resources[0]
        .changes
        .iter()
        .map(|c| c.path.as_str())
        .collect();
    assert_eq!(paths, ["spec.ports[port=53,protocol=UDP].targetPort"]);
    assert_eq!(
        serde_json::to_value(report.resources[0].patch.clone().unwrap()).unwrap(),
        serde_json::json!({"spec": {"ports": [{"port": 53, "protocol": "UDP", "targetPort": 53}]}})
    );
}
