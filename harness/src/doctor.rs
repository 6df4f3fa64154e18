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

/// What to do when the engine does not answer: the setting that points elsewhere, the missing
/// client, or the stopped local engine (the image tier's row and the cluster tier's say the same).
fn engine_fix(docker: &Result<crate::tiers::prereq::Docker, String>) -> String {
    match docker {
        Ok(_) => String::new(),
        Err(e) if e.starts_with("DOCKER_HOST=") => e.clone(),
        Err(e) if e.starts_with("docker not found") => {
            format!("{e}: apt-get install docker.io && systemctl start docker")
        }
        Err(e) => format!("{e}: start the engine (systemctl start docker)"),
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
        fix: engine_fix(&docker),
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
            fix: match &docker {
                // with no engine to ask, nothing is known of its images
                Err(e) => format!("cannot tell without an engine that answers ({e})"),
                Ok(_) => crate::tiers::image::cannot_pull_hint(&base),
            },
        });
    }
    let k3d = std::env::var("YADOC_K3D").unwrap_or_else(|_| "k3d".into());
    v.push(Item {
        tier: Tier::Cluster,
        what: "k3d".into(),
        found: first_line(&k3d, &["version"]),
        expected: "k3d v5 (the lessons link v5.4.7; the nightly pins v5.9.0)".into(),
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
        fix: engine_fix(&docker),
    });
    // k3d image import with docker's containerd image store fails per node and exits 0 (k3d
    // issue #1538; pkg/client/tools.go only logs a node's failed import)
    // with no engine that answers, nothing is known of its store: no daemon.json advice then
    let store = docker
        .is_ok()
        .then(|| first_line("docker", &["info", "--format", "{{json .DriverStatus}}"]))
        .flatten();
    let containerd_store = store.as_deref().is_some_and(uses_containerd_store);
    let imports: Vec<String> = lessons
        .iter()
        .flat_map(|l| {
            l.steps
                .iter()
                .filter(|s| matches!(s.kind, crate::lesson::steps::StepKind::ImageImport { .. }))
                .map(move |s| format!("{}:{}", l.file_name(), s.line))
                .take(1)
        })
        .collect();
    v.push(Item {
        tier: Tier::Cluster,
        what: "docker image store".into(),
        found: store.as_ref().filter(|_| !containerd_store).map(|_| "docker's classic image store".into()),
        expected: if containerd_store {
            format!("the classic image store{}: this engine uses the containerd image store, with which `k3d image import` fails in the nodes and still exits 0 (k3d issue #1538; `--mode direct` runs the same `ctr image import --all-platforms`, pkg/client/tools.go); yadoc checks every node after the import and fails at the lesson's import line", imports_needing(&imports))
        } else {
            format!("the classic image store{} (with the containerd store `k3d image import` fails in the nodes and exits 0)", imports_needing(&imports))
        },
        required: !imports.is_empty(),
        fix: match &docker {
            Err(e) => format!("cannot tell without an engine that answers ({e})"),
            Ok(_) => "set \"features\": {\"containerd-snapshotter\": false} in /etc/docker/daemon.json and restart docker (bash ci/nightly/docker-store.sh does it)".into(),
        },
    });
    v.push(inotify_item(lessons));
    v.push(disk_item());
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

fn imports_needing(imports: &[String]) -> String {
    if imports.is_empty() {
        String::new()
    } else {
        format!(" ({} imports an image)", imports.join(", "))
    }
}

/// k3s nodes a lesson runs at once: each `k3d cluster create` makes one server (or `--servers N`)
/// and its `--agents`; a lesson's clusters all live until it ends.
pub fn nodes_of(lesson: &Lesson) -> u32 {
    lesson
        .steps
        .iter()
        .filter_map(|s| match &s.kind {
            crate::lesson::steps::StepKind::ClusterCreate(c) => {
                let servers = crate::tiers::cluster::exec::servers_of(c);
                Some(servers + c.agents.unwrap_or(0))
            }
            _ => None,
        })
        .sum()
}

/// Every k3s node runs a kubelet and containerd, each holding inotify instances of the host's
/// user; past `fs.inotify.max_user_instances` pods fail with "too many open files" (kind
/// site/content/docs/user/known-issues.md, "Pod errors due to too many open files", recommends
/// 512). Debian and Ubuntu default to 128; GitHub's runners set 1280.
pub const INOTIFY_WANTED: u64 = 512;

pub fn inotify_item(lessons: &[Lesson]) -> Item {
    let nodes = lessons.iter().map(nodes_of).max().unwrap_or(0);
    let current = std::fs::read_to_string("/proc/sys/fs/inotify/max_user_instances")
        .ok()
        .and_then(|t| t.trim().parse::<u64>().ok());
    inotify_verdict(current, nodes)
}

pub fn inotify_verdict(current: Option<u64>, nodes: u32) -> Item {
    let enough = current.is_some_and(|c| c >= INOTIFY_WANTED);
    Item {
        tier: Tier::Cluster,
        what: "inotify instances (k3s nodes)".into(),
        found: current
            .filter(|_| enough)
            .map(|c| format!("fs.inotify.max_user_instances = {c}")),
        expected: format!(
            "fs.inotify.max_user_instances >= {INOTIFY_WANTED} for {nodes} k3s node(s) at once{}",
            match current {
                Some(c) if !enough => format!(" (this machine: {c})"),
                None => " (cannot read /proc/sys/fs/inotify/max_user_instances)".into(),
                _ => String::new(),
            }
        ),
        required: false,
        fix: format!("sudo sysctl fs.inotify.max_user_instances={INOTIFY_WANTED}"),
    }
}

/// Free disk the cluster tier wants: lesson 2's ~1 GB image lives in the host's store and in every
/// node; the kubelet's image GC starts at 85 % disk use (kubernetes
/// pkg/kubelet/apis/config/v1beta1/defaults.go, ImageGCHighThresholdPercent) and then
/// removes the app image from idle nodes.
pub const DISK_WANTED_GIB: u64 = 10;

pub fn disk_item() -> Item {
    disk_verdict(free_gib(std::path::Path::new("/")))
}

pub fn disk_verdict(free: Option<f64>) -> Item {
    let enough = free.is_some_and(|f| f >= DISK_WANTED_GIB as f64);
    Item {
        tier: Tier::Cluster,
        what: "free disk on /".into(),
        found: free.filter(|_| enough).map(|f| format!("{f:.1} GiB free")),
        expected: format!(
            "at least {DISK_WANTED_GIB} GiB free (images in the host's store and every node){}",
            match free {
                Some(f) if !enough => format!(" (this machine: {f:.1} GiB)"),
                None => " (statvfs of / failed)".into(),
                _ => String::new(),
            }
        ),
        required: false,
        fix:
            "free disk space (docker image prune; on a hosted runner bash ci/nightly/free-disk.sh)"
                .into(),
    }
}

/// Free GiB for an unprivileged user on the filesystem of `path` (statvfs f_bavail).
pub fn free_gib(path: &std::path::Path) -> Option<f64> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: c is a valid NUL-terminated path and st a writable statvfs
    if unsafe { libc::statvfs(c.as_ptr(), &mut st) } != 0 {
        return None;
    }
    Some(st.f_bavail as f64 * st.f_frsize as f64 / (1u64 << 30) as f64)
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
    fn too_few_inotify_instances_for_the_lessons_nodes_are_named_with_the_fix() {
        let low = inotify_verdict(Some(128), 8);
        assert!(!low.ok());
        assert!(
            low.expected.contains(">= 512 for 8 k3s node(s)"),
            "{}",
            low.expected
        );
        assert!(low.expected.contains("this machine: 128"));
        assert_eq!(low.fix, "sudo sysctl fs.inotify.max_user_instances=512");
        assert!(inotify_verdict(Some(1280), 8).ok());
    }

    #[test]
    fn lesson3_runs_eight_nodes_and_lesson2_four() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../lessons");
        let nodes = |n: &str| nodes_of(&Lesson::load(&root.join(n)).unwrap());
        assert_eq!(nodes("lesson3.md"), 8);
        assert_eq!(nodes("lesson2.md"), 4);
    }

    #[test]
    fn little_free_disk_is_named_with_the_figure() {
        let low = disk_verdict(Some(4.2));
        assert!(!low.ok());
        assert!(
            low.expected.contains("this machine: 4.2 GiB"),
            "{}",
            low.expected
        );
        assert!(disk_verdict(Some(18.0)).ok());
        assert!(free_gib(std::path::Path::new("/")).is_some_and(|f| f > 0.0));
    }

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
