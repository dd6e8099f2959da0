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
use std::sync::OnceLock;

use crate::yaml::Value;

/// One field of a schema definition, as far as strategies go.
struct Field {
    name: &'static str,
    /// The definition of its value; `None` for lists and maps (not walked).
    definition: Option<&'static str>,
    replace: bool,
}

/// The fields replaced whole in one group and version of a kind.
struct ReplacedIn {
    group: &'static str,
    version: &'static str,
    paths: Vec<Vec<&'static str>>,
}

struct Schema {
    /// Definition → its fields that refer to other definitions.
    fields: HashMap<&'static str, Vec<Field>>,
    /// Kind → (group, version, the paths of its fields replaced whole), for
    /// the kinds that have any (worked out once, when the table is read).
    replaced: HashMap<&'static str, Vec<ReplacedIn>>,
}

fn schema() -> &'static Schema {
    static SCHEMA: OnceLock<Schema> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        let rows = |text: &'static str| {
            text.lines()
                .filter(|l| !l.starts_with('#') && !l.is_empty())
                .map(|l| l.split('\t').collect::<Vec<&'static str>>())
        };
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
        let mut schema = Schema {
            fields,
            replaced: HashMap::new(),
        };
        let mut reaches = HashMap::new();
        for cells in rows(include_str!("../../data/smp_kinds.tsv")) {
            let [api_version, kind, root, ..] = cells[..] else {
                continue;
            };
            let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
            let mut found = Vec::new();
            collect(&schema, root, &mut Vec::new(), &mut found, &mut reaches);
            if !found.is_empty() {
                schema.replaced.entry(kind).or_default().push(ReplacedIn {
                    group,
                    version,
                    paths: found,
                });
            }
        }
        schema
    })
}

/// The paths (keys from the object's top) of the fields a strategic merge
/// patch replaces whole, for an object of this group, version and kind:
/// fields reached through nested objects (never through lists or maps).
pub(crate) fn replaced_fields(
    group: &str,
    version: &str,
    kind: &str,
) -> &'static [Vec<&'static str>] {
    schema()
        .replaced
        .get(kind)
        .into_iter()
        .flatten()
        .find(|r| r.group == group && r.version == version)
        .map_or(&[], |r| r.paths.as_slice())
}

/// Git's value of each field replaced whole, kept before ignore rules take
/// parts of it away.
pub(crate) struct ReplacedFields {
    fields: Vec<(&'static [&'static str], Value)>,
}

impl ReplacedFields {
    /// Keeps Git's value of each field of `desired` an object of this
    /// group, version and kind replaces whole (nothing for most kinds).
    pub(crate) fn of(id: &crate::resource::ResId, desired: &Value) -> ReplacedFields {
        let fields = replaced_fields(&id.group, &id.version, &id.kind)
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

/// Whether a field replaced whole is reached from `definition` (through
/// nested objects), remembered per definition; a definition met again on
/// its own path (`JSONSchemaProps`) counts as reaching none.
fn reaches(
    schema: &Schema,
    definition: &'static str,
    memo: &mut HashMap<&'static str, bool>,
) -> bool {
    if let Some(&known) = memo.get(definition) {
        return known;
    }
    memo.insert(definition, false);
    let found = schema
        .fields
        .get(definition)
        .into_iter()
        .flatten()
        .any(|field| {
            field.replace
                || field
                    .definition
                    .is_some_and(|next| reaches(schema, next, memo))
        });
    memo.insert(definition, found);
    found
}

fn collect(
    schema: &Schema,
    definition: &'static str,
    path: &mut Vec<&'static str>,
    found: &mut Vec<Vec<&'static str>>,
    memo: &mut HashMap<&'static str, bool>,
) {
    if !reaches(schema, definition, memo) {
        return;
    }
    for field in schema.fields.get(definition).into_iter().flatten() {
        path.push(field.name);
        if field.replace {
            found.push(path.clone());
        } else if let Some(next) = field.definition {
            collect(schema, next, path, found, memo);
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
            replaced_fields("policy", "v1", "PodDisruptionBudget"),
            [vec!["spec", "selector"]]
        );
        assert_eq!(
            replaced_fields("policy", "v1beta1", "PodDisruptionBudget"),
            [vec!["spec", "selector"]]
        );
        assert!(replaced_fields("apps", "v1", "Deployment").is_empty());
        assert!(replaced_fields("example.com", "v1", "PodDisruptionBudget").is_empty());
    }
}
