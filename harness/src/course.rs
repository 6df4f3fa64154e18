//! Finding lessons: a directory of markdown files (`lessons/` by default) and names like `lesson2`.

use std::path::{Path, PathBuf};

use crate::error::LessonError;
use crate::lesson::Lesson;

/// Where the default lessons directory came from, said to the user when it is not `./lessons`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// `$YADOC_LESSONS`: an explicit choice.
    Env,
    /// The nearest `lessons/course.yaml` from the current directory up.
    Found,
    /// Nothing found: the `lessons/` of the checkout yadoc was built in.
    BuiltIn,
}

/// The lessons directory: `$YADOC_LESSONS` (an explicit choice), else the nearest `lessons/` with a
/// `course.yaml` from the current directory up (as git finds `.git`), else the `lessons/` of the
/// checkout yadoc was built in. A user standing in another clone checks that clone's lessons.
pub fn default_dir() -> (PathBuf, Origin) {
    if let Some(d) = std::env::var_os("YADOC_LESSONS") {
        return (PathBuf::from(d), Origin::Env);
    }
    if let Ok(here) = std::env::current_dir() {
        for dir in here.ancestors() {
            let lessons = dir.join("lessons");
            if lessons.join("course.yaml").is_file() {
                let dir = if dir == here {
                    PathBuf::from("lessons")
                } else {
                    lessons
                };
                return (dir, Origin::Found);
            }
        }
    }
    (
        normalized(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../lessons")),
        Origin::BuiltIn,
    )
}

/// `a/b/../c` → `a/c`, without touching the file system (for paths yadoc prints).
pub fn normalized(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            std::path::Component::ParentDir if out.file_name().is_some() => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// A note for the user when the lessons come from anywhere but `./lessons`, and why from there.
pub fn where_from(dir: &Path, origin: Origin) -> Option<String> {
    let shown = crate::report::text::relative_to_here(dir);
    match origin {
        Origin::Found if dir == Path::new("lessons") => None,
        Origin::Found => Some(format!("yadoc: lessons from {shown}")),
        Origin::Env => Some(format!("yadoc: lessons from {shown} (YADOC_LESSONS)")),
        Origin::BuiltIn => Some(format!(
            "yadoc: lessons from {shown}, the checkout yadoc was built in: no lessons/course.yaml here or above (stand in a clone, or set --lessons or YADOC_LESSONS)"
        )),
    }
}

/// `lesson2`, `lesson2.md` or a path → the lesson file.
pub fn resolve(dir: &Path, name: &str) -> Result<PathBuf, LessonError> {
    let as_path = PathBuf::from(name);
    if as_path.is_file() {
        return Ok(as_path);
    }
    let file = if name.ends_with(".md") {
        name.to_string()
    } else {
        format!("{name}.md")
    };
    let path = dir.join(&file);
    if path.is_file() {
        Ok(path)
    } else {
        Err(LessonError::UnknownLesson {
            lesson: name.to_string(),
            name: name.to_string(),
            path,
        })
    }
}

/// The lessons of a directory, and the markdown files that are not lessons.
#[derive(Debug, Default)]
pub struct Discovered {
    /// Markdown files with at least one code block (as markdown renders it), in natural order (`lesson2` before
    /// `lesson10`).
    pub lessons: Vec<PathBuf>,
    /// Markdown files without a code block (a README, an introduction): not lessons, said so.
    pub not_lessons: Vec<PathBuf>,
}

/// Every markdown file of a directory. A file that cannot be read, or is not UTF-8, is an error, as
/// it is when named directly: a lesson is never dropped in silence.
pub fn discover(dir: &Path) -> Result<Discovered, LessonError> {
    let entries = std::fs::read_dir(dir).map_err(|source| LessonError::Read {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut found = Discovered::default();
    let mut paths: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "md") && !p.is_dir())
        .collect();
    paths.sort_by_key(|p| natural_key(&p.file_name().unwrap_or_default().to_string_lossy()));
    for p in paths {
        let bytes = std::fs::read(&p).map_err(|source| LessonError::Read {
            path: p.clone(),
            source,
        })?;
        let text = match String::from_utf8(bytes) {
            Ok(t) => t,
            Err(e) => {
                let offset = e.utf8_error().valid_up_to();
                let line = e.as_bytes()[..offset]
                    .iter()
                    .filter(|b| **b == b'\n')
                    .count()
                    + 1;
                return Err(LessonError::NotText {
                    path: p,
                    line,
                    offset,
                });
            }
        };
        // a code block as markdown renders it (a README that only mentions ``` in its prose is none)
        let has_code = (text.contains("```") || text.contains("~~~") || text.contains("    "))
            && !crate::lesson::markdown::parse(&crate::source::SourceText::new(text))
                .blocks
                .is_empty();
        if has_code {
            found.lessons.push(p);
        } else {
            found.not_lessons.push(p);
        }
    }
    Ok(found)
}

fn natural_key(s: &str) -> (String, u64) {
    let digits: String = s.chars().filter(|c| c.is_ascii_digit()).collect();
    let prefix: String = s.chars().take_while(|c| !c.is_ascii_digit()).collect();
    (prefix, digits.parse().unwrap_or(0))
}

/// Load the named lessons (all of them when `names` is empty; a directory with none is an error).
/// A lesson named twice is loaded once.
pub fn load(dir: &Path, names: &[String]) -> Result<Vec<Lesson>, LessonError> {
    load_noting(dir, names, |_| {})
}

/// `load`, telling `note` about each markdown file of the directory that is not a lesson.
pub fn load_noting(
    dir: &Path,
    names: &[String],
    mut note: impl FnMut(&Path),
) -> Result<Vec<Lesson>, LessonError> {
    let mut paths: Vec<PathBuf> = if names.is_empty() {
        let found = discover(dir)?;
        for p in &found.not_lessons {
            note(p);
        }
        if found.lessons.is_empty() {
            return Err(LessonError::NoLessons {
                dir: dir.to_path_buf(),
            });
        }
        found.lessons
    } else {
        names
            .iter()
            .map(|n| resolve(dir, n))
            .collect::<Result<_, _>>()?
    };
    let mut seen = std::collections::BTreeSet::new();
    paths.retain(|p| seen.insert(std::fs::canonicalize(p).unwrap_or_else(|_| p.clone())));
    // each lesson is modelled on its own thread (the static tier's time is mostly this)
    crate::run::each_on_its_thread(&paths, |p| Lesson::load(p))
        .into_iter()
        .collect()
}
