//! Typed errors of the library. Each variant names the lesson, line, step or command it is about;
//! the underlying error is attached as `source`, not repeated in the message.

use std::path::PathBuf;

use crate::process::ProcessError;

/// Input that cannot be turned into a lesson model: always located at a file and, where known, a line.
#[derive(Debug, thiserror::Error)]
pub enum LessonError {
    #[error("{path}: cannot read the lesson file")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}:{line}: not a text file (invalid UTF-8 at byte {offset}); a lesson must be UTF-8 markdown")]
    NotText {
        path: PathBuf,
        line: usize,
        offset: usize,
    },
    #[error("{path}: the lesson is empty; expected markdown with at least one fenced code block")]
    Empty { path: PathBuf },
    #[error("{path}:{line}: binary content (NUL byte) in a lesson; expected markdown text")]
    Binary { path: PathBuf, line: usize },
    #[error("{path}: no fenced code block found; a lesson needs at least one block to check")]
    NoBlocks { path: PathBuf },
    #[error("{path}:{line}: {message}")]
    Definition {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("{lesson}: no lesson named `{name}` (looked for {path})")]
    UnknownLesson {
        lesson: String,
        name: String,
        path: PathBuf,
    },
    #[error(
        "{dir}: no lesson here (a lesson is a markdown file with at least one fenced code block)"
    )]
    NoLessons { dir: PathBuf },
    #[error("{lesson}: the lesson defines no file `{file}`{hint}")]
    MissingFile {
        lesson: String,
        file: String,
        hint: String,
    },
}

/// Errors of the tiers that run things (app, image, cluster).
#[derive(Debug, thiserror::Error)]
pub enum TierError {
    #[error("{lesson}: {what}")]
    Process {
        lesson: String,
        what: String,
        #[source]
        source: Box<ProcessError>,
    },
    #[error("{lesson}: {what}")]
    Io {
        lesson: String,
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Lesson(#[from] LessonError),
}

impl LessonError {
    /// A YAML file of the project (definition, register) that does not parse into its type.
    pub fn yaml(path: &std::path::Path, e: &serde_saphyr::Error) -> Self {
        LessonError::Definition {
            path: path.to_path_buf(),
            line: e.location().map(|l| l.line() as usize).unwrap_or(1),
            message: crate::yaml::plain_message(&e.to_string()),
        }
    }
}
