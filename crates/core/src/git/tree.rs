//! The files of one commit as a [`Source`]. Paths are resolved on demand,
//! one tree object per folder on the way, and each decoded tree is kept by
//! its object id: a subtree that a commit references a billion times (a
//! "tree bomb") is decoded once, and a folder nobody asks about is never
//! read. Blobs are read when asked for, up to a size limit.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::Repo;
use crate::error::Error;
use crate::source::{EntryKind, MAX_FILE_BYTES, Source, display};

/// How many entries (files and folders) [`TreeSource::paths`] walks at most.
pub const MAX_LISTED_FILES: usize = 1_000_000;

/// The longest path looked up in a tree (Linux's PATH_MAX): a deeper one
/// names nothing, however deep a crafted tree goes.
const MAX_PATH_BYTES: usize = 4096;

/// The files of a commit, read from Git objects without a checkout.
pub struct TreeSource {
    repo: gix::ThreadSafeRepository,
    name: String,
    commit: String,
    root: gix::ObjectId,
    /// Decoded trees by object id.
    trees: Mutex<HashMap<gix::ObjectId, Arc<Tree>>>,
    /// The first damaged object met where [`Source::entry`] cannot say so
    /// (it answers "nothing there"): see [`TreeSource::check_intact`].
    damage: Mutex<Option<String>>,
}

/// One decoded tree: its entries sorted by name (submodules left out: they
/// are not files of this repository).
struct Tree {
    entries: Vec<Entry>,
}

struct Entry {
    name: String,
    id: gix::ObjectId,
    kind: Kind,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Tree,
    Blob,
    Link,
}

impl std::fmt::Debug for TreeSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TreeSource({} at {})", self.name, self.commit)
    }
}

impl TreeSource {
    pub(crate) fn at_commit(repo: &Repo, commit: gix::ObjectId) -> Result<TreeSource, Error> {
        let local = repo.local();
        let root = local
            .find_commit(commit)
            .and_then(|c| c.tree_id())
            .map_err(|e| repo.error(format!("cannot read commit {commit}: {e}")))?
            .detach();
        Ok(TreeSource {
            repo: repo.inner.clone(),
            name: repo.name.clone(),
            commit: commit.to_string(),
            root,
            trees: Mutex::new(HashMap::new()),
            damage: Mutex::new(None),
        })
    }

    /// The commit this source reads.
    pub fn commit(&self) -> &str {
        &self.commit
    }

    /// Every file path (links included, submodules not), sorted; refused
    /// past [`MAX_LISTED_FILES`] entries (a tree that names one subtree many
    /// times can name billions); paths longer than 4096 bytes are not
    /// followed.
    pub fn paths(&self) -> Result<Vec<String>, Error> {
        let mut out = Vec::new();
        let mut walked = 0usize;
        let mut pending = vec![(String::new(), self.root)];
        while let Some((dir, id)) = pending.pop() {
            for entry in &self.tree(id, &dir)?.entries {
                // Folders count too: a tree of empty folders can be endless.
                walked += 1;
                if walked > MAX_LISTED_FILES {
                    return Err(super::git_error(
                        &self.name,
                        format!(
                            "{} holds more than {MAX_LISTED_FILES} files and folders; not listing them",
                            self.commit
                        ),
                    ));
                }
                let path = if dir.is_empty() {
                    entry.name.clone()
                } else {
                    format!("{dir}/{}", entry.name)
                };
                if entry.kind == Kind::Tree {
                    if path.len() <= MAX_PATH_BYTES {
                        pending.push((path, entry.id));
                    }
                } else {
                    out.push(path);
                }
            }
        }
        out.sort_unstable();
        Ok(out)
    }

    /// The blob id of the file (or link) at `path`, `None` when there is
    /// none; a damaged tree on the way is an error, never "no file".
    pub(crate) fn blob_id(&self, path: &str) -> Result<Option<gix::ObjectId>, Error> {
        Ok(match self.resolve(path)? {
            Some((Kind::Blob | Kind::Link, id)) => Some(id),
            _ => None,
        })
    }

    /// Fails if a damaged Git object was met while answering
    /// [`Source::entry`], which cannot report errors: a damaged tree then
    /// looks empty, so a render over this source that met one may be wrong.
    /// [`Repo::build`](super::Repo::build) checks this after every render;
    /// callers rendering a `TreeSource` themselves should too.
    pub fn check_intact(&self) -> Result<(), Error> {
        match self
            .damage
            .lock()
            .expect("no panic while holding the damage record")
            .clone()
        {
            Some(message) => Err(super::git_error(&self.name, message)),
            None => Ok(()),
        }
    }

    /// The tree with object id `id`, decoded once.
    fn tree(&self, id: gix::ObjectId, path: &str) -> Result<Arc<Tree>, Error> {
        if let Some(tree) = self
            .trees
            .lock()
            .expect("no panic while holding the tree cache")
            .get(&id)
        {
            return Ok(Arc::clone(tree));
        }
        let repo = self.repo.to_thread_local();
        let object = repo.find_tree(id).map_err(|e| {
            super::git_error(
                &self.name,
                format!("cannot read tree {id} ({}): {e}", display(path)),
            )
        })?;
        let mut entries = Vec::new();
        for entry in object.iter() {
            let entry = entry.map_err(|e| {
                super::git_error(
                    &self.name,
                    format!("tree {id} ({}) is damaged: {e}", display(path)),
                )
            })?;
            let mode = entry.inner.mode;
            let kind = if mode.is_tree() {
                Kind::Tree
            } else if mode.is_link() {
                Kind::Link
            } else if mode.is_blob() {
                Kind::Blob
            } else {
                continue; // a submodule
            };
            entries.push(Entry {
                name: entry.inner.filename.to_string(),
                id: entry.inner.oid.to_owned(),
                kind,
            });
        }
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        let tree = Arc::new(Tree { entries });
        self.trees
            .lock()
            .expect("no panic while holding the tree cache")
            .insert(id, Arc::clone(&tree));
        Ok(tree)
    }

    /// What `path` names: its kind and object id, `None` when nothing is
    /// there. `..` never leaves the tree.
    fn resolve(&self, path: &str) -> Result<Option<(Kind, gix::ObjectId)>, Error> {
        let mut current = (Kind::Tree, self.root);
        let mut walked = String::new();
        if path.len() > MAX_PATH_BYTES {
            return Ok(None); // deeper than any real path: a crafted tree
        }
        for part in path.split('/').filter(|p| !p.is_empty() && *p != ".") {
            if part == ".." || current.0 != Kind::Tree {
                return Ok(None);
            }
            let tree = self.tree(current.1, &walked)?;
            let Ok(i) = tree.entries.binary_search_by(|e| e.name.as_str().cmp(part)) else {
                return Ok(None);
            };
            current = (tree.entries[i].kind, tree.entries[i].id);
            if !walked.is_empty() {
                walked.push('/');
            }
            walked.push_str(part);
        }
        Ok(Some(current))
    }
}

impl Source for TreeSource {
    fn entry(&self, path: &str) -> Option<EntryKind> {
        let found = self.resolve(path).unwrap_or_else(|error| {
            let mut damage = self
                .damage
                .lock()
                .expect("no panic while holding the damage record");
            if damage.is_none() {
                *damage = Some(match error {
                    Error::Git { message, .. } => message,
                    other => other.to_string(),
                });
            }
            None
        });
        match found? {
            (Kind::Tree, _) => Some(EntryKind::Dir),
            (Kind::Blob | Kind::Link, _) => Some(EntryKind::File),
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
        let id = match self.resolve(path)?.ok_or_else(not_found)? {
            (Kind::Blob, id) => id,
            (Kind::Link, _) => {
                return Err(super::git_error(
                    &self.name,
                    format!("{path} is a symbolic link; links in Git trees are not followed"),
                ));
            }
            (Kind::Tree, _) => return Err(not_found()),
        };
        let repo = self.repo.to_thread_local();
        let header = repo.find_header(id).map_err(|e| {
            super::git_error(&self.name, format!("cannot read {path} (blob {id}): {e}"))
        })?;
        if header.size() > MAX_FILE_BYTES {
            return Err(super::git_error(
                &self.name,
                format!(
                    "{path} (blob {id}) is {} bytes, over the {MAX_FILE_BYTES}-byte file limit",
                    header.size()
                ),
            ));
        }
        let object = repo.find_object(id).map_err(|e| {
            super::git_error(&self.name, format!("cannot read {path} (blob {id}): {e}"))
        })?;
        Ok(object.detach().data)
    }

    /// The blob id, from the trees alone: no blob is read.
    fn content_id(&self, path: &str) -> Option<String> {
        match self.resolve(path) {
            Ok(Some((Kind::Blob, id))) => Some(id.to_string()),
            _ => None,
        }
    }

    fn list(&self, path: &str) -> Result<Vec<String>, Error> {
        match self.resolve(path)? {
            Some((Kind::Tree, id)) => Ok(self
                .tree(id, path)?
                .entries
                .iter()
                .map(|e| e.name.clone())
                .collect()),
            _ => Err(Error::io(
                display(path),
                std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "no such folder at this revision",
                ),
            )),
        }
    }
}
