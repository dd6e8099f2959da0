//! A verify report as text and as SARIF 2.1.0.

use serde_json::{Value as Json, json};

use super::{RULES, Severity, VerifyReport};

/// Control characters in a message or path, escaped so that a hostile
/// file name cannot forge lines.
fn escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

pub(super) fn text(report: &VerifyReport) -> String {
    let mut out = String::new();
    for f in &report.findings {
        let severity = match f.severity {
            Severity::Error => "",
            Severity::Warning => "warning: ",
        };
        out.push_str(&format!(
            "{}:{}:{}: {}: {severity}{}\n",
            escaped(&f.file),
            f.line,
            f.column,
            f.rule,
            escaped(&f.message)
        ));
    }
    for applied in &report.exceptions {
        let e = &applied.exception;
        out.push_str(&format!(
            "accepted: {} finding(s) of {} ({}; approved by {}, until {})\n",
            applied.findings.len(),
            e.rule,
            escaped(&e.reason),
            escaped(&e.approver),
            e.expires
        ));
    }
    out
}

pub(super) fn sarif(report: &VerifyReport) -> String {
    let rules: Vec<Json> = RULES
        .iter()
        .map(|rule| {
            json!({
                "id": rule.id,
                "name": rule.id,
                "shortDescription": {"text": rule.summary},
                "fullDescription": {"text": rule.summary},
                "help": {"text": format!("trueup verify rule {}: {}", rule.id, rule.summary)},
                "defaultConfiguration": {"level": rule.severity.as_str()},
                "properties": {"tags": ["gitops", "kubernetes"]},
            })
        })
        .collect();
    // Equal findings in one file (two keys) get distinct fingerprints by
    // their order.
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let results: Vec<Json> = report
        .findings
        .iter()
        .map(|f| {
            let base = fingerprint(&f.rule, &f.file, f.resource.as_deref(), &f.message);
            let occurrence = seen.entry(base.clone()).or_insert(0);
            *occurrence += 1;
            let rule_index = RULES.iter().position(|r| r.id == f.rule).unwrap_or(0);
            let mut result = json!({
                "ruleId": f.rule,
                "ruleIndex": rule_index,
                "level": f.severity.as_str(),
                "message": {"text": f.message},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {"uri": uri(&f.file), "uriBaseId": "%SRCROOT%"},
                        "region": {"startLine": f.line.max(1), "startColumn": f.column.max(1)},
                    }
                }],
                "partialFingerprints": {
                    "trueupFinding/v1": format!("{base}:{occurrence}"),
                },
            });
            let mut properties = serde_json::Map::new();
            if let Some(resource) = &f.resource {
                properties.insert("resource".into(), json!(resource));
            }
            if !f.overlays.is_empty() {
                properties.insert("overlays".into(), json!(f.overlays));
            }
            if !properties.is_empty() {
                result["properties"] = Json::Object(properties);
            }
            result
        })
        .collect();
    let exceptions: Vec<Json> = report
        .exceptions
        .iter()
        .map(|a| {
            json!({
                "rule": a.exception.rule,
                "match": a.exception.matches,
                "reason": a.exception.reason,
                "approver": a.exception.approver,
                "expires": a.exception.expires,
                "accepted": a.findings.len(),
            })
        })
        .collect();
    let document = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "trueup",
                "informationUri": "https://github.com/trueup/trueup",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "originalUriBaseIds": {"%SRCROOT%": {"description": {"text": "The repository root trueup verify checked."}}},
            "columnKind": "unicodeCodePoints",
            "results": results,
            "properties": {"exceptions": exceptions, "overlays": report.overlays, "files": report.files},
        }],
    });
    serde_json::to_string_pretty(&document).expect("SARIF serializes")
}

/// A relative file path as a URI reference: each segment percent-encoded
/// where URIs need it.
fn uri(path: &str) -> String {
    if path.contains("://") {
        return path.to_owned();
    }
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// A stable identity of a finding across runs (lines may move).
fn fingerprint(rule: &str, file: &str, resource: Option<&str>, message: &str) -> String {
    use sha2::Digest as _;
    let mut hasher = sha2::Sha256::new();
    for part in [rule, file, resource.unwrap_or(""), message] {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    hasher
        .finalize()
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_and_escapes() {
        assert_eq!(uri("apps/web prod/k.yaml"), "apps/web%20prod/k.yaml");
        assert_eq!(escaped("a\nb"), "a\\nb");
        assert_eq!(escaped("\"x\" it's"), "\"x\" it's");
    }
}
