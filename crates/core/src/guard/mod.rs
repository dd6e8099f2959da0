//! Guardrails (`trueup verify`): every overlay under a root rendered, and
//! the rendered objects and the repository's files checked in one pass —
//! no secret values or credentials in Git, images pinned by digest where
//! required, `images:` entries that match something, one owner per object,
//! environments isolated by namespace, schema-valid objects, valid names.
//! Each finding names the source file and line it comes from.

mod config;
mod images;
mod names;
mod report;
mod schema;
mod secrets;
mod spans;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::{Arc, Mutex};

pub use config::{DEFAULT_CONFIG_PATH, Environment, Exception, ExceptionMatch, VerifyConfig};
pub use schema::SCHEMA_VERSIONS;

use crate::error::Error;
use crate::kustomize::{self, BuildOptions, Shard};
use crate::resource::{ManifestSet, Resource};
use crate::source::{self, DirSource, EntryKind, Source};
use spans::{Node, PathPart, Position};

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Fails `trueup verify` (exit 1).
    Error,
    /// Reported; does not fail.
    Warning,
}

impl Severity {
    /// `error` or `warning`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// One problem, where it comes from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    /// The rule's id (`secret-value`); see [`RULES`].
    pub rule: String,
    /// How bad it is.
    pub severity: Severity,
    /// The source file, relative to the root (or a remote URL).
    pub file: String,
    /// The 1-based line in `file`.
    pub line: usize,
    /// The 1-based column in `file`.
    pub column: usize,
    /// What is wrong and what to do; never a secret's value.
    pub message: String,
    /// The object it is about, `Kind/namespace/name` (`Kind/name` without
    /// a namespace).
    pub resource: Option<String>,
    /// The overlays whose rendering showed it, relative to the root.
    pub overlays: Vec<String>,
    /// The image it is about, as written in the rendered object or the
    /// `images:` entry.
    pub image: Option<String>,
}

impl Finding {
    /// A finding at `at` of `file`, about no particular object or image.
    pub(crate) fn new(
        rule: &str,
        severity: Severity,
        file: &str,
        at: Position,
        message: String,
    ) -> Finding {
        Finding {
            rule: rule.to_owned(),
            severity,
            file: file.to_owned(),
            line: at.line,
            column: at.column,
            message,
            resource: None,
            overlays: Vec::new(),
            image: None,
        }
    }
}

/// An exception that matched findings.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AppliedException {
    /// The exception as configured.
    #[serde(flatten)]
    pub exception: Exception,
    /// The findings it accepted.
    pub findings: Vec<Finding>,
}

/// The outcome of [`verify`].
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct VerifyReport {
    /// The findings no exception accepted, by file, line and column.
    pub findings: Vec<Finding>,
    /// The exceptions that accepted findings.
    pub exceptions: Vec<AppliedException>,
    /// How many overlays were rendered.
    pub overlays: usize,
    /// How many files were scanned for secrets.
    pub files: usize,
}

impl VerifyReport {
    /// Whether any finding is an error (`trueup verify` then exits 1).
    pub fn failed(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Error)
    }

    /// One line of counts: `300 overlays, 1000 files: 2 errors, 1 warnings,
    /// 0 accepted by exceptions`.
    pub fn summary(&self) -> String {
        let errors = self
            .findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .count();
        let accepted: usize = self.exceptions.iter().map(|e| e.findings.len()).sum();
        format!(
            "{} overlays, {} files: {errors} errors, {} warnings, {accepted} accepted by exceptions",
            self.overlays,
            self.files,
            self.findings.len() - errors
        )
    }

    /// One line per finding: `file:line:column: rule: message`
    /// (`rule: warning: message` for warnings).
    pub fn to_text(&self) -> String {
        report::text(self)
    }

    /// `{"findings": [...], "exceptions": [...], "overlays": n, "files": n}`.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a report serializes")
    }

    /// SARIF 2.1.0, as GitHub code scanning reads it. Accepted findings are
    /// left out (GitHub would open alerts for them); the exceptions are in
    /// the run's `properties`.
    pub fn to_sarif(&self) -> String {
        report::sarif(self)
    }
}

/// A rule: its id, default severity and what it checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// The id findings and exceptions use.
    pub id: &'static str,
    /// Its severity (some findings of `unused-image-override` and
    /// `schema` are warnings).
    pub severity: Severity,
    /// One line on what it checks.
    pub summary: &'static str,
}

/// Every rule of [`verify`].
pub const RULES: &[Rule] = &[
    Rule {
        id: "secret-value",
        severity: Severity::Error,
        summary: "A Secret (or a generator producing one) with values in Git; SealedSecret, ExternalSecret and SOPS-encrypted values are references and allowed.",
    },
    Rule {
        id: "private-key",
        severity: Severity::Error,
        summary: "A PEM private key, raw or base64-encoded, in any file of the repository.",
    },
    Rule {
        id: "kubeconfig",
        severity: Severity::Error,
        summary: "A kubeconfig with user credentials, standalone, embedded or base64-encoded.",
    },
    Rule {
        id: "credential",
        severity: Severity::Error,
        summary: "A well-known token format, a URL with a password, or a high-entropy value under a password-, token-, secret- or key-like name.",
    },
    Rule {
        id: "mutable-image",
        severity: Severity::Error,
        summary: "An image without a digest where the environment requires digests, or with :latest or no tag anywhere.",
    },
    Rule {
        id: "unused-image-override",
        severity: Severity::Error,
        summary: "An images: entry of a kustomization that matches no container image (an error where digests are required, a warning elsewhere).",
    },
    Rule {
        id: "ownership",
        severity: Severity::Error,
        summary: "The same object (group, kind, namespace, name) rendered by two overlays for one cluster.",
    },
    Rule {
        id: "isolation",
        severity: Severity::Error,
        summary: "Two environments rendering into one namespace, or a namespaced object outside its environment's namespaces.",
    },
    Rule {
        id: "schema",
        severity: Severity::Error,
        summary: "An object that does not match the Kubernetes OpenAPI schema of its kind, or its CustomResourceDefinition (an unknown kind is a warning).",
    },
    Rule {
        id: "names",
        severity: Severity::Error,
        summary: "A name, namespace, label or annotation key that the API server would refuse (DNS-1123 and label syntax).",
    },
    Rule {
        id: "render",
        severity: Severity::Error,
        summary: "An overlay that does not render.",
    },
    Rule {
        id: "expired-exception",
        severity: Severity::Error,
        summary: "An exception past its expires date; it no longer applies.",
    },
];

/// Options of [`verify`].
#[derive(Debug, Clone, Default)]
pub struct VerifyOptions {
    /// The configuration; read from [`DEFAULT_CONFIG_PATH`] under the root
    /// when `None` (none there: no environments, no exceptions).
    pub config: Option<VerifyConfig>,
    /// How many overlays render at once; the number of cores when `None`.
    pub jobs: Option<usize>,
    /// Only this shard's overlays and files (rules across overlays then
    /// see only the shard's).
    pub shard: Option<Shard>,
    /// Options of each build.
    pub build: BuildOptions,
    /// The day exceptions are checked against (`YYYY-MM-DD`); today (UTC)
    /// when `None`.
    pub today: Option<String>,
}

/// Verifies the repository at `root` (a folder on disk).
///
/// ```
/// use trueup_core::guard::{verify, VerifyOptions};
/// let dir = std::env::temp_dir().join(format!("trueup-verify-doc-{}", std::process::id()));
/// std::fs::create_dir_all(dir.join("app")).unwrap();
/// std::fs::write(dir.join("app/kustomization.yaml"), "resources: [secret.yaml]\n").unwrap();
/// std::fs::write(
///     dir.join("app/secret.yaml"),
///     "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: hunter2\n",
/// ).unwrap();
/// let report = verify(&dir, &VerifyOptions::default()).unwrap();
/// assert_eq!(report.findings[0].rule, "secret-value");
/// assert_eq!((report.findings[0].file.as_str(), report.findings[0].line), ("app/secret.yaml", 6));
/// assert!(report.failed());
/// std::fs::remove_dir_all(&dir).unwrap();
/// ```
pub fn verify(root: impl AsRef<Path>, options: &VerifyOptions) -> Result<VerifyReport, Error> {
    let root = root.as_ref();
    let shown = root.to_string_lossy();
    kustomize::check_folder(root, &shown)?;
    // An option, not a file: named before file names are made the caller's.
    checked_today(options)?;
    let source = DirSource::new(root);
    verify_source(&source, options).map_err(|e| e.relative_to_folder(&shown))
}

/// The day exceptions are checked against: [`VerifyOptions::today`], else today.
fn checked_today(options: &VerifyOptions) -> Result<String, Error> {
    let today = options.today.clone().unwrap_or_else(config::today);
    if config::parse_date(&today).is_none() {
        return Err(Error::Verify {
            file: "today".into(),
            message: format!("{today:?} is not a date (YYYY-MM-DD)"),
        });
    }
    Ok(today)
}

/// [`verify`] over any [`Source`], rooted at its top.
pub fn verify_source(source: &dyn Source, options: &VerifyOptions) -> Result<VerifyReport, Error> {
    let config = match &options.config {
        Some(config) => config.clone(),
        None => match source.entry(DEFAULT_CONFIG_PATH) {
            Some(EntryKind::File) => {
                // The repository's own file: not one a link leads to
                // outside it (its values may end up in messages).
                let real = source.real_path(DEFAULT_CONFIG_PATH)?;
                if !crate::source::is_within(&real, &source.real_path("")?) {
                    return Err(Error::Verify {
                        file: DEFAULT_CONFIG_PATH.into(),
                        message: "a symbolic link to a file outside the repository; refused".into(),
                    });
                }
                let bytes = source.read(DEFAULT_CONFIG_PATH)?;
                let text = String::from_utf8(bytes).map_err(|_| Error::Verify {
                    file: DEFAULT_CONFIG_PATH.into(),
                    message: "not valid UTF-8".into(),
                })?;
                VerifyConfig::from_yaml(&text, DEFAULT_CONFIG_PATH)?
            }
            _ => VerifyConfig::default(),
        },
    };
    let schemas = schema::Schemas::for_version(config.kubernetes_version.as_deref())?;
    let today = checked_today(options)?;
    let in_shard = |path: &str| options.shard.is_none_or(|s| s.holds(path));
    let overlays: Vec<String> = kustomize::find_overlays(source, "")?
        .into_iter()
        .filter(|o| in_shard(o))
        .collect();
    let files: Vec<String> = repository_files(source)?
        .into_iter()
        .filter(|f| in_shard(f))
        .collect();
    let jobs = options
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from))
        .max(1);
    let texts = Files::new(source);
    // One pool of threads for the three stages.
    let pool = crate::parallel::pool(jobs);

    // Every overlay rendered, files shared by overlays parsed once.
    let parsed = kustomize::ParsedFiles::default();
    let rendered = crate::parallel::map_in(pool.as_ref(), &overlays, |overlay| {
        kustomize::build_source_sharing(source, overlay, &options.build, Some(&parsed))
    });
    let mut findings = Vec::new();
    let mut sets = Vec::new();
    for (overlay, outcome) in overlays.iter().zip(rendered) {
        match outcome {
            Ok((set, notes)) => sets.push((overlay.as_str(), set, notes)),
            Err(error) => findings.push(Finding {
                overlays: vec![overlay.clone()],
                ..Finding::new(
                    "render",
                    Severity::Error,
                    error.file().unwrap_or(overlay),
                    Position {
                        line: error.line().unwrap_or(1),
                        column: 1,
                    },
                    format!("the overlay does not render: {error}"),
                )
            }),
        }
    }
    // Each object checked on its own; custom resources against the
    // CustomResourceDefinitions any overlay renders.
    let crds = schema::crds_of(sets.iter().map(|(_, set, _)| set));
    let checked = crate::parallel::map_in(pool.as_ref(), &sets, |(overlay, set, notes)| {
        let environment = config.environment_of(overlay);
        let mut found = Vec::new();
        for resource in set {
            let place = Place::of(resource, &texts);
            images::check_images(resource, &place, environment, notes, &texts, &mut found);
            secret_value(resource, &place, &mut found);
            names::check(resource, &place, &mut found);
            let namespaced = schemas.namespaced(resource.id(), &crds);
            isolation_in_environment(resource, &place, environment, namespaced, &mut found);
            schemas.check(resource, &place, &crds, &mut found);
        }
        images::unused_overrides(notes, environment, &texts, &mut found);
        for finding in &mut found {
            finding.overlays.push((*overlay).to_owned());
        }
        found
    });
    findings.extend(checked.into_iter().flatten());
    across_overlays(&sets, &config, &texts, &schemas, &crds, &mut findings);
    drop(sets);

    // Every file of the repository scanned for secrets.
    let scanned = crate::parallel::map_in(pool.as_ref(), &files, |file| {
        let Ok(bytes) = source.read(file) else {
            return Vec::new();
        };
        if bytes.len() > secrets::MAX_SCANNED_BYTES || bytes.iter().take(8192).any(|&b| b == 0) {
            return Vec::new();
        }
        let Ok(text) = String::from_utf8(bytes) else {
            return Vec::new();
        };
        secrets::scan(&text)
            .into_iter()
            .map(|hit| hit.into_finding(file))
            .collect::<Vec<_>>()
    });
    findings.extend(scanned.into_iter().flatten());

    let findings = merge(findings);
    let (findings, exceptions) = apply_exceptions(findings, &config, &today);
    Ok(VerifyReport {
        findings,
        exceptions,
        overlays: overlays.len(),
        files: files.len(),
    })
}

/// Every file under the root, sorted, `.git` and links to folders left out.
fn repository_files(source: &dyn Source) -> Result<Vec<String>, Error> {
    const MAX_FILES: usize = 500_000;
    let mut files = Vec::new();
    let mut pending = vec![String::new()];
    while let Some(dir) = pending.pop() {
        for (name, kind) in source.list_entries(&dir)? {
            let path = source::normalize_join(&dir, &name);
            match kind {
                Some((EntryKind::Dir, false)) if name != ".git" && name != "node_modules" => {
                    pending.push(path)
                }
                Some((EntryKind::File, false)) => files.push(path),
                _ => {}
            }
        }
        if files.len() > MAX_FILES {
            return Err(Error::Verify {
                file: ".".into(),
                message: format!("more than {MAX_FILES} files to scan"),
            });
        }
    }
    files.sort();
    Ok(files)
}

/// The source files of the repository, each read and located once.
pub(crate) struct Files<'s> {
    source: &'s dyn Source,
    read: Mutex<HashMap<String, Option<Arc<Vec<Node>>>>>,
}

impl<'s> Files<'s> {
    fn new(source: &'s dyn Source) -> Self {
        Files {
            source,
            read: Mutex::new(HashMap::new()),
        }
    }

    /// The documents of `file`, if it is YAML in the source.
    pub(crate) fn documents(&self, file: &str) -> Option<Arc<Vec<Node>>> {
        if let Some(known) = self
            .read
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(file)
        {
            return known.clone();
        }
        let documents = self
            .source
            .read(file)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .and_then(|text| spans::read(&text))
            .map(Arc::new);
        self.read
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(file.to_owned(), documents.clone());
        documents
    }
}

/// Where a rendered object was written: its file and, when it was read
/// from a document (not generated), that document. The file is read for
/// positions only when a finding needs one.
pub(crate) struct Place<'a> {
    files: &'a Files<'a>,
    resource: &'a Resource,
}

impl<'a> Place<'a> {
    fn of(resource: &'a Resource, files: &'a Files<'a>) -> Place<'a> {
        Place { files, resource }
    }

    fn file(&self) -> &str {
        self.resource.origin().file.as_deref().unwrap_or_default()
    }

    /// `Kind/namespace/name` of the object.
    pub(crate) fn name(&self) -> String {
        resource_name(self.resource)
    }

    /// The object's document as written, if it was read from one.
    fn document(&self) -> Option<(Arc<Vec<Node>>, usize)> {
        let index = self.resource.origin().document?;
        Some((self.files.documents(self.file())?, index))
    }

    /// The position of `path` in the object as written (the deepest part
    /// of it that is written there), else where the object starts; a
    /// generated object's is its generator entry's `name`.
    pub(crate) fn locate(&self, path: &[PathPart<'_>]) -> Position {
        if self.resource.origin().document.is_none() {
            return self
                .files
                .documents(self.file())
                .and_then(|docs| generator_entry(docs.first()?, &self.resource.original_id().name))
                .unwrap_or(Position::START);
        }
        self.document()
            .and_then(|(docs, index)| docs.get(index).map(|d| d.locate(path)))
            .unwrap_or(Position::START)
    }

    /// The scalar at `path` as written, if it is there.
    pub(crate) fn written_text(&self, path: &[PathPart<'_>]) -> Option<String> {
        let (docs, index) = self.document()?;
        let mut node = docs.get(index)?;
        for part in path {
            node = match (node, part) {
                (Node::Map { .. }, PathPart::Key(k)) => node.get(k)?,
                (Node::Seq { items, .. }, PathPart::Index(i)) => items.get(*i)?,
                _ => return None,
            };
        }
        node.text().map(str::to_owned)
    }

    /// A finding about the object at `at` of its file.
    pub(crate) fn finding(
        &self,
        rule: &str,
        severity: Severity,
        at: Position,
        message: String,
    ) -> Finding {
        Finding {
            resource: Some(self.name()),
            ..Finding::new(rule, severity, self.file(), at, message)
        }
    }
}

/// `Kind/namespace/name`, or `Kind/name` without a namespace.
fn resource_name(resource: &Resource) -> String {
    let id = resource.id();
    if id.namespace.is_empty() {
        format!("{}/{}", id.kind, id.name)
    } else {
        format!("{}/{}/{}", id.kind, id.namespace, id.name)
    }
}

/// The `name` of the `configMapGenerator` / `secretGenerator` entry named
/// `name` in a kustomization.
fn generator_entry(kustomization: &Node, name: &str) -> Option<Position> {
    for field in ["secretGenerator", "configMapGenerator"] {
        if let Some(Node::Seq { items, .. }) = kustomization.get(field) {
            for item in items {
                if let Some(found) = item.get("name")
                    && found.text() == Some(name)
                {
                    return Some(found.at());
                }
            }
        }
    }
    None
}

/// `secret-value`: a Secret whose `data` or `stringData` holds values.
fn secret_value(resource: &Resource, place: &Place, findings: &mut Vec<Finding>) {
    let id = resource.id();
    if id.kind != "Secret" || !id.group.is_empty() {
        return;
    }
    for field in ["data", "stringData"] {
        let Some(map) = resource.value().get_path(&[field]).and_then(|v| v.as_map()) else {
            continue;
        };
        let keys: Vec<&str> = map
            .iter()
            .filter(|(_, v)| v.scalar_text().is_some_and(|t| secrets::holds_value(&t)))
            .map(|(k, _)| k.as_str())
            .collect();
        if let Some(first) = keys.first() {
            let at = place.locate(&[PathPart::Key(field), PathPart::Key(first)]);
            findings.push(place.finding(
                "secret-value",
                Severity::Error,
                at,
                secrets::secret_value_message(&resource.original_id().name, field, &keys),
            ));
            return;
        }
    }
}

/// `isolation` within one overlay: namespaced objects in the
/// environment's namespaces.
fn isolation_in_environment(
    resource: &Resource,
    place: &Place,
    environment: Option<&Environment>,
    namespaced: Option<bool>,
    findings: &mut Vec<Finding>,
) {
    let Some(env) = environment.filter(|e| !e.namespaces.is_empty()) else {
        return;
    };
    let id = resource.id();
    // Cluster-scoped, or a kind nobody here knows the scope of (then only
    // a namespace it names is checked).
    if namespaced == Some(false) || namespaced.is_none() && id.namespace.is_empty() {
        return;
    }
    if env
        .namespaces
        .iter()
        .any(|n| crate::glob::matches(n, &id.namespace))
    {
        return;
    }
    let allowed = env.namespaces.join(", ");
    let (at, message) = if id.namespace.is_empty() {
        (
            place.locate(&[PathPart::Key("metadata")]),
            format!(
                "{} has no namespace; environment {} puts its objects in {allowed}",
                place.name(),
                env.name
            ),
        )
    } else {
        (
            place.locate(&[PathPart::Key("metadata"), PathPart::Key("namespace")]),
            format!(
                "{} is in namespace {}, outside environment {}'s namespaces ({allowed})",
                place.name(),
                id.namespace,
                env.name
            ),
        )
    };
    findings.push(place.finding("isolation", Severity::Error, at, message));
}

/// `ownership` and `isolation` across overlays: one overlay per object,
/// one environment per namespace, per cluster. Overlays in no environment
/// are not compared (nothing says which cluster they deploy to); the
/// environments without a `cluster` share one.
fn across_overlays(
    sets: &[(&str, ManifestSet, kustomize::BuildNotes)],
    config: &VerifyConfig,
    files: &Files<'_>,
    schemas: &schema::Schemas,
    crds: &schema::Crds,
    findings: &mut Vec<Finding>,
) {
    // (cluster, group, kind, namespace, name) -> first overlay.
    let mut owners: HashMap<(String, String, String, String, String), &str> = HashMap::new();
    // (cluster, namespace) -> (environment, overlay).
    let mut namespaces: BTreeMap<(String, String), (String, &str)> = BTreeMap::new();
    for (overlay, set, _) in sets {
        let Some(env) = config.environment_of(overlay) else {
            continue;
        };
        let cluster = env.cluster.clone().unwrap_or_default();
        for resource in set {
            let id = resource.id();
            let key = (
                cluster.clone(),
                id.group.clone(),
                id.kind.clone(),
                id.namespace.clone(),
                id.name.clone(),
            );
            match owners.get(&key) {
                Some(first) if first != overlay => {
                    let place = Place::of(resource, files);
                    let at = place.locate(&[PathPart::Key("metadata"), PathPart::Key("name")]);
                    let mut finding = place.finding(
                        "ownership",
                        Severity::Error,
                        at,
                        format!(
                            "{} is rendered by {first} and by {overlay}; one application must own it",
                            place.name()
                        ),
                    );
                    finding.overlays = vec![(*first).to_owned(), (*overlay).to_owned()];
                    findings.push(finding);
                }
                Some(_) => {}
                None => {
                    owners.insert(key, overlay);
                }
            }
            if id.namespace.is_empty() || schemas.namespaced(id, crds) == Some(false) {
                continue;
            }
            match namespaces.get(&(cluster.clone(), id.namespace.clone())) {
                Some((other, first)) if *other != env.name => {
                    let place = Place::of(resource, files);
                    let at = place.locate(&[PathPart::Key("metadata"), PathPart::Key("namespace")]);
                    let mut finding = place.finding(
                        "isolation",
                        Severity::Error,
                        at,
                        format!(
                            "namespace {} is used by environment {other} ({first}) and by environment {} ({overlay}); environments must not share a namespace",
                            id.namespace, env.name
                        ),
                    );
                    finding.overlays = vec![(*first).to_owned(), (*overlay).to_owned()];
                    findings.push(finding);
                }
                Some(_) => {}
                None => {
                    namespaces.insert(
                        (cluster.clone(), id.namespace.clone()),
                        (env.name.clone(), overlay),
                    );
                }
            }
        }
    }
}

/// Findings seen by several overlays at the same place, merged into one
/// that names every overlay; then sorted by file, line, column and rule.
fn merge(findings: Vec<Finding>) -> Vec<Finding> {
    let mut merged: BTreeMap<(String, usize, usize, String, String), Finding> = BTreeMap::new();
    for finding in findings {
        let key = (
            finding.file.clone(),
            finding.line,
            finding.column,
            finding.rule.clone(),
            finding.message.clone(),
        );
        match merged.get_mut(&key) {
            Some(existing) => {
                if existing.resource.is_none() {
                    existing.resource = finding.resource;
                }
                for overlay in finding.overlays {
                    if !existing.overlays.contains(&overlay) {
                        existing.overlays.push(overlay);
                    }
                }
            }
            None => {
                merged.insert(key, finding);
            }
        }
    }
    merged
        .into_values()
        .map(|mut f| {
            f.overlays.sort();
            f
        })
        .collect()
}

/// Splits findings into those left and those exceptions accept; expired
/// exceptions become findings themselves.
fn apply_exceptions(
    findings: Vec<Finding>,
    config: &VerifyConfig,
    today: &str,
) -> (Vec<Finding>, Vec<AppliedException>) {
    let config_file = config
        .file
        .clone()
        .unwrap_or_else(|| DEFAULT_CONFIG_PATH.into());
    let mut left = Vec::new();
    let mut applied: Vec<AppliedException> = Vec::new();
    let mut expired = Vec::new();
    for exception in &config.exceptions {
        if exception.expires.as_str() < today {
            expired.push(Finding::new(
                "expired-exception",
                Severity::Error,
                &config_file,
                Position {
                    line: exception.line,
                    column: 1,
                },
                format!(
                    "the exception for {} ({}, approved by {}) expired on {}; renew it or fix what it accepted",
                    exception.rule, exception.reason, exception.approver, exception.expires
                ),
            ));
        }
    }
    for finding in findings {
        let accepting = config.exceptions.iter().position(|e| {
            e.expires.as_str() >= today && e.rule == finding.rule && exception_matches(e, &finding)
        });
        match accepting {
            Some(index) => {
                let exception = &config.exceptions[index];
                match applied.iter_mut().find(|a| &a.exception == exception) {
                    Some(a) => a.findings.push(finding),
                    None => applied.push(AppliedException {
                        exception: exception.clone(),
                        findings: vec![finding],
                    }),
                }
            }
            None => left.push(finding),
        }
    }
    left.extend(expired);
    left.sort_by(|a, b| {
        (&a.file, a.line, a.column, &a.rule).cmp(&(&b.file, b.line, b.column, &b.rule))
    });
    (left, applied)
}

fn exception_matches(exception: &Exception, finding: &Finding) -> bool {
    let m = &exception.matches;
    let under = |pattern: &str, path: &str| {
        crate::glob::matches(pattern, path)
            || path
                .strip_prefix(pattern.trim_end_matches('/'))
                .is_some_and(|rest| rest.starts_with('/'))
    };
    let path_ok = m
        .path
        .as_deref()
        .is_none_or(|p| under(p, &finding.file) || finding.overlays.iter().any(|o| under(p, o)));
    let image_ok = m.image.as_deref().is_none_or(|image| {
        finding
            .image
            .as_deref()
            .is_some_and(|found| found == image || kustomize::split_image(found).0 == image)
    });
    let resource_ok = m.resource.as_deref().is_none_or(|pattern| {
        finding.resource.as_deref().is_some_and(|r| {
            crate::glob::matches(pattern, r) || {
                // `Kind/name` also matches `Kind/namespace/name`.
                let parts: Vec<&str> = r.split('/').collect();
                parts.len() == 3
                    && crate::glob::matches(pattern, &format!("{}/{}", parts[0], parts[2]))
            }
        })
    });
    path_ok && image_ok && resource_ok
}
