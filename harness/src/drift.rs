//! The known-drift register (`lessons/known-drift.yaml`): defects of the course as written, each with
//! its check id, lesson line and a stable signature (yadoc's words in the finding, or the
//! diagnosis id). Matching findings are expected failures; an entry
//! that no longer reproduces is itself a failure (stale), so fixed defects leave the register.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::checks::finding::{Finding, Outcome, Status, Tier};
use crate::error::LessonError;

pub const STALE: &str = "drift.stale";

/// One known defect.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub check: String,
    pub lesson: String,
    pub line: usize,
    #[serde(default = "static_tier")]
    pub tier: String,
    /// Text that the finding's `observed` must contain (yadoc's own words, or a line the tool
    /// printed that does not vary between runs).
    #[serde(default)]
    pub signature: Option<String>,
    /// The diagnosis catalogue id the finding must carry (`werkzeug-url-quote`): stable where the
    /// observed text is not (a real cluster's status messages, pod names, timings).
    #[serde(default)]
    pub diagnosis: Option<String>,
    pub why: String,
}

fn static_tier() -> String {
    "static".into()
}

/// The register, with the line of each entry in its file.
#[derive(Debug, Clone, Default)]
pub struct Register {
    pub path: PathBuf,
    pub entries: Vec<(usize, Entry)>,
}

impl Register {
    /// Load `known-drift.yaml` from the lessons directory; a directory without one has no known drift.
    pub fn load(dir: &Path) -> Result<Self, LessonError> {
        let path = dir.join("known-drift.yaml");
        if !path.exists() {
            return Ok(Self {
                path,
                entries: Vec::new(),
            });
        }
        let text = std::fs::read_to_string(&path).map_err(|source| LessonError::Read {
            path: path.clone(),
            source,
        })?;
        let entries: Vec<serde_saphyr::Spanned<Entry>> =
            serde_saphyr::from_str(&text).map_err(|e| LessonError::yaml(&path, &e))?;
        for e in &entries {
            if e.value.signature.is_none() && e.value.diagnosis.is_none() {
                return Err(LessonError::Definition {
                    path: path.clone(),
                    line: e.referenced.line() as usize,
                    message: "an entry needs a `signature` or a `diagnosis` (or both)".into(),
                });
            }
            if Tier::parse(&e.value.tier).is_none() {
                return Err(LessonError::Definition {
                    path: path.clone(),
                    line: e.referenced.line() as usize,
                    message: format!(
                        "unknown tier `{}` (static, app, image, cluster)",
                        e.value.tier
                    ),
                });
            }
        }
        Ok(Self {
            path,
            entries: entries
                .into_iter()
                .map(|e| (e.referenced.line() as usize, e.value))
                .collect(),
        })
    }

    fn matches(e: &Entry, f: &Finding, tier: Tier) -> bool {
        e.check == f.check
            && e.lesson == f.lesson
            && e.line == f.line
            && e.tier == tier.as_str()
            && e.signature
                .as_ref()
                .is_none_or(|s| f.observed.contains(s.as_str()))
            && e.diagnosis.as_ref().is_none_or(|id| {
                f.diagnosis
                    .as_deref()
                    .is_some_and(|d| d.contains(&format!("[{id}]")))
            })
    }

    /// How an entry names what it expects, for messages.
    fn describe(e: &Entry) -> String {
        let mut parts = Vec::new();
        if let Some(s) = &e.signature {
            parts.push(format!("\"{s}\""));
        }
        if let Some(d) = &e.diagnosis {
            parts.push(format!("diagnosis [{d}]"));
        }
        parts.join(" and ")
    }

    /// Mark expected findings, set each outcome's status, and add a failing outcome per stale entry
    /// whose check ran on its lesson.
    pub fn apply(&self, outcomes: &mut Vec<Outcome>) {
        let mut used = vec![false; self.entries.len()];
        for o in outcomes.iter_mut() {
            if !o.reached_verdict() || o.findings.is_empty() {
                continue;
            }
            for f in &mut o.findings {
                if let Some(i) = self
                    .entries
                    .iter()
                    .position(|(_, e)| Self::matches(e, f, o.tier))
                {
                    used[i] = true;
                    f.known_drift = Some(self.entries[i].1.why.clone());
                }
            }
            o.status = if o.findings.iter().all(|f| f.known_drift.is_some()) {
                Status::KnownDrift
            } else {
                Status::Failed
            };
        }
        // an entry can only be judged where its check ran on its lesson (a course-level check does
        // not run when a lesson is checked alone; a tier's checks do not run when it is skipped)
        let ran: Vec<(String, Tier, String)> = outcomes
            .iter()
            .filter(|o| o.reached_verdict())
            .map(|o| (o.lesson.clone(), o.tier, o.check.clone()))
            .collect();
        let mut stale = Vec::new();
        for ((line, e), used) in self.entries.iter().zip(used) {
            let tier = Tier::parse(&e.tier).unwrap_or(Tier::Static);
            if used
                || !ran
                    .iter()
                    .any(|(l, t, c)| *l == e.lesson && *t == tier && *c == e.check)
            {
                continue;
            }
            stale.push(Outcome::failed(
                STALE,
                "known drift still reproduces",
                tier,
                &e.lesson,
                vec![Finding::new(STALE, &e.lesson, e.line)
                    .expected(format!(
                        "{} at {}:{} with {} (registered at {}:{line})",
                        e.check,
                        e.lesson,
                        e.line,
                        Self::describe(e),
                        self.path.display()
                    ))
                    .observed("no such finding any more: the defect is fixed or has moved")
                    .fix(format!(
                        "remove (or move) the entry at {}:{line}",
                        self.path.display()
                    ))],
            ));
        }
        outcomes.extend(stale);
    }
}
