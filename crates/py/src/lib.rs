//! The Python module `trueup`: thin conversions over trueup-core. Every
//! function here converts arguments, calls the engine with the GIL released,
//! and converts the result or the error; the logic lives in core.

use std::path::PathBuf;

use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyOSError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString, PyTuple, PyType};
use trueup_core::{ErrorKind, LoadOptions, ManifestSet as CoreManifestSet, ParseLimits, Value};

pub mod release;

create_exception!(
    trueup,
    TrueupError,
    PyException,
    "Base class of every trueup error. Attributes: message, code, file, line, column."
);
create_exception!(
    trueup,
    YamlError,
    TrueupError,
    "The text is not valid YAML, or breaks a parse limit."
);
create_exception!(
    trueup,
    ManifestError,
    TrueupError,
    "A YAML document is not a Kubernetes object."
);
create_exception!(
    trueup,
    OverlayError,
    TrueupError,
    "A kustomization cannot be rendered."
);
create_exception!(
    trueup,
    UnsupportedError,
    OverlayError,
    "A kustomization uses a feature trueup does not render yet."
);
create_exception!(
    trueup,
    DiffError,
    TrueupError,
    "A diff's input (live objects, last-applied state, ignore rules) is wrong."
);
create_exception!(
    trueup,
    ReleaseError,
    TrueupError,
    "A release manifest cannot be read, or a release cannot be applied."
);
create_exception!(
    trueup,
    UntestedError,
    ReleaseError,
    "A promotion would set digests the environment it comes from never ran."
);
create_exception!(
    trueup,
    VerifyError,
    TrueupError,
    "trueup verify could not run: its configuration is wrong (the message names the file, line and field)."
);
create_exception!(
    trueup,
    GitError,
    TrueupError,
    "A Git operation failed: not a repository, unknown revision, path not in the tree..."
);
create_exception!(
    trueup,
    BranchMovedError,
    GitError,
    "A branch did not point where a write expected: read it again and retry."
);
create_exception!(
    trueup,
    ConflictError,
    GitError,
    "A revert does not apply cleanly."
);

/// `IoError`: a `TrueupError` and an `OSError` both, so `except OSError`
/// catches a file trueup could not read. `create_exception!` takes one
/// base, so the class is made once, at import, by `type(...)`.
static IO_ERROR: pyo3::sync::PyOnceLock<Py<PyType>> = pyo3::sync::PyOnceLock::new();

fn io_error_type(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
    IO_ERROR
        .get_or_try_init(py, || {
            let bases = PyTuple::new(
                py,
                [
                    py.get_type::<TrueupError>().into_any(),
                    py.get_type::<PyOSError>().into_any(),
                ],
            )?;
            let namespace = PyDict::new(py);
            namespace.set_item("__doc__", "A file could not be read (an OSError too).")?;
            namespace.set_item("__module__", "trueup")?;
            // OSError's __str__ would print "[Errno n] ..." from the fields;
            // the message stays the one every trueup error has.
            namespace.set_item("__str__", py.get_type::<PyException>().getattr("__str__")?)?;
            let class = py
                .get_type::<PyType>()
                .call1(("IoError", bases, namespace))?;
            Ok(class.cast_into::<PyType>()?.unbind())
        })
        .map(|class| class.bind(py))
}

/// Converts an engine error into the matching Python exception, with the
/// structured fields set as attributes.
fn to_py_err(error: trueup_core::Error) -> PyErr {
    let message = error.to_string();
    let err = match error.kind() {
        ErrorKind::Yaml => YamlError::new_err(message.clone()),
        ErrorKind::Manifest => ManifestError::new_err(message.clone()),
        ErrorKind::Overlay => OverlayError::new_err(message.clone()),
        ErrorKind::Diff => DiffError::new_err(message.clone()),
        ErrorKind::Release => ReleaseError::new_err(message.clone()),
        ErrorKind::Untested => UntestedError::new_err(message.clone()),
        ErrorKind::Git => GitError::new_err(message.clone()),
        ErrorKind::BranchMoved => BranchMovedError::new_err(message.clone()),
        ErrorKind::Conflict => ConflictError::new_err(message.clone()),
        ErrorKind::Unsupported => UnsupportedError::new_err(message.clone()),
        ErrorKind::Verify => VerifyError::new_err(message.clone()),
        ErrorKind::Io => Python::attach(|py| match io_error_type(py) {
            Ok(class) => PyErr::from_type(class.clone(), message.clone()),
            Err(e) => e,
        }),
    };
    Python::attach(|py| {
        let value = err.value(py);
        // Setting attributes on a fresh exception instance cannot fail.
        let _ = value.setattr("message", &message);
        let _ = value.setattr("code", error.kind().code());
        let _ = value.setattr("file", error.file());
        let _ = value.setattr("line", error.line());
        let _ = value.setattr("column", error.column());
        for (name, detail) in error.details() {
            let _ = value.setattr(name, detail);
        }
        if let trueup_core::Error::Io { source, .. } = &error {
            let _ = value.setattr("errno", errno_of(source));
            let _ = value.setattr("strerror", source.to_string());
            let _ = value.setattr("filename", error.file());
        }
    });
    err
}

/// The `errno` Python's own `OSError` would carry for this error.
fn errno_of(error: &std::io::Error) -> Option<i32> {
    use std::io::ErrorKind as Kind;
    error.raw_os_error().or(match error.kind() {
        Kind::NotFound => Some(2),          // ENOENT
        Kind::PermissionDenied => Some(13), // EACCES
        Kind::NotADirectory => Some(20),    // ENOTDIR
        Kind::IsADirectory => Some(21),     // EISDIR
        _ => None,
    })
}

/// A value of the engine as plain Python data: dict, list, str, int, float, bool, None.
fn to_py<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => b.into_pyobject(py)?.to_owned().into_any(),
        Value::Int(i) => i.into_pyobject(py)?.into_any(),
        Value::UInt(u) => u.into_pyobject(py)?.into_any(),
        Value::Float(f) => f.into_pyobject(py)?.into_any(),
        Value::String(s) => PyString::new(py, s).into_any(),
        Value::Seq(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(to_py(py, item)?)?;
            }
            list.into_any()
        }
        Value::Map(map) => {
            let dict = PyDict::new(py);
            for (k, v) in map {
                dict.set_item(k, to_py(py, v)?)?;
            }
            dict.into_any()
        }
    })
}

/// An ordered set of Kubernetes objects, as `kustomize build` prints them.
///
/// Iterating yields each object as a plain dict; `to_yaml()` prints the same
/// bytes as the `trueup build` CLI.
#[pyclass(module = "trueup", name = "ManifestSet", frozen)]
struct ManifestSet {
    inner: CoreManifestSet,
}

#[pymethods]
impl ManifestSet {
    fn __len__(&self) -> usize {
        self.inner.len()
    }

    fn __getitem__<'py>(&self, py: Python<'py>, index: i64) -> PyResult<Bound<'py, PyAny>> {
        let resource = self.inner.at_index(index).ok_or_else(|| {
            pyo3::exceptions::PyIndexError::new_err("ManifestSet index out of range")
        })?;
        to_py(py, resource.value())
    }

    fn __iter__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(self.to_list(py)?.try_iter()?.into_any())
    }

    fn __repr__(&self) -> String {
        format!("<ManifestSet of {} objects>", self.inner.len())
    }

    /// The objects as a list of dicts.
    fn to_list<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let list = PyList::empty(py);
        for resource in &self.inner {
            list.append(to_py(py, resource.value())?)?;
        }
        Ok(list)
    }

    /// Each object's identity as `group/kind/namespace/name`.
    fn ids(&self) -> Vec<String> {
        self.inner.iter().map(|r| r.id().to_string()).collect()
    }

    /// The objects as YAML, byte-identical to `kustomize build`.
    fn to_yaml(&self, py: Python<'_>) -> String {
        py.detach(|| self.inner.to_yaml())
    }

    /// The objects as a JSON array.
    fn to_json(&self) -> String {
        self.inner.to_json()
    }
}

/// The engine's build options from keyword arguments.
fn build_options(
    load_restrictor: Option<&str>,
    remote: bool,
) -> PyResult<trueup_core::BuildOptions> {
    Ok(trueup_core::BuildOptions {
        load_restrictor: match load_restrictor {
            Some(text) => text.parse().map_err(to_py_err)?,
            None => Default::default(),
        },
        remote: remote.into(),
        cache_dir: None,
    })
}

/// Renders the kustomization in folder `path`, as `kustomize build path` does.
/// `load_restrictor="none"` lets kustomizations read files outside their folder.
/// With `rev`, renders the folder as it is at that Git revision of `repo`
/// (default: the repository containing the current folder), from Git
/// objects, without a checkout. `remote=False` refuses remote resources
/// (HTTP files, Git repositories) instead of fetching them.
#[pyfunction]
#[pyo3(signature = (path, *, load_restrictor = None, rev = None, repo = None, remote = true))]
fn build(
    py: Python<'_>,
    path: PathBuf,
    load_restrictor: Option<&str>,
    rev: Option<String>,
    repo: Option<PathBuf>,
    remote: bool,
) -> PyResult<ManifestSet> {
    let options = build_options(load_restrictor, remote)?;
    let inner = py
        .detach(|| trueup_core::git::build_path(&path, rev.as_deref(), repo.as_deref(), &options))
        .map_err(to_py_err)?;
    Ok(ManifestSet { inner })
}

/// Reads Kubernetes manifests from YAML text (str or UTF-8 bytes); `file`
/// names the input in errors; the `max_*` limits bound what parsing may cost.
#[pyfunction]
#[pyo3(signature = (text, *, file = None, max_depth = None, max_alias_nodes = None, max_document_size = None))]
fn load_manifests(
    py: Python<'_>,
    text: &Bound<'_, PyAny>,
    file: Option<String>,
    max_depth: Option<usize>,
    max_alias_nodes: Option<usize>,
    max_document_size: Option<usize>,
) -> PyResult<ManifestSet> {
    let options = LoadOptions {
        file,
        limits: ParseLimits::from_options(max_depth, max_alias_nodes, max_document_size),
    };
    let inner = if let Ok(bytes) = text.cast::<PyBytes>() {
        let bytes = bytes.as_bytes();
        py.detach(|| trueup_core::load_manifests_opts(bytes, &options))
    } else {
        let text: String = text.extract()?;
        py.detach(|| trueup_core::load_manifests_opts(text.as_bytes(), &options))
    }
    .map_err(to_py_err)?;
    Ok(ManifestSet { inner })
}

/// Reads the Kubernetes manifests in a YAML (or JSON) file.
#[pyfunction]
fn load_manifests_file(py: Python<'_>, path: PathBuf) -> PyResult<ManifestSet> {
    let inner = py
        .detach(|| trueup_core::load_manifests_file(&path))
        .map_err(to_py_err)?;
    Ok(ManifestSet { inner })
}

/// Renders every overlay under `root` in parallel (folders with a
/// kustomization no other kustomization under the root uses). Returns one
/// dict per overlay, in path order: `path`, and `manifests` (a ManifestSet)
/// or `error` (a TrueupError) — one failing overlay stops no other.
/// `shard="2/4"` renders only that shard of a deterministic split by path;
/// `changed_since="origin/main"` only the overlays whose inputs differ from
/// that Git revision. `render_cache="DIR"` keeps renders there, keyed by the
/// content of every file they read: unchanged overlays are not rendered again.
/// `rev="main"` renders the overlays as they are at that revision of `repo`
/// (default: the repository `root` is in), from Git objects; a render
/// cache then keys files by their blob ids.
#[pyfunction]
#[pyo3(signature = (root, *, jobs = None, load_restrictor = None, shard = None, remote = true, changed_since = None, render_cache = None, rev = None, repo = None))]
#[allow(clippy::too_many_arguments)]
fn build_all<'py>(
    py: Python<'py>,
    root: PathBuf,
    jobs: Option<usize>,
    load_restrictor: Option<&str>,
    shard: Option<&str>,
    remote: bool,
    changed_since: Option<String>,
    render_cache: Option<PathBuf>,
    rev: Option<String>,
    repo: Option<PathBuf>,
) -> PyResult<Bound<'py, PyList>> {
    let options = trueup_core::BuildAllOptions {
        jobs,
        overlays: None,
        build: build_options(load_restrictor, remote)?,
        progress: None,
        shard: shard.map(str::parse).transpose().map_err(to_py_err)?,
        changed_since,
        cache: render_cache.map(trueup_core::kustomize::RenderCache::new),
    };
    let results = py
        .detach(|| {
            trueup_core::git::build_all_path(&root, rev.as_deref(), repo.as_deref(), &options)
        })
        .map_err(to_py_err)?;
    let list = PyList::empty(py);
    for overlay in results {
        let entry = PyDict::new(py);
        entry.set_item("path", overlay.path)?;
        match overlay.result {
            Ok(inner) => {
                entry.set_item("manifests", Py::new(py, ManifestSet { inner })?)?;
                entry.set_item("error", py.None())?;
            }
            Err(e) => {
                entry.set_item("manifests", py.None())?;
                entry.set_item("error", to_py_err(e).into_value(py))?;
            }
        }
        list.append(entry)?;
    }
    Ok(list)
}

/// A set of manifests: a `ManifestSet`'s own (not copied), or read from a
/// path or a list of paths (overlay folders are rendered, see
/// `trueup_core::diff::load_desired`).
pub(crate) enum Manifests<'py> {
    Given(Bound<'py, ManifestSet>),
    Read(CoreManifestSet),
}

impl Manifests<'_> {
    pub(crate) fn set(&self) -> &CoreManifestSet {
        match self {
            Manifests::Given(set) => &set.get().inner,
            Manifests::Read(set) => set,
        }
    }
}

pub(crate) fn manifests_arg<'py>(
    py: Python<'py>,
    value: &Bound<'py, PyAny>,
) -> PyResult<Manifests<'py>> {
    if let Ok(set) = value.cast::<ManifestSet>() {
        return Ok(Manifests::Given(set.clone()));
    }
    let paths: Vec<PathBuf> = match value.extract::<PathBuf>() {
        Ok(path) => vec![path],
        Err(_) => value.extract().map_err(|_| {
            pyo3::exceptions::PyTypeError::new_err(
                "expected a ManifestSet, a path or a list of paths",
            )
        })?,
    };
    py.detach(|| trueup_core::diff::load_desired(&paths))
        .map(Manifests::Read)
        .map_err(to_py_err)
}

/// Compares desired state (Git) with live state (the cluster), three-way
/// with the last-applied state. `desired`, `live` and `last_applied` are
/// ManifestSets or paths (an overlay folder is rendered). Returns the report
/// as a dict: `summary`, `sync`, `health`, `resources` (each with `id`,
/// `status`, `health`, `changes`, `patch`, `diff`) and `warnings`, exactly
/// as `trueup diff --output json` prints it. Secret values are masked
/// (`++++++++`) unless `show_secrets=True`.
#[pyfunction]
#[pyo3(signature = (desired, live, *, last_applied = None, ignore = None, app = None, namespace = None, hand_edit_managers = None, tracking_method = None, tracking_label = None, jobs = None, show_secrets = false, sensitive_annotations = None, health_scripts = None, apply_managers = None, ignore_aggregated_roles = false, ignore_resource_status_field = None, crds = None))]
#[allow(clippy::too_many_arguments)]
fn diff<'py>(
    py: Python<'py>,
    desired: &Bound<'py, PyAny>,
    live: &Bound<'py, PyAny>,
    last_applied: Option<&Bound<'py, PyAny>>,
    ignore: Option<PathBuf>,
    app: Option<String>,
    namespace: Option<String>,
    hand_edit_managers: Option<Vec<String>>,
    tracking_method: Option<String>,
    tracking_label: Option<String>,
    jobs: Option<usize>,
    show_secrets: bool,
    sensitive_annotations: Option<Vec<String>>,
    health_scripts: Option<PathBuf>,
    apply_managers: Option<Vec<String>>,
    ignore_aggregated_roles: bool,
    ignore_resource_status_field: Option<String>,
    crds: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let desired = manifests_arg(py, desired)?;
    let live = manifests_arg(py, live)?;
    let defaults = trueup_core::diff::DiffOptions::default();
    let mut options = trueup_core::diff::DiffOptions {
        last_applied: last_applied
            .map(|v| manifests_arg(py, v).map(|m| m.set().clone()))
            .transpose()?,
        crds: crds
            .map(|v| manifests_arg(py, v).map(|m| m.set().clone()))
            .transpose()?,
        hand_edit_managers: hand_edit_managers.unwrap_or(defaults.hand_edit_managers),
        apply_managers: apply_managers.unwrap_or(defaults.apply_managers),
        ignore_aggregated_roles,
        ignore_resource_status_field: match ignore_resource_status_field {
            Some(which) => which.parse().map_err(to_py_err)?,
            None => defaults.ignore_resource_status_field,
        },
        tracking_method: match tracking_method {
            Some(method) => method.parse().map_err(to_py_err)?,
            None => defaults.tracking_method,
        },
        tracking_label: tracking_label.unwrap_or(defaults.tracking_label),
        app,
        namespace,
        jobs,
        show_secrets,
        sensitive_annotations: sensitive_annotations.unwrap_or_default(),
        ..defaults
    };
    py.detach(|| options.read_files(ignore.as_deref(), health_scripts.as_deref()))
        .map_err(to_py_err)?;
    let (desired, live) = (desired.set(), live.set());
    let json = py
        .detach(|| trueup_core::diff::diff(desired, live, &options).map(|r| r.to_json()))
        .map_err(to_py_err)?;
    py.import("json")?.call_method1("loads", (json,))
}

/// Serializable engine data as Python data (through JSON).
fn to_python<'py, T: serde::Serialize>(py: Python<'py>, value: &T) -> PyResult<Bound<'py, PyAny>> {
    let json = serde_json::to_string(value)
        .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))?;
    py.import("json")?.call_method1("loads", (json,))
}

/// The full commit id a revision names (`main`, `v1`, a short id, `HEAD~3`).
#[pyfunction]
#[pyo3(signature = (rev, *, repo = None))]
fn resolve(py: Python<'_>, rev: String, repo: Option<PathBuf>) -> PyResult<String> {
    py.detach(|| trueup_core::git::open_or_discover(repo.as_deref())?.resolve(&rev))
        .map_err(to_py_err)
}

/// The commits that changed anything under `path`, newest first: dicts with
/// `id`, `author`, `email`, `time`, `subject`, `files`.
#[pyfunction]
#[pyo3(signature = (path, *, repo = None, max = None, since = None, rev = None))]
fn history<'py>(
    py: Python<'py>,
    path: PathBuf,
    repo: Option<PathBuf>,
    max: Option<usize>,
    since: Option<String>,
    rev: Option<String>,
) -> PyResult<Bound<'py, PyAny>> {
    let options = trueup_core::git::HistoryOptions { rev, max, since };
    let commits = py
        .detach(|| {
            let (repo, path) = trueup_core::git::locate(repo.as_deref(), &path)?;
            repo.history(&path, &options)
        })
        .map_err(to_py_err)?;
    to_python(py, &commits)
}

/// What changes in the desired state of the overlay at `path` from revision
/// `from_rev` to `to_rev`: a dict with `summary` and `resources` (each `id`,
/// `change`, `changes`, `diff`).
#[pyfunction]
#[pyo3(signature = (path, from_rev, to_rev, *, repo = None))]
fn diff_revisions<'py>(
    py: Python<'py>,
    path: PathBuf,
    from_rev: String,
    to_rev: String,
    repo: Option<PathBuf>,
) -> PyResult<Bound<'py, PyAny>> {
    let delta = py
        .detach(|| {
            let (repo, path) = trueup_core::git::locate(repo.as_deref(), &path)?;
            repo.diff_revisions(&path, &from_rev, &to_rev, &Default::default())
        })
        .map_err(to_py_err)?;
    to_python(py, &delta)
}

/// An author or committer from `(name, email)` or `(name, email, unix_time)`.
fn signature(value: Option<&Bound<'_, PyAny>>) -> PyResult<Option<trueup_core::git::Signature>> {
    let Some(value) = value else {
        return Ok(None);
    };
    if let Ok((name, email, time)) = value.extract::<(String, String, i64)>() {
        return Ok(Some(trueup_core::git::Signature {
            name,
            email,
            time: Some(time),
        }));
    }
    let (name, email) = value.extract::<(String, String)>().map_err(|_| {
        pyo3::exceptions::PyTypeError::new_err("expected (name, email) or (name, email, unix_time)")
    })?;
    Ok(Some(trueup_core::git::Signature {
        name,
        email,
        time: None,
    }))
}

/// Commits `changes` (path -> str/bytes content, or None to delete) on top of
/// `parent` (default: the branch's tip) and moves `branch` to it only if it
/// still points at that parent; raises BranchMovedError otherwise. The
/// working tree and index are not touched. Returns the new commit id.
#[pyfunction]
#[pyo3(signature = (branch, changes, message, *, parent = None, repo = None, author = None, committer = None))]
#[allow(clippy::too_many_arguments)]
fn commit(
    py: Python<'_>,
    branch: String,
    changes: &Bound<'_, PyDict>,
    message: String,
    parent: Option<String>,
    repo: Option<PathBuf>,
    author: Option<&Bound<'_, PyAny>>,
    committer: Option<&Bound<'_, PyAny>>,
) -> PyResult<String> {
    let mut files = Vec::new();
    for (path, content) in changes.iter() {
        let path: String = path.extract()?;
        let content = if content.is_none() {
            None
        } else if let Ok(bytes) = content.cast::<PyBytes>() {
            Some(bytes.as_bytes().to_vec())
        } else {
            Some(content.extract::<String>()?.into_bytes())
        };
        files.push(trueup_core::git::FileChange { path, content });
    }
    let request = trueup_core::git::CommitRequest {
        branch,
        parent,
        changes: files,
        message,
        options: trueup_core::git::WriteOptions {
            author: signature(author)?,
            committer: signature(committer)?,
        },
    };
    py.detach(|| trueup_core::git::open_or_discover(repo.as_deref())?.commit(&request))
        .map_err(to_py_err)
}

/// Commits, on `branch` (default: HEAD's branch), `path` restored as it was
/// at revision `to`, or the revert of commit `revert` limited to `path`
/// (ConflictError when it does not apply cleanly). Returns a dict: `commit`
/// (None when there was nothing to do), `branch`, `checked_out`, `message`.
#[pyfunction]
#[pyo3(signature = (path, *, to = None, revert = None, branch = None, repo = None))]
fn rollback<'py>(
    py: Python<'py>,
    path: PathBuf,
    to: Option<String>,
    revert: Option<String>,
    branch: Option<String>,
    repo: Option<PathBuf>,
) -> PyResult<Bound<'py, PyAny>> {
    py.detach(|| {
        let what = trueup_core::git::Rollback::from_options(to, revert)?;
        let (repo, path) = trueup_core::git::locate(repo.as_deref(), &path)?;
        repo.rollback(&path, &what, branch.as_deref(), &Default::default())
    })
    .map_err(to_py_err)
    .and_then(|outcome| to_python(py, &outcome))
}

/// The outcome of `verify`: `findings` (dicts: rule, severity, file, line,
/// column, message, resource, overlays, image), `exceptions` (the applied
/// ones, each with the findings it accepted), `overlays` and `files`
/// counted, `failed`; and the report as text, JSON or SARIF 2.1.0.
#[pyclass(module = "trueup", frozen)]
struct VerifyReport {
    inner: trueup_core::guard::VerifyReport,
}

#[pymethods]
impl VerifyReport {
    /// The findings no exception accepted, by file, line and column.
    #[getter]
    fn findings<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_python(py, &self.inner.findings)
    }

    /// The exceptions that accepted findings.
    #[getter]
    fn exceptions<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_python(py, &self.inner.exceptions)
    }

    /// How many overlays were rendered.
    #[getter]
    fn overlays(&self) -> usize {
        self.inner.overlays
    }

    /// How many files were scanned for secrets.
    #[getter]
    fn files(&self) -> usize {
        self.inner.files
    }

    /// Whether any finding is an error (`trueup verify` exits 1).
    #[getter]
    fn failed(&self) -> bool {
        self.inner.failed()
    }

    /// One line of counts: overlays, files, errors, warnings, accepted.
    fn summary(&self) -> String {
        self.inner.summary()
    }

    /// One line per finding: `file:line:column: rule: message`.
    fn to_text(&self) -> String {
        self.inner.to_text()
    }

    /// `{"findings": [...], "exceptions": [...], "overlays": n, "files": n}`.
    fn to_json(&self) -> String {
        self.inner.to_json()
    }

    /// SARIF 2.1.0, as GitHub code scanning reads it.
    fn to_sarif(&self) -> String {
        self.inner.to_sarif()
    }

    fn __len__(&self) -> usize {
        self.inner.findings.len()
    }

    fn __repr__(&self) -> String {
        format!(
            "<VerifyReport {} findings, {} overlays, {} files>",
            self.inner.findings.len(),
            self.inner.overlays,
            self.inner.files
        )
    }
}

/// Guardrails over the repository at `root`: every overlay rendered, the
/// objects and every file checked (secrets, credentials, mutable images,
/// unused `images:` entries, ownership, namespace isolation, schema,
/// names). `config` is a `.trueup/verify.yaml`-style file (default: the
/// one under `root`, if any).
#[pyfunction]
#[pyo3(signature = (root, config = None, *, jobs = None, shard = None, load_restrictor = None, remote = true, today = None))]
#[allow(clippy::too_many_arguments)]
fn verify(
    py: Python<'_>,
    root: PathBuf,
    config: Option<PathBuf>,
    jobs: Option<usize>,
    shard: Option<&str>,
    load_restrictor: Option<&str>,
    remote: bool,
    today: Option<String>,
) -> PyResult<VerifyReport> {
    let options = trueup_core::guard::VerifyOptions {
        config: None,
        jobs,
        shard: shard.map(str::parse).transpose().map_err(to_py_err)?,
        build: build_options(load_restrictor, remote)?,
        today,
    };
    py.detach(|| {
        let config = config
            .map(|path| trueup_core::guard::VerifyConfig::load(&path))
            .transpose()?;
        trueup_core::guard::verify(
            &root,
            &trueup_core::guard::VerifyOptions { config, ..options },
        )
    })
    .map(|inner| VerifyReport { inner })
    .map_err(to_py_err)
}

/// The Python module `trueup._trueup`, re-exported by the package `trueup`.
#[pymodule]
fn _trueup(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<ManifestSet>()?;
    m.add_function(wrap_pyfunction!(build, m)?)?;
    m.add_function(wrap_pyfunction!(load_manifests, m)?)?;
    m.add_function(wrap_pyfunction!(load_manifests_file, m)?)?;
    m.add_function(wrap_pyfunction!(build_all, m)?)?;
    m.add_function(wrap_pyfunction!(diff, m)?)?;
    m.add_function(wrap_pyfunction!(resolve, m)?)?;
    m.add_function(wrap_pyfunction!(history, m)?)?;
    m.add_function(wrap_pyfunction!(diff_revisions, m)?)?;
    m.add_function(wrap_pyfunction!(commit, m)?)?;
    m.add_function(wrap_pyfunction!(rollback, m)?)?;
    m.add_class::<VerifyReport>()?;
    m.add_function(wrap_pyfunction!(verify, m)?)?;
    m.add_class::<release::ReleaseManifest>()?;
    m.add_function(wrap_pyfunction!(release::apply_release, m)?)?;
    m.add_function(wrap_pyfunction!(release::promote, m)?)?;
    m.add_function(wrap_pyfunction!(release::evidence, m)?)?;
    m.add_function(wrap_pyfunction!(release::verify_evidence, m)?)?;
    m.add_function(wrap_pyfunction!(release::evidence_markdown, m)?)?;
    m.add("TrueupError", py.get_type::<TrueupError>())?;
    m.add("YamlError", py.get_type::<YamlError>())?;
    m.add("ManifestError", py.get_type::<ManifestError>())?;
    m.add("OverlayError", py.get_type::<OverlayError>())?;
    m.add("UnsupportedError", py.get_type::<UnsupportedError>())?;
    m.add("VerifyError", py.get_type::<VerifyError>())?;
    m.add("DiffError", py.get_type::<DiffError>())?;
    m.add("ReleaseError", py.get_type::<ReleaseError>())?;
    m.add("UntestedError", py.get_type::<UntestedError>())?;
    m.add("GitError", py.get_type::<GitError>())?;
    m.add("BranchMovedError", py.get_type::<BranchMovedError>())?;
    m.add("ConflictError", py.get_type::<ConflictError>())?;
    m.add("IoError", io_error_type(py)?)?;
    Ok(())
}
