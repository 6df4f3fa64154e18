//! A Markdown summary for a CI job summary page: a table per lesson × tier, then every finding.

use std::fmt::Write;

use super::Report;
use crate::checks::finding::Status;

pub fn render(report: &Report) -> String {
    let s = report.summary();
    let mut out = String::new();
    let verdict = if s.failed > 0 {
        "❌ failures"
    } else {
        "✅ no unexpected failure"
    };
    let _ = writeln!(out, "## yadoc: {verdict}\n");
    if !report.run.id.is_empty() {
        let _ = writeln!(
            out,
            "run `{}` · yadoc {} · started {} · {:.1} s\n",
            report.run.id, report.run.yadoc, report.run.started, report.run.seconds
        );
    }
    let _ = writeln!(
        out,
        "{} passed · {} failed · {} known drift · {} skipped · {} not applicable\n",
        s.passed, s.failed, s.known_drift, s.skipped, s.not_applicable
    );
    let _ = writeln!(
        out,
        "| lesson | tier | passed | failed | known drift | skipped | n/a |\n|---|---|---|---|---|---|---|"
    );
    let mut keys: Vec<(String, &str)> = Vec::new();
    for o in &report.outcomes {
        let k = (o.lesson.clone(), o.tier.as_str());
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    for (lesson, tier) in &keys {
        let of = |f: &dyn Fn(&Status) -> bool| {
            report
                .outcomes
                .iter()
                .filter(|o| &o.lesson == lesson && o.tier.as_str() == *tier && f(&o.status))
                .count()
        };
        let _ = writeln!(
            out,
            "| {lesson} | {tier} | {} | {} | {} | {} | {} |",
            of(&|s| *s == Status::Passed),
            of(&|s| *s == Status::Failed),
            of(&|s| *s == Status::KnownDrift),
            of(&|s| matches!(s, Status::Skipped { .. })),
            of(&|s| matches!(s, Status::NotApplicable { .. }))
        );
    }
    // what did not run as the lesson wrote it: base images built from a local stand-in
    let substituted: Vec<String> = super::substitutions(report)
        .into_iter()
        .map(|n| format!("- {n}"))
        .collect();
    if !substituted.is_empty() {
        let _ = writeln!(
            out,
            "\n### Base images substituted\n\n{}",
            substituted.join("\n")
        );
    }
    for o in report.outcomes.iter().filter(|o| !o.charts.is_empty()) {
        let _ = writeln!(
            out,
            "\n### {} {}: what the cluster showed\n",
            o.lesson,
            o.tier.as_str()
        );
        for c in &o.charts {
            let _ = writeln!(out, "{c}");
        }
    }
    // failures first, with their evidence; then known drift, one line each
    let findings: Vec<_> = report
        .outcomes
        .iter()
        .flat_map(|o| o.findings.iter().map(move |f| (o, f)))
        .collect();
    let failures: Vec<_> = findings
        .iter()
        .filter(|(_, f)| f.known_drift.is_none())
        .collect();
    if !failures.is_empty() {
        let _ = writeln!(out, "\n### Failures\n");
        for (o, f) in failures {
            let _ = writeln!(
                out,
                "- **FAILED** `{}` ({}) at `{}:{}`\n  - expected: {}\n  - observed: {}\n  - fix: {}",
                f.check,
                o.tier.as_str(),
                f.lesson,
                f.line,
                f.expected,
                f.observed,
                f.fix
            );
            if let Some(d) = &f.diagnosis {
                let _ = writeln!(out, "  - cause: {d}");
            }
        }
    }
    let drift: Vec<_> = findings
        .iter()
        .filter_map(|(o, f)| Some((o, f, f.known_drift.as_deref()?)))
        .collect();
    if !drift.is_empty() {
        let _ = writeln!(out, "\n### Known drift\n");
        for (o, f, why) in drift {
            let _ = writeln!(
                out,
                "- `{}` ({}) at `{}:{}`: {why}",
                f.check,
                o.tier.as_str(),
                f.lesson,
                f.line
            );
        }
    }
    // not run because this machine lacks something, apart from not run because the lesson has
    // nothing there to run: the first is the machine's to fix, the second is no gap at all
    let missing: Vec<_> = report.prerequisite_missing().collect();
    if !missing.is_empty() {
        let _ = writeln!(out, "\n### Not run here: prerequisite missing\n");
        for o in missing {
            let _ = writeln!(
                out,
                "- {} {} `{}`: {}",
                o.lesson,
                o.tier.as_str(),
                o.check,
                o.prerequisite_missing.as_deref().unwrap_or("")
            );
        }
    }
    let na: Vec<_> = report
        .outcomes
        .iter()
        .filter_map(|o| match &o.status {
            Status::NotApplicable { reason } => Some((o, reason)),
            _ => None,
        })
        .collect();
    if !na.is_empty() {
        let _ = writeln!(
            out,
            "\n### Not applicable: nothing of the lesson to examine\n"
        );
        for (o, reason) in na {
            let _ = writeln!(
                out,
                "- {} {} `{}`: {reason}",
                o.lesson,
                o.tier.as_str(),
                o.check
            );
        }
    }
    out
}
