//! `yadoc gc`: remove what dead runs left behind (a SIGKILL, a crashed machine): k3d clusters whose
//! nodes carry `org.yadoc.run`, containers labelled `org.yadoc.run`, images yadoc tagged
//! (`org.yadoc.image`, `yadoc/<lesson>:<run>-<n>`), temp dirs `yadoc-<what>-<run>-XXXXXX` and run
//! markers (`/tmp/yadoc-run-<run>.lock`, whatever TMPDIR: `cleanup::meeting_dir`). A run whose
//! process is alive (its marker is locked: `cleanup::run_alive`) or that lives on another machine
//! (`org.yadoc.host`) is left alone and said so. Images are removed with `--no-prune`: their parent
//! layers are docker's build cache. Every object removed is reported. With `--cache`, also the
//! venv cache's venvs that no run is using (`cache`): they are built again when next needed.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::Duration;

use crate::cleanup::run_alive;
use crate::docker_objects::{
    docker_lines, hostname, run_of_tag, tagged_images, HOST_LABEL, RUN_LABEL,
};
use crate::process::Cmd;

/// What gc did and did not do.
#[derive(Debug, Default)]
pub struct Report {
    pub removed: Vec<String>,
    /// Runs left alone, with why.
    pub left: Vec<String>,
    /// What could not be removed, with why.
    pub failed: Vec<String>,
}

/// Whether gc may remove what `run` (of `host`) made; else why not.
fn judge(run: &str, host: &str, me: &str) -> Result<(), String> {
    if !host.is_empty() && host != me {
        return Err(format!(
            "run {run}: made on {host}, not this machine ({me})"
        ));
    }
    if run_alive(run) {
        return Err(format!(
            "run {run}: still running (its process holds {})",
            crate::cleanup::run_marker(run).display()
        ));
    }
    Ok(())
}

/// `yadoc-<what>-<run>-XXXXXX` → run; `yadoc-run-<run>.lock` → run.
fn run_of_temp(name: &str) -> Option<String> {
    if let Some(run) = name
        .strip_prefix("yadoc-run-")
        .and_then(|r| r.strip_suffix(".lock"))
    {
        return Some(run.to_string());
    }
    let rest = name.strip_prefix("yadoc-")?;
    let (_what, rest) = rest.split_once('-')?;
    let (run, random) = rest.rsplit_once('-')?;
    (random.len() == 6 && !run.is_empty()).then(|| run.to_string())
}

/// `yadoc gc --cache`: the venvs of the cache no run is using (`venv::evict_unused`), each said.
pub fn cache() -> Report {
    let root = crate::tiers::venv::cache_dir().join("venvs");
    let e = crate::tiers::venv::evict_unused(&root);
    Report {
        removed: e.removed,
        left: e.in_use,
        failed: e.failed,
    }
}

pub fn run() -> Report {
    let me = hostname();
    let mut report = Report::default();
    let mut left: BTreeSet<String> = BTreeSet::new();

    // k3d clusters: their node containers carry the run and host labels
    let fmt = format!(
        "{{{{.Label \"k3d.cluster\"}}}}\t{{{{.Label \"{RUN_LABEL}\"}}}}\t{{{{.Label \"{HOST_LABEL}\"}}}}\t{{{{.Names}}}}"
    );
    let mut clusters: BTreeMap<String, (String, String, Vec<String>)> = BTreeMap::new();
    for l in docker_lines(&[
        "ps",
        "-a",
        "--filter",
        &format!("label={RUN_LABEL}"),
        "--filter",
        "label=k3d.cluster",
        "--format",
        &fmt,
    ]) {
        let f: Vec<&str> = l.split('\t').collect();
        if let [cluster, run, host, name] = f.as_slice() {
            let e = clusters
                .entry(cluster.to_string())
                .or_insert_with(|| (run.to_string(), host.to_string(), Vec::new()));
            e.2.push(name.to_string());
        }
    }
    for (cluster, (run, host, nodes)) in &clusters {
        if let Err(why) = judge(run, host, &me) {
            left.insert(why);
            continue;
        }
        match Cmd::new(std::env::var("YADOC_K3D").unwrap_or_else(|_| "k3d".into()))
            .args(["cluster", "delete", cluster])
            .deadline(Duration::from_secs(300))
            .run()
        {
            Ok(_) => report.removed.push(format!(
                "k3d cluster {cluster} of run {run} (its containers {})",
                nodes.join(", ")
            )),
            Err(e) => report.failed.push(format!(
                "k3d cluster {cluster}: {}",
                crate::process::tail(&e.output(), 1)
            )),
        }
    }

    // containers (k3d's own are gone with their cluster)
    let fmt = format!(
        "{{{{.ID}}}}\t{{{{.Names}}}}\t{{{{.Label \"{RUN_LABEL}\"}}}}\t{{{{.Label \"{HOST_LABEL}\"}}}}\t{{{{.Label \"k3d.cluster\"}}}}"
    );
    for l in docker_lines(&[
        "ps",
        "-a",
        "--filter",
        &format!("label={RUN_LABEL}"),
        "--format",
        &fmt,
    ]) {
        let f: Vec<&str> = l.split('\t').collect();
        let [id, name, run, host, k3d] = f.as_slice() else {
            continue;
        };
        if !k3d.is_empty() {
            continue;
        }
        if let Err(why) = judge(run, host, &me) {
            left.insert(why);
            continue;
        }
        match Cmd::new("docker")
            .args(["rm", "-f", "-v", id])
            .quiet()
            .deadline(Duration::from_secs(60))
            .run()
        {
            Ok(_) => report
                .removed
                .push(format!("container {name} ({id}) of run {run}")),
            Err(e) => report.failed.push(format!(
                "container {name}: {}",
                crate::process::tail(&e.output(), 1)
            )),
        }
    }

    // images, by their run-unique tag; --no-prune keeps the build cache
    for tag in tagged_images() {
        let Some(run) = run_of_tag(&tag) else {
            continue;
        };
        if let Err(why) = judge(&run, "", &me) {
            left.insert(why);
            continue;
        }
        match Cmd::new("docker")
            .args(["rmi", "-f", "--no-prune", &tag])
            .quiet()
            .deadline(Duration::from_secs(60))
            .run()
        {
            Ok(_) => report
                .removed
                .push(format!("image {tag} of run {run} (its cached layers kept)")),
            Err(e) => report.failed.push(format!(
                "image {tag}: {}",
                crate::process::tail(&e.output(), 1)
            )),
        }
    }

    // superseded builds no tag names: docker rmi without -f leaves one a container still uses
    for id in crate::docker_objects::dangling_images() {
        match Cmd::new("docker")
            .args(["rmi", &id])
            .quiet()
            .deadline(Duration::from_secs(60))
            .run()
        {
            Ok(_) => report.removed.push(format!(
                "dangling image {} (a build of yadoc's that a later one superseded)",
                id.trim_start_matches("sha256:")
                    .chars()
                    .take(12)
                    .collect::<String>()
            )),
            Err(e) => report.failed.push(format!(
                "dangling image {id}: {}",
                crate::process::tail(&e.output(), 1)
            )),
        }
    }

    // temp dirs and markers of dead runs: this process's TMPDIR, and /tmp where the markers live
    let mut dirs = vec![std::env::temp_dir(), crate::cleanup::meeting_dir()];
    dirs.dedup();
    let mut entries: Vec<PathBuf> = dirs
        .iter()
        .flat_map(|dir| {
            std::fs::read_dir(dir)
                .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
                .unwrap_or_else(|_| Vec::new())
        })
        .collect();
    entries.sort();
    entries.dedup();
    for p in entries {
        let name = p
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        let Some(run) = run_of_temp(&name) else {
            continue;
        };
        if name.ends_with(".lock") {
            // the marker's own lock says whether its run lives, wherever the marker is
            match crate::cleanup::remove_dead_marker(&p) {
                Ok(true) => report
                    .removed
                    .push(format!("run marker {} of run {run}", p.display())),
                Ok(false) => {
                    left.insert(format!(
                        "run {run}: still running (its process holds {})",
                        p.display()
                    ));
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => report.failed.push(format!("{}: {e}", p.display())),
            }
            continue;
        }
        if let Err(why) = judge(&run, "", &me) {
            left.insert(why);
            continue;
        }
        let removed = if p.is_dir() {
            std::fs::remove_dir_all(&p)
        } else {
            std::fs::remove_file(&p)
        };
        match removed {
            Ok(()) => report
                .removed
                .push(format!("temp dir {} of run {run}", p.display())),
            Err(e) => report.failed.push(format!("{}: {e}", p.display())),
        }
    }
    report.left = left.into_iter().collect();
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_run_from_temp_names_and_markers() {
        assert_eq!(
            run_of_temp("yadoc-app-1234-ab12cd-Xy9z0Q").as_deref(),
            Some("1234-ab12cd")
        );
        assert_eq!(
            run_of_temp("yadoc-image-t-gc-dead-77-abcdef").as_deref(),
            Some("t-gc-dead-77")
        );
        assert_eq!(
            run_of_temp("yadoc-run-1234-ab12cd.lock").as_deref(),
            Some("1234-ab12cd")
        );
        assert_eq!(run_of_temp("yadoc-plan"), None);
        assert_eq!(run_of_temp("other-app-1-abcdef"), None);
    }

    #[test]
    fn the_run_of_this_process_is_alive_and_an_unknown_one_is_not() {
        let me = crate::cleanup::run_id();
        assert!(run_alive(me));
        assert!(!run_alive("no-such-run-0"));
        assert!(judge(me, "", &hostname())
            .unwrap_err()
            .contains("still running"));
        assert!(judge("r-1", "elsewhere", "here")
            .unwrap_err()
            .contains("made on elsewhere"));
    }
}
