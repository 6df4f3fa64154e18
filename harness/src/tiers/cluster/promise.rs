//! What each lesson promises once its steps ran: lesson 2's HPA scales up under bounded load (with
//! the replica timeline and reasons), lesson 3's curl and kubectl name the same volumes, and its
//! --cluster-init cluster really runs etcd.

use std::time::Duration;

use crate::tiers::http::Target;

use super::api;
use super::exec::{fail, ClusterRun, Failure};
use crate::lesson::steps::{Step, StepKind};

impl ClusterRun<'_> {
    /// The lesson's promises once its steps ran: HPA scale-up (lesson 2), curl and kubectl naming the
    /// same volumes (lesson 3).
    pub(super) async fn after_steps(&mut self, steps: &[Step]) -> Result<(), Failure> {
        if self.dry_run {
            return Ok(());
        }
        let hpa = self.lesson.files.iter().find_map(HpaFile::of);
        if let (Some(hpa), Some(visit)) = (
            hpa,
            steps.iter().rfind(
                |s| matches!(&s.kind, StepKind::Visit { url } if url.starts_with("http://")),
            ),
        ) {
            let (ns, name) = (hpa.namespace.clone(), hpa.name.clone());
            self.hpa_under_load(visit, &hpa, &ns, &name).await?;
        }
        self.compare_volumes(steps).await
    }

    /// What `after_steps` will do, in words, each at the lesson line it answers to: the plan shows
    /// the promise phase a run executes after the lesson's own commands.
    pub fn promises_planned(&self, steps: &[Step]) -> Vec<(usize, String)> {
        let mut out = Vec::new();
        let hpa = self.lesson.files.iter().find_map(HpaFile::of);
        let visit = steps
            .iter()
            .rfind(|s| matches!(&s.kind, StepKind::Visit { url } if url.starts_with("http://")));
        if let (Some(hpa), Some(visit)) = (hpa, visit) {
            let (ns, name) = (&hpa.namespace, &hpa.name);
            let within = self.deadlines.hpa.as_secs();
            out.push((hpa.line, format!("HPA {ns}/{name} comes to rest before any load: 3 equal readings, polled every {}s, within {within}s (at maxReplicas {} already: a finding at the memory target)", self.deadlines.poll.as_secs(), hpa.max_replicas)));
            out.push((visit.line, format!("bounded load on the lesson's URL through the cluster's port: at most 3000 requests, 16 at once, {within}s; it stops when the HPA scales")));
            out.push((hpa.line, format!("HPA {ns}/{name} scales up under the load: desiredReplicas above the rest, or a new SuccessfulRescale, within {within}s (the metric that did it named)")));
            out.push((
                hpa.line,
                "the new replicas become Ready (ErrImageNeverPull fails at once)".to_string(),
            ));
        }
        let curl = steps
            .iter()
            .rfind(|s| matches!(&s.kind, StepKind::Curl { url, .. } if url.contains("/pods")));
        let kubectl = steps.iter().find(|s| matches!(&s.kind, StepKind::Inspect { args, .. } if args.iter().any(|a| a.contains("yaml"))));
        if let (Some(curl), Some(kubectl)) = (curl, kubectl) {
            out.push((
                curl.line,
                format!(
                    "the API (curl, line {}) and kubectl (line {}) name the same volumes",
                    curl.line, kubectl.line
                ),
            ));
        }
        out
    }

    async fn hpa_under_load(
        &mut self,
        visit: &Step,
        hpa_file: &HpaFile,
        ns: &str,
        hpa: &str,
    ) -> Result<(), Failure> {
        let Some(client) = self.client(visit).await? else {
            return Ok(());
        };
        let StepKind::Visit { url } = &visit.kind else {
            return Ok(());
        };
        let Some((_, host, port)) = crate::checks::access::split_url(url) else {
            return Ok(());
        };
        let lesson = self.lesson.file_name();
        self.wait_begins();
        // 1. before any load, the HPA comes to rest; where it rests is the baseline. Lesson 2's
        // memory target (60 % of 50Mi = 30 MiB) is near what an idle gunicorn master and worker use:
        // above the tolerance the HPA proposes ceil(ratio × pods) on every sync and climbs to
        // maxReplicas without any load (k8s pkg/controller/podautoscaler/replica_calculator.go)
        let settled = api::hpa_settled_within(
            &client,
            ns,
            hpa,
            hpa_file.max_replicas,
            self.deadlines.hpa,
            self.deadlines.poll,
        )
        .await;
        let (plateau, _) = match settled {
            Ok(p) => p,
            Err(t) => {
                let f = fail(
                    hpa_file.line,
                    format!("{} within {:?}, before any load", t.what, t.after),
                    format!("{}: it scales without load", t.last),
                    "see the HPA status and events below: a metric above its target at idle (the memory request) scales the Deployment whatever the load does",
                );
                return Err(self.with_diagnostics(f, ns).await);
            }
        };
        self.notes.push(format!(
            "{lesson}:{} HPA {ns}/{hpa} at rest before the load: {} replica(s), desired {}{}; {}",
            visit.line,
            plateau.current,
            plateau.desired,
            plateau
                .limited
                .as_ref()
                .map(|l| format!(", {l}"))
                .unwrap_or_default(),
            plateau.state
        ));
        if plateau.at_max {
            return Err(self.at_max_before_load(hpa_file, &plateau, ns, hpa).await);
        }
        let before = api::rescales(&client, ns, hpa).await.unwrap_or_default();
        // 2. the load runs beside the watch and stops as soon as the HPA scales (or at its bounds)
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
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let load = tokio::spawn({
            let stop = stop.clone();
            async move { crate::load::run_until(&spec, stop).await }
        });
        let result = api::await_scale_up(
            &client,
            ns,
            hpa,
            &before,
            &plateau,
            self.deadlines.hpa,
            self.deadlines.poll,
        )
        .await;
        stop.store(true, std::sync::atomic::Ordering::SeqCst);
        let report = match load.await {
            Ok(Ok(l)) => {
                self.notes.push(format!("load: {l}"));
                Some(l)
            }
            Ok(Err(e)) => {
                self.notes.push(format!("load: failed to start: {e}"));
                None
            }
            Err(e) => {
                self.notes.push(format!("load: {e}"));
                None
            }
        };
        let served = report.as_ref().map(|r| r.ok).unwrap_or(0);
        let up = match result {
            Ok(_) if served == 0 => {
                let why = report
                    .and_then(|r| r.first_error)
                    .unwrap_or_else(|| "no request was sent".into());
                let f = fail(
                    visit.line,
                    format!("the HPA to scale under load on {url} (successful requests)"),
                    format!("the HPA scaled, but no load request succeeded ({why}): the load did not cause it"),
                    "see the app's pods and the ingress below",
                );
                return Err(self.with_diagnostics(f, ns).await);
            }
            Ok(up) => up,
            Err(t) => {
                let f = fail(
                    visit.line,
                    format!("{} within {:?} under load", t.what, t.after),
                    format!("{} ({served} load requests served)", t.last),
                    "see the HPA status and events below",
                );
                return Err(self.with_diagnostics(f, ns).await);
            }
        };
        // 3. the new replicas must serve: readyReplicas reaches the new size
        let ready = api::replicas_ready_within(
            &client,
            ns,
            &hpa_file.target,
            up.desired,
            self.deadlines.ready,
            self.deadlines.poll,
        )
        .await;
        if let Err(t) = ready {
            let f = fail(
                visit.line,
                format!(
                    "{} within {:?} after the HPA scaled to {}",
                    t.what, t.after, up.desired
                ),
                t.last,
                "see the new pods below: an image missing from a node (ErrImageNeverPull: the kubelet's image GC on a full disk, or an import that missed a node) never becomes ready",
            );
            return Err(self.with_diagnostics(f, ns).await);
        }
        let driven = if up.metric == "cpu" {
            "driven by cpu, the load's".to_string()
        } else {
            format!(
                "driven by {} (not by the load's cpu: the HPA scaled on {})",
                up.metric, up.metric
            )
        };
        let shown: Vec<String> = up
            .rescales
            .iter()
            .map(|r| format!("new size {} ({})", r.new_size, r.reason))
            .collect();
        self.notes.push(format!(
            "{lesson}:{} HPA {ns}/{hpa} scaled under load ({served} requests served): {} → {} replicas, {driven}; {} replicas Ready{}; timeline: {}",
            visit.line,
            plateau.current,
            up.desired,
            up.desired,
            if shown.is_empty() {
                String::new()
            } else {
                format!("; rescales: {}", shown.join(", "))
            },
            up.timeline.lines.join(" | ")
        ));
        self.charts.push(super::chart::hpa(
            &format!("{lesson}:{} HPA {ns}/{hpa} under load", visit.line),
            &up.timeline.samples,
            up.timeline.scaled_at,
        ));
        Ok(())
    }

    /// The HPA already at maxReplicas before any load: the promise cannot be kept, and the lesson's
    /// target is why. Located at the metric above target in the lesson's HPA, with the figures.
    async fn at_max_before_load(
        &mut self,
        hpa_file: &HpaFile,
        plateau: &api::Plateau,
        ns: &str,
        hpa: &str,
    ) -> Failure {
        let over: Vec<&(String, Option<i32>, Option<String>)> = plateau
            .metrics
            .iter()
            .filter(|(name, util, _)| {
                hpa_file
                    .targets
                    .iter()
                    .any(|t| t.name == *name && util.is_some_and(|u| u > t.utilization))
            })
            .collect();
        let (line, figures, fix) = match over.first() {
            Some((name, util, value)) => {
                let t = hpa_file.targets.iter().find(|t| t.name == *name).unwrap();
                let used = value
                    .as_deref()
                    .map(|v| format!(" ({} per pod)", show_quantity(name, v)))
                    .unwrap_or_default();
                (
                    t.line,
                    format!(
                        "{name} at {}% of its request{used} against a {}% target",
                        util.unwrap_or(0),
                        t.utilization
                    ),
                    format!(
                        "the app's idle {name} use is above {}% of its request: raise the {name} request in the Deployment, or the target, above what an idle pod uses, so that only the load scales it",
                        t.utilization
                    ),
                )
            }
            None => (
                hpa_file.line,
                plateau.state.clone(),
                "give the HPA room to scale: a maxReplicas above where it rests at idle".into(),
            ),
        };
        let f = fail(
            line,
            format!(
                "HPA {ns}/{hpa} below its maxReplicas ({}) before any load, so that the load can scale it",
                hpa_file.max_replicas
            ),
            format!(
                "already at {}/{} replicas before the load: {figures}{}",
                plateau.current,
                hpa_file.max_replicas,
                plateau
                    .limited
                    .as_ref()
                    .map(|l| format!(" ({l})"))
                    .unwrap_or_default()
            ),
            fix,
        );
        self.with_diagnostics(f, ns).await
    }

    /// Lesson 3: the pod's volume names from curl (the API's JSON) and from `kubectl get pod -o yaml` agree.
    async fn compare_volumes(&mut self, steps: &[Step]) -> Result<(), Failure> {
        let curl = steps
            .iter()
            .rfind(|s| matches!(&s.kind, StepKind::Curl { url, .. } if url.contains("/pods")));
        let kubectl = steps.iter().find(|s| matches!(&s.kind, StepKind::Inspect { args, .. } if args.iter().any(|a| a.contains("yaml"))));
        let (Some(curl), Some(kubectl)) = (curl, kubectl) else {
            return Ok(()); // the lesson compares nothing: no promise to keep
        };
        let (Some(json), Some(yaml)) = (
            self.outputs.get(&curl.line),
            self.outputs.get(&kubectl.line),
        ) else {
            // both commands ran (a failure would have stopped the run), so an output is missing
            // only if yadoc lost it: never a pass
            return Err(fail(
                curl.line,
                format!(
                    "the outputs of curl (line {}) and kubectl (line {}) to compare",
                    curl.line, kubectl.line
                ),
                "one of the two outputs was not recorded",
                "a yadoc bug: report it with the run's diagnostics",
            ));
        };
        let from_curl = volumes_from_pod_list(json);
        let from_kubectl = volumes_from_pod_yaml(yaml);
        if from_curl.is_empty() || from_kubectl.is_empty() || from_curl != from_kubectl {
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
    pub(super) async fn assert_etcd(&mut self, step: &Step) -> Result<(), Failure> {
        let Some(client) = self.client(step).await? else {
            return Ok(());
        };
        // k3s labels the node asynchronously, after k3d returned (k3s pkg/etcd/metadata_controller.go:
        // handleSelf sets node-role.kubernetes.io/etcd=true on the node's first sync)
        match api::etcd_nodes_within(&client, self.deadlines.ready, self.deadlines.poll).await {
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
                format!(
                    "a node with node-role.kubernetes.io/etcd=true (embedded etcd) within {:?}",
                    self.deadlines.ready
                ),
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

/// The lesson's HorizontalPodAutoscaler, as its file shows it, with the lesson lines of what a
/// finding points at.
pub struct HpaFile {
    pub name: String,
    pub namespace: String,
    /// The scale target (a Deployment).
    pub target: String,
    pub max_replicas: i32,
    /// The lesson line of the HPA's `kind:`.
    pub line: usize,
    pub targets: Vec<HpaTarget>,
}

/// One resource metric's target utilization and its lesson line.
pub struct HpaTarget {
    pub name: String,
    pub utilization: i32,
    pub line: usize,
}

impl HpaFile {
    pub fn of(f: &crate::lesson::artifact::Artifact) -> Option<Self> {
        let doc = crate::yaml::YamlDoc::parse(f.text()).ok()?;
        let v = &doc.value;
        if v["kind"] != "HorizontalPodAutoscaler" {
            return None;
        }
        let text = f.text();
        let line_of = |needle: &str, from: usize| {
            text.lines()
                .enumerate()
                .skip(from)
                .find(|(_, l)| l.trim_start().starts_with(needle))
                .map(|(i, _)| i + 1)
        };
        let kind_line = line_of("kind:", 0).unwrap_or(1);
        let targets = v["spec"]["metrics"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|m| {
                let name = m["resource"]["name"].as_str()?.to_string();
                let utilization = m["resource"]["target"]["averageUtilization"].as_i64()? as i32;
                // the averageUtilization line after the metric's `name:` line
                let at = line_of(&format!("name: {name}"), 0)
                    .and_then(|n| line_of("averageUtilization:", n))
                    .unwrap_or(kind_line);
                Some(HpaTarget {
                    name,
                    utilization,
                    line: f.lesson_line(at),
                })
            })
            .collect();
        Some(Self {
            name: v["metadata"]["name"].as_str().unwrap_or("").to_string(),
            namespace: v["metadata"]["namespace"]
                .as_str()
                .unwrap_or("default")
                .to_string(),
            target: v["spec"]["scaleTargetRef"]["name"]
                .as_str()
                .unwrap_or("")
                .to_string(),
            max_replicas: v["spec"]["maxReplicas"].as_i64().unwrap_or(0) as i32,
            line: f.lesson_line(kind_line),
            targets,
        })
    }
}

/// An HPA's average value as a person reads it: memory in MiB (the API gives bytes or `36Mi`).
fn show_quantity(metric: &str, v: &str) -> String {
    if metric == "memory" {
        if let Ok(bytes) = v.parse::<f64>() {
            return format!("{:.0} MiB", bytes / (1024.0 * 1024.0));
        }
    }
    v.to_string()
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
