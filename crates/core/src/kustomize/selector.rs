//! Patch targets: kustomize's `Selector` (group, version, kind, name and
//! namespace as anchored regular expressions, label and annotation selectors).

use regex::Regex;

use crate::error::Error;
use crate::resource::{ResId, Resource};
use crate::yaml::fields;
use crate::yaml::{Mapping, Value};

/// Which objects a patch applies to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selector {
    /// API group; empty matches any.
    pub group: String,
    /// API version; empty matches any.
    pub version: String,
    /// Kind; empty matches any.
    pub kind: String,
    /// Name, an anchored regular expression; empty matches any.
    pub name: String,
    /// Namespace, an anchored regular expression; empty matches any.
    pub namespace: String,
    /// A Kubernetes label selector (`app=web,tier in (a,b),!legacy`).
    pub label_selector: String,
    /// The same syntax, over annotations.
    pub annotation_selector: String,
}

/// An anchored pattern: plain names compare as text, others as regular expressions.
enum Pattern {
    Literal(String),
    Regex(Regex),
}

impl Pattern {
    fn is_match(&self, text: &str) -> bool {
        match self {
            Pattern::Literal(s) => s == text,
            Pattern::Regex(r) => r.is_match(text),
        }
    }
}

/// A compiled [`Selector`].
pub(crate) struct CompiledSelector {
    selector: Selector,
    name: Option<Pattern>,
    namespace: Option<Pattern>,
    labels: Vec<Requirement>,
    annotations: Vec<Requirement>,
}

impl Selector {
    /// Reads a selector mapping (`target:` of a patch); `at` names it in errors.
    pub(crate) fn from_value(
        value: &Value,
        file: &str,
        at: &str,
        allowed: &[&str],
    ) -> Result<Selector, Error> {
        let Value::Map(m) = value else {
            return Err(Error::overlay(file, format!("{at}: expected a mapping")));
        };
        fields::check_keys(m, allowed).map_err(|e| Error::overlay(file, format!("{at}: {e}")))?;
        let text = |key: &str| {
            fields::string_or_empty(m, key).map_err(|e| Error::overlay(file, format!("{at}.{e}")))
        };
        Ok(Selector {
            group: text("group")?,
            version: text("version")?,
            kind: text("kind")?,
            name: text("name")?,
            namespace: text("namespace")?,
            label_selector: text("labelSelector")?,
            annotation_selector: text("annotationSelector")?,
        })
    }

    pub(crate) fn compile(&self, file: &str) -> Result<CompiledSelector, Error> {
        let anchored = |pattern: &str, what: &str| -> Result<Option<Pattern>, Error> {
            if pattern.is_empty() {
                return Ok(None);
            }
            if pattern
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                return Ok(Some(Pattern::Literal(pattern.to_owned())));
            }
            Regex::new(&format!("^(?:{pattern})$"))
                .map(|r| Some(Pattern::Regex(r)))
                .map_err(|e| {
                    Error::overlay(
                        file,
                        format!("target {what} {pattern:?} is not a valid pattern: {e}"),
                    )
                })
        };
        let requirements = |text: &str, what: &str| {
            parse_label_selector(text)
                .map_err(|e| Error::overlay(file, format!("target {what} {text:?}: {e}")))
        };
        Ok(CompiledSelector {
            name: anchored(&self.name, "name")?,
            namespace: anchored(&self.namespace, "namespace")?,
            labels: requirements(&self.label_selector, "labelSelector")?,
            annotations: requirements(&self.annotation_selector, "annotationSelector")?,
            selector: self.clone(),
        })
    }
}

impl CompiledSelector {
    /// Whether `r` is selected: its original or current name and namespace,
    /// its group/version/kind, its labels and annotations.
    pub(crate) fn matches(&self, r: &Resource) -> bool {
        let (current, original) = (r.id(), r.original_id());
        let s = &self.selector;
        let namespace_ok = self.namespace.as_ref().is_none_or(|ns| {
            ns.is_match(original.effective_namespace())
                || ns.is_match(current.effective_namespace())
        });
        let name_ok = self
            .name
            .as_ref()
            .is_none_or(|name| name.is_match(&original.name) || name.is_match(&current.name));
        if !namespace_ok || !name_ok {
            return false;
        }
        if !gvk_selected(s, current) {
            return false;
        }
        let meta = |key: &str| {
            r.value()
                .get_path(&["metadata", key])
                .and_then(Value::as_map)
        };
        requirements_hold(&self.labels, meta("labels"))
            && requirements_hold(&self.annotations, meta("annotations"))
    }
}

fn gvk_selected(s: &Selector, id: &ResId) -> bool {
    (s.group.is_empty() || s.group == id.group)
        && (s.version.is_empty() || s.version == id.version)
        && (s.kind.is_empty() || s.kind == id.kind)
}

/// One requirement of a label selector.
#[derive(Debug, Clone, PartialEq)]
enum Requirement {
    Exists(String),
    NotExists(String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
}

fn requirements_hold(requirements: &[Requirement], map: Option<&Mapping>) -> bool {
    let get = |k: &str| map.and_then(|m| m.get(k)).and_then(Value::as_str);
    requirements.iter().all(|r| match r {
        Requirement::Exists(k) => get(k).is_some(),
        Requirement::NotExists(k) => get(k).is_none(),
        Requirement::In(k, values) => get(k).is_some_and(|v| values.iter().any(|x| x == v)),
        Requirement::NotIn(k, values) => get(k).is_none_or(|v| !values.iter().any(|x| x == v)),
    })
}

/// Parses Kubernetes label selector syntax: `a=b`, `a==b`, `a!=b`, `a`,
/// `!a`, `a in (x,y)`, `a notin (x,y)`, separated by commas.
fn parse_label_selector(text: &str) -> Result<Vec<Requirement>, String> {
    let mut out = Vec::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        // Split off one requirement: a comma outside parentheses ends it.
        let mut depth = 0;
        let mut end = rest.len();
        for (i, c) in rest.char_indices() {
            match c {
                '(' => depth += 1,
                ')' => depth -= 1,
                ',' if depth == 0 => {
                    end = i;
                    break;
                }
                _ => {}
            }
        }
        out.push(requirement(rest[..end].trim())?);
        rest = rest.get(end + 1..).unwrap_or("").trim();
    }
    Ok(out)
}

fn requirement(text: &str) -> Result<Requirement, String> {
    if let Some(key) = text.strip_prefix('!') {
        return Ok(Requirement::NotExists(key.trim().to_owned()));
    }
    if let Some((k, v)) = text.split_once("!=") {
        return Ok(Requirement::NotIn(
            k.trim().to_owned(),
            vec![v.trim().to_owned()],
        ));
    }
    if let Some((k, v)) = text.split_once("==").or_else(|| text.split_once('=')) {
        return Ok(Requirement::In(
            k.trim().to_owned(),
            vec![v.trim().to_owned()],
        ));
    }
    let words: Vec<&str> = text.splitn(2, char::is_whitespace).collect();
    if words.len() == 2 {
        let rest = words[1].trim();
        let (negated, list) = if let Some(l) = rest.strip_prefix("notin") {
            (true, l)
        } else if let Some(l) = rest.strip_prefix("in") {
            (false, l)
        } else {
            return Err(format!("cannot read requirement {text:?}"));
        };
        let list = list
            .trim()
            .strip_prefix('(')
            .and_then(|l| l.strip_suffix(')'))
            .ok_or_else(|| format!("expected (values) in {text:?}"))?;
        let values = list.split(',').map(|v| v.trim().to_owned()).collect();
        let key = words[0].to_owned();
        return Ok(if negated {
            Requirement::NotIn(key, values)
        } else {
            Requirement::In(key, values)
        });
    }
    if text.is_empty() || text.contains(char::is_whitespace) {
        return Err(format!("cannot read requirement {text:?}"));
    }
    Ok(Requirement::Exists(text.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_selectors() {
        let r = parse_label_selector("app=web, tier in (a, b),!legacy,env!=dev,x").expect("parses");
        assert_eq!(r.len(), 5);
        assert_eq!(
            r[1],
            Requirement::In("tier".into(), vec!["a".into(), "b".into()])
        );
        assert_eq!(r[2], Requirement::NotExists("legacy".into()));
        assert!(parse_label_selector("a b c").is_err());
    }
}
