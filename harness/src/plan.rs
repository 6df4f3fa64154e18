//! `yadoc plan LESSON`: the ordered steps and the files, each with where it comes from.

use std::fmt::Write;

use crate::lesson::artifact::{Body, Origin};
use crate::lesson::steps::StepKind;
use crate::lesson::Lesson;

pub fn render(lesson: &Lesson) -> String {
    let mut out = String::new();
    let file = lesson.path.display();
    let _ = writeln!(out, "plan for {file}\n\nfiles:");
    for a in &lesson.files {
        let size = match &a.body {
            Body::Text(t) => format!("{} lines", t.lines().count()),
            Body::Generated { size } => format!("{size} bytes"),
        };
        match &a.origin {
            Origin::Read {
                first_line,
                bound_by,
                ..
            } => {
                let _ = writeln!(
                    out,
                    "  {:<18} read     {file}:{first_line}  ({size}; bound because {bound_by})",
                    a.name
                );
            }
            Origin::Derived { line, how, .. } => {
                let _ = writeln!(
                    out,
                    "  {:<18} DERIVED  {file}:{line}  ({size}; {how})",
                    a.name
                );
            }
        }
    }
    let _ = writeln!(out, "\nsteps:");
    let mut n = 0;
    for s in &lesson.steps {
        let what = match &s.kind {
            StepKind::ClusterCreate(_) => "create cluster",
            StepKind::ClusterDelete { .. } => "delete cluster",
            StepKind::ImageImport { .. } => "import image",
            StepKind::DockerBuild { .. } => "build image",
            StepKind::Apply { .. } => "apply",
            StepKind::CreateNamespace { .. } => "create namespace",
            StepKind::CreateFrom { .. } => "create from file",
            StepKind::Kustomize { .. } => "kustomize",
            StepKind::CreateObject { .. } => "create object",
            StepKind::Delete { .. } => "delete",
            StepKind::RunPod { .. } => "run pod",
            StepKind::Inspect { .. } => "inspect",
            StepKind::Curl { .. } => "call API",
            StepKind::ExtractKubeconfigField { .. } => "extract cert",
            StepKind::ShowFile { .. } => "show file",
            StepKind::WriteFile { .. } => "write file",
            StepKind::EditHosts => "hosts file",
            StepKind::HostsEntry { .. } => "hosts entry",
            StepKind::Visit { .. } => "visit (prose)",
            StepKind::Unmodelled { .. } => "unmodelled",
        };
        n += 1;
        let _ = writeln!(
            out,
            "  {n:>2}. {file}:{:<4} {what:<16} {}",
            s.line, s.literal
        );
    }
    out
}

/// `yadoc plan LESSON --tier cluster`: every command a cluster run executes, next to the lesson's
/// literal line and the rewrites isolation needs.
pub fn render_cluster(lesson: &Lesson) -> String {
    let mut out = String::new();
    let file = lesson.path.display();
    let _ = writeln!(
        out,
        "cluster plan for {file} (names, ports and paths are examples: each run picks its own)\n"
    );
    let mut last_line = 0;
    let plan = crate::tiers::cluster::plan(lesson);
    for e in &plan.executed {
        if e.line != last_line {
            let _ = writeln!(out, "{file}:{:<4} {}", e.line, e.literal);
            last_line = e.line;
        }
        let _ = writeln!(out, "      $ {}", e.command());
        for r in &e.rewrites {
            let _ = writeln!(out, "        · {r}");
        }
    }
    if let Some((line, why)) = &plan.stops {
        let _ = writeln!(
            out,
            "\nthe run stops at {file}:{line}: {why}\nnot reached ({}):",
            plan.not_reached.len()
        );
        for (l, literal) in &plan.not_reached {
            let _ = writeln!(out, "{file}:{l:<4} {literal}");
        }
    }
    if !plan.promises.is_empty() {
        let _ = writeln!(out, "\nthen, once the steps ran:");
        for (l, what) in &plan.promises {
            let _ = writeln!(out, "{file}:{l:<4} {what}");
        }
    }
    out
}
