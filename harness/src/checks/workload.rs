//! The objects of a lesson agree with each other: selectors, labels, ports, backends, HPA targets.

use serde_json::Value;

use super::context::{at, join, pod_templates, Ctx, Manifest};
use super::finding::Examined;
use crate::lesson::steps::StepKind;

pub const DEPLOYMENT_SELECTOR: &str = "xref.deployment-selector";
pub const SERVICE_SELECTOR: &str = "xref.service-selector";
pub const SERVICE_TARGET_PORT: &str = "xref.service-target-port";
pub const INGRESS_BACKEND: &str = "xref.ingress-backend";
pub const HPA_TARGET: &str = "xref.hpa-target";
pub const HPA_REQUESTS: &str = "xref.hpa-requests";

fn labels_match(selector: &Value, labels: &Value) -> bool {
    selector
        .as_object()
        .is_some_and(|s| !s.is_empty() && s.iter().all(|(k, v)| labels.get(k) == Some(v)))
}

fn show(v: &Value) -> String {
    match v.as_object() {
        Some(m) if !m.is_empty() => m
            .iter()
            .map(|(k, v)| {
                format!(
                    "{k}={}",
                    v.as_str()
                        .map(String::from)
                        .unwrap_or_else(|| v.to_string())
                )
            })
            .collect::<Vec<_>>()
            .join(","),
        _ => "(none)".into(),
    }
}

/// A Deployment's selector matches its own pod template's labels.
pub fn deployment_selector(ctx: &Ctx) -> Examined {
    let mut out = Examined::new();
    for d in ctx.of_kind("Deployment") {
        out.saw(d.label());
        let v = d.value().unwrap_or(&Value::Null);
        let sel = &v["spec"]["selector"]["matchLabels"];
        let labels = &v["spec"]["template"]["metadata"]["labels"];
        if !labels_match(sel, labels) {
            out.found(
                ctx.finding(DEPLOYMENT_SELECTOR, d.line("spec.selector.matchLabels"))
                    .expected(format!("spec.selector.matchLabels of {} to match the template labels ({}, line {})", d.label(), show(labels), d.line("spec.template.metadata.labels")))
                    .observed(format!("matchLabels {}", show(sel)))
                    .fix("make spec.selector.matchLabels a subset of spec.template.metadata.labels (the API server rejects the Deployment otherwise)"),
            );
        }
    }
    out
}

/// The pod templates in a namespace whose labels a selector matches.
fn selected<'c, 'a>(
    ctx: &'c Ctx<'a>,
    ns: &str,
    selector: &Value,
) -> Vec<(&'c Manifest<'a>, String)> {
    pod_templates(ctx)
        .into_iter()
        .filter(|(m, p)| {
            m.namespace() == ns
                && labels_match(
                    selector,
                    at(
                        m.value().unwrap_or(&Value::Null),
                        &join(p, "metadata.labels"),
                    ),
                )
        })
        .collect()
}

/// The pods kubectl commands of the lesson make, as (what makes them, namespace, labels):
/// `kubectl create deployment NAME` labels its pods `app: NAME`
/// (staging/src/k8s.io/kubectl/pkg/cmd/create/create_deployment.go), `kubectl run NAME` labels its
/// pod `run: NAME` unless `--labels` says otherwise (pkg/cmd/run/run.go).
fn command_pods(ctx: &Ctx) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for s in ctx.lesson.commands() {
        let (what, name, ns) = match &s.kind {
            StepKind::CreateObject {
                object,
                name,
                namespace,
            } if object == "Deployment" => (
                format!("`kubectl create deployment {name}`"),
                name,
                namespace,
            ),
            StepKind::RunPod {
                name, namespace, ..
            } => (format!("`kubectl run {name}`"), name, namespace),
            _ => continue,
        };
        let mut labels = serde_json::Map::new();
        let given = s
            .words
            .iter()
            .find_map(|w| w.strip_prefix("--labels=").or(w.strip_prefix("-l=")));
        match (&s.kind, given) {
            (StepKind::RunPod { .. }, Some(given)) => {
                for pair in given.split(',') {
                    if let Some((k, v)) = pair.split_once('=') {
                        labels.insert(k.to_string(), Value::String(v.to_string()));
                    }
                }
            }
            (StepKind::RunPod { .. }, None) => {
                labels.insert("run".into(), Value::String(name.clone()));
            }
            _ => {
                labels.insert("app".into(), Value::String(name.clone()));
            }
        }
        let ns = ns.clone().unwrap_or_else(|| "default".into());
        out.push((
            format!("{what} (line {})", s.line),
            ns,
            Value::Object(labels),
        ));
    }
    out
}

/// A Service selects the pods of a workload in its namespace.
pub fn service_selector(ctx: &Ctx) -> Examined {
    let mut out = Examined::new();
    let by_command = command_pods(ctx);
    for s in ctx.of_kind("Service") {
        let sel = &s.value().unwrap_or(&Value::Null)["spec"]["selector"];
        if sel.is_null() {
            continue;
        }
        out.saw(s.label());
        if !selected(ctx, s.namespace(), sel).is_empty()
            || by_command
                .iter()
                .any(|(_, ns, labels)| ns == s.namespace() && labels_match(sel, labels))
        {
            continue;
        }
        let pods: Vec<String> = pod_templates(ctx)
            .iter()
            .map(|(m, p)| {
                format!(
                    "{} in namespace {} has labels {}",
                    m.label(),
                    m.namespace(),
                    show(at(
                        m.value().unwrap_or(&Value::Null),
                        &join(p, "metadata.labels")
                    ))
                )
            })
            .chain(by_command.iter().map(|(what, ns, labels)| {
                format!(
                    "the pods of {what} in namespace {ns} have labels {}",
                    show(labels)
                )
            }))
            .collect();
        out.found(
            ctx.finding(SERVICE_SELECTOR, s.line("spec.selector"))
                .expected(format!("the selector of {} to match the pods of a workload in namespace {}", s.label(), s.namespace()))
                .observed(format!("selector {} matches no pod template ({})", show(sel), if pods.is_empty() { "the lesson has none".into() } else { pods.join("; ") }))
                .fix("make the Service's selector equal the pod template labels, in the same namespace"),
        );
    }
    out
}

/// Container ports (number, name) of the selected pod templates.
fn container_ports(m: &Manifest, template: &str) -> Vec<(i64, String, usize)> {
    let v = m.value().unwrap_or(&Value::Null);
    let spec = join(template, "spec");
    let mut out = Vec::new();
    for (ci, c) in at(v, &spec)["containers"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        for (pi, p) in c["ports"].as_array().into_iter().flatten().enumerate() {
            if let Some(n) = p["containerPort"].as_i64() {
                let path = format!("{spec}.containers[{ci}].ports[{pi}].containerPort");
                out.push((
                    n,
                    p["name"].as_str().unwrap_or("").to_string(),
                    m.line(&path),
                ));
            }
        }
    }
    out
}

/// A Service's targetPort is a port the selected containers declare.
pub fn service_target_port(ctx: &Ctx) -> Examined {
    let mut out = Examined::new();
    for s in ctx.of_kind("Service") {
        // as stored: a port with no targetPort targets its own port (SetDefaults_Service)
        let v = s.stored_value().unwrap_or(&Value::Null);
        let pods = selected(ctx, s.namespace(), &v["spec"]["selector"]);
        let declared: Vec<(i64, String, usize)> = pods
            .iter()
            .flat_map(|(m, p)| container_ports(m, p))
            .collect();
        if declared.is_empty() {
            continue;
        }
        for (i, port) in v["spec"]["ports"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
        {
            let target = &port["targetPort"];
            let defaulted = s
                .defaulted(&format!("spec.ports[{i}].targetPort"))
                .map(|a| a.says());
            let ok = match target {
                Value::Number(n) => declared.iter().any(|(d, _, _)| Some(*d) == n.as_i64()),
                Value::String(name) => declared
                    .iter()
                    .any(|(d, n, _)| n == name || d.to_string() == *name),
                // no port to compare: the schema check reports it
                _ => continue,
            };
            out.saw(format!("{} port {i}: targetPort {target}", s.label()));
            if !ok {
                let (d, _, line) = &declared[0];
                // three ports must agree: the app's, the containerPort, the targetPort. When the
                // targetPort is the app's, the containerPort is the odd one out: docker.port names it,
                // once, and this finding would only propose the opposite fix
                if let Some((app, _, app_line, how)) = super::docker::bound_port(ctx) {
                    if target.as_i64() == Some(i64::from(app))
                        && *d != i64::from(app)
                        && super::docker::deploys_built_image(ctx)
                    {
                        out.note(format!(
                            "{}: targetPort {target} is the port the app listens on ({how}, line {app_line}); the containerPort {d} at line {line} is the odd one out, reported by docker.port",
                            s.label()
                        ));
                        continue;
                    }
                }
                let path = if defaulted.is_some() {
                    format!("spec.ports[{i}].port")
                } else {
                    format!("spec.ports[{i}].targetPort")
                };
                // a derived copy is fixed where it is copied from
                let source = s
                    .doc
                    .as_ref()
                    .ok()
                    .and_then(|doc| s.artifact.source_of(s.offset + doc.line_of(&path)));
                let (observed, fix) = match &source {
                    Some(src) => (
                        format!("targetPort {target} in {} (a copy of {src})", s.label()),
                        format!(
                            "{file} is not shown in {lesson}: it is a copy of {src}, which its own lesson needs as it is; show {lesson}'s own {file} with targetPort {d} (a block the lesson shows replaces the copy), or change the containerPort and the app's port back together",
                            file = s.artifact.name,
                            lesson = ctx.lesson.file_name()
                        ),
                    ),
                    None => (
                        match &defaulted {
                            Some(d) => format!("targetPort {target} in {}: it is not set, and {d}", s.label()),
                            None => format!("targetPort {target} in {}", s.label()),
                        },
                        format!("set targetPort to {d}, or change the containerPort and the app's port together"),
                    ),
                };
                out.found(
                    ctx.finding(SERVICE_TARGET_PORT, s.line(&path))
                        .expected(format!(
                            "targetPort {d}, the containerPort of the selected pods (line {line})"
                        ))
                        .observed(observed)
                        .fix(fix),
                );
            }
        }
    }
    out
}

/// Every Ingress backend names a Service of its namespace, on a port that Service has.
pub fn ingress_backend(ctx: &Ctx) -> Examined {
    let mut out = Examined::new();
    for ing in ctx.of_kind("Ingress") {
        let v = ing.value().unwrap_or(&Value::Null);
        for (ri, rule) in v["spec"]["rules"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
        {
            for (pi, path) in rule["http"]["paths"]
                .as_array()
                .into_iter()
                .flatten()
                .enumerate()
            {
                let base = format!("spec.rules[{ri}].http.paths[{pi}].backend.service");
                let b = &path["backend"]["service"];
                if b.is_null() {
                    continue;
                }
                out.saw(format!("{} rule {ri} path {pi}", ing.label()));
                let name = b["name"].as_str().unwrap_or("");
                let svc = ctx
                    .of_kind("Service")
                    .find(|s| s.name() == name && s.namespace() == ing.namespace());
                let Some(svc) = svc else {
                    // a Service the commands make (`kubectl expose`), or none shown in the
                    // Ingress's namespace at all (an example about the Ingress alone): not judged
                    let made = ctx.steps().any(|(_, k)| matches!(k, StepKind::CreateObject { object, name: n, .. } if object == "Service" && n == name));
                    let none_there = !ctx
                        .of_kind("Service")
                        .any(|s| s.namespace() == ing.namespace());
                    if made || none_there || ctx.elsewhere().is_some() {
                        out.note(format!(
                            "{}: backend Service `{name}` is not shown in namespace {}; not checked",
                            ing.label(),
                            ing.namespace()
                        ));
                        continue;
                    }
                    let names: Vec<String> = ctx
                        .of_kind("Service")
                        .map(|s| format!("{} in {}", s.name(), s.namespace()))
                        .collect();
                    out.found(
                        ctx.finding(INGRESS_BACKEND, ing.line(&format!("{base}.name")))
                            .expected(format!("a Service {} in namespace {} (the Ingress's)", super::context::named(name), ing.namespace()))
                            .observed(if names.is_empty() { "the lesson defines no Service".into() } else { format!("Services: {}", names.join(", ")) })
                            .fix("make the backend's service name equal the Service's metadata.name, in the same namespace"),
                    );
                    continue;
                };
                let ports = svc.value().unwrap_or(&Value::Null)["spec"]["ports"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                let number = b["port"]["number"].as_i64();
                let pname = b["port"]["name"].as_str();
                let ok = ports.iter().any(|p| {
                    (number.is_some() && p["port"].as_i64() == number)
                        || (pname.is_some() && p["name"].as_str() == pname)
                });
                if !ok {
                    let have: Vec<String> = ports.iter().map(|p| p["port"].to_string()).collect();
                    out.found(
                        ctx.finding(INGRESS_BACKEND, ing.line(&format!("{base}.port")))
                            .expected(format!(
                                "a port of Service {} ({}, line {})",
                                svc.name(),
                                have.join(", "),
                                svc.line("spec.ports")
                            ))
                            .observed(format!(
                                "backend port {}",
                                number
                                    .map(|n| n.to_string())
                                    .or(pname.map(String::from))
                                    .unwrap_or_else(|| "(none)".into())
                            ))
                            .fix(format!(
                                "set the backend's port.number to {}",
                                have.first().cloned().unwrap_or_default()
                            )),
                    );
                }
            }
        }
    }
    out
}

/// An HPA's scaleTargetRef names a workload of the lesson, in its namespace.
pub fn hpa_target(ctx: &Ctx) -> Examined {
    let mut out = Examined::new();
    for h in ctx.of_kind("HorizontalPodAutoscaler") {
        out.saw(h.label());
        let r = &h.value().unwrap_or(&Value::Null)["spec"]["scaleTargetRef"];
        let (kind, name, api) = (
            r["kind"].as_str().unwrap_or(""),
            r["name"].as_str().unwrap_or(""),
            r["apiVersion"].as_str().unwrap_or(""),
        );
        let target = ctx
            .manifests
            .iter()
            .find(|m| m.kind() == kind && m.name() == name && m.namespace() == h.namespace());
        match target {
            None => {
                let have: Vec<String> = pod_templates(ctx)
                    .iter()
                    .map(|(m, _)| format!("{} in {}", m.label(), m.namespace()))
                    .collect();
                // a target the lesson's commands make, or one from outside the lesson (it shows
                // no workload at all, or brings files it does not show): not judged
                let made = ctx.steps().any(|(_, k)| matches!(k, StepKind::CreateObject { object, name: n, .. } if object == kind && n == name));
                if made {
                    continue;
                }
                if have.is_empty() || ctx.elsewhere().is_some() {
                    out.note(format!(
                        "{}: its target {kind} {name} is not in this lesson ({}); not checked",
                        h.label(),
                        ctx.elsewhere()
                            .unwrap_or_else(|| "the lesson shows no workload".into())
                    ));
                    continue;
                }
                out.found(
                    ctx.finding(HPA_TARGET, h.line("spec.scaleTargetRef.name"))
                        .expected(format!("a {} {} in namespace {}", if kind.is_empty() { "workload" } else { kind }, super::context::named(name), h.namespace()))
                        .observed(if have.is_empty() { "the lesson defines no workload".into() } else { format!("workloads: {}", have.join(", ")) })
                        .fix("make scaleTargetRef's kind and name those of the Deployment, in the HPA's namespace"),
                );
            }
            Some(t) if t.value().and_then(|v| v["apiVersion"].as_str()) != Some(api) => out.found(
                ctx.finding(HPA_TARGET, h.line("spec.scaleTargetRef.apiVersion"))
                    .expected(format!(
                        "scaleTargetRef.apiVersion {}",
                        t.value()
                            .and_then(|v| v["apiVersion"].as_str())
                            .unwrap_or("")
                    ))
                    .observed(format!("`{api}`"))
                    .fix("use the target's apiVersion"),
            ),
            _ => {}
        }
    }
    out
}

/// Utilization targets are percentages of requests: every container of the target needs a request.
pub fn hpa_requests(ctx: &Ctx) -> Examined {
    let mut out = Examined::new();
    for h in ctx.of_kind("HorizontalPodAutoscaler") {
        // as stored: an HPA with no metrics targets cpu at 80 %, and a container's requests
        // default to its limits on the pods the template makes (k8s/defaults.rs)
        let hv = h.stored_value().unwrap_or(&Value::Null);
        let r = &hv["spec"]["scaleTargetRef"];
        let Some((t, tpl)) = pod_templates(ctx).into_iter().find(|(m, _)| {
            Some(m.kind()) == r["kind"].as_str()
                && Some(m.name()) == r["name"].as_str()
                && m.namespace() == h.namespace()
        }) else {
            continue;
        };
        let spec = join(&tpl, "spec");
        for (mi, metric) in hv["spec"]["metrics"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
        {
            let res = &metric["resource"];
            if metric["type"] != "Resource" || res["target"]["type"] != "Utilization" {
                continue;
            }
            let rname = res["name"].as_str().unwrap_or("");
            out.saw(format!(
                "{} metric {mi} ({rname}) on {}",
                h.label(),
                t.label()
            ));
            // the metric itself may be the default (no metrics written): say so, and locate at
            // the HPA's spec
            let metric_default = h.defaulted("spec.metrics").map(|a| a.says());
            let at_line = match &metric_default {
                Some(_) => h.line("spec"),
                None => h.line(&format!("spec.metrics[{mi}].resource.name")),
            };
            for (ci, c) in at(t.stored_value().unwrap_or(&Value::Null), &spec)["containers"]
                .as_array()
                .into_iter()
                .flatten()
                .enumerate()
            {
                let path = format!("{spec}.containers[{ci}].resources.requests.{rname}");
                if let Some(a) = t.defaulted(&path) {
                    out.note(format!(
                        "{}: container `{}` requests {rname} {} through its limit: requests.{}",
                        t.label(),
                        c["name"].as_str().unwrap_or(""),
                        c["resources"]["requests"][rname],
                        a.says()
                    ));
                    continue;
                }
                if c["resources"]["requests"][rname].is_null() {
                    let why = metric_default
                        .as_ref()
                        .map(|d| format!(" (the HPA names no metric: {d})"))
                        .unwrap_or_default();
                    out.found(
                        ctx.finding(HPA_REQUESTS, at_line)
                            .expected(format!("container `{}` of {} to request {rname} (utilization is a percentage of the request){why}", c["name"].as_str().unwrap_or(""), t.label()))
                            .observed(format!("no resources.requests.{rname} and no limit it would default to (line {}); the HPA reports `failed to get {rname} utilization: missing request for {rname}` and never scales", t.line(&format!("{spec}.containers[{ci}]"))))
                            .fix(format!("add resources.requests.{rname} to the container")),
                    );
                }
            }
        }
    }
    out
}

pub const TLS_SECRET: &str = "xref.tls-secret";

/// An Ingress reads its TLS Secret from its own namespace only (networking/v1 IngressTLS:
/// "secretName is the name of the secret used to terminate TLS traffic"; the controller looks it up
/// in the Ingress's namespace). A Secret of that name in another namespace is not found.
pub fn tls_secret(ctx: &Ctx) -> Examined {
    let mut out = Examined::new();
    let secrets: Vec<(String, String)> = ctx
        .of_kind("Secret")
        .map(|s| (s.name().to_string(), s.namespace().to_string()))
        .chain(ctx.steps().filter_map(|(_, k)| match k {
            StepKind::CreateObject {
                object,
                name,
                namespace,
                ..
            } if object == "Secret" => Some((
                name.clone(),
                namespace.clone().unwrap_or_else(|| "default".into()),
            )),
            _ => None,
        }))
        .collect();
    for ing in ctx.of_kind("Ingress") {
        let tls = ing.value().unwrap_or(&Value::Null)["spec"]["tls"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        for (i, t) in tls.iter().enumerate() {
            let Some(name) = t["secretName"].as_str() else {
                continue;
            };
            out.saw(format!("{} tls[{i}] secret {name}", ing.label()));
            let ns = ing.namespace();
            if secrets.iter().any(|(n, s)| n == name && s == ns) {
                continue;
            }
            let Some((_, elsewhere)) = secrets.iter().find(|(n, _)| n == name) else {
                out.note(format!(
                    "{}: Secret `{name}` is not shown; not checked",
                    ing.label()
                ));
                continue;
            };
            out.found(
                ctx.finding(TLS_SECRET, ing.line(&format!("spec.tls[{i}].secretName")))
                    .expected(format!("Secret `{name}` in namespace {ns}, the Ingress's"))
                    .observed(format!("the lesson's Secret `{name}` is in namespace {elsewhere}: an Ingress reads TLS Secrets from its own namespace only, so TLS for {} has no certificate", ing.label()))
                    .fix(format!("give the Secret `metadata.namespace: {ns}` (or apply it with -n {ns})")),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A Deployment whose container has `resources` (indented YAML lines), and an HPA on cpu.
    fn lesson(resources: &str) -> String {
        format!(
            "deployment.yaml:\n\n```yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  selector:\n    matchLabels: {{app: web}}\n  template:\n    metadata:\n      labels: {{app: web}}\n    spec:\n      containers:\n      - name: web\n        image: web:1.0\n{resources}```\n\nhpa.yaml:\n\n```yaml\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: web\nspec:\n  scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: web}}\n  maxReplicas: 3\n  metrics:\n  - type: Resource\n    resource:\n      name: cpu\n      target: {{type: Utilization, averageUtilization: 60}}\n```\n"
        )
    }

    #[test]
    fn a_block_applied_from_its_published_url_is_still_cross_checked() {
        // the kubernetes/website convention: the file shown as a block, applied from
        // https://k8s.io/examples/<dir>/NAME.yaml
        let page = |selector: &str| {
            format!(
                "Create `frontend.yaml`:\n\n```yaml\napiVersion: v1\nkind: Service\nmetadata:\n  name: frontend\nspec:\n  selector:\n    app: {selector}\n  ports:\n  - port: 80\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: frontend\nspec:\n  selector:\n    matchLabels:\n      app: frontend\n  template:\n    metadata:\n      labels:\n        app: frontend\n    spec:\n      containers:\n      - name: web\n        image: nginx:1.25\n```\n\n```shell\nkubectl apply -f https://k8s.io/examples/service/frontend.yaml\n```\n"
            )
        };
        assert_eq!(
            crate::checks::finding_lines(service_selector, &page("frontnd")),
            [9]
        );
        assert!(crate::checks::finding_lines(service_selector, &page("frontend")).is_empty());
    }

    #[test]
    fn a_limit_is_the_request_of_the_pods_a_template_makes() {
        let lines = |r: &str| crate::checks::finding_lines(hpa_requests, &lesson(r));
        // limits and no requests: the pods request their limits (SetDefaults_Pod): no finding
        assert!(lines("        resources:\n          limits: {cpu: 100m}\n").is_empty());
        // neither: the HPA cannot compute utilization (located at the metric's name)
        assert_eq!(lines(""), [33]);
        // a request of another resource does not stand in for cpu (two lines more above it)
        assert_eq!(
            lines("        resources:\n          requests: {memory: 50Mi}\n"),
            [35]
        );
    }
}
