//! `patches` and `patchesJson6902`: JSON patches (RFC 6902) today; a
//! strategic merge patch is refused by name until it renders exactly.

use super::kustomization::PatchEntry;
use crate::error::Error;
use crate::patch::JsonPatch;
use crate::resource::ResourceSet;
use crate::yaml::{Value, parse_documents};

/// A patch entry with its text read.
pub(crate) struct LoadedPatch {
    pub entry: PatchEntry,
    pub text: String,
    /// The file holding the text (the kustomization for inline patches).
    pub origin: String,
}

/// How to read a patch's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `patches`: a list is a JSON patch, anything else a strategic merge patch.
    Detect,
    /// `patchesJson6902`: always a JSON patch.
    Json6902,
}

/// Applies the patches in order.
pub(crate) fn apply(
    set: &mut ResourceSet,
    patches: &[LoadedPatch],
    file: &str,
    kind: Kind,
) -> Result<(), Error> {
    for patch in patches {
        let docs = parse_documents(&patch.text).map_err(|e| e.in_file(&patch.origin))?;
        let docs: Vec<Value> = docs
            .into_iter()
            .map(|d| d.value)
            .filter(|v| !v.is_null())
            .collect();
        let is_json_patch = kind == Kind::Json6902 || matches!(docs.as_slice(), [Value::Seq(_)]);
        if !is_json_patch {
            return Err(Error::Unsupported {
                field: "patches (strategic merge)".into(),
                file: file.to_owned(),
            });
        }
        let [value] = docs.as_slice() else {
            return Err(Error::overlay(
                &patch.origin,
                "a JSON patch must be one YAML or JSON document",
            ));
        };
        let json_patch =
            JsonPatch::from_value(value).map_err(|e| Error::overlay(&patch.origin, e))?;
        let Some(target) = &patch.entry.target else {
            return Err(Error::overlay(file, "a JSON patch needs a target"));
        };
        let selector = target.compile(file)?;
        set.transform_selected(
            file,
            "patch",
            |r| selector.matches(r),
            |_, value| {
                *value = json_patch.apply(value)?;
                Ok(())
            },
        )?;
    }
    Ok(())
}
