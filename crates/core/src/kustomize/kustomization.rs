//! The kustomization file, read strictly as kustomize reads it: unknown fields
//! and values of the wrong type are errors, and fields trueup cannot render yet
//! are refused by name.

use crate::error::Error;
use crate::yaml::{self, Mapping, Value};

/// The names kustomize looks for in a folder, in its order.
pub const KUSTOMIZATION_FILE_NAMES: [&str; 3] =
    ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// Every top-level field of a kustomization kustomize knows (v5.8).
const KNOWN_FIELDS: &[&str] = &[
    "apiVersion",
    "kind",
    "metadata",
    "openapi",
    "namePrefix",
    "nameSuffix",
    "namespace",
    "commonLabels",
    "labels",
    "commonAnnotations",
    "patchesStrategicMerge",
    "patchesJson6902",
    "patches",
    "images",
    "imageTags",
    "replacements",
    "replicas",
    "vars",
    "sortOptions",
    "resources",
    "components",
    "crds",
    "bases",
    "configMapGenerator",
    "secretGenerator",
    "helmGlobals",
    "helmCharts",
    "helmChartInflationGenerator",
    "generatorOptions",
    "configurations",
    "generators",
    "transformers",
    "validators",
    "buildMetadata",
];

/// Fields trueup renders today.
const SUPPORTED_FIELDS: &[&str] = &["apiVersion", "kind", "metadata", "resources", "bases"];

/// The kinds a kustomization file may declare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KustomizationKind {
    /// `kind: Kustomization` (or no kind).
    Kustomization,
    /// `kind: Component`.
    Component,
}

/// A parsed kustomization file.
#[derive(Debug, Clone, PartialEq)]
pub struct Kustomization {
    /// Kustomization or Component.
    pub kind: KustomizationKind,
    /// `resources` followed by the deprecated `bases`, in order.
    pub resources: Vec<String>,
}

/// True when a field's value asks for nothing (absent, null, empty).
fn is_empty_value(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Seq(s) => s.is_empty(),
        Value::Map(m) => m.is_empty(),
        _ => false,
    }
}

fn string_list(map: &Mapping, field: &str, file: &str) -> Result<Vec<String>, Error> {
    match map.get(field) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Seq(items)) => items
            .iter()
            .enumerate()
            .map(|(i, item)| match item {
                Value::String(s) => Ok(s.clone()),
                other => Err(Error::overlay(
                    file,
                    format!(
                        "{field}[{i}]: expected a string, found a {}",
                        other.type_name()
                    ),
                )),
            })
            .collect(),
        Some(other) => Err(Error::overlay(
            file,
            format!(
                "{field}: expected a list of strings, found a {}",
                other.type_name()
            ),
        )),
    }
}

impl Kustomization {
    /// Reads a kustomization file's text; `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<Kustomization, Error> {
        let docs = yaml::parse_documents(text).map_err(|e| e.in_file(file))?;
        let mut docs = docs.into_iter().filter(|d| !d.value.is_null());
        let value = docs
            .next()
            .map(|d| d.value)
            .unwrap_or(Value::Map(Mapping::default()));
        if docs.next().is_some() {
            return Err(Error::overlay(
                file,
                "a kustomization file must hold one YAML document",
            ));
        }
        let Value::Map(map) = value else {
            return Err(Error::overlay(
                file,
                format!(
                    "expected a mapping of kustomization fields, found a {}",
                    value.type_name()
                ),
            ));
        };
        for (key, value) in &map {
            if !KNOWN_FIELDS.contains(&key.as_str()) {
                return Err(Error::overlay(
                    file,
                    format!("unknown field {key:?} in a kustomization"),
                ));
            }
            if !SUPPORTED_FIELDS.contains(&key.as_str()) && !is_empty_value(value) {
                return Err(Error::Unsupported {
                    field: key.clone(),
                    file: file.to_owned(),
                });
            }
        }
        let kind = match map.get("kind") {
            None | Some(Value::Null) => KustomizationKind::Kustomization,
            Some(Value::String(k)) if k == "Kustomization" => KustomizationKind::Kustomization,
            Some(Value::String(k)) if k == "Component" => KustomizationKind::Component,
            Some(other) => {
                return Err(Error::overlay(
                    file,
                    format!(
                        "kind: expected Kustomization or Component, found {}",
                        describe(other)
                    ),
                ));
            }
        };
        match map.get("apiVersion") {
            None | Some(Value::Null) | Some(Value::String(_)) => {}
            Some(other) => {
                return Err(Error::overlay(
                    file,
                    format!(
                        "apiVersion: expected a string, found a {}",
                        other.type_name()
                    ),
                ));
            }
        }
        // kustomize refuses a kustomization that asks for nothing at all.
        let asks_for_something = map.iter().any(|(key, value)| {
            !matches!(key.as_str(), "apiVersion" | "kind" | "metadata")
                && !matches!(value, Value::Null)
                && value.as_str() != Some("")
        });
        if !asks_for_something {
            let name = file.rsplit('/').next().unwrap_or(file);
            return Err(Error::overlay(file, format!("{name} is empty")));
        }
        let mut resources = string_list(&map, "resources", file)?;
        resources.extend(string_list(&map, "bases", file)?);
        Ok(Kustomization { kind, resources })
    }
}

fn describe(v: &Value) -> String {
    match v {
        Value::String(s) => format!("{s:?}"),
        other => format!("a {}", other.type_name()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_fields() {
        let k =
            Kustomization::parse("resources:\n- a.yaml\nbases: [../base]\n", "k.yaml").expect("ok");
        assert_eq!(k.resources, ["a.yaml", "../base"]);
        let err = Kustomization::parse("resource:\n- a.yaml\n", "k.yaml").expect_err("typo");
        assert!(
            err.to_string().contains("unknown field \"resource\""),
            "{err}"
        );
        let err = Kustomization::parse("namePrefix: x-\n", "k.yaml").expect_err("unsupported");
        assert_eq!(err.to_string(), "not supported yet: namePrefix (in k.yaml)");
        let err = Kustomization::parse("resources: a.yaml\n", "k.yaml").expect_err("type");
        assert!(err.to_string().contains("expected a list"), "{err}");
        assert!(Kustomization::parse("patches: []\n", "k.yaml").is_ok());
    }
}
