//! The kustomization file, read strictly as kustomize reads it: unknown fields
//! and values of the wrong type are errors, and fields trueup cannot render yet
//! are refused by name.

use super::fieldspec::FieldSpec;
use super::generator::{Behavior, GeneratorArgs, GeneratorOptions};
use super::replacement::{self, Replacement};
use super::selector::Selector;
use super::vars::Var;
use crate::error::Error;
use crate::yaml::fields;
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
const SUPPORTED_FIELDS: &[&str] = &[
    "apiVersion",
    "kind",
    "metadata",
    "resources",
    "bases",
    "namespace",
    "commonLabels",
    "labels",
    "commonAnnotations",
    "images",
    "imageTags",
    "replicas",
    "patches",
    "patchesJson6902",
    "patchesStrategicMerge",
    "namePrefix",
    "nameSuffix",
    "configMapGenerator",
    "secretGenerator",
    "generatorOptions",
    "components",
    "sortOptions",
    "replacements",
    "configurations",
    "vars",
    "generators",
    "transformers",
    "buildMetadata",
    "crds",
    "openapi",
    "validators",
];

/// The kinds a kustomization file may declare.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KustomizationKind {
    /// `kind: Kustomization` (or no kind).
    #[default]
    Kustomization,
    /// `kind: Component`.
    Component,
}

/// A parsed kustomization file.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Kustomization {
    /// Kustomization or Component.
    pub kind: KustomizationKind,
    /// `resources` followed by the deprecated `bases`, in order.
    pub resources: Vec<String>,
    /// `components`: folders of `kind: Component` applied to what is accumulated.
    pub components: Vec<String>,
    /// `namePrefix`: prepended to every name (but Namespaces, CRDs, APIServices).
    pub name_prefix: String,
    /// `nameSuffix`: appended to every name (same exceptions).
    pub name_suffix: String,
    /// `namespace`: set on every namespaced object.
    pub namespace: Option<String>,
    /// `commonLabels`: set on metadata, templates and selectors.
    pub common_labels: Vec<(String, String)>,
    /// `labels`: label sets with their own reach.
    pub labels: Vec<LabelSet>,
    /// `commonAnnotations`: set on metadata and templates.
    pub common_annotations: Vec<(String, String)>,
    /// `images`: rewrites of container images.
    pub images: Vec<ImageRewrite>,
    /// `replicas`: replica counts by workload name.
    pub replicas: Vec<ReplicaCount>,
    /// `patches`: strategic merge or JSON patches, with optional targets.
    pub patches: Vec<PatchEntry>,
    /// `patchesJson6902`: JSON patches with targets (the legacy field).
    pub patches_json6902: Vec<PatchEntry>,
    /// `patchesStrategicMerge`: file paths or inline patches (the legacy field).
    pub patches_strategic_merge: Vec<String>,
    /// `configMapGenerator` and then `secretGenerator` entries.
    pub generators: Vec<GeneratorArgs>,
    /// `generatorOptions`.
    pub generator_options: GeneratorOptions,
    /// `sortOptions` (only the top kustomization's count).
    pub sort_options: Option<SortOptions>,
    /// `replacements`: inline, or files of them.
    pub replacements: Vec<ReplacementEntry>,
    /// `configurations`: files of field specs for custom kinds.
    pub configurations: Vec<String>,
    /// `vars`: `$(NAME)` substitutions (deprecated in kustomize, still rendered).
    pub vars: Vec<Var>,
    /// `generators`: files, folders or inline YAML of builtin generator configurations.
    pub generator_plugins: Vec<String>,
    /// `transformers`: files, folders or inline YAML of builtin transformer configurations.
    pub transformer_plugins: Vec<String>,
    /// `buildMetadata`: `originAnnotations`, `transformerAnnotations`,
    /// `managedByLabel` (only the top kustomization's count).
    pub build_metadata: Vec<String>,
    /// `crds`: files of OpenAPI definitions whose markers add field specs.
    pub crds: Vec<String>,
    /// `openapi`: the schema strategic merge patches follow.
    pub openapi: Option<OpenApi>,
    /// `validators`: plugin configurations run on a copy, which they must not change.
    pub validator_plugins: Vec<String>,
}

/// `openapi`: a custom schema file, or the built-in schema by version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenApi {
    /// `path`: a Swagger document (JSON or YAML) that replaces the built-in schema.
    Path(String),
    /// `version: v1.21.2`, the one built-in version (kustomize has no other).
    BuiltinVersion,
}

/// The Kubernetes version of kustomize's built-in schema.
const BUILTIN_OPENAPI_VERSION: &str = "v1.21.2";

/// One entry of `replacements`.
#[derive(Debug, Clone, PartialEq)]
pub enum ReplacementEntry {
    /// A replacement written in the kustomization.
    Inline(Replacement),
    /// `path`: a file holding replacements.
    File(String),
}

/// `sortOptions`: the order of the output.
#[derive(Debug, Clone, PartialEq)]
pub enum SortOptions {
    /// `order: fifo`: the order objects were accumulated in.
    Fifo,
    /// `order: legacy`, with optional kind lists.
    Legacy {
        /// `legacySortOptions.orderFirst`.
        order_first: Option<Vec<String>>,
        /// `legacySortOptions.orderLast`.
        order_last: Option<Vec<String>>,
    },
}

/// Where a patch's text is.
#[derive(Debug, Clone, PartialEq)]
pub enum PatchSource {
    /// `path`: a file relative to the kustomization.
    File(String),
    /// `patch`: the text itself.
    Inline(String),
}

/// One entry of `patches` or `patchesJson6902`.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchEntry {
    /// The patch text or its file.
    pub source: PatchSource,
    /// `target`: which objects it applies to.
    pub target: Option<Selector>,
    /// `options.allowNameChange`.
    pub allow_name_change: bool,
    /// `options.allowKindChange`.
    pub allow_kind_change: bool,
}

/// One entry of `labels`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LabelSet {
    /// `pairs`: the labels.
    pub pairs: Vec<(String, String)>,
    /// `includeSelectors`: also write selectors (as `commonLabels` does).
    pub include_selectors: bool,
    /// `includeTemplates`: also write pod templates.
    pub include_templates: bool,
    /// `includeVolumeClaimTemplates`: also write StatefulSets'
    /// `volumeClaimTemplates`.
    pub include_volume_claim_templates: bool,
    /// `fields`: further places to write.
    pub fields: Vec<FieldSpec>,
}

/// One entry of `images`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ImageRewrite {
    /// `name`: the image name to match (without tag or digest).
    pub name: String,
    /// `newName`: the name to put instead.
    pub new_name: Option<String>,
    /// `newTag`: the tag to put instead.
    pub new_tag: Option<String>,
    /// `digest`: the digest to put instead.
    pub digest: Option<String>,
    /// `tagSuffix`: text appended to the tag when neither `newTag` nor
    /// `digest` is given.
    pub tag_suffix: Option<String>,
}

/// One entry of `replicas`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ReplicaCount {
    /// `name`: the workload's name.
    pub name: String,
    /// `count`: the number of replicas.
    pub count: i64,
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

pub(super) fn string_list(map: &Mapping, field: &str, file: &str) -> Result<Vec<String>, Error> {
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
                        "{field}[{i}]: expected a string, found {}",
                        other.type_name()
                    ),
                )),
            })
            .collect(),
        Some(other) => Err(Error::overlay(
            file,
            format!(
                "{field}: expected a list of strings, found {}",
                other.type_name()
            ),
        )),
    }
}

impl Kustomization {
    /// Reads a kustomization file's text; `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<Kustomization, Error> {
        let docs = yaml::parse_documents_as(
            text,
            &yaml::ParseLimits::default(),
            yaml::Schema::Kustomization,
        )
        .map_err(|e| e.in_file(file))?;
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
                    "expected a mapping of kustomization fields, found {}",
                    value.type_name()
                ),
            ));
        };
        let map = canonical_field_names(map);
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
            Some(Value::String(v))
                if kind == KustomizationKind::Component
                    && v != "kustomize.config.k8s.io/v1alpha1" =>
            {
                return Err(Error::overlay(
                    file,
                    format!(
                        "apiVersion: a Component's is kustomize.config.k8s.io/v1alpha1, found {v:?}"
                    ),
                ));
            }
            None | Some(Value::Null) | Some(Value::String(_)) => {}
            Some(other) => {
                return Err(Error::overlay(
                    file,
                    format!("apiVersion: expected a string, found {}", other.type_name()),
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
        let labels = match map.get("labels") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Seq(items)) => items
                .iter()
                .enumerate()
                .map(|(i, item)| label_set(item, file, &format!("labels[{i}]")))
                .collect::<Result<_, _>>()?,
            Some(other) => return Err(expected(file, "labels", "a list", other)),
        };
        let mut images = list_of(&map, "images", file, image_rewrite)?;
        // kustomize's deprecated spelling, appended as its FixKustomization does.
        images.extend(list_of(&map, "imageTags", file, image_rewrite)?);
        let patches = list_of(&map, "patches", file, patch_entry)?;
        let mut generators = list_of(&map, "configMapGenerator", file, |m, f, at| {
            generator_args(m, f, at, "ConfigMap")
        })?;
        generators.extend(list_of(&map, "secretGenerator", file, |m, f, at| {
            generator_args(m, f, at, "Secret")
        })?);
        let generator_options = match map.get("generatorOptions") {
            None | Some(Value::Null) => GeneratorOptions::default(),
            Some(Value::Map(m)) => generator_options(m, file, "generatorOptions")?,
            Some(other) => return Err(expected(file, "generatorOptions", "a mapping", other)),
        };
        let patches_json6902 = list_of(&map, "patchesJson6902", file, json6902_entry)?;
        let replicas = list_of(&map, "replicas", file, replica_count)?;
        Ok(Kustomization {
            kind,
            resources,
            components: string_list(&map, "components", file)?,
            namespace: optional_string(&map, "namespace", file)?.filter(|s| !s.is_empty()),
            name_prefix: optional_string(&map, "namePrefix", file)?.unwrap_or_default(),
            name_suffix: optional_string(&map, "nameSuffix", file)?.unwrap_or_default(),
            common_labels: string_map(map.get("commonLabels"), file, "commonLabels")?,
            labels,
            common_annotations: string_map(
                map.get("commonAnnotations"),
                file,
                "commonAnnotations",
            )?,
            images,
            replicas,
            patches,
            patches_json6902,
            patches_strategic_merge: string_list(&map, "patchesStrategicMerge", file)?,
            generators,
            generator_options,
            sort_options: sort_options(&map, file)?,
            replacements: replacement_entries(&map, file)?,
            configurations: string_list(&map, "configurations", file)?,
            generator_plugins: string_list(&map, "generators", file)?,
            build_metadata: string_list(&map, "buildMetadata", file)?,
            crds: string_list(&map, "crds", file)?,
            openapi: openapi(&map, file)?,
            validator_plugins: string_list(&map, "validators", file)?,
            transformer_plugins: string_list(&map, "transformers", file)?,
            vars: match map.get("vars") {
                None | Some(Value::Null) => Vec::new(),
                Some(Value::Seq(items)) => items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| Var::from_value(item, file, &format!("vars[{i}]")))
                    .collect::<Result<_, _>>()?,
                Some(other) => return Err(expected(file, "vars", "a list", other)),
            },
        })
    }
}

pub(super) fn expected(file: &str, field: &str, what: &str, found: &Value) -> Error {
    Error::overlay(
        file,
        format!("{field}: expected {what}, found {}", found.type_name()),
    )
}

fn optional_string(map: &Mapping, key: &str, file: &str) -> Result<Option<String>, Error> {
    fields::optional_string(map, key).map_err(|e| Error::overlay(file, e))
}

/// A `string: string` mapping, as kustomize's Go types require.
pub(super) fn string_map(
    value: Option<&Value>,
    file: &str,
    field: &str,
) -> Result<Vec<(String, String)>, Error> {
    match value {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Map(m)) => m
            .iter()
            .map(|(k, v)| match v {
                Value::String(s) => Ok((k.clone(), s.clone())),
                other => Err(expected(
                    file,
                    &format!("{field}.{k}"),
                    "a string (quote it)",
                    other,
                )),
            })
            .collect(),
        Some(other) => Err(expected(file, field, "a mapping of strings", other)),
    }
}

/// Reads a list field whose items are mappings with known keys.
fn list_of<T>(
    map: &Mapping,
    field: &str,
    file: &str,
    item: fn(&Mapping, &str, &str) -> Result<T, Error>,
) -> Result<Vec<T>, Error> {
    match map.get(field) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Seq(items)) => items
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let at = format!("{field}[{i}]");
                match v {
                    Value::Map(m) => item(m, file, &at),
                    other => Err(expected(file, &at, "a mapping", other)),
                }
            })
            .collect(),
        Some(other) => Err(expected(file, field, "a list", other)),
    }
}

/// Field names as kustomize reads them (Go's JSON decoding): a key that is
/// not a field name but matches one ignoring ASCII case (`nameprefix`) is
/// that field; of keys naming the same field, the last wins.
fn canonical_field_names(map: Mapping) -> Mapping {
    if map.keys().all(|k| KNOWN_FIELDS.contains(&k.as_str())) {
        return map;
    }
    let mut out = Mapping::default();
    for (key, value) in map {
        let canonical = if KNOWN_FIELDS.contains(&key.as_str()) {
            key
        } else {
            KNOWN_FIELDS
                .iter()
                .find(|f| f.eq_ignore_ascii_case(&key))
                .map_or(key, |f| (*f).to_owned())
        };
        out.insert(canonical, value);
    }
    out
}

fn only_keys(m: &Mapping, allowed: &[&str], file: &str, at: &str) -> Result<(), Error> {
    fields::check_keys(m, allowed).map_err(|e| Error::overlay(file, format!("{at}: {e}")))
}

fn label_set(value: &Value, file: &str, at: &str) -> Result<LabelSet, Error> {
    let Value::Map(m) = value else {
        return Err(expected(file, at, "a mapping", value));
    };
    only_keys(
        m,
        &[
            "pairs",
            "includeSelectors",
            "includeTemplates",
            "includeVolumeClaimTemplates",
            "fields",
        ],
        file,
        at,
    )?;
    let flag = |key: &str| match m.get(key) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(other) => Err(expected(file, &format!("{at}.{key}"), "a boolean", other)),
    };
    let fields = match m.get("fields") {
        None | Some(Value::Null) => Vec::new(),
        Some(v) => FieldSpec::list_from_value(v, file, &format!("{at}.fields"))?,
    };
    Ok(LabelSet {
        pairs: string_map(m.get("pairs"), file, &format!("{at}.pairs"))?,
        include_selectors: flag("includeSelectors")?,
        include_templates: flag("includeTemplates")?,
        include_volume_claim_templates: flag("includeVolumeClaimTemplates")?,
        fields,
    })
}

pub(super) fn image_rewrite(m: &Mapping, file: &str, at: &str) -> Result<ImageRewrite, Error> {
    only_keys(
        m,
        &["name", "newName", "newTag", "digest", "tagSuffix"],
        file,
        at,
    )?;
    let text = |key: &str| {
        optional_string(m, key, file)
            .map_err(|_| Error::overlay(file, format!("{at}.{key}: expected a string (quote it)")))
    };
    Ok(ImageRewrite {
        name: text("name")?.unwrap_or_default(),
        new_name: text("newName")?.filter(|s| !s.is_empty()),
        new_tag: text("newTag")?.filter(|s| !s.is_empty()),
        digest: text("digest")?.filter(|s| !s.is_empty()),
        tag_suffix: text("tagSuffix")?.filter(|s| !s.is_empty()),
    })
}

pub(super) fn replacement_entries(
    map: &Mapping,
    file: &str,
) -> Result<Vec<ReplacementEntry>, Error> {
    let items = match map.get("replacements") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Seq(items)) => items,
        Some(other) => return Err(expected(file, "replacements", "a list", other)),
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let at = format!("replacements[{i}]");
            match item.as_map().and_then(|m| m.get("path")) {
                Some(Value::String(path)) => {
                    only_keys(item.as_map().expect("checked"), &["path"], file, &at)?;
                    Ok(ReplacementEntry::File(path.clone()))
                }
                _ => replacement::from_value(item, file, &at).map(ReplacementEntry::Inline),
            }
        })
        .collect()
}

fn openapi(map: &Mapping, file: &str) -> Result<Option<OpenApi>, Error> {
    let m = match map.get("openapi") {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Map(m)) => m,
        Some(other) => return Err(expected(file, "openapi", "a mapping", other)),
    };
    let strings = string_map(Some(&Value::Map(m.clone())), file, "openapi")?;
    let get = |key: &str| {
        strings
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    };
    match (get("path"), get("version")) {
        (Some(_), Some(_)) => Err(Error::overlay(
            file,
            "openapi: builtin version and custom schema provided, cannot use both",
        )),
        (Some(path), None) => Ok(Some(OpenApi::Path(path))),
        (None, Some(v)) if v == BUILTIN_OPENAPI_VERSION => Ok(Some(OpenApi::BuiltinVersion)),
        (None, Some(v)) if v.is_empty() => Ok(None),
        (None, Some(v)) => Err(Error::overlay(
            file,
            format!(
                "openapi: the specified OpenAPI version {v:?} is not built in (kustomize has {BUILTIN_OPENAPI_VERSION})"
            ),
        )),
        (None, None) => Ok(None),
    }
}

fn sort_options(map: &Mapping, file: &str) -> Result<Option<SortOptions>, Error> {
    let m = match map.get("sortOptions") {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Map(m)) => m,
        Some(other) => return Err(expected(file, "sortOptions", "a mapping", other)),
    };
    only_keys(m, &["order", "legacySortOptions"], file, "sortOptions")?;
    let legacy = match m.get("legacySortOptions") {
        None | Some(Value::Null) => None,
        Some(Value::Map(l)) => {
            only_keys(
                l,
                &["orderFirst", "orderLast"],
                file,
                "sortOptions.legacySortOptions",
            )?;
            Some(l)
        }
        Some(other) => {
            return Err(expected(
                file,
                "sortOptions.legacySortOptions",
                "a mapping",
                other,
            ));
        }
    };
    match optional_string(m, "order", file)?.as_deref() {
        Some("fifo") => {
            if legacy.is_some() {
                return Err(Error::overlay(
                    file,
                    "the field 'sortOptions.legacySortOptions' is set but the selected sort order is 'fifo', not 'legacy'",
                ));
            }
            Ok(Some(SortOptions::Fifo))
        }
        Some("legacy") => {
            let list = |key: &str| -> Result<Option<Vec<String>>, Error> {
                match legacy {
                    Some(l) if l.contains_key(key) => Ok(Some(string_list(l, key, file)?)),
                    _ => Ok(None),
                }
            };
            Ok(Some(SortOptions::Legacy {
                order_first: list("orderFirst")?,
                order_last: list("orderLast")?,
            }))
        }
        _ => Err(Error::overlay(
            file,
            "the field 'sortOptions.order' must be one of [fifo, legacy]",
        )),
    }
}

fn generator_options(m: &Mapping, file: &str, at: &str) -> Result<GeneratorOptions, Error> {
    only_keys(
        m,
        &[
            "labels",
            "annotations",
            "disableNameSuffixHash",
            "immutable",
        ],
        file,
        at,
    )?;
    let flag = |key: &str| match m.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(other) => Err(expected(file, &format!("{at}.{key}"), "a boolean", other)),
    };
    Ok(GeneratorOptions {
        labels: string_map(m.get("labels"), file, &format!("{at}.labels"))?,
        annotations: string_map(m.get("annotations"), file, &format!("{at}.annotations"))?,
        disable_name_suffix_hash: flag("disableNameSuffixHash")?,
        immutable: flag("immutable")?,
    })
}

/// The keys of a `configMapGenerator` entry (a `secretGenerator` one also has `type`).
pub(super) const GENERATOR_KEYS: [&str; 8] = [
    "name",
    "namespace",
    "behavior",
    "literals",
    "files",
    "envs",
    "env",
    "options",
];

pub(super) fn generator_args(
    m: &Mapping,
    file: &str,
    at: &str,
    kind: &'static str,
) -> Result<GeneratorArgs, Error> {
    let mut allowed = GENERATOR_KEYS.to_vec();
    if kind == "Secret" {
        allowed.push("type");
    }
    only_keys(m, &allowed, file, at)?;
    let name = optional_string(m, "name", file)?.unwrap_or_default();
    if name.is_empty() {
        return Err(Error::overlay(
            file,
            format!("{at}: a generator needs a name"),
        ));
    }
    // kustomize reads any other word (`add`, a typo) as "unspecified", which
    // creates the object and fails only if it exists already.
    let behavior = match optional_string(m, "behavior", file)?.as_deref() {
        Some("merge") => Behavior::Merge,
        Some("replace") => Behavior::Replace,
        _ => Behavior::Create,
    };
    let mut envs = string_list(m, "envs", file)?;
    if let Some(env) = optional_string(m, "env", file)?.filter(|s| !s.is_empty()) {
        envs.insert(0, env);
    }
    let options = match m.get("options") {
        None | Some(Value::Null) => GeneratorOptions::default(),
        Some(Value::Map(o)) => generator_options(o, file, &format!("{at}.options"))?,
        Some(other) => return Err(expected(file, &format!("{at}.options"), "a mapping", other)),
    };
    Ok(GeneratorArgs {
        kind,
        name,
        namespace: optional_string(m, "namespace", file)?.unwrap_or_default(),
        behavior,
        literals: string_list(m, "literals", file)?,
        files: string_list(m, "files", file)?,
        envs,
        secret_type: optional_string(m, "type", file)?.unwrap_or_default(),
        options,
    })
}

fn patch_source(m: &Mapping, file: &str, at: &str) -> Result<PatchSource, Error> {
    let path = optional_string(m, "path", file)?.filter(|s| !s.is_empty());
    let patch = optional_string(m, "patch", file)?.filter(|s| !s.is_empty());
    match (path, patch) {
        (Some(_), Some(_)) => Err(Error::overlay(
            file,
            format!("{at}: patch and path can't be set at the same time"),
        )),
        (Some(p), None) => Ok(PatchSource::File(p)),
        (None, Some(p)) => Ok(PatchSource::Inline(p)),
        (None, None) => Err(Error::overlay(
            file,
            format!("{at}: must specify one of patch and path"),
        )),
    }
}

pub(super) fn patch_entry(m: &Mapping, file: &str, at: &str) -> Result<PatchEntry, Error> {
    only_keys(m, &["path", "patch", "target", "options"], file, at)?;
    let target = match m.get("target") {
        None | Some(Value::Null) => None,
        Some(v) => Some(Selector::from_value(
            v,
            file,
            &format!("{at}.target"),
            &[
                "group",
                "version",
                "kind",
                "name",
                "namespace",
                "labelSelector",
                "annotationSelector",
            ],
        )?),
    };
    let (mut allow_name_change, mut allow_kind_change) = (false, false);
    match m.get("options") {
        None | Some(Value::Null) => {}
        Some(Value::Map(o)) => {
            only_keys(
                o,
                &["allowNameChange", "allowKindChange"],
                file,
                &format!("{at}.options"),
            )?;
            for (key, slot) in [
                ("allowNameChange", &mut allow_name_change),
                ("allowKindChange", &mut allow_kind_change),
            ] {
                match o.get(key) {
                    None | Some(Value::Null) => {}
                    Some(Value::Bool(b)) => *slot = *b,
                    Some(other) => {
                        return Err(expected(
                            file,
                            &format!("{at}.options.{key}"),
                            "a boolean",
                            other,
                        ));
                    }
                }
            }
        }
        Some(other) => return Err(expected(file, &format!("{at}.options"), "a mapping", other)),
    }
    Ok(PatchEntry {
        source: patch_source(m, file, at)?,
        target,
        allow_name_change,
        allow_kind_change,
    })
}

pub(super) fn json6902_entry(m: &Mapping, file: &str, at: &str) -> Result<PatchEntry, Error> {
    only_keys(m, &["path", "patch", "target"], file, at)?;
    let target = match m.get("target") {
        None | Some(Value::Null) => {
            return Err(Error::overlay(file, format!("{at}: must specify a target")));
        }
        Some(v) => Selector::from_value(
            v,
            file,
            &format!("{at}.target"),
            &["group", "version", "kind", "name", "namespace"],
        )?,
    };
    Ok(PatchEntry {
        source: patch_source(m, file, at)?,
        target: Some(target),
        allow_name_change: true,
        allow_kind_change: true,
    })
}

pub(super) fn replica_count(m: &Mapping, file: &str, at: &str) -> Result<ReplicaCount, Error> {
    only_keys(m, &["name", "count"], file, at)?;
    let name = optional_string(m, "name", file)?.unwrap_or_default();
    let count = match m.get("count") {
        None | Some(Value::Null) => 0,
        Some(Value::Int(i)) => *i,
        Some(other) => return Err(expected(file, &format!("{at}.count"), "an integer", other)),
    };
    Ok(ReplicaCount { name, count })
}

fn describe(v: &Value) -> String {
    match v {
        Value::String(s) => format!("{s:?}"),
        other => other.type_name().to_owned(),
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
        let err =
            Kustomization::parse("helmCharts:\n- name: x\n", "k.yaml").expect_err("unsupported");
        assert_eq!(err.to_string(), "not supported yet: helmCharts (in k.yaml)");
        let err = Kustomization::parse("resources: a.yaml\n", "k.yaml").expect_err("type");
        assert!(err.to_string().contains("expected a list"), "{err}");
        assert!(Kustomization::parse("patches: []\n", "k.yaml").is_ok());
    }
}
