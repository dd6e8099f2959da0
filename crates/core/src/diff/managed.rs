//! Field ownership from `metadata.managedFields` (FieldsV1): which fields of
//! a live object a given set of managers set, as a tree walked alongside the
//! object (`f:name` for a field, `k:{...}` for a list element by key,
//! `v:...` for a set element, `i:N` by index).

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use crate::yaml::{Mapping, Value};

/// The fields some managers own, merged into one tree.
#[derive(Debug, Default, Clone)]
pub(crate) struct Owned {
    children: BTreeMap<String, Owned>,
    /// The `k:` and `v:` children, parsed once and indexed (a list of
    /// thousands of elements is matched in near-linear time).
    elements: OnceLock<ElementIndex>,
}

/// [`Owned::elements`]: `k:` entries by `field=text` of each of their key
/// fields, with all their keys; `v:` entries by the text of their value.
#[derive(Debug, Default, Clone)]
struct ElementIndex {
    by_key: HashMap<String, Vec<(Mapping, String)>>,
    by_value: HashMap<String, String>,
}

impl Owned {
    /// The fields of `live` set by the managers `wanted` accepts, through
    /// operations `operation` accepts (`None` when there are none).
    pub(crate) fn of(
        live: &Value,
        wanted: impl Fn(&str) -> bool,
        operation: impl Fn(&str) -> bool,
    ) -> Option<Owned> {
        let entries = live.get_path(&["metadata", "managedFields"])?.as_seq()?;
        let mut owned = Owned::default();
        let mut any = false;
        for entry in entries {
            let manager = entry.get_path(&["manager"]).and_then(Value::as_str);
            let op = entry
                .get_path(&["operation"])
                .and_then(Value::as_str)
                .unwrap_or("");
            if !manager.is_some_and(&wanted) || !operation(op) {
                continue;
            }
            if let Some(Value::Map(fields)) = entry.get_path(&["fieldsV1"]) {
                owned.merge(fields);
                any = true;
            }
        }
        any.then_some(owned)
    }

    fn merge(&mut self, fields: &Mapping) {
        for (key, value) in fields {
            let child = self.children.entry(key.clone()).or_default();
            if let Value::Map(inner) = value {
                child.merge(inner);
            }
        }
    }

    /// The subtree of field `name`.
    pub(crate) fn field(&self, name: &str) -> Option<&Owned> {
        // Field names are short; one small allocation per lookup is fine here.
        self.children.get(&format!("f:{name}"))
    }

    /// The subtree of the list element `item` (matched by its key fields).
    pub(crate) fn element(&self, item: &Value) -> Option<&Owned> {
        self.element_and_keys(item).map(|(owned, _)| owned)
    }

    /// [`Owned::element`], with the key fields it was matched by (`k:`
    /// entries; `None` for `v:` set elements).
    fn element_and_keys(&self, item: &Value) -> Option<(&Owned, Option<&Mapping>)> {
        let index = self.elements.get_or_init(|| self.index_elements());
        if let Some(item_map) = item.as_map() {
            for (field, value) in item_map {
                let Some(text) = value.scalar_text() else {
                    continue;
                };
                let Some(entries) = index.by_key.get(&format!("{field}={text}")) else {
                    continue;
                };
                for (keys, child) in entries {
                    let matches = keys.iter().all(|(k, v)| {
                        item_map
                            .get(k)
                            .is_some_and(|w| w.scalar_text() == v.scalar_text())
                    });
                    if matches {
                        return self.children.get(child).map(|owned| (owned, Some(keys)));
                    }
                }
            }
            return None;
        }
        let child = index.by_value.get(&item.scalar_text()?)?;
        self.children.get(child).map(|owned| (owned, None))
    }

    fn index_elements(&self) -> ElementIndex {
        let mut index = ElementIndex::default();
        for key in self.children.keys() {
            if let Some(json) = key.strip_prefix("k:") {
                if let Ok(Value::Map(keys)) = Value::from_json(json)
                    && let Some((field, value)) = keys.iter().next()
                    && let Some(text) = value.scalar_text()
                {
                    index
                        .by_key
                        .entry(format!("{field}={text}"))
                        .or_default()
                        .push((keys.clone(), key.clone()));
                }
            } else if let Some(json) = key.strip_prefix("v:")
                && let Some(text) = Value::from_json(json).ok().and_then(|v| v.scalar_text())
            {
                index.by_value.entry(text).or_insert_with(|| key.clone());
            }
        }
        index
    }

    /// Whether this node owns the field itself (a leaf, or a `.` entry),
    /// not only some fields below it.
    pub(crate) fn owns_itself(&self) -> bool {
        self.children.is_empty() || self.children.contains_key(".")
    }

    /// The part of `value` these fields cover: what a server-side applier
    /// last applied, read back from the live object (a leaf whole; a map
    /// or list down to the fields and elements owned).
    pub(crate) fn project(&self, value: &Value) -> Option<Value> {
        let leaf = self.children.is_empty()
            || (self.children.len() == 1 && self.children.contains_key("."));
        if leaf {
            return Some(value.clone());
        }
        match value {
            Value::Map(map) => {
                let mut out = Mapping::default();
                for (key, item) in map {
                    if let Some(owned) = self.field(key)
                        && let Some(part) = owned.project(item)
                    {
                        out.insert(key.clone(), part);
                    }
                }
                (!out.is_empty() || self.owns_itself()).then_some(Value::Map(out))
            }
            Value::Seq(items) => {
                let out: Vec<Value> = items
                    .iter()
                    .filter_map(|item| {
                        let (owned, keys) = self.element_and_keys(item)?;
                        let mut part = owned.project(item)?;
                        // An element the applier owns only below its key
                        // still needs a name to be matched by: its first key
                        // field (the server writes `k:` keys sorted, so
                        // `containerPort` before a defaulted `protocol`, which
                        // the applier may never have sent).
                        if let (Some(keys), Some(map)) = (keys, part.as_map_mut())
                            && !keys.keys().any(|key| map.contains_key(key))
                            && let Some((key, value)) = keys.iter().next()
                        {
                            map.insert(key.clone(), value.clone());
                        }
                        Some(part)
                    })
                    .collect();
                (!out.is_empty() || self.owns_itself()).then_some(Value::Seq(out))
            }
            other => Some(other.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::parse_documents;

    #[test]
    fn finds_fields_and_elements_of_hand_edits() {
        let live = parse_documents(
            r#"
metadata:
  managedFields:
  - manager: kubectl-client-side-apply
    operation: Update
    fieldsV1: {"f:spec": {"f:replicas": {}}}
  - manager: kubectl-edit
    operation: Update
    fieldsV1:
      f:spec:
        f:template:
          f:spec:
            f:containers:
              k:{"name":"app"}:
                f:env:
                  k:{"name":"DEBUG"}:
                    .: {}
                    f:name: {}
                    f:value: {}
"#,
        )
        .unwrap()
        .remove(0)
        .value;
        let owned = Owned::of(&live, |m| m == "kubectl-edit", |op| op == "Update").unwrap();
        assert!(owned.field("spec").unwrap().field("replicas").is_none());
        let containers = owned
            .field("spec")
            .and_then(|o| o.field("template"))
            .and_then(|o| o.field("spec"))
            .and_then(|o| o.field("containers"))
            .unwrap();
        let app = parse_documents("name: app\nimage: x\n")
            .unwrap()
            .remove(0)
            .value;
        let env = containers.element(&app).unwrap().field("env").unwrap();
        let debug = parse_documents("name: DEBUG\nvalue: '1'\n")
            .unwrap()
            .remove(0)
            .value;
        let other = parse_documents("name: OTHER\n").unwrap().remove(0).value;
        assert!(env.element(&debug).unwrap().owns_itself());
        assert!(env.element(&other).is_none());
        assert!(Owned::of(&live, |m| m == "nobody", |_| true).is_none());
    }
}
