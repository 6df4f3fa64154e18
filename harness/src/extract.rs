//! `yadoc extract`: write a lesson's files to a directory, exactly as the lesson (or its definition) has them.

use std::path::{Path, PathBuf};

use crate::error::TierError;
use crate::lesson::Lesson;

/// Write every file of the lesson into `out` (created if needed); returns the paths written.
pub fn write(lesson: &Lesson, out: &Path) -> Result<Vec<PathBuf>, TierError> {
    let io = |what: String| {
        let lesson = lesson.file_name();
        move |source| TierError::Io {
            lesson,
            what,
            source,
        }
    };
    std::fs::create_dir_all(out).map_err(io(format!("cannot create {}", out.display())))?;
    let mut written = Vec::new();
    for a in &lesson.files {
        let path = out.join(&a.name);
        std::fs::write(&path, a.bytes()).map_err(io(format!("cannot write {}", path.display())))?;
        written.push(path);
    }
    Ok(written)
}

/// What `yadoc extract` would do to one file of the output directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    New,
    Unchanged,
    /// The file is there with other content (an edit of the reader's, say): never overwritten silently.
    Differs,
}

/// Each file of the lesson against what `out` holds.
pub fn changes(lesson: &Lesson, out: &Path) -> Vec<(PathBuf, Change)> {
    lesson
        .files
        .iter()
        .map(|a| {
            let path = out.join(&a.name);
            let change = match std::fs::read(&path) {
                Err(_) => Change::New,
                Ok(b) if *b == *a.bytes() => Change::Unchanged,
                Ok(_) => Change::Differs,
            };
            (path, change)
        })
        .collect()
}
