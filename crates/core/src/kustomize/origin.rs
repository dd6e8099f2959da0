//! `buildMetadata`: where each object came from (`config.kubernetes.io/origin`),
//! which transformers touched it (`alpha.config.kubernetes.io/transformations`)
//! and `app.kubernetes.io/managed-by`, written as kustomize writes them.
//!
//! kustomize tracks origins through the whole build when the top
//! kustomization asks for any build metadata (a base's own `buildMetadata`
//! is ignored), keeps them in the objects' annotations while it builds, and
//! removes the annotations not asked for at the end — also ones the input
//! carried.

use crate::resource::ManifestSet;
use crate::yaml::{Mapping, Value};

/// The origin annotation.
pub(crate) const ORIGIN_ANNOTATION: &str = "config.kubernetes.io/origin";
/// The transformations annotation.
pub(crate) const TRANSFORMATIONS_ANNOTATION: &str = "alpha.config.kubernetes.io/transformations";
/// The label `managedByLabel` sets.
pub(crate) const MANAGED_BY_LABEL: &str = "app.kubernetes.io/managed-by";
/// Its value: kustomize writes `kustomize-<its version>`; trueup follows
/// kustomize v5.8.
pub(crate) const MANAGED_BY_VALUE: &str = "kustomize-v5.8.0";

/// The `buildMetadata` options of the top kustomization.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct BuildMetadata {
    /// `originAnnotations`.
    pub origin_annotations: bool,
    /// `transformerAnnotations`.
    pub transformer_annotations: bool,
    /// `managedByLabel`.
    pub managed_by_label: bool,
}

impl BuildMetadata {
    /// Reads the option names (kustomize ignores names it does not know).
    pub(crate) fn from_options(options: &[String]) -> BuildMetadata {
        let has = |name: &str| options.iter().any(|o| o == name);
        BuildMetadata {
            origin_annotations: has("originAnnotations"),
            transformer_annotations: has("transformerAnnotations"),
            managed_by_label: has("managedByLabel"),
        }
    }
}

/// Where the kustomization being rendered is, for origins: its folder
/// relative to the top kustomization (or, in a remote repository, to the
/// repository's root, with the repository and reference).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Place {
    /// The folder.
    pub path: String,
    /// The remote repository's clone URL, if any.
    pub repo: String,
    /// Its `ref`.
    pub reference: String,
}

impl Place {
    /// The place of `entry` (a file or folder named from here).
    pub(crate) fn join(&self, entry: &str) -> Place {
        Place {
            path: join(&self.path, entry),
            ..self.clone()
        }
    }

    /// The origin of objects read from file `entry`.
    pub(crate) fn file(&self, entry: &str) -> Origin {
        Origin {
            path: join(&self.path, entry),
            repo: self.repo.clone(),
            reference: self.reference.clone(),
            ..Origin::default()
        }
    }

    /// A builtin plugin configured by the kustomization `file_name` here.
    pub(crate) fn builtin(&self, file_name: &str, kind: &str) -> Origin {
        Origin {
            repo: self.repo.clone(),
            reference: self.reference.clone(),
            ..Origin::builtin(join(&self.path, file_name), kind)
        }
    }
}

/// An origin: a file (`path`), or the plugin that made or changed an
/// object (`configuredIn`, `configuredBy`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Origin {
    /// The file the object was read from, relative to the top kustomization.
    pub path: String,
    /// The remote repository it came from, if any.
    pub repo: String,
    /// That repository's `ref`.
    pub reference: String,
    /// The file configuring the plugin.
    pub configured_in: String,
    /// The plugin: apiVersion, kind, name, namespace.
    pub configured_by: Option<[String; 4]>,
}

impl Origin {
    /// A builtin plugin configured by a kustomization field.
    pub(crate) fn builtin(configured_in: String, kind: &str) -> Origin {
        Origin {
            path: String::new(),
            repo: String::new(),
            reference: String::new(),
            configured_in,
            configured_by: Some([
                "builtin".to_owned(),
                kind.to_owned(),
                String::new(),
                String::new(),
            ]),
        }
    }

    /// The origin of what a `generators:`/`transformers:` configuration
    /// does: the file it was read from, and its identity.
    pub(crate) fn of_plugin(config: &Value) -> Option<Origin> {
        let annotation = config
            .get_path(&["metadata", "annotations", ORIGIN_ANNOTATION])?
            .as_str()?;
        let read = Origin::parse(annotation);
        let text = |path: &[&str]| {
            config
                .get_path(path)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        Some(Origin {
            path: String::new(),
            repo: read.repo,
            reference: read.reference,
            configured_in: read.path,
            configured_by: Some([
                text(&["apiVersion"]),
                text(&["kind"]),
                text(&["metadata", "name"]),
                text(&["metadata", "namespace"]),
            ]),
        })
    }

    /// Reads the `path` of an origin annotation this module wrote.
    fn parse(text: &str) -> Origin {
        let path = crate::yaml::parse_documents(text)
            .ok()
            .and_then(|docs| docs.into_iter().next())
            .and_then(|d| {
                d.value
                    .get_path(&["path"])
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            })
            .unwrap_or_default();
        Origin {
            path,
            ..Origin::default()
        }
    }

    /// The fields as kustomize marshals them (struct order, empty ones left
    /// out), each line indented by `indent`, the first one by `first`.
    fn write(&self, out: &mut String, first: &str, indent: &str) {
        let mut lines: Vec<String> = Vec::new();
        if !self.path.is_empty() {
            lines.push(format!("path: {}", scalar(&self.path)));
        }
        if !self.repo.is_empty() {
            lines.push(format!("repo: {}", scalar(&self.repo)));
        }
        if !self.reference.is_empty() {
            lines.push(format!("ref: {}", scalar(&self.reference)));
        }
        if !self.configured_in.is_empty() {
            lines.push(format!("configuredIn: {}", scalar(&self.configured_in)));
        }
        if let Some(by) = &self.configured_by {
            lines.push("configuredBy:".to_owned());
            for (key, value) in ["apiVersion", "kind", "name", "namespace"].iter().zip(by) {
                if !value.is_empty() {
                    lines.push(format!("  {key}: {}", scalar(value)));
                }
            }
        }
        for (i, line) in lines.iter().enumerate() {
            out.push_str(if i == 0 { first } else { indent });
            out.push_str(line);
            out.push('\n');
        }
    }

    /// The origin annotation's text.
    pub(crate) fn to_annotation(&self) -> String {
        let mut out = String::new();
        self.write(&mut out, "", "");
        out
    }
}

/// A string as a YAML scalar (quoted only when it must be).
fn scalar(text: &str) -> String {
    let mut map = Mapping::default();
    map.insert("k".into(), Value::String(text.to_owned()));
    let yaml = crate::yaml::to_yaml(&Value::Map(map));
    yaml.trim_end_matches('\n')
        .strip_prefix("k: ")
        .unwrap_or(text)
        .to_owned()
}

/// Go's `filepath.Join`: the parts joined by `/` and cleaned (`.` and
/// `x/..` removed, leading `..` kept).
pub(crate) fn join(base: &str, path: &str) -> String {
    let joined = if base.is_empty() {
        path.to_owned()
    } else {
        format!("{base}/{path}")
    };
    let cleaned = crate::source::normalize(&joined);
    if cleaned.is_empty() {
        ".".to_owned()
    } else {
        cleaned
    }
}

fn annotations_mut(value: &mut Value) -> Option<&mut Mapping> {
    let metadata = value.as_map_mut()?.get_mut("metadata")?;
    if metadata.is_null() {
        *metadata = Value::Map(Mapping::default());
    }
    let metadata = metadata.as_map_mut()?;
    let annotations = metadata
        .entry("annotations".to_owned())
        .or_insert(Value::Null);
    if !matches!(annotations, Value::Map(_)) {
        *annotations = Value::Map(Mapping::default());
    }
    annotations.as_map_mut()
}

fn has_origin(value: &Value) -> bool {
    value
        .get_path(&["metadata", "annotations", ORIGIN_ANNOTATION])
        .is_some()
}

/// Sets the origin annotation (replacing one already there).
pub(crate) fn set_origin(value: &mut Value, origin: &Origin) {
    if let Some(annotations) = annotations_mut(value) {
        annotations.insert(
            ORIGIN_ANNOTATION.into(),
            Value::String(origin.to_annotation()),
        );
    }
}

/// Sets the origin annotation where there is none yet (what a generator made).
pub(crate) fn set_origin_if_missing(value: &mut Value, origin: &Origin) {
    if !has_origin(value) {
        set_origin(value, origin);
    }
}

/// kustomize's AddTransformerAnnotation, after each transformer: every
/// object gets `origin` appended to its transformations, or as its origin
/// when it has none (the transformer made it).
pub(crate) fn record_transformation(set: &mut ManifestSet, origin: &Origin) {
    let mut values = set.take_values();
    for value in &mut values {
        if !has_origin(value) {
            set_origin(value, origin);
            continue;
        }
        let Some(annotations) = annotations_mut(value) else {
            continue;
        };
        let mut text = match annotations.get(TRANSFORMATIONS_ANNOTATION) {
            Some(Value::String(s)) => s.clone(),
            _ => String::new(),
        };
        origin.write(&mut text, "- ", "  ");
        annotations.insert(TRANSFORMATIONS_ANNOTATION.into(), Value::String(text));
    }
    set.put_values(values);
}

/// The end of a build: the managed-by label when asked for, and the origin
/// and transformation annotations removed unless asked for.
pub(crate) fn finish(set: &mut ManifestSet, metadata: BuildMetadata) {
    let mut values = set.take_values();
    for value in &mut values {
        if let Some(Value::Map(annotations)) = value
            .as_map_mut()
            .and_then(|m| m.get_mut("metadata"))
            .and_then(|m| m.as_map_mut())
            .and_then(|m| m.get_mut("annotations"))
        {
            if !metadata.origin_annotations {
                annotations.shift_remove(ORIGIN_ANNOTATION);
            }
            if !metadata.transformer_annotations {
                annotations.shift_remove(TRANSFORMATIONS_ANNOTATION);
            }
        }
        if metadata.managed_by_label
            && let Some(meta) = value
                .as_map_mut()
                .and_then(|m| m.get_mut("metadata"))
                .and_then(|m| m.as_map_mut())
        {
            let labels = meta.entry("labels".to_owned()).or_insert(Value::Null);
            if !matches!(labels, Value::Map(_)) {
                *labels = Value::Map(Mapping::default());
            }
            if let Value::Map(labels) = labels {
                labels.insert(
                    MANAGED_BY_LABEL.into(),
                    Value::String(MANAGED_BY_VALUE.into()),
                );
            }
        }
    }
    set.put_values(values);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_as_go() {
        assert_eq!(join("", "service.yaml"), "service.yaml");
        assert_eq!(join("", "./service.yaml"), "service.yaml");
        assert_eq!(
            join("../base", "deployment.yaml"),
            "../base/deployment.yaml"
        );
        assert_eq!(join("overlay", "../base/x.yaml"), "base/x.yaml");
        assert_eq!(join("a", ".."), ".");
        assert_eq!(join("", "../../x"), "../../x");
    }

    #[test]
    fn writes_as_kustomize() {
        let generated = Origin::builtin("kustomization.yaml".into(), "ConfigMapGenerator");
        assert_eq!(
            generated.to_annotation(),
            "configuredIn: kustomization.yaml\nconfiguredBy:\n  apiVersion: builtin\n  kind: ConfigMapGenerator\n"
        );
        let mut list = String::new();
        generated.write(&mut list, "- ", "  ");
        assert!(
            list.starts_with("- configuredIn: kustomization.yaml\n  configuredBy:\n    apiVersion")
        );
    }
}
