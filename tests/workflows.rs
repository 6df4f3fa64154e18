//! The project's GitHub workflows, checked with the real tools that work offline here:
//! check-jsonschema against GitHub's workflow schema (vendored in the package) for structure, and
//! zizmor's offline audit (pinned actions, template injection, permissions, credentials) — both
//! installed by `ci/workflow-tools.sh` (part of `ci/setup.sh`). Where they are missing the checks
//! are ignored with the reason, unless `YADOC_REQUIRE` names `workflows` (or `all`), as `.ci/run` does.
//! Then what the nightly must hold to: k3s versions the types speak, independent steps.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use libtest_mimic::{Completion, Failed, Trial};
use support::*;

fn workflows() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join(".github/workflows"))
        .expect(".github/workflows")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml" || e == "yaml"))
        .collect();
    v.sort();
    v
}

/// Run `name args… FILE` on every workflow; each must exit 0.
fn every_workflow(name: &'static str, args: &'static [&'static str]) -> Result<Completion, Failed> {
    let Some(exe) = ci_tool(name) else {
        let reason = format!("{name} not found (bash ci/workflow-tools.sh installs it)");
        return if workflows_required() {
            Err(format!("{reason}; YADOC_REQUIRE requires the workflow checks").into())
        } else {
            Ok(Completion::ignored_with(reason))
        };
    };
    let files = workflows();
    assert!(!files.is_empty(), "no workflow to check");
    for f in files {
        let out = Command::new(&exe)
            .args(args)
            .arg(&f)
            .output()
            .expect("the tool runs");
        if !out.status.success() {
            return Err(format!(
                "{name} {} {}:\n{}{}",
                args.join(" "),
                f.display(),
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
            .into());
        }
    }
    Ok(Completion::Completed)
}

fn nightly() -> serde_json::Value {
    let text = std::fs::read_to_string(root().join(".github/workflows/nightly.yml")).unwrap();
    serde_saphyr::from_str(&text).expect("nightly.yml parses")
}

fn nightly_runs_only_k3s_versions_the_kubernetes_types_speak() {
    let n = nightly();
    let job = &n["jobs"]["lesson"];
    let k3s: Vec<&str> = job["strategy"]["matrix"]["k3s"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(k3s.len() >= 2, "{k3s:?}");
    let minor = yadoc::k8s::version::KUBERNETES_MINOR;
    for image in &k3s {
        let m =
            yadoc::k8s::version::k3s_minor(image).unwrap_or_else(|| panic!("{image}: no version"));
        assert!(
            m >= minor,
            "{image} is older than 1.{minor}, the version k8s-openapi and kube speak here"
        );
    }
    assert!(
        k3s.contains(&yadoc::k8s::version::DEFAULT_K3S_IMAGE),
        "the default pinned image {} is in the matrix",
        yadoc::k8s::version::DEFAULT_K3S_IMAGE
    );
    let lessons: Vec<&str> = job["strategy"]["matrix"]["lesson"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(
        lessons,
        ["lesson1", "lesson2", "lesson3"],
        "one job per lesson"
    );
    assert_eq!(job["strategy"]["fail-fast"], false);
    assert_eq!(
        job["env"]["YADOC_REQUIRE"], "all",
        "a missing tool fails the nightly"
    );
}

fn nightly_runs_the_course_as_written_and_corrected_as_independent_steps() {
    let n = nightly();
    let steps = n["jobs"]["lesson"]["steps"].as_array().unwrap();
    let step = |needle: &str| {
        steps
            .iter()
            .find(|s| s["run"].as_str().is_some_and(|r| r.contains(needle)))
            .unwrap_or_else(|| panic!("no step runs `{needle}`"))
    };
    let as_written = step("--report-dir \"report/as-written\"");
    let corrected = step("--lessons fixtures/corrected");
    assert!(as_written["run"]
        .as_str()
        .unwrap()
        .contains("--tier static,app,image,cluster"));
    assert!(corrected["run"]
        .as_str()
        .unwrap()
        .contains("--tier static,app,image,cluster"));
    assert_eq!(
        corrected["if"], "${{ !cancelled() && steps.build.outcome == 'success' }}",
        "runs even when the course as written failed, never without a yadoc"
    );
    assert_eq!(
        step("bash ci/nightly/between-runs.sh")["if"],
        corrected["if"],
        "what the first run left is removed before the second"
    );
    assert_ne!(
        as_written["env"]["YADOC_RUN_ID"], corrected["env"]["YADOC_RUN_ID"],
        "each process has its own run id"
    );
    assert!(step("yadoc gc")["if"]
        .as_str()
        .is_some_and(|c| c.contains("always()")));
    assert!(
        steps.iter().any(|s| s["uses"]
            .as_str()
            .is_some_and(|u| u.starts_with("actions/upload-artifact@"))
            && s["if"] == "always()"),
        "reports uploaded whatever happened"
    );
    let order: Vec<usize> = [
        "bash ci/nightly/docker-store.sh",
        "bash ci/nightly/free-disk.sh",
        "bash ci/nightly/install-tools.sh",
        "bash ci/build-yadoc.sh",
        "yadoc doctor",
    ]
    .iter()
    .map(|n| {
        steps
            .iter()
            .position(|s| s["run"].as_str().is_some_and(|r| r.contains(n)))
            .unwrap_or_else(|| panic!("no step runs `{n}`"))
    })
    .collect();
    assert!(
        order.windows(2).all(|w| w[0] < w[1]),
        "the image store is set before any docker use, the tools installed before doctor: {order:?}"
    );
}

/// The xtask habit: a workflow's steps call scripts (which tests/nightly_scripts.rs runs here) or
/// yadoc, one command each; no logic lives in the YAML where no test reaches it.
fn workflow_steps_call_scripts_and_keep_logic_out_of_the_yaml() {
    for name in ["nightly.yml", "lessons.yml"] {
        let w = workflow(name);
        for (job, j) in w["jobs"].as_object().unwrap() {
            for s in j["steps"].as_array().unwrap() {
                let Some(run) = s["run"].as_str() else {
                    continue;
                };
                let lines: Vec<&str> = run.lines().filter(|l| !l.trim().is_empty()).collect();
                assert_eq!(
                    lines.len(),
                    1,
                    "{name} job {job}: a step of more than one command belongs in a script: {run}"
                );
                let run_unprivileged = run.replace("sudo bash ci/", "bash ci/");
                for forbidden in ["curl ", "sha256sum", "sudo ", "if [", "for "] {
                    assert!(
                        !run_unprivileged.contains(forbidden),
                        "{name} job {job}: `{forbidden}` in a workflow step: {run}"
                    );
                }
                if let Some(script) = run
                    .split_whitespace()
                    .find(|w| w.starts_with("ci/") && w.ends_with(".sh"))
                {
                    assert!(root().join(script).is_file(), "{name}: {script} exists");
                }
            }
        }
    }
}

fn workflow(name: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(root().join(".github/workflows").join(name)).unwrap();
    serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{name} parses: {e}"))
}

fn pull_requests_touching_the_lessons_get_annotations_a_summary_and_the_fix() {
    let w = workflow("lessons.yml");
    let paths: Vec<&str> = w["on"]["pull_request"]["paths"]
        .as_array()
        .expect("on pull_request paths")
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert_eq!(paths, ["lessons/**", "harness/**", "fixtures/**"]);
    assert!(
        w["on"]["pull_request_target"].is_null(),
        "never pull_request_target"
    );
    let job = &w["jobs"]["check"];
    assert_eq!(
        job["env"]["YADOC_REQUIRE"], "app,image",
        "a tier that cannot run fails"
    );
    let runs: Vec<String> = job["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["run"].as_str().map(String::from))
        .collect();
    let has = |needle: &str| runs.iter().any(|r| r.contains(needle));
    assert!(
        has("bash ci/setup.sh"),
        "the stand-in base image is built as in CI"
    );
    assert!(
        has("yadoc check --tier static,app,image --format github --report-dir report"),
        "{runs:?}"
    );
    assert!(has(">> \"${GITHUB_STEP_SUMMARY}\"") && has("report/summary.md"));
    assert!(has("yadoc fix"), "the mechanical fixes, as a patch");
    let upload = job["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("actions/upload-artifact@"))
        })
        .expect("the report dir is uploaded");
    assert_eq!(upload["with"]["path"], "report/");
    assert_eq!(upload["if"], "always()");
}

fn the_workflows_live_where_github_runs_them() {
    assert!(Path::new(&root().join(".github/workflows/nightly.yml")).is_file());
    assert!(
        !root().join("ci/github").exists(),
        "no copy to keep in sync by hand"
    );
}

fn main() {
    support::run(vec![
        Trial::ignorable_test("workflows_follow_githubs_workflow_schema", || {
            every_workflow(
                "check-jsonschema",
                &["--builtin-schema", "vendor.github-workflows"],
            )
        }),
        Trial::ignorable_test("workflows_pass_zizmors_offline_audit", || {
            every_workflow("zizmor", &["--offline", "--persona=auditor"])
        }),
        plain(
            "nightly_runs_only_k3s_versions_the_kubernetes_types_speak",
            nightly_runs_only_k3s_versions_the_kubernetes_types_speak,
        ),
        plain(
            "nightly_runs_the_course_as_written_and_corrected_as_independent_steps",
            nightly_runs_the_course_as_written_and_corrected_as_independent_steps,
        ),
        plain(
            "workflow_steps_call_scripts_and_keep_logic_out_of_the_yaml",
            workflow_steps_call_scripts_and_keep_logic_out_of_the_yaml,
        ),
        plain(
            "pull_requests_touching_the_lessons_get_annotations_a_summary_and_the_fix",
            pull_requests_touching_the_lessons_get_annotations_a_summary_and_the_fix,
        ),
        plain(
            "the_workflows_live_where_github_runs_them",
            the_workflows_live_where_github_runs_them,
        ),
    ])
}
