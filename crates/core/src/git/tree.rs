//! The files of one commit as a [`Source`]: the tree is indexed once (paths
//! to blob ids, folders to their names); blobs are read when asked for.

use std::collections::{BTreeMap, HashMap};

use super::Repo;
use crate::error::Error;
use crate::source::{EntryKind, Source, display};

/// The files of a commit, read from Git objects without a checkout.
pub struct TreeSource {
    repo: gix::ThreadSafeRepository,
    name: String,
    commit: String,
    files: HashMap<String, Blob>,
    dirs: BTreeMap<String, Vec<String>>,
}

#[derive(Clone, Copy)]
struct Blob {
    id: gix::ObjectId,
    link: bool,
}

impl std::fmt::Debug for TreeSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TreeSource({} at {})", self.name, self.commit)
    }
}

impl TreeSource {
    pub(crate) fn at_commit(repo: &Repo, commit: gix::ObjectId) -> Result<TreeSource, Error> {
        let local = repo.local();
        let tree = local
            .find_commit(commit)
            .and_then(|c| c.tree_id())
            .map_err(|e| repo.error(format!("cannot read commit {commit}: {e}")))?
            .detach();
        let mut source = TreeSource {
            repo: repo.inner.clone(),
            name: repo.name.clone(),
            commit: commit.to_string(),
            files: HashMap::new(),
            dirs: BTreeMap::new(),
        };
        source.index(&local, tree, String::new())?;
        Ok(source)
    }

    fn index(
        &mut self,
        repo: &gix::Repository,
        tree: gix::ObjectId,
        dir: String,
    ) -> Result<(), Error> {
        let tree = repo
            .find_tree(tree)
            .map_err(|e| super::git_error(&self.name, format!("cannot read tree {tree}: {e}")))?;
        let mut names = Vec::new();
        let mut subtrees = Vec::new();
        for entry in tree.iter() {
            let entry = entry.map_err(|e| super::git_error(&self.name, e))?;
            let name = entry.inner.filename.to_string();
            let path = if dir.is_empty() {
                name.clone()
            } else {
                format!("{dir}/{name}")
            };
            let mode = entry.inner.mode;
            if mode.is_tree() {
                subtrees.push((entry.inner.oid.to_owned(), path));
            } else if mode.is_blob_or_symlink() {
                let link = mode.is_link();
                self.files.insert(
                    path,
                    Blob {
                        id: entry.inner.oid.to_owned(),
                        link,
                    },
                );
            } else {
                // Submodules: not files of this repository.
                continue;
            }
            names.push(name);
        }
        names.sort();
        self.dirs.insert(dir, names);
        for (id, path) in subtrees {
            self.index(repo, id, path)?;
        }
        Ok(())
    }

    /// The commit this source reads.
    pub fn commit(&self) -> &str {
        &self.commit
    }

    /// Every file path, sorted.
    pub fn paths(&self) -> Vec<&str> {
        let mut paths: Vec<&str> = self.files.keys().map(String::as_str).collect();
        paths.sort_unstable();
        paths
    }

    /// The blob id of the file at `path`.
    pub(crate) fn blob_id(&self, path: &str) -> Option<gix::ObjectId> {
        self.files.get(path).map(|b| b.id)
    }
}

impl Source for TreeSource {
    fn entry(&self, path: &str) -> Option<EntryKind> {
        if self.files.contains_key(path) {
            Some(EntryKind::File)
        } else if self.dirs.contains_key(path) {
            Some(EntryKind::Dir)
        } else {
            None
        }
    }

    fn read(&self, path: &str) -> Result<Vec<u8>, Error> {
        let not_found = || {
            Error::io(
                format!("{}@{}", display(path), &self.commit[..12]),
                std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "no such file at this revision",
                ),
            )
        };
        let blob = self.files.get(path).ok_or_else(not_found)?;
        if blob.link {
            return Err(super::git_error(
                &self.name,
                format!("{path} is a symbolic link; links in Git trees are not followed"),
            ));
        }
        let repo = self.repo.to_thread_local();
        let object = repo
            .find_object(blob.id)
            .map_err(|e| super::git_error(&self.name, format!("cannot read {path}: {e}")))?;
        Ok(object.detach().data)
    }

    fn list(&self, path: &str) -> Result<Vec<String>, Error> {
        self.dirs.get(path).cloned().ok_or_else(|| {
            Error::io(
                display(path),
                std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "no such folder at this revision",
                ),
            )
        })
    }
}
