//! `yadoc fix`: the mechanical fixes of a run's findings (`Finding::edit`) as one unified diff of the
//! lesson markdown files. The fixes are applied to a scratch copy of the lessons directory and the
//! static tier runs again, until no new mechanical fix appears (closing one fence can reveal the next);
//! the diff is the scratch copy against the lessons as they are. Findings whose fix needs a human are
//! listed, not guessed. `lessons/` is only written with `--write`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use similar::{ChangeTag, TextDiff};

use crate::checks::finding::{Edit, Finding, Status, Tier};
use crate::error::LessonError;
use crate::lesson::Lesson;

/// How many times the static tier may reveal a new mechanical fix before yadoc stops looking.
const MAX_ROUNDS: usize = 5;

/// What `yadoc fix` found and would change.
#[derive(Debug, Default)]
pub struct Fixes {
    /// `lesson2.md` → its fixed text.
    pub fixed_text: BTreeMap<String, String>,
    /// The findings each fix answers, by lesson file.
    pub fixed: Vec<Finding>,
    /// Findings with no mechanical fix: a human decides.
    pub manual: Vec<Finding>,
    /// Tiers that did not run here, with why (their findings, and so their fixes, are unknown).
    pub not_run: Vec<String>,
}

/// Run `tiers` on `lessons` of `dir`, apply every mechanical fix to a scratch copy, re-check.
pub fn plan(dir: &Path, lessons: &[Lesson], tiers: &[Tier]) -> Result<Fixes, LessonError> {
    let scratch = tempfile::Builder::new()
        .prefix("yadoc-fix-")
        .tempdir()
        .map_err(|source| LessonError::Read {
            path: std::env::temp_dir(),
            source,
        })?;
    for e in std::fs::read_dir(dir).map_err(|source| LessonError::Read {
        path: dir.to_path_buf(),
        source,
    })? {
        let e = e.map_err(|source| LessonError::Read {
            path: dir.to_path_buf(),
            source,
        })?;
        if e.path().is_file() {
            std::fs::copy(e.path(), scratch.path().join(e.file_name())).map_err(|source| {
                LessonError::Read {
                    path: e.path(),
                    source,
                }
            })?;
        }
    }
    let names: Vec<String> = lessons.iter().map(Lesson::file_name).collect();
    let mut fixes = Fixes::default();
    // what needs a human: the slow tiers' findings (they run once) and the last static round's
    let (mut slow_manual, mut static_manual): (Vec<Finding>, Vec<Finding>) =
        (Vec::new(), Vec::new());
    for round in 0..MAX_ROUNDS {
        let here: Vec<Lesson> = names
            .iter()
            .map(|n| Lesson::load(&scratch.path().join(n)))
            .collect::<Result<_, _>>()?;
        // the slow tiers once, on the lessons as they are; the static tier after every round
        let run_tiers: &[Tier] = if round == 0 { tiers } else { &[Tier::Static] };
        let outcomes = crate::run::check(scratch.path(), &here, run_tiers)?;
        if round == 0 {
            for o in &outcomes {
                if let Status::Skipped { reason } = &o.status {
                    fixes.not_run.push(format!(
                        "{} {} {}: {reason}",
                        o.lesson,
                        o.tier.as_str(),
                        o.check
                    ));
                }
            }
        }
        let without_edit = |static_tier: bool| -> Vec<Finding> {
            outcomes
                .iter()
                .filter(|o| (o.tier == Tier::Static) == static_tier)
                // a register entry whose defect a fix removed is stale, as it should be
                .filter(|o| o.check != crate::drift::STALE)
                .flat_map(|o| o.findings.iter().filter(|f| f.edit.is_none()).cloned())
                .collect()
        };
        if round == 0 {
            slow_manual = without_edit(false);
        }
        static_manual = without_edit(true);
        let findings: Vec<&Finding> = outcomes.iter().flat_map(|o| &o.findings).collect();
        let mut by_file: BTreeMap<String, Vec<&Finding>> = BTreeMap::new();
        for f in findings.iter().filter(|f| f.edit.is_some()) {
            by_file.entry(f.lesson.clone()).or_default().push(f);
        }
        if by_file.is_empty() {
            break;
        }
        for (file, found) in by_file {
            let path = scratch.path().join(&file);
            let text = std::fs::read_to_string(&path).map_err(|source| LessonError::Read {
                path: path.clone(),
                source,
            })?;
            let (new, applied) = apply(&text, &found);
            std::fs::write(&path, &new).map_err(|source| LessonError::Read {
                path: path.clone(),
                source,
            })?;
            fixes.fixed.extend(applied.into_iter().cloned());
            renumber_definition(&scratch.path().join(&file))?;
        }
    }
    let mut manual = static_manual;
    manual.extend(slow_manual);
    manual.dedup_by(|a, b| a.check == b.check && a.lesson == b.lesson && a.line == b.line);
    fixes.manual = manual;
    let scratch_path = scratch.path().display().to_string();
    for f in fixes.manual.iter_mut().chain(fixes.fixed.iter_mut()) {
        f.fix = f.fix.replace(&scratch_path, &dir.display().to_string());
    }
    let definitions: Vec<String> = names
        .iter()
        .map(|n| Path::new(n).with_extension("yaml").display().to_string())
        .filter(|d| dir.join(d).exists())
        .collect();
    for n in names.iter().chain(&definitions) {
        let before = std::fs::read_to_string(dir.join(n)).unwrap_or_default();
        let after = std::fs::read_to_string(scratch.path().join(n)).unwrap_or_default();
        if before != after {
            fixes.fixed_text.insert(n.clone(), after);
        }
    }
    Ok(fixes)
}

/// The lesson's definition (`lessonN.yaml`) after its lesson moved: a `because` line whose quoted
/// text now stands, once and whole, on another line is renumbered to it (the fix moved the text,
/// not its meaning). A quote found nowhere, or twice, stays for `definition.stale` to report.
fn renumber_definition(lesson: &Path) -> Result<(), LessonError> {
    let def = lesson.with_extension("yaml");
    let Ok(yaml) = std::fs::read_to_string(&def) else {
        return Ok(());
    };
    let text = std::fs::read_to_string(lesson).map_err(|source| LessonError::Read {
        path: lesson.to_path_buf(),
        source,
    })?;
    let lines: Vec<&str> = text.lines().collect();
    let mut out: Vec<String> = yaml.lines().map(String::from).collect();
    for i in 0..out.len().saturating_sub(1) {
        let (Some(n), Some(quote)) = (
            out[i]
                .trim()
                .strip_prefix("line:")
                .and_then(|n| n.trim().parse::<usize>().ok()),
            out[i + 1]
                .trim()
                .strip_prefix("quote:")
                .and_then(|q| serde_json::from_str::<String>(q.trim()).ok()),
        ) else {
            continue;
        };
        if lines.get(n - 1).is_some_and(|l| l.trim() == quote.trim()) {
            continue;
        }
        let at: Vec<usize> = (0..lines.len())
            .filter(|j| lines[*j].trim() == quote.trim())
            .collect();
        if let [j] = at.as_slice() {
            out[i] = out[i].replacen(&n.to_string(), &(j + 1).to_string(), 1);
        }
    }
    let mut new = out.join("\n");
    if yaml.ends_with('\n') {
        new.push('\n');
    }
    if new != yaml {
        std::fs::write(&def, new).map_err(|source| LessonError::Read { path: def, source })?;
    }
    Ok(())
}

/// Apply the edits of `found` to `text`, bottom-up so earlier line numbers stay valid; an edit that
/// overlaps one already applied, or repeats it (app.serve and image.serve pin the same line), is
/// skipped. Returns the new text and the findings whose edit was applied.
pub fn apply<'f>(text: &str, found: &[&'f Finding]) -> (String, Vec<&'f Finding>) {
    let mut lines: Vec<String> = text.split('\n').map(String::from).collect();
    let mut order: Vec<&Finding> = found.to_vec();
    order.sort_by_key(|f| std::cmp::Reverse(f.edit.as_ref().map(Edit::span)));
    let mut done: Vec<&Edit> = Vec::new();
    let mut applied = Vec::new();
    for f in order {
        let Some(e) = f.edit.as_ref() else { continue };
        if done.contains(&e) {
            applied.push(f);
            continue;
        }
        let (lo, hi) = e.span();
        if done.iter().any(|d| {
            let (a, b) = d.span();
            lo <= b && a <= hi
        }) {
            continue;
        }
        let ok = match e {
            Edit::ReplaceLine { line, text } if *line >= 1 && *line <= lines.len() => {
                lines[line - 1] = text.clone();
                true
            }
            Edit::InsertAfter { line, text } if *line <= lines.len() => {
                for (i, l) in text.split('\n').enumerate() {
                    lines.insert(line + i, l.to_string());
                }
                true
            }
            Edit::MoveBefore { from, to, before }
                if before < from && from <= to && *to <= lines.len() =>
            {
                let moved: Vec<String> = lines.drain(from - 1..*to).collect();
                for (i, l) in moved.into_iter().enumerate() {
                    lines.insert(before - 1 + i, l);
                }
                true
            }
            _ => false,
        };
        if ok {
            done.push(e);
            applied.push(f);
        }
    }
    (lines.join("\n"), applied)
}

/// The repository root of `dir` (the nearest parent with `.git`), else `dir`'s parent.
pub fn repo_root(dir: &Path) -> PathBuf {
    let abs = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    abs.ancestors()
        .find(|a| a.join(".git").exists())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| abs.parent().unwrap_or(&abs).to_path_buf())
}

/// A unified diff `git apply` accepts, paths relative to `root`; each hunk's header names the
/// checks whose fixes it holds.
pub fn unified_diff(dir: &Path, root: &Path, fixes: &Fixes) -> String {
    let abs = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    let rel = abs.strip_prefix(root).unwrap_or(&abs).to_path_buf();
    let mut out = String::new();
    for (file, after) in &fixes.fixed_text {
        let before = std::fs::read_to_string(dir.join(file)).unwrap_or_default();
        let path = rel.join(file).display().to_string();
        out.push_str(&format!("--- a/{path}\n+++ b/{path}\n"));
        let diff = TextDiff::from_lines(&before, after);
        for group in diff.grouped_ops(3) {
            let (first, last) = (&group[0], &group[group.len() - 1]);
            let old = first.old_range().start..last.old_range().end;
            let new = first.new_range().start..last.new_range().end;
            let checks: Vec<String> = fixes
                .fixed
                .iter()
                .filter(|f| &f.lesson == file)
                .filter(|f| {
                    let (lo, hi) = f.edit.as_ref().map(Edit::span).unwrap_or((0, 0));
                    lo <= old.end + 1 && hi >= old.start
                })
                .map(|f| format!("{}@{}", f.check, f.line))
                .collect();
            let mut checks = checks;
            checks.dedup();
            let named = if checks.is_empty() {
                String::new()
            } else {
                format!(" {}", checks.join(" "))
            };
            out.push_str(&format!(
                "@@ -{} +{} @@{named}\n",
                range(old.start, old.len()),
                range(new.start, new.len()),
            ));
            for op in &group {
                for change in diff.iter_changes(op) {
                    let sign = match change.tag() {
                        ChangeTag::Equal => ' ',
                        ChangeTag::Delete => '-',
                        ChangeTag::Insert => '+',
                    };
                    out.push(sign);
                    out.push_str(change.value());
                    if change.missing_newline() {
                        out.push_str("\n\\ No newline at end of file\n");
                    }
                }
            }
        }
    }
    out
}

/// `start,len` of a hunk header (1-based; an empty range names the line before it).
fn range(start: usize, len: usize) -> String {
    match len {
        0 => format!("{start},0"),
        1 => format!("{}", start + 1),
        n => format!("{},{n}", start + 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(line: usize, edit: Edit) -> Finding {
        Finding::new("x.check", "l.md", line).edit(edit)
    }

    #[test]
    fn edits_apply_bottom_up_repeats_once_and_overlaps_wait_for_the_next_round() {
        let text = "a\nb\nc\nd\ne\nf\ng";
        let pin = finding(
            2,
            Edit::InsertAfter {
                line: 2,
                text: "b2".into(),
            },
        );
        let same = pin.clone();
        let replace = finding(
            4,
            Edit::ReplaceLine {
                line: 4,
                text: "D".into(),
            },
        );
        let mv = finding(
            7,
            Edit::MoveBefore {
                from: 7,
                to: 7,
                before: 6,
            },
        );
        // spans lines 1–5, over the others: left for the next round, which re-checks
        let overlapping = finding(
            5,
            Edit::MoveBefore {
                from: 5,
                to: 5,
                before: 1,
            },
        );
        let (out, applied) = apply(text, &[&pin, &same, &replace, &mv, &overlapping]);
        assert_eq!(out, "a\nb\nb2\nc\nD\ne\ng\nf");
        assert_eq!(applied.len(), 4);
        assert!(!applied.contains(&&overlapping));
    }
}
