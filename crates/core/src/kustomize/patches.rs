//! `patches`, `patchesStrategicMerge` and `patchesJson6902`: strategic merge
//! patches and JSON patches (RFC 6902), with or without targets.

use super::kustomization::PatchEntry;
use super::selector::Selector;
use crate::error::Error;
use crate::patch::{JsonPatch, strategic_merge};
use crate::resource::{ManifestSet, ResId, Resource};
use crate::yaml::Value;

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
    /// `patchesStrategicMerge`: always strategic merge patches.
    StrategicMerge,
}

/// The schema strategic merges follow: the built-in Kubernetes one
/// (`None`), or a custom one from a kustomization's `openapi`.
pub(crate) type Schema = Option<strategic_merge::SchemaChoice>;

/// Applies the patches in order.
pub(crate) fn apply(
    set: &mut ManifestSet,
    patches: &[LoadedPatch],
    file: &str,
    kind: Kind,
    schema: Schema,
) -> Result<(), Error> {
    let mut any_document = false;
    for patch in patches {
        let docs = crate::yaml::parse_documents_as(
            &patch.text,
            &crate::yaml::ParseLimits::default(),
            crate::yaml::Schema::Patches,
        )
        .map_err(|e| e.in_file(&patch.origin))?;
        let docs: Vec<Value> = docs
            .into_iter()
            .map(|d| d.value)
            .filter(|v| !v.is_null())
            .collect();
        any_document |= !docs.is_empty();
        let is_json_patch = kind == Kind::Json6902
            || (kind == Kind::Detect && matches!(docs.as_slice(), [Value::Seq(_)]));
        if !is_json_patch {
            for doc in &docs {
                apply_strategic_merge(set, patch, doc, file, schema)?;
            }
            continue;
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
        // kustomize applies a JSON patch through JSON: a key mapped to
        // nothing comes back as an explicit null, which later strategic
        // merges keep.
        let selector = target.compile(file)?;
        set.forget_empty_nulls(|r| selector.matches(r));
        // A failed patch fails the render: the object needs no copy to
        // fall back on.
        patch_targets(set, target, file, |_, value| {
            json_patch.apply_as_kustomize_in_place(value)?;
            Ok(true)
        })?;
    }
    // kustomize's PatchStrategicMergeTransformer refuses a list of patch
    // files that hold no patch at all (empty or only comments).
    if kind == Kind::StrategicMerge && !patches.is_empty() && !any_document {
        let files: Vec<&str> = patches.iter().map(|p| p.origin.as_str()).collect();
        return Err(Error::overlay(
            file,
            format!(
                "patchesStrategicMerge: patch appears to be empty; files={}",
                files.join(", ")
            ),
        ));
    }
    Ok(())
}

/// Applies `f` to every object `target` selects; `f` returns `false` to delete it.
fn patch_targets(
    set: &mut ManifestSet,
    target: &Selector,
    file: &str,
    f: impl FnMut(&ResId, &mut Value) -> Result<bool, String>,
) -> Result<usize, Error> {
    let selector = target.compile(file)?;
    set.transform_selected(file, "patch", |r| selector.matches(r), f)
}

/// The identity a strategic merge patch names for itself.
fn patch_id(doc: &Value, origin: &str) -> Result<ResId, Error> {
    let text = |path: &[&str]| {
        doc.get_path(path)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let api_version = text(&["apiVersion"]);
    let (group, version) = ResId::split_api_version(&api_version);
    let id = ResId {
        group: group.to_owned(),
        version: version.to_owned(),
        kind: text(&["kind"]),
        namespace: text(&["metadata", "namespace"]),
        name: text(&["metadata", "name"]),
    };
    if id.kind.is_empty() || id.name.is_empty() {
        return Err(Error::overlay(
            origin,
            "a strategic merge patch without a target must name its object (kind and metadata.name)",
        ));
    }
    Ok(id)
}

/// Whether `r` is the object a target-less patch names (by current or original id).
fn is_patch_target(r: &Resource, id: &ResId) -> bool {
    // kustomize's GetMatchingResourcesByAnyId: the current identity or any
    // earlier one (so an intermediate name, between two prefixes, works too).
    std::iter::once(r.id())
        .chain(std::iter::once(r.original_id()))
        .chain(r.previous_ids())
        .any(|candidate| {
            candidate.kind == id.kind
                && candidate.name == id.name
                && candidate.group == id.group
                && (id.version.is_empty() || candidate.version == id.version)
                && candidate.effective_namespace() == id.effective_namespace()
        })
}

fn apply_strategic_merge(
    set: &mut ManifestSet,
    patch: &LoadedPatch,
    doc: &Value,
    file: &str,
    schema: Schema,
) -> Result<(), Error> {
    let drop_empty_nulls = |id: &ResId, value: &mut Value, paths: &[Vec<crate::yaml::PathStep>]| {
        drop_empty_nulls(id, value, paths, schema)
    };
    if !matches!(doc, Value::Map(_)) {
        return Err(Error::overlay(
            &patch.origin,
            "a strategic merge patch must be a mapping",
        ));
    }
    let entry = &patch.entry;
    if let Some(target) = &entry.target {
        let selector = target.compile(file)?;
        set.drop_empty_nulls(|r| selector.matches(r), drop_empty_nulls);
        patch_targets(set, target, file, |id, value| {
            merge_keeping_identity(
                value,
                doc,
                id,
                entry.allow_name_change,
                entry.allow_kind_change,
                schema,
            )
        })?;
        return Ok(());
    }
    let id = patch_id(doc, &patch.origin)?;
    let matches = set.iter().filter(|r| is_patch_target(r, &id)).count();
    if matches > 1 {
        return Err(Error::overlay(
            file,
            format!(
                "multiple matches for {id}; failed to find a unique target for the patch (from {})",
                patch.origin
            ),
        ));
    }
    set.drop_empty_nulls(|r| is_patch_target(r, &id), drop_empty_nulls);
    let picked = set.transform_selected(
        file,
        "patch",
        |r| is_patch_target(r, &id),
        |target, value| merge_keeping_identity(value, doc, target, false, false, schema),
    )?;
    if picked == 0 {
        return Err(Error::overlay(
            file,
            format!(
                "failed to find a target for the patch of {id} (from {})",
                patch.origin
            ),
        ));
    }
    Ok(())
}

/// What kyaml's merge does to the keys an object maps to nothing, before a
/// strategic merge patch goes into it.
fn drop_empty_nulls(
    id: &ResId,
    value: &mut Value,
    paths: &[Vec<crate::yaml::PathStep>],
    schema: Schema,
) {
    let ty = strategic_merge::Type::for_object_in(schema, &id.group, &id.version, &id.kind);
    strategic_merge::drop_empty_nulls(value, paths, ty);
}

/// Merges `patch` into `value`; the name and kind stay unless allowed to
/// change, the namespace always stays (as kustomize's `ApplySmPatch`).
/// Returns `false` when the patch deletes the object.
fn merge_keeping_identity(
    value: &mut Value,
    patch: &Value,
    id: &ResId,
    allow_name_change: bool,
    allow_kind_change: bool,
    schema: Schema,
) -> Result<bool, String> {
    let ty = strategic_merge::Type::for_object_in(schema, &id.group, &id.version, &id.kind);
    if !strategic_merge::apply(value, patch, ty)? {
        return Ok(false);
    }
    let Some(map) = value.as_map_mut() else {
        return Err("the patch made the object something other than a mapping".into());
    };
    // kustomize gives the patch the target's group, version and kind.
    if !allow_kind_change {
        if !id.version.is_empty() {
            map.insert("apiVersion".into(), Value::String(id.api_version()));
        }
        map.insert("kind".into(), Value::String(id.kind.clone()));
    }
    let metadata = map
        .entry("metadata".to_owned())
        .or_insert_with(|| Value::Map(Default::default()));
    if let Value::Map(meta) = metadata {
        if !allow_name_change {
            meta.insert("name".into(), Value::String(id.name.clone()));
        }
        if id.namespace.is_empty() {
            meta.shift_remove("namespace");
        } else {
            meta.insert("namespace".into(), Value::String(id.namespace.clone()));
        }
    }
    Ok(true)
}
