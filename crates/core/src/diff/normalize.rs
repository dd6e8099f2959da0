//! Normalization before comparing: what the API server owns is dropped, and
//! forms Kubernetes treats alike are brought to one form.

use crate::yaml::{Mapping, Value};

/// The annotation `kubectl apply` keeps the applied configuration in.
pub const LAST_APPLIED_ANNOTATION: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// Argo CD's tracking annotation (`<app>:<group>/<kind>:<namespace>/<name>`).
pub const ARGOCD_TRACKING_ANNOTATION: &str = "argocd.argoproj.io/tracking-id";

/// `metadata` fields the API server sets.
pub(crate) const SERVER_METADATA: &[&str] = &[
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "managedFields",
    "selfLink",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
];

fn metadata_mut(value: &mut Value) -> Option<&mut Mapping> {
    value.as_map_mut()?.get_mut("metadata")?.as_map_mut()
}

/// Removes `key` from `metadata.<field>`, and the field when it ends up empty.
fn remove_meta_entry(value: &mut Value, field: &str, key: &str) {
    let Some(meta) = metadata_mut(value) else {
        return;
    };
    if let Some(Value::Map(entries)) = meta.get_mut(field) {
        entries.shift_remove(key);
        if entries.is_empty() {
            meta.shift_remove(field);
        }
    }
}

/// A copy of an object without what the server owns — `status`, server-set
/// metadata, the last-applied annotation — made without copying those
/// first: they are often most of a live object.
pub(crate) fn copy_without_server_fields(live: &Value) -> Value {
    let Value::Map(top) = live else {
        return live.clone();
    };
    let mut copy = Mapping::with_capacity_and_hasher(top.len(), Default::default());
    for (key, value) in top {
        match (key.as_str(), value) {
            ("status", _) => {}
            ("metadata", Value::Map(meta)) => {
                let mut kept = Mapping::with_capacity_and_hasher(meta.len(), Default::default());
                for (field, v) in meta {
                    if SERVER_METADATA.contains(&field.as_str()) {
                        continue;
                    }
                    let v = match (field.as_str(), v) {
                        ("annotations", Value::Map(annotations)) => {
                            let rest: Mapping = annotations
                                .iter()
                                .filter(|(k, _)| k.as_str() != LAST_APPLIED_ANNOTATION)
                                .map(|(k, v)| (k.clone(), v.clone()))
                                .collect();
                            if rest.is_empty() {
                                continue;
                            }
                            Value::Map(rest)
                        }
                        _ => v.clone(),
                    };
                    kept.insert(field.clone(), v);
                }
                copy.insert(key.clone(), Value::Map(kept));
            }
            _ => {
                copy.insert(key.clone(), value.clone());
            }
        }
    }
    Value::Map(copy)
}

/// Whether field `key` of the map at `path` (keys from the object's top) is
/// never compared: server-owned fields, the last-applied annotation, and
/// the tracking a GitOps tool adds at sync time.
pub(crate) fn is_unowned_field(path: &[&str], key: &str, tracking_label: &str) -> bool {
    match path {
        [] => key == "status",
        ["metadata"] => SERVER_METADATA.contains(&key),
        ["metadata", "annotations"] => {
            key == LAST_APPLIED_ANNOTATION || key == ARGOCD_TRACKING_ANNOTATION
        }
        ["metadata", "labels"] => key == tracking_label,
        _ => false,
    }
}

/// A copy of `value` (found at `path`) without the fields
/// [`is_unowned_field`] names, recursively; `None` when it has none.
pub(crate) fn without_unowned(path: &[&str], value: &Value, tracking_label: &str) -> Option<Value> {
    if path.len() > 2 {
        return None;
    }
    let Value::Map(map) = value else {
        return None;
    };
    let mut changed = false;
    let mut copy = Mapping::with_capacity_and_hasher(map.len(), Default::default());
    for (key, v) in map {
        if is_unowned_field(path, key, tracking_label) {
            changed = true;
            continue;
        }
        let mut child_path = path.to_vec();
        child_path.push(key);
        match without_unowned(&child_path, v, tracking_label) {
            Some(inner) => {
                changed = true;
                if !matches!(&inner, Value::Map(m) if m.is_empty()) {
                    copy.insert(key.clone(), inner);
                }
            }
            None => {
                copy.insert(key.clone(), v.clone());
            }
        }
    }
    changed.then_some(Value::Map(copy))
}

/// Drops what a GitOps tool adds at sync time to tell its objects apart: the
/// tracking label and Argo CD's tracking annotation.
pub(crate) fn strip_tracking(value: &mut Value, tracking_label: &str) {
    remove_meta_entry(value, "labels", tracking_label);
    remove_meta_entry(value, "annotations", ARGOCD_TRACKING_ANNOTATION);
}

/// The field of `id`'s kind that holds base64: a Secret's `data`, a
/// ConfigMap's `binaryData`.
fn base64_field(group: &str, kind: &str) -> Option<&'static str> {
    match (group, kind) {
        ("", "Secret") => Some("data"),
        ("", "ConfigMap") => Some("binaryData"),
        _ => None,
    }
}

/// Puts base64 values that are wrapped (as kustomize's generators print
/// them, 70 columns a line) on one line, as the API server returns them:
/// the same bytes compare equal. `None` when nothing was wrapped.
pub(crate) fn unwrap_base64(value: &Value, group: &str, kind: &str) -> Option<Value> {
    let field = base64_field(group, kind)?;
    let Some(Value::Map(values)) = value.get_path(&[field]) else {
        return None;
    };
    let wrapped = |v: &Value| v.as_str().is_some_and(|s| s.contains(['\n', '\r']));
    if !values.values().any(wrapped) {
        return None;
    }
    let mut out = value.clone();
    if let Some(Value::Map(values)) = out.as_map_mut().and_then(|m| m.get_mut(field)) {
        for v in values.values_mut() {
            if wrapped(v)
                && let Some(bytes) = v.as_str().and_then(crate::base64::decode)
            {
                *v = Value::String(crate::base64::encode(&bytes));
            }
        }
    }
    Some(out)
}

/// A copy of a Secret whose `data` maps keys to null, with those values
/// empty strings (`None` when there are none, or it is not a Secret): the
/// API server stores both as no bytes, and Argo CD's `NormalizeSecret`
/// compares them as equal (gitops-engine's TestNullSecretData).
pub(crate) fn empty_null_secret_data(value: &Value, group: &str, kind: &str) -> Option<Value> {
    if !(group.is_empty() && kind == "Secret") {
        return None;
    }
    let Some(Value::Map(values)) = value.get_path(&["data"]) else {
        return None;
    };
    if !values.values().any(Value::is_null) {
        return None;
    }
    let mut out = value.clone();
    if let Some(Value::Map(values)) = out.as_map_mut().and_then(|m| m.get_mut("data")) {
        for v in values.values_mut().filter(|v| v.is_null()) {
            *v = Value::String(String::new());
        }
    }
    Some(out)
}

/// An Endpoints object with its subsets in one order (`None` when it is
/// not one, or already is): the API server sorts them (Kubernetes'
/// `endpoints.SortSubsets`, which gitops-engine's `normalizeEndpoint` applies
/// to both sides), so the order Git writes them in is no difference.
/// Addresses sort by IP and target UID, ports by name, port and protocol
/// (TCP when left out), subsets by what they then hold.
pub(crate) fn sort_endpoints(value: &Value, group: &str, kind: &str) -> Option<Value> {
    if !(group.is_empty() && kind == "Endpoints") {
        return None;
    }
    let Some(Value::Seq(subsets)) = value.get_path(&["subsets"]) else {
        return None;
    };
    let text = |v: &Value, path: &[&str]| {
        v.get_path(path)
            .and_then(Value::scalar_text)
            .unwrap_or_default()
    };
    let address_key = |a: &Value| (text(a, &["ip"]), text(a, &["targetRef", "uid"]));
    let port_key = |p: &Value| {
        let protocol = match text(p, &["protocol"]) {
            t if t.is_empty() => "TCP".to_owned(),
            t => t,
        };
        (text(p, &["name"]), text(p, &["port"]), protocol)
    };
    let mut sorted: Vec<Value> = subsets.clone();
    for subset in &mut sorted {
        let Value::Map(fields) = subset else {
            continue;
        };
        for list in ["addresses", "notReadyAddresses"] {
            if let Some(Value::Seq(items)) = fields.get_mut(list) {
                items.sort_by_cached_key(address_key);
            }
        }
        if let Some(Value::Seq(items)) = fields.get_mut("ports") {
            items.sort_by_cached_key(port_key);
        }
    }
    sorted.sort_by_cached_key(|subset| serde_json::to_string(subset).unwrap_or_default());
    if &sorted == subsets {
        return None;
    }
    let mut out = value.clone();
    if let Some(map) = out.as_map_mut() {
        map.insert("subsets".into(), Value::Seq(sorted));
    }
    Some(out)
}

/// Masks a Secret's values in each of `objects` (desired, last applied,
/// live: the same object seen three ways), as Argo CD's `HideSecretData`
/// does: for each key of `data` and `stringData`, the first distinct value
/// becomes `++++++++` and each further one four `+` longer, so equal values
/// stay equal and different ones different. The last-applied annotation
/// (which holds the data) and the `sensitive` annotations are masked the
/// same way.
pub(crate) fn mask_secret_values(objects: &mut [&mut Value], sensitive: &[String]) {
    let mut masks: std::collections::HashMap<(String, String, String), String> =
        std::collections::HashMap::new();
    let mut next: std::collections::HashMap<(String, String), usize> =
        std::collections::HashMap::new();
    let mut mask = |section: &str, key: &str, value: &Value| -> Value {
        let text = value.scalar_text().unwrap_or_else(|| format!("{value:?}"));
        let slot = (section.to_owned(), key.to_owned(), text);
        let replacement = masks.entry(slot).or_insert_with(|| {
            let n = next
                .entry((section.to_owned(), key.to_owned()))
                .or_insert(0);
            *n += 1;
            "+".repeat(4 + 4 * *n)
        });
        Value::String(replacement.clone())
    };
    for object in objects.iter_mut() {
        let Some(map) = object.as_map_mut() else {
            continue;
        };
        for section in ["data", "stringData"] {
            match map.get_mut(section) {
                Some(Value::Map(values)) => {
                    for (key, value) in values.iter_mut() {
                        if !value.is_null() {
                            *value = mask("data", key, value);
                        }
                    }
                }
                // Malformed (a string, a list): masked whole all the same.
                Some(value) if !value.is_null() => *value = mask(section, "", value),
                _ => {}
            }
        }
        if let Some(Value::Map(annotations)) = map
            .get_mut("metadata")
            .and_then(Value::as_map_mut)
            .and_then(|m| m.get_mut("annotations"))
        {
            for (key, value) in annotations.iter_mut() {
                let hidden = key == "kubectl.kubernetes.io/last-applied-configuration"
                    || sensitive.iter().any(|s| s == key);
                if hidden && !value.is_null() {
                    *value = mask("annotations", key, value);
                }
            }
        }
    }
}

/// A Secret's `stringData` as the server stores it: base64 in `data`
/// (`stringData` wins over `data` for the same key).
pub(crate) fn fold_string_data(value: &mut Value, group: &str, kind: &str) {
    if !(group.is_empty() && kind == "Secret") {
        return;
    }
    let Some(map) = value.as_map_mut() else {
        return;
    };
    let Some(Value::Map(string_data)) = map.shift_remove("stringData") else {
        return;
    };
    let data = map
        .entry("data".to_owned())
        .or_insert_with(|| Value::Map(Mapping::default()));
    if !matches!(data, Value::Map(_)) {
        *data = Value::Map(Mapping::default());
    }
    if let Value::Map(data) = data {
        for (key, text) in string_data {
            let text = match text {
                Value::String(s) => s,
                other => crate::yaml::to_yaml(&other).trim_end().to_owned(),
            };
            data.insert(key, Value::String(crate::base64::encode(text.as_bytes())));
        }
    }
}

/// Sets `metadata.namespace` when a namespaced object has none (the
/// namespace an apply would put it in).
pub(crate) fn default_namespace(value: &mut Value, namespace: &str) {
    let Some(map) = value.as_map_mut() else {
        return;
    };
    let meta = map
        .entry("metadata".to_owned())
        .or_insert_with(|| Value::Map(Mapping::default()));
    if let Value::Map(meta) = meta {
        let missing = meta
            .get("namespace")
            .is_none_or(|n| n.as_str().is_none_or(str::is_empty));
        if missing {
            meta.insert("namespace".into(), Value::String(namespace.to_owned()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::parse_documents;

    fn doc(text: &str) -> Value {
        parse_documents(text).unwrap().remove(0).value
    }

    #[test]
    fn strips_server_fields_and_folds_string_data() {
        let live = doc(
            "kind: Secret\nmetadata:\n  name: s\n  uid: x\n  resourceVersion: '1'\n  annotations:\n    kubectl.kubernetes.io/last-applied-configuration: '{}'\nstatus: {}\n",
        );
        let live = copy_without_server_fields(&live);
        assert_eq!(live, doc("kind: Secret\nmetadata:\n  name: s\n"));
        let mut secret =
            doc("kind: Secret\nstringData:\n  password: hunter2\ndata:\n  user: YWRtaW4=\n");
        fold_string_data(&mut secret, "", "Secret");
        assert_eq!(
            secret,
            doc("kind: Secret\ndata:\n  user: YWRtaW4=\n  password: aHVudGVyMg==\n")
        );
    }
}
