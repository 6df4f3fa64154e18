//! HorizontalPodAutoscalers (autoscaling/v2). Upstream: kubernetes/kubernetes
//! `pkg/apis/autoscaling/validation/validation.go` (validateHorizontalPodAutoscalerSpec: minReplicas
//! and maxReplicas "must be greater than 0", "must be greater than or equal to `minReplicas`";
//! ValidateCrossVersionObjectReference: kind and name required; validateMetricSpec: the source type
//! enum, "must populate information for the given metric source"; validateResourceSource: "must
//! specify a resource name", "must set either a target raw value or a target utilization", "may not
//! set both a target raw value and a target utilization"; validateMetricTarget: "must be either
//! Utilization, Value, or AverageValue", utilization "must be greater than 0", values "must be
//! positive").

use serde_json::Value;

use super::{quantity, Out};

pub fn spec(out: &mut Out, v: &Value) {
    let s = &v["spec"];
    let min = s["minReplicas"].as_i64();
    let max = s["maxReplicas"].as_i64();
    if min.is_some_and(|m| m < 1) {
        out.invalid(
            "spec.minReplicas",
            &s["minReplicas"],
            "must be greater than 0",
            "use minReplicas: 1 or more",
        );
    }
    if max.is_some_and(|m| m < 1) {
        out.invalid(
            "spec.maxReplicas",
            &s["maxReplicas"],
            "must be greater than 0",
            "use maxReplicas: 1 or more",
        );
    }
    if let (Some(lo), Some(hi)) = (min, max) {
        if hi < lo {
            out.invalid(
                "spec.maxReplicas",
                &s["maxReplicas"],
                "must be greater than or equal to `minReplicas`",
                &format!("make maxReplicas at least minReplicas ({lo}), or lower minReplicas"),
            );
        }
    }
    let r = &s["scaleTargetRef"];
    for key in ["kind", "name"] {
        match r[key].as_str() {
            None | Some("") => out.required(
                &format!("spec.scaleTargetRef.{key}"),
                "",
                "name the workload to scale",
            ),
            Some(x) if x.contains('/') || x.contains('%') || x == "." || x == ".." => out.invalid(
                &format!("spec.scaleTargetRef.{key}"),
                &r[key],
                "may not contain '/' or '%' and may not be '.' or '..'",
                "use the workload's plain kind and name",
            ),
            _ => {}
        }
    }
    for (i, m) in s["metrics"].as_array().into_iter().flatten().enumerate() {
        metric(out, m, &format!("spec.metrics[{i}]"));
    }
}

fn metric(out: &mut Out, m: &Value, at: &str) {
    const TYPES: &[&str] = &[
        "ContainerResource",
        "External",
        "Object",
        "Pods",
        "Resource",
    ];
    let Some(t) = m["type"].as_str().filter(|t| !t.is_empty()) else {
        out.required(
            &format!("{at}.type"),
            "must specify a metric source type",
            "set type: Resource",
        );
        return;
    };
    if !TYPES.contains(&t) {
        out.unsupported(
            &format!("{at}.type"),
            &m["type"],
            TYPES,
            "use Resource (cpu, memory), Pods, Object, External or ContainerResource",
        );
        return;
    }
    let source = match t {
        "ContainerResource" => "containerResource",
        "External" => "external",
        "Object" => "object",
        "Pods" => "pods",
        _ => "resource",
    };
    let src = &m[source];
    if src.is_null() {
        out.required(
            &format!("{at}.{source}"),
            "must populate information for the given metric source",
            &format!("add the `{source}:` block the type names"),
        );
        return;
    }
    let sp = format!("{at}.{source}");
    if matches!(source, "resource" | "containerResource")
        && src["name"].as_str().is_none_or(str::is_empty)
    {
        out.required(
            &format!("{sp}.name"),
            "must specify a resource name",
            "name the resource (cpu or memory)",
        );
    }
    let target = &src["target"];
    let tp = format!("{sp}.target");
    match target["type"].as_str() {
        None | Some("") => out.required(
            &format!("{tp}.type"),
            "must specify a metric target type",
            "set target.type: Utilization",
        ),
        Some("Utilization" | "Value" | "AverageValue") => {}
        Some(_) => out.invalid(
            &format!("{tp}.type"),
            &target["type"],
            "must be either Utilization, Value, or AverageValue",
            "use Utilization, Value or AverageValue",
        ),
    }
    if let Some(u) = target["averageUtilization"].as_i64() {
        if u < 1 {
            out.invalid(
                &format!("{tp}.averageUtilization"),
                &target["averageUtilization"],
                "must be greater than 0",
                "use a percentage above 0 (60 for 60 %)",
            );
        }
    }
    for key in ["value", "averageValue"] {
        let q = &target[key];
        let Some(text) = quantity::text(q) else {
            continue;
        };
        match quantity::parse(&text) {
            Err(e) => out.invalid(
                &format!("{tp}.{key}"),
                q,
                e,
                "write a quantity such as 500m or 100Mi",
            ),
            Ok(v) if v <= 0.0 => out.invalid(
                &format!("{tp}.{key}"),
                q,
                "must be positive",
                "use a quantity above 0",
            ),
            Ok(_) => {}
        }
    }
    if matches!(source, "resource" | "containerResource") {
        let (util, avg) = (
            !target["averageUtilization"].is_null(),
            !target["averageValue"].is_null(),
        );
        if !util && !avg {
            out.required(
                &format!("{tp}.averageUtilization"),
                "must set either a target raw value or a target utilization",
                "add averageUtilization (a percentage of the request)",
            );
        }
        if util && avg {
            out.forbidden(
                &format!("{tp}.averageValue"),
                "may not set both a target raw value and a target utilization",
                "keep only one of averageUtilization and averageValue",
            );
        }
    }
}
