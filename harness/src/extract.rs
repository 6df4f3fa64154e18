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
