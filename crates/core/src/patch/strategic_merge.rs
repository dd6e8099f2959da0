//! Strategic merge patch as kustomize applies it (kyaml's merge over the
//! Kubernetes schema): maps merge, `null` deletes, lists of built-in types
//! with a merge key merge element by element (the patch's elements first, in
//! its order, then the elements only the original has), other lists are
//! replaced. The `$patch: replace | delete | merge` directive is honoured;
//! other `$` keys (`$retainKeys`, `$deleteFromPrimitiveList/...`,
//! `$setElementOrder/...`) are kept as ordinary fields, as kustomize keeps them.
//! Objects of kinds outside the built-in scheme (custom resources) have no
//! merge keys, so their lists are replaced, unless a custom schema
//! (kustomization `openapi`) gives them some.

use super::openapi::CustomSchema;
use crate::yaml::{Mapping, PathStep, Value};

/// How a list field merges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ListMerge {
    /// The merge key for lists of objects; `None` for lists of scalars.
    pub(crate) key: Option<&'static str>,
}

/// The schema types whose fields trueup knows (the ones with merging lists).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Type {
    /// No merge semantics known: lists are replaced.
    Opaque,
    /// A built-in object's top level.
    BuiltinObject(WorkloadShape),
    /// `metadata`.
    ObjectMeta,
    /// Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job spec.
    WorkloadSpec,
    /// CronJob spec.
    CronJobSpec,
    /// `jobTemplate`.
    JobTemplate,
    /// `template` of a workload.
    PodTemplate,
    /// A pod spec.
    PodSpec,
    /// A container.
    Container,
    /// A Service spec.
    ServiceSpec,
    /// A type of a custom schema (kustomization `openapi`).
    Custom(CustomType),
}

/// The schema in effect for strategic merges: a custom one (kustomization
/// `openapi`), and whether kyaml loaded its built-in one as well (it does
/// when an object of a kind its built-in table lacks was read before the
/// custom schema was set); built-in definitions then win.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SchemaChoice {
    /// The custom schema.
    pub(crate) custom: &'static CustomSchema,
    /// Whether the built-in definitions are loaded too.
    pub(crate) with_builtin: bool,
}

/// A definition of a custom schema.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CustomType {
    choice: SchemaChoice,
    def: u32,
}

impl PartialEq for CustomType {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self.choice.custom, other.choice.custom)
            && self.choice.with_builtin == other.choice.with_builtin
            && self.def == other.def
    }
}

/// The built-in types trueup knows by their OpenAPI definition names.
fn builtin_definition(name: &str) -> Option<Type> {
    Some(match name {
        "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta" => Type::ObjectMeta,
        "io.k8s.api.core.v1.PodTemplateSpec" => Type::PodTemplate,
        "io.k8s.api.core.v1.PodSpec" => Type::PodSpec,
        "io.k8s.api.core.v1.Container" | "io.k8s.api.core.v1.EphemeralContainer" => Type::Container,
        "io.k8s.api.core.v1.ServiceSpec" => Type::ServiceSpec,
        "io.k8s.api.batch.v1.JobTemplateSpec" | "io.k8s.api.batch.v1beta1.JobTemplateSpec" => {
            Type::JobTemplate
        }
        "io.k8s.api.batch.v1.CronJobSpec" | "io.k8s.api.batch.v1beta1.CronJobSpec" => {
            Type::CronJobSpec
        }
        "io.k8s.api.apps.v1.DeploymentSpec"
        | "io.k8s.api.apps.v1.StatefulSetSpec"
        | "io.k8s.api.apps.v1.DaemonSetSpec"
        | "io.k8s.api.apps.v1.ReplicaSetSpec"
        | "io.k8s.api.core.v1.ReplicationControllerSpec"
        | "io.k8s.api.batch.v1.JobSpec" => Type::WorkloadSpec,
        // Other built-in definitions have no merging lists trueup models.
        other if other.starts_with("io.k8s.") => Type::Opaque,
        _ => return None,
    })
}

impl Eq for CustomType {}

/// What a built-in object's `spec` is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WorkloadShape {
    /// Workloads with `spec.template`.
    Workload,
    /// CronJob.
    CronJob,
    /// Pod.
    Pod,
    /// Service.
    Service,
    /// PodTemplate (`template` at the top level).
    PodTemplate,
    /// Mutating- and ValidatingWebhookConfiguration (`webhooks` at the top level).
    WebhookConfiguration,
    /// Any other built-in kind: only `metadata` has merging lists.
    Other,
}

/// API groups of the built-in Kubernetes scheme.
const BUILTIN_GROUPS: &[&str] = &[
    "apps",
    "batch",
    "autoscaling",
    "policy",
    "networking.k8s.io",
    "rbac.authorization.k8s.io",
    "storage.k8s.io",
    "scheduling.k8s.io",
    "coordination.k8s.io",
    "discovery.k8s.io",
    "node.k8s.io",
    "admissionregistration.k8s.io",
    "certificates.k8s.io",
    "events.k8s.io",
    "flowcontrol.apiserver.k8s.io",
    "extensions",
    "resource.k8s.io",
];

/// Kinds of the core (`v1`) group.
const CORE_KINDS: &[&str] = &[
    "Binding",
    "ComponentStatus",
    "ConfigMap",
    "Endpoints",
    "Event",
    "LimitRange",
    "Namespace",
    "Node",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "Pod",
    "PodTemplate",
    "ReplicationController",
    "ResourceQuota",
    "Secret",
    "Service",
    "ServiceAccount",
];

impl Type {
    /// The schema of an object of this group, version and kind: from the
    /// custom schema when there is one (which then stands alone, as in
    /// kustomize), else the built-in one.
    pub(crate) fn for_object_in(
        schema: Option<SchemaChoice>,
        group: &str,
        version: &str,
        kind: &str,
    ) -> Type {
        let Some(choice) = schema else {
            return Type::for_object(group, kind);
        };
        if choice.with_builtin {
            let builtin = Type::for_object(group, kind);
            if builtin != Type::Opaque {
                return builtin;
            }
        }
        choice
            .custom
            .resource(group, version, kind)
            .map_or(Type::Opaque, |def| Type::Custom(CustomType { choice, def }))
    }

    /// The schema of an object of this group and kind.
    pub(crate) fn for_object(group: &str, kind: &str) -> Type {
        let builtin = if group.is_empty() {
            CORE_KINDS.contains(&kind)
        } else {
            BUILTIN_GROUPS.contains(&group)
        };
        if !builtin {
            return Type::Opaque;
        }
        let shape = match kind {
            "Deployment"
            | "StatefulSet"
            | "DaemonSet"
            | "ReplicaSet"
            | "ReplicationController"
            | "Job" => WorkloadShape::Workload,
            "CronJob" => WorkloadShape::CronJob,
            "Pod" => WorkloadShape::Pod,
            "Service" => WorkloadShape::Service,
            "PodTemplate" => WorkloadShape::PodTemplate,
            "MutatingWebhookConfiguration" | "ValidatingWebhookConfiguration"
                if group == "admissionregistration.k8s.io" =>
            {
                WorkloadShape::WebhookConfiguration
            }
            _ => WorkloadShape::Other,
        };
        Type::BuiltinObject(shape)
    }

    /// The type of field `name`, and how it merges when it is a list.
    pub(crate) fn field(self, name: &str) -> (Type, Option<ListMerge>) {
        let merge = |key| Some(ListMerge { key: Some(key) });
        let none = (Type::Opaque, None);
        if let Type::Custom(CustomType { choice, def }) = self {
            let (child, list) = choice.custom.field(def, name);
            let builtin = child
                .name
                .filter(|_| choice.with_builtin)
                .and_then(builtin_definition);
            let child = match (builtin, child.def) {
                (Some(ty), _) => ty,
                (None, Some(def)) => Type::Custom(CustomType { choice, def }),
                (None, None) => Type::Opaque,
            };
            return (child, list);
        }
        match (self, name) {
            (Type::BuiltinObject(_), "metadata") => (Type::ObjectMeta, None),
            (Type::BuiltinObject(WorkloadShape::Workload), "spec") => (Type::WorkloadSpec, None),
            (Type::BuiltinObject(WorkloadShape::CronJob), "spec") => (Type::CronJobSpec, None),
            (Type::BuiltinObject(WorkloadShape::Pod), "spec") => (Type::PodSpec, None),
            (Type::BuiltinObject(WorkloadShape::Service), "spec") => (Type::ServiceSpec, None),
            (Type::BuiltinObject(WorkloadShape::PodTemplate), "template") => {
                (Type::PodTemplate, None)
            }
            (Type::BuiltinObject(WorkloadShape::WebhookConfiguration), "webhooks") => {
                (Type::Opaque, merge("name"))
            }
            (Type::ObjectMeta, "finalizers") => (Type::Opaque, Some(ListMerge { key: None })),
            (Type::ObjectMeta, "ownerReferences") => (Type::Opaque, merge("uid")),
            (Type::WorkloadSpec, "template") => (Type::PodTemplate, None),
            (Type::CronJobSpec, "jobTemplate") => (Type::JobTemplate, None),
            (Type::JobTemplate, "metadata") => (Type::ObjectMeta, None),
            (Type::JobTemplate, "spec") => (Type::WorkloadSpec, None),
            (Type::PodTemplate, "metadata") => (Type::ObjectMeta, None),
            (Type::PodTemplate, "spec") => (Type::PodSpec, None),
            (Type::PodSpec, "containers" | "initContainers" | "ephemeralContainers") => {
                (Type::Container, merge("name"))
            }
            (
                Type::PodSpec,
                "volumes" | "imagePullSecrets" | "resourceClaims" | "schedulingGates",
            ) => (Type::Opaque, merge("name")),
            (Type::PodSpec, "hostAliases") => (Type::Opaque, merge("ip")),
            (Type::PodSpec, "topologySpreadConstraints") => (Type::Opaque, merge("topologyKey")),
            (Type::Container, "env") => (Type::Opaque, merge("name")),
            (Type::Container, "ports") => (Type::Opaque, merge("containerPort")),
            (Type::Container, "volumeMounts") => (Type::Opaque, merge("mountPath")),
            (Type::Container, "volumeDevices") => (Type::Opaque, merge("devicePath")),
            (Type::ServiceSpec, "ports") => (Type::Opaque, merge("port")),
            _ => none,
        }
    }
}

/// Drops the keys that an object as read mapped to nothing (`key:`), where a
/// strategic merge walks: kyaml's merge keeps an explicit `null` (`key:
/// null`, `key: ~`) of the target but clears one written as nothing, in
/// every mapping it visits — through mappings and lists merged by key, not
/// into lists it replaces whole.
pub(crate) fn drop_empty_nulls(target: &mut Value, paths: &[Vec<PathStep>], ty: Type) {
    for path in paths {
        drop_empty_null(target, path, ty);
    }
}

fn drop_empty_null(value: &mut Value, path: &[PathStep], ty: Type) {
    match (value, path) {
        (Value::Map(map), [PathStep::Key(key)]) => {
            if matches!(map.get(key), Some(Value::Null)) {
                map.shift_remove(key);
            }
        }
        (Value::Map(map), [PathStep::Key(key), rest @ ..]) => {
            let (field_ty, list) = ty.field(key);
            let Some(field) = map.get_mut(key) else {
                return;
            };
            match (field, rest) {
                // Into a list only where it merges by key.
                (Value::Seq(items), [PathStep::Index(i), tail @ ..]) => {
                    if list.is_some_and(|l| l.key.is_some())
                        && let Some(item) = items.get_mut(*i)
                    {
                        drop_empty_null(item, tail, field_ty);
                    }
                }
                (field, rest) => drop_empty_null(field, rest, field_ty),
            }
        }
        _ => {}
    }
}

/// The outcome of merging into a map: keep it, or delete it from its parent.
enum Outcome {
    Keep,
    Delete,
}

/// Applies strategic merge patch `patch` to `target` of schema type `ty`.
/// Returns `false` when the patch deletes the whole object (`$patch: delete`).
pub(crate) fn apply(target: &mut Value, patch: &Value, ty: Type) -> Result<bool, String> {
    match merge_value(target, patch, ty, None)? {
        Outcome::Keep => Ok(true),
        Outcome::Delete => Ok(false),
    }
}

fn directive(map: &Mapping) -> Option<&str> {
    map.get("$patch").and_then(Value::as_str)
}

/// The patch value with its `$patch` directives taken out, for a field the
/// original does not have.
fn without_directives(patch: &Value) -> Value {
    match patch {
        Value::Map(m) => Value::Map(
            m.iter()
                .filter(|(k, _)| k.as_str() != "$patch")
                .map(|(k, v)| (k.clone(), without_directives(v)))
                .collect(),
        ),
        Value::Seq(items) => Value::Seq(
            items
                .iter()
                .filter(|item| !matches!(item, Value::Map(m) if directive(m).is_some()))
                .map(without_directives)
                .collect(),
        ),
        other => other.clone(),
    }
}

fn merge_value(
    target: &mut Value,
    patch: &Value,
    ty: Type,
    list: Option<ListMerge>,
) -> Result<Outcome, String> {
    match (target, patch) {
        (Value::Map(t), Value::Map(p)) => merge_map(t, p, ty),
        (t @ Value::Seq(_), Value::Seq(p)) => {
            if let Some(merge) = list {
                let Value::Seq(items) = t else {
                    unreachable!("matched a sequence")
                };
                merge_list(items, p, ty, merge)?;
            } else {
                *t = without_directives(patch);
            }
            Ok(Outcome::Keep)
        }
        (t, Value::Map(p)) => match directive(p) {
            Some("delete") => Ok(Outcome::Delete),
            _ => {
                *t = without_directives(patch);
                Ok(Outcome::Keep)
            }
        },
        (t, _) => {
            *t = without_directives(patch);
            Ok(Outcome::Keep)
        }
    }
}

fn merge_map(target: &mut Mapping, patch: &Mapping, ty: Type) -> Result<Outcome, String> {
    match directive(patch) {
        Some("delete") => return Ok(Outcome::Delete),
        Some("replace") => {
            *target = match without_directives(&Value::Map(patch.clone())) {
                Value::Map(m) => m,
                _ => unreachable!("a map stays a map"),
            };
            return Ok(Outcome::Keep);
        }
        Some("merge") | None => {}
        Some(other) => return Err(format!("unknown $patch directive {other:?}")),
    }
    for (key, value) in patch {
        if key == "$patch" {
            continue;
        }
        if value.is_null() {
            target.shift_remove(key);
            continue;
        }
        let (child, list) = ty.field(key);
        match target.get_mut(key) {
            Some(existing) => {
                if let Outcome::Delete = merge_value(existing, value, child, list)? {
                    target.shift_remove(key);
                }
            }
            None => {
                if !matches!(value, Value::Map(m) if directive(m) == Some("delete")) {
                    target.insert(key.clone(), without_directives(value));
                }
            }
        }
    }
    Ok(Outcome::Keep)
}

/// The merge key value of a list element.
fn key_of<'v>(item: &'v Value, key: &str) -> Option<&'v Value> {
    item.as_map().and_then(|m| m.get(key))
}

fn merge_list(
    target: &mut Vec<Value>,
    patch: &[Value],
    ty: Type,
    merge: ListMerge,
) -> Result<(), String> {
    // `- $patch: replace` in a list replaces the whole list with the other items.
    if patch.iter().any(
        |item| matches!(item, Value::Map(m) if directive(m) == Some("replace") && m.len() == 1),
    ) {
        *target = without_directives(&Value::Seq(patch.to_vec()))
            .as_seq()
            .map(<[Value]>::to_vec)
            .unwrap_or_default();
        return Ok(());
    }
    let Some(key) = merge.key else {
        // Scalars: the union, patch items first, then the original's others.
        let original = std::mem::take(target);
        let mut merged: Vec<Value> = Vec::with_capacity(original.len() + patch.len());
        for item in patch.iter().cloned().chain(original) {
            if !merged.contains(&item) {
                merged.push(item);
            }
        }
        *target = patch_first(merged, |item| patch.iter().position(|x| x == item));
        return Ok(());
    };
    // Deletions first, then merges and additions. Elements are found by
    // their key through a hash map, so long lists (an env of thousands of
    // variables) merge in near-linear time.
    let mut patch_items: Vec<&Value> = Vec::with_capacity(patch.len());
    let mut deleted: Vec<&Value> = Vec::new();
    for item in patch {
        let Some(id) = key_of(item, key) else {
            return Err(format!("a list element lacks its merge key {key:?}"));
        };
        if matches!(item, Value::Map(m) if directive(m) == Some("delete")) {
            deleted.push(id);
        } else {
            patch_items.push(item);
        }
    }
    let mut merged: Vec<Value> = std::mem::take(target);
    if !deleted.is_empty() {
        let gone: KeyIndex = deleted.iter().enumerate().map(|(i, id)| (*id, i)).collect();
        merged.retain(|m| key_of(m, key).is_none_or(|id| gone.get(id).is_none()));
    }
    let mut at: KeyIndex = merged
        .iter()
        .enumerate()
        .filter_map(|(i, m)| key_of(m, key).map(|id| (id, i)))
        .collect();
    let original = merged.len();
    for item in &patch_items {
        let id = key_of(item, key).expect("checked above");
        match at.get(id) {
            Some(i) => {
                merge_value(&mut merged[i], item, ty, None)?;
            }
            None => {
                at.insert(id, merged.len());
                merged.push(without_directives(item));
            }
        }
    }
    debug_assert!(merged.len() >= original);
    let patch_order: KeyIndex = patch_items
        .iter()
        .enumerate()
        .filter_map(|(i, item)| key_of(item, key).map(|id| (id, i)))
        .collect();
    *target = patch_first(merged, |item| {
        key_of(item, key).and_then(|id| patch_order.get(id))
    });
    Ok(())
}

/// Positions by element key: scalar keys hashed by type and text, other
/// keys (never seen in practice) compared one by one.
#[derive(Default)]
struct KeyIndex {
    hashed: std::collections::HashMap<(u8, String), usize>,
    other: Vec<(Value, usize)>,
}

impl KeyIndex {
    fn hash_key(id: &Value) -> Option<(u8, String)> {
        Some(match id {
            Value::String(s) => (0, s.clone()),
            Value::Int(i) => (1, i.to_string()),
            Value::UInt(u) => (2, u.to_string()),
            Value::Float(f) => (3, f.to_bits().to_string()),
            Value::Bool(b) => (4, b.to_string()),
            Value::Null => (5, String::new()),
            Value::Seq(_) | Value::Map(_) => return None,
        })
    }

    /// The position of `id`; the first one inserted wins.
    fn get(&self, id: &Value) -> Option<usize> {
        match Self::hash_key(id) {
            Some(k) => self.hashed.get(&k).copied(),
            None => self.other.iter().find(|(o, _)| o == id).map(|(_, i)| *i),
        }
    }

    fn insert(&mut self, id: &Value, position: usize) {
        match Self::hash_key(id) {
            Some(k) => {
                self.hashed.entry(k).or_insert(position);
            }
            None => {
                if self.get(id).is_none() {
                    self.other.push((id.clone(), position));
                }
            }
        }
    }
}

impl<'v> FromIterator<(&'v Value, usize)> for KeyIndex {
    fn from_iter<I: IntoIterator<Item = (&'v Value, usize)>>(iter: I) -> Self {
        let mut index = KeyIndex::default();
        for (id, position) in iter {
            index.insert(id, position);
        }
        index
    }
}

/// kustomize's order for a merged list: the elements the patch names, in
/// patch order, then the elements only the original has, in original order.
/// `position` gives an element's place in the patch.
fn patch_first(merged: Vec<Value>, position: impl Fn(&Value) -> Option<usize>) -> Vec<Value> {
    let (mut in_patch, server_only): (Vec<(usize, Value)>, Vec<Value>) = {
        let mut in_patch = Vec::new();
        let mut server_only = Vec::new();
        for item in merged {
            match position(&item) {
                Some(p) => in_patch.push((p, item)),
                None => server_only.push(item),
            }
        }
        (in_patch, server_only)
    };
    in_patch.sort_by_key(|(p, _)| *p);
    let mut out: Vec<Value> = in_patch.into_iter().map(|(_, item)| item).collect();
    out.extend(server_only);
    out
}
