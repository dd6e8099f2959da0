//! The Node.js addon `trueup`: thin conversions over trueup-core. Each
//! operation has one private `*_impl`, exported as a synchronous function
//! and an `*Async` variant that runs on the libuv thread pool.

use napi::bindgen_prelude::*;
use napi_derive::napi;
use trueup_core::ManifestSet as CoreManifestSet;

pub mod release;

/// The JS `Error` for an engine error: `message`, and as properties the
/// stable `code` (`E_YAML`, ...), `file`, `line` and `column` (`null` when
/// unknown) — the same fields Python's exceptions carry.
pub(crate) fn thrown(env: &Env, error: trueup_core::Error) -> napi::Error {
    match error_object(env, &TrueupError::from(&error)) {
        Ok(object) => napi::Error::from(object.to_unknown()),
        Err(failed) => failed,
    }
}

/// A real JS `Error` carrying `fields`.
fn error_object<'env>(env: &'env Env, fields: &TrueupError) -> Result<Object<'env>> {
    let mut object = env.create_error(napi::Error::from_reason(fields.message.clone()))?;
    object.set("code", fields.code.as_str())?;
    object.set("file", fields.file.as_deref())?;
    object.set("line", fields.line)?;
    object.set("column", fields.column)?;
    let details = [
        ("field", &fields.field),
        ("repo", &fields.repo),
        ("branch", &fields.branch),
        ("expected", &fields.expected),
        ("actual", &fields.actual),
        ("images", &fields.images),
    ];
    for (name, value) in details {
        if let Some(value) = value {
            object.set(name, value.as_str())?;
        }
    }
    Ok(object)
}

/// The fields of every error trueup throws: a JS `Error` whose `message` is
/// the full message, with these properties.
#[napi(object)]
pub struct TrueupError {
    /// `E_YAML`, `E_MANIFEST`, `E_OVERLAY`, `E_DIFF`, `E_RELEASE`, `E_UNTESTED`, `E_GIT`,
    /// `E_BRANCH_MOVED`, `E_CONFLICT`, `E_UNSUPPORTED`, `E_VERIFY` or `E_IO`.
    pub code: String,
    /// The message, naming the file and what is wrong.
    pub message: String,
    /// The file the error is about, as the caller named it, or `null`.
    #[napi(ts_type = "string | null")]
    pub file: Option<String>,
    /// The 1-based line, or `null`.
    #[napi(ts_type = "number | null")]
    pub line: Option<u32>,
    /// The 1-based column, or `null`.
    #[napi(ts_type = "number | null")]
    pub column: Option<u32>,
    /// `E_UNSUPPORTED`: the kustomization field.
    pub field: Option<String>,
    /// `E_GIT`: the repository.
    pub repo: Option<String>,
    /// `E_BRANCH_MOVED`: the branch.
    pub branch: Option<String>,
    /// `E_BRANCH_MOVED`: where the writer expected it.
    pub expected: Option<String>,
    /// `E_BRANCH_MOVED`: where it is.
    pub actual: Option<String>,
    /// `E_UNTESTED`: the images (`name@digest`, comma-separated) the
    /// environment a promotion comes from never ran.
    pub images: Option<String>,
}

impl From<&trueup_core::Error> for TrueupError {
    fn from(error: &trueup_core::Error) -> Self {
        let number = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        let mut fields = TrueupError {
            code: error.kind().code().to_owned(),
            message: error.to_string(),
            file: error.file().map(str::to_owned),
            line: error.line().map(number),
            column: error.column().map(number),
            field: None,
            repo: None,
            branch: None,
            expected: None,
            actual: None,
            images: None,
        };
        for (name, detail) in error.details() {
            let slot = match name {
                "field" => &mut fields.field,
                "repo" => &mut fields.repo,
                "branch" => &mut fields.branch,
                "expected" => &mut fields.expected,
                "images" => &mut fields.images,
                _ => &mut fields.actual,
            };
            *slot = Some(detail.to_owned());
        }
        fields
    }
}

/// Rejects a promise with the same error the sync variant throws.
pub(crate) fn reject_with<T>(env: Env, error: trueup_core::Error) -> napi::Result<T> {
    Err(thrown(&env, error))
}

/// An engine call run on the libuv thread pool: the `*Async` variants of
/// the operations that have no task of their own. The promise resolves to
/// what the sync variant returns, or rejects with the `Error` it throws.
pub struct Job<T> {
    work: Option<Box<dyn FnOnce() -> std::result::Result<T, trueup_core::Error> + Send>>,
}

impl<T> Job<T> {
    fn spawn(
        work: impl FnOnce() -> std::result::Result<T, trueup_core::Error> + Send + 'static,
    ) -> AsyncTask<Job<T>>
    where
        Job<T>: Task,
    {
        AsyncTask::new(Job {
            work: Some(Box::new(work)),
        })
    }
}

impl<T: Send + ToNapiValue + TypeName + 'static> Task for Job<T> {
    type Output = std::result::Result<T, trueup_core::Error>;
    type JsValue = T;

    fn compute(&mut self) -> Result<Self::Output> {
        let work = self
            .work
            .take()
            .ok_or_else(|| napi::Error::from_reason("a job runs once"))?;
        Ok(work())
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> Result<Self::JsValue> {
        output.or_else(|e| reject_with(env, e))
    }
}

/// An ordered set of Kubernetes objects, as `kustomize build` prints them.
#[napi]
pub struct ManifestSet {
    inner: CoreManifestSet,
}

impl ManifestSet {
    /// The engine's set.
    pub(crate) fn set(&self) -> &CoreManifestSet {
        &self.inner
    }
}

#[napi]
impl ManifestSet {
    /// The number of objects.
    #[napi(getter)]
    pub fn length(&self) -> u32 {
        self.inner.len() as u32
    }

    /// The object at `index` (negative counts from the end), or `null`.
    #[napi(ts_return_type = "Record<string, any> | null")]
    pub fn get(&self, index: i64) -> Option<serde_json::Value> {
        self.inner
            .at_index(index)
            .and_then(|r| serde_json::to_value(r.value()).ok())
    }

    /// The objects as an array of plain objects.
    #[napi(ts_return_type = "Array<Record<string, any>>")]
    pub fn to_array(&self) -> Result<Vec<serde_json::Value>> {
        self.inner
            .iter()
            .map(|r| serde_json::to_value(r.value()).map_err(|e| Error::from_reason(e.to_string())))
            .collect()
    }

    /// An iterator over the objects: `for (const obj of set.values())`.
    #[napi]
    pub fn values(&self) -> Result<ManifestIterator> {
        Ok(ManifestIterator {
            items: self.to_array()?.into_iter(),
        })
    }

    /// The set is iterable: `for (const obj of set)`, `[...set]`.
    #[napi(well_known_symbol = "iterator")]
    pub fn iterate(&self) -> Result<ManifestIterator> {
        self.values()
    }

    /// What `JSON.stringify(set)` writes: the array of objects.
    #[napi(js_name = "toJSON", ts_return_type = "Array<Record<string, any>>")]
    pub fn to_json_value(&self) -> Result<Vec<serde_json::Value>> {
        self.to_array()
    }

    /// Each object's identity as `group/kind/namespace/name`.
    #[napi]
    pub fn ids(&self) -> Vec<String> {
        self.inner.iter().map(|r| r.id().to_string()).collect()
    }

    /// The objects as YAML, byte-identical to `kustomize build`.
    #[napi]
    pub fn to_yaml(&self) -> String {
        self.inner.to_yaml()
    }

    /// The objects as a JSON array.
    #[napi]
    pub fn to_json(&self) -> String {
        self.inner.to_json()
    }
}

/// Iterates the objects of a [`ManifestSet`] as plain objects.
#[napi(iterator)]
pub struct ManifestIterator {
    items: std::vec::IntoIter<serde_json::Value>,
}

#[napi]
impl Generator for ManifestIterator {
    type Yield = serde_json::Value;
    type Next = ();
    type Return = ();

    fn next(&mut self, _value: Option<Self::Next>) -> Option<Self::Yield> {
        self.items.next()
    }
}

/// Options of `build`.
#[napi(object)]
pub struct BuildOptions {
    /// `'none'` lets kustomizations read files outside their folder.
    /// @default 'root-only'
    pub load_restrictor: Option<String>,
    /// Render the folder as it is at this Git revision (from Git objects, no checkout).
    pub rev: Option<String>,
    /// `false` refuses remote resources (HTTP files, Git repositories) instead of fetching them.
    /// @default true
    pub remote: Option<bool>,
    /// With `rev`: the repository.
    /// @default the repository containing the current folder
    pub repo: Option<String>,
}

fn core_build_options(
    load_restrictor: Option<&str>,
    remote: Option<bool>,
) -> std::result::Result<trueup_core::BuildOptions, trueup_core::Error> {
    Ok(trueup_core::BuildOptions {
        load_restrictor: match load_restrictor {
            Some(text) => text.parse()?,
            None => Default::default(),
        },
        remote: remote.unwrap_or(true).into(),
        cache_dir: None,
    })
}

fn build_impl(
    path: &str,
    options: Option<BuildOptions>,
) -> std::result::Result<CoreManifestSet, trueup_core::Error> {
    let (restrictor, rev, repo, remote) = match options {
        Some(o) => (o.load_restrictor, o.rev, o.repo, o.remote),
        None => (None, None, None, None),
    };
    trueup_core::git::build_path(
        path.as_ref(),
        rev.as_deref(),
        repo.as_deref().map(std::path::Path::new),
        &core_build_options(restrictor.as_deref(), remote)?,
    )
}

fn load_manifests_impl(
    text: &[u8],
    options: &trueup_core::LoadOptions,
) -> std::result::Result<CoreManifestSet, trueup_core::Error> {
    trueup_core::load_manifests_opts(text, options)
}

/// Renders the kustomization in folder `path`, as `kustomize build path` does.
#[napi]
pub fn build(env: Env, path: String, options: Option<BuildOptions>) -> Result<ManifestSet> {
    build_impl(&path, options)
        .map(|inner| ManifestSet { inner })
        .map_err(|e| thrown(&env, e))
}

/// Options of `loadManifests`.
#[napi(object)]
pub struct LoadOptions {
    /// The name of the input in error messages.
    /// @default "<string>"
    pub file: Option<String>,
    /// The deepest nesting of mappings and sequences allowed.
    /// @default 256
    pub max_depth: Option<u32>,
    /// How many nodes alias expansion may add to one document.
    /// @default 100000
    pub max_alias_nodes: Option<u32>,
    /// The largest document, in characters.
    /// @default 16777216
    pub max_document_size: Option<u32>,
}

/// The engine's options for these JS options, defaults filled in.
fn core_load_options(options: Option<LoadOptions>) -> trueup_core::LoadOptions {
    let Some(options) = options else {
        return trueup_core::LoadOptions::default();
    };
    let size = |v: Option<u32>| v.map(|v| v as usize);
    trueup_core::LoadOptions {
        file: options.file,
        limits: trueup_core::ParseLimits::from_options(
            size(options.max_depth),
            size(options.max_alias_nodes),
            size(options.max_document_size),
        ),
    }
}

/// Reads Kubernetes manifests from YAML text (a string or a UTF-8 Buffer).
#[napi]
pub fn load_manifests(
    env: Env,
    text: Either<String, Buffer>,
    options: Option<LoadOptions>,
) -> Result<ManifestSet> {
    let bytes: &[u8] = match &text {
        Either::A(s) => s.as_bytes(),
        Either::B(b) => b.as_ref(),
    };
    load_manifests_impl(bytes, &core_load_options(options))
        .map(|inner| ManifestSet { inner })
        .map_err(|e| thrown(&env, e))
}

/// The work of `buildAsync`, run off the main thread.
pub struct BuildTask {
    path: String,
    options: Option<BuildOptions>,
}

impl Task for BuildTask {
    type Output = std::result::Result<CoreManifestSet, trueup_core::Error>;
    type JsValue = ManifestSet;

    fn compute(&mut self) -> Result<Self::Output> {
        Ok(build_impl(&self.path, self.options.take()))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> Result<Self::JsValue> {
        match output {
            Ok(inner) => Ok(ManifestSet { inner }),
            Err(e) => reject_with(env, e),
        }
    }
}

/// `build` on the thread pool: resolves to a `ManifestSet`, rejects with the same error.
#[napi(ts_return_type = "Promise<ManifestSet>")]
pub fn build_async(path: String, options: Option<BuildOptions>) -> AsyncTask<BuildTask> {
    AsyncTask::new(BuildTask { path, options })
}

/// The work of `loadManifestsAsync`, run off the main thread.
pub struct LoadTask {
    text: Vec<u8>,
    options: trueup_core::LoadOptions,
}

impl Task for LoadTask {
    type Output = std::result::Result<CoreManifestSet, trueup_core::Error>;
    type JsValue = ManifestSet;

    fn compute(&mut self) -> Result<Self::Output> {
        Ok(load_manifests_impl(&self.text, &self.options))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> Result<Self::JsValue> {
        match output {
            Ok(inner) => Ok(ManifestSet { inner }),
            Err(e) => reject_with(env, e),
        }
    }
}

/// `loadManifests` on the thread pool.
#[napi(ts_return_type = "Promise<ManifestSet>")]
pub fn load_manifests_async(
    text: Either<String, Buffer>,
    options: Option<LoadOptions>,
) -> AsyncTask<LoadTask> {
    let text = match text {
        Either::A(s) => s.into_bytes(),
        Either::B(b) => b.to_vec(),
    };
    AsyncTask::new(LoadTask {
        text,
        options: core_load_options(options),
    })
}

/// Reads the Kubernetes manifests in a YAML (or JSON) file.
#[napi]
pub fn load_manifests_file(env: Env, path: String) -> Result<ManifestSet> {
    trueup_core::load_manifests_file(&path)
        .map(|inner| ManifestSet { inner })
        .map_err(|e| thrown(&env, e))
}

/// `loadManifestsFile` on the thread pool.
#[napi(ts_return_type = "Promise<ManifestSet>")]
pub fn load_manifests_file_async(path: String) -> AsyncTask<Job<ManifestSet>> {
    Job::spawn(move || trueup_core::load_manifests_file(&path).map(|inner| ManifestSet { inner }))
}

/// One overlay of `buildAll`.
#[napi]
pub struct OverlayResult {
    path: String,
    result: std::result::Result<CoreManifestSet, TrueupError>,
}

#[napi]
impl OverlayResult {
    /// The overlay's folder, relative to the root.
    #[napi(getter)]
    pub fn path(&self) -> String {
        self.path.clone()
    }

    /// What it renders to, or `null` when it fails.
    #[napi(getter)]
    pub fn manifests(&self) -> Option<ManifestSet> {
        self.result.as_ref().ok().map(|inner| ManifestSet {
            inner: inner.clone(),
        })
    }

    /// Why it fails — the `Error` `build` would throw — or `null` when it renders.
    #[napi(getter, ts_return_type = "(Error & TrueupError) | null")]
    pub fn error<'env>(&self, env: &'env Env) -> Result<Option<Object<'env>>> {
        match &self.result {
            Ok(_) => Ok(None),
            Err(fields) => error_object(env, fields).map(Some),
        }
    }
}

/// Options of `buildAll`.
#[napi(object)]
#[derive(Default)]
pub struct BuildAllOptions {
    /// How many overlays render at once.
    /// @default the number of cores
    pub jobs: Option<u32>,
    /// `'none'` lets kustomizations read files outside their folder.
    /// @default 'root-only'
    pub load_restrictor: Option<String>,
    /// Only this shard of a deterministic split by path: `'2/4'`.
    pub shard: Option<String>,
    /// `false` refuses remote resources instead of fetching them.
    /// @default true
    pub remote: Option<bool>,
    /// Only the overlays whose inputs (any file they read) differ from this Git revision.
    pub changed_since: Option<String>,
    /// A folder where renders are kept, keyed by the content of every file
    /// they read: unchanged overlays are not rendered again.
    pub render_cache: Option<String>,
    /// Render the overlays as they are at this Git revision, from Git
    /// objects (a render cache then keys files by their blob ids).
    pub rev: Option<String>,
    /// With `rev`: the repository.
    /// @default the one `root` is in
    pub repo: Option<String>,
}

fn build_all_impl(
    root: &str,
    options: Option<BuildAllOptions>,
) -> std::result::Result<Vec<OverlayResult>, trueup_core::Error> {
    let o = options.unwrap_or_default();
    let core = trueup_core::BuildAllOptions {
        jobs: o.jobs.map(|j| j as usize),
        overlays: None,
        build: core_build_options(o.load_restrictor.as_deref(), o.remote)?,
        progress: None,
        shard: o.shard.as_deref().map(str::parse).transpose()?,
        changed_since: o.changed_since,
        cache: o.render_cache.map(trueup_core::kustomize::RenderCache::new),
    };
    // Each result converted as it comes: one list in memory, not two.
    let mut results = Vec::new();
    trueup_core::git::build_all_path_each(
        std::path::Path::new(root),
        o.rev.as_deref(),
        o.repo.as_deref().map(std::path::Path::new),
        &core,
        &mut |overlay| {
            results.push(OverlayResult {
                path: overlay.path,
                result: overlay.result.map_err(|e| TrueupError::from(&e)),
            })
        },
    )?;
    Ok(results)
}

/// Renders every overlay under `root` in parallel (folders with a
/// kustomization no other kustomization under the root uses), in path order;
/// one failing overlay stops no other.
#[napi]
pub fn build_all(
    env: Env,
    root: String,
    options: Option<BuildAllOptions>,
) -> Result<Vec<OverlayResult>> {
    build_all_impl(&root, options).map_err(|e| thrown(&env, e))
}

/// The work of `buildAllAsync`, run off the main thread.
pub struct BuildAllTask {
    root: String,
    options: Option<BuildAllOptions>,
}

impl Task for BuildAllTask {
    type Output = std::result::Result<Vec<OverlayResult>, trueup_core::Error>;
    type JsValue = Vec<OverlayResult>;

    fn compute(&mut self) -> Result<Self::Output> {
        Ok(build_all_impl(&self.root, self.options.take()))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> Result<Self::JsValue> {
        match output {
            Ok(results) => Ok(results),
            Err(e) => reject_with(env, e),
        }
    }
}

/// `buildAll` on the thread pool.
#[napi(ts_return_type = "Promise<Array<OverlayResult>>")]
pub fn build_all_async(root: String, options: Option<BuildAllOptions>) -> AsyncTask<BuildAllTask> {
    AsyncTask::new(BuildAllTask { root, options })
}

/// Options of `verify`.
#[napi(object)]
#[derive(Default)]
pub struct VerifyOptions {
    /// A `.trueup/verify.yaml`-style configuration file.
    /// @default ROOT/.trueup/verify.yaml, if there
    pub config: Option<String>,
    /// How many overlays render at once.
    /// @default the number of cores
    pub jobs: Option<u32>,
    /// Only this shard of the overlays and files: `'2/4'`.
    pub shard: Option<String>,
    /// `'none'` lets kustomizations read files outside their folder.
    /// @default 'root-only'
    pub load_restrictor: Option<String>,
    /// `false` refuses remote resources instead of fetching them.
    /// @default true
    pub remote: Option<bool>,
    /// The day exceptions' `expires` are checked against (`YYYY-MM-DD`).
    /// @default today (UTC)
    pub today: Option<String>,
}

/// The outcome of `verify`.
#[napi]
pub struct VerifyReport {
    inner: trueup_core::guard::VerifyReport,
}

#[napi]
impl VerifyReport {
    /// The findings no exception accepted, by file, line and column: rule,
    /// severity, file, line, column, message, resource, overlays, image.
    #[napi(getter, ts_return_type = "Array<Finding>")]
    pub fn findings(&self) -> Result<serde_json::Value> {
        serde_json::to_value(&self.inner.findings)
            .map_err(|e| napi::Error::from_reason(e.to_string()))
    }

    /// The exceptions that accepted findings (rule, match, reason,
    /// approver, expires, findings).
    #[napi(getter, ts_return_type = "Array<Record<string, any>>")]
    pub fn exceptions(&self) -> Result<serde_json::Value> {
        serde_json::to_value(&self.inner.exceptions)
            .map_err(|e| napi::Error::from_reason(e.to_string()))
    }

    /// How many overlays were rendered.
    #[napi(getter)]
    pub fn overlays(&self) -> u32 {
        self.inner.overlays as u32
    }

    /// How many files were scanned for secrets.
    #[napi(getter)]
    pub fn files(&self) -> u32 {
        self.inner.files as u32
    }

    /// Whether any finding is an error (`trueup verify` exits 1).
    #[napi(getter)]
    pub fn failed(&self) -> bool {
        self.inner.failed()
    }

    /// One line of counts: overlays, files, errors, warnings, accepted.
    #[napi]
    pub fn summary(&self) -> String {
        self.inner.summary()
    }

    /// One line per finding: `file:line:column: rule: message`.
    #[napi]
    pub fn to_text(&self) -> String {
        self.inner.to_text()
    }

    /// `{"findings": [...], "exceptions": [...], "overlays": n, "files": n}`.
    #[napi]
    pub fn to_json(&self) -> String {
        self.inner.to_json()
    }

    /// SARIF 2.1.0, as GitHub code scanning reads it.
    #[napi]
    pub fn to_sarif(&self) -> String {
        self.inner.to_sarif()
    }
}

/// One problem `verify` found, where it comes from.
#[napi(object)]
pub struct Finding {
    /// secret-value, private-key, kubeconfig, credential, mutable-image,
    /// unused-image-override, ownership, isolation, schema, names, render,
    /// expired-exception.
    pub rule: String,
    /// How bad it is.
    #[napi(ts_type = "'error' | 'warning'")]
    pub severity: String,
    /// The source file, relative to the root.
    pub file: String,
    /// The 1-based line.
    pub line: u32,
    /// The 1-based column.
    pub column: u32,
    /// What is wrong and what to do; never a secret's value.
    pub message: String,
    /// `Kind/namespace/name` of the object it is about.
    #[napi(ts_type = "string | null")]
    pub resource: Option<String>,
    /// The overlays whose rendering showed it.
    pub overlays: Vec<String>,
    /// The image it is about.
    #[napi(ts_type = "string | null")]
    pub image: Option<String>,
}

fn verify_impl(
    root: &str,
    options: Option<VerifyOptions>,
) -> std::result::Result<VerifyReport, trueup_core::Error> {
    let options = options.unwrap_or_default();
    let core = trueup_core::guard::VerifyOptions {
        config: options
            .config
            .map(trueup_core::guard::VerifyConfig::load)
            .transpose()?,
        jobs: options.jobs.map(|j| j as usize),
        shard: options.shard.as_deref().map(str::parse).transpose()?,
        build: core_build_options(options.load_restrictor.as_deref(), options.remote)?,
        today: options.today,
    };
    trueup_core::guard::verify(root, &core).map(|inner| VerifyReport { inner })
}

/// Guardrails over the repository at `root`: every overlay rendered, the
/// objects and every file checked (secrets, credentials, mutable images,
/// unused `images:` entries, ownership, namespace isolation, schema,
/// names). Throws (`E_VERIFY`) for a bad configuration.
#[napi]
pub fn verify(env: Env, root: String, options: Option<VerifyOptions>) -> Result<VerifyReport> {
    verify_impl(&root, options).map_err(|e| thrown(&env, e))
}

/// `verify` on the thread pool.
#[napi(ts_return_type = "Promise<VerifyReport>")]
pub fn verify_async(root: String, options: Option<VerifyOptions>) -> AsyncTask<Job<VerifyReport>> {
    Job::spawn(move || verify_impl(&root, options))
}

/// The version of the engine.
#[napi]
pub fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

/// Counts of a diff by status.
#[napi(object)]
pub struct DiffSummary {
    /// Resources in sync.
    pub synced: u32,
    /// Resources that differ.
    pub out_of_sync: u32,
    /// Resources in Git, not live.
    pub missing: u32,
    /// Tracked live resources not in Git.
    pub extraneous: u32,
}

/// One differing field.
#[napi(object)]
pub struct DiffChange {
    /// `spec.template.spec.containers[name=app].image`, `metadata.labels["app.kubernetes.io/name"]`.
    pub path: String,
    /// `change`: Git moved; `drift`: the cluster moved; `conflict`: both, differently.
    #[napi(ts_type = "'change' | 'drift' | 'conflict'")]
    pub cause: String,
    /// The value in the cluster (`null`: absent).
    pub live: serde_json::Value,
    /// The value last applied (`null`: absent or unknown).
    pub last_applied: serde_json::Value,
    /// The value in Git (`null`: absent).
    pub desired: serde_json::Value,
}

/// The comparison of one resource.
#[napi(object)]
pub struct ResourceDiff {
    /// `group/kind/namespace/name`.
    pub id: String,
    /// The sync status.
    #[napi(ts_type = "'Synced' | 'OutOfSync' | 'Missing' | 'Extraneous'")]
    pub status: String,
    /// The live object's health (`Missing` when absent; `null` for kinds without an assessment).
    #[napi(
        ts_type = "'Healthy' | 'Suspended' | 'Progressing' | 'Missing' | 'Degraded' | 'Unknown' | null"
    )]
    pub health: serde_json::Value,
    /// Why the health is what it is, or `null`.
    #[napi(ts_type = "string | null")]
    pub health_message: serde_json::Value,
    /// The differing fields.
    pub changes: Vec<DiffChange>,
    /// The strategic merge patch that converges live to desired, or `null`.
    #[napi(ts_type = "Record<string, any> | null")]
    pub patch: serde_json::Value,
    /// A unified diff of live and predicted live (empty when Synced).
    pub diff: String,
}

/// Something worth knowing that did not stop the diff.
#[napi(object)]
pub struct DiffWarning {
    /// The resource concerned (empty for a warning about the whole input).
    pub id: String,
    /// What happened.
    pub message: String,
}

/// What `diff` returns: the same object `trueup diff --output json` prints.
#[napi(object)]
pub struct DiffReport {
    /// Counts by status.
    pub summary: DiffSummary,
    /// The application's sync status.
    #[napi(ts_type = "'Synced' | 'OutOfSync'")]
    pub sync: String,
    /// The application's health: the worst of its resources', or `null`.
    #[napi(
        ts_type = "'Healthy' | 'Suspended' | 'Progressing' | 'Missing' | 'Degraded' | 'Unknown' | null"
    )]
    pub health: serde_json::Value,
    /// One entry per resource: Git's order, then extraneous ones.
    pub resources: Vec<ResourceDiff>,
    /// Problems with the input that did not stop the diff.
    pub warnings: Vec<DiffWarning>,
}

fn json<T: serde::Serialize>(value: &T) -> serde_json::Value {
    serde_json::to_value(value).unwrap_or(serde_json::Value::Null)
}

impl From<trueup_core::diff::DiffReport> for DiffReport {
    fn from(report: trueup_core::diff::DiffReport) -> Self {
        let count = |n: usize| n as u32;
        DiffReport {
            summary: DiffSummary {
                synced: count(report.summary.synced),
                out_of_sync: count(report.summary.out_of_sync),
                missing: count(report.summary.missing),
                extraneous: count(report.summary.extraneous),
            },
            sync: json(&report.sync).as_str().unwrap_or_default().to_owned(),
            health: json(&report.health),
            resources: report
                .resources
                .into_iter()
                .map(|r| ResourceDiff {
                    id: r.id,
                    status: r.status.as_str().to_owned(),
                    health: json(&r.health),
                    health_message: json(&r.health_message),
                    changes: r
                        .changes
                        .into_iter()
                        .map(|c| DiffChange {
                            path: c.path,
                            cause: c.cause.as_str().to_owned(),
                            live: json(&c.live),
                            last_applied: json(&c.last_applied),
                            desired: json(&c.desired),
                        })
                        .collect(),
                    patch: json(&r.patch),
                    diff: r.diff,
                })
                .collect(),
            warnings: report
                .warnings
                .into_iter()
                .map(|w| DiffWarning {
                    id: w.id,
                    message: w.message,
                })
                .collect(),
        }
    }
}

/// Options of `diff`.
#[napi(object, object_to_js = false)]
pub struct DiffOptions<'a> {
    /// The last-applied state: a ManifestSet or paths; by default each live
    /// object's `kubectl.kubernetes.io/last-applied-configuration` annotation.
    pub last_applied: Option<Either3<ClassInstance<'a, ManifestSet>, String, Vec<String>>>,
    /// CustomResourceDefinitions that say which custom kinds are
    /// cluster-scoped: a ManifestSet or paths (those in the desired set
    /// count too, and live objects tell the rest).
    pub crds: Option<Either3<ClassInstance<'a, ManifestSet>, String, Vec<String>>>,
    /// A YAML file of ignore rules, like Argo CD's `ignoreDifferences`.
    pub ignore: Option<String>,
    /// The application's name, as the tracking annotation or label carries
    /// it, which marks extraneous live objects.
    /// @default the applications of the desired objects (their tracking label, their live objects' tracking annotation)
    pub app: Option<String>,
    /// The namespace desired objects without one go to.
    /// @default 'default'
    pub namespace: Option<String>,
    /// managedFields managers whose updates are hand edits.
    /// @default ['kubectl-edit', 'kubectl-patch', 'kubectl-set', 'kubectl-label', 'kubectl-annotate', 'kubectl-scale', 'kubectl-replace']
    pub hand_edit_managers: Option<Vec<String>>,
    /// How live objects are tied to their application, as Argo CD's
    /// `resourceTrackingMethod`: `'annotation'` (`argocd.argoproj.io/tracking-id`,
    /// Argo CD 3's default), `'label'` or `'annotation+label'`.
    /// @default 'annotation'
    pub tracking_method: Option<String>,
    /// The label that ties live objects to their application, when the
    /// tracking method uses a label.
    /// @default 'app.kubernetes.io/instance'
    pub tracking_label: Option<String>,
    /// How many threads compare resources.
    /// @default the number of cores
    pub jobs: Option<u32>,
    /// Show Secret values as they are; by default they are masked
    /// (`++++++++`, one mask per distinct value), as Argo CD shows them.
    /// @default false
    pub show_secrets: Option<bool>,
    /// Annotations whose values are masked on Secrets too.
    /// @default []
    pub sensitive_annotations: Option<Vec<String>>,
    /// Argo CD health scripts: a folder laid out as its
    /// `resource_customizations` (`<group>/<kind>/health.lua`), or an
    /// argocd-cm ConfigMap file (`resource.customizations.health.<group>_<kind>`).
    pub health_scripts: Option<String>,
    /// Server-side apply field managers whose `Apply` entry in
    /// managedFields is the last-applied state.
    /// @default ['argocd-controller', 'kubectl', 'kustomize-controller', 'helm-controller']
    pub apply_managers: Option<Vec<String>>,
    /// Do not compare the `rules` of aggregated Roles and ClusterRoles
    /// (Argo CD's `ignoreAggregatedRoles`).
    /// @default false
    pub ignore_aggregated_roles: Option<bool>,
    /// Whose `status` is not compared, as Argo CD's
    /// `ignoreResourceStatusField`: `'all'` (Argo CD 3's default), `'crd'`
    /// (only CustomResourceDefinitions') or `'none'`.
    /// @default 'all'
    pub ignore_resource_status_field: Option<String>,
}

/// Desired or live state for `diffAsync`: a copy of a set in hand, or paths
/// read when the diff runs (off the main thread).
pub(crate) enum Manifests {
    Set(CoreManifestSet),
    Paths(Vec<String>),
}

impl Manifests {
    pub(crate) fn from_js(
        value: Either3<ClassInstance<'_, ManifestSet>, String, Vec<String>>,
    ) -> Self {
        match value {
            Either3::A(set) => Manifests::Set(set.inner.clone()),
            Either3::B(path) => Manifests::Paths(vec![path]),
            Either3::C(paths) => Manifests::Paths(paths),
        }
    }

    pub(crate) fn load(self) -> std::result::Result<CoreManifestSet, trueup_core::Error> {
        match self {
            Manifests::Set(set) => Ok(set),
            Manifests::Paths(paths) => trueup_core::diff::load_desired(&paths),
        }
    }
}

/// `diff`'s options as taken from JS: the values now, the files they name
/// (last-applied paths, ignore rules) read when the diff runs.
struct PendingDiffOptions {
    options: trueup_core::diff::DiffOptions,
    last_applied: Option<Manifests>,
    crds: Option<Manifests>,
    ignore: Option<String>,
    health_scripts: Option<String>,
    tracking_method: Option<String>,
    ignore_resource_status_field: Option<String>,
}

impl PendingDiffOptions {
    fn from_js(options: Option<DiffOptions<'_>>) -> Self {
        let defaults = trueup_core::diff::DiffOptions::default();
        let Some(o) = options else {
            return PendingDiffOptions {
                options: defaults,
                last_applied: None,
                crds: None,
                ignore: None,
                health_scripts: None,
                tracking_method: None,
                ignore_resource_status_field: None,
            };
        };
        PendingDiffOptions {
            options: trueup_core::diff::DiffOptions {
                hand_edit_managers: o.hand_edit_managers.unwrap_or(defaults.hand_edit_managers),
                apply_managers: o.apply_managers.unwrap_or(defaults.apply_managers),
                ignore_aggregated_roles: o.ignore_aggregated_roles.unwrap_or(false),
                tracking_label: o.tracking_label.unwrap_or(defaults.tracking_label),
                app: o.app,
                namespace: o.namespace,
                jobs: o.jobs.map(|j| j as usize),
                show_secrets: o.show_secrets.unwrap_or(false),
                sensitive_annotations: o.sensitive_annotations.unwrap_or_default(),
                ..defaults
            },
            last_applied: o.last_applied.map(Manifests::from_js),
            crds: o.crds.map(Manifests::from_js),
            ignore: o.ignore,
            health_scripts: o.health_scripts,
            tracking_method: o.tracking_method,
            ignore_resource_status_field: o.ignore_resource_status_field,
        }
    }

    /// The engine's options, the files read.
    fn load(self) -> std::result::Result<trueup_core::diff::DiffOptions, trueup_core::Error> {
        let mut options = trueup_core::diff::DiffOptions {
            last_applied: self.last_applied.map(Manifests::load).transpose()?,
            crds: self.crds.map(Manifests::load).transpose()?,
            ..self.options
        };
        if let Some(method) = &self.tracking_method {
            options.tracking_method = method.parse()?;
        }
        if let Some(which) = &self.ignore_resource_status_field {
            options.ignore_resource_status_field = which.parse()?;
        }
        options.read_files(
            self.ignore.as_deref().map(std::path::Path::new),
            self.health_scripts.as_deref().map(std::path::Path::new),
        )?;
        Ok(options)
    }
}

/// The set a JS argument names: a ManifestSet's own (not copied), or read
/// from paths into `slot`.
fn manifests_ref<'a>(
    value: &'a Either3<ClassInstance<'_, ManifestSet>, String, Vec<String>>,
    slot: &'a mut Option<CoreManifestSet>,
) -> std::result::Result<&'a CoreManifestSet, trueup_core::Error> {
    let paths = match value {
        Either3::A(set) => return Ok(&set.inner),
        Either3::B(path) => std::slice::from_ref(path),
        Either3::C(paths) => paths.as_slice(),
    };
    Ok(slot.insert(trueup_core::diff::load_desired(paths)?))
}

/// Compares desired state (Git) with live state (the cluster), three-way with
/// the last-applied state. `desired` and `live` are ManifestSets or paths (an
/// overlay folder is rendered).
#[napi]
pub fn diff(
    env: Env,
    desired: Either3<ClassInstance<'_, ManifestSet>, String, Vec<String>>,
    live: Either3<ClassInstance<'_, ManifestSet>, String, Vec<String>>,
    options: Option<DiffOptions<'_>>,
) -> Result<DiffReport> {
    let (mut desired_slot, mut live_slot) = (None, None);
    let run = || -> std::result::Result<trueup_core::diff::DiffReport, trueup_core::Error> {
        let desired = manifests_ref(&desired, &mut desired_slot)?;
        let live = manifests_ref(&live, &mut live_slot)?;
        let options = PendingDiffOptions::from_js(options).load()?;
        trueup_core::diff::diff(desired, live, &options)
    };
    run().map(DiffReport::from).map_err(|e| thrown(&env, e))
}

/// The work of `diffAsync`, run off the main thread.
pub struct DiffTask {
    desired: Option<Manifests>,
    live: Option<Manifests>,
    options: Option<PendingDiffOptions>,
}

impl Task for DiffTask {
    type Output = std::result::Result<trueup_core::diff::DiffReport, trueup_core::Error>;
    type JsValue = DiffReport;

    fn compute(&mut self) -> Result<Self::Output> {
        let (Some(desired), Some(live)) = (self.desired.take(), self.live.take()) else {
            return Err(Error::from_reason("diffAsync ran twice"));
        };
        let Some(options) = self.options.take() else {
            return Err(Error::from_reason("diffAsync ran twice"));
        };
        Ok((|| {
            trueup_core::diff::diff(&desired.load()?, &live.load()?, &options.load()?)
        })())
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> Result<Self::JsValue> {
        match output {
            Ok(report) => Ok(report.into()),
            Err(e) => reject_with(env, e),
        }
    }
}

/// `diff` on the thread pool.
#[napi(ts_return_type = "Promise<DiffReport>")]
pub fn diff_async(
    desired: Either3<ClassInstance<'_, ManifestSet>, String, Vec<String>>,
    live: Either3<ClassInstance<'_, ManifestSet>, String, Vec<String>>,
    options: Option<DiffOptions<'_>>,
) -> AsyncTask<DiffTask> {
    AsyncTask::new(DiffTask {
        desired: Some(Manifests::from_js(desired)),
        live: Some(Manifests::from_js(live)),
        options: Some(PendingDiffOptions::from_js(options)),
    })
}

/// One commit of a path's history.
#[napi(object)]
pub struct CommitInfo {
    /// The full commit id.
    pub id: String,
    /// The author's name.
    pub author: String,
    /// The author's email.
    pub email: String,
    /// When it was authored, ISO 8601 with the author's offset.
    pub time: String,
    /// The first line of the message.
    pub subject: String,
    /// Files under the path it added, changed or deleted (against its first parent).
    pub files: Vec<String>,
}

/// Options of `history`.
#[napi(object)]
pub struct HistoryOptions {
    /// The repository.
    /// @default the repository containing the current folder
    pub repo: Option<String>,
    /// At most this many commits.
    pub max: Option<u32>,
    /// Only commits not reachable from this revision.
    pub since: Option<String>,
    /// Where to start.
    /// @default 'HEAD'
    pub rev: Option<String>,
}

fn open_repo(
    repo: Option<&str>,
) -> std::result::Result<trueup_core::git::Repo, trueup_core::Error> {
    trueup_core::git::open_or_discover(repo.map(std::path::Path::new))
}

fn history_impl(
    path: &str,
    options: Option<HistoryOptions>,
) -> std::result::Result<Vec<CommitInfo>, trueup_core::Error> {
    let options = options.unwrap_or(HistoryOptions {
        repo: None,
        max: None,
        since: None,
        rev: None,
    });
    let (repo, path) = trueup_core::git::locate(
        options.repo.as_deref().map(std::path::Path::new),
        path.as_ref(),
    )?;
    let commits = repo.history(
        &path,
        &trueup_core::git::HistoryOptions {
            rev: options.rev,
            max: options.max.map(|m| m as usize),
            since: options.since,
        },
    )?;
    Ok(commits
        .into_iter()
        .map(|c| CommitInfo {
            id: c.id,
            author: c.author,
            email: c.email,
            time: c.time,
            subject: c.subject,
            files: c.files,
        })
        .collect())
}

/// The commits that changed anything under `path`, newest first, as
/// `git log -- PATH` lists them.
#[napi]
pub fn history(env: Env, path: String, options: Option<HistoryOptions>) -> Result<Vec<CommitInfo>> {
    history_impl(&path, options).map_err(|e| thrown(&env, e))
}

/// The work of `historyAsync`, run off the main thread.
pub struct HistoryTask {
    path: String,
    options: Option<HistoryOptions>,
}

impl Task for HistoryTask {
    type Output = std::result::Result<Vec<CommitInfo>, trueup_core::Error>;
    type JsValue = Vec<CommitInfo>;

    fn compute(&mut self) -> Result<Self::Output> {
        Ok(history_impl(&self.path, self.options.take()))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> Result<Self::JsValue> {
        match output {
            Ok(commits) => Ok(commits),
            Err(e) => reject_with(env, e),
        }
    }
}

/// `history` on the thread pool.
#[napi(ts_return_type = "Promise<Array<CommitInfo>>")]
pub fn history_async(path: String, options: Option<HistoryOptions>) -> AsyncTask<HistoryTask> {
    AsyncTask::new(HistoryTask { path, options })
}

/// Options of the Git functions that only need a repository.
#[napi(object)]
pub struct RepoOptions {
    /// The repository.
    /// @default the repository `path` is in
    pub repo: Option<String>,
}

/// The full commit id a revision names (`main`, `v1`, a short id, `HEAD~3`).
#[napi]
pub fn resolve(env: Env, rev: String, options: Option<RepoOptions>) -> Result<String> {
    resolve_impl(&rev, options).map_err(|e| thrown(&env, e))
}

fn resolve_impl(
    rev: &str,
    options: Option<RepoOptions>,
) -> std::result::Result<String, trueup_core::Error> {
    let repo = options.and_then(|o| o.repo);
    open_repo(repo.as_deref()).and_then(|r| r.resolve(rev))
}

/// `resolve` on the thread pool.
#[napi(ts_return_type = "Promise<string>")]
pub fn resolve_async(rev: String, options: Option<RepoOptions>) -> AsyncTask<Job<String>> {
    Job::spawn(move || resolve_impl(&rev, options))
}

/// One field that changes between two revisions.
#[napi(object)]
pub struct FieldChange {
    /// The field, as in diff reports (`spec.template.spec.containers[name=app].image`).
    pub path: String,
    /// Its value before (absent when it was not there).
    #[napi(ts_type = "any")]
    pub from: Option<serde_json::Value>,
    /// Its value after (absent when it is gone).
    #[napi(ts_type = "any")]
    pub to: Option<serde_json::Value>,
}

/// One object that changes between two revisions.
#[napi(object)]
pub struct ResourceDelta {
    /// `group/kind/namespace/name`.
    pub id: String,
    /// What happens to it.
    #[napi(ts_type = "'added' | 'removed' | 'changed'")]
    pub change: String,
    /// The fields that change.
    pub changes: Vec<FieldChange>,
    /// A unified diff of its YAML.
    pub diff: String,
}

/// How many objects are added, removed, changed, unchanged.
#[napi(object)]
pub struct DeltaSummary {
    /// Objects only in the newer revision.
    pub added: u32,
    /// Objects only in the older revision.
    pub removed: u32,
    /// Objects in both that differ.
    pub changed: u32,
    /// Objects in both that are equal.
    pub unchanged: u32,
}

/// What `diffRevisions` finds.
#[napi(object)]
pub struct DesiredDiff {
    /// The counts.
    pub summary: DeltaSummary,
    /// The objects that change, in identity order.
    pub resources: Vec<ResourceDelta>,
}

impl From<trueup_core::diff::DesiredDiff> for DesiredDiff {
    fn from(delta: trueup_core::diff::DesiredDiff) -> Self {
        let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        let value = |v: Option<trueup_core::Value>| v.map(|v| json(&v));
        DesiredDiff {
            summary: DeltaSummary {
                added: count(delta.summary.added),
                removed: count(delta.summary.removed),
                changed: count(delta.summary.changed),
                unchanged: count(delta.summary.unchanged),
            },
            resources: delta
                .resources
                .into_iter()
                .map(|r| ResourceDelta {
                    id: r.id,
                    change: r.change.as_str().to_owned(),
                    changes: r
                        .changes
                        .into_iter()
                        .map(|c| FieldChange {
                            path: c.path,
                            from: value(c.from),
                            to: value(c.to),
                        })
                        .collect(),
                    diff: r.diff,
                })
                .collect(),
        }
    }
}

/// What changes in the desired state of the overlay at `path` from revision
/// `fromRev` to `toRev`.
#[napi]
pub fn diff_revisions(
    env: Env,
    path: String,
    from_rev: String,
    to_rev: String,
    options: Option<RepoOptions>,
) -> Result<DesiredDiff> {
    diff_revisions_impl(&path, &from_rev, &to_rev, options).map_err(|e| thrown(&env, e))
}

fn diff_revisions_impl(
    path: &str,
    from_rev: &str,
    to_rev: &str,
    options: Option<RepoOptions>,
) -> std::result::Result<DesiredDiff, trueup_core::Error> {
    let repo = options.and_then(|o| o.repo);
    let (repo, path) =
        trueup_core::git::locate(repo.as_deref().map(std::path::Path::new), path.as_ref())?;
    let delta = repo.diff_revisions(&path, from_rev, to_rev, &Default::default())?;
    Ok(DesiredDiff::from(delta))
}

/// `diffRevisions` on the thread pool.
#[napi(ts_return_type = "Promise<DesiredDiff>")]
pub fn diff_revisions_async(
    path: String,
    from_rev: String,
    to_rev: String,
    options: Option<RepoOptions>,
) -> AsyncTask<Job<DesiredDiff>> {
    Job::spawn(move || diff_revisions_impl(&path, &from_rev, &to_rev, options))
}

/// An author or committer.
#[napi(object)]
pub struct Signature {
    /// The name.
    pub name: String,
    /// The email.
    pub email: String,
    /// Seconds since the Unix epoch.
    /// @default now
    pub time: Option<i64>,
}

/// One file of a commit.
#[napi(object)]
pub struct FileChange {
    /// The path, relative to the repository's root.
    pub path: String,
    /// The new content; `null` (or leaving it out) deletes the file.
    pub content: Option<Either3<String, Buffer, Null>>,
}

/// What `commit` writes.
#[napi(object)]
pub struct CommitRequest {
    /// The branch to move (created when it does not exist).
    pub branch: String,
    /// The files to add, change or delete.
    pub changes: Vec<FileChange>,
    /// The commit message.
    pub message: String,
    /// The commit the changes apply to, which the branch must still point at.
    /// @default the branch's tip
    pub parent: Option<String>,
    /// The repository.
    /// @default the repository containing the current folder
    pub repo: Option<String>,
    /// The author.
    /// @default the repository's user.name and user.email
    pub author: Option<Signature>,
    /// The committer.
    /// @default the author
    pub committer: Option<Signature>,
}

fn core_signature(s: Option<Signature>) -> Option<trueup_core::git::Signature> {
    s.map(|s| trueup_core::git::Signature {
        name: s.name,
        email: s.email,
        time: s.time,
    })
}

/// Commits the changes on top of `parent` and moves `branch` to it only if it
/// still points at that parent (else an error with code `E_BRANCH_MOVED`).
/// The working tree and index are not touched. Returns the new commit id.
#[napi]
pub fn commit(env: Env, request: CommitRequest) -> Result<String> {
    let (repo, core) = core_commit_request(request);
    open_repo(repo.as_deref())
        .and_then(|r| r.commit(&core))
        .map_err(|e| thrown(&env, e))
}

/// `commit` on the thread pool (the contents are copied first).
#[napi(ts_return_type = "Promise<string>")]
pub fn commit_async(request: CommitRequest) -> AsyncTask<Job<String>> {
    let (repo, core) = core_commit_request(request);
    Job::spawn(move || open_repo(repo.as_deref()).and_then(|r| r.commit(&core)))
}

/// The repository and the engine's request of a `commit` call.
fn core_commit_request(
    request: CommitRequest,
) -> (Option<String>, trueup_core::git::CommitRequest) {
    let core = trueup_core::git::CommitRequest {
        branch: request.branch,
        parent: request.parent,
        changes: request
            .changes
            .into_iter()
            .map(|c| trueup_core::git::FileChange {
                path: c.path,
                content: match c.content {
                    Some(Either3::A(text)) => Some(text.into_bytes()),
                    Some(Either3::B(bytes)) => Some(bytes.to_vec()),
                    Some(Either3::C(_)) | None => None,
                },
            })
            .collect(),
        message: request.message,
        options: trueup_core::git::WriteOptions {
            author: core_signature(request.author),
            committer: core_signature(request.committer),
        },
    };
    (request.repo, core)
}

/// Options of `rollback`: exactly one of `to` and `revert`.
#[napi(object)]
pub struct RollbackOptions {
    /// Restore the path as it was at this revision.
    pub to: Option<String>,
    /// Revert this commit, limited to the path.
    pub revert: Option<String>,
    /// The branch to commit to.
    /// @default the branch HEAD is on
    pub branch: Option<String>,
    /// The repository.
    /// @default the repository `path` is in
    pub repo: Option<String>,
}

/// What `rollback` did.
#[napi(object)]
pub struct RollbackOutcome {
    /// The new commit's id; absent when there was nothing to do.
    pub commit: Option<String>,
    /// The branch, as a full ref name (`refs/heads/main`).
    pub branch: String,
    /// Whether `HEAD` is on that branch: its working tree and index then
    /// still hold the files from before (`message` says how to update them).
    pub checked_out: bool,
    /// What happened, for people.
    pub message: String,
}

impl From<trueup_core::git::RollbackOutcome> for RollbackOutcome {
    fn from(outcome: trueup_core::git::RollbackOutcome) -> Self {
        RollbackOutcome {
            commit: outcome.commit,
            branch: outcome.branch,
            checked_out: outcome.checked_out,
            message: outcome.message,
        }
    }
}

/// Commits `path` restored as it was at `to`, or the revert of commit
/// `revert` limited to `path` (code `E_CONFLICT` when it does not apply
/// cleanly). Nothing to do is not an error: `commit` is then absent.
#[napi]
pub fn rollback(env: Env, path: String, options: RollbackOptions) -> Result<RollbackOutcome> {
    rollback_impl(&path, options).map_err(|e| thrown(&env, e))
}

fn rollback_impl(
    path: &str,
    options: RollbackOptions,
) -> std::result::Result<RollbackOutcome, trueup_core::Error> {
    let what = trueup_core::git::Rollback::from_options(options.to, options.revert)?;
    let (repo, path) = trueup_core::git::locate(
        options.repo.as_deref().map(std::path::Path::new),
        path.as_ref(),
    )?;
    repo.rollback(&path, &what, options.branch.as_deref(), &Default::default())
        .map(RollbackOutcome::from)
}

/// `rollback` on the thread pool.
#[napi(ts_return_type = "Promise<RollbackOutcome>")]
pub fn rollback_async(path: String, options: RollbackOptions) -> AsyncTask<Job<RollbackOutcome>> {
    Job::spawn(move || rollback_impl(&path, options))
}
