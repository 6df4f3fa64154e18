//! Runs a lesson on k3d step by step, as a student would, with only the isolation rewrites; waits on
//! the API with deadlines; asserts what the lesson promises; collects diagnostics on failure.
//! `dry_run` records the commands without running them (`yadoc plan --tier cluster`).

use std::collections::BTreeMap;
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::time::Duration;

use kube::Client;

use super::api;
use super::rewrite::Isolation;
use super::tools::Tools;
use crate::cleanup::{self, Guard, Resource};
use crate::diagnose::diagnose;
use crate::lesson::steps::{ClusterCreate, Step, StepKind};
use crate::lesson::Lesson;
use crate::tiers::expect::Expected;

/// Deadlines of the cluster tier (contract tests shorten them).
#[derive(Debug, Clone)]
pub struct Deadlines {
    pub command: Duration,
    pub ready: Duration,
    pub http: Duration,
    pub hpa: Duration,
    pub poll: Duration,
    /// How long a Deployment's pods must stay up (no restart) after it is Available.
    pub settle: Duration,
}

impl Default for Deadlines {
    fn default() -> Self {
        Self {
            command: Duration::from_secs(600),
            ready: Duration::from_secs(240),
            http: Duration::from_secs(180),
            hpa: Duration::from_secs(420),
            poll: Duration::from_secs(5),
            settle: Duration::from_secs(20),
        }
    }
}

/// Makes a kube client from a kubeconfig file (contract tests return a mock-service client).
pub type Connector = Box<
    dyn Fn(PathBuf) -> Pin<Box<dyn Future<Output = Result<Client, String>> + Send>> + Send + Sync,
>;

/// A client from the run's kubeconfig.
pub fn kubeconfig_connector() -> Connector {
    Box::new(|path: PathBuf| {
        Box::pin(async move {
            let kc = kube::config::Kubeconfig::read_from(&path)
                .map_err(|e| format!("{}: {e}", path.display()))?;
            let config = kube::Config::from_custom_kubeconfig(
                kc,
                &kube::config::KubeConfigOptions::default(),
            )
            .await
            .map_err(|e| e.to_string())?;
            Client::try_from(config).map_err(|e| e.to_string())
        })
    })
}

/// `--servers N` (`-s N`, `--servers=N`) of a `k3d cluster create`; 1 without it.
pub fn servers_of(c: &crate::lesson::steps::ClusterCreate) -> u32 {
    c.argv
        .iter()
        .position(|a| a == "--servers" || a == "-s")
        .and_then(|i| c.argv.get(i + 1))
        .and_then(|v| v.parse().ok())
        .or_else(|| {
            c.argv
                .iter()
                .find_map(|a| a.strip_prefix("--servers=")?.parse().ok())
        })
        .unwrap_or(1)
}

/// The server and agent containers of `docker ps --format '{{.Names}} {{.Label "k3d.role"}}'`
/// (not the load balancer, the tools node or a registry): servers, then agents, each in k3d's
/// numbering — the order `yadoc plan` derives from the create's flags.
pub fn k3s_nodes(listed: &str) -> Vec<String> {
    let mut v: Vec<(bool, u32, String)> = listed
        .lines()
        .filter_map(|l| {
            let (name, role) = l.trim().split_once(' ')?;
            let n = name.rsplit('-').next()?.parse().unwrap_or(0);
            match role.trim() {
                "server" => Some((false, n, name.to_string())),
                "agent" => Some((true, n, name.to_string())),
                _ => None,
            }
        })
        .collect();
    v.sort();
    v.into_iter().map(|(_, _, n)| n).collect()
}

/// Why the run stopped, located at a lesson line.
#[derive(Debug, Clone)]
pub struct Failure {
    pub line: usize,
    pub expected: String,
    pub observed: String,
    pub fix: String,
    /// What the cluster showed (events, pod states, logs, HPA status).
    pub diagnostics: String,
}

/// One command the run executed (or, dry, would execute), next to the lesson's literal line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Executed {
    pub line: usize,
    pub literal: String,
    pub program: String,
    pub argv: Vec<String>,
    pub rewrites: Vec<String>,
    /// The `KUBECONFIG` the command runs with (k3d and kubectl: the run's own file).
    pub kubeconfig: Option<String>,
}

impl Executed {
    pub fn command(&self) -> String {
        let env = self
            .kubeconfig
            .as_ref()
            .map(|k| format!("KUBECONFIG={k} "))
            .unwrap_or_default();
        format!("{env}{} {}", self.program, self.argv.join(" "))
    }
}

/// Programs that read and write `$KUBECONFIG`: they run with the run's own file, so that nothing
/// of theirs reaches the user's (`k3d cluster delete` rewrites the default kubeconfig even with the
/// `--kubeconfig-*=false` create flags: k3d `cmd/cluster/clusterDelete.go` →
/// `KubeconfigRemoveClusterFromDefaultConfig`, whose path is clientcmd's default, `$KUBECONFIG`
/// first, `pkg/client/kubeconfig.go`).
pub fn reads_kubeconfig(program: &str) -> bool {
    matches!(program, "k3d" | "kubectl")
}

pub struct ClusterRun<'a> {
    pub lesson: &'a Lesson,
    pub tools: Tools,
    pub iso: Isolation,
    pub connect: Connector,
    pub deadlines: Deadlines,
    pub expected: Option<Expected>,
    pub dry_run: bool,
    pub executed: Vec<Executed>,
    pub notes: Vec<String>,
    /// Charts for the summary (lesson 2's HPA under load), as markdown.
    pub charts: Vec<String>,
    pub(super) client: Option<Client>,
    /// Lesson cluster name → (line of its create, flags).
    pub(super) clusters: BTreeMap<String, (usize, ClusterCreate)>,
    pub(super) current: Option<String>,
    /// Lesson cluster name → line where the lesson deleted it.
    pub(super) deleted: BTreeMap<String, usize>,
    /// Step line → what the command printed.
    pub(super) outputs: BTreeMap<usize, String>,
    pub(super) guards: Vec<Guard>,
    /// When the wait under way began: events older than it are context, never the diagnosis (a new
    /// HPA's start-up FailedGetResourceMetric says nothing of a later failure).
    pub(super) wait_started: Option<k8s_openapi::jiff::Timestamp>,
    /// Everything the run saw (`transcript.rs`).
    pub transcript: super::transcript::Transcript,
}

pub(super) fn fail(
    line: usize,
    expected: impl Into<String>,
    observed: impl Into<String>,
    fix: impl Into<String>,
) -> Failure {
    Failure {
        line,
        expected: expected.into(),
        observed: observed.into(),
        fix: fix.into(),
        diagnostics: String::new(),
    }
}

impl<'a> ClusterRun<'a> {
    pub fn new(
        lesson: &'a Lesson,
        tools: Tools,
        iso: Isolation,
        connect: Connector,
        deadlines: Deadlines,
        expected: Option<Expected>,
    ) -> Self {
        Self {
            lesson,
            tools,
            iso,
            connect,
            deadlines,
            expected,
            dry_run: false,
            executed: Vec::new(),
            notes: Vec::new(),
            charts: Vec::new(),
            client: None,
            clusters: BTreeMap::new(),
            current: None,
            deleted: BTreeMap::new(),
            outputs: BTreeMap::new(),
            guards: Vec::new(),
            wait_started: None,
            transcript: Default::default(),
        }
    }

    /// Every step of the lesson in order, then the lesson's promise (HPA scale-up, volume agreement, etcd).
    pub async fn run(&mut self) -> Result<(), Failure> {
        if let Err(e) = crate::extract::write(self.lesson, &self.iso.lesson_dir()) {
            return Err(fail(
                1,
                "the lesson's files in the run's directory",
                e.to_string(),
                "free disk space",
            ));
        }
        // the run's KUBECONFIG exists before any k3d command: k3d loads and rewrites it on delete
        if let Err(e) = std::fs::write(self.iso.kubeconfig_env(), "") {
            return Err(fail(
                1,
                "the run's own kubeconfig file",
                e.to_string(),
                "free disk space",
            ));
        }
        let steps: Vec<Step> = self.lesson.steps.clone();
        for step in &steps {
            self.step(step).await?;
        }
        self.after_steps(&steps).await
    }

    /// Remove what the run made now (the guards would at drop).
    pub fn finish(&mut self) {
        self.guards.clear();
    }

    pub(super) fn cli(
        &mut self,
        step: &Step,
        program: &str,
        argv: Vec<String>,
        rewrites: Vec<String>,
    ) -> Result<String, Failure> {
        let kubeconfig =
            reads_kubeconfig(program).then(|| self.iso.kubeconfig_env().display().to_string());
        let exec = Executed {
            line: step.line,
            literal: step.literal.clone(),
            program: program.to_string(),
            argv: argv.clone(),
            rewrites,
            kubeconfig: kubeconfig.clone(),
        };
        self.executed.push(exec.clone());
        if self.dry_run {
            return Ok(String::new());
        }
        let tool = match program {
            "k3d" => self.tools.k3d.clone(),
            "docker" => self.tools.docker.clone(),
            "kubectl" => self.tools.kubectl.clone(),
            "curl" => self.tools.curl.clone().unwrap_or_else(|| "curl".into()),
            other => other.to_string(),
        };
        let mut cmd = self
            .tools
            .cmd(&tool)
            .args(&argv)
            .dir(self.iso.lesson_dir())
            .deadline(self.deadlines.command);
        if let Some(k) = &kubeconfig {
            cmd = cmd.env_shown("KUBECONFIG", k);
        }
        let out = cmd.run();
        self.record(step.line, program, &argv, &out);
        match out {
            Ok(o) => {
                self.outputs.insert(step.line, o.stdout.clone());
                Ok(o.stdout)
            }
            Err(e) => {
                let d = diagnose(&e.output());
                Err(Failure {
                    line: step.line,
                    expected: format!(
                        "`{}` to succeed (ran as `{}`)",
                        step.literal,
                        exec.command()
                    ),
                    observed: crate::tiers::answer::last_error_line(&e.output()),
                    fix: d
                        .as_ref()
                        .map(|d| d.fix.clone())
                        .unwrap_or_else(|| "read the command's output in the diagnostics".into()),
                    diagnostics: format!(
                        "{}{e}",
                        d.map(|d| format!("cause: {}\n", d.line()))
                            .unwrap_or_default()
                    ),
                })
            }
        }
    }

    /// The command and what it printed, into the transcript (with the kubeconfig `k3d kubeconfig
    /// write --output F` wrote, which the run reads).
    fn record(
        &self,
        line: usize,
        program: &str,
        argv: &[String],
        out: &Result<crate::process::Output, crate::process::ProcessError>,
    ) {
        use crate::process::ProcessError;
        let (exit, stdout, stderr) = match out {
            Ok(o) => (Some(0), o.stdout.clone(), o.stderr.clone()),
            Err(ProcessError::Failed {
                code,
                stdout,
                stderr,
                ..
            }) => (
                code.strip_prefix("exit code ").and_then(|c| c.parse().ok()),
                stdout.clone(),
                stderr.clone(),
            ),
            Err(e) => (None, String::new(), e.to_string()),
        };
        let wrote = argv
            .iter()
            .position(|a| a == "--output")
            .filter(|_| program == "k3d" && argv.first().is_some_and(|a| a == "kubeconfig"))
            .and_then(|i| argv.get(i + 1))
            .and_then(|f| std::fs::read_to_string(f).ok());
        self.transcript.push(super::transcript::Entry::Command {
            line,
            program: program.to_string(),
            argv: argv.to_vec(),
            exit,
            stdout,
            stderr,
            wrote,
        });
    }

    /// The cluster a step uses, or the failure of using one the lesson deleted.
    pub(super) fn cluster_in_use(
        &self,
        step: &Step,
        named: Option<&str>,
    ) -> Result<String, Failure> {
        let name = named.map(String::from).or_else(|| self.current.clone());
        match name {
            Some(n) if self.deleted.contains_key(&n) => {
                let at = self.deleted[&n];
                Err(fail(
                    step.line,
                    format!("cluster {n} to exist for `{}`", step.literal),
                    format!("cluster {n} was deleted at line {at} (k3d cluster delete) before this step"),
                    format!("move the delete at line {at} before the cluster's creation"),
                ))
            }
            Some(n) => Ok(n),
            None => Err(fail(
                step.line,
                format!("a cluster for `{}`", step.literal),
                "the lesson has created no cluster before this step",
                "create the cluster first",
            )),
        }
    }

    pub(super) async fn client(&mut self, step: &Step) -> Result<Option<Client>, Failure> {
        if self.dry_run {
            return Ok(None);
        }
        if self.client.is_none() {
            let c = (self.connect)(self.iso.kubeconfig.clone())
                .await
                .map_err(|e| {
                    fail(
                        step.line,
                        "a Kubernetes client from the run's kubeconfig",
                        e,
                        "check `k3d kubeconfig write`",
                    )
                })?;
            self.client = Some(super::transcript::recording(c, self.transcript.clone()));
        }
        Ok(self.client.clone())
    }

    /// A wait begins now: what happened before it is not its diagnosis.
    pub(super) fn wait_begins(&mut self) {
        self.wait_started = Some(k8s_openapi::jiff::Timestamp::now());
    }

    pub(super) async fn with_diagnostics(&mut self, mut f: Failure, ns: &str) -> Failure {
        if let Some(c) = &self.client {
            let mut d = api::diagnostics_since(c, ns, self.wait_started).await;
            if ns != "kube-system" {
                let system = api::kube_system(c, self.wait_started).await;
                for (mine, theirs) in [
                    (&mut d.current, system.current),
                    (&mut d.earlier, system.earlier),
                ] {
                    if !theirs.is_empty() {
                        if !mine.is_empty() {
                            mine.push('\n');
                        }
                        mine.push_str(&theirs);
                    }
                }
            }
            // what the pods, their logs and events since the wait began show is the nearest
            // cause: it goes first
            if let Some(dx) = diagnose(&d.current) {
                f.fix = dx.fix.clone();
                f.diagnostics = format!("cause: {}\n{}", dx.line(), f.diagnostics);
            }
            f.diagnostics.push_str(&d.current);
            // a full disk makes the kubelet's image GC take imported images from idle nodes
            if let Some(free) = crate::doctor::free_gib(std::path::Path::new("/")) {
                f.diagnostics
                    .push_str(&format!("\ndisk: {free:.1} GiB free on / (this machine)"));
            }
            if !d.earlier.is_empty() {
                f.diagnostics.push_str(
                    "\nevents from before this wait began (context, not the diagnosis):\n",
                );
                f.diagnostics.push_str(&d.earlier);
            }
        }
        f
    }

    /// One step (the plan's dry run walks the steps with it).
    pub async fn step_public(&mut self, step: &Step) -> Result<(), Failure> {
        self.step(step).await
    }

    async fn step(&mut self, step: &Step) -> Result<(), Failure> {
        let words = crate::lesson::steps::command_words(&step.literal);
        match &step.kind {
            StepKind::ClusterCreate(c) => {
                let rewritten = self.iso.cluster_create(c);
                let name = self.iso.cluster(&c.name);
                self.iso.kubeconfig = self.iso.workdir.join(format!("kubeconfig-{name}"));
                if !self.dry_run {
                    let argv = vec![
                        self.tools.k3d.clone(),
                        "cluster".into(),
                        "delete".into(),
                        name.clone(),
                    ];
                    let mut env = self.tools.env.clone();
                    env.push((
                        "KUBECONFIG".into(),
                        self.iso.kubeconfig_env().display().to_string(),
                    ));
                    self.guards
                        .push(cleanup::register(Resource::Command { argv, env }));
                    if let Some(r) = &self.iso.registries {
                        // inside the run's directory, which its guard removes: credentials stay
                        // in no file after the run
                        let path = self.iso.registries_yaml();
                        let written = std::fs::write(&path, r.yaml()).and_then(|_| {
                            use std::os::unix::fs::PermissionsExt;
                            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
                        });
                        if let Err(e) = written {
                            return Err(fail(
                                step.line,
                                "the nodes' registries.yaml in the run's directory",
                                format!("{}: {e}", path.display()),
                                "free disk space or check TMPDIR",
                            ));
                        }
                    }
                }
                self.cli(step, "k3d", rewritten.argv, rewritten.rewrites)?;
                let kc = self.iso.kubeconfig.display().to_string();
                self.cli(
                    step,
                    "k3d",
                    vec![
                        "kubeconfig".into(),
                        "write".into(),
                        name,
                        "--output".into(),
                        kc.clone(),
                    ],
                    vec![format!(
                        "added: the kubeconfig goes to {kc}, not ~/.kube/config"
                    )],
                )?;
                self.deleted.remove(&c.name);
                self.clusters.insert(c.name.clone(), (step.line, c.clone()));
                self.current = Some(c.name.clone());
                self.client = None;
                if c.k3s_args.iter().any(|a| a.starts_with("--cluster-init")) {
                    self.assert_etcd(step).await?;
                }
            }
            StepKind::ClusterDelete { name } => {
                let unique = self.iso.cluster(name);
                self.cli(
                    step,
                    "k3d",
                    vec!["cluster".into(), "delete".into(), unique.clone()],
                    vec![format!("cluster name {name} → {unique}")],
                )?;
                if self.clusters.contains_key(name) {
                    self.deleted.insert(name.clone(), step.line);
                    if self.current.as_deref() == Some(name.as_str()) {
                        self.client = None;
                    }
                }
            }
            StepKind::DockerBuild { tag, .. } => {
                // the run's unique tag (yadoc gc tells runs apart by it) and one fixed label (a
                // run-unique label would miss the build cache)
                let unique = format!("yadoc/{}:{}", self.lesson.name, cleanup::unique());
                self.iso.images.insert(tag.clone(), unique.clone());
                if !self.dry_run {
                    let argv = vec![
                        self.tools.docker.clone(),
                        "rmi".into(),
                        "-f".into(),
                        "--no-prune".into(),
                        unique.clone(),
                    ];
                    self.guards.push(cleanup::register(Resource::Command {
                        argv,
                        env: self.tools.env.clone(),
                    }));
                }
                let argv = vec![
                    "build".into(),
                    "--force-rm".into(),
                    "--label".into(),
                    format!("{}=1", crate::tiers::docker::IMAGE_LABEL),
                    "-t".into(),
                    unique.clone(),
                    ".".into(),
                ];
                self.cli(
                    step,
                    "docker",
                    argv,
                    vec![format!("tag {tag} → {unique} (unique per run)")],
                )?;
            }
            StepKind::ImageImport { image, cluster } => {
                let lesson_cluster = self.cluster_in_use(step, cluster.as_deref())?;
                let name = self.iso.cluster(&lesson_cluster);
                let built = self
                    .iso
                    .images
                    .get(image)
                    .cloned()
                    .unwrap_or_else(|| image.clone());
                self.cli(
                    step,
                    "k3d",
                    vec![
                        "image".into(),
                        "import".into(),
                        built.clone(),
                        "-c".into(),
                        name.clone(),
                    ],
                    vec![
                        format!("image {image} → {built}"),
                        format!("cluster {lesson_cluster} → {name}"),
                    ],
                )?;
                // the manifests use the lesson's tag: give the imported image that name inside each
                // node. First check that the import reached every node: in its default tools mode
                // k3d only logs a failed per-node `ctr image import` and exits 0 (k3d
                // pkg/client/tools.go, importWithToolsNode), and with docker's containerd image
                // store the import fails that way (k3d issue #1538).
                // the nodes k3d imports into are its server and agent containers (tools.go imports
                // where node.Role is server or agent), named k3d-CLUSTER-ROLE-N (cluster.go
                // GenerateNodeName) and labelled k3d.cluster / k3d.role (pkg/types/types.go):
                // read from docker, so `--servers 3` is checked in all three servers
                let (servers, agents) = self
                    .clusters
                    .get(&lesson_cluster)
                    .map(|(_, c)| (servers_of(c), c.agents.unwrap_or(0)))
                    .unwrap_or((1, 0));
                let from_flags: Vec<String> = (0..servers)
                    .map(|i| format!("k3d-{name}-server-{i}"))
                    .chain((0..agents).map(|i| format!("k3d-{name}-agent-{i}")))
                    .collect();
                let listed = self.cli(
                    step,
                    "docker",
                    vec![
                        "ps".into(),
                        "-a".into(),
                        "--filter".into(),
                        format!("label=k3d.cluster={name}"),
                        "--format".into(),
                        "{{.Names}} {{.Label \"k3d.role\"}}".into(),
                    ],
                    vec![
                        "added: the cluster's nodes, by k3d's labels k3d.cluster and k3d.role"
                            .into(),
                    ],
                )?;
                let mut nodes = k3s_nodes(&listed);
                if nodes.is_empty() {
                    // a dry run lists nothing; a real one that does falls back to k3d's names
                    nodes = from_flags;
                }
                let wanted = super::rewrite::containerd_ref(&built);
                let mut missing = Vec::new();
                for node in &nodes {
                    // k3s's ctr defaults to the k8s.io namespace (k3s pkg/ctr/main.go); said anyway
                    let argv = vec![
                        "exec".into(),
                        node.clone(),
                        "ctr".into(),
                        "-n".into(),
                        "k8s.io".into(),
                        "images".into(),
                        "ls".into(),
                        "-q".into(),
                    ];
                    let listed = self.cli(
                        step,
                        "docker",
                        argv,
                        vec![format!(
                            "added: is {wanted} in {node}? (k3d image import can fail and exit 0)"
                        )],
                    )?;
                    if !self.dry_run && !listed.lines().any(|l| l.trim() == wanted) {
                        missing.push(node.clone());
                    }
                }
                if !missing.is_empty() {
                    return Err(fail(
                        step.line,
                        format!("`{}` to put {built} into every node of {name}", step.literal),
                        format!(
                            "k3d exited 0, but {} of {} node(s) lack it: {}",
                            missing.len(),
                            nodes.len(),
                            missing.join(", ")
                        ),
                        "read k3d's output for `failed to import images in node`; if docker uses the containerd image store (`docker info` shows io.containerd.snapshotter), set \"features\": {\"containerd-snapshotter\": false} in /etc/docker/daemon.json and restart docker (bash ci/nightly/docker-store.sh does it): `--mode direct` does not help, it runs the same `ctr image import --all-platforms` (k3d pkg/client/tools.go)",
                    ));
                }
                for node in nodes {
                    let argv = vec![
                        "exec".into(),
                        node,
                        "ctr".into(),
                        "-n".into(),
                        "k8s.io".into(),
                        "images".into(),
                        "tag".into(),
                        "--force".into(),
                        wanted.clone(),
                        super::rewrite::containerd_ref(image),
                    ];
                    self.cli(step, "docker", argv, vec![format!("added: {built} tagged {image} in the node, so the lesson's manifests run unchanged")])?;
                }
            }
            StepKind::Apply { files, .. } => {
                self.cluster_in_use(step, None)?;
                let mut argv = vec![self.iso.kubeconfig_arg()];
                argv.extend(words.iter().skip(1).cloned());
                self.cli(
                    step,
                    "kubectl",
                    argv,
                    vec![format!("--kubeconfig {}", self.iso.kubeconfig.display())],
                )?;
                for file in files {
                    self.await_applied(step, file).await?;
                }
            }
            StepKind::CreateNamespace { .. }
            | StepKind::CreateObject { .. }
            | StepKind::Delete { .. }
            | StepKind::Inspect { watch: false, .. } => {
                self.cluster_in_use(step, None)?;
                let r = self.iso.kubectl(&words);
                self.cli(step, "kubectl", r.argv, r.rewrites)?;
            }
            StepKind::Inspect { watch: true, .. } => {
                self.notes.push(format!(
                    "{}:{} `{}`: not run (it never ends); the run watches the same through the API",
                    self.lesson.file_name(),
                    step.line,
                    step.literal
                ));
            }
            StepKind::RunPod {
                name, namespace, ..
            } => {
                self.cluster_in_use(step, None)?;
                let r = self.iso.kubectl(&words);
                self.cli(step, "kubectl", r.argv, r.rewrites)?;
                if let Some(client) = self.client(step).await? {
                    let ns = namespace.clone().unwrap_or_else(|| "default".into());
                    if let Err(t) = api::pod_running_within(
                        &client,
                        &ns,
                        name,
                        self.deadlines.ready,
                        self.deadlines.poll,
                    )
                    .await
                    {
                        let f = fail(
                            step.line,
                            format!("{} within {:?}", t.what, t.after),
                            t.last,
                            "see the pod's state and events below",
                        );
                        return Err(self.with_diagnostics(f, &ns).await);
                    }
                }
            }
            StepKind::ExtractKubeconfigField {
                expression,
                kubeconfig,
                out,
            } => self.extract(step, expression, kubeconfig, out)?,
            StepKind::Curl {
                url,
                cacert,
                cert,
                key,
                ..
            } => self.curl(step, url, cacert, cert, key).await?,
            StepKind::ShowFile { path } => {
                self.notes.push(format!(
                    "{}:{} `cat {path}` → the run's kubeconfig {}",
                    self.lesson.file_name(),
                    step.line,
                    self.iso.kubeconfig.display()
                ));
            }
            StepKind::WriteFile { file, .. } => {
                self.notes.push(format!(
                    "{}:{} `{}`: {file} is one of the lesson's files, already in the run's directory",
                    self.lesson.file_name(),
                    step.line,
                    step.literal
                ));
            }
            StepKind::EditHosts | StepKind::HostsEntry { .. } => {
                self.notes.push(format!("{}:{} `{}`: /etc/hosts is never edited; the client resolves the Ingress host to 127.0.0.1", self.lesson.file_name(), step.line, step.literal));
            }
            StepKind::Visit { url } if url.starts_with("http://") => self.visit(step, url).await?,
            StepKind::CreateFrom { .. } | StepKind::Kustomize { .. } => {
                self.notes.push(format!(
                    "{}:{} `{}`: not run (files from outside the lesson)",
                    self.lesson.file_name(),
                    step.line,
                    step.literal
                ));
            }
            StepKind::Visit { .. } | StepKind::Unmodelled { .. } => {}
        }
        Ok(())
    }

    /// After `kubectl apply -f F`: wait for what F creates (Deployment available, Ingress addressed).
    pub(super) async fn await_applied(&mut self, step: &Step, file: &str) -> Result<(), Failure> {
        let Some(client) = self.client(step).await? else {
            return Ok(());
        };
        let Some(doc) = self
            .lesson
            .file(file)
            .and_then(|a| crate::yaml::YamlDoc::parse(a.text()).ok())
        else {
            return Ok(());
        };
        let v = &doc.value;
        let (kind, name) = (
            v["kind"].as_str().unwrap_or(""),
            v["metadata"]["name"].as_str().unwrap_or(""),
        );
        let ns = v["metadata"]["namespace"]
            .as_str()
            .unwrap_or("default")
            .to_string();
        self.wait_begins();
        let progress = crate::progress::Progress::start(format!(
            "waiting for {kind} {ns}/{name} (at most {:?})",
            self.deadlines.ready
        ));
        let waited = match kind {
            "Deployment" => api::deployment_available_within(
                &client,
                &ns,
                name,
                self.deadlines.ready,
                self.deadlines.settle,
                self.deadlines.poll,
            )
            .await
            .map(|_| ()),
            "Ingress" => api::ingress_address_within(
                &client,
                &ns,
                name,
                self.deadlines.ready,
                self.deadlines.poll,
            )
            .await
            .map(|_| ()),
            "HorizontalPodAutoscaler" => api::hpa_metrics_within(
                &client,
                &ns,
                name,
                self.deadlines.ready,
                self.deadlines.poll,
            )
            .await
            .map(|_| ()),
            _ => Ok(()),
        };
        progress.done(waited.is_ok());
        if let Err(t) = waited {
            let f = fail(
                step.line,
                format!("{} within {:?} after `{}`", t.what, t.after, step.literal),
                t.last,
                "see the pods, events and logs below",
            );
            return Err(self.with_diagnostics(f, &ns).await);
        }
        Ok(())
    }
}
