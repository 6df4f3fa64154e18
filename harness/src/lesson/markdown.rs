//! Markdown → blocks and prose, with pulldown-cmark; every block keeps its file lines.

use pulldown_cmark::{CodeBlockKind, Event, Parser, Tag, TagEnd};

use super::block::{Block, FenceEnd, Prose};
use crate::source::SourceText;

/// Blocks and prose of one markdown text, in document order.
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    pub blocks: Vec<Block>,
    pub prose: Vec<Prose>,
}

/// Parse a lesson's markdown. Never fails: markdown has no syntax errors, only surprising renderings,
/// which the markdown checks report (an unclosed fence, for one).
pub fn parse(src: &SourceText) -> Parsed {
    let text = src.text();
    let mut parsed = Parsed::default();
    let mut in_code: Option<(String, usize, usize)> = None; // info, open offset, start of text
    let mut code_text = String::new();
    let mut prose_since_block = String::new();
    let mut prose_line: Option<usize> = None;
    let mut current = String::new();
    let mut current_line: Option<usize> = None;

    for (event, range) in Parser::new(text).into_offset_iter() {
        match event {
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))) => {
                in_code = Some((info.trim().to_string(), range.start, range.end));
                code_text.clear();
            }
            Event::End(TagEnd::CodeBlock) => {
                if let Some((info, start, end)) = in_code.take() {
                    let open_line = src.line_of(start);
                    let end = fence_end(src, open_line, end);
                    parsed.blocks.push(Block {
                        index: parsed.blocks.len(),
                        info,
                        text: std::mem::take(&mut code_text),
                        open_line,
                        end,
                        prose_before: std::mem::take(&mut prose_since_block),
                        prose_line: prose_line.take().unwrap_or(open_line),
                    });
                }
            }
            Event::Text(t) if in_code.is_some() => code_text.push_str(&t),
            Event::Text(t) | Event::Code(t) => {
                let line = src.line_of(range.start);
                current_line.get_or_insert(line);
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
    let opening = src.line(open_line).trim_start();
    let fence_char = opening.chars().next().unwrap_or('`');
    let fence_len = opening.chars().take_while(|c| *c == fence_char).count();
    // the range ends just after the block's last line (or inside it, at the end of the file)
    let last_line = src.line_of(end_offset.saturating_sub(1));
    let last = src.line(last_line).trim();
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
    fn a_list_item_ends_an_unclosed_block_inside_it() {
        let b = blocks("- item:\n  ``` bash\n  kubectl get pods\n\nNow prose.\n");
        assert_eq!(b[0].end, FenceEnd::EndedByContainer { line: 4 });
        assert_eq!(b[0].text.trim_end(), "kubectl get pods");
    }
}
