//! Which kinds live outside namespaces, as the API server's discovery would
//! say: the built-in table, then the CustomResourceDefinitions at hand (in
//! the desired set, or given with [`DiffOptions::crds`](super::DiffOptions::crds)),
//! then the live objects (a live object of a kind without a namespace is of
//! a cluster-scoped kind: `kubectl get` always prints a namespaced object's).

use std::collections::HashMap;

use crate::resource::{ManifestSet, ResId};
use crate::yaml::Value;

/// The scope of the kinds trueup's built-in table does not know.
#[derive(Debug, Default)]
pub(crate) struct Scopes {
    /// `group/kind` → whether it is cluster-scoped.
    custom: HashMap<String, bool>,
}

fn key(group: &str, kind: &str) -> String {
    format!("{group}/{kind}")
}

impl Scopes {
    /// Learns from CRDs first (they say it), then from live objects.
    pub(crate) fn learn(crd_sets: &[&ManifestSet], live: &ManifestSet) -> Scopes {
        let mut scopes = Scopes::default();
        for set in crd_sets {
            for r in set.iter() {
                let id = r.id();
                if id.group != "apiextensions.k8s.io" || id.kind != "CustomResourceDefinition" {
                    continue;
                }
                let text = |path: &[&str]| r.value().get_path(path).and_then(Value::as_str);
                if let (Some(group), Some(kind), Some(scope)) = (
                    text(&["spec", "group"]),
                    text(&["spec", "names", "kind"]),
                    text(&["spec", "scope"]),
                ) {
                    scopes.custom.insert(key(group, kind), scope == "Cluster");
                }
            }
        }
        for r in live.iter() {
            let id = r.id();
            if !builtin(id) {
                scopes
                    .custom
                    .entry(key(&id.group, &id.kind))
                    .or_insert(id.namespace.is_empty());
            }
        }
        scopes
    }

    /// Whether objects of `id`'s kind live outside namespaces.
    pub(crate) fn cluster(&self, id: &ResId) -> bool {
        if self.custom.is_empty() || builtin(id) {
            return id.is_cluster_scoped();
        }
        self.custom
            .get(&key(&id.group, &id.kind))
            .copied()
            .unwrap_or(false)
    }

    /// The namespace an object of `id` is in: `""` for a cluster-scoped
    /// kind, `default` when it names none.
    pub(crate) fn namespace<'i>(&self, id: &'i ResId) -> &'i str {
        if self.cluster(id) {
            ""
        } else {
            id.effective_namespace()
        }
    }
}

/// Whether `id`'s kind is of the Kubernetes API itself (whose scope the
/// built-in table knows).
fn builtin(id: &ResId) -> bool {
    id.group.ends_with(".k8s.io")
        || crate::patch::strategic_merge::Type::for_object(&id.group, &id.kind)
            != crate::patch::strategic_merge::Type::Opaque
}
