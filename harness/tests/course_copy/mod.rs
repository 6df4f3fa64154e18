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

/// Whether the app tier can run here (a Python 3.9). Where it cannot, the test says SKIPPED and
/// returns; under `YADOC_REQUIRE=app` (CI) that fails instead. libtest cannot mark a test ignored
/// at run time, so on such a machine cargo counts it as passed: the SKIPPED line says why.
pub fn app_tier_here(why: &str) -> bool {
    if yadoc::tiers::prereq::python_for(Some("3.9")).is_ok() {
        return true;
    }
    assert!(
        !yadoc::tiers::prereq::required(yadoc::checks::finding::Tier::App),
        "YADOC_REQUIRE requires the app tier: no Python 3.9 here: {why}"
    );
    eprintln!("SKIPPED: no Python 3.9 here: {why}");
    false
}
