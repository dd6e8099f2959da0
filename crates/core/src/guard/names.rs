//! `names`: object names, namespaces, label keys and values and
//! annotation keys as the API server validates them
//! (k8s.io/apimachinery/pkg/util/validation).

use super::spans::PathPart;
use super::{Finding, Place, Severity};
use crate::resource::Resource;
use crate::yaml::Value;

/// Kinds whose names are path segments, not DNS names (RBAC:
/// `system:controller:x` is a valid ClusterRole name).
const PATH_SEGMENT_NAMED: &[&str] = &["Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"];

fn dns_label_chars(text: &str) -> bool {
    let bytes = text.as_bytes();
    !bytes.is_empty()
        && bytes
            .iter()
            .all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && bytes[0] != b'-'
        && bytes[bytes.len() - 1] != b'-'
}

/// RFC 1123 label: at most 63 of `[a-z0-9-]`, alphanumeric at both ends.
pub(crate) fn dns1123_label(text: &str) -> bool {
    text.len() <= 63 && dns_label_chars(text)
}

/// RFC 1123 subdomain: at most 253, labels joined by dots.
pub(crate) fn dns1123_subdomain(text: &str) -> bool {
    text.len() <= 253 && text.split('.').all(dns_label_chars)
}

/// RFC 1035 label (Service names): a DNS-1123 label starting with a letter.
pub(crate) fn dns1035_label(text: &str) -> bool {
    dns1123_label(text) && text.as_bytes()[0].is_ascii_lowercase()
}

/// A path segment name: not `.` or `..`, no `/` or `%`.
fn path_segment(text: &str) -> bool {
    !text.is_empty() && text != "." && text != ".." && !text.contains(['/', '%'])
}

/// `[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?`, at most 63.
fn qualified_part(text: &str) -> bool {
    let bytes = text.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 63
        && bytes
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        && bytes[0].is_ascii_alphanumeric()
        && bytes[bytes.len() - 1].is_ascii_alphanumeric()
}

/// A label or annotation key: `[prefix/]name`, prefix a DNS subdomain.
pub(crate) fn qualified_name(key: &str) -> bool {
    match key.split_once('/') {
        Some((prefix, name)) => dns1123_subdomain(prefix) && qualified_part(name),
        None => qualified_part(key),
    }
}

/// A label value: empty, or a qualified part.
pub(crate) fn label_value(value: &str) -> bool {
    value.is_empty() || qualified_part(value)
}

/// Checks one object.
pub(crate) fn check(resource: &Resource, place: &Place, findings: &mut Vec<Finding>) {
    let id = resource.id();
    let mut report = |path: &[PathPart<'_>], message: String| {
        findings.push(place.finding("names", Severity::Error, place.locate(path), message));
    };
    let (valid, rule) = match id.kind.as_str() {
        "Namespace" => (
            dns1123_label(&id.name),
            "a DNS-1123 label (at most 63 of a-z, 0-9 and -, alphanumeric at both ends)",
        ),
        "Service" => (
            dns1035_label(&id.name),
            "a DNS-1035 label (at most 63 of a-z, 0-9 and -, starting with a letter)",
        ),
        kind if PATH_SEGMENT_NAMED.contains(&kind) && id.group == "rbac.authorization.k8s.io" => (
            path_segment(&id.name),
            "a path segment (no / or %, not . or ..)",
        ),
        _ => (
            dns1123_subdomain(&id.name),
            "a DNS-1123 subdomain (at most 253 of a-z, 0-9, - and ., each part alphanumeric at both ends)",
        ),
    };
    if !valid && !id.name.is_empty() {
        report(
            &[PathPart::Key("metadata"), PathPart::Key("name")],
            format!("{} {:?}: the name must be {rule}", id.kind, id.name),
        );
    }
    if !id.namespace.is_empty() && !dns1123_label(&id.namespace) {
        report(
            &[PathPart::Key("metadata"), PathPart::Key("namespace")],
            format!("namespace {:?} must be a DNS-1123 label", id.namespace),
        );
    }
    let value = resource.value();
    for (field, path) in [
        ("labels", &["metadata", "labels"][..]),
        ("selector", &["spec", "selector", "matchLabels"][..]),
        (
            "template labels",
            &["spec", "template", "metadata", "labels"][..],
        ),
    ] {
        let Some(labels) = value.get_path(path).and_then(Value::as_map) else {
            continue;
        };
        for (key, label) in labels {
            let mut at: Vec<PathPart<'_>> = path.iter().map(|p| PathPart::Key(p)).collect();
            at.push(PathPart::Key(key));
            if !qualified_name(key) {
                report(
                    &at,
                    format!(
                        "{field}: key {key:?} is not a valid label key ([prefix/]name, name at most 63 of A-Z, a-z, 0-9, -, _ and ., alphanumeric at both ends)"
                    ),
                );
            } else if let Some(text) = label.scalar_text()
                && !label_value(&text)
            {
                report(
                    &at,
                    format!(
                        "{field}: the value of {key:?} is not a valid label value (at most 63 of A-Z, a-z, 0-9, -, _ and ., alphanumeric at both ends)"
                    ),
                );
            }
        }
    }
    if let Some(annotations) = value
        .get_path(&["metadata", "annotations"])
        .and_then(Value::as_map)
    {
        for key in annotations.keys() {
            // The API server checks annotation keys lowercased.
            if !qualified_name(&key.to_ascii_lowercase()) {
                report(
                    &[
                        PathPart::Key("metadata"),
                        PathPart::Key("annotations"),
                        PathPart::Key(key),
                    ],
                    format!(
                        "annotations: key {key:?} is not a valid annotation key ([prefix/]name)"
                    ),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_api_server_rules() {
        assert!(dns1123_subdomain("web.v2-api"));
        assert!(!dns1123_subdomain("Web"));
        assert!(!dns1123_subdomain("web_api"));
        assert!(!dns1123_subdomain("-web"));
        assert!(dns1123_label("shop-prod"));
        assert!(!dns1123_label("shop.prod"));
        assert!(!dns1123_label(&"a".repeat(64)));
        assert!(dns1035_label("web"));
        assert!(!dns1035_label("1web"));
        assert!(qualified_name("app.kubernetes.io/name"));
        assert!(qualified_name("tier"));
        assert!(!qualified_name("app.kubernetes.io/"));
        assert!(!qualified_name("Example.com/x"));
        assert!(!qualified_name("a/b/c"));
        assert!(label_value(""));
        assert!(label_value("v1.2_3"));
        assert!(!label_value("has space"));
        assert!(!label_value("-x"));
        assert!(path_segment("system:controller:x"));
        assert!(!path_segment("a/b"));
    }
}
