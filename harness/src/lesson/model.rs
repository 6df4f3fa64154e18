//! `Lesson`: one markdown file turned into blocks, files (read or derived) and steps, all located.

use std::path::{Path, PathBuf};

use super::artifact::{Artifact, Body, Origin};
use super::bind::bind;
use super::block::{Block, Prose};
use super::classify::{classify, Content};
use super::definition::{Definition, Derivation};
use super::markdown;
use super::steps::{self, Step, StepError};
use crate::error::LessonError;
use crate::source::SourceText;

/// A lesson, fully derived from its text (plus its definition for what the text leaves implicit).
#[derive(Debug, Clone)]
pub struct Lesson {
    /// `lesson2`
    pub name: String,
    /// `lessons/lesson2.md` as given.
    pub path: PathBuf,
    pub source: SourceText,
    pub blocks: Vec<Block>,
    pub contents: Vec<Content>,
    pub prose: Vec<Prose>,
    pub files: Vec<Artifact>,
    pub steps: Vec<Step>,
    pub step_errors: Vec<StepError>,
    pub definition: Option<(PathBuf, Definition)>,
    /// Derivations of files the lesson shows itself, with the lesson line of its own block: the
    /// lesson's file is kept, and `definition.stale` reports the derivation as obsolete.
    pub shadowed_derivations: Vec<(Derivation, usize)>,
}

impl Lesson {
    /// Read and model a lesson file, with its definition (`lessonN.yaml` beside it) when there is one.
    pub fn load(path: &Path) -> Result<Self, LessonError> {
        let bytes = std::fs::read(path).map_err(|source| LessonError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let mut lesson = Self::from_bytes(path, &bytes)?;
        if let Some((def_path, def)) = Definition::load_for(path)? {
            lesson.apply(&def_path, &def)?;
            lesson.definition = Some((def_path, def));
        }
        Ok(lesson)
    }

    /// Model lesson text without a definition (generic extraction).
    pub fn from_bytes(path: &Path, bytes: &[u8]) -> Result<Self, LessonError> {
        if bytes.iter().all(|b| b.is_ascii_whitespace()) {
            return Err(LessonError::Empty {
                path: path.to_path_buf(),
            });
        }
        if let Some(pos) = bytes.iter().position(|b| *b == 0) {
            return Err(LessonError::Binary {
                path: path.to_path_buf(),
                line: 1 + bytes[..pos].iter().filter(|b| **b == b'\n').count(),
            });
        }
        let text = std::str::from_utf8(bytes).map_err(|e| LessonError::NotText {
            path: path.to_path_buf(),
            line: 1 + bytes[..e.valid_up_to()]
                .iter()
                .filter(|b| **b == b'\n')
                .count(),
            offset: e.valid_up_to(),
        })?;
        let source = SourceText::new(text.to_string());
        let parsed = markdown::parse(&source);
        if parsed.blocks.is_empty() {
            return Err(LessonError::NoBlocks {
                path: path.to_path_buf(),
            });
        }
        let contents: Vec<Content> = parsed.blocks.iter().map(classify).collect();
        let mut all_steps = Vec::new();
        let mut step_errors = Vec::new();
        // the reader's shell: a variable set in one block is still set in the next
        let mut env = steps::Env::default();
        for (block, content) in parsed.blocks.iter().zip(&contents) {
            // a block's language is honoured: ```php or ```output is never read as commands
            if super::classify::not_shell(&block.lang()) {
                continue;
            }
            if matches!(content, Content::Shell | Content::Other) {
                let (s, e) =
                    steps::parse_block_in(&block.text, block.open_line + 1, block.index, &mut env);
                all_steps.extend(s);
                step_errors.extend(e);
            }
        }
        for p in &parsed.prose {
            all_steps.extend(steps::visits(&p.text, p.line));
        }
        all_steps.sort_by_key(|s| s.line);
        let files = bind(&parsed.blocks, &contents, &all_steps);
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "lesson".into());
        Ok(Self {
            name,
            path: path.to_path_buf(),
            source,
            blocks: parsed.blocks,
            contents,
            prose: parsed.prose,
            files,
            steps: all_steps,
            step_errors,
            definition: None,
            shadowed_derivations: Vec::new(),
        })
    }

    /// The lesson's file name (`lesson2.md`), as findings show it.
    pub fn file_name(&self) -> String {
        self.path
            .file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| self.name.clone())
    }

    pub fn file(&self, name: &str) -> Option<&Artifact> {
        self.files.iter().find(|f| f.name == name)
    }

    /// Commands only (no example output, URLs or hosts lines).
    pub fn commands(&self) -> impl Iterator<Item = &Step> {
        self.steps.iter().filter(|s| s.is_command())
    }

    fn apply(&mut self, def_path: &Path, def: &Definition) -> Result<(), LessonError> {
        for d in &def.derive {
            // the lesson's own block wins: a derivation never silently replaces what the reader sees
            if let Some(shown) = self.file(&d.file).filter(|a| !a.is_derived()) {
                let line = shown.lesson_line(1);
                self.shadowed_derivations.push((d.clone(), line));
                continue;
            }
            // where a copied file comes from: `lesson1.md:111 via lessons/lesson2.yaml`
            let mut source = String::new();
            let mut from = None;
            let body = if let Some(size) = d.generate_bytes {
                Body::Generated { size }
            } else if let Some(from_ref) = &d.from {
                let (text, line) = self.read_other(def_path, from_ref)?;
                let lesson = from_ref.split_once('#').map(|(l, _)| l).unwrap_or(from_ref);
                let via = crate::report::text::relative_to_here(def_path);
                source = format!("{lesson}:{line} via {via}");
                from = Some(crate::lesson::artifact::Source {
                    lesson: lesson.to_string(),
                    first_line: line,
                    text: text.clone(),
                    via,
                });
                Body::Text(match &d.set_namespace {
                    Some(ns) => set_namespace(&text, ns),
                    None => text,
                })
            } else {
                return Err(LessonError::Definition {
                    path: def_path.to_path_buf(),
                    line: 1,
                    message: format!(
                        "derivation of `{}` needs `from` or `generate_bytes`",
                        d.file
                    ),
                });
            };
            let how = match (&d.from, &d.set_namespace, d.generate_bytes) {
                (_, _, Some(n)) => format!("generated: {n} bytes of numbered text lines"),
                (Some(f), Some(ns), _) => {
                    format!("{f} ({source}) with metadata.namespace: {ns}")
                }
                (Some(f), None, _) => format!("copied from {f} ({source})"),
                _ => String::new(),
            };
            self.files.retain(|a| a.name != d.file);
            self.files.push(Artifact {
                name: d.file.clone(),
                body,
                origin: Origin::Derived {
                    line: d.because.line,
                    how,
                    from,
                },
            });
        }
        Ok(())
    }

    /// `lesson1.md#service.yaml` → that lesson's file (relative to the definition's directory) and
    /// the lesson line its block starts at.
    fn read_other(&self, def_path: &Path, reference: &str) -> Result<(String, usize), LessonError> {
        let bad = |message: String| LessonError::Definition {
            path: def_path.to_path_buf(),
            line: 1,
            message,
        };
        let (lesson, file) = reference
            .split_once('#')
            .ok_or_else(|| bad(format!("`from: {reference}` must be LESSON.md#FILE")))?;
        let dir = def_path.parent().unwrap_or(Path::new("."));
        let bytes = std::fs::read(dir.join(lesson)).map_err(|source| LessonError::Read {
            path: dir.join(lesson),
            source,
        })?;
        // lessons derive from the same earlier lesson again and again (lesson 2 and its definition
        // read lesson 1's files): its model is kept per path and content within the process
        type Models = std::collections::HashMap<(PathBuf, Vec<u8>), Vec<Artifact>>;
        thread_local! {
            static MODELS: std::cell::RefCell<Models> = Default::default();
        }
        let key = (dir.join(lesson), bytes);
        let cached = MODELS.with(|m| m.borrow().get(&key).cloned());
        let files = match cached {
            Some(files) => files,
            None => {
                let other = Lesson::from_bytes(&key.0, &key.1)?;
                MODELS.with(|m| m.borrow_mut().insert(key.clone(), other.files.clone()));
                other.files
            }
        };
        files
            .iter()
            .find(|a| a.name == file)
            .map(|a| (a.text().to_string(), a.lesson_line(1)))
            .ok_or_else(|| {
                bad(format!(
                    "`from: {reference}`: {lesson} has no block bound to {file}"
                ))
            })
    }
}

/// Add (or replace) `metadata.namespace` in a manifest's text, keeping comments and layout.
pub fn set_namespace(text: &str, ns: &str) -> String {
    let mut out = Vec::new();
    let mut in_metadata = false;
    let mut done = false;
    for line in text.lines() {
        let indent = line.len() - line.trim_start().len();
        if in_metadata && indent == 2 && line.trim_start().starts_with("namespace:") {
            continue;
        }
        if in_metadata && indent == 0 && !line.trim().is_empty() {
            in_metadata = false;
        }
        out.push(line.to_string());
        if !done && line.trim_end() == "metadata:" && indent == 0 {
            out.push(format!("  namespace: {ns}"));
            in_metadata = true;
            done = true;
        }
    }
    out.join("\n") + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_namespace_adds_the_line_under_metadata() {
        let t = set_namespace(
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: s # c\nspec: {}\n",
            "hpa-test",
        );
        assert_eq!(t, "apiVersion: v1\nkind: Service\nmetadata:\n  namespace: hpa-test\n  name: s # c\nspec: {}\n");
    }

    #[test]
    fn bad_input_gets_located_errors() {
        let p = Path::new("x.md");
        assert!(matches!(
            Lesson::from_bytes(p, b"  \n"),
            Err(LessonError::Empty { .. })
        ));
        assert!(matches!(
            Lesson::from_bytes(p, b"ok\n\x00\x01"),
            Err(LessonError::Binary { line: 2, .. })
        ));
        assert!(matches!(
            Lesson::from_bytes(p, b"a\nb\n\xff\xfe"),
            Err(LessonError::NotText { line: 3, .. })
        ));
        assert!(matches!(
            Lesson::from_bytes(p, b"# just prose\n"),
            Err(LessonError::NoBlocks { .. })
        ));
    }
}
