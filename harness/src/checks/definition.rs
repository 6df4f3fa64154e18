//! The lesson's definition still rests on the lesson's words. Every input a derivation or the
//! expected answer uses is checked against the text on every run:
//! - its `because` line, compared whole (a reworded line around the same words is an edit);
//! - the file it derives is not one the lesson now shows itself (the lesson's own file is used);
//! - the namespace it sets is the one the lesson's excerpt names (`namespace: hpa-test`);
//! - the expected answer can be read from the lesson (the base64 literal decodes, the file exists).

use super::context::Ctx;
use super::finding::{Examined, Finding};
use crate::lesson::classify::Content;
use crate::lesson::definition::Because;

pub const STALE: &str = "definition.stale";

pub fn stale(ctx: &Ctx) -> Examined {
    let mut out = Examined::new();
    let Some((_, def)) = &ctx.lesson.definition else {
        return out;
    };
    let file = definition_file(ctx);
    for d in &def.derive {
        out.saw(format!("derivation of {}", d.file));
        if let Some(f) = quote_changed(ctx, &d.because, &format!("the derivation of {}", d.file)) {
            out.found(f.fix(format!(
                "re-check the derivation of {} in {file} and quote the line as it now reads",
                d.file
            )));
        }
        if let Some(ns) = &d.set_namespace {
            if let Some(f) = namespace_changed(ctx, &d.file, ns) {
                out.found(f.fix(format!(
                    "set `set_namespace` of {} in {file} to the namespace the lesson names",
                    d.file
                )));
            }
        }
    }
    for (d, shown) in &ctx.lesson.shadowed_derivations {
        out.found(
            ctx.finding(STALE, *shown)
                .expected(format!(
                    "{} derived by {file} (line {} of the lesson says the lesson does not show it)",
                    d.file, d.because.line
                ))
                .observed(format!(
                    "the lesson shows {} itself, from line {shown}: yadoc uses the lesson's file, and the derivation is obsolete",
                    d.file
                ))
                .fix(format!("delete the derivation of {} from {file}", d.file)),
        );
    }
    if let Some(app) = &def.app {
        out.saw("the expected answer (app:)");
        if let Some(f) = quote_changed(ctx, &app.because, "the expected app answer") {
            out.found(f.fix(format!(
                "re-check `app:` in {file} and quote the line as it now reads"
            )));
        }
        if let Err(why) = crate::tiers::expect::readable(ctx.lesson) {
            out.found(
                ctx.finding(STALE, app.because.line)
                    .expected(format!(
                        "the answer `app:` of {file} expects, read from the lesson"
                    ))
                    .observed(why)
                    .fix(format!(
                        "restore what the answer is read from, or update `app:` in {file}"
                    )),
            );
        }
    }
    out
}

/// The `because` line no longer reads as quoted (compared whole, spaces at the ends aside).
fn quote_changed(ctx: &Ctx, because: &Because, what: &str) -> Option<Finding> {
    let seen = ctx.lesson.source.line(because.line);
    (seen.trim() != because.quote.trim()).then(|| {
        ctx.finding(STALE, because.line)
            .expected(format!(
                "\"{}\" at this line: {what} rests on it",
                because.quote
            ))
            .observed(format!("the line reads: \"{seen}\""))
    })
}

/// The lesson's YAML excerpts name a namespace, and it is not the one the derivation sets; or no
/// line of the lesson names that namespace at all.
fn namespace_changed(ctx: &Ctx, file: &str, ns: &str) -> Option<Finding> {
    let named = |text: &str| -> Vec<(usize, String)> {
        text.lines()
            .enumerate()
            .filter_map(|(i, l)| {
                let v = l.trim().strip_prefix("namespace:")?;
                Some((i, v.trim().trim_matches(['"', '\'']).to_string()))
            })
            .collect()
    };
    let excerpts: Vec<(usize, String)> = ctx
        .lesson
        .blocks
        .iter()
        .zip(&ctx.lesson.contents)
        .filter(|(_, c)| **c == Content::YamlFragment)
        .flat_map(|(b, _)| {
            named(&b.text)
                .into_iter()
                .map(|(i, v)| (b.line_of_text_line(i), v))
                .collect::<Vec<_>>()
        })
        .collect();
    if excerpts.iter().any(|(_, v)| v == ns) {
        return None;
    }
    if let Some((line, other)) = excerpts.first() {
        return Some(
            ctx.finding(STALE, *line)
                .expected(format!(
                    "`namespace: {ns}` here: the derivation of {file} puts it in {ns}"
                ))
                .observed(format!("the lesson's excerpt names namespace {other}")),
        );
    }
    let anywhere = (1..=ctx.lesson.source.line_count()).any(|n| {
        named(ctx.lesson.source.line(n))
            .iter()
            .any(|(_, v)| v == ns)
    });
    (!anywhere).then(|| {
        ctx.finding(STALE, 1)
            .expected(format!(
                "a `namespace: {ns}` line in the lesson: the derivation of {file} puts it in {ns}"
            ))
            .observed(format!("no line of the lesson names namespace {ns}"))
    })
}

fn definition_file(ctx: &Ctx) -> String {
    ctx.lesson
        .definition
        .as_ref()
        .map(|(p, _)| p.display().to_string())
        .unwrap_or_default()
}
