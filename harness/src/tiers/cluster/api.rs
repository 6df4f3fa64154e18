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

fn deployment_available(d: Option<&Deployment>) -> bool {
    d.and_then(|d| d.status.as_ref())
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
                        "{}={} ({})",
                        c.type_,
                        c.status,
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

pub async fn deployment_available_within(
    client: &Client,
    ns: &str,
    name: &str,
    deadline: Duration,
) -> Result<Deployment, Timeout> {
    let api: Api<Deployment> = Api::namespaced(client.clone(), ns);
    wait(
        api,
        name,
        &format!("Deployment {ns}/{name} available"),
        deadline,
        deployment_available,
        show_deployment,
    )
    .await
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
                if let Ok(log) = pods
                    .logs(
                        &name,
                        &LogParams {
                            tail_lines: Some(15),
                            ..LogParams::default()
                        },
                    )
                    .await
                {
                    if !log.trim().is_empty() {
                        out.push(format!("log of {name} (last lines):\n{}", log.trim_end()));
                    }
                }
            }
        }
        Err(e) => out.push(format!("cannot list pods: {e}")),
    }
    let events: Api<Event> = Api::namespaced(client.clone(), ns);
    if let Ok(list) = events.list(&ListParams::default()).await {
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
}

/// `New size: 8; reason: memory resource utilization (percentage of request) above target`
pub fn parse_rescale(message: &str) -> Option<Rescale> {
    let rest = message.strip_prefix("New size: ")?;
    let (size, reason) = rest.split_once("; reason: ")?;
    Some(Rescale {
        new_size: size.trim().parse().ok()?,
        reason: reason.trim().to_string(),
    })
}

/// The HPA's SuccessfulRescale events so far.
pub async fn rescales(client: &Client, ns: &str, hpa: &str) -> Result<Vec<Rescale>, String> {
    let events: Api<Event> = Api::namespaced(client.clone(), ns);
    let lp = ListParams::default().fields(&format!(
        "involvedObject.name={hpa},reason=SuccessfulRescale"
    ));
    let list = events.list(&lp).await.map_err(|e| e.to_string())?;
    Ok(list
        .items
        .iter()
        .filter_map(|e| parse_rescale(e.message.as_deref()?))
        .collect())
}

/// Poll the HPA until a SuccessfulRescale to more than one replica, at most `deadline`; returns the
/// rescales and the replica timeline seen.
pub async fn await_scale_up(
    client: &Client,
    ns: &str,
    hpa: &str,
    deadline: Duration,
    every: Duration,
) -> Result<(Vec<Rescale>, Vec<String>), Timeout> {
    let api: Api<HorizontalPodAutoscaler> = Api::namespaced(client.clone(), ns);
    let started = Instant::now();
    let mut timeline = Vec::new();
    let mut last = String::from("HPA not read yet");
    loop {
        if let Ok(h) = api.get(hpa).await {
            last = hpa_state(&h);
            let entry = format!("+{}s {}", started.elapsed().as_secs(), last);
            if timeline
                .last()
                .map(|l: &String| l.split_once(' ').map(|x| x.1))
                != Some(Some(last.as_str()))
            {
                timeline.push(entry);
            }
        }
        let up: Vec<Rescale> = rescales(client, ns, hpa).await.unwrap_or_default();
        if up.iter().any(|r| r.new_size > 1) {
            return Ok((up, timeline));
        }
        if started.elapsed() >= deadline {
            return Err(Timeout {
                what: format!(
                    "HPA {ns}/{hpa} to scale above 1 replica (a SuccessfulRescale event)"
                ),
                after: deadline,
                last: format!("{last}; timeline: {}", timeline.join(" | ")),
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
