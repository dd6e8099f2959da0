//! `crds`: OpenAPI definitions of custom types (the `gen-openapi` format:
//! type name → `{Schema, Dependencies}`) whose `x-kubernetes-*` markers say
//! where custom resources hold annotations, label selectors, their name, and
//! references to other objects — read as kustomize's LoadConfigFromCRDs
//! reads them, into transformer field specs.

use super::fieldspec::{CustomReferral, FieldSpec, TransformerConfig};
use crate::error::Error;
use crate::yaml::{Mapping, Value};

/// The field specs the definitions in one `crds` file give.
pub(crate) fn config_from_definitions(text: &str, file: &str) -> Result<TransformerConfig, Error> {
    let bad = |m: String| {
        Error::overlay(
            file,
            format!("crds: unable to parse open API definition: {m}"),
        )
    };
    let value = if text.starts_with('{') {
        Value::from_json(text).map_err(bad)?
    } else {
        crate::yaml::parse_documents(text)
            .map_err(|e| bad(e.to_string()))?
            .into_iter()
            .next()
            .map(|d| d.value)
            .unwrap_or_default()
    };
    let definitions = match value {
        Value::Map(m) => m,
        Value::Null => Mapping::default(),
        other => {
            return Err(bad(format!(
                "expected a mapping of type names to definitions, found {}",
                other.type_name()
            )));
        }
    };
    let mut schemas: Vec<(&str, &Mapping)> = Vec::new();
    for (name, definition) in &definitions {
        let Value::Map(definition) = definition else {
            return Err(bad(format!(
                "{name}: expected a definition (Schema, Dependencies), found {}",
                definition.type_name()
            )));
        };
        // Go's JSON decoding: field names match in any case.
        let schema = definition
            .iter()
            .rfind(|(k, _)| k.eq_ignore_ascii_case("schema"))
            .and_then(|(_, v)| v.as_map());
        static EMPTY: std::sync::OnceLock<Mapping> = std::sync::OnceLock::new();
        schemas.push((
            name,
            schema.unwrap_or_else(|| EMPTY.get_or_init(Mapping::default)),
        ));
    }
    let mut config = TransformerConfig::empty();
    for (name, schema) in &schemas {
        let properties = properties(schema);
        let looks_like_object = ["kind", "apiVersion", "metadata"]
            .iter()
            .all(|k| properties.is_some_and(|p| p.contains_key(*k)));
        if !looks_like_object {
            continue;
        }
        let kind = name.rsplit('.').next().unwrap_or(name);
        let mut seen = vec![*name];
        collect(
            &mut config,
            kind,
            &schemas,
            name,
            &mut Vec::new(),
            &mut seen,
        );
    }
    Ok(config)
}

fn properties(schema: &Mapping) -> Option<&Mapping> {
    schema.get("properties").and_then(Value::as_map)
}

fn spec(kind: &str, path: &[&str]) -> FieldSpec {
    FieldSpec {
        kind: kind.to_owned(),
        path: path.join("/"),
        ..FieldSpec::default()
    }
}

/// kustomize's loadCrdIntoConfig: the markers of `type_name`'s properties,
/// following `$ref`s (a type already on the way is not entered again).
fn collect<'a>(
    config: &mut TransformerConfig,
    kind: &str,
    schemas: &[(&'a str, &'a Mapping)],
    type_name: &str,
    path: &mut Vec<&'a str>,
    seen: &mut Vec<&'a str>,
) {
    let Some((_, schema)) = schemas.iter().find(|(n, _)| *n == type_name) else {
        return;
    };
    let Some(props) = properties(schema) else {
        return;
    };
    for (name, property) in props {
        let Some(property) = property.as_map() else {
            continue;
        };
        let marker = |key: &str| property.get(key).and_then(Value::as_str);
        path.push(name);
        if marker("x-kubernetes-annotation").is_some() {
            super::fieldspec::merge_specs(&mut config.common_annotations, &[spec(kind, path)]);
        }
        if marker("x-kubernetes-label-selector").is_some() {
            super::fieldspec::merge_specs(&mut config.common_labels, &[spec(kind, path)]);
        }
        if marker("x-kubernetes-identity").is_some() {
            super::fieldspec::merge_specs(&mut config.name_prefix, &[spec(kind, path)]);
        }
        if let (Some(_version), Some(referred)) = (
            marker("x-kubernetes-object-ref-api-version"),
            marker("x-kubernetes-object-ref-kind"),
        ) {
            let key = marker("x-kubernetes-object-ref-name-key").unwrap_or("name");
            let mut full = path.clone();
            full.push(key);
            config.merge(&TransformerConfig {
                name_references: vec![CustomReferral {
                    kind: referred.to_owned(),
                    group: String::new(),
                    referrers: vec![spec(kind, &full)],
                }],
                ..TransformerConfig::empty()
            });
        }
        if let Some(reference) = marker("$ref").filter(|r| !r.is_empty())
            && let Some((found, _)) = schemas.iter().find(|(n, _)| *n == reference)
            && !seen.contains(found)
        {
            seen.push(found);
            collect(config, kind, schemas, found, path, seen);
            seen.pop();
        }
        path.pop();
    }
}
