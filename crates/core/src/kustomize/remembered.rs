//! A source that answers each question once per render-all run.
//!
//! Overlays that share a base look at the same folders and read the same
//! files again and again; so does finding the overlays, which reads every
//! kustomization the renders read next. Here each file is read from the
//! source once (while it is among the latest read, within [`READ_BUDGET`]
//! bytes) and each look-up made once (up to [`MAX_ANSWERS`] remembered at
//! a time), so a run costs far fewer system calls. A run takes the files as they are when it first looks at them;
//! failures are not remembered (they are asked again, and reported by each
//! overlay).

use std::sync::{Arc, Mutex, PoisonError};

use super::bounded::Bounded;
use crate::error::Error;
use crate::source::{EntryKind, ListedEntry, Source};

/// File bytes remembered at most.
const READ_BUDGET: usize = 1 << 20;

/// Look-up answers remembered at most, per kind of question (a path and
/// an answer, a hundred bytes or so each).
const MAX_ANSWERS: usize = 1 << 12;

/// `inner`, its answers remembered for the run.
pub(crate) struct Remembered<'s> {
    inner: &'s dyn Source,
    reads: Mutex<Bounded<Arc<Vec<u8>>>>,
    entries: Answers<Option<EntryKind>>,
    entries_no_follow: Answers<Option<(EntryKind, bool)>>,
    lists: Answers<Arc<Vec<String>>>,
    folder_ids: Answers<String>,
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
        // A walk lists each folder once: nothing to remember.
        self.inner.list_entries(path)
    }

    fn real_path(&self, path: &str) -> Result<String, Error> {
        self.inner.real_path(path)
    }

    fn is_symlink(&self, path: &str) -> bool {
        self.inner.is_symlink(path)
    }

    fn entry_no_follow(&self, path: &str) -> Option<(EntryKind, bool)> {
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
