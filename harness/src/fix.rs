//! `yadoc fix`: the mechanical fixes of a run's findings (`Finding::edit`) as one unified diff of the
//! lessons directory. The fixes are applied to a scratch copy of the lessons directory and the
//! static tier runs again, until no new mechanical fix appears (closing one fence can reveal the next);
//! the diff is the scratch copy against the lessons as they are. Known drift is left alone unless
//! asked (`--include-drift`: its fixes, and the deletion of the entries they settle). The register
//! follows the lessons in the same diff: a stale entry is deleted, a moved one renumbered, so the
//! patched lessons check green. Findings whose fix needs a human are listed at the user's lines, not
//! guessed. `lessons/` is only written with `--write`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use similar::{ChangeTag, TextDiff};

use crate::checks::finding::{Edit, Finding, Outcome, Status, Tier};
use crate::drift::Register;
use crate::error::LessonError;
use crate::lesson::Lesson;

/// How many times the static tier may reveal a new mechanical fix before yadoc stops looking.
const MAX_ROUNDS: usize = 5;

/// What `yadoc fix` found and would change.
#[derive(Debug, Default)]
pub struct Fixes {
    /// `lesson2.md` (or `known-drift.yaml`) → its fixed text.
    pub fixed_text: BTreeMap<String, String>,
    /// The findings each fix answers, at the lines of the files as they are.
    pub fixed: Vec<Finding>,
    /// Findings with no mechanical fix: a human decides (at the user's lines; one on a line only
    /// the fix writes says so in its fix).
    pub manual: Vec<Finding>,
    /// Known drift left as it is (expected; `--include-drift` fixes what of it is mechanical).
    pub drift_left: Vec<Finding>,
    /// Tiers that did not run here, with why (their findings, and so their fixes, are unknown).
    pub not_run: Vec<String>,
    /// Register entries of tiers this fix did not run: left as they are (`yadoc check` of those
    /// tiers judges them).
    pub entries_unjudged: Vec<String>,
}

impl Fixes {
    /// Whether the lessons are green once the fix is applied and every tier ran: `yadoc fix` exits 0
    /// only then, as ruff and clippy do with `--fix` (1 when something remains or nothing ran).
    pub fn settles_everything(&self) -> bool {
        self.manual.is_empty() && self.not_run.is_empty()
    }
}

/// Whether `fix` also repairs the defects the known-drift register expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Drift {
    LeaveAlone,
    Include,
}

/// Run `tiers` on `lessons` of `dir`, apply every mechanical fix to a scratch copy, re-check.
pub fn plan(
    dir: &Path,
    lessons: &[Lesson],
    tiers: &[Tier],
    drift: Drift,
) -> Result<Fixes, LessonError> {
    let scratch = tempfile::Builder::new()
        .prefix("yadoc-fix-")
        .tempdir()
        .map_err(|source| LessonError::Read {
            path: std::env::temp_dir(),
            source,
        })?;
    let read = |path: &Path| {
        std::fs::read_to_string(path).map_err(|source| LessonError::Read {
            path: path.to_path_buf(),
            source,
        })
    };
    let write = |path: &Path, text: &str| {
        std::fs::write(path, text).map_err(|source| LessonError::Read {
            path: path.to_path_buf(),
            source,
        })
    };
    copy_files(dir, scratch.path())?;
    let names: Vec<String> = lessons.iter().map(Lesson::file_name).collect();
    let register_name = Register::load(scratch.path())?.file_name();
    // the files as the user has them, to report lines where the user sees them
    let original: BTreeMap<String, String> = names
        .iter()
        .chain(std::iter::once(&register_name))
        .map(|n| {
            (
                n.clone(),
                std::fs::read_to_string(dir.join(n)).unwrap_or_default(),
            )
        })
        .collect();
    let at_users_line = |f: &mut Finding, now: &str| {
        if let Some(before) = original.get(&f.lesson) {
            match back_to(before, now, f.line) {
                Some(l) => f.line = l,
                None => f.fix = format!("{} (on a line the fix writes)", f.fix),
            }
        }
    };
    let mut fixes = Fixes::default();
    // what needs a human: the slow tiers' findings (they run once) and the last static round's
    let (mut slow_manual, mut static_manual): (Vec<Finding>, Vec<Finding>) =
        (Vec::new(), Vec::new());
    // the slow tiers' known drift, by entry, at the line the slow tier found it (the lessons as
    // they are); the register follows it through the fixes at the end
    let mut slow_drift: Vec<(crate::drift::Entry, usize)> = Vec::new();
    let mut last: Vec<Outcome> = Vec::new();
    for round in 0..MAX_ROUNDS {
        let here: Vec<Lesson> = names
            .iter()
            .map(|n| Lesson::load(&scratch.path().join(n)))
            .collect::<Result<_, _>>()?;
        let now: BTreeMap<String, String> = original
            .keys()
            .map(|n| {
                (
                    n.clone(),
                    std::fs::read_to_string(scratch.path().join(n)).unwrap_or_default(),
                )
            })
            .collect();
        // the slow tiers once, on the lessons as they are; the static tier after every round
        let run_tiers: &[Tier] = if round == 0 { tiers } else { &[Tier::Static] };
        let outcomes = crate::run::check(scratch.path(), &here, run_tiers)?;
        let register = Register::load(scratch.path())?;
        let matched = register.reconcile(&outcomes);
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
            for (k, found) in matched.iter().enumerate() {
                let e = &register.entries[k].1;
                if e.tier != Tier::Static.as_str() {
                    if let Some(&(i, j)) = found.first() {
                        slow_drift.push((e.clone(), outcomes[i].findings[j].line));
                    }
                }
            }
        }
        let fixable =
            |f: &Finding| f.edit.is_some() && (drift == Drift::Include || f.known_drift.is_none());
        let left = |static_tier: bool, drift_too: bool| -> Vec<Finding> {
            outcomes
                .iter()
                .filter(|o| (o.tier == Tier::Static) == static_tier)
                .flat_map(|o| o.findings.iter())
                .filter(|f| !fixable(f) && f.known_drift.is_some() == drift_too)
                .cloned()
                .map(|mut f| {
                    if let Some(text) = now.get(&f.lesson) {
                        at_users_line(&mut f, text);
                    }
                    f
                })
                .collect()
        };
        if round == 0 {
            slow_manual = left(false, false);
            fixes.drift_left = left(false, true);
        }
        static_manual = left(true, false);
        if round == 0 {
            fixes.drift_left.extend(left(true, true));
        }
        let mut by_file: BTreeMap<String, Vec<Finding>> = BTreeMap::new();
        for f in outcomes
            .iter()
            .flat_map(|o| &o.findings)
            .filter(|f| fixable(f))
        {
            by_file.entry(f.lesson.clone()).or_default().push(f.clone());
        }
        // known drift fixed here settles its entry: deleted in the same diff (a slow tier does not
        // run again to find it stale)
        for (k, found) in matched.iter().enumerate() {
            let settled = !found.is_empty()
                && found
                    .iter()
                    .all(|&(i, j)| fixable(&outcomes[i].findings[j]));
            if let (true, Some(edit)) = (settled, register.delete(k)) {
                let (at, e) = &register.entries[k];
                by_file.entry(register_name.clone()).or_default().push(
                    Finding::new(crate::drift::STALE, &register_name, *at)
                        .fix(format!(
                            "delete the entry: the fix settles {} at {}:{}",
                            e.check, e.lesson, e.line
                        ))
                        .edit(edit),
                );
                slow_drift.retain(|(e, _)| *e != register.entries[k].1);
            }
        }
        last = outcomes;
        if by_file.is_empty() {
            break;
        }
        for (file, found) in by_file {
            let path = scratch.path().join(&file);
            let text = read(&path)?;
            let refs: Vec<&Finding> = found.iter().collect();
            let (new, applied) = apply(&text, &refs);
            write(&path, &new)?;
            fixes
                .fixed
                .extend(applied.into_iter().cloned().map(|mut f| {
                    at_users_line(&mut f, &text);
                    f
                }));
            if names.contains(&file) {
                renumber_definition(&scratch.path().join(&file))?;
            }
        }
    }
    // the register follows the fixed lessons: each entry at the line its defect now stands on
    let register = Register::load(scratch.path())?;
    fixes.entries_unjudged = register
        .entries
        .iter()
        .filter(|(_, e)| names.contains(&e.lesson))
        .filter(|(_, e)| !tiers.iter().any(|t| t.as_str() == e.tier))
        .map(|(at, e)| {
            format!(
                "{} ({}) at {}:{} ({register_name}:{at})",
                e.check, e.tier, e.lesson, e.line
            )
        })
        .collect();
    let matched = register.reconcile(&last);
    let mut renumbered: Vec<Finding> = Vec::new();
    for (k, (at, e)) in register.entries.iter().enumerate() {
        let now = if e.tier == Tier::Static.as_str() {
            matched[k].first().map(|&(i, j)| last[i].findings[j].line)
        } else {
            slow_drift
                .iter()
                .find(|(x, _)| x == e)
                .and_then(|(_, line)| {
                    let after = read(&scratch.path().join(&e.lesson)).ok()?;
                    forward_to(original.get(&e.lesson)?, &after, *line)
                })
        };
        if let Some(n) = now.filter(|n| *n != e.line) {
            renumbered.extend(
                register
                    .renumber(k, n)
                    .into_iter()
                    .map(|edit| Finding::new(crate::drift::STALE, &register_name, *at).edit(edit)),
            );
        }
    }
    if !renumbered.is_empty() {
        let path = scratch.path().join(&register_name);
        let text = read(&path)?;
        let refs: Vec<&Finding> = renumbered.iter().collect();
        write(&path, &apply(&text, &refs).0)?;
    }
    let mut manual = static_manual;
    manual.extend(slow_manual);
    manual.sort_by(|a, b| (&a.lesson, a.line, &a.check).cmp(&(&b.lesson, b.line, &b.check)));
    manual.dedup_by(|a, b| a.check == b.check && a.lesson == b.lesson && a.line == b.line);
    fixes.manual = manual;
    fixes
        .drift_left
        .sort_by(|a, b| (&a.lesson, a.line).cmp(&(&b.lesson, b.line)));
    fixes
        .drift_left
        .dedup_by(|a, b| a.check == b.check && a.lesson == b.lesson && a.line == b.line);
    let scratch_path = scratch.path().display().to_string();
    for f in fixes
        .manual
        .iter_mut()
        .chain(fixes.fixed.iter_mut())
        .chain(fixes.drift_left.iter_mut())
    {
        f.fix = f.fix.replace(&scratch_path, &dir.display().to_string());
    }
    let definitions: Vec<String> = names
        .iter()
        .map(|n| Path::new(n).with_extension("yaml").display().to_string())
        .filter(|d| dir.join(d).exists())
        .collect();
    for n in names
        .iter()
        .chain(&definitions)
        .chain(std::iter::once(&register_name))
    {
        let before = std::fs::read_to_string(dir.join(n)).unwrap_or_default();
        let after = std::fs::read_to_string(scratch.path().join(n)).unwrap_or_default();
        if before != after {
            fixes.fixed_text.insert(n.clone(), after);
        }
    }
    Ok(fixes)
}

/// Copy the files of the lessons directory `dir` (not its subdirectories) into `to`.
pub fn copy_files(dir: &Path, to: &Path) -> Result<(), LessonError> {
    let read_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| LessonError::Read { path, source }
    };
    for e in std::fs::read_dir(dir).map_err(read_err(dir))? {
        let e = e.map_err(read_err(dir))?;
        if e.path().is_file() {
            std::fs::copy(e.path(), to.join(e.file_name())).map_err(read_err(&e.path()))?;
        }
    }
    Ok(())
}

/// Line `line` (1-based) of `now` as a line of `before`, where the two texts share it; None for a
/// line only `now` has.
pub fn back_to(before: &str, now: &str, line: usize) -> Option<usize> {
    line_map(before, now)
        .into_iter()
        .find(|(_, n)| *n == line)
        .map(|(b, _)| b)
}

/// Line `line` of `before` as a line of `now`, where the two texts share it.
pub fn forward_to(before: &str, now: &str, line: usize) -> Option<usize> {
    line_map(before, now)
        .into_iter()
        .find(|(b, _)| *b == line)
        .map(|(_, n)| n)
}

/// The lines `before` and `now` share, as (line in before, line in now), 1-based.
fn line_map(before: &str, now: &str) -> Vec<(usize, usize)> {
    let diff = TextDiff::from_lines(before, now);
    let mut pairs = Vec::new();
    for op in diff.ops() {
        if let similar::DiffOp::Equal {
            old_index,
            new_index,
            len,
        } = *op
        {
            pairs.extend((0..len).map(|i| (old_index + i + 1, new_index + i + 1)));
        }
    }
    pairs
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
            Edit::DeleteLines { from, to } if *from >= 1 && from <= to && *to <= lines.len() => {
                lines.drain(from - 1..*to);
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
