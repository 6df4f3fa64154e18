//! A fenced code block of a lesson, with where it sits in the lesson file.

/// How a fenced block ends in the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FenceEnd {
    /// A closing fence on this line.
    Closed { line: usize },
    /// No closing fence: the enclosing list item or quote ended the block at this line.
    EndedByContainer { line: usize },
    /// No closing fence: the block runs to the end of the file.
    EndOfFile { line: usize },
}

impl FenceEnd {
    pub fn last_line(&self) -> usize {
        match self {
            FenceEnd::Closed { line }
            | FenceEnd::EndedByContainer { line }
            | FenceEnd::EndOfFile { line } => *line,
        }
    }

    /// The same end, `n` lines further down (a block parsed from an admonition's body).
    pub fn shifted(&self, n: usize) -> Self {
        match self {
            FenceEnd::Closed { line } => FenceEnd::Closed { line: line + n },
            FenceEnd::EndedByContainer { line } => FenceEnd::EndedByContainer { line: line + n },
            FenceEnd::EndOfFile { line } => FenceEnd::EndOfFile { line: line + n },
        }
    }

    pub fn is_closed(&self) -> bool {
        matches!(self, FenceEnd::Closed { .. })
    }
}

/// One fenced code block: its info string, its text, and its lines in the lesson file.
#[derive(Debug, Clone)]
pub struct Block {
    /// Position among the lesson's blocks, from 0.
    pub index: usize,
    /// The info string after the opening fence, trimmed (`bash`, `yaml`, `` for none).
    pub info: String,
    /// The block's text, as markdown renders it.
    pub text: String,
    /// Line of the opening fence.
    pub open_line: usize,
    /// How (and where) the block ends.
    pub end: FenceEnd,
    /// Prose between the previous block (or the start of the lesson) and this block.
    pub prose_before: String,
    /// Line where `prose_before` starts.
    pub prose_line: usize,
    /// How the block is written: a fence, an indented code block, or an inline `#!lang` span.
    pub form: Form,
}

/// How a code block is written in the markdown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Form {
    /// ```` ``` ```` or `~~~` fences (`open_line` is the opening fence).
    #[default]
    Fenced,
    /// Indented by four spaces (`open_line` is the line before its first text line).
    Indented,
    /// mkdocs' inline `` `#!bash cmd` `` span, one line (`open_line` is the line before it).
    Inline,
}

impl Block {
    /// Line in the lesson file of the block's `n`th text line (0-based).
    pub fn line_of_text_line(&self, n: usize) -> usize {
        self.open_line + 1 + n
    }

    /// The info string's first word, lower-cased (`bash`, `yaml`, ``).
    pub fn lang(&self) -> String {
        self.info
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_lowercase()
    }

    /// `lesson.md:open-close` style span of the block's lines.
    pub fn span(&self) -> (usize, usize) {
        (self.open_line, self.end.last_line())
    }

    pub fn is_fenced(&self) -> bool {
        self.form == Form::Fenced
    }
}

/// A span of prose (paragraph, heading or list item text) with its first line.
#[derive(Debug, Clone)]
pub struct Prose {
    pub line: usize,
    pub text: String,
}
