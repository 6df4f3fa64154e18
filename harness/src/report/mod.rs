//! Reporters: text for terminals, JSON for tools. They only render; they decide nothing.

pub mod dir;
pub mod github;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod sarif;
pub mod text;

use serde::Serialize;

use crate::checks::finding::{Outcome, Status};

/// Everything one `yadoc check` run found.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Report {
    /// Schema version of the JSON form.
    pub schema: u32,
    /// Which run, which yadoc, when and how long.
    pub run: RunInfo,
    pub lessons: Vec<String>,
    pub outcomes: Vec<Outcome>,
}

/// The run a report comes from.
#[derive(Debug, Clone, Serialize, Default, PartialEq)]
pub struct RunInfo {
    /// The run id its docker objects and temp dirs are labelled with.
    pub id: String,
    pub yadoc: String,
    /// When it started, RFC 3339 UTC.
    pub started: String,
    pub seconds: f64,
}

impl RunInfo {
    /// The run that started at `start` (wall clock) and has run for `elapsed`.
    pub fn new(start: std::time::SystemTime, elapsed: std::time::Duration) -> Self {
        Self {
            id: crate::cleanup::run_id().to_string(),
            yadoc: env!("CARGO_PKG_VERSION").to_string(),
            started: rfc3339(start),
            seconds: elapsed.as_secs_f64(),
        }
    }
}

/// `2026-11-28T01:30:00Z` (civil-from-days, H. Hinnant's algorithm).
pub fn rfc3339(t: std::time::SystemTime) -> String {
    let secs = t
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Notes saying what stood in for what the lesson names (a base image built from the local
/// stand-in): every report shows them, a green one too, as `lesson: note`.
pub fn substitutions(report: &Report) -> Vec<String> {
    report
        .outcomes
        .iter()
        .flat_map(|o| {
            o.notes
                .iter()
                .filter(|n| n.contains("built FROM the local stand-in"))
                .map(move |n| format!("{}: {n}", o.lesson))
        })
        .collect()
}

/// Counts by status.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct Summary {
    pub passed: usize,
    pub failed: usize,
    pub known_drift: usize,
    pub skipped: usize,
    /// Checks that found nothing of the lesson to examine: never counted as passed.
    pub not_applicable: usize,
}

impl Report {
    pub fn new(lessons: Vec<String>, outcomes: Vec<Outcome>) -> Self {
        Self {
            schema: 2,
            run: RunInfo::default(),
            lessons,
            outcomes,
        }
    }

    pub fn with_run(mut self, run: RunInfo) -> Self {
        self.run = run;
        self
    }

    pub fn summary(&self) -> Summary {
        let mut s = Summary::default();
        for o in &self.outcomes {
            match o.status {
                Status::Passed => s.passed += 1,
                Status::Failed => s.failed += 1,
                Status::KnownDrift => s.known_drift += 1,
                Status::Skipped { .. } => s.skipped += 1,
                Status::NotApplicable { .. } => s.not_applicable += 1,
            }
        }
        s
    }

    /// Outcomes that did not run for a prerequisite this machine lacks (not the lesson's doing).
    pub fn prerequisite_missing(&self) -> impl Iterator<Item = &Outcome> {
        self.outcomes
            .iter()
            .filter(|o| o.prerequisite_missing.is_some())
    }

    /// True when something failed that the known-drift register does not expect.
    pub fn has_failures(&self) -> bool {
        self.summary().failed > 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_of_known_instants() {
        let at = |s| std::time::UNIX_EPOCH + std::time::Duration::from_secs(s);
        assert_eq!(rfc3339(at(0)), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(at(951_782_400)), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(at(1_795_829_400)), "2026-11-28T01:30:00Z");
    }
}
