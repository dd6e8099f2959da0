//! `transformers:` and `generators:` with kustomize's builtin plugins
//! (`apiVersion: builtin`): each configuration is read into the same
//! engine that renders the kustomization field of that name, with the
//! field specs the configuration gives (no built-in ones added).
//! External plugins (exec, Go, container and exec KRM functions) are
//! refused by name.

use super::fieldspec::FieldSpec;
use super::generator::{GeneratorArgs, GeneratorOptions};
use super::kustomization::{
    self, ImageRewrite, PatchEntry, PatchSource, ReplacementEntry, ReplicaCount, expected,
};
use super::transform::SubjectMode;
use crate::error::Error;
use crate::resource::Resource;
use crate::yaml::{Mapping, Value};

/// A builtin transformer, configured.
#[derive(Debug, Clone)]
pub(crate) enum Transformer {
    /// NamespaceTransformer.
    Namespace {
        namespace: String,
        specs: Vec<FieldSpec>,
        unset_only: bool,
        subjects: SubjectMode,
    },
    /// PrefixTransformer, SuffixTransformer, PrefixSuffixTransformer.
    Affix {
        prefix: String,
        suffix: String,
        specs: Vec<FieldSpec>,
    },
    /// LabelTransformer.
    Labels {
        pairs: Vec<(String, String)>,
        specs: Vec<FieldSpec>,
    },
    /// AnnotationsTransformer.
    Annotations {
        pairs: Vec<(String, String)>,
        specs: Vec<FieldSpec>,
    },
    /// ImageTagTransformer.
    Image {
        rewrite: ImageRewrite,
        specs: Vec<FieldSpec>,
    },
    /// ReplicaCountTransformer.
    Replicas {
        replica: ReplicaCount,
        specs: Vec<FieldSpec>,
    },
    /// PatchTransformer (`Detect`) and PatchJson6902Transformer (`Json6902`).
    Patch { entry: PatchEntry, json6902: bool },
    /// PatchStrategicMergeTransformer: `paths` (files or inline text) and
    /// `patches` (inline text).
    StrategicMerge {
        paths: Vec<String>,
        patches: Option<String>,
    },
    /// ReplacementTransformer.
    Replacements(Vec<ReplacementEntry>),
    /// HashTransformer: generated objects get their content hash now (and,
    /// as in kustomize, again at the end of the build).
    Hash,
}

/// A builtin generator, configured.
#[derive(Debug, Clone)]
pub(crate) enum Generator {
    /// ConfigMapGenerator and SecretGenerator.
    Data(GeneratorArgs),
    /// IAMPolicyGenerator (GKE workload identity).
    IamPolicy {
        service_account: String,
        namespace: String,
        gcp_account: String,
        project: String,
    },
}

/// A plugin configuration's kind, checked: a builtin plugin kustomize has.
fn builtin_kind<'r>(r: &'r Resource, file: &str, field: &str) -> Result<&'r str, Error> {
    let id = r.id();
    let annotations = r.annotations();
    let function = annotations.is_some_and(|a| {
        a.contains_key("config.kubernetes.io/function") || a.contains_key("config.k8s.io/function")
    });
    if function {
        return Err(Error::Unsupported {
            field: format!(
                "{field}: {} {} is a KRM function (container or exec); trueup runs no external code: render it with `kustomize build --enable-alpha-plugins` or use a builtin kind",
                id.kind, id.name
            ),
            file: file.to_owned(),
        });
    }
    if !(id.group.is_empty() && id.version == "builtin") {
        return Err(Error::Unsupported {
            field: format!(
                "{field}: external plugin {} (apiVersion {}); only kustomize's builtin plugins (apiVersion: builtin) are run, as `kustomize build` does without --enable-alpha-plugins",
                id.kind,
                id.api_version()
            ),
            file: file.to_owned(),
        });
    }
    Ok(&id.kind)
}

/// The configuration's fields (everything but `apiVersion`, `kind` and
/// `metadata`); kustomize ignores fields a plugin does not know.
fn config_fields(r: &Resource, known: &[&str]) -> Mapping {
    let mut out = Mapping::default();
    if let Some(map) = r.value().as_map() {
        for (k, v) in map {
            if known.contains(&k.as_str()) {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    out
}

/// A plugin's `fieldSpecs`; keys a field spec does not have are ignored,
/// as kustomize's decoding ignores them.
fn specs(m: &Mapping, file: &str, at: &str) -> Result<Vec<FieldSpec>, Error> {
    const KEYS: [&str; 5] = ["group", "version", "kind", "path", "create"];
    match m.get("fieldSpecs") {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Seq(items)) => {
            let known: Vec<Value> = items
                .iter()
                .map(|item| match item {
                    Value::Map(spec) => Value::Map(
                        spec.iter()
                            .filter(|(k, _)| KEYS.contains(&k.as_str()))
                            .map(|(k, v)| (k.clone(), v.clone()))
                            .collect(),
                    ),
                    other => other.clone(),
                })
                .collect();
            FieldSpec::list_from_value(&Value::Seq(known), file, &format!("{at}.fieldSpecs"))
        }
        Some(v) => FieldSpec::list_from_value(v, file, &format!("{at}.fieldSpecs")),
    }
}

fn text(m: &Mapping, key: &str, file: &str, at: &str) -> Result<String, Error> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(other) => Err(expected(file, &format!("{at}.{key}"), "a string", other)),
    }
}

fn flag(m: &Mapping, key: &str, file: &str, at: &str) -> Result<bool, Error> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(other) => Err(expected(file, &format!("{at}.{key}"), "a boolean", other)),
    }
}

fn sub_map(m: &Mapping, key: &str, file: &str, at: &str) -> Result<Mapping, Error> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(Mapping::default()),
        Some(Value::Map(inner)) => Ok(inner.clone()),
        Some(other) => Err(expected(file, &format!("{at}.{key}"), "a mapping", other)),
    }
}

/// The metadata's name and namespace of a plugin configuration.
fn metadata(r: &Resource, key: &str) -> String {
    r.value()
        .get_path(&["metadata", key])
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

const GENERATOR_KINDS: &[&str] = &[
    "ConfigMapGenerator",
    "SecretGenerator",
    "IAMPolicyGenerator",
    "HelmChartInflationGenerator",
];

/// Reads a `transformers:` (or `validators:`, the `field`) configuration.
pub(crate) fn transformer(r: &Resource, file: &str, field: &str) -> Result<Transformer, Error> {
    let kind = builtin_kind(r, file, field)?;
    let at = format!("{kind} {}", r.id().name);
    let at = at.as_str();
    let fields = |known: &[&str]| config_fields(r, known);
    Ok(match kind {
        "NamespaceTransformer" => {
            let m = fields(&["fieldSpecs", "unsetOnly", "setRoleBindingSubjects"]);
            let subjects = match text(&m, "setRoleBindingSubjects", file, at)?.as_str() {
                "" | "defaultOnly" => SubjectMode::DefaultOnly,
                "allServiceAccounts" => SubjectMode::AllServiceAccounts,
                "none" => SubjectMode::None,
                other => {
                    return Err(Error::overlay(
                        file,
                        format!(
                            "{at}: invalid value {other:?} for setRoleBindingSubjects: must be one of \"defaultOnly\", \"none\" or \"allServiceAccounts\""
                        ),
                    ));
                }
            };
            Transformer::Namespace {
                namespace: metadata(r, "namespace"),
                specs: specs(&m, file, at)?,
                unset_only: flag(&m, "unsetOnly", file, at)?,
                subjects,
            }
        }
        "PrefixTransformer" | "SuffixTransformer" | "PrefixSuffixTransformer" => {
            let m = fields(&["prefix", "suffix", "fieldSpecs"]);
            if kind != "PrefixSuffixTransformer" && !m.contains_key("fieldSpecs") {
                return Err(Error::overlay(
                    file,
                    format!("{at}: fieldSpecs is not expected to be nil"),
                ));
            }
            let prefix = if kind == "SuffixTransformer" {
                String::new()
            } else {
                text(&m, "prefix", file, at)?
            };
            let suffix = if kind == "PrefixTransformer" {
                String::new()
            } else {
                text(&m, "suffix", file, at)?
            };
            Transformer::Affix {
                prefix,
                suffix,
                specs: specs(&m, file, at)?,
            }
        }
        "LabelTransformer" => {
            let m = fields(&["labels", "fieldSpecs"]);
            Transformer::Labels {
                pairs: kustomization::string_map(m.get("labels"), file, &format!("{at}.labels"))?,
                specs: specs(&m, file, at)?,
            }
        }
        "AnnotationsTransformer" => {
            let m = fields(&["annotations", "fieldSpecs"]);
            Transformer::Annotations {
                pairs: kustomization::string_map(
                    m.get("annotations"),
                    file,
                    &format!("{at}.annotations"),
                )?,
                specs: specs(&m, file, at)?,
            }
        }
        "ImageTagTransformer" => {
            let m = fields(&["imageTag", "fieldSpecs"]);
            Transformer::Image {
                rewrite: kustomization::image_rewrite(
                    &sub_map(&m, "imageTag", file, at)?,
                    file,
                    &format!("{at}.imageTag"),
                )?,
                specs: specs(&m, file, at)?,
            }
        }
        "ReplicaCountTransformer" => {
            let m = fields(&["replica", "fieldSpecs"]);
            Transformer::Replicas {
                replica: kustomization::replica_count(
                    &sub_map(&m, "replica", file, at)?,
                    file,
                    &format!("{at}.replica"),
                )?,
                specs: specs(&m, file, at)?,
            }
        }
        "PatchTransformer" => {
            let m = fields(&["path", "patch", "target", "options"]);
            Transformer::Patch {
                entry: kustomization::patch_entry(&m, file, at)?,
                json6902: false,
            }
        }
        "PatchJson6902Transformer" => {
            let mut m = fields(&["path", "jsonOp", "target"]);
            if let Some(op) = m.shift_remove("jsonOp") {
                m.insert("patch".into(), op);
            }
            let entry = kustomization::json6902_entry(&m, file, at)?;
            if entry.target.as_ref().is_none_or(|t| t.name.is_empty()) {
                return Err(Error::overlay(
                    file,
                    format!("{at}: must specify the target name"),
                ));
            }
            Transformer::Patch {
                entry,
                json6902: true,
            }
        }
        "PatchStrategicMergeTransformer" => {
            let m = fields(&["paths", "patches"]);
            let paths = kustomization::string_list(&m, "paths", file)?;
            let patches = Some(text(&m, "patches", file, at)?).filter(|p| !p.is_empty());
            if paths.is_empty() && patches.is_none() {
                return Err(Error::overlay(
                    file,
                    format!("{at}: empty file path and empty patch content"),
                ));
            }
            Transformer::StrategicMerge { paths, patches }
        }
        "ReplacementTransformer" => {
            let m = fields(&["replacements"]);
            Transformer::Replacements(kustomization::replacement_entries(&m, file)?)
        }
        "HashTransformer" => Transformer::Hash,
        k if GENERATOR_KINDS.contains(&k) => {
            return Err(Error::overlay(
                file,
                format!(
                    "{at}: plugin {} not a transformer (list it in generators)",
                    r.id()
                ),
            ));
        }
        other => return Err(unknown_builtin(other, field, file)),
    })
}

/// Reads a `generators:` configuration.
pub(crate) fn generator(r: &Resource, file: &str) -> Result<Generator, Error> {
    let kind = builtin_kind(r, file, "generators")?;
    let at = format!("{kind} {}", r.id().name);
    let at = at.as_str();
    match kind {
        "ConfigMapGenerator" | "SecretGenerator" => {
            let secret = kind == "SecretGenerator";
            let mut known = kustomization::GENERATOR_KEYS.to_vec();
            if secret {
                known.push("type");
            }
            let mut m = config_fields(r, &known);
            // kustomize: the args' name and namespace, else the metadata's.
            for key in ["name", "namespace"] {
                if m.get(key).and_then(Value::as_str).is_none_or(str::is_empty) {
                    m.insert(key.into(), Value::String(metadata(r, key)));
                }
            }
            let args = kustomization::generator_args(
                &m,
                file,
                at,
                if secret { "Secret" } else { "ConfigMap" },
            )?;
            Ok(Generator::Data(args))
        }
        "IAMPolicyGenerator" => {
            let m = config_fields(r, &["cloud", "kubernetesService", "serviceAccount"]);
            let cloud = text(&m, "cloud", file, at)?;
            if cloud != "gke" {
                return Err(Error::overlay(
                    file,
                    format!("{at}: cloud provider {cloud} not supported yet"),
                ));
            }
            let service = sub_map(&m, "kubernetesService", file, at)?;
            let account = sub_map(&m, "serviceAccount", file, at)?;
            Ok(Generator::IamPolicy {
                service_account: text(&service, "name", file, at)?,
                namespace: text(&service, "namespace", file, at)?,
                gcp_account: text(&account, "name", file, at)?,
                project: text(&account, "projectId", file, at)?,
            })
        }
        "HelmChartInflationGenerator" => Err(Error::Unsupported {
            field: "generators: HelmChartInflationGenerator (helm charts are not inflated)".into(),
            file: file.to_owned(),
        }),
        k if !GENERATOR_KINDS.contains(&k) && is_builtin_transformer(k) => Err(Error::overlay(
            file,
            format!(
                "{at}: plugin {} not a generator (list it in transformers)",
                r.id()
            ),
        )),
        other => Err(unknown_builtin(other, "generators", file)),
    }
}

fn is_builtin_transformer(kind: &str) -> bool {
    matches!(
        kind,
        "NamespaceTransformer"
            | "PrefixTransformer"
            | "SuffixTransformer"
            | "PrefixSuffixTransformer"
            | "LabelTransformer"
            | "AnnotationsTransformer"
            | "ImageTagTransformer"
            | "ReplicaCountTransformer"
            | "PatchTransformer"
            | "PatchJson6902Transformer"
            | "PatchStrategicMergeTransformer"
            | "ReplacementTransformer"
            | "HashTransformer"
            | "ValueAddTransformer"
    )
}

fn unknown_builtin(kind: &str, field: &str, file: &str) -> Error {
    match kind {
        "ValueAddTransformer" => Error::Unsupported {
            field: format!("{field}: builtin {kind}"),
            file: file.to_owned(),
        },
        _ => Error::overlay(
            file,
            format!(
                "{field}: unable to load builtin {kind}: kustomize has no builtin plugin of that kind"
            ),
        ),
    }
}

impl Generator {
    /// The IAM policy generator's ServiceAccount.
    pub(crate) fn iam_service_account(
        service_account: &str,
        namespace: &str,
        gcp_account: &str,
        project: &str,
    ) -> Value {
        let mut annotations = Mapping::default();
        annotations.insert(
            "iam.gke.io/gcp-service-account".into(),
            Value::String(format!("{gcp_account}@{project}.iam.gserviceaccount.com")),
        );
        let mut meta = Mapping::default();
        meta.insert("annotations".into(), Value::Map(annotations));
        meta.insert("name".into(), Value::String(service_account.to_owned()));
        if !namespace.is_empty() {
            meta.insert("namespace".into(), Value::String(namespace.to_owned()));
        }
        let mut object = Mapping::default();
        object.insert("apiVersion".into(), Value::String("v1".into()));
        object.insert("kind".into(), Value::String("ServiceAccount".into()));
        object.insert("metadata".into(), Value::Map(meta));
        Value::Map(object)
    }
}

/// A patch entry of `PatchStrategicMergeTransformer`'s inline `patches`.
pub(crate) fn inline_patch(text: &str) -> PatchEntry {
    PatchEntry {
        source: PatchSource::Inline(text.to_owned()),
        target: None,
        allow_name_change: false,
        allow_kind_change: false,
    }
}

/// The generator options of a plugin: only its own (`generatorOptions` of
/// the kustomization do not reach plugins).
pub(crate) fn no_global_options() -> GeneratorOptions {
    GeneratorOptions::default()
}
