//! Workloads. Upstream: kubernetes/kubernetes `pkg/apis/apps/validation/validation.go`
//! (ValidateDeploymentSpec: ValidateNonnegativeField on replicas and revisionHistoryLimit, "empty
//! selector is invalid for deployment", ValidateDeploymentStrategy, ValidateRollingUpdateDeployment
//! ("may not be 0 when `maxSurge` is 0"), "must be greater than minReadySeconds";
//! ValidatePodTemplateSpecForReplicaSet: restartPolicy Always; ValidateStatefulSetSpec,
//! ValidateDaemonSetSpec) and `pkg/apis/batch/validation/validation.go` (a Job's pods restart
//! OnFailure or Never).

use serde_json::Value;

use super::{meta, pod, Out};

pub fn spec(out: &mut Out, v: &Value, kind: &str) {
    let s = &v["spec"];
    if kind != "DaemonSet" && kind != "Job" {
        nonnegative(out, &s["replicas"], "spec.replicas");
    }
    nonnegative(out, &s["revisionHistoryLimit"], "spec.revisionHistoryLimit");
    nonnegative(out, &s["minReadySeconds"], "spec.minReadySeconds");
    let sel = &s["selector"];
    if sel.is_null() {
        if kind != "Job" {
            out.required(
                "spec.selector",
                "",
                "add spec.selector.matchLabels equal to the template's labels",
            );
        }
    } else {
        meta::selector(out, sel, "spec.selector");
        let empty = sel["matchLabels"].as_object().is_none_or(|m| m.is_empty())
            && sel["matchExpressions"]
                .as_array()
                .is_none_or(|a| a.is_empty());
        if empty && kind != "Job" {
            out.invalid(
                "spec.selector",
                sel,
                &format!(
                    "empty selector is invalid for {}",
                    kind.to_ascii_lowercase()
                ),
                "select the template's labels (spec.selector.matchLabels)",
            );
        }
    }
    meta::labels(
        out,
        &s["template"]["metadata"]["labels"],
        "spec.template.metadata.labels",
    );
    let restart: &[&str] = if kind == "Job" {
        &["OnFailure", "Never"]
    } else {
        &["Always"]
    };
    if kind == "Job" && s["template"]["spec"]["restartPolicy"].is_null() {
        out.required(
            "spec.template.spec.restartPolicy",
            "valid values: \"OnFailure\", \"Never\"",
            "set restartPolicy: OnFailure (or Never) in the Job's pod template",
        );
    }
    pod::spec(
        out,
        &s["template"]["spec"],
        "spec.template.spec",
        Some(restart),
    );
    if kind == "Deployment" {
        strategy(out, &s["strategy"]);
        if let (Some(p), m) = (
            s["progressDeadlineSeconds"].as_i64(),
            s["minReadySeconds"].as_i64().unwrap_or(0),
        ) {
            if p <= m {
                out.invalid(
                    "spec.progressDeadlineSeconds",
                    &s["progressDeadlineSeconds"],
                    "must be greater than minReadySeconds",
                    "make progressDeadlineSeconds larger than minReadySeconds",
                );
            }
        }
    }
}

fn nonnegative(out: &mut Out, v: &Value, path: &str) {
    if v.as_i64().is_some_and(|n| n < 0) {
        out.invalid(
            path,
            v,
            "must be greater than or equal to 0",
            "use 0 or more",
        );
    }
}

fn strategy(out: &mut Out, s: &Value) {
    if s.is_null() {
        return;
    }
    let rolling = &s["rollingUpdate"];
    match s["type"].as_str() {
        Some("Recreate") if !rolling.is_null() => out.forbidden(
            "spec.strategy.rollingUpdate",
            "may not be specified when strategy `type` is 'Recreate'",
            "remove rollingUpdate, or use type: RollingUpdate",
        ),
        Some("Recreate") => {}
        Some("RollingUpdate") | None => {
            let unavailable = int_or_percent(
                out,
                &rolling["maxUnavailable"],
                "spec.strategy.rollingUpdate.maxUnavailable",
            );
            let surge = int_or_percent(
                out,
                &rolling["maxSurge"],
                "spec.strategy.rollingUpdate.maxSurge",
            );
            if unavailable.is_some_and(|u| u > 100.0) && rolling["maxUnavailable"].is_string() {
                out.invalid(
                    "spec.strategy.rollingUpdate.maxUnavailable",
                    &rolling["maxUnavailable"],
                    "must not be greater than 100%",
                    "use at most 100%",
                );
            }
            if unavailable == Some(0.0) && surge == Some(0.0) {
                out.invalid(
                    "spec.strategy.rollingUpdate.maxUnavailable",
                    &rolling["maxUnavailable"],
                    "may not be 0 when `maxSurge` is 0",
                    "let one of maxUnavailable and maxSurge be above 0",
                );
            }
        }
        Some(_) => out.unsupported(
            "spec.strategy.type",
            &s["type"],
            &["Recreate", "RollingUpdate"],
            "use Recreate or RollingUpdate",
        ),
    }
}

/// An IntOrString of a rolling update (`ValidatePositiveIntOrPercent`): its number (or percent).
fn int_or_percent(out: &mut Out, v: &Value, path: &str) -> Option<f64> {
    match v {
        Value::Number(n) => {
            let n = n.as_i64()?;
            if n < 0 {
                out.invalid(
                    path,
                    v,
                    "must be greater than or equal to 0",
                    "use 0 or more",
                );
            }
            Some(n as f64)
        }
        Value::String(s) => match s.strip_suffix('%').and_then(|p| p.parse::<u32>().ok()) {
            Some(p)
                if s.strip_suffix('%')
                    .is_some_and(|d| d.bytes().all(|c| c.is_ascii_digit())) =>
            {
                Some(f64::from(p))
            }
            _ => {
                let e = super::names::regex_error(
                    "a valid percent string must be a numeric string followed by an ending '%'",
                    "[0-9]+%",
                    &["1%", "93%"],
                );
                out.invalid(path, v, &e, "write a number or a percentage such as 25%");
                None
            }
        },
        _ => None,
    }
}
