//! What a lesson's own text leaves implicit, written down next to it (`lessons/lessonN.yaml`):
//! derived files with the lesson line that justifies them, and the outcome the app must show.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::LessonError;

/// `lessons/lessonN.yaml`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Definition {
    /// Files the lesson uses but does not show.
    #[serde(default)]
    pub derive: Vec<Derivation>,
    /// What the app must answer (app, image and cluster tiers).
    #[serde(default)]
    pub app: Option<AppOutcome>,
}

/// A file the lesson does not show, and how it follows from the text.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Derivation {
    pub file: String,
    /// `lesson1.md#service.yaml`: start from another lesson's file.
    #[serde(default)]
    pub from: Option<String>,
    /// Put the object in this namespace (adds `metadata.namespace`).
    #[serde(default)]
    pub set_namespace: Option<String>,
    /// Generate deterministic text of this size.
    #[serde(default)]
    pub generate_bytes: Option<usize>,
    pub because: Because,
}

/// The lesson line that a derivation rests on, quoted whole; checked against the text on every run
/// (`definition.stale`), so any edit of the line, even around the same words, asks for a re-check.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Because {
    pub line: usize,
    pub quote: String,
}

/// The answer the lesson promises at a path.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppOutcome {
    #[serde(default = "root")]
    pub path: String,
    pub expect_body: ExpectBody,
    pub because: Because,
}

fn root() -> String {
    "/".into()
}

/// Where the expected response body comes from.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub enum ExpectBody {
    /// The text that the base64 literal in this file decodes to.
    Base64LiteralIn(String),
    /// The bytes of this lesson file.
    File(String),
}

impl Definition {
    /// Load `lessons/<stem>.yaml` if it exists; a lesson without one is checked generically.
    pub fn load_for(lesson_path: &Path) -> Result<Option<(PathBuf, Self)>, LessonError> {
        let path = lesson_path.with_extension("yaml");
        if !path.exists() {
            return Ok(None);
        }
        let text = std::fs::read_to_string(&path).map_err(|source| LessonError::Read {
            path: path.clone(),
            source,
        })?;
        let def = serde_saphyr::from_str(&text).map_err(|e| LessonError::yaml(&path, &e))?;
        Ok(Some((path, def)))
    }
}
