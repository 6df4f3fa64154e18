//! What the app and image tiers need to know about a lesson's app, read from its Dockerfile,
//! requirements.txt and definition.

use crate::lesson::artifact::Artifact;
use crate::lesson::dockerfile::{flask_run, server_of, Dockerfile, Server};
use crate::lesson::Lesson;

use super::expect::{expected, Expected};

/// A lesson's app: how its Dockerfile runs it and what it must answer.
#[derive(Debug, Clone)]
pub struct AppSpec<'a> {
    pub lesson: &'a Lesson,
    pub dockerfile: &'a Artifact,
    pub parsed: Dockerfile,
    /// The CMD as argv, and its lesson line.
    pub argv: Vec<String>,
    pub cmd_line: usize,
    pub server: Server,
    pub requirements: Option<&'a Artifact>,
    /// `python:3.9-alpine`, and the lesson line of FROM.
    pub base_image: String,
    pub from_line: usize,
    /// The port the app listens on inside the container.
    pub port: u16,
    pub expected: Expected,
}

/// Why a lesson's app cannot be run: the lesson builds none, or it means to and a defect stops it
/// (a Dockerfile without CMD, an expected answer that cannot be read). A defect is also a static
/// finding; under YADOC_REQUIRE a tier it stops fails.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotRunnable {
    pub reason: String,
    pub line: usize,
    pub defect: bool,
}

impl NotRunnable {
    fn defect(line: usize, reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
            line,
            defect: true,
        }
    }
}

impl<'a> AppSpec<'a> {
    /// The lesson's app, or why there is none to run.
    pub fn of(lesson: &'a Lesson) -> Result<Self, NotRunnable> {
        let dockerfile = lesson.file("Dockerfile").ok_or(NotRunnable {
            reason: "the lesson builds no app (no Dockerfile)".into(),
            line: 1,
            defect: false,
        })?;
        let at = dockerfile.lesson_line(1);
        let parsed = Dockerfile::parse(dockerfile.text()).map_err(|e| {
            NotRunnable::defect(
                dockerfile.lesson_line(e.line),
                format!(
                    "its Dockerfile does not parse (line {}): see dockerfile.syntax",
                    dockerfile.lesson_line(e.line)
                ),
            )
        })?;
        let (line, argv) = parsed.cmd().ok_or_else(|| {
            NotRunnable::defect(at, "its Dockerfile has no CMD: see docker.cmd-target")
        })?;
        let server = server_of(&argv).ok_or_else(|| {
            NotRunnable::defect(
                dockerfile.lesson_line(line),
                "its Dockerfile's CMD is empty",
            )
        })?;
        let from = parsed
            .last("FROM")
            .ok_or_else(|| NotRunnable::defect(at, "its Dockerfile has no FROM"))?;
        let base_image = parsed.base_image().unwrap_or("").to_string();
        let port = match &server {
            Server::Gunicorn {
                bind: Some((_, p)), ..
            } => *p,
            Server::Gunicorn { bind: None, .. } => 8000,
            Server::Python { script } => lesson
                .file(script)
                .and_then(|f| flask_run(f.text()))
                .map(|(_, port, _, _)| port)
                .unwrap_or(5000),
            Server::Other { .. } => parsed.exposed().first().map(|(_, p)| *p).unwrap_or(80),
        };
        Ok(Self {
            lesson,
            dockerfile,
            argv,
            cmd_line: dockerfile.lesson_line(line),
            server,
            requirements: lesson.files.iter().find(|f| f.name == "requirements.txt"),
            base_image,
            from_line: dockerfile.lesson_line(from.line),
            port,
            expected: expected(lesson).map_err(|why| {
                NotRunnable::defect(
                    dockerfile.lesson_line(line),
                    format!("{why}: see definition.stale"),
                )
            })?,
            parsed,
        })
    }

    /// `3.9` for `python:3.9-alpine`.
    pub fn base_python(&self) -> Option<String> {
        let tag = self.base_image.strip_prefix("python:")?;
        let v: String = tag
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.')
            .collect();
        (!v.is_empty()).then_some(v)
    }

    /// Lesson line of the requirement naming `package` (case-insensitive), else of the file's first line.
    pub fn requirement_line(&self, package: Option<&str>) -> usize {
        let Some(req) = self.requirements else {
            return self.cmd_line;
        };
        let found = package.and_then(|p| {
            req.text().lines().position(|l| {
                l.split(['=', '<', '>', '~', '!', '[', ' '])
                    .next()
                    .is_some_and(|n| n.trim().eq_ignore_ascii_case(p))
            })
        });
        req.lesson_line(found.map(|i| i + 1).unwrap_or(1))
    }
}

/// The package named in pip's "No matching distribution found for Flask==9.9" line.
pub fn pip_package(output: &str) -> Option<String> {
    let rest = output.split("No matching distribution found for ").nth(1)?;
    let spec = rest.split_whitespace().next()?;
    Some(
        spec.split(['=', '<', '>', '~', '!', '['])
            .next()?
            .to_string(),
    )
}
