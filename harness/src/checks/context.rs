//! What the static checks share for one lesson: the lesson, its parsed manifests and Dockerfile.

use serde_json::Value;

use crate::lesson::artifact::Artifact;
use crate::lesson::dockerfile::{Dockerfile, DockerfileError};
use crate::lesson::steps::{Step, StepKind};
use crate::lesson::Lesson;
use crate::yaml::{YamlDoc, YamlSyntaxError};

use super::finding::Finding;

/// One Kubernetes object of the lesson (a document of a YAML file, or an item of a `kind: List`),
/// parsed; or a document that does not parse (then `doc` is the error).
#[derive(Debug)]
pub struct Manifest<'a> {
    pub artifact: &'a Artifact,
    pub doc: Result<YamlDoc, YamlSyntaxError>,
    /// The namespace of the `kubectl apply -f FILE -n NS` that applies it, if any.
    pub applied_in: Option<String>,
    /// Lines of the artifact before this document (`---` separated documents).
    pub offset: usize,
    /// The document's text.
    pub text: String,
    /// The object as the API server stores it, and the defaults applied (made on first use).
    pub stored: std::cell::OnceCell<Option<(Value, Vec<crate::k8s::defaults::Applied>)>>,
}

/// The tool a lesson's cluster runs on: the fix for a local image the cluster cannot see depends on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClusterTool {
    K3d,
    Kind,
    Minikube,
}

impl ClusterTool {
    /// The command that copies a local image into the cluster's nodes.
    pub fn load_command(self, image: &str) -> String {
        match self {
            ClusterTool::K3d => format!("k3d image import {image}"),
            ClusterTool::Kind => format!("kind load docker-image {image}"),
            ClusterTool::Minikube => format!("minikube image load {image}"),
        }
    }

    pub fn load_fix(self, image: &str) -> String {
        match self {
            ClusterTool::K3d => format!("add `k3d image import {image} -c <cluster>` before kubectl apply"),
            ClusterTool::Kind => format!("add `kind load docker-image {image}` (with `--name <cluster>` for a named cluster) before kubectl apply"),
            ClusterTool::Minikube => format!("add `minikube image load {image}` before kubectl apply, or build it after `eval $(minikube docker-env)`"),
        }
    }
}

/// What a YAML document that is not a Kubernetes object is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotAnObject {
    /// A tool's own config: k3d `Simple`, kind `Cluster`, a kustomization, a compose file.
    Config(&'static str),
    /// An object of an API group Kubernetes does not ship (a CRD's kind: Traefik's IngressRoute,
    /// k3s' HelmChart, Gateway API routes): its schema lives in the cluster, not in k8s-openapi.
    Custom,
}

/// A YAML document of the lesson that is not a Kubernetes object yadoc decodes.
#[derive(Debug)]
pub struct Other<'a> {
    pub artifact: &'a Artifact,
    pub doc: YamlDoc,
    pub offset: usize,
    pub what: NotAnObject,
}

impl Other<'_> {
    pub fn line(&self, path: &str) -> usize {
        self.artifact
            .lesson_line(self.offset + self.doc.line_of(path))
    }
}

/// API groups Kubernetes serves itself (k8s.io/api: every `types.go` group); any other group with
/// a dot is a custom resource's. `gateway.networking.k8s.io` is a CRD group (kubernetes-sigs/
/// gateway-api), not built in.
const BUILT_IN_GROUPS: &[&str] = &[
    "",
    "apps",
    "batch",
    "autoscaling",
    "policy",
    "extensions",
    "networking.k8s.io",
    "rbac.authorization.k8s.io",
    "storage.k8s.io",
    "apiextensions.k8s.io",
    "admissionregistration.k8s.io",
    "scheduling.k8s.io",
    "coordination.k8s.io",
    "node.k8s.io",
    "discovery.k8s.io",
    "certificates.k8s.io",
    "events.k8s.io",
    "flowcontrol.apiserver.k8s.io",
    "apiregistration.k8s.io",
    "authentication.k8s.io",
    "authorization.k8s.io",
    "resource.k8s.io",
    "internal.apiserver.k8s.io",
    "storagemigration.k8s.io",
    "metrics.k8s.io",
];

/// What a parsed document is: a Kubernetes object (None), a tool config, or a custom resource.
pub fn not_an_object(v: &Value) -> Option<NotAnObject> {
    let api = v["apiVersion"].as_str().unwrap_or("");
    let kind = v["kind"].as_str().unwrap_or("");
    let group = api.rsplit_once('/').map(|(g, _)| g).unwrap_or("");
    if group.starts_with("k3d.io") {
        return Some(NotAnObject::Config("a k3d config"));
    }
    if group == "kind.x-k8s.io" {
        return Some(NotAnObject::Config("a kind cluster config"));
    }
    if group == "kustomize.config.k8s.io"
        || (api.is_empty()
            && [
                "resources",
                "configMapGenerator",
                "secretGenerator",
                "patches",
                "bases",
            ]
            .iter()
            .any(|k| v.get(k).is_some()))
    {
        return Some(NotAnObject::Config("a kustomization"));
    }
    if api.is_empty() && kind.is_empty() && v.get("services").is_some() {
        return Some(NotAnObject::Config("a compose file"));
    }
    if api.is_empty() && kind.is_empty() {
        return Some(NotAnObject::Config("YAML that is not a Kubernetes object"));
    }
    if !BUILT_IN_GROUPS.contains(&group) {
        return Some(NotAnObject::Custom);
    }
    None
}

impl Manifest<'_> {
    pub fn value(&self) -> Option<&Value> {
        self.doc.as_ref().ok().map(|d| &d.value)
    }

    pub fn kind(&self) -> &str {
        self.value().and_then(|v| v["kind"].as_str()).unwrap_or("")
    }

    /// The object as the API server stores it (`k8s/defaults.rs`): what cross-references read.
    pub fn stored_value(&self) -> Option<&Value> {
        self.stored_pair().map(|(v, _)| v)
    }

    /// The default applied at `path` of the stored object, if that field was not written.
    pub fn defaulted(&self, path: &str) -> Option<&crate::k8s::defaults::Applied> {
        self.stored_pair()?.1.iter().find(|a| a.path == path)
    }

    fn stored_pair(&self) -> Option<&(Value, Vec<crate::k8s::defaults::Applied>)> {
        self.stored
            .get_or_init(|| {
                self.value()
                    .map(|v| crate::k8s::defaults::stored(v, self.namespace()))
            })
            .as_ref()
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
        self.artifact.lesson_line(self.offset + inner)
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
    /// YAML documents that are configs or custom resources (recognised, never decoded as
    /// Kubernetes types).
    pub others: Vec<Other<'a>>,
    elsewhere: std::cell::OnceCell<Option<String>>,
    pub dockerfile: Option<(&'a Artifact, Result<Dockerfile, DockerfileError>)>,
}

/// The files a kustomization of the lesson names as patches (`patchesStrategicMerge`,
/// `patchesJson6902[].path`, `patches[].path`): partial objects by design, merged by kustomize into
/// the resources it names (kubernetes-sigs/kustomize api/types/kustomization.go). Every version
/// of a kustomization counts: a lesson that rewrites `kustomization.yaml` keeps only its last
/// version as a file, the earlier ones are in its `cat <<EOF >` steps.
fn kustomize_patches(lesson: &Lesson, yaml_files: &[&Artifact]) -> Vec<String> {
    let mut out = Vec::new();
    let written = lesson.steps.iter().filter_map(|s| match &s.kind {
        StepKind::WriteFile { text, .. } => Some(text.as_str()),
        _ => None,
    });
    // only a text that names patches is parsed again (YAML parsing is the static tier's main cost)
    let texts = yaml_files.iter().map(|a| a.text()).chain(written);
    for whole in texts.filter(|t| t.contains("patches")) {
        for (_, text) in crate::yaml::documents(whole) {
            let Ok(doc) = YamlDoc::parse(&text) else {
                continue;
            };
            let v = &doc.value;
            if not_an_object(v) != Some(NotAnObject::Config("a kustomization")) {
                continue;
            }
            let listed = |key: &str| v[key].as_array().cloned().unwrap_or_default();
            for entry in listed("patchesStrategicMerge")
                .iter()
                .chain(listed("patchesJson6902").iter())
                .chain(listed("patches").iter())
            {
                if let Some(path) = entry.as_str().or(entry["path"].as_str()) {
                    out.push(path.trim_start_matches("./").to_string());
                }
            }
        }
    }
    out
}

impl<'a> Ctx<'a> {
    pub fn new(lesson: &'a Lesson) -> Self {
        let mut manifests = Vec::new();
        let mut others = Vec::new();
        let yaml_files: Vec<&Artifact> = lesson
            .files
            .iter()
            .filter(|a| a.name.ends_with(".yaml") || a.name.ends_with(".yml"))
            .collect();
        let patches = kustomize_patches(lesson, &yaml_files);
        for artifact in yaml_files {
            let applied_in = lesson.steps.iter().find_map(|s| match &s.kind {
                StepKind::Apply {
                    files,
                    namespace: Some(ns),
                }
                | StepKind::CreateFrom {
                    files,
                    namespace: Some(ns),
                } if files.contains(&artifact.name) => Some(ns.clone()),
                _ => None,
            });
            // a Helm/Go template (`{{ .Values.x }}`) or an excerpt with `...` elisions is not a
            // manifest as written: not parsed (yaml.syntax and the object checks would judge text
            // that is not what gets applied)
            let text = artifact.text();
            if (text.contains("{{") && text.contains("}}"))
                || text
                    .lines()
                    .any(|l| matches!(l.trim(), "..." | "# ..." | "[...]" | "…"))
            {
                continue;
            }
            for (offset, text) in crate::yaml::documents(text) {
                let doc = YamlDoc::parse(&text);
                let Ok(parsed) = &doc else {
                    manifests.push(Manifest {
                        artifact,
                        doc,
                        applied_in: applied_in.clone(),
                        offset,
                        text,
                        stored: Default::default(),
                    });
                    continue;
                };
                // a `kind: List` holds its objects in `items`
                let items = match (
                    parsed.value["kind"].as_str(),
                    parsed.value["items"].as_array(),
                ) {
                    (Some(k), Some(items)) if k.ends_with("List") => (0..items.len())
                        .map(|i| parsed.sub(&format!("items[{i}]")))
                        .collect(),
                    _ => vec![parsed.clone()],
                };
                for item in items {
                    let patch = patches
                        .contains(&artifact.name)
                        .then_some(NotAnObject::Config("a kustomize patch (a partial object)"));
                    if let Some(what) = patch.or_else(|| not_an_object(&item.value)) {
                        others.push(Other {
                            artifact,
                            doc: item,
                            offset,
                            what,
                        });
                        continue;
                    }
                    manifests.push(Manifest {
                        artifact,
                        doc: Ok(item),
                        applied_in: applied_in.clone(),
                        offset,
                        text: text.clone(),
                        stored: Default::default(),
                    });
                }
            }
        }
        let dockerfile = lesson
            .file("Dockerfile")
            .map(|a| (a, Dockerfile::parse(a.text())));
        Self {
            lesson,
            manifests,
            others,
            elsewhere: std::cell::OnceCell::new(),
            dockerfile,
        }
    }

    /// Why the lesson's world may hold files and objects it never shows (a `git clone`, a download,
    /// a Helm chart, a kustomization, a manifest applied from a URL the lesson does not show, or no
    /// manifest shown at all): cross-references then say less, and say why.
    pub fn elsewhere(&self) -> Option<String> {
        self.elsewhere.get_or_init(|| self.find_elsewhere()).clone()
    }

    fn find_elsewhere(&self) -> Option<String> {
        for s in &self.lesson.steps {
            let words = s.words.clone();
            let w: Vec<&str> = words.iter().map(String::as_str).collect();
            let why = match (&s.kind, w.as_slice()) {
                (_, ["git", "clone", ..]) => "clones a repository",
                (_, ["helm", "install" | "upgrade", ..]) => "installs a Helm chart",
                (_, ["helm", "pull" | "fetch", ..]) => "downloads a Helm chart",
                (_, ["wget", ..]) => "downloads files",
                (_, ["curl", rest @ ..])
                    if rest.iter().any(|w| {
                        matches!(*w, "-O" | "-LO" | "-OL" | "--remote-name")
                            || (w.starts_with('-') && !w.starts_with("--") && w.contains('o'))
                            || w.starts_with("--output")
                    }) =>
                {
                    "downloads files"
                }
                (_, ["tar", ..] | ["unzip", ..]) => "unpacks an archive",
                (_, ["kubebuilder" | "operator-sdk", "init" | "create", ..]) => {
                    "scaffolds a project"
                }
                (StepKind::Kustomize { .. }, _) => "applies a kustomization",
                (StepKind::Apply { files, .. } | StepKind::CreateFrom { files, .. }, _)
                    if files.iter().any(|f| {
                        let shown_before = f.contains("://")
                            && self.lesson.files.iter().any(|a| {
                                (a.name.ends_with(".yaml") || a.name.ends_with(".yml"))
                                    && matches!(a.origin, crate::lesson::artifact::Origin::Read { first_line, .. } if first_line < s.line)
                            });
                        self.lesson.file(f).is_none() && !f.starts_with("stdin-") && !shown_before
                    }) =>
                {
                    "applies files it does not show"
                }
                _ => continue,
            };
            return Some(format!("line {}: the lesson {why}", s.line));
        }
        None
    }

    /// The tool that makes the lesson's cluster (k3d for the course; kind, minikube for others).
    /// The tool whose commands the lesson runs (the first one), or None for a lesson that names
    /// none: its cluster may be Docker Desktop's or Rancher Desktop's, which run the local engine's
    /// images as they are, or one that needs them loaded; yadoc cannot tell which.
    pub fn cluster_tool(&self) -> Option<ClusterTool> {
        self.lesson
            .steps
            .iter()
            .find_map(|s| match s.words.first().map(String::as_str) {
                Some("kind") => Some(ClusterTool::Kind),
                Some("minikube") => Some(ClusterTool::Minikube),
                Some("k3d") => Some(ClusterTool::K3d),
                _ => None,
            })
    }

    /// Files the lesson's commands write without showing their content (`pip3 freeze >
    /// requirements.txt`, `touch app.py`), with the line of the command.
    pub fn made_by_commands(&self) -> Vec<(String, usize)> {
        let mut out = Vec::new();
        for s in &self.lesson.steps {
            if let Ok(p) = crate::lesson::shell::pipeline(&s.literal) {
                if let Some(f) = p.redirect {
                    out.push((f.trim_start_matches("./").to_string(), s.line));
                }
                if let Some(["touch", files @ ..]) = p
                    .commands
                    .first()
                    .map(|c| c.iter().map(String::as_str).collect::<Vec<_>>())
                    .as_deref()
                {
                    out.extend(
                        files
                            .iter()
                            .map(|f| (f.trim_start_matches("./").to_string(), s.line)),
                    );
                }
            }
        }
        out
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
