//! API payloads as a real k3s cluster serves them, each built after the upstream source named on it
//! and decoded strictly through its k8s-openapi type when built (an unknown or a missing required
//! field panics the test that made it): hand-shaped payloads hid failures of the first real run.

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::core::v1::{Event, Node, Pod};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::Ingress;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};

/// `value`, after checking that it decodes as `K` with no unknown and no missing required field
/// (decode → encode round trip: k8s-openapi drops unknown keys and fills missing required ones).
pub fn strict<K: DeserializeOwned + Serialize>(value: Value) -> Value {
    let typed: K = serde_path_to_error::deserialize(&value).unwrap_or_else(|e| {
        panic!(
            "payload does not decode as {}: {e}\n{value:#}",
            std::any::type_name::<K>()
        )
    });
    let back = serde_json::to_value(&typed).unwrap();
    let mut problems = Vec::new();
    diff(&value, &back, String::new(), &mut problems);
    assert!(
        problems.is_empty(),
        "payload is not what the API serves: {problems:?}\n{value:#}"
    );
    value
}

fn diff(input: &Value, back: &Value, path: String, out: &mut Vec<String>) {
    match (input, back) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in a {
                match b.get(k) {
                    Some(bv) => diff(v, bv, format!("{path}.{k}"), out),
                    None if v.is_null() => {}
                    None => out.push(format!("unknown field {path}.{k}")),
                }
            }
            for k in b.keys().filter(|k| !a.contains_key(*k)) {
                out.push(format!("missing required field {path}.{k}"));
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            for (i, (v, bv)) in a.iter().zip(b).enumerate() {
                diff(v, bv, format!("{path}[{i}]"), out);
            }
        }
        _ => {}
    }
}

/// A list as the API server encodes it: `kind: <Kind>List` and the apiVersion of the kind's group
/// (apimachinery `pkg/apis/meta/v1/types.go` ListMeta; `List<K>` holds k8s-openapi to the same).
pub fn list<
    K: k8s_openapi::Resource + DeserializeOwned + Serialize + k8s_openapi::ListableResource,
>(
    items: Vec<Value>,
) -> Value {
    let v = json!({"apiVersion": K::API_VERSION, "kind": format!("{}List", K::KIND),
        "metadata": {"resourceVersion": "2001"}, "items": items});
    let typed: k8s_openapi::List<K> =
        serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("list does not decode: {e}"));
    assert_eq!(
        serde_json::to_value(&typed).unwrap()["apiVersion"],
        v["apiVersion"]
    );
    v
}

pub const T0: &str = "2026-11-27T10:00:00Z";

fn ts(seconds: u32) -> String {
    format!("2026-11-27T10:{:02}:{:02}Z", seconds / 60, seconds % 60)
}

/// The lesson's Deployment `myapp` (`app: myapp`), with the status the deployment controller
/// writes: `pkg/controller/deployment/sync.go` (calculateStatus: observedGeneration, replicas,
/// updated/ready/available/unavailableReplicas) and the condition reasons and messages of
/// `pkg/controller/deployment/util/deployment_util.go` (MinimumReplicasAvailable /
/// MinimumReplicasUnavailable, NewReplicaSetAvailable / ReplicaSetUpdated).
pub fn deployment(ns: &str, ready: i32) -> Value {
    deployment_scaled(ns, 1, ready)
}

/// The Deployment scaled to `replicas` (by the HPA: `spec.replicas` is what the scale subresource
/// wrote), `ready` of them ready. Available when at least `replicas - maxUnavailable` are, the
/// default maxUnavailable being 25 % rounded down (`pkg/controller/deployment/util/deployment_util.go`
/// MaxUnavailable, GetScaledValueFromIntOrPercent with roundUp false).
pub fn deployment_scaled(ns: &str, replicas: i32, ready: i32) -> Value {
    let available = ready >= 1 && ready >= replicas - replicas / 4;
    let (a_reason, a_msg) = if available {
        (
            "MinimumReplicasAvailable",
            "Deployment has minimum availability.",
        )
    } else {
        (
            "MinimumReplicasUnavailable",
            "Deployment does not have minimum availability.",
        )
    };
    let (p_reason, p_msg) = if available {
        (
            "NewReplicaSetAvailable",
            "ReplicaSet \"myapp-5d9c7b8f4\" has successfully progressed.",
        )
    } else {
        (
            "ReplicaSetUpdated",
            "ReplicaSet \"myapp-5d9c7b8f4\" is progressing.",
        )
    };
    let mut status = json!({"observedGeneration": 1, "replicas": replicas, "updatedReplicas": replicas,
        "conditions": [
            {"type": "Available", "status": if available { "True" } else { "False" }, "reason": a_reason, "message": a_msg, "lastUpdateTime": T0, "lastTransitionTime": T0},
            {"type": "Progressing", "status": "True", "reason": p_reason, "message": p_msg, "lastUpdateTime": T0, "lastTransitionTime": T0}]});
    if ready > 0 {
        status["readyReplicas"] = json!(ready);
        status["availableReplicas"] = json!(ready);
    }
    if replicas > ready {
        status["unavailableReplicas"] = json!(replicas - ready);
    }
    strict::<Deployment>(json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "myapp", "namespace": ns, "generation": 1, "resourceVersion": "1101", "uid": "0e6c1a52-5b1e-4a0f-9d0c-1d2f3a4b5c6d", "creationTimestamp": T0},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "myapp"}},
            "template": {"metadata": {"labels": {"app": "myapp"}}, "spec": {"containers": [{"name": "myapp", "image": "myapp:latest", "imagePullPolicy": "Never"}]}}},
        "status": status}))
}

/// What a container of the lesson's pod is doing, as kubelet reports it
/// (`pkg/kubelet/kubelet_pods.go` convertToAPIContainerStatuses; the back-off message of
/// `pkg/kubelet/kuberuntime/kuberuntime_manager.go` doBackOff).
#[derive(Clone, Copy)]
pub enum Container {
    Running,
    /// Exited 1 at import and waits out its restart back-off.
    CrashLoop {
        restarts: i32,
    },
    /// `imagePullPolicy: Never` and the image is not in the node.
    NeverPulled,
    /// Its image cannot be pulled: kubelet backs off (`ImagePullBackOff`, pkg/kubelet/images/types.go).
    PullBackOff,
    /// Just scheduled: the container is being created (kubelet's waiting reason
    /// `ContainerCreating`, pkg/kubelet/kubelet_pods.go).
    Creating,
}

pub fn pod(ns: &str, name: &str, app: &str, c: Container) -> Value {
    let running = matches!(c, Container::Running);
    let (state, last, restarts) = match c {
        Container::Running => (json!({"running": {"startedAt": T0}}), json!({}), 0),
        Container::CrashLoop { restarts } => (
            json!({"waiting": {"reason": "CrashLoopBackOff", "message": format!("back-off 10s restarting failed container={app} pod={name}_{ns}(8d1f2c3b-4a5e-4f60-8a7b-9c0d1e2f3a4b)")}}),
            json!({"terminated": {"exitCode": 1, "reason": "Error", "startedAt": ts(3), "finishedAt": ts(4), "containerID": "containerd://4f1c0b9e"}}),
            restarts,
        ),
        Container::NeverPulled => (
            json!({"waiting": {"reason": "ErrImageNeverPull", "message": "Container image \"myapp:latest\" is not present with pull policy of Never"}}),
            json!({}),
            0,
        ),
        Container::PullBackOff => (
            json!({"waiting": {"reason": "ImagePullBackOff", "message": format!("Back-off pulling image \"rancher/mirrored-library-{app}:3.3.6\"")}}),
            json!({}),
            0,
        ),
        Container::Creating => (
            json!({"waiting": {"reason": "ContainerCreating"}}),
            json!({}),
            0,
        ),
    };
    let ready_status = if running { "True" } else { "False" };
    strict::<Pod>(json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": ns, "labels": {"app": app, "pod-template-hash": "5d9c7b8f4"}, "resourceVersion": "1201", "uid": "8d1f2c3b-4a5e-4f60-8a7b-9c0d1e2f3a4b", "creationTimestamp": T0},
        "spec": {"containers": [{"name": app, "image": "myapp:latest"}], "nodeName": "k3d-yadoc-agent-0",
            "volumes": [{"name": "kube-api-access-wcl8p", "projected": {"defaultMode": 420, "sources": [{"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}}]}}]},
        "status": {"phase": if matches!(c, Container::NeverPulled | Container::Creating | Container::PullBackOff) { "Pending" } else { "Running" },
            "conditions": [{"type": "Ready", "status": ready_status, "lastTransitionTime": T0}],
            "containerStatuses": [{"name": app, "image": "docker.io/library/myapp:latest", "imageID": if matches!(c, Container::NeverPulled | Container::Creating | Container::PullBackOff) { "" } else { "sha256:7b3c" },
                "ready": running, "started": running, "restartCount": restarts, "state": state, "lastState": last}]}}))
}

/// An Event as the core/v1 recorder writes it (client-go `tools/record/event.go` makeEvent:
/// name `<object>.<hex>`, source component, first/last timestamp, count aggregated by
/// `tools/record/events_cache.go`).
pub fn event(ns: &str, kind: &str, name: &str, reason: &str, message: &str, at: u32) -> Value {
    let (component, type_) = match kind {
        "HorizontalPodAutoscaler" => ("horizontal-pod-autoscaler", "Normal"),
        // kubelet's image events: Failed (to pull) and BackOff are Warnings (pkg/kubelet/events)
        _ if reason.starts_with("Err") || reason == "BackOff" || reason == "Failed" => {
            ("kubelet", "Warning")
        }
        _ => ("kubelet", "Normal"),
    };
    let api_version = match kind {
        "HorizontalPodAutoscaler" => "autoscaling/v2",
        "Deployment" => "apps/v1",
        _ => "v1",
    };
    strict::<Event>(json!({"apiVersion": "v1", "kind": "Event",
        "metadata": {"name": format!("{name}.{:x}", 0x187c_0000_0000u64 + at as u64), "namespace": ns, "resourceVersion": format!("{}", 3000 + at), "uid": format!("e0000000-0000-4000-8000-{at:012}"), "creationTimestamp": ts(at)},
        "involvedObject": {"apiVersion": api_version, "kind": kind, "name": name, "namespace": ns, "uid": "0e6c1a52-5b1e-4a0f-9d0c-1d2f3a4b5c6d"},
        "reason": reason, "message": message, "type": type_, "count": 1,
        "source": {"component": component}, "firstTimestamp": ts(at), "lastTimestamp": ts(at),
        "eventTime": null, "reportingComponent": component, "reportingInstance": ""}))
}

/// An event that keeps happening: its lastTimestamp is now and its count above 1
/// (as the recorder aggregates a repeat, client-go `tools/record/events_cache.go`).
pub fn repeated_now(mut e: Value) -> Value {
    let t = k8s_openapi::jiff::Timestamp::now();
    let now = k8s_openapi::jiff::Timestamp::from_second(t.as_second())
        .unwrap()
        .to_string();
    e["lastTimestamp"] = json!(now);
    e["count"] = json!(2 + (t.as_second() % 7));
    strict::<Event>(e)
}

/// The HPA's `SuccessfulRescale` event: "New size: %d; reason: %s"
/// (k8s `pkg/controller/podautoscaler/horizontal.go`, reconcileAutoscaler).
pub fn rescale(ns: &str, size: u32, metric: &str, at: u32) -> Value {
    event(ns, "HorizontalPodAutoscaler", "myapp-hpa", "SuccessfulRescale",
        &format!("New size: {size}; reason: {metric} resource utilization (percentage of request) above target"), at)
}

/// The lesson 2 HPA (`myapp-hpa`, cpu and memory at 60 %) in one of the states its controller
/// writes (k8s `pkg/controller/podautoscaler/horizontal.go`: setCondition calls, and
/// `horizontal_test.go` for the messages).
pub enum Hpa {
    /// Created, not yet synced: no conditions, no metrics, desiredReplicas 0.
    New,
    /// Reads metrics: cpu and memory utilization, AbleToScale / ScalingActive / ScalingLimited.
    Reading {
        replicas: i32,
        cpu: i32,
        memory: i32,
    },
    /// metrics-server gives nothing: a currentMetrics entry `{"type": ""}` per failing metric and
    /// ScalingActive=False FailedGetResourceMetric.
    Blind,
}

pub fn hpa(ns: &str, state: Hpa) -> Value {
    let status = match state {
        Hpa::New => json!({"desiredReplicas": 0}),
        Hpa::Reading {
            replicas,
            cpu,
            memory,
        } => json!({"currentReplicas": replicas, "desiredReplicas": replicas, "lastScaleTime": T0,
            "currentMetrics": [
                {"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": cpu, "averageValue": format!("{}m", cpu / 2)}}},
                {"type": "Resource", "resource": {"name": "memory", "current": {"averageUtilization": memory, "averageValue": format!("{}Mi", memory / 2)}}}],
            "conditions": [
                {"type": "AbleToScale", "status": "True", "reason": "ReadyForNewScale", "message": "recommended size matches current size", "lastTransitionTime": T0},
                {"type": "ScalingActive", "status": "True", "reason": "ValidMetricFound", "message": "the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)", "lastTransitionTime": T0},
                {"type": "ScalingLimited", "status": "False", "reason": "DesiredWithinRange", "message": "the desired count is within the acceptable range", "lastTransitionTime": T0}]}),
        Hpa::Blind => json!({"currentReplicas": 1, "desiredReplicas": 0,
            "currentMetrics": [{"type": ""}, {"type": ""}],
            "conditions": [
                {"type": "AbleToScale", "status": "True", "reason": "SucceededGetScale", "message": "the HPA controller was able to get the target's current scale", "lastTransitionTime": T0},
                {"type": "ScalingActive", "status": "False", "reason": "FailedGetResourceMetric", "message": "the HPA was unable to compute the replica count: failed to get cpu utilization: unable to get metrics for resource cpu: no metrics returned from resource metrics API", "lastTransitionTime": T0}]}),
    };
    strict::<HorizontalPodAutoscaler>(
        json!({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "myapp-hpa", "namespace": ns, "resourceVersion": "1301", "uid": "5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d", "creationTimestamp": T0},
        "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "myapp"}, "minReplicas": 1, "maxReplicas": 10,
            "metrics": [
                {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 60}}},
                {"type": "Resource", "resource": {"name": "memory", "target": {"type": "Utilization", "averageUtilization": 60}}}]},
        "status": status}),
    )
}

/// k3s' traefik pod in kube-system, whose image the node cannot pull.
pub fn traefik_pulling() -> Value {
    let mut p = pod(
        "kube-system",
        "traefik-6b9f6b5c4-7xq2d",
        "traefik",
        Container::PullBackOff,
    );
    p["spec"]["containers"][0]["image"] = json!("rancher/mirrored-library-traefik:3.3.6");
    p["status"]["containerStatuses"][0]["image"] =
        json!("docker.io/rancher/mirrored-library-traefik:3.3.6");
    strict::<Pod>(p)
}

/// The Ingress before any load balancer serves it: `status.loadBalancer` empty.
pub fn ingress_unaddressed(ns: &str) -> Value {
    let mut i = ingress(ns);
    i["status"] = json!({"loadBalancer": {}});
    strict::<Ingress>(i)
}

/// The lesson's Ingress with the address klipper-lb / traefik give it (k3s `pkg/cloudprovider`
/// servicelb writes the nodes' IPs into the load balancer status).
pub fn ingress(ns: &str) -> Value {
    strict::<Ingress>(
        json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
        "metadata": {"name": "myapp-ingress", "namespace": ns, "resourceVersion": "1401", "uid": "6b7c8d9e-0f1a-4b2c-8d3e-4f5a6b7c8d9e", "creationTimestamp": T0},
        "spec": {"rules": [{"host": "myapp.local", "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "myapp-service", "port": {"number": 80}}}}]}}]},
        "status": {"loadBalancer": {"ingress": [{"ip": "172.18.0.3"}, {"ip": "172.18.0.4"}]}}}),
    )
}

/// The Service's EndpointSlice (`kubernetes.io/service-name` label, endpoints with conditions:
/// k8s `pkg/controller/endpointslice/reconciler.go`); `ready: false` for a pod that is not ready.
pub fn endpoint_slice(ns: &str, service: &str, pod: &str, ready: bool) -> Value {
    strict::<EndpointSlice>(
        json!({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
        "metadata": {"name": format!("{service}-x7k2p"), "namespace": ns, "resourceVersion": "1501", "uid": "7c8d9e0f-1a2b-4c3d-8e4f-5a6b7c8d9e0f", "creationTimestamp": T0,
            "labels": {"kubernetes.io/service-name": service, "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io"}},
        "addressType": "IPv4",
        "endpoints": [{"addresses": ["10.42.1.5"], "conditions": {"ready": ready, "serving": ready, "terminating": false},
            "targetRef": {"kind": "Pod", "name": pod, "namespace": ns, "uid": "8d1f2c3b-4a5e-4f60-8a7b-9c0d1e2f3a4b"}, "nodeName": "k3d-yadoc-agent-0"}],
        "ports": [{"name": "", "port": 5000, "protocol": "TCP"}]}),
    )
}

/// A k3s server node. k3s labels every server control-plane and master; with embedded etcd its
/// metadata controller adds `node-role.kubernetes.io/etcd=true` and the etcd annotations on the
/// node's first sync, after the node registered (k3s `pkg/etcd/metadata_controller.go`, handleSelf).
pub fn server_node(name: &str, etcd: bool) -> Value {
    let mut labels = json!({"kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "node-role.kubernetes.io/control-plane": "true", "node-role.kubernetes.io/master": "true"});
    let mut annotations = json!({"k3s.io/node-args": "[\"server\"]"});
    if etcd {
        labels["node-role.kubernetes.io/etcd"] = json!("true");
        annotations["etcd.k3s.cattle.io/node-name"] = json!(format!("{name}-3f4a2b1c"));
        annotations["etcd.k3s.cattle.io/node-address"] = json!("172.18.0.3");
    }
    strict::<Node>(json!({"apiVersion": "v1", "kind": "Node",
        "metadata": {"name": name, "labels": labels, "annotations": annotations, "resourceVersion": "901", "uid": "9e0f1a2b-3c4d-4e5f-8a6b-7c8d9e0f1a2b", "creationTimestamp": T0}}))
}

/// The Python traceback of the lesson's app under Werkzeug 3, as `kubectl logs` shows it.
pub const URL_QUOTE_TRACEBACK: &str = "Traceback (most recent call last):\n  File \"/app/app.py\", line 1, in <module>\n    from flask import Flask\n  File \"/usr/local/lib/python3.9/site-packages/flask/__init__.py\", line 7, in <module>\n    from .app import Flask as Flask\n  File \"/usr/local/lib/python3.9/site-packages/flask/app.py\", line 28, in <module>\n    from . import cli\n  File \"/usr/local/lib/python3.9/site-packages/flask/helpers.py\", line 16, in <module>\n    from werkzeug.urls import url_quote\nImportError: cannot import name 'url_quote' from 'werkzeug.urls' (/usr/local/lib/python3.9/site-packages/werkzeug/urls.py)\n";
