//! Field specs: where in which kinds a transformer writes (labels into
//! selectors, namespaces into subjects, ...), as kustomize's built-in
//! configuration lists them, and the walk that applies a setter there.

use std::sync::OnceLock;

use crate::error::Error;
use crate::resource::ResId;
use crate::yaml::fields;
use crate::yaml::{Mapping, Value, parse_documents};

/// One place a transformer writes: a slash-separated path in objects of
/// (optionally) a given group, version and kind.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FieldSpec {
    /// API group to match; empty matches any.
    pub group: String,
    /// API version to match; empty matches any.
    pub version: String,
    /// Kind to match; empty matches any.
    pub kind: String,
    /// The path, such as `spec/template/metadata/labels`; `[]` marks a sequence.
    pub path: String,
    /// Whether missing fields along the path are created.
    pub create: bool,
}

impl FieldSpec {
    /// Whether this spec applies to objects with `id`'s group, version and kind.
    pub fn selects(&self, id: &ResId) -> bool {
        (self.group.is_empty() || self.group == id.group)
            && (self.version.is_empty() || self.version == id.version)
            && (self.kind.is_empty() || self.kind == id.kind)
    }

    /// Reads field specs from a YAML list (the `configurations` file format).
    pub(crate) fn list_from_value(
        value: &Value,
        file: &str,
        field: &str,
    ) -> Result<Vec<FieldSpec>, Error> {
        let Some(items) = value.as_seq() else {
            return Err(Error::overlay(
                file,
                format!("{field}: expected a list of field specs"),
            ));
        };
        items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                FieldSpec::from_value(item)
                    .map_err(|m| Error::overlay(file, format!("{field}[{i}]: {m}")))
            })
            .collect()
    }

    fn from_value(value: &Value) -> Result<FieldSpec, String> {
        let map = value.as_map().ok_or("expected a mapping")?;
        let text = |key: &str| fields::string_or_empty(map, key);
        fields::check_keys(map, &["group", "version", "kind", "path", "create"])?;
        let create = match map.get("create") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(other) => {
                return Err(format!(
                    "create: expected a boolean, found {}",
                    other.type_name()
                ));
            }
        };
        Ok(FieldSpec {
            group: text("group")?,
            version: text("version")?,
            kind: text("kind")?,
            path: text("path")?,
            create,
        })
    }
}

/// What to create at the end of a path that does not exist yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CreateKind {
    /// A mapping (labels, annotations).
    Mapping,
    /// A scalar (namespace, replicas, image).
    Scalar,
}

/// Walks `spec.path` in `value` as kustomize's fieldspec filter does and calls
/// `set` on the value found (or created). Sequences along the way are walked
/// element by element without consuming a path segment.
pub(crate) fn apply(
    value: &mut Value,
    spec: &FieldSpec,
    create_kind: CreateKind,
    set: &mut dyn FnMut(&mut Value) -> Result<(), String>,
) -> Result<(), String> {
    // Most paths are short: split them on the stack, in one pass, keeping
    // `/` inside `[...]` as split_outside_brackets does.
    let path = spec.path.as_str();
    let mut buf = [""; 16];
    let mut n = 0;
    let mut depth = 0usize;
    let mut start = 0;
    for (i, b) in path.bytes().enumerate() {
        match b {
            b'[' => depth += 1,
            b']' => depth = depth.saturating_sub(1),
            b'/' if depth == 0 => {
                if n == buf.len() - 1 {
                    let path: Vec<&str> = split_path(path);
                    return walk(value, &path, spec.create, create_kind, set);
                }
                buf[n] = &path[start..i];
                n += 1;
                start = i + 1;
            }
            _ => {}
        }
    }
    buf[n] = &path[start..];
    walk(value, &buf[..=n], spec.create, create_kind, set)
}

/// Whether writing at `specs` could change an object's identity: a path
/// into `metadata` itself, its `name` or `namespace`, or `kind` or
/// `apiVersion` (none of the built-in specs of the transformers that assume
/// not; a user's configuration can name them).
pub(crate) fn may_touch_identity(specs: &[FieldSpec]) -> bool {
    // The first two parts of a path, found byte by byte (this runs for
    // every transformer, over lists of dozens of specs).
    fn split_part(path: &[u8]) -> (&[u8], Option<&[u8]>) {
        let end = path.iter().position(|&b| b == b'/').unwrap_or(path.len());
        let part = &path[..end];
        let part = part.strip_suffix(b"[]").unwrap_or(part);
        (part, path.get(end + 1..))
    }
    specs.iter().any(|spec| {
        let (first, rest) = split_part(spec.path.as_bytes());
        match first {
            b"kind" | b"apiVersion" => true,
            b"metadata" => {
                rest.is_none_or(|rest| matches!(split_part(rest).0, b"name" | b"namespace"))
            }
            _ => false,
        }
    })
}

/// Splits a field spec path on `/`, keeping `/` inside `[...]`.
fn split_path(path: &str) -> Vec<&str> {
    split_outside_brackets(path, '/')
}

/// Splits `path` on `separator` where it is not inside `[...]` (field paths
/// such as `containers.[name=a.b].image` keep their selectors whole).
pub(crate) fn split_outside_brackets(path: &str, separator: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, c) in path.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => depth = depth.saturating_sub(1),
            c if c == separator && depth == 0 => {
                parts.push(&path[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    parts.push(&path[start..]);
    parts
}

fn walk(
    value: &mut Value,
    path: &[&str],
    create: bool,
    create_kind: CreateKind,
    set: &mut dyn FnMut(&mut Value) -> Result<(), String>,
) -> Result<(), String> {
    let Some((&segment, rest)) = path.split_first() else {
        return set(value);
    };
    match value {
        Value::Null => Ok(()),
        Value::Seq(items) => {
            for item in items {
                walk(item, path, create, create_kind, set)?;
            }
            Ok(())
        }
        Value::Map(map) => {
            let (name, is_seq) = match segment.strip_suffix("[]") {
                Some(name) => (name, true),
                None => (segment, false),
            };
            if name.is_empty() {
                return Err("cannot set or create an empty field name".into());
            }
            let field = if !create || is_seq {
                match map.get_mut(name) {
                    Some(field) => field,
                    None => return Ok(()),
                }
            } else {
                let kind = if rest.is_empty() {
                    create_kind
                } else {
                    CreateKind::Mapping
                };
                // Looked up first: most fields are there, and need no key
                // allocated.
                let at = match map.get_index_of(name) {
                    Some(at) => at,
                    None => map.insert_full(name.to_owned(), Value::Null).0,
                };
                let field = &mut map[at];
                if field.is_null() {
                    *field = match kind {
                        CreateKind::Mapping => Value::Map(Mapping::default()),
                        // A scalar is created by the setter itself.
                        CreateKind::Scalar => Value::Null,
                    };
                }
                field
            };
            if rest.is_empty() && create && field.is_null() && create_kind == CreateKind::Scalar {
                return set(field);
            }
            walk(field, rest, create, create_kind, set)
        }
        _ => Err(format!("expected a sequence or mapping at {segment:?}")),
    }
}

/// A kind that other objects name, and where (`nameReference` in a
/// `configurations` file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomReferral {
    /// The kind referred to.
    pub kind: String,
    /// Its API group (empty matches any).
    pub group: String,
    /// The fields that name it.
    pub referrers: Vec<FieldSpec>,
}

/// Where the built-in transformers write: kustomize's built-in field specs,
/// plus what `configurations` files add.
#[derive(Debug, Clone, PartialEq)]
pub struct TransformerConfig {
    /// Where `commonLabels` go (metadata, templates and selectors).
    pub common_labels: Vec<FieldSpec>,
    /// Where `labels` with `includeTemplates` go (metadata and templates).
    pub template_labels: Vec<FieldSpec>,
    /// Where every `labels` entry also goes (`labels:` in a configurations
    /// file; none built in).
    pub labels: Vec<FieldSpec>,
    /// Where `commonAnnotations` go.
    pub common_annotations: Vec<FieldSpec>,
    /// Where `namespace` goes.
    pub namespace: Vec<FieldSpec>,
    /// Where `replicas` go.
    pub replicas: Vec<FieldSpec>,
    /// Further image fields (beyond `containers` and `initContainers`).
    pub images: Vec<FieldSpec>,
    /// Further name references.
    pub name_references: Vec<CustomReferral>,
    /// Where `$(VAR)` of `vars` is substituted.
    pub var_reference: Vec<FieldSpec>,
    /// Where `namePrefix` goes (`metadata/name`, and what `configurations`
    /// or `crds` add).
    pub name_prefix: Vec<FieldSpec>,
    /// Where `nameSuffix` goes.
    pub name_suffix: Vec<FieldSpec>,
}

/// Adds the specs of `extra` that `into` does not have yet, as kustomize's
/// `FsSlice.MergeOne` does: a spec is there already when one with the same
/// path is selected by its group, version and kind (so `metadata/name` of
/// all kinds is not added to a list that has `metadata/name` of `Foo`).
pub(crate) fn merge_specs(into: &mut Vec<FieldSpec>, extra: &[FieldSpec]) {
    for spec in extra {
        let there = |s: &FieldSpec| {
            s.path == spec.path
                && (spec.group.is_empty() || s.group == spec.group)
                && (spec.version.is_empty() || s.version == spec.version)
                && (spec.kind.is_empty() || s.kind == spec.kind)
        };
        if !into.iter().any(there) {
            into.push(spec.clone());
        }
    }
}

/// Sorts specs as kustomize sorts a merged configuration (`Gvk.IsLessThan`:
/// kind rank in the legacy order, then `group_version_kind` with `~G`, `~V`,
/// `~K` for empty parts); which specs a later merge keeps depends on it.
fn sort_specs(specs: &mut [FieldSpec]) {
    let (first, last) = crate::resource::legacy_kind_order();
    let rank = |kind: &str| -> isize {
        if let Some(i) = first.iter().position(|k| *k == kind) {
            i as isize - first.len() as isize
        } else if let Some(i) = last.iter().position(|k| *k == kind) {
            i as isize + 1
        } else {
            0
        }
    };
    let key = |s: &FieldSpec| {
        let or = |v: &str, empty: &'static str| {
            if v.is_empty() {
                empty.to_owned()
            } else {
                v.to_owned()
            }
        };
        (
            rank(&s.kind),
            format!(
                "{}_{}_{}",
                or(&s.group, "~G"),
                or(&s.version, "~V"),
                or(&s.kind, "~K")
            ),
        )
    };
    specs.sort_by_cached_key(key);
}

impl TransformerConfig {
    /// A configuration without any field spec.
    pub(crate) fn empty() -> TransformerConfig {
        TransformerConfig {
            common_labels: Vec::new(),
            template_labels: Vec::new(),
            labels: Vec::new(),
            common_annotations: Vec::new(),
            namespace: Vec::new(),
            replicas: Vec::new(),
            images: Vec::new(),
            name_references: Vec::new(),
            var_reference: Vec::new(),
            name_prefix: Vec::new(),
            name_suffix: Vec::new(),
        }
    }

    /// Adds another configuration's field specs (kustomize merges the
    /// configurations of a kustomization and of everything it includes).
    pub fn merge(&mut self, other: &TransformerConfig) {
        merge_specs(&mut self.common_labels, &other.common_labels);
        merge_specs(&mut self.template_labels, &other.template_labels);
        merge_specs(&mut self.labels, &other.labels);
        merge_specs(&mut self.common_annotations, &other.common_annotations);
        merge_specs(&mut self.namespace, &other.namespace);
        merge_specs(&mut self.replicas, &other.replicas);
        merge_specs(&mut self.images, &other.images);
        merge_specs(&mut self.var_reference, &other.var_reference);
        merge_specs(&mut self.name_prefix, &other.name_prefix);
        merge_specs(&mut self.name_suffix, &other.name_suffix);
        for referral in &other.name_references {
            match self
                .name_references
                .iter_mut()
                .find(|r| r.kind == referral.kind && r.group == referral.group)
            {
                Some(existing) => merge_specs(&mut existing.referrers, &referral.referrers),
                None => self.name_references.push(referral.clone()),
            }
        }
        for specs in [
            &mut self.common_labels,
            &mut self.template_labels,
            &mut self.labels,
            &mut self.common_annotations,
            &mut self.namespace,
            &mut self.replicas,
            &mut self.images,
            &mut self.var_reference,
            &mut self.name_prefix,
            &mut self.name_suffix,
        ] {
            sort_specs(specs);
        }
    }

    /// Reads a `configurations` file.
    pub(crate) fn from_value(value: &Value, file: &str) -> Result<TransformerConfig, Error> {
        let empty = TransformerConfig::empty();
        let Some(map) = value.as_map() else {
            return if value.is_null() {
                Ok(empty)
            } else {
                Err(Error::overlay(
                    file,
                    "a configurations file must be a mapping",
                ))
            };
        };
        let mut config = empty;
        for (key, specs) in map {
            let list = || FieldSpec::list_from_value(specs, file, key);
            match key.as_str() {
                "commonLabels" => config.common_labels = list()?,
                "templateLabels" => config.template_labels = list()?,
                "labels" => config.labels = list()?,
                "commonAnnotations" => config.common_annotations = list()?,
                "namespace" => config.namespace = list()?,
                "replicas" => config.replicas = list()?,
                "images" => config.images = list()?,
                "varReference" => config.var_reference = list()?,
                "nameReference" => {
                    let items = specs
                        .as_seq()
                        .ok_or_else(|| Error::overlay(file, "nameReference: expected a list"))?;
                    for (i, item) in items.iter().enumerate() {
                        let m = item.as_map().ok_or_else(|| {
                            Error::overlay(file, format!("nameReference[{i}]: expected a mapping"))
                        })?;
                        let text = |k: &str| {
                            m.get(k)
                                .and_then(Value::as_str)
                                .unwrap_or_default()
                                .to_owned()
                        };
                        let referrers = match m.get("fieldSpecs") {
                            Some(v) => FieldSpec::list_from_value(
                                v,
                                file,
                                &format!("nameReference[{i}].fieldSpecs"),
                            )?,
                            None => Vec::new(),
                        };
                        config.name_references.push(CustomReferral {
                            kind: text("kind"),
                            group: text("group"),
                            referrers,
                        });
                    }
                }
                "namePrefix" => config.name_prefix = list()?,
                "nameSuffix" => config.name_suffix = list()?,
                other => {
                    return Err(Error::overlay(
                        file,
                        format!("unknown field {other:?} in a configurations file"),
                    ));
                }
            }
        }
        Ok(config)
    }
}

const METADATA_LABELS: &str = "
- path: metadata/labels
  create: true
- path: spec/template/metadata/labels
  create: true
  version: v1
  kind: ReplicationController
- path: spec/template/metadata/labels
  create: true
  kind: Deployment
- path: spec/template/metadata/labels
  create: true
  kind: ReplicaSet
- path: spec/template/metadata/labels
  create: true
  kind: DaemonSet
- path: spec/template/metadata/labels
  create: true
  group: apps
  kind: StatefulSet
- path: spec/volumeClaimTemplates[]/metadata/labels
  create: true
  group: apps
  kind: StatefulSet
- path: spec/template/metadata/labels
  create: true
  group: batch
  kind: Job
- path: spec/jobTemplate/metadata/labels
  create: true
  group: batch
  kind: CronJob
- path: spec/jobTemplate/spec/template/metadata/labels
  create: true
  group: batch
  kind: CronJob
";

const SELECTOR_LABELS: &str = "
- path: spec/selector
  create: true
  version: v1
  kind: Service
- path: spec/selector
  create: true
  version: v1
  kind: ReplicationController
- path: spec/selector/matchLabels
  create: true
  kind: Deployment
- path: spec/template/spec/affinity/podAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/labelSelector/matchLabels
  group: apps
  kind: Deployment
- path: spec/template/spec/affinity/podAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels
  group: apps
  kind: Deployment
- path: spec/template/spec/affinity/podAntiAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/labelSelector/matchLabels
  group: apps
  kind: Deployment
- path: spec/template/spec/affinity/podAntiAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels
  group: apps
  kind: Deployment
- path: spec/template/spec/topologySpreadConstraints/labelSelector/matchLabels
  group: apps
  kind: Deployment
- path: spec/selector/matchLabels
  create: true
  kind: ReplicaSet
- path: spec/selector/matchLabels
  create: true
  kind: DaemonSet
- path: spec/selector/matchLabels
  create: true
  group: apps
  kind: StatefulSet
- path: spec/template/spec/affinity/podAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/labelSelector/matchLabels
  group: apps
  kind: StatefulSet
- path: spec/template/spec/affinity/podAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels
  group: apps
  kind: StatefulSet
- path: spec/template/spec/affinity/podAntiAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/labelSelector/matchLabels
  group: apps
  kind: StatefulSet
- path: spec/template/spec/affinity/podAntiAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels
  group: apps
  kind: StatefulSet
- path: spec/template/spec/topologySpreadConstraints/labelSelector/matchLabels
  group: apps
  kind: StatefulSet
- path: spec/selector/matchLabels
  group: batch
  kind: Job
- path: spec/jobTemplate/spec/selector/matchLabels
  group: batch
  kind: CronJob
- path: spec/selector/matchLabels
  group: policy
  kind: PodDisruptionBudget
- path: spec/podSelector/matchLabels
  group: networking.k8s.io
  kind: NetworkPolicy
- path: spec/ingress/from/podSelector/matchLabels
  group: networking.k8s.io
  kind: NetworkPolicy
- path: spec/egress/to/podSelector/matchLabels
  group: networking.k8s.io
  kind: NetworkPolicy
";

const COMMON_ANNOTATIONS: &str = "
- path: metadata/annotations
  create: true
- path: spec/template/metadata/annotations
  create: true
  version: v1
  kind: ReplicationController
- path: spec/template/metadata/annotations
  create: true
  kind: Deployment
- path: spec/template/metadata/annotations
  create: true
  kind: ReplicaSet
- path: spec/template/metadata/annotations
  create: true
  kind: DaemonSet
- path: spec/template/metadata/annotations
  create: true
  kind: StatefulSet
- path: spec/template/metadata/annotations
  create: true
  group: batch
  kind: Job
- path: spec/jobTemplate/metadata/annotations
  create: true
  group: batch
  kind: CronJob
- path: spec/jobTemplate/spec/template/metadata/annotations
  create: true
  group: batch
  kind: CronJob
";

const NAMESPACE: &str = "
- path: metadata/name
  kind: Namespace
  create: true
- path: spec/service/namespace
  group: apiregistration.k8s.io
  kind: APIService
  create: true
- path: spec/conversion/webhook/clientConfig/service/namespace
  group: apiextensions.k8s.io
  kind: CustomResourceDefinition
";

const REPLICAS: &str = "
- path: spec/replicas
  create: true
  kind: Deployment
- path: spec/replicas
  create: true
  kind: ReplicationController
- path: spec/replicas
  create: true
  kind: ReplicaSet
- path: spec/replicas
  create: true
  kind: StatefulSet
";

/// kustomize's built-in `varReference` field specs.
const VAR_REFERENCE: &str = "
- path: spec/jobTemplate/spec/template/spec/containers/args
  kind: CronJob
- path: spec/jobTemplate/spec/template/spec/containers/command
  kind: CronJob
- path: spec/jobTemplate/spec/template/spec/containers/env/value
  kind: CronJob
- path: spec/jobTemplate/spec/template/spec/containers/volumeMounts/mountPath
  kind: CronJob
- path: spec/jobTemplate/spec/template/spec/initContainers/args
  kind: CronJob
- path: spec/jobTemplate/spec/template/spec/initContainers/command
  kind: CronJob
- path: spec/jobTemplate/spec/template/spec/initContainers/env/value
  kind: CronJob
- path: spec/jobTemplate/spec/template/spec/initContainers/volumeMounts/mountPath
  kind: CronJob
- path: spec/jobTemplate/spec/template/volumes/nfs/server
  kind: CronJob
- path: spec/template/spec/containers/args
  kind: DaemonSet
- path: spec/template/spec/containers/command
  kind: DaemonSet
- path: spec/template/spec/containers/env/value
  kind: DaemonSet
- path: spec/template/spec/containers/volumeMounts/mountPath
  kind: DaemonSet
- path: spec/template/spec/initContainers/args
  kind: DaemonSet
- path: spec/template/spec/initContainers/command
  kind: DaemonSet
- path: spec/template/spec/initContainers/env/value
  kind: DaemonSet
- path: spec/template/spec/initContainers/volumeMounts/mountPath
  kind: DaemonSet
- path: spec/template/spec/volumes/nfs/server
  kind: DaemonSet
- path: spec/template/spec/containers/args
  kind: Deployment
- path: spec/template/spec/containers/command
  kind: Deployment
- path: spec/template/spec/containers/env/value
  kind: Deployment
- path: spec/template/spec/containers/volumeMounts/mountPath
  kind: Deployment
- path: spec/template/spec/initContainers/args
  kind: Deployment
- path: spec/template/spec/initContainers/command
  kind: Deployment
- path: spec/template/spec/initContainers/env/value
  kind: Deployment
- path: spec/template/spec/initContainers/volumeMounts/mountPath
  kind: Deployment
- path: spec/template/spec/volumes/nfs/server
  kind: Deployment
- path: spec/template/metadata/annotations
  kind: Deployment
- path: spec/rules/host
  kind: Ingress
- path: spec/tls/hosts
  kind: Ingress
- path: spec/tls/secretName
  kind: Ingress
- path: spec/template/spec/containers/args
  kind: Job
- path: spec/template/spec/containers/command
  kind: Job
- path: spec/template/spec/containers/env/value
  kind: Job
- path: spec/template/spec/containers/volumeMounts/mountPath
  kind: Job
- path: spec/template/spec/initContainers/args
  kind: Job
- path: spec/template/spec/initContainers/command
  kind: Job
- path: spec/template/spec/initContainers/env/value
  kind: Job
- path: spec/template/spec/initContainers/volumeMounts/mountPath
  kind: Job
- path: spec/template/spec/volumes/nfs/server
  kind: Job
- path: spec/containers/args
  kind: Pod
- path: spec/containers/command
  kind: Pod
- path: spec/containers/env/value
  kind: Pod
- path: spec/containers/volumeMounts/mountPath
  kind: Pod
- path: spec/initContainers/args
  kind: Pod
- path: spec/initContainers/command
  kind: Pod
- path: spec/initContainers/env/value
  kind: Pod
- path: spec/initContainers/volumeMounts/mountPath
  kind: Pod
- path: spec/volumes/nfs/server
  kind: Pod
- path: spec/template/spec/containers/args
  kind: ReplicaSet
- path: spec/template/spec/containers/command
  kind: ReplicaSet
- path: spec/template/spec/containers/env/value
  kind: ReplicaSet
- path: spec/template/spec/containers/volumeMounts/mountPath
  kind: ReplicaSet
- path: spec/template/spec/initContainers/args
  kind: ReplicaSet
- path: spec/template/spec/initContainers/command
  kind: ReplicaSet
- path: spec/template/spec/initContainers/env/value
  kind: ReplicaSet
- path: spec/template/spec/initContainers/volumeMounts/mountPath
  kind: ReplicaSet
- path: spec/template/spec/volumes/nfs/server
  kind: ReplicaSet
- path: spec/ports/port
  kind: Service
- path: spec/ports/targetPort
  kind: Service
- path: spec/template/spec/containers/args
  kind: StatefulSet
- path: spec/template/spec/containers/command
  kind: StatefulSet
- path: spec/template/spec/containers/env/value
  kind: StatefulSet
- path: spec/template/spec/containers/volumeMounts/mountPath
  kind: StatefulSet
- path: spec/template/spec/initContainers/args
  kind: StatefulSet
- path: spec/template/spec/initContainers/command
  kind: StatefulSet
- path: spec/template/spec/initContainers/env/value
  kind: StatefulSet
- path: spec/template/spec/initContainers/volumeMounts/mountPath
  kind: StatefulSet
- path: spec/volumeClaimTemplates/spec/nfs/server
  kind: StatefulSet
- path: spec/nfs/server
  kind: PersistentVolume
- path: metadata/labels
- path: metadata/annotations
";

fn parse_list(text: &str) -> Vec<FieldSpec> {
    let docs = parse_documents(text).expect("built-in field specs are valid YAML");
    FieldSpec::list_from_value(&docs[0].value, "<built-in>", "fieldSpecs")
        .expect("built-in field specs are well formed")
}

/// kustomize's built-in field specs.
pub(crate) fn defaults() -> &'static TransformerConfig {
    static DEFAULTS: OnceLock<TransformerConfig> = OnceLock::new();
    DEFAULTS.get_or_init(|| {
        // Merged into nothing, as kustomize makes its default configuration
        // (sorted, so that merging it again changes nothing).
        let mut sorted = TransformerConfig::empty();
        sorted.merge(&raw_defaults());
        sorted
    })
}

/// A configuration without field specs: what a kustomization's
/// accumulator starts from.
pub(crate) fn empty_config() -> &'static TransformerConfig {
    static EMPTY: OnceLock<TransformerConfig> = OnceLock::new();
    EMPTY.get_or_init(TransformerConfig::empty)
}

fn raw_defaults() -> TransformerConfig {
    {
        let metadata_name = vec![FieldSpec {
            path: "metadata/name".into(),
            ..FieldSpec::default()
        }];
        let metadata = parse_list(METADATA_LABELS);
        let mut common_labels = metadata.clone();
        common_labels.extend(parse_list(SELECTOR_LABELS));
        // `includeTemplates` reaches pod templates, not volume claim templates.
        let template_labels = metadata
            .into_iter()
            .filter(|s| !s.path.contains("volumeClaimTemplates"))
            .collect();
        TransformerConfig {
            common_labels,
            template_labels,
            labels: Vec::new(),
            common_annotations: parse_list(COMMON_ANNOTATIONS),
            namespace: parse_list(NAMESPACE),
            replicas: parse_list(REPLICAS),
            images: Vec::new(),
            name_references: Vec::new(),
            var_reference: parse_list(VAR_REFERENCE),
            name_prefix: metadata_name.clone(),
            name_suffix: metadata_name,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_that_may_touch_an_identity_are_told_apart() {
        let spec = |path: &str| FieldSpec {
            path: path.into(),
            ..FieldSpec::default()
        };
        for path in [
            "metadata",
            "metadata/name",
            "metadata/namespace",
            "kind",
            "apiVersion",
            "metadata[]/name",
        ] {
            assert!(may_touch_identity(&[spec("spec/x"), spec(path)]), "{path}");
        }
        for path in [
            "metadata/labels",
            "spec/template/metadata/name",
            "metadata/names",
            "kinds",
            "spec",
        ] {
            assert!(!may_touch_identity(&[spec(path)]), "{path}");
        }
    }

    #[test]
    fn defaults_parse() {
        let d = defaults();
        assert_eq!(d.common_labels.len(), 32);
        assert_eq!(d.template_labels.len(), 9);
        assert!(
            d.common_labels
                .iter()
                .any(|s| s.create && s.kind.is_empty() && s.path == "metadata/labels")
        );
        let mut again = d.clone();
        again.merge(d);
        assert_eq!(&again, d, "merging the defaults again changes nothing");
    }

    #[test]
    fn a_kind_specific_spec_stands_for_the_general_one() {
        // kustomize (TestIssue4884): `namePrefix: [{path: metadata/name,
        // kind: Foo}]` in configurations ends up as the only name spec.
        let mut own = defaults().clone();
        let foo = FieldSpec {
            kind: "Foo".into(),
            path: "metadata/name".into(),
            ..FieldSpec::default()
        };
        own.merge(&TransformerConfig {
            name_prefix: vec![foo.clone()],
            ..TransformerConfig::empty()
        });
        assert_eq!(own.name_prefix.len(), 2);
        let mut accumulated = TransformerConfig::empty();
        accumulated.merge(&own);
        assert_eq!(accumulated.name_prefix, [foo]);
    }

    #[test]
    fn walks_sequences_and_creates() {
        let mut v = parse_documents("spec:\n  volumeClaimTemplates:\n  - metadata: {}\n  - {}\n")
            .expect("yaml")[0]
            .value
            .clone();
        let spec = FieldSpec {
            group: String::new(),
            version: String::new(),
            kind: String::new(),
            path: "spec/volumeClaimTemplates[]/metadata/labels".into(),
            create: true,
        };
        let mut set = |v: &mut Value| {
            v.as_map_mut()
                .ok_or("not a map")?
                .insert("a".into(), "b".into());
            Ok(())
        };
        apply(&mut v, &spec, CreateKind::Mapping, &mut set).expect("applies");
        let items = v
            .get_path(&["spec", "volumeClaimTemplates"])
            .and_then(Value::as_seq)
            .expect("seq");
        assert_eq!(
            items[0].get_path(&["metadata", "labels", "a"]),
            Some(&Value::from("b"))
        );
        assert_eq!(
            items[1].get_path(&["metadata", "labels", "a"]),
            Some(&Value::from("b"))
        );
        assert_eq!(split_path("a/b[x/y]/c"), ["a", "b[x/y]", "c"]);
    }
}
