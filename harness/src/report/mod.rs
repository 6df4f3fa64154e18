//! Reporters: text for terminals, JSON for tools. They only render; they decide nothing.

pub mod dir;
pub mod github;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod text;

use serde::Serialize;

use crate::checks::finding::{Outcome, Status};

/// Everything one `yadoc check` run found.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Report {
    /// Schema version of the JSON form.
    pub schema: u32,
    pub lessons: Vec<String>,
    pub outcomes: Vec<Outcome>,
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
            lessons,
            outcomes,
        }
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

    /// True when something failed that the known-drift register does not expect.
    pub fn has_failures(&self) -> bool {
        self.summary().failed > 0
    }
}
