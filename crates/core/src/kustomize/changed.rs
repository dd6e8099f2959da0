//! `--changed-since REV`: the overlays whose inputs changed since a Git
//! revision — every file an overlay reads (its kustomization, bases,
//! components, patches, generator files), compared byte for byte with the
//! same path at the revision, read from Git objects (no checkout). A file
//! missing at the revision, or outside the repository, counts as changed.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::sync::Mutex;

use crate::error::Error;
use crate::git::{Repo, TreeSource};
use crate::source::Source;

/// Renders `dir` of `source` and tells which files the render read.
pub(crate) fn render_recording(
    source: &dyn Source,
    dir: &str,
    options: &super::BuildOptions,
    parsed: &super::ParsedFiles,
) -> (
    Result<crate::resource::ManifestSet, Error>,
    BTreeSet<String>,
) {
    let reads = Mutex::new(BTreeSet::new());
    let recording = crate::source::ReadVia::new(source, |inner: &dyn Source, path: &str| {
        reads
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(path.to_owned());
        inner.read(path)
    });
    let result =
        super::build_source_sharing(&recording, dir, options, Some(parsed)).map(|(set, _)| set);
    let reads = std::mem::take(&mut *reads.lock().unwrap_or_else(|e| e.into_inner()));
    (result, reads)
}

/// Which files, under a folder on disk, differ from a Git revision.
pub(crate) struct Baseline {
    /// The revision's files.
    tree: TreeSource,
    /// The folder (the render root) relative to the repository's root.
    prefix: String,
    /// The folder on disk.
    root: std::path::PathBuf,
    /// Answers so far, by path under the folder.
    known: Mutex<HashMap<String, bool>>,
}

impl Baseline {
    /// The revision `rev` of the repository holding `root`.
    pub(crate) fn new(root: &Path, rev: &str) -> Result<Baseline, Error> {
        let repo = Repo::discover(root)?;
        let prefix = repo.relative_path(root)?;
        let tree = repo.tree_source(rev)?;
        Ok(Baseline {
            tree,
            prefix: if prefix == "." { String::new() } else { prefix },
            root: root.to_owned(),
            known: Mutex::new(HashMap::new()),
        })
    }

    /// Whether the file at `path` (under the folder) is not what the
    /// revision has there.
    pub(crate) fn changed(&self, path: &str) -> bool {
        if let Some(answer) = self
            .known
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(path)
        {
            return *answer;
        }
        let in_repo = crate::source::normalize_join(&self.prefix, path);
        let answer = if in_repo.starts_with("..") {
            true
        } else {
            match (
                self.tree.read(&in_repo),
                std::fs::read(self.root.join(path)),
            ) {
                (Ok(before), Ok(now)) => before != now,
                _ => true,
            }
        };
        self.known
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(path.to_owned(), answer);
        answer
    }
}
