//! What the cluster tier asks the Kubernetes API, with kube-rs: waits with deadlines (Deployment
//! available, pod Running, Ingress address, HPA metrics and rescale) and, on failure, the diagnostics
//! a person would look at (object status, events, container states, logs, HPA status).

use std::time::{Duration, Instant};

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::core::v1::{Event, Node, Pod};
use k8s_openapi::api::networking::v1::Ingress;
use kube::api::{ListParams, LogParams};
use kube::{Api, Client};

/// A wait that ended without its condition, with what was last seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timeout {
    pub what: String,
    /// The wait's deadline (what the expected text names).
    pub after: Duration,
    pub last: String,
}

/// `last`, with how long the wait went on before it gave up or stopped early.
fn after_waiting(last: String, started: Instant) -> String {
    format!("{last} (after {}s of waiting)", started.elapsed().as_secs())
}

/// Wait for a condition on a named object, at most `deadline`, reading it every `every`. A poll, not
/// a watch: kube-runtime's `await_condition` watches without backoff (kube-runtime 5.0.0
/// `src/wait.rs`, `watch_object`), so one reset of the watch ended the wait at once and read as a
/// timeout; a failed read here is retried until the deadline, and said in what was last seen.
async fn wait<K>(
    api: Api<K>,
    name: &str,
    what: &str,
    deadline: Duration,
    every: Duration,
    cond: impl Fn(Option<&K>) -> bool,
    show: impl Fn(Option<&K>) -> String,
) -> Result<K, Timeout>
where
    K: Clone + std::fmt::Debug + Send + serde::de::DeserializeOwned + kube::Resource + 'static,
{
    let started = Instant::now();
    let mut last = format!("{name} not read yet");
    loop {
        match api.get_opt(name).await {
            Ok(Some(obj)) if cond(Some(&obj)) => return Ok(obj),
            Ok(o) => last = show(o.as_ref()),
            Err(e) => last = format!("cannot read {name}: {e} (retried until the deadline)"),
        }
        if started.elapsed() >= deadline {
            return Err(Timeout {
                what: what.into(),
                after: deadline,
                last: after_waiting(last, started),
            });
        }
        tokio::time::sleep(every.min(deadline.saturating_sub(started.elapsed()))).await;
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
                            last: after_waiting(
                                format!(
                                    "{last}; pod {broken} (stopped waiting: it will not serve)"
                                ),
                                started,
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
                last: after_waiting(last, started),
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
    every: Duration,
) -> Result<Pod, Timeout> {
    let api: Api<Pod> = Api::namespaced(client.clone(), ns);
    wait(
        api,
        name,
        &format!("pod {ns}/{name} Running"),
        deadline,
        every,
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
    every: Duration,
) -> Result<Ingress, Timeout> {
    let api: Api<Ingress> = Api::namespaced(client.clone(), ns);
    wait(
        api,
        name,
        &format!("Ingress {ns}/{name} has an address"),
        deadline,
        every,
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
    every: Duration,
) -> Result<HorizontalPodAutoscaler, Timeout> {
    let api: Api<HorizontalPodAutoscaler> = Api::namespaced(client.clone(), ns);
    wait(
        api,
        name,
        &format!("HPA {ns}/{name} to read its metrics"),
        deadline,
        every,
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
    diagnostics_since(client, ns, None).await.current
}

/// Diagnostics split at the moment a wait began: `current` (pods, logs, the HPAs' status and the
/// events since) is what a diagnosis reads; `earlier` holds the older events, as context.
#[derive(Debug, Clone, Default)]
pub struct Diagnostics {
    pub current: String,
    pub earlier: String,
}

/// `diagnostics`, with the events older than `since` apart. Events carry whole seconds
/// (metav1.Time), so `since` is compared at the second it began.
pub async fn diagnostics_since(
    client: &Client,
    ns: &str,
    since: Option<k8s_openapi::jiff::Timestamp>,
) -> Diagnostics {
    let since = since.and_then(|t| k8s_openapi::jiff::Timestamp::from_second(t.as_second()).ok());
    let mut out = Vec::new();
    let mut earlier = Vec::new();
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
            let old = since.is_some_and(|s| event_time(e).is_some_and(|t| t < s));
            (if old { &mut earlier } else { &mut out }).push(format!(
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
    Diagnostics {
        current: out.join("\n"),
        earlier: earlier.join("\n"),
    }
}

/// The cluster's own pods (kube-system: coredns, traefik and its helm install, metrics-server,
/// local-path, svclb) that do not run, and kube-system's Warning events: a stuck traefik shows as
/// "Ingress has no address", a stuck metrics-server as an HPA without metrics, and both often
/// because the nodes could not pull (Docker Hub's rate limit).
pub async fn kube_system(
    client: &Client,
    since: Option<k8s_openapi::jiff::Timestamp>,
) -> Diagnostics {
    let ns = "kube-system";
    let since = since.and_then(|t| k8s_openapi::jiff::Timestamp::from_second(t.as_second()).ok());
    let mut out = Vec::new();
    let mut earlier = Vec::new();
    let pods: Api<Pod> = Api::namespaced(client.clone(), ns);
    if let Ok(list) = pods.list(&ListParams::default()).await {
        for p in &list.items {
            let phase = p.status.as_ref().and_then(|s| s.phase.as_deref());
            let stuck = broken_container(p).is_some()
                || !matches!(phase, Some("Running") | Some("Succeeded"));
            if stuck {
                out.push(format!("kube-system pod {}", pod_state(p)));
            }
        }
    }
    let events: Api<Event> = Api::namespaced(client.clone(), ns);
    if let Ok(mut list) = events.list(&ListParams::default()).await {
        list.items.sort_by_key(event_time);
        let warnings: Vec<&Event> = list
            .items
            .iter()
            .filter(|e| e.type_.as_deref() == Some("Warning"))
            .collect();
        for e in warnings.iter().rev().take(10).rev() {
            let old = since.is_some_and(|s| event_time(e).is_some_and(|t| t < s));
            (if old { &mut earlier } else { &mut out }).push(format!(
                "kube-system event {} {}/{}: {}",
                e.reason.clone().unwrap_or_default(),
                e.involved_object.kind.clone().unwrap_or_default(),
                e.involved_object.name.clone().unwrap_or_default(),
                e.message.clone().unwrap_or_default()
            ));
        }
    }
    Diagnostics {
        current: out.join("\n"),
        earlier: earlier.join("\n"),
    }
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
    /// The sample at which the scale-up was seen.
    pub scaled_at: Option<usize>,
}

impl HpaTimeline {
    /// One reading `at` seconds in: a sample for the chart, and a line when the state changed.
    pub fn record(&mut self, h: &HorizontalPodAutoscaler, at: u64) {
        let state = hpa_state(h);
        self.samples.extend(HpaSample::of(h, at));
        if self
            .lines
            .last()
            .map(|l: &String| l.split_once(' ').map(|x| x.1))
            != Some(Some(state.as_str()))
        {
            self.lines.push(format!("+{at}s {state}"));
        }
    }
}

/// Where an HPA came to rest before any load: what it scaled to and why it stopped there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plateau {
    pub current: i32,
    pub desired: i32,
    /// `ScalingLimited=True TooManyReplicas` and the like, when the HPA is held at a bound.
    pub limited: Option<String>,
    /// The state as `hpa_state` shows it.
    pub state: String,
    /// Each resource metric: (name, utilization %, average value), as the HPA read them.
    pub metrics: Vec<(String, Option<i32>, Option<String>)>,
    pub at_max: bool,
}

fn limited(h: &HorizontalPodAutoscaler) -> Option<String> {
    h.status
        .as_ref()?
        .conditions
        .iter()
        .flatten()
        .find(|c| c.type_ == "ScalingLimited" && c.status == "True")
        .map(|c| {
            format!(
                "ScalingLimited=True {}",
                c.reason.clone().unwrap_or_default()
            )
        })
}

fn plateau_of(h: &HorizontalPodAutoscaler, max: i32) -> Option<Plateau> {
    let s = h.status.as_ref()?;
    let current = s.current_replicas.unwrap_or(0);
    Some(Plateau {
        current,
        desired: s.desired_replicas,
        limited: limited(h),
        state: hpa_state(h),
        metrics: s
            .current_metrics
            .iter()
            .flatten()
            .filter_map(|m| m.resource.as_ref())
            .map(|r| {
                (
                    r.name.clone(),
                    r.current.average_utilization,
                    r.current.average_value.as_ref().map(|q| q.0.clone()),
                )
            })
            .collect(),
        at_max: current >= max,
    })
}

/// How many equal readings in a row make a plateau: the controller syncs every 15 s
/// (`--horizontal-pod-autoscaler-sync-period`), so three readings a poll apart are one sync or more
/// without a new proposal.
const PLATEAU_READS: usize = 3;

/// Wait until the HPA reads its metrics and comes to rest before any load: currentReplicas equal to
/// desiredReplicas for `PLATEAU_READS` readings in a row, or at `max` replicas (then at once: it
/// cannot scale any further, whatever the load does). A timeout says it was still rescaling.
pub async fn hpa_settled_within(
    client: &Client,
    ns: &str,
    hpa: &str,
    max: i32,
    deadline: Duration,
    every: Duration,
) -> Result<(Plateau, HpaTimeline), Timeout> {
    let api: Api<HorizontalPodAutoscaler> = Api::namespaced(client.clone(), ns);
    let started = Instant::now();
    let mut timeline = HpaTimeline::default();
    let mut same = 0;
    let mut previous: Option<(i32, i32)> = None;
    let mut last = format!("{hpa} not read yet");
    loop {
        match api.get_opt(hpa).await {
            Ok(Some(h)) => {
                last = hpa_state(&h);
                timeline.record(&h, started.elapsed().as_secs());
                if hpa_has_metrics(Some(&h)) {
                    if let Some(p) = plateau_of(&h, max) {
                        if p.at_max {
                            return Ok((p, timeline));
                        }
                        let now = (p.current, p.desired);
                        same = if p.current == p.desired && previous == Some(now) {
                            same + 1
                        } else if p.current == p.desired {
                            1
                        } else {
                            0
                        };
                        previous = Some(now);
                        if same >= PLATEAU_READS {
                            return Ok((p, timeline));
                        }
                    }
                }
            }
            Ok(None) => last = format!("{hpa} does not exist"),
            Err(e) => last = format!("cannot read {hpa}: {e} (retried until the deadline)"),
        }
        if started.elapsed() >= deadline {
            return Err(Timeout {
                what: format!(
                    "HPA {ns}/{hpa} to come to rest before the load (currentReplicas = desiredReplicas)"
                ),
                after: deadline,
                last: after_waiting(
                    format!("{last}; timeline: {}", timeline.lines.join(" | ")),
                    started,
                ),
            });
        }
        tokio::time::sleep(every).await;
    }
}

/// What made the HPA scale under load.
#[derive(Debug, Clone)]
pub struct ScaleUp {
    /// The rescales seen since the load started (not in the baseline).
    pub rescales: Vec<Rescale>,
    /// desiredReplicas when the scale-up was seen.
    pub desired: i32,
    /// The metric that drove it: the last new rescale's, else the one the HPA reads above target.
    pub metric: String,
    pub timeline: HpaTimeline,
}

/// Poll the HPA while the load runs, at most `deadline`, until it scales above its pre-load
/// plateau: desiredReplicas above the plateau's, or a new SuccessfulRescale (not one of `before`)
/// above the plateau's size.
pub async fn await_scale_up(
    client: &Client,
    ns: &str,
    hpa: &str,
    before: &[Rescale],
    plateau: &Plateau,
    deadline: Duration,
    every: Duration,
) -> Result<ScaleUp, Timeout> {
    let api: Api<HorizontalPodAutoscaler> = Api::namespaced(client.clone(), ns);
    let started = Instant::now();
    let mut timeline = HpaTimeline::default();
    let mut last = String::from("HPA not read yet");
    loop {
        let mut desired = plateau.desired;
        let mut above: Vec<String> = Vec::new();
        if let Ok(h) = api.get(hpa).await {
            last = hpa_state(&h);
            timeline.record(&h, started.elapsed().as_secs());
            if let Some(s) = &h.status {
                desired = s.desired_replicas.max(s.current_replicas.unwrap_or(0));
            }
            above = metrics_above_target(&h);
        }
        let new: Vec<Rescale> = rescales(client, ns, hpa)
            .await
            .unwrap_or_default()
            .into_iter()
            .filter(|r| !before.iter().any(|b| b.occurrence == r.occurrence))
            .collect();
        let rescaled_up = new.iter().rfind(|r| r.new_size as i32 > plateau.current);
        if desired > plateau.desired || rescaled_up.is_some() {
            timeline.scaled_at = timeline.samples.len().checked_sub(1);
            let metric = rescaled_up
                .map(|r| r.metric().to_string())
                .or_else(|| above.first().cloned())
                .unwrap_or_else(|| "unknown".into());
            return Ok(ScaleUp {
                desired: desired.max(rescaled_up.map(|r| r.new_size as i32).unwrap_or(0)),
                rescales: new,
                metric,
                timeline,
            });
        }
        if started.elapsed() >= deadline {
            return Err(Timeout {
                what: format!(
                    "HPA {ns}/{hpa} to scale above its pre-load {} replica(s) (desiredReplicas or a new SuccessfulRescale, after the load started)",
                    plateau.current
                ),
                after: deadline,
                last: after_waiting(
                    format!("{last}; timeline: {}", timeline.lines.join(" | ")),
                    started,
                ),
            });
        }
        tokio::time::sleep(every).await;
    }
}

/// The resource metrics an HPA reads above their target utilization.
pub fn metrics_above_target(h: &HorizontalPodAutoscaler) -> Vec<String> {
    let targets: Vec<(String, i32)> = h
        .spec
        .as_ref()
        .and_then(|s| s.metrics.as_ref())
        .into_iter()
        .flatten()
        .filter_map(|m| m.resource.as_ref())
        .filter_map(|r| Some((r.name.clone(), r.target.average_utilization?)))
        .collect();
    h.status
        .as_ref()
        .and_then(|s| s.current_metrics.as_ref())
        .into_iter()
        .flatten()
        .filter_map(|m| m.resource.as_ref())
        .filter(|r| {
            targets
                .iter()
                .any(|(n, t)| *n == r.name && r.current.average_utilization.is_some_and(|u| u > *t))
        })
        .map(|r| r.name.clone())
        .collect()
}

/// Wait until `want` replicas of the Deployment are ready (readyReplicas), at most `deadline`; fail
/// at once when one of its pods cannot start (ErrImageNeverPull after the kubelet's image GC took
/// the imported image from a node, a crash loop), with its state.
pub async fn replicas_ready_within(
    client: &Client,
    ns: &str,
    name: &str,
    want: i32,
    deadline: Duration,
    every: Duration,
) -> Result<i32, Timeout> {
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), ns);
    let pods: Api<Pod> = Api::namespaced(client.clone(), ns);
    let what = format!("{want} replicas of Deployment {ns}/{name} Ready");
    let started = Instant::now();
    let mut last = format!("{name} not read yet");
    loop {
        match deployments.get_opt(name).await {
            Ok(Some(d)) => {
                let ready = d
                    .status
                    .as_ref()
                    .and_then(|s| s.ready_replicas)
                    .unwrap_or(0);
                last = show_deployment(Some(&d));
                if ready >= want {
                    return Ok(ready);
                }
                if let Ok(list) = pods.list(&selected_by(&d)).await {
                    if let Some(broken) = list.items.iter().find_map(broken_container) {
                        return Err(Timeout {
                            what,
                            after: deadline,
                            last: after_waiting(
                                format!(
                                    "{last}; pod {broken} (stopped waiting: it will not start)"
                                ),
                                started,
                            ),
                        });
                    }
                }
            }
            Ok(None) => last = format!("{name} does not exist"),
            Err(e) => last = format!("cannot read {name}: {e} (retried until the deadline)"),
        }
        if started.elapsed() >= deadline {
            return Err(Timeout {
                what,
                after: deadline,
                last: after_waiting(last, started),
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
