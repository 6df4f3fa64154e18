//! Helpers shared by the test targets: where the project's lessons and fixtures are, a scratch copy
//! of a lesson directory that a test may edit, and the libtest-mimic plumbing of the lesson targets
//! (tests that need a tier, the cluster trials, honest skips under cargo test and nextest alike).
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use libtest_mimic::{Arguments, Completion, Failed, Trial};
use yadoc::checks::finding::{Finding, Outcome, Status, Tier};
use yadoc::lesson::Lesson;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn lessons_dir() -> PathBuf {
    root().join("lessons")
}

pub fn corrected_dir() -> PathBuf {
    root().join("fixtures/corrected")
}

/// Copy every file of `from` into a fresh temp dir.
pub fn scratch_copy(from: &Path) -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("yadoc-test-")
        .tempdir()
        .expect("temp dir");
    for e in std::fs::read_dir(from).expect("read fixture dir") {
        let e = e.expect("dir entry");
        if e.path().is_file() {
            std::fs::copy(e.path(), dir.path().join(e.file_name())).expect("copy fixture");
        }
    }
    dir
}

/// The static tier plus the known-drift register of `dir`, on one lesson.
pub fn static_outcomes(dir: &Path, lesson: &str) -> Vec<Outcome> {
    let l = Lesson::load(&dir.join(lesson)).unwrap_or_else(|e| panic!("{lesson}: {e}"));
    yadoc::run::check(dir, &[l], &[Tier::Static]).expect("check runs")
}

pub fn findings(outcomes: &[Outcome]) -> Vec<&Finding> {
    outcomes.iter().flat_map(|o| o.findings.iter()).collect()
}

/// Findings not expected by the known-drift register.
pub fn unexpected(outcomes: &[Outcome]) -> Vec<&Finding> {
    findings(outcomes)
        .into_iter()
        .filter(|f| f.known_drift.is_none())
        .collect()
}

pub fn failed(outcomes: &[Outcome]) -> Vec<&Outcome> {
    outcomes
        .iter()
        .filter(|o| o.status == Status::Failed)
        .collect()
}

/// `check@lesson:line` of each finding, for readable assertions.
pub fn located(findings: &[&Finding]) -> Vec<String> {
    let mut v: Vec<String> = findings
        .iter()
        .map(|f| format!("{}@{}:{}", f.check, f.lesson, f.line))
        .collect();
    v.sort();
    v
}

/// What a lesson test that needs a tier concludes: passed, ignored at run time with the reason (the
/// tier's prerequisites are missing here), or failed. libtest-mimic shows the ignore in cargo's own
/// summary (`test … ignored, k3d not found …`), not only under `--nocapture`.
pub type Verdict = Result<Completion, Failed>;

/// Run one tier on one lesson of `dir`, with the known-drift register of `dir`.
/// `Err(verdict)`: the tier could not run here — ignored with its reason, or, when `YADOC_REQUIRE`
/// requires the tier, failed with the same reason (the test returns that verdict as it is).
pub fn tier(dir: &Path, lesson: &str, tier: Tier) -> Result<Vec<Outcome>, Verdict> {
    if let Some(verdict) = left_out(tier, lesson) {
        return Err(verdict);
    }
    let l = Lesson::load(&dir.join(lesson)).unwrap_or_else(|e| panic!("{lesson}: {e}"));
    let outcomes = yadoc::run::check(dir, &[l], &[tier]).expect("check runs");
    let missing: Vec<String> = outcomes
        .iter()
        .filter_map(|o| o.prerequisite_missing.clone())
        .collect();
    if missing.is_empty() {
        return Ok(outcomes);
    }
    let reason = format!("{} tier of {lesson}: {}", tier.as_str(), missing.join("; "));
    if yadoc::tiers::prereq::required(tier) {
        Err(Err(Failed::from(format!(
            "{reason} (YADOC_REQUIRE requires the {} tier)",
            tier.as_str()
        ))))
    } else {
        Err(Ok(Completion::ignored_with(reason)))
    }
}

/// `YADOC_SKIP=cluster` (a comma list of tiers): the user leaves a tier out of this test run. It is
/// shown as ignored with that reason, never as passed; under `YADOC_REQUIRE` for the same tier the
/// two contradict, and the test fails saying so.
pub fn skip_asked(tier: Tier) -> bool {
    std::env::var("YADOC_SKIP").is_ok_and(|v| {
        v.split(',')
            .any(|t| t.trim() == tier.as_str() || t.trim() == "all")
    })
}

fn left_out(tier: Tier, lesson: &str) -> Option<Verdict> {
    if !skip_asked(tier) {
        return None;
    }
    let reason = format!(
        "{} tier of {lesson}: left out by YADOC_SKIP={}",
        tier.as_str(),
        std::env::var("YADOC_SKIP").unwrap_or_default()
    );
    Some(if yadoc::tiers::prereq::required(tier) {
        Err(Failed::from(format!(
            "{reason}, while YADOC_REQUIRE requires the {} tier",
            tier.as_str()
        )))
    } else {
        Ok(Completion::ignored_with(reason))
    })
}

/// `let outcomes = ran!(tier(..));`: the tier's outcomes, or return its not-run verdict.
#[macro_export]
macro_rules! ran {
    ($e:expr) => {
        match $e {
            Ok(outcomes) => outcomes,
            Err(verdict) => return verdict,
        }
    };
}

/// The lesson's cluster test, as written and corrected: the course as its author wrote it shows
/// exactly its known drift (nothing unexpected, no stale entry), and the corrected course passes.
/// On a machine without docker + k3d + kubectl both are ignored with the reason.
pub fn cluster_trials(lesson: &'static str) -> Vec<Trial> {
    let stem = lesson.trim_end_matches(".md");
    vec![
        tier_trial(
            &format!("{stem}_on_a_fresh_k3d_cluster_as_written_shows_exactly_its_known_drift"),
            Tier::Cluster,
            lesson,
            move || {
                let outcomes = ran!(tier(&lessons_dir(), lesson, Tier::Cluster));
                let bad: Vec<String> = outcomes
                    .iter()
                    .filter(|o| o.status == Status::Failed)
                    .flat_map(|o| o.findings.iter())
                    .map(|f| {
                        format!(
                            "{}:{} {} — expected {}; observed {}",
                            f.lesson, f.line, f.check, f.expected, f.observed
                        )
                    })
                    .collect();
                if bad.is_empty() {
                    Ok(Completion::Completed)
                } else {
                    Err(Failed::from(bad.join("\n")))
                }
            },
        ),
        tier_trial(
            &format!("{stem}_on_a_fresh_k3d_cluster_corrected_passes"),
            Tier::Cluster,
            lesson,
            move || {
                let outcomes = ran!(tier(&corrected_dir(), lesson, Tier::Cluster));
                let o = outcome(&outcomes, "cluster.lesson");
                if o.status == Status::Passed {
                    Ok(Completion::Completed)
                } else {
                    Err(Failed::from(format!("{o:#?}")))
                }
            },
        ),
    ]
}

/// The cluster tests as cargo shows them where k3d is missing (this target run again, with
/// `YADOC_K3D` naming a program that does not exist): ignored with the reason in cargo's own
/// summary, and failed with the same reason under `YADOC_REQUIRE=cluster`.
pub fn cluster_skip_trial(lesson: &'static str) -> Trial {
    let stem = lesson.trim_end_matches(".md");
    Trial::test(
        format!("{stem}_cluster_tests_show_as_ignored_with_the_reason_where_k3d_is_missing"),
        move || {
            let me = std::env::current_exe().map_err(|e| Failed::from(e.to_string()))?;
            let run_with = |require: Option<&str>, skip: Option<&str>| {
                let mut c = std::process::Command::new(&me);
                c.args(["--test-threads", "1", "on_a_fresh_k3d_cluster"])
                    .env("YADOC_K3D", "/nonexistent/k3d")
                    .env("YADOC_QUIET", "1")
                    .env_remove("YADOC_REQUIRE")
                    .env_remove("YADOC_SKIP");
                if let Some(s) = skip {
                    c.env("YADOC_SKIP", s);
                }
                // as cargo test runs it, whoever runs this trial (nextest sets these)
                for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("NEXTEST")) {
                    c.env_remove(k);
                }
                if let Some(r) = require {
                    c.env("YADOC_REQUIRE", r);
                }
                c.output().expect("the test binary runs again")
            };
            let run = |require: Option<&str>| run_with(require, None);
            let reason = format!("cluster tier of {lesson}: /nonexistent/k3d not found");
            let skipped = run(None);
            let out = String::from_utf8_lossy(&skipped.stdout);
            let ignored = out
                .lines()
                .filter(|l| {
                    l.contains("on_a_fresh_k3d_cluster")
                        && l.contains("ignored")
                        && l.contains(&reason)
                })
                .count();
            if !skipped.status.success() || ignored != 2 || !out.contains("2 ignored") {
                return Err(
                    format!("expected 2 cluster tests ignored with `{reason}`:\n{out}").into(),
                );
            }
            let required = run(Some("cluster"));
            let out = String::from_utf8_lossy(&required.stdout);
            if required.status.success() || !out.contains(&reason) || !out.contains("2 failed") {
                return Err(format!(
                    "expected 2 failures with `{reason}` under YADOC_REQUIRE=cluster:\n{out}"
                )
                .into());
            }
            // the switch that leaves the cluster out: ignored with its own reason, never passed;
            // contradicting YADOC_REQUIRE, it fails
            let reason = format!("cluster tier of {lesson}: left out by YADOC_SKIP=cluster");
            let left_out = run_with(None, Some("cluster"));
            let out = String::from_utf8_lossy(&left_out.stdout);
            if !left_out.status.success()
                || out
                    .lines()
                    .filter(|l| l.contains("ignored") && l.contains(&reason))
                    .count()
                    != 2
            {
                return Err(
                    format!("expected 2 cluster tests ignored with `{reason}`:\n{out}").into(),
                );
            }
            let both = run_with(Some("cluster"), Some("cluster"));
            let out = String::from_utf8_lossy(&both.stdout);
            if both.status.success()
                || !out.contains("2 failed")
                || !out.contains("while YADOC_REQUIRE requires")
            {
                return Err(format!(
                    "expected 2 failures for YADOC_SKIP against YADOC_REQUIRE:\n{out}"
                )
                .into());
            }
            Ok(())
        },
    )
}

/// The tutorial corpus beside the project (`../shared/tutorials`: other people's text, never in
/// the repository), or why it is not there.
pub fn corpus() -> Result<PathBuf, String> {
    let dir = root().join("../shared/tutorials");
    if dir.join("README.md").is_file() {
        Ok(dir)
    } else {
        Err(format!(
            "the tutorial corpus {} is not beside this clone (it is other people's text, kept out of the repository; this project's CI has it)",
            dir.display()
        ))
    }
}

/// A test that reads the tutorial corpus: ignored with the reason where the corpus is absent (a
/// user's clone), failed instead under `YADOC_REQUIRE=corpus` (CI), else a plain test.
pub fn corpus_trial(name: &str, f: fn()) -> Trial {
    Trial::ignorable_test(name, move || match corpus() {
        Ok(_) => {
            f();
            Ok(Completion::Completed)
        }
        Err(reason) if yadoc::tiers::prereq::required_named("corpus") => Err(Failed::from(
            format!("{reason}; YADOC_REQUIRE requires the corpus"),
        )),
        Err(reason) => Ok(Completion::ignored_with(reason)),
    })
    .with_ignored_flag(
        nextest_listing() && corpus().is_err() && !yadoc::tiers::prereq::required_named("corpus"),
    )
}

/// A plain test (passes unless it panics) as a libtest-mimic trial.
pub fn plain(name: &str, f: fn()) -> Trial {
    Trial::test(name, move || {
        captured(|| {
            f();
            Ok(Completion::Completed)
        })
        .map(|_| ())
    })
}

/// Run a trial with what yadoc says (its `$ command` echoes, progress) captured: shown with the
/// trial's failure, as cargo test shows a failing test's output, and never mixed into cargo's own.
pub fn captured(f: impl FnOnce() -> Verdict) -> Verdict {
    let (r, said) =
        yadoc::progress::capture(|| std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)));
    let with_output = |message: String| {
        if said.is_empty() {
            Failed::from(message)
        } else {
            Failed::from(format!("{message}\n---- what yadoc said ----\n{said}"))
        }
    };
    match r {
        Ok(Ok(c)) => Ok(c),
        Ok(Err(failed)) => Err(with_output(
            failed.message().unwrap_or("failed").to_string(),
        )),
        Err(panic) => {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "panicked".into());
            Err(with_output(format!("panicked: {message}")))
        }
    }
}

/// Panic, unless every finding of `outcomes` is known drift, with the failures rendered as
/// `yadoc check` shows them: the lesson line, expected, observed, fix.
pub fn assert_only_known_drift(dir: &Path, lesson: &str, outcomes: &[Outcome]) {
    let failing: Vec<Outcome> = outcomes
        .iter()
        .filter(|o| o.status == Status::Failed)
        .cloned()
        .collect();
    if failing.is_empty() {
        return;
    }
    let l = Lesson::load(&dir.join(lesson)).ok();
    let report = yadoc::report::Report::new(vec![lesson.to_string()], failing);
    panic!(
        "{lesson}: findings the known-drift register does not expect:\n{}",
        yadoc::report::text::render(&report, l.as_slice(), false)
    );
}

/// Whether nextest is listing the tests: it then learns which are ignored (`--list --ignored`), and
/// only from the list, since a test process can only pass or fail for it.
pub fn nextest_listing() -> bool {
    std::env::var("NEXTEST_TEST_PHASE").is_ok_and(|p| p == "list")
}

/// What this machine lacks for `tier` of the project's `lesson`, probed without running the tier.
pub fn missing(tier: Tier, lesson: &str) -> Option<String> {
    let l = Lesson::load(&lessons_dir().join(lesson)).ok()?;
    match tier {
        Tier::Static => None,
        Tier::App => yadoc::tiers::prereq::python().err(),
        Tier::Image => yadoc::tiers::image::missing_locally(&l),
        Tier::Cluster => {
            let curl_at = l
                .steps
                .iter()
                .find(|s| matches!(s.kind, yadoc::lesson::steps::StepKind::Curl { .. }))
                .map(|s| (lesson, s.line));
            yadoc::tiers::cluster::tools::Tools::detect(curl_at).err()
        }
    }
}

/// A test that needs `tier`: under cargo test it decides at run time and shows `ignored, <reason>`;
/// under nextest the list already marks it ignored (SKIP) where the tier cannot run, and a run-time
/// "not run" fails rather than showing as PASS — no runner reports a tier that did not run as passed.
pub fn tier_trial(
    name: &str,
    tier: Tier,
    lesson: &'static str,
    f: impl FnOnce() -> Verdict + Send + 'static,
) -> Trial {
    let nextest = std::env::var_os("NEXTEST").is_some();
    let trial = Trial::ignorable_test(name, move || match captured(f) {
        Ok(Completion::Ignored { reason }) if nextest => Err(Failed::from(format!(
            "not run: {} (nextest shows a run-time skip as a pass, so it fails instead)",
            reason.unwrap_or_default()
        ))),
        other => other,
    });
    let ignore = nextest_listing()
        && !yadoc::tiers::prereq::required(tier)
        && (missing(tier, lesson).is_some() || skip_asked(tier));
    trial.with_ignored_flag(ignore)
}

/// Run the trials with cargo test's own arguments and exit with its code.
pub fn run(trials: Vec<Trial>) -> ! {
    libtest_mimic::run(&Arguments::from_args(), trials).exit()
}

/// `main` of a lesson target: plain tests, tests of the app and image tiers, and the lesson's
/// cluster tests.
#[macro_export]
macro_rules! lesson_main {
    (lesson: $lesson:literal, plain: [$($p:ident),* $(,)?], app: [$($a:ident),* $(,)?], image: [$($i:ident),* $(,)?] $(,)?) => {
        fn main() {
            let mut trials = vec![
                $(support::plain(stringify!($p), $p),)*
                $(support::tier_trial(stringify!($a), yadoc::checks::finding::Tier::App, $lesson, $a),)*
                $(support::tier_trial(stringify!($i), yadoc::checks::finding::Tier::Image, $lesson, $i),)*
            ];
            trials.extend(support::cluster_trials($lesson));
            trials.push(support::cluster_skip_trial($lesson));
            support::run(trials)
        }
    };
}

pub fn outcome<'a>(outcomes: &'a [Outcome], check: &str) -> &'a Outcome {
    outcomes
        .iter()
        .find(|o| o.check == check)
        .unwrap_or_else(|| panic!("no outcome {check} in {outcomes:#?}"))
}

/// yadoc's cache directory, as the harness finds it (YADOC_CACHE, XDG_CACHE_HOME, ~/.cache).
pub fn cache_dir() -> PathBuf {
    std::env::var_os("YADOC_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            std::env::var_os("XDG_CACHE_HOME")
                .map(PathBuf::from)
                .unwrap_or_else(|| {
                    PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache")
                })
                .join("yadoc")
        })
}

/// A tool of the venv `ci/workflow-tools.sh` makes, else on PATH.
pub fn ci_tool(name: &str) -> Option<PathBuf> {
    let venv = cache_dir().join("ci-tools/bin").join(name);
    if venv.is_file() {
        return Some(venv);
    }
    std::env::var_os("PATH").and_then(|p| {
        std::env::split_paths(&p)
            .map(|d| d.join(name))
            .find(|c| c.is_file())
    })
}

/// Whether YADOC_REQUIRE requires the checks that need `ci/workflow-tools.sh`'s tools.
pub fn workflows_required() -> bool {
    yadoc::tiers::prereq::required_named("workflows")
}
