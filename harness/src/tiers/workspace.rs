//! A run's private directory with the lesson's files written into it, removed when dropped (or on
//! SIGINT). The app tier runs the app in it; the image tier uses `files` as the build context.

use std::path::PathBuf;

use crate::cleanup::{self, Guard};
use crate::lesson::Lesson;

pub struct Workspace {
    /// `/tmp/yadoc-<what>-<run>-XXXX`
    pub root: PathBuf,
    /// Where the lesson's files are: `root`, or `root/<sub>`.
    pub files: PathBuf,
    _guard: Guard,
}

impl Workspace {
    /// Make the directory and write the lesson's files; the error says what could not be done.
    pub fn new(what: &str, lesson: &Lesson, sub: Option<&str>) -> Result<Self, String> {
        let (root, guard) =
            cleanup::temp_dir(what).map_err(|e| format!("cannot create a temp dir: {e}"))?;
        let files = sub.map(|s| root.join(s)).unwrap_or_else(|| root.clone());
        crate::extract::write(lesson, &files)
            .map_err(|e| format!("cannot write the lesson's files: {e}"))?;
        Ok(Self {
            root,
            files,
            _guard: guard,
        })
    }
}
