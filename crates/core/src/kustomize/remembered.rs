//! A source that answers each question once per render-all run.
//!
//! Overlays that share a base look at the same folders and read the same
//! files again and again; so does finding the overlays, which reads every
//! kustomization the renders read next. Here each file is read from the
//! source once (while it is among the latest read, within [`READ_BUDGET`]
//! bytes) and each look-up made once (up to [`MAX_ANSWERS`] remembered at
//! a time), so a run costs far fewer system calls. Finding the overlays
//! lists every folder with the kind of each entry; the renders' look-ups of
//! names in those folders (is there a `kustomization.yml`? is this file a
//! link?) are answered from the listings. A run takes the files as they are
//! when it first looks at them; failures are not remembered (they are asked
//! again, and reported by each overlay).

use std::sync::{Arc, Mutex, PoisonError};

use super::bounded::Bounded;
use crate::error::Error;
use crate::source::{EntryKind, ListedEntry, Source};

/// File bytes remembered at most.
const READ_BUDGET: usize = 1 << 20;

/// Look-up answers remembered at most, per kind of question (a path and
/// an answer, a hundred bytes or so each).
const MAX_ANSWERS: usize = 1 << 12;

/// Folder listings remembered at most, in bytes (estimated).
const LISTING_BUDGET: usize = 1 << 20;

/// `inner`, its answers remembered for the run.
pub(crate) struct Remembered<'s> {
    inner: &'s dyn Source,
    reads: Mutex<Bounded<Arc<Vec<u8>>>>,
    entries: Answers<Option<EntryKind>>,
    entries_no_follow: Answers<Option<(EntryKind, bool)>>,
    lists: Answers<Arc<Vec<String>>>,
    folder_ids: Answers<String>,
    /// Listings with kinds, by folder: they answer look-ups of the names in
    /// them (finding overlays lists every folder the renders look in).
    listings: Mutex<Bounded<Arc<Vec<ListedEntry>>>>,
}

/// Answers to one kind of question, by path.
struct Answers<T>(Mutex<Bounded<T>>);

impl<T: Clone> Answers<T> {
    fn new() -> Self {
        Answers(Mutex::new(Bounded::new(MAX_ANSWERS)))
    }

    /// The remembered answer about `path`, or `ask`'s, remembered unless
    /// it is an error.
    fn get<E>(&self, path: &str, ask: impl FnOnce() -> Result<T, E>) -> Result<T, E> {
        if let Some(answer) = lock(&self.0).get(path) {
            return Ok(answer.clone());
        }
        let answer = ask()?;
        lock(&self.0).insert(path, answer.clone(), 1);
        Ok(answer)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<'s> Remembered<'s> {
    /// `inner`, remembering its answers from now on.
    pub(crate) fn new(inner: &'s dyn Source) -> Self {
        Remembered {
            inner,
            reads: Mutex::new(Bounded::new(READ_BUDGET)),
            entries: Answers::new(),
            entries_no_follow: Answers::new(),
            lists: Answers::new(),
            folder_ids: Answers::new(),
            listings: Mutex::new(Bounded::new(LISTING_BUDGET)),
        }
    }

    /// What the remembered listing of `path`'s folder says of it: `Some`
    /// of its entry (`None` inside when the name is not there), or `None`
    /// when no listing can tell. A name that is missing but matches a
    /// listed one ignoring case is asked of the source: on a file system
    /// that ignores case, the look-up finds it.
    #[allow(clippy::option_option)] // "cannot tell" and "not there" differ
    fn listed(&self, path: &str) -> Option<Option<(EntryKind, bool)>> {
        // Only paths relative to the source: `/x` is not in the listing of
        // the source's root (`""`).
        if path.starts_with('/') {
            return None;
        }
        let (folder, name) = match path.rsplit_once('/') {
            Some((folder, name)) => (folder, name),
            None if path.is_empty() => return None,
            None => ("", path),
        };
        if name.is_empty() || name == "." || name == ".." {
            return None;
        }
        // A name with U+FFFD may stand for bytes that are not UTF-8 on
        // disk: only the disk can tell.
        if name.contains('\u{FFFD}') {
            return None;
        }
        let listing = lock(&self.listings).get(folder).cloned()?;
        match listing.binary_search_by(|(listed, _)| listed.as_str().cmp(name)) {
            // A kind the listing could not tell (a dangling link) is asked.
            Ok(at) => listing[at].1.map(Some),
            Err(_) => {
                let unsure = !name.is_ascii()
                    || listing.iter().any(|(listed, _)| {
                        listed.eq_ignore_ascii_case(name) || listed.contains('\u{FFFD}')
                    });
                (!unsure).then_some(None)
            }
        }
    }
}

/// Never fails: for questions whose answer is not a `Result`.
enum Never {}

fn always<T>(answer: Result<T, Never>) -> T {
    match answer {
        Ok(answer) => answer,
        Err(never) => match never {},
    }
}

impl Source for Remembered<'_> {
    fn entry(&self, path: &str) -> Option<EntryKind> {
        if let Some(listed) = self.listed(path) {
            return listed.map(|(kind, _)| kind);
        }
        always(self.entries.get(path, || Ok(self.inner.entry(path))))
    }

    fn read(&self, path: &str) -> Result<Vec<u8>, Error> {
        if let Some(bytes) = lock(&self.reads).get(path) {
            return Ok(bytes.as_ref().clone());
        }
        let bytes = self.inner.read(path)?;
        let size = bytes.len();
        lock(&self.reads).insert(path, Arc::new(bytes.clone()), size);
        Ok(bytes)
    }

    fn list(&self, path: &str) -> Result<Vec<String>, Error> {
        self.lists
            .get(path, || self.inner.list(path).map(Arc::new))
            .map(|names| names.as_ref().clone())
    }

    fn list_entries(&self, path: &str) -> Result<Vec<ListedEntry>, Error> {
        if let Some(listing) = lock(&self.listings).get(path) {
            return Ok(listing.as_ref().clone());
        }
        let mut listing = self.inner.list_entries(path)?;
        // Sorted by name, as `listed` searches it.
        listing.sort_by(|a, b| a.0.cmp(&b.0));
        let size = listing
            .iter()
            .map(|(name, _)| name.len() + std::mem::size_of::<ListedEntry>())
            .sum::<usize>()
            + path.len();
        let listing = Arc::new(listing);
        lock(&self.listings).insert(path, Arc::clone(&listing), size);
        Ok(Arc::unwrap_or_clone(listing))
    }

    fn real_path(&self, path: &str) -> Result<String, Error> {
        self.inner.real_path(path)
    }

    fn is_symlink(&self, path: &str) -> bool {
        match self.listed(path) {
            Some(listed) => listed.is_some_and(|(_, link)| link),
            None => self.inner.is_symlink(path),
        }
    }

    fn entry_no_follow(&self, path: &str) -> Option<(EntryKind, bool)> {
        if let Some(listed) = self.listed(path) {
            return listed;
        }
        always(
            self.entries_no_follow
                .get(path, || Ok(self.inner.entry_no_follow(path))),
        )
    }

    fn folder_id(&self, path: &str) -> Result<String, Error> {
        self.folder_ids.get(path, || self.inner.folder_id(path))
    }

    fn content_id(&self, path: &str) -> Option<String> {
        self.inner.content_id(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MemorySource;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Files in memory, every question counted.
    struct Counted {
        files: MemorySource,
        asked: AtomicUsize,
    }

    impl Counted {
        fn ask(&self) {
            self.asked.fetch_add(1, Ordering::Relaxed);
        }
    }

    impl Source for Counted {
        fn entry(&self, path: &str) -> Option<EntryKind> {
            self.ask();
            self.files.entry(path)
        }
        fn read(&self, path: &str) -> Result<Vec<u8>, Error> {
            self.ask();
            self.files.read(path)
        }
        fn list(&self, path: &str) -> Result<Vec<String>, Error> {
            self.ask();
            self.files.list(path)
        }
    }

    #[test]
    fn each_question_reaches_the_source_once_and_failures_every_time() {
        let counted = Counted {
            files: [
                ("base/cm.yaml", "a: 1\n"),
                ("base/kustomization.yaml", "resources: []\n"),
            ]
            .into_iter()
            .collect(),
            asked: AtomicUsize::new(0),
        };
        let remembered = Remembered::new(&counted);
        for _ in 0..3 {
            assert_eq!(remembered.read("base/cm.yaml").expect("reads"), b"a: 1\n");
            assert_eq!(remembered.entry("base"), Some(EntryKind::Dir));
            assert_eq!(remembered.entry("gone"), None);
            assert_eq!(remembered.list("base").expect("lists").len(), 2);
        }
        assert_eq!(counted.asked.load(Ordering::Relaxed), 4);
        for _ in 0..3 {
            assert!(remembered.read("gone.yaml").is_err());
        }
        assert_eq!(counted.asked.load(Ordering::Relaxed), 7);
    }

    /// Once folders are listed, look-ups of names in them are answered from
    /// the listings, exactly as the disk answers them.
    #[cfg(unix)]
    #[test]
    fn look_ups_answered_from_listings_match_the_disk() {
        use crate::source::DirSource;
        let dir = std::env::temp_dir().join(format!("trueup-listed-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("app/folder")).expect("folders");
        std::fs::write(dir.join("app/kustomization.yaml"), "resources: []\n").expect("file");
        std::fs::write(dir.join("app/Deploy.yaml"), "a: 1\n").expect("file");
        let link = |target: &str, name: &str| {
            std::os::unix::fs::symlink(target, dir.join("app").join(name)).expect("link");
        };
        link("kustomization.yaml", "to-file");
        link("folder", "to-folder");
        link("missing", "dangling");
        let disk = DirSource::new(&dir);
        let remembered = Remembered::new(&disk);
        for folder in ["", "app", "app/folder"] {
            remembered.list_entries(folder).expect("lists");
        }
        let paths = [
            "app",
            "app/kustomization.yaml",
            "app/kustomization.yml",
            "app/Kustomization",
            "app/folder",
            "app/to-file",
            "app/to-folder",
            "app/dangling",
            "app/deploy.yaml",
            "app/Deploy.yaml",
            "app/folder/none",
            "app/nowhere/none",
            "app/to-folder/none",
            "../app",
            "/app",
            "/tmp",
            "/",
            "app/..",
            "app/\u{FFFD}.yaml",
        ];
        for _ in 0..2 {
            for path in paths {
                assert_eq!(remembered.entry(path), disk.entry(path), "entry {path}");
                assert_eq!(
                    remembered.entry_no_follow(path),
                    disk.entry_no_follow(path),
                    "entry_no_follow {path}"
                );
                assert_eq!(
                    remembered.is_symlink(path),
                    disk.is_symlink(path),
                    "is_symlink {path}"
                );
            }
        }
        // Names the listing holds, or lacks without a near match, are
        // answered without the source; others are not.
        assert_eq!(
            remembered.listed("app/kustomization.yaml"),
            Some(Some((EntryKind::File, false)))
        );
        assert_eq!(remembered.listed("app/kustomization.yml"), Some(None));
        assert_eq!(remembered.listed("app/deploy.yaml"), None, "case differs");
        assert_eq!(remembered.listed("app/dangling"), None, "kind unknown");
        assert_eq!(remembered.listed("app/nowhere/none"), None, "not listed");
        assert_eq!(remembered.listed("/app"), None, "absolute");
        std::fs::remove_dir_all(&dir).expect("cleans up");
    }

    #[test]
    fn a_render_all_through_it_renders_as_without() {
        let files: MemorySource = [
            ("apps/base/kustomization.yaml", "resources: [cm.yaml]\n"),
            (
                "apps/base/cm.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n",
            ),
            (
                "apps/dev/kustomization.yaml",
                "resources: [../base]\nnamePrefix: dev-\n",
            ),
            (
                "apps/prod/kustomization.yaml",
                "resources: [../base]\nnamespace: prod\n",
            ),
        ]
        .into_iter()
        .collect();
        let print = |source: &dyn Source| -> Vec<String> {
            super::super::build_all_source(source, "apps", &Default::default())
                .expect("walks")
                .into_iter()
                .map(|r| r.result.expect("renders").to_yaml())
                .collect()
        };
        let direct: Vec<String> = ["apps/dev", "apps/prod"]
            .iter()
            .map(|dir| {
                super::super::build_source(&files, dir)
                    .expect("renders")
                    .to_yaml()
            })
            .collect();
        assert_eq!(print(&Remembered::new(&files)), direct);
        assert_eq!(print(&files), direct);
    }
}
