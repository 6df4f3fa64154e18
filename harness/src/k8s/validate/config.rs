//! ConfigMaps and Secrets. Upstream: kubernetes/kubernetes `pkg/apis/core/validation/validation.go`
//! (ValidateConfigMap: IsConfigMapKey on data and binaryData keys, "duplicate of key present in
//! binaryData"; ValidateSecret: IsSecretKey = IsConfigMapKey on data keys); a Secret's data values are
//! base64, decoded with the object (`[]byte` fields in encoding/json).

use base64::Engine;
use serde_json::Value;

use super::{names, Out};

pub fn data(out: &mut Out, v: &Value, kind: &str) {
    let lists: &[&str] = if kind == "Secret" {
        &["data", "stringData"]
    } else {
        &["data", "binaryData"]
    };
    for list in lists {
        for (k, val) in v[*list].as_object().into_iter().flatten() {
            out.each(
                &format!("{list}.{k}"),
                k,
                names::config_key(k),
                "use keys of letters, digits, '-', '_' and '.' (a file name such as app.py)",
            );
            let binary = (kind == "Secret" && *list == "data") || *list == "binaryData";
            if let (true, Some(text)) = (binary, val.as_str()) {
                if let Err(e) = base64::engine::general_purpose::STANDARD.decode(text) {
                    out.invalid(
                        &format!("{list}.{k}"),
                        val,
                        &format!("illegal base64 data: {e}"),
                        "base64-encode the value (base64 -w0), or put plain text under stringData",
                    );
                }
            }
        }
    }
    if kind == "ConfigMap" {
        if let (Some(d), Some(b)) = (v["data"].as_object(), v["binaryData"].as_object()) {
            for k in d.keys().filter(|k| b.contains_key(*k)) {
                out.invalid(
                    &format!("data.{k}"),
                    &Value::String(k.clone()),
                    "duplicate of key present in binaryData",
                    "use each key in data or binaryData, not both",
                );
            }
        }
    }
}
