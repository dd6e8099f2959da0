//! Three-way diff and sync status: what Git wants (desired), what was last
//! applied, and what the cluster has (live).
//!
//! For every resource: `Synced`, `OutOfSync`, `Missing` or `Extraneous`; for
//! every differing field its path, the three values and its cause (`change`:
//! Git moved; `drift`: the cluster moved; `conflict`: both); the strategic
//! merge patch that converges live to desired and a unified diff; the health
//! of the live object. Server-owned fields, server defaults and forms
//! Kubernetes treats alike are not differences; fields a person added by
//! hand (seen in `managedFields`) are.
//!
//! ```
//! use trueup_core::{diff, load_manifests};
//!
//! let desired = load_manifests("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: prod\nspec:\n  replicas: 3\n", "git")?;
//! let live = load_manifests(r#"
//! apiVersion: apps/v1
//! kind: Deployment
//! metadata:
//!   name: web
//!   namespace: prod
//!   uid: 5f6e
//!   annotations:
//!     kubectl.kubernetes.io/last-applied-configuration: '{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"prod"},"spec":{"replicas":3}}'
//! spec:
//!   replicas: 5
//!   revisionHistoryLimit: 10
//! "#, "cluster")?;
//! let report = diff::diff(&desired, &live, &diff::DiffOptions::default())?;
//! assert_eq!(report.summary.out_of_sync, 1);
//! let change = &report.resources[0].changes[0];
//! assert_eq!((change.path.as_str(), change.cause), ("spec.replicas", diff::Cause::Drift));
//! # Ok::<(), trueup_core::Error>(())
//! ```

mod compare;
mod ignore;
mod managed;
mod normalize;
mod quantity;
mod report;
mod revisions;
mod scope;
mod strategy;

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::path::Path;

pub use ignore::{IgnoreRule, KnownTypeField, parse_ignore_rules};
pub use normalize::{ARGOCD_TRACKING_ANNOTATION, LAST_APPLIED_ANNOTATION};
pub use report::{AppSync, Cause, Change, DiffReport, ResourceDiff, Summary, SyncStatus, Warning};
pub use revisions::{
    DeltaSummary, DesiredDiff, FieldChange, ResourceChange, ResourceDelta, compare_desired,
};

use crate::error::Error;
use crate::health::{self, HealthStatus};
use crate::patch::strategic_merge::{self, Type};
use crate::resource::{ManifestSet, ResId, Resource};
use crate::yaml::Value;
use managed::Owned;
use scope::Scopes;

/// Field managers whose `Update`s are hand edits: fields they own that Git
/// never set are drift.
pub const DEFAULT_HAND_EDIT_MANAGERS: &[&str] = &[
    "kubectl-edit",
    "kubectl-patch",
    "kubectl-set",
    "kubectl-label",
    "kubectl-annotate",
    "kubectl-scale",
    "kubectl-replace",
];

/// The field managers of server-side appliers whose `Apply` entry in
/// `managedFields` is the last-applied state of an object without the
/// last-applied annotation: Argo CD's (`argocd-controller`), kubectl's
/// (`kubectl apply --server-side`: `kubectl`), Flux's
/// (`kustomize-controller`, `helm-controller`).
pub const DEFAULT_APPLY_MANAGERS: &[&str] = &[
    "argocd-controller",
    "kubectl",
    "kustomize-controller",
    "helm-controller",
];

/// Argo CD's per-object compare options (`IgnoreExtraneous`, ...).
pub const COMPARE_OPTIONS_ANNOTATION: &str = "argocd.argoproj.io/compare-options";

/// The label that ties live objects to their application (Argo CD's default).
pub const DEFAULT_TRACKING_LABEL: &str = "app.kubernetes.io/instance";

/// How live objects are tied to their application: Argo CD's
/// `application.resourceTrackingMethod`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TrackingMethod {
    /// The `argocd.argoproj.io/tracking-id` annotation
    /// (`<app>:<group>/<kind>:<namespace>/<name>`), Argo CD 3's default; the
    /// tracking label is an ordinary label, compared as any other.
    #[default]
    Annotation,
    /// The tracking label ([`DiffOptions::tracking_label`]), Argo CD 2's
    /// default; it is not compared.
    Label,
    /// Either; the label is not compared.
    AnnotationAndLabel,
}

impl TrackingMethod {
    /// Argo CD's name of the method: `annotation`, `label`, `annotation+label`.
    pub fn as_str(self) -> &'static str {
        match self {
            TrackingMethod::Annotation => "annotation",
            TrackingMethod::Label => "label",
            TrackingMethod::AnnotationAndLabel => "annotation+label",
        }
    }

    fn uses_label(self) -> bool {
        self != TrackingMethod::Annotation
    }

    fn uses_annotation(self) -> bool {
        self != TrackingMethod::Label
    }
}

impl std::str::FromStr for TrackingMethod {
    type Err = Error;

    /// Reads Argo CD's name of a method.
    ///
    /// ```
    /// use trueup_core::diff::TrackingMethod;
    /// assert_eq!("annotation+label".parse::<TrackingMethod>()?, TrackingMethod::AnnotationAndLabel);
    /// assert!("labels".parse::<TrackingMethod>().is_err());
    /// # Ok::<(), trueup_core::Error>(())
    /// ```
    fn from_str(text: &str) -> Result<TrackingMethod, Error> {
        match text {
            "annotation" => Ok(TrackingMethod::Annotation),
            "label" => Ok(TrackingMethod::Label),
            "annotation+label" => Ok(TrackingMethod::AnnotationAndLabel),
            other => Err(Error::diff(
                "trackingMethod",
                format!("{other:?} is not annotation, label or annotation+label"),
            )),
        }
    }
}

/// Which objects' `status` is left out of comparisons: Argo CD's
/// `resource.compareoptions` `ignoreResourceStatusField`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IgnoreResourceStatus {
    /// Every object's (Argo CD 3's default).
    #[default]
    All,
    /// Only CustomResourceDefinitions' (Argo CD 2's default): a `status`
    /// Git gives any other object is compared.
    Crd,
    /// None: a `status` Git gives is compared.
    None,
}

impl IgnoreResourceStatus {
    /// Argo CD's name of the setting: `all`, `crd`, `none`.
    pub fn as_str(self) -> &'static str {
        match self {
            IgnoreResourceStatus::All => "all",
            IgnoreResourceStatus::Crd => "crd",
            IgnoreResourceStatus::None => "none",
        }
    }

    /// Whether the `status` of an object of this kind is compared.
    fn compares(self, id: &ResId) -> bool {
        match self {
            IgnoreResourceStatus::All => false,
            IgnoreResourceStatus::Crd => {
                !(id.group == "apiextensions.k8s.io" && id.kind == "CustomResourceDefinition")
            }
            IgnoreResourceStatus::None => true,
        }
    }
}

impl std::str::FromStr for IgnoreResourceStatus {
    type Err = Error;

    /// Reads the setting as Argo CD does (`off` and `false` are `none`).
    ///
    /// ```
    /// use trueup_core::diff::IgnoreResourceStatus;
    /// assert_eq!("crd".parse::<IgnoreResourceStatus>()?, IgnoreResourceStatus::Crd);
    /// assert_eq!("off".parse::<IgnoreResourceStatus>()?, IgnoreResourceStatus::None);
    /// # Ok::<(), trueup_core::Error>(())
    /// ```
    fn from_str(text: &str) -> Result<IgnoreResourceStatus, Error> {
        match text {
            "all" => Ok(IgnoreResourceStatus::All),
            "crd" => Ok(IgnoreResourceStatus::Crd),
            "none" | "off" | "false" => Ok(IgnoreResourceStatus::None),
            other => Err(Error::diff(
                "ignoreResourceStatusField",
                format!("{other:?} is not all, crd or none"),
            )),
        }
    }
}

/// Options of [`diff`].
#[derive(Debug, Clone)]
pub struct DiffOptions {
    /// The last-applied state, given explicitly; when `None`, each live
    /// object's `kubectl.kubernetes.io/last-applied-configuration` annotation.
    pub last_applied: Option<ManifestSet>,
    /// Ignore rules (see [`parse_ignore_rules`]).
    pub ignore: Vec<IgnoreRule>,
    /// Managers whose `Update`s count as hand edits ([`DEFAULT_HAND_EDIT_MANAGERS`]).
    pub hand_edit_managers: Vec<String>,
    /// How live objects are tied to their application (Argo CD 3's
    /// default: the tracking annotation).
    pub tracking_method: TrackingMethod,
    /// The tracking label ([`DEFAULT_TRACKING_LABEL`]), used when
    /// [`DiffOptions::tracking_method`] uses a label.
    pub tracking_label: String,
    /// The application's name, as the tracking label or Argo CD's tracking
    /// annotation carries it; when `None`, the values of the tracking label
    /// on the desired objects (or, if they carry none, any tracked object).
    pub app: Option<String>,
    /// The namespace desired objects without one go to (as `kubectl apply -n`
    /// or an Argo CD destination); when `None`, `default`.
    pub namespace: Option<String>,
    /// How many threads compare resources; the number of cores when `None`.
    pub jobs: Option<usize>,
    /// Show Secret values (`data`, `stringData`) as they are. By default
    /// they are masked everywhere a report shows a value, as Argo CD masks
    /// them: `++++++++`, one mask per distinct value of a key, so equal
    /// values stay equal and different ones different.
    pub show_secrets: bool,
    /// Annotations whose values are masked on Secrets as their data is
    /// (the last-applied annotation, which holds the data, always is).
    pub sensitive_annotations: Vec<String>,
    /// Server-side appliers ([`DEFAULT_APPLY_MANAGERS`]): the fields one of
    /// them owns through an `Apply` are the last-applied state (before the
    /// last-applied annotation, which server-side apply does not keep up to
    /// date), so a field it applied that Git no longer has is a change.
    pub apply_managers: Vec<String>,
    /// Argo CD's `resource.compareoptions` `ignoreAggregatedRoles`: the
    /// `rules` of a Role or ClusterRole with an `aggregationRule` (filled
    /// in by the controller that aggregates them) are not compared.
    pub ignore_aggregated_roles: bool,
    /// CustomResourceDefinitions to learn the scope of custom kinds from
    /// (those in the desired set count too; live objects tell the rest).
    pub crds: Option<ManifestSet>,
    /// Argo CD's `ignoreResourceStatusField`: whose `status` is not
    /// compared (by default, every object's).
    pub ignore_resource_status_field: IgnoreResourceStatus,
    /// Argo CD health scripts (`health.lua`) to assess kinds with, before
    /// the built-in checks ([`HealthScripts::load`](crate::health_scripts::HealthScripts::load)).
    pub health_scripts: Option<std::sync::Arc<crate::health_scripts::HealthScripts>>,
}

impl Default for DiffOptions {
    fn default() -> Self {
        DiffOptions {
            last_applied: None,
            ignore: Vec::new(),
            hand_edit_managers: DEFAULT_HAND_EDIT_MANAGERS
                .iter()
                .map(|m| (*m).to_owned())
                .collect(),
            tracking_method: TrackingMethod::default(),
            tracking_label: DEFAULT_TRACKING_LABEL.to_owned(),
            app: None,
            namespace: None,
            jobs: None,
            show_secrets: false,
            sensitive_annotations: Vec::new(),
            apply_managers: DEFAULT_APPLY_MANAGERS
                .iter()
                .map(|m| (*m).to_owned())
                .collect(),
            ignore_aggregated_roles: false,
            ignore_resource_status_field: IgnoreResourceStatus::default(),
            crds: None,
            health_scripts: None,
        }
    }
}

impl DiffOptions {
    /// The label that tracks objects, when the tracking method uses one;
    /// `""` (no label has that key) when it does not.
    fn label_tracking(&self) -> &str {
        if self.tracking_method.uses_label() {
            &self.tracking_label
        } else {
            ""
        }
    }

    /// Reads the files options name, as the CLI and the bindings take them:
    /// ignore rules ([`load_ignore_rules`]) and Argo CD health scripts
    /// ([`HealthScripts::load`](crate::health_scripts::HealthScripts::load)).
    /// `None` leaves an option as it is.
    pub fn read_files(
        &mut self,
        ignore: Option<&Path>,
        health_scripts: Option<&Path>,
    ) -> Result<(), Error> {
        if let Some(path) = ignore {
            self.ignore = load_ignore_rules(path)?;
        }
        if let Some(path) = health_scripts {
            let scripts = crate::health_scripts::HealthScripts::load(path)?;
            self.health_scripts = Some(std::sync::Arc::new(scripts));
        }
        Ok(())
    }
}

/// The health of a live object (with the caller's health scripts). A
/// script sees a Secret whole and may quote it, so a masked Secret's health
/// message is left out.
fn assess_health(live: &Resource, options: &DiffOptions) -> Option<health::Health> {
    let id = live.id();
    let mut health = health::assess_with_scripts(
        &id.group,
        &id.kind,
        live.value(),
        options.health_scripts.as_deref(),
    )?;
    if masks_secrets(id, options) {
        health.message.clear();
    }
    Some(health)
}

/// Whether `id` is a Secret whose values a report must not show.
fn masks_secrets(id: &ResId, options: &DiffOptions) -> bool {
    !options.show_secrets && id.group.is_empty() && id.kind == "Secret"
}

/// The identity two sides are matched by: group, kind, namespace, name (not
/// the version: the cluster may serve another one).
fn match_key(id: &ResId, default_namespace: Option<&str>, scopes: &Scopes) -> String {
    let namespace = match default_namespace {
        Some(ns) if id.namespace.is_empty() && !scopes.cluster(id) => ns,
        _ => scopes.namespace(id),
    };
    format!("{}/{}/{}/{}", id.group, id.kind, namespace, id.name)
}

/// Desired (or applied) state normalized in place: the namespace it goes
/// to, a Secret's `stringData` as `data`. (Server-owned fields and tracking
/// are stepped over by the comparison, not removed.)
fn normalize_desired(value: &mut Value, id: &ResId, options: &DiffOptions, scopes: &Scopes) {
    if let Some(ns) = &options.namespace
        && !scopes.cluster(id)
    {
        normalize::default_namespace(value, ns);
    }
    normalize::fold_string_data(value, &id.group, &id.kind);
}

/// Whether [`normalize_desired`] would change `value` (most objects: no, and
/// they are compared without a copy).
fn desired_needs_normalizing(
    value: &Value,
    id: &ResId,
    options: &DiffOptions,
    scopes: &Scopes,
) -> bool {
    let secret_text =
        id.group.is_empty() && id.kind == "Secret" && value.get_path(&["stringData"]).is_some();
    let namespace = options.namespace.is_some()
        && !scopes.cluster(id)
        && value
            .get_path(&["metadata", "namespace"])
            .and_then(Value::as_str)
            .is_none_or(str::is_empty);
    secret_text || namespace
}

/// Desired state as reports show it: normalized, without server fields.
fn normalized_desired(value: &Value, id: &ResId, options: &DiffOptions, scopes: &Scopes) -> Value {
    let mut shown = normalize::copy_without_server_fields(value);
    normalize_desired(&mut shown, id, options, scopes);
    normalize::strip_tracking(&mut shown, options.label_tracking());
    keep_compared_status(&mut shown, value, id, options);
    shown
}

/// Live state as the comparison sees it.
fn normalized_live(value: &Value, id: &ResId, options: &DiffOptions) -> Value {
    let mut shown = normalize::copy_without_server_fields(value);
    normalize::strip_tracking(&mut shown, options.label_tracking());
    keep_compared_status(&mut shown, value, id, options);
    shown
}

/// Puts back the `status` of `from` into `shown` when it is compared.
fn keep_compared_status(shown: &mut Value, from: &Value, id: &ResId, options: &DiffOptions) {
    if !options.ignore_resource_status_field.compares(id) {
        return;
    }
    if let (Value::Map(map), Some(status)) = (shown, from.get_path(&["status"])) {
        map.insert("status".into(), status.clone());
    }
}

/// The last-applied configuration in a live object's annotation.
fn annotated_last_applied(live: &Resource) -> Result<Option<Value>, String> {
    let Some(text) = live
        .annotations()
        .and_then(|a| a.get(LAST_APPLIED_ANNOTATION))
        .and_then(Value::as_str)
    else {
        return Ok(None);
    };
    match Value::from_json(text) {
        Ok(value @ Value::Map(_)) => Ok(Some(value)),
        Ok(_) => Err(format!(
            "malformed {LAST_APPLIED_ANNOTATION} annotation (ignored): not a JSON object"
        )),
        Err(e) => Err(format!(
            "malformed {LAST_APPLIED_ANNOTATION} annotation (ignored): {e}"
        )),
    }
}

fn yaml(value: &Value) -> String {
    crate::yaml::to_yaml(value)
}

/// A unified diff of two YAML texts, headed `live/ID` and `desired/ID`
/// (without the leading `/` of core-group ids).
fn unified(old: &str, new: &str, id: &str) -> String {
    unified_between(old, new, id, "live", "desired")
}

/// A unified diff of two YAML texts, headed `OLD/ID` and `NEW/ID`.
fn unified_between(old: &str, new: &str, id: &str, old_name: &str, new_name: &str) -> String {
    let id = id.trim_start_matches('/');
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&format!("{old_name}/{id}"), &format!("{new_name}/{id}"))
        .to_string()
}

/// The three versions of one object a comparison normalizes in turn:
/// desired (borrowed until something changes it), last applied, live.
struct Sides<'v> {
    desired: Cow<'v, Value>,
    applied: Option<Value>,
    live: Cow<'v, Value>,
}

impl Sides<'_> {
    /// Replaces each version that `changed` gives a changed copy of
    /// (`None`: nothing to change, and nothing is copied).
    fn replace_with(&mut self, changed: impl Fn(&Value) -> Option<Value>) {
        if let Some(v) = changed(&self.desired) {
            self.desired = Cow::Owned(v);
        }
        if let Some(a) = &mut self.applied
            && let Some(v) = changed(a)
        {
            *a = v;
        }
        if let Some(v) = changed(&self.live) {
            self.live = Cow::Owned(v);
        }
    }

    /// Removes the field `pointer` names from each version that has it; a
    /// borrowed version is copied only when it does.
    fn remove_pointer(&mut self, pointer: &str) {
        if ignore::has_pointer(&self.desired, pointer) {
            ignore::remove_pointer(self.desired.to_mut(), pointer);
        }
        if let Some(a) = &mut self.applied {
            ignore::remove_pointer(a, pointer);
        }
        if ignore::has_pointer(&self.live, pointer) {
            ignore::remove_pointer(self.live.to_mut(), pointer);
        }
    }
}

/// The fields of an object the rules declare to hold a Kubernetes type; as
/// in Argo CD, an Argo Rollout's `spec.template.spec` is a pod spec unless
/// rules declare its fields.
fn declared_fields<'r>(id: &ResId, rules: &[&'r IgnoreRule]) -> Vec<compare::Declared<'r>> {
    let mut declared: Vec<compare::Declared<'r>> = rules
        .iter()
        .flat_map(|rule| &rule.known_type_fields)
        .map(|known| compare::Declared {
            path: known.field.split('.').collect(),
            holds: compare::Holds::of(&known.type_name),
        })
        .collect();
    if declared.is_empty() && id.group == "argoproj.io" && id.kind == "Rollout" {
        declared.push(compare::Declared {
            path: vec!["spec", "template", "spec"],
            holds: compare::Holds::Object(Type::PodSpec),
        });
    }
    declared
}

/// Compares one desired object with its live counterpart (`None`: missing),
/// given the last-applied state when it is given explicitly (`Some(None)`:
/// given, but not for this object).
fn diff_one(
    r: &Resource,
    live: Option<&Resource>,
    applied_given: Option<Option<&Resource>>,
    options: &DiffOptions,
    scopes: &Scopes,
) -> (ResourceDiff, Option<Warning>) {
    let id = r.id();
    let id_text = id.to_string();
    let Some(live_r) = live else {
        let mut shown = normalized_desired(r.value(), id, options, scopes);
        if masks_secrets(id, options) {
            normalize::mask_secret_values(&mut [&mut shown], &options.sensitive_annotations);
        }
        return (
            ResourceDiff {
                id: id_text.clone(),
                status: SyncStatus::Missing,
                health: Some(HealthStatus::Missing),
                health_message: None,
                changes: Vec::new(),
                patch: None,
                diff: unified("", &yaml(&shown), &id_text),
            },
            None,
        );
    };
    let desired_value = if desired_needs_normalizing(r.value(), id, options, scopes) {
        let mut value = r.value().clone();
        normalize_desired(&mut value, id, options, scopes);
        Cow::Owned(value)
    } else {
        Cow::Borrowed(r.value())
    };
    let mut warning = None;
    let server_side = || {
        Owned::of(
            live_r.value(),
            |m| options.apply_managers.iter().any(|a| a == m),
            |op| op == "Apply",
        )
        .and_then(|owned| owned.project(live_r.value()))
    };
    let mut applied = match applied_given {
        Some(given) => given.map(|a| a.value().clone()),
        None => match server_side() {
            Some(applied) => Some(applied),
            None => match annotated_last_applied(live_r) {
                Ok(value) => value,
                Err(message) => {
                    warning = Some(Warning {
                        id: id_text.clone(),
                        message,
                    });
                    None
                }
            },
        },
    };
    if let Some(a) = &mut applied {
        normalize_desired(a, id, options, scopes);
    }
    let replaced = strategy::ReplacedFields::of(id, &desired_value);
    let mut sides = Sides {
        desired: desired_value,
        applied,
        live: Cow::Borrowed(live_r.value()),
    };
    // Base64 wrapped by a generator is the same bytes as the server's one
    // line; a Secret key mapped to null holds the same (no) bytes as "".
    sides.replace_with(|v| normalize::unwrap_base64(v, &id.group, &id.kind));
    sides.replace_with(|v| normalize::empty_null_secret_data(v, &id.group, &id.kind));
    sides.replace_with(|v| normalize::sort_endpoints(v, &id.group, &id.kind));
    // Secret values are masked before anything is compared or shown; masks
    // keep equal values equal, so every verdict stays the same.
    if masks_secrets(id, options) {
        let mut objects: Vec<&mut Value> = vec![sides.desired.to_mut()];
        if let Some(a) = &mut sides.applied {
            objects.push(a);
        }
        objects.push(sides.live.to_mut());
        normalize::mask_secret_values(&mut objects, &options.sensitive_annotations);
    }
    if options.ignore_aggregated_roles
        && id.group == "rbac.authorization.k8s.io"
        && matches!(id.kind.as_str(), "Role" | "ClusterRole")
    {
        let aggregated =
            |v: &Value| matches!(v.get_path(&["aggregationRule"]), Some(Value::Map(_)));
        if aggregated(&sides.desired) || aggregated(&sides.live) {
            sides.remove_pointer("/rules");
        }
    }
    let rules: Vec<&IgnoreRule> = options
        .ignore
        .iter()
        .filter(|rule| rule.matches(id))
        .collect();
    for pointer in rules.iter().flat_map(|rule| &rule.json_pointers) {
        sides.remove_pointer(pointer);
    }
    for expression in rules.iter().flat_map(|rule| &rule.jq_path_expressions) {
        ignore::with_jq_deletion(expression, |deletion| {
            sides.replace_with(|v| deletion.apply(v))
        });
    }
    let Sides {
        desired: desired_value,
        applied,
        live: live_value,
    } = sides;
    let ignored_managers: Vec<&String> = rules
        .iter()
        .flat_map(|rule| &rule.managed_fields_managers)
        .collect();
    let ignored = if ignored_managers.is_empty() {
        None
    } else {
        Owned::of(
            live_r.value(),
            |m| ignored_managers.iter().any(|i| *i == m),
            |_| true,
        )
    };
    let hand = |m: &str| options.hand_edit_managers.iter().any(|h| h == m);
    let hand_owned = Owned::of(live_r.value(), hand, |op| op == "Update");
    let ty = Type::for_object(&id.group, &id.kind);
    let declared = declared_fields(id, &rules);
    let mut comparison = compare::compare(
        &desired_value,
        applied.as_ref(),
        &live_value,
        ty,
        hand_owned.as_ref(),
        ignored.as_ref(),
        compare::Fields {
            tracking_label: options.label_tracking(),
            declared: &declared,
            status: options.ignore_resource_status_field.compares(id),
            group: &id.group,
            kind: &id.kind,
        },
    );
    if let Some(patch) = &mut comparison.patch {
        let ignored: Vec<&String> = rules.iter().flat_map(|rule| &rule.json_pointers).collect();
        replaced.widen(patch, live_r.value(), &ignored);
    }
    let health = assess_health(live_r, options);
    let (status, diff_text) = match &comparison.patch {
        Some(patch) if !comparison.changes.is_empty() => {
            let shown = normalized_live(&live_value, id, options);
            let mut predicted = shown.clone();
            let text = match strategic_merge::apply(&mut predicted, patch, ty) {
                Ok(_) => unified(&yaml(&shown), &yaml(&predicted), &id_text),
                Err(_) => {
                    let desired = normalized_desired(&desired_value, id, options, scopes);
                    unified(&yaml(&shown), &yaml(&desired), &id_text)
                }
            };
            (SyncStatus::OutOfSync, text)
        }
        _ => (SyncStatus::Synced, String::new()),
    };
    let synced = status == SyncStatus::Synced;
    (
        ResourceDiff {
            id: id_text,
            status,
            health: health.as_ref().map(|h| h.status),
            health_message: health.map(|h| h.message).filter(|m| !m.is_empty()),
            changes: comparison.changes,
            // A patch of masks would write the masks into the cluster: with
            // Secret values masked, a Secret gets no patch (show_secrets
            // gives one that converges).
            patch: if synced || masks_secrets(id, options) {
                None
            } else {
                comparison.patch
            },
            diff: diff_text,
        },
        warning,
    )
}

/// Compares desired state with live state (see the module docs). Resources
/// are compared on [`DiffOptions::jobs`] threads; the report is the same
/// whatever their number.
pub fn diff(
    desired: &ManifestSet,
    live: &ManifestSet,
    options: &DiffOptions,
) -> Result<DiffReport, Error> {
    let default_ns = options.namespace.as_deref();
    let mut crd_sets = vec![desired];
    crd_sets.extend(&options.crds);
    let scopes = Scopes::learn(&crd_sets, live);
    let key = |id: &ResId, default_ns: Option<&str>| match_key(id, default_ns, &scopes);
    let live_by_key: HashMap<String, &Resource> =
        live.iter().map(|r| (key(r.id(), None), r)).collect();
    let applied_by_key: Option<HashMap<String, &Resource>> = options
        .last_applied
        .as_ref()
        .map(|set| set.iter().map(|r| (key(r.id(), default_ns), r)).collect());

    // Git may name a namespace for an object of a cluster-scoped kind that
    // trueup's table does not know (a CRD's): the API server drops it, and
    // Argo CD compares without it (gitops-engine's
    // TestIgnoreNamespaceForClusterScopedResources).
    let without_namespace: Vec<Option<Resource>> = desired
        .iter()
        .map(|r| {
            let id = r.id();
            if id.namespace.is_empty() || id.is_cluster_scoped() || !scopes.cluster(id) {
                return None;
            }
            let mut value = r.value().clone();
            if let Some(metadata) = value
                .as_map_mut()
                .and_then(|m| m.get_mut("metadata"))
                .and_then(Value::as_map_mut)
            {
                metadata.shift_remove("namespace");
            }
            Resource::new(value, r.origin().clone()).ok()
        })
        .collect();

    // Pair every desired object with its live and last-applied counterparts.
    let mut matched: HashSet<String> = HashSet::new();
    let mut pairs = Vec::with_capacity(desired.len());
    for (r, scoped) in desired.iter().zip(&without_namespace) {
        let (r, key) = match scoped {
            Some(copy) => (copy, key(copy.id(), None)),
            None => (r, key(r.id(), default_ns)),
        };
        let live_r = live_by_key.get(&key).copied();
        let applied = applied_by_key
            .as_ref()
            .map(|index| index.get(&key).copied());
        if !matched.insert(key.clone()) {
            return Err(Error::diff(
                "desired",
                format!("two desired objects are the same object {key} (one without a namespace?)"),
            ));
        }
        pairs.push((r, live_r, applied));
    }
    let jobs = options
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from))
        .clamp(1, pairs.len().div_ceil(64).max(1));
    let compare = |&(r, l, a): &(&Resource, Option<&Resource>, Option<Option<&Resource>>)| {
        diff_one(r, l, a, options, &scopes)
    };
    let compared: Vec<(ResourceDiff, Option<Warning>)> =
        crate::parallel::map(jobs, &pairs, compare);
    let mut resources = Vec::with_capacity(compared.len());
    let mut warnings = Vec::new();
    if live.is_empty() && !desired.is_empty() {
        // Most often a wrong file or an empty pipe, not an empty cluster.
        warnings.push(Warning {
            id: String::new(),
            message: "the live input holds no objects: every desired object is reported Missing"
                .to_owned(),
        });
    }
    for (resource, warning) in compared {
        resources.push(resource);
        warnings.extend(warning);
    }

    let apps: Vec<String> = match &options.app {
        Some(app) => vec![app.clone()],
        None => {
            // The applications of the desired objects: the tracking label
            // Git gives them, and the tracking annotations their live
            // counterparts carry.
            let labelled = desired.iter().filter_map(|r| {
                r.value()
                    .get_path(&["metadata", "labels", options.label_tracking()])
                    .and_then(Value::as_str)
            });
            let annotated = live
                .iter()
                .filter(|_| options.tracking_method.uses_annotation())
                .filter(|r| matched.contains(&key(r.id(), None)))
                .filter_map(|r| {
                    r.annotations()
                        .and_then(|a| a.get(ARGOCD_TRACKING_ANNOTATION))
                        .and_then(Value::as_str)
                        .and_then(|id| id.split_once(':'))
                        .map(|(app, _)| app)
                });
            let mut names: Vec<String> = labelled.chain(annotated).map(str::to_owned).collect();
            names.sort();
            names.dedup();
            names
        }
    };
    for r in live.iter() {
        if matched.contains(&key(r.id(), None)) || !tracked(r, options, &apps) {
            continue;
        }
        let id_text = r.id().to_string();
        let health = assess_health(r, options);
        resources.push(ResourceDiff {
            diff: unified(
                &yaml(&{
                    let mut shown = normalized_live(r.value(), r.id(), options);
                    if masks_secrets(r.id(), options) {
                        normalize::mask_secret_values(
                            &mut [&mut shown],
                            &options.sensitive_annotations,
                        );
                    }
                    shown
                }),
                "",
                &id_text,
            ),
            id: id_text,
            status: SyncStatus::Extraneous,
            health: health.as_ref().map(|h| h.status),
            health_message: health.map(|h| h.message).filter(|m| !m.is_empty()),
            changes: Vec::new(),
            patch: None,
        });
    }

    let mut summary = Summary::default();
    for r in &resources {
        match r.status {
            SyncStatus::Synced => summary.synced += 1,
            SyncStatus::OutOfSync => summary.out_of_sync += 1,
            SyncStatus::Missing => summary.missing += 1,
            SyncStatus::Extraneous => summary.extraneous += 1,
        }
    }
    let sync = if summary.out_of_sync + summary.missing + summary.extraneous == 0 {
        AppSync::Synced
    } else {
        AppSync::OutOfSync
    };
    let health = health::rollup(
        resources
            .iter()
            .filter(|r| r.status != SyncStatus::Extraneous)
            .filter_map(|r| r.health),
    );
    Ok(DiffReport {
        summary,
        sync,
        health,
        resources,
        warnings,
    })
}

/// Whether a live object carries this application's tracking (and is not
/// something a controller made from one: objects with owners, and the
/// Endpoints Kubernetes copies a Service's labels to, are never prune
/// candidates).
fn tracked(r: &Resource, options: &DiffOptions, apps: &[String]) -> bool {
    let owned = r
        .value()
        .get_path(&["metadata", "ownerReferences"])
        .and_then(Value::as_seq)
        .is_some_and(|owners| !owners.is_empty());
    if owned || (r.id().group.is_empty() && r.id().kind == "Endpoints") {
        return false;
    }
    // Argo CD's compare option: an extraneous object so marked does not
    // count against the application's sync status.
    let ignore_extraneous = r
        .annotations()
        .and_then(|a| a.get(COMPARE_OPTIONS_ANNOTATION))
        .and_then(Value::as_str)
        .is_some_and(|options| options.split(',').any(|o| o.trim() == "IgnoreExtraneous"));
    if ignore_extraneous {
        return false;
    }
    let label = r
        .value()
        .get_path(&["metadata", "labels", options.label_tracking()])
        .and_then(Value::as_str);
    let annotation = r
        .annotations()
        .and_then(|a| a.get(ARGOCD_TRACKING_ANNOTATION))
        .and_then(Value::as_str)
        .filter(|_| options.tracking_method.uses_annotation());
    if apps.is_empty() {
        return label.is_some() || annotation.is_some();
    }
    apps.iter().any(|app| {
        label == Some(app.as_str())
            || annotation.is_some_and(|a| {
                a.strip_prefix(app.as_str())
                    .is_some_and(|rest| rest.starts_with(':'))
            })
    })
}

/// Reads desired state from paths: a folder with a kustomization is
/// rendered; another folder contributes its `.yaml`, `.yml` and `.json`
/// files (as `kubectl apply -f DIR`); a file is read as manifests.
pub fn load_desired<P: AsRef<Path>>(paths: &[P]) -> Result<ManifestSet, Error> {
    let mut set = ManifestSet::new();
    for path in paths {
        let path = path.as_ref();
        let name = path.display().to_string();
        if path.is_dir() {
            let is_overlay = crate::kustomize::KUSTOMIZATION_FILE_NAMES
                .iter()
                .any(|f| path.join(f).is_file());
            if is_overlay {
                set.extend(crate::kustomize::build(path)?, &name)?;
                continue;
            }
            let mut files: Vec<_> = std::fs::read_dir(path)
                .map_err(|e| Error::io(&name, e))?
                .filter_map(|entry| entry.ok().map(|e| e.path()))
                .filter(|p| {
                    p.is_file()
                        && p.extension()
                            .is_some_and(|e| e == "yaml" || e == "yml" || e == "json")
                })
                .collect();
            files.sort();
            for file in files {
                let display = file.display().to_string();
                set.extend(crate::load_manifests_file(&file)?, &display)?;
            }
        } else {
            set.extend(crate::load_manifests_file(path)?, &name)?;
        }
    }
    Ok(set)
}

/// Reads ignore rules from a file (see [`parse_ignore_rules`]).
pub fn load_ignore_rules(path: impl AsRef<Path>) -> Result<Vec<IgnoreRule>, Error> {
    let path = path.as_ref();
    let name = path.display().to_string();
    let bytes = crate::source::read_regular_file(path, &name)?;
    let text = String::from_utf8(bytes)
        .map_err(|_| Error::diff(&name, "an ignore rules file must be UTF-8 text"))?;
    parse_ignore_rules(&text, &name)
}

/// Reads live state: a YAML or JSON file of objects, or a `kind: List` as
/// `kubectl get -o yaml` prints it.
pub fn load_live(path: impl AsRef<Path>) -> Result<ManifestSet, Error> {
    crate::load_manifests_file(path)
}
