//! Evidence bundles: what was intended (the release), what Git said (the
//! environment's rendered desired state at the sync revision, hashed), what
//! the cluster runs (the three-way diff against live state, and every
//! container whose image digest is not the release's), what was checked
//! (attached results, hashed) and what was excused (approved exceptions).
//! Its id is `sha256:` and the SHA-256 of the RFC 8785 canonical JSON of the
//! bundle without `id`; [`verify_evidence`] recomputes it.

use sha2::{Digest, Sha256};

use super::{ReleaseManifest, canonical::canonical_json, split_reference};
use crate::diff::{AppSync, DiffReport};
use crate::error::Error;
use crate::health::HealthStatus;
use crate::resource::ManifestSet;
use crate::yaml::Value;

/// The `kind` of an evidence bundle.
pub const EVIDENCE_KIND: &str = "EvidenceBundle";

/// An approved exception to a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exception {
    /// Its id.
    pub id: String,
    /// The rule it excuses: `image-drift` (a live image not at the
    /// release's digest), `out-of-sync` (a resource), `unhealthy` (a resource).
    pub rule: String,
    /// What it applies to: an image name (`image-drift`) or a resource id.
    pub target: Option<String>,
    /// Why.
    pub reason: String,
    /// Who approved it.
    pub approver: String,
    /// The last day it holds (`YYYY-MM-DD`).
    pub expires: String,
}

/// A file of results attached to the evidence (a smoke test's report).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// The file's name as given.
    pub name: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// What an evidence bundle is made from.
#[derive(Debug, Clone)]
pub struct EvidenceInput<'a> {
    /// The release intended.
    pub release: &'a ReleaseManifest,
    /// The environment's overlay path.
    pub environment: &'a str,
    /// The GitOps sync revision (a commit id).
    pub revision: &'a str,
    /// The environment's rendered desired state at that revision.
    pub desired: &'a ManifestSet,
    /// The three-way diff of that desired state against live state.
    pub report: &'a DiffReport,
    /// The live objects.
    pub live: &'a ManifestSet,
    /// Attached results.
    pub attachments: &'a [Attachment],
    /// Approved exceptions; an expired one is an error.
    pub exceptions: &'a [Exception],
    /// When the bundle is made (RFC 3339, UTC); given, the id is reproducible.
    pub created_at: &'a str,
}

fn hex_sha256(bytes: &[u8]) -> String {
    let mut out = String::from("sha256:");
    for byte in Sha256::digest(bytes) {
        out.push_str(&format!("{byte:02x}"));
    }
    out
}

fn text(s: &str) -> Value {
    Value::String(s.to_owned())
}

fn map(entries: Vec<(&str, Value)>) -> Value {
    Value::Map(
        entries
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
    )
}

/// Reads results files to attach, each named as given.
pub fn read_attachments<P: AsRef<std::path::Path>>(paths: &[P]) -> Result<Vec<Attachment>, Error> {
    paths
        .iter()
        .map(|path| {
            let name = path.as_ref().display().to_string();
            crate::source::read_regular_file(path.as_ref(), &name)
                .map(|bytes| Attachment { name, bytes })
        })
        .collect()
}

/// Reads a file of approved exceptions ([`parse_exceptions`]).
pub fn load_exceptions(path: impl AsRef<std::path::Path>) -> Result<Vec<Exception>, Error> {
    let name = path.as_ref().display().to_string();
    let bytes = crate::source::read_regular_file(path.as_ref(), &name)?;
    let text = String::from_utf8(bytes).map_err(|_| Error::release(&name, "is not UTF-8 text"))?;
    parse_exceptions(&text, &name)
}

/// Reads approved exceptions: a YAML list of `{id, rule, reason, approver,
/// expires, match: {image | resource}}`.
pub fn parse_exceptions(text_in: &str, file: &str) -> Result<Vec<Exception>, Error> {
    let docs = crate::yaml::parse_documents(text_in).map_err(|e| e.in_file(file))?;
    let mut out = Vec::new();
    for doc in docs {
        let items = match &doc.value {
            Value::Null => continue,
            Value::Seq(items) => items.clone(),
            Value::Map(m) => match m.get("exceptions") {
                Some(Value::Seq(items)) => items.clone(),
                _ => return Err(Error::release(file, "expected a list of exceptions")),
            },
            other => {
                return Err(Error::release(
                    file,
                    format!("expected a list, found {}", other.type_name()),
                ));
            }
        };
        for (i, item) in items.iter().enumerate() {
            let at = |m: &str| Error::release(file, format!("exceptions[{i}]: {m}"));
            let Value::Map(m) = item else {
                return Err(at("expected a mapping"));
            };
            crate::yaml::fields::check_keys(
                m,
                &["id", "rule", "reason", "approver", "expires", "match"],
            )
            .map_err(|e| at(&e))?;
            let field = |key: &str| -> Result<String, Error> {
                match m.get(key) {
                    Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
                    _ => Err(at(&format!("{key}: required (a string)"))),
                }
            };
            let rule = field("rule")?;
            if !matches!(rule.as_str(), "image-drift" | "out-of-sync" | "unhealthy") {
                return Err(at(&format!(
                    "rule: {rule:?} is not image-drift, out-of-sync or unhealthy"
                )));
            }
            // An unquoted date reads as a YAML timestamp, which the reader
            // writes out as midnight UTC: the day is what counts.
            let expires = field("expires")?;
            let expires = match expires.strip_suffix("T00:00:00Z") {
                Some(day) if is_date(day) => day.to_owned(),
                _ => expires,
            };
            if !is_date(&expires) {
                return Err(at(&format!(
                    "expires: {expires:?} is not a date (YYYY-MM-DD)"
                )));
            }
            // No `match`: the rule is excused everywhere. A `match` names
            // exactly one image or resource: a misspelt one must not widen
            // the exception to everything.
            let target = match m.get("match") {
                None | Some(Value::Null) => None,
                Some(Value::Map(t)) if t.len() == 1 => match (t.get("image"), t.get("resource")) {
                    (Some(Value::String(v)), None) | (None, Some(Value::String(v)))
                        if !v.is_empty() =>
                    {
                        Some(v.clone())
                    }
                    _ => return Err(at("match: expected {image: NAME} or {resource: ID}")),
                },
                Some(_) => return Err(at("match: expected {image: NAME} or {resource: ID}")),
            };
            out.push(Exception {
                id: field("id")?,
                rule,
                target,
                reason: field("reason")?,
                approver: field("approver")?,
                expires,
            });
        }
    }
    Ok(out)
}

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

/// An image name as registries mean it: Docker Hub's `docker.io/library/`
/// (what a runtime reports in `status.containerStatuses[].image`) and
/// `docker.io/` dropped, so `nginx` and `docker.io/library/nginx` are one.
fn normalized(name: &str) -> &str {
    let name = name.strip_prefix("docker-pullable://").unwrap_or(name);
    for prefix in [
        "docker.io/library/",
        "index.docker.io/library/",
        "docker.io/",
        "index.docker.io/",
    ] {
        if let Some(rest) = name.strip_prefix(prefix) {
            return rest.strip_prefix("library/").unwrap_or(rest);
        }
    }
    name.strip_prefix("library/").unwrap_or(name)
}

/// One container whose image is not at the release's digest.
fn image_drift(live: &ManifestSet, release: &ReleaseManifest) -> Vec<Value> {
    let wanted = |name: &str| {
        release
            .images
            .iter()
            .find(|i| normalized(&i.name) == normalized(name))
            .and_then(|i| i.digest.clone())
    };
    let mut out = Vec::new();
    for r in live {
        let id = r.id().to_string();
        // Workload templates and pods' specs: every container list.
        let mut containers: Vec<(String, &Value)> = Vec::new();
        collect_containers(r.value(), "", &mut containers);
        for (path, container) in containers {
            let Some(image) = container.get_path(&["image"]).and_then(Value::as_str) else {
                continue;
            };
            let (name, _, digest) = split_reference(image);
            if let Some(expected) = wanted(name)
                && digest != Some(expected.as_str())
            {
                out.push(map(vec![
                    ("resource", text(&id)),
                    ("container", text(&path)),
                    ("image", text(image)),
                    ("expected", text(&expected)),
                ]));
            }
        }
        // What a pod actually runs: status.containerStatuses[].imageID.
        for list in ["containerStatuses", "initContainerStatuses"] {
            let Some(Value::Seq(statuses)) = r.value().get_path(&["status", list]) else {
                continue;
            };
            for status in statuses {
                let (Some(image), Some(image_id)) = (
                    status.get_path(&["image"]).and_then(Value::as_str),
                    status.get_path(&["imageID"]).and_then(Value::as_str),
                ) else {
                    continue;
                };
                let name = split_reference(image).0;
                let running = image_id.rsplit_once('@').map(|(_, d)| d);
                if let (Some(expected), Some(running)) = (wanted(name), running)
                    && running != expected
                {
                    let container = status
                        .get_path(&["name"])
                        .and_then(Value::as_str)
                        .unwrap_or("");
                    out.push(map(vec![
                        ("resource", text(&id)),
                        (
                            "container",
                            text(&format!("status.{list}[name={container}]")),
                        ),
                        ("image", text(image_id)),
                        ("expected", text(&expected)),
                    ]));
                }
            }
        }
    }
    out
}

fn collect_containers<'v>(value: &'v Value, path: &str, out: &mut Vec<(String, &'v Value)>) {
    let Value::Map(m) = value else {
        return;
    };
    for (key, child) in m {
        if key == "status" && path.is_empty() {
            continue;
        }
        let here = if path.is_empty() {
            key.clone()
        } else {
            format!("{path}.{key}")
        };
        match (key.as_str(), child) {
            ("containers" | "initContainers" | "ephemeralContainers", Value::Seq(items)) => {
                for item in items {
                    let name = item
                        .get_path(&["name"])
                        .and_then(Value::as_str)
                        .unwrap_or("");
                    out.push((format!("{here}[name={name}]"), item));
                }
            }
            (_, Value::Map(_)) => collect_containers(child, &here, out),
            _ => {}
        }
    }
}

fn health_name(h: Option<HealthStatus>) -> Value {
    match h {
        Some(h) => serde_json::to_value(h)
            .ok()
            .and_then(|v| v.as_str().map(text))
            .unwrap_or(Value::Null),
        None => Value::Null,
    }
}

/// Makes the evidence bundle (see the module docs), its `id` set.
/// An expired exception is an error.
pub fn evidence_bundle(input: &EvidenceInput<'_>) -> Result<Value, Error> {
    if !is_timestamp(input.created_at) {
        return Err(Error::release(
            "createdAt",
            format!(
                "{:?} is not an RFC 3339 UTC time (2026-11-29T12:00:00Z)",
                input.created_at
            ),
        ));
    }
    let today = &input.created_at[..10];
    for e in input.exceptions {
        if e.expires.as_str() < today {
            return Err(Error::release(
                format!("exception {}", e.id),
                format!("expired on {} (the bundle is made {today})", e.expires),
            ));
        }
    }
    let release_json: Value =
        Value::from_json(&input.release.to_json()).map_err(|e| Error::release("release", e))?;
    let desired_sha = hex_sha256(input.desired.to_yaml().as_bytes());
    let mut resources = Vec::new();
    for r in &input.report.resources {
        let drift: Vec<Value> = r
            .changes
            .iter()
            .map(|c| {
                map(vec![
                    ("path", text(&c.path)),
                    (
                        "cause",
                        serde_json::to_value(c.cause)
                            .ok()
                            .and_then(|v| v.as_str().map(text))
                            .unwrap_or(Value::Null),
                    ),
                ])
            })
            .collect();
        let status = serde_json::to_value(r.status)
            .ok()
            .and_then(|v| v.as_str().map(text))
            .unwrap_or(Value::Null);
        resources.push(map(vec![
            ("id", text(&r.id)),
            ("status", status),
            ("health", health_name(r.health)),
            ("changes", Value::Seq(drift)),
        ]));
    }
    let drift = image_drift(input.live, input.release);
    let synced = input.report.sync == AppSync::Synced;
    let attachments: Vec<Value> = input
        .attachments
        .iter()
        .map(|a| {
            map(vec![
                ("name", text(&a.name)),
                ("sha256", text(&hex_sha256(&a.bytes))),
            ])
        })
        .collect();
    let exceptions: Vec<Value> = input
        .exceptions
        .iter()
        .map(|e| {
            map(vec![
                ("id", text(&e.id)),
                ("rule", text(&e.rule)),
                ("match", e.target.as_deref().map_or(Value::Null, text)),
                ("reason", text(&e.reason)),
                ("approver", text(&e.approver)),
                ("expires", text(&e.expires)),
            ])
        })
        .collect();
    let s = &input.report.summary;
    let mut bundle = map(vec![
        ("apiVersion", text(super::API_VERSION)),
        ("kind", text(EVIDENCE_KIND)),
        ("createdAt", text(input.created_at)),
        ("release", release_json),
        ("releaseId", text(&input.release.id())),
        ("environment", text(input.environment)),
        ("revision", text(input.revision)),
        ("desiredSha256", text(&desired_sha)),
        (
            "sync",
            map(vec![
                ("status", text(if synced { "Synced" } else { "OutOfSync" })),
                ("health", health_name(input.report.health)),
                (
                    "summary",
                    map(vec![
                        ("synced", Value::Int(s.synced as i64)),
                        ("outOfSync", Value::Int(s.out_of_sync as i64)),
                        ("missing", Value::Int(s.missing as i64)),
                        ("extraneous", Value::Int(s.extraneous as i64)),
                    ]),
                ),
                ("resources", Value::Seq(resources)),
            ]),
        ),
        ("imageDrift", Value::Seq(drift)),
        ("attachments", Value::Seq(attachments)),
        ("exceptions", Value::Seq(exceptions)),
    ]);
    let ready = ready_of(&bundle);
    if let Value::Map(m) = &mut bundle {
        m.insert("ready".into(), Value::Bool(ready));
    }
    let id = hex_sha256(canonical_json(&bundle).as_bytes());
    if let Value::Map(m) = &mut bundle {
        m.insert("id".into(), text(&id));
    }
    Ok(bundle)
}

/// Whether a bundle's content says the environment is ready: synced and
/// healthy (or every resource that is not excused by an `out-of-sync` or
/// `unhealthy` exception), and every image drift excused by an
/// `image-drift` exception.
fn ready_of(bundle: &Value) -> bool {
    let get =
        |v: &'_ Value, path: &[&str]| v.get_path(path).and_then(Value::as_str).map(str::to_owned);
    let exceptions: Vec<(String, Option<String>)> = match bundle.get_path(&["exceptions"]) {
        Some(Value::Seq(items)) => items
            .iter()
            .map(|e| (get(e, &["rule"]).unwrap_or_default(), get(e, &["match"])))
            .collect(),
        _ => Vec::new(),
    };
    let excused = |rule: &str, target: &str, same: &dyn Fn(&str, &str) -> bool| {
        exceptions
            .iter()
            .any(|(r, t)| r == rule && t.as_deref().is_none_or(|t| same(t, target)))
    };
    let equal = |a: &str, b: &str| a == b;
    let same_image = |a: &str, b: &str| normalized(a) == normalized(b);
    let synced = get(bundle, &["sync", "status"]).as_deref() == Some("Synced");
    let healthy = matches!(
        get(bundle, &["sync", "health"]).as_deref(),
        None | Some("Healthy")
    );
    let resources = match bundle.get_path(&["sync", "resources"]) {
        Some(Value::Seq(items)) => items.as_slice(),
        _ => &[],
    };
    let every_resource_excused = resources.iter().all(|r| {
        let id = get(r, &["id"]).unwrap_or_default();
        let status_ok =
            get(r, &["status"]).as_deref() == Some("Synced") || excused("out-of-sync", &id, &equal);
        let health = get(r, &["health"]);
        let health_ok = !matches!(
            health.as_deref(),
            Some("Degraded" | "Missing" | "Progressing")
        ) || excused("unhealthy", &id, &equal);
        status_ok && health_ok
    });
    let drift_excused = match bundle.get_path(&["imageDrift"]) {
        Some(Value::Seq(items)) => items.iter().all(|d| {
            let image = get(d, &["image"]).unwrap_or_default();
            excused(
                "image-drift",
                split_reference(normalized(&image)).0,
                &same_image,
            )
        }),
        _ => true,
    };
    ((synced && healthy) || every_resource_excused) && drift_excused
}

/// Whether `s` is an RFC 3339 UTC time to the second: `2026-11-29T12:00:00Z`.
fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 20
        && is_date(&s[..10])
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && b[19] == b'Z'
        && [11, 12, 14, 15, 17, 18]
            .iter()
            .all(|&i| b[i].is_ascii_digit())
}

/// Checks an evidence bundle (JSON or YAML text): its `id` must be the
/// SHA-256 of the canonical JSON of the rest, and its `ready` what its
/// content says. Returns whether it is ready.
pub fn verify_evidence(text_in: &str, file: &str) -> Result<bool, Error> {
    let value = if text_in.trim_start().starts_with('{') {
        Value::from_json(text_in).map_err(|e| Error::release(file, e))?
    } else {
        let mut docs = crate::yaml::parse_documents(text_in).map_err(|e| e.in_file(file))?;
        if docs.len() != 1 {
            return Err(Error::release(file, "expected one document"));
        }
        docs.remove(0).value
    };
    let Value::Map(mut m) = value else {
        return Err(Error::release(file, "expected a mapping"));
    };
    if m.get("kind").and_then(Value::as_str) != Some(EVIDENCE_KIND) {
        return Err(Error::release(file, "kind: expected EvidenceBundle"));
    }
    let Some(Value::String(claimed)) = m.shift_remove("id") else {
        return Err(Error::release(file, "id: missing"));
    };
    let actual = hex_sha256(canonical_json(&Value::Map(m.clone())).as_bytes());
    if claimed != actual {
        return Err(Error::release(
            file,
            format!("id: {claimed} does not match the content ({actual}): the bundle was changed"),
        ));
    }
    let claimed_ready = matches!(m.get("ready"), Some(Value::Bool(true)));
    let ready = ready_of(&Value::Map(m));
    if claimed_ready != ready {
        return Err(Error::release(
            file,
            format!(
                "ready: says {claimed_ready}, but its sync, health, drift and exceptions say {ready}"
            ),
        ));
    }
    Ok(ready)
}

/// The bundle as Markdown, for people.
pub fn evidence_markdown(bundle: &Value) -> String {
    use std::fmt::Write as _;
    let s = |path: &[&str]| {
        bundle
            .get_path(path)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    };
    let mut out = String::new();
    let ready = matches!(bundle.get_path(&["ready"]), Some(Value::Bool(true)));
    let _ = writeln!(
        out,
        "# Evidence: {} in `{}`\n\n**{}** — release `{}`, revision `{}`, desired state `{}`, made {}.\n\nBundle id `{}`.\n",
        s(&["release", "metadata", "name"]),
        s(&["environment"]),
        if ready { "Ready" } else { "Not ready" },
        s(&["releaseId"]),
        s(&["revision"]),
        s(&["desiredSha256"]),
        s(&["createdAt"]),
        s(&["id"]),
    );
    let _ = writeln!(
        out,
        "## Sync\n\n{}, health {}.\n",
        s(&["sync", "status"]),
        s(&["sync", "health"])
    );
    if let Some(Value::Seq(resources)) = bundle.get_path(&["sync", "resources"]) {
        for r in resources {
            let status = r
                .get_path(&["status"])
                .and_then(Value::as_str)
                .unwrap_or("");
            if status == "Synced" {
                continue;
            }
            let _ = writeln!(
                out,
                "- {status} `{}`",
                r.get_path(&["id"]).and_then(Value::as_str).unwrap_or("")
            );
            if let Some(Value::Seq(changes)) = r.get_path(&["changes"]) {
                for c in changes {
                    let _ = writeln!(
                        out,
                        "  - {} `{}`",
                        c.get_path(&["cause"]).and_then(Value::as_str).unwrap_or(""),
                        c.get_path(&["path"]).and_then(Value::as_str).unwrap_or("")
                    );
                }
            }
        }
    }
    let _ = writeln!(out, "\n## Image drift\n");
    match bundle.get_path(&["imageDrift"]) {
        Some(Value::Seq(drift)) if !drift.is_empty() => {
            for d in drift {
                let get = |k: &str| {
                    d.get_path(&[k])
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_owned()
                };
                let _ = writeln!(
                    out,
                    "- `{}` {}: runs `{}`, release says `{}`",
                    get("resource"),
                    get("container"),
                    get("image"),
                    get("expected")
                );
            }
        }
        _ => {
            let _ = writeln!(out, "None: every container runs the release's digests.");
        }
    }
    for (title, key) in [("Attachments", "attachments"), ("Exceptions", "exceptions")] {
        if let Some(Value::Seq(items)) = bundle.get_path(&[key])
            && !items.is_empty()
        {
            let _ = writeln!(out, "\n## {title}\n");
            for item in items {
                let _ = writeln!(out, "- {}", serde_json::to_string(item).unwrap_or_default());
            }
        }
    }
    out
}

/// `seconds` since the Unix epoch as RFC 3339 UTC (`2026-11-29T21:00:00Z`).
pub fn rfc3339(seconds: i64) -> String {
    let days = seconds.div_euclid(86_400);
    let rest = seconds.rem_euclid(86_400);
    // Howard Hinnant's days-to-civil.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3_600,
        rest % 3_600 / 60,
        rest % 60
    )
}

/// The time a bundle is made: `SOURCE_DATE_EPOCH` when set (reproducible
/// builds' convention), else now.
pub fn evidence_time() -> String {
    let seconds = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.parse::<i64>().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64)
        });
    rfc3339(seconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_as_rfc3339() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_790_000_000), "2026-09-21T14:13:20Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
    }
}
