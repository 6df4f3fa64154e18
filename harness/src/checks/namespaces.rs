//! `steps.namespace`: a command lands in a namespace the lesson makes. A namespace one or two
//! letters off one the lesson made (`argcd` for `argocd`) is a typo: kubectl fails with
//! `namespaces "argcd" not found`. The namespace a command lands in is its own `-n`, else the one
//! the current context points at (`kubectl config set-context --current --namespace=…`, `kubens`;
//! `lesson/steps.rs` `Env`), else `default`.

use super::context::Ctx;
use super::finding::{Edit, Examined};
use crate::lesson::steps::{Step, StepKind};

pub const NAMESPACE: &str = "steps.namespace";

/// Namespaces every cluster has (kubernetes pkg/apis/core/types.go `NamespaceDefault`,
/// `NamespaceSystem`, `NamespacePublic`, `NamespaceNodeLease`).
const BUILT_IN: &[&str] = &["default", "kube-system", "kube-public", "kube-node-lease"];

/// The namespace a step names or lands in, if it is one that holds objects.
fn namespace_of(s: &Step) -> Option<&str> {
    match &s.kind {
        StepKind::Apply { namespace, .. }
        | StepKind::CreateFrom { namespace, .. }
        | StepKind::Kustomize { namespace, .. }
        | StepKind::CreateObject { namespace, .. }
        | StepKind::Delete { namespace, .. }
        | StepKind::RunPod { namespace, .. }
        | StepKind::Inspect { namespace, .. } => namespace.as_deref(),
        _ => None,
    }
}

/// The line a namespace word is written on: the step's own, or the earlier line that pointed the
/// current context at it.
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

pub fn namespace(ctx: &Ctx) -> Examined {
    let mut out = Examined::new();
    let mut made: Vec<(String, usize)> = ctx
        .lesson
        .commands()
        .filter_map(|s| match &s.kind {
            StepKind::CreateNamespace { name } => Some((name.clone(), s.line)),
            _ => None,
        })
        .collect();
    made.extend(
        ctx.of_kind("Namespace")
            .map(|m| (m.name().to_string(), m.line("metadata.name"))),
    );
    let mut reported: Vec<(String, usize)> = Vec::new();
    for s in ctx.lesson.commands() {
        let Some(ns) = namespace_of(s) else { continue };
        if !s.placeholders.is_empty() || ns.contains('$') {
            continue;
        }
        out.saw(format!("line {}: namespace {ns}", s.line));
        if BUILT_IN.contains(&ns) || made.iter().any(|(n, _)| n == ns) {
            continue;
        }
        let near = made
            .iter()
            .filter(|(n, _)| super::world::edit_distance(n, ns) <= 2 && n.len() > 2)
            .min_by_key(|(n, _)| super::world::edit_distance(n, ns));
        let Some((meant, at)) = near else {
            out.note(format!(
                "line {}: namespace {ns} is not made by the lesson; it may exist already",
                s.line
            ));
            continue;
        };
        let source = written_at(ctx, s, ns);
        if reported.contains(&(ns.to_string(), source.line)) {
            continue;
        }
        reported.push((ns.to_string(), source.line));
        let via = if source.line == s.line {
            String::new()
        } else {
            format!(
                ", the namespace the current context points at since line {}",
                source.line
            )
        };
        let text = ctx.lesson.source.line(source.line);
        let fixed = [format!("={ns}"), format!(" {ns}")]
            .iter()
            .find(|w| text.contains(w.as_str()))
            .map(|w| text.replacen(w.as_str(), &w.replace(ns, meant), 1));
        let mut finding = ctx
            .finding(NAMESPACE, source.line)
            .expected(format!(
                "namespace `{meant}`, made at line {at}, for `{}` (line {})",
                s.literal, s.line
            ))
            .observed(format!(
                "`{ns}`{via}: the lesson makes no such namespace, so kubectl fails with Error from server (NotFound): namespaces \"{ns}\" not found"
            ))
            .fix(format!("write `{meant}`"));
        if let Some(text) = fixed {
            finding = finding.edit(Edit::ReplaceLine {
                line: source.line,
                text,
            });
        }
        out.found(finding);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(commands: &str) -> Vec<crate::checks::finding::Finding> {
        let md = format!("Run:\n\n```bash\n{commands}```\n");
        let l =
            crate::lesson::Lesson::from_bytes(std::path::Path::new("t.md"), md.as_bytes()).unwrap();
        namespace(&Ctx::new(&l)).findings
    }

    #[test]
    fn a_namespace_set_in_the_context_with_a_typo_is_found_where_it_was_set() {
        let f = found("kubectl create namespace argocd\nkubectl config set-context --current --namespace=argcd\nkubectl create configmap settings --from-literal=a=b\n");
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(f[0].line, 5);
        assert!(f[0].observed.contains("since line 5"), "{}", f[0].observed);
        assert_eq!(
            f[0].edit,
            Some(Edit::ReplaceLine {
                line: 5,
                text: "kubectl config set-context --current --namespace=argocd".into()
            })
        );
        // spelt right: the configmap lands in argocd
        assert!(found("kubectl create namespace argocd\nkubectl config set-context --current --namespace=argocd\nkubectl create configmap settings --from-literal=a=b\n").is_empty());
        // kubens, and an explicit -n with the typo
        assert_eq!(
            found("kubectl create ns shop\nkubens shp\nkubectl get pods\n")[0].line,
            5
        );
        assert_eq!(
            found("kubectl create ns shop\nkubectl get pods -n shpo\n")[0].line,
            5
        );
    }

    #[test]
    fn a_namespace_the_lesson_never_made_and_no_near_miss_may_exist() {
        assert!(
            found("kubectl get pods -n monitoring\nkubectl get pods -n kube-system\n").is_empty()
        );
        // a context switched back by use-context lands in that context's namespace again
        assert!(found("kubectl create ns dev\nkubectl config set-context dev --namespace=dev\nkubectl config use-context dev\nkubectl create configmap c --from-literal=a=b\n").is_empty());
    }
}
