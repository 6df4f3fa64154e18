//! The cluster tier: each lesson step by step on a fresh k3d cluster, with isolation rewrites,
//! kube-rs waits and diagnostics. Contract-tested with fake CLIs and recorded API payloads.

pub mod api;
pub mod certs;
pub mod chart;
pub mod exec;
pub mod probe;
pub mod promise;
pub mod registries;
pub mod rewrite;
pub mod tools;
pub mod transcript;

use crate::checks::finding::{Examined, Finding, Outcome, Tier};
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
                cannot_start(&name, 1, "a temp dir", e.to_string(), "free disk space"),
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
    iso.registries = registries::Registries::from_lookup(|k| {
        tools
            .env
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .or_else(|| std::env::var(k).ok())
    });
    let expected = crate::tiers::expect::expected(lesson)
        .ok()
        .filter(|_| lesson.file("Dockerfile").is_some());
    let mut run = exec::ClusterRun::new(lesson, tools, iso, connect, deadlines, expected);
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return cannot_start(&name, 1, "a tokio runtime", e.to_string(), ""),
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
    let mut examined = Examined::new();
    for e in &run.executed {
        examined.saw(format!("{name}:{} `{}`", e.line, e.literal));
    }
    notes.append(&mut run.notes);
    let charts = std::mem::take(&mut run.charts);
    let transcript = run.transcript.to_jsonl();
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
    examined.findings = findings;
    let outcome = Outcome::examined(
        CHECK,
        TITLE,
        Tier::Cluster,
        &name,
        examined,
        "the run executed no command of the lesson",
    );
    Outcome {
        charts,
        transcript: Some(transcript),
        ..outcome
    }
    .with_notes(notes)
}

/// The tier could not start its run (no temp dir, runtime or lock): a failure at `line`.
fn cannot_start(name: &str, line: usize, expected: &str, observed: String, fix: &str) -> Outcome {
    Outcome::failed(
        CHECK,
        TITLE,
        Tier::Cluster,
        name,
        vec![Finding::new(CHECK, name, line)
            .expected(expected)
            .observed(observed)
            .fix(fix)],
    )
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
        return Outcome::not_applicable(
            CHECK,
            TITLE,
            Tier::Cluster,
            &name,
            "the lesson creates no cluster",
        );
    }
    let curl_at = lesson
        .steps
        .iter()
        .find(|s| matches!(s.kind, StepKind::Curl { .. }))
        .map(|s| s.line);
    match tools::Tools::detect(curl_at.map(|l| (name.as_str(), l))) {
        Ok(t) => {
            let _one_at_a_time = match exclusive(&lock_path(), LOCK_DEADLINE) {
                Ok(l) => l,
                Err(e) => {
                    return cannot_start(
                        &name,
                        line,
                        "this machine's cluster lock (one real cluster run at a time)",
                        e,
                        "wait for the other yadoc cluster run to end, or remove a lock file no process holds",
                    )
                }
            };
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

/// How long a cluster run waits for another to finish (three lessons' nightly runs, serialized).
const LOCK_DEADLINE: std::time::Duration = std::time::Duration::from_secs(90 * 60);

/// The machine-wide cluster lock: `/tmp/yadoc-cluster.lock` (`cleanup::meeting_dir`: a run under
/// another TMPDIR still waits for it).
pub fn lock_path() -> std::path::PathBuf {
    crate::cleanup::meeting_dir().join("yadoc-cluster.lock")
}

/// One real cluster run at a time on a machine, across processes (a test binary per lesson, a
/// `yadoc check` beside them): four clusters of four nodes plus lesson 2's load on one runner blow
/// every deadline. An advisory file lock (`File::lock`, flock(2)): the kernel releases it when the
/// holder exits, however it exits, so a killed run never leaves it held. Waits at most `deadline`.
pub fn exclusive(
    path: &std::path::Path,
    deadline: std::time::Duration,
) -> Result<std::fs::File, String> {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let started = std::time::Instant::now();
    let mut progress = None;
    loop {
        match file.try_lock() {
            Ok(()) => {
                if let Some(p) = progress.take() {
                    crate::progress::Progress::done(p, true);
                }
                return Ok(file);
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                if started.elapsed() >= deadline {
                    return Err(format!(
                        "another cluster run held {} for {deadline:?}",
                        path.display()
                    ));
                }
                progress.get_or_insert_with(|| {
                    crate::progress::Progress::start(format!(
                        "waiting for another cluster run to end ({})",
                        path.display()
                    ))
                });
                std::thread::sleep(std::time::Duration::from_millis(200));
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(format!("{}: {e}", path.display())),
        }
    }
}

/// The commands a cluster run would execute, with their lesson lines and rewrites (no execution).
/// What a cluster run of the lesson would do: the commands (rewritten for isolation, each at its
/// lesson line), where the run would stop and why, the steps it would not reach, and the lesson's
/// promises checked after its steps.
pub struct Plan {
    pub executed: Vec<exec::Executed>,
    /// The line the run stops at, and the reason (a cluster the lesson deleted).
    pub stops: Option<(usize, String)>,
    /// The steps after the stop: (line, literal).
    pub not_reached: Vec<(usize, String)>,
    /// What the run checks once the steps ran: (line, what).
    pub promises: Vec<(usize, String)>,
}

pub fn plan(lesson: &Lesson) -> Plan {
    let tools = tools::Tools {
        k3d: "k3d".into(),
        docker: "docker".into(),
        kubectl: "kubectl".into(),
        curl: Some("curl".into()),
        yq: Some("yq".into()),
        env: Vec::new(),
    };
    let mut iso = rewrite::Isolation::new("plan", std::env::temp_dir().join("yadoc-plan"));
    iso.registries = registries::Registries::from_lookup(|k| std::env::var(k).ok());
    let mut run = exec::ClusterRun::new(
        lesson,
        tools,
        iso,
        exec::kubeconfig_connector(),
        exec::Deadlines::default(),
        None,
    );
    run.dry_run = true;
    let mut stops = None;
    let mut not_reached = Vec::new();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build();
    if let Ok(rt) = rt {
        // a dry run only fails where the lesson uses a cluster it deleted; the plan shows up to there
        rt.block_on(async {
            let steps = lesson.steps.clone();
            for (i, s) in steps.iter().enumerate() {
                if let Err(f) = run.step_public(s).await {
                    stops = Some((f.line, f.observed.clone()));
                    not_reached = steps[i + 1..]
                        .iter()
                        .map(|s| (s.line, s.literal.clone()))
                        .collect();
                    break;
                }
            }
        });
    }
    let promises = if stops.is_none() {
        run.promises_planned(&lesson.steps)
    } else {
        Vec::new()
    };
    Plan {
        executed: run.executed,
        stops,
        not_reached,
        promises,
    }
}
