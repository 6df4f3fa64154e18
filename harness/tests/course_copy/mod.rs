//! A git work tree holding a copy of the course's `lessons/` (the lessons as written and their
//! register), shared by the tests that edit the course as a contributor would.

use std::path::PathBuf;

/// The repository root of this checkout.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A temp dir with `.git` and a copy of `lessons/`; removed when dropped.
pub fn course_repo() -> tempfile::TempDir {
    let repo = tempfile::tempdir().unwrap();
    std::fs::create_dir(repo.path().join(".git")).unwrap();
    let lessons = repo.path().join("lessons");
    std::fs::create_dir(&lessons).unwrap();
    for e in std::fs::read_dir(root().join("lessons")).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), lessons.join(e.file_name())).unwrap();
    }
    repo
}
