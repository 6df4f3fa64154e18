//! Helpers shared by the test targets: where the project's lessons and fixtures are, and a scratch
//! copy of a lesson directory that a test may edit.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

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

/// Run one tier on one lesson of `dir`, with the known-drift register of `dir`. Returns None (and
/// says why on stderr) when the tier's prerequisites are missing and YADOC_REQUIRE does not require
/// it: yadoc reports that as skipped, and so does this test, by printing it; with YADOC_REQUIRE
/// set (CI) a missing prerequisite is a failed outcome and the test fails.
pub fn tier(dir: &Path, lesson: &str, tier: Tier) -> Option<Vec<Outcome>> {
    let l = Lesson::load(&dir.join(lesson)).unwrap_or_else(|e| panic!("{lesson}: {e}"));
    let outcomes = yadoc::run::check(dir, &[l], &[tier]).expect("check runs");
    let skipped: Vec<String> = outcomes
        .iter()
        .filter_map(|o| match &o.status {
            Status::Skipped { reason } if !reason.starts_with("not applicable") => {
                Some(reason.clone())
            }
            _ => None,
        })
        .collect();
    if !skipped.is_empty() {
        eprintln!(
            "SKIPPED {} tier of {lesson}: {}",
            tier.as_str(),
            skipped.join("; ")
        );
        return None;
    }
    Some(outcomes)
}

pub fn outcome<'a>(outcomes: &'a [Outcome], check: &str) -> &'a Outcome {
    outcomes
        .iter()
        .find(|o| o.check == check)
        .unwrap_or_else(|| panic!("no outcome {check} in {outcomes:#?}"))
}
