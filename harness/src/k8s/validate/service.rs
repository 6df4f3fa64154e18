//! Services. Upstream: kubernetes/kubernetes `pkg/apis/core/validation/validation.go` (ValidateService:
//! the type enum, "spec.ports: Required value", validateServicePort: IsValidPortNum, a name on every
//! port of a multi-port Service, DNS-1123 label port names, unique names, the protocol enum, a
//! targetPort that is a port number or an IANA_SVC_NAME; ValidateLabels on spec.selector).

use serde_json::Value;

use super::{meta, names, Out};

pub fn spec(out: &mut Out, v: &Value) {
    let s = &v["spec"];
    const TYPES: &[&str] = &["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"];
    let kind = s["type"].as_str().unwrap_or("ClusterIP");
    if !TYPES.contains(&kind) {
        out.unsupported(
            "spec.type",
            &s["type"],
            TYPES,
            "use ClusterIP, NodePort, LoadBalancer or ExternalName (that spelling)",
        );
    }
    meta::labels(out, &s["selector"], "spec.selector");
    let ports = s["ports"].as_array().cloned().unwrap_or_default();
    if ports.is_empty() && kind != "ExternalName" {
        out.required("spec.ports", "", "list the port the Service serves");
    }
    let mut seen: Vec<String> = Vec::new();
    for (i, p) in ports.iter().enumerate() {
        let at = format!("spec.ports[{i}]");
        match p["name"].as_str().filter(|n| !n.is_empty()) {
            None if ports.len() > 1 => out.required(
                &format!("{at}.name"),
                "",
                "name every port of a Service with several ports",
            ),
            None => {}
            Some(_) => {
                out.unique_label(&format!("{at}.name"), &p["name"], &mut seen, "port");
            }
        }
        match p["port"].as_i64() {
            Some(n) => {
                for e in names::port_number(n) {
                    out.invalid(
                        &format!("{at}.port"),
                        &p["port"],
                        &e,
                        "use a port between 1 and 65535",
                    );
                }
            }
            None => out.required(
                &format!("{at}.port"),
                "",
                "set the port the Service listens on",
            ),
        }
        out.protocol(&format!("{at}.protocol"), &p["protocol"]);
        match &p["targetPort"] {
            Value::Number(n) => {
                for e in n.as_i64().map(names::port_number).unwrap_or_default() {
                    out.invalid(
                        &format!("{at}.targetPort"),
                        &p["targetPort"],
                        &e,
                        "use the containerPort number, or its name",
                    );
                }
            }
            Value::String(name) => out.each(
                &format!("{at}.targetPort"),
                name,
                names::port_name(name),
                "use the containerPort number, or the name a container port carries",
            ),
            _ => {}
        }
    }
}
