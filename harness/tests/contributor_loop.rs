//! The contributor's loop, as a contributor runs it on a copy of the course: edit a lesson, `yadoc
//! check`, `yadoc fix`, apply the patch, check again, and be green. The static tier only: it is the
//! tier each edit below touches, and it runs in milliseconds.

use std::path::Path;
use std::process::Command;

use crate::course_copy::{app_tier_here, course_repo, root};

/// `yadoc ARGS --lessons DIR` with YADOC_REQUIRE unset: (exit code, stdout, stderr).
fn yadoc(repo: &Path, args: &[&str]) -> (i32, String, String) {
    yadoc_env(repo, args, &[])
}

/// The static tier's report as JSON, and its exit code.
fn check(repo: &Path) -> (i32, serde_json::Value) {
    let (code, out, err) = yadoc(repo, &["check", "--tier", "static", "--format", "json"]);
    let v = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}{err}"));
    (code, v)
}

/// `check:file:line` of every finding of a failed outcome.
fn failing(v: &serde_json::Value) -> Vec<String> {
    v["outcomes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["status"] == "failed")
        .flat_map(|o| o["findings"].as_array().unwrap().clone())
        .map(|f| {
            format!(
                "{}@{}:{}",
                f["check"].as_str().unwrap(),
                f["lesson"].as_str().unwrap(),
                f["line"]
            )
        })
        .collect()
}

fn notes(v: &serde_json::Value) -> Vec<String> {
    v["outcomes"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|o| o["notes"].as_array().cloned().unwrap_or_default())
        .map(|n| n.as_str().unwrap().to_string())
        .collect()
}

/// The outcome of `check` on `lesson` in a JSON report.
fn outcome<'v>(v: &'v serde_json::Value, check: &str, lesson: &str) -> &'v serde_json::Value {
    v["outcomes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["check"] == check && o["lesson"] == lesson)
        .unwrap_or_else(|| panic!("no outcome {check} of {lesson}"))
}

/// Insert `lines` before line `at` (1-based) of `lessons/FILE`.
fn insert(repo: &Path, file: &str, at: usize, lines: &[&str]) {
    let path = repo.join("lessons").join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    let mut all: Vec<&str> = text.split('\n').collect();
    for (i, l) in lines.iter().enumerate() {
        all.insert(at - 1 + i, l);
    }
    std::fs::write(&path, all.join("\n")).unwrap();
}

fn read(repo: &Path, file: &str) -> String {
    std::fs::read_to_string(repo.join("lessons").join(file)).unwrap()
}

#[test]
fn a_paragraph_inserted_above_known_drift_keeps_the_run_green_and_fix_renumbers_the_entry() {
    let repo = course_repo();
    // above lesson 2's unclosed fence (line 264, its signature quotes the line) and lesson 3's
    // two `.users[0]` entries, which share one signature
    insert(
        repo.path(),
        "lesson2.md",
        200,
        &["", "A paragraph a contributor added,", "over two lines."],
    );
    insert(repo.path(), "lesson3.md", 64, &["One more sentence.", ""]);
    let (code, v) = check(repo.path());
    assert_eq!(code, 0, "{:#?}", failing(&v));
    assert!(failing(&v).is_empty(), "{:#?}", failing(&v));
    assert_eq!(v["summary"]["known_drift"], 7, "{:#}", v["summary"]);
    let moved = notes(&v);
    for n in [
        "known drift registered at lesson2.md:264 is now at line 267",
        "known drift registered at lesson3.md:70 is now at line 72",
        "known drift registered at lesson3.md:72 is now at line 74",
    ] {
        assert!(moved.iter().any(|m| m.starts_with(n)), "{n} in {moved:#?}");
    }
    // fix renumbers the entries (line and the line its signature quotes), changes no lesson, exits 0
    let lessons_before = (
        read(repo.path(), "lesson2.md"),
        read(repo.path(), "lesson3.md"),
    );
    let (code, _, err) = yadoc(repo.path(), &["fix", "--tier", "static", "--write"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("known-drift.yaml"), "{err}");
    assert_eq!(
        (
            read(repo.path(), "lesson2.md"),
            read(repo.path(), "lesson3.md")
        ),
        lessons_before
    );
    let register = read(repo.path(), "known-drift.yaml");
    assert!(
        register
            .contains("line: 267\n  signature: \"the fence opened at line 267 is never closed\""),
        "{register}"
    );
    assert!(register.contains("line: 74\n"), "{register}");
    let (code, v) = check(repo.path());
    assert_eq!(code, 0, "{:#?}", failing(&v));
    assert!(
        !notes(&v)
            .iter()
            .any(|n| n.starts_with("known drift registered")),
        "renumbered: nothing has moved any more: {:#?}",
        notes(&v)
    );
    assert_eq!(v["summary"]["known_drift"], 7);
}

#[test]
fn fix_leaves_known_drift_alone_by_default_and_include_drift_settles_its_entries() {
    let repo = course_repo();
    let before = read(repo.path(), "lesson2.md");
    let (code, diff, err) = yadoc(repo.path(), &["fix", "--tier", "static"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        diff.trim(),
        "",
        "the course as written has only known drift: {diff}"
    );
    assert!(err.contains("known drift, left alone: markdown.unclosed-fence at lesson2.md:264 (--include-drift fixes it)"), "{err}");
    let (code, _, err) = yadoc(repo.path(), &["fix", "--tier", "static", "--write"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(read(repo.path(), "lesson2.md"), before);
    let (code, v) = check(repo.path());
    assert_eq!((code, failing(&v)), (0, vec![]));

    // --include-drift: the fixes and the deletion of the entries they settle, in one diff
    let (code, diff, err) = yadoc(repo.path(), &["fix", "--tier", "static", "--include-drift"]);
    assert_eq!(code, 0, "{err}");
    assert!(diff.contains("--- a/lessons/known-drift.yaml"), "{diff}");
    assert!(diff.contains("-  line: 264\n"), "{diff}");
    assert!(err.contains("register entry of a tier this fix did not run, left as it is: app.serve (app) at lesson1.md:54"), "{err}");
    let (code, _, err) = yadoc(
        repo.path(),
        &["fix", "--tier", "static", "--include-drift", "--write"],
    );
    assert_eq!(code, 0, "{err}");
    let (code, v) = check(repo.path());
    assert_eq!((code, failing(&v)), (0, vec![]), "green after the patch");
    assert_eq!(
        v["summary"]["known_drift"], 0,
        "no static drift left: {:#}",
        v["summary"]
    );
    // the slow tiers' entries stay: this fix did not run them
    assert!(read(repo.path(), "known-drift.yaml").contains("check: app.serve"));
}

#[test]
fn a_defect_fixed_by_hand_leaves_a_stale_entry_located_in_the_register_and_fix_deletes_it() {
    let repo = course_repo();
    // the contributor closes lesson 2's list fence by hand
    insert(repo.path(), "lesson2.md", 266, &["  ```"]);
    let (code, v) = check(repo.path());
    assert_eq!(code, 1);
    assert_eq!(
        failing(&v),
        vec!["drift.stale@known-drift.yaml:29".to_string()]
    );
    let stale = v["outcomes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["check"] == "drift.stale")
        .unwrap();
    assert_eq!(stale["title"], "a known-drift entry no longer reproduces");
    assert!(stale["findings"][0]["fix"]
        .as_str()
        .unwrap()
        .starts_with("delete the entry at known-drift.yaml:29"));
    let (code, _, err) = yadoc(repo.path(), &["fix", "--tier", "static", "--write"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("fixed: drift.stale at known-drift.yaml:29"),
        "{err}"
    );
    assert!(!read(repo.path(), "known-drift.yaml").contains("line: 264"));
    let (code, v) = check(repo.path());
    assert_eq!((code, failing(&v)), (0, vec![]));
}

#[test]
fn with_one_real_break_fix_exits_1_and_names_the_users_line_not_the_patched_copys() {
    let repo = course_repo();
    // below lesson 2's unclosed fence, whose fix inserts a line above it; a namespace the lesson
    // never makes, and no typo of one it makes (`hpa-tset` would be: fix writes `hpa-test`)
    let text = read(repo.path(), "lesson2.md");
    std::fs::write(
        repo.path().join("lessons/lesson2.md"),
        format!(
            "{text}\nCheck the pods once more:\n\n```bash\nkubectl get pods -n monitoring\n```\n"
        ),
    )
    .unwrap();
    let line = read(repo.path(), "lesson2.md")
        .lines()
        .position(|l| l.contains("-n monitoring"))
        .unwrap()
        + 1;
    let (code, v) = check(repo.path());
    assert_eq!(code, 1);
    let at = format!("xref.namespace@lesson2.md:{line}");
    assert_eq!(failing(&v), vec![at]);
    let (code, _, err) = yadoc(repo.path(), &["fix", "--tier", "static", "--include-drift"]);
    assert_eq!(code, 1, "a finding is left for a human: {err}");
    assert!(
        err.contains(&format!(
            "needs a human: xref.namespace at lesson2.md:{line} "
        )),
        "{err}"
    );
    assert!(
        err.contains("fix: 1 thing(s) left (1 for a human, 0 tier check(s) not run): exit 1"),
        "{err}"
    );
}

#[test]
fn fix_exits_1_when_a_tier_it_was_asked_for_did_not_run() {
    let repo = course_repo();
    let (code, _, err) = yadoc_env(
        repo.path(),
        &["fix", "lesson3", "--tier", "static,cluster"],
        &[("YADOC_K3D", "/nonexistent/k3d")],
    );
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("not run (its fixes are unknown): lesson3.md cluster"),
        "{err}"
    );
}

fn yadoc_env(repo: &Path, args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut c = Command::new(env!("CARGO_BIN_EXE_yadoc"));
    c.args(args)
        .arg("--lessons")
        .arg(repo.join("lessons"))
        .current_dir(repo)
        .env("YADOC_QUIET", "1")
        .env_remove("YADOC_REQUIRE");
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c.output().expect("yadoc runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn after_a_yaml_break_the_cross_references_are_not_applicable_naming_the_manifest() {
    let repo = course_repo();
    // the Deployment's indentation broken: `replicas` one space in, under `selector`'s level
    let path = repo.path().join("lessons/lesson2.md");
    let text = read(repo.path(), "lesson2.md");
    assert!(text.contains("\n  replicas: 1\n"));
    std::fs::write(
        &path,
        text.replacen("\n  replicas: 1\n", "\n   replicas: 1\n", 1),
    )
    .unwrap();
    let (code, v) = check(repo.path());
    assert_eq!(code, 1);
    let failed = failing(&v);
    assert!(
        failed
            .iter()
            .all(|f| f.starts_with("yaml.syntax@lesson2.md:")),
        "only the break itself fails, no knock-on: {failed:#?}"
    );
    for id in ["xref.hpa-target", "xref.service-selector"] {
        let o = outcome(&v, id, "lesson2.md");
        assert_eq!(o["status"], "not-applicable", "{o:#}");
        let reason = o["reason"].as_str().unwrap();
        assert!(
            reason.starts_with("not judged while deployment.yaml (lesson2.md:")
                && reason.contains("does not parse (yaml.syntax)"),
            "{reason}"
        );
    }
}

#[test]
fn the_default_report_shows_failures_with_evidence_drift_one_line_each_and_closes_with_the_failures(
) {
    let repo = course_repo();
    // green: known drift one line each, no snippet, passing checks as counts
    let (code, green, _) = yadoc(repo.path(), &["check", "--tier", "static"]);
    assert_eq!(code, 0, "{green}");
    assert!(
        green.lines().count() < 30,
        "{} lines:\n{green}",
        green.lines().count()
    );
    assert!(
        !green.contains("expected:") && !green.contains("✓ "),
        "{green}"
    );
    assert!(green.contains("lesson2.md · static: "), "{green}");
    let drift_line = green
        .lines()
        .find(|l| l.contains("markdown.unclosed-fence") && l.contains("lesson2.md:264"))
        .unwrap_or_else(|| panic!("one line for lesson 2's unclosed fence:\n{green}"));
    assert!(drift_line.contains("known drift: "), "{drift_line}");
    assert!(!green.contains("failures:"), "{green}");
    let last = green.lines().last().unwrap();
    // every outcome of the run is counted once: passed, known drift or not applicable (the JSON
    // report of the same run lists them)
    let count = |what: &str| -> usize {
        let at = last.find(what).unwrap_or_else(|| panic!("{what}: {last}"));
        last[..at]
            .rsplit([' ', ','])
            .find(|w| !w.is_empty())
            .unwrap()
            .parse()
            .unwrap()
    };
    let (_, json, _) = yadoc(
        repo.path(),
        &["check", "--tier", "static", "--format", "json"],
    );
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        count(" passed") + count(" known drift") + count(" not applicable"),
        v["outcomes"].as_array().unwrap().len(),
        "{last}"
    );
    assert!(
        last.contains(" passed, 0 failed, 7 known drift, 0 skipped, ") && last.contains(" in "),
        "{last}"
    );
    // -v: every row, with its evidence
    let (_, verbose, _) = yadoc(repo.path(), &["check", "--tier", "static", "-v"]);
    assert!(
        verbose.contains("✓ markdown.block-language") || verbose.contains("✓ yaml.syntax"),
        "{verbose}"
    );
    assert!(verbose.contains("expected:") && verbose.lines().count() > green.lines().count() * 3);

    // one real failure: its evidence, a rerun line, and the closing list
    let text = read(repo.path(), "lesson2.md");
    std::fs::write(
        repo.path().join("lessons/lesson2.md"),
        format!("{text}\n```bash\nkubectl describe hpa myapp-hp -n hpa-test\n```\n"),
    )
    .unwrap();
    let line = read(repo.path(), "lesson2.md").lines().count() - 1;
    let (code, red, _) = yadoc(repo.path(), &["check", "--tier", "static"]);
    assert_eq!(code, 1, "{red}");
    let at = format!("lessons/lesson2.md:{line}");
    assert!(
        red.contains("rerun:    yadoc check lesson2 --check steps.unknown-name"),
        "{red}"
    );
    let tail: Vec<&str> = red.lines().rev().take(3).collect();
    assert_eq!(tail[1].trim(), "", "{red}");
    assert_eq!(
        tail[2].trim(),
        format!("{at} steps.unknown-name (static)"),
        "{red}"
    );
    // the rerun line runs that check alone
    let (code, one, _) = yadoc(
        repo.path(),
        &[
            "check",
            "lesson2",
            "--check",
            "steps.unknown-name",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&one).unwrap();
    let checks: Vec<&str> = v["outcomes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["check"].as_str().unwrap())
        .collect();
    assert_eq!(checks, ["steps.unknown-name"]);
    let (code, _, err) = yadoc(repo.path(), &["check", "lesson2", "--check", "app.serve"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("--check app.serve: no check of that id ran in the static tier(s)"),
        "{err}"
    );
    // summary.md: failures first with their evidence, known drift one line each
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().display().to_string();
    yadoc(
        repo.path(),
        &["check", "--tier", "static", "--report-dir", &dir],
    );
    let summary = std::fs::read_to_string(out.path().join("summary.md")).unwrap();
    let (failures, drift) = (
        summary.find("### Failures").unwrap(),
        summary.find("### Known drift").unwrap(),
    );
    assert!(failures < drift, "{summary}");
    assert!(
        summary[drift..].contains("- `markdown.unclosed-fence` (static) at `lesson2.md:264`: "),
        "{summary}"
    );
}

#[test]
fn a_missing_prerequisite_is_annotated_on_no_lesson_line_in_a_pull_request() {
    let repo = course_repo();
    let out = Command::new(env!("CARGO_BIN_EXE_yadoc"))
        .args([
            "check",
            "lesson3",
            "--tier",
            "static,cluster",
            "--format",
            "github",
            "--lessons",
        ])
        .arg(repo.path().join("lessons"))
        .env("YADOC_QUIET", "1")
        .env("YADOC_REQUIRE", "cluster")
        .env("YADOC_K3D", "/nonexistent/k3d")
        .output()
        .expect("yadoc runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "required and missing fails: {text}"
    );
    let runner: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("did not run here"))
        .collect();
    assert!(!runner.is_empty(), "{text}");
    for l in &runner {
        assert!(
            l.starts_with("::error title=") && !l.contains("file="),
            "{l}"
        );
        assert!(l.contains("k3d"), "names the tool: {l}");
    }
    // the lesson's own findings still annotate their lines
    assert!(
        text.lines()
            .any(|l| l.starts_with("::notice file=lessons/lesson3.md,line=155")),
        "{text}"
    );
}

#[test]
fn the_cluster_plan_says_where_the_run_stops_and_lists_the_rest_and_the_hpa_phase() {
    let repo = course_repo();
    let (code, plan, err) = yadoc(repo.path(), &["plan", "lesson2", "--tier", "cluster"]);
    assert_eq!(code, 0, "{err}");
    // as written: the delete at line 27 removes the cluster line 39 needs
    let stop = plan
        .lines()
        .find(|l| l.starts_with("the run stops at "))
        .unwrap_or_else(|| panic!("{plan}"));
    assert!(
        stop.contains("lesson2.md:39") && stop.contains("deleted at line 27"),
        "{stop}"
    );
    let after = &plan[plan.find("not reached (").unwrap()..];
    assert!(
        after.contains("lesson2.md:223  kubectl apply -f deployment.yaml"),
        "{after}"
    );
    assert!(!plan.contains("then, once the steps ran:"), "{plan}");
    // corrected: every step, then the promise phase: rest, load, scale-up, Ready
    let corrected = root().join("fixtures/corrected").display().to_string();
    let out = Command::new(env!("CARGO_BIN_EXE_yadoc"))
        .args([
            "plan",
            "lesson2",
            "--tier",
            "cluster",
            "--lessons",
            &corrected,
        ])
        .env("YADOC_QUIET", "1")
        .output()
        .unwrap();
    let plan = String::from_utf8_lossy(&out.stdout);
    assert!(!plan.contains("the run stops at"), "{plan}");
    let phase = &plan[plan
        .find("then, once the steps ran:")
        .unwrap_or_else(|| panic!("{plan}"))..];
    for what in [
        "comes to rest before any load",
        "bounded load",
        "scales up under the load",
        "become Ready",
    ] {
        assert!(phase.contains(what), "{what}: {phase}");
    }
}

#[test]
fn three_ports_that_disagree_name_the_odd_one_out_once_and_a_derived_copy_at_its_source() {
    let repo = course_repo();
    let path = repo.path().join("lessons/lesson2.md");
    let text = read(repo.path(), "lesson2.md");
    // the containerPort alone changed: the app and the Service's targetPort still agree on 5000
    let moved = text.replacen("- containerPort: 5000", "- containerPort: 8080", 1);
    std::fs::write(&path, &moved).unwrap();
    let (code, v) = check(repo.path());
    assert_eq!(code, 1);
    assert_eq!(
        failing(&v),
        vec!["docker.port@lesson2.md:145".to_string()],
        "one cause, one finding"
    );
    assert!(
        notes(&v).iter().any(|n| n.contains(
            "the containerPort 8080 at line 145 is the odd one out, reported by docker.port"
        )),
        "{:#?}",
        notes(&v)
    );
    // the app's port moved with it: now the targetPort, a copy of lesson 1's, is the odd one out
    let app_too =
        moved
            .replacen("0.0.0.0:5000", "0.0.0.0:8080", 1)
            .replacen("EXPOSE 5000", "EXPOSE 8080", 1);
    std::fs::write(&path, app_too).unwrap();
    let (code, v) = check(repo.path());
    assert_eq!(code, 1);
    assert_eq!(
        failing(&v),
        vec!["xref.service-target-port@lesson2.md:116".to_string()]
    );
    let f = outcome(&v, "xref.service-target-port", "lesson2.md")["findings"][0].clone();
    let (observed, fix) = (f["observed"].as_str().unwrap(), f["fix"].as_str().unwrap());
    assert!(
        observed.contains("(a copy of lesson1.md:111 via lessons/lesson2.yaml)"),
        "{observed}"
    );
    assert!(
        fix.contains("show lesson2.md's own service.yaml with targetPort 8080"),
        "{fix}"
    );
}

#[test]
fn a_defect_behind_known_drift_with_a_mechanical_fix_is_found_on_a_scratch_copy() {
    if !app_tier_here("the app tier runs the app") {
        return;
    }
    let repo = course_repo();
    // the course's app dies at `import flask` (the Werkzeug drift) before this edit can matter
    let path = repo.path().join("lessons/lesson2.md");
    let text = read(repo.path(), "lesson2.md");
    assert!(text.contains("send_file('test.txt')"));
    std::fs::write(
        &path,
        text.replacen("send_file('test.txt')", "send_file('test.text')", 1),
    )
    .unwrap();
    // a TMPDIR of its own: other tests' runs make scratch copies of their own meanwhile
    let tmp = tempfile::tempdir().unwrap();
    let (code, out, err) = yadoc_env(
        repo.path(),
        &["check", "lesson2", "--tier", "app", "--format", "json"],
        &[("TMPDIR", &tmp.path().display().to_string())],
    );
    assert_eq!(code, 1, "{out}{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        failing(&v),
        vec!["app.serve@lesson2.md:56".to_string()],
        "located at the send_file line"
    );
    let behind = v["outcomes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["status"] == "failed")
        .unwrap();
    assert!(
        behind["title"]
            .as_str()
            .unwrap()
            .ends_with("(behind known drift)"),
        "{behind:#}"
    );
    assert!(
        behind["notes"][0].as_str().unwrap().contains(
            "with the mechanical fix of app.serve@lesson2.md:92 applied on a scratch copy"
        ),
        "{behind:#}"
    );
    assert!(
        behind["findings"][0]["observed"]
            .as_str()
            .unwrap()
            .contains("test.text"),
        "{behind:#}"
    );
    // the drift itself is still known drift, and the scratch copy is gone
    assert!(v["outcomes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|o| o["check"] == "app.serve" && o["status"] == "known-drift"));
    let left: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("yadoc-"))
        .collect();
    assert!(
        left.is_empty(),
        "no scratch copy (nor any temp dir) left behind: {left:?}"
    );
}
