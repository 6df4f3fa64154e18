//! The fakes the cluster tier's contract tests run against, since k3d and its k3s image cannot be had
//! on this machine. They are fakes and never claim otherwise:
//! - `Fakes`: fake `k3d`, `docker`, `kubectl`, `curl` (fixtures/fakes/fake-cli) that record every
//!   call with the `KUBECONFIG` it saw and behave as the real tools do where the harness relies on it
//!   (each behaviour cites its upstream source there);
//! - `FakeApi`: the Kubernetes API through kube's mock service (tower-test), serving objects built in
//!   `payloads.rs` after upstream sources, honouring label and field selectors, streaming watch events;
//! - `http_server`: what traefik answers on the load balancer's port.
#![allow(dead_code)]

pub mod hpa_controller;
pub mod payloads;
pub mod replay;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http::{Request, Response};
use kube::client::Body;
use serde_json::{json, Value};
use yadoc::checks::finding::{Finding, Outcome, Status};
use yadoc::lesson::Lesson;
use yadoc::tiers::cluster::{self, exec, tools::Tools};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

pub fn lesson(dir: &str, name: &str) -> Lesson {
    Lesson::load(&root().join(dir).join(name)).unwrap()
}

// ---------- the fake CLIs ----------

/// fixtures/fakes/fake-cli with its `#!/usr/bin/env python3` replaced by the interpreter that line
/// finds, run with `-S` (the fake needs only json, os and sys): a run calls the fakes hundreds of
/// times, and through a pyenv shim (bash, then pyenv) and site's start-up a call cost 91 ms on
/// this machine, directly with -S 8 ms. The system's python3 where there is one: a distribution's
/// build (static libpython, PGO) ran a call of the fake in 18.5 ms (100 calls in turn), pyenv's 3.11
/// (shared libpython) in 25.2 ms, and cluster_contract.rs makes about a thousand calls.
fn fake_cli() -> String {
    static PYTHON: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let python = PYTHON.get_or_init(|| {
        let system = std::path::Path::new("/usr/bin/python3");
        let out = std::process::Command::new(if system.exists() {
            system.as_os_str()
        } else {
            std::ffi::OsStr::new("python3")
        })
        .args(["-S", "-c", "import sys; print(sys.executable)"])
        .output()
        .expect("python3 runs the fake CLIs");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    });
    let text = std::fs::read_to_string(root().join("fixtures/fakes/fake-cli")).unwrap();
    let (shebang, rest) = text.split_once('\n').unwrap();
    assert_eq!(
        shebang, "#!/usr/bin/env python3",
        "fake-cli's first line moved"
    );
    format!("#!{python} -S\n{rest}")
}

pub struct Fakes {
    pub dir: tempfile::TempDir,
    rules: Vec<Value>,
    /// Environment the test adds before yadoc's own (a user's `KUBECONFIG`, `HOME`).
    pub user_env: Vec<(String, String)>,
}

impl Fakes {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        // The fakes are written by a child, never by this process: a file this process holds open
        // for writing is inherited by any child another test thread forks meanwhile, and exec of it
        // fails with ETXTBSY until that child has exec'd (CI saw "k3d does not run: Text file busy").
        let source = dir.path().join("fake-cli.py");
        std::fs::write(&source, fake_cli()).unwrap();
        let status = std::process::Command::new("sh")
            .args(["-c", r#"for t in k3d docker kubectl curl yq; do install -m 755 "$0" "$1/$t" || exit; done"#])
            .arg(&source)
            .arg(dir.path())
            .status()
            .unwrap();
        assert!(status.success(), "installing the fakes: {status}");
        std::fs::create_dir(dir.path().join("state")).unwrap();
        Self {
            dir,
            rules: vec![kubeconfig_rule()],
            user_env: Vec::new(),
        }
    }

    /// A rule replayed before the others (later rules are more specific).
    pub fn rule(mut self, r: Value) -> Self {
        self.rules.insert(0, r);
        self
    }

    pub fn tools(&self) -> Tools {
        let rules = self.dir.path().join("rules.json");
        std::fs::write(&rules, serde_json::to_string(&self.rules).unwrap()).unwrap();
        let bin = |p: &str| self.dir.path().join(p).display().to_string();
        let mut env = self.user_env.clone();
        env.extend([
            (
                "YADOC_FAKE_LOG".into(),
                self.log_path().display().to_string(),
            ),
            ("YADOC_FAKE_RULES".into(), rules.display().to_string()),
            (
                "YADOC_FAKE_STATE".into(),
                self.dir.path().join("state").display().to_string(),
            ),
        ]);
        Tools {
            k3d: bin("k3d"),
            docker: bin("docker"),
            kubectl: bin("kubectl"),
            curl: Some(bin("curl")),
            yq: None,
            env,
        }
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("calls.jsonl")
    }

    fn logged(&self) -> Vec<Value> {
        std::fs::read_to_string(self.log_path())
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    /// Every call, as `[KUBECONFIG=… ]program arg arg …` (the variable for k3d and kubectl, as
    /// `yadoc plan --tier cluster` shows it).
    pub fn calls(&self) -> Vec<String> {
        self.logged()
            .iter()
            .map(|v| {
                let program = v["program"].as_str().unwrap();
                let args: Vec<&str> = v["args"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|a| a.as_str().unwrap())
                    .collect();
                let env = match v["kubeconfig"].as_str() {
                    Some(k) if exec::reads_kubeconfig(program) => format!("KUBECONFIG={k} "),
                    _ => String::new(),
                };
                format!("{env}{program} {}", args.join(" "))
            })
            .collect()
    }

    /// (program, KUBECONFIG it saw) of every call.
    pub fn kubeconfigs(&self) -> Vec<(String, Option<String>)> {
        self.logged()
            .iter()
            .map(|v| {
                (
                    v["program"].as_str().unwrap().to_string(),
                    v["kubeconfig"].as_str().map(String::from),
                )
            })
            .collect()
    }
}

/// `k3d kubeconfig write NAME --output PATH` writes a kubeconfig as k3d does (k3d
/// pkg/client/kubeconfig.go KubeconfigGet: cluster `k3d-NAME`, user `admin@k3d-NAME`, server
/// `https://<API host>:<port>` of the create's `--api-port` — for the `--api-port 127.0.0.1:FREE`
/// yadoc always passes, `https://127.0.0.1:FREE`), with the certificate data as base64 of PEM.
fn kubeconfig_rule() -> Value {
    use base64::Engine;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let ca = b64("-----BEGIN CERTIFICATE-----\nMIIBdzCCAR2gAwIBAgIBADAKBggqhkjOPQQDAjAjMSEwHwYDVQQDDBhrM3Mtc2Vy\n-----END CERTIFICATE-----\n");
    let cert = b64("-----BEGIN CERTIFICATE-----\nMIIBkTCCATegAwIBAgIIYjvz1Z5d0c0wCgYIKoZIzj0EAwIwIzEhMB8GA1UEAwwY\n-----END CERTIFICATE-----\n");
    let key = b64("-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIKqVbO2nq0lq2S6gq3Vd8Y6r9q0W1bq1tA7v9h2u0N3qoAoGCCqGSM49\n-----END EC PRIVATE KEY-----\n");
    json!({"program": "k3d", "match": ["kubeconfig write"], "write_after": "--output", "content":
        format!("apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: {ca}\n    server: {{server}}\n  name: k3d-{{name}}\ncontexts:\n- context:\n    cluster: k3d-{{name}}\n    user: admin@k3d-{{name}}\n  name: k3d-{{name}}\ncurrent-context: k3d-{{name}}\nkind: Config\npreferences: {{}}\nusers:\n- name: admin@k3d-{{name}}\n  user:\n    client-certificate-data: {cert}\n    client-key-data: {key}\n")})
}

// ---------- the Kubernetes API, through kube's mock service ----------

/// One object, as a sequence of versions: each time the object is served (alone or in a list) the
/// next version comes, the last one repeating. `Value::Null` is "does not exist (yet)".
struct Obj {
    collection: String,
    name: String,
    versions: Vec<Value>,
    at: usize,
}

impl Obj {
    fn current(&self) -> &Value {
        &self.versions[self.at.min(self.versions.len() - 1)]
    }
    fn advance(&mut self) {
        if self.at + 1 < self.versions.len() {
            self.at += 1;
        }
    }
}

type LiveList = Arc<dyn Fn() -> Vec<Value> + Send + Sync>;
type LiveGet = Arc<dyn Fn() -> Value + Send + Sync>;

/// A collection computed on each request (a simulated controller's objects): `list` serves lists
/// and watches, `get` a named object (which may advance the simulation, as a sync does).
struct Live {
    collection: String,
    get: Option<(String, LiveGet)>,
    list: LiveList,
}

#[derive(Clone, Default)]
pub struct FakeApi {
    objects: Arc<Mutex<Vec<Obj>>>,
    live: Arc<Mutex<Vec<Live>>>,
    /// (pod log path, previous) → text.
    logs: Arc<Mutex<BTreeMap<(String, bool), String>>>,
    /// Every request, as its URI.
    pub seen: Arc<Mutex<Vec<String>>>,
}

/// The API path of a namespaced (or cluster) collection of an object, from its apiVersion and kind.
fn collection_of(v: &Value) -> String {
    let api_version = v["apiVersion"].as_str().unwrap();
    let kind = v["kind"].as_str().unwrap();
    let plural = match kind {
        "Ingress" => "ingresses".to_string(),
        "EndpointSlice" => "endpointslices".to_string(),
        k => format!("{}s", k.to_lowercase()),
    };
    let base = if api_version == "v1" {
        "/api/v1".to_string()
    } else {
        format!("/apis/{api_version}")
    };
    match v["metadata"]["namespace"].as_str() {
        Some(ns) => format!("{base}/namespaces/{ns}/{plural}"),
        None => format!("{base}/{plural}"),
    }
}

/// The list kind of a collection path, for an empty list (`…/events` → v1 EventList).
fn list_kind(path: &str) -> (String, String) {
    let plural = path.rsplit('/').next().unwrap();
    let kind = match plural {
        "ingresses" => "Ingress".to_string(),
        "endpointslices" => "EndpointSlice".to_string(),
        "horizontalpodautoscalers" => "HorizontalPodAutoscaler".to_string(),
        p => {
            let s = p.trim_end_matches('s');
            let mut c = s.chars();
            c.next().unwrap().to_uppercase().collect::<String>() + c.as_str()
        }
    };
    let api_version = if let Some(rest) = path.strip_prefix("/apis/") {
        rest.split('/').take(2).collect::<Vec<_>>().join("/")
    } else {
        "v1".into()
    };
    (api_version, format!("{kind}List"))
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(x) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(x);
                i += 3;
                continue;
            }
        }
        out.push(if b[i] == b'+' { b' ' } else { b[i] });
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

fn query(uri: &http::Uri) -> BTreeMap<String, String> {
    uri.query()
        .unwrap_or("")
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), percent_decode(v)))
        .collect()
}

fn lookup<'a>(v: &'a Value, dotted: &str) -> &'a Value {
    dotted.split('.').fold(v, |v, k| &v[k])
}

/// `k=v,k2=v2` selectors, as the API server applies them (equality only: what yadoc sends).
fn selected(v: &Value, q: &BTreeMap<String, String>) -> bool {
    let labels = q.get("labelSelector").map(String::as_str).unwrap_or("");
    let fields = q.get("fieldSelector").map(String::as_str).unwrap_or("");
    labels.split(',').filter(|s| !s.is_empty()).all(|s| {
        let (k, want) = s.split_once('=').unwrap();
        v["metadata"]["labels"][k].as_str() == Some(want.trim_start_matches('='))
    }) && fields.split(',').filter(|s| !s.is_empty()).all(|s| {
        let (k, want) = s.split_once('=').unwrap();
        lookup(v, k).as_str() == Some(want.trim_start_matches('='))
    })
}

fn status(code: u16, reason: &str, message: &str) -> (u16, Vec<u8>) {
    (
        code,
        serde_json::to_vec(&json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message, "reason": reason, "code": code})).unwrap(),
    )
}

impl FakeApi {
    /// An object with its versions over time (see `Obj`).
    pub fn object(self, versions: Vec<Value>) -> Self {
        let first = versions
            .iter()
            .find(|v| !v.is_null())
            .expect("one real version");
        let obj = Obj {
            collection: collection_of(first),
            name: first["metadata"]["name"].as_str().unwrap().to_string(),
            versions,
            at: 0,
        };
        self.objects.lock().unwrap().push(obj);
        self
    }

    /// Lesson 2's Deployment, pods, HPA and its events as `ctl` computes them: each GET of the HPA
    /// is one controller sync.
    pub fn hpa_controller(self, ctl: &hpa_controller::HpaController, ns: &str) -> Self {
        let (a, b, c, d, e) = (
            ctl.clone(),
            ctl.clone(),
            ctl.clone(),
            ctl.clone(),
            ctl.clone(),
        );
        let f = ctl.clone();
        {
            let mut live = self.live.lock().unwrap();
            live.push(Live {
                collection: format!(
                    "/apis/autoscaling/v2/namespaces/{ns}/horizontalpodautoscalers"
                ),
                get: Some(("myapp-hpa".into(), Arc::new(move || a.sync()))),
                list: Arc::new(move || vec![b.hpa()]),
            });
            live.push(Live {
                collection: format!("/api/v1/namespaces/{ns}/events"),
                get: None,
                list: Arc::new(move || c.events()),
            });
            live.push(Live {
                collection: format!("/apis/apps/v1/namespaces/{ns}/deployments"),
                get: Some(("myapp".into(), Arc::new(move || d.deployment()))),
                list: Arc::new(move || vec![f.deployment()]),
            });
            live.push(Live {
                collection: format!("/api/v1/namespaces/{ns}/pods"),
                get: None,
                list: Arc::new(move || e.pods()),
            });
        }
        self
    }

    /// A collection computed on each request (events a kubelet keeps repeating, say).
    pub fn live(
        self,
        collection: &str,
        list: impl Fn() -> Vec<Value> + Send + Sync + 'static,
    ) -> Self {
        self.live.lock().unwrap().push(Live {
            collection: collection.into(),
            get: None,
            list: Arc::new(list),
        });
        self
    }

    /// The same object, unchanging.
    pub fn with(self, v: Value) -> Self {
        self.object(vec![v])
    }

    /// A pod's log (`previous`: of its last terminated container).
    pub fn log(self, ns: &str, pod: &str, previous: bool, text: &str) -> Self {
        self.logs.lock().unwrap().insert(
            (format!("/api/v1/namespaces/{ns}/pods/{pod}/log"), previous),
            text.to_string(),
        );
        self
    }

    fn serve(&self, uri: &http::Uri) -> (u16, Vec<u8>) {
        let path = uri.path().to_string();
        let q = query(uri);
        if path.ends_with("/log") {
            let previous = q.get("previous").is_some_and(|v| v == "true");
            return match self.logs.lock().unwrap().get(&(path.clone(), previous)) {
                Some(t) => (200, t.clone().into_bytes()),
                None => status(400, "BadRequest", "previous terminated container not found"),
            };
        }
        {
            let live = self.live.lock().unwrap();
            if let Some(l) = live.iter().find(|l| {
                l.get
                    .as_ref()
                    .is_some_and(|(n, _)| format!("{}/{n}", l.collection) == path)
            }) {
                let v = (l.get.as_ref().unwrap().1)();
                return (200, serde_json::to_vec(&v).unwrap());
            }
            if let Some(l) = live.iter().find(|l| l.collection == path) {
                let items: Vec<Value> =
                    (l.list)().into_iter().filter(|v| selected(v, &q)).collect();
                if q.get("watch").is_some_and(|v| v == "true") {
                    let mut body = Vec::new();
                    for v in items {
                        body.extend(
                            serde_json::to_vec(&json!({"type": "MODIFIED", "object": v})).unwrap(),
                        );
                        body.push(b'\n');
                    }
                    return (200, body);
                }
                let (api_version, kind) = list_kind(&path);
                let list = json!({"apiVersion": api_version, "kind": kind, "metadata": {"resourceVersion": "2001"}, "items": items});
                return (200, serde_json::to_vec(&list).unwrap());
            }
        }
        let mut objects = self.objects.lock().unwrap();
        if q.get("watch").is_some_and(|v| v == "true") {
            // a watch streams the next versions of what it selects as events, then ends (the
            // watcher re-watches, as it does when a real watch times out)
            let mut body = Vec::new();
            for o in objects.iter_mut().filter(|o| o.collection == path) {
                o.advance();
                if !o.current().is_null() && selected(o.current(), &q) {
                    let e = json!({"type": "MODIFIED", "object": o.current()});
                    body.extend(serde_json::to_vec(&e).unwrap());
                    body.push(b'\n');
                }
            }
            return (200, body);
        }
        if let Some(o) = objects
            .iter_mut()
            .find(|o| format!("{}/{}", o.collection, o.name) == path)
        {
            let v = o.current().clone();
            o.advance();
            return if v.is_null() {
                status(404, "NotFound", &format!("{path} not found"))
            } else {
                (200, serde_json::to_vec(&v).unwrap())
            };
        }
        let in_collection: Vec<&mut Obj> = objects
            .iter_mut()
            .filter(|o| o.collection == path)
            .collect();
        let known = [
            "pods",
            "events",
            "nodes",
            "deployments",
            "ingresses",
            "horizontalpodautoscalers",
            "endpointslices",
            "services",
        ];
        if in_collection.is_empty() && !known.contains(&path.rsplit('/').next().unwrap()) {
            return status(404, "NotFound", &format!("{path} not found"));
        }
        let mut items = Vec::new();
        for o in in_collection {
            let v = o.current().clone();
            o.advance();
            if !v.is_null() && selected(&v, &q) {
                items.push(v);
            }
        }
        let (api_version, kind) = list_kind(&path);
        let list = json!({"apiVersion": api_version, "kind": kind, "metadata": {"resourceVersion": "2001"}, "items": items});
        (200, serde_json::to_vec(&list).unwrap())
    }

    pub fn connector(&self) -> exec::Connector {
        let api = self.clone();
        Box::new(move |_kubeconfig: PathBuf| {
            let api = api.clone();
            Box::pin(async move {
                let (svc, mut handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
                tokio::spawn(async move {
                    while let Some((req, send)) = handle.next_request().await {
                        api.seen.lock().unwrap().push(req.uri().to_string());
                        if req.uri().query().is_some_and(|q| q.contains("watch=true")) {
                            tokio::time::sleep(Duration::from_millis(50)).await;
                        }
                        let (code, body) = api.serve(req.uri());
                        send.send_response(
                            Response::builder()
                                .status(code)
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

// ---------- clusters the tests share ----------

/// A healthy lesson 1 or 2 app in `ns`: the Deployment available over a running pod, the Ingress
/// addressed, its Service's endpoint ready.
pub fn healthy_app(ns: &str) -> FakeApi {
    FakeApi::default()
        .with(payloads::deployment(ns, 1))
        .with(payloads::pod(
            ns,
            "myapp-5d9c7b8f4-abcde",
            "myapp",
            payloads::Container::Running,
        ))
        .with(payloads::ingress(ns))
        .with(payloads::endpoint_slice(
            ns,
            "myapp-service",
            "myapp-5d9c7b8f4-abcde",
            true,
        ))
}

/// Lesson 2's cluster in `ns` with its Deployment, pods, HPA and events computed by `ctl`.
pub fn lesson2_cluster(ctl: &hpa_controller::HpaController, ns: &str) -> FakeApi {
    FakeApi::default()
        .with(payloads::ingress(ns))
        .with(payloads::endpoint_slice(
            ns,
            "myapp-service",
            "myapp-5d9c7b8f4-00000",
            true,
        ))
        .hpa_controller(ctl, ns)
}

// ---------- what traefik answers on the load balancer's port ----------

/// Serves `status` + `body` on 127.0.0.1; returns its port.
pub fn http_server(status: u16, body: Vec<u8>) -> u16 {
    http_server_seq(vec![(status, body)])
}

/// Serves the answers in order, one per request, the last one repeating; returns its port.
pub fn http_server_seq(answers: Vec<(u16, Vec<u8>)>) -> u16 {
    http_server_counting(answers, Arc::new(std::sync::atomic::AtomicU64::new(0)))
}

/// `http_server_seq`, counting the requests it answered in `served` (the load a simulated
/// controller sees).
pub fn http_server_counting(
    answers: Vec<(u16, Vec<u8>)>,
    served: Arc<std::sync::atomic::AtomicU64>,
) -> u16 {
    // shared, not copied per request: the load asks for the 10 MiB body thousands of times
    let answers: Vec<(u16, Arc<[u8]>)> = answers.into_iter().map(|(s, b)| (s, b.into())).collect();
    let answers = Arc::new(Mutex::new(answers));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { return };
            let answers = answers.clone();
            let served = served.clone();
            std::thread::spawn(move || {
                use std::io::{Read, Write};
                let mut buf = [0u8; 4096];
                while let Ok(n) = s.read(&mut buf) {
                    if n == 0 {
                        return;
                    }
                    let (status, body) = {
                        let mut a = answers.lock().unwrap();
                        if a.len() > 1 {
                            a.remove(0)
                        } else {
                            a[0].clone()
                        }
                    };
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
                    served.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                }
            });
        }
    });
    port
}

// ---------- running a lesson against the fakes ----------

/// The cluster tier's deadlines for the fakes, which answer at once: a failing case waits them out,
/// and they set how long this binary takes (README, Benchmarks). Ten polls and more each, so a
/// passing case never races them.
pub fn fast() -> exec::Deadlines {
    exec::Deadlines {
        command: Duration::from_secs(30),
        ready: Duration::from_secs(1),
        http: Duration::from_secs(1),
        hpa: Duration::from_millis(1500),
        poll: Duration::from_millis(100),
        settle: Duration::from_millis(300),
    }
}

pub fn run(l: &Lesson, fakes: &Fakes, api: &FakeApi, ports: &[(u16, u16)]) -> Outcome {
    let (outcome, dir) =
        quietly(|| cluster::run_with(l, fakes.tools(), api.connector(), fast(), ports));
    assert!(
        !dir.exists(),
        "the run's directory {} is left behind",
        dir.display()
    );
    outcome
}

/// A run's outcome with the known-drift register of `dir` applied, as `yadoc check` applies it.
pub fn with_register(dir: &str, o: Outcome) -> Vec<Outcome> {
    let register = yadoc::drift::Register::load(&root().join(dir)).unwrap();
    let mut outcomes = vec![o];
    register.apply(&mut outcomes);
    outcomes
}

/// A command with what each run picks for itself (cluster hash, temp dir, free port, fake paths)
/// replaced by placeholders, so a plan and a run can be compared word for word.
pub fn normalize(c: &str) -> String {
    let re = |p: &str| regex::Regex::new(p).unwrap();
    let c = re(r"/tmp/\.tmp[A-Za-z0-9]+/").replace_all(c, "");
    let c = re(r"/tmp/yadoc-[^ /]*/").replace_all(&c, "<dir>/");
    let c = re(r"yadoc-[0-9a-f]{8}").replace_all(&c, "yadoc-<run>");
    let c = re(r"lesson(\d):[0-9a-z-]+").replace_all(&c, "lesson$1:<run>");
    let c = re(r"127\.0\.0\.1:\d+").replace_all(&c, "127.0.0.1:<port>");
    c.into_owned()
}

/// The first words of each command (program and verb), for the sequence.
pub fn shapes(calls: &[String]) -> Vec<String> {
    calls
        .iter()
        .map(|c| {
            normalize(c)
                .split_whitespace()
                .filter(|w| !w.starts_with("KUBECONFIG="))
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

fn without_env(c: &str) -> &str {
    match c.split_once(' ') {
        Some((first, rest)) if first.starts_with("KUBECONFIG=") => rest,
        _ => c,
    }
}

pub fn cluster_names(calls: &[String]) -> Vec<String> {
    calls
        .iter()
        .filter_map(|c| without_env(c).strip_prefix("k3d cluster create "))
        .map(|r| r.split_whitespace().next().unwrap().to_string())
        .collect()
}

/// Every cluster created was deleted, after every other command.
pub fn assert_cleaned_up(fakes: &Fakes) {
    let calls = fakes.calls();
    for name in cluster_names(&calls) {
        let del = calls
            .iter()
            .rposition(|c| without_env(c) == format!("k3d cluster delete {name}"));
        assert!(del.is_some(), "cluster {name} never deleted: {calls:#?}");
    }
}

pub fn finding(o: &Outcome) -> &Finding {
    assert_eq!(o.status, Status::Failed, "{o:#?}");
    &o.findings[0]
}

/// Run `f` with what yadoc says (its `$ command` echoes, progress) handed to the test's own
/// captured output (`eprint!`): cargo test shows it with a failing test, and never otherwise.
pub fn quietly<R>(f: impl FnOnce() -> R) -> R {
    let (r, said) = yadoc::progress::capture(f);
    eprint!("{said}");
    r
}
