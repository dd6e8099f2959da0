//! The three-way comparison of one object: desired (Git), last applied and
//! live, walked together. Maps by key, lists by their Kubernetes merge keys
//! (or by index when they have none), scalars by what Kubernetes considers
//! equal. Every differing field gets a cause; the walk also builds the
//! strategic merge patch that brings live to desired.

use super::managed::Owned;
use super::report::{Cause, Change};
use crate::patch::json_equal;
use crate::patch::strategic_merge::{ListMerge, Type};
use crate::yaml::{Mapping, Value};

/// Keys under which values are resource quantities (`1000m` == `1`).
const QUANTITY_PARENTS: &[&str] = &[
    "limits",
    "requests",
    "hard",
    "capacity",
    "allocatable",
    "overhead",
];

/// Quantity fields outside those maps.
const QUANTITY_FIELDS: &[&str] = &["storage", "sizeLimit"];

/// Int-or-string fields where `8080` and `"8080"` mean the same.
const INT_OR_STRING_FIELDS: &[&str] = &[
    "port",
    "targetPort",
    "containerPort",
    "hostPort",
    "nodePort",
    "maxSurge",
    "maxUnavailable",
    "minAvailable",
];

/// One step of a field path.
#[derive(Debug, Clone)]
enum Step<'v> {
    Key(&'v str),
    Item(&'static str, String),
    Index(usize),
}

/// Maps of free-form keys chosen by users: a key named `storage` or `port`
/// there is only a name, and its value only text.
const FREE_FORM_MAPS: &[&str] = &["data", "stringData", "binaryData", "annotations", "labels"];

/// How scalars at a place compare.
#[derive(Debug, Clone, Copy, Default)]
struct Equivalence {
    quantity: bool,
    int_or_string: bool,
    /// Inside a free-form map: values compare as they are.
    free_form: bool,
    /// What the tables know of the field this place is (see [`Tables`]).
    names: Names,
    /// The defaults context of a kind's path this place is at (0: none).
    kind_context: u16,
    /// A non-pointer `omitempty` field of the Kubernetes API: its zero
    /// value (`false`, `""`, `0`) is the same as no value.
    zero_absent: bool,
    /// The value the API server sets when the field is left out (the
    /// same as no value).
    server_default: Option<&'static str>,
    /// The default when the container's image tag is `latest`
    /// (`imagePullPolicy`), resolved against the sibling `image`.
    latest_default: Option<&'static str>,
    /// A field declared to hold a Go duration.
    duration: bool,
    /// Inside a custom resource, whose schema is unknown: strings with
    /// units that are the same quantity or duration are the same (the API
    /// server rewrote a typed field to its canonical form).
    units: bool,
}

/// The ids a field's name has in [`Tables`] (0: none).
#[derive(Debug, Clone, Copy, Default)]
struct Names {
    /// As a parent in the omitempty table.
    zero_parent: u16,
    /// As a `field:NAME` defaults context.
    defaults: u16,
    /// As the outer name of a `field:OUTER.NAME` defaults context.
    outer: u16,
    /// The `field:OUTER.NAME` context this place is (its parent's outer
    /// name and its own).
    pair: u16,
}

/// A server default of one field.
#[derive(Debug, Clone, Copy)]
struct ServerDefault {
    value: &'static str,
    /// When the image tag is `latest`, if that changes it.
    latest: Option<&'static str>,
}

/// What trueup knows of the built-in kinds' fields, generated from the
/// Kubernetes sources:
/// - `data/omitempty_zero.tsv` (`data/extract_omitempty.py`, k8s.io/api):
///   the fields whose zero value the API server never keeps, by the field
///   they are in;
/// - `data/defaults.tsv` (`data/extract_defaults.py`, Kubernetes 1.20.2):
///   the values the API server sets when a field is left out, by the field
///   they are in (`field:containers`), the two fields above
///   (`field:containers.ports`) or a kind's path (`kind:/Service.spec`).
struct Tables {
    /// Field name → its ids.
    names: FastMap<&'static str, Names>,
    /// (omitempty parent id, field) for the fields whose zero is no value.
    zero_fields: std::collections::HashSet<(u16, &'static str), foldhash::fast::RandomState>,
    /// (outer name id, name) → `field:OUTER.NAME` context id.
    pairs: FastMap<(u16, &'static str), u16>,
    /// `kind:GROUP/KIND` → context id.
    kinds: FastMap<&'static str, u16>,
    /// (kind context id, field name) → the context of that path.
    kind_children: FastMap<(u16, &'static str), u16>,
    /// (context id, field) → its default.
    defaults: FastMap<(u16, &'static str), ServerDefault>,
}

/// A hash map with a fast (not DoS-resistant) hash: its keys are the
/// committed tables' own.
type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

fn tables() -> &'static Tables {
    static TABLES: std::sync::OnceLock<Tables> = std::sync::OnceLock::new();
    TABLES.get_or_init(|| {
        let mut t = Tables {
            names: FastMap::default(),
            zero_fields: Default::default(),
            pairs: FastMap::default(),
            kinds: FastMap::default(),
            kind_children: FastMap::default(),
            defaults: FastMap::default(),
        };
        let rows = |text: &'static str| {
            text.lines()
                .filter(|l| !l.starts_with('#') && !l.is_empty())
                .map(|l| l.split('\t').collect::<Vec<&'static str>>())
        };
        let mut next_id = 0u16;
        let mut new_id = || {
            next_id = next_id.saturating_add(1);
            next_id
        };
        for cells in rows(include_str!("../../data/omitempty_zero.tsv")) {
            let [parent, field, ..] = cells[..] else {
                continue;
            };
            let names = t.names.entry(parent).or_default();
            if names.zero_parent == 0 {
                names.zero_parent = new_id();
            }
            let id = names.zero_parent;
            t.zero_fields.insert((id, field));
        }
        for cells in rows(include_str!("../../data/defaults.tsv")) {
            let [context, field, value, latest, ..] = cells[..] else {
                continue;
            };
            let default = ServerDefault {
                value,
                latest: (latest != "-").then_some(latest),
            };
            let id = if let Some(path) = context.strip_prefix("kind:") {
                let mut steps = path.split('.');
                let root = steps.next().unwrap_or("");
                let mut id = *t.kinds.entry(root).or_insert_with(&mut new_id);
                for step in steps {
                    id = *t
                        .kind_children
                        .entry((id, step))
                        .or_insert_with(&mut new_id);
                }
                id
            } else if let Some(names) = context.strip_prefix("field:") {
                match names.split_once('.') {
                    Some((outer, name)) => {
                        let entry = t.names.entry(outer).or_default();
                        if entry.outer == 0 {
                            entry.outer = new_id();
                        }
                        let outer = entry.outer;
                        *t.pairs.entry((outer, name)).or_insert_with(&mut new_id)
                    }
                    None => {
                        let entry = t.names.entry(names).or_default();
                        if entry.defaults == 0 {
                            entry.defaults = new_id();
                        }
                        entry.defaults
                    }
                }
            } else {
                continue;
            };
            t.defaults.insert((id, field), default);
        }
        t
    })
}

impl Equivalence {
    /// How an object of `group` and `kind` compares at its top.
    fn object(group: &str, kind: &str, custom: bool) -> Equivalence {
        let kind_context = tables()
            .kinds
            .get(format!("{group}/{kind}").as_str())
            .copied()
            .unwrap_or(0);
        Equivalence {
            kind_context,
            units: custom,
            ..Equivalence::default()
        }
    }

    fn below(self, key: &str) -> Equivalence {
        if self.free_form || FREE_FORM_MAPS.contains(&key) {
            return Equivalence {
                free_form: true,
                ..Equivalence::default()
            };
        }
        let table = tables();
        let mut names = table.names.get(key).copied().unwrap_or_default();
        names.pair = if self.names.outer == 0 {
            0
        } else {
            table
                .pairs
                .get(&(self.names.outer, key))
                .copied()
                .unwrap_or(0)
        };
        let default = [self.kind_context, self.names.pair, self.names.defaults]
            .into_iter()
            .filter(|&context| context != 0)
            .find_map(|context| table.defaults.get(&(context, key)));
        Equivalence {
            quantity: self.quantity
                || QUANTITY_PARENTS.contains(&key)
                || QUANTITY_FIELDS.contains(&key),
            int_or_string: INT_OR_STRING_FIELDS.contains(&key),
            free_form: false,
            names,
            kind_context: if self.kind_context == 0 {
                0
            } else {
                table
                    .kind_children
                    .get(&(self.kind_context, key))
                    .copied()
                    .unwrap_or(0)
            },
            zero_absent: self.names.zero_parent != 0
                && table.zero_fields.contains(&(self.names.zero_parent, key)),
            server_default: default.map(|d| d.value),
            latest_default: default.and_then(|d| d.latest),
            duration: false,
            units: self.units,
        }
    }

    /// Picks the default that depends on the image of the container the
    /// field is in (`Always` for a `latest` tag, as the API server does).
    fn for_image(mut self, image: Option<&Value>) -> Equivalence {
        if let Some(latest) = self.latest_default {
            if image
                .and_then(Value::as_str)
                .is_some_and(image_tag_is_latest)
            {
                self.server_default = Some(latest);
            }
            self.latest_default = None;
        }
        self
    }
}

/// Whether the API server takes an image reference's tag to be `latest`:
/// `latest` named, or neither a tag nor a digest (Kubernetes'
/// `parsers.ParseImageName`).
fn image_tag_is_latest(image: &str) -> bool {
    if image.contains('@') {
        return false;
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    match last.rsplit_once(':') {
        Some((_, tag)) => tag == "latest",
        None => true,
    }
}

/// Whether a scalar is the one a table's text names (`IfNotPresent`, `10`, `true`).
fn scalar_is(value: &Value, text: &str) -> bool {
    match value {
        Value::String(s) => s == text,
        Value::Int(i) => text.parse::<i64>().is_ok_and(|t| t == *i),
        Value::UInt(u) => text.parse::<u64>().is_ok_and(|t| t == *u),
        Value::Bool(b) => text.parse::<bool>().is_ok_and(|t| t == *b),
        _ => false,
    }
}

/// `false`, `""` or `0`.
fn is_zero(value: &Value) -> bool {
    match value {
        Value::Bool(b) => !b,
        Value::Int(i) => *i == 0,
        Value::UInt(u) => *u == 0,
        Value::String(s) => s.is_empty(),
        _ => false,
    }
}

/// The three versions of one field, and who owns it in live.
#[derive(Clone, Copy)]
struct Node<'v, 'o> {
    desired: Option<&'v Value>,
    applied: Option<&'v Value>,
    live: Option<&'v Value>,
    /// What hand-editing managers own at this place.
    hand: Option<&'o Owned>,
    /// What managers whose fields are ignored own at this place.
    ignored: Option<&'o Owned>,
}

/// What a field declared with a Kubernetes type holds
/// ([`super::ignore::KnownTypeField`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Holds {
    /// A resource quantity.
    Quantity,
    /// A Go duration.
    Duration,
    /// An object whose fields trueup's schema knows.
    Object(Type),
    /// Another Kubernetes type: compared with the equivalences trueup
    /// applies to every field by its name.
    Other,
}

impl Holds {
    /// What a type of Argo CD's `knownTypeFields` holds.
    pub(crate) fn of(type_name: &str) -> Holds {
        match type_name {
            "core/Quantity" => Holds::Quantity,
            "meta/v1/Duration" => Holds::Duration,
            "core/v1/PodSpec" => Holds::Object(Type::PodSpec),
            "core/v1/PodTemplateSpec" => Holds::Object(Type::PodTemplate),
            "core/v1/Container" | "core/v1/EphemeralContainer" => Holds::Object(Type::Container),
            "core/v1/ServiceSpec" => Holds::Object(Type::ServiceSpec),
            "core/v1/ObjectMeta" => Holds::Object(Type::ObjectMeta),
            _ => Holds::Other,
        }
    }
}

/// A field of the compared object declared to hold a Kubernetes type: its
/// keys from the object's top (lists on the way stand for their items).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Declared<'r> {
    pub(crate) path: Vec<&'r str>,
    pub(crate) holds: Holds,
}

/// What a comparison knows of particular fields of the object.
#[derive(Clone, Copy, Default)]
pub(crate) struct Fields<'t> {
    /// The label that tracks objects (never compared).
    pub(crate) tracking_label: &'t str,
    /// Fields declared to hold a Kubernetes type.
    pub(crate) declared: &'t [Declared<'t>],
    /// Whether the object's `status` is compared (where Git gives one).
    pub(crate) status: bool,
    /// The object's API group.
    pub(crate) group: &'t str,
    /// The object's kind.
    pub(crate) kind: &'t str,
}

/// The outcome of comparing one object.
pub(crate) struct Comparison {
    pub(crate) changes: Vec<Change>,
    /// The strategic merge patch that makes live look like desired.
    pub(crate) patch: Option<Value>,
}

/// Compares `desired` with `live` (both normalized), knowing what was last
/// applied (`None`: nothing known) and which fields hand edits and ignored
/// managers own.
pub(crate) fn compare(
    desired: &Value,
    applied: Option<&Value>,
    live: &Value,
    ty: Type,
    hand: Option<&Owned>,
    ignored: Option<&Owned>,
    fields: Fields<'_>,
) -> Comparison {
    let mut walk = Walk {
        has_last_applied: applied.is_some(),
        changes: Vec::new(),
        path: Vec::new(),
        tracking_label: fields.tracking_label,
        declared: fields.declared,
        compare_status: fields.status,
    };
    let patch = walk.node(
        ty,
        None,
        Equivalence::object(fields.group, fields.kind, ty == Type::Opaque),
        Node {
            desired: Some(desired),
            applied,
            live: Some(live),
            hand,
            ignored,
        },
        true,
    );
    Comparison {
        changes: walk.changes,
        patch,
    }
}

struct Walk<'v, 't> {
    has_last_applied: bool,
    changes: Vec<Change>,
    path: Vec<Step<'v>>,
    /// Server-owned fields and this label are never compared (the values
    /// are not copied to drop them: the walk steps over them).
    tracking_label: &'t str,
    /// Fields declared to hold a Kubernetes type.
    declared: &'t [Declared<'t>],
    /// Whether `status` is compared.
    compare_status: bool,
}

/// A value that counts: `null`, `{}` and `[]` are the same as no value (the
/// API server drops them, and manifests often carry them).
fn present(value: Option<&Value>) -> Option<&Value> {
    value.filter(|v| match v {
        Value::Null => false,
        Value::Map(m) => !m.is_empty(),
        Value::Seq(s) => !s.is_empty(),
        _ => true,
    })
}

/// Whether two values are the same to Kubernetes.
fn equivalent(a: Option<&Value>, b: Option<&Value>, eq: Equivalence) -> bool {
    fn counted(v: Option<&Value>, eq: Equivalence) -> Option<&Value> {
        // A zero the server drops, or the value it sets when the field
        // is left out, is the same as no value.
        let no_value = |v: &&Value| {
            (eq.zero_absent && is_zero(v)) || eq.server_default.is_some_and(|d| scalar_is(v, d))
        };
        present(v).filter(|v| !no_value(v))
    }
    match (counted(a, eq), counted(b, eq)) {
        (None, None) => true,
        (Some(x), Some(y)) => same(x, y, eq),
        _ => false,
    }
}

fn same(x: &Value, y: &Value, eq: Equivalence) -> bool {
    if json_equal(x, y) {
        return true;
    }
    match (x, y) {
        (Value::Map(a), Value::Map(b)) => a
            .keys()
            .chain(b.keys().filter(|k| !a.contains_key(*k)))
            .all(|k| equivalent(a.get(k), b.get(k), eq.below(k))),
        (Value::Seq(a), Value::Seq(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(p, q)| same(p, q, eq))
        }
        (Value::Map(_) | Value::Seq(_), _) | (_, Value::Map(_) | Value::Seq(_)) => false,
        _ => {
            (eq.quantity && super::quantity::equal(x, y))
                || (eq.duration && super::quantity::duration_equal(x, y))
                || (eq.units && super::quantity::same_with_units(x, y))
                || (eq.int_or_string
                    && matches!(
                        (x, y),
                        (Value::Int(_), Value::String(_)) | (Value::String(_), Value::Int(_))
                    )
                    && x.scalar_text() == y.scalar_text())
        }
    }
}

/// Whether every item has a distinct value of the merge key (otherwise the
/// list is compared by index or whole, so that no item is left out).
fn uniquely_keyed(items: &[Value], key: MergeKey) -> bool {
    let mut seen = std::collections::HashSet::with_capacity(items.len());
    for item in items {
        let Some(k) = key.of(item) else {
            return false;
        };
        if !seen.insert(k) {
            return false;
        }
    }
    true
}

/// What identifies an element of a keyed list: its merge key's value, and
/// for ports also their protocol (TCP when left out) — a Service's DNS port
/// 53 is two elements, TCP and UDP, as the API's list-map keys say.
#[derive(Debug, Clone, Copy)]
struct MergeKey {
    name: &'static str,
    with_protocol: bool,
}

impl MergeKey {
    /// The element's identity: `53`, or `53,protocol=UDP` (so that paths
    /// read `ports[port=53,protocol=UDP]`).
    fn of(self, item: &Value) -> Option<String> {
        let map = item.as_map()?;
        let value = map.get(self.name).and_then(Value::scalar_text)?;
        if !self.with_protocol {
            return Some(value);
        }
        let protocol = map
            .get("protocol")
            .and_then(Value::scalar_text)
            .unwrap_or_else(|| "TCP".to_owned());
        Some(format!("{value},protocol={protocol}"))
    }
}

/// Whether `owned` says the whole field at this place is ignored.
fn ignored_here(owned: Option<&Owned>) -> bool {
    owned.is_some_and(Owned::owns_itself)
}

/// The path in the report's notation: `spec.template.spec.containers[name=app].image`,
/// `metadata.labels["app.kubernetes.io/name"]`, `spec.rules[0]`.
fn render_path(steps: &[Step<'_>]) -> String {
    let mut out = String::new();
    for step in steps {
        match step {
            Step::Key(key) => {
                let simple = key
                    .bytes()
                    .next()
                    .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
                    && key
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
                if simple {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(key);
                } else {
                    out.push('[');
                    out.push_str(&serde_json::Value::String((*key).to_owned()).to_string());
                    out.push(']');
                }
            }
            Step::Item(key, value) => {
                out.push('[');
                out.push_str(key);
                out.push('=');
                out.push_str(value);
                out.push(']');
            }
            Step::Index(i) => {
                out.push('[');
                out.push_str(&i.to_string());
                out.push(']');
            }
        }
    }
    out
}

impl<'v> Walk<'v, '_> {
    /// The path while it is two keys or fewer (where unowned fields live).
    fn short_key_path(&self) -> Option<([&'v str; 2], usize)> {
        let mut keys = [""; 2];
        if self.path.len() > 2 {
            return None;
        }
        for (i, step) in self.path.iter().enumerate() {
            match step {
                Step::Key(k) => keys[i] = k,
                _ => return None,
            }
        }
        Some((keys, self.path.len()))
    }

    /// What the field at the current path is declared to hold, if it is.
    fn declared_here(&self) -> Option<Holds> {
        if self.declared.is_empty() {
            return None;
        }
        let keys = self.path.iter().filter_map(|step| match step {
            Step::Key(k) => Some(*k),
            _ => None,
        });
        self.declared
            .iter()
            .find(|d| d.path.iter().copied().eq(keys.clone()))
            .map(|d| d.holds)
    }

    /// Whether field `key` of the map at the current path is never compared.
    fn unowned(&self, key: &str) -> bool {
        if self.compare_status && key == "status" && self.path.is_empty() {
            return false;
        }
        self.short_key_path().is_some_and(|(keys, len)| {
            super::normalize::is_unowned_field(&keys[..len], key, self.tracking_label)
        })
    }

    /// A value at the current path as compared: without unowned fields.
    fn view<'x>(&self, value: Option<&'x Value>) -> Option<std::borrow::Cow<'x, Value>> {
        let value = present(value)?;
        let copy = self.short_key_path().and_then(|(keys, len)| {
            super::normalize::without_unowned(&keys[..len], value, self.tracking_label)
        });
        Some(match copy {
            Some(copy) => std::borrow::Cow::Owned(copy),
            None => std::borrow::Cow::Borrowed(value),
        })
    }

    /// Compares one field; returns its part of the patch.
    fn node(
        &mut self,
        ty: Type,
        list: Option<ListMerge>,
        eq: Equivalence,
        n: Node<'v, '_>,
        top: bool,
    ) -> Option<Value> {
        let (d, a, l) = (present(n.desired), present(n.applied), present(n.live));
        match (d, l) {
            (None, None) if a.is_none() => None,
            (Some(Value::Map(dm)), Some(Value::Map(lm))) => {
                let am = a.and_then(Value::as_map);
                self.map(ty, eq, dm, am, lm, n, top)
            }
            // A map Git no longer has, or never had where a person set some
            // fields: the fields Git applied and those a person set, never
            // the ones a controller added (`annotations` Git dropped keeps
            // the controller's keys).
            (None, Some(Value::Map(lm)))
                if matches!(a, Some(Value::Map(_))) || n.hand.is_some_and(|h| !h.owns_itself()) =>
            {
                let am = a.and_then(Value::as_map);
                static EMPTY: std::sync::OnceLock<Mapping> = std::sync::OnceLock::new();
                self.map(ty, eq, EMPTY.get_or_init(Mapping::default), am, lm, n, top)
            }
            (Some(Value::Seq(ds)), Some(Value::Seq(ls))) => {
                let as_ = a.and_then(Value::as_seq);
                let all_maps = ds.iter().chain(ls).all(|v| matches!(v, Value::Map(_)));
                let usable = |key: MergeKey| {
                    all_maps
                        && uniquely_keyed(ds, key)
                        && uniquely_keyed(ls, key)
                        && as_.is_none_or(|a| uniquely_keyed(a, key))
                };
                let keys = list.and_then(|m| m.key).map(|name| {
                    (
                        MergeKey {
                            name,
                            with_protocol: false,
                        },
                        MergeKey {
                            name,
                            with_protocol: name == "port",
                        },
                    )
                });
                match keys {
                    Some((key, _)) if usable(key) => self.keyed_list(ty, eq, key, ds, as_, ls, n),
                    Some((_, key)) if key.with_protocol && usable(key) => {
                        self.keyed_list(ty, eq, key, ds, as_, ls, n)
                    }
                    _ if all_maps && ds.len() == ls.len() => {
                        self.indexed_list(ty, eq, ds, as_, ls, n)
                    }
                    _ => self.leaf(eq, n),
                }
            }
            _ => self.leaf(eq, n),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn map(
        &mut self,
        ty: Type,
        eq: Equivalence,
        dm: &'v Mapping,
        am: Option<&'v Mapping>,
        lm: &'v Mapping,
        n: Node<'v, '_>,
        top: bool,
    ) -> Option<Value> {
        let mut patch = Mapping::default();
        let applied_only = am
            .into_iter()
            .flat_map(|m| m.keys())
            .filter(|k| !dm.contains_key(*k));
        // Fields only live has count only where a person set them, so they
        // are looked at only where hand edits own something.
        let live_only = lm.keys().filter(|k| {
            n.hand.is_some() && !dm.contains_key(*k) && !am.is_some_and(|m| m.contains_key(*k))
        });
        for key in dm.keys().chain(applied_only).chain(live_only) {
            if (top && matches!(key.as_str(), "apiVersion" | "kind")) || self.unowned(key) {
                continue;
            }
            let ignored = n.ignored.and_then(|o| o.field(key));
            if ignored_here(ignored) {
                continue;
            }
            let hand = n.hand.and_then(|o| o.field(key));
            let in_git = dm.contains_key(key) || am.is_some_and(|m| m.contains_key(key));
            if !in_git && hand.is_none() {
                // Set by the server or a controller, never by Git or a hand edit.
                continue;
            }
            let (mut child_ty, child_list) = ty.field(key);
            let mut child_eq = eq.below(key);
            if child_eq.latest_default.is_some() {
                child_eq = child_eq.for_image(dm.get("image").or_else(|| lm.get("image")));
            }
            self.path.push(Step::Key(key.as_str()));
            if let Some(holds) = self.declared_here() {
                match holds {
                    Holds::Quantity => child_eq.quantity = true,
                    Holds::Duration => child_eq.duration = true,
                    Holds::Object(declared) => child_ty = declared,
                    Holds::Other => {}
                }
            }
            let child = Node {
                desired: dm.get(key),
                applied: am.and_then(|m| m.get(key)),
                live: lm.get(key),
                hand,
                ignored,
            };
            if let Some(p) = self.node(child_ty, child_list, child_eq, child, false) {
                patch.insert(key.clone(), p);
            }
            self.path.pop();
        }
        (!patch.is_empty()).then_some(Value::Map(patch))
    }

    #[allow(clippy::too_many_arguments)]
    fn keyed_list(
        &mut self,
        ty: Type,
        eq: Equivalence,
        merge_key: MergeKey,
        ds: &'v [Value],
        as_: Option<&'v [Value]>,
        ls: &'v [Value],
        n: Node<'v, '_>,
    ) -> Option<Value> {
        let key = merge_key.name;
        let key_of = |item: &Value| merge_key.of(item);
        let ds_keys: Vec<Option<String>> = ds.iter().map(key_of).collect();
        let as_keys: Vec<Option<String>> = as_.unwrap_or_default().iter().map(key_of).collect();
        let ls_keys: Vec<Option<String>> = ls.iter().map(key_of).collect();
        // Each key's first element in each list, hashed: near-linear for
        // long lists (an env of thousands of variables).
        fn first_of(keys: &[Option<String>]) -> std::collections::HashMap<&str, usize> {
            let mut at = std::collections::HashMap::with_capacity(keys.len());
            for (i, k) in keys.iter().enumerate() {
                if let Some(k) = k {
                    at.entry(k.as_str()).or_insert(i);
                }
            }
            at
        }
        let (ds_at, as_at, ls_at) = (first_of(&ds_keys), first_of(&as_keys), first_of(&ls_keys));
        let mut seen = std::collections::HashSet::with_capacity(ds_keys.len() + ls_keys.len());
        let order: Vec<&String> = ds_keys
            .iter()
            .chain(&as_keys)
            .chain(&ls_keys)
            .flatten()
            .filter(|k| seen.insert(k.as_str()))
            .collect();
        let applied = as_.unwrap_or_default();
        let mut elements = Vec::new();
        for wanted in order {
            let di = ds_at.get(wanted.as_str()).map(|&i| &ds[i]);
            let ai = as_at.get(wanted.as_str()).map(|&i| &applied[i]);
            let li = ls_at.get(wanted.as_str()).map(|&i| &ls[i]);
            let Some(probe) = li.or(di).or(ai) else {
                continue;
            };
            let ignored = n.ignored.and_then(|o| o.element(probe));
            if ignored_here(ignored) {
                continue;
            }
            let hand = n.hand.and_then(|o| o.element(probe));
            if di.is_none() && ai.is_none() && hand.is_none() {
                // Added by a controller or webhook (an injected sidecar, say).
                continue;
            }
            self.path.push(Step::Item(key, wanted.clone()));
            let child = Node {
                desired: di,
                applied: ai,
                live: li,
                hand,
                ignored,
            };
            let patch = self.node(ty, None, eq, child, false);
            self.path.pop();
            let Some(patch) = patch else {
                continue;
            };
            let key_value = probe
                .as_map()
                .and_then(|m| m.get(key))
                .cloned()
                .unwrap_or_else(|| Value::String(wanted.clone()));
            // The element's identity first: its key (and protocol).
            let mut element = Mapping::default();
            element.insert(key.to_owned(), key_value);
            if merge_key.with_protocol
                && let Some(protocol) = probe.as_map().and_then(|m| m.get("protocol"))
            {
                element.insert("protocol".into(), protocol.clone());
            }
            elements.push(match patch {
                Value::Null => {
                    element.insert("$patch".into(), Value::String("delete".into()));
                    Value::Map(element)
                }
                Value::Map(fields) => {
                    for (k, v) in fields {
                        if !element.contains_key(&k) {
                            element.insert(k, v);
                        }
                    }
                    Value::Map(element)
                }
                other => other,
            });
        }
        (!elements.is_empty()).then_some(Value::Seq(elements))
    }

    /// Lists of objects without a merge key, of the same length: element by
    /// element (so server defaults inside elements are not differences); a
    /// difference replaces the whole list, as strategic merge does.
    fn indexed_list(
        &mut self,
        ty: Type,
        eq: Equivalence,
        ds: &'v [Value],
        as_: Option<&'v [Value]>,
        ls: &'v [Value],
        n: Node<'v, '_>,
    ) -> Option<Value> {
        let mut changed = false;
        for (i, (d, l)) in ds.iter().zip(ls).enumerate() {
            self.path.push(Step::Index(i));
            let child = Node {
                desired: Some(d),
                applied: as_.and_then(|a| a.get(i)),
                live: Some(l),
                hand: n.hand.and_then(|o| o.element(l)),
                ignored: n.ignored.and_then(|o| o.element(l)),
            };
            changed |= self.node(ty, None, eq, child, false).is_some();
            self.path.pop();
        }
        changed.then(|| Value::Seq(ds.to_vec()))
    }

    /// A field compared whole: it differs or not, and why.
    fn leaf(&mut self, eq: Equivalence, n: Node<'v, '_>) -> Option<Value> {
        let (d, a, l) = (
            self.view(n.desired),
            self.view(n.applied),
            self.view(n.live),
        );
        let (d, a, l) = (d.as_deref(), a.as_deref(), l.as_deref());
        if equivalent(d, l, eq) {
            return None;
        }
        let hand_owned = n.hand.is_some();
        let (git_changed, live_changed) = if self.has_last_applied {
            let live_changed = match a {
                // Never applied: a change in live is drift only when a person made it.
                None => hand_owned,
                Some(_) => !equivalent(l, a, eq),
            };
            (!equivalent(d, a, eq), live_changed)
        } else {
            // Nothing known about the last apply: a hand edit is drift,
            // anything else is Git's to change.
            (!hand_owned, hand_owned)
        };
        let cause = match (git_changed, live_changed) {
            (true, false) => Cause::Change,
            (false, true) => Cause::Drift,
            (true, true) => Cause::Conflict,
            (false, false) => return None,
        };
        self.changes.push(Change {
            path: render_path(&self.path),
            cause,
            live: l.cloned(),
            last_applied: if self.has_last_applied {
                a.cloned()
            } else {
                None
            },
            desired: d.cloned(),
        });
        Some(d.cloned().unwrap_or(Value::Null))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_paths() {
        let steps = [
            Step::Key("spec"),
            Step::Key("containers"),
            Step::Item("name", "app".into()),
            Step::Key("image"),
        ];
        assert_eq!(render_path(&steps), "spec.containers[name=app].image");
        let steps = [
            Step::Key("metadata"),
            Step::Key("labels"),
            Step::Key("app.kubernetes.io/name"),
        ];
        assert_eq!(
            render_path(&steps),
            "metadata.labels[\"app.kubernetes.io/name\"]"
        );
        assert_eq!(
            render_path(&[Step::Key("rules"), Step::Index(3)]),
            "rules[3]"
        );
    }

    #[test]
    fn lists_without_usable_merge_keys_are_still_compared() {
        let doc = |t: &str| crate::yaml::parse_documents(t).unwrap().remove(0).value;
        let ty = Type::for_object("", "Pod");
        // Two env entries share a name (the API server accepts that): nothing is skipped.
        let desired = doc(
            "spec:\n  containers:\n  - name: a\n    env:\n    - {name: X, value: '1'}\n    - {name: X, value: '2'}\n",
        );
        let live = doc(
            "spec:\n  containers:\n  - name: a\n    env:\n    - {name: X, value: '1'}\n    - {name: X, value: '3'}\n",
        );
        let c = compare(&desired, None, &live, ty, None, None, Fields::default());
        let paths: Vec<&str> = c.changes.iter().map(|c| c.path.as_str()).collect();
        assert_eq!(paths, ["spec.containers[name=a].env[1].value"]);
        // An item without its merge key.
        let desired = doc("spec:\n  containers:\n  - image: x\n");
        let live = doc("spec:\n  containers:\n  - image: y\n");
        let c = compare(&desired, None, &live, ty, None, None, Fields::default());
        assert_eq!(c.changes.len(), 1, "{:?}", c.changes);
    }

    #[test]
    fn kubernetes_equivalences() {
        let q = Equivalence::default().below("limits");
        assert!(same(&"1000m".into(), &"1".into(), q));
        assert!(!same(&"1000m".into(), &"1".into(), Equivalence::default()));
        let port = Equivalence::default().below("targetPort");
        assert!(same(&Value::Int(8080), &"8080".into(), port));
        assert!(!same(&Value::Int(8080), &"http".into(), port));
        assert!(equivalent(None, Some(&Value::Map(Mapping::default())), q));
    }

    #[test]
    fn free_form_keys_are_only_names() {
        // A ConfigMap key named `storage` or `requests` holds text, not a
        // quantity: "1Gi" and "1024Mi" there are a real drift.
        let doc = |t: &str| crate::yaml::parse_documents(t).unwrap().remove(0).value;
        let ty = Type::for_object("", "ConfigMap");
        let desired = doc("data:
  storage: 1Gi
  requests: '1'
  port: '80'
");
        let live = doc("data:
  storage: 1024Mi
  requests: 1000m
  port: '80'
");
        let c = compare(&desired, None, &live, ty, None, None, Fields::default());
        let paths: Vec<&str> = c.changes.iter().map(|c| c.path.as_str()).collect();
        assert_eq!(paths, ["data.storage", "data.requests"]);
        let below = Equivalence::default().below("data").below("limits");
        assert!(!same(&"1000m".into(), &"1".into(), below));
    }
}
