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

/// The health of a live object, for the kinds Argo CD assesses; `None` for others.
pub fn assess(group: &str, kind: &str, live: &Value) -> Option<Health> {
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
        ("autoscaling", "HorizontalPodAutoscaler") => hpa(live),
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
const FAILED_WAITING: &[&str] = &[
    "CrashLoopBackOff",
    "ErrImagePull",
    "ImagePullBackOff",
    "CreateContainerConfigError",
    "InvalidImageName",
    "CreateContainerError",
];

fn pod(live: &Value) -> Option<Health> {
    use HealthStatus::*;
    let statuses = live
        .get_path(&["status", "containerStatuses"])
        .and_then(Value::as_seq)
        .unwrap_or_default();
    for status in statuses {
        if let Some(reason) = text(status, &["state", "waiting", "reason"])
            && FAILED_WAITING.contains(&reason)
        {
            let message = text(status, &["state", "waiting", "message"]).unwrap_or(reason);
            return Health::new(Degraded, message);
        }
    }
    match text(live, &["status", "phase"]) {
        Some("Pending") => Health::new(Progressing, "Pod is pending"),
        Some("Succeeded") => Health::new(Healthy, "Pod completed"),
        Some("Failed") => Health::new(
            Degraded,
            text(live, &["status", "message"]).unwrap_or("Pod failed"),
        ),
        Some("Running") => {
            let ready = !statuses.is_empty() && statuses.iter().all(|s| flag(s, &["ready"]));
            if ready || text(live, &["spec", "restartPolicy"]).is_some_and(|p| p != "Always") {
                Health::new(Healthy, "")
            } else {
                Health::new(Progressing, "Waiting for containers to be ready")
            }
        }
        _ => Health::new(Unknown, "Pod phase unknown"),
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

fn cron_job(live: &Value) -> Option<Health> {
    use HealthStatus::*;
    if flag(live, &["spec", "suspend"]) {
        return Health::new(Suspended, "CronJob is suspended");
    }
    Health::new(Healthy, "")
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

fn hpa(live: &Value) -> Option<Health> {
    use HealthStatus::*;
    let conditions = live
        .get_path(&["status", "conditions"])
        .and_then(Value::as_seq)
        .unwrap_or_default();
    for c in conditions {
        let failed = text(c, &["status"]) == Some("False")
            && matches!(text(c, &["type"]), Some("AbleToScale" | "ScalingActive"))
            && text(c, &["reason"]).is_some_and(|r| r.starts_with("Failed"));
        if failed {
            return Health::new(
                Degraded,
                text(c, &["message"]).unwrap_or("HPA cannot scale"),
            );
        }
    }
    if conditions.is_empty() && int(live, &["status", "currentReplicas"]).is_none() {
        return Health::new(
            Progressing,
            "Waiting for the autoscaler to observe its target",
        );
    }
    Health::new(Healthy, "")
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
}
