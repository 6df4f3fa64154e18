//! `--report-dir DIR`: every format at once, plus the diagnostics each outcome collected and the
//! transcript of each cluster run.

use std::path::{Path, PathBuf};

use super::Report;
use crate::lesson::Lesson;

/// The SARIF report, located relative to the repository the lessons are in.
fn sarif(report: &Report, lessons: &[Lesson]) -> String {
    let dir = lessons
        .first()
        .and_then(|l| l.path.parent())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("lessons"));
    super::sarif::render(report, &crate::fix::repo_root(&dir), &dir)
}

/// Write report.json, junit.xml, summary.md, report.txt, report.sarif and diagnostics/*.txt;
/// returns the files written.
pub fn write(dir: &Path, report: &Report, lessons: &[Lesson]) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir.join("diagnostics"))?;
    let mut written = Vec::new();
    for (name, text) in [
        ("report.json", super::json::render(report)),
        ("junit.xml", super::junit::render(report, lessons)),
        ("summary.md", super::markdown::render(report)),
        ("report.txt", super::text::render(report, lessons, false)),
        ("report.sarif", sarif(report, lessons)),
    ] {
        let p = dir.join(name);
        std::fs::write(&p, text)?;
        written.push(p);
    }
    for o in report
        .outcomes
        .iter()
        .filter(|o| !o.notes.is_empty() || !o.findings.is_empty())
    {
        let p = dir.join("diagnostics").join(format!(
            "{}-{}-{}.txt",
            o.lesson.trim_end_matches(".md"),
            o.tier.as_str(),
            o.check
        ));
        let mut text = o.notes.join("\n");
        for f in &o.findings {
            text.push_str(&format!(
                "\n\n{}:{}\nexpected: {}\nobserved: {}\nfix: {}\n",
                f.lesson, f.line, f.expected, f.observed, f.fix
            ));
        }
        std::fs::write(&p, text)?;
        written.push(p);
    }
    // what each cluster run saw, replayable by the contract tests (tiers/cluster/transcript.rs)
    for o in report.outcomes.iter().filter(|o| o.transcript.is_some()) {
        std::fs::create_dir_all(dir.join("transcripts"))?;
        let p = dir.join("transcripts").join(format!(
            "{}-{}.jsonl",
            o.lesson.trim_end_matches(".md"),
            o.tier.as_str()
        ));
        std::fs::write(&p, o.transcript.as_deref().unwrap_or_default())?;
        written.push(p);
    }
    Ok(written)
}
