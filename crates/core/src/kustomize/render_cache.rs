//! A render cache for render-all, kept in a folder: each overlay's output
//! with everything its render asked of the files — the SHA-256 of each file
//! it read (its blob id when rendering a Git revision, which costs no read),
//! what each path it looked at was, each folder listing, each link it
//! resolved. An overlay whose answers are all the same again is not
//! rendered: it costs reading and hashing its inputs and reading the
//! objects back (kept as JSON of the values, which print back byte for
//! byte; the printed YAML would not always read back the same). Renders that fetched remote targets, and failures, are not
//! kept. A cache belongs to one trueup version (the version is in the key).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use sha2::Digest as _;

use super::{BuildNotes, BuildOptions, LoadRestrictor, RemoteAccess};
use crate::error::Error;
use crate::resource::{ManifestSet, Origin, Resource};
use crate::source::{EntryKind, Source};

/// A render cache: a folder of one entry per overlay and build options.
///
/// ```
/// use trueup_core::kustomize::{build_all, BuildAllOptions, RenderCache};
/// let dir = std::env::temp_dir().join(format!("trueup-cache-doc-{}", std::process::id()));
/// let repo = dir.join("repo/app");
/// std::fs::create_dir_all(&repo).unwrap();
/// std::fs::write(repo.join("kustomization.yaml"), "resources: [cm.yaml]\n").unwrap();
/// std::fs::write(repo.join("cm.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n").unwrap();
/// let options = BuildAllOptions { cache: Some(RenderCache::new(dir.join("cache"))), ..Default::default() };
/// let first = build_all(dir.join("repo"), &options).unwrap();
/// let again = build_all(dir.join("repo"), &options).unwrap();
/// assert_eq!(first[0].result.as_ref().unwrap().to_yaml(), again[0].result.as_ref().unwrap().to_yaml());
/// std::fs::remove_dir_all(&dir).unwrap();
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderCache {
    dir: PathBuf,
}

/// The format of an entry; bumped when it changes.
const FORMAT: u32 = 1;

/// Everything a render asked of its source, and what it rendered.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Entry {
    format: u32,
    /// Files read: path and SHA-256 (hex) of the bytes; `None` when the
    /// read failed.
    reads: BTreeMap<String, Option<String>>,
    /// Paths looked at (`entry`): what was there.
    entries: BTreeMap<String, Option<Kind>>,
    /// Paths looked at without following links: what was there, and
    /// whether it was a link.
    entries_no_follow: BTreeMap<String, Option<(Kind, bool)>>,
    /// Folders listed: SHA-256 of the names.
    lists: BTreeMap<String, Option<String>>,
    /// Real paths resolved.
    real_paths: BTreeMap<String, Option<String>>,
    /// Links asked about.
    links: BTreeMap<String, bool>,
    /// Folder identities asked for.
    folder_ids: BTreeMap<String, Option<String>>,
    /// The objects rendered, in order.
    objects: Vec<crate::yaml::Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
enum Kind {
    File,
    Dir,
}

impl From<EntryKind> for Kind {
    fn from(kind: EntryKind) -> Kind {
        match kind {
            EntryKind::File => Kind::File,
            EntryKind::Dir => Kind::Dir,
        }
    }
}

/// What a read of `path` is recorded as: the source's content id (a Git
/// blob id, learnt from the trees without reading the blob), else the
/// SHA-256 of its bytes (`bytes` when already read); `None` when it cannot
/// be read.
fn content_key(source: &dyn Source, path: &str, bytes: Option<&[u8]>) -> Option<String> {
    match (source.content_id(path), bytes) {
        (Some(id), _) => Some(id_key(&id)),
        (None, Some(bytes)) => Some(sha256_hex(bytes)),
        (None, None) => source.read(path).ok().map(|b| sha256_hex(&b)),
    }
}

/// How a content id is recorded: apart from any SHA-256.
fn id_key(id: &str) -> String {
    format!("git-blob:{id}")
}

/// The SHA-256 of `bytes`, in hexadecimal.
fn sha256_hex(bytes: &[u8]) -> String {
    super::remote::hex(&sha2::Sha256::digest(bytes))
}

fn list_hash(names: &[String]) -> String {
    sha256_hex(names.join("\0").as_bytes())
}

impl RenderCache {
    /// A cache kept in `dir` (made when first written).
    pub fn new(dir: impl Into<PathBuf>) -> RenderCache {
        RenderCache { dir: dir.into() }
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn entry_path(&self, overlay: &str, options: &BuildOptions) -> PathBuf {
        let key = format!(
            "{}\0{}\0{}\0{}",
            env!("CARGO_PKG_VERSION"),
            options.load_restrictor == LoadRestrictor::RootOnly,
            options.remote == RemoteAccess::Allowed,
            overlay
        );
        self.dir
            .join(format!("{}.json", &sha256_hex(key.as_bytes())[..32]))
    }

    /// The overlay's output, if an entry says so and every input is as it was.
    pub(crate) fn lookup(
        &self,
        source: &dyn Source,
        overlay: &str,
        options: &BuildOptions,
    ) -> Option<ManifestSet> {
        // Read as every file is: a regular file within the size limit.
        let path = self.entry_path(overlay, options);
        let text = crate::source::read_regular_file(&path, &path.to_string_lossy()).ok()?;
        let entry: Entry = serde_json::from_slice(&text).ok()?;
        if entry.format != FORMAT || !entry.still_holds(source) {
            return None;
        }
        from_values(entry.objects, overlay).ok()
    }

    /// Keeps a render: written to a temporary file and renamed, so that a
    /// reader sees a whole entry or none. A cache that cannot be written
    /// is not an error (the render stands).
    fn store(&self, overlay: &str, options: &BuildOptions, mut entry: Entry, set: &ManifestSet) {
        entry.format = FORMAT;
        entry.objects = set.iter().map(|r| r.value().clone()).collect();
        let Ok(json) = serde_json::to_vec(&entry) else {
            return;
        };
        if std::fs::create_dir_all(&self.dir).is_err() {
            return;
        }
        let path = self.entry_path(overlay, options);
        let temporary = path.with_extension(format!(
            "tmp{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        // A write that failed half-way (a full disk) leaves no file behind.
        if std::fs::write(&temporary, json).is_err() || std::fs::rename(&temporary, &path).is_err()
        {
            let _ = std::fs::remove_file(&temporary);
        }
    }
}

impl Entry {
    /// Whether `source` answers every recorded question as it did.
    fn still_holds(&self, source: &dyn Source) -> bool {
        self.entries
            .iter()
            .all(|(path, kind)| source.entry(path).map(Kind::from) == *kind)
            && self.entries_no_follow.iter().all(|(path, seen)| {
                source
                    .entry_no_follow(path)
                    .map(|(k, link)| (Kind::from(k), link))
                    == *seen
            })
            && self
                .links
                .iter()
                .all(|(path, link)| source.is_symlink(path) == *link)
            && self
                .real_paths
                .iter()
                .all(|(path, real)| source.real_path(path).ok() == *real)
            && self
                .folder_ids
                .iter()
                .all(|(path, id)| source.folder_id(path).ok() == *id)
            && self
                .lists
                .iter()
                .all(|(path, names)| source.list(path).ok().map(|n| list_hash(&n)) == *names)
            && self
                .reads
                .iter()
                .all(|(path, sum)| content_key(source, path, None) == *sum)
    }
}

/// The set of rendered objects kept in an entry.
fn from_values(values: Vec<crate::yaml::Value>, overlay: &str) -> Result<ManifestSet, Error> {
    let mut set = ManifestSet::new();
    for value in values {
        set.insert(Resource::new(value, Origin::default())?, overlay)?;
    }
    Ok(set)
}

/// Reads back what [`RenderCache`] keeps of a set: for tests of the round
/// trip (kept values print as the set printed).
#[doc(hidden)]
pub fn kept_round_trip(set: &ManifestSet) -> Result<ManifestSet, Error> {
    let json = serde_json::to_vec(&set.iter().map(|r| r.value().clone()).collect::<Vec<_>>())
        .map_err(|e| Error::overlay("render cache", e.to_string()))?;
    let values: Vec<crate::yaml::Value> =
        serde_json::from_slice(&json).map_err(|e| Error::overlay("render cache", e.to_string()))?;
    from_values(values, "render cache")
}

/// A source that records every question asked of it.
struct Recording<'s> {
    inner: &'s dyn Source,
    entry: Mutex<Entry>,
}

impl Recording<'_> {
    fn log(&self) -> std::sync::MutexGuard<'_, Entry> {
        self.entry.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Source for Recording<'_> {
    fn entry(&self, path: &str) -> Option<EntryKind> {
        let kind = self.inner.entry(path);
        self.log()
            .entries
            .insert(path.to_owned(), kind.map(Kind::from));
        kind
    }
    fn read(&self, path: &str) -> Result<Vec<u8>, Error> {
        let bytes = self.inner.read(path);
        let sum = match &bytes {
            Ok(b) => content_key(self.inner, path, Some(b)),
            Err(_) => None,
        };
        self.log().reads.insert(path.to_owned(), sum);
        bytes
    }
    fn content_id(&self, path: &str) -> Option<String> {
        self.inner.content_id(path)
    }
    fn list(&self, path: &str) -> Result<Vec<String>, Error> {
        let names = self.inner.list(path);
        let sum = names.as_ref().ok().map(|n| list_hash(n));
        self.log().lists.insert(path.to_owned(), sum);
        names
    }
    fn real_path(&self, path: &str) -> Result<String, Error> {
        let real = self.inner.real_path(path);
        self.log()
            .real_paths
            .insert(path.to_owned(), real.as_ref().ok().cloned());
        real
    }
    fn is_symlink(&self, path: &str) -> bool {
        let link = self.inner.is_symlink(path);
        self.log().links.insert(path.to_owned(), link);
        link
    }
    fn entry_no_follow(&self, path: &str) -> Option<(EntryKind, bool)> {
        let seen = self.inner.entry_no_follow(path);
        self.log().entries_no_follow.insert(
            path.to_owned(),
            seen.map(|(kind, link)| (Kind::from(kind), link)),
        );
        seen
    }
    fn folder_id(&self, path: &str) -> Result<String, Error> {
        let id = self.inner.folder_id(path);
        self.log()
            .folder_ids
            .insert(path.to_owned(), id.as_ref().ok().cloned());
        id
    }
}

/// Renders `dir` through the cache: its entry when every input is
/// unchanged, else a render (kept when it succeeded and read nothing
/// remote).
pub(crate) fn build_cached(
    cache: &RenderCache,
    source: &dyn Source,
    dir: &str,
    options: &BuildOptions,
    parsed: &super::ParsedFiles,
) -> Result<ManifestSet, Error> {
    if let Some(set) = cache.lookup(source, dir, options) {
        return Ok(set);
    }
    let recording = Recording {
        inner: source,
        entry: Mutex::new(Entry::default()),
    };
    let (set, notes): (ManifestSet, BuildNotes) =
        super::build_source_sharing(&recording, dir, options, Some(parsed))?;
    if !notes.remote {
        let entry = recording
            .entry
            .into_inner()
            .unwrap_or_else(|e| e.into_inner());
        cache.store(dir, options, entry, &set);
    }
    Ok(set)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MemorySource;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Files with content ids (as a Git tree has blob ids), reads counted.
    struct WithIds {
        files: MemorySource,
        reads: AtomicUsize,
    }

    impl Source for WithIds {
        fn entry(&self, path: &str) -> Option<EntryKind> {
            self.files.entry(path)
        }
        fn read(&self, path: &str) -> Result<Vec<u8>, Error> {
            self.reads.fetch_add(1, Ordering::Relaxed);
            self.files.read(path)
        }
        fn list(&self, path: &str) -> Result<Vec<String>, Error> {
            self.files.list(path)
        }
        fn content_id(&self, path: &str) -> Option<String> {
            self.files.read(path).ok().map(|b| sha256_hex(&b))
        }
    }

    #[test]
    fn a_lookup_with_content_ids_reads_no_file() {
        let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n";
        let source = WithIds {
            files: [
                ("app/kustomization.yaml", "resources: [cm.yaml]\n"),
                ("app/cm.yaml", cm),
            ]
            .into_iter()
            .collect(),
            reads: AtomicUsize::new(0),
        };
        let dir = std::env::temp_dir().join(format!("trueup-ids-{}", std::process::id()));
        let cache = RenderCache::new(&dir);
        let options = BuildOptions::default();
        let parsed = super::super::ParsedFiles::default();
        let rendered = build_cached(&cache, &source, "app", &options, &parsed).expect("renders");
        assert!(source.reads.load(Ordering::Relaxed) >= 2);
        source.reads.store(0, Ordering::Relaxed);
        let kept = cache.lookup(&source, "app", &options).expect("a hit");
        assert_eq!(kept.to_yaml(), rendered.to_yaml());
        assert_eq!(source.reads.load(Ordering::Relaxed), 0);
        std::fs::remove_dir_all(&dir).expect("cleans up");
    }
}
