//! `trueup.ReleaseManifest` and `trueup.apply_release`: types and errors
//! converted, the logic in trueup_core::release.

use std::collections::BTreeMap;
use std::path::PathBuf;

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList};
use trueup_core::release::{ApplyOptions, FileEdit, ReleaseDiff, ReleaseManifest as CoreRelease};

use crate::{ManifestSet, to_py_err};

/// A release manifest: the source revision and image digests of one
/// release, with its canonical id (`sha256:` of the RFC 8785 JSON of its
/// spec). Reading one fails only on text that is not YAML or JSON;
/// `verify()` lists what is wrong in it.
#[pyclass(module = "trueup", name = "ReleaseManifest", frozen)]
pub(crate) struct ReleaseManifest {
    pub(crate) inner: CoreRelease,
}

fn diff_dict<'py>(py: Python<'py>, diff: &ReleaseDiff) -> PyResult<Bound<'py, PyAny>> {
    py.import("json")?.call_method1("loads", (diff.to_json(),))
}

#[pymethods]
impl ReleaseManifest {
    /// Reads a release manifest file (YAML or JSON).
    #[staticmethod]
    fn load(py: Python<'_>, path: PathBuf) -> PyResult<ReleaseManifest> {
        let inner = py.detach(|| CoreRelease::load(&path)).map_err(to_py_err)?;
        Ok(ReleaseManifest { inner })
    }

    /// Reads a release manifest from YAML or JSON text; `file` names it in errors.
    #[staticmethod]
    #[pyo3(signature = (text, *, file = None))]
    fn from_yaml(text: &str, file: Option<&str>) -> PyResult<ReleaseManifest> {
        let inner = CoreRelease::from_yaml(text, file.unwrap_or("<memory>")).map_err(to_py_err)?;
        Ok(ReleaseManifest { inner })
    }

    /// A release from its parts: `images` as pinned references
    /// (`name@sha256:...`), `artifacts` as `{name: ref}` or `{name:
    /// ref@digest}`.
    #[staticmethod]
    #[pyo3(signature = (name, repository, revision, *, images = None, artifacts = None, profile = None, labels = None))]
    fn create(
        name: &str,
        repository: &str,
        revision: &str,
        images: Option<Vec<String>>,
        artifacts: Option<BTreeMap<String, String>>,
        profile: Option<&str>,
        labels: Option<BTreeMap<String, String>>,
    ) -> ReleaseManifest {
        let mut inner = CoreRelease::new(name, repository, revision);
        for image in images.unwrap_or_default() {
            inner.add_image(&image);
        }
        for (artifact, reference) in artifacts.unwrap_or_default() {
            inner.add_artifact_reference(&artifact, &reference);
        }
        inner.set_profile(profile, labels.unwrap_or_default());
        ReleaseManifest { inner }
    }

    /// A release of the images a rendered overlay (a ManifestSet) runs;
    /// every one must be pinned by digest.
    #[staticmethod]
    fn from_manifests(
        name: &str,
        repository: &str,
        revision: &str,
        manifests: &ManifestSet,
    ) -> PyResult<ReleaseManifest> {
        let inner = CoreRelease::from_manifests(name, repository, revision, &manifests.inner)
            .map_err(to_py_err)?;
        Ok(ReleaseManifest { inner })
    }

    /// `sha256:` and the hex SHA-256 of the canonical JSON of `spec`.
    #[getter]
    fn id(&self) -> String {
        self.inner.id()
    }

    /// `metadata.name`.
    #[getter]
    fn name(&self) -> String {
        self.inner.name.clone()
    }

    /// `{"repository", "revision"}`.
    #[getter]
    fn source<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(py);
        dict.set_item("repository", &self.inner.source.repository)?;
        dict.set_item("revision", &self.inner.source.revision)?;
        Ok(dict)
    }

    /// `[{"name", "digest", "tag"}]`.
    #[getter]
    fn images<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let list = PyList::empty(py);
        for image in &self.inner.images {
            let dict = PyDict::new(py);
            dict.set_item("name", &image.name)?;
            dict.set_item("digest", &image.digest)?;
            dict.set_item("tag", &image.tag)?;
            list.append(dict)?;
        }
        Ok(list)
    }

    /// `[{"name", "ref", "digest"}]`.
    #[getter]
    fn artifacts<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let list = PyList::empty(py);
        for artifact in &self.inner.artifacts {
            let dict = PyDict::new(py);
            dict.set_item("name", &artifact.name)?;
            dict.set_item("ref", &artifact.reference)?;
            dict.set_item("digest", &artifact.digest)?;
            list.append(dict)?;
        }
        Ok(list)
    }

    /// `spec.profile`.
    #[getter]
    fn profile(&self) -> Option<String> {
        self.inner.profile.clone()
    }

    /// `spec.labels`.
    #[getter]
    fn labels(&self) -> BTreeMap<String, String> {
        self.inner.labels.clone()
    }

    /// What is wrong, as `[{"path", "message"}]`; empty when valid.
    fn verify<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let list = PyList::empty(py);
        for problem in self.inner.verify() {
            let dict = PyDict::new(py);
            dict.set_item("path", problem.path)?;
            dict.set_item("message", problem.message)?;
            list.append(dict)?;
        }
        Ok(list)
    }

    /// The release as YAML.
    fn to_yaml(&self) -> String {
        self.inner.to_yaml()
    }

    /// The release as JSON.
    fn to_json(&self) -> String {
        self.inner.to_json()
    }

    /// What changed from this release to `other`: `{"revision": {"old",
    /// "new"} | None, "images": [{"name", "old", "new"}], "artifacts": [...]}`.
    fn compare<'py>(
        &self,
        py: Python<'py>,
        other: &ReleaseManifest,
    ) -> PyResult<Bound<'py, PyAny>> {
        diff_dict(py, &self.inner.compare(&other.inner))
    }

    fn __repr__(&self) -> String {
        format!("<ReleaseManifest {} {}>", self.inner.name, self.inner.id())
    }
}

fn edit_dict<'py>(py: Python<'py>, edit: &FileEdit) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    dict.set_item("path", &edit.path)?;
    dict.set_item("old", edit.old.as_deref().map(|b| PyBytes::new(py, b)))?;
    dict.set_item("new", PyBytes::new(py, &edit.new))?;
    dict.set_item("diff", edit.unified_diff())?;
    Ok(dict)
}

/// Pins the images `overlay_dir` renders to `release`'s digests in its
/// kustomization.yaml, changing only the bytes that must change, and
/// records the release in `release-manifest.ref`. With `write=False`
/// nothing is written. Returns the edits: `[{"path", "old" (bytes or
/// None), "new" (bytes), "diff"}]`, empty when the overlay already runs it.
#[pyfunction]
#[pyo3(signature = (release, overlay_dir, *, write = true))]
pub(crate) fn apply_release<'py>(
    py: Python<'py>,
    release: &ReleaseManifest,
    overlay_dir: PathBuf,
    write: bool,
) -> PyResult<Bound<'py, PyList>> {
    let edits = py
        .detach(|| {
            trueup_core::release::apply_release(
                &release.inner,
                &overlay_dir,
                &ApplyOptions { write },
            )
        })
        .map_err(to_py_err)?;
    let list = PyList::empty(py);
    for edit in &edits {
        list.append(edit_dict(py, edit)?)?;
    }
    Ok(list)
}

/// Promotes a release from the overlay at `from_path` (staging) to the one
/// at `to_path` (prod): the byte-minimal edit of `to_path` committed on a
/// new branch `deploy/<environment>-<12 hex of the release id>` from the
/// tip of `base`, without touching the working tree. `release` defaults to
/// the images `from_path` renders; digests it never ran raise
/// `UntestedError` unless `allow_untested` gives the reason. Returns a
/// dict: `branch`, `commit`, `base`, `releaseId`, `title`, `body`
/// (Markdown), `images`, `existing` (the branch already held it).
#[pyfunction]
#[pyo3(signature = (from_path, to_path, *, release = None, base = "main", environment = None, allow_untested = None, repo = None))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn promote<'py>(
    py: Python<'py>,
    from_path: PathBuf,
    to_path: PathBuf,
    release: Option<&ReleaseManifest>,
    base: &str,
    environment: Option<String>,
    allow_untested: Option<String>,
    repo: Option<PathBuf>,
) -> PyResult<Bound<'py, PyAny>> {
    let options = trueup_core::git::PromoteOptions {
        base: base.to_owned(),
        release: release.map(|r| r.inner.clone()),
        environment,
        allow_untested,
        ..Default::default()
    };
    let json = py
        .detach(|| {
            let (repo, from) = trueup_core::git::locate(repo.as_deref(), &from_path)?;
            let to = repo.relative_path(&to_path)?;
            repo.promote(&from, &to, &options).map(|p| p.to_json())
        })
        .map_err(to_py_err)?;
    py.import("json")?.call_method1("loads", (json,))
}

/// The evidence bundle of the environment at `environment` (an overlay
/// path) at sync revision `rev`: the release and its id, the sha256 of the
/// desired state Git renders there, the diff against `live` (a ManifestSet
/// or a path), live image drift, the attached `results` files (hashed), the
/// `exceptions` (a YAML file; an expired one raises ReleaseError),
/// `createdAt` and `ready`, with `id` over the rest. Returns it as a dict.
#[pyfunction]
#[pyo3(signature = (release, environment, rev, live, *, results = None, exceptions = None, namespace = None, created_at = None, repo = None))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn evidence<'py>(
    py: Python<'py>,
    release: &ReleaseManifest,
    environment: PathBuf,
    rev: String,
    live: &Bound<'py, PyAny>,
    results: Option<Vec<PathBuf>>,
    exceptions: Option<PathBuf>,
    namespace: Option<String>,
    created_at: Option<String>,
    repo: Option<PathBuf>,
) -> PyResult<Bound<'py, PyAny>> {
    let live = crate::manifests_arg(py, live)?;
    let live = live.set();
    let json = py
        .detach(|| {
            let attachments = trueup_core::release::read_attachments(&results.unwrap_or_default())?;
            let exceptions = match exceptions {
                Some(path) => trueup_core::release::load_exceptions(&path)?,
                None => Vec::new(),
            };
            let (repo, environment) = trueup_core::git::locate(repo.as_deref(), &environment)?;
            let bundle = repo.evidence(&trueup_core::git::EvidenceRequest {
                release: &release.inner,
                environment: &environment,
                revision: &rev,
                live,
                attachments: &attachments,
                exceptions: &exceptions,
                created_at,
                diff: trueup_core::diff::DiffOptions {
                    namespace,
                    ..Default::default()
                },
            })?;
            Ok::<String, trueup_core::Error>(serde_json::to_string(&bundle).unwrap_or_default())
        })
        .map_err(to_py_err)?;
    py.import("json")?.call_method1("loads", (json,))
}

/// Checks an evidence bundle's `id` against its content (JSON text, or a
/// dict); returns whether it says ready. A changed bundle raises ReleaseError.
#[pyfunction]
pub(crate) fn verify_evidence(py: Python<'_>, bundle: &Bound<'_, PyAny>) -> PyResult<bool> {
    let text: String = match bundle.extract::<String>() {
        Ok(text) => text,
        Err(_) => py
            .import("json")?
            .call_method1("dumps", (bundle,))?
            .extract()?,
    };
    trueup_core::release::verify_evidence(&text, "<evidence>").map_err(to_py_err)
}

/// An evidence bundle (a dict) as Markdown, for people.
#[pyfunction]
pub(crate) fn evidence_markdown(py: Python<'_>, bundle: &Bound<'_, PyAny>) -> PyResult<String> {
    let text: String = py
        .import("json")?
        .call_method1("dumps", (bundle,))?
        .extract()?;
    let value =
        trueup_core::Value::from_json(&text).map_err(pyo3::exceptions::PyValueError::new_err)?;
    Ok(trueup_core::release::evidence_markdown(&value))
}
