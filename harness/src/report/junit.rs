//! JUnit XML: one testsuite per lesson × tier, one testcase per check. Failures carry the lesson
//! snippet, expected / observed / fix and the diagnosis; a skipped tier is `<skipped>` with its reason;
//! known drift is `<skipped type="known-drift">` (as pytest reports xfail), so dashboards show it
//! without failing the build.

use std::fmt::Write;

use super::Report;
use crate::checks::finding::{Finding, Status};
use crate::lesson::Lesson;

fn esc(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control() || matches!(c, '\n' | '\t' | '\r'))
        .map(|c| match c {
            '&' => "&amp;".to_string(),
            '<' => "&lt;".to_string(),
            '>' => "&gt;".to_string(),
            '"' => "&quot;".to_string(),
            '\'' => "&apos;".to_string(),
            c => c.to_string(),
        })
        .collect()
}

fn details(f: &Finding, lessons: &[Lesson]) -> String {
    let mut s = format!("{}:{}\n", f.lesson, f.line);
    if let Some(l) = lessons.iter().find(|l| l.file_name() == f.lesson) {
        for n in f.line.saturating_sub(1).max(1)..=(f.line + 1).min(l.source.line_count()) {
            let _ = writeln!(
                s,
                "{} {n:>4} | {}",
                if n == f.line { ">" } else { " " },
                crate::checks::finding::elide_long_lines(l.source.line(n))
            );
        }
    }
    let _ = writeln!(
        s,
        "expected: {}\nobserved: {}\nfix: {}",
        f.expected, f.observed, f.fix
    );
    if let Some(d) = &f.diagnosis {
        let _ = writeln!(s, "cause: {d}");
    }
    s
}

pub fn render(report: &Report, lessons: &[Lesson]) -> String {
    let s = report.summary();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"yadoc\" tests=\"{}\" failures=\"{}\" skipped=\"{}\">",
        report.outcomes.len(),
        s.failed,
        s.skipped + s.known_drift + s.not_applicable
    );
    let mut suites: Vec<(String, Vec<&crate::checks::finding::Outcome>)> = Vec::new();
    for o in &report.outcomes {
        let key = format!("{}.{}", o.lesson, o.tier.as_str());
        match suites.iter_mut().find(|(k, _)| *k == key) {
            Some((_, v)) => v.push(o),
            None => suites.push((key, vec![o])),
        }
    }
    for (name, outcomes) in suites {
        let failures = outcomes
            .iter()
            .filter(|o| o.status == Status::Failed)
            .count();
        let skipped = outcomes
            .iter()
            .filter(|o| {
                matches!(
                    o.status,
                    Status::Skipped { .. } | Status::NotApplicable { .. } | Status::KnownDrift
                )
            })
            .count();
        let time: f64 = outcomes.iter().filter_map(|o| o.seconds).sum();
        // JUnit's timestamp is an ISO 8601 date-time without a zone
        let stamp = match report.run.started.trim_end_matches('Z') {
            "" => String::new(),
            t => format!(" timestamp=\"{}\"", esc(t)),
        };
        let _ = writeln!(out, "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\" time=\"{time:.3}\"{stamp}>", esc(&name), outcomes.len());
        for o in outcomes {
            let _ = write!(
                out,
                "    <testcase classname=\"{}\" name=\"{}\" time=\"{:.3}\"",
                esc(&name),
                esc(&o.check),
                o.seconds.unwrap_or(0.0)
            );
            let body = match &o.status {
                Status::Passed => String::new(),
                Status::Failed => {
                    let first = &o.findings[0];
                    let text: Vec<String> =
                        o.findings.iter().map(|f| details(f, lessons)).collect();
                    format!(
                        "      <failure type=\"{}\" message=\"{}\">{}</failure>\n",
                        esc(&o.check),
                        esc(&format!(
                            "{}:{}: {}",
                            first.lesson, first.line, first.observed
                        )),
                        esc(&text.join("\n"))
                    )
                }
                Status::KnownDrift => {
                    let f = &o.findings[0];
                    format!(
                        "      <skipped type=\"known-drift\" message=\"{}\"/>\n",
                        esc(&format!(
                            "known drift at {}:{}: {}",
                            f.lesson,
                            f.line,
                            f.known_drift.clone().unwrap_or_default()
                        ))
                    )
                }
                Status::Skipped { reason } => {
                    format!("      <skipped message=\"{}\"/>\n", esc(reason))
                }
                Status::NotApplicable { reason } => format!(
                    "      <skipped type=\"not-applicable\" message=\"{}\"/>\n",
                    esc(&format!("not applicable: {reason}"))
                ),
            };
            let notes = if o.notes.is_empty() {
                String::new()
            } else {
                format!(
                    "      <system-out>{}</system-out>\n",
                    esc(&o.notes.join("\n"))
                )
            };
            if body.is_empty() && notes.is_empty() {
                out.push_str("/>\n");
            } else {
                let _ = write!(out, ">\n{body}{notes}    </testcase>\n");
            }
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}
