//! Reading the typed fields of mappings from configuration files (kustomization
//! files, ignore rules) strictly, with messages that name the field.

use super::{Mapping, Value};

/// A string field: `None` when absent or null, an error for any other type.
pub(crate) fn optional_string(map: &Mapping, key: &str) -> Result<Option<String>, String> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(format!(
            "{key}: expected a string, found {}",
            other.type_name()
        )),
    }
}

/// A string field, empty when absent or null.
pub(crate) fn string_or_empty(map: &Mapping, key: &str) -> Result<String, String> {
    optional_string(map, key).map(Option::unwrap_or_default)
}

/// An error naming the first key that is not `allowed`.
pub(crate) fn check_keys(map: &Mapping, allowed: &[&str]) -> Result<(), String> {
    match map.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => Err(format!("unknown field {k:?}")),
        None => Ok(()),
    }
}
