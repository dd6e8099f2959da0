//! Where files come from: a folder on disk, or an in-memory map of paths to
//! bytes (and, later, a Git tree). The renderer reads only through [`Source`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::Error;

/// The largest file a source reads, in bytes (64 MiB): far above any
/// manifest (the API server stores objects of at most ~1.5 MiB); a larger
/// file is refused before it is read.
pub const MAX_FILE_BYTES: u64 = 64 << 20;

/// What a path names in a source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    /// A file with bytes.
    File,
    /// A folder.
    Dir,
}

/// Read-only access to a tree of files.
///
/// Paths are relative, `/`-separated and normalized by [`normalize`]: no `.`
/// parts, and `..` only at the start (a path above the source's root).
pub trait Source: Send + Sync {
    /// What `path` is, or `None` when nothing is there.
    fn entry(&self, path: &str) -> Option<EntryKind>;

    /// The bytes of the file at `path`.
    fn read(&self, path: &str) -> Result<Vec<u8>, Error>;

    /// The names of the entries directly inside the folder at `path`, sorted.
    fn list(&self, path: &str) -> Result<Vec<String>, Error>;

    /// An identifier of the bytes of the file at `path` that changes
    /// whenever they do, known without reading them: a Git blob id. `None`
    /// when the source has none (a disk): its files are read and hashed.
    fn content_id(&self, _path: &str) -> Option<String> {
        None
    }

    /// [`Source::list`], each name with what [`Source::entry_no_follow`]
    /// says of it. Disks answer both with one look at the folder: a
    /// listing carries the type of each entry.
    fn list_entries(&self, path: &str) -> Result<Vec<ListedEntry>, Error> {
        Ok(self
            .list(path)?
            .into_iter()
            .map(|name| {
                let kind = self.entry_no_follow(&normalize_join(path, &name));
                (name, kind)
            })
            .collect())
    }

    /// The real path of `path`, with every symbolic link resolved, in a form
    /// that [`is_within`] can compare with other real paths of this source.
    /// Sources without links (memory, Git trees, which refuse to follow
    /// them) give the normalized path.
    fn real_path(&self, path: &str) -> Result<String, Error> {
        Ok(normalize(path))
    }

    /// Whether `path` is a symbolic link (not followed by walks).
    fn is_symlink(&self, _path: &str) -> bool {
        false
    }

    /// What `path` names once links are followed, and whether `path`
    /// itself is a link: one look at the disk for what is not a link.
    fn entry_no_follow(&self, path: &str) -> Option<(EntryKind, bool)> {
        self.entry(path).map(|kind| (kind, false))
    }

    /// What tells two paths to one folder apart from two folders: the
    /// device and inode on Unix disks, else the real path.
    fn folder_id(&self, path: &str) -> Result<String, Error> {
        self.real_path(path)
    }
}

/// An entry of a folder listing: its name, and what it is and whether it is
/// a link ([`Source::entry_no_follow`]), `None` when it is gone.
pub type ListedEntry = (String, Option<(EntryKind, bool)>);

/// A source that is `inner` in every way but how files are read: `read`
/// gets `inner` and the path (one file replaced by its edit, reads
/// recorded...).
pub(crate) struct ReadVia<'s, F> {
    inner: &'s dyn Source,
    read: F,
}

impl<'s, F> ReadVia<'s, F>
where
    F: Fn(&dyn Source, &str) -> Result<Vec<u8>, Error> + Send + Sync,
{
    /// `inner`, its files read through `read`.
    pub(crate) fn new(inner: &'s dyn Source, read: F) -> Self {
        ReadVia { inner, read }
    }
}

impl<F> Source for ReadVia<'_, F>
where
    F: Fn(&dyn Source, &str) -> Result<Vec<u8>, Error> + Send + Sync,
{
    fn entry(&self, path: &str) -> Option<EntryKind> {
        self.inner.entry(path)
    }
    fn read(&self, path: &str) -> Result<Vec<u8>, Error> {
        (self.read)(self.inner, path)
    }
    fn list(&self, path: &str) -> Result<Vec<String>, Error> {
        self.inner.list(path)
    }
    fn list_entries(&self, path: &str) -> Result<Vec<ListedEntry>, Error> {
        self.inner.list_entries(path)
    }
    fn real_path(&self, path: &str) -> Result<String, Error> {
        self.inner.real_path(path)
    }
    fn is_symlink(&self, path: &str) -> bool {
        self.inner.is_symlink(path)
    }
    fn entry_no_follow(&self, path: &str) -> Option<(EntryKind, bool)> {
        self.inner.entry_no_follow(path)
    }
    fn folder_id(&self, path: &str) -> Result<String, Error> {
        self.inner.folder_id(path)
    }
}

/// Joins `base` and `relative` and normalizes the result lexically:
/// `normalize_join("apps/web/overlays/prod", "../../base")` is `apps/web/base`.
pub fn normalize_join(base: &str, relative: &str) -> String {
    if relative.starts_with('/') {
        return normalize(relative);
    }
    if base.is_empty() {
        normalize(relative)
    } else if base != "/"
        && !relative.is_empty()
        && relative != ".."
        && !relative.starts_with("../")
        && is_normalized(base)
        && is_normalized(relative)
    {
        // Nothing to resolve across the seam (the usual case).
        [base, "/", relative].concat()
    } else {
        normalize(&format!("{base}/{relative}"))
    }
}

/// Normalizes a path lexically: drops `.` and empty parts, resolves `..`
/// against earlier parts. An absolute path keeps its leading `/`.
pub fn normalize(path: &str) -> String {
    if is_normalized(path) {
        return path.to_owned();
    }
    normalize_parts(path)
}

/// Whether [`normalize`] gives `path` back as it is: no empty or `.` part,
/// and `..` only at the start of a relative path.
fn is_normalized(path: &str) -> bool {
    let (absolute, rest) = match path.strip_prefix('/') {
        Some(rest) => (true, rest),
        None => (false, path),
    };
    if rest.is_empty() {
        return true;
    }
    // `..` stays only before any name, and only in a relative path.
    let mut climbing = !absolute;
    for part in rest.as_bytes().split(|&b| b == b'/') {
        match part {
            b"" | b"." => return false,
            b".." if climbing => {}
            b".." => return false,
            _ => climbing = false,
        }
    }
    true
}

fn normalize_parts(path: &str) -> String {
    let absolute = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => match parts.last() {
                Some(&last) if last != ".." => {
                    parts.pop();
                }
                _ if absolute => {}
                _ => parts.push(".."),
            },
            other => parts.push(other),
        }
    }
    let joined = parts.join("/");
    if absolute {
        format!("/{joined}")
    } else {
        joined
    }
}

/// The folder part of a normalized path (`""` for a top-level name).
pub fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(dir, _)| {
        if dir.is_empty() && path.starts_with('/') {
            "/"
        } else {
            dir
        }
    })
}

/// Whether `path` is `dir` or inside it (both normalized). The empty `dir`
/// (a source's root) holds every relative path that does not climb above it.
pub fn is_within(path: &str, dir: &str) -> bool {
    if dir.is_empty() {
        return !path.starts_with('/') && path != ".." && !path.starts_with("../");
    }
    path == dir
        || (path.starts_with(dir)
            && (dir.ends_with('/') || path.as_bytes().get(dir.len()) == Some(&b'/')))
}

/// Files in a folder on disk. Paths are relative to the folder; `..` reaches
/// above it, as a kustomization may for its bases.
#[derive(Debug, Clone)]
pub struct DirSource {
    root: PathBuf,
}

impl DirSource {
    /// The entries of the folder at `path`; errors name it.
    fn read_dir(&self, path: &str) -> Result<Vec<std::fs::DirEntry>, Error> {
        std::fs::read_dir(self.full(path))
            .and_then(|entries| entries.collect())
            .map_err(|e| Error::io(display(path), e))
    }

    /// A source rooted at `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        DirSource { root: root.into() }
    }

    /// The folder this source reads.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn full(&self, path: &str) -> PathBuf {
        if path.starts_with('/') {
            PathBuf::from(path)
        } else if path.is_empty() {
            self.root.clone()
        } else {
            self.root.join(path)
        }
    }
}

impl Source for DirSource {
    fn entry(&self, path: &str) -> Option<EntryKind> {
        let meta = std::fs::metadata(self.full(path)).ok()?;
        Some(if meta.is_dir() {
            EntryKind::Dir
        } else {
            EntryKind::File
        })
    }

    /// Reads a regular file (as `read_regular_file` does).
    fn read(&self, path: &str) -> Result<Vec<u8>, Error> {
        read_regular_file(&self.full(path), display(path))
    }

    /// The canonical absolute path (`std::fs::canonicalize`); a loop of
    /// links is reported as one.
    fn real_path(&self, path: &str) -> Result<String, Error> {
        match std::fs::canonicalize(self.full(path)) {
            Ok(real) => Ok(real.to_string_lossy().into_owned()),
            Err(e) if e.raw_os_error() == Some(LINK_LOOP) => Err(Error::io(
                display(path),
                std::io::Error::other("symbolic links form a cycle"),
            )),
            Err(e) => Err(Error::io(display(path), e)),
        }
    }

    fn is_symlink(&self, path: &str) -> bool {
        std::fs::symlink_metadata(self.full(path)).is_ok_and(|m| m.file_type().is_symlink())
    }

    fn entry_no_follow(&self, path: &str) -> Option<(EntryKind, bool)> {
        let meta = std::fs::symlink_metadata(self.full(path)).ok()?;
        if meta.file_type().is_symlink() {
            return self.entry(path).map(|kind| (kind, true));
        }
        Some((
            if meta.is_dir() {
                EntryKind::Dir
            } else {
                EntryKind::File
            },
            false,
        ))
    }

    #[cfg(unix)]
    fn folder_id(&self, path: &str) -> Result<String, Error> {
        use std::os::unix::fs::MetadataExt;
        let meta = std::fs::metadata(self.full(path)).map_err(|e| Error::io(display(path), e))?;
        Ok(format!("{}:{}", meta.dev(), meta.ino()))
    }

    fn list(&self, path: &str) -> Result<Vec<String>, Error> {
        let mut names = Vec::new();
        for entry in self.read_dir(path)? {
            names.push(entry.file_name().to_string_lossy().into_owned());
        }
        names.sort();
        Ok(names)
    }

    /// The types come with the listing; only links are looked at again.
    fn list_entries(&self, path: &str) -> Result<Vec<ListedEntry>, Error> {
        let mut listed = Vec::new();
        for entry in self.read_dir(path)? {
            let name = entry.file_name().to_string_lossy().into_owned();
            let kind = match entry.file_type() {
                Ok(t) if t.is_symlink() => self
                    .entry(&normalize_join(path, &name))
                    .map(|kind| (kind, true)),
                Ok(t) if t.is_dir() => Some((EntryKind::Dir, false)),
                Ok(_) => Some((EntryKind::File, false)),
                Err(_) => None,
            };
            listed.push((name, kind));
        }
        listed.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(listed)
    }
}

/// `ELOOP`: too many levels of symbolic links (Linux and the BSDs differ;
/// 40 on Linux, 62 on macOS).
#[cfg(target_os = "linux")]
const LINK_LOOP: i32 = 40;
#[cfg(not(target_os = "linux"))]
const LINK_LOOP: i32 = 62;

/// `O_NONBLOCK` where its value is known: Linux on these architectures.
const O_NONBLOCK: Option<i32> = if cfg!(all(
    target_os = "linux",
    any(
        target_arch = "x86_64",
        target_arch = "x86",
        target_arch = "aarch64",
        target_arch = "arm",
        target_arch = "riscv64"
    )
)) {
    Some(0o4000)
} else {
    None
};

/// Reads the regular file at `full` (named `shown` in errors): a device,
/// pipe or socket is refused (reading `/dev/zero` or a FIFO would never
/// end), and so is a file over [`MAX_FILE_BYTES`], before it is read.
pub(crate) fn read_regular_file(full: &Path, shown: &str) -> Result<Vec<u8>, Error> {
    use std::io::Read;
    let err = |e| Error::io(shown, e);
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    // Opening a pipe would wait for a writer: open without waiting
    // where the flag is known, else look before opening.
    match O_NONBLOCK {
        #[cfg(unix)]
        Some(flag) => {
            std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, flag);
        }
        _ => {
            if !std::fs::metadata(full).map_err(err)?.is_file() {
                return Err(err(std::io::Error::other("not a regular file")));
            }
        }
    }
    let file = options.open(full).map_err(err)?;
    let meta = file.metadata().map_err(err)?;
    if !meta.is_file() {
        return Err(err(std::io::Error::other("not a regular file")));
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(err(std::io::Error::other(format!(
            "{} bytes, over the {MAX_FILE_BYTES}-byte file limit",
            meta.len()
        ))));
    }
    let len = usize::try_from(meta.len()).unwrap_or(0);
    if len == 0 {
        // Files that report no size (procfs) are read to their end.
        let mut bytes = Vec::new();
        file.take(MAX_FILE_BYTES)
            .read_to_end(&mut bytes)
            .map_err(err)?;
        return Ok(bytes);
    }
    // The size fstat gave, read without a last call to learn that the end
    // was reached; a file that shrank meanwhile ends early.
    let mut bytes = vec![0; len];
    let mut filled = 0;
    let mut file = file;
    while filled < len {
        match file.read(&mut bytes[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(err(e)),
        }
    }
    bytes.truncate(filled);
    Ok(bytes)
}

/// How a path is shown in messages: `.` for the root.
pub(crate) fn display(path: &str) -> &str {
    if path.is_empty() { "." } else { path }
}

/// Files held in memory: a map from normalized path to bytes. Folders are
/// implied by the files under them.
///
/// ```
/// use trueup_core::{MemorySource, Source, EntryKind};
/// let mut src = MemorySource::new();
/// src.insert("base/kustomization.yaml", "resources: [cm.yaml]\n");
/// assert_eq!(src.entry("base"), Some(EntryKind::Dir));
/// assert_eq!(src.entry("base/kustomization.yaml"), Some(EntryKind::File));
/// ```
#[derive(Debug, Clone, Default)]
pub struct MemorySource {
    files: BTreeMap<String, Vec<u8>>,
}

impl MemorySource {
    /// An empty source.
    pub fn new() -> Self {
        MemorySource::default()
    }

    /// Adds or replaces the file at `path`.
    pub fn insert(&mut self, path: &str, bytes: impl Into<Vec<u8>>) {
        self.files.insert(normalize(path), bytes.into());
    }
}

impl<P: AsRef<str>, B: Into<Vec<u8>>> FromIterator<(P, B)> for MemorySource {
    fn from_iter<I: IntoIterator<Item = (P, B)>>(iter: I) -> Self {
        let mut src = MemorySource::new();
        for (p, b) in iter {
            src.insert(p.as_ref(), b);
        }
        src
    }
}

impl Source for MemorySource {
    fn entry(&self, path: &str) -> Option<EntryKind> {
        if self.files.contains_key(path) {
            return Some(EntryKind::File);
        }
        let prefix = if path.is_empty() {
            String::new()
        } else {
            format!("{path}/")
        };
        self.files
            .range(prefix.clone()..)
            .next()
            .filter(|(k, _)| k.starts_with(&prefix))
            .map(|_| EntryKind::Dir)
    }

    fn read(&self, path: &str) -> Result<Vec<u8>, Error> {
        self.files.get(path).cloned().ok_or_else(|| {
            Error::io(
                display(path),
                std::io::Error::new(std::io::ErrorKind::NotFound, "no such file in the source"),
            )
        })
    }

    fn list(&self, path: &str) -> Result<Vec<String>, Error> {
        let prefix = if path.is_empty() {
            String::new()
        } else {
            format!("{path}/")
        };
        let mut names: Vec<String> = self
            .files
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .filter_map(|(k, _)| k[prefix.len()..].split('/').next().map(str::to_owned))
            .collect();
        names.dedup();
        Ok(names)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_lexically() {
        assert_eq!(
            normalize_join("apps/web/overlays/prod", "../../base"),
            "apps/web/base"
        );
        assert_eq!(normalize_join("", "./a/./b/"), "a/b");
        assert_eq!(normalize_join("a", "../../x"), "../x");
        assert_eq!(normalize("/a/../../b"), "/b");
        assert_eq!(parent("a/b/c.yaml"), "a/b");
        assert_eq!(parent("c.yaml"), "");
    }

    #[test]
    fn within() {
        assert!(is_within("a/b/c", "a/b"));
        assert!(!is_within("a/bc", "a/b"));
        assert!(is_within("x", ""));
        assert!(!is_within("../x", ""));
        assert!(!is_within("../x", "a"));
        assert!(!is_within("/etc/passwd", ""));
        assert!(!is_within("..", ""));
        assert!(is_within("..data/x", ""));
    }

    /// A listing with kinds, from the folder listing, says what looking at
    /// each entry says: files, folders, links to either, dangling links.
    #[cfg(unix)]
    #[test]
    fn disk_listing_kinds_match_a_look_at_each_entry() {
        struct Plain<'a>(&'a DirSource);
        impl Source for Plain<'_> {
            fn entry(&self, path: &str) -> Option<EntryKind> {
                self.0.entry(path)
            }
            fn read(&self, path: &str) -> Result<Vec<u8>, Error> {
                self.0.read(path)
            }
            fn list(&self, path: &str) -> Result<Vec<String>, Error> {
                self.0.list(path)
            }
            fn entry_no_follow(&self, path: &str) -> Option<(EntryKind, bool)> {
                self.0.entry_no_follow(path)
            }
        }
        let dir = std::env::temp_dir().join(format!("trueup-list-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("sub/folder")).expect("folders");
        std::fs::write(dir.join("sub/file.yaml"), "a: 1\n").expect("file");
        let link = |target: &str, name: &str| {
            std::os::unix::fs::symlink(target, dir.join("sub").join(name)).expect("link");
        };
        link("file.yaml", "to-file");
        link("folder", "to-folder");
        link("missing", "dangling");
        let source = DirSource::new(&dir);
        let listed = source.list_entries("sub").expect("lists");
        assert_eq!(listed, Plain(&source).list_entries("sub").expect("lists"));
        assert_eq!(
            listed,
            vec![
                ("dangling".to_owned(), None),
                ("file.yaml".to_owned(), Some((EntryKind::File, false))),
                ("folder".to_owned(), Some((EntryKind::Dir, false))),
                ("to-file".to_owned(), Some((EntryKind::File, true))),
                ("to-folder".to_owned(), Some((EntryKind::Dir, true))),
            ]
        );
        std::fs::remove_dir_all(&dir).expect("cleans up");
    }

    #[test]
    fn paths_already_normal_are_kept_and_others_normalized() {
        let paths = [
            "",
            "/",
            "a",
            "a/b",
            "/a/b",
            "..",
            "../a",
            "../../a/b",
            "a/..",
            "a/../b",
            "./a",
            "a/.",
            "a//b",
            "a/",
            "/..",
            "/../a",
            "..a",
            "a/..b",
            "a/b/../../..",
            "...",
            "a/./b",
            "//a",
        ];
        for path in paths {
            assert_eq!(normalize(path), normalize_parts(path), "{path:?}");
            for base in ["", "/", "a", "a/b", "/a", "..", "../a", "a/", "./a"] {
                assert_eq!(
                    normalize_join(base, path),
                    if path.starts_with('/') || base.is_empty() {
                        normalize_parts(path)
                    } else {
                        normalize_parts(&format!("{base}/{path}"))
                    },
                    "{base:?} + {path:?}"
                );
            }
        }
    }

    #[test]
    fn a_file_is_read_whole_with_its_size_known() {
        let dir = std::env::temp_dir().join(format!("trueup-read-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("folder");
        for len in [0, 1, 4095, 4096, 100_000] {
            let bytes: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
            let file = dir.join("f");
            std::fs::write(&file, &bytes).expect("writes");
            assert_eq!(read_regular_file(&file, "f").expect("reads"), bytes);
        }
        std::fs::remove_dir_all(&dir).expect("cleans up");
    }

    #[test]
    fn memory_lists_children() {
        let src: MemorySource = [("a/x.yaml", "1"), ("a/b/y.yaml", "2"), ("c.yaml", "3")]
            .into_iter()
            .collect();
        assert_eq!(src.list("a").expect("dir"), ["b", "x.yaml"]);
        assert_eq!(src.list("").expect("root"), ["a", "c.yaml"]);
        assert_eq!(src.entry("a/b"), Some(EntryKind::Dir));
        assert_eq!(src.entry("a/z"), None);
    }
}
