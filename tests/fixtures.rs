//! The static checks against deliberately broken lessons (fixtures/broken.yaml), the corrected course
//! (fixtures/corrected/), the known-drift register and malformed input.

mod support;

use std::path::Path;

use serde::Deserialize;
use support::*;
use yadoc::checks::finding::Status;
use yadoc::error::LessonError;
use yadoc::lesson::Lesson;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    lesson: String,
    edit: Edit,
    /// A second edit, for a defect that needs two places (applied first when it is further down,
    /// so `edit.line` and `also.line` both name lines of the corrected file).
    #[serde(default)]
    also: Option<Edit>,
    /// A third, for a defect of three places (a ConfigMap shown, read, and applied elsewhere).
    #[serde(default)]
    and: Option<Edit>,
    expect: Expect,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Edit {
    line: usize,
    from: String,
    to: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    check: String,
    line: usize,
}

fn cases() -> Vec<Case> {
    let text =
        std::fs::read_to_string(root().join("fixtures/broken.yaml")).expect("fixtures/broken.yaml");
    serde_saphyr::from_str(&text).expect("fixtures/broken.yaml parses")
}

/// Write the corrected course with one edit applied to a scratch directory.
fn broken(case: &Case) -> tempfile::TempDir {
    let dir = scratch_copy(&corrected_dir());
    let path = dir.path().join(&case.lesson);
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines: Vec<String> = text.split('\n').map(String::from).collect();
    let mut edits: Vec<&Edit> = std::iter::once(&case.edit)
        .chain(&case.also)
        .chain(&case.and)
        .collect();
    edits.sort_by_key(|e| std::cmp::Reverse(e.line));
    for edit in edits {
        let line = &mut lines[edit.line - 1];
        assert!(
            line.contains(&edit.from),
            "fixture `{}`: {}:{} does not contain {:?}; it reads {:?}",
            case.name,
            case.lesson,
            edit.line,
            edit.from,
            line
        );
        *line = line.replacen(&edit.from, &edit.to, 1);
    }
    std::fs::write(&path, lines.join("\n")).unwrap();
    dir
}

#[test]
fn the_corrected_course_passes_every_static_check() {
    for lesson in ["lesson1.md", "lesson2.md", "lesson3.md"] {
        let outcomes = static_outcomes(&corrected_dir(), lesson);
        assert!(
            failed(&outcomes).is_empty(),
            "{lesson}: {:#?}",
            failed(&outcomes)
        );
        assert!(
            findings(&outcomes).is_empty(),
            "{lesson}: {:?}",
            located(&findings(&outcomes))
        );
        // every other check passed having examined something; these had nothing to examine
        let not_applicable: Vec<&str> = outcomes
            .iter()
            .filter(|o| matches!(o.status, Status::NotApplicable { .. }))
            .map(|o| o.check.as_str())
            .collect();
        let expected: &[&str] = match lesson {
            "lesson1.md" => &[
                "markdown.list-indent",
                "markdown.raw-html",
                "markdown.table",
                "markdown.admonition",
                "shell.history-expansion",
                "steps.shown-output",
                "xref.hpa-target",
                "xref.hpa-requests",
                "steps.missing-object",
                "steps.unknown-name",
                "xref.config-ref",
                "shell.placeholder",
                "xref.tls-secret",
                "xref.registry",
                "xref.api-port",
                "kubeconfig.index-path",
            ],
            "lesson2.md" => &[
                "markdown.raw-html",
                "markdown.table",
                "markdown.admonition",
                "shell.history-expansion",
                "steps.shown-output",
                "steps.missing-object",
                "xref.config-ref",
                "shell.placeholder",
                "xref.tls-secret",
                "xref.registry",
                "xref.api-port",
                "kubeconfig.index-path",
            ],
            // lesson 3 deploys no manifest and builds no app: it runs a pod and calls the API
            _ => &[
                "markdown.raw-html",
                "markdown.table",
                "markdown.admonition",
                "shell.history-expansion",
                "steps.shown-output",
                "k8s.removed-api",
                "k8s.schema",
                "k8s.unknown-field",
                "k8s.validation",
                "xref.deployment-selector",
                "xref.service-selector",
                "xref.service-target-port",
                "xref.ingress-backend",
                "xref.hpa-target",
                "xref.hpa-requests",
                "xref.apply-file",
                "xref.image-tag",
                "xref.image-pull-never",
                "steps.missing-object",
                "xref.config-ref",
                "shell.placeholder",
                "xref.tls-secret",
                "xref.registry",
                "docker.build-context",
                "xref.ingress-url",
                "dockerfile.syntax",
                "docker.port",
                "docker.cmd-installed",
                "docker.cmd-target",
                "docker.copy-source",
                "definition.stale",
            ],
        };
        assert_eq!(not_applicable, expected, "{lesson}");
        for o in &outcomes {
            assert!(
                o.status != Status::Passed || o.examined > 0,
                "{lesson}: {} passed having examined nothing",
                o.check
            );
        }
    }
}

/// The course-level checks (lessons in course order) on a lessons directory.
fn course_outcomes(dir: &Path) -> Vec<yadoc::checks::finding::Outcome> {
    let lessons = yadoc::course::load(dir, &[]).unwrap();
    yadoc::run::check(dir, &lessons, &[yadoc::checks::finding::Tier::Static])
        .unwrap()
        .into_iter()
        .filter(|o| o.check.starts_with("course."))
        .collect()
}

#[test]
fn a_later_lesson_reusing_a_port_an_earlier_cluster_holds_is_caught_across_lessons() {
    // as written: lesson 3 maps 8081 while lesson 2's cluster still holds it (known drift)
    let outcomes = course_outcomes(&lessons_dir());
    assert_eq!(
        located(&findings(&outcomes)),
        ["course.host-port@lesson3.md:27"]
    );
    assert!(
        outcomes.iter().all(|o| o.status != Status::Failed),
        "it is registered known drift"
    );
    // corrected (lesson 3 maps 8083): clean
    assert!(findings(&course_outcomes(&corrected_dir())).is_empty());
    // broken again: caught, with the cluster and lesson that hold the port
    let dir = scratch_copy(&corrected_dir());
    let l3 = std::fs::read_to_string(dir.path().join("lesson3.md"))
        .unwrap()
        .replace("\"8083:80@loadbalancer\"", "\"8081:80@loadbalancer\"");
    std::fs::write(dir.path().join("lesson3.md"), l3).unwrap();
    let f = findings(&course_outcomes(dir.path()))
        .into_iter()
        .cloned()
        .collect::<Vec<_>>();
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!((f[0].lesson.as_str(), f[0].line), ("lesson3.md", 27));
    assert!(
        f[0].observed
            .contains("cluster yadoc-exposed (lesson2.md:26) still holds host port 8081:"),
        "{:?}",
        f[0]
    );
}

#[test]
fn every_broken_fixture_with_a_mechanical_fix_is_mended_by_it() {
    // the contributor's loop on each break whose finding carries an edit: check, let `yadoc fix`
    // plan (the library behind `yadoc fix --write`, which applies the edits, re-checks and follows
    // the derivations and the register), write what it plans, check again: green
    let mut left = Vec::new();
    let mut mended = 0;
    for case in cases() {
        let dir = broken(&case);
        let outcomes = static_outcomes(dir.path(), &case.lesson);
        let mechanical = findings(&outcomes).iter().any(|f| {
            f.check == case.expect.check && f.line == case.expect.line && f.edit.is_some()
        });
        if !mechanical {
            continue;
        }
        let lesson = Lesson::load(&dir.path().join(&case.lesson)).unwrap();
        let fixes = yadoc::fix::plan(
            dir.path(),
            &[lesson],
            &[yadoc::checks::finding::Tier::Static],
            yadoc::fix::Drift::Include,
        )
        .expect("fix plans");
        for (name, text) in &fixes.fixed_text {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        let still = located(&findings(&static_outcomes(dir.path(), &case.lesson)));
        if !still.is_empty() || !fixes.manual.is_empty() {
            left.push(format!(
                "`{}`: after its fix, {still:?}; for a human: {:?}",
                case.name,
                located(&fixes.manual.iter().collect::<Vec<_>>())
            ));
        }
        mended += 1;
    }
    assert!(left.is_empty(), "{left:#?}");
    assert!(
        mended >= 10,
        "only {mended} broken fixtures carry a mechanical fix"
    );
}

#[test]
fn every_broken_fixture_is_caught_by_its_check_at_its_line() {
    let mut misses = Vec::new();
    for case in cases() {
        let dir = broken(&case);
        let outcomes = static_outcomes(dir.path(), &case.lesson);
        let all = findings(&outcomes);
        let hit = all
            .iter()
            .find(|f| f.check == case.expect.check && f.line == case.expect.line);
        match hit {
            Some(f) => {
                assert_eq!(f.lesson, case.lesson);
                assert!(
                    !f.expected.is_empty() && !f.observed.is_empty() && !f.fix.is_empty(),
                    "{}: {f:?}",
                    case.name
                );
            }
            None => misses.push(format!(
                "`{}`: expected {}@{}:{}, got {:?}",
                case.name,
                case.expect.check,
                case.lesson,
                case.expect.line,
                located(&all)
            )),
        }
    }
    assert!(misses.is_empty(), "\n{}", misses.join("\n"));
}

#[test]
fn every_static_check_has_a_broken_fixture() {
    let covered: Vec<String> = cases().into_iter().map(|c| c.expect.check).collect();
    // shell.placeholder never fails, by design: it names placeholders for the reader (notes), and
    // tests/tutorials.rs shows it doing so on a real tutorial
    let missing: Vec<&str> = yadoc::checks::all_ids()
        .into_iter()
        .filter(|id| *id != "shell.placeholder")
        .filter(|id| !covered.iter().any(|c| c == id))
        .collect();
    assert!(
        missing.is_empty(),
        "checks without a broken fixture: {missing:?}"
    );
}

#[test]
fn a_known_drift_entry_that_no_longer_reproduces_fails_as_stale() {
    // the corrected course with the real register: every entry is fixed, so every entry is stale
    let dir = scratch_copy(&corrected_dir());
    std::fs::copy(
        lessons_dir().join("known-drift.yaml"),
        dir.path().join("known-drift.yaml"),
    )
    .unwrap();
    let mut stale = Vec::new();
    for lesson in ["lesson1.md", "lesson2.md", "lesson3.md"] {
        let outcomes = static_outcomes(dir.path(), lesson);
        stale.extend(
            outcomes
                .into_iter()
                .filter(|o| o.check == yadoc::drift::STALE && o.status == Status::Failed)
                .map(|o| {
                    let f = &o.findings[0];
                    // located at the register's line to edit, naming the lesson line it expected
                    let expected = f.expected.split(" with ").next().unwrap_or("").to_string();
                    format!("{}:{} {expected}", f.lesson, f.line)
                }),
        );
    }
    stale.sort();
    assert_eq!(
        stale,
        [
            "known-drift.yaml:11 markdown.block-language at lesson2.md:64",
            "known-drift.yaml:17 markdown.block-language at lesson1.md:53",
            "known-drift.yaml:23 markdown.block-language at lesson2.md:91",
            "known-drift.yaml:29 markdown.unclosed-fence at lesson2.md:264",
            "known-drift.yaml:35 markdown.unclosed-fence at lesson3.md:155",
            "known-drift.yaml:41 steps.cluster-lifecycle at lesson2.md:27",
            "known-drift.yaml:47 kubeconfig.index-path at lesson3.md:68",
            "known-drift.yaml:53 kubeconfig.index-path at lesson3.md:70",
            "known-drift.yaml:59 kubeconfig.index-path at lesson3.md:72",
        ]
    );
}

#[test]
fn malformed_lessons_get_located_errors_not_panics() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, bytes: &[u8]| {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    };
    let err = |p: &Path| Lesson::load(p).unwrap_err();
    assert!(matches!(
        err(&write("empty.md", b"")),
        LessonError::Empty { .. }
    ));
    assert!(matches!(
        err(&write("junk.md", &[0x89, b'P', b'N', b'G', 0, 1, 2, 0xff])),
        LessonError::Binary { line: 1, .. }
    ));
    assert!(matches!(
        err(&write("latin1.md", b"# ok\n\ncaf\xe9\n")),
        LessonError::NotText { line: 3, .. }
    ));
    assert!(matches!(
        err(&write("prose.md", b"# Only prose\n\nNo blocks here.\n")),
        LessonError::NoBlocks { .. }
    ));
    let missing = err(&dir.path().join("nope.md"));
    assert!(missing.to_string().contains("nope.md"), "{missing}");
    // a lesson whose YAML block is broken still loads; the finding is located inside the block
    let p = write("badyaml.md", b"Create a new file named d.yaml:\n\n```yaml\napiVersion: v1\nkind: Service\nmetadata: {name: [x\n```\n");
    let outcomes = yadoc::run::check(
        dir.path(),
        &[Lesson::load(&p).unwrap()],
        &[yadoc::checks::finding::Tier::Static],
    )
    .unwrap();
    let f = findings(&outcomes);
    assert!(
        f.iter().any(|f| f.check == "yaml.syntax" && f.line >= 6),
        "{:?}",
        located(&f)
    );
}

#[test]
fn a_definition_with_an_unknown_field_is_a_located_error() {
    let dir = scratch_copy(&corrected_dir());
    std::fs::write(
        dir.path().join("lesson2.yaml"),
        "derive:\n  - file: x.txt\n    generate_bytes: 10\n    becuse: {line: 1, quote: x}\n",
    )
    .unwrap();
    let e = Lesson::load(&dir.path().join("lesson2.md")).unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("lesson2.yaml:") && msg.contains("becuse"),
        "{msg}"
    );
}

#[test]
fn an_unclosed_fence_on_the_last_line_reads_as_such_not_as_a_reversed_range() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("last.md");
    std::fs::write(
        &path,
        "# A lesson\n\n```bash\nk3d cluster create x\n```\n\nThe end:\n\n```bash",
    )
    .unwrap();
    let l = yadoc::lesson::Lesson::load(&path).unwrap();
    let outcomes =
        yadoc::run::check(dir.path(), &[l], &[yadoc::checks::finding::Tier::Static]).unwrap();
    let f = findings(&outcomes)
        .into_iter()
        .find(|f| f.check == "markdown.unclosed-fence")
        .expect("the unclosed fence is found");
    assert_eq!(f.line, 9);
    assert!(
        f.observed.contains("it is the file's last line"),
        "{}",
        f.observed
    );
    assert!(!f.observed.contains("lines 10–9"), "{}", f.observed);
}

#[test]
fn a_reference_without_a_name_is_said_so_never_as_an_empty_name() {
    let dir = scratch_copy(&corrected_dir());
    let md = dir.path().join("lesson1.md");
    let text = std::fs::read_to_string(&md).unwrap();
    // the Ingress backend's service name emptied (line 133)
    let edited = text.replacen(
        "name : myapp-service # this should match",
        "name : \"\" # this should match",
        1,
    );
    assert_ne!(edited, text);
    std::fs::write(&md, edited).unwrap();
    let outcomes = static_outcomes(dir.path(), "lesson1.md");
    let all = findings(&outcomes);
    assert!(
        all.iter()
            .any(|f| f.check == "xref.ingress-backend" && f.line == 133),
        "{all:?}"
    );
    for f in all {
        assert!(
            !f.expected.contains("``") && !f.observed.contains("``"),
            "{f:?}"
        );
    }
}

#[test]
fn what_the_api_server_refuses_is_reported_in_its_words() {
    for (from, to, said) in [
        (
            "minReplicas: 1\n  maxReplicas: 10",
            "minReplicas: 11\n  maxReplicas: 10",
            "The HorizontalPodAutoscaler \"myapp-hpa\" is invalid: spec.maxReplicas: Invalid value: 10: must be greater than or equal to `minReplicas`",
        ),
        (
            "cpu: \"50m\"",
            "cpu: \"50mm\"",
            "The Deployment \"myapp\" is invalid: spec.template.spec.containers[0].resources.requests[cpu]: Invalid value: \"50mm\": unable to parse quantity's suffix",
        ),
        (
            "name: myapp-hpa",
            "name: MyApp-HPA",
            "The HorizontalPodAutoscaler \"MyApp-HPA\" is invalid: metadata.name: Invalid value: \"MyApp-HPA\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
        ),
    ] {
        let dir = scratch_copy(&corrected_dir());
        let path = dir.path().join("lesson2.md");
        let text = std::fs::read_to_string(&path).unwrap();
        // the first occurrence is the manifest (lesson 2 repeats part of its HPA as an excerpt)
        assert!(text.contains(from), "{from}");
        std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
        let outcomes = static_outcomes(dir.path(), "lesson2.md");
        let f: Vec<_> = findings(&outcomes)
            .into_iter()
            .filter(|f| f.check == "k8s.validation")
            .collect();
        assert_eq!(f.len(), 1, "{to}: {f:#?}");
        assert!(f[0].observed.contains(said), "{to}: {}", f[0].observed);
        assert!(!f[0].fix.is_empty());
    }
}
