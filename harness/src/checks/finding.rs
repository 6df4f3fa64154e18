//! Findings and check outcomes: what every tier produces and every reporter renders.

use serde::Serialize;

/// The tiers of DESIGN.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    Static,
    App,
    Image,
    Cluster,
}

impl Tier {
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Static => "static",
            Tier::App => "app",
            Tier::Image => "image",
            Tier::Cluster => "cluster",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "static" => Some(Tier::Static),
            "app" => Some(Tier::App),
            "image" => Some(Tier::Image),
            "cluster" => Some(Tier::Cluster),
            _ => None,
        }
    }
}

/// One problem, located at a lesson line, with what was expected and seen and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub check: String,
    pub lesson: String,
    pub line: usize,
    pub expected: String,
    pub observed: String,
    pub fix: String,
    /// A one-line cause from the diagnosis catalogue, when one matched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diagnosis: Option<String>,
    /// Set when the known-drift register expects this finding: the entry's explanation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub known_drift: Option<String>,
    /// The fix as an edit of the lesson file, when it is mechanical (`yadoc fix` applies it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub edit: Option<Edit>,
}

/// A mechanical fix: an edit of the lesson's markdown, by lesson line (1-based, as findings are).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "op", rename_all = "kebab-case")]
pub enum Edit {
    /// Replace the text of one line.
    ReplaceLine { line: usize, text: String },
    /// Insert lines after `line` (0 = at the top).
    InsertAfter { line: usize, text: String },
    /// Move lines `from..=to` to just before line `before` (`before` < `from`).
    MoveBefore {
        from: usize,
        to: usize,
        before: usize,
    },
    /// Delete lines `from..=to` (a stale entry of the known-drift register).
    DeleteLines { from: usize, to: usize },
}

impl Edit {
    /// The lowest and highest line the edit touches.
    pub fn span(&self) -> (usize, usize) {
        match self {
            Edit::ReplaceLine { line, .. } => (*line, *line),
            Edit::InsertAfter { line, .. } => (*line, *line),
            Edit::MoveBefore { from, to, before } => (*before.min(from), *to),
            Edit::DeleteLines { from, to } => (*from, *to),
        }
    }
}

impl Finding {
    pub fn new(check: &str, lesson: &str, line: usize) -> Self {
        Self {
            check: check.to_string(),
            lesson: lesson.to_string(),
            line,
            expected: String::new(),
            observed: String::new(),
            fix: String::new(),
            diagnosis: None,
            known_drift: None,
            edit: None,
        }
    }

    /// The fix as an edit `yadoc fix` can apply.
    pub fn edit(mut self, e: Edit) -> Self {
        self.edit = Some(e);
        self
    }

    pub fn expected(mut self, s: impl Into<String>) -> Self {
        self.expected = elide_long_lines(&s.into());
        self
    }

    pub fn observed(mut self, s: impl Into<String>) -> Self {
        self.observed = elide_long_lines(&s.into());
        self
    }

    pub fn fix(mut self, s: impl Into<String>) -> Self {
        self.fix = elide_long_lines(&s.into());
        self
    }

    pub fn diagnosis(mut self, s: Option<String>) -> Self {
        self.diagnosis = s;
        self
    }
}

/// The longest line a finding shows; a longer one (a 1 MB Dockerfile line) is cut with a count.
pub const LINE_MAX: usize = 1000;

/// Every line of `s` cut to `LINE_MAX` characters, saying how many were left out.
pub fn elide_long_lines(s: &str) -> String {
    if s.lines().all(|l| l.len() <= LINE_MAX) {
        return s.to_string();
    }
    s.split('\n')
        .map(|l| {
            if l.chars().count() <= LINE_MAX {
                l.to_string()
            } else {
                let kept: String = l.chars().take(LINE_MAX).collect();
                format!("{kept}… ({} more characters)", l.chars().count() - LINE_MAX)
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// How a check ended for one lesson.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum Status {
    Passed,
    Failed,
    /// Every finding is expected by the known-drift register.
    KnownDrift,
    /// The check could not run; never counted as passed.
    Skipped {
        reason: String,
    },
    /// The check found nothing of the lesson to examine (no Service, no Dockerfile): never a pass.
    NotApplicable {
        reason: String,
    },
}

/// What a check looked at, and what it found there. A check that examined nothing and found nothing
/// has no verdict: its outcome is "not applicable", never a pass (`Outcome::examined`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Examined {
    /// One line per object, step or answer examined (`Service myapp-service (service.yaml)`).
    pub subjects: Vec<String>,
    pub findings: Vec<Finding>,
    /// What the check chose not to conclude, and why (when unsure, it says less and says so).
    pub notes: Vec<String>,
}

impl Examined {
    /// Record why something was left unjudged.
    pub fn note(&mut self, note: impl Into<String>) {
        self.notes.push(note.into());
    }

    pub fn new() -> Self {
        Self::default()
    }

    /// Record one thing the check examined.
    pub fn saw(&mut self, subject: impl Into<String>) {
        self.subjects.push(subject.into());
    }

    /// Record a finding (its subject is recorded separately, by `saw`).
    pub fn found(&mut self, f: Finding) {
        self.findings.push(f);
    }

    /// One subject and what was found about it.
    pub fn of(subject: impl Into<String>, findings: Vec<Finding>) -> Self {
        Self {
            subjects: vec![subject.into()],
            findings,
            notes: Vec::new(),
        }
    }
}

/// One check (or tier step) for one lesson.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub check: String,
    pub title: String,
    pub tier: Tier,
    pub lesson: String,
    #[serde(flatten)]
    pub status: Status,
    pub findings: Vec<Finding>,
    /// How many objects, steps or answers the check examined; a pass needs at least one.
    pub examined: usize,
    /// What those were, one line each.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub subjects: Vec<String>,
    /// How long the check took, in seconds (JUnit's testcase `time`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seconds: Option<f64>,
    /// Pictures for the summary (markdown, e.g. mermaid charts of the HPA under load).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub charts: Vec<String>,
    /// Facts worth showing even on success (Python version used, base image substituted, timings).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Set when the check could not run because this machine lacks a prerequisite (skipped, or
    /// failed under YADOC_REQUIRE): the check reached no verdict on the lesson, so the known-drift
    /// register judges nothing by it.
    #[serde(skip)]
    pub prerequisite_missing: Option<String>,
    /// What a cluster run saw, command by command and API response by response (JSON lines,
    /// `tiers/cluster/transcript.rs`); `--report-dir` writes it under `transcripts/`.
    #[serde(skip)]
    pub transcript: Option<String>,
}

impl Outcome {
    /// The outcome of a check that ran: failed with findings; passed when it examined at least one
    /// thing and found nothing; otherwise not applicable for `nothing` (what there was not).
    pub fn examined(
        check: &str,
        title: &str,
        tier: Tier,
        lesson: &str,
        examined: Examined,
        nothing: &str,
    ) -> Self {
        let status = if !examined.findings.is_empty() {
            Status::Failed
        } else if examined.subjects.is_empty() {
            Status::NotApplicable {
                reason: nothing.to_string(),
            }
        } else {
            Status::Passed
        };
        Self {
            check: check.into(),
            title: title.into(),
            tier,
            lesson: lesson.into(),
            status,
            findings: examined.findings,
            examined: examined.subjects.len(),
            subjects: examined.subjects,
            seconds: None,
            charts: Vec::new(),
            transcript: None,
            notes: examined.notes,
            prerequisite_missing: None,
        }
    }

    /// A check that failed: what it examined is where its findings are.
    pub fn failed(
        check: &str,
        title: &str,
        tier: Tier,
        lesson: &str,
        findings: Vec<Finding>,
    ) -> Self {
        debug_assert!(
            !findings.is_empty(),
            "a failed outcome carries its findings"
        );
        let subjects = findings
            .iter()
            .map(|f| format!("{}:{}", f.lesson, f.line))
            .collect();
        Self::examined(
            check,
            title,
            tier,
            lesson,
            Examined {
                subjects,
                findings,
                notes: Vec::new(),
            },
            "",
        )
    }

    /// Nothing to examine: not applicable, with the reason.
    pub fn not_applicable(
        check: &str,
        title: &str,
        tier: Tier,
        lesson: &str,
        reason: impl Into<String>,
    ) -> Self {
        let reason = reason.into();
        Self::examined(check, title, tier, lesson, Examined::new(), &reason)
    }

    pub fn skipped(
        check: &str,
        title: &str,
        tier: Tier,
        lesson: &str,
        reason: impl Into<String>,
    ) -> Self {
        Self {
            check: check.into(),
            title: title.into(),
            tier,
            lesson: lesson.into(),
            status: Status::Skipped {
                reason: reason.into(),
            },
            findings: Vec::new(),
            examined: 0,
            subjects: Vec::new(),
            seconds: None,
            charts: Vec::new(),
            transcript: None,
            notes: Vec::new(),
            prerequisite_missing: None,
        }
    }

    /// Whether the check ran to a verdict on its lesson (passed or found something).
    pub fn reached_verdict(&self) -> bool {
        !matches!(self.status, Status::Skipped { .. }) && self.prerequisite_missing.is_none()
    }

    /// Whether the check passed: it examined something and found nothing wrong.
    pub fn passed(&self) -> bool {
        self.status == Status::Passed
    }

    /// Record the time since `start` as the check's duration.
    pub fn timed(mut self, start: std::time::Instant) -> Self {
        self.seconds = Some(start.elapsed().as_secs_f64());
        self
    }

    pub fn with_notes(mut self, notes: Vec<String>) -> Self {
        self.notes = notes;
        self
    }
}
