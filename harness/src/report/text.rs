//! Terminal report: one line per check, failures expanded with the lesson snippet.

use std::fmt::Write;

use super::Report;
use crate::checks::finding::{Finding, Status};
use crate::lesson::Lesson;

/// Render a report; `lessons` supplies the text for snippets.
pub fn render(report: &Report, lessons: &[Lesson], color: bool) -> String {
    let paint = |code: &str, s: &str| {
        if color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    };
    let mut out = String::new();
    let mut current = None;
    for o in &report.outcomes {
        let key = (o.lesson.clone(), o.tier);
        if current.as_ref() != Some(&key) {
            let _ = writeln!(out, "\n{} · {}", paint("1", &o.lesson), o.tier.as_str());
            current = Some(key);
        }
        let (mark, label) = match &o.status {
            Status::Passed => (
                paint("32", "✓"),
                paint("2", &format!("({} examined)", o.examined)),
            ),
            Status::Failed => (paint("31", "✗"), paint("31", "FAILED")),
            Status::KnownDrift => (paint("33", "~"), paint("33", "known drift")),
            Status::Skipped { reason } => {
                (paint("36", "-"), paint("36", &format!("skipped: {reason}")))
            }
            Status::NotApplicable { reason } => (
                paint("2", "·"),
                paint("2", &format!("not applicable: {reason}")),
            ),
        };
        let _ = writeln!(out, "  {mark} {:<34} {} {label}", o.check, o.title);
        for n in &o.notes {
            // continuation lines (a traceback, a log tail) stay under their note
            let _ = writeln!(out, "      · {}", n.replace('\n', "\n        "));
        }
        for f in &o.findings {
            finding(&mut out, f, lessons, &paint);
        }
    }
    let s = report.summary();
    let _ = writeln!(
        out,
        "\n{} passed, {} failed, {} known drift, {} skipped, {} not applicable ({} lesson(s))",
        s.passed,
        s.failed,
        s.known_drift,
        s.skipped,
        s.not_applicable,
        report.lessons.len()
    );
    out
}

fn finding(
    out: &mut String,
    f: &Finding,
    lessons: &[Lesson],
    paint: &dyn Fn(&str, &str) -> String,
) {
    let path = lessons
        .iter()
        .find(|l| l.file_name() == f.lesson)
        .map(|l| relative_to_here(&l.path))
        .unwrap_or_else(|| f.lesson.clone());
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
                return r.display().to_string();
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
