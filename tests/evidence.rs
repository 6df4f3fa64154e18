//! No check passes without its evidence: each test edits a copy of the course the way a hunt for
//! false passes did (issue 10), and asserts the check now fails, or says "not applicable" with its
//! reason — never ✓. The last test holds the rule for every lesson yadoc knows: no check reports a
//! pass having examined nothing.

mod support;

use std::path::Path;

use support::*;
use yadoc::checks::finding::{Outcome, Status, Tier};
use yadoc::lesson::Lesson;

/// A scratch copy of `from` with `lesson` edited by `edit`.
fn edited(from: &Path, lesson: &str, edit: impl Fn(&str) -> String) -> tempfile::TempDir {
    let dir = scratch_copy(from);
    let path = dir.path().join(lesson);
    let text = std::fs::read_to_string(&path).unwrap();
    let new = edit(&text);
    assert_ne!(new, text, "the edit of {lesson} changed nothing");
    std::fs::write(&path, new).unwrap();
    dir
}

/// Replace exactly one occurrence of `from`.
fn once(text: &str, from: &str, to: &str) -> String {
    assert_eq!(text.matches(from).count(), 1, "`{from}` occurs once");
    text.replacen(from, to, 1)
}

/// The 1-based line of the first line of the lesson that contains `needle`.
fn line_of(dir: &Path, lesson: &str, needle: &str) -> usize {
    std::fs::read_to_string(dir.join(lesson))
        .unwrap()
        .lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("`{needle}` in {lesson}"))
        + 1
}

fn outcome<'a>(outcomes: &'a [Outcome], check: &str) -> &'a Outcome {
    outcomes
        .iter()
        .find(|o| o.check == check)
        .unwrap_or_else(|| panic!("no outcome for {check}"))
}

/// The check failed, with a finding at `line` whose observed text contains `seen`.
#[track_caller]
fn fails_at(outcomes: &[Outcome], check: &str, line: usize, seen: &str) {
    let o = outcome(outcomes, check);
    assert_eq!(o.status, Status::Failed, "{check}: {o:#?}");
    assert!(
        o.findings
            .iter()
            .any(|f| f.line == line && f.observed.contains(seen)),
        "{check}: no finding at line {line} observing `{seen}`: {:#?}",
        o.findings
    );
}

#[track_caller]
fn not_applicable(outcomes: &[Outcome], check: &str, because: &str) {
    let o = outcome(outcomes, check);
    match &o.status {
        Status::NotApplicable { reason } => assert!(reason.contains(because), "{check}: {reason}"),
        other => panic!("{check} should be not applicable ({because}), is {other:?}: {o:#?}"),
    }
}

// 1. A lesson's own file is never replaced by its derivation; every input of a derivation is checked.

#[test]
fn a_file_the_lesson_shows_is_used_and_its_derivation_reported_obsolete() {
    let bad_service = "Here is the full service.yaml:\n\n```yaml\napiVersion: v1\nkind: Service\nmetadata:\n  name: myapp-service\n  namespace: hpa-test\nspec:\n  selector:\n    app: not-myapp\n  ports:\n    - port: 80\n      targetPort: 9999\n```\n\nWe have some more changes";
    let dir = edited(&lessons_dir(), "lesson2.md", |t| {
        once(t, "We have some more changes", bad_service)
    });
    let outcomes = static_outcomes(dir.path(), "lesson2.md");
    let shown = line_of(dir.path(), "lesson2.md", "name: myapp-service") - 3;
    fails_at(
        &outcomes,
        "definition.stale",
        shown,
        "the lesson shows service.yaml itself",
    );
    // the lesson's Service is the one checked: its selector selects nothing
    fails_at(
        &outcomes,
        "xref.service-selector",
        line_of(dir.path(), "lesson2.md", "app: not-myapp") - 1,
        "selector app=not-myapp",
    );
}

#[test]
fn a_namespace_excerpt_naming_another_namespace_makes_the_derivation_stale() {
    let dir = edited(&lessons_dir(), "lesson2.md", |t| {
        once(t, "\nnamespace: hpa-test\n", "\nnamespace: web-test\n")
    });
    let outcomes = static_outcomes(dir.path(), "lesson2.md");
    let line = line_of(dir.path(), "lesson2.md", "namespace: web-test");
    fails_at(
        &outcomes,
        "definition.stale",
        line,
        "names namespace web-test",
    );
}

#[test]
fn a_because_line_reworded_around_its_quoted_words_is_stale() {
    let dir = edited(&lessons_dir(), "lesson1.md", |t| {
        once(
            t,
            "This is a very basic Flask application",
            "This is, roughly, a very basic Flask application",
        )
    });
    let outcomes = static_outcomes(dir.path(), "lesson1.md");
    fails_at(&outcomes, "definition.stale", 33, "This is, roughly");
}

// 2. No CMD, no literal: findings, and the tiers say why they cannot run.

#[test]
fn a_dockerfile_without_cmd_is_a_finding_and_the_app_tier_says_why_it_cannot_run() {
    let dir = edited(&corrected_dir(), "lesson1.md", |t| {
        once(t, "CMD [\"python\", \"app.py\"]\n", "")
    });
    let outcomes = static_outcomes(dir.path(), "lesson1.md");
    let last = line_of(dir.path(), "lesson1.md", "EXPOSE 5000");
    fails_at(
        &outcomes,
        "docker.cmd-target",
        last,
        "the Dockerfile has none",
    );
    if yadoc::tiers::prereq::required(Tier::App) {
        return; // under YADOC_REQUIRE the tier fails instead: harness/tests/cli.rs
    }
    let l = Lesson::load(&dir.path().join("lesson1.md")).unwrap();
    let app = yadoc::run::check(dir.path(), &[l], &[Tier::App]).unwrap();
    not_applicable(&app, "app.serve", "its Dockerfile has no CMD");
}

#[test]
fn an_app_without_the_literal_its_answer_comes_from_is_a_finding() {
    let dir = edited(&corrected_dir(), "lesson1.md", |t| {
        once(
            t,
            "base64.b64decode('SSBhbSB3YXRjaGluZyB5b3UsIE1hcml1cyBO').decode('utf-8')",
            "'I am watching you'",
        )
    });
    let outcomes = static_outcomes(dir.path(), "lesson1.md");
    fails_at(
        &outcomes,
        "definition.stale",
        33,
        "no b64decode('…') literal in app.py",
    );
}

// 5. Image references are normalised; sudo is modelled; a commented app.run is not the call.

#[test]
fn docker_port_reads_containerport_of_the_built_image_however_it_is_spelled() {
    for build in ["docker build -t myapp .", "sudo docker build -t myapp ."] {
        let dir = edited(&corrected_dir(), "lesson1.md", |t| {
            once(
                &once(t, "docker build -t myapp:latest .", build),
                "- containerPort: 5000",
                "- containerPort: 8080",
            )
        });
        let outcomes = static_outcomes(dir.path(), "lesson1.md");
        let line = line_of(dir.path(), "lesson1.md", "containerPort: 8080");
        fails_at(&outcomes, "docker.port", line, "containerPort 8080");
        assert_eq!(
            outcome(&outcomes, "xref.image-tag").status,
            Status::Passed,
            "{build}: the build is seen"
        );
    }
}

#[test]
fn a_commented_app_run_is_not_the_port_the_app_binds() {
    let dir = edited(&corrected_dir(), "lesson1.md", |t| {
        once(
            t,
            "if __name__ == '__main__':",
            "# app.run(port=9999)\nif __name__ == '__main__':",
        )
    });
    let outcomes = static_outcomes(dir.path(), "lesson1.md");
    let o = outcome(&outcomes, "docker.port");
    assert_eq!(o.status, Status::Passed, "{o:#?}");
    assert!(
        o.subjects.iter().any(|s| s.contains("host='0.0.0.0'")),
        "{o:#?}"
    );
}

// 6, 7. `kubectl apply -f F -n NS`, several -f, a prompt.

#[test]
fn objects_applied_with_dash_n_live_in_that_namespace_for_every_cross_reference() {
    let dir = edited(&corrected_dir(), "lesson1.md", |t| {
        once(
            t,
            "kubectl apply -f deployment.yaml\n",
            "kubectl create ns other\nkubectl apply -f deployment.yaml -n other\n",
        )
    });
    let outcomes = static_outcomes(dir.path(), "lesson1.md");
    // the Service's `selector:` (the Deployment's is the first)
    let selector = std::fs::read_to_string(dir.path().join("lesson1.md"))
        .unwrap()
        .lines()
        .enumerate()
        .filter(|(_, l)| l.trim() == "selector:")
        .map(|(i, _)| i + 1)
        .nth(1)
        .expect("the Service's selector");
    fails_at(
        &outcomes,
        "xref.service-selector",
        selector,
        "Deployment myapp (deployment.yaml) in namespace other",
    );
}

#[test]
fn every_dash_f_of_an_apply_and_a_prompted_apply_are_checked() {
    let dir = edited(&corrected_dir(), "lesson1.md", |t| {
        once(
            &once(
                t,
                "kubectl apply -f service.yaml\n",
                "kubectl apply -f missing-a.yaml -f service.yaml\n",
            ),
            "kubectl apply -f ingress.yaml\n",
            "$ kubectl apply -f missing-b.yaml\n",
        )
    });
    let outcomes = static_outcomes(dir.path(), "lesson1.md");
    let a = line_of(dir.path(), "lesson1.md", "missing-a.yaml");
    let b = line_of(dir.path(), "lesson1.md", "missing-b.yaml");
    fails_at(
        &outcomes,
        "xref.apply-file",
        a,
        "no block is bound to missing-a.yaml",
    );
    fails_at(
        &outcomes,
        "xref.apply-file",
        b,
        "no block is bound to missing-b.yaml",
    );
}

// 8, 9. The course's port and name check: specific, and within a lesson too.

fn course(dir: &Path) -> Vec<Outcome> {
    let lessons = yadoc::course::load(dir, &[]).unwrap();
    yadoc::run::check(dir, &lessons, &[Tier::Static]).unwrap()
}

#[test]
fn a_name_clash_is_not_absorbed_by_the_known_port_drift() {
    let dir = edited(&lessons_dir(), "lesson3.md", |t| {
        once(
            t,
            "k3d cluster create yadoc-api-exposed --api-port 6550 -p \"8081:80@loadbalancer\"",
            "k3d cluster create yadoc-exposed --api-port 6550 -p \"8083:80@loadbalancer\"",
        )
    });
    let outcomes: Vec<Outcome> = course(dir.path())
        .into_iter()
        .filter(|o| o.lesson == "lesson3.md" && o.check == "course.host-port")
        .collect();
    fails_at(
        &outcomes,
        "course.host-port",
        27,
        "still holds the name yadoc-exposed",
    );
    assert!(outcomes[0].findings[0].known_drift.is_none());
}

#[test]
fn two_clusters_of_one_lesson_on_the_same_ports_clash_even_when_it_is_checked_alone() {
    let dir = edited(&corrected_dir(), "lesson3.md", |t| {
        once(
            t,
            "--api-port 6551 -p \"8082:80@loadbalancer\"",
            "--api-port 6550 -p \"8083:80@loadbalancer\"",
        )
    });
    let line = line_of(
        dir.path(),
        "lesson3.md",
        "k3d cluster create yadoc-with-etcd",
    );
    let said = "cluster yadoc-api-exposed (lesson3.md:27) still holds host port 8083, 6550";
    fails_at(
        &static_outcomes(dir.path(), "lesson3.md"),
        "steps.cluster-ports",
        line,
        said,
    );
    // in a course run it is reported once, by the per-lesson check, not again across lessons
    let course = course(dir.path());
    assert!(course
        .iter()
        .filter(|o| o.check == "course.host-port")
        .all(|o| o.findings.is_empty()));
    let lesson3: Vec<Outcome> = course
        .into_iter()
        .filter(|o| o.lesson == "lesson3.md")
        .collect();
    fails_at(&lesson3, "steps.cluster-ports", line, said);
}

// 10. Every file the lesson creates is bound: the image tier builds the context the reader has.

#[test]
fn a_dockerignore_the_lesson_shows_or_writes_is_in_the_build_context() {
    for (how, text) in [
        (
            "prose",
            "Create a .dockerignore file next to it:\n\n```\n*.md\n```\n\nFinally, create",
        ),
        (
            "heredoc",
            "Then write the .dockerignore:\n\n```bash\ncat > .dockerignore <<'EOF'\n*.md\nEOF\n```\n\nFinally, create",
        ),
    ] {
        let dir = edited(&corrected_dir(), "lesson1.md", |t| {
            once(t, "Finally, create", text)
        });
        let l = Lesson::load(&dir.path().join("lesson1.md")).unwrap();
        let f = l
            .file(".dockerignore")
            .unwrap_or_else(|| panic!("{how}: .dockerignore bound: {:?}", l.files));
        assert_eq!(f.text(), "*.md\n", "{how}");
        let ws = yadoc::tiers::workspace::Workspace::new("image", &l, Some("context")).unwrap();
        assert_eq!(
            std::fs::read_to_string(ws.files.join(".dockerignore")).unwrap(),
            "*.md\n",
            "{how}: docker build sees it"
        );
    }
}

// 11. Checks that examine nothing are not applicable.

#[test]
fn checks_with_nothing_to_examine_are_not_applicable() {
    // no containerPort anywhere
    let dir = edited(&corrected_dir(), "lesson1.md", |t| {
        once(
            t,
            "        ports:\n        - containerPort: 5000 # change this if your flask app uses a different port\n",
            "",
        )
    });
    let outcomes = static_outcomes(dir.path(), "lesson1.md");
    not_applicable(
        &outcomes,
        "xref.service-target-port",
        "declare a containerPort",
    );

    // an Ingress with only a defaultBackend
    let dir = edited(&corrected_dir(), "lesson1.md", |t| {
        let start = t.find("spec:\n  rules:").unwrap();
        let end = start + t[start..].find("```").unwrap();
        format!(
            "{}spec:\n  defaultBackend:\n    service:\n      name: myapp-service\n      port:\n        number: 80\n{}",
            &t[..start],
            &t[end..]
        )
    });
    let outcomes = static_outcomes(dir.path(), "lesson1.md");
    not_applicable(&outcomes, "xref.ingress-backend", "no Ingress rule");
    not_applicable(&outcomes, "xref.ingress-url", "Ingress host");
}

#[test]
fn a_cluster_created_after_the_steps_that_use_it_is_a_finding() {
    let create =
        "k3d cluster create yadoc-api-exposed --api-port 6550 -p \"8083:80@loadbalancer\" --agents 3";
    let dir = edited(&corrected_dir(), "lesson3.md", |t| {
        format!(
            "{}\nLast, the cluster:\n\n```bash\n{create}\n```\n",
            once(t, create, "kubectl version")
        )
    });
    let outcomes = static_outcomes(dir.path(), "lesson3.md");
    let lifecycle = outcome(&outcomes, "steps.cluster-lifecycle");
    assert_eq!(lifecycle.status, Status::Failed, "{lifecycle:#?}");
    assert!(
        lifecycle.findings[0]
            .observed
            .contains("only later, at line"),
        "{lifecycle:#?}"
    );
    // the curl is still compared with the --api-port of the cluster it needs
    let api = outcome(&outcomes, "xref.api-port");
    assert!(api.examined > 0, "{api:#?}");
}

// The rule, for every lesson yadoc knows.

#[test]
fn no_check_passes_having_examined_nothing() {
    let mut dirs = vec![
        lessons_dir(),
        corrected_dir(),
        root().join("fixtures/generic"),
    ];
    // the tutorial corpus beside the project too, where it is (CI requires it: YADOC_REQUIRE=corpus)
    match support::corpus() {
        Ok(tutorials) => dirs.push(tutorials),
        Err(reason) => assert!(
            !yadoc::tiers::prereq::required_named("corpus"),
            "{reason}; YADOC_REQUIRE requires the corpus"
        ),
    }
    let mut seen = 0;
    for dir in dirs {
        let Ok(lessons) = yadoc::course::load(&dir, &[]) else {
            continue;
        };
        for l in lessons {
            let name = l.file_name();
            for o in yadoc::run::check(&dir, &[l], &[Tier::Static]).unwrap() {
                seen += 1;
                assert!(
                    o.status != Status::Passed
                        || (o.examined > 0 && o.subjects.len() == o.examined),
                    "{}/{name}: {} passed having examined nothing",
                    dir.display(),
                    o.check
                );
                if let Status::NotApplicable { reason } = &o.status {
                    assert!(!reason.is_empty(), "{name}: {} without a reason", o.check);
                }
            }
        }
    }
    assert!(seen > 100, "only {seen} outcomes looked at");
}
