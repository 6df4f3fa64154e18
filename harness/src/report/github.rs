//! GitHub workflow commands (`::error file=…,line=…,title=…::message`): every finding annotates its
//! lesson line in a pull request's diff; known drift is a `::notice`. The message carries the fix,
//! and the edit `yadoc fix` would make where it is mechanical. Paths are relative to the repository
//! root, as GitHub resolves them. Escaping follows the toolkit's `issueCommand`
//! (actions/toolkit `packages/core/src/command.ts`: `%`, `\r`, `\n` in data; also `:` and `,` in
//! properties). A check that could not run for want of a prerequisite is annotated without a file
//! or line: the runner lacks something, no lesson line is at fault.

use std::fmt::Write;
use std::path::Path;

use super::Report;
use crate::checks::finding::{Edit, Finding};

pub fn render(report: &Report, root: &Path, lessons_dir: &Path) -> String {
    let abs = std::fs::canonicalize(lessons_dir).unwrap_or_else(|_| lessons_dir.to_path_buf());
    let rel = abs.strip_prefix(root).unwrap_or(&abs).to_path_buf();
    let mut out = String::new();
    for o in &report.outcomes {
        // a tier this machine cannot run: the runner's to fix, annotated on no lesson line
        if let Some(missing) = &o.prerequisite_missing {
            let level = if o.status == crate::checks::finding::Status::Failed {
                "error"
            } else {
                "warning"
            };
            let _ = writeln!(
                out,
                "::{level} title={}::{}",
                property(&format!(
                    "{} ({}) did not run here",
                    o.check,
                    o.tier.as_str()
                )),
                data(&format!("{}: {missing}", o.lesson))
            );
            continue;
        }
        for f in &o.findings {
            let level = if f.known_drift.is_some() {
                "notice"
            } else {
                "error"
            };
            let file = rel.join(&f.lesson).display().to_string();
            let _ = writeln!(
                out,
                "::{level} file={},line={},title={}::{}",
                property(&file),
                f.line,
                property(&format!("{} ({})", f.check, o.tier.as_str())),
                data(&message(f))
            );
        }
    }
    out
}

fn message(f: &Finding) -> String {
    let mut m = format!(
        "expected: {}\nobserved: {}\nfix: {}",
        f.expected, f.observed, f.fix
    );
    if let Some(d) = &f.diagnosis {
        let _ = write!(m, "\ncause: {d}");
    }
    if let Some(k) = &f.known_drift {
        let _ = write!(m, "\nknown drift: {k}");
    }
    if let Some(e) = &f.edit {
        let _ = write!(m, "\nyadoc fix: {}", describe(e));
    }
    m
}

/// An edit in words, with the text it writes.
pub fn describe(e: &Edit) -> String {
    match e {
        Edit::ReplaceLine { line, text } => format!("line {line} becomes {text:?}"),
        Edit::InsertAfter { line, text } => format!("insert {text:?} after line {line}"),
        Edit::MoveBefore { from, to, before } => {
            format!("move lines {from}–{to} before line {before}")
        }
        Edit::DeleteLines { from, to } => format!("delete lines {from}–{to}"),
    }
}

fn data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_as_the_actions_toolkit_does() {
        assert_eq!(data("50% done\nnext"), "50%25 done%0Anext");
        assert_eq!(property("a:b,c"), "a%3Ab%2Cc");
    }
}
