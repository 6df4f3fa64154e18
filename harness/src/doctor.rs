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
    // the Python of the lessons' images (FROM python:3.9), as the app tier looks for it
    let want: Option<String> = lessons.iter().find_map(|l| {
        crate::tiers::spec::AppSpec::of(l)
            .ok()
            .and_then(|s| s.base_python())
    });
    let python = crate::tiers::prereq::python_for(want.as_deref());
    let matches = |p: &crate::tiers::prereq::Python| {
        want.as_ref()
            .is_none_or(|w| p.version.starts_with(&format!("{w}.")))
    };
    v.push(Item {
        tier: Tier::App,
        what: "python3 with venv and ensurepip".into(),
        found: python.as_ref().ok().map(|p| {
            format!(
                "Python {} ({}){}",
                p.version,
                p.exe,
                if matches(p) { "" } else { ", not the images' version" }
            )
        }),
        expected: match &want {
            Some(w) => format!("Python {w}, the lessons' images' (python{w} on PATH, pyenv, or YADOC_PYTHON); another Python runs the app, but its failures then say nothing about the lesson"),
            None => "Python 3".into(),
        },
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
        let stand_in = if docker.is_ok() && !present && mapped.is_none() {
            crate::tiers::docker::stand_in_for(&base)
        } else {
            None
        };
        v.push(Item {
            tier: Tier::Image,
            what: format!("base image {base}"),
            found: if present {
                Some("present".into())
            } else if let Some(t) = mapped {
                Some(format!("absent; YADOC_BASE_IMAGES maps it to {t}, present"))
            } else {
                stand_in.map(|t| {
                    format!("absent; the local stand-in {t} is used where it cannot be pulled")
                })
            },
            expected: "present, pullable, or a local stand-in".into(),
            required: false,
            fix: crate::tiers::image::cannot_pull_hint(&base),
        });
    }
    let k3d = std::env::var("YADOC_K3D").unwrap_or_else(|_| "k3d".into());
    v.push(Item {
        tier: Tier::Cluster,
        what: "k3d".into(),
        found: first_line(&k3d, &["version"]),
        expected: "k3d v5 (the lessons link v5.4.7; the nightly pins v5.8.3)".into(),
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
    // k3d image import with docker's containerd image store fails per node and exits 0 (k3d
    // issue #1538; pkg/client/tools.go only logs a node's failed import)
    let store = first_line("docker", &["info", "--format", "{{json .DriverStatus}}"]);
    let containerd_store = store.as_deref().is_some_and(uses_containerd_store);
    v.push(Item {
        tier: Tier::Cluster,
        what: "docker image store".into(),
        found: store.as_ref().filter(|_| !containerd_store).map(|_| "docker's classic image store".into()),
        expected: if containerd_store {
            "the classic image store: this engine uses the containerd image store, with which `k3d image import` fails in the nodes and still exits 0 (k3d issue #1538); yadoc checks every node after the import and fails at the lesson's import line".into()
        } else {
            "the classic image store (with the containerd store `k3d image import` can fail and exit 0)".into()
        },
        required: false,
        fix: "set \"features\": {\"containerd-snapshotter\": false} in /etc/docker/daemon.json and restart docker".into(),
    });
    let curl_at: Vec<String> = lessons
        .iter()
        .flat_map(|l| {
            l.steps
                .iter()
                .filter(|s| matches!(s.kind, crate::lesson::steps::StepKind::Curl { .. }))
                .map(move |s| format!("{}:{}", l.file_name(), s.line))
                .take(1)
        })
        .collect();
    v.push(Item {
        tier: Tier::Cluster,
        what: "curl (the lessons' API calls)".into(),
        found: first_line("curl", &["--version"]),
        expected: if curl_at.is_empty() {
            "optional: no lesson calls curl".into()
        } else {
            format!(
                "curl: {} {} it, as the reader does",
                curl_at.join(", "),
                if curl_at.len() == 1 { "calls" } else { "call" }
            )
        },
        required: !curl_at.is_empty(),
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

/// Whether `docker info --format '{{json .DriverStatus}}'` shows the containerd image store (its
/// snapshotter is the storage driver: `[["driver-type","io.containerd.snapshotter.v1"]]`).
pub fn uses_containerd_store(driver_status: &str) -> bool {
    driver_status.contains("io.containerd.snapshotter")
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tells_the_containerd_image_store_from_the_classic_one() {
        assert!(uses_containerd_store(
            r#"[["driver-type","io.containerd.snapshotter.v1"]]"#
        ));
        assert!(!uses_containerd_store(
            r#"[["Backing Filesystem","extfs"],["Supports d_type","true"],["Native Overlay Diff","true"],["userxattr","false"]]"#
        ));
    }
}
