//! `trueup verify`: a repository with one planted violation of every rule
//! reports each at the right file and line and nothing else; the example
//! repository reports nothing; exceptions, configuration errors, custom
//! resources, shards and the command line.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use trueup_core::MemorySource;
use trueup_core::guard::{Severity, VerifyConfig, VerifyOptions, verify, verify_source};

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn planted() -> PathBuf {
    repo().join("tests/verify/planted")
}

/// A fixed day, so that the planted exceptions' expiry does not depend on the calendar.
fn on_a_fixed_day() -> VerifyOptions {
    VerifyOptions {
        today: Some("2026-11-30".into()),
        jobs: Some(2),
        ..VerifyOptions::default()
    }
}

/// The values planted as secrets: none may appear in any output.
const PLANTED_SECRETS: &[&str] = &[
    "Vq7Lm2Xz9Kp4",
    "ghp_Zx81Lq0Vd7Kp3Mw9Rt2Yb6Nc4Fg5Js1Hq8Lm",
    "7Hq2xLp9Vd4Kz8Mw3Rt6Yb1Nc5Fg0Js",
    "MHcCAQEEIBkg4LVWM9nuwNSk3yBwUDcXCdSDvIlPMq2uvC7Bja9doAoGCCqGSM49",
    "eu-west-1",
];

#[test]
fn every_planted_violation_is_found_where_it_is_and_nothing_else() {
    let report = verify(planted(), &on_a_fixed_day()).expect("verifies");
    let expected: Vec<String> =
        std::fs::read_to_string(repo().join("tests/verify/planted.expected"))
            .expect("expected list")
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .map(str::to_owned)
            .collect();
    let found: Vec<String> = report
        .findings
        .iter()
        .map(|f| format!("{}:{}: {}", f.file, f.line, f.rule))
        .collect();
    assert_eq!(found, expected, "{}", report.to_text());

    // Every rule of the issue is among them.
    let rules: BTreeSet<&str> = report.findings.iter().map(|f| f.rule.as_str()).collect();
    for rule in [
        "secret-value",
        "private-key",
        "kubeconfig",
        "credential",
        "mutable-image",
        "unused-image-override",
        "ownership",
        "isolation",
        "schema",
        "names",
    ] {
        assert!(rules.contains(rule), "{rule} not planted");
    }

    // The unknown kind is the only warning; the report fails.
    let warnings: Vec<&str> = report
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Warning)
        .map(|f| f.file.as_str())
        .collect();
    assert_eq!(warnings, ["apps/legacy/overlays/staging/app.yaml"]);
    assert!(report.failed());

    // The ownership finding names both overlays; the typo'd image entry is
    // an error where prod requires digests.
    let ownership = report
        .findings
        .iter()
        .find(|f| f.rule == "ownership")
        .expect("ownership");
    assert_eq!(
        ownership.overlays,
        ["apps/api/overlays/prod", "apps/web/overlays/prod"]
    );
    assert!(
        ownership.message.contains("apps/api/overlays/prod")
            && ownership.message.contains("apps/web/overlays/prod")
    );
    let unused = report
        .findings
        .iter()
        .find(|f| f.rule == "unused-image-override")
        .expect("unused override");
    assert_eq!(unused.severity, Severity::Error);
    assert_eq!(
        unused.image.as_deref(),
        Some("registry.example.com/shop/wbe")
    );
    // A value set by an `images:` entry is found at that entry.
    let latest = report
        .findings
        .iter()
        .find(|f| f.rule == "mutable-image" && f.file.ends_with("staging/kustomization.yaml"))
        .expect("latest");
    assert_eq!((latest.line, latest.column), (6, 11));
    assert_eq!(
        latest.resource.as_deref(),
        Some("Deployment/shop-staging/web")
    );

    // The redis image without a tag is accepted by the exception, and listed.
    assert_eq!(report.exceptions.len(), 1);
    let applied = &report.exceptions[0];
    assert_eq!(applied.exception.rule, "mutable-image");
    assert_eq!(applied.findings.len(), 1);
    assert_eq!(
        applied.findings[0].image.as_deref(),
        Some("docker.io/library/redis")
    );

    // No secret value in any output.
    for output in [report.to_text(), report.to_json(), report.to_sarif()] {
        for secret in PLANTED_SECRETS {
            assert!(!output.contains(secret), "{secret} printed");
        }
    }
}

#[test]
fn the_example_repository_is_clean() {
    let report =
        verify(repo().join("examples/gitops"), &VerifyOptions::default()).expect("verifies");
    assert_eq!(report.findings, [], "{}", report.to_text());
    assert_eq!(report.overlays, 5);
    assert!(!report.failed());
}

fn memory(files: &[(&str, &str)]) -> MemorySource {
    files.iter().copied().collect()
}

const DEPLOYMENT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n      - name: web\n        image: nginx:1.27\n";

#[test]
fn references_and_encrypted_values_are_not_secrets() {
    let sops = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: ENC[AES256_GCM,data:Tr3x,iv:abc,tag:def,type:str]\nsops:\n  version: 3.9.0\n";
    let sealed = "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: db\nspec:\n  encryptedData:\n    password: AgBy3i4OJSWK+PiTySYZZA9rO43cGDEq8x7Lm2Xz9Kp4Vq7Lm2Xz9Kp4Vq7Lm2Xz9Kp4\n";
    let external = "apiVersion: external-secrets.io/v1\nkind: ExternalSecret\nmetadata:\n  name: db\nspec:\n  data:\n  - secretKey: password\n    remoteRef: {key: prod/db, property: password}\n";
    let env = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  DB_PASSWORD: ${DB_PASSWORD}\n  checksum/secret: 1c949ac50c5035c7b1061940f1d37dc113d9ffdef1d6df060651237e7fda2520\n  revision: 2f1d0c9b8a7e6d5c4b3a29180706f5e4d3c2b1a0\n";
    let source = memory(&[
        (
            "app/kustomization.yaml",
            "resources: [sops.yaml, external.yaml, cm.yaml]\n",
        ),
        ("app/sops.yaml", sops),
        ("app/sealed.yaml", sealed),
        ("app/external.yaml", external),
        ("app/cm.yaml", env),
    ]);
    let report = verify_source(&source, &VerifyOptions::default()).expect("verifies");
    let findings: Vec<String> = report
        .findings
        .iter()
        .map(|f| format!("{}:{}: {}", f.file, f.line, f.rule))
        .collect();
    // The rendered custom kind has no schema here (a warning), and nothing
    // else: the SOPS file is not checked against the Secret schema either
    // (it is decrypted, `sops` removed, before it is applied).
    assert_eq!(
        findings,
        ["app/external.yaml:1: schema"],
        "{}",
        report.to_text()
    );
    assert_eq!(report.findings[0].severity, Severity::Warning);
}

#[test]
fn custom_resources_are_checked_against_the_repositorys_definitions() {
    let crd = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: widgets.example.com\nspec:\n  group: example.com\n  names: {kind: Widget, plural: widgets}\n  scope: Namespaced\n  versions:\n  - name: v1\n    served: true\n    storage: true\n    schema:\n      openAPIV3Schema:\n        type: object\n        properties:\n          spec:\n            type: object\n            required: [size]\n            properties:\n              size: {type: integer}\n              labels:\n                type: object\n                additionalProperties: {type: string}\n              extra:\n                type: object\n                x-kubernetes-preserve-unknown-fields: true\n";
    let good = "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: good\nspec:\n  size: 3\n  labels: {a: b}\n  extra: {anything: [1, 2]}\n";
    let bad = "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: bad\nspec:\n  size: large\n  colour: red\n";
    let source = memory(&[
        ("crds/kustomization.yaml", "resources: [crd.yaml]\n"),
        ("crds/crd.yaml", crd),
        (
            "app/kustomization.yaml",
            "resources: [good.yaml, bad.yaml]\n",
        ),
        ("app/good.yaml", good),
        ("app/bad.yaml", bad),
    ]);
    let report = verify_source(&source, &VerifyOptions::default()).expect("verifies");
    let findings: Vec<String> = report
        .findings
        .iter()
        .map(|f| format!("{}:{}: {}", f.file, f.line, f.message))
        .collect();
    assert_eq!(
        findings,
        [
            "app/bad.yaml:6: Widget bad: at '/spec/size': got string, want integer",
            "app/bad.yaml:7: Widget bad: at '/spec/colour': additional property 'colour' not allowed",
        ],
        "{}",
        report.to_text()
    );
}

#[test]
fn unused_image_overrides_are_warnings_where_digests_are_not_required() {
    let source = memory(&[
        (
            "app/kustomization.yaml",
            "resources: [deploy.yaml]\nimages:\n- name: ngnix\n  newTag: \"1.28\"\n",
        ),
        ("app/deploy.yaml", DEPLOYMENT),
    ]);
    let report = verify_source(&source, &VerifyOptions::default()).expect("verifies");
    assert_eq!(report.findings.len(), 1, "{}", report.to_text());
    let finding = &report.findings[0];
    assert_eq!(
        (
            finding.rule.as_str(),
            finding.severity,
            finding.file.as_str(),
            finding.line
        ),
        (
            "unused-image-override",
            Severity::Warning,
            "app/kustomization.yaml",
            3
        )
    );
    assert!(!report.failed());
}

#[test]
fn an_exception_applies_through_its_last_day() {
    let config = |expires: &str| {
        VerifyConfig::from_yaml(
            &format!(
                "exceptions:\n- rule: mutable-image\n  match: {{image: nginx}}\n  reason: r\n  approver: a\n  expires: {expires}\n"
            ),
            "verify.yaml",
        )
        .expect("config")
    };
    let latest = DEPLOYMENT.replace("nginx:1.27", "nginx:latest");
    let source = memory(&[
        ("app/kustomization.yaml", "resources: [d.yaml]\n"),
        ("app/d.yaml", &latest),
    ]);
    let on = |expires: &str| {
        verify_source(
            &source,
            &VerifyOptions {
                config: Some(config(expires)),
                today: Some("2026-11-30".into()),
                ..VerifyOptions::default()
            },
        )
        .expect("verifies")
    };
    let today = on("2026-11-30");
    assert_eq!(today.findings, []);
    assert_eq!(today.exceptions.len(), 1);
    let yesterday = on("2026-11-29");
    let rules: Vec<&str> = yesterday.findings.iter().map(|f| f.rule.as_str()).collect();
    assert_eq!(rules, ["mutable-image", "expired-exception"]);
    assert_eq!(yesterday.findings[1].file, "verify.yaml");
    assert_eq!(yesterday.findings[1].line, 2);
}

#[test]
fn configuration_errors_name_the_file_line_and_field() {
    let dir = std::env::temp_dir().join(format!("trueup-verify-config-{}", std::process::id()));
    std::fs::create_dir_all(dir.join(".trueup")).expect("mkdir");
    std::fs::write(
        dir.join(".trueup/verify.yaml"),
        "environments:\n- name: prod\n  paths: [prod]\n  requireDigest: true\n",
    )
    .expect("write");
    let error = verify(&dir, &VerifyOptions::default()).expect_err("typo");
    let shown = error.to_string();
    assert_eq!(error.kind(), trueup_core::ErrorKind::Verify);
    assert!(
        shown.contains(".trueup/verify.yaml:4: environments[0]: unknown field \"requireDigest\""),
        "{shown}"
    );
    std::fs::write(
        dir.join(".trueup/verify.yaml"),
        "kubernetesVersion: \"1.19\"\n",
    )
    .expect("write");
    let shown = verify(&dir, &VerifyOptions::default())
        .expect_err("version")
        .to_string();
    assert!(
        shown.contains("no schemas for Kubernetes \"1.19\"; shipped: 1.33, 1.36"),
        "{shown}"
    );
    std::fs::remove_dir_all(&dir).expect("cleanup");
}

#[test]
fn shards_cover_every_overlay_and_file_once() {
    let full = verify(planted(), &on_a_fixed_day()).expect("verifies");
    let (mut overlays, mut files) = (0, 0);
    for index in 1..=3 {
        let shard = verify(
            planted(),
            &VerifyOptions {
                shard: Some(format!("{index}/3").parse().expect("shard")),
                ..on_a_fixed_day()
            },
        )
        .expect("verifies");
        overlays += shard.overlays;
        files += shard.files;
    }
    assert_eq!((overlays, files), (full.overlays, full.files));
}

fn trueup(args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_trueup"))
        .args(args)
        .current_dir(repo())
        .output()
        .expect("runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_command_exits_0_clean_1_findings_2_errors() {
    let (code, stdout, _) = trueup(&["verify", "examples/gitops"]);
    assert_eq!((code, stdout.as_str()), (Some(0), ""));
    let (code, stdout, _) = trueup(&["verify", "tests/verify/planted"]);
    assert_eq!(code, Some(1));
    assert!(
        stdout.contains("apps/web/base/service.yaml:9:11: schema: Service web: at '/spec/ports/0/port': got string, want integer\n"),
        "{stdout}"
    );
    let (code, stdout, _) = trueup(&["verify", "tests/verify/planted", "-o", "sarif"]);
    assert_eq!(code, Some(1));
    let sarif: serde_json::Value = serde_json::from_str(&stdout).expect("SARIF is JSON");
    assert_eq!(sarif["version"], "2.1.0");
    assert_eq!(sarif["runs"][0]["tool"]["driver"]["name"], "trueup");
    let (code, _, stderr) = trueup(&["verify", "examples/gitops", "--config", "no/such.yaml"]);
    assert_eq!(code, Some(2));
    assert!(stderr.starts_with("error: no/such.yaml: "), "{stderr}");
}

#[test]
fn ordinary_repositories_raise_no_false_findings() {
    // What a review found flagged wrongly: shared infrastructure of two
    // clusters with no configuration, cluster-scoped custom and newer
    // built-in kinds, `$variable` references, Helm secret names, an exec
    // kubeconfig, a CRD that restricts metadata, placeholder Secrets,
    // upper-case annotation keys.
    let infra = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: monitoring\n";
    let crd = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: clusterissuers.cert-manager.io\nspec:\n  group: cert-manager.io\n  names: {kind: ClusterIssuer, plural: clusterissuers}\n  scope: Cluster\n  versions:\n  - name: v1\n    served: true\n    storage: true\n    schema:\n      openAPIV3Schema:\n        type: object\n        properties:\n          metadata:\n            type: object\n            properties:\n              name: {type: string, maxLength: 60}\n          spec: {type: object, x-kubernetes-preserve-unknown-fields: true}\n";
    let issuer = "apiVersion: cert-manager.io/v1\nkind: ClusterIssuer\nmetadata:\n  name: letsencrypt\n  labels: {team: platform}\n  annotations:\n    Example.com/owner: platform\nspec:\n  acme: {server: https://acme-v02.api.letsencrypt.org/directory}\n";
    let class = "apiVersion: storage.k8s.io/v1\nkind: VolumeAttributesClass\nmetadata:\n  name: gold\ndriverName: ebs.csi.aws.com\nparameters:\n  iops: \"4000\"\n";
    let argocd_cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: argocd-cm\n  namespace: prod\ndata:\n  dex.config: |\n    connectors:\n    - type: github\n      config:\n        clientID: abc\n        clientSecret: $dex.github.clientSecret\n  PGPASSWORD: $PGPASSWORD_FROM_ENV\n  existingSecret: keycloak-db-v2\n  adminSecret: Postgres-Credentials\n";
    let placeholder = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: prod\n  annotations:\n    avp.kubernetes.io/path: kv/data/db\nstringData:\n  password: <password>\n  token: ${DB_TOKEN}\n";
    let kubeconfig = "apiVersion: v1\nkind: Config\nclusters:\n- name: eks\n  cluster: {server: https://x.eks.amazonaws.com}\ncontexts:\n- name: eks\n  context: {cluster: eks, user: eks}\nusers:\n- name: eks\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n      command: aws\n      args: [eks, get-token, --cluster-name, prod]\n";
    let source = memory(&[
        ("infra/kustomization.yaml", "resources: [ns.yaml]\n"),
        ("infra/ns.yaml", infra),
        (
            "clusters/prod/kustomization.yaml",
            "resources: [../../infra]\n",
        ),
        (
            "clusters/staging/kustomization.yaml",
            "resources: [../../infra]\n",
        ),
        (
            "apps/prod/kustomization.yaml",
            "resources: [crd.yaml, issuer.yaml, class.yaml, cm.yaml, secret.yaml]\n",
        ),
        ("apps/prod/crd.yaml", crd),
        ("apps/prod/issuer.yaml", issuer),
        ("apps/prod/class.yaml", class),
        ("apps/prod/cm.yaml", argocd_cm),
        ("apps/prod/secret.yaml", placeholder),
        ("ops/eks.kubeconfig", kubeconfig),
    ]);
    let config = VerifyConfig::from_yaml(
        "environments:\n- name: prod\n  paths: [apps/prod]\n  namespaces: [prod]\n",
        "verify.yaml",
    )
    .expect("config");
    let report = verify_source(
        &source,
        &VerifyOptions {
            config: Some(config),
            ..VerifyOptions::default()
        },
    )
    .expect("verifies");
    assert_eq!(report.findings, [], "{}", report.to_text());
}

#[test]
fn a_render_failure_does_not_print_a_generator_value() {
    let source = memory(&[(
        "app/kustomization.yaml",
        "secretGenerator:\n- name: db\n  literals: [\"password:Sup3rS3cretValue\"]\n",
    )]);
    let report = verify_source(&source, &VerifyOptions::default()).expect("verifies");
    let text = report.to_text();
    assert_eq!(report.findings.len(), 1, "{text}");
    assert_eq!(report.findings[0].rule, "render");
    assert!(
        text.contains(
            "literals[0]: invalid literal source (its text is not shown), expected key=value"
        ),
        "{text}"
    );
    assert!(!text.contains("Sup3rS3cretValue"), "{text}");
}

#[cfg(unix)]
#[test]
fn a_configuration_linked_from_outside_the_repository_is_refused() {
    let dir = std::env::temp_dir().join(format!("trueup-verify-link-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let repo = dir.join("repo");
    std::fs::create_dir_all(repo.join(".trueup")).expect("folders");
    std::fs::write(
        dir.join("outside.yaml"),
        "kubernetesVersion: \"secret-ish\"\n",
    )
    .expect("writes");
    std::os::unix::fs::symlink(dir.join("outside.yaml"), repo.join(".trueup/verify.yaml"))
        .expect("links");
    let err = verify(&repo, &VerifyOptions::default()).expect_err("refused");
    let text = err.to_string();
    assert!(
        text.contains(".trueup/verify.yaml") && text.contains("outside"),
        "{text}"
    );
    assert!(!text.contains("secret-ish"), "{text}");
    // A link inside the repository is the repository's file.
    std::fs::remove_file(repo.join(".trueup/verify.yaml")).expect("removes");
    std::fs::write(repo.join("verify.yaml"), "environments: []\n").expect("writes");
    std::os::unix::fs::symlink("../verify.yaml", repo.join(".trueup/verify.yaml")).expect("links");
    assert!(verify(&repo, &VerifyOptions::default()).is_ok());
    // A configuration named on the command line must be a regular file.
    let err = trueup_core::guard::VerifyConfig::load("/dev/null/nothing").expect_err("no file");
    assert!(err.to_string().contains("/dev/null/nothing"), "{err}");
    std::fs::remove_dir_all(&dir).expect("cleans up");
}
