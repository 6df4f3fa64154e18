//! Terminal report. By default what a contributor reads, as pytest, nextest and cargo print it:
//! failures with their evidence (the lesson snippet, expected, observed, fix, how to rerun), one line
//! per known drift, skipped checks with their reason, passing and not-applicable checks as counts,
//! and a closing list of the failures with the elapsed time. Verbose: every row, every note, and the
//! known drift's evidence too.

use std::fmt::Write;

use super::Report;
use crate::checks::finding::{Finding, Outcome, Status, Tier};
use crate::lesson::Lesson;

/// Render a report; `lessons` supplies the text for snippets.
pub fn render(report: &Report, lessons: &[Lesson], color: bool) -> String {
    render_with(report, lessons, color, false)
}

/// Render a report, every row and tracebacks included when `verbose`.
pub fn render_with(report: &Report, lessons: &[Lesson], color: bool, verbose: bool) -> String {
    let paint = |code: &str, s: &str| {
        if color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    };
    let mut out = String::new();
    let mut groups: Vec<(String, Tier)> = Vec::new();
    for o in &report.outcomes {
        let key = (o.lesson.clone(), o.tier);
        if !groups.contains(&key) {
            groups.push(key);
        }
    }
    for (lesson, tier) in &groups {
        let mine: Vec<&Outcome> = report
            .outcomes
            .iter()
            .filter(|o| &o.lesson == lesson && o.tier == *tier)
            .collect();
        let count = |f: &dyn Fn(&Status) -> bool| mine.iter().filter(|o| f(&o.status)).count();
        let seconds: f64 = mine.iter().filter_map(|o| o.seconds).sum();
        let _ = writeln!(
            out,
            "\n{} · {}: {} passed, {} failed, {} known drift, {} skipped, {} not applicable ({})",
            paint("1", lesson),
            tier.as_str(),
            count(&|s| *s == Status::Passed),
            count(&|s| *s == Status::Failed),
            count(&|s| *s == Status::KnownDrift),
            count(&|s| matches!(s, Status::Skipped { .. })),
            count(&|s| matches!(s, Status::NotApplicable { .. })),
            duration(seconds),
        );
        // failures first, then known drift, then what did not run; passes only when verbose
        let order = |o: &&&Outcome| match o.status {
            Status::Failed => 0,
            Status::KnownDrift => 1,
            Status::Skipped { .. } => 2,
            Status::Passed => 3,
            Status::NotApplicable { .. } => 4,
        };
        let mut rows = mine.clone();
        rows.sort_by_key(|o| order(&o));
        for o in rows {
            row(&mut out, o, lessons, &paint, verbose);
        }
    }
    let stood_in = super::substitutions(report);
    if !verbose && !stood_in.is_empty() {
        let _ = writeln!(out, "\nstood in for what the lessons name:");
        for n in stood_in {
            let _ = writeln!(out, "    {}", n.replace('\n', "\n      "));
        }
    }
    let s = report.summary();
    let failures: Vec<(&Outcome, &Finding)> = report
        .outcomes
        .iter()
        .filter(|o| o.status == Status::Failed)
        .flat_map(|o| {
            o.findings
                .iter()
                .filter(|f| f.known_drift.is_none())
                .map(move |f| (o, f))
        })
        .collect();
    if !failures.is_empty() {
        let _ = writeln!(out, "\n{}", paint("31;1", "failures:"));
        for (o, f) in &failures {
            let _ = writeln!(
                out,
                "    {}:{} {} ({})",
                path_of(f, lessons),
                f.line,
                f.check,
                o.tier.as_str()
            );
        }
    }
    let _ = writeln!(
        out,
        "\n{} passed, {} failed, {} known drift, {} skipped, {} not applicable ({} lesson(s)){}",
        s.passed,
        s.failed,
        s.known_drift,
        s.skipped,
        s.not_applicable,
        report.lessons.len(),
        if report.run.seconds > 0.0 {
            format!(" in {}", duration(report.run.seconds))
        } else {
            String::new()
        }
    );
    out
}

/// `0.02s`, `1m 12s`.
fn duration(seconds: f64) -> String {
    if seconds < 60.0 {
        format!("{seconds:.2}s")
    } else {
        format!(
            "{}m {:02}s",
            (seconds / 60.0) as u64,
            (seconds % 60.0) as u64
        )
    }
}

fn row(
    out: &mut String,
    o: &Outcome,
    lessons: &[Lesson],
    paint: &dyn Fn(&str, &str) -> String,
    verbose: bool,
) {
    let took = o
        .seconds
        .filter(|s| verbose || *s >= 1.0)
        .map(|s| format!(" ({})", duration(s)))
        .unwrap_or_default();
    match &o.status {
        Status::Failed => {
            let _ = writeln!(
                out,
                "  {} {:<34} {} {}{took}",
                paint("31", "✗"),
                o.check,
                o.title,
                paint("31", "FAILED")
            );
            notes(out, o);
            for f in &o.findings {
                finding(out, f, lessons, paint);
                if f.known_drift.is_none() {
                    let _ = writeln!(out, "        rerun:    {}", rerun(o, f));
                }
            }
        }
        Status::KnownDrift if !verbose => {
            for f in &o.findings {
                let why = f.known_drift.as_deref().unwrap_or("");
                let _ = writeln!(
                    out,
                    "  {} {:<34} {}:{} {}",
                    paint("33", "~"),
                    o.check,
                    path_of(f, lessons),
                    f.line,
                    paint("33", &format!("known drift: {why}"))
                );
            }
            // a moved defect, said once
            for n in o
                .notes
                .iter()
                .filter(|n| n.starts_with("known drift registered"))
            {
                let _ = writeln!(out, "      · {n}");
            }
        }
        Status::KnownDrift => {
            let _ = writeln!(
                out,
                "  {} {:<34} {} {}{took}",
                paint("33", "~"),
                o.check,
                o.title,
                paint("33", "known drift")
            );
            notes(out, o);
            for f in &o.findings {
                finding(out, f, lessons, paint);
            }
        }
        Status::Skipped { reason } => {
            let _ = writeln!(
                out,
                "  {} {:<34} {} {}",
                paint("36", "-"),
                o.check,
                o.title,
                paint("36", &format!("skipped: {reason}"))
            );
        }
        Status::Passed if verbose => {
            let _ = writeln!(
                out,
                "  {} {:<34} {} {}{took}",
                paint("32", "✓"),
                o.check,
                o.title,
                paint("2", &format!("({} examined)", o.examined))
            );
            notes(out, o);
        }
        Status::NotApplicable { reason } if verbose => {
            let _ = writeln!(
                out,
                "  {} {:<34} {} {}",
                paint("2", "·"),
                o.check,
                o.title,
                paint("2", &format!("not applicable: {reason}"))
            );
            notes(out, o);
        }
        Status::Passed | Status::NotApplicable { .. } => {}
    }
}

fn notes(out: &mut String, o: &Outcome) {
    for n in &o.notes {
        // continuation lines (a traceback, a log tail) stay under their note
        let _ = writeln!(out, "      · {}", n.replace('\n', "\n        "));
    }
}

/// The command that runs this one check again.
fn rerun(o: &Outcome, f: &Finding) -> String {
    let lesson = o.lesson.trim_end_matches(".md");
    let check = if f.check == crate::drift::STALE {
        // the entry's own check, judged again
        f.expected.split(' ').next().unwrap_or(&f.check).to_string()
    } else {
        f.check.clone()
    };
    let tier = if o.tier == Tier::Static {
        String::new()
    } else {
        format!(" --tier {}", o.tier.as_str())
    };
    // a course-level check runs only over the whole course
    if check.starts_with("course.") {
        return format!("yadoc check --check {check}{tier}");
    }
    format!("yadoc check {lesson} --check {check}{tier}")
}

fn path_of(f: &Finding, lessons: &[Lesson]) -> String {
    lessons
        .iter()
        .find(|l| l.file_name() == f.lesson)
        .map(|l| relative_to_here(&l.path))
        .or_else(|| {
            // a finding in another file of the lessons directory (the known-drift register)
            let l = lessons.first()?;
            let dir = l.path.parent()?;
            Some(relative_to_here(&dir.join(&f.lesson)))
        })
        .unwrap_or_else(|| f.lesson.clone())
}

fn finding(
    out: &mut String,
    f: &Finding,
    lessons: &[Lesson],
    paint: &dyn Fn(&str, &str) -> String,
) {
    let path = path_of(f, lessons);
    let _ = writeln!(out, "      {}", paint("1", &format!("{path}:{}", f.line)));
    if let Some(l) = lessons.iter().find(|l| l.file_name() == f.lesson) {
        for n in f.line.saturating_sub(1).max(1)..=(f.line + 1).min(l.source.line_count()) {
            let marker = if n == f.line { ">" } else { " " };
            let _ = writeln!(
                out,
                "      {marker} {n:>4} | {}",
                crate::checks::finding::elide_long_lines(l.source.line(n))
            );
        }
    }
    let _ = writeln!(out, "        expected: {}", f.expected);
    let _ = writeln!(out, "        observed: {}", f.observed);
    if let Some(d) = &f.diagnosis {
        let _ = writeln!(out, "        cause:    {d}");
    }
    let _ = writeln!(out, "        fix:      {}", f.fix);
    if let Some(why) = &f.known_drift {
        let _ = writeln!(
            out,
            "        {}",
            paint("33", &format!("known drift: {why}"))
        );
    }
}

/// A lesson's path as the user standing in the current directory would type it: relative when the
/// file is below it, else as given.
pub fn relative_to_here(path: &std::path::Path) -> String {
    let here = std::env::current_dir().ok();
    let abs = if path.is_absolute() {
        Some(path.to_path_buf())
    } else {
        here.as_ref().map(|h| h.join(path))
    };
    match (abs, here) {
        (Some(a), Some(h)) => {
            let a = std::fs::canonicalize(&a).unwrap_or_else(|_| crate::course::normalized(&a));
            let h = std::fs::canonicalize(&h).unwrap_or(h);
            if let Ok(r) = a.strip_prefix(&h) {
                // the current directory itself is `.`, never an empty name
                return if r.as_os_str().is_empty() {
                    ".".into()
                } else {
                    r.display().to_string()
                };
            }
            // above or beside the current directory: `../../lessons/lesson1.md`, as long as the
            // two share more than the root
            let shared = a
                .components()
                .zip(h.components())
                .take_while(|(x, y)| x == y)
                .count();
            if shared <= 1 {
                return a.display().to_string();
            }
            let ups = h.components().count() - shared;
            let mut r = std::path::PathBuf::new();
            for _ in 0..ups {
                r.push("..");
            }
            for c in a.components().skip(shared) {
                r.push(c);
            }
            r.display().to_string()
        }
        _ => path.display().to_string(),
    }
}
