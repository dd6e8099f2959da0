//! A custom OpenAPI schema for strategic merge patches (kustomization
//! `openapi: {path: ...}`): the definitions of a Swagger document, their
//! `x-kubernetes-group-version-kind`, and each list's
//! `x-kubernetes-patch-strategy` / `x-kubernetes-patch-merge-key`, as
//! kyaml reads them. With a custom schema kustomize uses it instead of the
//! built-in Kubernetes one, so objects it does not describe have no merge
//! keys at all.
//!
//! Schemas are interned by content for the life of the process (a type
//! refers to one by a `'static` reference), so the same file read by many
//! builds costs its memory once.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use sha2::{Digest, Sha256};

use super::strategic_merge::ListMerge;
use crate::yaml::{Mapping, Value};

/// The schema a field's value (or a list's elements) has: a definition of
/// the custom schema, and the name it was referred to by (which the
/// built-in schema may define instead, when it is loaded too).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct SchemaRef {
    /// The definition in this schema, if it has one.
    pub(crate) def: Option<u32>,
    /// The `$ref` name, if the field referred to one.
    pub(crate) name: Option<&'static str>,
}

type Fields = HashMap<String, (SchemaRef, Option<ListMerge>)>;

/// One object schema: its fields, each with the schema of its value (or of
/// its elements, for a list) and how the list merges.
#[derive(Debug, Default)]
struct Definition {
    fields: Fields,
}

/// A parsed custom schema.
#[derive(Debug, Default)]
pub(crate) struct CustomSchema {
    definitions: Vec<Definition>,
    /// (group, version, kind) → definition.
    resources: HashMap<(String, String, String), u32>,
}

/// The most definitions (named and inline) one schema may hold.
const MAX_DEFINITIONS: usize = 200_000;

impl CustomSchema {
    /// Parses (once per distinct content) a Swagger document, JSON or YAML.
    pub(crate) fn intern(text: &str) -> Result<&'static CustomSchema, String> {
        static SEEN: OnceLock<Mutex<HashMap<[u8; 32], &'static CustomSchema>>> = OnceLock::new();
        let key: [u8; 32] = Sha256::digest(text.as_bytes()).into();
        let seen = SEEN.get_or_init(Default::default);
        if let Some(found) = seen.lock().map_err(|_| "schema cache poisoned")?.get(&key) {
            return Ok(found);
        }
        let parsed: &'static CustomSchema = Box::leak(Box::new(CustomSchema::parse(text)?));
        seen.lock()
            .map_err(|_| "schema cache poisoned")?
            .insert(key, parsed);
        Ok(parsed)
    }

    fn parse(text: &str) -> Result<CustomSchema, String> {
        let value = if text.trim_start().starts_with('{') {
            Value::from_json(text)?
        } else {
            crate::yaml::parse_documents(text)
                .map_err(|e| e.to_string())?
                .into_iter()
                .next()
                .map(|d| d.value)
                .unwrap_or_default()
        };
        let empty = Mapping::default();
        let definitions = match value.as_map().and_then(|m| m.get("definitions")) {
            None | Some(Value::Null) => &empty,
            Some(Value::Map(d)) => d,
            Some(other) => {
                return Err(format!(
                    "definitions: expected a mapping, found {}",
                    other.type_name()
                ));
            }
        };
        let mut schema = CustomSchema::default();
        let names: HashMap<&str, u32> = definitions
            .keys()
            .enumerate()
            .map(|(i, name)| (name.as_str(), i as u32))
            .collect();
        schema
            .definitions
            .resize_with(definitions.len(), Definition::default);
        for (i, (_, definition)) in definitions.iter().enumerate() {
            let Some(definition) = definition.as_map() else {
                continue;
            };
            let fields = schema.fields(definition, &names)?;
            schema.definitions[i].fields = fields;
            if let Some(Value::Seq(gvks)) = definition.get("x-kubernetes-group-version-kind") {
                for gvk in gvks.iter().filter_map(Value::as_map) {
                    let text = |k: &str| gvk.get(k).and_then(Value::as_str).unwrap_or_default();
                    schema.resources.insert(
                        (
                            text("group").to_owned(),
                            text("version").to_owned(),
                            text("kind").to_owned(),
                        ),
                        i as u32,
                    );
                }
            }
        }
        Ok(schema)
    }

    /// The fields of an object schema; inline object schemas become
    /// definitions of their own.
    fn fields(&mut self, schema: &Mapping, names: &HashMap<&str, u32>) -> Result<Fields, String> {
        let mut out = HashMap::new();
        let Some(Value::Map(properties)) = schema.get("properties") else {
            return Ok(out);
        };
        for (name, property) in properties {
            let Some(property) = property.as_map() else {
                continue;
            };
            let is_list = property.get("type").and_then(Value::as_str) == Some("array")
                || property.contains_key("items");
            let (value_schema, list) = if is_list {
                let strategy = property
                    .get("x-kubernetes-patch-strategy")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                let merges = strategy.split(',').any(|s| s == "merge");
                let key = property
                    .get("x-kubernetes-list-map-keys")
                    .and_then(Value::as_seq)
                    .and_then(|keys| keys.first())
                    .or_else(|| property.get("x-kubernetes-patch-merge-key"))
                    .and_then(Value::as_str)
                    .map(|k| &*Box::leak(k.to_owned().into_boxed_str()));
                let items = property.get("items").and_then(Value::as_map);
                (
                    match items {
                        Some(items) => self.schema_of(items, names)?,
                        None => SchemaRef::default(),
                    },
                    merges.then_some(ListMerge { key }),
                )
            } else {
                (self.schema_of(property, names)?, None)
            };
            out.insert(name.clone(), (value_schema, list));
        }
        Ok(out)
    }

    /// The definition a property's schema is: its `$ref`, or itself when it
    /// has properties.
    fn schema_of(
        &mut self,
        schema: &Mapping,
        names: &HashMap<&str, u32>,
    ) -> Result<SchemaRef, String> {
        if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
            let name = reference
                .strip_prefix("#/definitions/")
                .unwrap_or(reference);
            return Ok(SchemaRef {
                def: names.get(name).copied(),
                name: Some(Box::leak(name.to_owned().into_boxed_str())),
            });
        }
        if !schema.contains_key("properties") {
            return Ok(SchemaRef::default());
        }
        if self.definitions.len() >= MAX_DEFINITIONS {
            return Err(format!(
                "more than {MAX_DEFINITIONS} object schemas; refusing to read further"
            ));
        }
        let index = self.definitions.len() as u32;
        self.definitions.push(Definition::default());
        let fields = self.fields(schema, names)?;
        self.definitions[index as usize].fields = fields;
        Ok(SchemaRef {
            def: Some(index),
            name: None,
        })
    }

    /// The definition of objects of this group, version and kind.
    pub(crate) fn resource(&self, group: &str, version: &str, kind: &str) -> Option<u32> {
        self.resources
            .get(&(group.to_owned(), version.to_owned(), kind.to_owned()))
            .copied()
    }

    /// Field `name` of definition `def`: its definition and list merge.
    pub(crate) fn field(&self, def: u32, name: &str) -> (SchemaRef, Option<ListMerge>) {
        self.definitions
            .get(def as usize)
            .and_then(|d| d.fields.get(name))
            .copied()
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_merge_keys_and_kinds() {
        let text = r##"{"definitions": {
          "v1.Thing": {"x-kubernetes-group-version-kind": [{"group": "example.com", "version": "v1", "kind": "Thing"}],
            "properties": {"spec": {"properties": {"items": {"type": "array",
              "x-kubernetes-patch-strategy": "merge", "x-kubernetes-patch-merge-key": "id",
              "items": {"$ref": "#/definitions/v1.Item"}}}}}},
          "v1.Item": {"properties": {"tags": {"type": "array", "x-kubernetes-patch-strategy": "merge", "items": {"type": "string"}}}}
        }}"##;
        let schema = CustomSchema::intern(text).expect("parses");
        let thing = schema
            .resource("example.com", "v1", "Thing")
            .expect("indexed");
        let (spec, none) = schema.field(thing, "spec");
        assert!(none.is_none());
        let (item, list) = schema.field(spec.def.expect("inline"), "items");
        assert_eq!(list, Some(ListMerge { key: Some("id") }));
        assert_eq!(item.name, Some("v1.Item"));
        let (_, tags) = schema.field(item.def.expect("ref"), "tags");
        assert_eq!(tags, Some(ListMerge { key: None }));
        assert!(std::ptr::eq(
            schema,
            CustomSchema::intern(text).expect("cached")
        ));
    }
}
