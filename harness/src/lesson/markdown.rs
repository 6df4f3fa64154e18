//! Markdown → blocks and prose, with pulldown-cmark; every block keeps its file lines.

use pulldown_cmark::{CodeBlockKind, Event, Parser, Tag, TagEnd};

use super::block::{Block, FenceEnd, Form, Prose};
use crate::source::SourceText;

/// Blocks and prose of one markdown text, in document order.
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    pub blocks: Vec<Block>,
    pub prose: Vec<Prose>,
}

/// Parse a lesson's markdown. Never fails: markdown has no syntax errors, only surprising renderings,
/// which the markdown checks report (an unclosed fence, for one).
///
/// Code is what a reader sees as code: fenced blocks, indented blocks (CommonMark's other code
/// block, common in list items), and mkdocs' inline `` `#!bash cmd` `` spans. The four-space body of
/// an mkdocs admonition or content tab (`!!! note`, `??? example`, `=== "Tab"`) is markdown that
/// CommonMark reads as an indented code block: it is parsed again as markdown, at its own lines.
pub fn parse(src: &SourceText) -> Parsed {
    let mut parsed = parse_at(src, 0);
    for (i, b) in parsed.blocks.iter_mut().enumerate() {
        b.index = i;
    }
    parsed
}

fn parse_at(src: &SourceText, offset: usize) -> Parsed {
    let text = src.text();
    let mut parsed = Parsed::default();
    // info, form, open offset, start of text
    let mut in_code: Option<(String, Form, usize, usize)> = None;
    let mut code_text = String::new();
    let mut prose_since_block = String::new();
    let mut prose_line: Option<usize> = None;
    let mut current = String::new();
    let mut current_line: Option<usize> = None;
    // the last line of an admonition body read from the source already (local line): the
    // events CommonMark gives for those lines are not read again
    let mut consumed_until = 0;

    for (event, range) in Parser::new(text).into_offset_iter() {
        let local = src.line_of(range.start);
        if local <= consumed_until && !matches!(event, Event::End(_)) {
            continue;
        }
        match event {
            // `!!! note` directly followed by its body: CommonMark reads the body as the text of
            // the paragraph the opener starts (an indented line cannot interrupt a paragraph), so
            // a fence in it is no code block. Python-Markdown reads the lines indented 4 past the
            // opener as the box's markdown: read them so, at their own lines.
            Event::Start(Tag::Paragraph) if is_admonition_opener(src.line(local)) => {
                if let Some(last) = admonition_body_end(src, local) {
                    let body = dedented(src, local + 1, last, indent_of(src.line(local)) + 4);
                    let inner = parse_at(&SourceText::new(body), offset + local);
                    parsed.blocks.extend(inner.blocks);
                    parsed.prose.extend(inner.prose);
                    consumed_until = last;
                }
                continue;
            }
            Event::Start(Tag::CodeBlock(kind)) => {
                let (info, form) = match kind {
                    CodeBlockKind::Fenced(info) => (info.trim().to_string(), Form::Fenced),
                    CodeBlockKind::Indented => (String::new(), Form::Indented),
                };
                in_code = Some((info, form, range.start, range.end));
                code_text.clear();
            }
            Event::End(TagEnd::CodeBlock) => {
                let Some((info, form, start, end)) = in_code.take() else {
                    continue;
                };
                if src.line_of(start) <= consumed_until {
                    code_text.clear();
                    continue;
                }
                let text = std::mem::take(&mut code_text);
                let (open_line, end) = match form {
                    Form::Fenced => {
                        let open_line = src.line_of(start);
                        (open_line, fence_end(src, open_line, end))
                    }
                    _ => {
                        let first = src.line_of(start);
                        let last = first + text.lines().count().max(1) - 1;
                        (first - 1, FenceEnd::Closed { line: last })
                    }
                };
                // an admonition's body, or a fence indented past a list item's content (Python-
                // Markdown's 4-space lists): markdown, read again, at its own lines
                let fenced_inside = text
                    .lines()
                    .find(|l| !l.trim().is_empty())
                    .is_some_and(|l| {
                        l.trim_start().starts_with("```") || l.trim_start().starts_with("~~~")
                    });
                if form == Form::Indented && (opens_admonition(src, open_line) || fenced_inside) {
                    // an admonition's body: markdown, one indentation level in
                    let inner = parse_at(&SourceText::new(text), offset + open_line);
                    parsed.blocks.extend(inner.blocks);
                    parsed.prose.extend(inner.prose);
                    continue;
                }
                // an indented block deeper than its container needs keeps the extra columns in
                // its text: the same on every line, they are not the content's own
                let text = if form == Form::Indented {
                    common_dedent(&text)
                } else {
                    text
                };
                parsed.blocks.push(Block {
                    index: parsed.blocks.len(),
                    info,
                    text,
                    open_line: offset + open_line,
                    end: end.shifted(offset),
                    prose_before: std::mem::take(&mut prose_since_block),
                    prose_line: offset + prose_line.take().unwrap_or(open_line),
                    form,
                });
            }
            Event::Text(t) if in_code.is_some() => code_text.push_str(&t),
            Event::Code(t) if inline_lang(&t).is_some() => {
                let (lang, cmd) = inline_lang(&t).unwrap_or_default();
                let line = src.line_of(range.start);
                parsed.blocks.push(Block {
                    index: parsed.blocks.len(),
                    info: lang.to_string(),
                    text: format!("{cmd}\n"),
                    open_line: offset + line - 1,
                    end: FenceEnd::Closed {
                        line: offset + line,
                    },
                    prose_before: prose_since_block.clone(),
                    prose_line: offset + prose_line.unwrap_or(line),
                    form: Form::Inline,
                });
            }
            Event::Text(t) | Event::Code(t) => {
                let line = src.line_of(range.start);
                current_line.get_or_insert(offset + line);
                prose_line.get_or_insert(line);
                current.push_str(&t);
                prose_since_block.push_str(&t);
            }
            Event::SoftBreak | Event::HardBreak => {
                current.push(' ');
                prose_since_block.push(' ');
            }
            Event::End(TagEnd::Paragraph | TagEnd::Heading(_) | TagEnd::Item) => {
                flush(&mut parsed.prose, &mut current, &mut current_line);
                prose_since_block.push('\n');
            }
            _ => {}
        }
    }
    flush(&mut parsed.prose, &mut current, &mut current_line);
    parsed
}

/// The columns of a line's indentation (a tab counts 4, as Python-Markdown's `tab_length`).
pub fn indent_of(line: &str) -> usize {
    line.chars()
        .take_while(|c| c.is_whitespace())
        .map(|c| if c == '\t' { 4 } else { 1 })
        .sum()
}

/// The last line of the body of the admonition opened at `opener` when that body starts on the very
/// next line: the lines indented at least 4 past the opener, with the blank lines between them.
fn admonition_body_end(src: &SourceText, opener: usize) -> Option<usize> {
    let need = indent_of(src.line(opener)) + 4;
    let mut last = None;
    for l in opener + 1..=src.line_count() {
        let line = src.line(l);
        if line.trim().is_empty() {
            continue;
        }
        if indent_of(line) < need {
            break;
        }
        last = Some(l);
    }
    // a body that starts after a blank line is an indented code block to CommonMark, read as one
    last.filter(|_| !src.line(opener + 1).trim().is_empty())
}

/// `text` without the indentation all its non-blank lines share.
fn common_dedent(text: &str) -> String {
    let by = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start_matches(' ').len())
        .min()
        .unwrap_or(0);
    if by == 0 {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    for l in text.lines() {
        out.push_str(l.get(by..).unwrap_or("").trim_end_matches('\r'));
        out.push('\n');
    }
    out
}

/// Lines `first..=last` with `by` columns of indentation removed (less where a line has less).
fn dedented(src: &SourceText, first: usize, last: usize, by: usize) -> String {
    let mut out = String::new();
    for l in first..=last {
        let line = src.line(l);
        let cut = line
            .char_indices()
            .take_while(|(i, c)| c.is_whitespace() && *i < by)
            .count();
        out.push_str(&line[cut..]);
        out.push('\n');
    }
    out
}

/// `#!bash kubectl get pods` → (`bash`, `kubectl get pods`): mkdocs' inline code highlighting.
fn inline_lang(code: &str) -> Option<(&str, &str)> {
    let rest = code.strip_prefix("#!")?;
    let (lang, cmd) = rest.split_once(' ')?;
    (!lang.is_empty() && lang.chars().all(|c| c.is_ascii_alphanumeric()) && !cmd.trim().is_empty())
        .then(|| (lang, cmd.trim()))
}

/// The nearest non-blank line above `line` opens an mkdocs admonition or content tab
/// (`!!! note "Title"`, `??? example`, `???+ info`, `=== "Tab"`), whose body is indented markdown.
fn opens_admonition(src: &SourceText, line: usize) -> bool {
    (1..=line)
        .rev()
        .map(|l| src.line(l).trim())
        .find(|l| !l.is_empty())
        .is_some_and(is_admonition_opener)
}

pub fn is_admonition_opener(line: &str) -> bool {
    let line = line.trim_start();
    ["!!! ", "??? ", "???+ ", "=== \""]
        .iter()
        .any(|p| line.starts_with(p))
        || line == "!!!"
}

fn flush(out: &mut Vec<Prose>, current: &mut String, line: &mut Option<usize>) {
    if let Some(l) = line.take() {
        let text = std::mem::take(current);
        if !text.trim().is_empty() {
            out.push(Prose {
                line: l,
                text: text.trim().to_string(),
            });
        }
    }
    current.clear();
}

/// Where a fenced block really ends: its closing fence, the end of its container, or the end of file.
fn fence_end(src: &SourceText, open_line: usize, end_offset: usize) -> FenceEnd {
    let opening = src.line(open_line).trim_start_matches(['>', ' ']);
    let fence_char = opening.chars().next().unwrap_or('`');
    let fence_len = opening.chars().take_while(|c| *c == fence_char).count();
    // the range ends just after the block's last line (or inside it, at the end of the file)
    let last_line = src.line_of(end_offset.saturating_sub(1));
    // a fence inside a blockquote closes with `> ```
    let last = src.line(last_line).trim_start_matches(['>', ' ']).trim();
    let is_close = last_line > open_line
        && last.chars().all(|c| c == fence_char)
        && last.chars().count() >= fence_len;
    if is_close {
        FenceEnd::Closed { line: last_line }
    } else if last_line >= src.line_count() {
        FenceEnd::EndOfFile { line: last_line }
    } else {
        FenceEnd::EndedByContainer { line: last_line }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blocks(md: &str) -> Vec<Block> {
        parse(&SourceText::new(md.to_string())).blocks
    }

    #[test]
    fn a_closed_block_keeps_its_lines_info_and_prose() {
        let b = blocks("Create a file named app.py:\n\n``` python\nprint(1)\n```\nafter\n");
        assert_eq!(b.len(), 1);
        assert_eq!(b[0].info, "python");
        assert_eq!(b[0].open_line, 3);
        assert_eq!(b[0].end, FenceEnd::Closed { line: 5 });
        assert_eq!(b[0].text, "print(1)\n");
        assert!(b[0].prose_before.contains("app.py"));
    }

    #[test]
    fn an_unclosed_block_runs_to_the_end_of_the_file() {
        let b = blocks("text\n\n```bash\nls\n\nmore prose\n");
        assert_eq!(b[0].end, FenceEnd::EndOfFile { line: 6 });
        assert!(b[0].text.contains("more prose"));
    }

    #[test]
    fn a_fence_the_reader_sees_as_code_is_one_block_of_its_language_at_its_lines() {
        // 8 spaces under a list item (Python-Markdown's 4-space lists): CommonMark sees an
        // indented block whose text starts with the fence line
        let b = blocks("1. Create it:\n\n        ```yaml\n        kind: Namespace\n        ```\n");
        assert_eq!(
            (b[0].info.as_str(), b[0].open_line, b[0].text.as_str()),
            ("yaml", 3, "kind: Namespace\n")
        );
        // an admonition whose body follows its opener directly, inside a list item
        let b = blocks("2. Then:\n\n    !!! note\n        ```yaml\n        kind: Ingress\n        ```\n\nAfter.\n");
        assert_eq!(b.len(), 1, "{b:#?}");
        assert_eq!(
            (b[0].info.as_str(), b[0].open_line, b[0].text.as_str()),
            ("yaml", 4, "kind: Ingress\n")
        );
        // an indented block deeper than its list item: the extra columns are not the content's
        let b = blocks("- item\n\n        apiVersion: v1\n        kind: Namespace\n");
        assert_eq!(b[0].text, "apiVersion: v1\nkind: Namespace\n");
        // in a blockquote
        let b = blocks("> ```yaml\n> kind: Pod\n> ```\n");
        assert_eq!(
            (b[0].info.as_str(), b[0].text.as_str()),
            ("yaml", "kind: Pod\n")
        );
    }

    #[test]
    fn a_list_item_ends_an_unclosed_block_inside_it() {
        let b = blocks("- item:\n  ``` bash\n  kubectl get pods\n\nNow prose.\n");
        assert_eq!(b[0].end, FenceEnd::EndedByContainer { line: 4 });
        assert_eq!(b[0].text.trim_end(), "kubectl get pods");
    }
}
