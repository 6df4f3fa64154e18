//! `resource.Quantity` as the API server parses it, with its errors. Upstream: kubernetes/kubernetes
//! `staging/src/k8s.io/apimachinery/pkg/api/resource/quantity.go` (parseQuantityString,
//! ParseQuantity, ErrFormatWrong, ErrNumeric, ErrSuffix) and `suffix.go` (the suffixes).

pub const ERR_FORMAT_WRONG: &str =
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
pub const ERR_NUMERIC: &str = "unable to parse numeric part of quantity";
pub const ERR_SUFFIX: &str = "unable to parse quantity's suffix";

/// A quantity as a manifest writes it: a string, or a bare number YAML read as one.
pub fn text(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The value of a quantity (approximate, enough to compare requests with limits), or the API
/// server's error for it.
pub fn parse(s: &str) -> Result<f64, &'static str> {
    if s.is_empty() {
        return Err(ERR_FORMAT_WRONG);
    }
    if s == "0" {
        return Ok(0.0);
    }
    let b = s.as_bytes();
    let mut pos = 0;
    let mut sign = 1.0;
    match b[0] {
        b'-' => {
            sign = -1.0;
            pos = 1;
        }
        b'+' => pos = 1,
        _ => {}
    }
    let digits = |from: usize| from + b[from..].iter().take_while(|c| c.is_ascii_digit()).count();
    pos = digits(pos);
    if pos < b.len() && b[pos] == b'.' {
        pos = digits(pos + 1);
    }
    let number = &s[..pos];
    let suffix_start = pos;
    pos += b[pos..]
        .iter()
        .take_while(|c| b"eEinumkKMGTP".contains(c))
        .count();
    if pos < b.len() && (b[pos] == b'-' || b[pos] == b'+') {
        pos += 1;
    }
    if digits(pos) != b.len() {
        return Err(ERR_FORMAT_WRONG);
    }
    let suffix = &s[suffix_start..];
    let factor = match suffix {
        "" => 1.0,
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => 1024f64,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
        e if e.len() > 1 && (e.starts_with('e') || e.starts_with('E')) => {
            let exp: i32 = e[1..].parse().map_err(|_| ERR_SUFFIX)?;
            10f64.powi(exp)
        }
        _ => return Err(ERR_SUFFIX),
    };
    let unsigned = number.trim_start_matches(['+', '-']);
    let value: f64 = if unsigned.is_empty() {
        0.0
    } else {
        unsigned.parse().map_err(|_| ERR_NUMERIC)?
    };
    Ok(sign * value * factor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_what_the_api_server_accepts() {
        for (q, v) in [
            ("50m", 0.05),
            ("0.5", 0.5),
            ("1", 1.0),
            ("128Mi", 134217728.0),
            ("1G", 1e9),
            ("1e3", 1000.0),
            ("1.5Gi", 1.5 * 1073741824.0),
            ("+2", 2.0),
            ("0", 0.0),
        ] {
            assert_eq!(parse(q), Ok(v), "{q}");
        }
    }

    #[test]
    fn refuses_with_the_api_servers_error() {
        // "mm" is made of suffix characters, so the scan passes and the suffix table refuses it
        assert_eq!(parse("50mm"), Err(ERR_SUFFIX));
        assert_eq!(parse("1mi"), Err(ERR_SUFFIX));
        assert_eq!(parse("100 Mi"), Err(ERR_FORMAT_WRONG));
        assert_eq!(parse("abc"), Err(ERR_FORMAT_WRONG));
        assert_eq!(parse(""), Err(ERR_FORMAT_WRONG));
        assert_eq!(parse("1.2.3"), Err(ERR_FORMAT_WRONG));
    }
}
