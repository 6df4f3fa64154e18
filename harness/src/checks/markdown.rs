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
/// Languages yadoc's content classifier does not know but whose code shares words with one it
/// does (`import`, `package`, `{ … }`, `key = value`): a block fenced as one of them is taken at its
/// author's word, never relabelled (a Go `import "fmt"` is not Python).
const UNMODELLED_LANGUAGES: &[&str] = &[
    "go",
    "golang",
    "java",
    "kotlin",
    "kt",
    "scala",
    "groovy",
    "javascript",
    "js",
    "jsx",
    "mjs",
    "typescript",
    "ts",
    "tsx",
    "json",
    "jsonc",
    "json5",
    "toml",
    "hcl",
    "terraform",
    "tf",
    "powershell",
    "ps1",
    "pwsh",
    "ps",
    "rust",
    "rs",
    "c",
    "cpp",
    "c++",
    "csharp",
    "cs",
    "php",
    "ruby",
    "rb",
    "swift",
    "perl",
    "lua",
    "r",
    "sql",
    "graphql",
    "proto",
    "protobuf",
    "xml",
    "html",
    "css",
    "scss",
    "ini",
    "properties",
    "cue",
    "jsonnet",
    "starlark",
    "bzl",
    "nix",
    "elixir",
    "erlang",
    "haskell",
    "clojure",
    "dart",
    "zig",
    "vue",
    "svelte",
];

/// Fences for data, in which a block of shell commands is never what the author meant.
const DATA_LANGUAGES: &[&str] = &["yaml", "yml", "json"];

pub fn block_language(ctx: &Ctx) -> Examined {
    let mut out = Examined::new();
    for (b, content) in ctx.lesson.blocks.iter().zip(&ctx.lesson.contents) {
        let lang = b.lang();
        let expected = content.expected_langs();
        // shell fences are many (bash, console, zsh, none, a prompt's language): a shell block is
        // judged only in a fence for data, and only when it opens with a command (a workflow's
        // YAML holds command lines under `run: |`; `cat <<EOF >deployment.yaml` is the shell)
        let shell_in_data = *content == Content::Shell
            && DATA_LANGUAGES.contains(&lang.to_ascii_lowercase().as_str())
            && b.text
                .lines()
                .map(str::trim)
                .find(|l| !l.is_empty() && !l.starts_with('#'))
                .is_some_and(crate::lesson::classify::is_command_line);
        if lang.is_empty()
            || expected.is_empty()
            || (*content == Content::Shell && !shell_in_data)
            || *content == Content::Other
        {
            continue;
        }
        if UNMODELLED_LANGUAGES.contains(&lang.to_ascii_lowercase().as_str()) {
            out.note(format!(
                "line {}: ```{lang} is a language yadoc does not tell apart from {}: taken as written",
                b.open_line,
                content.describe()
            ));
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

pub const TABLE: &str = "markdown.table";

/// The cells of a table row: split on `|` not escaped, a leading and a trailing pipe dropped.
fn table_cells(row: &str) -> Vec<String> {
    let row = row.trim();
    let row = row.strip_prefix('|').unwrap_or(row);
    let row = row
        .strip_suffix('|')
        .filter(|r| !r.ends_with('\\'))
        .unwrap_or(row);
    let mut cells = vec![String::new()];
    let mut escaped = false;
    for c in row.chars() {
        match c {
            '|' if !escaped => cells.push(String::new()),
            _ => cells.last_mut().unwrap().push(c),
        }
        escaped = c == '\\' && !escaped;
    }
    cells
}

/// A GFM delimiter row: cells of `-` with optional `:` at either end, at least one `|` (or a
/// leading one) so that a thematic break (`---`) is not one.
fn is_delimiter_row(line: &str) -> bool {
    let t = line.trim();
    t.contains('|')
        && t.contains('-')
        && table_cells(t).iter().all(|c| {
            let c = c.trim();
            let c = c.strip_prefix(':').unwrap_or(c);
            let c = c.strip_suffix(':').unwrap_or(c);
            !c.is_empty() && c.chars().all(|ch| ch == '-')
        })
}

/// Which lines (by number, from 1) are code as the lesson's markdown parse found it: fenced
/// blocks with their fences, indented blocks (not the line before one, which `open_line` names).
/// The prose checks skip them.
fn code_lines(ctx: &Ctx) -> Vec<bool> {
    let mut code = vec![false; ctx.lesson.source.line_count() + 2];
    for b in &ctx.lesson.blocks {
        let (open, last) = b.span();
        let first = match b.form {
            crate::lesson::block::Form::Fenced => open,
            crate::lesson::block::Form::Indented => open + 1,
            crate::lesson::block::Form::Inline => continue,
        };
        for c in code.iter_mut().take(last + 1).skip(first) {
            *c = true;
        }
    }
    code
}

/// A table whose delimiter row has another number of cells than its header row is no table: "The
/// header row must match the delimiter row in the number of cells. If not, a table will not be
/// recognized" (GitHub Flavored Markdown spec, 0.29-gfm, "Tables (extension)"). The reader sees a
/// paragraph of pipes and dashes.
pub fn table(ctx: &Ctx) -> Examined {
    let mut out = Examined::new();
    let src = &ctx.lesson.source;
    let code = code_lines(ctx);
    for n in 2..=src.line_count() {
        let (head, line) = (src.line(n - 1), src.line(n));
        if code[n - 1]
            || code[n]
            || !head.contains('|')
            || !is_delimiter_row(line)
            || is_delimiter_row(head)
        {
            continue;
        }
        let (want, got) = (table_cells(head).len(), table_cells(line).len());
        out.saw(format!("line {}: a table of {want} column(s)", n - 1));
        if want == got {
            continue;
        }
        let indent: String = line.chars().take_while(|c| c.is_whitespace()).collect();
        let text = format!("{indent}|{}", " --- |".repeat(want));
        out.found(
            ctx.finding(TABLE, n)
                .expected(format!("a delimiter row of {want} cells, as the header row (line {}) has", n - 1))
                .observed(format!("{got} cells: GitHub Flavored Markdown does not take it for a table, and the reader sees a paragraph of pipes and dashes (GFM spec, \"Tables (extension)\": the header row must match the delimiter row in the number of cells)"))
                .fix(format!("give the delimiter row {want} cells"))
                .edit(Edit::ReplaceLine { line: n, text }),
        );
    }
    out
}

pub const ADMONITION: &str = "markdown.admonition";

/// An admonition (`!!! warning "Title"`, and pymdownx.details' `???`/`???+`) whose title is not
/// quoted: Python-Markdown takes every word after `!!!` as a CSS class and its title only from a
/// quoted string (markdown/extensions/admonition.py, `AdmonitionProcessor.RE`:
/// `!!! ?([\w\-]+(?: +[\w\-]+)*)(?: +"(.*?)")?`), so the box is titled with the capitalised type
/// ("Warning") and the author's title is lost.
pub fn admonition(ctx: &Ctx) -> Examined {
    // compiled only for a lesson that has a candidate line: Unicode `\w` costs a millisecond
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = || {
        RE.get_or_init(|| {
            regex::Regex::new(
                r#"^(\s*)(!!!|\?\?\?\+?) ?([\w\-]+)((?: +[\w\-]+)*)(?: +"(.*?)")? *$"#,
            )
            .unwrap()
        })
    };
    let mut out = Examined::new();
    let src = &ctx.lesson.source;
    let code = code_lines(ctx);
    for n in (1..=src.line_count()).filter(|n| !code[*n]) {
        let line = src.line(n);
        let t = line.trim_start();
        if !(t.starts_with("!!!") || t.starts_with("???")) {
            continue;
        }
        let Some(c) = re().captures(line) else {
            continue;
        };
        let (kind, rest) = (&c[3], c[4].trim());
        out.saw(format!("line {n}: `{}` admonition", &c[2]));
        if let Some(finding) = body_indented_too_little(ctx, &code, n, c[1].len()) {
            out.found(finding);
        }
        if rest.is_empty() || c.get(5).is_some() {
            continue;
        }
        let shown: String = kind[..1].to_ascii_uppercase() + &kind[1..];
        out.found(
            ctx.finding(ADMONITION, n)
                .expected(format!("the title in double quotes: `{} {kind} \"{rest}\"`", &c[2]))
                .observed(format!(
                    "`{}`: Python-Markdown takes `{rest}` as CSS classes, not a title, and titles the box \"{shown}\" (markdown/extensions/admonition.py)",
                    line.trim()
                ))
                .fix("quote the title")
                .edit(Edit::ReplaceLine {
                    line: n,
                    text: format!("{}{} {kind} \"{rest}\"", &c[1], &c[2]),
                }),
        );
    }
    out
}

/// A line right under an admonition's body (no blank line between) that is indented, but less
/// than the 4 spaces Python-Markdown's AdmonitionProcessor takes as the body (its `tab_length`):
/// the box ends above it and the line renders as a paragraph after it, though the author meant
/// it inside. A line at the admonition's own indentation is read as meant outside.
fn body_indented_too_little(
    ctx: &Ctx,
    code: &[bool],
    header: usize,
    indent: usize,
) -> Option<crate::checks::finding::Finding> {
    let src = &ctx.lesson.source;
    let width = crate::lesson::markdown::indent_of;
    for (m, in_code) in code
        .iter()
        .enumerate()
        .take(src.line_count() + 1)
        .skip(header + 1)
    {
        let line = src.line(m);
        if line.trim().is_empty() {
            return None;
        }
        let w = width(line);
        if *in_code || w >= indent + 4 {
            continue;
        }
        if w <= indent {
            return None;
        }
        let body = " ".repeat(indent + 4);
        return Some(
            ctx.finding(ADMONITION, m)
                .expected(format!(
                    "line {m} indented {} spaces, as the body of the admonition at line {header}",
                    indent + 4
                ))
                .observed(format!(
                    "indented {w}: Python-Markdown ends the box at line {} and renders line {m} as a paragraph after it",
                    m - 1
                ))
                .fix(format!("indent line {m} by {} spaces", indent + 4))
                .edit(Edit::ReplaceLine {
                    line: m,
                    text: format!("{body}{}", line.trim_start()),
                }),
        );
    }
    None
}

pub const LIST_INDENT: &str = "markdown.list-indent";
pub const RAW_HTML: &str = "markdown.raw-html";

/// Text meant inside a numbered step but indented less than the step's content (CommonMark needs
/// the marker's width: 3 spaces under `1. `): the item ends there, so its text and code blocks
/// render outside the list. Reported when the list goes on after it (a later item at the same
/// indentation), which shows the text was meant inside.
pub fn list_indent(ctx: &Ctx) -> Examined {
    let mut out = Examined::new();
    let src = &ctx.lesson.source;
    let n = src.line_count();
    let mut fence: Option<String> = None;
    // the current item: (indent of the marker, content column, line)
    let mut item: Option<(usize, usize, usize)> = None;
    // text that fell out of the current item: (first line, last line, item line, its indent)
    let mut fallen: Option<(usize, usize, usize, usize)> = None;
    // fallen text of this list whose list went on: (item line, first, last, column, indent)
    let mut confirmed: Vec<(usize, usize, usize, usize, usize)> = Vec::new();
    let mut blank_before = false;
    let report = |confirmed: &mut Vec<(usize, usize, usize, usize, usize)>, out: &mut Examined| {
        let (Some(first), Some(last)) = (confirmed.first(), confirmed.last()) else {
            return;
        };
        let (at, from, to, col, ind) = (first.0, first.1, last.2, first.3, first.4);
        out.found(
            ctx.finding(LIST_INDENT, at)
                .expected(format!("the text under the list item at line {at} indented {col} spaces, as the item's own text is (CommonMark continues an item only at its content's column)"))
                .observed(format!("lines {from}–{to} are indented {ind} space(s): the item ends at line {from}, so its text and code blocks render outside the list ({} item(s) affected)", confirmed.len()))
                .fix(format!("indent the lines under each item by {col} spaces, like the items' text")),
        );
        confirmed.clear();
    };
    for l in 1..=n {
        let line = src.line(l);
        let t = line.trim_start();
        let indent = line.len() - t.len();
        if let Some(f) = &fence {
            if t.starts_with(f.as_str()) && t.trim_end().chars().all(|c| c == '`' || c == '~') {
                fence = None;
            }
            if let Some(fl) = fallen.as_mut() {
                fl.1 = l;
            }
            continue;
        }
        if t.is_empty() {
            blank_before = true;
            continue;
        }
        if let Some(width) = list_marker(t) {
            out.saw(format!("the list item at line {l}"));
            if let (Some((i, col, _)), Some((first, last, at, ind))) = (item, fallen.take()) {
                if i == indent {
                    // the list goes on: the fallen text was meant inside the item
                    confirmed.push((at, first, last, col, ind));
                }
            }
            item = Some((indent, indent + width, l));
        } else if let Some((mi, col, at)) = item {
            if indent == 0 && blank_before {
                item = None;
                fallen = None;
                report(&mut confirmed, &mut out);
            } else if blank_before && indent > mi && indent < col && fallen.is_none() {
                fallen = Some((l, l, at, indent));
            } else if let Some(fl) = fallen.as_mut() {
                fl.1 = l;
            }
        }
        if t.starts_with("```") || t.starts_with("~~~") {
            let c = t.chars().next().unwrap_or('`');
            fence = Some(t.chars().take_while(|x| *x == c).collect());
        }
        blank_before = false;
    }
    report(&mut confirmed, &mut out);
    out
}

/// `1. ` → 3, `- ` → 2, `10) ` → 4: the width of a list marker and the spaces after it.
fn list_marker(t: &str) -> Option<usize> {
    let digits = t.chars().take_while(|c| c.is_ascii_digit()).count();
    let marker =
        if digits > 0 && digits < 10 && matches!(t[digits..].chars().next(), Some('.' | ')')) {
            digits + 1
        } else if t.starts_with(['-', '*', '+']) && !t.starts_with("---") && !t.starts_with("***") {
            1
        } else {
            return None;
        };
    let spaces = t[marker..].chars().take_while(|c| *c == ' ').count();
    ((1..=4).contains(&spaces) && t.len() > marker + spaces).then_some(marker + spaces)
}

/// HTML elements a renderer shows (or keeps): any other `<word>` outside code is a placeholder the
/// renderer takes for an unknown tag and hides (`kind <command> --help` renders as `kind --help`).
const HTML_ELEMENTS: &[&str] = &[
    "a",
    "abbr",
    "address",
    "area",
    "article",
    "aside",
    "audio",
    "b",
    "bdi",
    "bdo",
    "big",
    "blockquote",
    "br",
    "button",
    "canvas",
    "caption",
    "center",
    "cite",
    "code",
    "col",
    "colgroup",
    "data",
    "dd",
    "del",
    "details",
    "dfn",
    "dialog",
    "div",
    "dl",
    "dt",
    "em",
    "embed",
    "fieldset",
    "figcaption",
    "figure",
    "font",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "head",
    "header",
    "hr",
    "i",
    "iframe",
    "img",
    "input",
    "ins",
    "kbd",
    "label",
    "legend",
    "li",
    "link",
    "main",
    "map",
    "mark",
    "meta",
    "meter",
    "nav",
    "noscript",
    "object",
    "ol",
    "optgroup",
    "option",
    "output",
    "p",
    "param",
    "picture",
    "pre",
    "progress",
    "q",
    "rp",
    "rt",
    "ruby",
    "s",
    "samp",
    "script",
    "section",
    "select",
    "small",
    "source",
    "span",
    "strike",
    "strong",
    "style",
    "sub",
    "summary",
    "sup",
    "svg",
    "path",
    "table",
    "tbody",
    "td",
    "template",
    "textarea",
    "tfoot",
    "th",
    "thead",
    "time",
    "title",
    "tr",
    "track",
    "tt",
    "u",
    "ul",
    "var",
    "video",
    "wbr",
    "html",
    "body",
];

/// Words in angle brackets outside code that a renderer eats as HTML: the reader never sees them.
pub fn raw_html(ctx: &Ctx) -> Examined {
    use pulldown_cmark::{Event, Parser, Tag, TagEnd};
    let mut out = Examined::new();
    let src = &ctx.lesson.source;
    let mut para: Option<usize> = None;
    let mut eaten: Vec<(usize, String)> = Vec::new();
    let flush = |para: usize, eaten: &mut Vec<(usize, String)>, out: &mut Examined| {
        if eaten.is_empty() {
            return;
        }
        let tags: Vec<String> = eaten.iter().map(|(_, t)| format!("`{t}`")).collect();
        let lines: Vec<String> = eaten.iter().map(|(l, _)| l.to_string()).collect();
        out.found(
            ctx.finding(RAW_HTML, para)
                .expected(format!("{} visible to the reader", tags.join(", ")))
                .observed(format!("{} outside code at line(s) {}: the renderer takes each for an HTML tag it does not know and shows nothing in its place", tags.join(", "), lines.join(", ")))
                .fix("put the command in a ``` block, or the placeholder in backticks (`<command>`)"),
        );
        eaten.clear();
    };
    // an HTML comment, on one line or many, is invisible on purpose: nothing in it is eaten
    let mut in_comment = false;
    for (event, range) in Parser::new(src.text()).into_offset_iter() {
        match event {
            // a tight list item holds its text with no paragraph of its own
            Event::Start(Tag::Paragraph | Tag::Item) => {
                if let Some(p) = para.take() {
                    flush(p, &mut eaten, &mut out);
                }
                para = Some(src.line_of(range.start));
            }
            Event::End(TagEnd::Paragraph | TagEnd::Item) => {
                if let Some(p) = para.take() {
                    flush(p, &mut eaten, &mut out);
                }
            }
            Event::InlineHtml(h) | Event::Html(h) => {
                let line = src.line_of(range.start);
                out.saw(format!("HTML `{}` at line {line}", h.trim()));
                let opens = h.trim_start().starts_with("<!--");
                if in_comment || opens {
                    let body = if opens { &h.trim_start()[4..] } else { &h[..] };
                    in_comment = !body.contains("-->");
                    continue;
                }
                // a line of an HTML block that is text, not a tag, is shown as it is
                if !h.trim_start().starts_with('<') {
                    continue;
                }
                let name: String = h
                    .trim_start_matches('<')
                    .trim_start_matches('/')
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                    .collect();
                let lower = name.to_ascii_lowercase();
                if h.starts_with("<!") || h.starts_with("<?") || name.is_empty() {
                    continue;
                }
                // a Hugo shortcode (`{{<note>}}`), an MDX/JSX component (`<Tabs>`, `<TabItem
                // value="x">`) or any tag with attributes is the site's markup, rendered by it
                // (all the text before the tag: two bytes back may fall inside a character)
                let before = &src.text()[..range.start];
                let pascal = name.chars().next().is_some_and(|c| c.is_ascii_uppercase())
                    && name.chars().any(|c| c.is_ascii_lowercase())
                    && !name.contains(['_', '-']);
                if before.ends_with("{{") || h.contains('=') || pascal {
                    continue;
                }
                if !HTML_ELEMENTS.contains(&lower.as_str()) {
                    eaten.push((line, h.trim().to_string()));
                }
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lesson::Lesson;

    fn found(check: fn(&Ctx) -> Examined, md: &str) -> Vec<usize> {
        let lesson = Lesson::from_bytes(std::path::Path::new("t.md"), md.as_bytes()).unwrap();
        check(&Ctx::new(&lesson))
            .findings
            .iter()
            .map(|f| f.line)
            .collect()
    }

    #[test]
    fn placeholders_eaten_as_html_are_found_and_site_markup_is_not() {
        let md = "Run it:\n\nkubectl logs <pod-name>\n\n```bash\nls\n```\n";
        assert_eq!(found(raw_html, md), [3]);
        for fine in [
            "{{<note>}}\nA note.\n{{</note>}}\n\n```bash\nls\n```\n",
            "<Tabs>\n<TabItem value=\"linux\">\n\n```bash\nls\n```\n\n</TabItem>\n</Tabs>\n",
            "<details><summary>More</summary>\n\n```bash\nls\n```\n\n</details>\n",
            "See `<pod-name>` in code.\n\n```bash\nls\n```\n",
        ] {
            assert!(found(raw_html, fine).is_empty(), "{fine}");
        }
    }

    #[test]
    fn a_tag_right_after_a_multibyte_character_is_read_not_a_panic() {
        // what robustness.rs found: the two bytes before `<a>` fall inside `ம` (3 bytes)
        let md = "```\n```\nம<a>";
        let _ = found(raw_html, md);
        assert!(found(raw_html, "```bash\nls\n```\nம<pod-name>\n").contains(&4));
    }

    #[test]
    fn text_under_a_step_indented_less_than_the_step_falls_out() {
        let md = "1. First\n\n  ```bash\n  ls\n  ```\n\n2. Second\n";
        assert_eq!(found(list_indent, md), [1]);
        let fine = "1. First\n\n   ```bash\n   ls\n   ```\n\n2. Second\n";
        assert!(found(list_indent, fine).is_empty());
        // a list that does not go on after the text: the text may be meant outside it
        let ends = "1. First\n\n  Some text.\n\nA paragraph.\n\n```bash\nls\n```\n";
        assert!(found(list_indent, ends).is_empty());
    }

    #[test]
    fn a_block_in_a_language_yadoc_does_not_model_is_never_relabelled() {
        let lines = |md: &str| crate::checks::finding_lines(block_language, md);
        for (lang, code) in [
            (
                "go",
                "package main\n\nimport \"fmt\"\n\nfunc main() {\n\tfmt.Println(\"hi\")\n}\n",
            ),
            (
                "typescript",
                "import { x } from \"y\";\nconst a: number = 1;\n",
            ),
            ("java", "import java.util.List;\npublic class A {}\n"),
        ] {
            assert!(
                lines(&format!("Code:\n\n```{lang}\n{code}```\n")).is_empty(),
                "{lang}"
            );
        }
        // Python fenced as a shell language is still relabelled
        assert_eq!(
            lines("Code:\n\n```bash\nfrom flask import Flask\napp = Flask(__name__)\n\n@app.route('/')\ndef index():\n    return 'hi'\n```\n"),
            [3]
        );
    }

    #[test]
    fn an_admonition_title_not_in_quotes_is_taken_for_css_classes() {
        let lines = |md: &str| {
            crate::checks::finding_lines(admonition, &format!("{md}\n```bash\nls\n```\n"))
        };
        assert_eq!(
            lines("!!! warning Setting Connection Settings\n    Body.\n"),
            [1]
        );
        assert!(lines("!!! warning \"Setting Connection Settings\"\n    Body.\n").is_empty());
        assert!(lines("!!! note\n    Body.\n").is_empty());
        assert_eq!(lines("Text.\n\n???+ tip Read this\n    Body.\n"), [3]);
        assert!(lines("```\n!!! warning not markdown here\n```\n").is_empty());
    }

    #[test]
    fn an_admonition_body_line_indented_less_than_four_falls_out_of_the_box() {
        let lines = |md: &str| {
            crate::checks::finding_lines(admonition, &format!("{md}\n```bash\nls\n```\n"))
        };
        assert_eq!(lines("!!! info\n    In the box.\n  Out of it.\n"), [3]);
        // inside a list item: the body is 4 past the admonition's own indentation
        assert_eq!(
            lines("1. Step\n\n    !!! note\n        In.\n      Out.\n"),
            [5]
        );
        for fine in [
            "!!! info\n    In the box.\n    Still in.\n",
            "!!! info\n    In the box.\n\nA paragraph after it.\n",
            "!!! info\n    In the box.\nA lazy line at the admonition's column.\n",
            "!!! info\n    In the box.\n\n  - a list after it\n",
            "!!! info\n    ```bash\n    ls\n    ```\n",
        ] {
            assert!(lines(fine).is_empty(), "{fine}");
        }
    }

    #[test]
    fn the_table_and_admonition_fixes_are_the_lines_that_render() {
        let edit = |check: fn(&Ctx) -> Examined, md: &str| {
            let md = format!("{md}\n```bash\nls\n```\n");
            let l = crate::lesson::Lesson::from_bytes(std::path::Path::new("t.md"), md.as_bytes())
                .unwrap();
            check(&Ctx::new(&l)).findings.remove(0).edit
        };
        assert_eq!(
            edit(table, "| a | b | c |\n|---|---|\n"),
            Some(Edit::ReplaceLine {
                line: 2,
                text: "| --- | --- | --- |".into()
            })
        );
        assert_eq!(
            edit(admonition, "  !!! warning Setting Connection Settings\n"),
            Some(Edit::ReplaceLine {
                line: 1,
                text: "  !!! warning \"Setting Connection Settings\"".into()
            })
        );
        assert_eq!(
            edit(admonition, "!!! info\n    In the box.\n  Meant in it.\n"),
            Some(Edit::ReplaceLine {
                line: 3,
                text: "    Meant in it.".into()
            })
        );
    }

    #[test]
    fn a_delimiter_row_of_another_width_than_its_header_is_no_table() {
        // a lesson has a code block: one after the table
        let lines =
            |md: &str| crate::checks::finding_lines(table, &format!("{md}\n```bash\nls\n```\n"));
        assert_eq!(lines("| a | b | c |\n|---|---|\n| 1 | 2 | 3 |\n"), [2]);
        assert!(lines("| a | b |\n|:--|--:|\n| 1 | 2 |\n").is_empty());
        assert!(lines("a | b\n--- | ---\n1 | 2\n").is_empty());
        // an escaped pipe is in a cell; a thematic break is no delimiter row; a fence is code
        assert!(lines("| a \\| b | c |\n|---|---|\n").is_empty());
        assert!(lines("Some text\n\n---\n").is_empty());
        assert!(lines("```\n| a | b | c |\n|---|---|\n```\n").is_empty());
    }

    #[test]
    fn shell_commands_in_a_yaml_fence_are_relabelled_a_workflows_run_lines_are_not() {
        let lines = |md: &str| crate::checks::finding_lines(block_language, md);
        let heredoc = "# the manifest\ncat <<EOF >deployment.yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nEOF\n\nkubectl apply -f deployment.yaml\n";
        assert_eq!(lines(&format!("Make it:\n\n```yaml\n{heredoc}```\n")), [3]);
        assert!(lines(&format!("Make it:\n\n```bash\n{heredoc}```\n")).is_empty());
        // a workflow: YAML that holds command lines under `run: |`
        let workflow = "name: ci\non: push\njobs:\n  test:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: |\n          kubectl apply -f k8s/\n";
        assert!(lines(&format!("The workflow:\n\n```yaml\n{workflow}```\n")).is_empty());
    }
}
