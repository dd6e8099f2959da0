//! Evidence bundles on a real repository (built with the git CLI in a
//! temporary folder) and a live state with planted drift.

use std::path::Path;
use std::process::Command;

use trueup_core::git::{EvidenceRequest, Repo};
use trueup_core::release::{Attachment, ReleaseManifest, parse_exceptions, verify_evidence};
use trueup_core::{ErrorKind, Value};

#[path = "common/git_scratch.rs"]
mod git_scratch;
use git_scratch::{Scratch, digest, git, write};

/// Prod runs api and worker pinned at digests a and b.
fn shop(name: &str) -> (Scratch, String) {
    let s = Scratch::repo(&format!("evidence-{name}"));
    write(
        &s.0,
        "prod/kustomization.yaml",
        &format!(
            "namespace: shop\nresources:\n- app.yaml\nimages:\n- name: ghcr.io/acme/api\n  digest: {}\n- name: ghcr.io/acme/worker\n  digest: {}\n",
            digest('a'),
            digest('b')
        ),
    );
    write(
        &s.0,
        "prod/app.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  replicas: 2\n  template:\n    spec:\n      containers:\n      - name: api\n        image: ghcr.io/acme/api:1\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: worker\nspec:\n  replicas: 1\n  template:\n    spec:\n      containers:\n      - name: worker\n        image: ghcr.io/acme/worker:1\n",
    );
    git(&s.0, &["add", "-A"]);
    git(&s.0, &["commit", "-q", "-m", "prod"]);
    let rev = git(&s.0, &["rev-parse", "HEAD"]);
    (s, rev)
}

fn release() -> ReleaseManifest {
    let mut r = ReleaseManifest::new("shop-1", "https://github.com/acme/shop", &"1".repeat(40));
    r.add_image(&format!("ghcr.io/acme/api@{}", digest('a')));
    r.add_image(&format!("ghcr.io/acme/worker@{}", digest('b')));
    r
}

/// Live state: the Deployments as applied (healthy), and a Pod of api.
fn live(api_template: char, worker_replicas: u32, pod_running: char) -> trueup_core::ManifestSet {
    let deployment = |name: &str, d: char, replicas: u32| {
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  namespace: shop\n  generation: 1\nspec:\n  replicas: {replicas}\n  template:\n    spec:\n      containers:\n      - name: {name}\n        image: ghcr.io/acme/{name}@{}\nstatus:\n  observedGeneration: 1\n  replicas: {replicas}\n  updatedReplicas: {replicas}\n  readyReplicas: {replicas}\n  availableReplicas: {replicas}\n",
            digest(d)
        )
    };
    let pod = format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: api-1\n  namespace: shop\n  ownerReferences:\n  - {{apiVersion: apps/v1, kind: ReplicaSet, name: api-1, uid: u}}\nspec:\n  containers:\n  - name: api\n    image: ghcr.io/acme/api@{}\nstatus:\n  phase: Running\n  containerStatuses:\n  - name: api\n    image: ghcr.io/acme/api@{}\n    imageID: ghcr.io/acme/api@{}\n    ready: true\n",
        digest('a'),
        digest('a'),
        digest(pod_running)
    );
    trueup_core::load_manifests(
        &format!(
            "{}---\n{}---\n{pod}",
            deployment("api", api_template, 2),
            deployment("worker", 'b', worker_replicas)
        ),
        "live.yaml",
    )
    .expect("live")
}

fn bundle(
    repo: &Repo,
    rev: &str,
    live: &trueup_core::ManifestSet,
    exceptions: &[trueup_core::release::Exception],
) -> Value {
    let release = release();
    let attachments = [Attachment {
        name: "smoke.xml".into(),
        bytes: b"<testsuite tests=\"3\" failures=\"0\"/>".to_vec(),
    }];
    repo.evidence(&EvidenceRequest {
        release: &release,
        environment: "prod",
        revision: rev,
        live,
        attachments: &attachments,
        exceptions,
        created_at: Some("2026-11-29T12:00:00Z".into()),
        diff: Default::default(),
    })
    .expect("a bundle")
}

#[test]
fn a_clean_environment_is_ready_and_its_bundle_verifies() {
    let (s, rev) = shop("clean");
    let repo = Repo::open(&s.0).expect("repo");
    let b = bundle(&repo, &rev, &live('a', 1, 'a'), &[]);
    assert_eq!(
        b.get_path(&["ready"]),
        Some(&Value::Bool(true)),
        "{}",
        serde_json::to_string_pretty(&b).unwrap()
    );
    assert_eq!(b.get_path(&["imageDrift"]), Some(&Value::Seq(Vec::new())));
    assert_eq!(
        b.get_path(&["revision"]).and_then(Value::as_str),
        Some(rev.as_str())
    );
    assert_eq!(
        b.get_path(&["releaseId"]).and_then(Value::as_str),
        Some(release().id().as_str())
    );
    // The desired state's hash is the sha256 of what `trueup build --rev` prints.
    let rendered = repo
        .build("prod", &rev, &Default::default())
        .expect("renders");
    let hash = {
        use sha2::Digest as _;
        let d = sha2::Sha256::digest(rendered.to_yaml().as_bytes());
        format!(
            "sha256:{}",
            d.iter().map(|b| format!("{b:02x}")).collect::<String>()
        )
    };
    assert_eq!(
        b.get_path(&["desiredSha256"]).and_then(Value::as_str),
        Some(hash.as_str())
    );
    // Reproducible: the same inputs give the same id; it verifies.
    let again = bundle(&repo, &rev, &live('a', 1, 'a'), &[]);
    assert_eq!(b.get_path(&["id"]), again.get_path(&["id"]));
    let text = serde_json::to_string_pretty(&b).expect("json");
    assert!(verify_evidence(&text, "e.json").expect("verifies"));
}

#[test]
fn planted_drift_is_found_exactly_and_any_tampering_fails_verify() {
    let (s, rev) = shop("drift");
    let repo = Repo::open(&s.0).expect("repo");
    // The api template runs digest c, its pod runs digest d; worker was
    // scaled by hand (a field drift, not an image one).
    let b = bundle(&repo, &rev, &live('c', 3, 'd'), &[]);
    assert_eq!(b.get_path(&["ready"]), Some(&Value::Bool(false)));
    let drift: Vec<(String, String, String)> = match b.get_path(&["imageDrift"]) {
        Some(Value::Seq(items)) => items
            .iter()
            .map(|d| {
                let get = |k: &str| {
                    d.get_path(&[k])
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_owned()
                };
                (get("resource"), get("container"), get("image"))
            })
            .collect(),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        drift,
        [
            (
                "apps/Deployment/shop/api".to_owned(),
                "spec.template.spec.containers[name=api]".to_owned(),
                format!("ghcr.io/acme/api@{}", digest('c'))
            ),
            (
                "/Pod/shop/api-1".to_owned(),
                "status.containerStatuses[name=api]".to_owned(),
                format!("ghcr.io/acme/api@{}", digest('d'))
            ),
        ]
    );
    let resources = match b.get_path(&["sync", "resources"]) {
        Some(Value::Seq(items)) => items.clone(),
        other => panic!("{other:?}"),
    };
    let changes: Vec<String> = resources
        .iter()
        .flat_map(|r| match r.get_path(&["changes"]) {
            Some(Value::Seq(c)) => c
                .iter()
                .map(|c| {
                    format!(
                        "{} {} {}",
                        r.get_path(&["id"]).and_then(Value::as_str).unwrap_or(""),
                        c.get_path(&["cause"]).and_then(Value::as_str).unwrap_or(""),
                        c.get_path(&["path"]).and_then(Value::as_str).unwrap_or("")
                    )
                })
                .collect::<Vec<_>>(),
            _ => Vec::new(),
        })
        .collect();
    assert_eq!(
        changes,
        [
            "apps/Deployment/shop/api change spec.template.spec.containers[name=api].image",
            "apps/Deployment/shop/worker change spec.replicas",
        ]
    );
    // Tampering with any byte of the content fails verify.
    let text = serde_json::to_string(&b).expect("json");
    assert!(verify_evidence(&text, "e.json").is_ok());
    for (i, _) in text
        .char_indices()
        .filter(|(i, c)| c.is_ascii_alphanumeric() && i % 7 == 0)
    {
        let mut bytes = text.clone().into_bytes();
        bytes[i] = if bytes[i] == b'0' { b'1' } else { b'0' };
        let tampered = String::from_utf8(bytes).expect("ascii");
        if let Ok(parsed) = serde_json::from_str::<serde_json::Value>(&tampered)
            && parsed == serde_json::from_str::<serde_json::Value>(&text).expect("json")
        {
            continue;
        }
        let result = verify_evidence(&tampered, "e.json");
        assert!(result.is_err(), "byte {i} changed and it still verifies");
    }
}

#[test]
fn exceptions_excuse_what_they_name_until_they_expire() {
    let (s, rev) = shop("exceptions");
    let repo = Repo::open(&s.0).expect("repo");
    let live = live('a', 1, 'd');
    let approve = |expires: &str| {
        parse_exceptions(
            &format!("- id: EX-7\n  rule: image-drift\n  match: {{image: ghcr.io/acme/api}}\n  reason: canary pod on the next build\n  approver: platform-team\n  expires: {expires}\n"),
            "exceptions.yaml",
        )
        .expect("reads")
    };
    assert_eq!(
        bundle(&repo, &rev, &live, &[]).get_path(&["ready"]),
        Some(&Value::Bool(false))
    );
    let excused = bundle(&repo, &rev, &live, &approve("2027-01-31"));
    assert_eq!(excused.get_path(&["ready"]), Some(&Value::Bool(true)));
    assert!(matches!(excused.get_path(&["exceptions"]), Some(Value::Seq(e)) if e.len() == 1));
    let release = release();
    let expired = repo.evidence(&EvidenceRequest {
        release: &release,
        environment: "prod",
        revision: &rev,
        live: &live,
        attachments: &[],
        exceptions: &approve("2026-11-28"),
        created_at: Some("2026-11-29T12:00:00Z".into()),
        diff: Default::default(),
    });
    let err = expired.expect_err("an expired exception is refused");
    assert_eq!(err.kind(), ErrorKind::Release);
    assert_eq!(
        err.to_string(),
        "exception EX-7: expired on 2026-11-28 (the bundle is made 2026-11-29)"
    );
    let bad = parse_exceptions(
        "- {id: X, rule: anything, reason: r, approver: a, expires: 2027-01-01}\n",
        "exceptions.yaml",
    )
    .unwrap_err();
    assert!(
        bad.to_string()
            .contains("exceptions[0]: rule: \"anything\""),
        "{bad}"
    );
}

#[test]
fn the_cli_exits_0_ready_1_not_ready_and_verify_catches_tampering() {
    let (s, rev) = shop("cli");
    let write = |name: &str, text: &str| {
        let path = s.0.join(name);
        std::fs::write(&path, text).expect("writes");
        path
    };
    let release = write("release.yaml", &release().to_yaml());
    let run = |live: &trueup_core::ManifestSet| {
        let live = write("live.yaml", &live.to_yaml());
        let out = Command::new(env!("CARGO_BIN_EXE_trueup"))
            .args(["evidence", "--release"])
            .arg(&release)
            .args(["--env", "prod", "--rev", &rev, "--live"])
            .arg(&live)
            .args(["--created-at", "2026-11-29T12:00:00Z"])
            .current_dir(&s.0)
            .output()
            .expect("runs");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (code, ready) = run(&live('a', 1, 'a'));
    assert_eq!(code, Some(0));
    let (code, _) = run(&live('c', 1, 'a'));
    assert_eq!(code, Some(1));
    let bundle = write("evidence.json", &ready);
    let verify = |path: &Path| {
        Command::new(env!("CARGO_BIN_EXE_trueup"))
            .args(["evidence", "verify"])
            .arg(path)
            .output()
            .expect("runs")
            .status
            .code()
    };
    assert_eq!(verify(&bundle), Some(0));
    let tampered = write(
        "tampered.json",
        &ready.replacen("2026-11-29T12:00:00Z", "2026-11-29T12:00:01Z", 1),
    );
    assert_ne!(std::fs::read_to_string(&tampered).expect("reads"), ready);
    assert_eq!(verify(&tampered), Some(2));
}

/// A bundle whose `ready` was set by hand (id recomputed) fails verify;
/// a misspelt `match` is an error, not an exception to everything; the
/// time must be RFC 3339; Docker Hub names match as runtimes report them.
#[test]
fn ready_is_what_the_content_says_and_exceptions_are_exact() {
    let (s, rev) = shop("forged");
    let repo = Repo::open(&s.0).expect("repo");
    let b = bundle(&repo, &rev, &live('c', 1, 'a'), &[]);
    assert_eq!(b.get_path(&["ready"]), Some(&Value::Bool(false)));
    // A forger sets `ready` and recomputes the id over the canonical JSON
    // (keys sorted, no spaces: RFC 8785 for this ASCII content).
    fn canonical(v: &serde_json::Value) -> String {
        match v {
            serde_json::Value::Object(m) => {
                let sorted: std::collections::BTreeMap<&String, String> =
                    m.iter().map(|(k, v)| (k, canonical(v))).collect();
                let members: Vec<String> = sorted
                    .into_iter()
                    .map(|(k, v)| format!("{}:{v}", serde_json::to_string(k).expect("json")))
                    .collect();
                format!("{{{}}}", members.join(","))
            }
            serde_json::Value::Array(items) => {
                format!(
                    "[{}]",
                    items.iter().map(canonical).collect::<Vec<_>>().join(",")
                )
            }
            other => other.to_string(),
        }
    }
    let mut forged = serde_json::to_value(&b).expect("json");
    let object = forged.as_object_mut().expect("an object");
    object.remove("id");
    object.insert("ready".into(), serde_json::Value::Bool(true));
    use sha2::Digest as _;
    let id = sha2::Sha256::digest(canonical(&forged).as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<String>();
    forged.as_object_mut().expect("an object").insert(
        "id".into(),
        serde_json::Value::String(format!("sha256:{id}")),
    );
    let err = verify_evidence(&forged.to_string(), "e.json").unwrap_err();
    assert!(err.to_string().contains("ready: says true"), "{err}");
    let typo = parse_exceptions(
        "- {id: X, rule: image-drift, match: {images: ghcr.io/acme/api}, reason: r, approver: a, expires: 2027-01-01}\n",
        "exceptions.yaml",
    )
    .unwrap_err();
    assert!(
        typo.to_string()
            .contains("match: expected {image: NAME} or {resource: ID}"),
        "{typo}"
    );
    let release = release();
    let err = repo
        .evidence(&EvidenceRequest {
            release: &release,
            environment: "prod",
            revision: &rev,
            live: &live('a', 1, 'a'),
            attachments: &[],
            exceptions: &[],
            created_at: Some("yesterday".into()),
            diff: Default::default(),
        })
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("createdAt: \"yesterday\" is not an RFC 3339"),
        "{err}"
    );
}
