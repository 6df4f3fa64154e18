//! Pod specs (bare Pods and workload templates). Upstream: kubernetes/kubernetes
//! `pkg/apis/core/validation/validation.go`: ValidatePodSpec / validateContainers (names are DNS-1123
//! labels, unique; "spec.containers: Required value"), validateContainerPorts (containerPort
//! required and IsValidPortNum, hostPort, protocol "SCTP"/"TCP"/"UDP", IsValidPortName, unique port
//! names), validatePullPolicy, ValidateResourceRequirements ("must be less than or equal to %s limit
//! of %s", ValidateNonnegativeQuantity), validateRestartPolicy; quantities are decoded by
//! `resource.ParseQuantity` (see quantity.rs); `pkg/api/pod/warnings.go` warns on a fractional byte
//! value of memory.

use serde_json::Value;

use super::names;
use super::quantity;
use super::Out;

/// Validate a pod spec at `path`; `restart` lists the restartPolicy values its owner allows.
pub fn spec(out: &mut Out, spec: &Value, path: &str, restart: Option<&[&str]>) {
    let containers = spec["containers"].as_array().cloned().unwrap_or_default();
    if containers.is_empty() {
        out.required(
            &format!("{path}.containers"),
            "",
            "list at least one container",
        );
    }
    let mut seen: Vec<String> = Vec::new();
    for (list, items) in [
        (
            "initContainers",
            spec["initContainers"]
                .as_array()
                .cloned()
                .unwrap_or_default(),
        ),
        ("containers", containers),
    ] {
        for (i, c) in items.iter().enumerate() {
            let at = format!("{path}.{list}[{i}]");
            container(out, c, &at, &mut seen);
        }
    }
    let allowed = restart.unwrap_or(&["Always", "OnFailure", "Never"]);
    if let Some(p) = spec["restartPolicy"].as_str() {
        if !allowed.contains(&p) {
            out.unsupported(
                &format!("{path}.restartPolicy"),
                &spec["restartPolicy"],
                allowed,
                &format!("set restartPolicy: {} (or leave it out)", allowed[0]),
            );
        }
    }
}

fn container(out: &mut Out, c: &Value, at: &str, seen: &mut Vec<String>) {
    match c["name"].as_str() {
        None | Some("") => out.required(&format!("{at}.name"), "", "name the container"),
        Some(_) => {
            out.unique_label(&format!("{at}.name"), &c["name"], seen, "container");
        }
    }
    if let Some(p) = c["imagePullPolicy"].as_str() {
        const POLICIES: &[&str] = &["Always", "IfNotPresent", "Never"];
        if !POLICIES.contains(&p) {
            out.unsupported(
                &format!("{at}.imagePullPolicy"),
                &c["imagePullPolicy"],
                POLICIES,
                "use Always, IfNotPresent or Never (capitalised)",
            );
        }
    }
    let mut port_names: Vec<String> = Vec::new();
    for (j, p) in c["ports"].as_array().into_iter().flatten().enumerate() {
        let pp = format!("{at}.ports[{j}]");
        match p["containerPort"].as_i64() {
            None | Some(0) => out.required(
                &format!("{pp}.containerPort"),
                "",
                "set containerPort to the port the app listens on",
            ),
            Some(n) => {
                for e in names::port_number(n) {
                    out.invalid(
                        &format!("{pp}.containerPort"),
                        &p["containerPort"],
                        &e,
                        "use a port between 1 and 65535",
                    );
                }
            }
        }
        if let Some(h) = p["hostPort"].as_i64().filter(|h| *h != 0) {
            for e in names::port_number(h) {
                out.invalid(
                    &format!("{pp}.hostPort"),
                    &p["hostPort"],
                    &e,
                    "use a port between 1 and 65535",
                );
            }
        }
        out.protocol(&format!("{pp}.protocol"), &p["protocol"]);
        if let Some(name) = p["name"].as_str() {
            out.each(
                &format!("{pp}.name"),
                name,
                names::port_name(name),
                "port names are ≤ 15 characters of [a-z0-9-] with a letter (e.g. http)",
            );
            if port_names.iter().any(|n| n == name) {
                out.duplicate(
                    &format!("{pp}.name"),
                    &p["name"],
                    "give each port its own name",
                );
            }
            port_names.push(name.to_string());
        }
    }
    resources(out, &c["resources"], &format!("{at}.resources"));
}

fn resources(out: &mut Out, r: &Value, at: &str) {
    let mut parsed = |kind: &str| -> Vec<(String, f64, String)> {
        let mut ok = Vec::new();
        for (name, q) in r[kind].as_object().into_iter().flatten() {
            let path = format!("{at}.{kind}.{name}");
            let Some(text) = quantity::text(q) else {
                continue;
            };
            match quantity::parse(&text) {
                Err(e) => out.invalid(
                    &path,
                    q,
                    e,
                    "write a quantity such as 250m or 0.25 (cpu), 128Mi (memory)",
                ),
                Ok(v) if v < 0.0 => out.invalid(
                    &path,
                    &Value::String(text.clone()),
                    "must be greater than or equal to 0",
                    "use a non-negative quantity",
                ),
                Ok(v) => {
                    if name == "memory" && v.fract() != 0.0 {
                        out.invalid(&path, &Value::String(text.clone()), &format!("fractional byte value {text:?} is invalid, must be an integer (the API server's warning: `m` is milli, not mega)"), "write memory in bytes or with Ki/Mi/Gi (128Mi), never m");
                    }
                    ok.push((name.clone(), v, text));
                }
            }
        }
        ok
    };
    let limits = parsed("limits");
    let requests = parsed("requests");
    for (name, req, text) in &requests {
        if let Some((_, lim, lim_text)) = limits.iter().find(|(n, _, _)| n == name) {
            if req > lim {
                out.invalid(
                    &format!("{at}.requests.{name}"),
                    &Value::String(text.clone()),
                    &format!("must be less than or equal to {name} limit of {lim_text}"),
                    &format!("lower the {name} request to at most {lim_text}, or raise the limit"),
                );
            }
        }
    }
}
