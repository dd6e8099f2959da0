//! What a diff reports: per resource its sync status, health, field changes
//! with their causes, the converging patch and a readable diff; a summary and
//! the application's rollup. Serializes to the JSON the CLI prints.

use serde::Serialize;

use crate::health::HealthStatus;
use crate::yaml::Value;

/// Why a field differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Cause {
    /// Git changed it since the last apply; live still has what was applied.
    Change,
    /// Live changed it (by hand, or a controller); Git did not.
    Drift,
    /// Both changed it, differently.
    Conflict,
}

impl Cause {
    /// The name used in JSON and text output.
    pub fn as_str(self) -> &'static str {
        match self {
            Cause::Change => "change",
            Cause::Drift => "drift",
            Cause::Conflict => "conflict",
        }
    }
}

/// One differing field.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Change {
    /// Where: `spec.template.spec.containers[name=app].image`.
    pub path: String,
    /// Why it differs.
    pub cause: Cause,
    /// The value in the cluster (`None`: absent).
    pub live: Option<Value>,
    /// The value last applied (`None`: absent or unknown).
    pub last_applied: Option<Value>,
    /// The value in Git (`None`: absent).
    pub desired: Option<Value>,
}

/// A resource's sync status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum SyncStatus {
    /// Live matches Git.
    Synced,
    /// Live differs from Git.
    OutOfSync,
    /// In Git, not in the cluster.
    Missing,
    /// In the cluster with this application's tracking, not in Git: a prune candidate.
    Extraneous,
}

impl SyncStatus {
    /// The name used in JSON and text output.
    pub fn as_str(self) -> &'static str {
        match self {
            SyncStatus::Synced => "Synced",
            SyncStatus::OutOfSync => "OutOfSync",
            SyncStatus::Missing => "Missing",
            SyncStatus::Extraneous => "Extraneous",
        }
    }
}

/// The comparison of one resource.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceDiff {
    /// `group/kind/namespace/name`, as [`crate::ResId`] prints it.
    pub id: String,
    /// Sync status.
    pub status: SyncStatus,
    /// Health of the live object (`Missing` when absent; `None` for kinds
    /// without a health assessment).
    pub health: Option<HealthStatus>,
    /// Why the health is what it is, when there is something to say.
    pub health_message: Option<String>,
    /// The differing fields (OutOfSync only).
    pub changes: Vec<Change>,
    /// The strategic merge patch that converges live to desired (OutOfSync only).
    pub patch: Option<Value>,
    /// A unified diff of live and predicted live, normalized YAML (empty when Synced).
    pub diff: String,
}

/// How many resources have each status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    /// Resources in sync.
    pub synced: usize,
    /// Resources that differ.
    pub out_of_sync: usize,
    /// Resources in Git, not live.
    pub missing: usize,
    /// Tracked live resources not in Git.
    pub extraneous: usize,
}

/// Something worth knowing that did not stop the diff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Warning {
    /// The resource concerned (empty for a warning about the whole input).
    pub id: String,
    /// What happened.
    pub message: String,
}

impl std::fmt::Display for Warning {
    /// `ID: message`, or the message alone for the whole input.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.id.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.id, self.message)
        }
    }
}

/// The whole comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DiffReport {
    /// Counts by status.
    pub summary: Summary,
    /// The application's sync status: Synced only when every resource is.
    pub sync: AppSync,
    /// The application's health: the worst health of its resources.
    pub health: Option<HealthStatus>,
    /// One entry per resource: Git's order, then extraneous ones.
    pub resources: Vec<ResourceDiff>,
    /// Problems with the input that did not stop the diff.
    pub warnings: Vec<Warning>,
}

/// An application's sync status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum AppSync {
    /// Every resource is Synced.
    Synced,
    /// Something differs, is missing or is extraneous.
    OutOfSync,
}

impl DiffReport {
    /// Whether everything is in sync.
    pub fn in_sync(&self) -> bool {
        self.sync == AppSync::Synced
    }

    /// The report as compact JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a report always serializes")
    }

    /// The report as indented JSON.
    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(self).expect("a report always serializes")
    }

    /// The report for people: one line per resource that is not in sync,
    /// its changes and its unified diff, then the summary.
    pub fn to_text(&self) -> String {
        use std::fmt::Write as _;
        let mut out = String::new();
        for r in &self.resources {
            if r.status == SyncStatus::Synced {
                continue;
            }
            let health = r.health.map_or("-", HealthStatus::as_str);
            let _ = writeln!(out, "{:<10} {} ({health})", r.status.as_str(), r.id);
            for c in &r.changes {
                let _ = writeln!(
                    out,
                    "  {} {}: live {} -> desired {} (last applied {})",
                    c.cause.as_str(),
                    c.path,
                    show_value(&c.live),
                    show_value(&c.desired),
                    show_value(&c.last_applied),
                );
            }
            out.push_str(&r.diff);
        }
        for w in &self.warnings {
            let _ = writeln!(out, "warning: {w}");
        }
        let s = &self.summary;
        let _ = writeln!(
            out,
            "{} synced, {} out of sync, {} missing, {} extraneous; health {}",
            s.synced,
            s.out_of_sync,
            s.missing,
            s.extraneous,
            self.health.map_or("-", HealthStatus::as_str)
        );
        out
    }
}

/// A value in text reports: compact JSON, or `<absent>`.
pub(super) fn show_value(value: &Option<Value>) -> String {
    value.as_ref().map_or("<absent>".to_owned(), |v| {
        serde_json::to_string(v).unwrap_or_default()
    })
}
