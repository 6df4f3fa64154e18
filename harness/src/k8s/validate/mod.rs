//! What the API server's validation would reject, found without one: the rules `kubectl apply` meets
//! after decoding (names, labels, quantities, ports, replica bounds, enums), for the kinds the course
//! and ordinary tutorials use. Each rule follows a function of kubernetes/kubernetes, cited where it is
//! written, and reports the API server's own words for it. The rules are those of the one Kubernetes
//! version the project speaks (`k8s::version`).

mod config;
mod hpa;
mod ingress;
mod meta;
pub mod names;
mod pod;
pub mod quantity;
mod service;
mod workloads;

use serde_json::Value;

/// One rejection: where (a dotted path inside the object, for its lesson line), the API server's
/// message (`spec.maxReplicas: Invalid value: 2: must be greater than or equal to `minReplicas``),
/// and the fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub path: String,
    pub message: String,
    pub fix: String,
}

/// Collects violations with `field.Error`'s wording (apimachinery `pkg/util/validation/field/errors.go`).
#[derive(Default)]
pub(crate) struct Out(pub Vec<Violation>);

/// A value as `field.Invalid` shows it: strings quoted, numbers bare.
pub(crate) fn shown(v: &Value) -> String {
    match v {
        Value::String(s) => format!("{s:?}"),
        other => other.to_string(),
    }
}

impl Out {
    fn push(&mut self, path: &str, message: String, fix: &str) {
        self.0.push(Violation {
            path: path.to_string(),
            message,
            fix: fix.to_string(),
        });
    }

    /// `field.Invalid`: `path: Invalid value: V: detail`.
    pub fn invalid(&mut self, path: &str, value: &Value, detail: &str, fix: &str) {
        self.push(
            path,
            format!("{}: Invalid value: {}: {detail}", field(path), shown(value)),
            fix,
        );
    }

    /// `field.Required`: `path: Required value[: detail]`.
    pub fn required(&mut self, path: &str, detail: &str, fix: &str) {
        let detail = if detail.is_empty() {
            String::new()
        } else {
            format!(": {detail}")
        };
        self.push(
            path,
            format!("{}: Required value{detail}", field(path)),
            fix,
        );
    }

    /// `field.NotSupported`: `path: Unsupported value: "x": supported values: "A", "B"`.
    pub fn unsupported(&mut self, path: &str, value: &Value, supported: &[&str], fix: &str) {
        let list: Vec<String> = supported.iter().map(|s| format!("{s:?}")).collect();
        self.push(
            path,
            format!(
                "{}: Unsupported value: {}: supported values: {}",
                field(path),
                shown(value),
                list.join(", ")
            ),
            fix,
        );
    }

    /// `field.Forbidden`: `path: Forbidden: detail`.
    pub fn forbidden(&mut self, path: &str, detail: &str, fix: &str) {
        self.push(path, format!("{}: Forbidden: {detail}", field(path)), fix);
    }

    /// `field.Duplicate`: `path: Duplicate value: V`.
    pub fn duplicate(&mut self, path: &str, value: &Value, fix: &str) {
        self.push(
            path,
            format!("{}: Duplicate value: {}", field(path), shown(value)),
            fix,
        );
    }

    /// A name that must be a DNS-1123 label, unique among `seen` (container names, Service port
    /// names): `field.Invalid` for its shape, `field.Duplicate` for a repeat.
    pub fn unique_label(&mut self, path: &str, value: &Value, seen: &mut Vec<String>, what: &str) {
        let Some(n) = value.as_str() else { return };
        self.each(
            path,
            n,
            names::dns1123_label(n),
            "use lower-case letters, digits and '-'",
        );
        if seen.iter().any(|s| s == n) {
            self.duplicate(path, value, &format!("give each {what} its own name"));
        }
        seen.push(n.to_string());
    }

    /// A port's protocol, when set: `SCTP`, `TCP` or `UDP` (containers and Services alike).
    pub fn protocol(&mut self, path: &str, value: &Value) {
        const PROTOCOLS: &[&str] = &["SCTP", "TCP", "UDP"];
        if value.as_str().is_some_and(|p| !PROTOCOLS.contains(&p)) {
            self.unsupported(path, value, PROTOCOLS, "use TCP, UDP or SCTP (upper case)");
        }
    }

    /// Each message of a name rule as one `field.Invalid`.
    pub fn each(&mut self, path: &str, value: &str, errs: Vec<String>, fix: &str) {
        self.each_in(path, path, value, errs, fix);
    }

    /// As `each`, located at `line_path` while the API server names `field_path` (a label value is
    /// reported on `metadata.labels`, not on its key).
    pub fn each_in(
        &mut self,
        line_path: &str,
        field_path: &str,
        value: &str,
        errs: Vec<String>,
        fix: &str,
    ) {
        for e in errs {
            self.push(
                line_path,
                format!("{}: Invalid value: {:?}: {e}", field(field_path), value),
                fix,
            );
        }
    }
}

/// The API server's field path for one of ours: map keys in brackets
/// (`resources.requests.cpu` → `resources.requests[cpu]`).
fn field(path: &str) -> String {
    for map in [".requests.", ".limits."] {
        if let Some(i) = path.find(map) {
            let (head, key) = path.split_at(i + map.len());
            return format!("{}[{key}]", head.trim_end_matches('.'));
        }
    }
    path.to_string()
}

/// Every rule yadoc knows for (apiVersion, kind), over the decoded object as JSON.
pub fn validate(api_version: &str, kind: &str, v: &Value) -> Vec<Violation> {
    let mut out = Out::default();
    match (api_version, kind) {
        ("v1", "Namespace") => meta::object(&mut out, v, meta::Name::Dns1123Label),
        ("v1", "Service") => {
            meta::object(&mut out, v, meta::Name::Dns1035Label);
            service::spec(&mut out, v);
        }
        ("v1", "ConfigMap" | "Secret") => {
            meta::object(&mut out, v, meta::Name::Subdomain);
            config::data(&mut out, v, kind);
        }
        ("v1", "Pod") => {
            meta::object(&mut out, v, meta::Name::Subdomain);
            pod::spec(&mut out, &v["spec"], "spec", None);
        }
        ("apps/v1", "Deployment" | "ReplicaSet" | "StatefulSet" | "DaemonSet")
        | ("batch/v1", "Job") => {
            meta::object(&mut out, v, meta::Name::Subdomain);
            workloads::spec(&mut out, v, kind);
        }
        ("autoscaling/v2", "HorizontalPodAutoscaler") => {
            meta::object(&mut out, v, meta::Name::Subdomain);
            hpa::spec(&mut out, v);
        }
        ("networking.k8s.io/v1", "Ingress") => {
            meta::object(&mut out, v, meta::Name::Subdomain);
            ingress::spec(&mut out, v);
        }
        _ => {}
    }
    out.0
}

/// Whether yadoc validates this (apiVersion, kind) beyond decoding.
pub fn covers(api_version: &str, kind: &str) -> bool {
    matches!(
        (api_version, kind),
        (
            "v1",
            "Namespace" | "Service" | "ConfigMap" | "Secret" | "Pod"
        ) | (
            "apps/v1",
            "Deployment" | "ReplicaSet" | "StatefulSet" | "DaemonSet"
        ) | ("batch/v1", "Job")
            | ("autoscaling/v2", "HorizontalPodAutoscaler")
            | ("networking.k8s.io/v1", "Ingress")
    )
}

#[cfg(test)]
mod tests;
