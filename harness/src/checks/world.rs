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

/// Every object a step of the lesson puts in the cluster, in order: (step line, kind, namespace,
/// name, the manifest when it is one). Manifests applied or created from a file the lesson shows
/// (namespace: the object's own, else the step's `-n`, else `default`) and `kubectl create
/// configmap|secret|…` objects.
pub fn placed<'c, 'a>(ctx: &'c Ctx<'a>) -> Vec<(usize, Key, Option<&'c Manifest<'a>>)> {
    let mut out = Vec::new();
    let mut urls = BTreeMap::new();
    for s in &ctx.lesson.steps {
        if !s.placeholders.is_empty() {
            continue;
        }
        match &s.kind {
            StepKind::Apply { files, namespace } | StepKind::CreateFrom { files, namespace } => {
                for f in files {
                    for m in objects_of(ctx, f, s, &mut urls).unwrap_or_default() {
                        let ns = m
                            .value()
                            .and_then(|v| v["metadata"]["namespace"].as_str())
                            .or(namespace.as_deref());
                        out.push((s.line, key(m.kind(), ns, m.name()), Some(m)));
                    }
                }
            }
            StepKind::CreateObject {
                object,
                name,
                namespace,
                ..
            } => out.push((s.line, key(object, namespace.as_deref(), name), None)),
            _ => {}
        }
    }
    out
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
    // a tab group is one step with variants: each variant starts from the world before the group,
    // and the world after it is what its first variant made (the reader follows one tab)
    let tabs = crate::lesson::tabs::of_lines(&ctx.lesson.source);
    // (group, variant under way, the world before the group, the world after its first variant)
    type Open = (
        usize,
        usize,
        BTreeMap<Key, usize>,
        Option<BTreeMap<Key, usize>>,
    );
    let mut open: Option<Open> = None;
    for s in &ctx.lesson.steps {
        if !s.placeholders.is_empty() {
            continue;
        }
        let tab = s
            .block
            .and_then(|b| ctx.lesson.blocks.get(b))
            .and_then(|b| tabs.get(b.open_line).copied().flatten());
        match (tab, open.as_mut()) {
            (Some(t), Some((g, v, before, first))) if t.group == *g => {
                if t.variant != *v {
                    first.get_or_insert_with(|| world.clone());
                    world = before.clone();
                    *v = t.variant;
                }
            }
            _ => {
                if let Some((.., Some(first))) = open.take() {
                    world = first;
                }
                if let Some(t) = tab {
                    open = Some((t.group, t.variant, world.clone(), None));
                }
            }
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

/// Flags of `kubectl get|describe|delete|logs|exec` that take a value as the next word.
const VALUE_FLAGS: &[&str] = &[
    "-n",
    "--namespace",
    "-c",
    "--container",
    "-o",
    "--output",
    "--context",
    "--kubeconfig",
    "--since",
    "--tail",
    "--sort-by",
    "--template",
    "--timeout",
    "--grace-period",
];

/// `kubectl get|describe|delete|edit KIND NAME`, `KIND/NAME`, `logs|exec [KIND/]NAME`: the kind
/// and the names the command reads, when it names them (not `-f`, `-l`, `--all`, a comma list).
fn named_lookup(words: &[&str]) -> Option<(String, Vec<String>)> {
    let (verb, rest) = match words {
        ["kubectl", verb @ ("get" | "describe" | "delete" | "edit" | "logs" | "exec"), rest @ ..] => {
            (*verb, rest)
        }
        _ => return None,
    };
    let mut args: Vec<&str> = Vec::new();
    let mut i = 0;
    while i < rest.len() {
        let w = rest[i];
        if w == "--" {
            break;
        }
        if matches!(
            w,
            "-f" | "--filename" | "-l" | "--selector" | "-A" | "--all-namespaces" | "--all" | "-k"
        ) && verb != "logs"
            || w.starts_with("--selector=")
            || w.starts_with("-l=")
            || w.starts_with("--filename=")
        {
            return None;
        }
        if VALUE_FLAGS.contains(&w) {
            i += 2;
            continue;
        }
        if !w.starts_with('-') {
            args.push(w);
        }
        i += 1;
    }
    if args
        .iter()
        .any(|a| a.contains(',') || a.contains('$') || a.contains('<'))
    {
        return None;
    }
    match verb {
        "logs" | "exec" => {
            let first = args.first()?;
            Some(match first.split_once('/') {
                Some((k, n)) => (canonical_kind(k), vec![n.to_string()]),
                None => ("Pod".into(), vec![first.to_string()]),
            })
        }
        _ => match args.as_slice() {
            [one] if one.contains('/') => {
                let (k, n) = one.split_once('/')?;
                Some((canonical_kind(k), vec![n.to_string()]))
            }
            [kind, names @ ..] if !names.is_empty() && !kind.contains('/') => Some((
                canonical_kind(kind),
                names.iter().map(|n| n.to_string()).collect(),
            )),
            _ => None,
        },
    }
}

pub const UNKNOWN_NAME: &str = "steps.unknown-name";

/// `kubectl get|describe|delete|edit|logs|exec` of an object by name, where the lesson makes the
/// objects of that kind itself and none of that name: kubectl fails with NotFound (a misspelt
/// `kubectl describe hpa myapp-hp` of the lesson's `myapp-hpa`). Not judged for a kind the lesson
/// does not make (a Node, an Event, a system pod), for pods when a controller makes them (their
/// names are generated), or when the lesson's objects may come from elsewhere.
pub fn unknown_name(ctx: &Ctx) -> Examined {
    let mut out = Examined::new();
    if let Some(why) = ctx.elsewhere() {
        out.note(format!(
            "objects may come from elsewhere ({why}): names not checked"
        ));
        return out;
    }
    let mut made: Vec<(String, String)> = placed(ctx)
        .into_iter()
        .map(|(_, k, _)| (k.0, k.2))
        .collect();
    for s in &ctx.lesson.steps {
        match &s.kind {
            StepKind::RunPod { name, .. } => made.push(("Pod".into(), name.clone())),
            StepKind::CreateNamespace { name } => made.push(("Namespace".into(), name.clone())),
            _ => {}
        }
    }
    let controllers = [
        "Deployment",
        "ReplicaSet",
        "StatefulSet",
        "DaemonSet",
        "Job",
        "CronJob",
    ];
    let generated = made.iter().any(|(k, _)| controllers.contains(&k.as_str()));
    for s in &ctx.lesson.steps {
        if !s.placeholders.is_empty() {
            continue;
        }
        let w: Vec<&str> = s.words.iter().map(String::as_str).collect();
        let Some((kind, names)) = named_lookup(&w) else {
            continue;
        };
        if kind == "Pod" && generated {
            continue;
        }
        let of_kind: Vec<&String> = made
            .iter()
            .filter(|(k, _)| *k == kind)
            .map(|(_, n)| n)
            .collect();
        if of_kind.is_empty() {
            continue;
        }
        for name in names {
            out.saw(format!("line {}: {kind} {name}", s.line));
            if of_kind.contains(&&name) {
                continue;
            }
            let mut known: Vec<&str> = of_kind.iter().map(|n| n.as_str()).collect();
            known.sort();
            known.dedup();
            let nearest = known
                .iter()
                .min_by_key(|n| edit_distance(n, &name))
                .copied()
                .unwrap_or_default();
            out.found(
                ctx.finding(UNKNOWN_NAME, s.line)
                    .expected(format!("a {kind} `{name}` made by the lesson before `{}`", s.literal))
                    .observed(format!(
                        "the lesson makes {kind} {}, and no `{name}`: kubectl fails with Error from server (NotFound): {} \"{name}\" not found",
                        known.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", "),
                        resource(&kind)
                    ))
                    .fix(format!("name the lesson's {kind}: `{}`", s.literal.replacen(&name, nearest, 1))),
            );
        }
    }
    out
}

/// Levenshtein distance of two names (the nearest of the lesson's names is the likely intent).
pub(super) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
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
    let placed = placed(ctx);
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
        // where the pod lands, when a step of the lesson applies it
        let pod_ns = placed
            .iter()
            .find(|(_, _, x)| x.is_some_and(|x| std::ptr::eq(x, m)))
            .map(|(_, k, _)| k.1.clone());
        for (kind, name, path) in refs {
            out.saw(format!("{}: {kind} {name}", m.label()));
            let made_here: Vec<&(usize, Key, Option<&Manifest>)> = placed
                .iter()
                .filter(|(_, k, _)| k.0 == kind && k.2 == name)
                .collect();
            if let Some(pod_ns) = &pod_ns {
                if made_here.iter().any(|(_, k, _)| k.1 == *pod_ns) {
                    continue;
                }
                // the lesson makes it, in another namespace: pods read only their own
                if let Some((line, k, cm)) = made_here.first() {
                    let at = cm.map(|c| c.line("metadata.name")).unwrap_or(*line);
                    let how = match cm {
                        Some(c) if c.value().is_some_and(|v| v["metadata"]["namespace"].is_string()) => {
                            format!("its manifest says namespace `{}`", k.1)
                        }
                        Some(_) => format!(
                            "its manifest names no namespace and the apply at line {line} has no -n, so it lands in `{}`",
                            k.1
                        ),
                        None => format!("line {line} creates it in `{}`", k.1),
                    };
                    out.found(
                        ctx.finding(CONFIG_REF, at)
                            .expected(format!("{kind} `{name}` in namespace `{pod_ns}`, where {} reads it ({}:{})", m.label(), ctx.lesson.file_name(), m.line(&path)))
                            .observed(format!("{how}: a pod reads ConfigMaps and Secrets of its own namespace only, so it stays in CreateContainerConfigError ({} \"{name}\" not found)", kind.to_ascii_lowercase()))
                            .fix(match cm {
                                Some(_) => format!("add `namespace: {pod_ns}` to the {kind}'s metadata (or apply it with -n {pod_ns})"),
                                None => format!("create it with -n {pod_ns}"),
                            }),
                    );
                    continue;
                }
                // shown, never applied
                if let Some(shown) = ctx
                    .manifests
                    .iter()
                    .find(|x| x.value().is_some() && x.kind() == kind && x.name() == name)
                {
                    if ctx.elsewhere().is_none() {
                        let applies = placed
                            .iter()
                            .find(|(_, _, x)| x.is_some_and(|x| std::ptr::eq(x, m)))
                            .map(|(l, _, _)| *l)
                            .unwrap_or(0);
                        out.found(
                            ctx.finding(CONFIG_REF, shown.line("metadata.name"))
                                .expected(format!("{kind} `{name}` applied before {} (applied at line {applies}) needs it", m.label()))
                                .observed(format!("{} shows it, but no step of the lesson applies {}: the pod stays in CreateContainerConfigError ({} \"{name}\" not found)", shown.artifact.name, shown.artifact.name, kind.to_ascii_lowercase()))
                                .fix(format!("add `kubectl apply -f {}{}` before line {applies}", shown.artifact.name, if pod_ns == "default" || shown.value().is_some_and(|v| v["metadata"]["namespace"].is_string()) { String::new() } else { format!(" -n {pod_ns}") })),
                        );
                        continue;
                    }
                }
            } else if have.iter().any(|(k, n)| k == kind && *n == name) {
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
    fn a_tab_per_os_is_one_step_but_a_repeat_inside_a_tab_or_after_the_group_is_not() {
        let create = "```bash\nkubectl create namespace shop\n```\n";
        let tab = |label: &str| {
            format!(
                "=== \"{label}\"\n\n    ```bash\n    kubectl create namespace shop\n    ```\n\n"
            )
        };
        let group = format!("{}{}", tab("Linux"), tab("macOS"));
        let md = format!("{group}Then:\n\n```bash\nkubectl get ns\n```\n");
        assert!(crate::checks::finding_lines(already_exists, &md).is_empty());
        let mdx = format!("<Tabs>\n<TabItem value=\"a\">\n\n{create}\n</TabItem>\n<TabItem value=\"b\">\n\n{create}\n</TabItem>\n</Tabs>\n");
        assert!(crate::checks::finding_lines(already_exists, &mdx).is_empty());
        // after the group, the namespace its first tab made exists
        let after = format!("{group}Again:\n\n{create}");
        assert_eq!(crate::checks::finding_lines(already_exists, &after), [16]);
        // twice in one tab is twice
        let inside = "=== \"Linux\"\n\n    ```bash\n    kubectl create namespace shop\n    kubectl create namespace shop\n    ```\n";
        assert_eq!(crate::checks::finding_lines(already_exists, inside), [5]);
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

    #[test]
    fn a_named_lookup_of_a_kind_the_lesson_makes_needs_that_name() {
        let made = "kubectl create deployment web --image=nginx\nkubectl autoscale deployment web --max=3\n";
        let misspelt = format!("{made}kubectl describe hpa wbe\n");
        assert_eq!(lines_of(unknown_name, &misspelt), [6]);
        for fine in [
            format!("{made}kubectl describe hpa web -n default\n"),
            format!("{made}kubectl get deployment/web -o yaml\n"),
            // kinds the lesson does not make come from the cluster
            format!("{made}kubectl describe node k3d-server-0\nkubectl get events\n"),
            // a Deployment's pods have generated names
            format!("{made}kubectl logs web-5d4f8c7b9-x2x7q\nkubectl exec -it web-5d4f8c7b9-x2x7q -- sh\n"),
            // selectors and files name no object
            format!("{made}kubectl get hpa -l app=web\nkubectl delete -f hpa.yaml\n"),
        ] {
            assert!(lines_of(unknown_name, &fine).is_empty(), "{fine}");
        }
        let logs = format!("{made}kubectl logs deploy/webb\n");
        assert_eq!(lines_of(unknown_name, &logs), [6]);
    }
}
