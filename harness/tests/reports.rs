//! Reports of a run with a known-drift failure, a real failure and a skipped tier: the JUnit parses as
//! JUnit (testsuites > testsuite > testcase, counts that add up), the JSON matches
//! docs/report.schema.json, the Markdown summary names every finding.

use std::path::PathBuf;

use serde_json::Value;
use yadoc::checks::finding::Tier;
use yadoc::lesson::Lesson;
use yadoc::report::{self, Report};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// lesson2 as written (known drift) + a copy of lesson1 with a wrong targetPort (a real failure),
/// static + cluster (skipped here: no k3d; or run for real where k3d exists).
fn mixed_run() -> (Report, Vec<Lesson>) {
    let dir = tempfile::tempdir().unwrap();
    for f in [
        "lesson1.md",
        "lesson1.yaml",
        "lesson2.md",
        "lesson2.yaml",
        "known-drift.yaml",
    ] {
        std::fs::copy(root().join("lessons").join(f), dir.path().join(f)).unwrap();
    }
    let l1 = std::fs::read_to_string(dir.path().join("lesson1.md"))
        .unwrap()
        .replace("targetPort: 5000", "targetPort: 5001");
    std::fs::write(dir.path().join("lesson1.md"), l1).unwrap();
    let lessons = yadoc::course::load(dir.path(), &[]).unwrap();
    let tiers = if yadoc::tiers::cluster::tools::Tools::detect(None).is_err() {
        vec![Tier::Static, Tier::Cluster]
    } else {
        vec![Tier::Static]
    };
    // what yadoc says goes to the test's captured output (shown only with a failure)
    let (outcomes, said) =
        yadoc::progress::capture(|| yadoc::run::check(dir.path(), &lessons, &tiers).unwrap());
    eprint!("{said}");
    let started = std::time::SystemTime::now();
    (
        Report::new(lessons.iter().map(|l| l.file_name()).collect(), outcomes).with_run(
            yadoc::report::RunInfo::new(started, std::time::Duration::from_millis(1500)),
        ),
        lessons,
    )
}

#[test]
fn the_junit_report_parses_as_junit_and_its_counts_add_up() {
    use quick_xml::events::Event;
    let (report, lessons) = mixed_run();
    let s = report.summary();
    assert!(s.failed >= 1 && s.known_drift >= 1, "{s:?}");
    let xml = report::junit::render(&report, &lessons);
    let mut reader = quick_xml::Reader::from_str(&xml);
    let mut timed = 0usize;
    let (mut stack, mut cases, mut failures, mut skipped, mut drift) =
        (Vec::<String>::new(), 0, 0, 0, 0);
    let mut top_tests = None;
    loop {
        match reader.read_event().unwrap_or_else(|e| {
            panic!(
                "not well-formed XML at {}: {e}\n{xml}",
                reader.buffer_position()
            )
        }) {
            Event::Start(e) | Event::Empty(e) if e.name().as_ref() == b"testsuites" => {
                top_tests = e.try_get_attribute("tests").unwrap().map(|a| {
                    String::from_utf8(a.value.to_vec())
                        .unwrap()
                        .parse::<usize>()
                        .unwrap()
                });
                stack.push("testsuites".into());
            }
            Event::Start(e) => {
                let name = String::from_utf8(e.name().as_ref().to_vec()).unwrap();
                let parent = stack.last().cloned().unwrap_or_default();
                let allowed = match name.as_str() {
                    "testsuite" => parent == "testsuites",
                    "testcase" => parent == "testsuite",
                    "failure" | "skipped" | "system-out" => parent == "testcase",
                    _ => false,
                };
                assert!(allowed, "<{name}> inside <{parent}>");
                if name == "testcase" {
                    cases += 1;
                    timed += usize::from(e.try_get_attribute("time").unwrap().is_some());
                }
                if name == "testsuite" {
                    let stamp = e
                        .try_get_attribute("timestamp")
                        .unwrap()
                        .expect("a suite's timestamp");
                    let stamp = String::from_utf8(stamp.value.to_vec()).unwrap();
                    assert!(
                        stamp.len() == 19 && stamp.as_bytes()[10] == b'T',
                        "ISO 8601 without zone: {stamp}"
                    );
                    assert!(e.try_get_attribute("time").unwrap().is_some());
                }
                if name == "failure" {
                    failures += 1;
                }
                stack.push(name);
            }
            Event::Empty(e) => {
                let name = String::from_utf8(e.name().as_ref().to_vec()).unwrap();
                match name.as_str() {
                    "testcase" => {
                        cases += 1;
                        timed += usize::from(e.try_get_attribute("time").unwrap().is_some());
                    }
                    "skipped" => {
                        skipped += 1;
                        if e.try_get_attribute("type")
                            .unwrap()
                            .is_some_and(|a| a.value.as_ref() == b"known-drift")
                        {
                            drift += 1;
                        }
                    }
                    other => panic!("unexpected empty <{other}>"),
                }
            }
            Event::End(_) => {
                stack.pop();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(top_tests, Some(report.outcomes.len()));
    assert_eq!(cases, report.outcomes.len());
    assert_eq!(timed, cases, "every testcase carries its time");
    assert_eq!(failures, s.failed);
    assert_eq!(drift, s.known_drift);
    assert_eq!(skipped, s.known_drift + s.skipped + s.not_applicable);
    assert!(
        xml.contains("targetPort: 5001") && xml.contains("expected: targetPort 5000"),
        "a failure carries the lesson snippet and the expectation"
    );
}

/// A validator for the JSON Schema keywords docs/report.schema.json uses: type, required,
/// properties, additionalProperties, items, enum.
fn validate(schema: &Value, v: &Value, at: &str, errors: &mut Vec<String>) {
    if let Some(t) = schema["type"].as_str() {
        let ok = match t {
            "object" => v.is_object(),
            "array" => v.is_array(),
            "string" => v.is_string(),
            "integer" => v.is_i64() || v.is_u64(),
            "number" => v.is_number(),
            _ => true,
        };
        if !ok {
            errors.push(format!("{at}: expected {t}, got {v}"));
            return;
        }
    }
    if let Some(e) = schema["enum"].as_array() {
        if !e.contains(v) {
            errors.push(format!("{at}: {v} not in {e:?}"));
        }
    }
    if let Some(obj) = v.as_object() {
        for r in schema["required"].as_array().into_iter().flatten() {
            if !obj.contains_key(r.as_str().unwrap()) {
                errors.push(format!("{at}: missing {r}"));
            }
        }
        for (k, val) in obj {
            match schema["properties"].get(k) {
                Some(s) => validate(s, val, &format!("{at}.{k}"), errors),
                None if schema["additionalProperties"] == Value::Bool(false) => {
                    errors.push(format!("{at}: undocumented key {k}"))
                }
                None => {}
            }
        }
    }
    if let Some(items) = v.as_array() {
        for (i, item) in items.iter().enumerate() {
            validate(&schema["items"], item, &format!("{at}[{i}]"), errors);
        }
    }
}

#[test]
fn the_json_report_matches_its_documented_schema() {
    let (report, _) = mixed_run();
    let json: Value = serde_json::from_str(&report::json::render(&report)).unwrap();
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("docs/report.schema.json")).unwrap(),
    )
    .unwrap();
    let mut errors = Vec::new();
    validate(&schema, &json, "$", &mut errors);
    assert!(errors.is_empty(), "{errors:#?}");
    let statuses: Vec<&str> = json["outcomes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["status"].as_str().unwrap())
        .collect();
    assert!(
        statuses.contains(&"failed") && statuses.contains(&"known-drift"),
        "{statuses:?}"
    );
}

#[test]
fn report_dir_writes_every_format_and_the_diagnostics() {
    let (report, lessons) = mixed_run();
    let out = tempfile::tempdir().unwrap();
    let written = report::dir::write(out.path(), &report, &lessons).unwrap();
    for f in [
        "report.json",
        "junit.xml",
        "summary.md",
        "report.txt",
        "report.sarif",
    ] {
        assert!(out.path().join(f).is_file(), "{f}");
    }
    assert!(written
        .iter()
        .any(|p| p.starts_with(out.path().join("diagnostics"))));
    let md = std::fs::read_to_string(out.path().join("summary.md")).unwrap();
    // failures first with their evidence, then known drift one line each
    let (failures, drift) = (
        md.find("### Failures").expect("a failures section"),
        md.find("### Known drift").expect("a known-drift section"),
    );
    assert!(failures < drift, "{md}");
    assert!(
        md[failures..drift].contains("**FAILED** `xref.service-target-port`")
            && md[drift..].contains("- `steps.cluster-lifecycle` (static) at `lesson2.md:27`: "),
        "{md}"
    );
}

#[test]
fn the_summary_says_which_run_and_tells_not_applicable_from_a_missing_prerequisite() {
    let (report, _) = mixed_run();
    let md = yadoc::report::markdown::render(&report);
    assert!(
        md.contains(&format!(
            "run `{}` · yadoc {} · started ",
            report.run.id,
            env!("CARGO_PKG_VERSION")
        )) && md.contains(" · 1.5 s"),
        "{md}"
    );
    // lesson 1 has no HPA: not applicable, never a machine's gap
    let na = md
        .find("### Not applicable: nothing of the lesson to examine")
        .expect(&md);
    assert!(
        md[na..].contains(
            "lesson1.md static `xref.hpa-target`: the lesson has no HorizontalPodAutoscaler"
        ),
        "{md}"
    );
    if yadoc::tiers::cluster::tools::Tools::detect(None).is_err() {
        let missing = md
            .find("### Not run here: prerequisite missing")
            .expect(&md);
        assert!(md[missing..na].contains("cluster `cluster.lesson`"), "{md}");
    }
}
