//! SARIF 2.1.0 (OASIS, `sarif-schema-2.1.0.json`): what kube-linter, checkov and hadolint hand to
//! GitHub code scanning. One run; one rule per check id; one result per finding, located at its
//! lesson line relative to the repository root (`%SRCROOT%`). Known drift is a `note` carrying an
//! external suppression (the register is the justification); a check that could not run for want of
//! a prerequisite is a tool execution notification, not a result: the machine lacks something, no
//! lesson line is at fault. The suite validates the output against the schema (tests/sarif.rs).

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{json, Value};

use super::Report;
use crate::checks::finding::Status;

pub fn render(report: &Report, root: &Path, lessons_dir: &Path) -> String {
    let abs = std::fs::canonicalize(lessons_dir).unwrap_or_else(|_| lessons_dir.to_path_buf());
    let rel = abs.strip_prefix(root).unwrap_or(&abs).to_path_buf();
    // rules in order of first appearance, each with its index
    let mut rules: BTreeMap<String, usize> = BTreeMap::new();
    let mut rule_list: Vec<Value> = Vec::new();
    let mut results = Vec::new();
    let mut notifications = Vec::new();
    for o in &report.outcomes {
        if let Some(missing) = &o.prerequisite_missing {
            notifications.push(json!({
                "level": if o.status == Status::Failed { "error" } else { "warning" },
                "message": { "text": format!("{} {} `{}` did not run here: {missing}", o.lesson, o.tier.as_str(), o.check) },
                "descriptor": { "id": o.check },
            }));
            continue;
        }
        if let Status::Skipped { reason } = &o.status {
            notifications.push(json!({
                "level": "note",
                "message": { "text": format!("{} {} `{}` skipped: {reason}", o.lesson, o.tier.as_str(), o.check) },
                "descriptor": { "id": o.check },
            }));
            continue;
        }
        for f in &o.findings {
            let index = *rules.entry(f.check.clone()).or_insert_with(|| {
                rule_list.push(json!({
                    "id": f.check,
                    "shortDescription": { "text": o.title },
                    "properties": { "tier": o.tier.as_str() },
                }));
                rule_list.len() - 1
            });
            let mut text = format!(
                "expected: {}\nobserved: {}\nfix: {}",
                f.expected, f.observed, f.fix
            );
            if let Some(d) = &f.diagnosis {
                text.push_str(&format!("\ncause: {d}"));
            }
            let mut result = json!({
                "ruleId": f.check,
                "ruleIndex": index,
                "level": if f.known_drift.is_some() { "note" } else { "error" },
                "message": { "text": text },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {
                            "uri": rel.join(&f.lesson).display().to_string(),
                            "uriBaseId": "%SRCROOT%",
                        },
                        "region": { "startLine": f.line.max(1) },
                    }
                }],
                "properties": { "tier": o.tier.as_str() },
            });
            if let Some(why) = &f.known_drift {
                result["suppressions"] = json!([{
                    "kind": "external",
                    "justification": format!("known drift (lessons/known-drift.yaml): {why}"),
                }]);
            }
            results.push(result);
        }
    }
    // the tool ran as asked unless a tier it was required to run could not
    let successful = !notifications.iter().any(|n| n["level"] == "error");
    let sarif = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "yadoc",
                    "version": env!("CARGO_PKG_VERSION"),
                    "rules": rule_list,
                }
            },
            "invocations": [{
                "executionSuccessful": successful,
                "toolExecutionNotifications": notifications,
            }],
            "originalUriBaseIds": {
                "%SRCROOT%": { "description": { "text": "the repository root" } }
            },
            "results": results,
        }]
    });
    serde_json::to_string_pretty(&sarif).unwrap_or_default()
}
