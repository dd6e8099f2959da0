//! Files parsed once per render-all run: overlays that share a base read
//! its files again (so that every read is checked and recorded as usual)
//! but copy what was parsed for the first one (objects, or the
//! kustomization) instead of parsing the same text again. Where bases are
//! rendered once too ([`ParsedFiles::sharing_renders`]), a base's files are
//! read once, and a file is kept only from its second read on (a component
//! all overlays use is parsed twice, and no file read once is copied).
//!
//! Bounded: the latest files parsed are kept, up to [`TEXT_BUDGET`] bytes
//! of source text, so memory does not grow with the repository.
//! Render-all goes through overlays in path order, and overlays that share
//! a base are mostly neighbours (`apps/web/overlays/{dev,prod}`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use super::bounded::Bounded;
use super::kustomization::Kustomization;
use crate::error::Error;
use crate::resource::ManifestSet;
use crate::yaml::ParseLimits;

/// Source text kept at most, over all files (the parsed objects take
/// several times as much).
const TEXT_BUDGET: usize = 256 << 10;

/// Memory kept at most for rendered bases, as [`approximate_bytes`]
/// counts it; a larger base is not kept.
const RENDERED_BUDGET: usize = 1 << 20;

/// About how much memory a value takes: its text, and a few words for each
/// node.
fn approximate_bytes(value: &crate::yaml::Value) -> usize {
    use crate::yaml::Value;
    64 + match value {
        Value::String(s) => s.len(),
        Value::Seq(items) => items.iter().map(approximate_bytes).sum(),
        Value::Map(map) => map
            .iter()
            .map(|(k, v)| k.len() + approximate_bytes(v))
            .sum(),
        _ => 0,
    }
}

/// Files parsed, shared by the overlays (and threads) of one run: the text
/// each was parsed from, and what it parsed to; and, when asked for,
/// rendered bases.
pub(crate) struct ParsedFiles {
    kept: Mutex<Bounded<(String, Parsed)>>,
    /// Bases rendered, by folder, within [`RENDERED_BUDGET`]; `None` when
    /// renders are not shared.
    renders: Option<Mutex<Bounded<Arc<RenderedBase>>>>,
    /// How many more times each folder's render is expected to be asked
    /// for (the kustomizations that use it, counted when finding the
    /// overlays): the last one takes the kept render rather than a copy,
    /// and a render used once is not kept.
    uses_left: Mutex<HashMap<String, usize, foldhash::fast::RandomState>>,
}

impl Default for ParsedFiles {
    fn default() -> Self {
        ParsedFiles {
            kept: Mutex::new(Bounded::new(TEXT_BUDGET)),
            renders: None,
            uses_left: Mutex::default(),
        }
    }
}

/// A base as a `resources` entry renders it: what the including
/// kustomization gets, and whether it read a kind outside kyaml's scope
/// table (which a later `openapi` field needs to know).
pub(crate) struct RenderedBase {
    pub(crate) set: ManifestSet,
    pub(crate) config: super::Config,
    pub(crate) vars: super::vars::VarSet,
    pub(crate) reads_unknown_kinds: bool,
}

/// What a file was parsed as.
#[derive(Clone)]
enum Parsed {
    /// Parsed once, not kept (when bases are rendered once, most files are
    /// read once, and keeping them would cost a copy each): a file read a
    /// second time is kept from then on.
    Once,
    Objects(Arc<ManifestSet>),
    Kustomization(Arc<Kustomization>),
}

impl ParsedFiles {
    /// Files parsed once, and bases rendered once: for renders whose
    /// reads need not all be seen (not when a render cache or
    /// `changed_since` records them, nor for verify's notes).
    pub(crate) fn sharing_renders() -> Self {
        ParsedFiles {
            renders: Some(Mutex::new(Bounded::new(RENDERED_BUDGET))),
            ..ParsedFiles::default()
        }
    }

    /// Whether rendered bases are shared.
    pub(crate) fn shares_renders(&self) -> bool {
        self.renders.is_some()
    }

    /// Says how many kustomizations use each folder (`uses`), so that a
    /// kept render is handed over, not copied, to its last user.
    pub(crate) fn expect_uses(&self, uses: HashMap<String, usize, foldhash::fast::RandomState>) {
        *self
            .uses_left
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = uses;
    }

    /// One use of `dir`'s render: whether more are expected (`true` when
    /// the count is not known).
    fn use_once(&self, dir: &str) -> bool {
        let mut uses = self
            .uses_left
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        match uses.get_mut(dir) {
            Some(left) => {
                *left = left.saturating_sub(1);
                *left > 0
            }
            None => true,
        }
    }

    /// The base rendered from folder `dir` earlier in the run (taken out of
    /// the run's memory when this is its last expected use).
    pub(crate) fn rendered(&self, dir: &str) -> Option<Arc<RenderedBase>> {
        let renders = self.renders.as_ref()?;
        let mut renders = renders.lock().unwrap_or_else(PoisonError::into_inner);
        renders.get(dir)?;
        if self.use_once(dir) {
            renders.get(dir).cloned()
        } else {
            renders.remove(dir)
        }
    }

    /// Whether a render of `dir` just made is to be kept (renders are
    /// shared, and another use of it is expected); counts this use.
    pub(crate) fn keeps_rendered(&self, dir: &str) -> bool {
        self.renders.is_some() && self.use_once(dir)
    }

    /// Keeps the base rendered from `dir`.
    pub(crate) fn keep_rendered(&self, dir: &str, base: RenderedBase) {
        if let Some(renders) = &self.renders {
            let size = base.set.iter().map(|r| approximate_bytes(r.value())).sum();
            renders
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(dir, Arc::new(base), size);
        }
    }

    /// The objects of the resource file `path` whose text is `text`: a copy
    /// of an earlier parse of the same path and the same text, or parsed
    /// now (failures are not kept: each overlay reports its own).
    pub(crate) fn objects(&self, path: &str, text: &str) -> Result<ManifestSet, Error> {
        self.shared(
            path,
            text,
            |kept| match kept {
                Parsed::Objects(set) => Some(set),
                _ => None,
            },
            Parsed::Objects,
            || ManifestSet::from_yaml_keeping_local(text, path, &ParseLimits::default()),
        )
    }

    /// [`ParsedFiles::objects`] for a kustomization file.
    pub(crate) fn kustomization(&self, path: &str, text: &str) -> Result<Kustomization, Error> {
        self.shared(
            path,
            text,
            |kept| match kept {
                Parsed::Kustomization(k) => Some(k),
                _ => None,
            },
            Parsed::Kustomization,
            || Kustomization::parse(text, path),
        )
    }

    /// A copy of what `path` was parsed to earlier (`of` takes it out of
    /// what was kept), or `parse`'s result, kept (`kept_as`) as
    /// [`ParsedFiles::keeps`] says.
    fn shared<T: Clone>(
        &self,
        path: &str,
        text: &str,
        of: impl Fn(&Parsed) -> Option<&Arc<T>>,
        kept_as: impl FnOnce(Arc<T>) -> Parsed,
        parse: impl FnOnce() -> Result<T, Error>,
    ) -> Result<T, Error> {
        let earlier = self.kept(path, text);
        if let Some(parsed) = earlier.as_ref().and_then(&of) {
            return Ok((**parsed).clone());
        }
        let parsed = parse()?;
        let kept = if self.keeps(earlier.as_ref()) {
            kept_as(Arc::new(parsed.clone()))
        } else {
            Parsed::Once
        };
        self.keep(path, text, kept);
        Ok(parsed)
    }

    /// What `path` was parsed as, when its text was `text`.
    fn kept(&self, path: &str, text: &str) -> Option<Parsed> {
        let kept = self.kept.lock().unwrap_or_else(PoisonError::into_inner);
        match kept.get(path) {
            Some((kept_text, parsed)) if kept_text == text => Some(parsed.clone()),
            _ => None,
        }
    }

    /// Whether what a file parses to now is kept (a copy), given what was
    /// kept of it (`earlier`): always when bases are not rendered once
    /// (every overlay reads its bases' files again), else from its second
    /// read on.
    fn keeps(&self, earlier: Option<&Parsed>) -> bool {
        !self.shares_renders() || earlier.is_some()
    }

    fn keep(&self, path: &str, text: &str, parsed: Parsed) {
        let mut kept = self.kept.lock().unwrap_or_else(PoisonError::into_inner);
        kept.insert(path, (text.to_owned(), parsed), text.len());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CM: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  k: v\n";

    #[test]
    fn a_file_read_again_is_copied_and_a_changed_one_parsed_again() {
        let parsed = ParsedFiles::default();
        let first = parsed.objects("base/cm.yaml", CM).expect("parses");
        let again = parsed.objects("base/cm.yaml", CM).expect("copied");
        assert_eq!(first.to_yaml(), again.to_yaml());
        let changed = CM.replace("k: v", "k: w");
        let other = parsed.objects("base/cm.yaml", &changed).expect("parses");
        assert!(other.to_yaml().contains("k: w"), "{}", other.to_yaml());
        // A failure is reported every time, and not kept.
        for _ in 0..2 {
            assert!(parsed.objects("base/bad.yaml", "a: [").is_err());
        }
    }

    #[test]
    fn with_bases_rendered_once_a_file_is_kept_from_its_second_read() {
        let kind_kept = |parsed: &ParsedFiles| {
            let kept = parsed.kept.lock().expect("lock");
            match kept.get("base/cm.yaml") {
                Some((_, Parsed::Once)) => "once",
                Some((_, Parsed::Objects(_))) => "objects",
                Some((_, Parsed::Kustomization(_))) => "kustomization",
                None => "nothing",
            }
        };
        let sharing = ParsedFiles::sharing_renders();
        let first = sharing.objects("base/cm.yaml", CM).expect("parses");
        assert_eq!(kind_kept(&sharing), "once");
        let second = sharing.objects("base/cm.yaml", CM).expect("parses again");
        assert_eq!(kind_kept(&sharing), "objects");
        let third = sharing.objects("base/cm.yaml", CM).expect("copied");
        assert_eq!(first.to_yaml(), second.to_yaml());
        assert_eq!(first.to_yaml(), third.to_yaml());
        // Without shared renders, every overlay reads its bases again: kept
        // from the first read.
        let plain = ParsedFiles::default();
        plain.objects("base/cm.yaml", CM).expect("parses");
        assert_eq!(kind_kept(&plain), "objects");
    }

    #[test]
    fn a_kustomization_is_kept_apart_from_objects() {
        let parsed = ParsedFiles::default();
        let text = "resources:\n- cm.yaml\nnamePrefix: p-\n";
        let first = parsed
            .kustomization("k/kustomization.yaml", text)
            .expect("parses");
        let again = parsed
            .kustomization("k/kustomization.yaml", text)
            .expect("copied");
        assert_eq!(first, again);
        assert_eq!(
            again,
            Kustomization::parse(text, "k/kustomization.yaml").expect("parses")
        );
        // The same path and text asked for as objects is parsed as objects
        // (and is no object), then again as a kustomization.
        assert!(parsed.objects("k/kustomization.yaml", text).is_err());
        assert_eq!(
            parsed.kustomization("k/kustomization.yaml", text).ok(),
            Some(first)
        );
        assert!(
            parsed
                .kustomization("k/kustomization.yaml", "resource: []\n")
                .is_err()
        );
        // Objects kept under a path are not taken for its kustomization.
        assert!(parsed.objects("k/cm.yaml", CM).is_ok());
        assert!(parsed.kustomization("k/cm.yaml", CM).is_err());
    }

    #[test]
    fn rendered_bases_are_kept_by_their_size_in_memory() {
        let parsed = ParsedFiles::sharing_renders();
        let base = |text: &str| RenderedBase {
            set: ManifestSet::from_yaml(text, "base.yaml").expect("parses"),
            config: std::borrow::Cow::Borrowed(super::super::fieldspec::empty_config()),
            vars: Default::default(),
            reads_unknown_kinds: false,
        };
        parsed.keep_rendered("small", base(CM));
        assert!(parsed.rendered("small").is_some());
        // One object larger than the whole budget: not kept (counting
        // objects let a few huge ones hold gigabytes).
        let huge = format!("{CM}  big: \"{}\"\n", "x".repeat(RENDERED_BUDGET));
        parsed.keep_rendered("huge", base(&huge));
        assert!(parsed.rendered("huge").is_none());
        assert!(parsed.rendered("small").is_some());
        // Not sharing renders: nothing kept.
        let plain = ParsedFiles::default();
        plain.keep_rendered("small", base(CM));
        assert!(plain.rendered("small").is_none());
    }

    #[test]
    fn a_kept_render_goes_whole_to_its_last_expected_user() {
        let parsed = ParsedFiles::sharing_renders();
        let base = || RenderedBase {
            set: ManifestSet::from_yaml(CM, "base.yaml").expect("parses"),
            config: std::borrow::Cow::Borrowed(super::super::fieldspec::empty_config()),
            vars: Default::default(),
            reads_unknown_kinds: false,
        };
        let uses = [("shared", 3), ("once", 1)]
            .into_iter()
            .map(|(dir, n)| (dir.to_owned(), n))
            .collect();
        parsed.expect_uses(uses);
        // The first user renders it; two more are expected: kept.
        assert!(parsed.keeps_rendered("shared"));
        parsed.keep_rendered("shared", base());
        let second = parsed.rendered("shared").expect("kept");
        assert!(
            std::sync::Arc::strong_count(&second) > 1,
            "a copy is shared"
        );
        drop(second);
        // The last takes it out of the run's memory, so nothing copies it.
        let last = parsed.rendered("shared").expect("kept");
        assert_eq!(std::sync::Arc::strong_count(&last), 1);
        assert!(parsed.rendered("shared").is_none());
        // Used once: not kept at all. Unknown: kept, as always.
        assert!(!parsed.keeps_rendered("once"));
        assert!(parsed.keeps_rendered("elsewhere"));
        // Without shared renders nothing is kept, whatever the counts.
        assert!(!ParsedFiles::default().keeps_rendered("shared"));
    }

    #[test]
    fn the_text_kept_stays_within_its_budget() {
        let parsed = ParsedFiles::default();
        let big = format!("{CM}  pad: \"{}\"\n", "x".repeat(20_000));
        for i in 0..40 {
            parsed.objects(&format!("f{i}.yaml"), &big).expect("parses");
        }
        let kept = parsed.kept.lock().expect("lock");
        assert!(kept.size() <= TEXT_BUDGET, "{}", kept.size());
        // The latest files are the ones kept.
        assert!((30..40).all(|i| kept.get(&format!("f{i}.yaml")).is_some()));
        assert!(kept.get("f0.yaml").is_none());
    }
}
