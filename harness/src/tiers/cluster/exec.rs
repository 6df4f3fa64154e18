//! Runs a lesson on k3d step by step, as a student would, with only the isolation rewrites; waits on
//! the API with deadlines; asserts what the lesson promises; collects diagnostics on failure.
//! `dry_run` records the commands without running them (`yadoc plan --tier cluster`).

use std::collections::BTreeMap;
use std::future::Future;
use std::path::{Path, PathBuf};
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
use crate::tiers::expect::{mismatch, Expected};
use crate::tiers::http::{wait_for, Target, WaitFailure};

/// Deadlines of the cluster tier (contract tests shorten them).
#[derive(Debug, Clone)]
pub struct Deadlines {
    pub command: Duration,
    pub ready: Duration,
    pub http: Duration,
    pub hpa: Duration,
    pub poll: Duration,
}

impl Default for Deadlines {
    fn default() -> Self {
        Self {
            command: Duration::from_secs(600),
            ready: Duration::from_secs(240),
            http: Duration::from_secs(180),
            hpa: Duration::from_secs(420),
            poll: Duration::from_secs(5),
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
}

impl Executed {
    pub fn command(&self) -> String {
        format!("{} {}", self.program, self.argv.join(" "))
    }
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
    client: Option<Client>,
    /// Lesson cluster name → (line of its create, flags).
    clusters: BTreeMap<String, (usize, ClusterCreate)>,
    current: Option<String>,
    /// Lesson cluster name → line where the lesson deleted it.
    deleted: BTreeMap<String, usize>,
    /// Step line → what the command printed.
    outputs: BTreeMap<usize, String>,
    guards: Vec<Guard>,
}

fn fail(
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
            client: None,
            clusters: BTreeMap::new(),
            current: None,
            deleted: BTreeMap::new(),
            outputs: BTreeMap::new(),
            guards: Vec::new(),
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

    fn cli(
        &mut self,
        step: &Step,
        program: &str,
        argv: Vec<String>,
        rewrites: Vec<String>,
    ) -> Result<String, Failure> {
        let exec = Executed {
            line: step.line,
            literal: step.literal.clone(),
            program: program.to_string(),
            argv: argv.clone(),
            rewrites,
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
        let out = self
            .tools
            .cmd(&tool)
            .args(&argv)
            .dir(self.iso.lesson_dir())
            .deadline(self.deadlines.command)
            .run();
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

    /// The cluster a step uses, or the failure of using one the lesson deleted.
    fn cluster_in_use(&self, step: &Step, named: Option<&str>) -> Result<String, Failure> {
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

    async fn client(&mut self, step: &Step) -> Result<Option<Client>, Failure> {
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
            self.client = Some(c);
        }
        Ok(self.client.clone())
    }

    async fn with_diagnostics(&mut self, mut f: Failure, ns: &str) -> Failure {
        if let Some(c) = &self.client {
            let d = api::diagnostics(c, ns).await;
            if let Some(dx) = diagnose(&d) {
                f.fix = dx.fix.clone();
                f.diagnostics.push_str(&format!("cause: {}\n", dx.line()));
            }
            f.diagnostics.push_str(&d);
        }
        f
    }

    /// One step (the plan's dry run walks the steps with it).
    pub async fn step_public(&mut self, step: &Step) -> Result<(), Failure> {
        self.step(step).await
    }

    async fn step(&mut self, step: &Step) -> Result<(), Failure> {
        let words = crate::lesson::shell::pipeline(&step.literal)
            .ok()
            .and_then(|p| p.commands.into_iter().next())
            .unwrap_or_default();
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
                    self.guards.push(cleanup::register(Resource::Command {
                        argv,
                        env: self.tools.env.clone(),
                    }));
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
                let unique = format!(
                    "yadoc/{}:{}",
                    self.lesson.name,
                    self.iso.prefix.trim_start_matches("yadoc-")
                );
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
                    format!("org.yadoc.run={}", cleanup::run_id()),
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
                // the manifests use the lesson's tag: give the imported image that name inside each node
                let agents = self
                    .clusters
                    .get(&lesson_cluster)
                    .and_then(|(_, c)| c.agents)
                    .unwrap_or(0);
                let nodes = std::iter::once(format!("k3d-{name}-server-0"))
                    .chain((0..agents).map(|i| format!("k3d-{name}-agent-{i}")));
                for node in nodes.collect::<Vec<_>>() {
                    let argv = vec![
                        "exec".into(),
                        node,
                        "ctr".into(),
                        "-n".into(),
                        "k8s.io".into(),
                        "images".into(),
                        "tag".into(),
                        "--force".into(),
                        containerd_ref(&built),
                        containerd_ref(image),
                    ];
                    self.cli(step, "docker", argv, vec![format!("added: {built} tagged {image} in the node, so the lesson's manifests run unchanged")])?;
                }
            }
            StepKind::Apply { file, .. } => {
                self.cluster_in_use(step, None)?;
                let mut argv = vec![self.iso.kubeconfig_arg()];
                argv.extend(words.iter().skip(1).cloned());
                self.cli(
                    step,
                    "kubectl",
                    argv,
                    vec![format!("--kubeconfig {}", self.iso.kubeconfig.display())],
                )?;
                self.await_applied(step, file).await?;
            }
            StepKind::CreateNamespace { .. } | StepKind::Inspect { watch: false, .. } => {
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
                    if let Err(t) =
                        api::pod_running_within(&client, &ns, name, self.deadlines.ready).await
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
            StepKind::EditHosts | StepKind::HostsEntry { .. } => {
                self.notes.push(format!("{}:{} `{}`: /etc/hosts is never edited; the client resolves the Ingress host to 127.0.0.1", self.lesson.file_name(), step.line, step.literal));
            }
            StepKind::Visit { url } if url.starts_with("http://") => self.visit(step, url).await?,
            StepKind::Visit { .. } | StepKind::Output | StepKind::Unmodelled { .. } => {}
        }
        Ok(())
    }

    /// After `kubectl apply -f F`: wait for what F creates (Deployment available, Ingress addressed).
    async fn await_applied(&mut self, step: &Step, file: &str) -> Result<(), Failure> {
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
        let progress = crate::progress::Progress::start(format!(
            "waiting for {kind} {ns}/{name} (at most {:?})",
            self.deadlines.ready
        ));
        let waited = match kind {
            "Deployment" => {
                api::deployment_available_within(&client, &ns, name, self.deadlines.ready)
                    .await
                    .map(|_| ())
            }
            "Ingress" => api::ingress_address_within(&client, &ns, name, self.deadlines.ready)
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

    fn ingress_port(&mut self, url_port: u16) -> u16 {
        self.iso.port(url_port)
    }

    /// GET the lesson's URL through the k3d load balancer until the lesson's answer, at most the deadline.
    async fn visit(&mut self, step: &Step, url: &str) -> Result<(), Failure> {
        let Some((_, host, port)) = crate::checks::access::split_url(url) else {
            return Ok(());
        };
        if !self.iso.ports.contains_key(&port) {
            return Ok(()); // not a port the lesson maps: not a URL of this cluster
        }
        let free = self.ingress_port(port);
        let target = Target {
            url: format!(
                "http://{host}:{free}{}",
                url.split_once(&format!(":{port}"))
                    .map(|x| x.1)
                    .unwrap_or("/")
            ),
            connect: Some((host.clone(), ([127, 0, 0, 1], free).into())),
        };
        self.executed.push(Executed {
            line: step.line,
            literal: step.literal.clone(),
            program: "GET".into(),
            argv: vec![target.url.clone()],
            rewrites: vec![format!(
                "{host}:{port} → connect to 127.0.0.1:{free}, Host: {host}"
            )],
        });
        if self.dry_run {
            return Ok(());
        }
        let expected = self.expected.clone();
        let deadline = self.deadlines.http;
        let accept = move |r: &crate::tiers::http::Reply| {
            r.status == 200 && expected.as_ref().is_none_or(|e| mismatch(e, r).is_none())
        };
        let waited = tokio::task::spawn_blocking({
            let target = target.clone();
            move || wait_for(&target, deadline, accept, || None)
        })
        .await
        .map_err(|e| fail(step.line, "an HTTP check", e.to_string(), ""))?;
        match waited {
            Ok(r) => {
                self.notes.push(format!(
                    "{}:{} GET {url} → HTTP {} ({} bytes) through the k3d load balancer",
                    self.lesson.file_name(),
                    step.line,
                    r.status,
                    r.body.len()
                ));
                Ok(())
            }
            Err(WaitFailure::Deadline { after, last }) => {
                let what = self
                    .expected
                    .as_ref()
                    .map(|e| e.what.clone())
                    .unwrap_or_else(|| "HTTP 200".into());
                let cause = diagnose(&last.replace("HTTP 404: ", ""))
                    .map(|d| format!("cause: {}\n", d.line()))
                    .unwrap_or_default();
                let ns = self
                    .lesson
                    .files
                    .iter()
                    .find_map(|f| {
                        crate::yaml::YamlDoc::parse(f.text())
                            .ok()
                            .filter(|d| d.value["kind"] == "Ingress")
                            .and_then(|d| {
                                d.value["metadata"]["namespace"].as_str().map(String::from)
                            })
                    })
                    .unwrap_or_else(|| "default".into());
                let mut f = fail(
                    step.line,
                    format!("GET {url} to answer {what} within {after:?}"),
                    format!("last answer: {last}"),
                    "check the Ingress host and backend; a 404 from traefik means no rule matched",
                );
                f.diagnostics = cause;
                Err(self.with_diagnostics(f, &ns).await)
            }
            Err(other) => Err(fail(
                step.line,
                format!("GET {url}"),
                format!("{other:?}"),
                "",
            )),
        }
    }

    /// `(yq e EXPR ~/.kube/config | base64 --decode) > OUT`: with yq when installed, else built in.
    fn extract(
        &mut self,
        step: &Step,
        expression: &str,
        kubeconfig: &str,
        out: &str,
    ) -> Result<(), Failure> {
        let kc = self.iso.kubeconfig.display().to_string();
        let rewrites = vec![format!("{kubeconfig} → {kc} (the run's kubeconfig)")];
        if let Some(yq) = self.tools.yq.clone() {
            let line = format!("({yq} e '{expression}' '{kc}' | base64 --decode) > '{out}'");
            self.cli(step, "sh", vec!["-c".into(), line], rewrites)?;
            return Ok(());
        }
        self.executed.push(Executed {
            line: step.line,
            literal: step.literal.clone(),
            program: "builtin-extract".into(),
            argv: vec![expression.into(), kc.clone(), out.into()],
            rewrites: vec![
                "yq (mikefarah v4) not installed: the same path read and base64-decoded by yadoc"
                    .into(),
            ],
        });
        if self.dry_run {
            return Ok(());
        }
        let bytes = extract_field(Path::new(&kc), expression).map_err(|e| {
            fail(
                step.line,
                format!("{expression} in the kubeconfig"),
                e,
                "check the yq path against the kubeconfig",
            )
        })?;
        std::fs::write(self.iso.lesson_dir().join(out), bytes).map_err(|e| {
            fail(
                step.line,
                format!("{out} written"),
                e.to_string(),
                "free disk space",
            )
        })?;
        Ok(())
    }

    /// The lesson's curl to the API server, on the mapped --api-port, with its certificate files.
    async fn curl(
        &mut self,
        step: &Step,
        url: &str,
        cacert: &Option<String>,
        cert: &Option<String>,
        key: &Option<String>,
    ) -> Result<(), Failure> {
        self.cluster_in_use(step, None)?;
        let (host, free, note) = self.iso.api_url(url);
        let (_, _, port) = crate::checks::access::split_url(url).unwrap_or_default();
        let mut argv: Vec<String> = Vec::new();
        for (flag, v) in [("--cacert", cacert), ("--cert", cert), ("--key", key)] {
            if let Some(v) = v {
                argv.extend([flag.to_string(), v.clone()]);
            }
        }
        argv.extend([
            "--connect-to".into(),
            format!("{host}:{port}:127.0.0.1:{free}"),
            "-sS".into(),
            "--fail".into(),
            url.to_string(),
        ]);
        let rewrites = note.into_iter().collect();
        if self.tools.curl.is_some() {
            self.cli(step, "curl", argv, rewrites)?;
            return Ok(());
        }
        self.notes.push(format!("{}:{} curl not installed: the same request made with reqwest and the same certificates", self.lesson.file_name(), step.line));
        self.executed.push(Executed {
            line: step.line,
            literal: step.literal.clone(),
            program: "builtin-curl".into(),
            argv,
            rewrites,
        });
        Ok(())
    }

    /// The lesson's promises once its steps ran: HPA scale-up (lesson 2), curl and kubectl naming the
    /// same volumes (lesson 3).
    async fn after_steps(&mut self, steps: &[Step]) -> Result<(), Failure> {
        if self.dry_run {
            return Ok(());
        }
        let hpa = self.lesson.files.iter().find_map(|f| {
            crate::yaml::YamlDoc::parse(f.text())
                .ok()
                .filter(|d| d.value["kind"] == "HorizontalPodAutoscaler")
        });
        if let (Some(hpa), Some(visit)) = (
            hpa,
            steps.iter().rfind(
                |s| matches!(&s.kind, StepKind::Visit { url } if url.starts_with("http://")),
            ),
        ) {
            let ns = hpa.value["metadata"]["namespace"]
                .as_str()
                .unwrap_or("default")
                .to_string();
            let name = hpa.value["metadata"]["name"]
                .as_str()
                .unwrap_or("")
                .to_string();
            self.hpa_under_load(visit, &ns, &name).await?;
        }
        self.compare_volumes(steps).await
    }

    async fn hpa_under_load(&mut self, visit: &Step, ns: &str, hpa: &str) -> Result<(), Failure> {
        let Some(client) = self.client(visit).await? else {
            return Ok(());
        };
        let StepKind::Visit { url } = &visit.kind else {
            return Ok(());
        };
        let Some((_, host, port)) = crate::checks::access::split_url(url) else {
            return Ok(());
        };
        let free = self.ingress_port(port);
        let spec = crate::load::LoadSpec {
            target: Target {
                url: format!("http://{host}:{free}/"),
                connect: Some((host, ([127, 0, 0, 1], free).into())),
            },
            requests: 3000,
            concurrency: 16,
            max_duration: self.deadlines.hpa,
            timeout: Duration::from_secs(60),
        };
        // the load runs beside the watch and stops as soon as the HPA scales (or at its own bounds)
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let load = tokio::spawn({
            let stop = stop.clone();
            async move { crate::load::run_until(&spec, stop).await }
        });
        let result =
            api::await_scale_up(&client, ns, hpa, self.deadlines.hpa, self.deadlines.poll).await;
        stop.store(true, std::sync::atomic::Ordering::SeqCst);
        if let Ok(Ok(l)) = load.await {
            self.notes.push(format!("load: {l}"));
        }
        match result {
            Ok((rescales, timeline)) => {
                let shown: Vec<String> = rescales
                    .iter()
                    .map(|r| format!("new size {} ({})", r.new_size, r.reason))
                    .collect();
                self.notes.push(format!(
                    "{}:{} HPA {ns}/{hpa} scaled: {}; timeline: {}",
                    self.lesson.file_name(),
                    visit.line,
                    shown.join(", "),
                    timeline.join(" | ")
                ));
                Ok(())
            }
            Err(t) => {
                let f = fail(
                    visit.line,
                    format!("{} within {:?} under load", t.what, t.after),
                    t.last,
                    "see the HPA status and events below",
                );
                Err(self.with_diagnostics(f, ns).await)
            }
        }
    }

    /// Lesson 3: the pod's volume names from curl (the API's JSON) and from `kubectl get pod -o yaml` agree.
    async fn compare_volumes(&mut self, steps: &[Step]) -> Result<(), Failure> {
        let curl = steps
            .iter()
            .rfind(|s| matches!(&s.kind, StepKind::Curl { url, .. } if url.contains("/pods")));
        let kubectl = steps.iter().find(|s| matches!(&s.kind, StepKind::Inspect { args, .. } if args.iter().any(|a| a.contains("yaml"))));
        let (Some(curl), Some(kubectl)) = (curl, kubectl) else {
            return Ok(());
        };
        let (Some(json), Some(yaml)) = (
            self.outputs.get(&curl.line),
            self.outputs.get(&kubectl.line),
        ) else {
            return Ok(());
        };
        let from_curl = volumes_from_pod_list(json);
        let from_kubectl = volumes_from_pod_yaml(yaml);
        if from_curl.is_empty() || from_curl != from_kubectl {
            return Err(fail(
                curl.line,
                format!(
                    "the API (curl, line {}) and kubectl (line {}) to name the same volumes",
                    curl.line, kubectl.line
                ),
                format!("curl: {from_curl:?}; kubectl: {from_kubectl:?}"),
                "both read the same pod: check the namespace and pod name in both commands",
            ));
        }
        self.notes.push(format!(
            "{}:{} curl and kubectl (line {}) name the same volumes: {}",
            self.lesson.file_name(),
            curl.line,
            kubectl.line,
            from_curl.join(", ")
        ));
        Ok(())
    }

    /// Lesson 3's --cluster-init cluster really runs etcd: asserted from the node, not from the flag.
    async fn assert_etcd(&mut self, step: &Step) -> Result<(), Failure> {
        let Some(client) = self.client(step).await? else {
            return Ok(());
        };
        match api::etcd_nodes(&client).await {
            Ok(nodes) if !nodes.is_empty() => {
                self.notes.push(format!(
                    "{}:{} etcd runs on {} (node-role.kubernetes.io/etcd=true)",
                    self.lesson.file_name(),
                    step.line,
                    nodes.join(", ")
                ));
                Ok(())
            }
            Ok(_) => Err(fail(
                step.line,
                "a node with node-role.kubernetes.io/etcd=true (embedded etcd)",
                "no node runs etcd: the cluster uses its default datastore",
                "pass --k3s-arg \"--cluster-init@server:0\" to k3d cluster create",
            )),
            Err(e) => Err(fail(
                step.line,
                "the cluster's nodes",
                e,
                "check the cluster",
            )),
        }
    }
}

/// `myapp:latest` → `docker.io/library/myapp:latest`, as containerd names it.
pub fn containerd_ref(image: &str) -> String {
    let first = image.split('/').next().unwrap_or("");
    if first.contains('.') || first.contains(':') && image.contains('/') {
        image.to_string()
    } else if image.contains('/') {
        format!("docker.io/{image}")
    } else {
        format!("docker.io/library/{image}")
    }
}

/// `.clusters[0].cluster."certificate-authority-data"` of a kubeconfig, base64-decoded.
pub fn extract_field(kubeconfig: &Path, expression: &str) -> Result<Vec<u8>, String> {
    use base64::Engine;
    let text = std::fs::read_to_string(kubeconfig)
        .map_err(|e| format!("{}: {e}", kubeconfig.display()))?;
    let doc = crate::yaml::YamlDoc::parse(&text)
        .map_err(|e| format!("line {}: {}", e.line, e.message))?;
    let mut v = &doc.value;
    for part in expression.trim_start_matches('.').split('.') {
        let part = part.trim_matches('"');
        let (key, index) = match part.split_once('[') {
            Some((k, i)) => (k, i.trim_end_matches(']').parse::<usize>().ok()),
            None => (part, None),
        };
        if !key.is_empty() {
            v = &v[key];
        }
        if let Some(i) = index {
            v = &v[i];
        }
    }
    let s = v
        .as_str()
        .ok_or_else(|| format!("{expression} is not a string in {}", kubeconfig.display()))?;
    base64::engine::general_purpose::STANDARD
        .decode(s.trim())
        .map_err(|e| format!("{expression} is not base64: {e}"))
}

fn names_of(volumes: &serde_json::Value) -> Vec<String> {
    let mut v: Vec<String> = volumes
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v["name"].as_str().map(String::from))
        .collect();
    v.sort();
    v
}

/// Volume names of the pods in an API pod list (`curl …/pods`).
pub fn volumes_from_pod_list(json: &str) -> Vec<String> {
    let v: serde_json::Value = serde_json::from_str(json).unwrap_or_default();
    let mut out: Vec<String> = v["items"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|p| names_of(&p["spec"]["volumes"]))
        .collect();
    out.sort();
    out
}

/// Volume names of a pod in `kubectl get pod -o yaml`.
pub fn volumes_from_pod_yaml(yaml: &str) -> Vec<String> {
    crate::yaml::YamlDoc::parse(yaml)
        .map(|d| names_of(&d.value["spec"]["volumes"]))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_images_as_containerd_does() {
        assert_eq!(
            containerd_ref("myapp:latest"),
            "docker.io/library/myapp:latest"
        );
        assert_eq!(
            containerd_ref("yadoc/lesson1:ab-1"),
            "docker.io/yadoc/lesson1:ab-1"
        );
        assert_eq!(containerd_ref("ghcr.io/x/y:1"), "ghcr.io/x/y:1");
    }

    #[test]
    fn extracts_and_decodes_a_kubeconfig_field_like_yq() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("kc");
        std::fs::write(
            &p,
            "clusters:\n- cluster:\n    certificate-authority-data: aGVsbG8=\n",
        )
        .unwrap();
        assert_eq!(
            extract_field(&p, r#".clusters[0].cluster."certificate-authority-data""#).unwrap(),
            b"hello"
        );
        assert!(extract_field(&p, ".users[0].user.x").is_err());
    }
}
