//! What the cluster tier asks the Kubernetes API, with kube-rs: waits with deadlines (Deployment
//! available, pod Running, Ingress address, HPA metrics and rescale) and, on failure, the diagnostics
//! a person would look at (object status, events, container states, logs, HPA status).

use std::time::{Duration, Instant};

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::core::v1::{Event, Node, Pod};
use k8s_openapi::api::networking::v1::Ingress;
use kube::api::{ListParams, LogParams};
use kube::runtime::wait::{await_condition, Condition};
use kube::{Api, Client};

/// A wait that ended without its condition, with what was last seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timeout {
    pub what: String,
    pub after: Duration,
    pub last: String,
}

/// Wait for a condition on a named object, at most `deadline`.
async fn wait<K>(
    api: Api<K>,
    name: &str,
    what: &str,
    deadline: Duration,
    cond: impl Condition<K>,
    show: impl Fn(Option<&K>) -> String,
) -> Result<K, Timeout>
where
    K: Clone + std::fmt::Debug + Send + serde::de::DeserializeOwned + kube::Resource + 'static,
{
    match tokio::time::timeout(deadline, await_condition(api.clone(), name, cond)).await {
        Ok(Ok(Some(obj))) => Ok(obj),
        Ok(Ok(None)) => Err(Timeout {
            what: what.into(),
            after: deadline,
            last: format!("{name} was deleted"),
        }),
        Ok(Err(e)) => Err(Timeout {
            what: what.into(),
            after: deadline,
            last: format!("watch failed: {e}"),
        }),
        Err(_) => {
            let last = api
                .get_opt(name)
                .await
                .map(|o| show(o.as_ref()))
                .unwrap_or_else(|e| format!("cannot read {name}: {e}"));
            Err(Timeout {
                what: what.into(),
                after: deadline,
                last,
            })
        }
    }
}

fn deployment_available(d: &Deployment) -> bool {
    d.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|c| {
            c.iter()
                .any(|c| c.type_ == "Available" && c.status == "True")
        })
}

fn show_deployment(d: Option<&Deployment>) -> String {
    match d.and_then(|d| d.status.as_ref()) {
        None => "no status yet".into(),
        Some(s) => {
            let conds: Vec<String> = s
                .conditions
                .iter()
                .flatten()
                .map(|c| {
                    format!(
                        "{}={} {} ({})",
                        c.type_,
                        c.status,
                        c.reason.clone().unwrap_or_default(),
                        c.message.clone().unwrap_or_default()
                    )
                })
                .collect();
            format!(
                "{}/{} ready; {}",
                s.ready_replicas.unwrap_or(0),
                s.replicas.unwrap_or(0),
                conds.join("; ")
            )
        }
    }
}

/// Why a pod of a Deployment will not serve, decided without waiting: a container that restarted,
/// exited non-zero, or waits for a reason that does not clear by itself. A container without a
/// readiness probe is Ready for a moment while it crash-loops, so the Deployment's Available
/// condition alone can be True over a pod that never serves (k8s `pkg/controller/deployment/sync.go`
/// counts ready pods; kubelet's restart back-off starts at 10 s, `pkg/kubelet/kubelet.go`).
pub fn broken_container(p: &Pod) -> Option<String> {
    const STUCK: [&str; 7] = [
        "CrashLoopBackOff",
        "ErrImageNeverPull",
        "ErrImagePull",
        "ImagePullBackOff",
        "InvalidImageName",
        "CreateContainerConfigError",
        "CreateContainerError",
    ];
    let s = p.status.as_ref()?;
    for c in s.container_statuses.iter().flatten() {
        let state = c.state.as_ref();
        let waiting = state.and_then(|st| st.waiting.as_ref());
        let exited = state
            .and_then(|st| st.terminated.as_ref())
            .or_else(|| c.last_state.as_ref().and_then(|l| l.terminated.as_ref()));
        if c.restart_count > 0
            || exited.is_some_and(|t| t.exit_code != 0)
            || waiting.is_some_and(|w| STUCK.contains(&w.reason.as_deref().unwrap_or("")))
        {
            return Some(pod_state(p));
        }
    }
    None
}

/// The pods a Deployment selects (its `matchLabels`), as `ListParams`.
fn selected_by(d: &Deployment) -> ListParams {
    let labels: Vec<String> = d
        .spec
        .as_ref()
        .and_then(|s| s.selector.match_labels.as_ref())
        .into_iter()
        .flatten()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    ListParams::default().labels(&labels.join(","))
}

/// Wait until the Deployment is Available and its pods have stayed up for `settle` (no restart, no
/// non-zero exit); fail at once when a pod crash-loops or cannot start, with what it showed.
pub async fn deployment_available_within(
    client: &Client,
    ns: &str,
    name: &str,
    deadline: Duration,
    settle: Duration,
    every: Duration,
) -> Result<Deployment, Timeout> {
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), ns);
    let pods: Api<Pod> = Api::namespaced(client.clone(), ns);
    let what = format!("Deployment {ns}/{name} available, its pods up for {settle:?}");
    let started = Instant::now();
    let mut available_since: Option<Instant> = None;
    let mut last;
    loop {
        match deployments.get_opt(name).await {
            Ok(Some(d)) => {
                last = show_deployment(Some(&d));
                let listed = pods.list(&selected_by(&d)).await;
                if let Ok(list) = &listed {
                    if let Some(broken) = list.items.iter().find_map(broken_container) {
                        return Err(Timeout {
                            what,
                            // the wait's deadline, as every expected text says; observed says it
                            // stopped early
                            after: deadline,
                            last: format!(
                                "{last}; pod {broken} (stopped waiting: it will not serve)"
                            ),
                        });
                    }
                }
                if deployment_available(&d) && listed.is_ok() {
                    let since = *available_since.get_or_insert_with(Instant::now);
                    if since.elapsed() >= settle {
                        return Ok(d);
                    }
                } else {
                    available_since = None;
                }
            }
            Ok(None) => last = format!("{name} does not exist"),
            Err(e) => last = format!("cannot read {name}: {e}"),
        }
        if started.elapsed() >= deadline {
            return Err(Timeout {
                what,
                after: deadline,
                last,
            });
        }
        tokio::time::sleep(every).await;
    }
}

fn pod_running(p: Option<&Pod>) -> bool {
    p.and_then(|p| p.status.as_ref())
        .is_some_and(|s| s.phase.as_deref() == Some("Running"))
}

pub async fn pod_running_within(
    client: &Client,
    ns: &str,
    name: &str,
    deadline: Duration,
) -> Result<Pod, Timeout> {
    let api: Api<Pod> = Api::namespaced(client.clone(), ns);
    wait(
        api,
        name,
        &format!("pod {ns}/{name} Running"),
        deadline,
        pod_running,
        |p| p.map(pod_state).unwrap_or_else(|| "no such pod".into()),
    )
    .await
}

fn ingress_addressed(i: Option<&Ingress>) -> bool {
    i.and_then(|i| i.status.as_ref())
        .and_then(|s| s.load_balancer.as_ref())
        .and_then(|lb| lb.ingress.as_ref())
        .is_some_and(|v| !v.is_empty())
}

pub async fn ingress_address_within(
    client: &Client,
    ns: &str,
    name: &str,
    deadline: Duration,
) -> Result<Ingress, Timeout> {
    let api: Api<Ingress> = Api::namespaced(client.clone(), ns);
    wait(
        api,
        name,
        &format!("Ingress {ns}/{name} has an address"),
        deadline,
        ingress_addressed,
        |_| "no load balancer address".into(),
    )
    .await
}

fn hpa_has_metrics(h: Option<&HorizontalPodAutoscaler>) -> bool {
    h.and_then(|h| h.status.as_ref())
        .and_then(|s| s.current_metrics.as_ref())
        .is_some_and(|m| {
            m.iter().any(|m| {
                m.resource
                    .as_ref()
                    .is_some_and(|r| r.current.average_utilization.is_some())
            })
        })
}

/// The HPA reads metrics (metrics-server answers for its pods): the precondition of any rescale.
pub async fn hpa_metrics_within(
    client: &Client,
    ns: &str,
    name: &str,
    deadline: Duration,
) -> Result<HorizontalPodAutoscaler, Timeout> {
    let api: Api<HorizontalPodAutoscaler> = Api::namespaced(client.clone(), ns);
    wait(
        api,
        name,
        &format!("HPA {ns}/{name} to read its metrics"),
        deadline,
        hpa_has_metrics,
        |h| h.map(hpa_state).unwrap_or_else(|| "no such HPA".into()),
    )
    .await
}

/// `phase; container: waiting CrashLoopBackOff (back-off …)` for a pod.
pub fn pod_state(p: &Pod) -> String {
    let name = p.metadata.name.clone().unwrap_or_default();
    let Some(s) = &p.status else {
        return format!("{name}: no status");
    };
    let mut parts = vec![format!(
        "{name}: {}",
        s.phase.clone().unwrap_or_else(|| "Unknown".into())
    )];
    for c in s.container_statuses.iter().flatten() {
        if let Some(st) = &c.state {
            if let Some(w) = &st.waiting {
                parts.push(format!(
                    "{} waiting {} ({})",
                    c.name,
                    w.reason.clone().unwrap_or_default(),
                    w.message.clone().unwrap_or_default()
                ));
            }
            if let Some(t) = &st.terminated {
                parts.push(format!(
                    "{} terminated {} exit {}",
                    c.name,
                    t.reason.clone().unwrap_or_default(),
                    t.exit_code
                ));
            }
        }
        if c.restart_count > 0 {
            parts.push(format!("{} restarted {} times", c.name, c.restart_count));
        }
    }
    parts.join("; ")
}

/// What a person would look at after a failure in a namespace: pods and their containers' states,
/// the namespace's events, the last log lines of each pod, the HPAs' status.
pub async fn diagnostics(client: &Client, ns: &str) -> String {
    let mut out = Vec::new();
    let pods: Api<Pod> = Api::namespaced(client.clone(), ns);
    match pods.list(&ListParams::default()).await {
        Ok(list) => {
            for p in &list.items {
                out.push(format!("pod {}", pod_state(p)));
                let name = p.metadata.name.clone().unwrap_or_default();
                // a crash-looping container's current instance may have no log yet: then the
                // previous instance's (`kubectl logs --previous`)
                for previous in [false, true] {
                    let lp = LogParams {
                        tail_lines: Some(15),
                        previous,
                        ..LogParams::default()
                    };
                    if let Ok(log) = pods.logs(&name, &lp).await {
                        if !log.trim().is_empty() {
                            out.push(format!(
                                "log of {name}{} (last lines):\n{}",
                                if previous {
                                    " (previous container)"
                                } else {
                                    ""
                                },
                                log.trim_end()
                            ));
                            break;
                        }
                    }
                }
            }
        }
        Err(e) => out.push(format!("cannot list pods: {e}")),
    }
    let events: Api<Event> = Api::namespaced(client.clone(), ns);
    if let Ok(mut list) = events.list(&ListParams::default()).await {
        // the API lists events by name, not time: order them by when they last happened
        list.items.sort_by_key(event_time);
        for e in list.items.iter().rev().take(20).rev() {
            out.push(format!(
                "event {} {} {}/{}: {}",
                e.type_.clone().unwrap_or_default(),
                e.reason.clone().unwrap_or_default(),
                e.involved_object.kind.clone().unwrap_or_default(),
                e.involved_object.name.clone().unwrap_or_default(),
                e.message.clone().unwrap_or_default()
            ));
        }
    }
    let hpas: Api<HorizontalPodAutoscaler> = Api::namespaced(client.clone(), ns);
    if let Ok(list) = hpas.list(&ListParams::default()).await {
        for h in &list.items {
            out.push(format!("hpa {}", hpa_state(h)));
        }
    }
    out.join("\n")
}

/// The Services an Ingress in `ns` routes to, each with its EndpointSlices' endpoints (ready or
/// not, and the pod behind each): traefik routes only to ready endpoints and skips a Service
/// with none, answering 404 as if no rule matched.
pub async fn backends(client: &Client, ns: &str) -> String {
    use k8s_openapi::api::discovery::v1::EndpointSlice;
    let ingresses: Api<Ingress> = Api::namespaced(client.clone(), ns);
    let slices: Api<EndpointSlice> = Api::namespaced(client.clone(), ns);
    let Ok(list) = ingresses.list(&ListParams::default()).await else {
        return String::new();
    };
    let mut services: Vec<String> = list
        .items
        .iter()
        .filter_map(|i| i.spec.as_ref())
        .flat_map(|s| s.rules.iter().flatten())
        .filter_map(|r| r.http.as_ref())
        .flat_map(|h| h.paths.iter())
        .filter_map(|p| p.backend.service.as_ref().map(|s| s.name.clone()))
        .collect();
    services.sort();
    services.dedup();
    let mut out = Vec::new();
    for svc in services {
        let lp = ListParams::default().labels(&format!("kubernetes.io/service-name={svc}"));
        let found = match slices.list(&lp).await {
            Ok(l) => l.items,
            Err(e) => {
                out.push(format!("cannot list the EndpointSlices of {ns}/{svc}: {e}"));
                continue;
            }
        };
        let mut ready = Vec::new();
        let mut not_ready = Vec::new();
        for slice in &found {
            for e in &slice.endpoints {
                let pod = e
                    .target_ref
                    .as_ref()
                    .and_then(|t| t.name.clone())
                    .unwrap_or_default();
                let shown = format!("{} (pod {pod})", e.addresses.join(","));
                if e.conditions.as_ref().and_then(|c| c.ready).unwrap_or(false) {
                    ready.push(shown);
                } else {
                    not_ready.push(shown);
                }
            }
        }
        if ready.is_empty() {
            out.push(format!(
                "Service {ns}/{svc} has no ready endpoint ({})",
                if found.is_empty() {
                    "no EndpointSlice: its selector matches no pod".to_string()
                } else if not_ready.is_empty() {
                    "its EndpointSlices list no endpoint: its selector matches no pod".to_string()
                } else {
                    format!("not ready: {}", not_ready.join(", "))
                }
            ));
        } else {
            out.push(format!(
                "Service {ns}/{svc} endpoints ready: {}",
                ready.join(", ")
            ));
        }
    }
    out.join("\n")
}

/// When an event last happened: `lastTimestamp`, else `eventTime` (events.k8s.io writers), else
/// `firstTimestamp`, else its creation (k8s `pkg/apis/core/types.go`, Event).
pub fn event_time(e: &Event) -> Option<k8s_openapi::jiff::Timestamp> {
    e.last_timestamp
        .as_ref()
        .map(|t| t.0)
        .or_else(|| e.event_time.as_ref().map(|t| t.0))
        .or_else(|| e.first_timestamp.as_ref().map(|t| t.0))
        .or_else(|| e.metadata.creation_timestamp.as_ref().map(|t| t.0))
}

/// `myapp-hpa: 1 → 1 replicas; cpu 12%/60%, memory 45%/60%; ScalingActive=True`
pub fn hpa_state(h: &HorizontalPodAutoscaler) -> String {
    let name = h.metadata.name.clone().unwrap_or_default();
    let Some(s) = &h.status else {
        return format!("{name}: no status");
    };
    let metrics: Vec<String> = s
        .current_metrics
        .iter()
        .flatten()
        .filter_map(|m| m.resource.as_ref())
        .map(|r| {
            format!(
                "{} {}%",
                r.name,
                r.current
                    .average_utilization
                    .map(|u| u.to_string())
                    .unwrap_or_else(|| "?".into())
            )
        })
        .collect();
    let conds: Vec<String> = s
        .conditions
        .iter()
        .flatten()
        .map(|c| {
            format!(
                "{}={} {}",
                c.type_,
                c.status,
                c.reason.clone().unwrap_or_default()
            )
        })
        .collect();
    format!(
        "{name}: {} → {} replicas; metrics: {}; {}",
        s.current_replicas.unwrap_or(0),
        s.desired_replicas,
        if metrics.is_empty() {
            "none yet".into()
        } else {
            metrics.join(", ")
        },
        conds.join("; ")
    )
}

/// One rescale of an HPA, from its SuccessfulRescale event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rescale {
    pub new_size: u32,
    /// `cpu resource utilization (percentage of request) above target`
    pub reason: String,
    /// Which occurrence: the event's name and count (the recorder aggregates repeats into one
    /// Event with a growing count, client-go `tools/record/events_cache.go`).
    pub occurrence: String,
}

impl Rescale {
    /// The metric that drove it, from the reason the HPA controller writes
    /// (k8s `pkg/controller/podautoscaler/horizontal.go`: "%s resource utilization (percentage of
    /// request) above target", "%s resource above target", "All metrics below target").
    pub fn metric(&self) -> &str {
        self.reason
            .split_once(" resource")
            .map(|(m, _)| m)
            .unwrap_or(self.reason.as_str())
    }
}

/// `New size: 8; reason: memory resource utilization (percentage of request) above target`
pub fn parse_rescale(message: &str) -> Option<Rescale> {
    let rest = message.strip_prefix("New size: ")?;
    let (size, reason) = rest.split_once("; reason: ")?;
    Some(Rescale {
        new_size: size.trim().parse().ok()?,
        reason: reason.trim().to_string(),
        occurrence: String::new(),
    })
}

/// The HPA's SuccessfulRescale events so far.
pub async fn rescales(client: &Client, ns: &str, hpa: &str) -> Result<Vec<Rescale>, String> {
    let events: Api<Event> = Api::namespaced(client.clone(), ns);
    let lp = ListParams::default().fields(&format!(
        "involvedObject.name={hpa},reason=SuccessfulRescale"
    ));
    let mut list = events.list(&lp).await.map_err(|e| e.to_string())?;
    list.items.sort_by_key(event_time);
    Ok(list
        .items
        .iter()
        .filter(|e| {
            // the field selector is the server's; check it here too
            e.involved_object.name.as_deref() == Some(hpa)
                && e.reason.as_deref() == Some("SuccessfulRescale")
        })
        .filter_map(|e| {
            let mut r = parse_rescale(e.message.as_deref()?)?;
            r.occurrence = format!(
                "{}#{}",
                e.metadata.name.clone().unwrap_or_default(),
                e.count.unwrap_or(1)
            );
            Some(r)
        })
        .collect())
}

/// One reading of an HPA's status while the load runs: seconds since the load started, current and
/// desired replicas, and each resource metric's utilisation (% of the request).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HpaSample {
    pub at: u64,
    pub current: i32,
    pub desired: i32,
    pub utilization: Vec<(String, Option<i32>)>,
}

impl HpaSample {
    fn of(h: &HorizontalPodAutoscaler, at: u64) -> Option<Self> {
        let s = h.status.as_ref()?;
        Some(Self {
            at,
            current: s.current_replicas.unwrap_or(0),
            desired: s.desired_replicas,
            utilization: s
                .current_metrics
                .iter()
                .flatten()
                .filter_map(|m| m.resource.as_ref())
                .map(|r| (r.name.clone(), r.current.average_utilization))
                .collect(),
        })
    }
}

/// What the HPA showed while the load ran: a line per change, and every sample for the chart.
#[derive(Debug, Clone, Default)]
pub struct HpaTimeline {
    pub lines: Vec<String>,
    pub samples: Vec<HpaSample>,
    /// The sample read right after the new SuccessfulRescale event was seen.
    pub scaled_at: Option<usize>,
}

/// Poll the HPA until a SuccessfulRescale to more than one replica that is not one of `before`, at
/// most `deadline`; returns the new rescales and the replica timeline seen.
pub async fn await_scale_up(
    client: &Client,
    ns: &str,
    hpa: &str,
    before: &[Rescale],
    deadline: Duration,
    every: Duration,
) -> Result<(Vec<Rescale>, HpaTimeline), Timeout> {
    let api: Api<HorizontalPodAutoscaler> = Api::namespaced(client.clone(), ns);
    let started = Instant::now();
    let mut timeline = HpaTimeline::default();
    let mut last = String::from("HPA not read yet");
    loop {
        if let Ok(h) = api.get(hpa).await {
            last = hpa_state(&h);
            let at = started.elapsed().as_secs();
            timeline.samples.extend(HpaSample::of(&h, at));
            let entry = format!("+{at}s {last}");
            if timeline
                .lines
                .last()
                .map(|l: &String| l.split_once(' ').map(|x| x.1))
                != Some(Some(last.as_str()))
            {
                timeline.lines.push(entry);
            }
        }
        let new: Vec<Rescale> = rescales(client, ns, hpa)
            .await
            .unwrap_or_default()
            .into_iter()
            .filter(|r| !before.iter().any(|b| b.occurrence == r.occurrence))
            .collect();
        if new.iter().any(|r| r.new_size > 1) {
            // one more reading: the status the rescale left, marked on the chart
            if let Ok(h) = api.get(hpa).await {
                let at = started.elapsed().as_secs();
                if let Some(s) = HpaSample::of(&h, at) {
                    timeline.samples.push(s);
                    timeline.scaled_at = Some(timeline.samples.len() - 1);
                }
                timeline.lines.push(format!("+{at}s {}", hpa_state(&h)));
            }
            return Ok((new, timeline));
        }
        if started.elapsed() >= deadline {
            return Err(Timeout {
                what: format!(
                    "HPA {ns}/{hpa} to scale above 1 replica (a new SuccessfulRescale event, after the load started)"
                ),
                after: deadline,
                last: format!("{last}; timeline: {}", timeline.lines.join(" | ")),
            });
        }
        tokio::time::sleep(every).await;
    }
}

/// Volume names of a pod, from the API.
pub async fn pod_volumes(client: &Client, ns: &str, pod: &str) -> Result<Vec<String>, String> {
    let api: Api<Pod> = Api::namespaced(client.clone(), ns);
    let p = api.get(pod).await.map_err(|e| e.to_string())?;
    Ok(p.spec
        .map(|s| {
            s.volumes
                .unwrap_or_default()
                .into_iter()
                .map(|v| v.name)
                .collect()
        })
        .unwrap_or_default())
}

/// The etcd nodes, polled until there is one or `deadline` passes (k3s labels them asynchronously).
pub async fn etcd_nodes_within(
    client: &Client,
    deadline: Duration,
    every: Duration,
) -> Result<Vec<String>, String> {
    let started = Instant::now();
    loop {
        let nodes = etcd_nodes(client).await;
        match &nodes {
            Ok(n) if !n.is_empty() => return nodes,
            _ if started.elapsed() >= deadline => return nodes,
            _ => tokio::time::sleep(every).await,
        }
    }
}

/// The cluster runs etcd: a node carries `node-role.kubernetes.io/etcd=true` (k3s sets it on servers
/// started with --cluster-init). Returns the nodes' roles for the report.
pub async fn etcd_nodes(client: &Client) -> Result<Vec<String>, String> {
    let api: Api<Node> = Api::all(client.clone());
    let nodes = api
        .list(&ListParams::default())
        .await
        .map_err(|e| e.to_string())?;
    Ok(nodes
        .items
        .iter()
        .filter(|n| {
            n.metadata.labels.as_ref().is_some_and(|l| {
                l.get("node-role.kubernetes.io/etcd").map(String::as_str) == Some("true")
            })
        })
        .filter_map(|n| n.metadata.name.clone())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_rescale_event_the_lesson_shows() {
        let r = parse_rescale(
            "New size: 8; reason: memory resource utilization (percentage of request) above target",
        )
        .unwrap();
        assert_eq!(r.new_size, 8);
        assert!(r.reason.starts_with("memory"));
        assert_eq!(parse_rescale("Scaled up replica set myapp to 8"), None);
    }
}
