//! The history of a path: the commits that changed anything under it, newest
//! first, as `git log -- PATH` lists them (with Git's default history
//! simplification: a merge that takes the path unchanged from one parent is
//! not listed, and only that parent is followed).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashSet};

use serde::Serialize;

use super::{Repo, tree_path};
use crate::error::Error;

/// Options of [`Repo::history`].
#[derive(Debug, Clone, Default)]
pub struct HistoryOptions {
    /// Where to start (`HEAD` when `None`).
    pub rev: Option<String>,
    /// At most this many commits.
    pub max: Option<usize>,
    /// Only commits not reachable from this revision (`git log SINCE..REV`).
    pub since: Option<String>,
}

/// One commit of a path's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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
    /// The files under the path it added, changed or deleted (against its
    /// first parent), repository-relative, sorted.
    pub files: Vec<String>,
}

/// What is at a path in a commit: a tree or a blob, by id.
type At = Option<(gix::ObjectId, bool)>;

fn lookup(repo: &gix::Repository, tree: gix::ObjectId, path: &str) -> Result<At, gix::Error> {
    if path.is_empty() {
        return Ok(Some((tree, true)));
    }
    let tree = repo.find_tree(tree)?;
    Ok(tree
        .lookup_entry_by_path(path)?
        .map(|e| (e.object_id(), e.mode().is_tree())))
}

/// The files under `prefix` that differ between two versions of it.
fn changed_files(
    repo: &gix::Repository,
    prefix: &str,
    old: At,
    new: At,
    out: &mut Vec<String>,
) -> Result<(), gix::Error> {
    if old == new {
        return Ok(());
    }
    let entries = |at: At| -> Result<Vec<(String, gix::ObjectId, bool)>, gix::Error> {
        match at {
            Some((id, true)) => {
                let tree = repo.find_tree(id)?;
                let mut list = Vec::new();
                for entry in tree.iter() {
                    let entry = entry?;
                    if entry.inner.mode.is_commit() {
                        continue;
                    }
                    list.push((
                        entry.inner.filename.to_string(),
                        entry.inner.oid.to_owned(),
                        entry.inner.mode.is_tree(),
                    ));
                }
                Ok(list)
            }
            _ => Ok(Vec::new()),
        }
    };
    let (old_is_tree, new_is_tree) = (old.is_some_and(|o| o.1), new.is_some_and(|n| n.1));
    if !old_is_tree && !new_is_tree {
        out.push(prefix.to_owned());
        return Ok(());
    }
    if old.is_some() && !old_is_tree {
        out.push(prefix.to_owned());
    }
    if new.is_some() && !new_is_tree {
        out.push(prefix.to_owned());
    }
    let old_entries = entries(old)?;
    let new_entries = entries(new)?;
    let mut names: Vec<&str> = old_entries
        .iter()
        .chain(&new_entries)
        .map(|(n, _, _)| n.as_str())
        .collect();
    names.sort_unstable();
    names.dedup();
    for name in names {
        let find = |list: &[(String, gix::ObjectId, bool)]| {
            list.iter()
                .find(|(n, _, _)| n == name)
                .map(|(_, id, t)| (*id, *t))
        };
        let child = if prefix.is_empty() {
            name.to_owned()
        } else {
            format!("{prefix}/{name}")
        };
        changed_files(repo, &child, find(&old_entries), find(&new_entries), out)?;
    }
    Ok(())
}

fn format_time(time: gix::date::Time) -> String {
    time.format(gix::date::time::format::ISO8601_STRICT)
        .unwrap_or_else(|_| time.seconds.to_string())
}

impl Repo {
    /// The commits that changed anything under `path` (relative to the
    /// repository's root; `""` for all), newest first: the deployment audit
    /// log of an environment.
    pub fn history(&self, path: &str, options: &HistoryOptions) -> Result<Vec<CommitInfo>, Error> {
        let repo = self.local();
        let path = tree_path(path);
        let start = self.resolve_id(options.rev.as_deref().unwrap_or("HEAD"))?;
        let excluded = match &options.since {
            Some(since) => self.ancestors(&repo, self.resolve_id(since)?)?,
            None => HashSet::new(),
        };
        let err = |e: gix::Error| self.error(e);
        let mut queue = BinaryHeap::new();
        let mut seen = HashSet::new();
        let mut order = 0u64;
        let push =
            |queue: &mut BinaryHeap<_>, order: &mut u64, id: gix::ObjectId| -> Result<(), Error> {
                let time = repo.find_commit(id).and_then(|c| c.time()).map_err(err)?;
                *order += 1;
                queue.push((time.seconds, Reverse(*order), id));
                Ok(())
            };
        seen.insert(start);
        push(&mut queue, &mut order, start)?;
        let mut out = Vec::new();
        while let Some((_, _, id)) = queue.pop() {
            if options.max.is_some_and(|max| out.len() >= max) {
                break;
            }
            if excluded.contains(&id) {
                continue;
            }
            let commit = repo.find_commit(id).map_err(err)?;
            let tree = commit.tree_id().map_err(err)?.detach();
            let here = lookup(&repo, tree, &path).map_err(err)?;
            let parents: Vec<gix::ObjectId> = commit.parent_ids().map(|p| p.detach()).collect();
            let mut parent_at = Vec::with_capacity(parents.len());
            for parent in &parents {
                let parent_tree = repo
                    .find_commit(*parent)
                    .and_then(|c| c.tree_id())
                    .map_err(err)?
                    .detach();
                parent_at.push(lookup(&repo, parent_tree, &path).map_err(err)?);
            }
            let (include, follow): (bool, Vec<gix::ObjectId>) = match parents.len() {
                0 => (here.is_some(), Vec::new()),
                1 => (parent_at[0] != here, parents.clone()),
                _ => match parent_at.iter().position(|p| *p == here) {
                    // Unchanged from one parent: follow that parent only.
                    Some(i) => (false, vec![parents[i]]),
                    None => (true, parents.clone()),
                },
            };
            for parent in follow {
                if seen.insert(parent) {
                    push(&mut queue, &mut order, parent)?;
                }
            }
            if !include {
                continue;
            }
            let mut files = Vec::new();
            changed_files(
                &repo,
                &path,
                parent_at.first().copied().flatten(),
                here,
                &mut files,
            )
            .map_err(err)?;
            files.sort();
            files.dedup();
            let author = commit.author().map_err(err)?;
            let time = author.time().map_err(|e| self.error(e))?;
            let subject = commit
                .message()
                .map(|m| m.summary().to_string())
                .map_err(err)?;
            out.push(CommitInfo {
                id: id.to_string(),
                author: author.name.to_string(),
                email: author.email.to_string(),
                time: format_time(time),
                subject,
                files,
            });
        }
        Ok(out)
    }

    /// Every commit reachable from `tip`.
    fn ancestors(
        &self,
        repo: &gix::Repository,
        tip: gix::ObjectId,
    ) -> Result<HashSet<gix::ObjectId>, Error> {
        let mut seen = HashSet::new();
        let mut pending = vec![tip];
        while let Some(id) = pending.pop() {
            if !seen.insert(id) {
                continue;
            }
            let commit = repo.find_commit(id).map_err(|e| self.error(e))?;
            pending.extend(commit.parent_ids().map(|p| p.detach()));
        }
        Ok(seen)
    }
}
