//! Secrets in the repository's files: PEM private keys, kubeconfigs with
//! credentials, well-known token formats, passwords in URLs, and
//! high-entropy values under password-, token-, secret- and key-like names.
//! YAML and JSON files are read as documents (so a value is judged by its
//! key, an env entry by its `name`); any other text file line by line.
//! Findings never quote the value.

use std::sync::LazyLock;

use regex::Regex;

use super::spans::{self, Node, Position};
use super::{Finding, Severity};

/// A secret found in a file, before it becomes a [`Finding`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Hit {
    pub rule: &'static str,
    pub at: Position,
    pub message: String,
}

impl Hit {
    pub(crate) fn into_finding(self, file: &str) -> Finding {
        Finding::new(self.rule, Severity::Error, file, self.at, self.message)
    }
}

static PRIVATE_KEY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"-----BEGIN (?:(?:RSA|DSA|EC|OPENSSH|ENCRYPTED|PGP) )?PRIVATE KEY(?: BLOCK)?-----")
        .expect("private key pattern")
});

/// Token formats with their names: each is specific enough to stand on
/// its own, whatever key holds it.
static TOKENS: LazyLock<Vec<(&'static str, Regex)>> = LazyLock::new(|| {
    [
        (
            "an AWS access key id",
            r"\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b",
        ),
        ("a GitHub token", r"\bgh[pousr]_[A-Za-z0-9]{36}\b"),
        ("a GitHub token", r"\bgithub_pat_[A-Za-z0-9_]{82}\b"),
        ("a GitLab token", r"\bglpat-[A-Za-z0-9_-]{20}\b"),
        ("a Slack token", r"\bxox[abposr]-[A-Za-z0-9-]{10,}"),
        (
            "a Slack webhook URL",
            r"https://hooks\.slack\.com/services/T[A-Za-z0-9_]+/B[A-Za-z0-9_]+/[A-Za-z0-9_]+",
        ),
        ("a Google API key", r"\bAIza[0-9A-Za-z_-]{35}\b"),
        ("a Stripe secret key", r"\b[rs]k_live_[0-9A-Za-z]{24,}\b"),
        ("an npm token", r"\bnpm_[A-Za-z0-9]{36}\b"),
        (
            "a JSON Web Token",
            r"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}",
        ),
    ]
    .into_iter()
    .map(|(name, pattern)| (name, Regex::new(pattern).expect("token pattern")))
    .collect()
});

/// A URL with a password: `scheme://user:password@host`.
static URL_PASSWORD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s:/@]*:([^\s/@]+)@[^\s/@]")
        .expect("url password pattern")
});

/// `KEY=value`, `KEY: value`, `"key": "value"` on one line of a text file.
static ASSIGNMENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"^\s*(?:export\s+)?["']?([A-Za-z_][A-Za-z0-9_.-]*)["']?\s*[=:]\s*["']?([^"'\s]+)"#)
        .expect("assignment pattern")
});

/// The largest file scanned; larger ones are not configuration.
pub(crate) const MAX_SCANNED_BYTES: usize = 4 << 20;

/// The secrets in one file's text. A file whose documents are mappings or
/// lists (YAML, JSON, a kubeconfig whatever its name) is read as
/// documents; any other text line by line.
pub(crate) fn scan(text: &str) -> Vec<Hit> {
    let mut hits = Vec::new();
    let documents = spans::read(text).filter(|documents| {
        documents
            .iter()
            .any(|d| matches!(d, Node::Map { .. } | Node::Seq { .. }))
    });
    match documents {
        Some(documents) => {
            for document in &documents {
                if let Some(hit) = kubeconfig_document(document) {
                    hits.push(hit);
                    continue;
                }
                if let Some(hit) = secret_document(document) {
                    hits.push(hit);
                }
                walk(document, None, text, &mut hits);
            }
        }
        None => scan_lines(text, &mut hits),
    }
    // One finding per line: the first rule wins (a private key in a field
    // named `private_key` is a private key, not also a credential).
    // `secret-value` is about the object, the others about the value: both
    // may name one line.
    let mut seen = std::collections::HashSet::new();
    hits.retain(|h| seen.insert((h.at.line, h.rule == "secret-value")));
    hits
}

/// `secret-value` in a file: a v1 Secret document with values (whether or
/// not an overlay renders it). SOPS-encrypted values (`ENC[...]`) are
/// allowed.
fn secret_document(document: &Node) -> Option<Hit> {
    if document.get("kind").and_then(Node::text) != Some("Secret")
        || document.get("apiVersion").and_then(Node::text) != Some("v1")
    {
        return None;
    }
    for field in ["data", "stringData"] {
        let Some(Node::Map { entries, .. }) = document.get(field) else {
            continue;
        };
        let valued: Vec<&(String, Position, Node)> = entries
            .iter()
            .filter(|(_, _, v)| v.text().is_some_and(holds_value))
            .collect();
        if let Some((_, _, first)) = valued.first() {
            let keys: Vec<&str> = valued.iter().map(|(k, ..)| k.as_str()).collect();
            let name = document
                .get("metadata")
                .and_then(|m| m.get("name"))
                .and_then(Node::text)
                .unwrap_or_default();
            return Some(Hit {
                rule: "secret-value",
                at: first.at(),
                message: secret_value_message(name, field, &keys),
            });
        }
    }
    None
}

/// Whether a Secret's value is one (not empty, not a reference such as a
/// SOPS `ENC[...]` or an argocd-vault-plugin `<path:...>`).
pub(crate) fn holds_value(text: &str) -> bool {
    !text.is_empty() && !reference(text)
}

/// The message of a `secret-value` finding.
pub(crate) fn secret_value_message(name: &str, field: &str, keys: &[&str]) -> String {
    format!(
        "Secret {name} holds values in Git ({field}: {}); use a SealedSecret, an ExternalSecret or SOPS encryption",
        keys.join(", ")
    )
}

/// Whether `key` names a secret: its last word is password, secret, token,
/// credential(s), or key after api/access/secret/private/client/… —
/// `dbPassword`, `DB_PASSWORD`, `client-secret`, `apiKey`, `SECRET_KEY`;
/// not `secretName`, `passwordFile`, `tokenPath`, `key`.
pub(crate) fn secret_key(key: &str) -> bool {
    let words = words(key);
    let Some(last) = words.last() else {
        return false;
    };
    // `checksum/secret`, `secretHash`, `tokenDigest`: about a secret, not
    // one; `existingSecret`: the name of one.
    if words.iter().any(|w| {
        matches!(
            w.as_str(),
            "checksum" | "hash" | "digest" | "sha" | "sha256" | "fingerprint" | "existing"
        )
    }) {
        return false;
    }
    match last.as_str() {
        "password" | "passwd" | "pwd" | "pass" | "passphrase" | "secret" | "token" | "apikey"
        | "credential" | "credentials" => true,
        // One word run together: `PGPASSWORD`, `apitoken`.
        word if words.len() == 1
            && ["password", "passwd", "secret", "token"]
                .iter()
                .any(|s| word.len() > s.len() && word.ends_with(s)) =>
        {
            true
        }
        "key" => {
            words.len() >= 2 && {
                let before = words[words.len() - 2].as_str();
                matches!(
                    before,
                    "api"
                        | "access"
                        | "secret"
                        | "private"
                        | "client"
                        | "signing"
                        | "encryption"
                        | "master"
                        | "auth"
                        | "account"
                )
            }
        }
        _ => false,
    }
}

/// The lowercase words of an identifier: split at `_`, `-`, `.`, `/` and
/// lower-to-upper case changes.
fn words(key: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut previous_lower = false;
    for c in key.chars() {
        if !c.is_alphanumeric() {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            previous_lower = false;
            continue;
        }
        if c.is_uppercase() && previous_lower && !current.is_empty() {
            words.push(std::mem::take(&mut current));
        }
        previous_lower = c.is_lowercase() || c.is_ascii_digit();
        current.extend(c.to_lowercase());
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

/// Whether `value`, held by a secret-like key, looks like a real secret:
/// long and random enough, and not a reference, a placeholder, a path or
/// an identifier.
pub(crate) fn secret_value(value: &str) -> bool {
    let value = value.trim();
    if value.len() < 8 || value.len() > 4096 || value.contains(char::is_whitespace) {
        return false;
    }
    let lower = value.to_ascii_lowercase();
    let reference = reference(value);
    let placeholder = [
        "changeme",
        "change-me",
        "change_me",
        "example",
        "placeholder",
        "redacted",
        "replace",
        "your-",
        "your_",
        "dummy",
        "todo",
        "xxxx",
        "****",
        "secret-name",
    ]
    .iter()
    .any(|p| lower.contains(p));
    let path = value.starts_with('/') || value.starts_with("./") || value.starts_with("~/");
    let url = lower.contains("://");
    if reference || placeholder || path || url || uuid(value) {
        return false;
    }
    // A value of one character class repeated (`aaaaaaaa`, `12345678`) or
    // words joined by dashes (`db-credentials`) is a name, not a secret.
    let classes = [
        value.chars().any(|c| c.is_ascii_lowercase()),
        value.chars().any(|c| c.is_ascii_uppercase()),
        value.chars().any(|c| c.is_ascii_digit()),
        value.chars().any(|c| !c.is_ascii_alphanumeric()),
    ]
    .iter()
    .filter(|&&b| b)
    .count();
    if classes < 2 {
        return false;
    }
    if value
        .split(['-', '.', '_'])
        .all(|part| part.chars().all(|c| c.is_ascii_lowercase()))
    {
        return false;
    }
    // Words and numbers joined by dashes name something (`keycloak-db-v2`,
    // `grafana-admin-2024`, `Postgres-Credentials`).
    let wordlike = |part: &str| {
        let mut chars = part.chars();
        let first_letter = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
        (first_letter && chars.all(|c| c.is_ascii_lowercase()))
            || (!part.is_empty() && part.chars().all(|c| c.is_ascii_digit()))
            || (part.len() <= 3
                && part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()))
    };
    let parts: Vec<&str> = value.split('-').collect();
    if parts.len() >= 2 && parts.iter().all(|p| !p.is_empty() && wordlike(p)) {
        return false;
    }
    entropy(value) >= 3.0
}

/// Whether `value` refers to a secret kept elsewhere rather than holding
/// one: `${X}`, `$X`, `$(X)`, `{{ .X }}`, `<path:...>`, `ref+...`,
/// `ENC[...]`, `vault:`, ARNs, Grafana's `$__file{...}`.
pub(crate) fn reference(value: &str) -> bool {
    let lower = value.trim().to_ascii_lowercase();
    let variable = lower.strip_prefix('$').is_some_and(|rest| {
        !rest.is_empty()
            && rest
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
            && !rest.starts_with(|c: char| c.is_ascii_digit())
    });
    variable
        || [
            "${",
            "$(",
            "$__",
            "{{",
            "<",
            "%(",
            "enc[",
            "ref+",
            "vault:",
            "arn:",
            "secret://",
            "projects/",
        ]
        .iter()
        .any(|p| lower.starts_with(p))
        || lower.contains("{{")
        || lower.ends_with('>')
}

/// Shannon entropy in bits per character.
fn entropy(text: &str) -> f64 {
    let mut counts = std::collections::HashMap::new();
    let mut total = 0usize;
    for c in text.chars() {
        *counts.entry(c).or_insert(0usize) += 1;
        total += 1;
    }
    counts
        .values()
        .map(|&n| {
            let p = n as f64 / total as f64;
            -p * p.log2()
        })
        .sum()
}

fn uuid(value: &str) -> bool {
    let parts: Vec<&str> = value.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && p.chars().all(|c| c.is_ascii_hexdigit()))
}

/// Whether a token-shaped match is a real token: not a documented example
/// (`AKIAIOSFODNN7EXAMPLE`) nor a filled placeholder (`ghp_xxxx…`).
fn real_token(token: &str) -> bool {
    if token.to_ascii_lowercase().contains("example") {
        return false;
    }
    let body = token.rsplit(['_', '-']).next().unwrap_or(token);
    entropy(body) >= 3.0
}

/// Whether a password from a URL is a real one (not `${PASSWORD}`, not
/// `<password>`, not empty).
fn url_password(password: &str) -> bool {
    let lower = password.to_ascii_lowercase();
    !(password.is_empty()
        || ["${", "$(", "{{", "<", "%24%7b", "*"]
            .iter()
            .any(|p| lower.starts_with(p))
        || ["password", "passwd", "changeme", "example", "secret"]
            .iter()
            .any(|p| lower == *p))
}

/// A kubeconfig document (`kind: Config` with clusters and users) that
/// holds credentials: the first credential's position.
fn kubeconfig_document(document: &Node) -> Option<Hit> {
    if document.get("kind").and_then(Node::text) != Some("Config")
        || document.get("clusters").is_none()
    {
        return None;
    }
    let users = document.get("users")?;
    credential_in_users(users).map(|at| Hit {
        rule: "kubeconfig",
        at,
        message: "a kubeconfig with user credentials; keep it out of Git (use a secret store)"
            .into(),
    })
}

/// Keys of a kubeconfig user that hold credentials.
/// (`exec`, `tokenFile` and `client-key` name where a credential is
/// fetched or kept, not one.)
const KUBECONFIG_CREDENTIALS: &[&str] = &["token", "password", "client-key-data"];

/// Keys of an `auth-provider`'s `config` that hold credentials.
const AUTH_PROVIDER_CREDENTIALS: &[&str] =
    &["id-token", "access-token", "refresh-token", "client-secret"];

fn credential_in_users(users: &Node) -> Option<Position> {
    let Node::Seq { items, .. } = users else {
        return None;
    };
    for item in items {
        let Some(Node::Map { entries, .. }) = item.get("user") else {
            continue;
        };
        let held = |value: &Node| matches!(value, Node::Scalar { text, .. } if !text.is_empty());
        for (key, key_at, value) in entries {
            if KUBECONFIG_CREDENTIALS.contains(&key.as_str()) && held(value) {
                return Some(*key_at);
            }
            if key == "auth-provider"
                && let Some(Node::Map { entries, .. }) = value.get("config")
                && let Some((_, at, _)) = entries
                    .iter()
                    .find(|(k, _, v)| AUTH_PROVIDER_CREDENTIALS.contains(&k.as_str()) && held(v))
            {
                return Some(*at);
            }
        }
    }
    None
}

/// If `text` is a kubeconfig with credentials (an embedded one): where in
/// `text` its first credential is.
fn embedded_kubeconfig(text: &str) -> Option<Position> {
    if !(text.contains("clusters:") && text.contains("users:")) {
        return None;
    }
    spans::read(text)?.iter().find_map(|d| {
        d.get("clusters")?;
        credential_in_users(d.get("users")?)
    })
}

fn walk(node: &Node, key: Option<&str>, file_text: &str, hits: &mut Vec<Hit>) {
    match node {
        Node::Map { entries, .. } => {
            // An env entry: `- name: DB_PASSWORD` / `value: ...`.
            if let (Some(name), Some(value @ Node::Scalar { text, .. })) =
                (node.get("name").and_then(Node::text), node.get("value"))
                && secret_key(name)
                && secret_value(text)
            {
                hits.push(keyed(name, value.at()));
            }
            for (k, _, value) in entries {
                // A SealedSecret's ciphertext is safe to commit.
                if k == "encryptedData" {
                    continue;
                }
                walk(value, Some(k), file_text, hits);
            }
        }
        Node::Seq { items, .. } => {
            for item in items {
                walk(item, key, file_text, hits);
            }
        }
        Node::Scalar {
            at,
            text,
            bytes,
            block,
        } => scalar(text, *at, bytes.clone(), *block, key, file_text, hits),
        Node::Other { .. } => {}
    }
}

fn keyed(key: &str, at: Position) -> Hit {
    Hit {
        rule: "credential",
        at,
        message: format!(
            "{key:?} holds what looks like a real secret value; keep secrets out of Git (reference a secret store, or encrypt with SOPS or Sealed Secrets)"
        ),
    }
}

/// The position of `needle` inside a scalar as written in the file, or
/// the scalar's start when it is not written there as is (escapes,
/// folding, base64).
fn inside(file_text: &str, bytes: &std::ops::Range<usize>, at: Position, needle: &str) -> Position {
    let Some(raw) = file_text.get(bytes.start..bytes.end.max(bytes.start)) else {
        return at;
    };
    let Some(offset) = raw.find(needle) else {
        return at;
    };
    // Counted from the scalar's own start: never from the file's.
    let before = &raw[..offset];
    match before.rfind('\n') {
        None => Position {
            line: at.line,
            column: at.column + before.chars().count(),
        },
        Some(last) => Position {
            line: at.line + before.bytes().filter(|&b| b == b'\n').count(),
            column: before[last + 1..].chars().count() + 1,
        },
    }
}

fn scalar(
    text: &str,
    at: Position,
    bytes: std::ops::Range<usize>,
    block: bool,
    key: Option<&str>,
    file_text: &str,
    hits: &mut Vec<Hit>,
) {
    if text.len() < 8 {
        return;
    }
    if let Some(found) = PRIVATE_KEY.find(text) {
        hits.push(Hit {
            rule: "private-key",
            at: inside(file_text, &bytes, at, found.as_str()),
            message: "a PEM private key; keep it out of Git (use a secret store)".into(),
        });
        return;
    }
    if let Some(credential) = embedded_kubeconfig(text) {
        // A block scalar starts at its first content line, and its lines
        // are the file's lines.
        let at = if block {
            Position {
                line: at.line + credential.line - 1,
                column: at.column + credential.column - 1,
            }
        } else {
            at
        };
        hits.push(Hit {
            rule: "kubeconfig",
            at,
            message: "an embedded kubeconfig with user credentials; keep it out of Git (use a secret store)".into(),
        });
        return;
    }
    if let Some(hit) = base64_secret(text, at) {
        hits.push(hit);
        return;
    }
    // An embedded file (ini credentials, .env, properties) in a block:
    // line by line, at the file's lines.
    if block && text.trim_end().contains('\n') {
        let mut inner = Vec::new();
        scan_lines(text, &mut inner);
        hits.extend(inner.into_iter().map(|hit| Hit {
            at: Position {
                line: at.line + hit.at.line - 1,
                column: at.column + hit.at.column - 1,
            },
            ..hit
        }));
        return;
    }
    for (name, pattern) in TOKENS.iter() {
        if let Some(found) = pattern.find(text).filter(|m| real_token(m.as_str())) {
            hits.push(Hit {
                rule: "credential",
                at: inside(file_text, &bytes, at, found.as_str()),
                message: format!("{name}; keep secrets out of Git (reference a secret store)"),
            });
            return;
        }
    }
    if let Some(captures) = URL_PASSWORD.captures(text)
        && captures.get(1).is_some_and(|p| url_password(p.as_str()))
    {
        let found = captures.get(0).map_or("", |m| m.as_str());
        hits.push(Hit {
            rule: "credential",
            at: inside(file_text, &bytes, at, found),
            message: "a URL with a password; keep secrets out of Git (reference a secret store)"
                .into(),
        });
        return;
    }
    if let Some(key) = key
        && secret_key(key)
        && secret_value(text)
    {
        hits.push(keyed(key, at));
        return;
    }
    // `KEY=value` in generator literals and env-style strings.
    if let Some((name, value)) = text.split_once('=')
        && !name.contains(char::is_whitespace)
        && secret_key(name)
        && secret_value(value)
    {
        hits.push(keyed(name, at));
    }
}

/// A base64 value that decodes to a private key or a kubeconfig.
fn base64_secret(text: &str, at: Position) -> Option<Hit> {
    let compact: String = text.split_whitespace().collect();
    if compact.len() < 40
        || !compact
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b))
    {
        return None;
    }
    let decoded = crate::base64::decode(&compact)?;
    let decoded = String::from_utf8(decoded).ok()?;
    if PRIVATE_KEY.is_match(&decoded) {
        return Some(Hit {
            rule: "private-key",
            at,
            message: "a base64-encoded PEM private key; keep it out of Git (use a secret store)"
                .into(),
        });
    }
    if embedded_kubeconfig(&decoded).is_some() {
        return Some(Hit {
            rule: "kubeconfig",
            at,
            message: "a base64-encoded kubeconfig with user credentials; keep it out of Git (use a secret store)".into(),
        });
    }
    None
}

/// A text file that is not YAML: line by line.
fn scan_lines(text: &str, hits: &mut Vec<Hit>) {
    for (index, line) in text.lines().enumerate() {
        let line_no = index + 1;
        let column = |offset: usize| line[..offset].chars().count() + 1;
        let at = |offset: usize| Position {
            line: line_no,
            column: column(offset),
        };
        if let Some(found) = PRIVATE_KEY.find(line) {
            hits.push(Hit {
                rule: "private-key",
                at: at(found.start()),
                message: "a PEM private key; keep it out of Git (use a secret store)".into(),
            });
            continue;
        }
        if let Some((name, found)) = TOKENS.iter().find_map(|(name, pattern)| {
            pattern
                .find(line)
                .filter(|m| real_token(m.as_str()))
                .map(|m| (name, m))
        }) {
            hits.push(Hit {
                rule: "credential",
                at: at(found.start()),
                message: format!("{name}; keep secrets out of Git (reference a secret store)"),
            });
            continue;
        }
        if let Some(captures) = URL_PASSWORD.captures(line)
            && captures.get(1).is_some_and(|p| url_password(p.as_str()))
            && let Some(found) = captures.get(0)
        {
            hits.push(Hit {
                rule: "credential",
                at: at(found.start()),
                message:
                    "a URL with a password; keep secrets out of Git (reference a secret store)"
                        .into(),
            });
            continue;
        }
        if let Some(captures) = ASSIGNMENT.captures(line)
            && let (Some(name), Some(value)) = (captures.get(1), captures.get(2))
            && secret_key(name.as_str())
            && secret_value(value.as_str())
        {
            hits.push(keyed(name.as_str(), at(value.start())));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_keys() {
        for key in [
            "password",
            "dbPassword",
            "DB_PASSWORD",
            "client-secret",
            "apiKey",
            "SECRET_KEY",
            "aws_secret_access_key",
            "token",
        ] {
            assert!(secret_key(key), "{key}");
        }
        for key in [
            "secretName",
            "passwordFile",
            "tokenPath",
            "key",
            "name",
            "checksum/config",
            "revision",
        ] {
            assert!(!secret_key(key), "{key}");
        }
    }

    #[test]
    fn secret_values() {
        assert!(secret_value("q8Vd2kLx9pZr4TmW"));
        for value in [
            "changeme",
            "${DB_PASSWORD}",
            "{{ .Values.password }}",
            "<path:vault/data/db#password>",
            "ENC[AES256_GCM,data:abc]",
            "db-credentials",
            "/etc/secret/pw",
            "0b7e0c4c-6f1e-4a7e-9a65-0c9a3b2f1d11",
            "short",
        ] {
            assert!(!secret_value(value), "{value}");
        }
    }

    #[test]
    fn finds_each_kind_on_its_line() {
        let text = "apiVersion: v1\nkind: ConfigMap\ndata:\n  key.pem: |\n    -----BEGIN RSA PRIVATE KEY-----\n    MIIB\n  aws: AKIAABCDEFGHIJKLMNOP\n  url: postgres://app:Zx9q2LmV7@db:5432/app\n  plain: postgres://db:5432/app\n  DB_PASSWORD: k3Jq9vXz2Lp8RtY5\n  revision: 2f1d0c9b8a7e6d5c4b3a29180706f5e4d3c2b1a0\n";
        let hits = scan(text);
        let lines: Vec<(usize, &str)> = hits.iter().map(|h| (h.at.line, h.rule)).collect();
        assert_eq!(
            lines,
            [
                (5, "private-key"),
                (7, "credential"),
                (8, "credential"),
                (10, "credential")
            ]
        );
        // Values are never quoted.
        assert!(
            hits.iter()
                .all(|h| !h.message.contains("AKIA") && !h.message.contains("k3Jq"))
        );
    }

    #[test]
    fn text_files_line_by_line() {
        let hits = scan("# db\nexport DB_PASSWORD=k3Jq9vXz2Lp8RtY5\nLOG_LEVEL=debug\n");
        assert_eq!(hits.len(), 1);
        assert_eq!((hits[0].at.line, hits[0].at.column), (2, 20));
    }

    #[test]
    fn kubeconfigs_with_credentials_only() {
        let with = "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: https://k}\nusers:\n- name: u\n  user:\n    token: abc\n";
        let hits = scan(with);
        assert_eq!(hits.len(), 1);
        assert_eq!((hits[0].rule, hits[0].at.line), ("kubeconfig", 9));
        let without = "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: https://k}\nusers: []\n";
        assert!(scan(without).is_empty());
    }
}
