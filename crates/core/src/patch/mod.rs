//! Patches: JSON Patch (RFC 6902) today; strategic merge next.

mod json6902;

pub use json6902::{JsonPatch, Operation, json_equal, parse_pointer};
