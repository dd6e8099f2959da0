//! Patches: JSON Patch (RFC 6902) and Kubernetes' strategic merge patch.

mod json6902;
pub(crate) mod openapi;
pub(crate) mod strategic_merge;

pub use json6902::{JsonPatch, Operation, json_equal, parse_pointer};

use crate::yaml::Value;

/// Applies a strategic merge patch to an object of `group`/`kind`, with the
/// Kubernetes merge keys of the built-in kinds (lists of other kinds are
/// replaced). Returns `false` when the patch deletes the whole object
/// (`$patch: delete`).
///
/// ```
/// use trueup_core::{patch::apply_strategic_merge, parse_documents};
/// let mut live = parse_documents("spec:\n  containers:\n  - name: app\n    image: a:1\n  - name: sidecar\n    image: s:1\n")?.remove(0).value;
/// let patch = parse_documents("spec:\n  containers:\n  - name: app\n    image: a:2\n")?.remove(0).value;
/// apply_strategic_merge(&mut live, &patch, "", "Pod").map_err(|e| e.to_string()).unwrap();
/// assert_eq!(live.get_path(&["spec", "containers"]).and_then(|c| c.as_seq()).map(|c| c.len()), Some(2));
/// # Ok::<(), trueup_core::Error>(())
/// ```
pub fn apply_strategic_merge(
    target: &mut Value,
    patch: &Value,
    group: &str,
    kind: &str,
) -> Result<bool, String> {
    strategic_merge::apply(
        target,
        patch,
        strategic_merge::Type::for_object(group, kind),
    )
}
