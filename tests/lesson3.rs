//! Lesson 3: the API server on --api-port 6550, certificates from the kubeconfig, curl and kubectl
//! agreeing on the pod's volumes, and a cluster with etcd (--cluster-init).
//! `cargo test --test lesson3` runs every tier this machine can run, the cluster tier included
//! wherever docker, k3d and kubectl are found; elsewhere the cluster tests show as ignored with the
//! reason. `YADOC_SKIP=cluster` leaves the cluster tier out (ignored, with that reason).

mod support;

use support::*;
use yadoc::lesson::steps::StepKind;
use yadoc::lesson::Lesson;

fn lesson() -> Lesson {
    Lesson::load(&lessons_dir().join("lesson3.md")).expect("lesson3.md loads")
}

fn lesson3_static_tier_reports_exactly_the_known_drift() {
    let outcomes = static_outcomes(&lessons_dir(), "lesson3.md");
    assert_only_known_drift(&lessons_dir(), "lesson3.md", &outcomes);
    assert_eq!(
        located(&findings(&outcomes)),
        [
            "kubeconfig.index-path@lesson3.md:68",
            "kubeconfig.index-path@lesson3.md:70",
            "kubeconfig.index-path@lesson3.md:72",
            "markdown.unclosed-fence@lesson3.md:155",
        ]
    );
}

fn lesson3_unclosed_fence_names_what_it_swallows() {
    let outcomes = static_outcomes(&lessons_dir(), "lesson3.md");
    let f = *findings(&outcomes)
        .iter()
        .find(|f| f.check == "markdown.unclosed-fence")
        .unwrap();
    assert!(
        f.observed.contains("lines 156–253 (end of file)"),
        "{}",
        f.observed
    );
    assert!(f.observed.contains("line 160"), "{}", f.observed);
    assert!(f.fix.contains("after line 157"), "{}", f.fix);
}

fn lesson3_steps_extract_certs_and_call_the_api_on_its_port() {
    let l = lesson();
    let create: Vec<_> = l
        .commands()
        .filter_map(|s| match &s.kind {
            StepKind::ClusterCreate(c) => Some((s.line, c.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(create.len(), 2);
    assert_eq!((create[0].0, create[0].1.api_port), (27, Some(6550)));
    assert_eq!((create[1].0, create[1].1.api_port), (157, Some(6551)));
    assert_eq!(create[1].1.k3s_args, ["--cluster-init@server:0"]);
    let outs: Vec<String> = l
        .commands()
        .filter_map(|s| match &s.kind {
            StepKind::ExtractKubeconfigField { out, .. } => Some(out.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        outs,
        [
            "cert_auth_data.crt",
            "client_cert_data.crt",
            "client_key_data.key"
        ]
    );
    let curls: Vec<usize> = l
        .commands()
        .filter(|s| matches!(s.kind, StepKind::Curl { .. }))
        .map(|s| s.line)
        .collect();
    assert_eq!(curls, [81, 120]);
}

lesson_main! {
    lesson: "lesson3.md",
    plain: [
        lesson3_static_tier_reports_exactly_the_known_drift,
        lesson3_unclosed_fence_names_what_it_swallows,
        lesson3_steps_extract_certs_and_call_the_api_on_its_port,
    ],
    app: [
    ],
    image: [
    ],
}
