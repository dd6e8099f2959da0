//! # trueup-core
//!
//! The engine of trueup: GitOps primitives in one embeddable library. It reads
//! Kubernetes manifests (from a folder, memory, or later a Git revision),
//! renders kustomizations and prints the result byte-for-byte as
//! `kustomize build` does.
//!
//! ```
//! use trueup_core::{MemorySource, build_source};
//!
//! let src: MemorySource = [
//!     ("base/kustomization.yaml", "resources:\n- deploy.yaml\n- ns.yaml\n"),
//!     ("base/ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n"),
//!     ("base/deploy.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  replicas: 2\n"),
//! ].into_iter().collect();
//!
//! let set = build_source(&src, "base")?;
//! let ids: Vec<String> = set.iter().map(|r| r.id().to_string()).collect();
//! assert_eq!(ids, ["/Namespace//shop", "apps/Deployment/shop/web"]);
//! assert!(set.to_yaml().starts_with("apiVersion: v1\nkind: Namespace\n"));
//! # Ok::<(), trueup_core::Error>(())
//! ```

#![forbid(unsafe_code)]

mod base64;
pub mod diff;
pub mod error;
pub mod git;
mod glob;
pub mod guard;
pub mod health;
pub mod health_scripts;
pub mod kustomize;
mod parallel;
pub mod patch;
pub mod release;
pub mod resource;
pub mod source;
pub mod yaml;

pub use error::{Error, ErrorKind, Location, Result};
pub use kustomize::{
    BuildAllOptions, BuildOptions, LoadRestrictor, OverlayResult, RemoteAccess, build, build_all,
    build_opts, build_source,
};
pub use resource::{ManifestSet, Origin, ResId, Resource};

/// The name [`ManifestSet`] had before it took the bindings' name.
#[deprecated(since = "0.1.0", note = "renamed ManifestSet, as in Python and Node")]
pub type ResourceSet = ManifestSet;
pub use source::{DirSource, EntryKind, MAX_FILE_BYTES, MemorySource, Source};
pub use yaml::{ParseLimits, Value, parse_documents};

/// The README's Rust examples, compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;

/// Reads Kubernetes manifests from YAML text (one or many documents), as
/// kustomize reads a resource file. `file` names the input in errors.
///
/// ```
/// let set = trueup_core::load_manifests("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: prod\n", "<memory>")?;
/// assert_eq!(set.to_yaml(), "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: prod\n");
/// # Ok::<(), trueup_core::Error>(())
/// ```
pub fn load_manifests(text: &str, file: &str) -> Result<ManifestSet> {
    ManifestSet::from_yaml(text, file)
}

/// Reads the Kubernetes manifests in a YAML (or JSON) file; errors name the
/// file as given.
pub fn load_manifests_file(path: impl AsRef<std::path::Path>) -> Result<ManifestSet> {
    let path = path.as_ref();
    let name = path.display().to_string();
    let bytes = source::read_regular_file(path, &name)?;
    load_manifests_opts(
        &bytes,
        &LoadOptions {
            file: Some(name),
            ..LoadOptions::default()
        },
    )
}

/// Reads the Kubernetes manifests of a stream (standard input, a pipe from
/// `kubectl get -o yaml|json`), bounded by [`MAX_FILE_BYTES`] as files are;
/// `name` names it in errors.
///
/// ```
/// let text = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: prod\n";
/// let set = trueup_core::load_manifests_reader(text.as_bytes(), "<stdin>")?;
/// assert_eq!(set.len(), 1);
/// # Ok::<(), trueup_core::Error>(())
/// ```
pub fn load_manifests_reader(reader: impl std::io::Read, name: &str) -> Result<ManifestSet> {
    use std::io::Read as _;
    let mut bytes = Vec::new();
    reader
        .take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::Io {
            path: name.to_owned(),
            source: e,
        })?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(Error::Io {
            path: name.to_owned(),
            source: std::io::Error::other(format!(
                "more than {MAX_FILE_BYTES} bytes, over the file limit"
            )),
        });
    }
    load_manifests_opts(
        &bytes,
        &LoadOptions {
            file: Some(name.to_owned()),
            ..LoadOptions::default()
        },
    )
}

/// Options of [`load_manifests_opts`].
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// The name of the input in errors; `<string>` when `None`.
    pub file: Option<String>,
    /// Bounds on what parsing may cost.
    pub limits: ParseLimits,
}

/// [`load_manifests`] for UTF-8 bytes, with options.
///
/// ```
/// use trueup_core::{LoadOptions, yaml::ParseLimits};
/// let options = LoadOptions {
///     file: Some("deep.yaml".into()),
///     limits: ParseLimits { max_depth: 3, ..ParseLimits::default() },
/// };
/// let err = trueup_core::load_manifests_opts(b"a: {b: {c: {d: 1}}}\n", &options).unwrap_err();
/// assert!(err.to_string().starts_with("deep.yaml, document 1, line 1: nesting deeper"));
/// ```
pub fn load_manifests_opts(bytes: &[u8], options: &LoadOptions) -> Result<ManifestSet> {
    let file = options.file.as_deref().unwrap_or("<string>");
    let text = std::str::from_utf8(bytes).map_err(|e| Error::Yaml {
        location: Location::file(file),
        message: format!("not valid UTF-8 (at byte {})", e.valid_up_to()),
    })?;
    ManifestSet::from_yaml_with(text, file, &options.limits)
}
