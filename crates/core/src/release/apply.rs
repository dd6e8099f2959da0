//! Applying a release to an environment's overlay: the images the overlay
//! renders are pinned to the release's digests in its `kustomization.yaml`
//! ([`super::edit`]), and `release-manifest.ref` next to it records the
//! release. Everything is worked out, rendered and checked before anything
//! is written; a file that needs no change is not written.

use std::path::Path;

use super::edit::{Kustomization, Pin};
use super::{ReleaseManifest, images_in, split_reference};
use crate::error::Error;
use crate::kustomize::{build_source, find_kustomization};
use crate::source::{self, DirSource, EntryKind, Source};

/// The file next to an overlay's kustomization that names the release it runs.
pub const RELEASE_REF_FILE: &str = "release-manifest.ref";

/// Options of [`apply_release`].
#[derive(Debug, Clone)]
pub struct ApplyOptions {
    /// Write the changed files (atomically: a temporary file renamed over
    /// the old one). `false` only works out the edits (a dry run).
    pub write: bool,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        ApplyOptions { write: true }
    }
}

/// A change to one file: its path, its bytes before (`None`: it is new)
/// and after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileEdit {
    /// The file, as the caller named its folder.
    pub path: String,
    /// The bytes before, `None` for a new file.
    pub old: Option<Vec<u8>>,
    /// The bytes after.
    pub new: Vec<u8>,
}

impl FileEdit {
    /// The change as a unified diff (`--- a/PATH`, `+++ b/PATH`).
    pub fn unified_diff(&self) -> String {
        let old = String::from_utf8_lossy(self.old.as_deref().unwrap_or_default());
        let new = String::from_utf8_lossy(&self.new);
        let old_name = if self.old.is_some() {
            format!("a/{}", self.path)
        } else {
            "/dev/null".to_owned()
        };
        similar::TextDiff::from_lines(old.as_ref(), new.as_ref())
            .unified_diff()
            .context_radius(3)
            .header(&old_name, &format!("b/{}", self.path))
            .to_string()
    }
}

/// The edits that apply `release` to the overlay in folder `dir` of
/// `source` (a folder on disk, a Git tree...), paths as the source names
/// them; nothing is written. The release must verify; the overlay must
/// render before and after.
pub fn apply_release_source(
    release: &ReleaseManifest,
    source: &dyn Source,
    dir: &str,
) -> Result<Vec<FileEdit>, Error> {
    plan_release(release, source, dir, None).map(|(edits, _)| edits)
}

/// [`apply_release_source`] given the overlay's render when the caller has
/// it already; also returns the overlay's render after the edit (`None`
/// when its kustomization needs no change).
pub(crate) fn plan_release(
    release: &ReleaseManifest,
    source: &dyn Source,
    dir: &str,
    rendered: Option<&crate::resource::ManifestSet>,
) -> Result<(Vec<FileEdit>, Option<crate::resource::ManifestSet>), Error> {
    let problems = release.verify();
    if !problems.is_empty() {
        let listed: Vec<String> = problems.iter().map(ToString::to_string).collect();
        return Err(Error::release(
            release_label(release),
            format!("the release is not valid: {}", listed.join("; ")),
        ));
    }
    let dir = source::normalize(dir);
    let file = find_kustomization(source, &dir)?;
    let no_link = |path: &str| {
        if source.is_symlink(path) {
            Err(Error::release(
                source::display(path),
                "is a symbolic link; a release edits files, not links",
            ))
        } else {
            Ok(())
        }
    };
    no_link(&file)?;
    let bytes = source.read(&file)?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| Error::release(source::display(&file), "is not UTF-8 text"))?;
    let rendered = match rendered {
        Some(rendered) => std::borrow::Cow::Borrowed(rendered),
        None => std::borrow::Cow::Owned(build_source(source, &dir)?),
    };
    let used: std::collections::HashSet<String> = images_in(&rendered)
        .iter()
        .map(|image| split_reference(image).0.to_owned())
        .collect();
    let pins: Vec<Pin<'_>> = release
        .images
        .iter()
        .filter(|image| used.contains(&image.name))
        .filter_map(|image| {
            Some(Pin {
                name: &image.name,
                digest: image.digest.as_deref()?,
            })
        })
        .collect();
    let kustomization = Kustomization::read(text, source::display(&file))?;
    let new_text = kustomization.pin(&pins, source::display(&file))?;
    let mut edits = Vec::new();
    let mut rendered_after = None;
    if new_text != text {
        // The overlay as it will be: the kustomization's bytes replaced.
        let edited = source::ReadVia::new(source, |inner: &dyn Source, path: &str| {
            if source::normalize(path) == *file {
                Ok(new_text.clone().into_bytes())
            } else {
                inner.read(path)
            }
        });
        let after = build_source(&edited, &dir).map_err(|e| {
            Error::release(
                source::display(&file),
                format!("the edited kustomization does not render: {e}"),
            )
        })?;
        for image in images_in(&after) {
            let (name, _, digest) = split_reference(&image);
            if let Some(pin) = pins.iter().find(|p| p.name == name)
                && digest != Some(pin.digest)
            {
                return Err(Error::release(
                    source::display(&file),
                    format!(
                        "after pinning {name} to {}, the overlay still runs {image} (set by a patch or a base?)",
                        pin.digest
                    ),
                ));
            }
        }
        // Nothing but the pinned images may change: no entry lost, no
        // other image renamed or retagged by the edit.
        let names: std::collections::HashSet<&str> = pins.iter().map(|p| p.name).collect();
        if masked(&rendered, &names) != masked(&after, &names) {
            return Err(Error::release(
                source::display(&file),
                "the edit would change more than the pinned images; edit this kustomization by hand",
            ));
        }
        edits.push(FileEdit {
            path: file.clone(),
            old: Some(bytes.clone()),
            new: new_text.into_bytes(),
        });
        rendered_after = Some(after);
    }
    let ref_path = source::normalize_join(&dir, RELEASE_REF_FILE);
    let eol = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let ref_text = format!(
        "# The release this environment runs (written by trueup).{eol}id: {}{eol}name: {}{eol}",
        release.id(),
        super::scalar(&release.name)
    );
    no_link(&ref_path)?;
    let old_ref = match source.entry(&ref_path) {
        Some(EntryKind::File) => Some(source.read(&ref_path)?),
        Some(_) => {
            return Err(Error::release(source::display(&ref_path), "is not a file"));
        }
        None => None,
    };
    if old_ref.as_deref() != Some(ref_text.as_bytes()) {
        edits.push(FileEdit {
            path: ref_path,
            old: old_ref,
            new: ref_text.into_bytes(),
        });
    }
    Ok((edits, rendered_after))
}

/// The rendered objects as YAML, with the references of images named in
/// `pinned` replaced by their name (what the edit may change, left out).
fn masked(set: &crate::resource::ManifestSet, pinned: &std::collections::HashSet<&str>) -> String {
    use crate::yaml::Value;
    fn walk(value: &mut Value, in_containers: bool, pinned: &std::collections::HashSet<&str>) {
        match value {
            Value::Map(map) => {
                if in_containers && let Some(Value::String(image)) = map.get_mut("image") {
                    let name = split_reference(image).0.to_owned();
                    if pinned.contains(name.as_str()) {
                        *image = name;
                    }
                }
                for (key, child) in map.iter_mut() {
                    let containers = matches!(
                        key.as_str(),
                        "containers" | "initContainers" | "ephemeralContainers"
                    );
                    walk(child, containers, pinned);
                }
            }
            Value::Seq(items) => {
                for item in items {
                    walk(item, in_containers, pinned);
                }
            }
            _ => {}
        }
    }
    let mut out = String::new();
    for r in set {
        let mut value = r.value().clone();
        walk(&mut value, false, pinned);
        out.push_str(&crate::yaml::to_yaml(&value));
        out.push_str("---\n");
    }
    out
}

fn release_label(release: &ReleaseManifest) -> String {
    if release.name.is_empty() {
        "<release>".to_owned()
    } else {
        format!("release {}", release.name)
    }
}

/// Applies `release` to the overlay in folder `overlay` (see
/// [`apply_release_source`]) and, with [`ApplyOptions::write`], writes the
/// changed files, each atomically. Returns the edits, paths joined to
/// `overlay` as given.
///
/// ```no_run
/// use trueup_core::release::{ReleaseManifest, apply_release, ApplyOptions};
/// let release = ReleaseManifest::load("release.yaml")?;
/// for edit in apply_release(&release, "apps/shop/overlays/prod", &ApplyOptions::default())? {
///     print!("{}", edit.unified_diff());
/// }
/// # Ok::<(), trueup_core::Error>(())
/// ```
pub fn apply_release(
    release: &ReleaseManifest,
    overlay: impl AsRef<Path>,
    options: &ApplyOptions,
) -> Result<Vec<FileEdit>, Error> {
    let overlay = overlay.as_ref();
    let shown = overlay.to_string_lossy();
    crate::kustomize::check_folder(overlay, &shown)?;
    let folder = crate::kustomize::folder_for_names(overlay);
    let source = DirSource::new(overlay);
    let mut edits =
        apply_release_source(release, &source, "").map_err(|e| e.relative_to_folder(&folder))?;
    for edit in &mut edits {
        let full = overlay.join(&edit.path);
        if options.write {
            write_atomically(&full, &edit.new)?;
        }
        edit.path = source::normalize_join(&folder, &edit.path);
    }
    Ok(edits)
}

/// Writes `bytes` to `path` through a new temporary file in the same folder
/// (never an existing file or link: `create_new`), renamed over it: a
/// reader sees the old file or the new one, never half. A `path` that is a
/// symbolic link is refused (the rename would replace the link, and its
/// target may be anywhere).
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    use std::io::Write;
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let shown = path.display().to_string();
    if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(Error::release(
            shown,
            "is a symbolic link; trueup edits files, not links",
        ));
    }
    let folder = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let unique = format!(
        "{}-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
        COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    let temporary = folder.join(format!(".{name}.trueup-{unique}"));
    let mut created = false;
    let result = (|| {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temporary)?;
        created = true;
        file.write_all(bytes)?;
        if let Ok(meta) = std::fs::symlink_metadata(path) {
            file.set_permissions(meta.permissions())?;
        }
        file.sync_all()?;
        std::fs::rename(&temporary, path)
    })();
    result.map_err(|e| {
        if created {
            let _ = std::fs::remove_file(&temporary);
        }
        Error::io(shown, e)
    })
}
