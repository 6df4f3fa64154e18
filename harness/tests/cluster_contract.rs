//! Contract tests of the cluster tier. k3d and its k3s image cannot be had on this machine, so these
//! tests NEVER claim a cluster ran: the CLIs are fakes and the Kubernetes API is kube's mock service
//! (`fake_cluster/`), serving payloads built after the upstream sources they cite. They prove the
//! command sequence per lesson, the isolation rewrites, the waits, assertions and diagnostics, how
//! the course as written is judged against its known drift, and that every failure path cleans up.
//! The real runs are the lesson targets' cluster tests (`cargo test --test lessonN`), where k3d exists.

use std::time::Duration;

use crate::fake_cluster::hpa_controller::{App, HpaController};
use crate::fake_cluster::payloads::{self, Container, Hpa};
use crate::fake_cluster::*;
use serde_json::json;
use yadoc::checks::finding::{Outcome, Status};
use yadoc::tiers::cluster::{self, api, tools::Tools};

const TEN_MIB: usize = 10 * 1024 * 1024;

/// A healthy lesson 1 or 2 cluster in `ns`: the Deployment available over a running pod, the
/// Ingress addressed, its Service's endpoint ready, and (lesson 2) the HPA reading metrics.
fn healthy(ns: &str) -> FakeApi {
    healthy_app(ns).object(vec![
        payloads::hpa(ns, Hpa::New),
        payloads::hpa(
            ns,
            Hpa::Reading {
                replicas: 1,
                cpu: 3,
                memory: 41,
            },
        ),
    ])
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
        create.contains("--image rancher/k3s:v1.33.")
            && create.contains("--kubeconfig-update-default=false"),
        "{create}"
    );
    // the lesson sets no --api-port: k3d would publish the API server on 0.0.0.0
    assert!(
        create.contains("--api-port 127.0.0.1:") && create.contains("--tls-san=127.0.0.1@server:*"),
        "{create}"
    );
    let node = |n: &str| format!("docker exec k3d-yadoc-<run>-0-{n}");
    let mut expect = vec![
        "k3d cluster create".to_string(),
        "k3d kubeconfig write".into(),
        "docker build --force-rm".into(),
        "k3d image import".into(),
        "docker ps -a".into(),
    ];
    // is the image in every node (k3d can fail per node and exit 0)? then tag it with the lesson's name
    for n in ["server-0", "agent-0", "agent-1", "agent-2"] {
        expect.push(node(n));
    }
    for n in ["server-0", "agent-0", "agent-1", "agent-2"] {
        expect.push(node(n));
    }
    for _ in 0..3 {
        expect.push("kubectl --kubeconfig=<dir>/kubeconfig-yadoc-<run>-0 apply".into());
        // lines 147-149
    }
    for _ in 0..3 {
        expect.push("kubectl --kubeconfig=<dir>/kubeconfig-yadoc-<run>-0 get".into());
        // lines 153, 158, 163
    }
    expect.extend(["k3d cluster delete".into(), "docker rmi -f".into()]); // cleanup, after the rest
    assert_eq!(shapes(&calls), expect);
    assert!(
        calls[4].contains("--filter label=k3d.cluster=yadoc-"),
        "the nodes, by k3d's labels: {}",
        calls[4]
    );
    assert!(
        calls[5].ends_with("ctr -n k8s.io images ls -q"),
        "{}",
        calls[5]
    );
    assert!(
        calls[9].ends_with("docker.io/library/myapp:latest"),
        "{}",
        calls[9]
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

#[test]
fn every_k3d_and_kubectl_command_runs_with_the_runs_own_kubeconfig_and_the_users_is_untouched() {
    // a user with KUBECONFIG set and a ~/.kube/config: `k3d cluster delete` rewrites the default
    // kubeconfig whatever the create flags were (the fake does what k3d does)
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir(home.path().join(".kube")).unwrap();
    let user_default = home.path().join(".kube/config");
    let user_env = home.path().join("work-kubeconfig");
    for p in [&user_default, &user_env] {
        std::fs::write(p, "apiVersion: v1\nkind: Config\ncurrent-context: work\n").unwrap();
    }
    let mut fakes = Fakes::new();
    fakes.user_env = vec![
        ("HOME".into(), home.path().display().to_string()),
        ("KUBECONFIG".into(), user_env.display().to_string()),
    ];
    let port = http_server(200, b"I am watching you, Marius N".to_vec());
    let o = run(
        &lesson("fixtures/corrected", "lesson1.md"),
        &fakes,
        &healthy("default"),
        &[(8081, port)],
    );
    assert_eq!(o.status, Status::Passed, "{o:#?}");
    for p in [&user_default, &user_env] {
        assert_eq!(
            std::fs::read_to_string(p).unwrap(),
            "apiVersion: v1\nkind: Config\ncurrent-context: work\n",
            "{} was rewritten",
            p.display()
        );
    }
    let seen = fakes.kubeconfigs();
    let tools: Vec<_> = seen
        .iter()
        .filter(|(p, _)| p == "k3d" || p == "kubectl")
        .collect();
    assert!(tools.len() >= 6, "{seen:?}");
    for (program, k) in tools {
        let k = k.as_deref().unwrap_or("");
        assert!(
            k.starts_with("/tmp/yadoc-") && k.ends_with("/kubeconfig"),
            "{program} ran with KUBECONFIG={k}"
        );
    }
}

#[test]
fn lesson1_as_written_crash_loops_on_werkzeug_3_and_is_exactly_its_known_drift() {
    // the app dies at import; kubelet restarts it, and the Deployment may even be Available for a
    // moment (no readiness probe): the wait fails at the first restart, with the pod's log
    let ns = "default";
    let pod = "myapp-5d9c7b8f4-abcde";
    let api = FakeApi::default()
        .object(vec![payloads::deployment(ns, 0), payloads::deployment(ns, 1)])
        .object(vec![
            payloads::pod(ns, pod, "myapp", Container::Running),
            payloads::pod(ns, pod, "myapp", Container::CrashLoop { restarts: 1 }),
        ])
        .with(payloads::event(ns, "Pod", pod, "BackOff", "Back-off restarting failed container myapp in pod myapp-5d9c7b8f4-abcde_default(8d1f2c3b-4a5e-4f60-8a7b-9c0d1e2f3a4b)", 30))
        .log(ns, pod, true, payloads::URL_QUOTE_TRACEBACK);
    let fakes = Fakes::new();
    let o = run(&lesson("lessons", "lesson1.md"), &fakes, &api, &[]);
    let f = finding(&o).clone();
    assert_eq!(f.line, 146, "at `kubectl apply -f deployment.yaml`");
    assert!(
        f.observed.contains("CrashLoopBackOff") && f.observed.contains("restarted 1 times"),
        "{f:?}"
    );
    assert!(
        f.diagnosis
            .as_deref()
            .is_some_and(|d| d.contains("[werkzeug-url-quote]")),
        "{f:?}"
    );
    assert!(
        o.notes
            .iter()
            .any(|n| n.contains("(previous container)") && n.contains("url_quote")),
        "the crashed container's log is in the diagnostics: {:#?}",
        o.notes
    );
    let judged = with_register("lessons", o);
    assert_eq!(judged.len(), 1, "no stale entry: {judged:#?}");
    assert_eq!(judged[0].status, Status::KnownDrift, "{judged:#?}");
    assert_cleaned_up(&fakes);
}

#[test]
fn a_pod_that_cannot_start_fails_the_apply_at_once_with_its_state_and_a_diagnosis() {
    let ns = "default";
    let pod = "myapp-5d9c7b8f4-abcde";
    let api = FakeApi::default()
        .with(payloads::deployment(ns, 0))
        .with(payloads::pod(ns, pod, "myapp", Container::NeverPulled))
        .with(payloads::event(
            ns,
            "Pod",
            pod,
            "ErrImageNeverPull",
            "Container image \"myapp:latest\" is not present with pull policy of Never",
            12,
        ));
    let fakes = Fakes::new();
    let o = run(
        &lesson("fixtures/corrected", "lesson1.md"),
        &fakes,
        &api,
        &[],
    );
    let f = finding(&o);
    assert_eq!(f.line, 147, "at `kubectl apply -f deployment.yaml`");
    assert!(
        f.observed.contains("(stopped waiting: it will not serve)"),
        "it did not wait for the deadline: {f:?}"
    );
    assert!(
        f.observed.contains("0/1 ready") && f.observed.contains("MinimumReplicasUnavailable"),
        "{f:?}"
    );
    assert!(f.observed.contains("waiting ErrImageNeverPull"), "{f:?}");
    assert!(
        f.diagnosis
            .as_deref()
            .is_some_and(|d| d.contains("[image-never-pull]")),
        "{f:?}"
    );
    assert_cleaned_up(&fakes);
}

#[test]
fn traefik_answering_404_over_a_service_with_no_ready_endpoint_is_diagnosed_from_the_endpoints() {
    let ns = "default";
    let api = FakeApi::default()
        .with(payloads::deployment(ns, 1))
        .with(payloads::pod(
            ns,
            "myapp-5d9c7b8f4-abcde",
            "myapp",
            Container::Running,
        ))
        .with(payloads::ingress(ns))
        .with(payloads::endpoint_slice(
            ns,
            "myapp-service",
            "myapp-5d9c7b8f4-abcde",
            false,
        ));
    let fakes = Fakes::new();
    let port = http_server(404, b"404 page not found\n".to_vec());
    let o = run(
        &lesson("fixtures/corrected", "lesson1.md"),
        &fakes,
        &api,
        &[(8081, port)],
    );
    let f = finding(&o);
    assert_eq!(f.line, 178);
    assert!(f.observed.contains("HTTP 404"), "{f:?}");
    assert!(
        f.diagnosis
            .as_deref()
            .is_some_and(|d| d.contains("[service-no-ready-endpoints]")),
        "{f:?}"
    );
    assert!(
        o.notes.iter().any(|n| n.contains("Service default/myapp-service has no ready endpoint (not ready: 10.42.1.5 (pod myapp-5d9c7b8f4-abcde))")),
        "{:#?}",
        o.notes
    );
    assert_cleaned_up(&fakes);
}

#[test]
fn traefik_answering_404_with_ready_endpoints_is_blamed_on_the_ingress_rule() {
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
    assert!(
        f.diagnosis
            .as_deref()
            .is_some_and(|d| d.contains("[traefik-404]")),
        "{f:?}"
    );
    assert!(
        o.notes
            .iter()
            .any(|n| n.contains("endpoints ready: 10.42.1.5")),
        "{:#?}",
        o.notes
    );
    assert_cleaned_up(&fakes);
}

#[test]
fn the_import_is_checked_in_every_server_and_agent_k3d_lists_not_only_server_0() {
    // a lesson with --servers 3: the nodes come from docker's k3d.cluster / k3d.role labels
    let dir = tempfile::tempdir().unwrap();
    for f in ["lesson1.md", "lesson1.yaml"] {
        let text = std::fs::read_to_string(root().join("fixtures/corrected").join(f)).unwrap();
        std::fs::write(
            dir.path().join(f),
            text.replace("--agents 3", "--servers 3 --agents 1"),
        )
        .unwrap();
    }
    let l = yadoc::lesson::Lesson::load(&dir.path().join("lesson1.md")).unwrap();
    let fakes = Fakes::new();
    let port = http_server(200, b"I am watching you, Marius N".to_vec());
    let o = run(&l, &fakes, &healthy("default"), &[(8081, port)]);
    assert_eq!(o.status, Status::Passed, "{o:#?}");
    let checked: Vec<String> = fakes
        .calls()
        .iter()
        .filter(|c| c.ends_with("images ls -q"))
        .map(|c| normalize(c).split_whitespace().nth(2).unwrap().to_string())
        .collect();
    assert_eq!(
        checked,
        [
            "k3d-yadoc-<run>-0-server-0",
            "k3d-yadoc-<run>-0-server-1",
            "k3d-yadoc-<run>-0-server-2",
            "k3d-yadoc-<run>-0-agent-0",
        ],
        "every server and agent, never the load balancer or the tools node"
    );
    assert_cleaned_up(&fakes);
}

#[test]
fn the_kubeconfig_k3d_writes_for_the_runs_api_port_points_the_client_at_loopback() {
    // yadoc always passes --api-port 127.0.0.1:FREE; k3d then writes https://127.0.0.1:FREE
    // (cmd/util/ports.go ParsePortExposureSpec keeps the host; pkg/client/kubeconfig.go KubeconfigGet)
    let fakes = Fakes::new();
    let api = healthy("default");
    let seen: std::sync::Arc<std::sync::Mutex<Vec<String>>> = Default::default();
    let inner = api.connector();
    let connect: yadoc::tiers::cluster::exec::Connector = {
        let seen = seen.clone();
        Box::new(move |path: std::path::PathBuf| {
            // what the real connector does with the file, then the fake API
            let kc = kube::config::Kubeconfig::read_from(&path).unwrap();
            let seen = seen.clone();
            let next = inner(path);
            Box::pin(async move {
                let config = kube::Config::from_custom_kubeconfig(
                    kc,
                    &kube::config::KubeConfigOptions::default(),
                )
                .await
                .unwrap();
                seen.lock().unwrap().push(config.cluster_url.to_string());
                next.await
            })
        })
    };
    let port = http_server(200, b"I am watching you, Marius N".to_vec());
    let (o, _) = quietly(|| {
        cluster::run_with(
            &lesson("fixtures/corrected", "lesson1.md"),
            fakes.tools(),
            connect,
            fast(),
            &[(8081, port)],
        )
    });
    assert_eq!(o.status, Status::Passed, "{o:#?}");
    let create = &fakes.calls()[0];
    let api_port = create
        .split("--api-port 127.0.0.1:")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .expect("--api-port 127.0.0.1:FREE");
    assert_eq!(
        *seen.lock().unwrap(),
        [format!("https://127.0.0.1:{api_port}/")],
        "the client reaches the API server on loopback, never 0.0.0.0"
    );
    assert_cleaned_up(&fakes);
}

#[test]
fn a_traefik_that_cannot_pull_is_diagnosed_from_kube_system_not_as_an_ingress_without_address() {
    // Docker Hub's rate limit reached the nodes' own pulls: traefik never starts, so the Ingress
    // never gets an address; the finding names the cause from kube-system's pods and events
    let ns = "default";
    let api = FakeApi::default()
        .with(payloads::deployment(ns, 1))
        .with(payloads::pod(ns, "myapp-5d9c7b8f4-abcde", "myapp", Container::Running))
        .with(payloads::ingress_unaddressed(ns))
        .with(payloads::traefik_pulling())
        // kubelet retries the pull with back-off; the recorder aggregates the repeats into one
        // Event whose count and lastTimestamp grow (client-go tools/record/events_cache.go)
        .live("/api/v1/namespaces/kube-system/events", || {
            vec![payloads::repeated_now(payloads::event(
            "kube-system",
            "Pod",
            "traefik-6b9f6b5c4-7xq2d",
            "Failed",
            "Failed to pull image \"rancher/mirrored-library-traefik:3.3.6\": failed to pull and unpack image \"docker.io/rancher/mirrored-library-traefik:3.3.6\": failed to copy: httpReadSeeker: failed open: unexpected status code https://registry-1.docker.io/v2/rancher/mirrored-library-traefik/manifests/sha256:4f2d: 429 Too Many Requests - Server message: toomanyrequests: You have reached your pull rate limit. You may increase the limit by authenticating and upgrading: https://www.docker.com/increase-rate-limit",
            40,
        ))]
        });
    let fakes = Fakes::new();
    let o = run(
        &lesson("fixtures/corrected", "lesson1.md"),
        &fakes,
        &api,
        &[(8081, 1)],
    );
    let f = finding(&o);
    assert!(
        f.expected
            .contains("Ingress default/myapp-ingress has an address"),
        "{f:?}"
    );
    assert!(
        f.diagnosis
            .as_deref()
            .is_some_and(|d| d.contains("[registry-rate-limit]")),
        "{f:?}"
    );
    assert!(f.fix.contains("YADOC_REGISTRY_USERNAME"), "{f:?}");
    let d = o
        .notes
        .iter()
        .find(|n| n.starts_with("diagnostics:"))
        .unwrap();
    assert!(
        d.contains(
            "kube-system pod traefik-6b9f6b5c4-7xq2d: Pending; traefik waiting ImagePullBackOff"
        ),
        "{d}"
    );
    assert!(
        d.contains("GiB free on / (this machine)"),
        "the disk, beside the cluster: {d}"
    );
    assert_cleaned_up(&fakes);
}

#[test]
fn registry_credentials_reach_every_nodes_containerd_and_no_file_outlives_the_run() {
    let mut fakes = Fakes::new();
    fakes.user_env.extend([
        (
            "YADOC_REGISTRY_USERNAME".to_string(),
            "yadoc-bot".to_string(),
        ),
        ("YADOC_REGISTRY_PASSWORD".to_string(), "s3cret".to_string()),
    ]);
    let port = http_server(200, b"I am watching you, Marius N".to_vec());
    let o = run(
        &lesson("fixtures/corrected", "lesson1.md"),
        &fakes,
        &healthy("default"),
        &[(8081, port)],
    );
    assert_eq!(o.status, Status::Passed, "{o:#?}");
    let create = &fakes.calls()[0];
    assert!(create.contains("--registry-config "), "{create}");
    let name = &cluster_names(&fakes.calls())[0];
    let given = std::fs::read_to_string(
        fakes
            .dir
            .path()
            .join("state")
            .join(format!("registries-{name}")),
    )
    .unwrap();
    let v = yadoc::yaml::YamlDoc::parse(&given).unwrap().value;
    assert_eq!(v["configs"]["docker.io"]["auth"]["username"], "yadoc-bot");
    assert_eq!(v["configs"]["docker.io"]["auth"]["password"], "s3cret");
    let path = create
        .split("--registry-config ")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap();
    assert!(
        !std::path::Path::new(path).exists(),
        "{path} removed with the run's directory"
    );
    assert!(
        o.notes.iter().all(|n| !n.contains("s3cret")),
        "the password is in no report"
    );
    assert!(o
        .notes
        .iter()
        .any(|n| n.contains("Docker Hub credentials of yadoc-bot")));
    assert_cleaned_up(&fakes);
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
    assert_eq!(
        shapes(&fakes.calls()),
        ["k3d cluster create", "k3d cluster delete"],
        "nothing runs after the failure, and the guard deletes"
    );
    assert_cleaned_up(&fakes);
}

#[test]
fn a_failing_image_import_is_located_and_cleaned_up() {
    let fakes = Fakes::new().rule(json!({"program": "k3d", "match": ["image import"], "exit": 1, "stderr": "FATA[0000] failed to find images: failed to fetch list of existing images from runtime"}));
    let o = run(
        &lesson("fixtures/corrected", "lesson1.md"),
        &fakes,
        &healthy("default"),
        &[],
    );
    let f = finding(&o);
    assert_eq!(f.line, 141);
    assert!(f.observed.contains("failed to find images"), "{f:?}");
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
fn an_image_import_that_exits_0_but_misses_a_node_fails_at_the_import_line() {
    // k3d's tools mode logs a failed per-node `ctr image import` and exits 0 (pkg/client/tools.go)
    let fakes = Fakes::new().rule(json!({"program": "k3d", "match": ["image import"], "exit": 0, "then_builtin": true,
        "unimported_nodes": ["agent-1"],
        "stderr": "INFO[0000] Importing images into nodes...\nERRO[0003] failed to import images in node 'k3d-x-agent-1': Exec process in node 'k3d-x-agent-1' failed with exit code '1'\nINFO[0004] Successfully imported image(s)\n"}));
    let o = run(
        &lesson("fixtures/corrected", "lesson1.md"),
        &fakes,
        &healthy("default"),
        &[],
    );
    let f = finding(&o);
    assert_eq!(f.line, 141, "at `k3d image import`");
    assert!(
        f.observed
            .contains("k3d exited 0, but 1 of 4 node(s) lack it: k3d-yadoc-"),
        "{f:?}"
    );
    assert!(f.observed.ends_with("-0-agent-1"), "{f:?}");
    // the fix that works for docker's containerd image store: --mode direct runs the same
    // `ctr image import --all-platforms` (k3d pkg/client/tools.go, l.142 and l.242 at v5.9.0)
    assert!(
        f.fix.contains("\"containerd-snapshotter\": false") && f.fix.contains("does not help"),
        "{f:?}"
    );
    assert!(
        !fakes.calls().iter().any(|c| c.contains(" apply ")),
        "nothing is applied after it"
    );
    assert_cleaned_up(&fakes);
}

// ---------- lesson 2 ----------

#[test]
fn lesson2_as_written_deletes_its_own_cluster_and_is_exactly_its_known_drift() {
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
    let judged = with_register("lessons", o);
    assert_eq!(judged.len(), 1, "no stale entry: {judged:#?}");
    assert_eq!(judged[0].status, Status::KnownDrift, "{judged:#?}");
    assert_cleaned_up(&fakes);
}

/// The corrected lesson 2 against `api`; the app answers its two visits (lines 247, 269) with the
/// 10 MiB file, then the load with `load_status` and a small body: `api`'s HPA is fixed payloads,
/// which no load moves, and the 10 MiB answers to 16 connections for the HPA deadline were most
/// of this file's time (the kernel's loopback copies, `perf record`).
fn lesson2(api: FakeApi, load_status: u16) -> (Fakes, Outcome) {
    let fakes = Fakes::new();
    let body = yadoc::lesson::artifact::generate(TEN_MIB);
    let port = http_server_seq(vec![
        (200, body.clone()),
        (200, body),
        (load_status, b"load".to_vec()),
    ]);
    let o = run(
        &lesson("fixtures/corrected", "lesson2.md"),
        &fakes,
        &api,
        &[(8081, port)],
    );
    (fakes, o)
}

/// The corrected lesson 2 against the simulated HPA controller (`fake_cluster/hpa_controller.rs`:
/// the upstream replica formula, one sync per read of the HPA); the fake traefik answers the visits
/// and the load with the 10 MiB file, or the load with `load_status`, and counts what it served.
fn lesson2_sim(app: App, load_status: u16) -> (Fakes, Outcome, HpaController) {
    let ns = "hpa-test";
    let ctl = HpaController::new(ns, app);
    let api = lesson2_cluster(&ctl, ns);
    let fakes = Fakes::new();
    let body = yadoc::lesson::artifact::generate(TEN_MIB);
    let port = http_server_counting(
        vec![
            (200, body.clone()),
            (200, body.clone()),
            (load_status, body),
        ],
        ctl.served.clone(),
    );
    let o = run(
        &lesson("fixtures/corrected", "lesson2.md"),
        &fakes,
        &api,
        &[(8081, port)],
    );
    (fakes, o, ctl)
}

#[test]
fn lesson2_scales_up_on_cpu_under_load_computed_by_the_upstream_replica_formula() {
    let (fakes, o, ctl) = lesson2_sim(App::quiet(), 200);
    assert_eq!(o.status, Status::Passed, "{o:#?}");
    let rest = o
        .notes
        .iter()
        .find(|n| n.contains("HPA hpa-test/myapp-hpa at rest before the load"))
        .expect("the plateau before the load");
    assert!(
        rest.contains("1 replica(s), desired 1") && rest.contains("memory 48%"),
        "{rest}"
    );
    let scaled = o
        .notes
        .iter()
        .find(|n| n.contains("HPA hpa-test/myapp-hpa scaled under load"))
        .expect("scale note");
    let size = ctl.replicas();
    assert!(size > 1, "the simulated controller scaled: {size}");
    assert!(
        scaled.contains("driven by cpu, the load's")
            && scaled.contains(&format!("{size} replicas Ready")),
        "{scaled}"
    );
    assert!(
        scaled.contains("new size") && scaled.contains("cpu resource utilization"),
        "the SuccessfulRescale event the controller recorded: {scaled}"
    );
    assert!(
        scaled.contains("timeline: +0s myapp-hpa: 1 → "),
        "the timeline of what the HPA saw: {scaled}"
    );
    // the same timeline as a picture for the job summary: replicas and utilisation, scale-up marked
    assert_eq!(o.charts.len(), 1, "{:#?}", o.charts);
    let chart = &o.charts[0];
    assert!(chart.contains("```mermaid\nxychart-beta"), "{chart}");
    assert!(chart.contains("▲ scale-up"), "{chart}");
    assert!(chart.contains("cpu, memory"), "{chart}");
    let summary = yadoc::report::markdown::render(&yadoc::report::Report::new(
        vec!["lesson2.md".into()],
        vec![o.clone()],
    ));
    assert!(
        summary.contains("### lesson2.md cluster: what the cluster showed"),
        "{summary}"
    );
    assert!(summary.contains(chart.as_str()));
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
fn memory_within_the_hpa_tolerance_rests_and_only_the_load_scales_it() {
    // 32 MiB of the 50Mi request is 64 %: |1 - 64/60| = 0.067, inside the controller's 0.1
    // tolerance (replica_calculator.go), so an idle gunicorn does not scale: the load does
    let app = App {
        memory_mib: 32.0,
        ..App::quiet()
    };
    let (fakes, o, _) = lesson2_sim(app, 200);
    assert_eq!(o.status, Status::Passed, "{o:#?}");
    assert!(
        o.notes.iter().any(
            |n| n.contains("at rest before the load: 1 replica(s)") && n.contains("memory 64%")
        ),
        "{:#?}",
        o.notes
    );
    assert!(o.notes.iter().any(|n| n.contains("driven by cpu")));
    assert_cleaned_up(&fakes);
}

#[test]
fn a_memory_target_below_the_apps_idle_use_reaches_max_replicas_before_any_load_and_is_a_lesson_finding(
) {
    // 36 MiB is 72 % of the request: every sync proposes ceil(1.2 × pods), each new pod uses the
    // same, and the controller climbs 1 → 2 → 3 … to maxReplicas with no load at all
    let app = App {
        memory_mib: 36.0,
        ..App::quiet()
    };
    let (fakes, o, ctl) = lesson2_sim(app, 200);
    assert_eq!(ctl.replicas(), 10, "the controller reached maxReplicas");
    let f = finding(&o);
    assert_eq!(
        f.line, 185,
        "at the memory target's averageUtilization in the lesson's hpa.yaml"
    );
    assert!(
        f.expected
            .contains("below its maxReplicas (10) before any load"),
        "{f:?}"
    );
    assert!(
        f.observed
            .contains("already at 10/10 replicas before the load")
            && f.observed
                .contains("memory at 72% of its request (36 MiB per pod) against a 60% target")
            && f.observed.contains("ScalingLimited=True TooManyReplicas"),
        "{f:?}"
    );
    assert!(f.fix.contains("raise the memory request"), "{f:?}");
    assert!(
        !o.notes.iter().any(|n| n.starts_with("load: ")),
        "no load is sent: the finding comes at once"
    );
    assert_eq!(
        ctl.served.load(std::sync::atomic::Ordering::SeqCst),
        2,
        "only the lesson's two visits"
    );
    assert_cleaned_up(&fakes);
}

#[test]
fn a_memory_driven_rescale_under_load_is_reported_as_memory_not_as_the_loads() {
    // at rest within the tolerance, then the memory crosses it while the load runs (buffers of the
    // 10 MiB responses): the HPA scales, and the report says on what
    let app = App {
        memory_mib: 32.0,
        cpu_m_per_request: 0.0,
        memory_mib_under_load: Some(40.0),
        ..App::quiet()
    };
    let (fakes, o, _) = lesson2_sim(app, 200);
    assert_eq!(o.status, Status::Passed, "{o:#?}");
    let scaled = o
        .notes
        .iter()
        .find(|n| n.contains("scaled under load"))
        .expect("scale note");
    assert!(
        scaled.contains("driven by memory (not by the load's cpu"),
        "{scaled}"
    );
    assert_cleaned_up(&fakes);
}

#[test]
fn a_new_hpas_start_up_metric_warning_is_context_not_the_diagnosis_of_a_later_failure() {
    // the HPA reads its metrics fine, but the load's cpu cost is nothing: it never scales. Its
    // FailedGetResourceMetric from 30 s before the wait began is no cause of that
    let ns = "hpa-test";
    let app = App {
        cpu_m_per_request: 0.0,
        ..App::quiet()
    };
    let ctl = HpaController::new(ns, app).with_startup_warning(30);
    let api = lesson2_cluster(&ctl, ns);
    let fakes = Fakes::new();
    // the visits get the file; the load, which costs nothing here, a small body
    let body = yadoc::lesson::artifact::generate(TEN_MIB);
    let port = http_server_counting(
        vec![(200, body.clone()), (200, body), (200, b"load".to_vec())],
        ctl.served.clone(),
    );
    let o = run(
        &lesson("fixtures/corrected", "lesson2.md"),
        &fakes,
        &api,
        &[(8081, port)],
    );
    let f = finding(&o);
    assert_eq!(f.line, 269);
    assert!(
        f.diagnosis
            .as_deref()
            .is_none_or(|d| !d.contains("hpa-metrics-unavailable")),
        "{f:?}"
    );
    let d = o
        .notes
        .iter()
        .find(|n| n.starts_with("diagnostics:"))
        .expect("diagnostics");
    let context = d
        .split("events from before this wait began")
        .nth(1)
        .expect("the earlier events, apart");
    assert!(context.contains("FailedGetResourceMetric"), "{d}");
    assert_cleaned_up(&fakes);
}

#[test]
fn new_replicas_whose_image_is_gone_from_their_node_fail_the_promise_with_their_state() {
    let app = App {
        new_pods_never_pull: true,
        ..App::quiet()
    };
    let (fakes, o, _) = lesson2_sim(app, 200);
    let f = finding(&o);
    assert_eq!(f.line, 269);
    assert!(
        f.expected
            .contains("replicas of Deployment hpa-test/myapp Ready")
            && f.expected.contains("after the HPA scaled to"),
        "{f:?}"
    );
    assert!(
        f.observed.contains("ErrImageNeverPull") && f.observed.contains("it will not start"),
        "{f:?}"
    );
    assert_cleaned_up(&fakes);
}

#[test]
fn a_rescale_from_before_the_load_does_not_count() {
    // lesson 2's memory request (50Mi) is close to an idle worker's use: the HPA may scale at once
    let ns = "hpa-test";
    let api = healthy(ns).with(payloads::rescale(ns, 2, "memory", 20));
    let (fakes, o) = lesson2(api, 200);
    let f = finding(&o);
    assert_eq!(
        f.line, 269,
        "the lesson's \"start hitting the refresh button\""
    );
    assert!(
        f.expected
            .contains("a new SuccessfulRescale, after the load started"),
        "{f:?}"
    );
    assert!(
        o.notes
            .iter()
            .any(|n| n.contains("at rest before the load: 1 replica(s), desired 1")),
        "{:#?}",
        o.notes
    );
    assert_cleaned_up(&fakes);
}

#[test]
fn a_rescale_while_every_load_request_fails_is_not_a_scale_up_under_load() {
    let ns = "hpa-test";
    let api = healthy(ns).object(vec![
        serde_json::Value::Null,
        payloads::rescale(ns, 2, "memory", 95),
    ]);
    let (fakes, o) = lesson2(api, 503);
    let f = finding(&o);
    assert_eq!(f.line, 269);
    assert!(f.observed.contains("no load request succeeded"), "{f:?}");
    assert_cleaned_up(&fakes);
}

#[test]
fn an_hpa_that_never_scales_fails_with_its_status() {
    let (fakes, o) = lesson2(healthy("hpa-test"), 200);
    let f = finding(&o);
    assert_eq!(f.line, 269);
    assert!(
        f.expected.contains("scale above its pre-load 1 replica(s)"),
        "{f:?}"
    );
    assert!(
        f.observed
            .contains("myapp-hpa: 1 → 1 replicas; metrics: cpu 3%, memory 41%"),
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
    let ns = "hpa-test";
    let api = FakeApi::default()
        .with(payloads::deployment(ns, 1))
        .with(payloads::pod(
            ns,
            "myapp-5d9c7b8f4-abcde",
            "myapp",
            Container::Running,
        ))
        .with(payloads::ingress(ns))
        .object(vec![
            payloads::hpa(ns, Hpa::New),
            payloads::hpa(ns, Hpa::Blind),
        ]);
    let (fakes, o) = lesson2(api, 200);
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

#[tokio::test]
async fn diagnostics_show_the_latest_events_by_time_not_by_name() {
    // the API lists events by name; 25 events whose names sort against their times
    let ns = "default";
    let mut api = FakeApi::default();
    for i in 0..25u32 {
        let mut e = payloads::event(
            ns,
            "Pod",
            "myapp",
            "Pulled",
            &format!("event number {i}"),
            100 - i,
        );
        e["metadata"]["name"] = json!(format!("myapp.{i:02}"));
        api = api.with(e);
    }
    let client = (api.connector())(std::path::PathBuf::new()).await.unwrap();
    let d = api::diagnostics(&client, ns).await;
    assert!(
        d.contains("event number 0") && d.contains("event number 19"),
        "{d}"
    );
    assert!(
        !d.contains("event number 20") && !d.contains("event number 24"),
        "the oldest are left out: {d}"
    );
    let first = d.find("event number 19").unwrap();
    assert!(
        first < d.find("event number 0").unwrap(),
        "oldest first, newest last: {d}"
    );
}

// ---------- lesson 3 ----------

fn lesson3(kubectl_volume: &str, nodes: Vec<serde_json::Value>) -> (Fakes, FakeApi) {
    let pod = payloads::pod("api-test", "nginx", "nginx", Container::Running);
    let pods = payloads::list::<k8s_openapi::api::core::v1::Pod>(vec![pod.clone()]);
    let yaml = format!("apiVersion: v1\nkind: Pod\nmetadata:\n  name: nginx\n  namespace: api-test\nspec:\n  containers:\n  - name: nginx\n    image: nginx:latest\n  volumes:\n  - name: {kubectl_volume}\n    projected:\n      defaultMode: 420\n      sources: []\n");
    let fakes = Fakes::new()
        .rule(json!({"program": "curl", "match": ["namespaces/api-test/pods"], "stdout": serde_json::to_string_pretty(&pods).unwrap()}))
        .rule(json!({"program": "kubectl", "match": ["get pod nginx -n api-test -o=yaml"], "stdout": yaml}));
    let api = FakeApi::default().with(pod).object(nodes);
    (fakes, api)
}

fn etcd_labelled_on_the_third_read() -> Vec<serde_json::Value> {
    let without = payloads::server_node("k3d-server-0", false);
    vec![
        without.clone(),
        without,
        payloads::server_node("k3d-server-0", true),
    ]
}

#[test]
fn lesson3_curl_and_kubectl_name_the_same_volumes_and_the_etcd_cluster_runs_etcd() {
    // k3s labels the etcd node after k3d returned: the label appears on a later read
    let (fakes, api) = lesson3("kube-api-access-wcl8p", etcd_labelled_on_the_third_read());
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
fn lesson3_as_written_runs_as_the_corrected_one_on_a_cluster() {
    // its defects are static (an unclosed fence; a host port another lesson holds): alone, on a
    // fresh cluster, the lesson as written does what it says
    let (fakes, api) = lesson3("kube-api-access-wcl8p", etcd_labelled_on_the_third_read());
    let o = run(&lesson("lessons", "lesson3.md"), &fakes, &api, &[]);
    let judged = with_register("lessons", o);
    assert_eq!(judged.len(), 1, "{judged:#?}");
    assert_eq!(judged[0].status, Status::Passed, "{judged:#?}");
}

#[test]
fn curl_and_kubectl_disagreeing_on_volumes_fails_at_the_curl_line() {
    let (fakes, api) = lesson3("kube-api-access-other", etcd_labelled_on_the_third_read());
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
fn a_cluster_init_cluster_whose_node_never_gets_the_etcd_label_fails_at_its_create_line() {
    let (fakes, api) = lesson3(
        "kube-api-access-wcl8p",
        vec![payloads::server_node("k3d-server-0", false)],
    );
    let o = run(
        &lesson("fixtures/corrected", "lesson3.md"),
        &fakes,
        &api,
        &[],
    );
    let f = finding(&o);
    assert_eq!(f.line, 157);
    assert!(f.observed.contains("no node runs etcd"), "{f:?}");
    assert!(
        f.expected.contains("within"),
        "it polled up to a deadline: {f:?}"
    );
    assert_cleaned_up(&fakes);
}

#[test]
fn a_certificate_path_that_yields_no_pem_fails_at_the_extraction_line() {
    let (fakes, api) = lesson3("kube-api-access-wcl8p", etcd_labelled_on_the_third_read());
    let fakes = fakes.rule(json!({"program": "k3d", "match": ["kubeconfig write"], "write_after": "--output",
        "content": "apiVersion: v1\nclusters:\n- cluster:\n    server: https://0.0.0.0:6550\n  name: k3d-{name}\nusers:\n- name: admin@k3d-{name}\n  user:\n    token: abc\n"}));
    let o = run(
        &lesson("fixtures/corrected", "lesson3.md"),
        &fakes,
        &api,
        &[],
    );
    let f = finding(&o);
    assert_eq!(f.line, 68, "at the first extraction, not at curl");
    assert!(f.observed.contains("is not a string"), "{f:?}");
    assert!(
        !fakes.calls().iter().any(|c| c.starts_with("curl ")),
        "curl never ran"
    );
    assert_cleaned_up(&fakes);
}

#[test]
fn a_yq_that_prints_null_is_not_believed_and_yadoc_reads_the_kubeconfig_itself() {
    let (fakes, api) = lesson3("kube-api-access-wcl8p", etcd_labelled_on_the_third_read());
    let fakes = fakes.rule(json!({"program": "yq", "stdout": "null\n"}));
    let mut tools = fakes.tools();
    tools.yq = Some(fakes.dir.path().join("yq").display().to_string());
    let (o, _) = quietly(|| {
        cluster::run_with(
            &lesson("fixtures/corrected", "lesson3.md"),
            tools,
            api.connector(),
            fast(),
            &[],
        )
    });
    assert_eq!(o.status, Status::Passed, "{o:#?}");
    assert!(
        o.notes
            .iter()
            .any(|n| n.contains("lesson3.md:68 yq printed no usable value")
                && n.contains("empty or null")),
        "{:#?}",
        o.notes
    );
    // yq ran, with the lesson's cluster name replaced by the run's in the select
    assert!(
        fakes.calls().iter().any(|c| c
            .starts_with("yq e -e .clusters[] | select(.name == \"k3d-yadoc-")
            && c.ends_with("-0\") | .cluster.\"certificate-authority-data\" -")),
        "{:#?}",
        fakes.calls()
    );
}

// ---------- the plan, and this machine ----------

/// `yadoc plan --tier cluster` and a contract run of the same lesson agree command for command
/// (with the KUBECONFIG of every k3d and kubectl line): the run executes the plan, then only cleans up.
fn plan_agrees(l: &yadoc::lesson::Lesson, fakes: &Fakes, api: &FakeApi, ports: &[(u16, u16)]) {
    let plan: Vec<String> = cluster::plan(l)
        .executed
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
            c.contains("k3d cluster delete") || c.starts_with("docker rmi"),
            "after the plan only cleanup runs: {c}"
        );
    }
    for c in plan
        .iter()
        .filter(|c| c.contains(" k3d ") || c.contains(" kubectl "))
    {
        assert!(c.starts_with("KUBECONFIG=<dir>/kubeconfig "), "{c}");
    }
}

#[test]
fn lesson1_plan_agrees_line_for_line_with_the_contract_run() {
    let l = lesson("fixtures/corrected", "lesson1.md");
    let port = http_server(200, b"I am watching you, Marius N".to_vec());
    plan_agrees(&l, &Fakes::new(), &healthy("default"), &[(8081, port)]);
    let lines: Vec<usize> = cluster::plan(&l).executed.iter().map(|e| e.line).collect();
    assert_eq!(lines.first(), Some(&11));
    assert_eq!(lines.last(), Some(&178));
}

#[test]
fn lesson2_plan_agrees_line_for_line_with_the_contract_run() {
    let ns = "hpa-test";
    let ctl = HpaController::new(ns, App::quiet());
    let api = lesson2_cluster(&ctl, ns);
    let port = http_server_counting(
        vec![(200, yadoc::lesson::artifact::generate(TEN_MIB))],
        ctl.served.clone(),
    );
    let l = lesson("fixtures/corrected", "lesson2.md");
    plan_agrees(&l, &Fakes::new(), &api, &[(8081, port)]);
    let create = cluster::plan(&l)
        .executed
        .iter()
        .find(|e| {
            e.argv
                .starts_with(&["cluster".to_string(), "create".to_string()])
        })
        .unwrap()
        .command();
    assert!(
        create.contains("--api-port 127.0.0.1:"),
        "lesson 2's API server on loopback: {create}"
    );
}

#[test]
fn lesson3_plan_agrees_line_for_line_with_the_contract_run() {
    let (fakes, api) = lesson3("kube-api-access-wcl8p", etcd_labelled_on_the_third_read());
    plan_agrees(
        &lesson("fixtures/corrected", "lesson3.md"),
        &fakes,
        &api,
        &[],
    );
}

#[test]
fn without_k3d_the_cluster_tier_is_skipped_with_the_reason_or_fails_when_required() {
    if Tools::detect(None).is_ok() {
        eprintln!("k3d is installed here: this test is about machines without it");
        return;
    }
    let o = quietly(|| cluster::run(&lesson("lessons", "lesson1.md")));
    assert!(
        o.prerequisite_missing
            .as_deref()
            .is_some_and(|r| r.contains("not found")),
        "{o:?}"
    );
    if std::env::var("YADOC_REQUIRE").is_ok_and(|v| v.contains("cluster") || v == "all") {
        assert_eq!(o.status, Status::Failed);
    } else {
        assert!(
            matches!(&o.status, Status::Skipped { reason } if reason.contains("not found")),
            "{o:?}"
        );
    }
}

#[test]
fn a_lesson_that_calls_curl_cannot_run_on_a_cluster_without_curl() {
    let fakes = Fakes::new();
    let bin = |p: &str| fakes.dir.path().join(p).display().to_string();
    let env = |name: &str| match name {
        "YADOC_K3D" => Some(bin("k3d")),
        "YADOC_KUBECTL" => Some(bin("kubectl")),
        "YADOC_CURL" => Some("/nonexistent/curl".into()),
        _ => None,
    };
    let err = Tools::detect_with(env, Some(("lesson3.md", 81))).unwrap_err();
    assert!(
        err.contains("/nonexistent/curl not found, and lesson3.md:81 calls it"),
        "{err}"
    );
}

#[test]
fn one_real_cluster_run_at_a_time_across_processes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cluster.lock");
    let held = cluster::exclusive(&path, Duration::from_secs(1)).unwrap();
    let err = quietly(|| cluster::exclusive(&path, Duration::from_millis(300))).unwrap_err();
    assert!(err.contains("another cluster run held"), "{err}");
    drop(held);
    assert!(
        cluster::exclusive(&path, Duration::from_millis(300)).is_ok(),
        "released with its holder"
    );
}
