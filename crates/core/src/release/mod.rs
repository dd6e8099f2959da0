//! Release manifests: the immutable deployment unit. A release records the
//! source revision CI built and the digest of every image (and artifact) it
//! produced; its id is the SHA-256 of the RFC 8785 canonical JSON of its
//! `spec`, so renaming it keeps its identity. Applying a release to an
//! environment's overlay pins its images there ([`apply_release`]) with the
//! smallest possible edit of the overlay's `kustomization.yaml`.
//!
//! ```yaml
//! apiVersion: trueup.dev/v1alpha1
//! kind: ReleaseManifest
//! metadata:
//!   name: shop-2026-11-29.1
//! spec:
//!   source:
//!     repository: https://github.com/acme/shop
//!     revision: 0123456789abcdef0123456789abcdef01234567
//!   images:
//!   - name: ghcr.io/acme/shop-api
//!     digest: sha256:<64 hex>
//!     tag: "1.4.2"
//! ```

mod apply;
mod canonical;
mod edit;
mod evidence;

pub(crate) use apply::plan_release;
pub use apply::{ApplyOptions, FileEdit, RELEASE_REF_FILE, apply_release, apply_release_source};
pub use evidence::{
    Attachment, EVIDENCE_KIND, EvidenceInput, Exception, evidence_bundle, evidence_markdown,
    evidence_time, load_exceptions, parse_exceptions, read_attachments, rfc3339, verify_evidence,
};

use std::collections::BTreeMap;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::error::Error;
use crate::resource::ManifestSet;
use crate::yaml::{Mapping, Value};

/// The `apiVersion` of a release manifest.
pub const API_VERSION: &str = "trueup.dev/v1alpha1";
/// The `kind` of a release manifest.
pub const KIND: &str = "ReleaseManifest";

/// A release manifest (see the [module docs](self)). Reading one never
/// fails on its content, only on text that is not YAML or JSON: what is
/// wrong in it is for [`ReleaseManifest::verify`] to list.
#[derive(Debug, Clone, PartialEq)]
pub struct ReleaseManifest {
    /// `metadata.name`.
    pub name: String,
    /// `spec.source`.
    pub source: ReleaseSource,
    /// `spec.images`.
    pub images: Vec<ReleaseImage>,
    /// `spec.artifacts`.
    pub artifacts: Vec<ReleaseArtifact>,
    /// `spec.profile`.
    pub profile: Option<String>,
    /// `spec.labels`.
    pub labels: BTreeMap<String, String>,
    /// The `spec` as written, which the id is computed from.
    spec: Value,
    /// What reading found wrong (unknown fields, wrong types, missing fields).
    read_problems: Vec<Problem>,
}

/// Where a release was built from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReleaseSource {
    /// The repository (URL).
    pub repository: String,
    /// The commit: 40 hex digits (64 for SHA-256 repositories).
    pub revision: String,
}

/// An image of a release.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReleaseImage {
    /// The image's name as manifests reference it (`ghcr.io/acme/shop-api`),
    /// without tag or digest.
    pub name: String,
    /// `sha256:<64 hex>`; a release without one is refused by [`ReleaseManifest::verify`].
    pub digest: Option<String>,
    /// The tag the digest was built as (informational).
    pub tag: Option<String>,
}

impl ReleaseImage {
    /// The reference that pins it: `name@digest`.
    pub fn pinned(&self) -> String {
        match &self.digest {
            Some(digest) => format!("{}@{digest}", self.name),
            None => self.name.clone(),
        }
    }
}

/// Another artifact of a release (a chart, a schema, a bundle).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReleaseArtifact {
    /// Its name in the release.
    pub name: String,
    /// Where it is (`oci://ghcr.io/acme/shop-schema:1.4.2`).
    pub reference: String,
    /// Its digest, when known.
    pub digest: Option<String>,
}

/// One thing wrong with a release manifest: the field, by path
/// (`spec.images[1].digest`), and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The field's path.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// What changed from one release to another.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReleaseDiff {
    /// The source revision, when it changed: (old, new).
    pub revision: Option<(String, String)>,
    /// Images added, removed or changed, by name.
    pub images: Vec<ItemChange>,
    /// Artifacts added, removed or changed, by name.
    pub artifacts: Vec<ItemChange>,
}

/// An image or artifact that differs between two releases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemChange {
    /// Its name.
    pub name: String,
    /// Its reference in the old release (`None`: added).
    pub old: Option<String>,
    /// Its reference in the new release (`None`: removed).
    pub new: Option<String>,
}

impl ReleaseDiff {
    /// Whether the releases are the same.
    pub fn is_empty(&self) -> bool {
        self.revision.is_none() && self.images.is_empty() && self.artifacts.is_empty()
    }

    /// The difference as JSON: `{"revision": {"old", "new"} | null,
    /// "images": [{"name", "old", "new"}], "artifacts": [...]}`.
    pub fn to_json(&self) -> String {
        let items = |changes: &[ItemChange]| -> Vec<serde_json::Value> {
            changes
                .iter()
                .map(|c| serde_json::json!({"name": c.name, "old": c.old, "new": c.new}))
                .collect()
        };
        serde_json::json!({
            "revision": self.revision.as_ref().map(|(old, new)| serde_json::json!({"old": old, "new": new})),
            "images": items(&self.images),
            "artifacts": items(&self.artifacts),
        })
        .to_string()
    }

    /// The difference as lines for people: `~ name: old -> new`, `+ name:
    /// new`, `- name: old`.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        if let Some((old, new)) = &self.revision {
            out.push_str(&format!("~ revision: {old} -> {new}\n"));
        }
        for change in self.images.iter().chain(&self.artifacts) {
            match (&change.old, &change.new) {
                (Some(old), Some(new)) => {
                    out.push_str(&format!("~ {}: {old} -> {new}\n", change.name))
                }
                (None, Some(new)) => out.push_str(&format!("+ {}: {new}\n", change.name)),
                (Some(old), None) => out.push_str(&format!("- {}: {old}\n", change.name)),
                (None, None) => {}
            }
        }
        out
    }
}

impl ReleaseManifest {
    /// A release of `revision` of `repository`, named `name`, with no images
    /// yet ([`ReleaseManifest::add_image`]).
    pub fn new(name: &str, repository: &str, revision: &str) -> ReleaseManifest {
        let mut release = ReleaseManifest {
            name: name.to_owned(),
            source: ReleaseSource {
                repository: repository.to_owned(),
                revision: revision.to_owned(),
            },
            images: Vec::new(),
            artifacts: Vec::new(),
            profile: None,
            labels: BTreeMap::new(),
            spec: Value::Null,
            read_problems: Vec::new(),
        };
        release.spec = release.spec_value();
        release
    }

    /// Adds an image given as a pinned reference (`name@sha256:...` or
    /// `name:tag@sha256:...`; a reference without digest is kept, and
    /// refused by [`ReleaseManifest::verify`]).
    pub fn add_image(&mut self, reference: &str) {
        let (name, tag, digest) = split_reference(reference);
        self.images.push(ReleaseImage {
            name: name.to_owned(),
            digest: digest.map(str::to_owned),
            tag: tag.map(str::to_owned),
        });
        self.spec = self.spec_value();
    }

    /// Adds an artifact.
    pub fn add_artifact(&mut self, name: &str, reference: &str, digest: Option<&str>) {
        self.artifacts.push(ReleaseArtifact {
            name: name.to_owned(),
            reference: reference.to_owned(),
            digest: digest.map(str::to_owned),
        });
        self.spec = self.spec_value();
    }

    /// Adds an artifact given as one reference, its digest after `@` when
    /// pinned (`oci://ghcr.io/acme/schema:1.4@sha256:...`), as the CLI and
    /// the bindings take them.
    pub fn add_artifact_reference(&mut self, name: &str, reference: &str) {
        let (reference, digest) = match reference.split_once('@') {
            Some((reference, digest)) => (reference, Some(digest)),
            None => (reference, None),
        };
        self.add_artifact(name, reference, digest);
    }

    /// Sets the profile and labels.
    pub fn set_profile(&mut self, profile: Option<&str>, labels: BTreeMap<String, String>) {
        self.profile = profile.map(str::to_owned);
        self.labels = labels;
        self.spec = self.spec_value();
    }

    /// A release of the images a rendered overlay runs: every image there
    /// must be pinned by digest, else the error lists those that are not.
    pub fn from_manifests(
        name: &str,
        repository: &str,
        revision: &str,
        manifests: &ManifestSet,
    ) -> Result<ReleaseManifest, Error> {
        let mut release = ReleaseManifest::new(name, repository, revision);
        let mut unpinned = Vec::new();
        let mut seen: BTreeMap<String, String> = BTreeMap::new();
        for image in images_in(manifests) {
            let (image_name, _, digest) = split_reference(&image);
            match digest {
                None => unpinned.push(image.clone()),
                Some(digest) => {
                    if let Some(other) = seen.get(image_name)
                        && other != digest
                    {
                        return Err(Error::release(
                            "<manifests>",
                            format!("{image_name} runs at two digests: {other} and {digest}"),
                        ));
                    }
                    if seen
                        .insert(image_name.to_owned(), digest.to_owned())
                        .is_none()
                    {
                        release.images.push(ReleaseImage {
                            name: image_name.to_owned(),
                            digest: Some(digest.to_owned()),
                            tag: split_reference(&image).1.map(str::to_owned),
                        });
                    }
                }
            }
        }
        if !unpinned.is_empty() {
            unpinned.sort();
            unpinned.dedup();
            return Err(Error::release(
                "<manifests>",
                format!(
                    "images not pinned by digest (a release records digests): {}",
                    unpinned.join(", ")
                ),
            ));
        }
        release.images.sort_by(|a, b| a.name.cmp(&b.name));
        release.spec = release.spec_value();
        Ok(release)
    }

    /// Reads a release manifest from YAML or JSON text; `file` names it in
    /// errors. Only text that is not YAML, or not a mapping, is an error.
    ///
    /// ```
    /// let text = "apiVersion: trueup.dev/v1alpha1\nkind: ReleaseManifest\nmetadata:\n  name: r1\nspec:\n  source:\n    repository: https://github.com/acme/shop\n    revision: 0123456789abcdef0123456789abcdef01234567\n  images:\n  - name: ghcr.io/acme/api\n    tag: '1.4'\n";
    /// let release = trueup_core::release::ReleaseManifest::from_yaml(text, "r1.yaml")?;
    /// let problems = release.verify();
    /// assert_eq!(problems[0].to_string(), "spec.images[0].digest: missing: a release pins every image by digest (a tag alone can move)");
    /// # Ok::<(), trueup_core::Error>(())
    /// ```
    pub fn from_yaml(text: &str, file: &str) -> Result<ReleaseManifest, Error> {
        let trimmed = text.trim_start();
        let value = if trimmed.starts_with('{') {
            Value::from_json(text).map_err(|e| Error::release(file, e))?
        } else {
            let mut docs = crate::yaml::parse_documents(text).map_err(|e| e.in_file(file))?;
            docs.retain(|d| !d.value.is_null());
            if docs.len() != 1 {
                return Err(Error::release(
                    file,
                    format!("expected one YAML document, found {}", docs.len()),
                ));
            }
            docs.remove(0).value
        };
        let Value::Map(top) = &value else {
            return Err(Error::release(
                file,
                format!("expected a mapping, found {}", value.type_name()),
            ));
        };
        Ok(read(top))
    }

    /// Reads a release manifest file.
    pub fn load(path: impl AsRef<Path>) -> Result<ReleaseManifest, Error> {
        let path = path.as_ref();
        let name = path.display().to_string();
        let bytes = crate::source::read_regular_file(path, &name)?;
        let text =
            String::from_utf8(bytes).map_err(|_| Error::release(&name, "is not UTF-8 text"))?;
        ReleaseManifest::from_yaml(&text, &name)
    }

    /// The release's id: `sha256:` and the hex SHA-256 of the RFC 8785
    /// canonical JSON of its `spec` as written.
    pub fn id(&self) -> String {
        let digest = Sha256::digest(canonical::canonical_json(&self.spec).as_bytes());
        let mut id = String::with_capacity(71);
        id.push_str("sha256:");
        for byte in digest {
            id.push_str(&format!("{byte:02x}"));
        }
        id
    }

    /// What is wrong with the release, each problem with its field's path;
    /// empty when it is valid: digests `sha256:<64 hex>` (or `sha512:<128
    /// hex>`), a revision of 40 or 64 hex digits, image names without tag or
    /// digest, unique image and artifact names, a digest for every image,
    /// no field the format does not have.
    pub fn verify(&self) -> Vec<Problem> {
        let mut problems = self.read_problems.clone();
        let mut problem = |path: String, message: &str| {
            problems.push(Problem {
                path,
                message: message.to_owned(),
            })
        };
        if !is_revision(&self.source.revision) && !self.source.revision.is_empty() {
            problem(
                "spec.source.revision".into(),
                "not a commit id: expected 40 hex digits (64 for a SHA-256 repository)",
            );
        }
        let mut names = BTreeMap::new();
        for (i, image) in self.images.iter().enumerate() {
            let at = format!("spec.images[{i}]");
            if !image.name.is_empty() && !is_image_name(&image.name) {
                problem(
                    format!("{at}.name"),
                    "not an image name: expected a repository without tag or digest (ghcr.io/acme/api)",
                );
            }
            if let Some(first) = names.insert(image.name.clone(), i)
                && !image.name.is_empty()
            {
                problem(
                    format!("{at}.name"),
                    &format!("{} is already spec.images[{first}]", image.name),
                );
            }
            match &image.digest {
                None => problem(
                    format!("{at}.digest"),
                    "missing: a release pins every image by digest (a tag alone can move)",
                ),
                Some(d) if !is_digest(d) => problem(
                    format!("{at}.digest"),
                    "not a digest: expected sha256:<64 lowercase hex>",
                ),
                Some(_) => {}
            }
            if let Some(tag) = &image.tag
                && !is_tag(tag)
            {
                problem(
                    format!("{at}.tag"),
                    "not a tag: expected up to 128 letters, digits, '_', '.' and '-', not starting with '.' or '-'",
                );
            }
        }
        let mut names = BTreeMap::new();
        for (i, artifact) in self.artifacts.iter().enumerate() {
            let at = format!("spec.artifacts[{i}]");
            if let Some(first) = names.insert(artifact.name.clone(), i)
                && !artifact.name.is_empty()
            {
                problem(
                    format!("{at}.name"),
                    &format!("{} is already spec.artifacts[{first}]", artifact.name),
                );
            }
            if let Some(d) = &artifact.digest
                && !is_digest(d)
            {
                problem(
                    format!("{at}.digest"),
                    "not a digest: expected sha256:<64 lowercase hex>",
                );
            }
        }
        problems
    }

    /// The release as YAML, in the format's order of fields.
    pub fn to_yaml(&self) -> String {
        let mut out = String::new();
        out.push_str(&format!(
            "apiVersion: {API_VERSION}\nkind: {KIND}\nmetadata:\n"
        ));
        out.push_str(&format!("  name: {}\n", scalar(&self.name)));
        out.push_str("spec:\n");
        emit_block(&mut out, &self.spec, 1);
        out
    }

    /// The release as JSON (`spec` as written).
    pub fn to_json(&self) -> String {
        let mut top = Mapping::default();
        top.insert("apiVersion".into(), Value::String(API_VERSION.into()));
        top.insert("kind".into(), Value::String(KIND.into()));
        let mut metadata = Mapping::default();
        metadata.insert("name".into(), Value::String(self.name.clone()));
        top.insert("metadata".into(), Value::Map(metadata));
        top.insert("spec".into(), self.spec.clone());
        serde_json::to_string_pretty(&Value::Map(top)).unwrap_or_default()
    }

    /// What changed from `self` (old) to `other` (new).
    pub fn compare(&self, other: &ReleaseManifest) -> ReleaseDiff {
        let revision = (self.source.revision != other.source.revision)
            .then(|| (self.source.revision.clone(), other.source.revision.clone()));
        let images = |r: &ReleaseManifest| -> BTreeMap<String, String> {
            r.images
                .iter()
                .map(|i| (i.name.clone(), i.pinned()))
                .collect()
        };
        let artifacts = |r: &ReleaseManifest| -> BTreeMap<String, String> {
            r.artifacts
                .iter()
                .map(|a| {
                    let reference = match &a.digest {
                        Some(d) => format!("{}@{d}", a.reference),
                        None => a.reference.clone(),
                    };
                    (a.name.clone(), reference)
                })
                .collect()
        };
        ReleaseDiff {
            revision,
            images: changes(&images(self), &images(other)),
            artifacts: changes(&artifacts(self), &artifacts(other)),
        }
    }

    /// The `spec` value the fields say, in the format's order.
    fn spec_value(&self) -> Value {
        let text = |s: &str| Value::String(s.to_owned());
        let mut spec = Mapping::default();
        let mut source = Mapping::default();
        source.insert("repository".into(), text(&self.source.repository));
        source.insert("revision".into(), text(&self.source.revision));
        spec.insert("source".into(), Value::Map(source));
        let images = self
            .images
            .iter()
            .map(|i| {
                let mut m = Mapping::default();
                m.insert("name".into(), text(&i.name));
                if let Some(d) = &i.digest {
                    m.insert("digest".into(), text(d));
                }
                if let Some(t) = &i.tag {
                    m.insert("tag".into(), text(t));
                }
                Value::Map(m)
            })
            .collect();
        spec.insert("images".into(), Value::Seq(images));
        if !self.artifacts.is_empty() {
            let artifacts = self
                .artifacts
                .iter()
                .map(|a| {
                    let mut m = Mapping::default();
                    m.insert("name".into(), text(&a.name));
                    m.insert("ref".into(), text(&a.reference));
                    if let Some(d) = &a.digest {
                        m.insert("digest".into(), text(d));
                    }
                    Value::Map(m)
                })
                .collect();
            spec.insert("artifacts".into(), Value::Seq(artifacts));
        }
        if let Some(p) = &self.profile {
            spec.insert("profile".into(), text(p));
        }
        if !self.labels.is_empty() {
            let labels = self
                .labels
                .iter()
                .map(|(k, v)| (k.clone(), text(v)))
                .collect();
            spec.insert("labels".into(), Value::Map(labels));
        }
        Value::Map(spec)
    }
}

fn changes(old: &BTreeMap<String, String>, new: &BTreeMap<String, String>) -> Vec<ItemChange> {
    let mut names: Vec<&String> = old.keys().chain(new.keys()).collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .filter(|n| old.get(*n) != new.get(*n))
        .map(|n| ItemChange {
            name: n.clone(),
            old: old.get(n).cloned(),
            new: new.get(n).cloned(),
        })
        .collect()
}

/// Reads the fields of a release manifest, noting every problem.
fn read(top: &Mapping) -> ReleaseManifest {
    let mut problems = Vec::new();
    let mut problem = |path: &str, message: String| {
        problems.push(Problem {
            path: path.to_owned(),
            message,
        })
    };
    for (key, allowed) in [("apiVersion", API_VERSION), ("kind", KIND)] {
        match top.get(key) {
            Some(Value::String(s)) if s == allowed => {}
            Some(other) => problem(key, format!("expected {allowed}, found {}", shown(other))),
            None => problem(key, format!("missing: expected {allowed}")),
        }
    }
    unknown(
        top,
        "",
        &["apiVersion", "kind", "metadata", "spec"],
        &mut problem,
    );
    let metadata = map_at(top, "metadata", "metadata", &mut problem);
    if let Some(m) = metadata {
        unknown(
            m,
            "metadata.",
            &["name", "annotations", "labels"],
            &mut problem,
        );
    }
    let name = string_at(metadata, "name", "metadata.name", true, &mut problem).unwrap_or_default();
    let spec_map = map_at(top, "spec", "spec", &mut problem);
    if let Some(s) = spec_map {
        unknown(
            s,
            "spec.",
            &["source", "images", "artifacts", "profile", "labels"],
            &mut problem,
        );
    }
    let source_map = spec_map.and_then(|s| map_at(s, "source", "spec.source", &mut problem));
    if spec_map.is_some()
        && source_map.is_none()
        && !spec_map.is_some_and(|s| s.contains_key("source"))
    {
        problem("spec.source", "missing".into());
    }
    if let Some(s) = source_map {
        unknown(s, "spec.source.", &["repository", "revision"], &mut problem);
    }
    let source = ReleaseSource {
        repository: string_at(
            source_map,
            "repository",
            "spec.source.repository",
            source_map.is_some(),
            &mut problem,
        )
        .unwrap_or_default(),
        revision: string_at(
            source_map,
            "revision",
            "spec.source.revision",
            source_map.is_some(),
            &mut problem,
        )
        .unwrap_or_default(),
    };
    let images = entries_at(spec_map, "images", &["name", "digest", "tag"], &mut problem)
        .into_iter()
        .map(|(at, m)| ReleaseImage {
            name: string_at(Some(m), "name", &format!("{at}.name"), true, &mut problem)
                .unwrap_or_default(),
            digest: string_at(
                Some(m),
                "digest",
                &format!("{at}.digest"),
                false,
                &mut problem,
            ),
            tag: string_at(Some(m), "tag", &format!("{at}.tag"), false, &mut problem),
        })
        .collect();
    let artifacts = entries_at(
        spec_map,
        "artifacts",
        &["name", "ref", "digest"],
        &mut problem,
    )
    .into_iter()
    .map(|(at, m)| ReleaseArtifact {
        name: string_at(Some(m), "name", &format!("{at}.name"), true, &mut problem)
            .unwrap_or_default(),
        reference: string_at(Some(m), "ref", &format!("{at}.ref"), true, &mut problem)
            .unwrap_or_default(),
        digest: string_at(
            Some(m),
            "digest",
            &format!("{at}.digest"),
            false,
            &mut problem,
        ),
    })
    .collect();
    let profile = string_at(spec_map, "profile", "spec.profile", false, &mut problem);
    let mut labels = BTreeMap::new();
    if let Some(m) = spec_map.and_then(|s| map_at(s, "labels", "spec.labels", &mut problem)) {
        for (key, value) in m {
            match value {
                Value::String(v) => {
                    labels.insert(key.clone(), v.clone());
                }
                other => problem(
                    &format!("spec.labels.{key}"),
                    format!("expected a string, found {}", other.type_name()),
                ),
            }
        }
    }
    ReleaseManifest {
        name,
        source,
        images,
        artifacts,
        profile,
        labels,
        spec: top.get("spec").cloned().unwrap_or(Value::Null),
        read_problems: problems,
    }
}

fn shown(value: &Value) -> String {
    match value {
        Value::String(s) => format!("{s:?}"),
        other => other.type_name().to_owned(),
    }
}

fn unknown(map: &Mapping, prefix: &str, allowed: &[&str], problem: &mut impl FnMut(&str, String)) {
    for key in map.keys() {
        if !allowed.contains(&key.as_str()) {
            problem(
                &format!("{prefix}{key}"),
                format!("unknown field (expected one of: {})", allowed.join(", ")),
            );
        }
    }
}

fn map_at<'m>(
    map: &'m Mapping,
    key: &str,
    path: &str,
    problem: &mut impl FnMut(&str, String),
) -> Option<&'m Mapping> {
    match map.get(key) {
        Some(Value::Map(m)) => Some(m),
        None | Some(Value::Null) => None,
        Some(other) => {
            problem(
                path,
                format!("expected a mapping, found {}", other.type_name()),
            );
            None
        }
    }
}

fn list_at<'m>(
    map: Option<&'m Mapping>,
    key: &str,
    path: &str,
    problem: &mut impl FnMut(&str, String),
) -> &'m [Value] {
    match map.and_then(|m| m.get(key)) {
        Some(Value::Seq(items)) => items,
        None | Some(Value::Null) => &[],
        Some(other) => {
            problem(
                path,
                format!("expected a list, found {}", other.type_name()),
            );
            &[]
        }
    }
}

/// The mappings of the list `spec.<key>`, each with its path
/// (`spec.images[1]`); an entry that is not a mapping, or has fields the
/// format does not have, is a problem.
fn entries_at<'m>(
    spec: Option<&'m Mapping>,
    key: &str,
    allowed: &[&str],
    problem: &mut impl FnMut(&str, String),
) -> Vec<(String, &'m Mapping)> {
    let mut out = Vec::new();
    for (i, item) in list_at(spec, key, &format!("spec.{key}"), problem)
        .iter()
        .enumerate()
    {
        let at = format!("spec.{key}[{i}]");
        match item {
            Value::Map(m) => {
                unknown(m, &format!("{at}."), allowed, problem);
                out.push((at, m));
            }
            other => problem(
                &at,
                format!("expected a mapping, found {}", other.type_name()),
            ),
        }
    }
    out
}

fn string_at(
    map: Option<&Mapping>,
    key: &str,
    path: &str,
    required: bool,
    problem: &mut impl FnMut(&str, String),
) -> Option<String> {
    match map.and_then(|m| m.get(key)) {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(Value::String(_)) | None | Some(Value::Null) => {
            if required {
                problem(path, "missing".into());
            }
            None
        }
        Some(other) => {
            problem(
                path,
                format!("expected a string, found {} (quote it)", other.type_name()),
            );
            None
        }
    }
}

/// `name`, `tag` and `digest` of an image reference, as kustomize splits
/// one: the digest after `@`, the tag after the last `:` of the last path
/// component.
pub(crate) fn split_reference(reference: &str) -> (&str, Option<&str>, Option<&str>) {
    let (rest, digest) = match reference.split_once('@') {
        Some((rest, digest)) => (rest, Some(digest)),
        None => (reference, None),
    };
    let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
    match rest[last_slash..].rfind(':') {
        Some(colon) => {
            let at = last_slash + colon;
            (&rest[..at], Some(&rest[at + 1..]), digest)
        }
        None => (rest, None, digest),
    }
}

/// The image references the containers of `manifests` run (`containers`,
/// `initContainers`, `ephemeralContainers` at any depth), in order, once each.
pub(crate) fn images_in(manifests: &ManifestSet) -> Vec<String> {
    fn walk(value: &Value, in_containers: bool, out: &mut Vec<String>) {
        match value {
            Value::Map(map) => {
                if in_containers && let Some(Value::String(image)) = map.get("image") {
                    out.push(image.clone());
                }
                for (key, child) in map {
                    let containers = matches!(
                        key.as_str(),
                        "containers" | "initContainers" | "ephemeralContainers"
                    );
                    walk(child, containers, out);
                }
            }
            Value::Seq(items) => {
                for item in items {
                    walk(item, in_containers, out);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    for r in manifests {
        walk(r.value(), false, &mut out);
    }
    let mut seen = std::collections::HashSet::new();
    out.retain(|image| seen.insert(image.clone()));
    out
}

fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn is_digest(s: &str) -> bool {
    match s.split_once(':') {
        Some(("sha256", hex)) => is_hex(hex, 64),
        Some(("sha512", hex)) => is_hex(hex, 128),
        _ => false,
    }
}

fn is_revision(s: &str) -> bool {
    is_hex(s, 40) || is_hex(s, 64)
}

fn is_tag(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 128
        && !s.starts_with(['.', '-'])
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

/// A repository name as the distribution spec has it: lowercase path
/// components (`a-z0-9` with `.`, `_`, `__`, `-` inside), an optional
/// registry host (with a port) first.
fn is_image_name(s: &str) -> bool {
    if s.contains('@') {
        return false;
    }
    let mut parts: Vec<&str> = s.split('/').collect();
    if parts.len() > 1 && (parts[0].contains(['.', ':']) || parts[0] == "localhost") {
        let host = parts.remove(0);
        let (name, port) = host.split_once(':').unwrap_or((host, "0"));
        if name.is_empty()
            || !name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-'))
            || !port.bytes().all(|b| b.is_ascii_digit())
        {
            return false;
        }
    }
    parts.iter().all(|part| {
        !part.is_empty()
            && part.bytes().all(|b| {
                b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
            })
            && part.as_bytes()[0].is_ascii_alphanumeric()
            && part.as_bytes()[part.len() - 1].is_ascii_alphanumeric()
    })
}

/// A string as a one-line YAML scalar: plain when it reads back as itself,
/// else double-quoted (JSON's quoting, which YAML reads): never folded or a
/// block, which would need the indentation of where it goes.
fn scalar(s: &str) -> String {
    let mut out = Vec::new();
    crate::yaml::write_yaml(&mut out, &Value::String(s.to_owned()));
    let text = String::from_utf8(out).unwrap_or_default();
    let text = text.trim_end_matches('\n');
    if text.contains('\n') {
        serde_json::to_string(s).unwrap_or_default()
    } else {
        text.to_owned()
    }
}

/// A value as block YAML at `depth` (two spaces each), keys in their order.
fn emit_block(out: &mut String, value: &Value, depth: usize) {
    let indent = "  ".repeat(depth);
    match value {
        Value::Map(map) => {
            for (key, item) in map {
                match item {
                    Value::Map(m) if !m.is_empty() => {
                        out.push_str(&format!("{indent}{}:\n", scalar(key)));
                        emit_block(out, item, depth + 1);
                    }
                    Value::Seq(s) if !s.is_empty() => {
                        out.push_str(&format!("{indent}{}:\n", scalar(key)));
                        emit_block(out, item, depth);
                    }
                    other => {
                        out.push_str(&format!("{indent}{}: {}\n", scalar(key), inline(other)));
                    }
                }
            }
        }
        Value::Seq(items) => {
            for item in items {
                match item {
                    Value::Map(m) if !m.is_empty() => {
                        let mut inner = String::new();
                        emit_block(&mut inner, item, depth + 1);
                        // The first line of the item follows the dash.
                        let body = inner.trim_start_matches(' ');
                        out.push_str(&format!("{indent}- {body}"));
                    }
                    other => out.push_str(&format!("{indent}- {}\n", inline(other))),
                }
            }
        }
        other => out.push_str(&format!("{indent}{}\n", inline(other))),
    }
}

/// A value on one line (flow style for collections).
fn inline(value: &Value) -> String {
    match value {
        Value::String(s) => scalar(s),
        Value::Map(m) if m.is_empty() => "{}".into(),
        Value::Seq(s) if s.is_empty() => "[]".into(),
        other => serde_json::to_string(other).unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_references_as_kustomize() {
        assert_eq!(split_reference("nginx"), ("nginx", None, None));
        assert_eq!(split_reference("nginx:1.2"), ("nginx", Some("1.2"), None));
        assert_eq!(
            split_reference("reg:5000/a/b:1@sha256:x"),
            ("reg:5000/a/b", Some("1"), Some("sha256:x"))
        );
        assert_eq!(
            split_reference("reg:5000/a/b"),
            ("reg:5000/a/b", None, None)
        );
    }

    #[test]
    fn long_and_multi_line_values_read_back() {
        let mut release =
            ReleaseManifest::new(&"a long name with spaces ".repeat(6), "r", &"1".repeat(40));
        release.set_profile(
            Some("line one\nline two"),
            [("note".to_owned(), "x ".repeat(60))].into_iter().collect(),
        );
        let again = ReleaseManifest::from_yaml(&release.to_yaml(), "r.yaml").unwrap();
        assert_eq!(again.name, release.name);
        assert_eq!(again.profile, release.profile);
        assert_eq!(again.labels, release.labels);
        assert_eq!(again.id(), release.id());
    }

    #[test]
    fn image_names() {
        assert!(is_image_name("ghcr.io/acme/shop-api"));
        assert!(is_image_name("localhost:5000/x"));
        assert!(is_image_name("nginx"));
        assert!(!is_image_name("nginx:1.2"));
        assert!(!is_image_name("Acme/shop"));
        assert!(!is_image_name("a//b"));
        assert!(!is_image_name("a@sha256:00"));
    }
}
