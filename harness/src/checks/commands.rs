//! The lesson's commands agree with its files and with each other: applied files exist, namespaces
//! exist before use, images are built, imported and used under one tag, clusters live while used.

use serde_json::Value;

use super::context::{at, join, pod_templates, Ctx};
use super::finding::{Edit, Examined};
use crate::lesson::image_ref::{normalize, same};
use crate::lesson::steps::{Step, StepKind};

pub const SHELL_SYNTAX: &str = "shell.syntax";
pub const APPLY_FILE: &str = "xref.apply-file";
pub const NAMESPACE: &str = "xref.namespace";
pub const IMAGE_TAG: &str = "xref.image-tag";
pub const IMAGE_PULL: &str = "xref.image-pull-never";
pub const CLUSTER_LIFECYCLE: &str = "steps.cluster-lifecycle";

/// Command lines parse.
pub fn shell_syntax(ctx: &Ctx) -> Examined {
    let mut out = Examined::new();
    for s in ctx.lesson.commands() {
        out.saw(format!("line {}: `{}`", s.line, s.literal));
    }
    for e in &ctx.lesson.step_errors {
        out.saw(format!("line {}: `{}`", e.line, e.literal));
        out.found(
            ctx.finding(SHELL_SYNTAX, e.line)
                .expected("a command line yadoc can run as the lesson shows it")
                .observed(format!("`{}`: {}", e.literal, e.message))
                .fix("correct the command line"),
        );
    }
    out
}

/// `kubectl apply -f F` needs a block (or derived file) F.
pub fn apply_file(ctx: &Ctx) -> Examined {
    let mut out = Examined::new();
    // a lesson that shows no Kubernetes manifest of its own applies files from elsewhere (a
    // repository, an earlier lesson): an unshown file is then not a defect it can see
    let shows_manifests = !ctx.manifests.is_empty();
    for (s, k) in ctx.steps() {
        let (StepKind::Apply { files, .. } | StepKind::CreateFrom { files, .. }) = k else {
            continue;
        };
        for file in files {
            out.saw(format!("line {}: {file}", s.line));
            if file.contains("://") || ctx.lesson.file(file).is_some() {
                continue;
            }
            if !s.placeholders.is_empty() {
                continue;
            }
            if !shows_manifests {
                out.note(format!("line {}: {file} is not shown; the lesson shows no manifest of its own, so its files come from elsewhere", s.line));
                continue;
            }
            if let Some(why) = ctx
                .elsewhere()
                .filter(|w| !w.contains("applies files it does not show"))
            {
                out.note(format!("line {}: {file} is not shown ({why})", s.line));
                continue;
            }
            let have: Vec<&str> = ctx
                .lesson
                .files
                .iter()
                .map(|f| f.name.as_str())
                .filter(|n| n.ends_with(".yaml") || n.ends_with(".yml"))
                .collect();
            out.found(
                ctx.finding(APPLY_FILE, s.line)
                    .expected(format!("a block of the lesson that is `{file}`"))
                    .observed(format!("no block is bound to {file}; the lesson's manifests are: {}", if have.is_empty() { "(none)".into() } else { have.join(", ") }))
                    .fix(format!("show {file} in a ```yaml block introduced by \"create a new file named {file}\", or apply one of the files above")),
            );
        }
    }
    out
}

/// The step whose line writes the namespace `ns` that step `s` lands in: `s` itself when its own
/// words name it, else the latest earlier step that pointed kubectl's current context at it
/// (`set-context --current --namespace=ns`, `kubens ns`; lesson/steps.rs `Env`).
fn written_at<'a>(ctx: &'a Ctx, s: &'a Step, ns: &str) -> &'a Step {
    let own = s.literal.split_whitespace().any(|w| {
        w == ns || w.strip_prefix("--namespace=") == Some(ns) || w.strip_prefix("-n=") == Some(ns)
    });
    if own {
        return s;
    }
    ctx.lesson
        .steps
        .iter()
        .filter(|p| p.line < s.line)
        .rfind(|p| {
            let l = &p.literal;
            (l.contains("set-context") || l.starts_with("kubens")) && l.contains(ns)
        })
        .unwrap_or(s)
}

/// Namespaces used by manifests and `-n` flags (or the current context's namespace) are created
/// before they are used.
pub fn namespace(ctx: &Ctx) -> Examined {
    let created: Vec<(String, usize)> = ctx
        .steps()
        .filter_map(|(s, k)| match k {
            StepKind::CreateNamespace { name } => Some((name.clone(), s.line)),
            // `helm install … -n traefik --create-namespace`
            _ => {
                let w = s.words.clone();
                w.iter().any(|a| a == "--create-namespace").then(|| {
                    let ns = w
                        .iter()
                        .position(|a| a == "-n" || a == "--namespace")
                        .and_then(|i| w.get(i + 1).cloned())
                        .or_else(|| {
                            w.iter()
                                .find_map(|a| a.strip_prefix("--namespace=").map(String::from))
                        })
                        .unwrap_or_default();
                    (ns, s.line)
                })
            }
        })
        .chain(ctx.of_kind("Namespace").map(|m| (m.name().to_string(), 0)))
        .collect();
    let elsewhere = ctx.elsewhere();
    let exists = |ns: &str, line: usize| {
        ["default", "kube-system", "kube-public", "kube-node-lease"].contains(&ns)
            || created.iter().any(|(n, l)| n == ns && *l <= line)
    };
    let mut out = Examined::new();
    let mut reported: Vec<String> = Vec::new();
    let mut report = |s: &Step, ns: &str, fine: bool| {
        let (line, what) = (s.line, format!("`{}`", s.literal));
        out.saw(format!("line {line}: namespace {ns}"));
        // one finding per namespace, at its first use
        if fine || reported.iter().any(|r| r == ns) {
            return;
        }
        // a namespace that files from outside the lesson may create: not judged
        if let Some(why) = &elsewhere {
            reported.push(ns.to_string());
            out.note(format!(
                "line {line}: namespace {ns} is not created by the lesson ({why}); not checked"
            ));
            return;
        }
        reported.push(ns.to_string());
        let later = created.iter().find(|(n, _)| n == ns).map(|(_, l)| *l);
        // where the namespace is written: the step's own `-n`, or the line that pointed the
        // current context at it (`kubectl config set-context --current --namespace=…`)
        let source = written_at(ctx, s, ns);
        let via = if source.line == line {
            String::new()
        } else {
            format!(
                " (the namespace the current context points at since line {})",
                source.line
            )
        };
        // one or two letters off a namespace the lesson makes: a typo of it
        let near = created
            .iter()
            .filter(|(n, _)| n.len() > 2 && n != ns && super::world::edit_distance(n, ns) <= 2)
            .min_by_key(|(n, _)| super::world::edit_distance(n, ns));
        let mut finding = ctx
            .finding(NAMESPACE, source.line)
            .expected(format!("namespace {ns} to exist when {what} runs{via}"))
            .observed(match (later, near) {
                (Some(l), _) => format!("it is created only later, at line {l}"),
                (None, Some((n, _))) => format!("the lesson never creates {ns}; it creates {n}, one or two letters off: kubectl fails with Error from server (NotFound): namespaces \"{ns}\" not found"),
                (None, None) => "the lesson never creates it".into(),
            })
            .fix(match (later, near) {
                (None, Some((n, _))) => format!("write `{n}`"),
                _ => format!("run `kubectl create ns {ns}` before this step"),
            });
        if let (None, Some((meant, _))) = (later, near) {
            let text = ctx.lesson.source.line(source.line);
            if let Some(w) = [format!("={ns}"), format!(" {ns}")]
                .into_iter()
                .find(|w| text.contains(w.as_str()))
            {
                finding = finding.edit(Edit::ReplaceLine {
                    line: source.line,
                    text: text.replacen(w.as_str(), &w.replace(ns, meant), 1),
                });
            }
        }
        out.found(finding);
    };
    for (s, k) in ctx.steps() {
        match k {
            StepKind::Apply { files, .. } => {
                for file in files {
                    let ns = ctx
                        .manifests
                        .iter()
                        .find(|m| &m.artifact.name == file)
                        .map(|m| m.namespace().to_string());
                    if let Some(ns) = ns {
                        let fine = exists(&ns, s.line);
                        report(s, &ns, fine);
                    }
                }
            }
            StepKind::RunPod {
                namespace: Some(ns),
                ..
            }
            | StepKind::Inspect {
                namespace: Some(ns),
                ..
            }
            | StepKind::CreateObject {
                namespace: Some(ns),
                ..
            } if !ns.contains('$') => {
                report(s, ns, exists(ns, s.line));
            }
            _ => {}
        }
    }
    out
}

/// (image, pull policy, lesson line) of every container of every workload.
/// Every container image of the lesson's pods: (image, its imagePullPolicy as stored, the default
/// that set it when the lesson did not, lesson line, the object's label).
#[allow(clippy::type_complexity)]
fn images(ctx: &Ctx) -> Vec<(String, Option<String>, Option<String>, usize, String)> {
    let mut out = Vec::new();
    for (m, tpl) in pod_templates(ctx) {
        let spec = join(&tpl, "spec");
        for (i, c) in at(m.stored_value().unwrap_or(&Value::Null), &spec)["containers"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
        {
            if let Some(image) = c["image"].as_str() {
                let policy = format!("{spec}.containers[{i}].imagePullPolicy");
                out.push((
                    image.to_string(),
                    c["imagePullPolicy"].as_str().map(String::from),
                    m.defaulted(&policy).map(|a| a.says()),
                    m.line(&format!("{spec}.containers[{i}].image")),
                    m.label(),
                ));
            }
        }
    }
    out
}

/// The tag built by `docker build -t` is the one imported and the one the Deployment runs.
pub fn image_tag(ctx: &Ctx) -> Examined {
    let built: Vec<(String, usize)> = ctx
        .steps()
        .filter_map(|(s, k)| match k {
            StepKind::DockerBuild { tag, .. } => Some((tag.clone(), s.line)),
            _ => None,
        })
        .collect();
    let mut out = Examined::new();
    if built.is_empty() {
        return out;
    }
    for (s, k) in ctx.steps() {
        if let StepKind::ImageImport { image, .. } = k {
            out.saw(format!("line {}: k3d image import {image}", s.line));
            if !built.iter().any(|(t, _)| same(t, image)) {
                out.found(
                    ctx.finding(IMAGE_TAG, s.line)
                        .expected(format!(
                            "to import the image the lesson builds ({})",
                            built
                                .iter()
                                .map(|(t, l)| format!("{t}, line {l}"))
                                .collect::<Vec<_>>()
                                .join("; ")
                        ))
                        .observed(format!(
                            "`k3d image import {image}`: no such image was built"
                        ))
                        .fix(format!("import {}", built[0].0)),
                );
            }
        }
    }
    for (image, policy, _, line, label) in images(ctx) {
        if policy.as_deref() != Some("Never") {
            continue;
        }
        out.saw(format!("{label}: image {image} (imagePullPolicy: Never)"));
        if !built.iter().any(|(t, _)| same(t, &image)) {
            out.found(
                ctx.finding(IMAGE_TAG, line)
                    .expected(format!("{label} to run the image the lesson builds ({})", built.iter().map(|(t, l)| format!("{t}, line {l}")).collect::<Vec<_>>().join("; ")))
                    .observed(format!("image `{image}` with imagePullPolicy: Never; it exists nowhere, so the pod stays in ErrImageNeverPull"))
                    .fix(format!("set image: {}", built[0].0)),
            );
        }
    }
    out
}

/// Images the lesson makes available to its cluster: `k3d image import`, `kind load docker-image`,
/// `minikube image load`, pushed to a registry (`docker push`), or built while `minikube docker-env`
/// points docker at the cluster's own engine.
fn loaded_images(ctx: &Ctx) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_cluster_engine = false;
    for s in ctx.lesson.commands() {
        // `eval $(minikube docker-env)`, `eval $(minikube -p demo docker-env)`
        if s.literal.contains("minikube") && s.literal.contains("docker-env") {
            in_cluster_engine = true;
        }
        if let StepKind::ImageImport { image, .. } = &s.kind {
            out.push(image.clone());
            continue;
        }
        if let StepKind::DockerBuild { tag, .. } = &s.kind {
            if in_cluster_engine {
                out.push(tag.clone());
            }
            continue;
        }
        let w = s.words.clone();
        let w: Vec<&str> = w.iter().map(String::as_str).collect();
        let images: Vec<&str> = match w.as_slice() {
            ["kind", "load", "docker-image", rest @ ..]
            | ["minikube", "image", "load", rest @ ..]
            | ["k3d", "image", "import", rest @ ..]
            | ["docker", "push", rest @ ..] => rest
                .iter()
                .copied()
                .filter(|a| !a.starts_with('-'))
                .collect(),
            _ => Vec::new(),
        };
        out.extend(images.iter().map(|i| i.to_string()));
    }
    out
}

/// An image that only exists locally must be imported into the cluster and never pulled.
pub fn image_pull_never(ctx: &Ctx) -> Examined {
    let built: Vec<String> = ctx
        .steps()
        .filter_map(|(_, k)| match k {
            StepKind::DockerBuild { tag, .. } => Some(normalize(tag)),
            _ => None,
        })
        .collect();
    let imported: Vec<String> = loaded_images(ctx).iter().map(|i| normalize(i)).collect();
    let tool = ctx.cluster_tool();
    let mut out = Examined::new();
    for (image, policy, defaulted, line, label) in images(ctx) {
        let shown = image.clone();
        let image = normalize(&image);
        if !built.contains(&image) {
            continue;
        }
        out.saw(format!("{label}: image {shown}"));
        if !imported.contains(&image) {
            let Some(tool) = tool else {
                out.note(format!("line {line}: {label} runs the locally built {shown}, and the lesson names no cluster tool: Docker Desktop's and Rancher Desktop's Kubernetes run it as it is, a k3d, kind or minikube cluster needs it loaded first (not judged)"));
                continue;
            };
            out.found(
                ctx.finding(IMAGE_PULL, line)
                    .expected(format!("`{}` before {label} is applied (the image exists only in the local docker engine)", tool.load_command(&shown)))
                    .observed("the lesson never loads it into the cluster; the pod stays in ErrImageNeverPull / ErrImagePull")
                    .fix(tool.load_fix(&shown)),
            );
        } else if policy.as_deref() == Some("Always") {
            // as stored: unset on a :latest (or untagged) image is Always
            let how = match &defaulted {
                Some(d) => format!(
                    "imagePullPolicy is not set, and for `{shown}` it {}",
                    d.replacen("imagePullPolicy defaults", "defaults", 1)
                ),
                None => "imagePullPolicy: Always".to_string(),
            };
            out.found(
                ctx.finding(IMAGE_PULL, line)
                    .expected(format!(
                        "imagePullPolicy: Never or IfNotPresent for the imported image {shown}"
                    ))
                    .observed(format!(
                        "{how}: the kubelet tries to pull {shown} from a registry and fails"
                    ))
                    .fix("add imagePullPolicy: Never to the container"),
            );
        }
    }
    out
}

/// A cluster is created before it is used and not deleted while later steps still need it.
pub fn cluster_lifecycle(ctx: &Ctx) -> Examined {
    let mut out = Examined::new();
    let mut reported = Vec::new();
    let steps: Vec<_> = ctx.lesson.commands().collect();
    for (i, s) in steps.iter().enumerate() {
        let StepKind::ClusterDelete { name } = &s.kind else {
            continue;
        };
        out.saw(format!("line {}: `{}`", s.line, s.literal));
        let Some(created) = steps[..i]
            .iter()
            .find(|p| matches!(&p.kind, StepKind::ClusterCreate(c) if &c.name == name))
        else {
            continue;
        };
        let recreated = steps[i + 1..]
            .iter()
            .position(|p| matches!(&p.kind, StepKind::ClusterCreate(c) if &c.name == name));
        let after = &steps[i + 1..recreated.map(|r| i + 1 + r).unwrap_or(steps.len())];
        let users: Vec<String> = after
            .iter()
            .filter(|p| match &p.kind {
                StepKind::ImageImport { cluster, .. } => cluster.as_deref() == Some(name.as_str()),
                StepKind::Apply { .. }
                | StepKind::CreateNamespace { .. }
                | StepKind::RunPod { .. }
                | StepKind::Inspect { .. } => true,
                _ => false,
            })
            .map(|p| format!("line {}", p.line))
            .collect();
        if users.is_empty() {
            continue;
        }
        reported.push(s.line);
        let mut finding = ctx.finding(CLUSTER_LIFECYCLE, s.line)
                .expected(format!("cluster {name}, created at line {}, to exist for the steps that follow", created.line))
                .observed(format!("`{}` deletes it, and {} later step(s) use it ({})", s.literal, users.len(), users.join(", ")))
                .fix(format!("move this delete, with the paragraph that introduces it, before the `k3d cluster create` at line {} (it is meant for an earlier lesson's cluster)", created.line));
        if let Some(e) = move_before(ctx, s, created) {
            finding = finding.edit(e);
        }
        out.found(finding);
    }
    let mut live: Vec<String> = Vec::new();
    let mut early = Vec::new();
    // (step index, line, name) of every create, so each use looks them up without a rescan
    let creates: Vec<(usize, usize, String)> = steps
        .iter()
        .enumerate()
        .filter_map(|(i, p)| match &p.kind {
            StepKind::ClusterCreate(c) => Some((i, p.line, c.name.clone())),
            _ => None,
        })
        .collect();
    for (i, s) in steps.iter().enumerate() {
        let uses_cluster = matches!(
            &s.kind,
            StepKind::ImageImport { .. }
                | StepKind::Apply { .. }
                | StepKind::CreateNamespace { .. }
                | StepKind::RunPod { .. }
                | StepKind::Inspect { .. }
        ) || matches!(&s.kind, StepKind::Curl { url, .. } if url.starts_with("https://"));
        if uses_cluster {
            out.saw(format!("line {}: `{}`", s.line, s.literal));
            let created_before = creates.first().is_some_and(|(c, _, _)| *c < i);
            let created_after = creates
                .iter()
                .find(|(c, _, _)| *c > i)
                .map(|(_, line, name)| (*line, name.clone()));
            if let (false, Some(later)) = (created_before, created_after) {
                early.push((s, later));
            }
        }
        match &s.kind {
            StepKind::ClusterCreate(c) => live.push(c.name.clone()),
            // a delete reported above is not counted again at every later use
            StepKind::ClusterDelete { name } if !reported.contains(&s.line) => {
                live.retain(|n| n != name)
            }
            StepKind::ImageImport {
                cluster: Some(c), ..
            } if !live.contains(c)
                && steps
                    .iter()
                    .any(|p| matches!(&p.kind, StepKind::ClusterCreate(_))) =>
            {
                out.found(
                    ctx.finding(CLUSTER_LIFECYCLE, s.line)
                        .expected(format!(
                            "cluster `{c}` to exist (created by this lesson: {})",
                            steps
                                .iter()
                                .filter_map(|p| match &p.kind {
                                    StepKind::ClusterCreate(cc) => Some(cc.name.clone()),
                                    _ => None,
                                })
                                .collect::<Vec<_>>()
                                .join(", ")
                        ))
                        .observed(format!(
                            "`{}` names a cluster that does not exist at this point",
                            s.literal
                        ))
                        .fix("use the name of the cluster the lesson created"),
                )
            }
            _ => {}
        }
    }
    if let Some((first, (line, name))) = early.first() {
        let lines: Vec<String> = early.iter().map(|(s, _)| s.line.to_string()).collect();
        out.found(
            ctx.finding(CLUSTER_LIFECYCLE, first.line)
                .expected(format!("a cluster to exist when `{}` runs", first.literal))
                .observed(format!(
                    "the lesson creates its cluster ({name}) only later, at line {line}; {} step(s) before it need one (line {})",
                    early.len(),
                    lines.join(", ")
                ))
                .fix(format!("move `k3d cluster create {name}` (line {line}) before line {}", first.line)),
        );
    }
    out
}

/// The edit that moves a block holding only `step` (with the paragraph before it and the blank line
/// after it) to just before the paragraph that introduces `target`'s block.
fn move_before(
    ctx: &Ctx,
    step: &crate::lesson::steps::Step,
    target: &crate::lesson::steps::Step,
) -> Option<Edit> {
    use crate::lesson::block::FenceEnd;
    let blocks = &ctx.lesson.blocks;
    let (own, dest) = (blocks.get(step.block?)?, blocks.get(target.block?)?);
    if own.text.lines().filter(|l| !l.trim().is_empty()).count() != 1 || dest.index >= own.index {
        return None;
    }
    let FenceEnd::Closed { line: close } = own.end else {
        return None;
    };
    let src = &ctx.lesson.source;
    let blank = |n: usize| src.line(n).trim().is_empty();
    // the paragraph right above a fence: skip blank lines up, then take the non-blank run
    let paragraph = |open: usize| {
        let mut n = open - 1;
        while n > 1 && blank(n) {
            n -= 1;
        }
        while n > 1 && !blank(n - 1) {
            n -= 1;
        }
        n
    };
    let from = paragraph(own.open_line).max(own.prose_line);
    let to = if close < src.line_count() && blank(close + 1) {
        close + 1
    } else {
        close
    };
    Some(Edit::MoveBefore {
        from,
        to,
        before: paragraph(dest.open_line).max(dest.prose_line),
    })
}

pub const UNKNOWN_FLAG: &str = "steps.unknown-flag";

/// `k3d cluster create` flags, on command lines and named by a k3d config's comments ("same as
/// `--no-lb`"), are flags k3d has (k3d-io/k3d cmd/cluster/clusterCreate.go @ 46f3480d, v5.9.0:
/// `K3D_CLUSTER_CREATE_FLAGS`). k3d rejects an unknown flag ("unknown flag: --x"); a comment naming
/// one sends the reader to it.
pub fn unknown_flag(ctx: &Ctx) -> Examined {
    use crate::lesson::steps::K3D_CLUSTER_CREATE_FLAGS as FLAGS;
    let mut out = Examined::new();
    let check = |flag: &str, line: usize, what: String, out: &mut Examined| {
        let name = flag.trim_start_matches('-');
        let name = name.split(['=', ' ']).next().unwrap_or(name);
        out.saw(format!("line {line}: --{name}"));
        if FLAGS.contains(&name) {
            return;
        }
        let near = FLAGS
            .iter()
            .find(|f| f.eq_ignore_ascii_case(name))
            .or_else(|| {
                FLAGS
                    .iter()
                    .find(|f| f.replace('-', "") == name.to_ascii_lowercase().replace('-', ""))
            });
        out.found(
            ctx.finding(UNKNOWN_FLAG, line)
                .expected(format!("a flag of `k3d cluster create` ({what})"))
                .observed(format!(
                    "`--{name}` is not one: k3d fails with \"unknown flag: --{name}\""
                ))
                .fix(match near {
                    Some(f) => format!("write `--{f}` (k3d's flags are lower case)"),
                    None => "check `k3d cluster create --help` for the flag's name".into(),
                }),
        );
    };
    for s in ctx.lesson.commands() {
        let words = s.words.clone();
        if words.len() < 3 || words[..3] != ["k3d", "cluster", "create"] {
            continue;
        }
        // a valued flag's value (`--k3s-arg "--disable=traefik@server:0"`) is not a flag
        let mut skip = false;
        for w in words.iter().skip(3) {
            if std::mem::take(&mut skip) {
                continue;
            }
            skip = crate::lesson::steps::K3D_VALUED.contains(&w.as_str());
            if w.starts_with("--") {
                check(w, s.line, format!("`{}`", s.literal), &mut out);
            }
        }
    }
    // k3d configs document their keys with the flag each replaces: "same as `--no-lb`"
    for o in ctx
        .others
        .iter()
        .filter(|o| o.what == super::context::NotAnObject::Config("a k3d config"))
    {
        let text = o.artifact.text();
        let doc_lines: Vec<&str> = text.lines().collect();
        let start = o.offset;
        for (i, l) in doc_lines.iter().enumerate().skip(start) {
            let Some((_, comment)) = l.split_once(" #") else {
                continue;
            };
            for part in comment.split('`').skip(1).step_by(2) {
                if part.starts_with("--") && part.len() > 2 {
                    let line = o.artifact.lesson_line(i + 1);
                    check(part, line, "a k3d config comment names it".into(), &mut out);
                }
            }
        }
    }
    out
}

pub const REGISTRY: &str = "xref.registry";

/// An image the lesson pushes to a registry (`docker push localhost:5001/app:1.0`) is deployed from
/// that registry: the same repository under another registry host or port is pulled from a
/// registry that never received it (ErrImagePull).
pub fn registry(ctx: &Ctx) -> Examined {
    // registry host (with port) and the rest of a reference, when it names a registry
    fn split(image: &str) -> Option<(&str, &str)> {
        let (first, rest) = image.split_once('/')?;
        (first.contains('.') || first.contains(':') || first == "localhost")
            .then_some((first, rest))
    }
    let pushed: Vec<(String, usize)> = ctx
        .lesson
        .commands()
        .filter(|s| s.placeholders.is_empty())
        .filter_map(|s| {
            let w = s.words.clone();
            match w.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
                ["docker" | "podman", "push", rest @ ..] => rest
                    .iter()
                    .find(|a| !a.starts_with('-'))
                    .map(|i| (i.to_string(), s.line)),
                _ => None,
            }
        })
        .collect();
    let mut out = Examined::new();
    if pushed.is_empty() {
        return out;
    }
    for (image, _, _, line, label) in images(ctx) {
        let Some((reg, repo)) = split(&image) else {
            continue;
        };
        out.saw(format!("{label}: image {image}"));
        let repo_name = repo.split([':', '@']).next().unwrap_or(repo);
        let same_registry = pushed
            .iter()
            .any(|(p, _)| split(p).is_some_and(|(r, _)| r == reg));
        if same_registry {
            continue;
        }
        if let Some((p, at)) = pushed.iter().find(|(p, _)| {
            split(p).is_some_and(|(_, r)| r.split([':', '@']).next() == Some(repo_name))
        }) {
            let (preg, _) = split(p).unwrap_or_default();
            out.found(
                ctx.finding(REGISTRY, line)
                    .expected(format!("{label} to pull `{repo_name}` from {preg}, where line {at} pushes it (`{p}`)"))
                    .observed(format!("image `{image}` names registry {reg}, which the lesson never pushes to: the kubelet's pull fails (ErrImagePull)"))
                    .fix(format!("use image `{p}` (or push to {reg})")),
            );
        }
    }
    out
}

pub const BUILD_CONTEXT: &str = "docker.build-context";

/// `docker build .` reads `./Dockerfile`: a lesson that builds its current directory shows that
/// Dockerfile (or makes it, or clones the repository that has it).
pub fn build_context(ctx: &Ctx) -> Examined {
    let mut out = Examined::new();
    // the files the lesson's commands make, once (not per build: a long lesson builds often)
    let made_files = ctx.made_by_commands();
    let manifest = |n: &str| [".yaml", ".yml", ".json"].iter().any(|e| n.ends_with(e));
    let shows_build_files = ctx.lesson.files.iter().any(|a| !manifest(&a.name))
        || made_files.iter().any(|(f, _)| !manifest(f));
    for s in ctx.lesson.commands() {
        let StepKind::DockerBuild { context, .. } = &s.kind else {
            continue;
        };
        let words = s.words.clone();
        let file = words
            .iter()
            .position(|w| w == "-f" || w == "--file")
            .and_then(|i| words.get(i + 1).cloned())
            .unwrap_or_else(|| "Dockerfile".into());
        if !matches!(context.as_str(), "." | "./") || file == "-" {
            continue;
        }
        out.saw(format!("line {}: `{}`", s.line, s.literal));
        let name = file.trim_start_matches("./");
        let made = made_files.iter().any(|(f, _)| f == name);
        if ctx.lesson.file(name).is_some() || made {
            continue;
        }
        if let Some(why) = ctx.elsewhere() {
            out.note(format!("line {}: {name} is not shown ({why})", s.line));
            continue;
        }
        // a how-to that shows no file a build could read (only manifests, or nothing) builds the
        // reader's own project ("build your image"); a lesson that shows its app's files and
        // not their Dockerfile has lost it
        if !shows_build_files {
            out.note(format!("line {}: the lesson shows no file of what `{}` builds: it builds the reader's own project", s.line, s.literal));
            continue;
        }
        out.found(
            ctx.finding(BUILD_CONTEXT, s.line)
                .expected(format!("the {name} that `{}` reads from the current directory", s.literal))
                .observed(format!("the lesson never shows a {name}, makes one, or clones a repository that has one: docker fails (\"failed to read dockerfile: open {name}: no such file or directory\")"))
                .fix(format!("show the {name} in a ```dockerfile block introduced by \"create a file named {name}\", or add the `git clone` that brings it")),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A lesson that builds and imports `image` and deploys it with `policy` (a YAML line or "").
    fn lesson(image: &str, policy: &str) -> String {
        format!(
            "```bash\ndocker build -t {image} .\nk3d image import {image} -c c\n```\n\ndeployment.yaml:\n\n```yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  selector:\n    matchLabels: {{app: web}}\n  template:\n    metadata:\n      labels: {{app: web}}\n    spec:\n      containers:\n      - name: web\n        image: {image}\n{policy}```\n"
        )
    }

    use crate::checks::examined_on as checked;

    #[test]
    fn a_local_image_not_loaded_is_named_with_the_lessons_own_tool_or_not_judged() {
        // the course's shape without its import: the fix is the lesson's tool's
        let without = |create: &str| {
            lesson("web:1.0", "        imagePullPolicy: Never\n")
                .replace("k3d image import web:1.0 -c c\n", create)
        };
        for (create, load) in [
            ("k3d cluster create c\n", "k3d image import web:1.0"),
            ("kind create cluster\n", "kind load docker-image web:1.0"),
            ("minikube start\n", "minikube image load web:1.0"),
        ] {
            let f = checked(image_pull_never, &without(create)).findings;
            assert_eq!(f.len(), 1, "{create}: {f:#?}");
            assert!(f[0].fix.contains(load), "{create}: {}", f[0].fix);
        }
        // no tool named: Docker Desktop and Rancher Desktop run it as it is; a note, no finding
        let e = checked(image_pull_never, &without(""));
        assert!(e.findings.is_empty(), "{:#?}", e.findings);
        assert!(
            e.notes.iter().any(|n| n.contains("names no cluster tool")),
            "{:?}",
            e.notes
        );
        // built after `eval $(minikube docker-env)`: in the cluster's own engine
        let env = without("minikube start\neval $(minikube docker-env)\n").replacen(
            "docker build",
            "eval $(minikube docker-env)\ndocker build",
            1,
        );
        assert!(checked(image_pull_never, &env).findings.is_empty());
    }

    #[test]
    fn a_namespace_set_in_the_context_with_a_typo_is_found_where_it_was_set() {
        let found = |commands: &str| {
            checked(namespace, &format!("Run:\n\n```bash\n{commands}```\n")).findings
        };
        let f = found("kubectl create namespace argocd\nkubectl config set-context --current --namespace=argcd\nkubectl create configmap settings --from-literal=a=b\n");
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(f[0].line, 5);
        assert!(f[0].expected.contains("since line 5"), "{}", f[0].expected);
        assert!(
            f[0].observed.contains("it creates argocd"),
            "{}",
            f[0].observed
        );
        assert_eq!(
            f[0].edit,
            Some(Edit::ReplaceLine {
                line: 5,
                text: "kubectl config set-context --current --namespace=argocd".into()
            })
        );
        // spelt right: the configmap lands in argocd, which exists
        assert!(found("kubectl create namespace argocd\nkubectl config set-context --current --namespace=argocd\nkubectl create configmap settings --from-literal=a=b\n").is_empty());
        // kubens, and a use-context of a context given a namespace
        assert_eq!(
            found("kubectl create ns shop\nkubens shp\nkubectl get pods\n")[0].line,
            5
        );
        assert!(found("kubectl create ns dev\nkubectl config set-context dev --namespace=dev\nkubectl config use-context dev\nkubectl create configmap c --from-literal=a=b\n").is_empty());
        assert_eq!(found("kubectl config set-context dev --namespace=dvv\nkubectl create ns dev\nkubectl config use-context dev\nkubectl get pods\n").len(), 1);
    }

    #[test]
    fn a_build_of_a_project_the_lesson_never_shows_is_the_readers_own() {
        let build = "```shell\ndocker build -t my_image .\n```\n";
        let e = checked(build_context, build);
        assert!(e.findings.is_empty(), "{:#?}", e.findings);
        assert!(
            e.notes
                .iter()
                .any(|n| n.contains("the reader's own project")),
            "{:?}",
            e.notes
        );
        // a lesson that shows its app's files and not their Dockerfile has lost it
        let lost = format!(
            "Create a file called `app.py`:\n\n```python\nfrom flask import Flask\napp = Flask(__name__)\n```\n\n{build}"
        );
        assert_eq!(checked(build_context, &lost).findings.len(), 1);
        // files that come from elsewhere: a scaffold, a download, an archive, a chart
        for (from, why) in [
            ("kubebuilder init --domain my.domain", "scaffolds a project"),
            (
                "curl -sSLo app.tar.gz https://example.com/app.tar.gz",
                "downloads files",
            ),
            ("tar xzf app.tar.gz", "unpacks an archive"),
            ("helm pull bitnami/nginx --untar", "downloads a Helm chart"),
        ] {
            let md = format!("```shell\n{from}\n```\n\n{lost}");
            let e = checked(build_context, &md);
            assert!(e.findings.is_empty(), "{from}: {:#?}", e.findings);
            assert!(
                e.notes.iter().any(|n| n.contains(why)),
                "{from}: {:?}",
                e.notes
            );
        }
        // `docker build` alone names the command: no step, so nothing to check
        assert_eq!(
            checked(build_context, "```shell\ndocker build\n```\n")
                .subjects
                .len(),
            0
        );
    }

    #[test]
    fn an_imported_image_is_pulled_where_its_policy_is_or_defaults_to_always() {
        let run = |image: &str, policy: &str| {
            let l = crate::lesson::Lesson::from_bytes(
                std::path::Path::new("t.md"),
                lesson(image, policy).as_bytes(),
            )
            .unwrap();
            image_pull_never(&Ctx::new(&l)).findings
        };
        // unset on :latest: Always, by default, and the finding says so
        let f = run("myapp:latest", "");
        assert_eq!(f.len(), 1);
        assert!(
            f[0].observed.contains("imagePullPolicy is not set, and for `myapp:latest` it defaults to Always (SetDefaults_Container"),
            "{}",
            f[0].observed
        );
        // written Always, whatever the tag
        assert_eq!(
            run("myapp:v1", "        imagePullPolicy: Always\n").len(),
            1
        );
        // unset on another tag: IfNotPresent, and the imported image is used
        assert!(run("myapp:v1", "").is_empty());
        assert!(run("myapp:latest", "        imagePullPolicy: Never\n").is_empty());
    }
}
