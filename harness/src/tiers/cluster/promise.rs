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
        // the rescales before the load are the baseline: lesson 2's memory request (50Mi) is close
        // to what an idle gunicorn + Flask worker uses, so the HPA may scale before any load
        let before = api::rescales(&client, ns, hpa).await.unwrap_or_default();
        if let Some(r) = before.iter().find(|r| r.new_size > 1) {
            self.notes.push(format!(
                "{}:{} HPA {ns}/{hpa} had already scaled to {} before the load ({}): not counted",
                self.lesson.file_name(),
                visit.line,
                r.new_size,
                r.reason
            ));
        }
        // the load runs beside the watch and stops as soon as the HPA scales (or at its own bounds)
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
        match result {
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
                Err(self.with_diagnostics(f, ns).await)
            }
            Ok((rescales, timeline)) => {
                let shown: Vec<String> = rescales
                    .iter()
                    .map(|r| {
                        format!(
                            "new size {} ({}; driven by {})",
                            r.new_size,
                            r.reason,
                            r.metric()
                        )
                    })
                    .collect();
                self.notes.push(format!(
                    "{}:{} HPA {ns}/{hpa} scaled under load ({served} requests served): {}; timeline: {}",
                    self.lesson.file_name(),
                    visit.line,
                    shown.join(", "),
                    timeline.lines.join(" | ")
                ));
                self.charts.push(super::chart::hpa(
                    &format!(
                        "{}:{} HPA {ns}/{hpa} under load",
                        self.lesson.file_name(),
                        visit.line
                    ),
                    &timeline.samples,
                    timeline.scaled_at,
                ));
                Ok(())
            }
            Err(t) => {
                let f = fail(
                    visit.line,
                    format!("{} within {:?} under load", t.what, t.after),
                    format!("{} ({served} load requests served)", t.last),
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
