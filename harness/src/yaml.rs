//! YAML with positions: one parse with serde-saphyr gives both a `serde_json::Value` (to decode into
//! k8s-openapi types) and the line of every mapping key and sequence item (to locate findings).

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_saphyr::Spanned;

/// A parsed YAML document: its value and the 1-based line (within the YAML text) of each path.
#[derive(Debug, Clone)]
pub struct YamlDoc {
    pub value: serde_json::Value,
    lines: BTreeMap<String, usize>,
}

/// A YAML syntax error, located within the YAML text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlSyntaxError {
    pub line: usize,
    pub message: String,
}

impl YamlDoc {
    /// Parse one YAML document.
    pub fn parse(text: &str) -> Result<Self, YamlSyntaxError> {
        let node: Spanned<Node> = serde_saphyr::from_str(text).map_err(|e| YamlSyntaxError {
            line: e.location().map(|l| l.line() as usize).unwrap_or(1),
            message: first_line(&e.to_string()),
        })?;
        let mut lines = BTreeMap::new();
        let value = node.value.into_json(String::new(), &mut lines);
        lines.insert(String::new(), node.referenced.line() as usize);
        Ok(Self { value, lines })
    }

    /// Line of a dotted path (`spec.template.spec.containers[0].ports[0].containerPort`), or of the
    /// nearest ancestor that exists; 1 for the root.
    pub fn line_of(&self, path: &str) -> usize {
        let mut p = path.to_string();
        loop {
            if let Some(l) = self.lines.get(&p) {
                return *l;
            }
            match p.rfind(['.', '[']) {
                Some(i) => p.truncate(i),
                None => return self.lines.get("").copied().unwrap_or(1),
            }
        }
    }

    /// The sub-document at `prefix` (`items[2]` of a `kind: List`), with its own paths and lines.
    pub fn sub(&self, prefix: &str) -> Self {
        let value = prefix
            .trim_end_matches(']')
            .split_once('[')
            .and_then(|(k, i)| self.value[k].get(i.parse::<usize>().ok()?))
            .cloned()
            .unwrap_or_default();
        let mut lines = BTreeMap::new();
        for (k, l) in &self.lines {
            if k == prefix {
                lines.insert(String::new(), *l);
            } else if let Some(rest) = k.strip_prefix(&format!("{prefix}.")) {
                lines.insert(rest.to_string(), *l);
            }
        }
        Self { value, lines }
    }

    /// Every path in the document (keys and items), for unknown-field comparison.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.lines.keys().map(String::as_str)
    }
}

/// The documents of a YAML stream: (0-based line where each starts, its text). Documents are split at
/// `---` lines (and `...` end markers) at column 0, as YAML does; documents holding nothing but
/// comments and blanks (a trailing `---`) are dropped.
pub fn documents(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut current = String::new();
    let mut push = |start: usize, doc: &mut String| {
        let empty = doc
            .lines()
            .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'));
        let taken = std::mem::take(doc);
        if !empty {
            out.push((start, taken));
        }
    };
    for (i, line) in text.lines().enumerate() {
        let marker = line == "---"
            || line.starts_with("--- ")
            || line.starts_with("---\t")
            || line.trim_end() == "...";
        if marker {
            push(start, &mut current);
            start = i + 1;
            // `--- {inline}`: the rest of the line is the document's first content
            if let Some(rest) = line.strip_prefix("--- ") {
                if !rest.trim().is_empty() && !rest.trim_start().starts_with('#') {
                    start = i;
                    current.push_str(rest);
                    current.push('\n');
                }
            }
            continue;
        }
        current.push_str(line);
        current.push('\n');
    }
    push(start, &mut current);
    out
}

fn first_line(s: &str) -> String {
    plain_message(s)
}

/// A YAML parser's error in the reader's words: the location prefix dropped (findings carry the
/// line), and what serde-saphyr says to its own callers (`use from_str_multiple`, `set
/// DuplicateKeyPolicy in Options`, `budget breached: Nodes { .. }`) said as what it means for a lesson.
pub fn plain_message(raw: &str) -> String {
    let line = raw
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or(raw)
        .trim();
    let mut m = line.strip_prefix("error: ").unwrap_or(line);
    // "line 3 column 1: …"
    if let Some(rest) = m.strip_prefix("line ") {
        if let Some((_, after)) = rest.split_once(": ") {
            m = after;
        }
    }
    if m.contains("multiple YAML documents detected") {
        return "several YAML documents (separated by `---`) in one block; yadoc reads one document per block".into();
    }
    if let Some(rest) = m.strip_prefix("duplicate mapping key: ") {
        let key = rest.split(',').next().unwrap_or(rest).trim();
        return format!("the key `{key}` appears twice in the same mapping; the API server keeps only one of them");
    }
    if m.contains("budget breached") {
        let nodes = m
            .split(|c: char| !c.is_ascii_digit())
            .rfind(|d| !d.is_empty())
            .unwrap_or("too many");
        return format!("YAML alias expansion exceeds {nodes} nodes (aliases of aliases: a \"billion laughs\" document); expand it by hand or drop the aliases");
    }
    m.to_string()
}

/// A YAML node whose children carry their source positions.
#[derive(Debug)]
enum Node {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Spanned<Node>>),
    Map(Vec<(Spanned<String>, Spanned<Node>)>),
}

impl Node {
    fn into_json(self, path: String, lines: &mut BTreeMap<String, usize>) -> serde_json::Value {
        use serde_json::Value;
        match self {
            Node::Null => Value::Null,
            Node::Bool(b) => Value::Bool(b),
            Node::Int(i) => Value::from(i),
            Node::Float(f) => serde_json::Number::from_f64(f)
                .map(Value::Number)
                .unwrap_or(Value::Null),
            Node::Str(s) => Value::String(s),
            Node::Seq(items) => Value::Array(
                items
                    .into_iter()
                    .enumerate()
                    .map(|(i, item)| {
                        let p = format!("{path}[{i}]");
                        lines.insert(p.clone(), item.referenced.line() as usize);
                        item.value.into_json(p, lines)
                    })
                    .collect(),
            ),
            Node::Map(entries) => {
                let mut map = serde_json::Map::new();
                for (k, v) in entries {
                    let p = if path.is_empty() {
                        k.value.clone()
                    } else {
                        format!("{path}.{}", k.value)
                    };
                    lines.insert(p.clone(), k.referenced.line() as usize);
                    let value = v.value.into_json(p, lines);
                    map.insert(k.value, value);
                }
                Value::Object(map)
            }
        }
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML node")
    }
    fn visit_unit<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_none<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
        Node::deserialize(d)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Node, E> {
        Ok(Node::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Node, E> {
        Ok(Node::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Node, E> {
        Ok(i64::try_from(v)
            .map(Node::Int)
            .unwrap_or(Node::Float(v as f64)))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Node, E> {
        Ok(Node::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Node, E> {
        Ok(Node::Str(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Node, E> {
        Ok(Node::Str(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Spanned<Node>>()? {
            items.push(item);
        }
        Ok(Node::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Spanned<KeyString>>()? {
            let value = map.next_value::<Spanned<Node>>()?;
            let key = Spanned::new(key.value.0, key.referenced, key.defined);
            entries.push((key, value));
        }
        Ok(Node::Map(entries))
    }
}

/// A mapping key of any scalar type, as text (YAML allows `80: x`; Kubernetes keys are strings).
struct KeyString(String);

impl<'de> Deserialize<'de> for KeyString {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = KeyString;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a scalar mapping key")
            }
            fn visit_str<E>(self, v: &str) -> Result<KeyString, E> {
                Ok(KeyString(v.to_string()))
            }
            fn visit_bool<E>(self, v: bool) -> Result<KeyString, E> {
                Ok(KeyString(v.to_string()))
            }
            fn visit_i64<E>(self, v: i64) -> Result<KeyString, E> {
                Ok(KeyString(v.to_string()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<KeyString, E> {
                Ok(KeyString(v.to_string()))
            }
            fn visit_f64<E>(self, v: f64) -> Result<KeyString, E> {
                Ok(KeyString(v.to_string()))
            }
            fn visit_unit<E>(self) -> Result<KeyString, E> {
                Ok(KeyString("null".into()))
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod plain_tests {
    use super::*;

    #[test]
    fn the_parsers_advice_to_its_callers_never_reaches_the_reader() {
        for (yaml, says) in [
            ("a: 1\n---\nb: 2\n", "several YAML documents"),
            ("a: 1\na: 2\n", "the key `a` appears twice"),
        ] {
            let e = YamlDoc::parse(yaml).unwrap_err();
            assert!(e.message.starts_with(says), "{}", e.message);
            for library in [
                "from_str_multiple",
                "DuplicateKeyPolicy",
                "Options",
                "error: line",
            ] {
                assert!(!e.message.contains(library), "{}", e.message);
            }
        }
        let mut bomb = String::from("a: &a [x,x,x,x,x,x,x,x,x,x]\n");
        let mut prev = "a".to_string();
        for i in 0..7 {
            let n = format!("l{i}");
            let refs = vec![format!("*{prev}"); 10].join(",");
            bomb.push_str(&format!("{n}: &{n} [{refs}]\n"));
            prev = n;
        }
        let e = YamlDoc::parse(&bomb).unwrap_err();
        assert!(
            e.message
                .starts_with("YAML alias expansion exceeds 250001 nodes"),
            "{}",
            e.message
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEPLOY: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: myapp\nspec:\n  template:\n    spec:\n      containers:\n      - name: myapp\n        ports:\n        - containerPort: 5000 # comment\n";

    #[test]
    fn records_the_line_of_every_key_and_item() {
        let d = YamlDoc::parse(DEPLOY).unwrap();
        assert_eq!(d.value["metadata"]["name"], "myapp");
        assert_eq!(d.line_of("kind"), 2);
        assert_eq!(d.line_of("metadata.name"), 4);
        assert_eq!(
            d.line_of("spec.template.spec.containers[0].ports[0].containerPort"),
            11
        );
        assert_eq!(d.line_of("spec.template.spec.containers[0].name"), 9);
        // a path that does not exist falls back to its nearest ancestor
        assert_eq!(d.line_of("spec.template.spec.volumes"), 7);
    }

    #[test]
    fn a_syntax_error_is_located() {
        let e = YamlDoc::parse("a: 1\nb: [1, 2\nc: 3\n").unwrap_err();
        assert!(e.line >= 2, "{e:?}");
    }

    #[test]
    fn keys_with_spaces_before_colons_parse() {
        let d = YamlDoc::parse("backend :\n  service :\n    name : x\n").unwrap();
        assert_eq!(d.value["backend"]["service"]["name"], "x");
        assert_eq!(d.line_of("backend.service.name"), 3);
    }
}
