//! Patches: JSON Patch (RFC 6902) and Kubernetes' strategic merge patch.

mod json6902;
pub(crate) mod strategic_merge;

pub use json6902::{JsonPatch, Operation, json_equal, parse_pointer};
