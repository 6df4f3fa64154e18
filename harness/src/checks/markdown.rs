//! Markdown hygiene: fences that never close (or close late) and info strings that mislabel content.

use super::context::Ctx;
use super::finding::{Edit, Examined};
use crate::lesson::block::{Block, FenceEnd};
use crate::lesson::classify::{is_command_line, Content};

pub const UNCLOSED_FENCE: &str = "markdown.unclosed-fence";
pub const BLOCK_LANGUAGE: &str = "markdown.block-language";

/// Fences that never close swallow prose and commands into one code block.
pub fn unclosed_fence(ctx: &Ctx) -> Examined {
    let mut out = Examined::new();
    for b in ctx.lesson.blocks.iter().filter(|b| b.is_fenced()) {
        let (first, last) = b.span();
        out.saw(format!("the block opened at line {first}"));
        let swallowed = first_prose_line(b);
        let intended = intended_close(b, swallowed.clone());
        let indent =
            ctx.lesson.source.line(first).len() - ctx.lesson.source.line(first).trim_start().len();
        let close = match indent {
            0 => format!("add a closing fence line ``` after line {intended}"),
            n => format!("add a closing fence line ``` (indented {n} spaces, like the opening) after line {intended}"),
        };
        let closing = Edit::InsertAfter {
            line: intended,
            text: format!("{}```", " ".repeat(indent)),
        };
        match &b.end {
            FenceEnd::Closed { .. } => {
                if let Some((i, l)) = b.text.lines().enumerate().find(|(_, l)| {
                    let t = l.trim_start();
                    t.starts_with("```") && !t.trim_start_matches('`').trim().is_empty()
                }) {
                    let line = b.line_of_text_line(i);
                    out.found(
                        ctx.finding(UNCLOSED_FENCE, first)
                            .expected(format!("the block opened at line {first} to close before the next block opens"))
                            .observed(format!("it closes late, at line {last}: `{}` at line {line} was meant to open a new block but renders as code inside this one", l.trim()))
                            .fix(close.clone())
                        .edit(closing.clone()),
                    );
                }
            }
            FenceEnd::EndOfFile { line } => {
                let what = match swallowed {
                    Some((l, text)) => format!(
                        ", swallowing the prose from line {l} (\"{}\") and {} heading(s)",
                        excerpt(&text),
                        headings(b)
                    ),
                    None => String::new(),
                };
                let rendered = if *line > first {
                    format!(
                        "lines {}–{line} (end of file) render as code{what}",
                        first + 1
                    )
                } else {
                    "it is the file's last line, so nothing after it renders as code (but a reader's tool may)".to_string()
                };
                out.found(
                    ctx.finding(UNCLOSED_FENCE, first)
                        .expected(format!(
                            "a closing ``` for the block opened at line {first}"
                        ))
                        .observed(format!(
                            "the fence opened at line {first} is never closed: {rendered}"
                        ))
                        .fix(close.clone())
                        .edit(closing.clone()),
                );
            }
            FenceEnd::EndedByContainer { line } => {
                out.found(
                    ctx.finding(UNCLOSED_FENCE, first)
                        .expected(format!("a closing ``` for the block opened at line {first}"))
                        .observed(format!("the fence opened at line {first} is never closed; only the end of its list item at line {line} ends the block, so the text after it renders by luck (any indented line would be swallowed)"))
                        .fix(close.clone())
                        .edit(closing.clone()),
                );
            }
        }
    }
    out
}

/// First line inside the block that reads like prose (a sentence or a heading), with its text.
fn first_prose_line(b: &Block) -> Option<(usize, String)> {
    b.text.lines().enumerate().find_map(|(i, l)| {
        let t = l.trim();
        let sentence = t.split_whitespace().count() >= 8 && !is_command_line(t);
        (sentence || t.starts_with('#') && t.contains(' ') && !t.starts_with("#!"))
            .then(|| (b.line_of_text_line(i), t.to_string()))
    })
}

/// Where the closing fence belongs: after the last non-empty line before the swallowed prose.
fn intended_close(b: &Block, swallowed: Option<(usize, String)>) -> usize {
    let stop = swallowed.map(|(l, _)| l).unwrap_or(usize::MAX);
    b.text
        .lines()
        .enumerate()
        .map(|(i, l)| (b.line_of_text_line(i), l))
        .filter(|(line, l)| {
            *line < stop && !l.trim().is_empty() && !l.trim_start().starts_with("```")
        })
        .map(|(line, _)| line)
        .last()
        .unwrap_or(b.open_line)
}

fn headings(b: &Block) -> usize {
    b.text
        .lines()
        .filter(|l| l.trim_start().starts_with('#') && l.contains(' '))
        .count()
}

fn excerpt(s: &str) -> String {
    let words: Vec<&str> = s.split_whitespace().take(8).collect();
    format!("{}…", words.join(" "))
}

/// The info string must not name another language than the content (a Dockerfile labelled `bash`).
pub fn block_language(ctx: &Ctx) -> Examined {
    let mut out = Examined::new();
    for (b, content) in ctx.lesson.blocks.iter().zip(&ctx.lesson.contents) {
        let lang = b.lang();
        let expected = content.expected_langs();
        if lang.is_empty()
            || expected.is_empty()
            || *content == Content::Shell
            || *content == Content::Other
        {
            continue;
        }
        out.saw(format!(
            "```{lang} at line {} ({})",
            b.open_line,
            content.describe()
        ));
        if expected.contains(&lang.as_str()) {
            continue;
        }
        let fence = ctx.lesson.source.line(b.open_line);
        let mut finding = ctx
            .finding(BLOCK_LANGUAGE, b.open_line)
            .expected(format!("```{} for {}", expected[0], content.describe()))
            .observed(format!("```{lang} on {}", content.describe()))
            .fix(format!(
                "change the fence at line {} to ```{}",
                b.open_line, expected[0]
            ));
        if let Some(at) = fence.find(b.info.as_str()).filter(|_| !b.info.is_empty()) {
            // the info string's first word becomes the language; the rest of the line stays
            let word = b.info.split_whitespace().next().unwrap_or("");
            let text = format!(
                "{}{}{}",
                &fence[..at],
                expected[0],
                &fence[at + word.len()..]
            );
            finding = finding.edit(Edit::ReplaceLine {
                line: b.open_line,
                text,
            });
        }
        out.found(finding);
    }
    out
}
