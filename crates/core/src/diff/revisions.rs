//! What changes between two versions of desired state (two Git revisions of
//! an overlay, say): resources added, removed and changed, with the fields
//! that change and a unified diff — what a promotion PR will do.

use serde::Serialize;

use super::compare;
use super::report::show_value;
use crate::patch::strategic_merge::Type;
use crate::resource::ManifestSet;
use crate::yaml::Value;

/// One field that differs between the two versions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldChange {
    /// Where, as in [`super::Change::path`].
    pub path: String,
    /// The old value (`None`: absent).
    pub from: Option<Value>,
    /// The new value (`None`: absent).
    pub to: Option<Value>,
}

/// How a resource changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum ResourceChange {
    /// Only in the new version.
    Added,
    /// Only in the old version.
    Removed,
    /// In both, different.
    Changed,
}

impl ResourceChange {
    /// `added`, `removed` or `changed`, as the JSON spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceChange::Added => "added",
            ResourceChange::Removed => "removed",
            ResourceChange::Changed => "changed",
        }
    }
}

/// One resource that is not the same in both versions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResourceDelta {
    /// `group/kind/namespace/name`.
    pub id: String,
    /// Added, removed or changed.
    pub change: ResourceChange,
    /// The fields that differ (changed resources).
    pub changes: Vec<FieldChange>,
    /// A unified diff of the two versions' YAML.
    pub diff: String,
}

/// Counts of a [`DesiredDiff`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct DeltaSummary {
    /// Resources only in the new version.
    pub added: usize,
    /// Resources only in the old version.
    pub removed: usize,
    /// Resources in both, different.
    pub changed: usize,
    /// Resources in both, the same.
    pub unchanged: usize,
}

/// The difference between two versions of desired state.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DesiredDiff {
    /// Counts.
    pub summary: DeltaSummary,
    /// The resources that differ: the new version's order, then removed ones.
    pub resources: Vec<ResourceDelta>,
}

impl DesiredDiff {
    /// As indented JSON.
    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(self).expect("a diff always serializes")
    }

    /// For people: each resource's change, its fields and its unified diff.
    pub fn to_text(&self) -> String {
        use std::fmt::Write as _;
        let mut out = String::new();
        for r in &self.resources {
            let _ = writeln!(out, "{:<8} {}", r.change.as_str(), r.id);
            for c in &r.changes {
                let (from, to) = (show_value(&c.from), show_value(&c.to));
                let _ = writeln!(out, "  {}: {from} -> {to}", c.path);
            }
            out.push_str(&r.diff);
        }
        let s = &self.summary;
        let _ = writeln!(
            out,
            "{} added, {} removed, {} changed, {} unchanged",
            s.added, s.removed, s.changed, s.unchanged
        );
        out
    }
}

fn key(r: &crate::Resource) -> String {
    let id = r.id();
    format!(
        "{}/{}/{}/{}",
        id.group,
        id.kind,
        id.effective_namespace(),
        id.name
    )
}

/// An object as a report may show it: a Secret's values masked (see
/// [`super::DiffOptions::show_secrets`]).
fn shown(r: &crate::Resource) -> std::borrow::Cow<'_, crate::Value> {
    if r.id().group.is_empty() && r.id().kind == "Secret" {
        let mut value = r.value().clone();
        super::normalize::mask_secret_values(&mut [&mut value], &[]);
        std::borrow::Cow::Owned(value)
    } else {
        std::borrow::Cow::Borrowed(r.value())
    }
}

/// Compares two versions of desired state (`from`, the old one, with `to`).
/// Secret values are masked (`++++++++`, one mask per distinct value), as
/// in [`super::diff`].
pub fn compare_desired(from: &ManifestSet, to: &ManifestSet) -> DesiredDiff {
    let old: std::collections::HashMap<String, &crate::Resource> =
        from.iter().map(|r| (key(r), r)).collect();
    let mut seen = std::collections::HashSet::new();
    let mut summary = DeltaSummary::default();
    let mut resources = Vec::new();
    for r in to.iter() {
        let k = key(r);
        seen.insert(k.clone());
        let id = r.id().to_string();
        match old.get(&k) {
            None => {
                let new_yaml = crate::yaml::to_yaml(&shown(r));
                summary.added += 1;
                resources.push(ResourceDelta {
                    diff: super::unified_between("", &new_yaml, &id, "from", "to"),
                    id,
                    change: ResourceChange::Added,
                    changes: Vec::new(),
                });
            }
            Some(before) => {
                // The old version as both "last applied" and "live": every
                // difference is a change, removed fields included.
                let ty = Type::for_object(&r.id().group, &r.id().kind);
                // Both sides masked together: equal values keep equal masks.
                let (mut after, mut prior) = (
                    std::borrow::Cow::Borrowed(r.value()),
                    std::borrow::Cow::Borrowed(before.value()),
                );
                if r.id().group.is_empty() && r.id().kind == "Secret" {
                    super::normalize::mask_secret_values(
                        &mut [prior.to_mut(), after.to_mut()],
                        &[],
                    );
                }
                let c = compare::compare(
                    &after,
                    Some(&prior),
                    &prior,
                    ty,
                    None,
                    None,
                    compare::Fields::default(),
                );
                if c.changes.is_empty() {
                    summary.unchanged += 1;
                    continue;
                }
                summary.changed += 1;
                resources.push(ResourceDelta {
                    diff: super::unified_between(
                        &crate::yaml::to_yaml(&prior),
                        &crate::yaml::to_yaml(&after),
                        &id,
                        "from",
                        "to",
                    ),
                    id,
                    change: ResourceChange::Changed,
                    changes: c
                        .changes
                        .into_iter()
                        .map(|c| FieldChange {
                            path: c.path,
                            from: c.live,
                            to: c.desired,
                        })
                        .collect(),
                });
            }
        }
    }
    for r in from.iter() {
        if seen.contains(&key(r)) {
            continue;
        }
        summary.removed += 1;
        let id = r.id().to_string();
        resources.push(ResourceDelta {
            diff: super::unified_between(&crate::yaml::to_yaml(&shown(r)), "", &id, "from", "to"),
            id,
            change: ResourceChange::Removed,
            changes: Vec::new(),
        });
    }
    DesiredDiff { summary, resources }
}

#[cfg(test)]
mod secret_tests {
    use super::*;

    #[test]
    fn secret_values_are_masked_between_revisions() {
        let secret = |password: &str| {
            ManifestSet::from_yaml(
                &format!(
                    "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ndata:\n  password: {password}\n  user: YWRtaW4=\n"
                ),
                "secret.yaml",
            )
            .expect("loads")
        };
        let delta = compare_desired(&secret("b2xk"), &secret("bmV3"));
        let shown = format!("{}{}", delta.to_json_pretty(), delta.to_text());
        for value in ["b2xk", "bmV3", "YWRtaW4="] {
            assert!(!shown.contains(value), "{value} shown:\n{shown}");
        }
        let paths: Vec<&str> = delta.resources[0]
            .changes
            .iter()
            .map(|c| c.path.as_str())
            .collect();
        assert_eq!(paths, ["data.password"]);
        let added = compare_desired(&ManifestSet::new(), &secret("bmV3"));
        assert!(!added.to_text().contains("bmV3"));
    }
}
