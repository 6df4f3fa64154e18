//! The cluster tier: each lesson step by step on a fresh k3d cluster, with isolation rewrites,
//! kube-rs waits and diagnostics. Contract-tested with fake CLIs and recorded API payloads.

pub mod api;
pub mod certs;
pub mod exec;
pub mod probe;
pub mod promise;
pub mod rewrite;
pub mod tools;

use crate::checks::finding::{Finding, Outcome, Tier};
use crate::cleanup;
use crate::lesson::steps::StepKind;
use crate::lesson::Lesson;

pub const CHECK: &str = "cluster.lesson";
const TITLE: &str = "the lesson, step by step, on a fresh k3d cluster";

/// Run a lesson on k3d with the given tools and connector; the outcome carries every command next to
/// its lesson line, and on failure the diagnostics. Also returns the run's directory (removed by then).
pub fn run_with(
    lesson: &Lesson,
    tools: tools::Tools,
    connect: exec::Connector,
    deadlines: exec::Deadlines,
    seed_ports: &[(u16, u16)],
) -> (Outcome, std::path::PathBuf) {
    let name = lesson.file_name();
    let (workdir, dir_guard) = match cleanup::temp_dir("cluster") {
        Ok(d) => d,
        Err(e) => {
            return (
                Outcome::new(
                    CHECK,
                    TITLE,
                    Tier::Cluster,
                    &name,
                    vec![Finding::new(CHECK, &name, 1)
                        .expected("a temp dir")
                        .observed(e.to_string())
                        .fix("free disk space")],
                ),
                std::path::PathBuf::new(),
            )
        }
    };
    let outcome = run_in(
        lesson,
        tools,
        connect,
        deadlines,
        seed_ports,
        workdir.clone(),
    );
    drop(dir_guard);
    (outcome, workdir)
}

fn run_in(
    lesson: &Lesson,
    tools: tools::Tools,
    connect: exec::Connector,
    deadlines: exec::Deadlines,
    seed_ports: &[(u16, u16)],
    workdir: std::path::PathBuf,
) -> Outcome {
    let name = lesson.file_name();
    let mut iso = rewrite::Isolation::new(&cleanup::unique(), workdir);
    iso.ports.extend(seed_ports.iter().copied());
    let expected = crate::tiers::expect::expected(lesson)
        .ok()
        .filter(|_| lesson.file("Dockerfile").is_some());
    let mut run = exec::ClusterRun::new(lesson, tools, iso, connect, deadlines, expected);
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            return Outcome::new(
                CHECK,
                TITLE,
                Tier::Cluster,
                &name,
                vec![Finding::new(CHECK, &name, 1)
                    .expected("a tokio runtime")
                    .observed(e.to_string())
                    .fix("")],
            )
        }
    };
    let result = rt.block_on(run.run());
    let mut notes: Vec<String> = run
        .executed
        .iter()
        .map(|e| {
            format!(
                "{}:{} `{}` → `{}`{}",
                name,
                e.line,
                e.literal,
                e.command(),
                if e.rewrites.is_empty() {
                    String::new()
                } else {
                    format!(" [{}]", e.rewrites.join("; "))
                }
            )
        })
        .collect();
    notes.append(&mut run.notes);
    run.finish();
    let findings = match result {
        Ok(()) => Vec::new(),
        Err(f) => {
            if !f.diagnostics.is_empty() {
                notes.push(format!("diagnostics:\n{}", f.diagnostics));
            }
            let cause = f
                .diagnostics
                .lines()
                .find_map(|l| l.strip_prefix("cause: "))
                .map(String::from);
            vec![Finding::new(CHECK, &name, f.line)
                .expected(f.expected)
                .observed(f.observed)
                .fix(f.fix)
                .diagnosis(cause)]
        }
    };
    Outcome::new(CHECK, TITLE, Tier::Cluster, &name, findings).with_notes(notes)
}

/// The cluster tier on this machine: skipped (or failed under YADOC_REQUIRE) without k3d, kubectl or docker.
pub fn run(lesson: &Lesson) -> Outcome {
    let name = lesson.file_name();
    let line = lesson
        .steps
        .iter()
        .find(|s| matches!(s.kind, StepKind::ClusterCreate(_)))
        .map(|s| s.line)
        .unwrap_or(1);
    if !lesson
        .steps
        .iter()
        .any(|s| matches!(s.kind, StepKind::ClusterCreate(_)))
    {
        return Outcome::skipped(
            CHECK,
            TITLE,
            Tier::Cluster,
            &name,
            "not applicable: the lesson creates no cluster",
        );
    }
    match tools::Tools::detect() {
        Ok(t) => {
            run_with(
                lesson,
                t,
                exec::kubeconfig_connector(),
                exec::Deadlines::default(),
                &[],
            )
            .0
        }
        Err(reason) => {
            crate::tiers::prereq::unavailable(CHECK, TITLE, Tier::Cluster, &name, line, &reason)
        }
    }
}

/// The commands a cluster run would execute, with their lesson lines and rewrites (no execution).
pub fn plan(lesson: &Lesson) -> Vec<exec::Executed> {
    let tools = tools::Tools {
        k3d: "k3d".into(),
        docker: "docker".into(),
        kubectl: "kubectl".into(),
        curl: Some("curl".into()),
        yq: Some("yq".into()),
        env: Vec::new(),
    };
    let iso = rewrite::Isolation::new("plan", std::env::temp_dir().join("yadoc-plan"));
    let mut run = exec::ClusterRun::new(
        lesson,
        tools,
        iso,
        exec::kubeconfig_connector(),
        exec::Deadlines::default(),
        None,
    );
    run.dry_run = true;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build();
    if let Ok(rt) = rt {
        // a dry run only fails where the lesson uses a cluster it deleted; the plan shows up to there
        rt.block_on(async {
            let steps = lesson.steps.clone();
            for s in &steps {
                if run.step_public(s).await.is_err() {
                    break;
                }
            }
        });
    }
    run.executed
}
