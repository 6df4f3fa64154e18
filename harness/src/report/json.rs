//! JSON report: `{"schema":1,"lessons":[…],"summary":{…},"outcomes":[…]}` (documented in README).

use super::Report;

pub fn render(report: &Report) -> String {
    let mut v = serde_json::to_value(report).unwrap_or_default();
    if let Some(o) = v.as_object_mut() {
        o.insert(
            "summary".into(),
            serde_json::to_value(report.summary()).unwrap_or_default(),
        );
    }
    serde_json::to_string_pretty(&v).unwrap_or_default() + "\n"
}
