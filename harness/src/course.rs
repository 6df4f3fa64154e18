//! Finding lessons: a directory of markdown files (`lessons/` by default) and names like `lesson2`.

use std::path::{Path, PathBuf};

use crate::error::LessonError;
use crate::lesson::Lesson;

/// The lessons directory: `$YADOC_LESSONS`, else `lessons/` of the current directory, else the
/// project's own `lessons/` (so tests and the binary work from any working directory).
pub fn default_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("YADOC_LESSONS") {
        return PathBuf::from(d);
    }
    let local = PathBuf::from("lessons");
    if local.join("course.yaml").exists() {
        return local;
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../lessons")
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

/// Every markdown file of a directory that has at least one code block, in natural order
/// (`lesson2` before `lesson10`). Files without blocks (an introduction) are not lessons.
pub fn discover(dir: &Path) -> Result<Vec<PathBuf>, LessonError> {
    let entries = std::fs::read_dir(dir).map_err(|source| LessonError::Read {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .filter(|p| {
            std::fs::read_to_string(p).is_ok_and(|t| t.contains("```") || t.contains("~~~"))
        })
        .collect();
    files.sort_by_key(|p| natural_key(&p.file_name().unwrap_or_default().to_string_lossy()));
    Ok(files)
}

fn natural_key(s: &str) -> (String, u64) {
    let digits: String = s.chars().filter(|c| c.is_ascii_digit()).collect();
    let prefix: String = s.chars().take_while(|c| !c.is_ascii_digit()).collect();
    (prefix, digits.parse().unwrap_or(0))
}

/// Load the named lessons (all of them when `names` is empty).
pub fn load(dir: &Path, names: &[String]) -> Result<Vec<Lesson>, LessonError> {
    let paths = if names.is_empty() {
        discover(dir)?
    } else {
        names
            .iter()
            .map(|n| resolve(dir, n))
            .collect::<Result<_, _>>()?
    };
    paths.iter().map(|p| Lesson::load(p)).collect()
}
