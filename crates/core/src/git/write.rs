//! Writing: commits made from file changes on top of a parent, without a
//! working tree or index, with the branch moved by compare-and-swap; and the
//! two GitOps rollbacks (restore a path as of a revision, revert one commit
//! limited to a path).

use gix::refs::transaction::{Change, LogChange, PreviousValue, RefEdit, RefLog};

use super::history::HistoryOptions;
use super::{Repo, tree_path};
use crate::error::Error;

/// A person and a time, for a commit's author or committer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    /// The name.
    pub name: String,
    /// The email.
    pub email: String,
    /// Seconds since the Unix epoch (UTC); now when `None`.
    pub time: Option<i64>,
}

/// One file change of a commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileChange {
    /// The path, relative to the repository's root.
    pub path: String,
    /// The new content; `None` deletes the file.
    pub content: Option<Vec<u8>>,
}

/// What a rollback restores: a path as of a revision, or the revert of one
/// commit limited to a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rollback {
    /// Restore the path as it was at this revision ([`Repo::restore`]).
    To(String),
    /// Revert this commit, limited to the path ([`Repo::revert`]).
    Revert(String),
}

impl Rollback {
    /// The rollback named by options where exactly one of `to` and `revert`
    /// is given (as the CLI and the bindings take them).
    pub fn from_options(to: Option<String>, revert: Option<String>) -> Result<Rollback, Error> {
        match (to, revert) {
            (Some(to), None) => Ok(Rollback::To(to)),
            (None, Some(commit)) => Ok(Rollback::Revert(commit)),
            _ => Err(Error::Git {
                repo: String::new(),
                message:
                    "a rollback needs exactly one of `to` (a revision) and `revert` (a commit)"
                        .into(),
            }),
        }
    }
}

/// What [`Repo::rollback`] did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RollbackOutcome {
    /// The new commit's id; `None` when there was nothing to do.
    pub commit: Option<String>,
    /// The branch written to (or that needed nothing), as a full ref name.
    pub branch: String,
    /// Whether `HEAD` is on that branch: its working tree and index then
    /// still hold the files from before the rollback (`message` says how to
    /// update them).
    pub checked_out: bool,
    /// What happened, in a sentence or two, for people.
    pub message: String,
}

/// What [`Repo::commit`] writes.
#[derive(Debug, Clone)]
pub struct CommitRequest {
    /// The branch to move (`main`, or `refs/heads/main`); created when it
    /// does not exist.
    pub branch: String,
    /// The commit the changes apply to, which the branch must still point
    /// at (compare-and-swap); when `None`, the branch's tip now (or, for a
    /// new branch, `HEAD`).
    pub parent: Option<String>,
    /// The files to add, change or delete.
    pub changes: Vec<FileChange>,
    /// The commit message.
    pub message: String,
    /// Author and committer (see [`WriteOptions`]).
    pub options: WriteOptions,
}

/// Who writes a commit.
#[derive(Debug, Clone, Default)]
pub struct WriteOptions {
    /// The author; the repository's `user.name`/`user.email`, else `trueup`.
    pub author: Option<Signature>,
    /// The committer; the author when `None`.
    pub committer: Option<Signature>,
}

fn full_branch(branch: &str) -> String {
    if branch.starts_with("refs/") {
        branch.to_owned()
    } else {
        format!("refs/heads/{branch}")
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

impl Repo {
    /// The commit a branch points at, if the branch exists.
    pub fn branch_tip(&self, branch: &str) -> Result<Option<String>, Error> {
        Ok(self.tip_id(branch)?.map(|id| id.to_string()))
    }

    fn tip_id(&self, branch: &str) -> Result<Option<gix::ObjectId>, Error> {
        let repo = self.local();
        let name = full_branch(branch);
        match repo.try_find_reference(name.as_str()) {
            Ok(Some(mut reference)) => Ok(Some(
                reference
                    .peel_to_id()
                    .map_err(|e| self.error(format!("cannot read {name}: {e}")))?
                    .detach(),
            )),
            Ok(None) => Ok(None),
            Err(e) => Err(self.error(format!("cannot read {name}: {e}"))),
        }
    }

    fn signature(&self, given: Option<&Signature>) -> (String, String, i64) {
        if let Some(s) = given {
            return (s.name.clone(), s.email.clone(), s.time.unwrap_or_else(now));
        }
        let repo = self.local();
        let configured = repo
            .author()
            .and_then(Result::ok)
            .map(|s| (s.name.to_string(), s.email.to_string()));
        let (name, email) =
            configured.unwrap_or_else(|| ("trueup".to_owned(), "trueup@localhost".to_owned()));
        (name, email, now())
    }

    /// Writes a commit of `request.changes` on top of its parent and moves
    /// the branch to it, only if the branch still points at that parent: two
    /// writers from the same parent cannot both win; the second gets
    /// [`Error::BranchMoved`]. Returns the new commit's id.
    pub fn commit(&self, request: &CommitRequest) -> Result<String, Error> {
        let current = self.tip_id(&request.branch)?;
        let parent = match &request.parent {
            Some(rev) => self.resolve_id(rev)?,
            None => match current {
                Some(tip) => tip,
                None => self.resolve_id("HEAD")?,
            },
        };
        let tree = self.tree_with(parent, &request.changes)?;
        self.write_commit(
            &request.branch,
            current,
            parent,
            tree,
            &request.message,
            &request.options,
        )
    }

    /// The tree of `parent` with `changes` made (its objects written).
    pub(crate) fn tree_with(
        &self,
        parent: gix::ObjectId,
        changes: &[FileChange],
    ) -> Result<gix::ObjectId, Error> {
        let repo = self.local();
        let err = |e: gix::Error| self.error(e);
        let base_tree = repo
            .find_commit(parent)
            .and_then(|c| c.tree_id())
            .map_err(err)?
            .detach();
        let mut editor = repo.edit_tree(base_tree).map_err(err)?;
        for change in changes {
            let path = tree_path(&change.path);
            if path.is_empty() || path.starts_with("..") {
                return Err(self.error(format!(
                    "{:?} is not a file path in the repository",
                    change.path
                )));
            }
            match &change.content {
                Some(bytes) => {
                    let blob = repo.write_blob(bytes).map_err(err)?.detach();
                    editor
                        .upsert(path.as_str(), gix::object::tree::EntryKind::Blob, blob)
                        .map_err(err)?;
                }
                None => {
                    editor.remove(path.as_str()).map_err(err)?;
                }
            }
        }
        Ok(editor.write().map_err(err)?.detach())
    }

    /// The parents and the tree of a commit.
    pub(crate) fn commit_shape(
        &self,
        commit: &str,
    ) -> Result<(Vec<gix::ObjectId>, gix::ObjectId), Error> {
        let repo = self.local();
        let id = self.resolve_id(commit)?;
        let commit = repo.find_commit(id).map_err(|e| self.error(e))?;
        let parents = commit.parent_ids().map(|p| p.detach()).collect();
        let tree = commit.tree_id().map_err(|e| self.error(e))?.detach();
        Ok((parents, tree))
    }

    /// Writes the commit object and moves the branch from `expected` (which
    /// must still be its value) to it.
    fn write_commit(
        &self,
        branch: &str,
        expected: Option<gix::ObjectId>,
        parent: gix::ObjectId,
        tree: gix::ObjectId,
        message: &str,
        options: &WriteOptions,
    ) -> Result<String, Error> {
        let name = full_branch(branch);
        if !name.starts_with("refs/heads/") {
            // Tags and other refs keep no reflog: moving one loses its target.
            return Err(self.error(format!(
                "{branch} is not a branch; trueup only writes branches (refs/heads/*)"
            )));
        }
        if let Some(tip) = expected
            && tip != parent
        {
            return Err(Error::BranchMoved {
                branch: branch.to_owned(),
                expected: parent.to_string(),
                actual: tip.to_string(),
            });
        }
        let repo = self.local();
        let err = |e: gix::Error| self.error(e);
        let (a_name, a_email, a_time) = self.signature(options.author.as_ref());
        let (c_name, c_email, c_time) = match &options.committer {
            Some(c) => self.signature(Some(c)),
            None => (a_name.clone(), a_email.clone(), a_time),
        };
        let a_time_text = format!("{a_time} +0000");
        let c_time_text = format!("{c_time} +0000");
        let author = gix::actor::SignatureRef {
            name: a_name.as_str().into(),
            email: a_email.as_str().into(),
            time: &a_time_text,
        };
        let committer = gix::actor::SignatureRef {
            name: c_name.as_str().into(),
            email: c_email.as_str().into(),
            time: &c_time_text,
        };
        let commit = repo
            .new_commit_as(committer, author, message, tree, [parent])
            .map_err(err)?
            .id;
        let previous = match expected {
            Some(tip) => PreviousValue::MustExistAndMatch(gix::refs::Target::Object(tip)),
            None => PreviousValue::MustNotExist,
        };
        let edit = RefEdit {
            change: Change::Update {
                log: LogChange {
                    mode: RefLog::AndReference,
                    force_create_reflog: false,
                    message: format!("trueup: {}", message.lines().next().unwrap_or("")).into(),
                },
                expected: previous,
                new: gix::refs::Target::Object(commit),
            },
            name: name
                .as_str()
                .try_into()
                .map_err(|e| self.error(format!("bad branch name {branch:?}: {e}")))?,
            deref: false,
        };
        if let Err(e) = repo.edit_reference(edit) {
            // Someone else moved (or created) the branch in between.
            let actual = self.tip_id(branch)?;
            if actual != expected {
                return Err(Error::BranchMoved {
                    branch: branch.to_owned(),
                    expected: expected.map_or_else(|| "(no branch)".to_owned(), |t| t.to_string()),
                    actual: actual.map_or_else(|| "(deleted)".to_owned(), |t| t.to_string()),
                });
            }
            return Err(self.error(format!("cannot move {name}: {e}")));
        }
        Ok(commit.to_string())
    }

    /// The branch a rollback goes to (the one given, or `HEAD`'s) and its tip.
    fn existing_branch(&self, branch: Option<&str>) -> Result<(String, gix::ObjectId), Error> {
        let branch = self.target_branch(branch)?;
        let tip = self
            .tip_id(&branch)?
            .ok_or_else(|| self.error(format!("branch {branch} does not exist")))?;
        Ok((branch, tip))
    }

    /// The branch a write goes to: the one given, or the one `HEAD` is on.
    fn target_branch(&self, branch: Option<&str>) -> Result<String, Error> {
        if let Some(b) = branch {
            return Ok(b.to_owned());
        }
        let repo = self.local();
        let head = repo.head_name().map_err(|e| self.error(e))?;
        head.map(|name| name.as_bstr().to_string())
            .ok_or_else(|| self.error("HEAD is detached; name the branch to write to"))
    }

    /// Rolls `path` back on `branch` (default: `HEAD`'s branch): restores
    /// it as it was at a revision ([`Repo::restore`]) or reverts one commit
    /// limited to it ([`Repo::revert`]), as `what` says. Nothing to do is
    /// not an error: the outcome has no commit and says why.
    pub fn rollback(
        &self,
        path: &str,
        what: &Rollback,
        branch: Option<&str>,
        options: &WriteOptions,
    ) -> Result<RollbackOutcome, Error> {
        match what {
            Rollback::To(rev) => self.restore(path, rev, branch, options),
            Rollback::Revert(commit) => self.revert(path, commit, branch, options),
        }
    }

    /// The outcome of a rollback on `branch`: `commit` (`None`: nothing to
    /// do, `done` says why) and whether `HEAD` is on that branch.
    fn rollback_outcome(
        &self,
        branch: &str,
        path: &str,
        commit: Option<String>,
        done: String,
    ) -> Result<RollbackOutcome, Error> {
        let head = self
            .local()
            .head_name()
            .map_err(|e| self.error(e))?
            .map(|name| name.as_bstr().to_string());
        let full = |b: &str| {
            if b.starts_with("refs/") {
                b.to_owned()
            } else {
                format!("refs/heads/{b}")
            }
        };
        let checked_out = commit.is_some() && head.as_deref().map(full) == Some(full(branch));
        let short = branch.strip_prefix("refs/heads/").unwrap_or(branch);
        let mut message = match &commit {
            Some(id) => format!("committed {} on {short}: {done}", &id[..12]),
            None => format!("nothing to commit: {done}"),
        };
        if checked_out {
            message.push_str(&format!(
                "\n{short} is checked out here: its working tree and index still hold the files \
                 from before; `git restore --source=HEAD --staged --worktree -- {}` brings them \
                 in line (it overwrites uncommitted changes there)",
                crate::source::display(path)
            ));
        }
        Ok(RollbackOutcome {
            commit,
            branch: full(branch),
            checked_out,
            message,
        })
    }

    /// A new commit on `branch` (default: `HEAD`'s branch) that restores
    /// `path` to its content at `to` (deleting it when `to` has none);
    /// everything outside `path` is untouched. When `path` already is as it
    /// was at `to`, nothing is committed.
    pub fn restore(
        &self,
        path: &str,
        to: &str,
        branch: Option<&str>,
        options: &WriteOptions,
    ) -> Result<RollbackOutcome, Error> {
        let (branch, tip) = self.existing_branch(branch)?;
        let path = tree_path(path);
        let target = self.resolve_id(to)?;
        let repo = self.local();
        let err = |e: gix::Error| self.error(e);
        let tree_of = |id: gix::ObjectId| -> Result<gix::ObjectId, Error> {
            Ok(repo
                .find_commit(id)
                .and_then(|c| c.tree_id())
                .map_err(err)?
                .detach())
        };
        let (tip_tree, target_tree) = (tree_of(tip)?, tree_of(target)?);
        let entry_at = |tree: gix::ObjectId| -> Result<Option<(gix::ObjectId, gix::object::tree::EntryKind)>, Error> {
            if path.is_empty() {
                return Ok(Some((tree, gix::object::tree::EntryKind::Tree)));
            }
            Ok(repo
                .find_tree(tree)
                .and_then(|t| t.lookup_entry_by_path(&path))
                .map_err(err)?
                .map(|e| (e.object_id(), e.mode().kind())))
        };
        let (now_at, then_at) = (entry_at(tip_tree)?, entry_at(target_tree)?);
        if now_at.is_none() && then_at.is_none() {
            return Err(self.error(format!("{path} is in neither {branch} nor {to}")));
        }
        if now_at.map(|e| e.0) == then_at.map(|e| e.0) {
            let done = format!(
                "{} is already as it was at {to}",
                crate::source::display(&path)
            );
            return self.rollback_outcome(&branch, &path, None, done);
        }
        let tree = if path.is_empty() {
            target_tree
        } else {
            let mut editor = repo.edit_tree(tip_tree).map_err(err)?;
            match then_at {
                Some((id, kind)) => editor.upsert(path.as_str(), kind, id).map_err(err)?,
                None => editor.remove(path.as_str()).map_err(err)?,
            };
            editor.write().map_err(err)?.detach()
        };
        let short = &target.to_string()[..12];
        let subject = self
            .history(
                "",
                &HistoryOptions {
                    rev: Some(target.to_string()),
                    max: Some(1),
                    since: None,
                },
            )?
            .first()
            .map(|c| c.subject.clone())
            .unwrap_or_default();
        let message = format!(
            "Roll back {path} to {short}\n\nRestores {path} as it was at {target} ({subject}).\n",
            path = crate::source::display(&path)
        );
        let commit = self.write_commit(&branch, Some(tip), tip, tree, &message, options)?;
        let done = format!(
            "{} restored as it was at {to} ({short})",
            crate::source::display(&path)
        );
        self.rollback_outcome(&branch, &path, Some(commit), done)
    }

    /// A new commit on `branch` that reverts what commit `commit` did under
    /// `path` (and nothing else), when that applies cleanly as `git revert`
    /// would apply it: a file changed since is merged line by line, and
    /// overlapping changes, binary files and files added or deleted on one
    /// side only are a conflict error naming the files. When the commit is
    /// already reverted under `path`, nothing is committed.
    pub fn revert(
        &self,
        path: &str,
        commit: &str,
        branch: Option<&str>,
        options: &WriteOptions,
    ) -> Result<RollbackOutcome, Error> {
        let (branch, tip) = self.existing_branch(branch)?;
        let path = tree_path(path);
        let reverted = self.resolve_id(commit)?;
        let info = self
            .history(
                &path,
                &HistoryOptions {
                    rev: Some(reverted.to_string()),
                    max: Some(1),
                    since: None,
                },
            )?
            .into_iter()
            .next()
            .filter(|c| c.id == reverted)
            .ok_or_else(|| self.error(format!("{commit} changed nothing under {path}")))?;
        let repo = self.local();
        let err = |e: gix::Error| self.error(e);
        let parent = repo
            .find_commit(reverted)
            .map_err(err)?
            .parent_ids()
            .next()
            .map(|p| p.detach());
        let source_at = |id: Option<gix::ObjectId>| -> Result<Option<super::TreeSource>, Error> {
            id.map(|id| super::TreeSource::at_commit(self, id))
                .transpose()
        };
        let (before, after, now) = (
            source_at(parent)?,
            source_at(Some(reverted))?,
            source_at(Some(tip))?.expect("a tip was given"),
        );
        let blob = |s: Option<&super::TreeSource>, f: &str| -> Result<_, Error> {
            Ok(match s {
                Some(s) => s.blob_id(f)?,
                None => None,
            })
        };
        let mut conflicts = Vec::new();
        let mut changes = Vec::new();
        for file in &info.files {
            let (was, became, is) = (
                blob(before.as_ref(), file)?,
                blob(after.as_ref(), file)?,
                blob(Some(&now), file)?,
            );
            if is == was {
                continue; // already reverted
            }
            if is == became {
                changes.push((file.clone(), was));
                continue;
            }
            // Changed since, too: merge line by line as `git revert` does
            // (base: the commit's version; ours: now; theirs: before it).
            let merged = match (was, became, is) {
                (Some(was), Some(became), Some(is)) => {
                    merge_lines(&repo, became, is, was).map_err(err)?
                }
                _ => None,
            };
            match merged {
                Some(id) => changes.push((file.clone(), Some(id))),
                None => conflicts.push(file.clone()),
            }
        }
        if !conflicts.is_empty() {
            return Err(Error::Conflict {
                message: format!(
                    "cannot revert {} under {}: it conflicts with later changes to {}",
                    &info.id[..12],
                    crate::source::display(&path),
                    conflicts.join(", ")
                ),
            });
        }
        if changes.is_empty() {
            let done = format!(
                "{} is already reverted under {}",
                &info.id[..12],
                crate::source::display(&path)
            );
            return self.rollback_outcome(&branch, &path, None, done);
        }
        let tip_tree = repo
            .find_commit(tip)
            .and_then(|c| c.tree_id())
            .map_err(err)?
            .detach();
        let mut editor = repo.edit_tree(tip_tree).map_err(err)?;
        for (file, was) in changes {
            match was {
                Some(id) => editor
                    .upsert(file.as_str(), gix::object::tree::EntryKind::Blob, id)
                    .map_err(err)?,
                None => editor.remove(file.as_str()).map_err(err)?,
            };
        }
        let tree = editor.write().map_err(err)?.detach();
        let message = format!(
            "Revert \"{}\" in {}\n\nThis reverts commit {} for {} only.\n",
            info.subject,
            crate::source::display(&path),
            info.id,
            crate::source::display(&path)
        );
        let commit = self.write_commit(&branch, Some(tip), tip, tree, &message, options)?;
        let done = format!(
            "reverted {} ({}) under {}",
            &info.id[..12],
            info.subject,
            crate::source::display(&path)
        );
        self.rollback_outcome(&branch, &path, Some(commit), done)
    }
}

/// The three-way line merge of a text file, as git's merge driver makes it:
/// the merged blob's id (written), or `None` when the changes overlap or a
/// side is binary (has a NUL byte).
fn merge_lines(
    repo: &gix::Repository,
    ancestor: gix::ObjectId,
    current: gix::ObjectId,
    other: gix::ObjectId,
) -> Result<Option<gix::ObjectId>, gix::Error> {
    use gix::merge::blob::{Resolution, builtin_driver};
    let read = |id: gix::ObjectId| -> Result<Vec<u8>, gix::Error> {
        Ok(repo.find_blob(id)?.detach().data)
    };
    let (ancestor, current, other) = (read(ancestor)?, read(current)?, read(other)?);
    if [&ancestor, &current, &other].iter().any(|d| d.contains(&0)) {
        return Ok(None);
    }
    let mut input = gix::diff::blob::InternedInput::default();
    let mut merged = Vec::new();
    let resolution = builtin_driver::text(
        &mut merged,
        &mut input,
        builtin_driver::text::Labels {
            ancestor: None,
            current: None,
            other: None,
        },
        &current,
        &ancestor,
        &other,
        builtin_driver::text::Options::default(),
    );
    if resolution != Resolution::Complete {
        return Ok(None);
    }
    Ok(Some(repo.write_blob(&merged)?.detach()))
}
