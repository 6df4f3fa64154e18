//! Lessons yadoc has never seen: the real tutorials of `../shared/tutorials` and of its `second/`
//! set (verbatim, written outside this project). Its README lists the genuine defects a static
//! checker can reach, for each set; yadoc must report each of them at its line and flag nothing
//! else. A valid idiom flagged is a false positive, a listed defect missed is a blind spot: both
//! fail here.

mod support;

use std::collections::BTreeSet;
use std::path::PathBuf;

use support::root;
use yadoc::checks::finding::{Status, Tier};
use yadoc::lesson::Lesson;

/// The defects `../shared/tutorials/README.md` lists under "What a lesson checker is expected to
/// find here" and "What a lesson checker is expected to find in the second set": (tutorial, check
/// id, line, what the README says); a tutorial of the second set is named `second/NAME.md`. Every
/// other tutorial: none.
const EXPECTED: &[(&str, &str, usize, &str)] = &[
    (
        "aks-tutorial-kubernetes-scale.md",
        "k8s.unknown-field",
        118,
        "unknown field `metrics` under an autoscaling/v1 scaleTargetRef",
    ),
    (
        "docker-labs-webapps.md",
        "markdown.list-indent",
        278,
        "L278-346: fences that fall out of their list item (continuation indented 2, not 3)",
    ),
    (
        "docker-python-build-images.md",
        "markdown.block-language",
        37,
        "L37-43: Python code in a shell fence",
    ),
    (
        "k3d-configfile.md",
        "steps.unknown-flag",
        126,
        "`--no-Rollback` is not a k3d flag (k3d has --no-rollback)",
    ),
    // configure-pod-configmap: first creations L138 (game-config-2), L341 (special-config), L498
    // (Pod dapi-test-pod); the page never deletes, so every later creation of those names fails
    (
        "k8s-configure-pod-configmap.md",
        "steps.already-exists",
        171,
        "game-config-2 again",
    ),
    (
        "k8s-configure-pod-configmap.md",
        "steps.already-exists",
        468,
        "special-config again (L468-L679)",
    ),
    (
        "k8s-configure-pod-configmap.md",
        "steps.already-exists",
        528,
        "special-config again, from configmaps.yaml (L468-L679)",
    ),
    (
        "k8s-configure-pod-configmap.md",
        "steps.already-exists",
        560,
        "Pod dapi-test-pod again (L560-L762)",
    ),
    (
        "k8s-configure-pod-configmap.md",
        "steps.already-exists",
        587,
        "special-config again, from configmap-multikeys.yaml (L468-L679)",
    ),
    (
        "k8s-configure-pod-configmap.md",
        "steps.already-exists",
        611,
        "Pod dapi-test-pod again (L560-L762)",
    ),
    (
        "k8s-configure-pod-configmap.md",
        "steps.already-exists",
        650,
        "Pod dapi-test-pod again (L560-L762)",
    ),
    (
        "k8s-configure-pod-configmap.md",
        "steps.already-exists",
        679,
        "special-config again (L468-L679)",
    ),
    (
        "k8s-configure-pod-configmap.md",
        "steps.already-exists",
        713,
        "Pod dapi-test-pod again (L560-L762)",
    ),
    (
        "k8s-configure-pod-configmap.md",
        "steps.already-exists",
        762,
        "Pod dapi-test-pod again (L560-L762)",
    ),
    (
        "k8s-distribute-credentials-secure.md",
        "steps.already-exists",
        230,
        "Secret backend-user again (first L186)",
    ),
    (
        "k8s-distribute-credentials-secure.md",
        "steps.already-exists",
        285,
        "Secret test-secret again (first L56; L100 is offered as the alternative to L56)",
    ),
    (
        "k8s-prom-hpa.md",
        "yaml.syntax",
        105,
        "L89-113: invalid YAML (`target:` indented under a scalar, L104-106)",
    ),
    (
        "k8s-prom-hpa.md",
        "k8s.removed-api",
        90,
        "autoscaling/v2beta2, removed in Kubernetes 1.26",
    ),
    (
        "k8s-prom-hpa.md",
        "k8s.removed-api",
        265,
        "autoscaling/v2beta2, removed in Kubernetes 1.26",
    ),
    (
        "kind-quick-start.md",
        "markdown.raw-html",
        145,
        "L145-147: `<command>` outside code, eaten by the renderer as HTML",
    ),
    (
        "traefik-kubernetes-ingress.md",
        "xref.tls-secret",
        380,
        "L358-392: an Ingress's TLS Secret that is not in the Ingress's namespace",
    ),
    (
        "second/docker-getting-started-multi-container-apps.md",
        "markdown.admonition",
        167,
        "an admonition whose title is not quoted: the title shown is \"Warning\"",
    ),
    (
        "second/ingress-nginx-deploy.md",
        "markdown.admonition",
        160,
        "a line indented 2 under `!!! info` (the body needs 4): it falls out of the box",
    ),
    (
        "second/ingress-nginx-deploy.md",
        "markdown.block-language",
        461,
        "L461-466: a shell command (`kubectl wait …`) in a yaml fence",
    ),
    (
        "second/k8s-configure-access-multiple-clusters.md",
        "steps.shown-output",
        97,
        "`--client-key=fake-key-seefile`, while the `kubectl config view` outputs show fake-key-file",
    ),
    (
        "second/k8s-kustomization.md",
        "markdown.block-language",
        159,
        "L159-201: shell heredocs in a yaml fence",
    ),
    (
        "second/minikube-pushing.md",
        "markdown.table",
        34,
        "L33-42: the delimiter row (L34) has 7 cells, the header 5: no table renders",
    ),
    (
        "second/minikube-traefik-addon.md",
        "markdown.raw-html",
        287,
        "`<IP>` outside code, eaten by the renderer as HTML",
    ),
    (
        "second/rancher-desktop-hello-world.md",
        "shell.history-expansion",
        69,
        "`!!` inside a double-quoted argument: interactive bash and zsh history-expand it",
    ),
];

fn tutorials_dir() -> PathBuf {
    let dir = root().join("../shared/tutorials");
    assert!(
        dir.join("README.md").is_file(),
        "{} is missing: the tutorial corpus lives beside the project (../shared/tutorials), as on CI",
        dir.display()
    );
    dir
}

/// Every tutorial of both sets: `../shared/tutorials/*.md` and `../shared/tutorials/second/*.md`.
fn tutorials() -> Vec<PathBuf> {
    let dir = tutorials_dir();
    let mut files: Vec<PathBuf> = [dir.clone(), dir.join("second")]
        .iter()
        .flat_map(|d| std::fs::read_dir(d).unwrap_or_else(|e| panic!("{}: {e}", d.display())))
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .filter(|p| p.file_name().is_some_and(|n| n != "README.md"))
        .collect();
    files.sort();
    files
}

/// A tutorial's name as EXPECTED spells it: its path under `../shared/tutorials`.
fn name_of(path: &std::path::Path) -> String {
    path.strip_prefix(tutorials_dir())
        .unwrap_or(path)
        .to_string_lossy()
        .into_owned()
}

/// (check, line) of every finding of the static tier on one tutorial, checked alone.
fn found(path: &std::path::Path) -> BTreeSet<(String, usize)> {
    let lesson = Lesson::load(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    yadoc::run::check(
        path.parent().expect("in a directory"),
        &[lesson],
        &[Tier::Static],
    )
    .expect("check runs")
    .iter()
    .flat_map(|o| o.findings.iter())
    .map(|f| (f.check.clone(), f.line))
    .collect()
}

fn every_listed_defect_is_found_at_its_line_and_nothing_else_is_flagged() {
    let files = tutorials();
    assert!(files.len() >= 28, "only {} tutorials", files.len());
    let mut problems = Vec::new();
    for path in &files {
        let name = name_of(path);
        let expected: BTreeSet<(String, usize)> = EXPECTED
            .iter()
            .filter(|(f, ..)| *f == name)
            .map(|(_, c, l, _)| (c.to_string(), *l))
            .collect();
        let got = found(path);
        for (check, line) in expected.difference(&got) {
            let why = EXPECTED
                .iter()
                .find(|(f, c, l, _)| *f == name && c == check && l == line)
                .map(|e| e.3)
                .unwrap_or("");
            problems.push(format!("MISSED  {name}:{line} {check} ({why})"));
        }
        for (check, line) in got.difference(&expected) {
            problems.push(format!("FALSE   {name}:{line} {check}"));
        }
    }
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

fn the_expected_table_names_only_tutorials_that_exist() {
    let names: Vec<String> = tutorials().iter().map(|p| name_of(p)).collect();
    for (file, ..) in EXPECTED {
        assert!(
            names.iter().any(|n| n == file),
            "{file} is not in ../shared/tutorials"
        );
    }
}

fn a_directory_of_unrelated_tutorials_is_not_one_course() {
    // no course.yaml there: course-order checks (host ports across lessons) do not apply
    let dir = tutorials_dir();
    let lessons: Vec<Lesson> = tutorials()
        .iter()
        .map(|p| Lesson::load(p).expect("loads"))
        .collect();
    let outcomes = yadoc::run::check(&dir, &lessons, &[Tier::Static]).expect("check runs");
    let course: Vec<_> = outcomes
        .iter()
        .filter(|o| o.check.starts_with("course."))
        .collect();
    assert!(course.is_empty(), "{course:#?}");
}

fn placeholders_are_named_as_placeholders_to_replace_not_flagged() {
    // docker-labs L357: `docker build -t <YOUR_USERNAME>/myfirstapp .` (a shell would read `<` as a
    // redirection): the reader replaces it, yadoc says so under its own check id
    let path = tutorials_dir().join("docker-labs-webapps.md");
    let lesson = Lesson::load(&path).expect("loads");
    let outcomes = yadoc::run::check(&tutorials_dir(), &[lesson], &[Tier::Static]).unwrap();
    let o = outcomes
        .iter()
        .find(|o| o.check == "shell.placeholder")
        .expect("a placeholder outcome");
    assert_eq!(o.status, Status::Passed, "{o:#?}");
    assert!(
        o.notes
            .iter()
            .any(|n| n.contains("357") && n.contains("<YOUR_USERNAME>")),
        "{o:#?}"
    );
}

fn valid_lessons_in_common_idioms_raise_no_finding() {
    // fixtures/valid: lessons written here in the idioms tutorials use (minikube's docker-env,
    // kind load, kubectl create/expose/autoscale, flow-style YAML, `$(…)`, a Dockerfile whose
    // context comes from elsewhere, an nginx base image's own command, a k3d config, `cat <<EOF >
    // pod.yaml`, `kubectl create secret|ingress`, Helm, a compose file, a `$`-prompted transcript;
    // generic-howto.md: a multi-line HTML comment, `docker build` named alone, a build of the
    // reader's own project, a kubeconfig written and viewed, a kustomize patch, a
    // CertificateSigningRequest, Hugo and MDX tabs, a variable in an unquoted heredoc;
    // mkdocs-nested.md: fences 8 spaces into list items, mkdocs tabs, an admonition body right
    // under its opener, a blockquoted fence, Go and PowerShell blocks, the context's namespace):
    // every one valid
    let dir = root().join("fixtures/valid");
    let lessons = yadoc::course::load(&dir, &[]).expect("loads");
    assert!(lessons.len() >= 3);
    let outcomes = yadoc::run::check(&dir, &lessons, &[Tier::Static]).expect("check runs");
    let findings: Vec<String> = outcomes
        .iter()
        .flat_map(|o| o.findings.iter())
        .map(|f| format!("{}:{} {} {}", f.lesson, f.line, f.check, f.observed))
        .collect();
    assert!(findings.is_empty(), "{findings:#?}");
    let passed = outcomes
        .iter()
        .filter(|o| o.status == Status::Passed)
        .count();
    assert!(passed > 20, "only {passed} checks examined something");
}

fn main() {
    support::run(vec![
        support::corpus_trial(
            "every_listed_defect_is_found_at_its_line_and_nothing_else_is_flagged",
            every_listed_defect_is_found_at_its_line_and_nothing_else_is_flagged,
        ),
        support::corpus_trial(
            "the_expected_table_names_only_tutorials_that_exist",
            the_expected_table_names_only_tutorials_that_exist,
        ),
        support::corpus_trial(
            "a_directory_of_unrelated_tutorials_is_not_one_course",
            a_directory_of_unrelated_tutorials_is_not_one_course,
        ),
        support::corpus_trial(
            "placeholders_are_named_as_placeholders_to_replace_not_flagged",
            placeholders_are_named_as_placeholders_to_replace_not_flagged,
        ),
        support::plain(
            "valid_lessons_in_common_idioms_raise_no_finding",
            valid_lessons_in_common_idioms_raise_no_finding,
        ),
    ])
}
