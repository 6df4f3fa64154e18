//! Object metadata and label selectors. Upstream: kubernetes/kubernetes
//! `staging/src/k8s.io/apimachinery/pkg/api/validation/objectmeta.go` (ValidateObjectMeta: "name or
//! generateName is required"), `pkg/apis/core/validation/validation.go` (ValidateNamespaceName =
//! NameIsDNSLabel, ValidateServiceName = NameIsDNS1035Label, most kinds NameIsDNSSubdomain) and
//! `staging/src/k8s.io/apimachinery/pkg/apis/meta/v1/validation/validation.go` (ValidateLabels,
//! ValidateLabelSelector: the operator rules).

use serde_json::Value;

use super::names;
use super::Out;

/// How a kind's metadata.name is validated.
pub enum Name {
    Dns1123Label,
    Dns1035Label,
    Subdomain,
}

pub fn object(out: &mut Out, v: &Value, rule: Name) {
    let m = &v["metadata"];
    match m["name"].as_str() {
        Some(name) if !name.is_empty() => {
            let errs = match rule {
                Name::Dns1123Label => names::dns1123_label(name),
                Name::Dns1035Label => names::dns1035_label(name),
                Name::Subdomain => names::dns1123_subdomain(name),
            };
            out.each(
                "metadata.name",
                name,
                errs,
                "use lower-case letters, digits and '-' (e.g. myapp-hpa)",
            );
        }
        _ if m["generateName"].as_str().is_some_and(|g| !g.is_empty()) => {}
        _ => out.required(
            "metadata.name",
            "name or generateName is required",
            "give the object a metadata.name",
        ),
    }
    if let Some(ns) = m["namespace"].as_str() {
        out.each(
            "metadata.namespace",
            ns,
            names::dns1123_label(ns),
            "use a valid namespace name",
        );
    }
    labels(out, &m["labels"], "metadata.labels");
    if let Some(a) = m["annotations"].as_object() {
        for k in a.keys() {
            out.each(
                "metadata.annotations",
                k,
                names::label_key(&k.to_ascii_lowercase()),
                "use a qualified name as the annotation key (prefix/name)",
            );
        }
    }
}

/// `ValidateLabels`: every key a qualified name, every value a label value.
pub fn labels(out: &mut Out, labels: &Value, path: &str) {
    let Some(map) = labels.as_object() else {
        return;
    };
    for (k, v) in map {
        out.each_in(
            &format!("{path}.{k}"),
            path,
            k,
            names::label_key(k),
            "label keys are [prefix/]name, name ≤ 63 characters of [A-Za-z0-9._-]",
        );
        if let Some(s) = v.as_str() {
            out.each_in(
                &format!("{path}.{k}"),
                path,
                s,
                names::label_value(s),
                "label values are ≤ 63 characters of [A-Za-z0-9._-], starting and ending alphanumeric",
            );
        }
    }
}

/// `ValidateLabelSelector`: matchLabels as labels, matchExpressions with valid operators.
pub fn selector(out: &mut Out, sel: &Value, path: &str) {
    labels(out, &sel["matchLabels"], &format!("{path}.matchLabels"));
    for (i, e) in sel["matchExpressions"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        let at = format!("{path}.matchExpressions[{i}]");
        if let Some(k) = e["key"].as_str() {
            out.each(
                &format!("{at}.key"),
                k,
                names::label_key(k),
                "use a valid label key",
            );
        }
        let values = e["values"].as_array().map(|a| a.len()).unwrap_or(0);
        match e["operator"].as_str().unwrap_or("") {
            "In" | "NotIn" if values == 0 => out.required(
                &format!("{at}.values"),
                "must be specified when `operator` is 'In' or 'NotIn'",
                "list the values to match",
            ),
            "Exists" | "DoesNotExist" if values > 0 => out.forbidden(
                &format!("{at}.values"),
                "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
                "remove values",
            ),
            "In" | "NotIn" | "Exists" | "DoesNotExist" => {}
            _ => out.unsupported(
                &format!("{at}.operator"),
                &e["operator"],
                &["DoesNotExist", "Exists", "In", "NotIn"],
                "use one of the supported operators",
            ),
        }
    }
}
