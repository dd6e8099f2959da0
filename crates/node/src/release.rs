//! `ReleaseManifest` and `applyRelease`: types and errors converted, the
//! logic in trueup_core::release.

use std::collections::HashMap;

use napi::bindgen_prelude::*;
use napi_derive::napi;
use trueup_core::release::{ApplyOptions, ReleaseManifest as CoreRelease};

use crate::{Job, ManifestSet, thrown};

/// A release manifest: the source revision and image digests of one
/// release, with its canonical id (`sha256:` of the RFC 8785 JSON of its
/// spec). Reading one fails only on text that is not YAML or JSON;
/// `verify()` lists what is wrong in it.
#[napi]
pub struct ReleaseManifest {
    inner: CoreRelease,
}

/// Where a release was built from.
#[napi(object)]
pub struct ReleaseSource {
    /// The repository (URL).
    pub repository: String,
    /// The commit.
    pub revision: String,
}

/// An image of a release.
#[napi(object)]
pub struct ReleaseImage {
    /// The name manifests reference it by, without tag or digest.
    pub name: String,
    /// `sha256:<64 hex>`, or `null` (which `verify` refuses).
    #[napi(ts_type = "string | null")]
    pub digest: Either<String, Null>,
    /// The tag it was built as, or `null`.
    #[napi(ts_type = "string | null")]
    pub tag: Either<String, Null>,
}

/// Another artifact of a release.
#[napi(object)]
pub struct ReleaseArtifact {
    /// Its name.
    pub name: String,
    /// Where it is.
    #[napi(js_name = "ref")]
    pub reference: String,
    /// Its digest, or `null`.
    #[napi(ts_type = "string | null")]
    pub digest: Either<String, Null>,
}

/// One thing wrong with a release: the field's path and what is wrong.
#[napi(object)]
pub struct ReleaseProblem {
    /// The field (`spec.images[1].digest`).
    pub path: String,
    /// What is wrong.
    pub message: String,
}

/// An image or artifact that differs between two releases.
#[napi(object)]
pub struct ReleaseChange {
    /// Its name.
    pub name: String,
    /// Its reference before, `null` when added.
    #[napi(ts_type = "string | null")]
    pub old: Either<String, Null>,
    /// Its reference after, `null` when removed.
    #[napi(ts_type = "string | null")]
    pub new: Either<String, Null>,
}

/// A revision that changed.
#[napi(object)]
pub struct RevisionChange {
    /// Before.
    pub old: String,
    /// After.
    pub new: String,
}

/// What changed from one release to another.
#[napi(object)]
pub struct ReleaseDiff {
    /// The source revision, or `null` when it is the same.
    #[napi(ts_type = "RevisionChange | null")]
    pub revision: Either<RevisionChange, Null>,
    /// Images added, removed or changed.
    pub images: Vec<ReleaseChange>,
    /// Artifacts added, removed or changed.
    pub artifacts: Vec<ReleaseChange>,
}

/// `null` for `None`, as the `.d.ts` says (an absent field would be `undefined`).
fn nullable<T>(value: Option<T>) -> Either<T, Null> {
    match value {
        Some(v) => Either::A(v),
        None => Either::B(Null),
    }
}

/// Options of `ReleaseManifest.fromYaml`.
#[napi(object)]
pub struct FromYamlOptions {
    /// The name errors give the text.
    /// @default '<memory>'
    pub file: Option<String>,
}

/// Options of `ReleaseManifest.create`.
#[napi(object)]
pub struct CreateReleaseOptions {
    /// Pinned references: `name@sha256:...` or `name:tag@sha256:...`.
    pub images: Option<Vec<String>>,
    /// Artifacts by name: `ref` or `ref@digest`.
    pub artifacts: Option<HashMap<String, String>>,
    /// `spec.profile`.
    pub profile: Option<String>,
    /// `spec.labels`.
    pub labels: Option<HashMap<String, String>>,
}

/// A change to one file.
#[napi(object)]
pub struct FileEdit {
    /// The file, as the caller named its folder.
    pub path: String,
    /// Its text before, `null` for a new file.
    #[napi(ts_type = "string | null")]
    pub old: Either<String, Null>,
    /// Its text after.
    pub new: String,
    /// The change as a unified diff.
    pub diff: String,
}

/// Options of `applyRelease`.
#[napi(object)]
pub struct ApplyReleaseOptions {
    /// Write the changed files (atomically); `false` only works them out.
    /// @default true
    pub write: Option<bool>,
}

fn changes(items: Vec<trueup_core::release::ItemChange>) -> Vec<ReleaseChange> {
    items
        .into_iter()
        .map(|c| ReleaseChange {
            name: c.name,
            old: nullable(c.old),
            new: nullable(c.new),
        })
        .collect()
}

#[napi]
impl ReleaseManifest {
    /// Reads a release manifest file (YAML or JSON).
    #[napi(factory)]
    pub fn load(env: Env, path: String) -> Result<ReleaseManifest> {
        CoreRelease::load(&path)
            .map(|inner| ReleaseManifest { inner })
            .map_err(|e| thrown(&env, e))
    }

    /// `load` on the thread pool.
    #[napi(ts_return_type = "Promise<ReleaseManifest>")]
    pub fn load_async(path: String) -> AsyncTask<Job<ReleaseManifest>> {
        Job::spawn(move || CoreRelease::load(&path).map(|inner| ReleaseManifest { inner }))
    }

    /// Reads a release manifest from YAML or JSON text.
    #[napi(factory)]
    pub fn from_yaml(
        env: Env,
        text: String,
        options: Option<FromYamlOptions>,
    ) -> Result<ReleaseManifest> {
        let file = options.and_then(|o| o.file);
        CoreRelease::from_yaml(&text, file.as_deref().unwrap_or("<memory>"))
            .map(|inner| ReleaseManifest { inner })
            .map_err(|e| thrown(&env, e))
    }

    /// A release from its parts.
    #[napi(factory)]
    pub fn create(
        name: String,
        repository: String,
        revision: String,
        options: Option<CreateReleaseOptions>,
    ) -> ReleaseManifest {
        let mut inner = CoreRelease::new(&name, &repository, &revision);
        let options = options.unwrap_or(CreateReleaseOptions {
            images: None,
            artifacts: None,
            profile: None,
            labels: None,
        });
        for image in options.images.unwrap_or_default() {
            inner.add_image(&image);
        }
        let mut artifacts: Vec<(String, String)> =
            options.artifacts.unwrap_or_default().into_iter().collect();
        artifacts.sort();
        for (artifact, reference) in artifacts {
            inner.add_artifact_reference(&artifact, &reference);
        }
        inner.set_profile(
            options.profile.as_deref(),
            options.labels.unwrap_or_default().into_iter().collect(),
        );
        ReleaseManifest { inner }
    }

    /// A release of the images a rendered overlay runs; every one must be
    /// pinned by digest.
    #[napi(factory)]
    pub fn from_manifests(
        env: Env,
        name: String,
        repository: String,
        revision: String,
        manifests: &ManifestSet,
    ) -> Result<ReleaseManifest> {
        CoreRelease::from_manifests(&name, &repository, &revision, manifests.set())
            .map(|inner| ReleaseManifest { inner })
            .map_err(|e| thrown(&env, e))
    }

    /// `sha256:` and the hex SHA-256 of the canonical JSON of `spec`.
    #[napi(getter)]
    pub fn id(&self) -> String {
        self.inner.id()
    }

    /// `metadata.name`.
    #[napi(getter)]
    pub fn name(&self) -> String {
        self.inner.name.clone()
    }

    /// `spec.source`.
    #[napi(getter)]
    pub fn source(&self) -> ReleaseSource {
        ReleaseSource {
            repository: self.inner.source.repository.clone(),
            revision: self.inner.source.revision.clone(),
        }
    }

    /// `spec.images`.
    #[napi(getter)]
    pub fn images(&self) -> Vec<ReleaseImage> {
        self.inner
            .images
            .iter()
            .map(|i| ReleaseImage {
                name: i.name.clone(),
                digest: nullable(i.digest.clone()),
                tag: nullable(i.tag.clone()),
            })
            .collect()
    }

    /// `spec.artifacts`.
    #[napi(getter)]
    pub fn artifacts(&self) -> Vec<ReleaseArtifact> {
        self.inner
            .artifacts
            .iter()
            .map(|a| ReleaseArtifact {
                name: a.name.clone(),
                reference: a.reference.clone(),
                digest: nullable(a.digest.clone()),
            })
            .collect()
    }

    /// `spec.profile`, or `null`.
    #[napi(getter, ts_return_type = "string | null")]
    pub fn profile(&self) -> Either<String, Null> {
        nullable(self.inner.profile.clone())
    }

    /// `spec.labels`.
    #[napi(getter)]
    pub fn labels(&self) -> HashMap<String, String> {
        self.inner.labels.clone().into_iter().collect()
    }

    /// What is wrong, each with its field's path; empty when valid.
    #[napi]
    pub fn verify(&self) -> Vec<ReleaseProblem> {
        self.inner
            .verify()
            .into_iter()
            .map(|p| ReleaseProblem {
                path: p.path,
                message: p.message,
            })
            .collect()
    }

    /// The release as YAML.
    #[napi]
    pub fn to_yaml(&self) -> String {
        self.inner.to_yaml()
    }

    /// The release as JSON.
    #[napi]
    pub fn to_json(&self) -> String {
        self.inner.to_json()
    }

    /// What changed from this release to `other`.
    #[napi]
    pub fn compare(&self, other: &ReleaseManifest) -> ReleaseDiff {
        let diff = self.inner.compare(&other.inner);
        ReleaseDiff {
            revision: nullable(diff.revision.map(|(old, new)| RevisionChange { old, new })),
            images: changes(diff.images),
            artifacts: changes(diff.artifacts),
        }
    }
}

fn apply_impl(
    release: &CoreRelease,
    overlay_dir: &str,
    options: Option<ApplyReleaseOptions>,
) -> std::result::Result<Vec<FileEdit>, trueup_core::Error> {
    let write = options.and_then(|o| o.write).unwrap_or(true);
    let edits = trueup_core::release::apply_release(release, overlay_dir, &ApplyOptions { write })?;
    Ok(edits
        .into_iter()
        .map(|e| FileEdit {
            diff: e.unified_diff(),
            path: e.path,
            old: nullable(e.old.map(|b| String::from_utf8_lossy(&b).into_owned())),
            new: String::from_utf8_lossy(&e.new).into_owned(),
        })
        .collect())
}

/// Pins the images the overlay in `overlayDir` renders to the release's
/// digests in its kustomization.yaml, changing only the bytes that must
/// change, and records the release in `release-manifest.ref`. With
/// `{write: false}` nothing is written. Returns the edits, empty when the
/// overlay already runs it.
#[napi]
pub fn apply_release(
    env: Env,
    release: &ReleaseManifest,
    overlay_dir: String,
    options: Option<ApplyReleaseOptions>,
) -> Result<Vec<FileEdit>> {
    apply_impl(&release.inner, &overlay_dir, options).map_err(|e| thrown(&env, e))
}

/// `applyRelease` on the thread pool.
#[napi(ts_return_type = "Promise<Array<FileEdit>>")]
pub fn apply_release_async(
    release: &ReleaseManifest,
    overlay_dir: String,
    options: Option<ApplyReleaseOptions>,
) -> AsyncTask<Job<Vec<FileEdit>>> {
    let release = release.inner.clone();
    Job::spawn(move || apply_impl(&release, &overlay_dir, options))
}

/// Options of `promote`.
#[napi(object)]
pub struct PromoteOptions {
    /// The release to promote.
    /// @default the images the `from` overlay renders at the base tip
    pub release: Option<ClassInstance<'static, ReleaseManifest>>,
    /// The branch promotions start from.
    /// @default 'main'
    pub base: Option<String>,
    /// The environment's name in the branch name.
    /// @default the `to` overlay's last folder
    pub environment: Option<String>,
    /// Promote digests `from` never ran, for this reason.
    pub allow_untested: Option<String>,
    /// The repository.
    /// @default the repository `from` is in
    pub repo: Option<String>,
}

/// One image a promotion sets.
#[napi(object)]
pub struct PromotedImage {
    /// The image's name.
    pub name: String,
    /// What the target runs before, or `null`.
    #[napi(ts_type = "string | null")]
    pub current: Either<String, Null>,
    /// The digest it gets.
    pub digest: String,
    /// The release's tag for it, or `null`.
    #[napi(ts_type = "string | null")]
    pub tag: Either<String, Null>,
    /// The commit at which the source environment ran it, or `null` (an exception).
    #[napi(ts_type = "string | null")]
    pub tested_at: Either<String, Null>,
}

/// What `promote` did.
#[napi(object)]
pub struct Promotion {
    /// The branch (`deploy/prod-0123456789ab`).
    pub branch: String,
    /// Its commit.
    pub commit: String,
    /// The base commit it starts from.
    pub base: String,
    /// The release's id.
    pub release_id: String,
    /// The pull request's title.
    pub title: String,
    /// The pull request's body (Markdown).
    pub body: String,
    /// The images set.
    pub images: Vec<PromotedImage>,
    /// Whether the branch already held this promotion.
    pub existing: bool,
}

fn promote_impl(
    from_path: &str,
    to_path: &str,
    release: Option<CoreRelease>,
    options: PromoteSettings,
) -> std::result::Result<Promotion, trueup_core::Error> {
    let (repo, from) = trueup_core::git::locate(
        options.repo.as_deref().map(std::path::Path::new),
        from_path.as_ref(),
    )?;
    let to = repo.relative_path(to_path)?;
    let promotion = repo.promote(
        &from,
        &to,
        &trueup_core::git::PromoteOptions {
            base: options.base.unwrap_or_else(|| "main".to_owned()),
            release,
            environment: options.environment,
            allow_untested: options.allow_untested,
            ..Default::default()
        },
    )?;
    Ok(Promotion {
        branch: promotion.branch,
        commit: promotion.commit,
        base: promotion.base,
        release_id: promotion.release_id,
        title: promotion.title,
        body: promotion.body,
        images: promotion
            .images
            .into_iter()
            .map(|i| PromotedImage {
                name: i.name,
                current: nullable(i.current),
                digest: i.digest,
                tag: nullable(i.tag),
                tested_at: nullable(i.tested_at),
            })
            .collect(),
        existing: promotion.existing,
    })
}

/// `promote`'s options without the release (which stays on the JS side).
struct PromoteSettings {
    base: Option<String>,
    environment: Option<String>,
    allow_untested: Option<String>,
    repo: Option<String>,
}

fn settings(options: Option<PromoteOptions>) -> (Option<CoreRelease>, PromoteSettings) {
    match options {
        Some(o) => (
            o.release.map(|r| r.inner.clone()),
            PromoteSettings {
                base: o.base,
                environment: o.environment,
                allow_untested: o.allow_untested,
                repo: o.repo,
            },
        ),
        None => (
            None,
            PromoteSettings {
                base: None,
                environment: None,
                allow_untested: None,
                repo: None,
            },
        ),
    }
}

/// Promotes a release from the overlay at `fromPath` (staging) to the one
/// at `toPath` (prod) as a commit on a new branch
/// `deploy/<environment>-<12 hex of the release id>` from the tip of the
/// base branch, without touching the working tree. Digests `fromPath`
/// never ran throw `E_UNTESTED` unless `allowUntested` gives the reason.
/// Re-running finds the branch (`existing`) and writes nothing.
#[napi]
pub fn promote(
    env: Env,
    from_path: String,
    to_path: String,
    options: Option<PromoteOptions>,
) -> Result<Promotion> {
    let (release, settings) = settings(options);
    promote_impl(&from_path, &to_path, release, settings).map_err(|e| thrown(&env, e))
}

/// `promote` on the thread pool.
#[napi(ts_return_type = "Promise<Promotion>")]
pub fn promote_async(
    from_path: String,
    to_path: String,
    options: Option<PromoteOptions>,
) -> AsyncTask<Job<Promotion>> {
    let (release, settings) = settings(options);
    Job::spawn(move || promote_impl(&from_path, &to_path, release, settings))
}

/// Options of `evidence`.
#[napi(object)]
pub struct EvidenceOptions {
    /// Results files to attach (their names and sha256 are recorded).
    pub results: Option<Vec<String>>,
    /// Approved exceptions: a YAML file.
    pub exceptions: Option<String>,
    /// The namespace desired objects without one go to.
    pub namespace: Option<String>,
    /// When the bundle is made (RFC 3339).
    /// @default SOURCE_DATE_EPOCH, else now
    pub created_at: Option<String>,
    /// The repository.
    /// @default the repository `environment` is in
    pub repo: Option<String>,
}

/// `evidence`'s options, read on any thread.
struct EvidenceSettings {
    results: Vec<String>,
    exceptions: Option<String>,
    namespace: Option<String>,
    created_at: Option<String>,
    repo: Option<String>,
}

impl From<Option<EvidenceOptions>> for EvidenceSettings {
    fn from(options: Option<EvidenceOptions>) -> Self {
        let o = options.unwrap_or(EvidenceOptions {
            results: None,
            exceptions: None,
            namespace: None,
            created_at: None,
            repo: None,
        });
        EvidenceSettings {
            results: o.results.unwrap_or_default(),
            exceptions: o.exceptions,
            namespace: o.namespace,
            created_at: o.created_at,
            repo: o.repo,
        }
    }
}

fn evidence_impl(
    release: &CoreRelease,
    environment: &str,
    rev: &str,
    live: crate::Manifests,
    settings: EvidenceSettings,
) -> std::result::Result<serde_json::Value, trueup_core::Error> {
    let live = live.load()?;
    let attachments = trueup_core::release::read_attachments(&settings.results)?;
    let exceptions = match &settings.exceptions {
        Some(path) => trueup_core::release::load_exceptions(path)?,
        None => Vec::new(),
    };
    let (repo, environment) = trueup_core::git::locate(
        settings.repo.as_deref().map(std::path::Path::new),
        environment.as_ref(),
    )?;
    let bundle = repo.evidence(&trueup_core::git::EvidenceRequest {
        release,
        environment: &environment,
        revision: rev,
        live: &live,
        attachments: &attachments,
        exceptions: &exceptions,
        created_at: settings.created_at,
        diff: trueup_core::diff::DiffOptions {
            namespace: settings.namespace,
            ..Default::default()
        },
    })?;
    Ok(serde_json::to_value(&bundle).unwrap_or(serde_json::Value::Null))
}

/// The evidence bundle of the environment at `environment` (an overlay
/// path) at sync revision `rev`, diffed against `live` (a ManifestSet or
/// paths): the release and its id, the sha256 of Git's desired state, live
/// image drift, attached results, exceptions, `createdAt`, `ready`, and
/// `id` over the rest.
#[napi(ts_return_type = "Record<string, any>")]
pub fn evidence(
    env: Env,
    release: &ReleaseManifest,
    environment: String,
    rev: String,
    live: Either3<ClassInstance<'_, ManifestSet>, String, Vec<String>>,
    options: Option<EvidenceOptions>,
) -> Result<serde_json::Value> {
    evidence_impl(
        &release.inner,
        &environment,
        &rev,
        crate::Manifests::from_js(live),
        options.into(),
    )
    .map_err(|e| thrown(&env, e))
}

/// The work of `evidenceAsync`, run off the main thread.
pub struct EvidenceTask {
    work: Option<(
        CoreRelease,
        String,
        String,
        crate::Manifests,
        EvidenceSettings,
    )>,
}

impl Task for EvidenceTask {
    type Output = std::result::Result<serde_json::Value, trueup_core::Error>;
    type JsValue = std::collections::HashMap<String, serde_json::Value>;

    fn compute(&mut self) -> Result<Self::Output> {
        let (release, environment, rev, live, settings) = self
            .work
            .take()
            .ok_or_else(|| Error::from_reason("evidenceAsync ran twice"))?;
        Ok(evidence_impl(&release, &environment, &rev, live, settings))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> Result<Self::JsValue> {
        match output {
            Ok(serde_json::Value::Object(bundle)) => Ok(bundle.into_iter().collect()),
            Ok(_) => Err(Error::from_reason("an evidence bundle is an object")),
            Err(e) => crate::reject_with(env, e),
        }
    }
}

/// `evidence` on the thread pool.
#[napi(ts_return_type = "Promise<Record<string, any>>")]
pub fn evidence_async(
    release: &ReleaseManifest,
    environment: String,
    rev: String,
    live: Either3<ClassInstance<'_, ManifestSet>, String, Vec<String>>,
    options: Option<EvidenceOptions>,
) -> AsyncTask<EvidenceTask> {
    AsyncTask::new(EvidenceTask {
        work: Some((
            release.inner.clone(),
            environment,
            rev,
            crate::Manifests::from_js(live),
            options.into(),
        )),
    })
}

/// Checks an evidence bundle's `id` against its content (JSON text or an
/// object); returns whether it says ready. A changed bundle throws `E_RELEASE`.
#[napi]
pub fn verify_evidence(
    env: Env,
    #[napi(ts_arg_type = "string | Record<string, any>")] bundle: Either<
        String,
        std::collections::HashMap<String, serde_json::Value>,
    >,
) -> Result<bool> {
    let text = match bundle {
        Either::A(text) => text,
        Either::B(value) => serde_json::to_string(&value).unwrap_or_default(),
    };
    trueup_core::release::verify_evidence(&text, "<evidence>").map_err(|e| thrown(&env, e))
}

/// An evidence bundle as Markdown, for people.
#[napi]
pub fn evidence_markdown(
    #[napi(ts_arg_type = "Record<string, any>")] bundle: serde_json::Value,
) -> Result<String> {
    let value = trueup_core::Value::from_json(&bundle.to_string()).map_err(Error::from_reason)?;
    Ok(trueup_core::release::evidence_markdown(&value))
}
