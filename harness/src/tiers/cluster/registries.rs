//! Pull credentials and a mirror for the k3s nodes' own pulls. Every node pulls its system images
//! (pause, coredns, metrics-server, local-path, klipper-lb, traefik, klipper-helm) through its own
//! containerd, which a `docker login` on the host never reaches; Docker Hub allows few anonymous
//! pulls per IP. From `YADOC_REGISTRY_USERNAME` / `YADOC_REGISTRY_PASSWORD` (Docker Hub) and
//! `YADOC_REGISTRY_MIRROR` (a docker.io mirror), yadoc writes a k3s registries.yaml into the run's
//! directory and passes it to every `k3d cluster create` as `--registry-config` (k3d
//! cmd/cluster/clusterCreate.go). k3s reads `mirrors.<registry>.endpoint` and
//! `configs.<registry>.auth`; a `docker.io` entry is found for registry-1.docker.io too (k3s
//! pkg/agent/containerd/config.go, configForHost and normalizeEndpointAddress).

use serde_json::json;

/// What the nodes are given (the password never appears in a report).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registries {
    pub mirror: Option<String>,
    pub username: Option<String>,
    password: Option<String>,
}

impl Registries {
    /// From the environment (a lookup, so tests give their own); None when nothing is set.
    pub fn from_lookup(env: impl Fn(&str) -> Option<String>) -> Option<Self> {
        let get = |k: &str| env(k).filter(|v| !v.trim().is_empty());
        let r = Self {
            mirror: get("YADOC_REGISTRY_MIRROR"),
            username: get("YADOC_REGISTRY_USERNAME"),
            password: get("YADOC_REGISTRY_PASSWORD"),
        };
        (r.mirror.is_some() || (r.username.is_some() && r.password.is_some())).then_some(r)
    }

    /// The registries.yaml (JSON, which YAML reads as it is: no quoting to get wrong).
    pub fn yaml(&self) -> String {
        let mut v = json!({});
        if let Some(m) = &self.mirror {
            v["mirrors"] = json!({"docker.io": {"endpoint": [m]}});
        }
        if let (Some(u), Some(p)) = (&self.username, &self.password) {
            v["configs"] = json!({"docker.io": {"auth": {"username": u, "password": p}}});
        }
        serde_json::to_string_pretty(&v).unwrap_or_default()
    }

    /// `mirror https://…, Docker Hub credentials of USER` for the rewrite note.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(m) = &self.mirror {
            parts.push(format!("docker.io mirror {m}"));
        }
        if let Some(u) = self.username.as_ref().filter(|_| self.password.is_some()) {
            parts.push(format!("Docker Hub credentials of {u}"));
        }
        parts.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn nothing_set_gives_the_nodes_nothing() {
        assert_eq!(Registries::from_lookup(env(&[])), None);
        // a user without a password is no credential
        assert_eq!(
            Registries::from_lookup(env(&[("YADOC_REGISTRY_USERNAME", "u")])),
            None
        );
    }

    #[test]
    fn credentials_and_a_mirror_become_a_k3s_registries_yaml() {
        let r = Registries::from_lookup(env(&[
            ("YADOC_REGISTRY_USERNAME", "yadoc-bot"),
            ("YADOC_REGISTRY_PASSWORD", "p\"a:ss#word"),
            ("YADOC_REGISTRY_MIRROR", "https://mirror.gcr.io"),
        ]))
        .unwrap();
        let v: serde_json::Value = crate::yaml::YamlDoc::parse(&r.yaml()).unwrap().value;
        assert_eq!(
            v["mirrors"]["docker.io"]["endpoint"][0],
            "https://mirror.gcr.io"
        );
        assert_eq!(v["configs"]["docker.io"]["auth"]["username"], "yadoc-bot");
        assert_eq!(
            v["configs"]["docker.io"]["auth"]["password"],
            "p\"a:ss#word"
        );
        assert!(!r.describe().contains("ss#word"), "{}", r.describe());
        assert!(r.describe().contains("credentials of yadoc-bot"));
    }
}
