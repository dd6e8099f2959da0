//! Ignore rules, like Argo CD's `ignoreDifferences`: fields (JSON pointers)
//! or managers whose fields are not differences, for resources matched by
//! group, kind, name and namespace.

use crate::error::Error;
use crate::resource::ResId;
use crate::yaml::fields;
use crate::yaml::{Mapping, Value};

/// One ignore rule, matched as Argo CD's `HasIgnoreDifference` matches it:
/// `group` and `kind` are glob patterns (`*`, `?`, `[a-z]`, `{a,b}`), and a
/// rule without a group is about the core group only; `name` and
/// `namespace` match exactly when given. A rule without a kind matches any
/// kind (trueup's shorthand; Argo CD requires one).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IgnoreRule {
    /// API group pattern (`None`: the core group, as in Argo CD).
    pub group: Option<String>,
    /// Kind pattern (`None`: any).
    pub kind: Option<String>,
    /// Name to match (`None`: any).
    pub name: Option<String>,
    /// Namespace to match (`None`: any).
    pub namespace: Option<String>,
    /// Fields to ignore, as JSON pointers (`/spec/replicas`).
    pub json_pointers: Vec<String>,
    /// Managers (from `metadata.managedFields`) whose fields are ignored.
    pub managed_fields_managers: Vec<String>,
    /// Fields to ignore, as jq path expressions (Argo CD's
    /// `jqPathExpressions`: `.spec.template.spec.initContainers[] |
    /// select(.name == "istio-init")`), run by jaq.
    pub jq_path_expressions: Vec<String>,
    /// Fields of custom resources that hold a Kubernetes type (Argo CD's
    /// `knownTypeFields`), compared as that type: `1.25G` == `1250M` in a
    /// `core/Quantity`, `8760h` == `8760h0m0s` in a `meta/v1/Duration`,
    /// containers by name in a `core/v1/PodSpec`.
    pub known_type_fields: Vec<KnownTypeField>,
}

/// A field declared to hold a Kubernetes type, as in Argo CD's
/// `resource.customizations.knownTypeFields.<group>_<kind>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownTypeField {
    /// The field's path from the object's top, dotted (`spec.template.spec`);
    /// a list on the way stands for each of its items.
    pub field: String,
    /// The type as Argo CD names it: `core/Quantity`, `meta/v1/Duration`,
    /// or one of the `core/v1` types Argo CD lists (`core/v1/PodSpec`, ...).
    pub type_name: String,
}

/// Whether Argo CD knows a `knownTypeFields` type of this name.
fn known_type(name: &str) -> bool {
    include_str!("../../data/argocd_known_types.txt")
        .lines()
        .any(|line| line == name)
}

impl IgnoreRule {
    /// Whether the rule applies to a resource.
    ///
    /// ```
    /// use trueup_core::diff::parse_ignore_rules;
    /// use trueup_core::ResId;
    /// let rules = parse_ignore_rules("- group: app*\n  kind: Deploy*\n- kind: ConfigMap\n", "r.yaml")?;
    /// let deployment = ResId { group: "apps".into(), version: "v1".into(), kind: "Deployment".into(), namespace: String::new(), name: "web".into() };
    /// assert!(rules[0].matches(&deployment));
    /// assert!(!rules[1].matches(&deployment)); // no group: the core group only
    /// # Ok::<(), trueup_core::Error>(())
    /// ```
    pub fn matches(&self, id: &ResId) -> bool {
        let exact = |want: &Option<String>, have: &str| {
            want.as_deref().is_none_or(|w| w.is_empty() || w == have)
        };
        crate::glob::matches(self.group.as_deref().unwrap_or(""), &id.group)
            && self
                .kind
                .as_deref()
                .is_none_or(|k| crate::glob::matches(k, &id.kind))
            && exact(&self.name, &id.name)
            && exact(&self.namespace, id.effective_namespace())
    }
}

/// Reads ignore rules: a YAML list of rules, or a mapping with an
/// `ignoreDifferences` list (as in an Argo CD Application's spec).
///
/// ```
/// let rules = trueup_core::diff::parse_ignore_rules(
///     "- group: apps\n  kind: Deployment\n  jsonPointers: [/spec/replicas]\n",
///     "ignore.yaml",
/// )?;
/// assert_eq!(rules[0].json_pointers, ["/spec/replicas"]);
/// # Ok::<(), trueup_core::Error>(())
/// ```
pub fn parse_ignore_rules(text: &str, file: &str) -> Result<Vec<IgnoreRule>, Error> {
    let docs = crate::yaml::parse_documents(text).map_err(|e| e.in_file(file))?;
    let mut rules = Vec::new();
    for doc in docs {
        let list = match &doc.value {
            Value::Null => continue,
            Value::Seq(items) => items.as_slice(),
            Value::Map(m)
                if doc.value.get_path(&["kind"]).and_then(Value::as_str) == Some("ConfigMap") =>
            {
                rules.extend(config_map_rules(m, file)?);
                continue;
            }
            Value::Map(m) => {
                // An Argo CD Application keeps them in its spec.
                let list = match doc.value.get_path(&["kind"]).and_then(Value::as_str) {
                    Some("Application") => doc.value.get_path(&["spec", "ignoreDifferences"]),
                    _ => m.get("ignoreDifferences"),
                };
                match list {
                    Some(Value::Seq(items)) => items.as_slice(),
                    Some(Value::Null) => continue,
                    _ => {
                        return Err(Error::diff(
                            file,
                            "expected a list of rules, an Argo CD Application, an argocd-cm ConfigMap, or a mapping with an ignoreDifferences list",
                        ));
                    }
                }
            }
            other => {
                return Err(Error::diff(
                    file,
                    format!("expected a list of rules, found {}", other.type_name()),
                ));
            }
        };
        for (i, item) in list.iter().enumerate() {
            rules.push(rule(item, file, i)?);
        }
    }
    Ok(rules)
}

/// The rules of an argocd-cm ConfigMap: each
/// `resource.customizations.ignoreDifferences.<group>_<kind>` key (`<kind>`
/// alone for the core group, `all` for every kind) holds, as YAML text,
/// `jsonPointers`, `jqPathExpressions` and `managedFieldsManagers`.
fn config_map_rules(config: &Mapping, file: &str) -> Result<Vec<IgnoreRule>, Error> {
    const PREFIX: &str = "resource.customizations.ignoreDifferences.";
    const KNOWN_TYPES: &str = "resource.customizations.knownTypeFields.";
    let Some(Value::Map(data)) = config.get("data") else {
        return Ok(Vec::new());
    };
    let mut rules = Vec::new();
    for (index, (key, value)) in data.iter().enumerate() {
        let (group_kind, known_types) = match key.strip_prefix(PREFIX) {
            Some(group_kind) => (group_kind, false),
            None => match key.strip_prefix(KNOWN_TYPES) {
                Some(group_kind) => (group_kind, true),
                None => continue,
            },
        };
        let at = |m: String| Error::diff(file, format!("data[{key:?}]: {m}"));
        let (group, kind) = match group_kind {
            "all" => ("*", "*"),
            other => other.rsplit_once('_').unwrap_or(("", other)),
        };
        let text = value
            .as_str()
            .ok_or_else(|| at("expected YAML text".into()))?;
        let docs = crate::yaml::parse_documents(text).map_err(|e| at(e.to_string()))?;
        let body = docs
            .into_iter()
            .next()
            .map(|d| d.value)
            .unwrap_or(Value::Null);
        let mut body = match body {
            fields @ (Value::Seq(_) | Value::Null) if known_types => {
                let mut m = Mapping::default();
                m.insert("knownTypeFields".into(), fields);
                m
            }
            Value::Map(m) if !known_types => m,
            Value::Null => Mapping::default(),
            other => {
                return Err(at(format!(
                    "expected a mapping, found {}",
                    other.type_name()
                )));
            }
        };
        body.insert("group".into(), Value::String(group.into()));
        body.insert("kind".into(), Value::String(kind.into()));
        rules.push(rule(&Value::Map(body), file, index)?);
    }
    Ok(rules)
}

fn rule(item: &Value, file: &str, index: usize) -> Result<IgnoreRule, Error> {
    let at = |m: String| Error::diff(file, format!("ignoreDifferences[{index}]: {m}"));
    let Value::Map(map) = item else {
        return Err(at(format!(
            "expected a mapping, found {}",
            item.type_name()
        )));
    };
    fields::check_keys(
        map,
        &[
            "group",
            "kind",
            "name",
            "namespace",
            "jsonPointers",
            "managedFieldsManagers",
            "jqPathExpressions",
            "knownTypeFields",
        ],
    )
    .map_err(at)?;
    let text = |key: &str| -> Result<Option<String>, Error> {
        fields::optional_string(map, key).map_err(at)
    };
    let list = |key: &str| -> Result<Vec<String>, Error> { strings(map, key).map_err(at) };
    let pointers = list("jsonPointers")?;
    for pointer in &pointers {
        if !pointer.is_empty() && !pointer.starts_with('/') {
            return Err(at(format!(
                "jsonPointers: {pointer:?} is not a JSON pointer (it must start with /)"
            )));
        }
    }
    Ok(IgnoreRule {
        group: text("group")?,
        kind: text("kind")?,
        name: text("name")?,
        namespace: text("namespace")?,
        json_pointers: pointers,
        managed_fields_managers: list("managedFieldsManagers")?,
        jq_path_expressions: {
            let expressions = list("jqPathExpressions")?;
            for expression in &expressions {
                JqDeletion::compile(expression)
                    .map_err(|e| at(format!("jqPathExpressions: {expression:?}: {e}")))?;
            }
            expressions
        },
        known_type_fields: known_type_fields(map).map_err(at)?,
    })
}

fn known_type_fields(map: &Mapping) -> Result<Vec<KnownTypeField>, String> {
    let items = match map.get("knownTypeFields") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Seq(items)) => items,
        Some(other) => {
            return Err(format!(
                "knownTypeFields: expected a list, found {}",
                other.type_name()
            ));
        }
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let at = |m: String| format!("knownTypeFields[{i}]: {m}");
            let Value::Map(entry) = item else {
                return Err(at(format!(
                    "expected a mapping, found {}",
                    item.type_name()
                )));
            };
            fields::check_keys(entry, &["field", "type"]).map_err(at)?;
            let required = |key: &str| match fields::optional_string(entry, key).map_err(at)? {
                Some(text) if !text.is_empty() => Ok(text),
                _ => Err(at(format!("{key}: required"))),
            };
            let field = required("field")?;
            let type_name = required("type")?;
            if field.split('.').any(str::is_empty) {
                return Err(at(format!("field: {field:?} is not a dotted path")));
            }
            if !known_type(&type_name) {
                return Err(at(format!(
                    "type: {type_name:?} is not a type Argo CD knows (core/Quantity, meta/v1/Duration, core/v1/PodSpec, ...)"
                )));
            }
            Ok(KnownTypeField { field, type_name })
        })
        .collect()
}

fn strings(map: &Mapping, key: &str) -> Result<Vec<String>, String> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Seq(items)) => items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| format!("{key}: expected strings, found {}", v.type_name()))
            })
            .collect(),
        Some(other) => Err(format!(
            "{key}: expected a list, found {}",
            other.type_name()
        )),
    }
}

/// `del(EXPRESSION)` compiled, as Argo CD's jq normalizer compiles each of
/// a rule's `jqPathExpressions`.
pub(crate) struct JqDeletion {
    filter: jaq_core::Filter<jaq_core::Native<jaq_json::Val>>,
}

impl JqDeletion {
    /// Compiles `del(expression)` with jq's standard definitions. Rules may
    /// come from repositories trueup does not control (an Application in
    /// Git), and jaq cannot be stopped midway, so what can run without end
    /// or allocate without bound is refused: definitions (recursion),
    /// `range`, `repeat`, `recurse`, `until`, `while`, `limit`, `input`,
    /// `inputs`, `env`, `$ENV`, multiplication (`*`, which repeats strings)
    /// and expressions over 4 KiB. A path expression needs none of them.
    pub(crate) fn compile(expression: &str) -> Result<JqDeletion, String> {
        use jaq_core::load::{Arena, File, Loader};
        const REFUSED: &[&str] = &[
            "def",
            "range",
            "repeat",
            "recurse",
            "recurse_down",
            "until",
            "while",
            "limit",
            "input",
            "inputs",
            "env",
            "$ENV",
        ];
        if expression.len() > 4096 {
            return Err("longer than 4 KiB".to_owned());
        }
        let words = expression
            .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
            .filter(|w| !w.is_empty());
        let in_strings = string_spans(expression);
        for word in words {
            if REFUSED.contains(&word) {
                return Err(format!(
                    "`{word}` is not allowed in an ignore rule (it can run without end)"
                ));
            }
        }
        if expression
            .char_indices()
            .any(|(i, c)| c == '*' && !in_strings.iter().any(|r| r.contains(&i)))
        {
            return Err("`*` is not allowed in an ignore rule".to_owned());
        }
        let code = format!("del({expression})");
        let loader = Loader::new(jaq_std::defs().chain(jaq_json::defs()));
        let arena = Arena::default();
        let modules = loader
            .load(
                &arena,
                File {
                    code: &code,
                    path: (),
                },
            )
            .map_err(|errors| {
                format!("not a jq expression ({} error(s) reading it)", errors.len())
            })?;
        let filter = jaq_core::Compiler::default()
            .with_funs(jaq_std::funs().chain(jaq_json::funs()))
            .compile(modules)
            .map_err(|errors| {
                format!(
                    "not a jq expression ({} error(s) compiling it)",
                    errors.len()
                )
            })?;
        Ok(JqDeletion { filter })
    }

    /// `value` with what the expression selects deleted; `None` when it
    /// fails on this value (a missing list it iterates, say) or gives other
    /// than one value: Argo CD then leaves the object as it is.
    pub(crate) fn apply(&self, value: &Value) -> Option<Value> {
        let input = serde_json::to_value(value).ok()?;
        let inputs = jaq_core::RcIter::new(core::iter::empty());
        let mut out = self
            .filter
            .run((jaq_core::Ctx::new([], &inputs), jaq_json::Val::from(input)));
        let first = out.next()?.ok()?;
        if out.next().is_some() {
            return None;
        }
        serde_json::from_value(serde_json::Value::from(first)).ok()
    }
}

/// The byte ranges of the string literals of a jq expression.
fn string_spans(expression: &str) -> Vec<std::ops::Range<usize>> {
    let mut spans = Vec::new();
    let mut start = None;
    let mut escaped = false;
    for (i, c) in expression.char_indices() {
        match (start, c) {
            (Some(_), _) if escaped => escaped = false,
            (Some(_), '\\') => escaped = true,
            (Some(s), '"') => {
                spans.push(s..i + 1);
                start = None;
            }
            (None, '"') => start = Some(i),
            _ => {}
        }
    }
    spans
}

/// Compiled jq deletions by expression, kept per thread: jaq's standard
/// library is compiled once per expression, not once per object.
pub(crate) fn with_jq_deletion<R>(expression: &str, f: impl FnOnce(&JqDeletion) -> R) -> Option<R> {
    thread_local! {
        static COMPILED: std::cell::RefCell<std::collections::HashMap<String, std::rc::Rc<JqDeletion>>> =
            std::cell::RefCell::new(std::collections::HashMap::new());
    }
    let compiled = COMPILED.with(|cache| {
        if let Some(found) = cache.borrow().get(expression) {
            return Some(std::rc::Rc::clone(found));
        }
        let compiled = std::rc::Rc::new(JqDeletion::compile(expression).ok()?);
        let mut cache = cache.borrow_mut();
        if cache.len() >= 256 {
            cache.clear();
        }
        cache.insert(expression.to_owned(), std::rc::Rc::clone(&compiled));
        Some(compiled)
    })?;
    Some(f(&compiled))
}

/// Whether `value` has the field a JSON pointer names.
pub(crate) fn has_pointer(value: &Value, pointer: &str) -> bool {
    pointed(value, pointer).is_some()
}

/// The field a JSON pointer names (never the whole value: `""` names nothing).
pub(crate) fn pointed<'v>(value: &'v Value, pointer: &str) -> Option<&'v Value> {
    let tokens = crate::patch::parse_pointer(pointer).ok()?;
    if tokens.is_empty() {
        return None;
    }
    let mut node = value;
    for token in &tokens {
        node = match node {
            Value::Map(m) => m.get(token.as_str())?,
            Value::Seq(items) => items.get(token.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(node)
}

/// Sets the field a JSON pointer names, making the maps on the way; does
/// nothing where the way goes through something else than a map.
pub(crate) fn set_pointer(value: &mut Value, pointer: &str, field: Value) {
    let Ok(tokens) = crate::patch::parse_pointer(pointer) else {
        return;
    };
    let Some((last, parents)) = tokens.split_last() else {
        return;
    };
    let mut node = value;
    for token in parents {
        let Value::Map(m) = node else {
            return;
        };
        node = m
            .entry(token.clone())
            .or_insert_with(|| Value::Map(Mapping::default()));
    }
    if let Value::Map(m) = node {
        m.insert(last.clone(), field);
    }
}

/// Removes the field a JSON pointer names, if it is there.
pub(crate) fn remove_pointer(value: &mut Value, pointer: &str) {
    let Ok(tokens) = crate::patch::parse_pointer(pointer) else {
        return;
    };
    let Some((last, parents)) = tokens.split_last() else {
        return;
    };
    let mut node = value;
    for token in parents {
        node = match node {
            Value::Map(m) => match m.get_mut(token.as_str()) {
                Some(child) => child,
                None => return,
            },
            Value::Seq(items) => match token.parse::<usize>().ok().and_then(|i| items.get_mut(i)) {
                Some(child) => child,
                None => return,
            },
            _ => return,
        };
    }
    match node {
        Value::Map(m) => {
            m.shift_remove(last.as_str());
        }
        Value::Seq(items) => {
            if let Ok(i) = last.parse::<usize>()
                && i < items.len()
            {
                items.remove(i);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_rules_and_refuses_bad_ones() {
        let rules = parse_ignore_rules(
            "ignoreDifferences:\n- kind: Deployment\n  managedFieldsManagers: [hpa-controller]\n",
            "app.yaml",
        )
        .unwrap();
        assert_eq!(rules[0].kind.as_deref(), Some("Deployment"));
        assert_eq!(rules[0].managed_fields_managers, ["hpa-controller"]);
        let err =
            parse_ignore_rules("- kind: Deployment\n  jsonPointer: [/x]\n", "r.yaml").unwrap_err();
        assert!(err.to_string().contains("r.yaml"), "{err}");
        assert!(err.to_string().contains("jsonPointer"), "{err}");
        let err = parse_ignore_rules("- jsonPointers: [spec]\n", "r.yaml").unwrap_err();
        assert!(err.to_string().contains("must start with /"), "{err}");
        let rules = parse_ignore_rules("- jqPathExpressions: ['.x']\n", "r.yaml").unwrap();
        assert_eq!(rules[0].jq_path_expressions, [".x"]);
    }

    #[test]
    fn removes_pointed_fields() {
        let mut v = crate::yaml::parse_documents("spec:\n  replicas: 3\n  list: [a, b]\n")
            .unwrap()
            .remove(0)
            .value;
        remove_pointer(&mut v, "/spec/replicas");
        remove_pointer(&mut v, "/spec/list/0");
        remove_pointer(&mut v, "/spec/absent/x");
        assert_eq!(
            v,
            crate::yaml::parse_documents("spec:\n  list: [b]\n")
                .unwrap()
                .remove(0)
                .value
        );
    }
}
