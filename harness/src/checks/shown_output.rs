//! `steps.shown-output`: the output a lesson shows under a command is what that command prints.
//! kubectl's `config` commands are offline and deterministic: `kubectl config view` prints the
//! kubeconfig that the lesson's `set-cluster`, `set-credentials`, `set-context` and `use-context`
//! wrote (staging/src/k8s.io/kubectl/pkg/cmd/config/create_cluster.go, create_authinfo.go,
//! create_context.go: each flag is stored under its own name, `--server` as `server`,
//! `--client-key` as `client-key`). So a value the output shows for an entry the lesson set, which
//! differs from the value it set, is a contradiction the reader hits.
//!
//! Only kubeconfig files the lesson names (`--kubeconfig=F`) are modelled: the reader's own
//! `~/.kube/config`, or a `KUBECONFIG` list, holds entries yadoc cannot know, so it says nothing of
//! them.

use std::collections::BTreeMap;

use super::context::Ctx;
use super::finding::{Edit, Examined};

pub const SHOWN_OUTPUT: &str = "steps.shown-output";

/// The section of a kubeconfig a `set-*` command writes, and the key of its entries' inner map.
const SECTIONS: &[(&str, &str, &str)] = &[
    ("set-cluster", "clusters", "cluster"),
    ("set-credentials", "users", "user"),
    ("set-context", "contexts", "context"),
];

/// `kubectl config set-*` flags that take no value (`--insecure-skip-tls-verify` is `true`).
const BOOLEAN: &[&str] = &["insecure-skip-tls-verify", "embed-certs", "current"];

/// A field value some command set: the value, and the line and word that set it.
#[derive(Debug, Clone)]
struct Set {
    value: String,
    line: usize,
    word: String,
}

/// One kubeconfig file as the lesson's commands write it: (section, entry name, field) → value.
type Model = BTreeMap<(String, String, String), Set>;

/// What one `kubectl config …` command does to a named kubeconfig file.
#[derive(Debug, PartialEq, Eq)]
enum Config {
    Set {
        file: String,
        section: &'static str,
        name: String,
        fields: Vec<(String, String, String)>,
    },
    View {
        file: String,
    },
}

/// `kubectl [--kubeconfig=F] config [--kubeconfig=F] set-…|view …`, with the file it names.
fn parse(words: &[String]) -> Option<Config> {
    if words.first().map(String::as_str) != Some("kubectl") {
        return None;
    }
    let mut file = None;
    let mut rest = Vec::new();
    let mut i = 1;
    while i < words.len() {
        let w = &words[i];
        if let Some(v) = w.strip_prefix("--kubeconfig=") {
            file = Some(v.to_string());
        } else if w == "--kubeconfig" {
            file = words.get(i + 1).cloned();
            i += 1;
        } else {
            rest.push(w.clone());
        }
        i += 1;
    }
    let file = file?;
    let (Some("config"), Some(sub)) = (
        rest.first().map(String::as_str),
        rest.get(1).map(String::as_str),
    ) else {
        return None;
    };
    if sub == "view" {
        return Some(Config::View { file });
    }
    let &(_, section, _) = SECTIONS.iter().find(|(s, ..)| *s == sub)?;
    let mut name = None;
    let mut fields = Vec::new();
    let mut j = 2;
    while j < rest.len() {
        let w = &rest[j];
        if let Some(flag) = w.strip_prefix("--") {
            let (key, value) = match flag.split_once('=') {
                Some((k, v)) => (k.to_string(), v.to_string()),
                None if BOOLEAN.contains(&flag) => (flag.to_string(), "true".to_string()),
                None => {
                    j += 1;
                    (flag.to_string(), rest.get(j).cloned()?)
                }
            };
            fields.push((key, value, w.clone()));
        } else if name.is_none() {
            name = Some(w.clone());
        }
        j += 1;
    }
    // `set-context --current` edits the current context: yadoc does not follow which one it is
    if fields.iter().any(|(k, ..)| k == "current") {
        return None;
    }
    Some(Config::Set {
        file,
        section,
        name: name?,
        fields,
    })
}

pub fn shown_output(ctx: &Ctx) -> Examined {
    let mut out = Examined::new();
    let mut models: BTreeMap<String, Model> = BTreeMap::new();
    for s in ctx.lesson.commands() {
        match parse(&s.words) {
            Some(Config::Set {
                file,
                section,
                name,
                fields,
            }) => {
                let model = models.entry(file).or_default();
                for (key, value, word) in fields {
                    let set = Set {
                        value,
                        line: s.line,
                        word,
                    };
                    model.insert((section.to_string(), name.clone(), key), set);
                }
            }
            Some(Config::View { file }) => {
                let Some(model) = models.get(&file) else {
                    continue;
                };
                let Some(block) = s.block.and_then(|b| ctx.lesson.blocks.get(b + 1)) else {
                    continue;
                };
                let Ok(doc) = crate::yaml::YamlDoc::parse(&block.text) else {
                    continue;
                };
                if doc.value["kind"].as_str() != Some("Config") {
                    continue;
                }
                out.saw(format!(
                    "line {}: the output of `{}` at line {}",
                    s.line, s.literal, block.open_line
                ));
                compare(ctx, &mut out, model, &doc, block.open_line, s.line);
            }
            None => {}
        }
    }
    out
}

/// Every field of `doc` (a `kubectl config view` output whose fence opens at `open`) that the
/// model set to another value.
fn compare(
    ctx: &Ctx,
    out: &mut Examined,
    model: &Model,
    doc: &crate::yaml::YamlDoc,
    open: usize,
    view_line: usize,
) {
    for &(_, section, inner) in SECTIONS {
        let Some(entries) = doc.value[section].as_array() else {
            continue;
        };
        for (i, entry) in entries.iter().enumerate() {
            let Some(name) = entry["name"].as_str() else {
                continue;
            };
            let Some(fields) = entry[inner].as_object() else {
                continue;
            };
            for (key, shown) in fields {
                let shown = match shown {
                    serde_json::Value::String(s) => s.clone(),
                    serde_json::Value::Bool(b) => b.to_string(),
                    other => other.to_string(),
                };
                // kubectl redacts secrets and embedded data in its view, by version
                if matches!(shown.as_str(), "REDACTED" | "DATA+OMITTED") {
                    continue;
                }
                let Some(set) = model.get(&(section.to_string(), name.to_string(), key.clone()))
                else {
                    continue;
                };
                if set.value == shown {
                    continue;
                }
                let at = open + doc.line_of(&format!("{section}[{i}].{inner}.{key}"));
                let meant = set.word.replacen(&set.value, &shown, 1);
                let source = ctx.lesson.source.line(set.line);
                let mut finding = ctx
                    .finding(SHOWN_OUTPUT, set.line)
                    .expected(format!(
                        "`{}` as the output of `kubectl config view` (line {view_line}) shows it at line {at}: `{key}: {shown}`",
                        meant
                    ))
                    .observed(format!(
                        "`{}` sets {key} of {inner} `{name}` to `{}`: kubectl prints what was set, so the reader's output has `{key}: {}` where the lesson shows `{shown}`",
                        set.word, set.value, set.value
                    ))
                    .fix(format!(
                        "write `{meant}`, or change line {at} of the shown output to `{}`",
                        set.value
                    ));
                if source.contains(&set.word) {
                    finding = finding.edit(Edit::ReplaceLine {
                        line: set.line,
                        text: source.replacen(&set.word, &meant, 1),
                    });
                }
                // one finding a setting, however many outputs show it
                if !out
                    .findings
                    .iter()
                    .any(|f| f.line == finding.line && f.expected == finding.expected)
                {
                    out.found(finding);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lesson(set_key: &str, shown_key: &str) -> String {
        format!(
            "```shell\nkubectl config --kubeconfig=demo set-credentials dev --client-certificate=cert --client-key={set_key}\nkubectl config --kubeconfig=demo set-cluster dev --server=https://1.2.3.4 --insecure-skip-tls-verify\nkubectl config --kubeconfig=demo set-context dev --cluster=dev --user=dev --namespace=frontend\n```\n\n```shell\nkubectl config --kubeconfig=demo view\n```\n\n```yaml\napiVersion: v1\nclusters:\n- cluster:\n    insecure-skip-tls-verify: true\n    server: https://1.2.3.4\n  name: dev\ncontexts:\n- context:\n    cluster: dev\n    namespace: frontend\n    user: dev\n  name: dev\nkind: Config\nusers:\n- name: dev\n  user:\n    client-certificate: cert\n    client-key: {shown_key}\n    password: REDACTED\n```\n"
        )
    }

    fn findings(md: &str) -> Vec<crate::checks::finding::Finding> {
        crate::checks::examined_on(shown_output, md).findings
    }

    #[test]
    fn a_value_the_view_shows_otherwise_than_it_was_set_is_found_at_the_setting() {
        let f = findings(&lesson("key-seefile", "key-file"));
        assert_eq!(f.len(), 1, "{f:#?}");
        assert_eq!(f[0].line, 2);
        assert!(f[0].observed.contains("`key-seefile`"), "{}", f[0].observed);
        assert!(f[0].expected.contains("line 29"), "{}", f[0].expected);
        assert_eq!(
            f[0].edit,
            Some(Edit::ReplaceLine {
                line: 2,
                text: "kubectl config --kubeconfig=demo set-credentials dev --client-certificate=cert --client-key=key-file".into()
            })
        );
        assert!(findings(&lesson("key-file", "key-file")).is_empty());
    }

    #[test]
    fn the_readers_own_kubeconfig_and_the_current_context_are_not_modelled() {
        let md = lesson("a", "b").replace("--kubeconfig=demo ", "");
        assert!(findings(&md).is_empty());
        assert_eq!(
            parse(
                &"kubectl config --kubeconfig=demo set-context --current --namespace=x"
                    .split(' ')
                    .map(String::from)
                    .collect::<Vec<_>>()
            ),
            None
        );
    }
}
