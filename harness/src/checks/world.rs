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
            StepKind::RunPod {
                name, namespace, ..
            } => made.push((key("Pod", namespace.as_deref(), name), true)),
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
                if let Some(kind) = object {
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
