//! The history of a path: the commits that changed anything under it, newest
//! first, as `git log -- PATH` lists them (with Git's default history
//! simplification: a merge that takes the path unchanged from one parent is
//! not listed, and only that parent is followed).

use std::cmp::Reverse;
use std::collections::BinaryHeap;

// Object ids are hashes already: these maps use their first bytes as is.
use gix::hashtable::{HashMap, HashSet};

use serde::Serialize;

use super::commit_graph::{CommitGraph, PathKeys};
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

/// What is at the rest of a path below a tree, per tree, for each length of
/// that rest (index: length - 1).
type Memo = Vec<HashMap<gix::ObjectId, At>>;

/// What is at `components` below `tree`. Subtrees are shared by many
/// commits (a commit changes one environment, the others keep their tree
/// ids), so answers are remembered per (tree, depth): most lookups decode
/// only the trees a commit changed.
fn lookup_components(
    repo: &gix::Repository,
    tree: gix::ObjectId,
    components: &[&str],
    memo: &mut Memo,
) -> Result<At, gix::Error> {
    let Some((first, rest)) = components.split_first() else {
        return Ok(Some((tree, true)));
    };
    if memo.len() < components.len() {
        memo.resize_with(components.len(), HashMap::default);
    }
    let depth = components.len() - 1;
    if let Some(at) = memo[depth].get(&tree) {
        return Ok(*at);
    }
    let object = repo.find_tree(tree)?;
    let mut found = None;
    for entry in object.iter() {
        let entry = entry?;
        if entry.inner.filename == first.as_bytes() {
            found = Some((entry.inner.oid.to_owned(), entry.inner.mode.is_tree()));
            break;
        }
    }
    let at = match found {
        None => None,
        Some(hit) if rest.is_empty() => Some(hit),
        Some((id, true)) => lookup_components(repo, id, rest, memo)?,
        Some(_) => None,
    };
    memo[depth].insert(tree, at);
    Ok(at)
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

/// What the walk reads of a commit.
#[derive(Clone)]
struct CommitData {
    /// Committer time, for the newest-first order.
    time: i64,
    tree: gix::ObjectId,
    parents: Vec<gix::ObjectId>,
    /// Where the commit-graph has it.
    position: Option<u32>,
}

/// A commit's tree, parents and committer time, read in one pass over the
/// commit's headers (the message is not parsed).
fn read_commit(repo: &gix::Repository, id: gix::ObjectId) -> Result<CommitData, gix::Error> {
    use gix::objs::commit::ref_iter::Token;
    let commit = repo.find_commit(id)?;
    let (mut tree, mut parents, mut time) = (None, Vec::new(), None);
    for token in commit.iter() {
        match token? {
            Token::Tree { id } => tree = Some(id),
            Token::Parent { id } => parents.push(id),
            Token::Committer { signature } => {
                time = Some(signature.seconds());
                break;
            }
            _ => {}
        }
    }
    // A malformed commit: let gix's accessors name what is wrong.
    let tree = match tree {
        Some(tree) => tree,
        None => commit.tree_id()?.detach(),
    };
    let time = match time {
        Some(time) => time,
        None => commit.time()?.seconds,
    };
    Ok(CommitData {
        time,
        tree,
        parents,
        position: None,
    })
}

/// A history walk's caches: each commit is decoded once, and what is at the
/// path is looked up once per commit (as itself and as a parent).
struct Walk<'r> {
    repo: &'r gix::Repository,
    path: &'r str,
    graph: Option<CommitGraph>,
    /// The path's changed-path filter keys, when the graph has filters.
    keys: Option<PathKeys>,
    /// Commits decoded from their objects (those in the graph are read from
    /// it each time instead).
    commits: HashMap<gix::ObjectId, CommitData>,
    at: HashMap<gix::ObjectId, At>,
    memo: Memo,
}

impl Walk<'_> {
    /// What the walk needs of a commit: from the commit-graph (as cheap as
    /// a cache, so not kept), else decoded once and kept.
    fn commit(&mut self, id: gix::ObjectId) -> Result<CommitData, gix::Error> {
        if let Some(graph) = &self.graph
            && let Some(position) = graph.position(&id)
            && let Some(known) = graph.commit(position)
        {
            return Ok(CommitData {
                time: known.time,
                tree: known.tree,
                parents: known.parents,
                position: Some(position),
            });
        }
        if let Some(data) = self.commits.get(&id) {
            return Ok(data.clone());
        }
        let data = read_commit(self.repo, id)?;
        self.commits.insert(id, data.clone());
        Ok(data)
    }

    /// Whether the commit's changed-path filter shows that it did not change
    /// the path against its first parent (false when it may have, or when
    /// there is no filter to ask).
    fn certainly_unchanged(&self, commit: &CommitData) -> bool {
        let (Some(graph), Some(keys), Some(position)) = (&self.graph, &self.keys, commit.position)
        else {
            return false;
        };
        graph.may_have_changed(position, keys) == Some(false)
    }

    /// Every commit reachable from `tip`.
    fn ancestors(&mut self, tip: gix::ObjectId) -> Result<HashSet<gix::ObjectId>, gix::Error> {
        let mut seen = HashSet::default();
        let mut pending = vec![tip];
        while let Some(id) = pending.pop() {
            if seen.insert(id) {
                pending.extend(self.commit(id)?.parents.iter().copied());
            }
        }
        Ok(seen)
    }

    fn at(&mut self, id: gix::ObjectId) -> Result<At, gix::Error> {
        if let Some(at) = self.at.get(&id) {
            return Ok(*at);
        }
        let tree = self.commit(id)?.tree;
        let components: Vec<&str> = self.path.split('/').filter(|c| !c.is_empty()).collect();
        let at = lookup_components(self.repo, tree, &components, &mut self.memo)?;
        self.at.insert(id, at);
        Ok(at)
    }
}

/// The repository's commit-graph when git would use it (`core.commitGraph`
/// not false, no replaced objects, not a shallow clone), and the keys of
/// `path` when git would read its changed-path filters too
/// (`commitGraph.readChangedPaths` not false, `changedPathsVersion` not 0).
fn commit_graph(repo: &gix::Repository, path: &str) -> (Option<CommitGraph>, Option<PathKeys>) {
    let config = repo.config_snapshot();
    let usable = config.boolean("core.commitGraph") != Some(false)
        && repo.objects.store_ref().replacements().next().is_none()
        && !repo.is_shallow().unwrap_or(true);
    let graph = usable
        .then(|| {
            CommitGraph::open(
                repo.objects.store_ref().path(),
                repo.object_hash().len_in_bytes(),
            )
        })
        .flatten();
    let filters = graph.as_ref().is_some_and(CommitGraph::has_filters)
        && config.boolean("commitGraph.readChangedPaths") != Some(false)
        && config.integer("commitGraph.changedPathsVersion") != Some(0);
    let keys = filters.then(|| PathKeys::new(path)).flatten();
    (graph, keys)
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
        // gix's pack cache (on with its `max-performance` feature) keeps
        // recent delta bases: a commit's trees are deltas of its child's, so
        // walking newest-first resolves each with one inflate, not a chain.
        // No object cache: the walk remembers what it needs itself (see
        // `lookup_components`).
        let repo = self.local();
        let path = tree_path(path);
        let start = self.resolve_id(options.rev.as_deref().unwrap_or("HEAD"))?;
        let (graph, keys) = commit_graph(&repo, &path);
        let mut walk = Walk {
            repo: &repo,
            path: &path,
            graph,
            keys,
            commits: HashMap::default(),
            at: HashMap::default(),
            memo: Memo::new(),
        };
        let err = |e: gix::Error| self.error(e);
        let excluded = match &options.since {
            Some(since) => walk.ancestors(self.resolve_id(since)?).map_err(err)?,
            None => HashSet::default(),
        };
        // Changed-path filters answer most commits without reading a tree;
        // without them, every commit's trees are read: look the path up in
        // all of them first, on every core.
        if walk.keys.is_none() && options.max.is_none_or(|max| max > 64) {
            self.prefetch(&mut walk, start, &excluded).map_err(err)?;
        }
        let mut queue = BinaryHeap::new();
        let mut seen = HashSet::default();
        let mut order = 0u64;
        seen.insert(start);
        queue.push((walk.commit(start).map_err(err)?.time, Reverse(order), start));
        let mut out = Vec::new();
        while let Some((_, _, id)) = queue.pop() {
            if options.max.is_some_and(|max| out.len() >= max) {
                break;
            }
            if excluded.contains(&id) {
                continue;
            }
            let commit = walk.commit(id).map_err(err)?;
            let parents = &commit.parents;
            let (follow, looked_up) = if parents.len() == 1 && walk.certainly_unchanged(&commit) {
                // Same as its parent at the path, no tree read.
                (parents.clone(), None)
            } else {
                let here = walk.at(id).map_err(err)?;
                let mut parent_at = Vec::with_capacity(parents.len());
                for parent in parents {
                    parent_at.push(walk.at(*parent).map_err(err)?);
                }
                let (include, follow) = match parents.len() {
                    0 => (here.is_some(), Vec::new()),
                    1 => (parent_at[0] != here, parents.clone()),
                    _ => match parent_at.iter().position(|p| *p == here) {
                        // Unchanged from one parent: follow that parent only.
                        Some(i) => (false, vec![parents[i]]),
                        None => (true, parents.clone()),
                    },
                };
                (follow, include.then_some((here, parent_at)))
            };
            for parent in follow {
                if seen.insert(parent) {
                    order += 1;
                    let time = walk.commit(parent).map_err(err)?.time;
                    queue.push((time, Reverse(order), parent));
                }
            }
            let Some((here, parent_at)) = looked_up else {
                continue;
            };
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
            let commit = repo.find_commit(id).map_err(err)?;
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

    /// Reads every commit reachable from `start` (not `excluded`), then looks
    /// up the path in all of them on every core: reading trees is most of a
    /// history's cost, and each commit's lookup is independent.
    fn prefetch(
        &self,
        walk: &mut Walk<'_>,
        start: gix::ObjectId,
        excluded: &HashSet<gix::ObjectId>,
    ) -> Result<(), gix::Error> {
        // A pipeline, not a rayon map: this thread reads commits as the
        // workers look their trees up, each worker with its own repository
        // handle and memo of trees, so neither side waits for the other.
        type Batch = Vec<(gix::ObjectId, gix::ObjectId)>;
        let jobs = std::thread::available_parallelism().map_or(1, usize::from);
        let (sender, receiver) = std::sync::mpsc::channel::<Batch>();
        let receiver = std::sync::Mutex::new(receiver);
        let path = walk.path;
        let inner = &self.inner;
        let walked: Result<Vec<Vec<(gix::ObjectId, At)>>, gix::Error> =
            std::thread::scope(|scope| {
                // Workers look trees up while this thread reads commits.
                let workers: Vec<_> = (0..jobs)
                    .map(|_| {
                        let receiver = &receiver;
                        scope.spawn(move || -> Result<Vec<(gix::ObjectId, At)>, gix::Error> {
                            let repo = inner.to_thread_local();
                            let components: Vec<&str> =
                                path.split('/').filter(|c| !c.is_empty()).collect();
                            let mut memo = Memo::new();
                            let mut found = Vec::new();
                            loop {
                                let batch = receiver
                                    .lock()
                                    .map_err(|_| {
                                        gix::Error::from_error(gix::error::message(
                                            "a history worker failed",
                                        ))
                                    })?
                                    .recv();
                                let Ok(batch) = batch else { break };
                                for (id, tree) in batch {
                                    found.push((
                                        id,
                                        lookup_components(&repo, tree, &components, &mut memo)?,
                                    ));
                                }
                            }
                            Ok(found)
                        })
                    })
                    .collect();
                let mut pending = vec![start];
                let mut seen = HashSet::default();
                let mut batch = Vec::with_capacity(128);
                let mut read = Ok(());
                while let Some(id) = pending.pop() {
                    if !seen.insert(id) || excluded.contains(&id) {
                        continue;
                    }
                    match walk.commit(id) {
                        Ok(data) => {
                            batch.push((id, data.tree));
                            pending.extend(data.parents.iter().copied());
                        }
                        Err(e) => {
                            read = Err(e);
                            break;
                        }
                    }
                    if batch.len() == 128 {
                        let _ = sender.send(std::mem::replace(&mut batch, Vec::with_capacity(128)));
                    }
                }
                let _ = sender.send(batch);
                drop(sender);
                let results: Vec<_> = workers
                    .into_iter()
                    .map(|w| w.join().expect("a history thread does not panic"))
                    .collect();
                read?;
                results.into_iter().collect()
            });
        for part in walked? {
            walk.at.extend(part);
        }
        Ok(())
    }
}
