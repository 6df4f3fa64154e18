//! Strict decoding of a manifest into its k8s-openapi type: wrong types and missing required fields
//! come from serde (with the path, via serde_path_to_error). k8s-openapi fills a missing required field
//! with its default and leaves out unknown keys, so the rest comes from a decode → encode round trip:
//! keys of the input that do not come back are unknown fields (typos); keys that come back but were
//! not in the input are required fields the input lacks (k8s-openapi always encodes required fields).

use k8s_openapi::api::{
    admissionregistration, apps, autoscaling, batch, coordination, core, discovery, networking,
    node, policy, rbac, scheduling, storage,
};
use k8s_openapi::{apiextensions_apiserver, kube_aggregator};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

/// A problem with one object, at a dotted path within it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The object does not decode: missing required field, wrong type, bad value.
    Schema { path: String, message: String },
    /// A field the type does not have (a typo, or a field of another kind or version).
    UnknownField { path: String },
    /// A required field is absent.
    MissingField { path: String },
    /// No such kind in this apiVersion as far as yadoc knows.
    UnknownKind,
}

macro_rules! kinds {
    ($($api:literal, $kind:literal => $ty:ty;)*) => {
        /// Decode `value` strictly as (`api_version`, `kind`).
        pub fn decode(api_version: &str, kind: &str, value: &Value) -> Vec<Problem> {
            match (api_version, kind) {
                $(($api, $kind) => strict::<$ty>(value),)*
                _ => vec![Problem::UnknownKind],
            }
        }

        /// The (apiVersion, kind) pairs yadoc can verify.
        pub fn known() -> &'static [(&'static str, &'static str)] {
            &[$(($api, $kind),)*]
        }
    };
}

kinds! {
    "apps/v1", "Deployment" => apps::v1::Deployment;
    "apps/v1", "StatefulSet" => apps::v1::StatefulSet;
    "apps/v1", "DaemonSet" => apps::v1::DaemonSet;
    "apps/v1", "ReplicaSet" => apps::v1::ReplicaSet;
    "v1", "Service" => core::v1::Service;
    "v1", "Pod" => core::v1::Pod;
    "v1", "Namespace" => core::v1::Namespace;
    "v1", "ConfigMap" => core::v1::ConfigMap;
    "v1", "Secret" => core::v1::Secret;
    "v1", "ServiceAccount" => core::v1::ServiceAccount;
    "v1", "PersistentVolumeClaim" => core::v1::PersistentVolumeClaim;
    "networking.k8s.io/v1", "Ingress" => networking::v1::Ingress;
    "networking.k8s.io/v1", "NetworkPolicy" => networking::v1::NetworkPolicy;
    "autoscaling/v2", "HorizontalPodAutoscaler" => autoscaling::v2::HorizontalPodAutoscaler;
    "autoscaling/v1", "HorizontalPodAutoscaler" => autoscaling::v1::HorizontalPodAutoscaler;
    "batch/v1", "Job" => batch::v1::Job;
    "batch/v1", "CronJob" => batch::v1::CronJob;
    "rbac.authorization.k8s.io/v1", "Role" => rbac::v1::Role;
    "rbac.authorization.k8s.io/v1", "RoleBinding" => rbac::v1::RoleBinding;
    "rbac.authorization.k8s.io/v1", "ClusterRole" => rbac::v1::ClusterRole;
    "rbac.authorization.k8s.io/v1", "ClusterRoleBinding" => rbac::v1::ClusterRoleBinding;
    "v1", "PersistentVolume" => core::v1::PersistentVolume;
    "v1", "ResourceQuota" => core::v1::ResourceQuota;
    "v1", "LimitRange" => core::v1::LimitRange;
    "v1", "Endpoints" => core::v1::Endpoints;
    "v1", "ReplicationController" => core::v1::ReplicationController;
    "storage.k8s.io/v1", "StorageClass" => storage::v1::StorageClass;
    "networking.k8s.io/v1", "IngressClass" => networking::v1::IngressClass;
    "policy/v1", "PodDisruptionBudget" => policy::v1::PodDisruptionBudget;
    "scheduling.k8s.io/v1", "PriorityClass" => scheduling::v1::PriorityClass;
    "discovery.k8s.io/v1", "EndpointSlice" => discovery::v1::EndpointSlice;
    "coordination.k8s.io/v1", "Lease" => coordination::v1::Lease;
    "node.k8s.io/v1", "RuntimeClass" => node::v1::RuntimeClass;
    "admissionregistration.k8s.io/v1", "MutatingWebhookConfiguration" => admissionregistration::v1::MutatingWebhookConfiguration;
    "admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration" => admissionregistration::v1::ValidatingWebhookConfiguration;
    "apiextensions.k8s.io/v1", "CustomResourceDefinition" => apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
    "apiregistration.k8s.io/v1", "APIService" => kube_aggregator::pkg::apis::apiregistration::v1::APIService;
}

fn strict<T: DeserializeOwned + Serialize>(value: &Value) -> Vec<Problem> {
    let typed: T = match serde_path_to_error::deserialize(value) {
        Ok(t) => t,
        Err(e) => {
            let path = e.path().to_string();
            return vec![Problem::Schema {
                path: if path == "." { String::new() } else { path },
                message: e.into_inner().to_string(),
            }];
        }
    };
    let back = serde_json::to_value(&typed).unwrap_or(Value::Null);
    let mut out = Vec::new();
    unknown_fields(value, &back, String::new(), &mut out);
    out
}

fn unknown_fields(input: &Value, back: &Value, path: String, out: &mut Vec<Problem>) {
    match (input, back) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in a {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                match b.get(k) {
                    Some(bv) => unknown_fields(v, bv, p, out),
                    None if v.is_null() => {}
                    None => out.push(Problem::UnknownField { path: p }),
                }
            }
            for k in b.keys().filter(|k| !a.contains_key(*k)) {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                out.push(Problem::MissingField { path: p });
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            for (i, (v, bv)) in a.iter().zip(b).enumerate() {
                unknown_fields(v, bv, format!("{path}[{i}]"), out);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_typo_is_an_unknown_field_with_its_path() {
        let v = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
            "spec": {"selector": {"app": "x"}, "ports": [{"port": 80, "targetPrt": 5000}]}});
        assert_eq!(
            decode("v1", "Service", &v),
            vec![Problem::UnknownField {
                path: "spec.ports[0].targetPrt".into()
            }]
        );
    }

    #[test]
    fn a_missing_required_field_is_a_schema_problem_with_its_path() {
        let v = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
            "spec": {"selector": {}, "template": {"spec": {"containers": [{"image": "x"}]}}}});
        let p = decode("apps/v1", "Deployment", &v);
        assert_eq!(
            p,
            vec![Problem::MissingField {
                path: "spec.template.spec.containers[0].name".into()
            }]
        );
    }

    #[test]
    fn a_wrong_type_is_a_schema_problem() {
        let v = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
            "spec": {"replicas": "one", "selector": {}, "template": {}}});
        let p = decode("apps/v1", "Deployment", &v);
        assert!(
            matches!(&p[0], Problem::Schema { path, .. } if path == "spec.replicas"),
            "{p:?}"
        );
    }

    #[test]
    fn a_valid_object_has_no_problems() {
        let v = json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "i"},
            "spec": {"rules": [{"host": "a", "http": {"paths": [{"path": "/", "pathType": "Prefix",
            "backend": {"service": {"name": "s", "port": {"number": 80}}}}]}}]}});
        assert_eq!(decode("networking.k8s.io/v1", "Ingress", &v), vec![]);
    }
}
