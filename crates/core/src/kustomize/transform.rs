//! The built-in transformers that write values into objects: namespace,
//! labels, annotations, replicas and images, each as kustomize applies it.

use regex::Regex;

use super::fieldspec::{self, CreateKind, FieldSpec, TransformerConfig};
use super::kustomization::{ImageRewrite, Kustomization, ReplicaCount};
use crate::error::Error;
use crate::resource::{ManifestSet, ResId, Resource};
use crate::yaml::{Resolved, ResolvedNumber, Value, resolve_plain_v3};

/// Which (Cluster)RoleBinding subjects get the namespace
/// (NamespaceTransformer's `setRoleBindingSubjects`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum SubjectMode {
    /// `defaultOnly`: subjects named `default` (the kustomization field's way).
    #[default]
    DefaultOnly,
    /// `allServiceAccounts`: every ServiceAccount subject.
    AllServiceAccounts,
    /// `none`: no subject.
    None,
}

/// `namespace`: sets `metadata.namespace` on namespaced objects, renames
/// `Namespace` objects, and fills the other namespace fields `specs` lists.
/// With `unset_only`, only fields that are empty are set.
pub(crate) fn namespace(
    set: &mut ManifestSet,
    namespace: &str,
    specs: &[FieldSpec],
    unset_only: bool,
    subjects: SubjectMode,
    file: &str,
) -> Result<(), Error> {
    set.record_identities(|_| true);
    set.transform_each(file, "namespace", |id, value| {
        let mut set_namespace = |v: &mut Value| {
            let empty = match v {
                Value::Null => true,
                Value::String(s) => s.is_empty(),
                _ => false,
            };
            if !unset_only || empty {
                *v = Value::String(namespace.to_owned());
            }
            Ok(())
        };
        if !id.is_cluster_scoped_for_kustomize() {
            let spec = FieldSpec {
                path: "metadata/namespace".into(),
                create: true,
                ..FieldSpec::default()
            };
            fieldspec::apply(value, &spec, CreateKind::Scalar, &mut set_namespace)?;
        }
        let binding = matches!(id.kind.as_str(), "RoleBinding" | "ClusterRoleBinding");
        if binding {
            role_binding_subjects(value, subjects, &mut set_namespace)?;
        }
        // kustomize's removeUnneededMetaFieldSpecs: metadata/namespace is the
        // special case above, and metadata/name (renaming a Namespace) applies
        // only to apiVersion v1 objects.
        let core_v1 = id.group.is_empty() && id.version == "v1";
        for spec in specs.iter().filter(|s| s.selects(id)) {
            match spec.path.as_str() {
                "metadata/namespace" => continue,
                "metadata/name" if !core_v1 => continue,
                "subjects/namespace" | "subjects[]/namespace"
                    if binding
                        && matches!(spec.kind.as_str(), "RoleBinding" | "ClusterRoleBinding") =>
                {
                    continue;
                }
                _ => fieldspec::apply(value, spec, CreateKind::Scalar, &mut set_namespace)?,
            }
        }
        Ok(())
    })
}

/// (Cluster)RoleBinding subjects: by default a subject named `default`
/// gets the namespace. Subjects naming service accounts that moved follow
/// them through the name references fixed at the end.
fn role_binding_subjects(
    value: &mut Value,
    mode: SubjectMode,
    set_namespace: &mut dyn FnMut(&mut Value) -> Result<(), String>,
) -> Result<(), String> {
    let Some(Value::Seq(subjects)) = value.as_map_mut().and_then(|m| m.get_mut("subjects")) else {
        return Ok(());
    };
    for subject in subjects {
        if let Value::Map(m) = subject {
            let chosen = match mode {
                SubjectMode::DefaultOnly => {
                    m.get("name").and_then(Value::as_str) == Some("default")
                }
                SubjectMode::AllServiceAccounts => {
                    m.get("kind").and_then(Value::as_str) == Some("ServiceAccount")
                }
                SubjectMode::None => false,
            };
            if chosen {
                set_namespace(m.entry("namespace".to_owned()).or_insert(Value::Null))?;
            }
        }
    }
    Ok(())
}

/// Whether prefixes and suffixes leave this object's name alone:
/// Namespaces, CustomResourceDefinitions and APIServices.
fn keeps_name(id: &ResId) -> bool {
    matches!(id.kind.as_str(), "Namespace" | "CustomResourceDefinition")
        || (id.kind == "APIService" && id.group == "apiregistration.k8s.io")
}

/// `namePrefix` and `nameSuffix`: every name but those of Namespaces,
/// CustomResourceDefinitions and APIServices, and the further fields the
/// configuration names.
pub(crate) fn prefix_suffix(
    set: &mut ManifestSet,
    prefix: &str,
    suffix: &str,
    config: &TransformerConfig,
    file: &str,
) -> Result<(), Error> {
    let what = "namePrefix/nameSuffix";
    if config.name_prefix == config.name_suffix {
        prefix_suffix_at(set, prefix, suffix, &config.name_prefix, file, what)
    } else {
        prefix_suffix_at(set, prefix, "", &config.name_prefix, file, what)?;
        prefix_suffix_at(set, "", suffix, &config.name_suffix, file, what)
    }
}

/// A prefix and a suffix put on the string fields `specs` name (the
/// Prefix/Suffix transformers): `metadata/name` renames the object (with
/// its identity recorded for name references), other paths just get the
/// text. Objects whose names prefixes leave alone are not touched at all.
pub(crate) fn prefix_suffix_at(
    set: &mut ManifestSet,
    prefix: &str,
    suffix: &str,
    specs: &[FieldSpec],
    file: &str,
    what: &str,
) -> Result<(), Error> {
    if prefix.is_empty() && suffix.is_empty() {
        return Ok(());
    }
    let renames = |id: &ResId| {
        !keeps_name(id)
            && specs
                .iter()
                .any(|s| s.path == "metadata/name" && s.selects(id))
    };
    set.record_identities(renames);
    set.record_name_affixes(prefix, suffix, renames);
    set.transform_each(file, what, |id, value| {
        if keeps_name(id) {
            return Ok(());
        }
        for spec in specs.iter().filter(|s| s.selects(id)) {
            if spec.path == "metadata/name" {
                if let Some(Value::Map(meta)) =
                    value.as_map_mut().and_then(|m| m.get_mut("metadata"))
                {
                    let name = meta
                        .get("name")
                        .and_then(Value::as_str)
                        .unwrap_or(&id.name)
                        .to_owned();
                    meta.insert(
                        "name".into(),
                        Value::String([prefix, name.as_str(), suffix].concat()),
                    );
                }
                continue;
            }
            fieldspec::apply(value, spec, CreateKind::Scalar, &mut |v: &mut Value| {
                if let Value::String(text) = v {
                    *text = [prefix, text.as_str(), suffix].concat();
                }
                Ok(())
            })?;
        }
        Ok(())
    })
}

/// Sets every pair in the mapping found at the end of a field spec path.
fn set_pairs(pairs: &[(String, String)]) -> impl FnMut(&mut Value) -> Result<(), String> + '_ {
    // The keys are checked once; a bad one fails the first write, as
    // checking at each write did.
    let bad_key = pairs.iter().find_map(|(k, _)| check_plain_key(k).err());
    move |target: &mut Value| {
        if target.is_null() {
            *target = Value::Map(Default::default());
        }
        let found = target.type_name();
        let map = target
            .as_map_mut()
            .ok_or_else(|| format!("expected a mapping, found {found}"))?;
        if let Some(message) = &bad_key {
            return Err(message.clone());
        }
        for (k, v) in pairs {
            match map.get_mut(k.as_str()) {
                // Replaced in its place, as `insert` does, with no key copied.
                Some(there) => *there = Value::String(v.clone()),
                None => {
                    map.insert(k.clone(), Value::String(v.clone()));
                }
            }
        }
        Ok(())
    }
}

/// kustomize writes label and annotation keys as plain YAML scalars; a key
/// that then reads back as a boolean, null, float or timestamp makes its JSON
/// conversion fail, so it is an error here too.
fn check_plain_key(key: &str) -> Result<(), String> {
    match resolve_plain_v3(key) {
        Resolved::Str
        | Resolved::Merge
        | Resolved::Number(ResolvedNumber::Int(_) | ResolvedNumber::UInt(_)) => Ok(()),
        _ => Err(format!(
            "key {key:?} would be read back as a non-string (kustomize fails on it too)"
        )),
    }
}

/// Sets `pairs` in the mappings `specs` name (labels, annotations).
pub(crate) fn apply_pairs(
    set: &mut ManifestSet,
    file: &str,
    what: &str,
    pairs: &[(String, String)],
    specs: &[FieldSpec],
) -> Result<(), Error> {
    if pairs.is_empty() {
        return Ok(());
    }
    let may_rename = fieldspec::may_touch_identity(specs);
    set.edit_each(file, what, may_rename, |id, value| {
        let mut setter = set_pairs(pairs);
        for spec in specs.iter().filter(|s| s.selects(id)) {
            fieldspec::apply(value, spec, CreateKind::Mapping, &mut setter)?;
        }
        Ok(())
    })
}

/// `specs` with the specs of `extra` it lacks.
fn merged(mut specs: Vec<FieldSpec>, extra: &[FieldSpec]) -> Vec<FieldSpec> {
    fieldspec::merge_specs(&mut specs, extra);
    specs
}

/// `labels` (each set with its reach) and then `commonLabels`.
pub(crate) fn labels(
    set: &mut ManifestSet,
    k: &Kustomization,
    config: &TransformerConfig,
    file: &str,
) -> Result<(), Error> {
    let defaults = config;
    for label_set in &k.labels {
        let specs = if label_set.include_selectors {
            merged(label_set.fields.clone(), &defaults.common_labels)
        } else {
            let metadata = FieldSpec {
                path: "metadata/labels".into(),
                create: true,
                ..FieldSpec::default()
            };
            let specs = merged(label_set.fields.clone(), &[metadata]);
            if label_set.include_templates {
                merged(specs, &defaults.template_labels)
            } else {
                specs
            }
        };
        let specs = if label_set.include_volume_claim_templates {
            let claim_templates: Vec<FieldSpec> = defaults
                .common_labels
                .iter()
                .filter(|s| s.path.contains("volumeClaimTemplates"))
                .cloned()
                .collect();
            merged(specs, &claim_templates)
        } else {
            specs
        };
        // `labels:` of configurations files reach every `labels` entry.
        let specs = merged(specs, &defaults.labels);
        apply_pairs(set, file, "labels", &label_set.pairs, &specs)?;
    }
    apply_pairs(
        set,
        file,
        "commonLabels",
        &k.common_labels,
        &defaults.common_labels,
    )
}

/// `commonAnnotations`.
pub(crate) fn annotations(
    set: &mut ManifestSet,
    k: &Kustomization,
    config: &TransformerConfig,
    file: &str,
) -> Result<(), Error> {
    apply_pairs(
        set,
        file,
        "commonAnnotations",
        &k.common_annotations,
        &config.common_annotations,
    )
}

/// `replicas`: each count goes to the workloads of that name.
pub(crate) fn replicas(
    set: &mut ManifestSet,
    replicas: &[ReplicaCount],
    specs: &[FieldSpec],
    file: &str,
) -> Result<(), Error> {
    for replica in replicas {
        // kustomize matches the name the object has now or had before.
        let named = |r: &Resource| {
            std::iter::once(r.id())
                .chain(r.previous_ids())
                .any(|id| id.name == replica.name)
                && specs.iter().any(|s| s.selects(r.id()))
        };
        let found = set.transform_selected(file, "replicas", named, |id, value| {
            for spec in specs.iter().filter(|s| s.selects(id)) {
                fieldspec::apply(value, spec, CreateKind::Scalar, &mut |v: &mut Value| {
                    *v = Value::Int(replica.count);
                    Ok(())
                })?;
            }
            Ok(true)
        })?;
        if found == 0 {
            return Err(Error::overlay(
                file,
                format!(
                    "replicas: no Deployment, ReplicationController, ReplicaSet or StatefulSet is named {:?}",
                    replica.name
                ),
            ));
        }
    }
    Ok(())
}

/// `images`: rewrites `image` in every `containers` and `initContainers`
/// list anywhere in an object (not in CustomResourceDefinitions), and in
/// the further image fields `specs` name. Tells, for each entry, whether
/// it matched any image.
pub(crate) fn images(
    set: &mut ManifestSet,
    images: &[ImageRewrite],
    specs: &[FieldSpec],
    file: &str,
) -> Result<Vec<bool>, Error> {
    let mut matched = Vec::with_capacity(images.len());
    for rewrite in images {
        // kustomize matches nothing with a name that is not a valid
        // regular expression (`[`), and says nothing.
        let Ok(matcher) = ImageMatcher::new(&rewrite.name) else {
            matched.push(false);
            continue;
        };
        let mut any = false;
        let may_rename = fieldspec::may_touch_identity(specs);
        set.edit_each(file, "images", may_rename, |id: &ResId, value| {
            if id.kind != "CustomResourceDefinition" {
                any |= rewrite_containers(value, &matcher, rewrite);
            }
            // Image fields that `configurations` name.
            for spec in specs.iter().filter(|s| s.selects(id)) {
                let mut rewrite_one = |v: &mut Value| {
                    if let Value::String(image) = v
                        && matcher.is_match(image)
                    {
                        *image = rewritten_image(image, rewrite);
                        any = true;
                    }
                    Ok(())
                };
                let lookup_only = FieldSpec {
                    create: false,
                    ..spec.clone()
                };
                fieldspec::apply(value, &lookup_only, CreateKind::Scalar, &mut rewrite_one)?;
            }
            Ok(())
        })?;
        matched.push(any);
    }
    Ok(matched)
}

/// kustomize matches an image against `^NAME(:tag)?(@algo:digest)?$` with
/// NAME as an unescaped regular expression. Names that use no regular
/// expression syntax but `.` (any character) are matched without building one.
enum ImageMatcher {
    Simple(Vec<char>),
    Regex(Regex),
}

impl ImageMatcher {
    fn new(name: &str) -> Result<ImageMatcher, regex::Error> {
        if name.chars().any(|c| "\\[](){}*+?|^$".contains(c)) {
            let pattern =
                format!("^{name}(:[a-zA-Z0-9_.{{}}-]*)?(@[a-zA-Z0-9]+:[a-zA-Z0-9_.{{}}-]*)?$");
            Ok(ImageMatcher::Regex(Regex::new(&pattern)?))
        } else {
            Ok(ImageMatcher::Simple(name.chars().collect()))
        }
    }

    fn is_match(&self, image: &str) -> bool {
        match self {
            ImageMatcher::Regex(r) => r.is_match(image),
            ImageMatcher::Simple(name) => {
                let mut chars = image.chars();
                for &want in name {
                    match chars.next() {
                        Some(c) if want == '.' || c == want => {}
                        _ => return false,
                    }
                }
                tag_and_digest_suffix(chars.as_str())
            }
        }
    }
}

/// Whether `rest` is `(:[a-zA-Z0-9_.{}-]*)?(@[a-zA-Z0-9]+:[a-zA-Z0-9_.{}-]*)?`.
fn tag_and_digest_suffix(rest: &str) -> bool {
    let tag_char = |c: char| c.is_ascii_alphanumeric() || "_.{}-".contains(c);
    let rest = match rest.strip_prefix(':') {
        Some(tag) => tag.trim_start_matches(tag_char),
        None => rest,
    };
    let Some(digest) = rest.strip_prefix('@') else {
        return rest.is_empty();
    };
    let Some((algorithm, hex)) = digest.split_once(':') else {
        return false;
    };
    !algorithm.is_empty()
        && algorithm.chars().all(|c| c.is_ascii_alphanumeric())
        && hex.chars().all(tag_char)
}

/// Rewrites the matching container images under `value`; tells whether any matched.
fn rewrite_containers(value: &mut Value, matcher: &ImageMatcher, rewrite: &ImageRewrite) -> bool {
    let mut any = false;
    match value {
        Value::Map(map) => {
            for (key, field) in map.iter_mut() {
                any |= rewrite_containers(field, matcher, rewrite);
                if (key == "containers" || key == "initContainers")
                    && let Value::Seq(containers) = field
                {
                    for container in containers {
                        if let Some(Value::String(image)) =
                            container.as_map_mut().and_then(|c| c.get_mut("image"))
                            && matcher.is_match(image)
                        {
                            *image = rewritten_image(image, rewrite);
                            any = true;
                        }
                    }
                }
            }
        }
        Value::Seq(items) => {
            for item in items {
                any |= rewrite_containers(item, matcher, rewrite);
            }
        }
        _ => {}
    }
    any
}

/// Splits an image reference into name, tag and digest, as kustomize does:
/// `host:5000/app:1.0@sha256:abc` → (`host:5000/app`, `1.0`, `sha256:abc`).
pub(crate) fn split_image(image: &str) -> (&str, &str, &str) {
    // A colon before the first slash is a registry port, not a tag.
    let offset = match image.find('/') {
        Some(i) if i > 0 => i,
        _ => 0,
    };
    let search = &image[offset..];
    let at = search.find('@').map(|i| i + offset);
    let colon = search.find(':').map(|i| i + offset);
    match (colon, at) {
        (None, None) => (image, "", ""),
        (Some(c), Some(at)) if c < at => (&image[..c], &image[c + 1..at], &image[at + 1..]),
        (_, Some(at)) => (&image[..at], "", &image[at + 1..]),
        (Some(c), None) => (&image[..c], &image[c + 1..], ""),
    }
}

fn rewritten_image(image: &str, rewrite: &ImageRewrite) -> String {
    let (name, tag, digest) = split_image(image);
    let suffixed;
    let (tag, digest) = match (&rewrite.new_tag, &rewrite.digest, &rewrite.tag_suffix) {
        (Some(t), Some(d), _) => (t.as_str(), d.as_str()),
        (Some(t), None, _) => (t.as_str(), ""),
        (None, Some(d), _) => ("", d.as_str()),
        // What kustomize v5.8 does (the oracle): the suffix goes on the old
        // tag, the digest is dropped, and without newName the suffix is
        // appended twice.
        (None, None, Some(suffix)) => {
            let times = if rewrite.new_name.is_some() { 1 } else { 2 };
            suffixed = format!("{tag}{}", suffix.repeat(times));
            (suffixed.as_str(), "")
        }
        (None, None, None) => (tag, digest),
    };
    let name = rewrite.new_name.as_deref().unwrap_or(name);
    let mut out = name.to_owned();
    if !tag.is_empty() {
        out.push(':');
        out.push_str(tag);
    }
    if !digest.is_empty() {
        out.push('@');
        out.push_str(digest);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::split_image;

    #[test]
    fn splits_like_kustomize() {
        assert_eq!(split_image("nginx"), ("nginx", "", ""));
        assert_eq!(split_image("nginx:1.0"), ("nginx", "1.0", ""));
        assert_eq!(split_image("nginx@sha256:abc"), ("nginx", "", "sha256:abc"));
        assert_eq!(
            split_image("nginx:1.0@sha256:abc"),
            ("nginx", "1.0", "sha256:abc")
        );
        assert_eq!(split_image("host:5000/app:2"), ("host:5000/app", "2", ""));
        assert_eq!(split_image("host:5000/app"), ("host:5000/app", "", ""));
    }

    #[test]
    fn simple_and_regex_matchers_agree() {
        let names = [
            "nginx",
            "my.app",
            "registry.example.com/app",
            "a+b",
            "x[0-9]",
        ];
        let images = [
            "nginx",
            "nginx:1",
            "nginx@sha256:ab",
            "nginx:1@sha512:AB_c",
            "nginx@foo",
            "nginx:",
            "nginxx",
            "myXapp:1",
            "my.app",
            "registryXexample.com/app:3",
            "nginx:1:2",
            "nginx@sha256:a:b",
            "aab",
            "x5",
        ];
        for name in names {
            let simple = super::ImageMatcher::new(name).expect("valid");
            let pattern =
                format!("^{name}(:[a-zA-Z0-9_.{{}}-]*)?(@[a-zA-Z0-9]+:[a-zA-Z0-9_.{{}}-]*)?$");
            let regex = regex::Regex::new(&pattern).expect("valid");
            for image in images {
                assert_eq!(
                    simple.is_match(image),
                    regex.is_match(image),
                    "{name} vs {image}"
                );
            }
        }
    }
}
