//! apiVersions that Kubernetes removed, and the release that removed them.

/// (apiVersion, kind, removed in, replacement apiVersion).
const REMOVED: &[(&str, &str, &str, &str)] = &[
    ("extensions/v1beta1", "Deployment", "1.16", "apps/v1"),
    ("extensions/v1beta1", "DaemonSet", "1.16", "apps/v1"),
    ("extensions/v1beta1", "ReplicaSet", "1.16", "apps/v1"),
    (
        "extensions/v1beta1",
        "NetworkPolicy",
        "1.16",
        "networking.k8s.io/v1",
    ),
    (
        "extensions/v1beta1",
        "Ingress",
        "1.22",
        "networking.k8s.io/v1",
    ),
    ("apps/v1beta1", "Deployment", "1.16", "apps/v1"),
    ("apps/v1beta2", "Deployment", "1.16", "apps/v1"),
    ("apps/v1beta1", "StatefulSet", "1.16", "apps/v1"),
    ("apps/v1beta2", "StatefulSet", "1.16", "apps/v1"),
    ("apps/v1beta2", "DaemonSet", "1.16", "apps/v1"),
    ("apps/v1beta2", "ReplicaSet", "1.16", "apps/v1"),
    (
        "networking.k8s.io/v1beta1",
        "Ingress",
        "1.22",
        "networking.k8s.io/v1",
    ),
    (
        "networking.k8s.io/v1beta1",
        "IngressClass",
        "1.22",
        "networking.k8s.io/v1",
    ),
    (
        "rbac.authorization.k8s.io/v1beta1",
        "Role",
        "1.22",
        "rbac.authorization.k8s.io/v1",
    ),
    (
        "rbac.authorization.k8s.io/v1beta1",
        "RoleBinding",
        "1.22",
        "rbac.authorization.k8s.io/v1",
    ),
    (
        "rbac.authorization.k8s.io/v1beta1",
        "ClusterRole",
        "1.22",
        "rbac.authorization.k8s.io/v1",
    ),
    (
        "rbac.authorization.k8s.io/v1beta1",
        "ClusterRoleBinding",
        "1.22",
        "rbac.authorization.k8s.io/v1",
    ),
    (
        "apiextensions.k8s.io/v1beta1",
        "CustomResourceDefinition",
        "1.22",
        "apiextensions.k8s.io/v1",
    ),
    ("batch/v1beta1", "CronJob", "1.25", "batch/v1"),
    ("policy/v1beta1", "PodDisruptionBudget", "1.25", "policy/v1"),
    (
        "policy/v1beta1",
        "PodSecurityPolicy",
        "1.25",
        "(none: use Pod Security Admission)",
    ),
    (
        "discovery.k8s.io/v1beta1",
        "EndpointSlice",
        "1.25",
        "discovery.k8s.io/v1",
    ),
    (
        "autoscaling/v2beta1",
        "HorizontalPodAutoscaler",
        "1.25",
        "autoscaling/v2",
    ),
    (
        "autoscaling/v2beta2",
        "HorizontalPodAutoscaler",
        "1.26",
        "autoscaling/v2",
    ),
    (
        "storage.k8s.io/v1beta1",
        "CSIStorageCapacity",
        "1.27",
        "storage.k8s.io/v1",
    ),
    (
        "flowcontrol.apiserver.k8s.io/v1beta2",
        "FlowSchema",
        "1.29",
        "flowcontrol.apiserver.k8s.io/v1",
    ),
    (
        "flowcontrol.apiserver.k8s.io/v1beta3",
        "FlowSchema",
        "1.32",
        "flowcontrol.apiserver.k8s.io/v1",
    ),
];

/// A removed API: the release that removed it and what to use instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removed {
    pub release: &'static str,
    pub replacement: &'static str,
}

pub fn removed(api_version: &str, kind: &str) -> Option<Removed> {
    REMOVED
        .iter()
        .find(|(v, k, _, _)| *v == api_version && *k == kind)
        .map(|(_, _, release, replacement)| Removed {
            release,
            replacement,
        })
}
