//! Lesson 2: namespace hpa-test, gunicorn serving a ~10 MB file, requests/limits, an autoscaling/v2
//! HPA on cpu and memory, and load that makes it scale.
//! `cargo test --test lesson2` runs every tier this machine can run, the cluster tier included
//! wherever docker, k3d and kubectl are found; elsewhere the cluster tests show as ignored with the
//! reason. `YADOC_SKIP=cluster` leaves the cluster tier out (ignored, with that reason).

mod support;

use libtest_mimic::Completion;

use support::*;
use yadoc::checks::finding::{Status, Tier};
use yadoc::lesson::artifact::{Body, Origin};
use yadoc::lesson::Lesson;

fn lesson() -> Lesson {
    Lesson::load(&lessons_dir().join("lesson2.md")).expect("lesson2.md loads")
}

fn lesson2_static_tier_reports_exactly_the_known_drift() {
    let outcomes = static_outcomes(&lessons_dir(), "lesson2.md");
    assert_only_known_drift(&lessons_dir(), "lesson2.md", &outcomes);
    assert_eq!(
        located(&findings(&outcomes)),
        [
            "markdown.block-language@lesson2.md:64",
            "markdown.block-language@lesson2.md:91",
            "markdown.unclosed-fence@lesson2.md:264",
            "steps.cluster-lifecycle@lesson2.md:27",
        ]
    );
}

fn lesson2_derives_service_ingress_and_test_txt_and_says_so() {
    let l = lesson();
    for (name, line) in [
        ("service.yaml", 116),
        ("ingress.yaml", 116),
        ("test.txt", 47),
    ] {
        let f = l.file(name).unwrap_or_else(|| panic!("{name} derived"));
        assert!(
            matches!(f.origin, Origin::Derived { line: l2, .. } if l2 == line),
            "{name}: {:?}",
            f.origin
        );
    }
    assert!(l
        .file("service.yaml")
        .unwrap()
        .text()
        .contains("  namespace: hpa-test\n"));
    assert_eq!(
        l.file("test.txt").unwrap().body,
        Body::Generated {
            size: 10 * 1024 * 1024
        }
    );
    let plan = yadoc::plan::render(&l);
    assert!(plan.contains("test.txt           DERIVED  "), "{plan}");
    assert!(plan.contains("hpa.yaml           read     "), "{plan}");
}

fn lesson2_plan_lists_every_step_in_order_with_its_line() {
    let plan = yadoc::plan::render(&lesson());
    let steps: Vec<&str> = plan
        .lines()
        .filter(|l| {
            l.trim_start()
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_digit())
        })
        .collect();
    let expect = [
        ("lesson2.md:20 ", "k3d cluster create yadoc-exposed"),
        ("lesson2.md:27 ", "k3d cluster delete yadoc-exposed"),
        ("lesson2.md:39 ", "kubectl create ns hpa-test"),
        ("lesson2.md:99 ", "docker build -t myapp:hpa-test ."),
        (
            "lesson2.md:105 ",
            "k3d image import myapp:hpa-test -c yadoc-exposed",
        ),
        ("lesson2.md:223 ", "kubectl apply -f deployment.yaml"),
        ("lesson2.md:224 ", "kubectl apply -f hpa.yaml"),
        ("lesson2.md:225 ", "kubectl apply -f service.yaml"),
        ("lesson2.md:226 ", "kubectl apply -f ingress.yaml"),
        ("lesson2.md:233 ", "kubectl get pods -n hpa-test"),
        ("lesson2.md:246 ", "http://myapp.local:8081/"),
        ("lesson2.md:257 ", "kubectl get events -n hpa-test --watch"),
        (
            "lesson2.md:261 ",
            "kubectl describe hpa myapp-hpa -n hpa-test",
        ),
        ("lesson2.md:265 ", "kubectl get pods -n hpa-test --watch"),
        ("lesson2.md:267 ", "http://myapp.local:8081/"),
    ];
    assert_eq!(steps.len(), expect.len(), "{plan}");
    for (got, (at, text)) in steps.iter().zip(expect) {
        assert!(
            got.contains(at) && got.contains(text),
            "expected {at} {text}, got {got}"
        );
    }
}

fn lesson2_app_as_written_fails_to_boot_gunicorn_and_is_known_werkzeug_drift() -> Verdict {
    let outcomes = ran!(tier(&lessons_dir(), "lesson2.md", Tier::App));
    let serve = outcome(&outcomes, "app.serve");
    assert_eq!(serve.status, Status::KnownDrift, "{serve:#?}");
    assert_eq!(serve.findings[0].line, 92, "located at Flask==2.1.0");
    assert!(serve.findings[0]
        .diagnosis
        .as_deref()
        .is_some_and(|d| d.contains("[werkzeug-url-quote]")));
    Ok(Completion::Completed)
}

fn lesson2_corrected_app_serves_the_exact_10_mb_test_txt_under_gunicorn() -> Verdict {
    let outcomes = ran!(tier(&corrected_dir(), "lesson2.md", Tier::App));
    let serve = outcome(&outcomes, "app.serve");
    assert_eq!(serve.status, Status::Passed, "{serve:#?}");
    assert!(
        serve
            .notes
            .iter()
            .any(|n| n.contains("gunicorn --bind 127.0.0.1:")),
        "{:?}",
        serve.notes
    );
    assert!(
        serve
            .notes
            .iter()
            .any(|n| n.contains("HTTP 200, 10485760 bytes")),
        "{:?}",
        serve.notes
    );
    Ok(Completion::Completed)
}

fn lesson2_image_as_written_is_known_drift_and_corrected_serves_10_mb() -> Verdict {
    let outcomes = ran!(tier(&lessons_dir(), "lesson2.md", Tier::Image));
    assert_eq!(
        outcome(&outcomes, "image.serve").status,
        Status::KnownDrift,
        "{outcomes:#?}"
    );
    let outcomes = ran!(tier(&corrected_dir(), "lesson2.md", Tier::Image));
    let serve = outcome(&outcomes, "image.serve");
    assert_eq!(serve.status, Status::Passed, "{serve:#?}");
    assert!(
        serve
            .notes
            .iter()
            .any(|n| n.contains("HTTP 200, 10485760 bytes")),
        "{:?}",
        serve.notes
    );
    Ok(Completion::Completed)
}

lesson_main! {
    lesson: "lesson2.md",
    plain: [
        lesson2_static_tier_reports_exactly_the_known_drift,
        lesson2_derives_service_ingress_and_test_txt_and_says_so,
        lesson2_plan_lists_every_step_in_order_with_its_line,
    ],
    app: [
        lesson2_app_as_written_fails_to_boot_gunicorn_and_is_known_werkzeug_drift,
        lesson2_corrected_app_serves_the_exact_10_mb_test_txt_under_gunicorn,
    ],
    image: [
        lesson2_image_as_written_is_known_drift_and_corrected_serves_10_mb,
    ],
}
