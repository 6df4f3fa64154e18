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
    /// None: curl is absent, reqwest makes the lesson's API call with the same certificates.
    pub curl: Option<String>,
    /// None: no mikefarah yq v4 (`yq e`), the built-in extractor reads the kubeconfig instead.
    pub yq: Option<String>,
    pub env: Vec<(String, String)>,
}

fn var(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_string())
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
    /// Find the tools; Err names what is missing and how to get it.
    pub fn detect() -> Result<Self, String> {
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
        crate::tiers::prereq::docker()?;
        let curl = Some(var("YADOC_CURL", "curl")).filter(|c| version(c, &["--version"]).is_ok());
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
