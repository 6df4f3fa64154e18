//! The lesson's definition still rests on the lesson's words: every derivation quotes the line it
//! follows from, and an edit of that line makes the derivation stale.

use super::context::Ctx;
use super::finding::Finding;

pub const STALE: &str = "definition.stale";

pub fn stale(ctx: &Ctx) -> Vec<Finding> {
    let mut out: Vec<Finding> = ctx
        .lesson
        .stale_derivations
        .iter()
        .map(|(d, seen)| {
            ctx.finding(STALE, d.because.line)
                .expected(format!(
                    "\"{}\" at this line: the derivation of {} rests on it",
                    d.because.quote, d.file
                ))
                .observed(format!("the line reads: \"{seen}\""))
                .fix(format!(
                    "re-check the derivation of {} in {} and update its `because`",
                    d.file,
                    definition_file(ctx)
                ))
        })
        .collect();
    if let Some((_, def)) = &ctx.lesson.definition {
        if let Some(app) = &def.app {
            let seen = ctx.lesson.source.line(app.because.line);
            if !seen.contains(app.because.quote.as_str()) {
                out.push(
                    ctx.finding(STALE, app.because.line)
                        .expected(format!(
                            "\"{}\" at this line: the expected app answer rests on it",
                            app.because.quote
                        ))
                        .observed(format!("the line reads: \"{seen}\""))
                        .fix(format!(
                            "re-check `app:` in {} and update its `because`",
                            definition_file(ctx)
                        )),
                );
            }
        }
    }
    out
}

fn definition_file(ctx: &Ctx) -> String {
    ctx.lesson
        .definition
        .as_ref()
        .map(|(p, _)| p.display().to_string())
        .unwrap_or_default()
}
