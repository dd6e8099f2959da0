//! Patch strategies of the built-in kinds that change what a converging
//! patch must carry, read from `data/smp_kinds.tsv` and
//! `data/smp_schema.tsv` (the Kubernetes OpenAPI schema kyaml ships,
//! extracted by `data/extract.py`).
//!
//! A field with `x-kubernetes-patch-strategy: replace`
//! (`PodDisruptionBudget.spec.selector`) is replaced whole by a strategic
//! merge patch: a patch that set only the changed part would drop every
//! other part of it, so the patch must carry the whole field.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use crate::yaml::Value;

/// One field of a schema definition, as far as strategies go.
struct Field {
    name: &'static str,
    /// The definition of its value; `None` for lists and maps (not walked).
    definition: Option<&'static str>,
    replace: bool,
}

struct Schema {
    /// `apiVersion` and kind → definition.
    kinds: HashMap<(&'static str, &'static str), &'static str>,
    /// Definition → its fields that refer to other definitions.
    fields: HashMap<&'static str, Vec<Field>>,
}

fn schema() -> &'static Schema {
    static SCHEMA: OnceLock<Schema> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        let rows = |text: &'static str| {
            text.lines()
                .filter(|l| !l.starts_with('#') && !l.is_empty())
                .map(|l| l.split('\t').collect::<Vec<&'static str>>())
        };
        let kinds = rows(include_str!("../../data/smp_kinds.tsv"))
            .filter(|cells| cells.len() >= 3)
            .map(|cells| ((cells[0], cells[1]), cells[2]))
            .collect();
        let mut fields: HashMap<&'static str, Vec<Field>> = HashMap::new();
        for cells in rows(include_str!("../../data/smp_schema.tsv")) {
            let [definition, name, type_ref, is_list, _key, strategy, ..] = cells[..] else {
                continue;
            };
            let plain = is_list == "no" && !type_ref.starts_with("map:") && type_ref != "-";
            fields.entry(definition).or_default().push(Field {
                name,
                definition: plain.then_some(type_ref),
                replace: strategy.split(',').any(|s| s == "replace"),
            });
        }
        Schema { kinds, fields }
    })
}

/// The paths (keys from the object's top) of the fields a strategic merge
/// patch replaces whole, for an object of this `apiVersion` and kind: fields
/// reached through nested objects (never through lists or maps).
///
/// The answer for each kind is worked out once and kept.
pub(crate) fn replaced_fields(api_version: &str, kind: &str) -> &'static [Vec<&'static str>] {
    type Paths = &'static [Vec<&'static str>];
    static CACHE: OnceLock<Mutex<HashMap<(String, String), Paths>>> = OnceLock::new();
    let schema = schema();
    let Some(&root) = schema.kinds.get(&(api_version, kind)) else {
        return &[];
    };
    let cache = CACHE.get_or_init(Default::default);
    let key = (api_version.to_owned(), kind.to_owned());
    if let Some(found) = cache.lock().ok().and_then(|c| c.get(&key).copied()) {
        return found;
    }
    let mut found = Vec::new();
    let mut path = Vec::new();
    collect(schema, root, &mut path, &mut found);
    // Kinds are few (a few hundred built-in ones), so what is kept is bounded.
    let found: &'static [Vec<&'static str>] = Box::leak(found.into_boxed_slice());
    if let Ok(mut c) = cache.lock() {
        c.insert(key, found);
    }
    found
}

/// Git's value of each field replaced whole, kept before ignore rules take
/// parts of it away.
pub(crate) struct ReplacedFields {
    fields: Vec<(&'static [&'static str], Value)>,
}

impl ReplacedFields {
    /// Keeps Git's value of each field of `desired` an object of this
    /// `apiVersion` and kind replaces whole (nothing for most kinds).
    pub(crate) fn of(api_version: &str, kind: &str, desired: &Value) -> ReplacedFields {
        let fields = replaced_fields(api_version, kind)
            .iter()
            .filter_map(|path| Some((path.as_slice(), desired.get_path(path)?.clone())))
            .collect();
        ReplacedFields { fields }
    }

    /// Makes `patch` carry the whole of each replaced field it sets: Git's
    /// value, where each field an ignore rule (`ignored` pointers) names
    /// keeps its live value, as Argo CD's sync keeps it when it respects
    /// ignored differences.
    pub(crate) fn widen(&self, patch: &mut Value, live: &Value, ignored: &[&String]) {
        for (path, git) in &self.fields {
            match patch.get_path(path) {
                None | Some(Value::Null) => continue,
                Some(_) => {}
            }
            let prefix: String = path.iter().map(|k| format!("/{}", escape(k))).collect();
            let mut whole = git.clone();
            for pointer in ignored {
                let Some(inner) = pointer.strip_prefix(prefix.as_str()) else {
                    continue;
                };
                if !inner.starts_with('/') {
                    continue;
                }
                match super::ignore::pointed(live, pointer) {
                    Some(kept) => super::ignore::set_pointer(&mut whole, inner, kept.clone()),
                    None => super::ignore::remove_pointer(&mut whole, inner),
                }
            }
            let pointer: String = prefix;
            super::ignore::set_pointer(patch, &pointer, whole);
        }
    }
}

/// A key as a JSON pointer token.
fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

fn collect(
    schema: &Schema,
    definition: &'static str,
    path: &mut Vec<&'static str>,
    found: &mut Vec<Vec<&'static str>>,
) {
    // Schemas recurse (JSONSchemaProps); strategies sit a few levels deep.
    if path.len() > 8 {
        return;
    }
    for field in schema.fields.get(definition).into_iter().flatten() {
        path.push(field.name);
        if field.replace {
            found.push(path.clone());
        } else if let Some(next) = field.definition {
            collect(schema, next, path, found);
        }
        path.pop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_disruption_budget_selector_is_replaced_whole() {
        assert_eq!(
            replaced_fields("policy/v1", "PodDisruptionBudget"),
            [vec!["spec", "selector"]]
        );
        assert_eq!(
            replaced_fields("policy/v1beta1", "PodDisruptionBudget"),
            [vec!["spec", "selector"]]
        );
        assert!(replaced_fields("apps/v1", "Deployment").is_empty());
        assert!(replaced_fields("example.com/v1", "PodDisruptionBudget").is_empty());
    }
}
