//! Contract tests of the cluster tier. k3d and its k3s image cannot be had on this machine, so these
//! tests NEVER claim a cluster ran: fake `k3d`, `docker`, `kubectl`, `curl` (fixtures/fakes/fake-cli)
//! record their arguments and replay outputs, and the Kubernetes API is served through kube's mock
//! service (tower-test) from payloads in the API's exact JSON shape. They prove the command sequence
//! per lesson, the isolation rewrites, the waits, assertions and diagnostics, and that every failure
//! path cleans up. The real runs are `#[ignore = "needs docker + k3d"]` at the end of this file.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http::{Request, Response};
use kube::client::Body;
use serde_json::{json, Value};
use yadoc::checks::finding::{Outcome, Status};
use yadoc::lesson::Lesson;
use yadoc::tiers::cluster::{self, exec, tools::Tools};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn lesson(dir: &str, name: &str) -> Lesson {
    Lesson::load(&root().join(dir).join(name)).unwrap()
}

// ---------- the fake CLIs ----------

struct Fakes {
    dir: tempfile::TempDir,
    rules: Vec<Value>,
}

impl Fakes {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        for p in ["k3d", "docker", "kubectl", "curl", "yq"] {
            std::os::unix::fs::symlink(root().join("fixtures/fakes/fake-cli"), dir.path().join(p))
                .unwrap();
        }
        Self {
            dir,
            rules: vec![kubeconfig_rule()],
        }
    }

    fn rule(mut self, r: Value) -> Self {
        // later rules are more specific: they go first
        self.rules.insert(0, r);
        self
    }

    fn tools(&self) -> Tools {
        let rules = self.dir.path().join("rules.json");
        std::fs::write(&rules, serde_json::to_string(&self.rules).unwrap()).unwrap();
        let bin = |p: &str| self.dir.path().join(p).display().to_string();
        Tools {
            k3d: bin("k3d"),
            docker: bin("docker"),
            kubectl: bin("kubectl"),
            curl: Some(bin("curl")),
            yq: None,
            env: vec![
                (
                    "YADOC_FAKE_LOG".into(),
                    self.log_path().display().to_string(),
                ),
                ("YADOC_FAKE_RULES".into(), rules.display().to_string()),
            ],
        }
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("calls.jsonl")
    }

    /// Every call, as `program arg arg …`.
    fn calls(&self) -> Vec<String> {
        std::fs::read_to_string(self.log_path())
            .unwrap_or_default()
            .lines()
            .map(|l| {
                let v: Value = serde_json::from_str(l).unwrap();
                let args: Vec<String> = v["args"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|a| a.as_str().unwrap().to_string())
                    .collect();
                format!("{} {}", v["program"].as_str().unwrap(), args.join(" "))
            })
            .collect()
    }
}

/// `k3d kubeconfig write NAME --output PATH` writes a kubeconfig with certificate data (base64 of
/// "CA", "CERT", "KEY"), as k3d does.
fn kubeconfig_rule() -> Value {
    json!({"program": "k3d", "match": ["kubeconfig write"], "write_after": "--output", "content":
        "apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: Q0E=\n    server: https://127.0.0.1:6443\n  name: k3d-x\ncontexts:\n- context:\n    cluster: k3d-x\n    user: admin@k3d-x\n  name: k3d-x\ncurrent-context: k3d-x\nkind: Config\npreferences: {}\nusers:\n- name: admin@k3d-x\n  user:\n    client-certificate-data: Q0VSVA==\n    client-key-data: S0VZ\n"})
}

// ---------- the Kubernetes API, through kube's mock service ----------

/// Responses by request path (query ignored); a list of responses is served in order, the last one
/// repeating. Watch requests get an empty stream after a short pause.
#[derive(Clone, Default)]
struct RecordedApi {
    routes: Arc<Mutex<BTreeMap<String, Vec<Value>>>>,
    seen: Arc<Mutex<Vec<String>>>,
}

impl RecordedApi {
    fn route(self, path: &str, responses: Vec<Value>) -> Self {
        self.routes
            .lock()
            .unwrap()
            .insert(path.to_string(), responses);
        self
    }

    fn connector(&self) -> exec::Connector {
        let api = self.clone();
        Box::new(move |_kubeconfig: PathBuf| {
            let api = api.clone();
            Box::pin(async move {
                let (svc, mut handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
                tokio::spawn(async move {
                    while let Some((req, send)) = handle.next_request().await {
                        let path = req.uri().path().to_string();
                        let watch = req.uri().query().is_some_and(|q| q.contains("watch=true"));
                        api.seen.lock().unwrap().push(req.uri().to_string());
                        if watch {
                            tokio::time::sleep(Duration::from_millis(100)).await;
                            send.send_response(
                                Response::builder()
                                    .status(200)
                                    .body(Body::from(Vec::new()))
                                    .unwrap(),
                            );
                            continue;
                        }
                        let body = {
                            let mut routes = api.routes.lock().unwrap();
                            routes.get_mut(&path).map(|r| {
                                if r.len() > 1 {
                                    r.remove(0)
                                } else {
                                    r[0].clone()
                                }
                            })
                        };
                        let (status, body) = match body {
                            Some(b) => (200, b),
                            None => (
                                404,
                                json!({"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound", "code": 404, "message": format!("{path} not found")}),
                            ),
                        };
                        let body = if path.ends_with("/log") {
                            body.as_str().unwrap_or("").as_bytes().to_vec()
                        } else {
                            serde_json::to_vec(&body).unwrap()
                        };
                        send.send_response(
                            Response::builder()
                                .status(status)
                                .body(Body::from(body))
                                .unwrap(),
                        );
                    }
                });
                Ok(kube::Client::new(svc, "default"))
            })
        })
    }
}

fn list(kind: &str, items: Vec<Value>) -> Value {
    json!({"apiVersion": "v1", "kind": format!("{kind}List"), "metadata": {"resourceVersion": "100"}, "items": items})
}

fn deployment(ns: &str, available: bool) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "myapp", "namespace": ns, "resourceVersion": "101"},
        "spec": {"selector": {"matchLabels": {"app": "myapp"}}, "template": {"metadata": {"labels": {"app": "myapp"}}, "spec": {"containers": [{"name": "myapp", "image": "myapp:latest"}]}}},
        "status": {"replicas": 1, "readyReplicas": if available { 1 } else { 0 },
            "conditions": [{"type": "Available", "status": if available { "True" } else { "False" }, "reason": if available { "MinimumReplicasAvailable" } else { "MinimumReplicasUnavailable" }, "message": if available { "Deployment has minimum availability." } else { "Deployment does not have minimum availability." }}]}})
}

fn ingress(ns: &str) -> Value {
    json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "myapp-ingress", "namespace": ns, "resourceVersion": "102"},
        "spec": {"rules": [{"host": "myapp.local"}]}, "status": {"loadBalancer": {"ingress": [{"ip": "172.18.0.3"}, {"ip": "172.18.0.4"}]}}})
}

fn pod(ns: &str, name: &str, phase: &str, waiting: Option<(&str, &str)>, volume: &str) -> Value {
    let mut status = json!({"phase": phase, "containerStatuses": [{"name": name, "image": "x", "imageID": "", "ready": phase == "Running", "restartCount": 0, "state": {"running": {}}}]});
    if let Some((reason, message)) = waiting {
        status["containerStatuses"][0]["state"] =
            json!({"waiting": {"reason": reason, "message": message}});
    }
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": ns, "resourceVersion": "103"},
        "spec": {"containers": [{"name": name, "image": "x"}], "volumes": [{"name": volume, "projected": {"sources": []}}]}, "status": status})
}

fn event(ns: &str, kind: &str, name: &str, reason: &str, message: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Event", "metadata": {"name": format!("{name}.1"), "namespace": ns}, "type": "Normal",
        "reason": reason, "message": message, "involvedObject": {"kind": kind, "name": name, "namespace": ns}})
}

fn hpa(ns: &str, replicas: i32) -> Value {
    json!({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "myapp-hpa", "namespace": ns, "resourceVersion": "104"},
        "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "myapp"}, "maxReplicas": 10},
        "status": {"currentReplicas": replicas, "desiredReplicas": replicas,
            "currentMetrics": [{"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": 85}}}, {"type": "Resource", "resource": {"name": "memory", "current": {"averageUtilization": 72}}}],
            "conditions": [{"type": "ScalingActive", "status": "True", "reason": "ValidMetricFound"}]}})
}

fn node(name: &str, etcd: bool) -> Value {
    let mut labels = json!({"node-role.kubernetes.io/control-plane": "true"});
    if etcd {
        labels["node-role.kubernetes.io/etcd"] = json!("true");
    }
    json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": labels}})
}

/// The API of a healthy lesson 1 or 2 cluster in namespace `ns`.
fn healthy(ns: &str) -> RecordedApi {
    RecordedApi::default()
        .route(
            &format!("/apis/apps/v1/namespaces/{ns}/deployments"),
            vec![list("Deployment", vec![deployment(ns, true)])],
        )
        .route(
            &format!("/apis/apps/v1/namespaces/{ns}/deployments/myapp"),
            vec![deployment(ns, true)],
        )
        .route(
            &format!("/apis/networking.k8s.io/v1/namespaces/{ns}/ingresses"),
            vec![list("Ingress", vec![ingress(ns)])],
        )
        .route(
            &format!("/apis/networking.k8s.io/v1/namespaces/{ns}/ingresses/myapp-ingress"),
            vec![ingress(ns)],
        )
        .route(
            &format!("/api/v1/namespaces/{ns}/pods"),
            vec![list(
                "Pod",
                vec![pod(ns, "myapp-5d9c", "Running", None, "kube-api-access-x")],
            )],
        )
        .route(
            &format!("/api/v1/namespaces/{ns}/events"),
            vec![list("Event", vec![])],
        )
        .route(
            &format!("/apis/autoscaling/v2/namespaces/{ns}/horizontalpodautoscalers"),
            vec![list("HorizontalPodAutoscaler", vec![hpa(ns, 1)])],
        )
}

// ---------- an app behind the "load balancer": a local HTTP server on the port the run maps ----------

/// Serves `status` + `body` on 127.0.0.1; returns its port.
fn http_server(status: u16, body: Vec<u8>) -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { return };
            let body = body.clone();
            std::thread::spawn(move || {
                use std::io::{Read, Write};
                let mut buf = [0u8; 4096];
                while let Ok(n) = s.read(&mut buf) {
                    if n == 0 {
                        return;
                    }
                    let head = format!(
                        "HTTP/1.1 {status} X\r\ncontent-length: {}\r\n\r\n",
                        body.len()
                    );
                    if s.write_all(head.as_bytes())
                        .and_then(|_| s.write_all(&body))
                        .is_err()
                    {
                        return;
                    }
                }
            });
        }
    });
    port
}

fn fast() -> exec::Deadlines {
    exec::Deadlines {
        command: Duration::from_secs(30),
        ready: Duration::from_secs(2),
        http: Duration::from_secs(2),
        hpa: Duration::from_secs(3),
        poll: Duration::from_millis(200),
    }
}

fn run(l: &Lesson, fakes: &Fakes, api: &RecordedApi, ports: &[(u16, u16)]) -> Outcome {
    let (outcome, dir) = cluster::run_with(l, fakes.tools(), api.connector(), fast(), ports);
    assert!(
        !dir.exists(),
        "the run's directory {} is left behind",
        dir.display()
    );
    outcome
}

/// A command with what each run picks for itself (cluster hash, temp dir, free port, fake paths)
/// replaced by placeholders, so a plan and a run can be compared word for word.
fn normalize(c: &str) -> String {
    let re = |p: &str| regex::Regex::new(p).unwrap();
    let c = re(r"/tmp/\.tmp[A-Za-z0-9]+/").replace_all(c, "");
    let c = re(r"yadoc-[0-9a-f]{8}").replace_all(&c, "yadoc-<run>");
    let c = re(r"lesson(\d):[0-9a-f]{8}").replace_all(&c, "lesson$1:<run>");
    let c = re(r"/tmp/yadoc-[^ ]*/kubeconfig-").replace_all(&c, "<dir>/kubeconfig-");
    let c = re(r"127\.0\.0\.1:\d+").replace_all(&c, "127.0.0.1:<port>");
    c.into_owned()
}

/// The first words of each command (program and verb), for the sequence.
fn shapes(calls: &[String]) -> Vec<String> {
    calls
        .iter()
        .map(|c| {
            normalize(c)
                .split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

fn cluster_names(calls: &[String]) -> Vec<String> {
    calls
        .iter()
        .filter_map(|c| c.strip_prefix("k3d cluster create "))
        .map(|r| r.split_whitespace().next().unwrap().to_string())
        .collect()
}

/// Every cluster created was deleted, after every other command.
fn assert_cleaned_up(fakes: &Fakes) {
    let calls = fakes.calls();
    for name in cluster_names(&calls) {
        let del = calls
            .iter()
            .rposition(|c| *c == format!("k3d cluster delete {name}"));
        assert!(del.is_some(), "cluster {name} never deleted: {calls:#?}");
    }
}

fn finding(o: &Outcome) -> &yadoc::checks::finding::Finding {
    assert_eq!(o.status, Status::Failed, "{o:#?}");
    &o.findings[0]
}

// ---------- lesson 1 ----------

#[test]
fn lesson1_runs_its_commands_in_order_with_only_the_isolation_rewrites() {
    let fakes = Fakes::new();
    let port = http_server(200, b"I am watching you, Marius N".to_vec());
    let o = run(
        &lesson("fixtures/corrected", "lesson1.md"),
        &fakes,
        &healthy("default"),
        &[(8081, port)],
    );
    assert_eq!(o.status, Status::Passed, "{o:#?}");
    let calls = fakes.calls();
    let name = &cluster_names(&calls)[0];
    assert!(
        name.starts_with("yadoc-") && name != "yadoc-exposed",
        "{name}"
    );
    let create = &calls[0];
    assert!(
        create.contains(&format!("-p 127.0.0.1:{port}:80@loadbalancer --agents 3")),
        "{create}"
    );
    assert!(
        create.contains("--image rancher/k3s:")
            && create.contains("--kubeconfig-update-default=false"),
        "{create}"
    );
    assert_eq!(
        shapes(&calls),
        [
            "k3d cluster create",                     // line 11
            "k3d kubeconfig write",                   //   its kubeconfig, to the run's own file
            "docker build --force-rm",                // line 62 (corrected: 62)
            "k3d image import",                       // line 141
            "docker exec k3d-yadoc-<run>-0-server-0", //   tagged myapp:latest in each node
            "docker exec k3d-yadoc-<run>-0-agent-0",
            "docker exec k3d-yadoc-<run>-0-agent-1",
            "docker exec k3d-yadoc-<run>-0-agent-2",
            "kubectl --kubeconfig=<dir>/kubeconfig-yadoc-<run>-0 apply", // lines 147-149
            "kubectl --kubeconfig=<dir>/kubeconfig-yadoc-<run>-0 apply",
            "kubectl --kubeconfig=<dir>/kubeconfig-yadoc-<run>-0 apply",
            "kubectl --kubeconfig=<dir>/kubeconfig-yadoc-<run>-0 get", // lines 153, 158, 163
            "kubectl --kubeconfig=<dir>/kubeconfig-yadoc-<run>-0 get",
            "kubectl --kubeconfig=<dir>/kubeconfig-yadoc-<run>-0 get",
            "k3d cluster delete", // cleanup, after everything else
            "docker rmi -f",
        ]
    );
    assert!(
        calls[3].starts_with("k3d image import yadoc/lesson1:")
            && calls[3].ends_with(&format!("-c {name}")),
        "{}",
        calls[3]
    );
    assert!(
        calls[4].ends_with("docker.io/library/myapp:latest"),
        "{}",
        calls[4]
    );
    assert!(
        calls[8].ends_with("apply -f deployment.yaml"),
        "{}",
        calls[8]
    );
    assert!(
        o.notes
            .iter()
            .any(|n| n.contains("GET http://myapp.local:8081/ → HTTP 200")),
        "{:#?}",
        o.notes
    );
    assert_cleaned_up(&fakes);
}

/// `yadoc plan --tier cluster` and a contract run of the same lesson agree command for command: the
/// run executes the plan, then only cleans up.
fn plan_agrees(l: &Lesson, fakes: &Fakes, api: &RecordedApi, ports: &[(u16, u16)]) {
    let plan: Vec<String> = cluster::plan(l)
        .iter()
        .filter(|e| ["k3d", "docker", "kubectl", "curl"].contains(&e.program.as_str()))
        .map(|e| normalize(&e.command()))
        .collect();
    let o = run(l, fakes, api, ports);
    assert_eq!(o.status, Status::Passed, "{o:#?}");
    let calls: Vec<String> = fakes.calls().iter().map(|c| normalize(c)).collect();
    assert!(calls.len() > plan.len(), "{calls:#?}");
    assert_eq!(
        plan,
        calls[..plan.len()],
        "yadoc plan --tier cluster and the run must agree word for word"
    );
    for c in &calls[plan.len()..] {
        assert!(
            c.starts_with("k3d cluster delete") || c.starts_with("docker rmi"),
            "after the plan only cleanup runs: {c}"
        );
    }
}

#[test]
fn lesson1_plan_agrees_line_for_line_with_the_contract_run() {
    let l = lesson("fixtures/corrected", "lesson1.md");
    let port = http_server(200, b"I am watching you, Marius N".to_vec());
    plan_agrees(&l, &Fakes::new(), &healthy("default"), &[(8081, port)]);
    // and each planned command names the lesson line it comes from
    let lines: Vec<usize> = cluster::plan(&l).iter().map(|e| e.line).collect();
    assert_eq!(lines.first(), Some(&11));
    assert_eq!(lines.last(), Some(&178));
}

#[test]
fn lesson2_plan_agrees_line_for_line_with_the_contract_run() {
    let l = lesson("fixtures/corrected", "lesson2.md");
    let port = http_server(200, yadoc::lesson::artifact::generate(10 * 1024 * 1024));
    let api = healthy("hpa-test")
        .route("/apis/autoscaling/v2/namespaces/hpa-test/horizontalpodautoscalers/myapp-hpa", vec![hpa("hpa-test", 2)])
        .route("/api/v1/namespaces/hpa-test/events", vec![list("Event", vec![event("hpa-test", "HorizontalPodAutoscaler", "myapp-hpa", "SuccessfulRescale", "New size: 2; reason: memory resource utilization (percentage of request) above target")])]);
    plan_agrees(&l, &Fakes::new(), &api, &[(8081, port)]);
}

#[test]
fn lesson3_plan_agrees_line_for_line_with_the_contract_run() {
    let (fakes, api) = lesson3_api("kube-api-access-wcl8p", true);
    plan_agrees(
        &lesson("fixtures/corrected", "lesson3.md"),
        &fakes,
        &api,
        &[],
    );
}

#[test]
fn a_failing_cluster_create_stops_at_its_line_and_still_deletes() {
    let fakes = Fakes::new().rule(json!({"program": "k3d", "match": ["cluster create"], "exit": 1, "stderr": "FATA[0002] Failed to create cluster: port is already allocated"}));
    let o = run(
        &lesson("fixtures/corrected", "lesson1.md"),
        &fakes,
        &healthy("default"),
        &[],
    );
    let f = finding(&o);
    assert_eq!(f.line, 11);
    assert!(f.observed.contains("port is already allocated"), "{f:?}");
    let calls = fakes.calls();
    assert_eq!(
        shapes(&calls),
        ["k3d cluster create", "k3d cluster delete"],
        "nothing runs after the failure, and the guard deletes"
    );
    assert_cleaned_up(&fakes);
}

#[test]
fn a_failing_image_import_is_located_and_cleaned_up() {
    let fakes = Fakes::new().rule(json!({"program": "k3d", "match": ["image import"], "exit": 1, "stderr": "ERRO Failed to import image(s) into cluster: no such image"}));
    let o = run(
        &lesson("fixtures/corrected", "lesson1.md"),
        &fakes,
        &healthy("default"),
        &[],
    );
    let f = finding(&o);
    assert_eq!(f.line, 141);
    assert!(f.observed.contains("Failed to import"), "{f:?}");
    assert!(
        fakes
            .calls()
            .iter()
            .any(|c| c.starts_with("docker rmi -f --no-prune yadoc/lesson1:")),
        "the built image is removed: {:#?}",
        fakes.calls()
    );
    assert_cleaned_up(&fakes);
}

#[test]
fn a_pod_that_never_gets_ready_fails_the_apply_with_its_state_and_a_diagnosis() {
    let fakes = Fakes::new();
    let api = healthy("default")
        .route(
            "/apis/apps/v1/namespaces/default/deployments",
            vec![list("Deployment", vec![deployment("default", false)])],
        )
        .route(
            "/apis/apps/v1/namespaces/default/deployments/myapp",
            vec![deployment("default", false)],
        )
        .route(
            "/api/v1/namespaces/default/pods",
            vec![list(
                "Pod",
                vec![pod(
                    "default",
                    "myapp-5d9c",
                    "Pending",
                    Some((
                        "ErrImageNeverPull",
                        "Container image \"myapp:latest\" is not present with pull policy of Never",
                    )),
                    "v",
                )],
            )],
        )
        .route(
            "/api/v1/namespaces/default/events",
            vec![list(
                "Event",
                vec![event(
                    "default",
                    "Pod",
                    "myapp-5d9c",
                    "ErrImageNeverPull",
                    "Container image \"myapp:latest\" is not present with pull policy of Never",
                )],
            )],
        );
    let o = run(
        &lesson("fixtures/corrected", "lesson1.md"),
        &fakes,
        &api,
        &[],
    );
    let f = finding(&o);
    assert_eq!(f.line, 147, "at `kubectl apply -f deployment.yaml`");
    assert!(
        f.observed.contains("0/1 ready") && f.observed.contains("MinimumReplicasUnavailable")
            || f.observed.contains("minimum availability"),
        "{f:?}"
    );
    assert!(
        f.diagnosis
            .as_deref()
            .is_some_and(|d| d.contains("[image-never-pull]")),
        "{f:?}"
    );
    assert!(
        o.notes
            .iter()
            .any(|n| n.contains("waiting ErrImageNeverPull")),
        "{:#?}",
        o.notes
    );
    assert_cleaned_up(&fakes);
}

#[test]
fn traefik_answering_404_until_the_deadline_is_diagnosed() {
    let fakes = Fakes::new();
    let port = http_server(404, b"404 page not found\n".to_vec());
    let o = run(
        &lesson("fixtures/corrected", "lesson1.md"),
        &fakes,
        &healthy("default"),
        &[(8081, port)],
    );
    let f = finding(&o);
    assert_eq!(f.line, 178);
    assert!(f.observed.contains("HTTP 404"), "{f:?}");
    assert!(
        f.diagnosis
            .as_deref()
            .is_some_and(|d| d.contains("[traefik-404]")),
        "{f:?}"
    );
    assert_cleaned_up(&fakes);
}

// ---------- lesson 2 ----------

#[test]
fn lesson2_as_written_deletes_its_own_cluster_and_fails_at_the_next_step() {
    let fakes = Fakes::new();
    let o = run(
        &lesson("lessons", "lesson2.md"),
        &fakes,
        &healthy("hpa-test"),
        &[],
    );
    let f = finding(&o);
    assert_eq!(f.line, 39, "kubectl create ns hpa-test");
    assert!(
        f.observed
            .contains("cluster yadoc-exposed was deleted at line 27"),
        "{f:?}"
    );
    assert_cleaned_up(&fakes);
}

#[test]
fn lesson2_scales_up_under_load_and_records_the_timeline() {
    let fakes = Fakes::new();
    let body = yadoc::lesson::artifact::generate(10 * 1024 * 1024);
    let port = http_server(200, body);
    let api = healthy("hpa-test")
        .route("/apis/autoscaling/v2/namespaces/hpa-test/horizontalpodautoscalers/myapp-hpa", vec![hpa("hpa-test", 1), hpa("hpa-test", 1), hpa("hpa-test", 3)])
        .route(
            "/api/v1/namespaces/hpa-test/events",
            vec![
                list("Event", vec![]),
                list("Event", vec![]),
                list("Event", vec![event("hpa-test", "HorizontalPodAutoscaler", "myapp-hpa", "SuccessfulRescale", "New size: 3; reason: cpu resource utilization (percentage of request) above target")]),
            ],
        );
    let o = run(
        &lesson("fixtures/corrected", "lesson2.md"),
        &fakes,
        &api,
        &[(8081, port)],
    );
    assert_eq!(o.status, Status::Passed, "{o:#?}");
    let scaled = o
        .notes
        .iter()
        .find(|n| n.contains("HPA hpa-test/myapp-hpa scaled"))
        .expect("scale note");
    assert!(
        scaled.contains("new size 3 (cpu resource utilization"),
        "{scaled}"
    );
    assert!(
        scaled.contains("1 → 1 replicas") && scaled.contains("3 → 3 replicas"),
        "the replica timeline: {scaled}"
    );
    assert!(
        o.notes.iter().any(|n| n.starts_with("load: ")),
        "{:#?}",
        o.notes
    );
    assert!(o
        .notes
        .iter()
        .any(|n| n.contains("kubectl get events -n hpa-test --watch") && n.contains("not run")));
    assert_cleaned_up(&fakes);
}

#[test]
fn an_hpa_that_never_scales_fails_with_its_status() {
    let fakes = Fakes::new();
    let port = http_server(200, yadoc::lesson::artifact::generate(10 * 1024 * 1024));
    let api = healthy("hpa-test")
        .route(
            "/apis/autoscaling/v2/namespaces/hpa-test/horizontalpodautoscalers/myapp-hpa",
            vec![hpa("hpa-test", 1)],
        )
        .route(
            "/apis/autoscaling/v2/namespaces/hpa-test/horizontalpodautoscalers",
            vec![list("HorizontalPodAutoscaler", vec![hpa("hpa-test", 1)])],
        );
    let o = run(
        &lesson("fixtures/corrected", "lesson2.md"),
        &fakes,
        &api,
        &[(8081, port)],
    );
    let f = finding(&o);
    assert_eq!(
        f.line, 269,
        "the lesson's \"start hitting the refresh button\""
    );
    assert!(f.expected.contains("scale above 1 replica"), "{f:?}");
    assert!(
        f.observed
            .contains("myapp-hpa: 1 → 1 replicas; metrics: cpu 85%, memory 72%"),
        "{f:?}"
    );
    assert!(
        o.notes
            .iter()
            .any(|n| n.contains("diagnostics:") && n.contains("hpa myapp-hpa")),
        "{:#?}",
        o.notes
    );
    assert_cleaned_up(&fakes);
}

#[test]
fn an_hpa_that_never_reads_metrics_fails_at_its_apply_line_with_a_diagnosis() {
    let fakes = Fakes::new();
    let mut blind = hpa("hpa-test", 1);
    blind["status"]["currentMetrics"] = json!([]);
    blind["status"]["conditions"] = json!([{"type": "ScalingActive", "status": "False", "reason": "FailedGetResourceMetric", "message": "the HPA was unable to compute the replica count: failed to get cpu utilization: unable to get metrics for resource cpu: no metrics returned from resource metrics API"}]);
    let api = healthy("hpa-test")
        .route(
            "/apis/autoscaling/v2/namespaces/hpa-test/horizontalpodautoscalers",
            vec![list("HorizontalPodAutoscaler", vec![blind.clone()])],
        )
        .route(
            "/apis/autoscaling/v2/namespaces/hpa-test/horizontalpodautoscalers/myapp-hpa",
            vec![blind],
        );
    let port = http_server(200, yadoc::lesson::artifact::generate(10 * 1024 * 1024));
    let o = run(
        &lesson("fixtures/corrected", "lesson2.md"),
        &fakes,
        &api,
        &[(8081, port)],
    );
    let f = finding(&o);
    assert_eq!(f.line, 225, "at `kubectl apply -f hpa.yaml`");
    assert!(
        f.expected
            .contains("HPA hpa-test/myapp-hpa to read its metrics"),
        "{f:?}"
    );
    assert!(
        f.observed
            .contains("ScalingActive=False FailedGetResourceMetric"),
        "{f:?}"
    );
    assert!(
        f.diagnosis
            .as_deref()
            .is_some_and(|d| d.contains("[hpa-metrics-unavailable]")),
        "{f:?}"
    );
    assert_cleaned_up(&fakes);
}

// ---------- lesson 3 ----------

fn lesson3_api(kubectl_volume: &str, etcd: bool) -> (Fakes, RecordedApi) {
    let pods = list(
        "Pod",
        vec![pod(
            "api-test",
            "nginx",
            "Running",
            None,
            "kube-api-access-wcl8p",
        )],
    );
    let yaml = format!("apiVersion: v1\nkind: Pod\nmetadata:\n  name: nginx\n  namespace: api-test\nspec:\n  containers:\n  - name: nginx\n    image: nginx:latest\n  volumes:\n  - name: {kubectl_volume}\n    projected:\n      sources: []\n");
    let fakes = Fakes::new()
        .rule(json!({"program": "curl", "match": ["namespaces/api-test/pods"], "stdout": serde_json::to_string_pretty(&pods).unwrap()}))
        .rule(json!({"program": "kubectl", "match": ["get pod nginx -n api-test -o=yaml"], "stdout": yaml}));
    let api = RecordedApi::default()
        .route(
            "/api/v1/namespaces/api-test/pods",
            vec![list(
                "Pod",
                vec![pod(
                    "api-test",
                    "nginx",
                    "Running",
                    None,
                    "kube-api-access-wcl8p",
                )],
            )],
        )
        .route(
            "/api/v1/namespaces/api-test/pods/nginx",
            vec![pod(
                "api-test",
                "nginx",
                "Running",
                None,
                "kube-api-access-wcl8p",
            )],
        )
        .route(
            "/api/v1/nodes",
            vec![list("Node", vec![node("k3d-server-0", etcd)])],
        );
    (fakes, api)
}

#[test]
fn lesson3_curl_and_kubectl_name_the_same_volumes_and_the_etcd_cluster_runs_etcd() {
    let (fakes, api) = lesson3_api("kube-api-access-wcl8p", true);
    let o = run(
        &lesson("fixtures/corrected", "lesson3.md"),
        &fakes,
        &api,
        &[],
    );
    assert_eq!(o.status, Status::Passed, "{o:#?}");
    assert!(
        o.notes
            .iter()
            .any(|n| n.contains("name the same volumes: kube-api-access-wcl8p")),
        "{:#?}",
        o.notes
    );
    assert!(
        o.notes
            .iter()
            .any(|n| n.contains("etcd runs on k3d-server-0")),
        "{:#?}",
        o.notes
    );
    let calls = fakes.calls();
    // the certificates come from the run's kubeconfig (built-in extractor: yq is not installed here)
    assert!(
        o.notes
            .iter()
            .any(|n| n.contains("yq (mikefarah v4) not installed")),
        "{:#?}",
        o.notes
    );
    let curl = calls
        .iter()
        .find(|c| c.starts_with("curl ") && c.contains("api-test"))
        .unwrap();
    assert!(
        curl.contains(
            "--cacert cert_auth_data.crt --cert client_cert_data.crt --key client_key_data.key"
        ),
        "{curl}"
    );
    assert!(
        curl.contains("--connect-to 0.0.0.0:6550:127.0.0.1:"),
        "the lesson's URL, connected on loopback: {curl}"
    );
    assert_eq!(cluster_names(&calls).len(), 2);
    assert_cleaned_up(&fakes);
}

#[test]
fn curl_and_kubectl_disagreeing_on_volumes_fails_at_the_curl_line() {
    let (fakes, api) = lesson3_api("kube-api-access-other", true);
    let o = run(
        &lesson("fixtures/corrected", "lesson3.md"),
        &fakes,
        &api,
        &[],
    );
    let f = finding(&o);
    assert_eq!(f.line, 120);
    assert!(
        f.observed.contains("kube-api-access-wcl8p")
            && f.observed.contains("kube-api-access-other"),
        "{f:?}"
    );
    assert_cleaned_up(&fakes);
}

#[test]
fn a_cluster_init_cluster_without_etcd_fails_at_its_create_line() {
    let (fakes, api) = lesson3_api("kube-api-access-wcl8p", false);
    let o = run(
        &lesson("fixtures/corrected", "lesson3.md"),
        &fakes,
        &api,
        &[],
    );
    let f = finding(&o);
    assert_eq!(f.line, 157);
    assert!(f.observed.contains("no node runs etcd"), "{f:?}");
    assert_cleaned_up(&fakes);
}

// ---------- this machine, and the real thing ----------

#[test]
fn without_k3d_the_cluster_tier_is_skipped_with_the_reason_or_fails_when_required() {
    if Tools::detect().is_ok() {
        eprintln!("k3d is installed here: this test is about machines without it");
        return;
    }
    let o = cluster::run(&lesson("lessons", "lesson1.md"));
    if std::env::var("YADOC_REQUIRE").is_ok_and(|v| v.contains("cluster") || v == "all") {
        assert_eq!(o.status, Status::Failed);
    } else {
        assert!(
            matches!(&o.status, Status::Skipped { reason } if reason.contains("not found")),
            "{o:?}"
        );
    }
}

fn real(lesson_dir: &str, name: &str) {
    let o = cluster::run(&lesson(lesson_dir, name));
    assert_eq!(o.status, Status::Passed, "{o:#?}");
}

#[test]
#[ignore = "needs docker + k3d"]
fn real_cluster_corrected_lesson1() {
    real("fixtures/corrected", "lesson1.md");
}

#[test]
#[ignore = "needs docker + k3d"]
fn real_cluster_corrected_lesson2() {
    real("fixtures/corrected", "lesson2.md");
}

#[test]
#[ignore = "needs docker + k3d"]
fn real_cluster_corrected_lesson3() {
    real("fixtures/corrected", "lesson3.md");
}
