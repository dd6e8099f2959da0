//! Git as the source of truth, in-process with gix: read any revision as a
//! [`Source`](crate::Source) (no checkout), the history of an environment
//! path, the desired-state difference between two revisions, and commits
//! that move a branch with compare-and-swap (promotion, rollback, revert).
//! The working tree and the index are never read or written.
//!
//! ```no_run
//! let repo = trueup_core::git::Repo::discover(".")?;
//! let prod = repo.build("apps/web/overlays/prod", "HEAD~3", &Default::default())?;
//! for commit in repo.history("apps/web/overlays/prod", &Default::default())? {
//!     println!("{} {} {}", &commit.id[..8], commit.time, commit.subject);
//! }
//! # Ok::<(), trueup_core::Error>(())
//! ```

mod commit_graph;
mod history;
mod promote;
mod tree;
mod write;

use std::path::{Path, PathBuf};

pub use history::{CommitInfo, HistoryOptions};
pub use promote::{EvidenceRequest, PromoteOptions, PromotedImage, Promotion};
pub use tree::{MAX_LISTED_FILES, TreeSource};
pub use write::{CommitRequest, FileChange, Rollback, RollbackOutcome, Signature, WriteOptions};

use crate::error::Error;
use crate::kustomize::BuildOptions;
use crate::resource::ManifestSet;
use crate::source::Source as _;

/// A Git repository (with a working tree or bare).
pub struct Repo {
    inner: gix::ThreadSafeRepository,
    /// How errors name the repository.
    name: String,
}

impl std::fmt::Debug for Repo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Repo({})", self.name)
    }
}

/// A gix error as ours, naming the repository.
fn git_error(repo: &str, what: impl std::fmt::Display) -> Error {
    Error::Git {
        repo: repo.to_owned(),
        message: what.to_string(),
    }
}

/// A path inside a repository in Git's form: `/`-separated, no leading or
/// trailing `/`, no `.`; `""` is the root.
fn tree_path(path: &str) -> String {
    crate::source::normalize(path.trim_matches('/'))
}

impl Repo {
    /// Opens the repository at `path` exactly: a working tree's root (or its
    /// `.git`), or a bare repository.
    pub fn open(path: impl AsRef<Path>) -> Result<Repo, Error> {
        let path = path.as_ref();
        let name = path.display().to_string();
        let inner =
            gix::open(path).map_err(|e| git_error(&name, format!("not a Git repository: {e}")))?;
        Ok(Repo {
            inner: inner.into_sync(),
            name,
        })
    }

    /// The repository that contains `path` (searching upwards, as `git` does).
    pub fn discover(path: impl AsRef<Path>) -> Result<Repo, Error> {
        let path = path.as_ref();
        let name = path.display().to_string();
        let inner = gix::discover(path)
            .map_err(|e| git_error(&name, format!("not in a Git repository: {e}")))?;
        let root = inner.workdir().unwrap_or_else(|| inner.git_dir());
        let name = root
            .canonicalize()
            .unwrap_or_else(|_| root.to_path_buf())
            .display()
            .to_string();
        Ok(Repo {
            inner: inner.into_sync(),
            name,
        })
    }

    /// How errors name this repository: its working tree or Git folder.
    pub fn name(&self) -> &str {
        &self.name
    }

    pub(crate) fn local(&self) -> gix::Repository {
        self.inner.to_thread_local()
    }

    pub(crate) fn error(&self, what: impl std::fmt::Display) -> Error {
        git_error(&self.name, what)
    }

    /// The working tree's root, when the repository has one.
    pub fn workdir(&self) -> Option<PathBuf> {
        self.local().workdir().map(Path::to_path_buf)
    }

    /// A path as the repository names it: a path on disk inside the working
    /// tree becomes relative to its root; anything else is taken as relative
    /// to the repository's root already.
    pub fn relative_path(&self, path: impl AsRef<Path>) -> Result<String, Error> {
        let path = path.as_ref();
        if let Some(root) = self.workdir() {
            let absolute = if path.is_absolute() {
                path.to_path_buf()
            } else {
                std::env::current_dir()
                    .map_err(|e| Error::io(".", e))?
                    .join(path)
            };
            let root = root.canonicalize().unwrap_or(root);
            // The folder may not exist on disk (deleted, or another revision's).
            let absolute = absolute.canonicalize().unwrap_or(absolute);
            if let Ok(inside) = absolute.strip_prefix(&root) {
                return Ok(tree_path(&inside.to_string_lossy()));
            }
            if path.is_absolute() {
                return Err(self.error(format!("{} is not inside the repository", path.display())));
            }
        }
        Ok(tree_path(&path.to_string_lossy()))
    }

    /// The full commit id a revision names (`main`, `v1.2`, a full or short
    /// id, `HEAD~3`, `main^2`...); annotated tags are peeled to their commit.
    pub fn resolve(&self, rev: &str) -> Result<String, Error> {
        Ok(self.resolve_id(rev)?.to_string())
    }

    pub(crate) fn resolve_id(&self, rev: &str) -> Result<gix::ObjectId, Error> {
        let repo = self.local();
        let id = repo
            .rev_parse_single(rev)
            .map_err(|e| self.error(format!("unknown revision {rev:?}: {e}")))?;
        let commit = id
            .object()
            .and_then(|o| o.peel_to_commit())
            .map_err(|e| self.error(format!("revision {rev:?} is not a commit: {e}")))?;
        Ok(commit.id)
    }

    /// The files of `rev` as a [`Source`](crate::Source), read straight from
    /// Git objects.
    pub fn tree_source(&self, rev: &str) -> Result<TreeSource, Error> {
        let commit = self.resolve_id(rev)?;
        TreeSource::at_commit(self, commit)
    }

    /// Renders the kustomization in `path` (relative to the repository's
    /// root) as it is at `rev`, byte-identical to rendering a checkout of it.
    pub fn build(
        &self,
        path: &str,
        rev: &str,
        options: &BuildOptions,
    ) -> Result<ManifestSet, Error> {
        self.in_tree(rev, path, false, |source, path| {
            crate::kustomize::build_source_opts(source, path, options)
        })
    }

    /// Runs `render` on the tree of `rev` at `path` (a folder when
    /// `folder`, else anything there), which must exist; the tree is
    /// checked intact before and after (a tree read through a corrupt
    /// object errors rather than rendering what it could read).
    fn in_tree<T>(
        &self,
        rev: &str,
        path: &str,
        folder: bool,
        render: impl FnOnce(&TreeSource, &str) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let source = self.tree_source(rev)?;
        let path = tree_path(path);
        let found = source.entry(&path);
        source.check_intact()?;
        let (absent, what) = if folder {
            (found != Some(crate::source::EntryKind::Dir), "a folder in")
        } else {
            (found.is_none(), "in")
        };
        if absent {
            return Err(self.error(format!(
                "{} is not {what} the tree of {rev}",
                crate::source::display(&path)
            )));
        }
        let rendered = render(&source, &path);
        source.check_intact()?;
        rendered
    }

    /// What changes in the desired state of the overlay at `path` from
    /// revision `from` to revision `to` (an overlay absent at one of them
    /// renders to nothing there).
    pub fn diff_revisions(
        &self,
        path: &str,
        from: &str,
        to: &str,
        options: &BuildOptions,
    ) -> Result<crate::diff::DesiredDiff, Error> {
        let render = |rev: &str| -> Result<ManifestSet, Error> {
            let source = self.tree_source(rev)?;
            let dir = tree_path(path);
            let absent = source.entry(&dir).is_none();
            source.check_intact()?;
            if absent {
                return Ok(ManifestSet::new());
            }
            let rendered = crate::kustomize::build_source_opts(&source, &dir, options);
            source.check_intact()?;
            rendered
        };
        let (old, new) = (render(from)?, render(to)?);
        if old.is_empty() && new.is_empty() {
            return Err(self.error(format!(
                "{} is in neither {from} nor {to}",
                crate::source::display(&tree_path(path))
            )));
        }
        Ok(crate::diff::compare_desired(&old, &new))
    }
}

/// `path` if it is a folder, else its nearest parent folder that exists
/// (`.` when none does).
fn nearest_existing_folder(path: &Path) -> &Path {
    let mut at = path;
    loop {
        if at.is_dir() {
            return at;
        }
        match at.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => at = parent,
            _ => return Path::new("."),
        }
    }
}

/// The repository at `repo`, or the one containing the current folder.
pub fn open_or_discover(repo: Option<&Path>) -> Result<Repo, Error> {
    match repo {
        Some(dir) => Repo::open(dir),
        None => Repo::discover("."),
    }
}

/// The repository at `repo` (or the one `path` is in) and
/// `path` as it names it (see [`Repo::relative_path`]): what every Git-aware
/// command starts with.
pub fn locate(repo: Option<&Path>, path: &Path) -> Result<(Repo, String), Error> {
    let repo = match repo {
        Some(dir) => Repo::open(dir)?,
        // The repository PATH is in, found from PATH (or, for a path gone
        // from the disk, its nearest folder that exists), not the current one.
        None => Repo::discover(nearest_existing_folder(path))?,
    };
    let path = repo.relative_path(path)?;
    Ok((repo, path))
}

/// Renders every overlay under `root` ([`crate::kustomize::build_all_each`]):
/// from disk, or, with `rev`, as they are at that revision of `repo`
/// (found as [`build_path`] finds it), read from Git objects without a
/// checkout; a render cache then keys files by their blob ids. Each
/// overlay's result goes to `each`, in path order; returns how many.
/// The entry point of `trueup build --all [--rev]` and of the bindings'
/// `build_all`.
pub fn build_all_path_each(
    root: &Path,
    rev: Option<&str>,
    repo: Option<&Path>,
    options: &crate::kustomize::BuildAllOptions,
    each: &mut dyn FnMut(crate::kustomize::OverlayResult),
) -> Result<usize, Error> {
    let Some(rev) = rev else {
        return crate::kustomize::build_all_each(root, options, each);
    };
    let (repo, path) = locate(repo, root)?;
    repo.in_tree(rev, &path, true, |source, dir| {
        crate::kustomize::build_all_source_each(source, dir, options, each)
    })
}

/// [`build_all_path_each`], the results kept in a list.
pub fn build_all_path(
    root: &Path,
    rev: Option<&str>,
    repo: Option<&Path>,
    options: &crate::kustomize::BuildAllOptions,
) -> Result<Vec<crate::kustomize::OverlayResult>, Error> {
    let mut results = Vec::new();
    build_all_path_each(root, rev, repo, options, &mut |r| results.push(r))?;
    Ok(results)
}

/// Renders the kustomization folder `path`: from disk, or, with `rev`, as it
/// is at that revision of `repo` (default: the repository containing the
/// current folder; `path` may be a path on disk inside its working tree or
/// relative to its root). The entry point of `trueup build [--rev]` and of
/// the bindings' `build`.
pub fn build_path(
    path: &Path,
    rev: Option<&str>,
    repo: Option<&Path>,
    options: &BuildOptions,
) -> Result<ManifestSet, Error> {
    match rev {
        None => crate::kustomize::build_opts(path, options),
        Some(rev) => {
            let (repo, path) = locate(repo, path)?;
            repo.build(&path, rev, options)
        }
    }
}
