//! Judging the answer of the app (app tier) or its container (image tier): the reply against what the
//! lesson promises, or, when no reply came, why — with the program's last output and a diagnosis.

use super::expect::mismatch;
use super::http::{Reply, WaitFailure};
use super::spec::AppSpec;
use crate::checks::finding::{Finding, Outcome, Tier};
use crate::diagnose::diagnose;
use crate::process::tail;

/// The check judging the answer, and what answered.
#[derive(Debug, Clone, Copy)]
pub struct Who<'a> {
    pub check: &'a str,
    pub title: &'a str,
    pub tier: Tier,
    /// "app" or "container"
    pub name: &'a str,
}

/// The outcome of `check` for the reply (or failure) of the lesson's app; `who` is "app" or "container"
/// and `output` what it printed.
pub fn judge(
    spec: &AppSpec,
    who: &Who,
    waited: Result<Reply, WaitFailure>,
    output: &str,
    mut notes: Vec<String>,
) -> Outcome {
    let Who {
        check,
        title,
        tier,
        name: who,
    } = *who;
    let name = spec.lesson.file_name();
    let fail = |f: Finding, notes: Vec<String>| {
        Outcome::failed(check, title, tier, &name, vec![f]).with_notes(notes)
    };
    let reply = match waited {
        Ok(r) => r,
        Err(failure) => {
            // a gunicorn worker that booted and never answered anything never finished importing
            // the app (WORKER TIMEOUT alone would read as a slow request)
            let never_imported = matches!(
                failure,
                WaitFailure::Deadline {
                    answered: false,
                    ..
                }
            ) && output.contains("Booting worker");
            let seen = if never_imported {
                format!("yadoc: the worker never answered a request: it never finished importing the app\n{output}")
            } else {
                output.to_string()
            };
            let d = diagnose(&seen);
            // a diagnosis that names a requirement points at its line, where the fix goes
            let line = d
                .as_ref()
                .and_then(|d| d.requirement.as_deref())
                .map(|p| spec.requirement_line(Some(p)))
                // else the innermost frame of a traceback in one of the lesson's own files
                .or_else(|| traceback_line(spec.lesson, output))
                .unwrap_or(spec.cmd_line);
            let observed = match failure {
                WaitFailure::Exited(status) => format!(
                    "the {who} exited ({status}) before answering: {}",
                    last_error_line(output)
                ),
                WaitFailure::Deadline { after, last, .. } if never_imported => format!(
                    "no answer within {after:?} (last: {last}): gunicorn booted its worker, which never finished importing the app; the {who}'s output ends: {}",
                    last_error_line(output)
                ),
                WaitFailure::Deadline { after, last, .. } => format!(
                    "no answer within {after:?} (last: {last}); the {who}'s output ends: {}",
                    last_error_line(output)
                ),
                WaitFailure::Refused(e) | WaitFailure::NotTheApp(e) => e,
            };
            notes.push(format!("{who} output (last lines):\n{}", tail(output, 15)));
            let pin = d
                .as_ref()
                .and_then(|d| d.requirement.as_ref().and(d.pin.clone()));
            let mut finding = Finding::new(check, &name, line);
            if let Some(pin) = pin {
                // the pin goes right after the requirement it bounds
                finding =
                    finding.edit(crate::checks::finding::Edit::InsertAfter { line, text: pin });
            }
            return fail(
                finding
                    .expected(format!(
                        "GET {} to answer with {}",
                        spec.expected.path, spec.expected.what
                    ))
                    .observed(observed)
                    .fix(
                        d.as_ref()
                            .map(|d| d.fix.clone())
                            .unwrap_or_else(|| format!("read the {who}'s output shown with this check (`{who} output (last lines)`)")),
                    )
                    .diagnosis(d.map(|d| d.line())),
                notes,
            );
        }
    };
    notes.push(format!(
        "GET {} → HTTP {}, {} bytes in {:?}",
        spec.expected.path,
        reply.status,
        reply.body.len(),
        reply.elapsed
    ));
    match mismatch(&spec.expected, &reply) {
        // an answer nobody stated is not checked: a 200 proves the app runs, not that it is right
        None if spec.expected.body.is_none() => Outcome::not_applicable(
            check,
            title,
            tier,
            &name,
            format!(
                "answer not checked: the {who} answered GET {} with HTTP {}, but the lesson states no expected answer (no `app:` in a lessonN.yaml next to it)",
                spec.expected.path, reply.status
            ),
        )
        .with_notes(notes),
        None => Outcome::examined(
            check,
            title,
            tier,
            &name,
            crate::checks::finding::Examined::of(
                format!(
                    "GET {} → HTTP {} with {}",
                    spec.expected.path, reply.status, spec.expected.what
                ),
                Vec::new(),
            ),
            "",
        )
        .with_notes(notes),
        Some(what) => fail(
            Finding::new(check, &name, spec.expected.line)
                .expected(format!(
                    "GET {} to answer HTTP 200 with {}",
                    spec.expected.path, spec.expected.what
                ))
                .observed(what)
                .fix("make the app serve what the lesson says (or correct the lesson's text)")
                .diagnosis(diagnose(&String::from_utf8_lossy(&reply.body)).map(|d| d.line())),
            notes,
        ),
    }
}

/// The most telling line of a failure's output: the last `Error`/`Exception` line, else the last line.
pub fn last_error_line(output: &str) -> String {
    output
        .lines()
        .rev()
        .find(|l| l.contains("Error") || l.contains("error:") || l.contains("Exception"))
        .or_else(|| output.lines().rev().find(|l| !l.trim().is_empty()))
        .unwrap_or("(no output)")
        .trim()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_error_line_is_the_telling_one() {
        assert_eq!(last_error_line("a\nImportError: x\n  \n"), "ImportError: x");
        assert_eq!(last_error_line("just\nlines\n"), "lines");
    }
}

/// The lesson line of the innermost traceback frame in a file the lesson shows (`File
/// "/tmp/…/app.py", line 7` → app.py's line 7 in the lesson), where the fix goes.
pub fn traceback_line(lesson: &crate::lesson::Lesson, output: &str) -> Option<usize> {
    output.lines().rev().find_map(|l| {
        let rest = l.trim_start().strip_prefix("File \"")?;
        let (path, after) = rest.split_once('"')?;
        let n: usize = after
            .trim_start_matches(", line ")
            .split(|c: char| !c.is_ascii_digit())
            .next()?
            .parse()
            .ok()?;
        let name = std::path::Path::new(path).file_name()?.to_str()?;
        let a = lesson.file(name).filter(|a| !a.is_derived())?;
        // a file of the same name inside an installed package is not the lesson's
        (!path.contains("site-packages")).then(|| a.lesson_line(n))
    })
}

#[cfg(test)]
mod traceback_tests {
    #[test]
    fn the_innermost_frame_in_a_lesson_file_is_located_at_its_lesson_line() {
        let md = "app.py:\n\n```python\nfrom flask import Flask\napp = Flask(__name__)\n\n@app.route('/')\ndef index():\n    return open('x').read()\n```\n";
        let lesson =
            crate::lesson::Lesson::from_bytes(std::path::Path::new("t.md"), md.as_bytes()).unwrap();
        let out = "Traceback (most recent call last):\n  File \"/v/site-packages/flask/app.py\", line 2077, in wsgi_app\n  File \"/tmp/yadoc-app-1/app.py\", line 6, in index\n    return open('x').read()\nFileNotFoundError: x\n";
        assert_eq!(super::traceback_line(&lesson, out), Some(9));
        assert_eq!(super::traceback_line(&lesson, "no traceback"), None);
    }
}
