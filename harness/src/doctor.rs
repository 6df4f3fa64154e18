//! `yadoc doctor`: every prerequisite of every tier, the version found, what the lessons expect, and
//! the one-line fix. The exit code says which tiers cannot run: 0 all can; else the sum of
//! 1 (app), 2 (image), 4 (cluster).

use std::fmt::Write;
use std::time::Duration;

use crate::checks::finding::Tier;
use crate::lesson::dockerfile::Dockerfile;
use crate::lesson::Lesson;
use crate::process::Cmd;

/// One prerequisite.
#[derive(Debug, Clone)]
pub struct Item {
    pub tier: Tier,
    pub what: String,
    pub found: Option<String>,
    pub expected: String,
    /// Without it the tier cannot run (optional items have a fallback).
    pub required: bool,
    pub fix: String,
}

impl Item {
    pub fn ok(&self) -> bool {
        self.found.is_some()
    }
}

fn first_line(program: &str, args: &[&str]) -> Option<String> {
    let o = Cmd::new(program)
        .args(args)
        .quiet()
        .deadline(Duration::from_secs(20))
        .run()
        .ok()?;
    format!("{}{}", o.stdout, o.stderr)
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .map(String::from)
}

pub fn items(lessons: &[Lesson]) -> Vec<Item> {
    let mut v = Vec::new();
    let python = crate::tiers::prereq::python();
    v.push(Item {
        tier: Tier::App,
        what: "python3 with venv and ensurepip".into(),
        found: python
            .as_ref()
            .ok()
            .map(|p| format!("Python {} ({})", p.version, p.exe)),
        expected: "Python 3 (the lessons' images use 3.9; the report names both)".into(),
        required: true,
        fix: "apt-get install python3 python3-venv python3-pip".into(),
    });
    let docker = crate::tiers::prereq::docker();
    v.push(Item {
        tier: Tier::Image,
        what: "docker engine".into(),
        found: docker
            .as_ref()
            .ok()
            .map(|d| format!("engine {} (API {})", d.server_version, d.api_version)),
        expected: "a running engine, API ≥ 1.41".into(),
        required: true,
        fix: docker
            .as_ref()
            .err()
            .map(|e| format!("{e}: apt-get install docker.io && systemctl start docker"))
            .unwrap_or_default(),
    });
    let subs = crate::tiers::image::substitutions();
    let mut bases: Vec<String> = lessons
        .iter()
        .filter_map(|l| {
            l.file("Dockerfile")
                .and_then(|d| Dockerfile::parse(d.text()).ok())
                .and_then(|d| d.base_image().map(String::from))
        })
        .collect();
    bases.sort();
    bases.dedup();
    for base in bases {
        let present = docker.is_ok() && crate::tiers::docker::image_present(&base);
        let mapped = subs
            .iter()
            .find(|(f, _)| *f == base)
            .map(|(_, t)| t.clone())
            .filter(|t| docker.is_ok() && crate::tiers::docker::image_present(t));
        v.push(Item {
            tier: Tier::Image,
            what: format!("base image {base}"),
            found: if present { Some("present".into()) } else { mapped.map(|t| format!("absent; substituted by {t} (YADOC_BASE_IMAGES)")) },
            expected: "present, pullable, or mapped to a local stand-in".into(),
            required: false,
            fix: "where no registry is reachable: bash ci/base-images.sh, then export YADOC_BASE_IMAGES (README)".into(),
        });
    }
    let k3d = std::env::var("YADOC_K3D").unwrap_or_else(|_| "k3d".into());
    v.push(Item {
        tier: Tier::Cluster,
        what: "k3d".into(),
        found: first_line(&k3d, &["version"]),
        expected: "k3d v5 (the lessons link v5.4.7; the nightly pins v5.7.5)".into(),
        required: true,
        fix: "install k3d v5 from its GitHub releases (the nightly workflow shows the commands)"
            .into(),
    });
    v.push(Item {
        tier: Tier::Cluster,
        what: "kubectl".into(),
        found: first_line("kubectl", &["version", "--client"]),
        expected: "a kubectl within one minor version of the k3s image".into(),
        required: true,
        fix: "install kubectl (https://kubernetes.io/docs/tasks/tools/)".into(),
    });
    v.push(Item {
        tier: Tier::Cluster,
        what: "docker engine (k3d's nodes)".into(),
        found: docker
            .as_ref()
            .ok()
            .map(|d| format!("engine {}", d.server_version)),
        expected: "a running engine".into(),
        required: true,
        fix: "start the docker engine".into(),
    });
    v.push(Item {
        tier: Tier::Cluster,
        what: "curl (lesson 3's API call)".into(),
        found: first_line("curl", &["--version"]),
        expected: "optional: without it the same request is made with reqwest".into(),
        required: false,
        fix: "apt-get install curl".into(),
    });
    let yq = first_line("yq", &["--version"]);
    let mikefarah = yq
        .as_ref()
        .is_some_and(|v| v.contains("mikefarah") || v.contains("version v4"));
    v.push(Item {
        tier: Tier::Cluster,
        what: "yq v4 (lesson 3's `yq e`)".into(),
        found: yq.clone().filter(|_| mikefarah),
        expected: format!("optional: mikefarah yq v4; {}", match &yq {
            Some(v) if !mikefarah => format!("found `{v}`, which is not it (Debian's yq is a jq wrapper without `yq e`); the built-in extractor is used"),
            _ => "without it the built-in extractor reads the kubeconfig".into(),
        }),
        required: false,
        fix: "install yq v4 from its GitHub releases (not Debian's yq package)".into(),
    });
    v
}

/// Bits of the tiers that cannot run.
pub fn exit_code(items: &[Item]) -> u8 {
    let blocked = |t: Tier| items.iter().any(|i| i.tier == t && i.required && !i.ok());
    (blocked(Tier::App) as u8)
        | (blocked(Tier::Image) as u8) << 1
        | (blocked(Tier::Cluster) as u8) << 2
}

pub fn render(items: &[Item]) -> String {
    let mut out = String::new();
    for tier in [Tier::Static, Tier::App, Tier::Image, Tier::Cluster] {
        let mine: Vec<&Item> = items.iter().filter(|i| i.tier == tier).collect();
        let can = !mine.iter().any(|i| i.required && !i.ok());
        let _ = writeln!(
            out,
            "{} tier: {}",
            tier.as_str(),
            if can { "can run" } else { "CANNOT RUN" }
        );
        if tier == Tier::Static {
            let _ = writeln!(out, "  ✓ nothing to install");
        }
        for i in mine {
            let mark = if i.ok() {
                "✓"
            } else if i.required {
                "✗"
            } else {
                "~"
            };
            let _ = writeln!(
                out,
                "  {mark} {:<34} {}",
                i.what,
                i.found.clone().unwrap_or_else(|| "not found".into())
            );
            let _ = writeln!(out, "      expects: {}", i.expected);
            if !i.ok() {
                let _ = writeln!(out, "      fix:     {}", i.fix);
            }
        }
    }
    out
}
