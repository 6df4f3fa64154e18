//! The yq paths a lesson reads a kubeconfig field with, as far as yadoc follows them:
//! `.clusters[0].cluster."certificate-authority-data"` (an entry by position) and
//! `.users[] | select(.name == "admin@k3d-x") | .user."client-key-data"` (an entry by name).
//! Position is fragile: clientcmd writes a merged kubeconfig's entries sorted by name (client-go
//! `tools/clientcmd/api/v1/conversion.go`, `sort.Strings(allKeys)`), so `[0]` is whichever cluster
//! sorts first in the reader's `~/.kube/config`, not the one the lesson made.

use crate::yaml::YamlDoc;

/// How the path picks its entry of `clusters`, `users` or `contexts`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pick {
    Index(usize),
    Name(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KubeconfigPath {
    /// `clusters`, `users` or `contexts`.
    pub list: String,
    pub pick: Pick,
    /// The keys below the entry: `cluster`, `certificate-authority-data`.
    pub field: Vec<String>,
}

fn keys(path: &str) -> Vec<String> {
    path.trim()
        .trim_start_matches('.')
        .split('.')
        .map(|k| k.trim_matches('"').to_string())
        .filter(|k| !k.is_empty())
        .collect()
}

impl KubeconfigPath {
    pub fn parse(expression: &str) -> Option<Self> {
        let parts: Vec<&str> = expression.split('|').map(str::trim).collect();
        match parts.as_slice() {
            [one] => {
                let rest = one.strip_prefix('.')?;
                let (list, rest) = rest.split_once('[')?;
                let (index, field) = rest.split_once(']')?;
                Some(Self {
                    list: list.to_string(),
                    pick: Pick::Index(index.trim().parse().ok()?),
                    field: keys(field),
                })
            }
            [all, select, field] => {
                let list = all.strip_prefix('.')?.strip_suffix("[]")?;
                let inner = select.strip_prefix("select(")?.strip_suffix(')')?;
                let (lhs, rhs) = inner.split_once("==")?;
                (lhs.trim() == ".name").then_some(())?;
                let name = rhs.trim().trim_matches('"').to_string();
                Some(Self {
                    list: list.to_string(),
                    pick: Pick::Name(name),
                    field: keys(field),
                })
            }
            _ => None,
        }
    }

    /// The field's value in a kubeconfig.
    pub fn read(&self, kubeconfig: &str) -> Result<String, String> {
        let doc =
            YamlDoc::parse(kubeconfig).map_err(|e| format!("line {}: {}", e.line, e.message))?;
        let entries = doc.value[self.list.as_str()]
            .as_array()
            .ok_or_else(|| format!("the kubeconfig has no `{}` list", self.list))?;
        let entry = match &self.pick {
            Pick::Index(i) => entries.get(*i).ok_or_else(|| {
                format!("`{}` has {} entries, no [{i}]", self.list, entries.len())
            })?,
            Pick::Name(n) => entries
                .iter()
                .find(|e| e["name"].as_str() == Some(n.as_str()))
                .ok_or_else(|| format!("no entry of `{}` is named {n}", self.list))?,
        };
        let v = self.field.iter().fold(entry, |v, k| &v[k.as_str()]);
        v.as_str()
            .map(String::from)
            .ok_or_else(|| format!("{} is not a string", self.field.join(".")))
    }

    /// The same path with an entry name replaced (the run's cluster instead of the lesson's).
    pub fn renamed(&self, from: &str, to: &str) -> Self {
        let mut p = self.clone();
        if let Pick::Name(n) = &mut p.pick {
            *n = n.replace(from, to);
        }
        p
    }

    /// As yq writes it.
    pub fn expression(&self) -> String {
        let field: String = self
            .field
            .iter()
            .map(|k| {
                if k.contains('-') {
                    format!(".\"{k}\"")
                } else {
                    format!(".{k}")
                }
            })
            .collect();
        match &self.pick {
            Pick::Index(i) => format!(".{}[{i}]{field}", self.list),
            Pick::Name(n) => format!(".{}[] | select(.name == \"{n}\") | {field}", self.list),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KC: &str = "clusters:\n- cluster:\n    certificate-authority-data: QQ==\n  name: docker-desktop\n- cluster:\n    certificate-authority-data: Qg==\n  name: k3d-yadoc-api-exposed\nusers:\n- name: admin@k3d-yadoc-api-exposed\n  user:\n    client-key-data: Sw==\n";

    #[test]
    fn reads_the_lessons_index_path_and_a_by_name_path() {
        let by_index =
            KubeconfigPath::parse(r#".clusters[0].cluster."certificate-authority-data""#).unwrap();
        assert_eq!(by_index.pick, Pick::Index(0));
        assert_eq!(
            by_index.read(KC).unwrap(),
            "QQ==",
            "[0] is whatever sorts first"
        );
        let by_name = KubeconfigPath::parse(
            r#".clusters[] | select(.name == "k3d-yadoc-api-exposed") | .cluster."certificate-authority-data""#,
        )
        .unwrap();
        assert_eq!(by_name.read(KC).unwrap(), "Qg==");
        assert_eq!(
            by_name.expression(),
            r#".clusters[] | select(.name == "k3d-yadoc-api-exposed") | .cluster."certificate-authority-data""#
        );
        let user = KubeconfigPath::parse(r#".users[] | select(.name == "admin@k3d-yadoc-api-exposed") | .user."client-key-data""#).unwrap();
        assert_eq!(user.read(KC).unwrap(), "Sw==");
        let renamed = user.renamed("k3d-yadoc-api-exposed", "k3d-yadoc-1234-0");
        assert_eq!(renamed.pick, Pick::Name("admin@k3d-yadoc-1234-0".into()));
        assert!(renamed
            .read(KC)
            .unwrap_err()
            .contains("no entry of `users` is named admin@k3d-yadoc-1234-0"));
        assert!(KubeconfigPath::parse(".users[3].user.token")
            .unwrap()
            .read(KC)
            .unwrap_err()
            .contains("no [3]"));
        assert_eq!(KubeconfigPath::parse(".current-context"), None);
    }
}
