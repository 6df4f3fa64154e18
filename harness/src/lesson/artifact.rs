//! The files a lesson makes (app.py, Dockerfile, manifests, test.txt), each with where it came from.

use std::borrow::Cow;

use serde::Serialize;

/// Where an artifact's content comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "origin", rename_all = "kebab-case")]
pub enum Origin {
    /// Read from a block of the lesson; `bound_by` says why the block is this file.
    Read {
        block: usize,
        /// Lesson line of the block's first text line.
        first_line: usize,
        bound_by: String,
    },
    /// Not shown by the lesson: derived as the lesson's definition says, because of `line`.
    Derived {
        line: usize,
        how: String,
        /// The block it is copied from, when it is (a fix belongs there, not in the derived copy).
        #[serde(skip)]
        from: Option<Source>,
    },
}

/// The block a derived file is copied from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// `lesson1.md`
    pub lesson: String,
    /// Lesson line of the block's first text line.
    pub first_line: usize,
    pub text: String,
    /// The definition that derives it, as the user would type its path.
    pub via: String,
}

/// What is in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    Text(String),
    /// Deterministic generated text of this many bytes (lesson 2's ~10 MB test.txt), made on demand.
    Generated {
        size: usize,
    },
}

/// One file of a lesson.
#[derive(Debug, Clone)]
pub struct Artifact {
    pub name: String,
    pub body: Body,
    pub origin: Origin,
}

impl Artifact {
    /// The text of a text artifact ("" for generated data).
    pub fn text(&self) -> &str {
        match &self.body {
            Body::Text(t) => t,
            Body::Generated { .. } => "",
        }
    }

    pub fn bytes(&self) -> Cow<'_, [u8]> {
        match &self.body {
            Body::Text(t) => Cow::Borrowed(t.as_bytes()),
            Body::Generated { size } => Cow::Owned(generate(*size)),
        }
    }

    /// Lesson line of the artifact's 1-based line `n` (the derivation's line for derived files).
    pub fn lesson_line(&self, n: usize) -> usize {
        match &self.origin {
            Origin::Read { first_line, .. } => first_line + n.max(1) - 1,
            Origin::Derived { line, .. } => *line,
        }
    }

    pub fn is_derived(&self) -> bool {
        matches!(self.origin, Origin::Derived { .. })
    }

    /// For a derived copy, where its 1-based line `n` stands in the block it is copied from:
    /// `lesson1.md:111 via lessons/lesson2.yaml` (the line of the same text, when it is there once).
    pub fn source_of(&self, n: usize) -> Option<String> {
        let Origin::Derived {
            from: Some(src), ..
        } = &self.origin
        else {
            return None;
        };
        let wanted = self.text().lines().nth(n.checked_sub(1)?)?;
        let at: Vec<usize> = src
            .text
            .lines()
            .enumerate()
            .filter(|(_, l)| *l == wanted)
            .map(|(i, _)| i)
            .collect();
        match at.as_slice() {
            [i] => Some(format!(
                "{}:{} via {}",
                src.lesson,
                src.first_line + i,
                src.via
            )),
            _ => Some(format!("{}:{} via {}", src.lesson, src.first_line, src.via)),
        }
    }
}

/// Deterministic text of exactly `size` bytes: numbered lines, so a truncated or shifted response is
/// visible in a diff and the hash is stable across runs and machines.
pub fn generate(size: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(size + 64);
    let mut n = 0u64;
    while out.len() < size {
        out.extend_from_slice(format!("yadoc lesson test file, line {n:08}: the quick brown fox jumps over the lazy dog\n").as_bytes());
        n += 1;
    }
    out.truncate(size);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_data_has_the_exact_size_and_is_stable() {
        let a = generate(10 * 1024 * 1024);
        assert_eq!(a.len(), 10 * 1024 * 1024);
        assert_eq!(a, generate(10 * 1024 * 1024));
        assert!(a.starts_with(b"yadoc lesson test file, line 00000000"));
    }
}
