//! What the static checks share for one lesson: the lesson, its parsed manifests and Dockerfile.

use serde_json::Value;

use crate::lesson::artifact::Artifact;
use crate::lesson::dockerfile::{Dockerfile, DockerfileError};
use crate::lesson::steps::{Step, StepKind};
use crate::lesson::Lesson;
use crate::yaml::{YamlDoc, YamlSyntaxError};

use super::finding::Finding;

/// A manifest file of the lesson, parsed.
#[derive(Debug)]
pub struct Manifest<'a> {
    pub artifact: &'a Artifact,
    pub doc: Result<YamlDoc, YamlSyntaxError>,
    /// The namespace of the `kubectl apply -f FILE -n NS` that applies it, if any.
    pub applied_in: Option<String>,
}

impl Manifest<'_> {
    pub fn value(&self) -> Option<&Value> {
        self.doc.as_ref().ok().map(|d| &d.value)
    }

    pub fn kind(&self) -> &str {
        self.value().and_then(|v| v["kind"].as_str()).unwrap_or("")
    }

    pub fn name(&self) -> &str {
        self.value()
            .and_then(|v| v["metadata"]["name"].as_str())
            .unwrap_or("")
    }

    /// The object's namespace: its own, else the `-n` of the step that applies it, else `default`.
    pub fn namespace(&self) -> &str {
        self.value()
            .and_then(|v| v["metadata"]["namespace"].as_str())
            .or(self.applied_in.as_deref())
            .unwrap_or("default")
    }

    /// Lesson line of a path inside the object.
    pub fn line(&self, path: &str) -> usize {
        let inner = self.doc.as_ref().map(|d| d.line_of(path)).unwrap_or(1);
        self.artifact.lesson_line(inner)
    }

    /// `Deployment myapp (deployment.yaml)`
    pub fn label(&self) -> String {
        format!("{} {} ({})", self.kind(), self.name(), self.artifact.name)
    }
}

/// Everything the static checks of one lesson look at.
pub struct Ctx<'a> {
    pub lesson: &'a Lesson,
    pub manifests: Vec<Manifest<'a>>,
    pub dockerfile: Option<(&'a Artifact, Result<Dockerfile, DockerfileError>)>,
}

impl<'a> Ctx<'a> {
    pub fn new(lesson: &'a Lesson) -> Self {
        let manifests = lesson
            .files
            .iter()
            .filter(|a| a.name.ends_with(".yaml") || a.name.ends_with(".yml"))
            .map(|artifact| Manifest {
                artifact,
                doc: YamlDoc::parse(artifact.text()),
                applied_in: lesson.steps.iter().find_map(|s| match &s.kind {
                    StepKind::Apply {
                        files,
                        namespace: Some(ns),
                    } if files.contains(&artifact.name) => Some(ns.clone()),
                    _ => None,
                }),
            })
            .collect();
        let dockerfile = lesson
            .file("Dockerfile")
            .map(|a| (a, Dockerfile::parse(a.text())));
        Self {
            lesson,
            manifests,
            dockerfile,
        }
    }

    pub fn finding(&self, check: &str, line: usize) -> Finding {
        Finding::new(check, &self.lesson.file_name(), line)
    }

    /// Parsed manifests of a kind.
    pub fn of_kind<'s>(&'s self, kind: &'s str) -> impl Iterator<Item = &'s Manifest<'a>> + 's {
        self.manifests
            .iter()
            .filter(move |m| m.value().is_some() && m.kind() == kind)
    }

    pub fn steps(&self) -> impl Iterator<Item = (&'a Step, &'a StepKind)> {
        self.lesson.steps.iter().map(|s| (s, &s.kind))
    }

    /// The Dockerfile, when it parsed.
    pub fn docker(&self) -> Option<(&'a Artifact, &Dockerfile)> {
        match &self.dockerfile {
            Some((a, Ok(d))) => Some((a, d)),
            _ => None,
        }
    }
}

/// Pod templates of the workloads (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job) and bare Pods:
/// (manifest, path of the pod spec's metadata-bearing template, labels).
pub fn pod_templates<'c, 'a>(ctx: &'c Ctx<'a>) -> Vec<(&'c Manifest<'a>, String)> {
    let mut out = Vec::new();
    for m in &ctx.manifests {
        match m.kind() {
            "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Job" => {
                out.push((m, "spec.template".to_string()))
            }
            "Pod" => out.push((m, String::new())),
            _ => {}
        }
    }
    out
}

/// Value at a dotted path (`spec.template`), "" = the root.
pub fn at<'v>(v: &'v Value, path: &str) -> &'v Value {
    if path.is_empty() {
        return v;
    }
    path.split('.').fold(v, |v, k| &v[k])
}

/// A path joined to a key.
pub fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// A name as a finding shows it: `` `myapp` ``, or what is missing when there is none (a finding never
/// says "a Service named ``").
pub fn named(name: &str) -> String {
    if name.trim().is_empty() {
        "with no name (the name field is missing or empty)".to_string()
    } else {
        format!("named `{name}`")
    }
}
