//! `.trueup/verify.yaml`: how overlays map to environments, the schema
//! version, and the exceptions a team approved.

use super::spans::{self, Node, Position};
use crate::error::Error;

/// Where `trueup verify` looks for its configuration, from the root.
pub const DEFAULT_CONFIG_PATH: &str = ".trueup/verify.yaml";

/// The configuration of [`verify`](super::verify) (all of it optional).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VerifyConfig {
    /// How overlays map to environments; an overlay belongs to the first
    /// environment one of whose `paths` matches it.
    pub environments: Vec<Environment>,
    /// The Kubernetes version whose schemas built-in kinds are checked
    /// against (`"1.33"`); the newest shipped when `None`.
    pub kubernetes_version: Option<String>,
    /// Findings a team accepted, each with a reason, an approver and an
    /// end date.
    pub exceptions: Vec<Exception>,
    /// The file the configuration was read from (repository-relative), if any.
    pub file: Option<String>,
}

/// One environment.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Environment {
    /// Its name (`prod`).
    pub name: String,
    /// Globs of the overlay folders in it, relative to the root
    /// (`apps/*/overlays/prod`); `*` matches any characters, `/` too.
    pub paths: Vec<String>,
    /// Globs of the namespaces its namespaced objects may be in; any when
    /// empty.
    pub namespaces: Vec<String>,
    /// Whether every image must be pinned by digest.
    pub require_digests: bool,
    /// The cluster it deploys to. Environments on different clusters may
    /// hold the same object and share namespace names; those without a
    /// cluster share one.
    pub cluster: Option<String>,
}

/// An accepted finding.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Exception {
    /// The rule it applies to (`mutable-image`).
    pub rule: String,
    /// What it applies to: every field given must match.
    #[serde(rename = "match")]
    pub matches: ExceptionMatch,
    /// Why it is accepted.
    pub reason: String,
    /// Who accepted it.
    pub approver: String,
    /// The last day it applies (`YYYY-MM-DD`).
    pub expires: String,
    /// Where it is written: the configuration file's line.
    #[serde(skip)]
    pub line: usize,
}

/// What an [`Exception`] applies to.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct ExceptionMatch {
    /// A glob of the overlay folder or the source file of the finding
    /// (a folder also matches what is under it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The image's name (without tag or digest), or its whole reference.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// A glob of the resource: `Kind/name` or `Kind/namespace/name`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
}

impl VerifyConfig {
    /// Reads a configuration; `file` names it in errors.
    ///
    /// ```
    /// use trueup_core::guard::VerifyConfig;
    /// let config = VerifyConfig::from_yaml(
    ///     "environments:\n- name: prod\n  paths: [apps/*/prod]\n  requireDigests: true\n",
    ///     ".trueup/verify.yaml",
    /// ).unwrap();
    /// assert!(config.environments[0].require_digests);
    /// assert!(VerifyConfig::from_yaml("environment: []\n", "v.yaml").is_err());
    /// ```
    pub fn from_yaml(text: &str, file: &str) -> Result<VerifyConfig, Error> {
        let bad = |at: Position, message: String| Error::Verify {
            file: format!("{file}:{}", at.line),
            message,
        };
        let documents = spans::read(text).ok_or_else(|| {
            let line = crate::yaml::parse_documents(text)
                .err()
                .and_then(|e| e.line())
                .unwrap_or(1);
            bad(Position { line, column: 1 }, "not valid YAML".into())
        })?;
        let mut config = VerifyConfig {
            file: Some(file.to_owned()),
            ..VerifyConfig::default()
        };
        let Some(top) = documents.into_iter().next() else {
            return Ok(config);
        };
        let entries = match &top {
            Node::Map { entries, .. } => entries.as_slice(),
            Node::Other { .. } => return Ok(config),
            other => return Err(bad(other.at(), "expected a mapping".into())),
        };
        for (key, at, value) in entries {
            match key.as_str() {
                "environments" => {
                    for (i, item) in list(value, key, &bad)?.iter().enumerate() {
                        config.environments.push(environment(
                            item,
                            &format!("environments[{i}]"),
                            &bad,
                        )?);
                    }
                }
                "kubernetesVersion" => {
                    let version = string(value, key, &bad)?;
                    if super::schema::version_index(&version).is_none() {
                        return Err(bad(
                            value.at(),
                            format!(
                                "kubernetesVersion: {}",
                                super::schema::unknown_version(&version)
                            ),
                        ));
                    }
                    config.kubernetes_version = Some(version);
                }
                "exceptions" => {
                    for (i, item) in list(value, key, &bad)?.iter().enumerate() {
                        config
                            .exceptions
                            .push(exception(item, &format!("exceptions[{i}]"), &bad)?);
                    }
                }
                other => {
                    return Err(bad(
                        *at,
                        format!(
                            "unknown field {other:?} (expected environments, kubernetesVersion, exceptions)"
                        ),
                    ));
                }
            }
        }
        let mut names = std::collections::HashSet::new();
        for (i, env) in config.environments.iter().enumerate() {
            if !names.insert(env.name.as_str()) {
                return Err(Error::Verify {
                    file: file.to_owned(),
                    message: format!("environments[{i}]: {:?} is named twice", env.name),
                });
            }
        }
        Ok(config)
    }

    /// Reads a configuration file from disk; errors name it as given.
    pub fn load(path: impl AsRef<std::path::Path>) -> Result<VerifyConfig, Error> {
        let path = path.as_ref();
        let shown = path.to_string_lossy();
        // A regular file within the size limit, as every file trueup reads.
        let bytes = crate::source::read_regular_file(path, &shown)?;
        let text = String::from_utf8(bytes).map_err(|_| Error::Verify {
            file: shown.to_string(),
            message: "not valid UTF-8".into(),
        })?;
        VerifyConfig::from_yaml(&text, &shown)
    }

    /// The environment of the overlay at `path` (relative to the root).
    pub fn environment_of(&self, path: &str) -> Option<&Environment> {
        self.environments
            .iter()
            .find(|env| env.paths.iter().any(|p| crate::glob::matches(p, path)))
    }
}

type Bad<'a> = dyn Fn(Position, String) -> Error + 'a;

fn list<'n>(value: &'n Node, at: &str, bad: &Bad<'_>) -> Result<&'n [Node], Error> {
    match value {
        Node::Seq { items, .. } => Ok(items),
        Node::Scalar {
            text, block: false, ..
        } if text.is_empty() || text == "null" => Ok(&[]),
        other => Err(bad(other.at(), format!("{at}: expected a list"))),
    }
}

fn string(value: &Node, at: &str, bad: &Bad<'_>) -> Result<String, Error> {
    match value {
        Node::Scalar { text, .. } if !text.is_empty() => Ok(text.clone()),
        other => Err(bad(
            other.at(),
            format!("{at}: expected a non-empty string"),
        )),
    }
}

fn strings(value: &Node, at: &str, bad: &Bad<'_>) -> Result<Vec<String>, Error> {
    list(value, at, bad)?
        .iter()
        .enumerate()
        .map(|(i, item)| string(item, &format!("{at}[{i}]"), bad))
        .collect()
}

fn boolean(value: &Node, at: &str, bad: &Bad<'_>) -> Result<bool, Error> {
    match value.text() {
        Some("true") => Ok(true),
        Some("false") => Ok(false),
        _ => Err(bad(value.at(), format!("{at}: expected true or false"))),
    }
}

fn fields<'n>(
    value: &'n Node,
    at: &str,
    bad: &Bad<'_>,
) -> Result<&'n [(String, Position, Node)], Error> {
    match value {
        Node::Map { entries, .. } => Ok(entries),
        other => Err(bad(other.at(), format!("{at}: expected a mapping"))),
    }
}

fn environment(value: &Node, at: &str, bad: &Bad<'_>) -> Result<Environment, Error> {
    let mut env = Environment::default();
    for (key, key_at, field) in fields(value, at, bad)? {
        let here = format!("{at}.{key}");
        match key.as_str() {
            "name" => env.name = string(field, &here, bad)?,
            "paths" => env.paths = strings(field, &here, bad)?,
            "namespaces" => env.namespaces = strings(field, &here, bad)?,
            "requireDigests" => env.require_digests = boolean(field, &here, bad)?,
            "cluster" => env.cluster = Some(string(field, &here, bad)?),
            other => {
                return Err(bad(
                    *key_at,
                    format!(
                        "{at}: unknown field {other:?} (expected name, paths, namespaces, requireDigests, cluster)"
                    ),
                ));
            }
        }
    }
    if env.name.is_empty() {
        return Err(bad(value.at(), format!("{at}: name is required")));
    }
    if env.paths.is_empty() {
        return Err(bad(
            value.at(),
            format!(
                "{at}: paths is required (the overlay folders of {:?})",
                env.name
            ),
        ));
    }
    Ok(env)
}

fn exception(value: &Node, at: &str, bad: &Bad<'_>) -> Result<Exception, Error> {
    let mut exception = Exception {
        line: value.at().line,
        ..Exception::default()
    };
    for (key, key_at, field) in fields(value, at, bad)? {
        let here = format!("{at}.{key}");
        match key.as_str() {
            "rule" => exception.rule = string(field, &here, bad)?,
            "reason" => exception.reason = string(field, &here, bad)?,
            "approver" => exception.approver = string(field, &here, bad)?,
            "expires" => exception.expires = string(field, &here, bad)?,
            "match" => {
                for (key, key_at, field) in fields(field, &here, bad)? {
                    let inner = format!("{here}.{key}");
                    let slot = match key.as_str() {
                        "path" => &mut exception.matches.path,
                        "image" => &mut exception.matches.image,
                        "resource" => &mut exception.matches.resource,
                        other => {
                            return Err(bad(
                                *key_at,
                                format!(
                                    "{here}: unknown field {other:?} (expected path, image, resource)"
                                ),
                            ));
                        }
                    };
                    *slot = Some(string(field, &inner, bad)?);
                }
            }
            other => {
                return Err(bad(
                    *key_at,
                    format!(
                        "{at}: unknown field {other:?} (expected rule, match, reason, approver, expires)"
                    ),
                ));
            }
        }
    }
    let missing = |what: &str| bad(value.at(), format!("{at}: {what} is required"));
    if exception.rule.is_empty() {
        return Err(missing("rule"));
    }
    if !super::RULES.iter().any(|r| r.id == exception.rule) {
        let known: Vec<&str> = super::RULES.iter().map(|r| r.id).collect();
        return Err(bad(
            value.at(),
            format!(
                "{at}.rule: unknown rule {:?} (rules: {})",
                exception.rule,
                known.join(", ")
            ),
        ));
    }
    if exception.reason.is_empty() {
        return Err(missing("reason"));
    }
    if exception.approver.is_empty() {
        return Err(missing("approver"));
    }
    if exception.expires.is_empty() {
        return Err(missing("expires (the last day it applies, YYYY-MM-DD)"));
    }
    if parse_date(&exception.expires).is_none() {
        return Err(bad(
            value.at(),
            format!(
                "{at}.expires: {:?} is not a date (YYYY-MM-DD)",
                exception.expires
            ),
        ));
    }
    let m = &exception.matches;
    if m.path.is_none() && m.image.is_none() && m.resource.is_none() {
        return Err(missing("match (one of path, image, resource)"));
    }
    Ok(exception)
}

/// A `YYYY-MM-DD` date as (year, month, day), if it is one.
pub(crate) fn parse_date(text: &str) -> Option<(u32, u32, u32)> {
    let digits = |p: &&str, n: usize| p.len() == n && p.bytes().all(|b| b.is_ascii_digit());
    let mut parts = text.split('-');
    let year: u32 = parts.next().filter(|p| digits(p, 4))?.parse().ok()?;
    let month: u32 = parts.next().filter(|p| digits(p, 2))?.parse().ok()?;
    let day: u32 = parts.next().filter(|p| digits(p, 2))?.parse().ok()?;
    let leap = year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400));
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if parts.next().is_some() || !(1..=days).contains(&day) {
        return None;
    }
    Some((year, month, day))
}

/// Today's date (UTC) as `YYYY-MM-DD`.
pub(crate) fn today() -> String {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let mut day = crate::release::rfc3339(i64::try_from(seconds).unwrap_or(0));
    day.truncate(10);
    day
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_issue_example() {
        let text = "environments:\n- name: prod\n  paths: [\"apps/*/overlays/prod\", \"clusters/prod\"]\n  namespaces: [\"prod\", \"prod-*\"]\n  requireDigests: true\n- name: staging\n  paths: [\"apps/*/overlays/staging\"]\n  namespaces: [\"staging\"]\nkubernetesVersion: \"1.33\"\nexceptions:\n- rule: mutable-image\n  match: {path: apps/legacy/overlays/prod, image: docker.io/library/redis}\n  reason: vendor image without digests\n  approver: platform-team\n  expires: 2027-01-31\n";
        let config = VerifyConfig::from_yaml(text, "v.yaml").expect("config");
        assert_eq!(config.environments.len(), 2);
        assert_eq!(
            config
                .environment_of("apps/web/overlays/prod")
                .map(|e| e.name.as_str()),
            Some("prod")
        );
        assert_eq!(config.environment_of("apps/web/overlays/dev"), None);
        assert_eq!(config.exceptions[0].line, 11);
        assert_eq!(config.kubernetes_version.as_deref(), Some("1.33"));
    }

    #[test]
    fn errors_name_the_line_and_field() {
        let text = "exceptions:\n- rule: mutable-image\n  match: {image: redis}\n  approver: me\n  expires: 2027-01-31\n";
        let error = VerifyConfig::from_yaml(text, "v.yaml")
            .expect_err("no reason")
            .to_string();
        assert_eq!(
            error, "v.yaml:2: exceptions[0]: reason is required",
            "{error}"
        );
        let error = VerifyConfig::from_yaml("environments:\n- name: a\n  path: [x]\n", "v.yaml")
            .expect_err("typo")
            .to_string();
        assert!(
            error.starts_with("v.yaml:3: environments[0]: unknown field \"path\""),
            "{error}"
        );
    }

    #[test]
    fn dates() {
        assert_eq!(parse_date("2027-01-31"), Some((2027, 1, 31)));
        assert_eq!(parse_date("2027-1-31"), None);
        assert_eq!(parse_date("2027-13-01"), None);
        assert_eq!(parse_date("2027-02-31"), None);
        assert_eq!(parse_date("+027-01-01"), None);
        assert_eq!(parse_date("2028-02-29"), Some((2028, 2, 29)));
        assert_eq!(today().len(), 10);
        assert!(parse_date(&today()).is_some());
    }
}
