//! Name references: after prefixes, suffixes and hash suffixes rename
//! objects, every field that names one of them (a volume's ConfigMap, a
//! RoleBinding's roleRef, an HPA's target, ...) is rewritten to the new name,
//! following kustomize's built-in table of referrers.

use super::fieldspec::TransformerConfig;
use crate::error::Error;
use crate::resource::{ManifestSet, NameAffixes, ResId, Resource};
use crate::yaml::Value;

/// Where pod specs live in each workload kind.
const POD_SPECS: &[(&str, &str)] = &[
    ("Pod", "spec"),
    ("Deployment", "spec/template/spec"),
    ("ReplicaSet", "spec/template/spec"),
    ("DaemonSet", "spec/template/spec"),
    ("StatefulSet", "spec/template/spec"),
    ("Job", "spec/template/spec"),
    ("CronJob", "spec/jobTemplate/spec/template/spec"),
    ("ReplicationController", "spec/template/spec"),
];

/// One place that names an object of the referral kind.
#[derive(Debug, Clone)]
struct Referrer {
    kind: Name,
    group: Option<Name>,
    path: Vec<String>,
}

/// A kind that can be referred to, and where it is referred to from.
#[derive(Debug, Clone)]
struct Referral {
    kind: Name,
    group: Name,
    referrers: Vec<Referrer>,
}

/// A kind or group name: static in the built-in table, owned in `configurations`.
type Name = std::borrow::Cow<'static, str>;

fn path(p: &str) -> Vec<String> {
    p.split('/').map(str::to_owned).collect()
}

fn referrer(kind: &'static str, p: &str) -> Referrer {
    Referrer {
        kind: Name::Borrowed(kind),
        group: None,
        path: path(p),
    }
}

/// Referrers inside pod specs: `pod_paths` below each workload's pod spec,
/// for the workload kinds in `kinds`.
fn in_pod_specs(kinds: &[&str], pod_paths: &[&str]) -> Vec<Referrer> {
    let mut out = Vec::new();
    for (kind, prefix) in POD_SPECS.iter().filter(|(k, _)| kinds.contains(k)) {
        for p in pod_paths {
            out.push(referrer(kind, &format!("{prefix}/{p}")));
        }
    }
    out
}

const WORKLOADS_WITHOUT_RC: &[&str] = &[
    "Pod",
    "Deployment",
    "ReplicaSet",
    "DaemonSet",
    "StatefulSet",
    "Job",
    "CronJob",
];
const WORKLOADS_WITH_RC: &[&str] = &[
    "Pod",
    "Deployment",
    "ReplicationController",
    "DaemonSet",
    "StatefulSet",
    "Job",
    "CronJob",
];

/// kustomize's built-in name reference table.
fn referrals() -> Vec<Referral> {
    let mut config_map = in_pod_specs(
        WORKLOADS_WITHOUT_RC,
        &[
            "volumes/configMap/name",
            "containers/env/valueFrom/configMapKeyRef/name",
            "initContainers/env/valueFrom/configMapKeyRef/name",
            "containers/envFrom/configMapRef/name",
            "initContainers/envFrom/configMapRef/name",
            "volumes/projected/sources/configMap/name",
        ],
    );
    config_map.extend([
        referrer("Node", "spec/configSource/configMap"),
        referrer("Role", "rules/resourceNames"),
        referrer("ClusterRole", "rules/resourceNames"),
        Referrer {
            kind: Name::Borrowed("Ingress"),
            group: None,
            path: vec![
                "metadata".into(),
                "annotations".into(),
                "nginx.ingress.kubernetes.io/fastcgi-params-configmap".into(),
            ],
        },
    ]);
    let mut secret = in_pod_specs(
        WORKLOADS_WITHOUT_RC,
        &[
            "volumes/secret/secretName",
            "containers/env/valueFrom/secretKeyRef/name",
            "initContainers/env/valueFrom/secretKeyRef/name",
            "containers/envFrom/secretRef/name",
            "initContainers/envFrom/secretRef/name",
            "imagePullSecrets/name",
            "volumes/projected/sources/secret/name",
        ],
    );
    secret.push(referrer("Ingress", "spec/tls/secretName"));
    for annotation in [
        "ingress.kubernetes.io/auth-secret",
        "nginx.ingress.kubernetes.io/auth-secret",
        "nginx.ingress.kubernetes.io/auth-tls-secret",
    ] {
        secret.push(Referrer {
            kind: Name::Borrowed("Ingress"),
            group: None,
            path: vec!["metadata".into(), "annotations".into(), annotation.into()],
        });
    }
    secret.extend([
        referrer("ServiceAccount", "imagePullSecrets/name"),
        referrer("StorageClass", "parameters/secretName"),
        referrer("StorageClass", "parameters/adminSecretName"),
        referrer("StorageClass", "parameters/userSecretName"),
        referrer("StorageClass", "parameters/secretRef"),
        referrer("Role", "rules/resourceNames"),
        referrer("ClusterRole", "rules/resourceNames"),
        referrer("PersistentVolume", "spec/azureFile/secretName"),
    ]);
    let service = vec![
        Referrer {
            kind: Name::Borrowed("StatefulSet"),
            group: Some(Name::Borrowed("apps")),
            path: path("spec/serviceName"),
        },
        referrer("Ingress", "spec/rules/http/paths/backend/serviceName"),
        referrer("Ingress", "spec/backend/serviceName"),
        referrer("Ingress", "spec/rules/http/paths/backend/service/name"),
        referrer("Ingress", "spec/defaultBackend/service/name"),
        Referrer {
            kind: Name::Borrowed("APIService"),
            group: Some(Name::Borrowed("apiregistration.k8s.io")),
            path: path("spec/service/name"),
        },
        Referrer {
            kind: Name::Borrowed("ValidatingWebhookConfiguration"),
            group: Some(Name::Borrowed("admissionregistration.k8s.io")),
            path: path("webhooks/clientConfig/service"),
        },
        Referrer {
            kind: Name::Borrowed("MutatingWebhookConfiguration"),
            group: Some(Name::Borrowed("admissionregistration.k8s.io")),
            path: path("webhooks/clientConfig/service"),
        },
    ];
    let rbac = || Some(Name::Borrowed("rbac.authorization.k8s.io"));
    // The whole `roleRef`: its `kind` says whether a Role or a ClusterRole is meant.
    let role_binding = |kind: &'static str| Referrer {
        kind: Name::Borrowed(kind),
        group: rbac(),
        path: path("roleRef"),
    };
    let mut service_account = vec![
        Referrer {
            kind: Name::Borrowed("RoleBinding"),
            group: rbac(),
            path: path("subjects"),
        },
        Referrer {
            kind: Name::Borrowed("ClusterRoleBinding"),
            group: rbac(),
            path: path("subjects"),
        },
    ];
    service_account.extend(in_pod_specs(WORKLOADS_WITH_RC, &["serviceAccountName"]));
    let hpa = || {
        vec![referrer(
            "HorizontalPodAutoscaler",
            "spec/scaleTargetRef/name",
        )]
    };
    vec![
        Referral {
            kind: Name::Borrowed("Deployment"),
            group: Name::Borrowed(""),
            referrers: hpa(),
        },
        Referral {
            kind: Name::Borrowed("ReplicationController"),
            group: Name::Borrowed(""),
            referrers: hpa(),
        },
        Referral {
            kind: Name::Borrowed("ReplicaSet"),
            group: Name::Borrowed(""),
            referrers: hpa(),
        },
        Referral {
            kind: Name::Borrowed("StatefulSet"),
            group: Name::Borrowed(""),
            referrers: hpa(),
        },
        Referral {
            kind: Name::Borrowed("ConfigMap"),
            group: Name::Borrowed(""),
            referrers: config_map,
        },
        Referral {
            kind: Name::Borrowed("Secret"),
            group: Name::Borrowed(""),
            referrers: secret,
        },
        Referral {
            kind: Name::Borrowed("Service"),
            group: Name::Borrowed(""),
            referrers: service,
        },
        Referral {
            kind: Name::Borrowed("Role"),
            group: Name::Borrowed("rbac.authorization.k8s.io"),
            referrers: vec![role_binding("RoleBinding")],
        },
        Referral {
            kind: Name::Borrowed("ClusterRole"),
            group: Name::Borrowed("rbac.authorization.k8s.io"),
            referrers: vec![
                role_binding("RoleBinding"),
                role_binding("ClusterRoleBinding"),
            ],
        },
        Referral {
            kind: Name::Borrowed("ServiceAccount"),
            group: Name::Borrowed(""),
            referrers: service_account,
        },
        Referral {
            kind: Name::Borrowed("PersistentVolumeClaim"),
            group: Name::Borrowed(""),
            referrers: in_pod_specs(
                WORKLOADS_WITH_RC,
                &["volumes/persistentVolumeClaim/claimName"],
            ),
        },
        Referral {
            kind: Name::Borrowed("PersistentVolume"),
            group: Name::Borrowed(""),
            referrers: vec![
                referrer("PersistentVolumeClaim", "spec/volumeName"),
                referrer("ClusterRole", "rules/resourceNames"),
            ],
        },
        Referral {
            kind: Name::Borrowed("StorageClass"),
            group: Name::Borrowed("storage.k8s.io"),
            referrers: vec![
                referrer("PersistentVolume", "spec/storageClassName"),
                referrer("PersistentVolumeClaim", "spec/storageClassName"),
                referrer(
                    "StatefulSet",
                    "spec/volumeClaimTemplates/spec/storageClassName",
                ),
            ],
        },
        Referral {
            kind: Name::Borrowed("PriorityClass"),
            group: Name::Borrowed("scheduling.k8s.io"),
            referrers: in_pod_specs(WORKLOADS_WITH_RC, &["priorityClassName"]),
        },
        Referral {
            kind: Name::Borrowed("ValidatingAdmissionPolicy"),
            group: Name::Borrowed("admissionregistration.k8s.io"),
            referrers: vec![referrer(
                "ValidatingAdmissionPolicyBinding",
                "spec/policyName",
            )],
        },
        // kustomize's table names IngressClass with the group
        // "networking.k8s.io/v1", which no object has: ingressClassName is
        // never rewritten, so it is not listed here.
    ]
}

/// A referral candidate: its names and namespaces over time, and now.
struct Candidate<'a> {
    current: &'a ResId,
    history: &'a [ResId],
    /// Whether the current identity counts as a previous one too.
    recorded: bool,
    affixes: &'a NameAffixes,
}

impl Candidate<'_> {
    /// kustomize's `previousNameMatches`: an object that never had another
    /// identity (no history) is never a candidate; it needs no rewrite.
    fn was_named(&self, name: &str) -> bool {
        (self.recorded && self.current.name == name)
            || self.history.iter().any(|id| id.name == name)
    }

    /// Whether the candidate is or was in `namespace`; no namespace is
    /// `default`, as kustomize's `IsNsEquals` has it.
    fn was_in_namespace(&self, namespace: &str) -> bool {
        let namespace = if namespace.is_empty() {
            "default"
        } else {
            namespace
        };
        std::iter::once(self.current)
            .chain(self.history)
            .any(|id| id.effective_namespace() == namespace)
    }
}

/// The built-in table, built once.
fn table() -> &'static [Referral] {
    static TABLE: std::sync::OnceLock<Vec<Referral>> = std::sync::OnceLock::new();
    TABLE.get_or_init(referrals)
}

/// The built-in table plus the `nameReference`s of `configurations`.
fn custom_referrals(config: &TransformerConfig) -> Vec<Referral> {
    config
        .name_references
        .iter()
        .map(|custom| Referral {
            kind: Name::Owned(custom.kind.clone()),
            group: Name::Owned(custom.group.clone()),
            referrers: custom
                .referrers
                .iter()
                .map(|spec| Referrer {
                    kind: Name::Owned(spec.kind.clone()),
                    group: (!spec.group.is_empty()).then(|| Name::Owned(spec.group.clone())),
                    path: path(&spec.path.replace("[]", "")),
                })
                .collect(),
        })
        .collect()
}

/// Rewrites every reference to a renamed object to its current name.
pub(crate) fn fix_references(
    set: &mut ManifestSet,
    config: &TransformerConfig,
    file: &str,
) -> Result<(), Error> {
    let custom = custom_referrals(config);
    // The objects' values are edited while every identity is read, so they
    // are taken out of the set meanwhile (no identity changes here).
    let mut values = set.take_values();
    let result = rewrite_references(set, &mut values, &custom, file);
    set.put_values(values);
    result
}

fn rewrite_references(
    set: &ManifestSet,
    values: &mut [Value],
    custom: &[Referral],
    file: &str,
) -> Result<(), Error> {
    // Only kinds with a renamed (or moved) object can have references to fix.
    let active: Vec<(&Referral, Vec<Candidate>)> = table()
        .iter()
        .chain(custom.iter())
        .filter_map(|referral| {
            let candidates: Vec<Candidate> = set
                .iter()
                .filter(|r| {
                    r.id().kind == referral.kind
                        && (referral.group.is_empty() || r.id().group == referral.group)
                })
                .map(|r: &Resource| Candidate {
                    current: r.id(),
                    history: r.previous_ids(),
                    recorded: r.identity_recorded(),
                    affixes: r.name_affixes(),
                })
                .collect();
            // A reference changes only if its object changed identity, or
            // (for subjects and service references, which also carry the
            // namespace) if a transformer recorded the object at all.
            let changed = candidates
                .iter()
                .any(|c| c.history.iter().any(|old| old != c.current));
            let writes_namespace = matches!(&*referral.kind, "ServiceAccount" | "Service")
                && candidates
                    .iter()
                    .any(|c| c.recorded || !c.history.is_empty());
            (changed || writes_namespace).then_some((referral, candidates))
        })
        .collect();
    if active.is_empty() {
        return Ok(());
    }
    for (resource, value) in set.iter().zip(values) {
        let id = resource.id();
        for (referral, candidates) in &active {
            for referrer in &referral.referrers {
                if referrer.kind != id.kind
                    || referrer.group.as_deref().is_some_and(|g| g != id.group)
                {
                    continue;
                }
                let role_ref = referrer.path.last().is_some_and(|p| p == "roleRef");
                let from = ReferringObject {
                    id,
                    affixes: resource.name_affixes(),
                };
                rewrite_at(value, &referrer.path, &mut |target| {
                    rewrite(target, &referral.kind, candidates, &from, role_ref)
                })
                .map_err(|m| Error::overlay(file, format!("name reference: {m} (in {id})")))?;
            }
        }
    }
    Ok(())
}

/// Walks `path` (sequences along the way element by element) and calls `f`
/// on what is there.
fn rewrite_at(
    value: &mut Value,
    path: &[String],
    f: &mut dyn FnMut(&mut Value) -> Result<(), String>,
) -> Result<(), String> {
    match (value, path.split_first()) {
        (target, None) => f(target),
        (Value::Seq(items), Some(_)) => {
            for item in items {
                rewrite_at(item, path, f)?;
            }
            Ok(())
        }
        (Value::Map(map), Some((key, rest))) => match map.get_mut(key) {
            Some(field) => rewrite_at(field, rest, f),
            None => Ok(()),
        },
        _ => Ok(()),
    }
}

/// The object whose fields hold a reference.
struct ReferringObject<'a> {
    id: &'a ResId,
    affixes: &'a NameAffixes,
}

/// The one candidate a reference means, by kustomize's sieve: it once had
/// this name, and (for namespaced kinds) it is in the referrer's namespace;
/// of several, the ones whose prefixes and suffixes match the referrer's;
/// of several with one name, the first.
fn pick<'c>(
    candidates: &'c [Candidate<'c>],
    name: &str,
    namespace: Option<&str>,
    from: &ReferringObject<'_>,
) -> Result<Option<&'c Candidate<'c>>, String> {
    let referrer = from.id;
    let named: Vec<&Candidate<'_>> = candidates.iter().filter(|c| c.was_named(name)).collect();
    let placed: Vec<&Candidate<'_>> = match namespace {
        Some(ns) => named
            .into_iter()
            .filter(|c| c.was_in_namespace(ns))
            .collect(),
        None if named.first().is_some_and(|c| c.current.is_cluster_scoped())
            || referrer.is_cluster_scoped() =>
        {
            named
        }
        None => named
            .into_iter()
            .filter(|c| c.current.effective_namespace() == referrer.effective_namespace())
            .collect(),
    };
    if let [one] = placed.as_slice() {
        return Ok(Some(one));
    }
    // kustomize sieves twice: prefixes and suffixes equal where both have
    // some, then equal outright.
    let placed: Vec<&Candidate<'_>> = placed
        .into_iter()
        .filter(|c| c.affixes.same_lineage_where_both_have(from.affixes))
        .collect();
    if let [one] = placed.as_slice() {
        return Ok(Some(one));
    }
    let placed: Vec<&Candidate<'_>> = placed
        .into_iter()
        .filter(|c| c.affixes.same_lineage(from.affixes))
        .collect();
    match placed.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(one)),
        // (Not for subjects, which also name a namespace: kustomize refuses
        // a ServiceAccount that several namespaces hold.)
        [first, rest @ ..]
            if namespace.is_none() && rest.iter().all(|c| c.current.name == first.current.name) =>
        {
            Ok(Some(first))
        }
        many => Err(format!(
            "found multiple possible referrals for {name:?}: {}",
            many.iter()
                .map(|c| c.current.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

fn rewrite(
    target: &mut Value,
    kind: &str,
    candidates: &[Candidate<'_>],
    referrer: &ReferringObject<'_>,
    role_ref: bool,
) -> Result<(), String> {
    match target {
        Value::String(name) => {
            if let Some(c) = pick(candidates, name, None, referrer)? {
                *name = c.current.name.clone();
            }
        }
        // `rules/resourceNames` (names) and `subjects` (mappings): each item.
        Value::Seq(items) => {
            for item in items {
                rewrite(item, kind, candidates, referrer, role_ref)?;
            }
        }
        // `subjects` elements and webhook `service`s: a name with a namespace.
        // (kustomize renames subjects whatever their kind, even Users.)
        Value::Map(map) => {
            let Some(name) = map.get("name").and_then(Value::as_str).map(str::to_owned) else {
                return Ok(());
            };
            if role_ref {
                if map.get("kind").and_then(Value::as_str) != Some(kind) {
                    return Ok(());
                }
                if let Some(c) = pick(candidates, &name, None, referrer)? {
                    map.insert("name".into(), Value::String(c.current.name.clone()));
                }
                return Ok(());
            }
            // A subject without a namespace is in the referrer's (kustomize).
            let namespace = map
                .get("namespace")
                .and_then(Value::as_str)
                .unwrap_or(&referrer.id.namespace)
                .to_owned();
            if let Some(c) = pick(candidates, &name, Some(&namespace), referrer)? {
                map.insert("name".into(), Value::String(c.current.name.clone()));
                // An empty namespace is a wildcard, not `default`: kustomize
                // leaves the subject's namespace as written then.
                if !c.current.namespace.is_empty() {
                    map.insert(
                        "namespace".into(),
                        Value::String(c.current.namespace.clone()),
                    );
                }
            }
        }
        _ => {}
    }
    Ok(())
}
