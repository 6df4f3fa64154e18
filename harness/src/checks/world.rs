//! The lesson's steps replayed, in order, on a small world of Kubernetes objects: `kubectl create`
//! fails on an object that exists, `apply` upserts, `delete` removes. One replay gives the lifecycle
//! findings that need order (AlreadyExists today); the objects come from every source the lesson
//! has: its manifests (each document, each List item), heredocs, and the objects commands make.

use std::collections::BTreeMap;

use super::context::{Ctx, Manifest};
use super::finding::Examined;
use crate::lesson::artifact::Origin;
use crate::lesson::steps::{Step, StepKind};

pub const ALREADY_EXISTS: &str = "steps.already-exists";
pub const PLACEHOLDER: &str = "shell.placeholder";

/// (kind, namespace, name) of an object.
type Key = (String, String, String);

/// Prose that offers a block as another way to do what was just done ("you can create the same
/// Secret using …", "alternatively", "instead"): its commands are not a further step in sequence.
pub fn offered_as_alternative(prose: &str) -> bool {
    let p = prose.to_ascii_lowercase();
    [
        "alternatively",
        "instead",
        "the same ",
        "you can also",
        "or you can",
        "another way",
    ]
    .iter()
    .any(|w| p.contains(w))
}

/// The objects of a file a step applies or creates: a block of the lesson bound to that name, or,
/// for a URL (`kubectl create -f https://k8s.io/examples/pods/x.yaml`), the manifest block shown just
/// before the step (tutorials show the file, then apply its published copy); the same URL again is
/// the same file. None when the lesson does not show it.
fn objects_of<'c, 'a>(
    ctx: &'c Ctx<'a>,
    file: &str,
    step: &Step,
    urls: &mut BTreeMap<String, String>,
) -> Option<Vec<&'c Manifest<'a>>> {
    let name = if file.contains("://") {
        if let Some(bound) = urls.get(file) {
            bound.clone()
        } else {
            let claimed: Vec<&String> = urls.values().collect();
            let nearest = ctx
                .lesson
                .files
                .iter()
                .filter(|a| a.name.ends_with(".yaml") || a.name.ends_with(".yml"))
                .filter(|a| !claimed.contains(&&a.name))
                .filter_map(|a| match a.origin {
                    Origin::Read { first_line, .. } if first_line < step.line => {
                        Some((first_line, a.name.clone()))
                    }
                    _ => None,
                })
                .max()?;
            urls.insert(file.to_string(), nearest.1.clone());
            nearest.1
        }
    } else {
        file.trim_start_matches("./").to_string()
    };
    ctx.lesson.file(&name)?;
    Some(
        ctx.manifests
            .iter()
            .filter(|m| m.artifact.name == name && m.value().is_some())
            .collect(),
    )
}

fn key(kind: &str, ns: Option<&str>, name: &str) -> Key {
    let ns = if kind == "Namespace" {
        ""
    } else {
        ns.unwrap_or("default")
    };
    (kind.to_string(), ns.to_string(), name.to_string())
}

/// `configmaps "special-config"`: how kubectl names an object in its errors.
fn resource(kind: &str) -> String {
    let lower = kind.to_ascii_lowercase();
    if lower.ends_with('s') {
        format!("{lower}es")
    } else if let Some(stem) = lower.strip_suffix('y') {
        format!("{stem}ies")
    } else {
        format!("{lower}s")
    }
}

/// `kubectl create` (of any form) of an object an earlier step made and nothing deleted since.
pub fn already_exists(ctx: &Ctx) -> Examined {
    let mut out = Examined::new();
    let mut world: BTreeMap<Key, usize> = BTreeMap::new();
    let mut urls = BTreeMap::new();
    for s in &ctx.lesson.steps {
        if !s.placeholders.is_empty() {
            continue;
        }
        let alternative = s
            .block
            .and_then(|b| ctx.lesson.blocks.get(b))
            .is_some_and(|b| offered_as_alternative(&b.prose_before));
        // (object, created (vs applied), line)
        let mut made: Vec<(Key, bool)> = Vec::new();
        match &s.kind {
            StepKind::CreateObject {
                object,
                name,
                namespace,
                ..
            } => made.push((key(object, namespace.as_deref(), name), true)),
            StepKind::CreateNamespace { name } => made.push((key("Namespace", None, name), true)),
            // `kubectl run --rm` deletes the pod when its command ends
            StepKind::RunPod {
                name, namespace, ..
            } if !s.literal.split_whitespace().any(|w| w == "--rm") => {
                made.push((key("Pod", namespace.as_deref(), name), true))
            }
            StepKind::Apply { files, namespace } | StepKind::CreateFrom { files, namespace } => {
                let create = matches!(s.kind, StepKind::CreateFrom { .. });
                for f in files {
                    match objects_of(ctx, f, s, &mut urls) {
                        Some(objects) => made.extend(objects.iter().map(|m| {
                            let ns = m
                                .value()
                                .and_then(|v| v["metadata"]["namespace"].as_str())
                                .or(namespace.as_deref());
                            (key(m.kind(), ns, m.name()), create)
                        })),
                        None => out.note(format!(
                            "line {}: {f} is not shown, so the objects it makes are unknown",
                            s.line
                        )),
                    }
                }
            }
            StepKind::Delete {
                object,
                names,
                files,
                namespace,
            } => {
                match object.as_deref() {
                    // deleting a namespace deletes everything in it
                    Some("ns" | "namespace" | "namespaces") => {
                        for n in names {
                            world.retain(|(k, ns, name), _| {
                                ns != n && !(k == "Namespace" && name == n)
                            });
                        }
                    }
                    Some(kind) => {
                        for n in names {
                            world.retain(|(k, ns, name), _| {
                                !(k.eq_ignore_ascii_case(kind)
                                    || resource(k) == kind.to_ascii_lowercase()
                                    || k.to_ascii_lowercase()
                                        .starts_with(&kind.to_ascii_lowercase()))
                                    || name != n
                                    || ns != namespace.as_deref().unwrap_or("default")
                            });
                        }
                    }
                    // `kubectl delete pod/web`
                    None => {
                        for n in names {
                            if let Some((kind, name)) = n.split_once('/') {
                                let kind = canonical_kind(kind);
                                world.retain(|(k, _, nm), _| !(*k == kind && nm == name));
                            }
                        }
                    }
                }
                for f in files {
                    if let Some(objects) = objects_of(ctx, f, s, &mut urls) {
                        for m in objects {
                            world.retain(|(k, _, n), _| !(k == m.kind() && n == m.name()));
                        }
                    }
                }
                continue;
            }
            _ => continue,
        }
        for (k, create) in made {
            out.saw(format!("line {}: {} {}", s.line, k.0, k.2));
            match world.get(&k) {
                Some(first) if create && !alternative => {
                    let (kind, ns, name) = &k;
                    out.found(
                        ctx.finding(ALREADY_EXISTS, s.line)
                            .expected(format!("{kind} `{name}` not to exist yet when `{}` runs", s.literal))
                            .observed(format!("line {first} already made {kind} `{name}` in namespace {} and no step deletes it since: kubectl fails with Error from server (AlreadyExists): {} \"{name}\" already exists", if ns.is_empty() { "(cluster)" } else { ns }, resource(kind)))
                            .fix(format!("delete it first (kubectl delete {} {name}), use another name, or use kubectl apply", kind.to_ascii_lowercase())),
                    );
                }
                Some(_) => {}
                None => {
                    world.insert(k, s.line);
                }
            }
        }
    }
    out
}

/// `<your-username>`-style placeholders in commands: named, for the reader to replace (a shell
/// would read them as redirections). Never a failure: the step is a template, replayed by no tier.
pub fn placeholders(ctx: &Ctx) -> Examined {
    let mut out = Examined::new();
    for s in &ctx.lesson.steps {
        for p in &s.placeholders {
            out.saw(format!("line {}: {p}", s.line));
            out.note(format!(
                "line {}: `{p}` is a placeholder to replace before running `{}`",
                s.line, s.literal
            ));
        }
    }
    out
}

pub const MISSING_OBJECT: &str = "steps.missing-object";

/// `kubectl expose|autoscale|scale|set image KIND/NAME` needs that object. Reported when the lesson
/// made an object of that name but of another kind: `kubectl run web` makes a Pod (kubectl ≥ 1.18,
/// kubernetes/kubernetes#87077 removed its generators), so `kubectl expose deployment web` fails.
/// An object the lesson never made may come from elsewhere: not judged.
pub fn missing_object(ctx: &Ctx) -> Examined {
    let mut out = Examined::new();
    // (kind, name, line) of what steps made, in order
    let mut made: Vec<(String, String, usize)> = Vec::new();
    for m in &ctx.manifests {
        if m.value().is_some() {
            made.push((m.kind().to_string(), m.name().to_string(), 0));
        }
    }
    for s in &ctx.lesson.steps {
        if !s.placeholders.is_empty() {
            continue;
        }
        let words = s.words.clone();
        let w: Vec<&str> = words.iter().map(String::as_str).collect();
        let target: Option<(&str, &str)> = match w.as_slice() {
            ["kubectl", "expose" | "autoscale", what, rest @ ..]
            | ["kubectl", "scale", what, rest @ ..]
            | ["kubectl", "set", "image", what, rest @ ..] => match what.split_once('/') {
                Some((k, n)) => Some((k, n)),
                None => rest
                    .iter()
                    .find(|a| !a.starts_with('-'))
                    .map(|n| (*what, *n)),
            },
            _ => None,
        };
        if let Some((kind, name)) = target.filter(|(k, _)| !k.starts_with('-')) {
            let kind = canonical_kind(kind);
            out.saw(format!("line {}: {kind} {name}", s.line));
            let exists = made.iter().any(|(k, n, _)| *k == kind && n == name);
            if let Some((other, _, at)) = made.iter().find(|(k, n, _)| *k != kind && n == name) {
                if !exists {
                    let how = if *at > 0 {
                        format!("line {at} made a {other} named `{name}`")
                    } else {
                        format!("the lesson's manifests make a {other} named `{name}`")
                    };
                    let run = if other == "Pod" {
                        " (`kubectl run` makes a Pod since kubectl 1.18, not a Deployment)"
                    } else {
                        ""
                    };
                    out.found(
                        ctx.finding(MISSING_OBJECT, s.line)
                            .expected(format!("a {kind} `{name}` for `{}`", s.literal))
                            .observed(format!("{how}{run}, and no {kind}: kubectl fails with Error from server (NotFound): {} \"{name}\" not found", resource(&kind)))
                            .fix(format!("create the {kind} first (`kubectl create {} {name} --image=…`), or name the {other}: `kubectl {} {} {name} …`", kind.to_ascii_lowercase(), w[1], other.to_ascii_lowercase())),
                    );
                }
            }
        }
        match &s.kind {
            StepKind::CreateObject { object, name, .. } => {
                made.push((object.clone(), name.clone(), s.line))
            }
            StepKind::RunPod { name, .. } => made.push(("Pod".into(), name.clone(), s.line)),
            _ => {
                // `kubectl run NAME` without --image is a StepError; with it, RunPod above
            }
        }
    }
    out
}

/// `deploy`, `deployments`, `deployment.apps` → `Deployment`.
fn canonical_kind(k: &str) -> String {
    let k = k.split('.').next().unwrap_or(k).to_ascii_lowercase();
    match k.as_str() {
        "deploy" | "deployment" | "deployments" => "Deployment",
        "po" | "pod" | "pods" => "Pod",
        "svc" | "service" | "services" => "Service",
        "rs" | "replicaset" | "replicasets" => "ReplicaSet",
        "sts" | "statefulset" | "statefulsets" => "StatefulSet",
        "rc" | "replicationcontroller" | "replicationcontrollers" => "ReplicationController",
        "ds" | "daemonset" | "daemonsets" => "DaemonSet",
        "hpa" | "horizontalpodautoscaler" => "HorizontalPodAutoscaler",
        other => return other.to_string(),
    }
    .to_string()
}

pub const CONFIG_REF: &str = "xref.config-ref";

/// A ConfigMap or Secret a pod reads (env `valueFrom`, `envFrom`, volumes) exists in the lesson's
/// world: a manifest, or `kubectl create configmap|secret`. The kubelet otherwise holds the pod in
/// CreateContainerConfigError. Not judged when the lesson's objects may come from elsewhere, or the
/// reference is `optional: true`.
pub fn config_ref(ctx: &Ctx) -> Examined {
    use super::context::{at, join, pod_templates};
    let mut out = Examined::new();
    let mut have: Vec<(String, String)> = ctx
        .manifests
        .iter()
        .filter(|m| m.value().is_some() && (m.kind() == "ConfigMap" || m.kind() == "Secret"))
        .map(|m| (m.kind().to_string(), m.name().to_string()))
        .collect();
    for s in &ctx.lesson.steps {
        if let StepKind::CreateObject { object, name, .. } = &s.kind {
            have.push((object.clone(), name.clone()));
        }
    }
    let elsewhere = ctx.elsewhere();
    for (m, tpl) in pod_templates(ctx) {
        let Some(v) = m.value() else { continue };
        let spec_path = join(&tpl, "spec");
        let spec = at(v, &spec_path);
        let mut refs: Vec<(&str, String, String)> = Vec::new(); // kind, name, path
        for group in ["containers", "initContainers"] {
            for (ci, c) in spec[group].as_array().into_iter().flatten().enumerate() {
                let base = format!("{spec_path}.{group}[{ci}]");
                for (ei, e) in c["env"].as_array().into_iter().flatten().enumerate() {
                    for (key, kind) in
                        [("configMapKeyRef", "ConfigMap"), ("secretKeyRef", "Secret")]
                    {
                        let r = &e["valueFrom"][key];
                        if let (Some(n), false) = (r["name"].as_str(), r["optional"] == true) {
                            refs.push((
                                kind,
                                n.into(),
                                format!("{base}.env[{ei}].valueFrom.{key}.name"),
                            ));
                        }
                    }
                }
                for (ei, e) in c["envFrom"].as_array().into_iter().flatten().enumerate() {
                    for (key, kind) in [("configMapRef", "ConfigMap"), ("secretRef", "Secret")] {
                        let r = &e[key];
                        if let (Some(n), false) = (r["name"].as_str(), r["optional"] == true) {
                            refs.push((kind, n.into(), format!("{base}.envFrom[{ei}].{key}.name")));
                        }
                    }
                }
            }
        }
        for (vi, vol) in spec["volumes"].as_array().into_iter().flatten().enumerate() {
            let base = format!("{spec_path}.volumes[{vi}]");
            if let (Some(n), false) = (
                vol["configMap"]["name"].as_str(),
                vol["configMap"]["optional"] == true,
            ) {
                refs.push(("ConfigMap", n.into(), format!("{base}.configMap.name")));
            }
            if let (Some(n), false) = (
                vol["secret"]["secretName"].as_str(),
                vol["secret"]["optional"] == true,
            ) {
                refs.push(("Secret", n.into(), format!("{base}.secret.secretName")));
            }
        }
        for (kind, name, path) in refs {
            out.saw(format!("{}: {kind} {name}", m.label()));
            if have.iter().any(|(k, n)| k == kind && *n == name) {
                continue;
            }
            if let Some(why) = &elsewhere {
                out.note(format!(
                    "{}: {kind} `{name}` is not made by the lesson ({why}); not checked",
                    m.label()
                ));
                continue;
            }
            out.found(
                ctx.finding(CONFIG_REF, m.line(&path))
                    .expected(format!("a {kind} `{name}` made by the lesson before {} runs", m.label()))
                    .observed(format!("no manifest or command of the lesson makes {kind} `{name}`: the pod stays in CreateContainerConfigError ({} \"{name}\" not found)", kind.to_ascii_lowercase()))
                    .fix(format!("show the {kind} `{name}` (or its `kubectl create {}` command) before the pod, or mark the reference `optional: true`", kind.to_ascii_lowercase())),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Findings of `check` on a lesson whose one bash block (first command at line 4) is `commands`.
    fn lines_of(check: fn(&Ctx) -> Examined, commands: &str) -> Vec<usize> {
        crate::checks::finding_lines(check, &format!("Run:\n\n```bash\n{commands}```\n"))
    }

    #[test]
    fn create_fails_on_what_exists_and_delete_removes_it() {
        let twice = "kubectl create configmap app --from-literal=a=b\nkubectl create cm app --from-literal=a=c\n";
        assert_eq!(lines_of(already_exists, twice), [5]);
        let deleted = "kubectl create configmap app --from-literal=a=b\nkubectl delete configmap app\nkubectl create configmap app --from-literal=a=c\n";
        assert!(lines_of(already_exists, deleted).is_empty());
        let slash = "kubectl run web --image=nginx\nkubectl delete pod/web\nkubectl run web --image=nginx\n";
        assert!(lines_of(already_exists, slash).is_empty());
        let ns = "kubectl create ns t\nkubectl create secret generic s -n t --from-literal=a=b\nkubectl delete ns t\nkubectl create ns t\nkubectl create secret generic s -n t --from-literal=a=b\n";
        assert!(lines_of(already_exists, ns).is_empty());
        let rm = "kubectl run -it --rm debug --image=busybox -- sh\nkubectl run -it --rm debug --image=busybox -- sh\n";
        assert!(
            lines_of(already_exists, rm).is_empty(),
            "--rm pods are gone"
        );
    }

    #[test]
    fn kubectl_run_makes_a_pod_not_a_deployment() {
        let run = "kubectl run web --image=nginx\nkubectl expose deployment web --port=80\n";
        assert_eq!(lines_of(missing_object, run), [5]);
        let create = "kubectl create deployment web --image=nginx\nkubectl expose deployment web --port=80\n";
        assert!(lines_of(missing_object, create).is_empty());
        // an object the lesson never made may come from elsewhere: not judged
        assert!(lines_of(
            missing_object,
            "kubectl scale deployment/store-front --replicas=5\n"
        )
        .is_empty());
    }
}
