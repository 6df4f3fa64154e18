//! The CLIs the cluster tier drives (k3d, docker, kubectl, and curl / yq when present), found on PATH or
//! named by YADOC_K3D, YADOC_DOCKER, YADOC_KUBECTL, YADOC_CURL, YADOC_YQ. Contract tests point them at
//! fake executables and add the fakes' environment.

use std::time::Duration;

use crate::process::Cmd;

/// The programs, and environment added to every command they run.
#[derive(Debug, Clone)]
pub struct Tools {
    pub k3d: String,
    pub docker: String,
    pub kubectl: String,
    /// None: curl is absent (then a lesson that calls curl cannot run on a cluster here).
    pub curl: Option<String>,
    /// None: no mikefarah yq v4 (`yq e`), the built-in extractor reads the kubeconfig instead.
    pub yq: Option<String>,
    pub env: Vec<(String, String)>,
}

fn version(program: &str, args: &[&str]) -> Result<String, String> {
    match Cmd::new(program)
        .args(args)
        .quiet()
        .deadline(Duration::from_secs(20))
        .run()
    {
        Ok(o) => Ok(format!("{}{}", o.stdout, o.stderr)
            .lines()
            .next()
            .unwrap_or("")
            .trim()
            .to_string()),
        Err(e) if e.is_missing_program() => Err(format!("{program} not found")),
        Err(e) => Err(format!(
            "{program} does not run: {}",
            crate::process::tail(&e.output(), 1)
        )),
    }
}

impl Tools {
    /// Find the tools; Err names what is missing and how to get it. `curl_at`: the lesson line
    /// of the lesson's first curl, which makes curl a prerequisite.
    pub fn detect(curl_at: Option<(&str, usize)>) -> Result<Self, String> {
        Self::detect_with(|name| std::env::var(name).ok(), curl_at)
    }

    /// `detect`, with the environment given as a lookup (tests name fake programs with it).
    pub fn detect_with(
        env: impl Fn(&str) -> Option<String>,
        curl_at: Option<(&str, usize)>,
    ) -> Result<Self, String> {
        let var = |name: &str, default: &str| env(name).unwrap_or_else(|| default.to_string());
        let (k3d, docker, kubectl) = (
            var("YADOC_K3D", "k3d"),
            var("YADOC_DOCKER", "docker"),
            var("YADOC_KUBECTL", "kubectl"),
        );
        version(&k3d, &["version"]).map_err(|e| {
            format!("{e} (install k3d v5: https://k3d.io; the nightly workflow pins it)")
        })?;
        version(&kubectl, &["version", "--client"])
            .map_err(|e| format!("{e} (install kubectl)"))?;
        let curl_program = var("YADOC_CURL", "curl");
        let curl = match (version(&curl_program, &["--version"]), curl_at) {
            (Ok(_), _) => Some(curl_program),
            (Err(e), Some((lesson, line))) => {
                return Err(format!("{e}, and {lesson}:{line} calls it (install curl)"))
            }
            (Err(_), None) => None,
        };
        crate::tiers::prereq::docker()?;
        let yq = Some(var("YADOC_YQ", "yq")).filter(|y| {
            version(y, &["--version"])
                .is_ok_and(|v| v.contains("mikefarah") || v.contains("version v4"))
        });
        Ok(Self {
            k3d,
            docker,
            kubectl,
            curl,
            yq,
            env: Vec::new(),
        })
    }

    /// A command of one of the tools, with the tools' environment.
    pub fn cmd(&self, program: &str) -> Cmd {
        let mut c = Cmd::new(program);
        for (k, v) in &self.env {
            c = c.env(k, v);
        }
        c
    }
}
