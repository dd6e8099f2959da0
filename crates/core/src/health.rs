//! Health of live objects, assessed as Argo CD does for the built-in kinds,
//! and the rollup of many into one.

use serde::Serialize;

use crate::yaml::Value;

/// A health status, from best to worst as Argo CD orders them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum HealthStatus {
    /// Running as wanted.
    Healthy,
    /// Paused or suspended on purpose.
    Suspended,
    /// Not yet where it should be, but getting there.
    Progressing,
    /// Not in the cluster.
    Missing,
    /// Failed, or will not get there.
    Degraded,
    /// Not enough information.
    Unknown,
}

impl HealthStatus {
    /// The name used in JSON and text output.
    pub fn as_str(self) -> &'static str {
        match self {
            HealthStatus::Healthy => "Healthy",
            HealthStatus::Suspended => "Suspended",
            HealthStatus::Progressing => "Progressing",
            HealthStatus::Missing => "Missing",
            HealthStatus::Degraded => "Degraded",
            HealthStatus::Unknown => "Unknown",
        }
    }
}

/// A health status and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Health {
    /// The status.
    pub status: HealthStatus,
    /// What explains it (empty when healthy for the obvious reason).
    pub message: String,
}

impl Health {
    fn new(status: HealthStatus, message: impl Into<String>) -> Option<Health> {
        Some(Health {
            status,
            message: message.into(),
        })
    }
}

/// The worst of several statuses (`None` when there are none).
pub fn rollup(statuses: impl IntoIterator<Item = HealthStatus>) -> Option<HealthStatus> {
    statuses.into_iter().max()
}

fn int(value: &Value, path: &[&str]) -> Option<i64> {
    match value.get_path(path)? {
        Value::Int(i) => Some(*i),
        Value::UInt(u) => i64::try_from(*u).ok(),
        _ => None,
    }
}

fn text<'v>(value: &'v Value, path: &[&str]) -> Option<&'v str> {
    value.get_path(path).and_then(Value::as_str)
}

fn flag(value: &Value, path: &[&str]) -> bool {
    matches!(value.get_path(path), Some(Value::Bool(true)))
}

/// The condition of `type` in `status.conditions`.
fn condition<'v>(value: &'v Value, kind: &str) -> Option<&'v Value> {
    value
        .get_path(&["status", "conditions"])?
        .as_seq()?
        .iter()
        .find(|c| text(c, &["type"]) == Some(kind))
}

/// Whether the controller has seen the latest spec.
fn observed(value: &Value) -> bool {
    match (
        int(value, &["metadata", "generation"]),
        int(value, &["status", "observedGeneration"]),
    ) {
        (Some(generation), Some(observed)) => observed >= generation,
        (Some(_), None) => false,
        _ => true,
    }
}

/// Argo CD's hook finalizer: an object being deleted that carries it is
/// assessed as usual (its hook still runs).
const HOOK_FINALIZER: &str = "argocd.argoproj.io/hook-finalizer";

/// The health of a live object, as Argo CD assesses it by default: an object
/// being deleted is Progressing ("Pending deletion"); then gitops-engine's
/// built-in checks, and the checks Argo CD ships as Lua for CronJob,
/// PodDisruptionBudget and CustomResourceDefinition (ported, so no Lua is
/// needed for them). `None` for kinds Argo CD does not assess.
pub fn assess(group: &str, kind: &str, live: &Value) -> Option<Health> {
    assess_with_scripts(group, kind, live, None)
}

/// [`assess`], with Argo CD's health scripts first where one is given for
/// the kind (after the deletion check, as Argo CD orders them).
pub fn assess_with_scripts(
    group: &str,
    kind: &str,
    live: &Value,
    scripts: Option<&crate::health_scripts::HealthScripts>,
) -> Option<Health> {
    use HealthStatus::*;
    if live
        .get_path(&["metadata", "deletionTimestamp"])
        .is_some_and(|t| !t.is_null())
    {
        let hooked = live
            .get_path(&["metadata", "finalizers"])
            .and_then(Value::as_seq)
            .is_some_and(|f| f.iter().any(|f| f.as_str() == Some(HOOK_FINALIZER)));
        if !hooked {
            return Health::new(Progressing, "Pending deletion");
        }
    }
    if let Some(scripts) = scripts
        && let Some(health) = scripts.assess(group, kind, live)
    {
        return Some(health);
    }
    let version = text(live, &["apiVersion"])
        .and_then(|v| v.rsplit('/').next())
        .unwrap_or("");
    match (group, kind) {
        ("apps", "Deployment") => deployment(live),
        ("apps", "StatefulSet") => stateful_set(live),
        ("apps", "DaemonSet") => daemon_set(live),
        ("apps", "ReplicaSet") => replica_set(live),
        ("", "Pod") => pod(live),
        ("batch", "Job") => job(live),
        ("batch", "CronJob") => cron_job(live),
        ("", "Service") => service(live),
        ("networking.k8s.io" | "extensions", "Ingress") => ingress(live),
        ("", "PersistentVolumeClaim") => pvc(live),
        ("autoscaling", "HorizontalPodAutoscaler") => hpa(live, version),
        ("apiregistration.k8s.io", "APIService") => api_service(live),
        ("argoproj.io", "Workflow") => argo_workflow(live),
        ("policy", "PodDisruptionBudget") => pod_disruption_budget(live),
        ("apiextensions.k8s.io", "CustomResourceDefinition") => custom_resource_definition(live),
        // A custom group (built-in ones have no dot, or end in .k8s.io).
        _ if group.contains('.') && !group.ends_with(".k8s.io") => kstatus(live),
        _ => None,
    }
}

/// The kstatus conventions (sigs.k8s.io/cli-utils) for a custom resource no
/// check knows, when it follows them: a spec not yet observed
/// (`status.observedGeneration` behind `metadata.generation`) or
/// `Reconciling=True` is Progressing, `Stalled=True` Degraded, `Ready=True`
/// Healthy and `Ready=False` Progressing. `None` for resources without any
/// of those conditions (as Argo CD, which assesses no health for them).
fn kstatus(live: &Value) -> Option<Health> {
    use HealthStatus::*;
    let is = |kind: &str, status: &str| {
        condition(live, kind).filter(|c| text(c, &["status"]) == Some(status))
    };
    let message = |c: &Value| text(c, &["message"]).unwrap_or("").to_owned();
    let follows = ["Ready", "Reconciling", "Stalled"]
        .iter()
        .any(|kind| condition(live, kind).is_some());
    if !follows {
        return None;
    }
    if let Some(c) = is("Stalled", "True") {
        return Health::new(Degraded, message(c));
    }
    if !observed(live) {
        return Health::new(
            Progressing,
            "Waiting for the controller to observe the latest spec",
        );
    }
    if let Some(c) = is("Reconciling", "True") {
        return Health::new(Progressing, message(c));
    }
    match (is("Ready", "True"), is("Ready", "False")) {
        (Some(c), _) => Health::new(Healthy, message(c)),
        (_, Some(c)) => Health::new(Progressing, message(c)),
        _ => None,
    }
}

fn deployment(live: &Value) -> Option<Health> {
    use HealthStatus::*;
    if flag(live, &["spec", "paused"]) {
        return Health::new(Suspended, "Deployment is paused");
    }
    if !observed(live) {
        return Health::new(
            Progressing,
            "Waiting for rollout to finish: observed deployment generation less than desired generation",
        );
    }
    if condition(live, "Progressing")
        .and_then(|c| text(c, &["reason"]))
        .is_some_and(|r| r == "ProgressDeadlineExceeded")
    {
        return Health::new(Degraded, "Deployment exceeded its progress deadline");
    }
    let wanted = int(live, &["spec", "replicas"]).unwrap_or(1);
    let updated = int(live, &["status", "updatedReplicas"]).unwrap_or(0);
    let replicas = int(live, &["status", "replicas"]).unwrap_or(0);
    let available = int(live, &["status", "availableReplicas"]).unwrap_or(0);
    if updated < wanted {
        return Health::new(
            Progressing,
            format!(
                "Waiting for rollout to finish: {updated} out of {wanted} new replicas have been updated..."
            ),
        );
    }
    if replicas > updated {
        return Health::new(
            Progressing,
            format!(
                "Waiting for rollout to finish: {} old replicas are pending termination...",
                replicas - updated
            ),
        );
    }
    if available < updated {
        return Health::new(
            Progressing,
            format!(
                "Waiting for rollout to finish: {available} of {updated} updated replicas are available..."
            ),
        );
    }
    Health::new(Healthy, "")
}

fn stateful_set(live: &Value) -> Option<Health> {
    use HealthStatus::*;
    if !observed(live) {
        return Health::new(
            Progressing,
            "Waiting for statefulset spec update to be observed...",
        );
    }
    if text(live, &["spec", "updateStrategy", "type"]) == Some("OnDelete") {
        return Health::new(Healthy, "statefulset has OnDelete update strategy");
    }
    let wanted = int(live, &["spec", "replicas"]).unwrap_or(1);
    let ready = int(live, &["status", "readyReplicas"]).unwrap_or(0);
    if ready < wanted {
        return Health::new(
            Progressing,
            format!("Waiting for {} pods to be ready...", wanted - ready),
        );
    }
    if let Some(partition) = int(
        live,
        &["spec", "updateStrategy", "rollingUpdate", "partition"],
    ) {
        let updated = int(live, &["status", "updatedReplicas"]).unwrap_or(0);
        if updated < wanted - partition {
            return Health::new(
                Progressing,
                format!(
                    "Waiting for partitioned roll out to finish: {updated} out of {} new pods have been updated...",
                    wanted - partition
                ),
            );
        }
        return Health::new(Healthy, "partitioned roll out complete");
    }
    if text(live, &["status", "updateRevision"]) != text(live, &["status", "currentRevision"]) {
        return Health::new(
            Progressing,
            "waiting for statefulset rolling update to complete",
        );
    }
    Health::new(Healthy, "")
}

fn daemon_set(live: &Value) -> Option<Health> {
    use HealthStatus::*;
    if !observed(live) {
        return Health::new(
            Progressing,
            "Waiting for rollout to finish: observed daemon set generation less than desired generation",
        );
    }
    if text(live, &["spec", "updateStrategy", "type"]) == Some("OnDelete") {
        return Health::new(Healthy, "daemon set has OnDelete update strategy");
    }
    let desired = int(live, &["status", "desiredNumberScheduled"]).unwrap_or(0);
    let updated = int(live, &["status", "updatedNumberScheduled"]).unwrap_or(0);
    let available = int(live, &["status", "numberAvailable"]).unwrap_or(0);
    if updated < desired {
        return Health::new(
            Progressing,
            format!(
                "Waiting for daemon set rollout to finish: {updated} out of {desired} new pods have been updated..."
            ),
        );
    }
    if available < desired {
        return Health::new(
            Progressing,
            format!(
                "Waiting for daemon set rollout to finish: {available} of {desired} updated pods are available..."
            ),
        );
    }
    Health::new(Healthy, "")
}

fn replica_set(live: &Value) -> Option<Health> {
    use HealthStatus::*;
    if !observed(live) {
        return Health::new(
            Progressing,
            "Waiting for rollout to finish: observed replica set generation less than desired generation",
        );
    }
    if condition(live, "ReplicaFailure").is_some_and(|c| text(c, &["status"]) == Some("True")) {
        let message = condition(live, "ReplicaFailure")
            .and_then(|c| text(c, &["message"]))
            .unwrap_or("");
        return Health::new(Degraded, message);
    }
    let wanted = int(live, &["spec", "replicas"]).unwrap_or(1);
    let available = int(live, &["status", "availableReplicas"]).unwrap_or(0);
    if available < wanted {
        return Health::new(
            Progressing,
            format!(
                "Waiting for rollout to finish: {available} out of {wanted} new replicas are available..."
            ),
        );
    }
    Health::new(Healthy, "")
}

/// Container waiting reasons that mean a pod will not start by itself.
/// gitops-engine's `getCorev1PodHealth`.
fn pod(live: &Value) -> Option<Health> {
    use HealthStatus::*;
    let statuses = |key: &str| {
        live.get_path(&["status", key])
            .and_then(Value::as_seq)
            .unwrap_or_default()
    };
    let containers = statuses("containerStatuses");
    let restart = text(live, &["spec", "restartPolicy"]).unwrap_or("Always");
    let message = || text(live, &["status", "message"]).unwrap_or("").to_owned();
    // A container that cannot start (image pull, crash loop) is Degraded,
    // but only where the pod restarts forever: a hook pod may still recover.
    if restart == "Always" {
        let failing: Vec<&str> = containers
            .iter()
            .filter_map(|c| {
                let reason = text(c, &["state", "waiting", "reason"])?;
                (reason.starts_with("Err")
                    || reason.ends_with("Error")
                    || reason.ends_with("BackOff"))
                .then(|| text(c, &["state", "waiting", "message"]).unwrap_or(""))
            })
            .collect();
        if !failing.is_empty() {
            return Health::new(Degraded, failing.join(", "));
        }
    }
    match text(live, &["status", "phase"]) {
        Some("Pending") => Health::new(Progressing, message()),
        Some("Succeeded") => Health::new(Healthy, message()),
        Some("Failed") => {
            if !message().is_empty() {
                return Health::new(Degraded, message());
            }
            let fail_message = |c: &Value| -> Option<String> {
                let terminated = c.get_path(&["state", "terminated"])?;
                if let Some(m) = text(terminated, &["message"]).filter(|m| !m.is_empty()) {
                    return Some(m.to_owned());
                }
                if text(terminated, &["reason"]) == Some("OOMKilled") {
                    return Some("OOMKilled".to_owned());
                }
                let code = int(terminated, &["exitCode"]).unwrap_or(0);
                (code != 0).then(|| {
                    let name = text(c, &["name"]).unwrap_or("");
                    format!("container \"{name}\" failed with exit code {code}")
                })
            };
            let found = statuses("initContainerStatuses")
                .iter()
                .chain(containers)
                .find_map(fail_message);
            Health::new(Degraded, found.unwrap_or_default())
        }
        Some("Running") => match restart {
            "Always" => {
                let ready =
                    condition(live, "Ready").is_some_and(|c| text(c, &["status"]) == Some("True"));
                if ready {
                    Health::new(Healthy, message())
                } else if containers.iter().any(|c| {
                    c.get_path(&["lastState", "terminated"])
                        .is_some_and(|t| !t.is_null())
                }) {
                    Health::new(Degraded, message())
                } else {
                    Health::new(Progressing, message())
                }
            }
            // Finite pods (hooks, mostly) are Progressing while they run.
            "OnFailure" | "Never" => Health::new(Progressing, message()),
            _ => Health::new(Unknown, message()),
        },
        _ => Health::new(Unknown, message()),
    }
}

fn job(live: &Value) -> Option<Health> {
    use HealthStatus::*;
    let is_true =
        |kind| condition(live, kind).is_some_and(|c| text(c, &["status"]) == Some("True"));
    if is_true("Failed") {
        let message = condition(live, "Failed")
            .and_then(|c| text(c, &["message"]))
            .unwrap_or("Job failed");
        return Health::new(Degraded, message);
    }
    if is_true("Complete") {
        return Health::new(Healthy, "Job completed");
    }
    if flag(live, &["spec", "suspend"]) || is_true("Suspended") {
        return Health::new(Suspended, "Job is suspended");
    }
    Health::new(Progressing, "Job is running")
}

/// Argo CD's `batch/CronJob/health.lua` (argo-cd 37ee0097): a suspended
/// CronJob is Healthy (argo-cd#24428), a running one too (#24429).
fn cron_job(live: &Value) -> Option<Health> {
    use HealthStatus::*;
    if flag(live, &["spec", "suspend"]) {
        return Health::new(Healthy, "CronJob is Suspended");
    }
    let Some(status) = live.get_path(&["status"]).filter(|s| !s.is_null()) else {
        return Health::new(Progressing, "Waiting for CronJob");
    };
    let Some(scheduled) = text(status, &["lastScheduleTime"]) else {
        return Health::new(Healthy, "CronJob has not been scheduled yet");
    };
    let Some(succeeded) = text(status, &["lastSuccessfulTime"]) else {
        return Health::new(
            Healthy,
            "The CronJob never completed successfully. It may not be healthy",
        );
    };
    if status
        .get_path(&["active"])
        .and_then(Value::as_seq)
        .is_some_and(|a| !a.is_empty())
    {
        return Health::new(
            Healthy,
            "The job is running. Its last execution may not have been successful",
        );
    }
    // RFC 3339 times in UTC compare as text, as the script compares them.
    if succeeded < scheduled {
        return Health::new(
            Degraded,
            "CronJob has not completed its last execution successfully",
        );
    }
    Health::new(
        Healthy,
        "CronJob has completed its last execution successfully",
    )
}

fn load_balancer_ready(live: &Value) -> bool {
    live.get_path(&["status", "loadBalancer", "ingress"])
        .and_then(Value::as_seq)
        .is_some_and(|s| !s.is_empty())
}

fn service(live: &Value) -> Option<Health> {
    use HealthStatus::*;
    if text(live, &["spec", "type"]) == Some("LoadBalancer") && !load_balancer_ready(live) {
        return Health::new(Progressing, "Waiting for the load balancer");
    }
    Health::new(Healthy, "")
}

fn ingress(live: &Value) -> Option<Health> {
    use HealthStatus::*;
    if !load_balancer_ready(live) {
        return Health::new(Progressing, "Waiting for the ingress to get an address");
    }
    Health::new(Healthy, "")
}

fn pvc(live: &Value) -> Option<Health> {
    use HealthStatus::*;
    match text(live, &["status", "phase"]) {
        Some("Bound") => Health::new(Healthy, ""),
        Some("Pending") => Health::new(Progressing, "Waiting for the claim to be bound"),
        Some("Lost") => Health::new(Degraded, "The claim lost its volume"),
        _ => Health::new(Unknown, "Claim phase unknown"),
    }
}

/// gitops-engine's `getHPAHealth`: conditions from `status.conditions`, or
/// for `autoscaling/v1` from the `autoscaling.alpha.kubernetes.io/conditions`
/// annotation (JSON); the first degraded or healthy condition decides.
fn hpa(live: &Value, version: &str) -> Option<Health> {
    use HealthStatus::*;
    let waiting = || Health::new(Progressing, "Waiting to Autoscale");
    let from_annotation;
    let conditions: &[Value] = if version == "v1" {
        let Some(annotation) = text(
            live,
            &[
                "metadata",
                "annotations",
                "autoscaling.alpha.kubernetes.io/conditions",
            ],
        ) else {
            return waiting();
        };
        match Value::from_json(annotation) {
            Ok(Value::Seq(items)) => {
                from_annotation = items;
                &from_annotation
            }
            Ok(_) | Err(_) => {
                return Health::new(Unknown, "failed to convert conditions annotation to typed");
            }
        }
    } else {
        live.get_path(&["status", "conditions"])
            .and_then(Value::as_seq)
            .unwrap_or_default()
    };
    const DEGRADED: &[(&str, &str)] = &[
        ("AbleToScale", "FailedGetScale"),
        ("AbleToScale", "FailedUpdateScale"),
        ("ScalingActive", "FailedGetResourceMetric"),
        ("ScalingActive", "InvalidSelector"),
    ];
    for c in conditions {
        let (kind, reason) = (
            text(c, &["type"]).unwrap_or(""),
            text(c, &["reason"]).unwrap_or(""),
        );
        let message = text(c, &["message"]).unwrap_or("");
        if DEGRADED.contains(&(kind, reason)) {
            return Health::new(Degraded, message);
        }
        if matches!(kind, "AbleToScale" | "ScalingLimited") && text(c, &["status"]) == Some("True")
        {
            return Health::new(Healthy, message);
        }
    }
    waiting()
}

/// gitops-engine's `getAPIServiceHealth`: its `Available` condition.
fn api_service(live: &Value) -> Option<Health> {
    use HealthStatus::*;
    match condition(live, "Available") {
        Some(c) => {
            let message = format!(
                "{}: {}",
                text(c, &["reason"]).unwrap_or(""),
                text(c, &["message"]).unwrap_or("")
            );
            if text(c, &["status"]) == Some("True") {
                Health::new(Healthy, message)
            } else {
                Health::new(Progressing, message)
            }
        }
        None => Health::new(Progressing, "Waiting to be processed"),
    }
}

/// gitops-engine's `getArgoWorkflowHealth`: the workflow's phase.
fn argo_workflow(live: &Value) -> Option<Health> {
    use HealthStatus::*;
    let message = text(live, &["status", "message"]).unwrap_or("");
    match text(live, &["status", "phase"]).unwrap_or("") {
        "" | "Pending" | "Running" => Health::new(Progressing, message),
        "Succeeded" => Health::new(Healthy, message),
        "Failed" | "Error" => Health::new(Degraded, message),
        _ => Health::new(Unknown, message),
    }
}

/// Argo CD's `policy/PodDisruptionBudget/health.lua` (argo-cd 37ee0097): a False condition is
/// Degraded unless its reason is InsufficientPods; any other makes it Healthy.
fn pod_disruption_budget(live: &Value) -> Option<Health> {
    use HealthStatus::*;
    let mut health = Health::new(Progressing, "Waiting for status");
    let conditions = live
        .get_path(&["status", "conditions"])
        .and_then(Value::as_seq)
        .unwrap_or_default();
    for c in conditions {
        let reason = text(c, &["reason"]).unwrap_or("");
        let message = format!("PodDisruptionBudget has {reason}");
        if text(c, &["status"]) == Some("False") && reason != "InsufficientPods" {
            return Health::new(Degraded, message);
        }
        health = Health::new(Healthy, message);
    }
    health
}

/// Argo CD's `apiextensions.k8s.io/CustomResourceDefinition/health.lua`
/// (argo-cd 37ee0097): conditions in order, the first telling one decides.
fn custom_resource_definition(live: &Value) -> Option<Health> {
    use HealthStatus::*;
    let conditions = live
        .get_path(&["status", "conditions"])
        .and_then(Value::as_seq)
        .unwrap_or_default();
    if conditions.is_empty() {
        return Health::new(Progressing, "Status conditions not found");
    }
    let mut established = false;
    for c in conditions {
        let message = text(c, &["message"]).unwrap_or("");
        match (
            text(c, &["type"]).unwrap_or(""),
            text(c, &["status"]).unwrap_or(""),
        ) {
            ("Terminating", "True") => {
                return Health::new(Progressing, format!("CRD is terminating: {message}"));
            }
            ("NamesAccepted", "False") => {
                return Health::new(
                    Degraded,
                    format!("CRD names have not been accepted: {message}"),
                );
            }
            ("NonStructuralSchema", "True") => {
                return Health::new(Degraded, format!("Schema violations found: {message}"));
            }
            ("Established", "True") => established = true,
            ("Established", _) if text(c, &["reason"]) == Some("Installing") => {
                return Health::new(Progressing, "CRD is being installed");
            }
            _ => {}
        }
    }
    if established {
        Health::new(Healthy, "CRD is healthy")
    } else {
        Health::new(Degraded, "CRD is not established")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::parse_documents;

    fn status(group: &str, kind: &str, text: &str) -> HealthStatus {
        let value = parse_documents(text).unwrap().remove(0).value;
        assess(group, kind, &value).unwrap().status
    }

    #[test]
    fn deployments() {
        let base = "metadata: {generation: 2}\nspec: {replicas: 3}\n";
        assert_eq!(
            status(
                "apps",
                "Deployment",
                &format!(
                    "{base}status: {{observedGeneration: 2, replicas: 3, updatedReplicas: 3, availableReplicas: 3}}\n"
                )
            ),
            HealthStatus::Healthy
        );
        assert_eq!(
            status(
                "apps",
                "Deployment",
                &format!("{base}status: {{observedGeneration: 1}}\n")
            ),
            HealthStatus::Progressing
        );
        assert_eq!(
            status(
                "apps",
                "Deployment",
                &format!(
                    "{base}status: {{observedGeneration: 2, replicas: 3, updatedReplicas: 1, conditions: [{{type: Progressing, reason: ProgressDeadlineExceeded}}]}}\n"
                )
            ),
            HealthStatus::Degraded
        );
        assert_eq!(
            status("apps", "Deployment", "spec: {paused: true}\n"),
            HealthStatus::Suspended
        );
    }

    #[test]
    fn pods_jobs_claims_services() {
        assert_eq!(
            status(
                "",
                "Pod",
                "status: {phase: Running, containerStatuses: [{ready: false, state: {waiting: {reason: CrashLoopBackOff}}}]}\n"
            ),
            HealthStatus::Degraded
        );
        assert_eq!(
            status(
                "batch",
                "Job",
                "status: {conditions: [{type: Complete, status: 'True'}]}\n"
            ),
            HealthStatus::Healthy
        );
        assert_eq!(
            status("", "PersistentVolumeClaim", "status: {phase: Pending}\n"),
            HealthStatus::Progressing
        );
        assert_eq!(
            status("", "Service", "spec: {type: LoadBalancer}\n"),
            HealthStatus::Progressing
        );
        assert_eq!(
            rollup([
                HealthStatus::Healthy,
                HealthStatus::Degraded,
                HealthStatus::Progressing
            ]),
            Some(HealthStatus::Degraded)
        );
        assert!(assess("", "ConfigMap", &Value::Null).is_none());
    }

    /// The rules of gitops-engine's `pkg/health` and of the Lua checks Argo
    /// CD ships (argo-cd 37ee0097), each from a case of their tests.
    #[test]
    fn as_argo_cd_assesses_them() {
        use HealthStatus::*;
        // Pods: a running pod that restarts only on failure is Progressing
        // (a hook), an unready one whose container was restarted Degraded.
        let running = "status: {phase: Running, conditions: [{type: Ready, status: 'False'}]";
        assert_eq!(
            status(
                "",
                "Pod",
                &format!("spec: {{restartPolicy: OnFailure}}\n{running}}}\n")
            ),
            Progressing
        );
        assert_eq!(
            status(
                "",
                "Pod",
                &format!(
                    "spec: {{restartPolicy: Always}}\n{running}, containerStatuses: [{{lastState: {{terminated: {{exitCode: 1}}}}}}]}}\n"
                )
            ),
            Degraded
        );
        assert_eq!(
            status(
                "",
                "Pod",
                "spec: {}\nstatus: {phase: Failed, containerStatuses: [{name: app, state: {terminated: {exitCode: 2}}}]}\n"
            ),
            Degraded
        );
        // HPA v1: conditions come from an annotation; none means Progressing.
        let hpa = |annotation: &str| {
            format!(
                "apiVersion: autoscaling/v1\nmetadata:\n  annotations: {{autoscaling.alpha.kubernetes.io/conditions: '{annotation}'}}\n"
            )
        };
        assert_eq!(
            status(
                "autoscaling",
                "HorizontalPodAutoscaler",
                "apiVersion: autoscaling/v1\n"
            ),
            Progressing
        );
        assert_eq!(
            status(
                "autoscaling",
                "HorizontalPodAutoscaler",
                &hpa(r#"[{"type":"AbleToScale","status":"False","reason":"FailedGetScale"}]"#)
            ),
            Degraded
        );
        assert_eq!(
            status(
                "autoscaling",
                "HorizontalPodAutoscaler",
                &hpa(r#"[{"type":"AbleToScale","status":"True","reason":"SucceededGetScale"}]"#)
            ),
            Healthy
        );
        assert_eq!(
            status(
                "autoscaling",
                "HorizontalPodAutoscaler",
                "apiVersion: autoscaling/v2\nstatus: {}\n"
            ),
            Progressing
        );
        // APIService, Argo Workflows.
        assert_eq!(
            status(
                "apiregistration.k8s.io",
                "APIService",
                "status: {conditions: [{type: Available, status: 'False'}]}\n"
            ),
            Progressing
        );
        assert_eq!(
            status(
                "apiregistration.k8s.io",
                "APIService",
                "status: {conditions: [{type: Available, status: 'True'}]}\n"
            ),
            Healthy
        );
        assert_eq!(
            status("argoproj.io", "Workflow", "status: {}\n"),
            Progressing
        );
        assert_eq!(
            status("argoproj.io", "Workflow", "status: {phase: Error}\n"),
            Degraded
        );
        // CronJob: suspended and running are Healthy (argo-cd#24428, #24429);
        // a last success before the last schedule is Degraded.
        assert_eq!(
            status("batch", "CronJob", "spec: {suspend: true}\nstatus: {}\n"),
            Healthy
        );
        assert_eq!(
            status(
                "batch",
                "CronJob",
                "spec: {}\nstatus: {lastScheduleTime: '2025-07-30T13:46:00Z', lastSuccessfulTime: '2025-07-30T13:44:19Z'}\n"
            ),
            Degraded
        );
        assert_eq!(status("batch", "CronJob", "spec: {}\n"), Progressing);
        // PodDisruptionBudget: InsufficientPods is not Degraded.
        assert_eq!(
            status(
                "policy",
                "PodDisruptionBudget",
                "status: {conditions: [{status: 'False', reason: InsufficientPods}]}\n"
            ),
            Healthy
        );
        assert_eq!(
            status(
                "policy",
                "PodDisruptionBudget",
                "status: {conditions: [{status: 'False', reason: SyncFailed}]}\n"
            ),
            Degraded
        );
        assert_eq!(
            status("policy", "PodDisruptionBudget", "status: {}\n"),
            Progressing
        );
        // CRDs: installing is Progressing, not established Degraded.
        let crd = "apiextensions.k8s.io";
        assert_eq!(
            status(
                crd,
                "CustomResourceDefinition",
                "status: {conditions: [{type: Established, status: 'False', reason: Installing}]}\n"
            ),
            Progressing
        );
        assert_eq!(
            status(
                crd,
                "CustomResourceDefinition",
                "status: {conditions: [{type: Established, status: 'False'}]}\n"
            ),
            Degraded
        );
        assert_eq!(
            status(
                crd,
                "CustomResourceDefinition",
                "status: {conditions: [{type: Established, status: 'True'}]}\n"
            ),
            Healthy
        );
        // Anything being deleted is Progressing, unless Argo CD's hook finalizer holds it.
        assert_eq!(
            status(
                "apps",
                "Deployment",
                "metadata: {deletionTimestamp: '2026-01-01T00:00:00Z'}\nspec: {paused: true}\n"
            ),
            Progressing
        );
        assert_eq!(
            status(
                "apps",
                "Deployment",
                "metadata: {deletionTimestamp: '2026-01-01T00:00:00Z', finalizers: [argocd.argoproj.io/hook-finalizer]}\nspec: {paused: true}\n"
            ),
            Suspended
        );
    }

    /// kstatus (sigs.k8s.io/cli-utils) for custom resources without a check.
    #[test]
    fn custom_resources_that_follow_kstatus() {
        use HealthStatus::*;
        let g = "example.com";
        assert_eq!(
            status(
                g,
                "Widget",
                "status: {conditions: [{type: Ready, status: 'True'}]}\n"
            ),
            Healthy
        );
        assert_eq!(
            status(
                g,
                "Widget",
                "status: {conditions: [{type: Ready, status: 'False'}]}\n"
            ),
            Progressing
        );
        assert_eq!(
            status(
                g,
                "Widget",
                "status: {conditions: [{type: Ready, status: 'True'}, {type: Stalled, status: 'True'}]}\n"
            ),
            Degraded
        );
        assert_eq!(
            status(
                g,
                "Widget",
                "metadata: {generation: 3}\nstatus: {observedGeneration: 2, conditions: [{type: Ready, status: 'True'}]}\n"
            ),
            Progressing
        );
        // No kstatus condition, or a built-in group: no health, as in Argo CD.
        let none = |group: &str, text: &str| {
            let value = parse_documents(text).unwrap().remove(0).value;
            assess(group, "Widget", &value)
        };
        assert_eq!(
            none(
                g,
                "status: {conditions: [{type: Synced, status: 'True'}]}\n"
            ),
            None
        );
        assert_eq!(
            none(
                "storage.k8s.io",
                "status: {conditions: [{type: Ready, status: 'True'}]}\n"
            ),
            None
        );
    }
}
