//! `replacements`: copy a value from one object's field into fields of
//! others (kustomize's ReplacementTransformer), with field paths like
//! `spec.template.spec.containers.[name=app].image`.

use crate::error::Error;
use crate::resource::{ManifestSet, ResId, Resource};
use crate::yaml::fields;
use crate::yaml::{Mapping, Value};

/// Which objects, by exact group, version, kind, name and namespace.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IdSelector {
    /// API group.
    pub group: Option<String>,
    /// API version.
    pub version: Option<String>,
    /// Kind.
    pub kind: Option<String>,
    /// Name.
    pub name: Option<String>,
    /// Namespace.
    pub namespace: Option<String>,
}

impl IdSelector {
    fn selects(&self, id: &ResId) -> bool {
        let ok = |want: &Option<String>, have: &str| want.as_deref().is_none_or(|w| w == have);
        ok(&self.group, &id.group)
            && ok(&self.version, &id.version)
            && ok(&self.kind, &id.kind)
            && ok(&self.name, &id.name)
            && ok(&self.namespace, &id.namespace)
    }

    /// Whether any identity the object has or had is selected.
    fn selects_resource(&self, r: &Resource) -> bool {
        std::iter::once(r.id())
            .chain(r.previous_ids())
            .any(|id| self.selects(id))
    }

    /// This selector as a target's `select` or `reject`, whose fields
    /// kustomize matches as whole-value regular expressions (`Deployment|.*Set`).
    fn as_patterns(&self) -> PatternSelector {
        let pattern = |field: &Option<String>| {
            field.as_deref().map(|text| {
                regex::Regex::new(&format!("^(?:{text})$")).map_or_else(
                    |_| FieldPattern::Exact(text.to_owned()),
                    FieldPattern::Regex,
                )
            })
        };
        PatternSelector {
            fields: [
                pattern(&self.group),
                pattern(&self.version),
                pattern(&self.kind),
                pattern(&self.name),
                pattern(&self.namespace),
            ],
        }
    }
}

/// One field of a [`PatternSelector`]: a regular expression, or the exact
/// text when it is not a valid one.
enum FieldPattern {
    Regex(regex::Regex),
    Exact(String),
}

impl FieldPattern {
    fn is_match(&self, text: &str) -> bool {
        match self {
            FieldPattern::Regex(r) => r.is_match(text),
            FieldPattern::Exact(e) => e == text,
        }
    }
}

/// An [`IdSelector`] whose fields are patterns: group, version, kind, name,
/// namespace.
struct PatternSelector {
    fields: [Option<FieldPattern>; 5],
}

impl PatternSelector {
    fn selects_resource(&self, r: &Resource) -> bool {
        std::iter::once(r.id()).chain(r.previous_ids()).any(|id| {
            let values = [&id.group, &id.version, &id.kind, &id.name, &id.namespace];
            self.fields
                .iter()
                .zip(values)
                .all(|(pattern, value)| pattern.as_ref().is_none_or(|p| p.is_match(value)))
        })
    }
}

/// `delimiter` and `index` options: work on one part of a delimited string.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DelimitedPart {
    /// The delimiter.
    pub delimiter: String,
    /// Which part.
    pub index: i64,
}

/// Where the value comes from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReplacementSource {
    /// The one object to read.
    pub selector: IdSelector,
    /// The field (default `metadata.name`).
    pub field_path: String,
    /// Take one part of a delimited string.
    pub part: Option<DelimitedPart>,
}

/// Where the value goes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReplacementTarget {
    /// The objects to write.
    pub select: IdSelector,
    /// Objects to leave alone.
    pub reject: Vec<IdSelector>,
    /// The fields to write.
    pub field_paths: Vec<String>,
    /// Create missing fields.
    pub create: bool,
    /// Replace one part of a delimited string.
    pub part: Option<DelimitedPart>,
}

/// One replacement.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Replacement {
    /// The source.
    pub source: ReplacementSource,
    /// The targets.
    pub targets: Vec<ReplacementTarget>,
}

/// Splits a field path on `.` outside `[...]`. Empty parts are dropped, so
/// `.metadata.name` (as kubebuilder's scaffold writes it) is `metadata.name`,
/// as in kustomize.
/// A `\.` is a dot inside a part (`metadata.labels.example\.com/x`), as
/// kyaml's PathSplitter reads it.
pub(super) fn split_path(path: &str) -> Vec<String> {
    let mut parts: Vec<String> = Vec::new();
    let mut escaped = false;
    for part in super::fieldspec::split_outside_brackets(path, '.') {
        match parts.last_mut() {
            Some(last) if escaped => {
                last.pop();
                last.push('.');
                last.push_str(part);
            }
            _ => parts.push(part.to_owned()),
        }
        escaped = part.ends_with('\\');
    }
    parts.retain(|p| !p.is_empty());
    parts
}

/// The mapping key a path part names: `[a.b/c]` (brackets that keep dots and
/// slashes together, with no `=`) is the key `a.b/c`, as in kustomize.
fn map_key(segment: &str) -> &str {
    segment
        .strip_prefix('[')
        .and_then(|s| s.strip_suffix(']'))
        .filter(|key| !key.contains('='))
        .unwrap_or(segment)
}

/// Reads the value at `path`, if there is exactly one place.
pub(super) fn lookup<'v>(value: &'v Value, path: &[&str]) -> Option<&'v Value> {
    let Some((segment, rest)) = path.split_first() else {
        return Some(value);
    };
    match value {
        Value::Map(m) => lookup(m.get(map_key(segment))?, rest),
        Value::Seq(items) => {
            if let Some((k, v)) = segment
                .strip_prefix('[')
                .and_then(|s| s.strip_suffix(']'))
                .and_then(|s| s.split_once('='))
            {
                let found = items.iter().find(|item| {
                    item.as_map()
                        .and_then(|m| m.get(k))
                        .and_then(Value::scalar_text)
                        .as_deref()
                        == Some(v)
                })?;
                lookup(found, rest)
            } else {
                lookup(items.get(segment.parse::<usize>().ok()?)?, rest)
            }
        }
        _ => None,
    }
}

/// Calls `f` on every place `path` names, creating missing fields when `create`.
/// Returns how many places there were.
fn visit(
    value: &mut Value,
    path: &[&str],
    create: Option<&Value>,
    f: &mut dyn FnMut(&mut Value) -> Result<(), String>,
) -> Result<usize, String> {
    let Some((segment, rest)) = path.split_first() else {
        f(value)?;
        return Ok(1);
    };
    match value {
        Value::Map(m) => {
            if *segment == "*" {
                let mut n = 0;
                for v in m.values_mut() {
                    n += visit(v, rest, create, f)?;
                }
                return Ok(n);
            }
            let key = map_key(segment);
            if !m.contains_key(key) {
                let Some(leaf) = create else { return Ok(0) };
                let new = if rest.is_empty() {
                    leaf.clone()
                } else if rest[0].starts_with('[') && map_key(rest[0]) == rest[0] {
                    Value::Seq(Vec::new())
                } else {
                    Value::Map(Mapping::default())
                };
                m.insert(key.to_owned(), new);
            }
            visit(
                m.get_mut(key).expect("present or just created"),
                rest,
                create,
                f,
            )
        }
        Value::Seq(items) => {
            if *segment == "*" {
                let mut n = 0;
                for item in items {
                    n += visit(item, rest, create, f)?;
                }
                return Ok(n);
            }
            if let Some((k, v)) = segment
                .strip_prefix('[')
                .and_then(|s| s.strip_suffix(']'))
                .and_then(|s| s.split_once('='))
            {
                let mut n = 0;
                for item in items.iter_mut() {
                    if item
                        .as_map()
                        .and_then(|m| m.get(k))
                        .and_then(Value::scalar_text)
                        .as_deref()
                        == Some(v)
                    {
                        n += visit(item, rest, create, f)?;
                    }
                }
                if n == 0 && create.is_some() {
                    let mut element = Mapping::default();
                    element.insert(k.to_owned(), Value::String(v.to_owned()));
                    items.push(Value::Map(element));
                    let last = items.last_mut().expect("just pushed");
                    n += visit(last, rest, create, f)?;
                }
                return Ok(n);
            }
            match segment.parse::<usize>().ok().and_then(|i| items.get_mut(i)) {
                Some(item) => visit(item, rest, create, f),
                None => Ok(0),
            }
        }
        Value::Null if create.is_some() => {
            *value = Value::Map(Mapping::default());
            visit(value, path, create, f)
        }
        _ => Ok(0),
    }
}

fn part_of(text: &str, part: &DelimitedPart) -> Result<String, String> {
    let parts: Vec<&str> = text.split(part.delimiter.as_str()).collect();
    usize::try_from(part.index)
        .ok()
        .and_then(|i| parts.get(i))
        .map(|s| (*s).to_owned())
        .ok_or_else(|| {
            format!(
                "options.index {} is out of bounds for value {text}",
                part.index
            )
        })
}

/// kustomize's setFieldValue: a scalar target keeps its type and takes
/// only the value's text (`targetPort: http` replaced by 8081 is the
/// string "8081"); anything else is replaced whole.
fn set_keeping_type(place: &mut Value, value: &Value) {
    use crate::yaml::{Resolved, ResolvedNumber, resolve_plain_v3};
    let Some(text) = value.scalar_text() else {
        *place = value.clone();
        return;
    };
    *place = match place {
        Value::String(_) => Value::String(text),
        Value::Int(_) | Value::UInt(_) | Value::Float(_) | Value::Bool(_) => {
            match resolve_plain_v3(&text) {
                Resolved::Number(ResolvedNumber::Int(i)) => Value::Int(i),
                Resolved::Number(ResolvedNumber::UInt(u)) => Value::UInt(u),
                Resolved::Number(ResolvedNumber::Float(f)) => Value::Float(f),
                Resolved::Bool(b) => Value::Bool(b),
                _ => Value::String(text),
            }
        }
        _ => value.clone(),
    };
}

/// Applies the replacements in order.
pub(crate) fn apply(
    set: &mut ManifestSet,
    replacements: &[Replacement],
    file: &str,
) -> Result<(), Error> {
    for replacement in replacements {
        let source = &replacement.source;
        let mut picked = set.iter().filter(|r| source.selector.selects_resource(r));
        let (Some(found), None) = (picked.next(), picked.next()) else {
            let count = set
                .iter()
                .filter(|r| source.selector.selects_resource(r))
                .count();
            return Err(Error::overlay(
                file,
                if count == 0 {
                    format!(
                        "replacements: nothing selected by source {:?}",
                        source.selector
                    )
                } else {
                    format!(
                        "replacements: multiple matches for source {:?}",
                        source.selector
                    )
                },
            ));
        };
        let path = split_path(&source.field_path);
        let path: Vec<&str> = path.iter().map(String::as_str).collect();
        let mut value = lookup(found.value(), &path).cloned().ok_or_else(|| {
            Error::overlay(
                file,
                format!(
                    "replacements: fieldPath `{}` is missing for replacement source {}",
                    source.field_path,
                    found.id()
                ),
            )
        })?;
        if let Some(part) = &source.part {
            let text = value.scalar_text().ok_or_else(|| {
                Error::overlay(
                    file,
                    "replacements: a delimiter needs a scalar source value",
                )
            })?;
            value = Value::String(
                part_of(&text, part)
                    .map_err(|e| Error::overlay(file, format!("replacements: {e}")))?,
            );
        }
        let empty = Value::String(String::new());
        for target in &replacement.targets {
            let select = target.select.as_patterns();
            let rejects: Vec<PatternSelector> =
                target.reject.iter().map(IdSelector::as_patterns).collect();
            let selected = |r: &Resource| {
                select.selects_resource(r)
                    && !rejects.iter().any(|reject| reject.selects_resource(r))
            };
            set.transform_selected(file, "replacements", selected, |_, object| {
                for field_path in &target.field_paths {
                    let path = split_path(field_path);
                    let path: Vec<&str> = path.iter().map(String::as_str).collect();
                    // A field created for a delimited part starts empty:
                    // index -1 on nothing gives "value," (kustomize).
                    let create = target.create.then_some(if target.part.is_some() {
                        &empty
                    } else {
                        &value
                    });
                    let count = visit(object, &path, create, &mut |place| {
                        match &target.part {
                            Some(part) => {
                                let current = place
                                    .scalar_text()
                                    .ok_or("a delimiter needs a scalar target value")?;
                                let mut parts: Vec<String> = current
                                    .split(part.delimiter.as_str())
                                    .map(str::to_owned)
                                    .collect();
                                let text = value
                                    .scalar_text()
                                    .ok_or("a delimiter needs a scalar source value")?;
                                // kustomize: a negative index prepends, one
                                // past the parts appends.
                                match usize::try_from(part.index) {
                                    Err(_) => parts.insert(0, text),
                                    Ok(i) if i >= parts.len() => parts.push(text),
                                    Ok(i) => parts[i] = text,
                                }
                                *place = Value::String(parts.join(&part.delimiter));
                            }
                            None => set_keeping_type(place, &value),
                        }
                        Ok(())
                    })?;
                    if count == 0 {
                        return Err(format!(
                            "unable to find field \"{field_path}\" in replacement target"
                        ));
                    }
                }
                Ok(true)
            })?;
        }
    }
    Ok(())
}

/// Reads one replacement from its mapping; `at` names it in errors.
pub(crate) fn from_value(value: &Value, file: &str, at: &str) -> Result<Replacement, Error> {
    let err = |m: String| Error::overlay(file, format!("{at}: {m}"));
    let map = value
        .as_map()
        .ok_or_else(|| err("expected a mapping".into()))?;
    fields::check_keys(map, &["source", "targets"]).map_err(err)?;
    let source = map
        .get("source")
        .ok_or_else(|| err("missing source".into()))?;
    let source = source_from(source).map_err(|m| err(format!("source: {m}")))?;
    let targets = match map.get("targets") {
        Some(Value::Seq(items)) => items
            .iter()
            .enumerate()
            .map(|(i, t)| target_from(t).map_err(|m| err(format!("targets[{i}]: {m}"))))
            .collect::<Result<_, _>>()?,
        None | Some(Value::Null) => Vec::new(),
        Some(other) => {
            return Err(err(format!(
                "targets: expected a list, found {}",
                other.type_name()
            )));
        }
    };
    Ok(Replacement { source, targets })
}

fn id_selector(map: &Mapping) -> Result<IdSelector, String> {
    Ok(IdSelector {
        group: fields::optional_string(map, "group")?,
        version: fields::optional_string(map, "version")?,
        kind: fields::optional_string(map, "kind")?,
        name: fields::optional_string(map, "name")?,
        namespace: fields::optional_string(map, "namespace")?,
    })
}

fn part(map: &Mapping, allowed: &[&str]) -> Result<(Option<DelimitedPart>, bool), String> {
    let Some(options) = map.get("options") else {
        return Ok((None, false));
    };
    let options = options.as_map().ok_or("options: expected a mapping")?;
    fields::check_keys(options, allowed).map_err(|e| format!("options: {e}"))?;
    let index = match options.get("index") {
        None | Some(Value::Null) => 0,
        Some(Value::Int(i)) => *i,
        Some(other) => {
            return Err(format!(
                "options.index: expected an integer, found {}",
                other.type_name()
            ));
        }
    };
    let create = matches!(options.get("create"), Some(Value::Bool(true)));
    let part = fields::optional_string(options, "delimiter")?
        .filter(|d| !d.is_empty())
        .map(|delimiter| DelimitedPart { delimiter, index });
    Ok((part, create))
}

fn source_from(value: &Value) -> Result<ReplacementSource, String> {
    let map = value.as_map().ok_or("expected a mapping")?;
    fields::check_keys(
        map,
        &[
            "group",
            "version",
            "kind",
            "name",
            "namespace",
            "fieldPath",
            "options",
        ],
    )?;
    let (part, _) = part(map, &["delimiter", "index"])?;
    Ok(ReplacementSource {
        selector: id_selector(map)?,
        field_path: fields::optional_string(map, "fieldPath")?
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| "metadata.name".into()),
        part,
    })
}

fn target_from(value: &Value) -> Result<ReplacementTarget, String> {
    let map = value.as_map().ok_or("expected a mapping")?;
    fields::check_keys(map, &["select", "reject", "fieldPaths", "options"])?;
    let select = match map.get("select") {
        Some(Value::Map(m)) => {
            fields::check_keys(m, &["group", "version", "kind", "name", "namespace"])
                .map_err(|e| format!("select: {e}"))?;
            id_selector(m)?
        }
        _ => return Err("missing select".into()),
    };
    let reject = match map.get("reject") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Seq(items)) => items
            .iter()
            .map(|r| {
                r.as_map()
                    .ok_or_else(|| "reject: expected mappings".to_owned())
                    .and_then(id_selector)
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err("reject: expected a list".into()),
    };
    let field_paths = match map.get("fieldPaths") {
        None | Some(Value::Null) => vec!["metadata.name".to_owned()],
        Some(Value::Seq(items)) => items
            .iter()
            .map(|p| {
                p.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| "fieldPaths: expected strings".to_owned())
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err("fieldPaths: expected a list".into()),
    };
    let (part, create) = part(map, &["delimiter", "index", "create"])?;
    Ok(ReplacementTarget {
        select,
        reject,
        field_paths,
        create,
        part,
    })
}

#[cfg(test)]
mod tests {
    use super::split_path;

    #[test]
    fn field_paths_split_as_kyaml_does() {
        assert_eq!(split_path(".metadata.name"), ["metadata", "name"]);
        assert_eq!(
            split_path(r"metadata.labels.example\.com/team"),
            ["metadata", "labels", "example.com/team"]
        );
        assert_eq!(split_path(r"a\.b\.c.d"), ["a.b.c", "d"]);
        assert_eq!(
            split_path("metadata.annotations.[cert-manager.io/inject-ca-from]"),
            [
                "metadata",
                "annotations",
                "[cert-manager.io/inject-ca-from]"
            ]
        );
        assert_eq!(
            split_path("spec.containers.[name=app.v1].image"),
            ["spec", "containers", "[name=app.v1]", "image"]
        );
    }
}
