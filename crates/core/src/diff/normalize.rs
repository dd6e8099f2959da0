//! Normalization before comparing: what the API server owns is dropped, and
//! forms Kubernetes treats alike are brought to one form.

use crate::yaml::{Mapping, Value};

/// The annotation `kubectl apply` keeps the applied configuration in.
pub const LAST_APPLIED_ANNOTATION: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// Argo CD's tracking annotation (`<app>:<group>/<kind>:<namespace>/<name>`).
pub const ARGOCD_TRACKING_ANNOTATION: &str = "argocd.argoproj.io/tracking-id";

/// `metadata` fields the API server sets.
const SERVER_METADATA: &[&str] = &[
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

/// Drops what the server owns: `status`, server-set metadata and the
/// last-applied annotation.
pub(crate) fn strip_server_fields(value: &mut Value) {
    if let Some(map) = value.as_map_mut() {
        map.shift_remove("status");
    }
    if let Some(meta) = metadata_mut(value) {
        for field in SERVER_METADATA {
            meta.shift_remove(*field);
        }
    }
    remove_meta_entry(value, "annotations", LAST_APPLIED_ANNOTATION);
}

/// Drops what a GitOps tool adds at sync time to tell its objects apart: the
/// tracking label and Argo CD's tracking annotation.
pub(crate) fn strip_tracking(value: &mut Value, tracking_label: &str) {
    remove_meta_entry(value, "labels", tracking_label);
    remove_meta_entry(value, "annotations", ARGOCD_TRACKING_ANNOTATION);
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
        let mut live = doc(
            "kind: Secret\nmetadata:\n  name: s\n  uid: x\n  resourceVersion: '1'\n  annotations:\n    kubectl.kubernetes.io/last-applied-configuration: '{}'\nstatus: {}\n",
        );
        strip_server_fields(&mut live);
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
