//! The only changes a cluster run makes to the lesson's commands, each shown next to the literal line:
//! a unique cluster name, free host ports instead of 8081 / 8082 / 6550 / 6551, a pinned k3s image,
//! the kubeconfig written to the run's own file (the user's kubeconfig and context untouched), the
//! run's unique image tag, and 127.0.0.1 instead of 0.0.0.0 / myapp.local for connections.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::lesson::steps::ClusterCreate;

pub use crate::k8s::version::DEFAULT_K3S_IMAGE;

/// The isolation state of one lesson's cluster run.
#[derive(Debug, Clone)]
pub struct Isolation {
    /// Run-unique prefix for cluster names (`yadoc-<job>`).
    pub prefix: String,
    /// Lesson cluster name → the run's cluster name.
    pub clusters: BTreeMap<String, String>,
    /// Lesson host port → free host port.
    pub ports: BTreeMap<u16, u16>,
    pub k3s_image: String,
    /// The run's kubeconfig.
    pub kubeconfig: PathBuf,
    /// Lesson image tag → the tag the run built.
    pub images: BTreeMap<String, String>,
    /// Where the lesson's files (and the extracted certificates) live for this run.
    pub workdir: PathBuf,
    /// Allocates a free port (tests seed `ports` instead).
    pub free_port: fn() -> u16,
    /// Ports handed out that map no lesson port (the API port yadoc adds).
    taken: Vec<u16>,
    /// Pull credentials and a mirror for the nodes (`registries.rs`), when the environment gives them.
    pub registries: Option<super::registries::Registries>,
}

/// A command as the lesson writes it and as the run executes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rewritten {
    pub argv: Vec<String>,
    /// Each change, as `from → to (why)`.
    pub rewrites: Vec<String>,
}

impl Isolation {
    pub fn new(job: &str, workdir: PathBuf) -> Self {
        // k3d cluster names must stay short (they prefix every node's container name). The job
        // repeats across processes that share a YADOC_RUN_ID (the nightly's two steps, each counting
        // from 1); the run's own temp dir does not, so a cluster a failed delete left behind never
        // makes the next process's `k3d cluster create` fatal ("a cluster with that name already
        // exists", k3d cmd/cluster/clusterCreate.go)
        let mut h = <sha2::Sha256 as sha2::Digest>::new_with_prefix(job.as_bytes());
        sha2::Digest::update(&mut h, workdir.as_os_str().as_encoded_bytes());
        let hash: String = sha2::Digest::finalize(h)
            .iter()
            .take(4)
            .map(|b| format!("{b:02x}"))
            .collect();
        Self {
            prefix: format!("yadoc-{hash}"),
            clusters: BTreeMap::new(),
            ports: BTreeMap::new(),
            k3s_image: std::env::var("YADOC_K3S_IMAGE")
                .unwrap_or_else(|_| DEFAULT_K3S_IMAGE.into()),
            kubeconfig: workdir.join("kubeconfig"),
            images: BTreeMap::new(),
            workdir,
            free_port: || crate::tiers::http::free_port().unwrap_or(0),
            taken: Vec::new(),
            registries: None,
        }
    }

    /// The nodes' registries.yaml, beside the kubeconfigs (outside the build context).
    pub fn registries_yaml(&self) -> PathBuf {
        self.workdir.join("registries.yaml")
    }

    /// Where the lesson's files are and its commands run (the build context: kubeconfigs live one
    /// level up, outside it).
    pub fn lesson_dir(&self) -> PathBuf {
        self.workdir.join("lesson")
    }

    pub fn cluster(&mut self, lesson_name: &str) -> String {
        let n = self.clusters.len();
        let prefix = self.prefix.clone();
        self.clusters
            .entry(lesson_name.to_string())
            .or_insert_with(|| format!("{prefix}-{n}"))
            .clone()
    }

    pub fn port(&mut self, lesson_port: u16) -> u16 {
        if let Some(p) = self.ports.get(&lesson_port) {
            return *p;
        }
        let p = self.fresh_port();
        self.ports.insert(lesson_port, p);
        p
    }

    /// A free port no other mapping of this run holds: bind-and-release can hand out the same port
    /// twice within one create (`-p 8081:80 --api-port …` would then collide).
    fn fresh_port(&mut self) -> u16 {
        let mut p = (self.free_port)();
        for _ in 0..64 {
            if p != 0 && !self.ports.values().any(|q| *q == p) && !self.taken.contains(&p) {
                break;
            }
            p = (self.free_port)();
        }
        self.taken.push(p);
        p
    }

    /// The `KUBECONFIG` every k3d and kubectl command of the run sees: the run's own file, never
    /// the user's `~/.kube/config`.
    pub fn kubeconfig_env(&self) -> PathBuf {
        self.workdir.join("kubeconfig")
    }

    pub fn kubeconfig_arg(&self) -> String {
        format!("--kubeconfig={}", self.kubeconfig.display())
    }

    /// `k3d cluster create NAME …` with the isolation rewrites.
    pub fn cluster_create(&mut self, c: &ClusterCreate) -> Rewritten {
        let name = self.cluster(&c.name);
        let mut rewrites = vec![format!("cluster name {} → {name} (unique per run)", c.name)];
        let mut argv = vec!["cluster".to_string(), "create".into(), name.clone()];
        let mut api_port_seen = false;
        let mut words = c.argv.iter().skip(3).peekable();
        while let Some(w) = words.next() {
            let (flag, inline) = match w.split_once('=') {
                Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
                _ => (w.clone(), None),
            };
            let takes_value = matches!(
                flag.as_str(),
                "-p" | "--port"
                    | "--api-port"
                    | "--agents"
                    | "-a"
                    | "--k3s-arg"
                    | "--servers"
                    | "-s"
                    | "--image"
                    | "-i"
            );
            let value = if takes_value {
                inline.or_else(|| words.next().cloned())
            } else {
                None
            };
            match (flag.as_str(), value) {
                ("-p" | "--port", Some(v)) => {
                    let (ports, filter) = v.split_once('@').unwrap_or((v.as_str(), ""));
                    let host: u16 = ports
                        .split(':')
                        .rev()
                        .nth(1)
                        .and_then(|p| p.parse().ok())
                        .unwrap_or(0);
                    let container = ports.rsplit(':').next().unwrap_or("");
                    let free = self.port(host);
                    rewrites.push(format!(
                        "-p {v} → 127.0.0.1:{free}:{container}@{filter} (free port on loopback)"
                    ));
                    argv.extend([
                        "-p".into(),
                        format!("127.0.0.1:{free}:{container}@{filter}"),
                    ]);
                }
                ("--api-port", Some(v)) => {
                    api_port_seen = true;
                    let host: u16 = v
                        .rsplit(':')
                        .next()
                        .and_then(|p| p.parse().ok())
                        .unwrap_or(0);
                    let free = self.port(host);
                    rewrites.push(format!(
                        "--api-port {v} → 127.0.0.1:{free} (free port on loopback)"
                    ));
                    rewrites.push("--k3s-arg --tls-san=0.0.0.0@server:* (the lesson's https://0.0.0.0:PORT URL still verifies)".into());
                    argv.extend([
                        "--api-port".into(),
                        format!("127.0.0.1:{free}"),
                        "--k3s-arg".into(),
                        "--tls-san=0.0.0.0@server:*".into(),
                    ]);
                }
                ("--image" | "-i", Some(v)) => rewrites.push(format!(
                    "--image {v} dropped: the run pins {}",
                    self.k3s_image
                )),
                (f, Some(v)) => argv.extend([f.to_string(), v]),
                (f, None) => argv.push(f.to_string()),
            }
        }
        if !api_port_seen {
            // without --api-port k3d publishes the API server on 0.0.0.0 (its default API host,
            // k3d pkg/types/defaults.go DefaultAPIHost), i.e. on the LAN of whoever runs the test
            let free = self.fresh_port();
            rewrites.push(format!(
                "added: --api-port 127.0.0.1:{free} (the lesson sets none; k3d would publish the API on 0.0.0.0)"
            ));
            argv.extend([
                "--api-port".into(),
                format!("127.0.0.1:{free}"),
                "--k3s-arg".into(),
                "--tls-san=127.0.0.1@server:*".into(),
            ]);
        }
        if let Some(r) = &self.registries {
            rewrites.push(format!(
                "added: --registry-config {} ({}: the nodes pull their system images through it)",
                self.registries_yaml().display(),
                r.describe()
            ));
            argv.extend([
                "--registry-config".into(),
                self.registries_yaml().display().to_string(),
            ]);
        }
        rewrites.push(format!("--image {} (pinned k3s)", self.k3s_image));
        rewrites.push(format!(
            "--runtime-label org.yadoc.run={}@all --runtime-label org.yadoc.host={}@all (yadoc gc finds a dead run's leftovers by them)",
            crate::cleanup::run_id(),
            crate::tiers::docker::hostname()
        ));
        rewrites.push("--kubeconfig-update-default=false --kubeconfig-switch-context=false (the user's kubeconfig untouched)".into());
        argv.extend([
            "--image".into(),
            self.k3s_image.clone(),
            "--runtime-label".into(),
            format!("org.yadoc.run={}@all", crate::cleanup::run_id()),
            "--runtime-label".into(),
            format!("org.yadoc.host={}@all", crate::tiers::docker::hostname()),
            "--kubeconfig-update-default=false".into(),
            "--kubeconfig-switch-context=false".into(),
            "--wait".into(),
        ]);
        Rewritten { argv, rewrites }
    }

    /// `kubectl …` with the run's kubeconfig.
    pub fn kubectl(&self, words: &[String]) -> Rewritten {
        let mut argv = vec![self.kubeconfig_arg()];
        argv.extend(words.iter().skip(1).cloned());
        Rewritten {
            argv,
            rewrites: vec![format!(
                "--kubeconfig {} (the run's own kubeconfig)",
                self.kubeconfig.display()
            )],
        }
    }

    /// `https://0.0.0.0:6550/…` → the same URL, connected to 127.0.0.1:<free port>.
    pub fn api_url(&mut self, url: &str) -> (String, u16, Option<String>) {
        let Some((_, host, port)) = crate::checks::access::split_url(url) else {
            return (url.to_string(), 0, None);
        };
        let free = self.port(port);
        (
            host.clone(),
            free,
            Some(format!(
                "{host}:{port} → connect to 127.0.0.1:{free} (same URL and TLS name)"
            )),
        )
    }
}

/// `myapp:latest` → `docker.io/library/myapp:latest`, as containerd names it.
pub fn containerd_ref(image: &str) -> String {
    let first = image.split('/').next().unwrap_or("");
    if first.contains('.') || first.contains(':') && image.contains('/') {
        image.to_string()
    } else if image.contains('/') {
        format!("docker.io/{image}")
    } else {
        format!("docker.io/library/{image}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lesson::steps::{parse_block, StepKind};

    fn create(line: &str) -> ClusterCreate {
        match parse_block(line, 1, 0).0.remove(0).kind {
            StepKind::ClusterCreate(c) => c,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn two_processes_sharing_a_run_id_never_share_a_cluster_name() {
        // the nightly's two steps run with one YADOC_RUN_ID and each process counts from 1
        let a = Isolation::new("nightly-7-0-1", PathBuf::from("/tmp/yadoc-cluster-a"));
        let b = Isolation::new("nightly-7-0-1", PathBuf::from("/tmp/yadoc-cluster-b"));
        assert_ne!(a.prefix, b.prefix);
        assert!(a.prefix.len() <= "yadoc-12345678".len(), "{}", a.prefix);
    }

    #[test]
    fn free_ports_are_never_handed_out_twice_within_a_run() {
        use std::sync::atomic::{AtomicU16, Ordering};
        static NEXT: AtomicU16 = AtomicU16::new(0);
        // bind-and-release hands out 40000 twice before 40001
        let mut iso = Isolation::new("t2", PathBuf::from("/tmp/x"));
        iso.free_port = || {
            [40000, 40000, 40001, 40001, 40002][NEXT.fetch_add(1, Ordering::SeqCst).min(4) as usize]
        };
        let r = iso.cluster_create(&create(
            r#"k3d cluster create yadoc -p "8081:80@loadbalancer""#,
        ));
        let cmd = r.argv.join(" ");
        assert!(cmd.contains("127.0.0.1:40000:80@loadbalancer"), "{cmd}");
        assert!(cmd.contains("--api-port 127.0.0.1:40001"), "{cmd}");
        assert_eq!(iso.port(8082), 40002);
    }

    #[test]
    fn names_images_as_containerd_does() {
        assert_eq!(
            containerd_ref("myapp:latest"),
            "docker.io/library/myapp:latest"
        );
        assert_eq!(
            containerd_ref("yadoc/lesson1:ab-1"),
            "docker.io/yadoc/lesson1:ab-1"
        );
        assert_eq!(containerd_ref("ghcr.io/x/y:1"), "ghcr.io/x/y:1");
    }

    #[test]
    fn rewrites_name_ports_image_and_kubeconfig_and_keeps_the_rest() {
        let mut iso = Isolation::new("t1", PathBuf::from("/tmp/x"));
        iso.prefix = "yadoc-t1".into();
        iso.free_port = || 40000;
        let r = iso.cluster_create(&create(r#"k3d cluster create yadoc-with-etcd --api-port 6551 -p "8082:80@loadbalancer" --agents 3 --k3s-arg "--cluster-init@server:0""#));
        assert_eq!(
            r.argv,
            [
                "cluster",
                "create",
                "yadoc-t1-0",
                "--api-port",
                "127.0.0.1:40000",
                "--k3s-arg",
                "--tls-san=0.0.0.0@server:*",
                "-p",
                "127.0.0.1:40000:80@loadbalancer",
                "--agents",
                "3",
                "--k3s-arg",
                "--cluster-init@server:0",
                "--image",
                DEFAULT_K3S_IMAGE,
                "--runtime-label",
                &format!("org.yadoc.run={}@all", crate::cleanup::run_id()),
                "--runtime-label",
                &format!("org.yadoc.host={}@all", crate::tiers::docker::hostname()),
                "--kubeconfig-update-default=false",
                "--kubeconfig-switch-context=false",
                "--wait"
            ]
        );
        assert!(r
            .rewrites
            .iter()
            .any(|w| w.starts_with("cluster name yadoc-with-etcd → yadoc-t1-0")));
        assert_eq!(
            iso.cluster("yadoc-with-etcd"),
            "yadoc-t1-0",
            "the same lesson name maps to the same cluster"
        );
    }
}
