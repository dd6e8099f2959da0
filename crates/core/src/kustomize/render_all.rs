//! Render-all: every overlay under a root (each folder with a kustomization
//! that no other kustomization under the root uses), rendered in parallel.
//! One overlay's failure is reported with its path and stops no other.

use std::sync::atomic::{AtomicUsize, Ordering};

use super::{BuildOptions, KUSTOMIZATION_FILE_NAMES};
use crate::error::Error;
use crate::resource::ManifestSet;
use crate::source::{self, EntryKind, Source};

/// Options of [`build_all`].
#[derive(Debug, Clone, Default)]
pub struct BuildAllOptions {
    /// How many overlays render at once; the number of cores when `None`.
    pub jobs: Option<usize>,
    /// The overlays to render (folders relative to the root); all of them
    /// when `None`.
    pub overlays: Option<Vec<String>>,
    /// Options of each build.
    pub build: BuildOptions,
    /// Called after each overlay renders, from the rendering thread, with
    /// how many are done and how many there are (a progress display).
    pub progress: Option<Progress>,
    /// Only the overlays of this shard (n CI jobs, one shard each, cover
    /// every overlay exactly once); all of them when `None`.
    pub shard: Option<Shard>,
    /// Only the overlays whose inputs (every file they read: bases,
    /// components, patches, generator files) changed since this Git
    /// revision, compared with the revision's files from Git objects; for
    /// [`build_all`] (a folder on disk inside a repository).
    pub changed_since: Option<String>,
    /// Where renders are kept, keyed by the content of every input: an
    /// overlay whose inputs did not change is read from there instead of
    /// rendered (not with `changed_since`).
    pub cache: Option<super::RenderCache>,
}

/// One of `count` deterministic parts of a set of overlays, by path: an
/// overlay is in shard `index` (from 1) when the SHA-256 of its path, as a
/// number, is `index - 1` modulo `count`. The same path is always in the
/// same shard, whatever else there is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// Which shard, from 1.
    pub index: usize,
    /// How many shards there are.
    pub count: usize,
}

impl Shard {
    /// Whether the overlay at `path` is in this shard.
    ///
    /// ```
    /// use trueup_core::kustomize::Shard;
    /// let shards: Vec<Shard> = (1..=3).map(|i| format!("{i}/3").parse().unwrap()).collect();
    /// let holding = shards.iter().filter(|s| s.holds("apps/web/prod")).count();
    /// assert_eq!(holding, 1);
    /// # Ok::<(), trueup_core::Error>(())
    /// ```
    pub fn holds(&self, path: &str) -> bool {
        use sha2::Digest as _;
        let digest = sha2::Sha256::digest(path.as_bytes());
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        let count = self.count.max(1) as u64;
        u64::from_be_bytes(first) % count == (self.index.saturating_sub(1)) as u64
    }
}

impl std::str::FromStr for Shard {
    type Err = Error;

    /// `INDEX/COUNT`, 1 ≤ INDEX ≤ COUNT (`2/4`).
    fn from_str(text: &str) -> Result<Shard, Error> {
        let bad = || {
            Error::overlay(
                "shard",
                format!("{text:?}: expected INDEX/COUNT with 1 <= INDEX <= COUNT (2/4)"),
            )
        };
        let (index, count) = text.split_once('/').ok_or_else(bad)?;
        let index: usize = index.trim().parse().map_err(|_| bad())?;
        let count: usize = count.trim().parse().map_err(|_| bad())?;
        if index == 0 || count == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

/// A progress callback of [`BuildAllOptions`]: `(done, total)`.
#[derive(Clone)]
pub struct Progress(std::sync::Arc<dyn Fn(usize, usize) + Send + Sync>);

impl Progress {
    /// Wraps a callback.
    pub fn new(callback: impl Fn(usize, usize) + Send + Sync + 'static) -> Self {
        Progress(std::sync::Arc::new(callback))
    }
}

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Progress(..)")
    }
}

/// The outcome of one overlay.
#[derive(Debug)]
pub struct OverlayResult {
    /// The overlay's folder, relative to the root.
    pub path: String,
    /// What it renders to, or why it does not.
    pub result: Result<ManifestSet, Error>,
}

/// Folders skipped when looking for overlays.
fn skipped(name: &str) -> bool {
    name.starts_with('.') || name == "node_modules" || name == "target"
}

/// How many folders render-all looks into at most: far above any GitOps
/// repository, low enough that a Git tree that references one subtree a
/// billion times ends with an error, not with the machine's memory.
const MAX_WALKED_FOLDERS: usize = 200_000;

/// A folder holding a kustomization: the file's path, `None` when there are
/// several (an error when it renders).
struct KustomizationDir {
    dir: String,
    file: Option<String>,
}

/// Every folder under `root` holding a kustomization file, sorted.
fn kustomization_dirs(source: &dyn Source, root: &str) -> Result<Vec<KustomizationDir>, Error> {
    let mut found = Vec::new();
    let mut pending = vec![root.to_owned()];
    let mut walked = 0usize;
    while let Some(dir) = pending.pop() {
        walked += 1;
        if walked > MAX_WALKED_FOLDERS {
            return Err(Error::overlay(
                source::display(root),
                format!(
                    "more than {MAX_WALKED_FOLDERS} folders to look through for kustomizations; name the overlays instead"
                ),
            ));
        }
        let mut files = Vec::new();
        // The listing says what each entry is, links not followed.
        for (name, kind) in source.list_entries(&dir)? {
            let path = source::normalize_join(&dir, &name);
            match kind {
                // A linked folder is never walked: it could lead out of the
                // root, back to an ancestor (an endless walk), or render one
                // overlay twice. A kustomization may still use it.
                Some((EntryKind::Dir, false)) if !skipped(&name) => pending.push(path),
                Some((EntryKind::File, _)) if KUSTOMIZATION_FILE_NAMES.contains(&name.as_str()) => {
                    files.push(path);
                }
                _ => {}
            }
        }
        if !files.is_empty() {
            let file = (files.len() == 1).then(|| files.remove(0));
            found.push(KustomizationDir { dir, file });
        }
    }
    found.sort_by(|a, b| a.dir.cmp(&b.dir));
    Ok(found)
}

/// The kustomization folders `kustomization` uses (its `resources`, `bases`
/// and `components` entries that are among `dirs`). Unreadable files use
/// nothing: their overlay reports the problem when it renders.
fn used_dirs<'d>(
    source: &dyn Source,
    kustomization: &KustomizationDir,
    dirs: &std::collections::HashSet<&'d str>,
) -> Vec<&'d str> {
    let Some(lists) = kustomization
        .file
        .as_ref()
        .and_then(|file| source.read(file).ok())
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| {
            crate::yaml::kustomization_string_lists(&text, &["resources", "bases", "components"])
                .ok()
        })
    else {
        return Vec::new();
    };
    lists
        .iter()
        .flatten()
        .filter_map(|entry| {
            dirs.get(source::normalize_join(&kustomization.dir, entry).as_str())
                .copied()
        })
        .collect()
}

/// The overlays under `root`: folders with a kustomization that no other
/// kustomization under `root` uses. Paths are relative to the source.
pub fn find_overlays(source: &dyn Source, root: &str) -> Result<Vec<String>, Error> {
    find_overlays_and_uses(source, root).map(|(overlays, _)| overlays)
}

/// How many kustomizations use each kustomization folder, by folder.
type Uses = std::collections::HashMap<String, usize, foldhash::fast::RandomState>;

/// [`find_overlays`], and how many kustomizations use each folder that
/// some kustomization uses.
fn find_overlays_and_uses(source: &dyn Source, root: &str) -> Result<(Vec<String>, Uses), Error> {
    let root = source::normalize(root);
    let found = kustomization_dirs(source, &root)?;
    let dirs: std::collections::HashSet<&str> = found.iter().map(|k| k.dir.as_str()).collect();
    let mut uses = Uses::default();
    for k in &found {
        for dir in used_dirs(source, k, &dirs) {
            *uses.entry(dir.to_owned()).or_default() += 1;
        }
    }
    let overlays = found
        .iter()
        .filter(|k| !uses.contains_key(k.dir.as_str()))
        .map(|k| k.dir.clone())
        .collect();
    Ok((overlays, uses))
}

/// Renders every overlay under `root` (see [`find_overlays`]) in parallel.
/// Results come in path order; paths are relative to `root`.
///
/// ```
/// use trueup_core::{MemorySource, kustomize::{build_all_source, BuildAllOptions}};
/// let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n";
/// let src: MemorySource = [
///     ("apps/web/base/kustomization.yaml", "resources: [cm.yaml]\n"),
///     ("apps/web/base/cm.yaml", cm),
///     ("apps/web/prod/kustomization.yaml", "resources: [../base]\nnamespace: prod\n"),
///     ("apps/web/dev/kustomization.yaml", "resources: [../base]\nnamespace: dev\n"),
/// ].into_iter().collect();
/// let results = build_all_source(&src, "", &BuildAllOptions::default()).unwrap();
/// let paths: Vec<&str> = results.iter().map(|r| r.path.as_str()).collect();
/// assert_eq!(paths, ["apps/web/dev", "apps/web/prod"]);
/// assert!(results.iter().all(|r| r.result.is_ok()));
/// ```
pub fn build_all_source(
    source: &dyn Source,
    root: &str,
    options: &BuildAllOptions,
) -> Result<Vec<OverlayResult>, Error> {
    let mut results = Vec::new();
    build_all_source_each(source, root, options, &mut |r| results.push(r))?;
    Ok(results)
}

/// [`build_all_source`], handing each overlay's result on as
/// [`build_all_each`] does. Returns how many were handed on.
pub fn build_all_source_each(
    source: &dyn Source,
    root: &str,
    options: &BuildAllOptions,
    each: &mut dyn FnMut(OverlayResult),
) -> Result<usize, Error> {
    if options.changed_since.is_some() {
        return Err(Error::overlay(
            "changed_since",
            "only for a folder on disk (build_all): it compares the files there with a Git revision",
        ));
    }
    let mut count = 0;
    render_selected(source, root, options, None, &mut |r| {
        count += 1;
        each(r);
    })?;
    Ok(count)
}

/// How many overlays render before their results are handed on: memory
/// holds at most this many results (per job), whatever the repository's size.
const CHUNK_PER_JOB: usize = 32;

/// [`build_all_source`], keeping only the overlays that read a file that
/// `baseline` says changed.
fn render_selected(
    source: &dyn Source,
    root: &str,
    options: &BuildAllOptions,
    baseline: Option<&super::changed::Baseline>,
    sink: &mut dyn FnMut(OverlayResult),
) -> Result<(), Error> {
    // Overlays look at the same files again and again: each question asked
    // of the disk (or Git) once per run.
    let remembered = super::remembered::Remembered::new(source);
    let source: &dyn Source = &remembered;
    let root = source::normalize(root);
    let (overlays, uses): (Vec<String>, Option<Uses>) = match &options.overlays {
        Some(list) => (
            list.iter()
                .map(|p| source::normalize_join(&root, p))
                .collect(),
            None,
        ),
        None => {
            let (overlays, uses) = find_overlays_and_uses(source, &root)?;
            (overlays, Some(uses))
        }
    };
    let overlays: Vec<String> = match options.shard {
        // By the path relative to the root, so a shard does not depend on
        // where the repository is.
        Some(shard) => overlays
            .into_iter()
            .filter(|dir| {
                let relative = dir
                    .strip_prefix(root.as_str())
                    .map_or(dir.as_str(), |r| r.trim_start_matches('/'));
                shard.holds(relative)
            })
            .collect(),
        None => overlays,
    };
    let jobs = options
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from))
        .clamp(1, overlays.len().max(1));
    let done = AtomicUsize::new(0);
    // Files shared by overlays (their bases) parsed once; bases rendered
    // once too, unless every read must be seen (a render cache or
    // changed-since records them).
    let parsed = if options.cache.is_some() || baseline.is_some() {
        super::ParsedFiles::default()
    } else {
        super::ParsedFiles::sharing_renders()
    };
    // A used folder's render is handed over to its last user, not copied.
    // Counts can be off (a shard leaves renders unused; a folder also named
    // as a transformer, or a base rendered again after it was forgotten,
    // takes uses not counted): a render is then kept longer, or rendered
    // again; what each overlay gets is the same.
    if let Some(uses) = uses {
        parsed.expect_uses(uses);
    }
    let render = |dir: &String| {
        let outcome = match baseline {
            // Which files the overlay reads, to tell whether any changed.
            Some(baseline) => {
                let (result, reads) =
                    super::changed::render_recording(source, dir, &options.build, &parsed);
                // One whose render fails before reading anything is kept,
                // so that the failure is seen.
                let changed = reads.is_empty() || reads.iter().any(|p| baseline.changed(p));
                changed.then_some(result)
            }
            None => Some(match &options.cache {
                Some(cache) => {
                    super::render_cache::build_cached(cache, source, dir, &options.build, &parsed)
                }
                None => super::build_source_sharing(source, dir, &options.build, Some(&parsed))
                    .map(|(set, _)| set),
            }),
        };
        let finished = done.fetch_add(1, Ordering::Relaxed) + 1;
        if let Some(Progress(report)) = &options.progress {
            report(finished, overlays.len());
        }
        outcome
    };
    let relative = |dir: &str| -> String {
        if root.is_empty() {
            dir.to_owned()
        } else if dir == root {
            String::new() // the root is itself an overlay
        } else {
            dir.strip_prefix(&format!("{root}/"))
                .unwrap_or(dir)
                .to_owned()
        }
    };
    // In chunks, in path order: results are handed on as each chunk ends.
    let pool = crate::parallel::pool(jobs);
    for chunk in overlays.chunks(jobs * CHUNK_PER_JOB) {
        let rendered = crate::parallel::map_in(pool.as_ref(), chunk, render);
        for (dir, result) in chunk.iter().zip(rendered) {
            if let Some(result) = result {
                sink(OverlayResult {
                    path: relative(dir),
                    result,
                });
            }
        }
    }
    Ok(())
}

/// The file name render-all gives an overlay's output: its path with `%`
/// written `%25` and `/` written `%2F`, so that no two overlays share a name
/// and no name is a folder another needs (`apps%2Fweb%2Fprod.yaml`); the
/// root overlay is `%2E`.
///
/// ```
/// use trueup_core::kustomize::output_file_name;
/// assert_eq!(output_file_name("apps/web/prod", "yaml"), "apps%2Fweb%2Fprod.yaml");
/// assert_eq!(output_file_name("", "json"), "%2E.json");
/// assert_ne!(output_file_name("a%2Fb", "yaml"), output_file_name("a/b", "yaml"));
/// ```
pub fn output_file_name(overlay: &str, extension: &str) -> String {
    if overlay.is_empty() {
        return format!("%2E.{extension}");
    }
    let mut name = String::with_capacity(overlay.len() + extension.len() + 8);
    for c in overlay.chars() {
        match c {
            '%' => name.push_str("%25"),
            '/' => name.push_str("%2F"),
            c => name.push(c),
        }
    }
    name.push('.');
    name.push_str(extension);
    name
}

/// [`build_all_source`] for a folder on disk.
pub fn build_all(
    root: impl AsRef<std::path::Path>,
    options: &BuildAllOptions,
) -> Result<Vec<OverlayResult>, Error> {
    let mut results = Vec::new();
    build_all_each(root, options, |r| results.push(r))?;
    Ok(results)
}

/// [`build_all`], handing each overlay's result to `each` in path order as
/// soon as its chunk of overlays has rendered, instead of keeping them all:
/// memory stays bounded whatever the number of overlays. Returns how many
/// were handed on.
pub fn build_all_each(
    root: impl AsRef<std::path::Path>,
    options: &BuildAllOptions,
    mut each: impl FnMut(OverlayResult),
) -> Result<usize, Error> {
    let root = root.as_ref();
    let shown = root.to_string_lossy();
    crate::kustomize::check_folder(root, &shown)?;
    let source = crate::source::DirSource::new(root);
    let names = crate::kustomize::folder_for_names(root);
    let baseline = options
        .changed_since
        .as_deref()
        .map(|rev| super::changed::Baseline::new(root, rev))
        .transpose()?;
    let mut count = 0;
    render_selected(&source, "", options, baseline.as_ref(), &mut |overlay| {
        count += 1;
        each(OverlayResult {
            result: overlay.result.map_err(|e| e.relative_to_folder(&names)),
            ..overlay
        });
    })
    .map_err(|e| e.relative_to_folder(&names))?;
    Ok(count)
}
