//! Kubernetes objects: their identity ([`ResId`]), one object ([`Resource`]) and
//! an ordered set of them ([`ManifestSet`]) that prints as kustomize prints.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::fmt;

use serde::Serialize;

use crate::error::{Error, Location};
use crate::yaml::{self, Mapping, ParseLimits, PathStep, Value};

/// The identity of a Kubernetes object: group, version, kind, namespace, name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct ResId {
    /// API group; empty for the core group (`v1`).
    pub group: String,
    /// API version within the group.
    pub version: String,
    /// Kind, such as `Deployment`.
    pub kind: String,
    /// Namespace; empty when the object names none.
    pub namespace: String,
    /// Name.
    pub name: String,
}

impl fmt::Display for ResId {
    /// `group/kind/namespace/name`, empty parts kept: `apps/Deployment/prod/web`, `/Namespace//prod`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{}/{}/{}",
            self.group, self.kind, self.namespace, self.name
        )
    }
}

/// Kinds the API server keeps outside namespaces (kustomize's built-in list).
const CLUSTER_SCOPED_KINDS: &[&str] = &[
    "APIService",
    "CertificateSigningRequest",
    "ClusterRole",
    "ClusterRoleBinding",
    "ComponentStatus",
    "CSIDriver",
    "CSINode",
    "CustomResourceDefinition",
    "FlowSchema",
    "IngressClass",
    "MutatingAdmissionPolicy",
    "MutatingAdmissionPolicyBinding",
    "MutatingWebhookConfiguration",
    "Namespace",
    "Node",
    "PersistentVolume",
    "PodSecurityPolicy",
    "PriorityClass",
    "PriorityLevelConfiguration",
    "RuntimeClass",
    "SelfSubjectAccessReview",
    "SelfSubjectRulesReview",
    "StorageClass",
    "SubjectAccessReview",
    "TokenReview",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "ValidatingWebhookConfiguration",
    "VolumeAttachment",
];

/// kustomize's built-in scope table (kyaml's precomputed one):
/// (group, version, kind) → cluster-scoped, from `data/namespace_scope.tsv`,
/// extracted from kyaml by `data/extract.py`.
/// kyaml's scope table, by (group, version, kind).
type ScopeTable =
    HashMap<(&'static str, &'static str, &'static str), bool, foldhash::fast::RandomState>;

fn kustomize_scope_table() -> &'static ScopeTable {
    static TABLE: std::sync::OnceLock<ScopeTable> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        include_str!("../data/namespace_scope.tsv")
            .lines()
            .filter(|line| !line.starts_with('#'))
            .filter_map(|line| {
                let mut fields = line.split('\t');
                let (api_version, kind, scope) = (fields.next()?, fields.next()?, fields.next()?);
                let (group, version) = ResId::split_api_version(api_version);
                Some(((group, version, kind), scope == "cluster"))
            })
            .collect()
    })
}

impl ResId {
    /// Whether kustomize's built-in scope table (kyaml's precomputed one)
    /// lists this group, version and kind.
    pub(crate) fn in_kustomize_scope_table(&self) -> bool {
        kustomize_scope_table().contains_key(&(
            self.group.as_str(),
            self.version.as_str(),
            self.kind.as_str(),
        ))
    }

    /// Splits an `apiVersion` into group and version: `apps/v1` → (`apps`, `v1`), `v1` → (``, `v1`).
    pub fn split_api_version(api_version: &str) -> (&str, &str) {
        api_version.rsplit_once('/').unwrap_or(("", api_version))
    }

    /// The `apiVersion` this id's group and version make.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// Whether objects of this kind live outside namespaces on an API server
    /// (by kind, whatever the version: what a live cluster reports).
    pub fn is_cluster_scoped(&self) -> bool {
        CLUSTER_SCOPED_KINDS.contains(&self.kind.as_str())
    }

    /// Whether `kustomize build` treats this object as cluster-scoped: only
    /// the group/version/kinds its built-in schema (Kubernetes 1.21) marks
    /// so. Anything else gets a namespace from `namespace:`, newer cluster
    /// kinds included (`flowcontrol.apiserver.k8s.io/v1` FlowSchema,
    /// `admissionregistration.k8s.io/v1` ValidatingAdmissionPolicy).
    pub fn is_cluster_scoped_for_kustomize(&self) -> bool {
        kustomize_scope_table().get(&(
            self.group.as_str(),
            self.version.as_str(),
            self.kind.as_str(),
        )) == Some(&true)
    }

    /// The namespace as the API server sees it: `default` when none is named,
    /// nothing for cluster-scoped kinds. Two objects with the same kind, name
    /// and effective namespace are the same object.
    pub fn effective_namespace(&self) -> &str {
        if self.is_cluster_scoped() {
            ""
        } else if self.namespace.is_empty() {
            "default"
        } else {
            &self.namespace
        }
    }

    /// kustomize's form of this id in its messages: `ConfigMap.v1.[noGrp]/x.[noNs]`.
    pub(crate) fn kustomize_form(&self) -> String {
        let group = if self.group.is_empty() {
            "[noGrp]"
        } else {
            &self.group
        };
        let ns = if self.namespace.is_empty() {
            "[noNs]"
        } else {
            &self.namespace
        };
        format!(
            "{}.{}.{}/{}.{}",
            self.kind, self.version, group, self.name, ns
        )
    }
}

/// Whether two identities collide: same group, version, kind, name and
/// effective namespace (`""` and `default` being the same).
fn same_identity(a: &ResId, b: &ResId) -> bool {
    a.name == b.name
        && a.kind == b.kind
        && a.group == b.group
        && a.version == b.version
        && a.effective_namespace() == b.effective_namespace()
}

/// Positions of a set's resources by identity, allocation-free: the table
/// holds positions and compares the identities stored in the set itself.
#[derive(Debug, Clone, Default)]
struct IdentityIndex {
    table: hashbrown::HashTable<usize>,
    hasher: foldhash::fast::RandomState,
}

impl IdentityIndex {
    fn hash(&self, id: &ResId) -> u64 {
        Self::hash_with(&self.hasher, id)
    }

    fn hash_with(hasher: &foldhash::fast::RandomState, id: &ResId) -> u64 {
        use std::hash::{BuildHasher, Hash, Hasher};
        let mut h = hasher.build_hasher();
        id.group.hash(&mut h);
        id.version.hash(&mut h);
        id.kind.hash(&mut h);
        id.effective_namespace().hash(&mut h);
        id.name.hash(&mut h);
        h.finish()
    }

    fn len(&self) -> usize {
        self.table.len()
    }

    fn clear(&mut self) {
        self.table.clear();
    }

    /// The position of the resource with this identity.
    fn find(&self, resources: &[Resource], id: &ResId) -> Option<usize> {
        self.table
            .find(self.hash(id), |&i| same_identity(&resources[i].id, id))
            .copied()
    }

    /// Records that `resources[position]` has its identity; `false` (and no
    /// change) when another resource already has it.
    fn insert(&mut self, resources: &[Resource], position: usize) -> bool {
        let id = &resources[position].id;
        let hash = self.hash(id);
        if self
            .table
            .find(hash, |&i| same_identity(&resources[i].id, id))
            .is_some()
        {
            return false;
        }
        let state = &self.hasher;
        self.table.insert_unique(hash, position, |&i| {
            Self::hash_with(state, &resources[i].id)
        });
        true
    }
}

/// Where a resource was read from.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Origin {
    /// The file, as the loader named it.
    pub file: Option<String>,
    /// The 0-based document index in the file.
    pub document: Option<usize>,
    /// The 1-based line where the document starts.
    pub line: Option<usize>,
}

impl Origin {
    fn location(&self) -> Location {
        Location {
            file: self.file.clone(),
            document: self.document.map(|index| index + 1),
            line: self.line,
            column: None,
        }
    }
}

/// One Kubernetes object.
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    id: ResId,
    /// The identity when first read, before any transformer ran.
    original_id: ResId,
    /// Every identity the object had before its current one, oldest first.
    previous_ids: Vec<ResId>,
    /// Whether the name still gets a suffix at the end of a build (kustomize's
    /// content hash of generated objects).
    name_suffix_pending: bool,
    /// The `namePrefix`es and `nameSuffix`es applied to the name, innermost
    /// first (kustomize keeps them to tell apart objects of the same origin).
    name_affixes: NameAffixes,
    /// Whether a transformer recorded the identity (kustomize's
    /// `StorePreviousId`): the current identity then counts as a previous
    /// one too.
    identity_recorded: bool,
    /// Where the object as read mapped a key to nothing (`key:`), until a
    /// strategic merge patch drops those as kustomize does.
    empty_nulls: Vec<Vec<PathStep>>,
    /// The `vars` whose objref names this object (kustomize's refVarNames).
    var_names: Vec<String>,
    value: Value,
    origin: Origin,
}

/// The prefixes and suffixes a build added to an object's name, innermost
/// first.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct NameAffixes {
    pub(crate) prefixes: Vec<String>,
    pub(crate) suffixes: Vec<String>,
}

impl NameAffixes {
    /// kustomize's `PrefixesSuffixesEquals`: both lists end the same way.
    pub(crate) fn same_lineage(&self, other: &NameAffixes) -> bool {
        same_ending(&self.prefixes, &other.prefixes) && same_ending(&self.suffixes, &other.suffixes)
    }

    /// [`NameAffixes::same_lineage`], where a list that either side lacks
    /// matches anything.
    pub(crate) fn same_lineage_where_both_have(&self, other: &NameAffixes) -> bool {
        let ok = |a: &[String], b: &[String]| a.is_empty() || b.is_empty() || same_ending(a, b);
        ok(&self.prefixes, &other.prefixes) && ok(&self.suffixes, &other.suffixes)
    }
}

/// kustomize's `SameEndingSubSlice`: the shorter list is the end of the
/// longer; an empty list matches only an empty one.
fn same_ending(a: &[String], b: &[String]) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if short.is_empty() {
        return long.is_empty();
    }
    long.ends_with(short)
}

/// The annotation that keeps a resource out of kustomize's output.
pub const LOCAL_CONFIG_ANNOTATION: &str = "config.kubernetes.io/local-config";

impl Resource {
    /// Makes a resource of a parsed object, checking that it has a `kind`,
    /// an `apiVersion` and a `metadata.name`.
    pub fn new(value: Value, origin: Origin) -> Result<Resource, Error> {
        let id = identify(&value).map_err(|message| Error::Manifest {
            location: origin.location(),
            message,
        })?;
        Ok(Resource {
            original_id: id.clone(),
            previous_ids: Vec::new(),
            name_suffix_pending: false,
            name_affixes: NameAffixes::default(),
            identity_recorded: false,
            empty_nulls: Vec::new(),
            var_names: Vec::new(),
            id,
            value,
            origin,
        })
    }

    /// The object's identity.
    pub fn id(&self) -> &ResId {
        &self.id
    }

    /// Marks the object to get a name suffix at the end of a build
    /// (see [`ManifestSet::suffix_marked_names`]).
    pub(crate) fn mark_for_name_suffix(&mut self) {
        self.name_suffix_pending = true;
    }

    /// Whether the namespace or prefix/suffix transformer recorded this
    /// object's identity: kustomize then counts its current identity among
    /// its previous ones.
    pub(crate) fn identity_recorded(&self) -> bool {
        self.identity_recorded
    }

    /// The prefixes and suffixes this build added to the name.
    pub(crate) fn name_affixes(&self) -> &NameAffixes {
        &self.name_affixes
    }

    /// The object's identity when it was first read, before transformers
    /// renamed or moved it.
    pub fn original_id(&self) -> &ResId {
        &self.original_id
    }

    /// The identities the object had before its current one (renames by
    /// prefixes, suffixes, hashes, namespaces), oldest first.
    pub fn previous_ids(&self) -> &[ResId] {
        &self.previous_ids
    }

    /// The names of the `vars` whose value this object holds.
    pub(crate) fn var_names(&self) -> &[String] {
        &self.var_names
    }

    /// The object as a value (always a mapping).
    pub fn value(&self) -> &Value {
        &self.value
    }

    /// Consumes the resource, giving its value.
    pub fn into_value(self) -> Value {
        self.value
    }

    /// Where the resource was read from.
    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    /// The object's annotations, if any.
    pub fn annotations(&self) -> Option<&Mapping> {
        self.value.get_path(&["metadata", "annotations"])?.as_map()
    }

    /// Whether the object is annotated `config.kubernetes.io/local-config: "true"`,
    /// which keeps it out of `kustomize build` output.
    pub fn is_local_config(&self) -> bool {
        self.annotations()
            .and_then(|a| a.get(LOCAL_CONFIG_ANNOTATION))
            .and_then(Value::as_str)
            .is_some_and(|v| v == "true")
    }

    /// Prints the object as kustomize prints it.
    pub fn to_yaml(&self) -> String {
        yaml::to_yaml(&self.value)
    }
}

/// Reads the identity of an object, or says what is missing.
fn identify(value: &Value) -> Result<ResId, String> {
    let Some(map) = value.as_map() else {
        return Err(format!(
            "expected a Kubernetes object (a mapping), found {}",
            value.type_name()
        ));
    };
    let text = |key: &str| -> Result<String, String> {
        match map.get(key) {
            Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
            None | Some(Value::Null) => Err(format!("missing {key}")),
            Some(Value::String(_)) => Err(format!("empty {key}")),
            Some(other) => Err(format!(
                "{key} must be a string, found {}",
                other.type_name()
            )),
        }
    };
    let kind = text("kind")?;
    // kustomize takes an object without apiVersion, or with any scalar there.
    let api_version = match map.get("apiVersion") {
        None | Some(Value::Null) => String::new(),
        Some(v) => v.scalar_text().ok_or_else(|| {
            format!(
                "apiVersion must be a string, found {} (kind {kind})",
                v.type_name()
            )
        })?,
    };
    let metadata = match map.get("metadata") {
        Some(Value::Map(m)) => m,
        None | Some(Value::Null) => return Err(format!("missing metadata.name (kind {kind})")),
        Some(other) => {
            return Err(format!(
                "metadata must be a mapping, found {} (kind {kind})",
                other.type_name()
            ));
        }
    };
    // kustomize reads names as text, so `name: 123` is the name "123".
    let name = match metadata.get("name").and_then(Value::scalar_text) {
        Some(s) if !s.is_empty() => s,
        _ => return Err(format!("missing metadata.name (kind {kind})")),
    };
    let namespace = match metadata.get("namespace") {
        None | Some(Value::Null) => String::new(),
        Some(v) => v.scalar_text().ok_or_else(|| {
            format!(
                "metadata.namespace must be a string, found {} (kind {kind}, name {name})",
                v.type_name()
            )
        })?,
    };
    let (group, version) = ResId::split_api_version(&api_version);
    Ok(ResId {
        group: group.to_owned(),
        version: version.to_owned(),
        kind,
        namespace,
        name,
    })
}

/// Whether `value` still has identity `id`, checked without allocating (the
/// common case after a transformer that did not rename anything).
fn identity_unchanged(id: &ResId, value: &Value) -> bool {
    let Some(map) = value.as_map() else {
        return false;
    };
    fn text(v: Option<&Value>) -> Option<&str> {
        v.and_then(Value::as_str)
    }
    let Some(meta) = map.get("metadata").and_then(Value::as_map) else {
        return false;
    };
    let api_version = match map.get("apiVersion") {
        None | Some(Value::Null) => std::borrow::Cow::Borrowed(""),
        Some(Value::String(s)) => std::borrow::Cow::Borrowed(s.as_str()),
        Some(other) => match other.scalar_text() {
            Some(t) => std::borrow::Cow::Owned(t),
            None => return false,
        },
    };
    let (group, version) = ResId::split_api_version(&api_version);
    // Names may be written as numbers (`name: 123`); compare their text then.
    let same = |v: Option<&Value>, want: &str| match v {
        Some(Value::String(s)) => s == want,
        None | Some(Value::Null) => want.is_empty(),
        Some(other) => other.scalar_text().as_deref() == Some(want),
    };
    text(map.get("kind")) == Some(id.kind.as_str())
        && group == id.group
        && version == id.version
        && same(meta.get("name"), &id.name)
        && same(meta.get("namespace"), &id.namespace)
}

/// An ordered set of resources with unique identities.
#[derive(Debug, Clone, Default)]
pub struct ManifestSet {
    resources: Vec<Resource>,
    index: IdentityIndex,
}

impl PartialEq for ManifestSet {
    fn eq(&self, other: &Self) -> bool {
        // The index is derived from the resources.
        self.resources == other.resources
    }
}

impl ManifestSet {
    /// An empty set.
    pub fn new() -> Self {
        ManifestSet::default()
    }

    /// Reads every Kubernetes object in a YAML stream. Empty documents are
    /// skipped, `kind: List` (and any `*List` with `items`) is expanded the way
    /// kustomize does, and `file` names the input in errors.
    ///
    /// ```
    /// let set = trueup_core::ManifestSet::from_yaml(
    ///     "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n",
    ///     "app.yaml",
    /// ).unwrap();
    /// assert_eq!(set.len(), 1);
    /// assert_eq!(set.iter().next().unwrap().id().to_string(), "/ConfigMap//app");
    /// ```
    pub fn from_yaml(text: &str, file: &str) -> Result<ManifestSet, Error> {
        ManifestSet::from_yaml_with(text, file, &ParseLimits::default())
    }

    /// [`ManifestSet::from_yaml`] under the given parse limits.
    pub fn from_yaml_with(
        text: &str,
        file: &str,
        limits: &ParseLimits,
    ) -> Result<ManifestSet, Error> {
        let mut set = ManifestSet::new();
        for resource in resources_from_yaml(text, file, limits)? {
            set.insert(resource, file)?;
        }
        Ok(set)
    }

    /// [`ManifestSet::from_yaml_with`], keeping local-config objects (for a
    /// build, which drops them at its end).
    pub(crate) fn from_yaml_keeping_local(
        text: &str,
        file: &str,
        limits: &ParseLimits,
    ) -> Result<ManifestSet, Error> {
        let mut set = ManifestSet::new();
        for resource in resources_from_yaml_keeping(text, file, limits, true)? {
            set.insert(resource, file)?;
        }
        Ok(set)
    }

    /// Drops the objects annotated `config.kubernetes.io/local-config: "true"`.
    pub(crate) fn drop_local_config(&mut self) {
        if self.resources.iter().any(Resource::is_local_config) {
            self.resources.retain(|r| !r.is_local_config());
            self.index.clear();
            for i in 0..self.resources.len() {
                self.index.insert(&self.resources, i);
            }
        }
    }

    /// Adds a resource; an object with the same identity already in the set is an error.
    /// `file` names where the new resource comes from, for that error.
    pub fn insert(&mut self, resource: Resource, file: &str) -> Result<(), Error> {
        if self.index.find(&self.resources, resource.id()).is_some() {
            return Err(Error::overlay(
                file,
                format!(
                    "may not add resource with an already registered id: {} ({})",
                    resource.id().kustomize_form(),
                    resource.id()
                ),
            ));
        }
        self.resources.push(resource);
        self.index.insert(&self.resources, self.resources.len() - 1);
        Ok(())
    }

    /// Applies `f` to every object, then reads the identities again; two
    /// objects that end up with one identity is an error, as in kustomize.
    /// `file` and `what` (the transformer) name the cause in errors.
    pub(crate) fn transform_each(
        &mut self,
        file: &str,
        what: &str,
        f: impl FnMut(&ResId, &mut Value) -> Result<(), String>,
    ) -> Result<(), Error> {
        self.for_each_value(file, what, f)?;
        self.reindex(file, what)
    }

    /// Applies `f` to every object where `f` cannot change identities (labels,
    /// annotations, images, references): no identities are read again,
    /// unless `may_rename` (field specs from a user's configuration that
    /// reach `metadata/name`, say). Then they are, but as kustomize does, an
    /// object renamed so is not one whose old name references follow: its
    /// old identity is not kept among its previous ones.
    pub(crate) fn edit_each(
        &mut self,
        file: &str,
        what: &str,
        may_rename: bool,
        f: impl FnMut(&ResId, &mut Value) -> Result<(), String>,
    ) -> Result<(), Error> {
        self.for_each_value(file, what, f)?;
        if may_rename {
            for r in &mut self.resources {
                Self::refresh_id(r, file, what, false)?;
            }
            return self.rebuild_index(file, what);
        }
        debug_assert!(
            self.resources
                .iter()
                .all(|r| identity_unchanged(&r.id, &r.value)),
            "{what} changed an identity"
        );
        Ok(())
    }

    fn for_each_value(
        &mut self,
        file: &str,
        what: &str,
        mut f: impl FnMut(&ResId, &mut Value) -> Result<(), String>,
    ) -> Result<(), Error> {
        for r in &mut self.resources {
            f(&r.id, &mut r.value)
                .map_err(|m| Error::overlay(file, format!("{what}: {m} (in {})", r.id)))?;
        }
        Ok(())
    }

    /// Like [`ManifestSet::transform_each`] for the resources `select` picks,
    /// given each resource whole (for selectors that look at original ids).
    /// `f` returns `false` to delete the resource. Returns how many were picked.
    pub(crate) fn transform_selected(
        &mut self,
        file: &str,
        what: &str,
        select: impl Fn(&Resource) -> bool,
        mut f: impl FnMut(&ResId, &mut Value) -> Result<bool, String>,
    ) -> Result<usize, Error> {
        let mut picked = Vec::new();
        let mut deleted = Vec::new();
        for (i, r) in self.resources.iter_mut().enumerate() {
            if select(r) {
                picked.push(i);
                let keep = f(&r.id, &mut r.value)
                    .map_err(|m| Error::overlay(file, format!("{what}: {m} (in {})", r.id)))?;
                if !keep {
                    deleted.push(i);
                }
            }
        }
        let count = picked.len();
        if deleted.is_empty() {
            self.reindex_touched(file, what, picked)?;
        } else {
            for i in deleted.into_iter().rev() {
                self.resources.remove(i);
            }
            self.reindex_all(file, what)?;
        }
        Ok(count)
    }

    /// Marks the objects `keep` selects as recorded, as kustomize's
    /// `StorePreviousId` does before the namespace and prefix/suffix
    /// transformers: from then on name references to them are rewritten
    /// (with their name and namespace), even when the transformer changed
    /// nothing (see [`Resource::identity_recorded`]).
    pub(crate) fn record_identities(&mut self, keep: impl Fn(&ResId) -> bool) {
        for r in &mut self.resources {
            r.identity_recorded |= keep(&r.id);
        }
    }

    /// Hands each selected object, with the places where it was read with
    /// keys mapped to nothing, to `drop` (once: the places are forgotten).
    pub(crate) fn drop_empty_nulls(
        &mut self,
        select: impl Fn(&Resource) -> bool,
        mut drop: impl FnMut(&ResId, &mut Value, &[Vec<PathStep>]),
    ) {
        for r in self.resources.iter_mut() {
            if !r.empty_nulls.is_empty() && select(r) {
                let paths = std::mem::take(&mut r.empty_nulls);
                drop(&r.id, &mut r.value, &paths);
            }
        }
    }

    /// Forgets where the selected objects mapped keys to nothing: after a
    /// JSON patch (which kustomize applies through JSON) those are explicit
    /// nulls.
    pub(crate) fn forget_empty_nulls(&mut self, select: impl Fn(&Resource) -> bool) {
        self.drop_empty_nulls(select, |_, _, _| {});
    }

    /// Records a `namePrefix`/`nameSuffix` (when not empty) on every object
    /// that `keep` selects.
    pub(crate) fn record_name_affixes(
        &mut self,
        prefix: &str,
        suffix: &str,
        keep: impl Fn(&ResId) -> bool,
    ) {
        for r in self.resources.iter_mut().filter(|r| keep(&r.id)) {
            if !prefix.is_empty() {
                r.name_affixes.prefixes.push(prefix.to_owned());
            }
            if !suffix.is_empty() {
                r.name_affixes.suffixes.push(suffix.to_owned());
            }
        }
    }

    /// Re-reads every identity after objects changed, checking uniqueness.
    /// The index is rebuilt only when an identity changed or objects went away.
    fn reindex(&mut self, file: &str, what: &str) -> Result<(), Error> {
        self.reindex_touched(file, what, 0..self.resources.len())
    }

    /// Reads the identities of the resources at `touched` again (the only
    /// ones an edit could have changed), and rebuilds the index if any
    /// changed or the set's length did.
    fn reindex_touched(
        &mut self,
        file: &str,
        what: &str,
        touched: impl IntoIterator<Item = usize>,
    ) -> Result<(), Error> {
        let mut changed = self.index.len() != self.resources.len();
        if changed {
            // Positions moved: every identity is read again.
            return self.reindex_all(file, what);
        }
        for i in touched {
            changed |= Self::refresh_id(&mut self.resources[i], file, what, true)?;
        }
        if changed {
            self.rebuild_index(file, what)?;
        }
        Ok(())
    }

    fn reindex_all(&mut self, file: &str, what: &str) -> Result<(), Error> {
        for r in &mut self.resources {
            Self::refresh_id(r, file, what, true)?;
        }
        self.rebuild_index(file, what)
    }

    /// Reads `r`'s identity from its value again, its old one kept among
    /// its previous ones if `recorded` (a rename references follow);
    /// whether it changed.
    fn refresh_id(r: &mut Resource, file: &str, what: &str, recorded: bool) -> Result<bool, Error> {
        if identity_unchanged(&r.id, &r.value) {
            return Ok(false);
        }
        let id = identify(&r.value).map_err(|m| Error::overlay(file, format!("{what}: {m}")))?;
        if id == r.id {
            return Ok(false);
        }
        let old = std::mem::replace(&mut r.id, id);
        if recorded && r.previous_ids.last() != Some(&old) {
            r.previous_ids.push(old);
        }
        Ok(true)
    }

    fn rebuild_index(&mut self, file: &str, what: &str) -> Result<(), Error> {
        self.index.clear();
        for (i, r) in self.resources.iter().enumerate() {
            if !self.index.insert(&self.resources, i) {
                return Err(Error::overlay(
                    file,
                    format!("{what} produces an id conflict: {} is there twice", r.id),
                ));
            }
        }
        Ok(())
    }

    /// Adds every resource of `other`, in order.
    pub fn extend(&mut self, other: ManifestSet, file: &str) -> Result<(), Error> {
        for resource in other.resources {
            self.insert(resource, file)?;
        }
        Ok(())
    }

    /// The number of resources.
    pub fn len(&self) -> usize {
        self.resources.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.resources.is_empty()
    }

    /// The resources, in order.
    pub fn iter(&self) -> std::slice::Iter<'_, Resource> {
        self.resources.iter()
    }

    /// The resource at `index`; a negative index counts from the end, as in
    /// Python and JavaScript's `at`.
    pub fn at_index(&self, index: i64) -> Option<&Resource> {
        let len = self.resources.len() as i64;
        let i = if index < 0 { index + len } else { index };
        usize::try_from(i).ok().and_then(|i| self.resources.get(i))
    }

    /// The objects as one JSON array, compact.
    pub fn to_json(&self) -> String {
        serde_json::to_string(&self.values()).expect("objects have string keys and finite numbers")
    }

    /// The objects as one JSON array, indented, ending with a newline.
    pub fn to_json_pretty(&self) -> String {
        let mut json = serde_json::to_string_pretty(&self.values())
            .expect("objects have string keys and finite numbers");
        json.push('\n');
        json
    }

    fn values(&self) -> Vec<&Value> {
        self.resources.iter().map(Resource::value).collect()
    }

    /// The resource with this identity (namespace `""` and `default` are the same).
    pub fn get(&self, id: &ResId) -> Option<&Resource> {
        self.index
            .find(&self.resources, id)
            .map(|i| &self.resources[i])
    }

    /// Sorts in kustomize's default ("legacy") order: by kind priority
    /// (Namespace first, webhooks last), then group/version/kind, then
    /// namespace and name.
    pub fn sort_legacy(&mut self) {
        self.sort_legacy_with(ORDER_FIRST, ORDER_LAST);
    }

    /// The legacy order with other kind lists (`sortOptions.legacySortOptions`).
    pub fn sort_legacy_with<S: AsRef<str>>(&mut self, order_first: &[S], order_last: &[S]) {
        let mut keyed: Vec<(LegacyKey, Resource)> = std::mem::take(&mut self.resources)
            .into_iter()
            .map(|r| (LegacyKey::of(r.id(), order_first, order_last), r))
            .collect();
        keyed.sort_by(|a, b| a.0.cmp(&b.0));
        self.index.clear();
        self.resources.extend(keyed.into_iter().map(|(_, r)| r));
        for i in 0..self.resources.len() {
            self.index.insert(&self.resources, i);
        }
    }

    /// The positions of the resources whose current or any previous identity
    /// is `id` (namespace `""` and `default` being the same).
    pub(crate) fn positions_of_any_id(&self, id: &ResId) -> Vec<usize> {
        self.resources
            .iter()
            .enumerate()
            .filter(|(_, r)| {
                std::iter::once(&r.id)
                    .chain(&r.previous_ids)
                    .any(|past| same_identity(past, id))
            })
            .map(|(i, _)| i)
            .collect()
    }

    /// The resource at `position` (see [`ManifestSet::positions_of_any_id`]).
    pub(crate) fn at(&self, position: usize) -> &Resource {
        &self.resources[position]
    }

    /// Puts `value` in place of the object at `position`, keeping its
    /// identity history and hash-suffix mark; identities are read again.
    pub(crate) fn replace_value_at(
        &mut self,
        position: usize,
        value: Value,
        file: &str,
        what: &str,
    ) -> Result<(), Error> {
        self.resources[position].value = value;
        self.reindex_touched(file, what, [position])
    }

    /// Records that the var `name` takes its value from the object at `position`.
    pub(crate) fn add_var_name(&mut self, position: usize, name: &str) {
        self.resources[position].var_names.push(name.to_owned());
    }

    /// Stops the object at `position` from getting a name suffix unless
    /// `keep` (a generator merged into it did not want one).
    pub(crate) fn keep_name_suffix_at(&mut self, position: usize, keep: bool) {
        self.resources[position].name_suffix_pending &= keep;
    }

    /// Appends `-<suffix>` to the name of every object marked with
    /// [`Resource::mark_for_name_suffix`] for which `suffix` gives one.
    pub(crate) fn suffix_marked_names(
        &mut self,
        file: &str,
        what: &str,
        suffix: impl Fn(&Value) -> Option<String>,
    ) -> Result<(), Error> {
        let mut renamed = Vec::new();
        for (i, r) in self.resources.iter_mut().enumerate() {
            if !r.name_suffix_pending {
                continue;
            }
            let Some(suffix) = suffix(&r.value) else {
                continue;
            };
            if let Some(Value::Map(meta)) = r.value.as_map_mut().and_then(|m| m.get_mut("metadata"))
            {
                meta.insert(
                    "name".into(),
                    Value::String(format!("{}-{suffix}", r.id.name)),
                );
                renamed.push(i);
            }
        }
        self.reindex_touched(file, what, renamed)
    }

    /// Takes every object's value out (leaving `null`), so that values can be
    /// edited while the identities are read; [`ManifestSet::put_values`]
    /// puts them back. Identities must not change in between.
    pub(crate) fn take_values(&mut self) -> Vec<Value> {
        self.resources
            .iter_mut()
            .map(|r| std::mem::take(&mut r.value))
            .collect()
    }

    /// Puts back the values [`ManifestSet::take_values`] took, in order.
    pub(crate) fn put_values(&mut self, values: Vec<Value>) {
        debug_assert_eq!(values.len(), self.resources.len());
        for (r, value) in self.resources.iter_mut().zip(values) {
            r.value = value;
            debug_assert!(identity_unchanged(&r.id, &r.value), "an identity changed");
        }
    }

    /// Puts `metadata.annotations` in the form kustomize prints, everywhere
    /// (see [`normalize_annotations`]).
    pub(crate) fn normalize_annotations(&mut self) {
        for r in &mut self.resources {
            normalize_annotations(&mut r.value);
        }
    }

    /// Prints every resource as `kustomize build` does: documents separated by `---`.
    pub fn to_yaml(&self) -> String {
        let mut out = Vec::with_capacity(self.resources.len() * 512);
        for (i, r) in self.resources.iter().enumerate() {
            if i > 0 {
                out.extend_from_slice(b"---\n");
            }
            yaml::write_yaml(&mut out, r.value());
        }
        String::from_utf8(out).expect("the emitter writes UTF-8")
    }
}

impl<'a> IntoIterator for &'a ManifestSet {
    type Item = &'a Resource;
    type IntoIter = std::slice::Iter<'a, Resource>;
    fn into_iter(self) -> Self::IntoIter {
        self.resources.iter()
    }
}

impl IntoIterator for ManifestSet {
    type Item = Resource;
    type IntoIter = std::vec::IntoIter<Resource>;
    fn into_iter(self) -> Self::IntoIter {
        self.resources.into_iter()
    }
}

/// Kinds kustomize's legacy order puts first, in this order.
const ORDER_FIRST: &[&str] = &[
    "Namespace",
    "ResourceQuota",
    "StorageClass",
    "CustomResourceDefinition",
    "ServiceAccount",
    "PodSecurityPolicy",
    "Role",
    "ClusterRole",
    "RoleBinding",
    "ClusterRoleBinding",
    "ConfigMap",
    "Secret",
    "Endpoints",
    "Service",
    "LimitRange",
    "PriorityClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "Deployment",
    "StatefulSet",
    "CronJob",
    "PodDisruptionBudget",
];

/// Kinds kustomize's legacy order puts last, in this order.
const ORDER_LAST: &[&str] = &[
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
];

/// kustomize's default legacy kind lists: (first, last).
pub fn legacy_kind_order() -> (&'static [&'static str], &'static [&'static str]) {
    (ORDER_FIRST, ORDER_LAST)
}

/// A resource's position in kustomize's legacy order.
#[derive(PartialEq, Eq)]
struct LegacyKey {
    kind_rank: isize,
    /// `group_version_kind` (`~G` for the core group), then
    /// `gvk|namespace|name` (`~X` for no namespace), which kustomize compares
    /// as one string; one allocation holds both.
    text: String,
    gvk_len: usize,
    /// For kinds named Namespace: whether in the core group.
    namespace_kind: Option<bool>,
}

impl LegacyKey {
    fn of<S: AsRef<str>>(id: &ResId, order_first: &[S], order_last: &[S]) -> LegacyKey {
        let kind_rank = if let Some(i) = order_first.iter().position(|k| k.as_ref() == id.kind) {
            i as isize - order_first.len() as isize
        } else if let Some(i) = order_last.iter().position(|k| k.as_ref() == id.kind) {
            1 + i as isize
        } else {
            0
        };
        fn or<'a>(s: &'a str, missing: &'static str) -> &'a str {
            if s.is_empty() { missing } else { s }
        }
        let mut text = String::with_capacity(
            2 * (id.group.len() + id.version.len() + id.kind.len())
                + id.namespace.len()
                + id.name.len()
                + 24,
        );
        // Pieces pushed one by one (`format!` costs more than the sort).
        for (i, part) in [
            or(&id.group, "~G"),
            or(&id.version, "~V"),
            or(&id.kind, "~K"),
        ]
        .into_iter()
        .enumerate()
        {
            if i > 0 {
                text.push('_');
            }
            text.push_str(part);
        }
        let gvk_len = text.len();
        // kyaml's Gvk.String(): `kind.version.group`, `[noGrp]` for the core group.
        for (separator, part) in [
            ("", id.kind.as_str()),
            (".", &id.version),
            (".", or(&id.group, "[noGrp]")),
            ("|", or(&id.namespace, "~X")),
            ("|", or(&id.name, "~N")),
        ] {
            text.push_str(separator);
            text.push_str(part);
        }
        LegacyKey {
            kind_rank,
            text,
            gvk_len,
            namespace_kind: (id.kind == "Namespace").then_some(id.group.is_empty()),
        }
    }

    fn gvk(&self) -> &str {
        &self.text[..self.gvk_len]
    }

    fn id(&self) -> &str {
        &self.text[self.gvk_len..]
    }
}

impl Ord for LegacyKey {
    fn cmp(&self, other: &Self) -> Ordering {
        if self.gvk() != other.gvk() {
            // kustomize's gvkLessThan: of two Namespace kinds, the core one
            // (`~G`) comes first.
            let core_namespace_first = matches!(
                (self.namespace_kind, other.namespace_kind),
                (Some(a), Some(b)) if a || b
            );
            return self.kind_rank.cmp(&other.kind_rank).then_with(|| {
                if core_namespace_first {
                    other.gvk().cmp(self.gvk())
                } else {
                    self.gvk().cmp(other.gvk())
                }
            });
        }
        self.id().cmp(other.id())
    }
}

impl PartialOrd for LegacyKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A text that is one JSON value (what `kubectl get -o json` prints), read
/// with the JSON reader: several times faster than the YAML reader, and its
/// errors say JSON. `None` when the text does not look like JSON, or is not
/// JSON but may be YAML (a flow mapping such as `{a: 1}`); in a `.json`
/// file, text that is not JSON is an error.
fn json_document(
    text: &str,
    file: &str,
    limits: &ParseLimits,
) -> Result<Option<yaml::Document>, Error> {
    let body = text.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']);
    // serde_json nests 128 deep; other depth limits are the YAML reader's.
    let default_depth = limits.max_depth == ParseLimits::default().max_depth;
    if !(body.starts_with('{') || body.starts_with('['))
        || text.len() > limits.max_document_size
        || !default_depth
    {
        return Ok(None);
    }
    match serde_json::from_str::<Value>(text.trim_start_matches('\u{feff}')) {
        Ok(value) => Ok(Some(yaml::Document {
            index: 0,
            line: text[..text.len() - body.len()].matches('\n').count() + 1,
            value,
            empty_nulls: Vec::new(),
        })),
        // Deeper than serde_json goes: the YAML reader's limit decides.
        Err(e) if e.to_string().starts_with("recursion limit exceeded") => Ok(None),
        Err(e) if file.ends_with(".json") => {
            let message = e.to_string();
            let message = match message.rfind(" at line ") {
                Some(at) => &message[..at],
                None => &message,
            };
            Err(Error::Yaml {
                location: Location {
                    file: Some(file.to_owned()),
                    document: None,
                    line: Some(e.line()),
                    column: Some(e.column()),
                },
                message: format!("invalid JSON: {message}"),
            })
        }
        Err(_) => Ok(None),
    }
}

/// Reads the Kubernetes objects of a YAML stream, expanding lists, in kustomize's
/// order (list items after the documents that follow the list), dropping local-config
/// objects and empty annotations as kustomize does.
pub fn resources_from_yaml(
    text: &str,
    file: &str,
    limits: &ParseLimits,
) -> Result<Vec<Resource>, Error> {
    resources_from_yaml_keeping(text, file, limits, false)
}

/// [`resources_from_yaml`], keeping local-config objects when `keep_local`
/// (kustomize keeps them through a build and drops them at its end).
pub(crate) fn resources_from_yaml_keeping(
    text: &str,
    file: &str,
    limits: &ParseLimits,
    keep_local: bool,
) -> Result<Vec<Resource>, Error> {
    let docs = match json_document(text, file, limits)? {
        Some(doc) => vec![doc],
        None => yaml::parse_documents_as(text, limits, yaml::Schema::Resources)
            .map_err(|e| e.in_file(file))?,
    };
    let mut queue: std::collections::VecDeque<(Value, Origin, Vec<Vec<PathStep>>)> = docs
        .into_iter()
        .filter(|d| !d.value.is_null())
        .map(|d| {
            let origin = Origin {
                file: Some(file.to_owned()),
                document: Some(d.index),
                line: Some(d.line),
            };
            (d.value, origin, d.empty_nulls)
        })
        .collect();
    let mut out = Vec::with_capacity(queue.len());
    while let Some((mut value, origin, empty_nulls)) = queue.pop_front() {
        let manifest_error = |message: String| Error::Manifest {
            location: origin.location(),
            message,
        };
        if let Some(kind) = value.get_path(&["kind"]).and_then(Value::as_str)
            && kind.ends_with("List")
        {
            let kind = kind.to_owned();
            if let Some(map) = value.as_map_mut()
                && let Some(items) = map.shift_remove("items")
            {
                match items {
                    Value::Seq(items) => {
                        queue.extend(items.into_iter().enumerate().map(|(i, item)| {
                            // The item's own places: `items[i]` taken off.
                            let nulls = empty_nulls
                                .iter()
                                .filter_map(|path| match path.as_slice() {
                                    [PathStep::Key(k), PathStep::Index(j), rest @ ..]
                                        if k == "items" && *j == i =>
                                    {
                                        Some(rest.to_vec())
                                    }
                                    _ => None,
                                })
                                .collect();
                            (item, origin.clone(), nulls)
                        }));
                    }
                    Value::Null => {}
                    other => {
                        return Err(manifest_error(format!(
                            "expected a sequence in {kind}.items, found {}",
                            other.type_name()
                        )));
                    }
                }
                continue;
            }
        }
        normalize_annotations(&mut value);
        let mut resource = Resource::new(value, origin)?;
        resource.empty_nulls = empty_nulls;
        if keep_local || !resource.is_local_config() {
            out.push(resource);
        }
    }
    Ok(out)
}

/// kustomize removes `metadata.annotations` when it is empty or null, and
/// writes every annotation value back as a string (kyaml's `SetAnnotations`
/// with its bookkeeping annotations removed): `port: 8080` prints as
/// `port: "8080"`. The YAML reader already keeps such values as written
/// (`1.50`, `0x1F`); this catches values that transformers put there.
pub(crate) fn normalize_annotations(value: &mut Value) {
    if let Some(Value::Map(metadata)) = value.as_map_mut().and_then(|m| m.get_mut("metadata")) {
        let empty = match metadata.get_mut("annotations") {
            Some(Value::Null) => true,
            Some(Value::Map(m)) => {
                for v in m.values_mut() {
                    if let Value::Int(_) | Value::UInt(_) | Value::Float(_) | Value::Bool(_) = v {
                        *v = Value::String(v.scalar_text().expect("a scalar"));
                    }
                }
                m.is_empty()
            }
            _ => false,
        };
        if empty {
            metadata.shift_remove("annotations");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(text: &str) -> ManifestSet {
        ManifestSet::from_yaml(text, "test.yaml").expect("valid")
    }

    #[test]
    fn ids_display_with_empty_parts() {
        let s = set(
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: prod\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: prod\n",
        );
        let ids: Vec<String> = s.iter().map(|r| r.id().to_string()).collect();
        assert_eq!(ids, ["/Namespace//prod", "apps/Deployment/prod/web"]);
    }

    #[test]
    fn duplicates_are_rejected_with_default_namespace_equal_to_none() {
        let err = ManifestSet::from_yaml(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  namespace: default\n",
            "dup.yaml",
        )
        .expect_err("duplicate");
        assert!(err.to_string().contains("dup.yaml"), "{err}");
        assert!(err.to_string().contains("already registered"), "{err}");
    }

    #[test]
    fn lists_expand_after_following_documents() {
        let s = set(
            "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: b\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n",
        );
        let names: Vec<&str> = s.iter().map(|r| r.id().name.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
    }

    #[test]
    fn missing_fields_name_the_file_and_document() {
        for (text, needle) in [
            ("apiVersion: v1\nmetadata:\n  name: x\n", "missing kind"),
            (
                "apiVersion: [v1]\nkind: ConfigMap\nmetadata:\n  name: x\n",
                "apiVersion must be a string",
            ),
            (
                "apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n",
                "missing metadata.name",
            ),
            ("- a\n", "found a sequence"),
        ] {
            let err = ManifestSet::from_yaml(
                &format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\n---\n{text}"),
                "bad.yaml",
            )
            .expect_err(text);
            let msg = err.to_string();
            assert!(
                msg.contains("bad.yaml") && msg.contains("document 2") && msg.contains(needle),
                "{msg}"
            );
            assert_eq!(err.kind(), crate::ErrorKind::Manifest);
        }
    }
}
