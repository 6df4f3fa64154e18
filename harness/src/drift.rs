//! The known-drift register (`lessons/known-drift.yaml`): defects of the course as written, each with
//! its check id, lesson line and a stable signature (yadoc's words in the finding, or the
//! diagnosis id). Matching findings are expected failures. An entry is matched by what it describes
//! (check, lesson, tier, signature or diagnosis), first at its own line, then wherever the defect
//! moved (noted, and renumbered by `yadoc fix`). An entry that no longer reproduces is itself a
//! failure (stale), located at its register line, with its deletion as the mechanical fix.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::checks::finding::{Edit, Finding, Outcome, Status, Tier};
use crate::error::LessonError;

pub const STALE: &str = "drift.stale";

/// One known defect.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
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
    /// How many lines each lesson file the entries name has now (a number in a signature is a line
    /// number only within it).
    pub lengths: std::collections::BTreeMap<String, usize>,
}

impl Register {
    /// Load `known-drift.yaml` from the lessons directory; a directory without one has no known drift.
    pub fn load(dir: &Path) -> Result<Self, LessonError> {
        let path = dir.join("known-drift.yaml");
        if !path.exists() {
            return Ok(Self {
                path,
                ..Self::default()
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
        let named: std::collections::BTreeSet<&String> =
            entries.iter().map(|e| &e.value.lesson).collect();
        let lengths = named
            .into_iter()
            .filter_map(|lesson| {
                let text = std::fs::read_to_string(dir.join(lesson)).ok()?;
                Some((lesson.clone(), text.lines().count()))
            })
            .collect();
        Ok(Self {
            path,
            entries: entries
                .into_iter()
                .map(|e| (e.referenced.line() as usize, e.value))
                .collect(),
            lengths,
        })
    }

    /// Whether `f` is the defect `e` describes, wherever it now stands: the check, lesson, tier and
    /// signature or diagnosis, not the line (a paragraph inserted above moves a defect, it does not
    /// fix it).
    fn describes(&self, e: &Entry, f: &Finding, tier: Tier) -> bool {
        e.check == f.check
            && e.lesson == f.lesson
            && e.tier == tier.as_str()
            && e.signature.as_ref().is_none_or(|s| {
                f.observed.contains(s.as_str()) || f.observed.contains(&self.moved(e, s, f.line))
            })
            && e.diagnosis.as_ref().is_none_or(|id| {
                f.diagnosis
                    .as_deref()
                    .is_some_and(|d| d.contains(&format!("[{id}]")))
            })
    }

    /// The signature of `e` as the finding words it at `line`: the numbers in it that are lines of
    /// the lesson from the entry's line on (`the fence opened at line 264`, `lines 156–253`) move
    /// with the defect; others (`.users[0]`, a port) stay.
    fn moved(&self, e: &Entry, signature: &str, line: usize) -> String {
        let delta = line as i64 - e.line as i64;
        let last = self.lengths.get(&e.lesson).copied().unwrap_or(0) as i64 + delta.abs();
        let mut out = String::new();
        let mut digits = String::new();
        let flush = |digits: &mut String, out: &mut String| {
            if let Ok(n) = digits.parse::<i64>() {
                if n >= e.line as i64 && n <= last {
                    out.push_str(&(n + delta).to_string());
                } else {
                    out.push_str(digits);
                }
            }
            digits.clear();
        };
        for c in signature.chars() {
            if c.is_ascii_digit() {
                digits.push(c);
            } else {
                flush(&mut digits, &mut out);
                out.push(c);
            }
        }
        flush(&mut digits, &mut out);
        out
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

    /// Which findings each entry expects, as (outcome, finding) indices, entry by entry. Entries that
    /// describe the same defect (lesson 3's two `.users[0]` lines) are matched as a group: in line
    /// order when the group and the findings it describes are as many (a lesson edited above them
    /// moves them all, and keeps their order); else each entry takes the findings at its own line,
    /// and one left over the nearest left-over finding.
    pub fn reconcile(&self, outcomes: &[Outcome]) -> Vec<Vec<(usize, usize)>> {
        let candidates: Vec<(usize, usize)> = outcomes
            .iter()
            .enumerate()
            .filter(|(_, o)| o.reached_verdict() && o.check != STALE)
            .flat_map(|(i, o)| (0..o.findings.len()).map(move |j| (i, j)))
            .collect();
        let finding = |(i, j): (usize, usize)| &outcomes[i].findings[j];
        let tier = |(i, _): (usize, usize)| outcomes[i].tier;
        let mut matched: Vec<Vec<(usize, usize)>> = vec![Vec::new(); self.entries.len()];
        let mut taken: Vec<(usize, usize)> = Vec::new();
        let mut done: Vec<usize> = Vec::new();
        for k in 0..self.entries.len() {
            if done.contains(&k) {
                continue;
            }
            let e = &self.entries[k].1;
            let mut group: Vec<usize> = (0..self.entries.len())
                .filter(|o| {
                    let x = &self.entries[*o].1;
                    (&x.check, &x.lesson, &x.tier, &x.signature, &x.diagnosis)
                        == (&e.check, &e.lesson, &e.tier, &e.signature, &e.diagnosis)
                })
                .collect();
            group.sort_by_key(|o| self.entries[*o].1.line);
            done.extend(&group);
            let mut found: Vec<(usize, usize)> = candidates
                .iter()
                .copied()
                .filter(|c| {
                    !taken.contains(c)
                        && group
                            .iter()
                            .any(|g| self.describes(&self.entries[*g].1, finding(*c), tier(*c)))
                })
                .collect();
            found.sort_by_key(|c| finding(*c).line);
            if found.len() == group.len() {
                for (g, c) in group.iter().zip(found) {
                    matched[*g].push(c);
                    taken.push(c);
                }
                continue;
            }
            for &g in &group {
                for &c in &found {
                    if finding(c).line == self.entries[g].1.line && !taken.contains(&c) {
                        matched[g].push(c);
                        taken.push(c);
                    }
                }
            }
            for &g in &group {
                if !matched[g].is_empty() {
                    continue;
                }
                let line = self.entries[g].1.line;
                if let Some(c) = found
                    .iter()
                    .copied()
                    .filter(|c| {
                        !taken.contains(c)
                            && self.describes(&self.entries[g].1, finding(*c), tier(*c))
                    })
                    .min_by_key(|c| finding(*c).line.abs_diff(line))
                {
                    matched[g].push(c);
                    taken.push(c);
                }
            }
        }
        matched
    }

    /// Whether the entry's check ran to a verdict on its lesson: only then can it be judged (a
    /// course-level check does not run when a lesson is checked alone; a skipped tier judges nothing).
    fn judged(e: &Entry, outcomes: &[Outcome]) -> bool {
        outcomes.iter().any(|o| {
            o.reached_verdict()
                && o.lesson == e.lesson
                && o.tier.as_str() == e.tier
                && o.check == e.check
        })
    }

    /// Mark expected findings, set each outcome's status, note each moved defect, and add a failing
    /// outcome per stale entry whose check ran on its lesson (located at its register line, with the
    /// deletion as its mechanical fix).
    pub fn apply(&self, outcomes: &mut Vec<Outcome>) {
        let matched = self.reconcile(outcomes);
        for (k, found) in matched.iter().enumerate() {
            let (at, e) = &self.entries[k];
            for &(i, j) in found {
                let f = &mut outcomes[i].findings[j];
                f.known_drift = Some(e.why.clone());
                let now = f.line;
                if now != e.line {
                    let note = format!(
                        "known drift registered at {}:{} is now at line {now} ({}:{at}): `yadoc fix` renumbers the entry",
                        e.lesson,
                        e.line,
                        self.file_name()
                    );
                    if !outcomes[i].notes.contains(&note) {
                        outcomes[i].notes.push(note);
                    }
                }
            }
        }
        for o in outcomes.iter_mut() {
            if o.reached_verdict() && !o.findings.is_empty() {
                o.status = if o.findings.iter().all(|f| f.known_drift.is_some()) {
                    Status::KnownDrift
                } else {
                    Status::Failed
                };
            }
        }
        let mut stale = Vec::new();
        for (k, (at, e)) in self.entries.iter().enumerate() {
            if !matched[k].is_empty() || !Self::judged(e, outcomes) {
                continue;
            }
            let tier = Tier::parse(&e.tier).unwrap_or(Tier::Static);
            let mut f = Finding::new(STALE, &self.file_name(), *at)
                .expected(format!(
                    "{} at {}:{} with {}",
                    e.check,
                    e.lesson,
                    e.line,
                    Self::describe(e)
                ))
                .observed(format!(
                    "{} ran on {} and found no such defect: it is fixed, or its words changed",
                    e.check, e.lesson
                ))
                .fix(format!(
                    "delete the entry at {}:{at} (`yadoc fix` does)",
                    self.file_name()
                ));
            if let Some(edit) = self.delete(k) {
                f = f.edit(edit);
            }
            stale.push(Outcome::failed(
                STALE,
                "a known-drift entry no longer reproduces",
                tier,
                &e.lesson,
                vec![f],
            ));
        }
        outcomes.extend(stale);
    }

    /// The register's file name, as findings name lesson files (relative to the lessons directory).
    pub fn file_name(&self) -> String {
        self.path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "known-drift.yaml".into())
    }

    /// The lines of entry `k`: from its first key to its last value line (comments and blank lines
    /// before the next entry belong to that entry).
    fn span(&self, k: usize) -> Option<(usize, usize)> {
        let text = std::fs::read_to_string(&self.path).ok()?;
        let lines: Vec<&str> = text.lines().collect();
        let from = self.entries.get(k)?.0;
        let next = self
            .entries
            .iter()
            .map(|(l, _)| *l)
            .filter(|l| *l > from)
            .min()
            .unwrap_or(lines.len() + 1);
        let mut to = next - 1;
        while to > from
            && lines
                .get(to - 1)
                .is_none_or(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
        {
            to -= 1;
        }
        Some((from, to))
    }

    /// Entry `k` deleted, with the blank line that followed it.
    pub fn delete(&self, k: usize) -> Option<Edit> {
        let (from, to) = self.span(k)?;
        let text = std::fs::read_to_string(&self.path).ok()?;
        let blank_after = text.lines().nth(to).is_some_and(|l| l.trim().is_empty());
        Some(Edit::DeleteLines {
            from,
            to: if blank_after { to + 1 } else { to },
        })
    }

    /// Entry `k` renumbered to `line`: its `line:`, and the line numbers its signature quotes.
    pub fn renumber(&self, k: usize, line: usize) -> Vec<Edit> {
        let (Some((from, to)), Ok(text)) = (self.span(k), std::fs::read_to_string(&self.path))
        else {
            return Vec::new();
        };
        let e = &self.entries[k].1;
        let lines: Vec<&str> = text.lines().collect();
        let mut edits = Vec::new();
        for n in from..=to {
            let Some(l) = lines.get(n - 1) else { break };
            let indent = &l[..l.len() - l.trim_start().len()];
            let dash = if l.trim_start().starts_with("- ") {
                "- "
            } else {
                ""
            };
            let rest = l.trim_start().trim_start_matches("- ").trim_start();
            if rest
                .strip_prefix("line:")
                .is_some_and(|v| v.trim().parse::<usize>().is_ok())
            {
                edits.push(Edit::ReplaceLine {
                    line: n,
                    text: format!("{indent}{dash}line: {line}"),
                });
            } else if let (Some(_), Some(sig)) = (rest.strip_prefix("signature:"), &e.signature) {
                let moved = self.moved(e, sig, line);
                if moved != *sig {
                    edits.push(Edit::ReplaceLine {
                        line: n,
                        text: l.replacen(sig.as_str(), &moved, 1),
                    });
                }
            }
        }
        edits
    }
}
