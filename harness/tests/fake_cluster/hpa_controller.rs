//! Lesson 2's HPA as the horizontal-pod-autoscaler controller would drive it, computed, not scripted:
//! each read of the HPA object is one controller sync (`--horizontal-pod-autoscaler-sync-period`,
//! 15 s), and each sync does what upstream does (kubernetes `pkg/controller/podautoscaler`):
//! - `replica_calculator.go` GetResourceReplicas: utilization = usage × 100 / request (integer, as
//!   `metrics/utilization.go` GetResourceUtilizationRatio), usageRatio = utilization / target; within
//!   the tolerance (0.1) the current count stays, else `ceil(usageRatio × readyPods)`; pods without
//!   metrics yet count as 0 % on a scale-up and 100 % on a scale-down, then the ratio is re-run;
//! - `horizontal.go` computeReplicasForMetrics / reconcileAutoscaler: the largest proposal of all
//!   metrics wins and names the rescale reason ("<metric> resource utilization (percentage of
//!   request) above target"); without `spec.behavior` (the lesson sets none, and the API server
//!   defaults none: `pkg/apis/autoscaling/v2/defaults.go` only fills a given behavior),
//!   normalizeDesiredReplicas keeps the highest recommendation of the last 5 minutes on a scale-down
//!   and convertDesiredReplicasWithRules caps a scale-up at max(2 × current, 4) and at maxReplicas,
//!   with ScalingLimited True (ScaleUpLimit / TooManyReplicas) or False (DesiredWithinRange);
//! - a rescale records the event `SuccessfulRescale` "New size: %d; reason: %s", aggregated by
//!   message into one Event with a growing count (client-go `tools/record/events_cache.go`).
//!
//! The app's pods: memory per pod is the app's own (a gunicorn master and worker use the same
//! whatever the load), cpu is an idle figure plus a cost per request the fake traefik served since
//! the last sync. New pods are Ready (with metrics) from the next sync on, unless the image is gone
//! from their node (`ErrImageNeverPull`, as after the kubelet's image GC).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

use super::payloads::{self, strict};
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;

/// What the app uses, per pod, against the lesson's requests (cpu 50m, memory 50Mi).
#[derive(Clone, Copy, Debug)]
pub struct App {
    pub idle_cpu_m: f64,
    /// cpu per request served in a sync window, shared by the ready pods.
    pub cpu_m_per_request: f64,
    pub memory_mib: f64,
    /// Memory per pod in a sync that served more than the lesson's own visits (a load), if it
    /// differs from `memory_mib`.
    pub memory_mib_under_load: Option<f64>,
    /// New pods never become ready: their image is not in the node.
    pub new_pods_never_pull: bool,
}

impl App {
    /// A gunicorn + Flask app that idles well under both targets.
    pub fn quiet() -> Self {
        Self {
            idle_cpu_m: 1.0,
            cpu_m_per_request: 5.0,
            memory_mib: 24.0,
            memory_mib_under_load: None,
            new_pods_never_pull: false,
        }
    }
}

pub const CPU_REQUEST_M: f64 = 50.0;
pub const MEMORY_REQUEST_MIB: f64 = 50.0;
pub const TARGET: i64 = 60;
pub const MIN_REPLICAS: i32 = 1;
pub const MAX_REPLICAS: i32 = 10;
const TOLERANCE: f64 = 0.1;
/// normalizeDesiredReplicas' scale-down stabilization (5 minutes) in 15 s syncs.
const DOWNSCALE_WINDOW_SYNCS: usize = 20;

struct State {
    syncs: u32,
    replicas: i32,
    ready: i32,
    /// Requests the load had served at the last sync.
    seen_requests: u64,
    /// Recommendations of recent syncs (scale-down stabilization).
    recommendations: Vec<i32>,
    events: Vec<Value>,
    status: Value,
}

/// The simulated controller and the Deployment and pods it scales.
#[derive(Clone)]
pub struct HpaController {
    ns: String,
    app: App,
    state: Arc<Mutex<State>>,
    /// Requests the fake traefik served so far (the load's effect on cpu).
    pub served: Arc<AtomicU64>,
}

/// One metric's proposal: (metric, utilization %, average value, proposed replicas).
struct Proposal {
    metric: &'static str,
    utilization: i64,
    average: String,
    replicas: i32,
}

/// GetResourceReplicas for one resource: `usages` of the ready pods with metrics, `missing` pods
/// without metrics yet, all with the same `request`.
fn resource_replicas(current: i32, usages: &[f64], missing: usize, request: f64) -> (i32, i64) {
    let ratio_of = |us: &[f64]| {
        let total: f64 = us.iter().sum();
        let util = ((total * 100.0) / (request * us.len() as f64)) as i64;
        (util as f64 / TARGET as f64, util)
    };
    let (ratio, util) = ratio_of(usages);
    if missing == 0 {
        if (1.0 - ratio).abs() <= TOLERANCE {
            return (current, util);
        }
        return ((ratio * usages.len() as f64).ceil() as i32, util);
    }
    let mut with_missing = usages.to_vec();
    if ratio < 1.0 {
        with_missing.extend(std::iter::repeat_n(request, missing));
    } else if ratio > 1.0 {
        with_missing.extend(std::iter::repeat_n(0.0, missing));
    }
    let (new_ratio, _) = ratio_of(&with_missing);
    if (1.0 - new_ratio).abs() <= TOLERANCE
        || (ratio < 1.0 && new_ratio > 1.0)
        || (ratio > 1.0 && new_ratio < 1.0)
    {
        return (current, util);
    }
    let n = (new_ratio * with_missing.len() as f64).ceil() as i32;
    if (new_ratio < 1.0 && n > current) || (new_ratio > 1.0 && n < current) {
        return (current, util);
    }
    (n, util)
}

fn now() -> String {
    let t = k8s_openapi::jiff::Timestamp::now();
    k8s_openapi::jiff::Timestamp::from_second(t.as_second())
        .unwrap()
        .to_string()
}

impl HpaController {
    pub fn new(ns: &str, app: App) -> Self {
        Self {
            ns: ns.into(),
            app,
            state: Arc::new(Mutex::new(State {
                syncs: 0,
                replicas: 1,
                ready: 1,
                seen_requests: 0,
                recommendations: Vec::new(),
                events: Vec::new(),
                status: json!({"desiredReplicas": 0}),
            })),
            served: Arc::new(AtomicU64::new(0)),
        }
    }

    /// The warning every new HPA records before metrics-server has its pods' first readings
    /// (horizontal.go getUnableComputeReplicaCountCondition: the reason as the event's, the error
    /// as its message), `ago` seconds ago.
    pub fn with_startup_warning(self, ago: i64) -> Self {
        let t = k8s_openapi::jiff::Timestamp::from_second(
            k8s_openapi::jiff::Timestamp::now().as_second() - ago,
        )
        .unwrap()
        .to_string();
        let mut e = payloads::event(
            &self.ns,
            "HorizontalPodAutoscaler",
            "myapp-hpa",
            "FailedGetResourceMetric",
            "failed to get cpu utilization: unable to get metrics for resource cpu: no metrics returned from resource metrics API",
            0,
        );
        e["type"] = json!("Warning");
        e["metadata"]["name"] = json!("myapp-hpa.18800000start");
        for k in ["firstTimestamp", "lastTimestamp"] {
            e[k] = json!(t);
        }
        e["metadata"]["creationTimestamp"] = json!(t);
        self.state.lock().unwrap().events.push(e);
        self
    }

    /// One controller sync; returns the HPA as it is after it.
    pub fn sync(&self) -> Value {
        let mut s = self.state.lock().unwrap();
        s.syncs += 1;
        // pods made at the last sync are Ready with metrics now (unless their image is gone)
        if !self.app.new_pods_never_pull {
            s.ready = s.replicas;
        }
        let current = s.replicas;
        let served = self.served.load(Ordering::SeqCst);
        let window = served.saturating_sub(s.seen_requests);
        s.seen_requests = served;
        let ready = s.ready.max(1) as usize;
        let missing = (current as usize).saturating_sub(ready);
        let cpu = self.app.idle_cpu_m + self.app.cpu_m_per_request * window as f64 / ready as f64;
        // the lesson's own two visits are no load
        let mem = match self.app.memory_mib_under_load {
            Some(m) if window > 2 => m,
            _ => self.app.memory_mib,
        };
        let proposals = [
            (
                "cpu",
                cpu,
                CPU_REQUEST_M,
                format!("{}m", cpu.round() as i64),
            ),
            (
                "memory",
                mem,
                MEMORY_REQUEST_MIB,
                format!("{}", (mem * 1024.0 * 1024.0) as i64),
            ),
        ]
        .map(|(metric, usage, request, average)| {
            let (replicas, utilization) =
                resource_replicas(current, &vec![usage; ready], missing, request);
            Proposal {
                metric,
                utilization,
                average,
                replicas,
            }
        });
        // the largest proposal wins (computeReplicasForMetrics)
        let mut desired = 0;
        let mut metric = "";
        for p in &proposals {
            if p.replicas > desired {
                desired = p.replicas;
                metric = p.metric;
            }
        }
        let reason = if desired > current {
            format!("{metric} resource utilization (percentage of request) above target")
        } else {
            "All metrics below target".into()
        };
        // normalizeDesiredReplicas: scale-down stabilization, then the rules
        s.recommendations.push(desired);
        let window_start = s
            .recommendations
            .len()
            .saturating_sub(DOWNSCALE_WINDOW_SYNCS);
        let stabilized = *s.recommendations[window_start..].iter().max().unwrap();
        let able = if stabilized != desired {
            ("ScaleDownStabilized", "recent recommendations were higher than current one, applying the highest recent recommendation")
        } else {
            ("ReadyForNewScale", "recommended size matches current size")
        };
        let scale_up_limit = (2 * current).max(4);
        let (max_allowed, limit_reason, limit_message) = if MAX_REPLICAS > scale_up_limit {
            (
                scale_up_limit,
                "ScaleUpLimit",
                "the desired replica count is increasing faster than the maximum scale rate",
            )
        } else {
            (
                MAX_REPLICAS,
                "TooManyReplicas",
                "the desired replica count is more than the maximum replica count",
            )
        };
        let (normalized, limited) = if stabilized < MIN_REPLICAS {
            (
                MIN_REPLICAS,
                (
                    "True",
                    "TooFewReplicas",
                    "the desired replica count is less than the minimum replica count",
                ),
            )
        } else if stabilized > max_allowed {
            (max_allowed, ("True", limit_reason, limit_message))
        } else {
            (
                stabilized,
                (
                    "False",
                    "DesiredWithinRange",
                    "the desired count is within the acceptable range",
                ),
            )
        };
        let mut able = (able.0.to_string(), able.1.to_string());
        if normalized != current {
            s.replicas = normalized;
            able = (
                "SucceededRescale".into(),
                format!("the HPA controller was able to update the target scale to {normalized}"),
            );
            let message = format!("New size: {normalized}; reason: {reason}");
            let at = now();
            let syncs = s.syncs;
            if let Some(e) = s.events.iter_mut().find(|e| e["message"] == message) {
                e["count"] = json!(e["count"].as_i64().unwrap() + 1);
                e["lastTimestamp"] = json!(at);
            } else {
                let mut e = payloads::event(
                    &self.ns,
                    "HorizontalPodAutoscaler",
                    "myapp-hpa",
                    "SuccessfulRescale",
                    &message,
                    0,
                );
                e["metadata"]["name"] =
                    json!(format!("myapp-hpa.{:x}", 0x1880_0000u64 + syncs as u64));
                e["metadata"]["creationTimestamp"] = json!(at);
                e["firstTimestamp"] = json!(at);
                e["lastTimestamp"] = json!(at);
                s.events.push(e);
            }
        }
        let desired_status = if normalized != current {
            normalized
        } else {
            current
        };
        s.status = json!({
            "currentReplicas": current,
            "desiredReplicas": desired_status,
            "lastScaleTime": payloads::T0,
            "currentMetrics": proposals.iter().map(|p| json!({"type": "Resource", "resource": {
                "name": p.metric,
                "current": {"averageUtilization": p.utilization, "averageValue": p.average}}})).collect::<Vec<_>>(),
            "conditions": [
                {"type": "AbleToScale", "status": "True", "reason": able.0, "message": able.1, "lastTransitionTime": payloads::T0},
                {"type": "ScalingActive", "status": "True", "reason": "ValidMetricFound", "message": format!("the HPA was able to successfully calculate a replica count from {} resource utilization (percentage of request)", if metric.is_empty() { "cpu" } else { metric }), "lastTransitionTime": payloads::T0},
                {"type": "ScalingLimited", "status": limited.0, "reason": limited.1, "message": limited.2, "lastTransitionTime": payloads::T0}]
        });
        drop(s);
        self.hpa()
    }

    /// The HPA object as last synced.
    pub fn hpa(&self) -> Value {
        let s = self.state.lock().unwrap();
        let mut v = payloads::hpa(&self.ns, payloads::Hpa::New);
        v["status"] = s.status.clone();
        strict::<HorizontalPodAutoscaler>(v)
    }

    pub fn events(&self) -> Vec<Value> {
        self.state.lock().unwrap().events.clone()
    }

    /// The Deployment: pods the last rescale made are started by their kubelets between reads,
    /// so a read after the one that first showed them finds them Ready (unless never pulled).
    pub fn deployment(&self) -> Value {
        let mut s = self.state.lock().unwrap();
        let v = payloads::deployment_scaled(&self.ns, s.replicas, s.ready);
        if !self.app.new_pods_never_pull {
            s.ready = s.replicas;
        }
        v
    }

    /// The Deployment's pods: the ready ones Running, the others waiting (ContainerCreating, or
    /// ErrImageNeverPull when the image is gone from their node).
    pub fn pods(&self) -> Vec<Value> {
        let s = self.state.lock().unwrap();
        (0..s.replicas)
            .map(|i| {
                let name = format!("myapp-5d9c7b8f4-{i:05}");
                let c = if i < s.ready {
                    payloads::Container::Running
                } else if self.app.new_pods_never_pull {
                    payloads::Container::NeverPulled
                } else {
                    payloads::Container::Creating
                };
                payloads::pod(&self.ns, &name, "myapp", c)
            })
            .collect()
    }

    pub fn replicas(&self) -> i32 {
        self.state.lock().unwrap().replicas
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn within_the_tolerance_the_count_stays() {
        // 32 MiB of a 50Mi request is 64 %: |1 - 64/60| = 0.067 <= 0.1
        assert_eq!(resource_replicas(1, &[32.0], 0, 50.0), (1, 64));
        // 36 MiB is 72 %: ceil(1.2 × 1) = 2, and every new pod uses the same, so 2 → 3 → …
        assert_eq!(resource_replicas(1, &[36.0], 0, 50.0), (2, 72));
        assert_eq!(resource_replicas(2, &[36.0, 36.0], 0, 50.0), (3, 72));
    }
}
