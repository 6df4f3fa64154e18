//! Ingresses. Upstream: kubernetes/kubernetes `pkg/apis/networking/validation/validation.go`
//! (ValidateIngressSpec: "either `defaultBackend` or `rules` must be specified"; validateIngressRules:
//! a host is a DNS-1123 subdomain or a wildcard one, "must be a DNS name, not an IP address";
//! validateHTTPIngressPath: "pathType must be specified", the pathType enum, "must be an absolute
//! path", the forbidden sequences; validateIngressBackend: a DNS-1035 service name, "cannot set both
//! port name & port number", "port name or number is required").

use serde_json::Value;

use super::{names, Out};

pub fn spec(out: &mut Out, v: &Value) {
    let s = &v["spec"];
    let rules = s["rules"].as_array().cloned().unwrap_or_default();
    if rules.is_empty() && s["defaultBackend"].is_null() {
        out.invalid(
            "spec",
            s,
            "either `defaultBackend` or `rules` must be specified",
            "add rules (host, http.paths) or a defaultBackend",
        );
    }
    if let Some(c) = s["ingressClassName"].as_str() {
        out.each(
            "spec.ingressClassName",
            c,
            names::dns1123_subdomain(c),
            "name an IngressClass (traefik in k3d)",
        );
    }
    if !s["defaultBackend"].is_null() {
        backend(out, &s["defaultBackend"], "spec.defaultBackend");
    }
    for (i, r) in rules.iter().enumerate() {
        let at = format!("spec.rules[{i}]");
        if let Some(host) = r["host"].as_str().filter(|h| !h.is_empty()) {
            let hp = format!("{at}.host");
            if host.parse::<std::net::IpAddr>().is_ok() {
                out.invalid(
                    &hp,
                    &r["host"],
                    "must be a DNS name, not an IP address",
                    "use a host name (and map it to 127.0.0.1 in /etc/hosts)",
                );
            } else if host.contains('*') {
                out.each(
                    &hp,
                    host,
                    names::wildcard_dns1123_subdomain(host),
                    "use *.example.com or a plain host name",
                );
            } else {
                out.each(
                    &hp,
                    host,
                    names::dns1123_subdomain(host),
                    "use a lower-case host name without port or scheme (myapp.local)",
                );
            }
        }
        if r["http"].is_null() {
            continue;
        }
        let paths = r["http"]["paths"].as_array().cloned().unwrap_or_default();
        if paths.is_empty() {
            out.required(&format!("{at}.http.paths"), "", "list at least one path");
        }
        for (j, p) in paths.iter().enumerate() {
            path(out, p, &format!("{at}.http.paths[{j}]"));
        }
    }
}

fn path(out: &mut Out, p: &Value, at: &str) {
    const TYPES: &[&str] = &["Exact", "ImplementationSpecific", "Prefix"];
    let text = p["path"].as_str().unwrap_or("");
    match p["pathType"].as_str() {
        None => out.required(
            &format!("{at}.pathType"),
            "pathType must be specified",
            "add pathType: Prefix",
        ),
        Some(t) if !TYPES.contains(&t) => out.unsupported(
            &format!("{at}.pathType"),
            &p["pathType"],
            TYPES,
            "use Prefix, Exact or ImplementationSpecific (that spelling)",
        ),
        Some("Exact" | "Prefix") => {
            if !text.starts_with('/') {
                out.invalid(
                    &format!("{at}.path"),
                    &p["path"],
                    "must be an absolute path",
                    "start the path with /",
                );
            } else {
                for bad in ["//", "/./", "/../", "%2f", "%2F"] {
                    if text.contains(bad) {
                        out.invalid(
                            &format!("{at}.path"),
                            &p["path"],
                            &format!("must not contain '{bad}'"),
                            "write the path plainly",
                        );
                    }
                }
                for bad in ["/..", "/."] {
                    if text.ends_with(bad) {
                        out.invalid(
                            &format!("{at}.path"),
                            &p["path"],
                            &format!("cannot end with '{bad}'"),
                            "write the path plainly",
                        );
                    }
                }
            }
        }
        Some(_) => {
            if !text.is_empty() && !text.starts_with('/') {
                out.invalid(
                    &format!("{at}.path"),
                    &p["path"],
                    "must be an absolute path",
                    "start the path with /",
                );
            }
        }
    }
    backend(out, &p["backend"], &format!("{at}.backend"));
}

fn backend(out: &mut Out, b: &Value, at: &str) {
    let svc = &b["service"];
    if svc.is_null() {
        return;
    }
    if let Some(n) = svc["name"].as_str() {
        out.each(
            &format!("{at}.service.name"),
            n,
            names::dns1035_label(n),
            "use the Service's metadata.name",
        );
    }
    let port = &svc["port"];
    let (name, number) = (
        port["name"].as_str().filter(|n| !n.is_empty()),
        port["number"].as_i64().filter(|n| *n != 0),
    );
    match (name, number) {
        (Some(_), Some(_)) => out.invalid(
            &format!("{at}.service.port"),
            port,
            "cannot set both port name & port number",
            "keep only port.number (or only port.name)",
        ),
        (Some(n), None) => out.each(
            &format!("{at}.service.port.name"),
            n,
            names::port_name(n),
            "use the name of a port of the Service",
        ),
        (None, Some(_)) => {
            for e in names::port_number(number.unwrap_or(0)) {
                out.invalid(
                    &format!("{at}.service.port.number"),
                    &port["number"],
                    &e,
                    "use the Service's port",
                );
            }
        }
        (None, None) => out.required(
            &format!("{at}.service.port"),
            "port name or number is required",
            "add port.number: the Service's port",
        ),
    }
}
