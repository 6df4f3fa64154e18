//! `yadoc gc`: remove what runs that were killed (SIGKILL, a crashed machine) left behind: k3d clusters
//! whose nodes carry `org.yadoc.run`, and containers and images labelled `org.yadoc.run`.

use std::collections::BTreeSet;
use std::time::Duration;

use crate::process::Cmd;

fn list(args: &[&str]) -> Vec<String> {
    Cmd::new("docker")
        .args(args)
        .quiet()
        .deadline(Duration::from_secs(60))
        .run()
        .map(|o| {
            o.stdout
                .lines()
                .map(|l| l.trim().to_string())
                .filter(|l| !l.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

/// Remove every leftover; returns what was removed.
pub fn run() -> Vec<String> {
    let mut removed = Vec::new();
    let clusters: BTreeSet<String> = list(&[
        "ps",
        "-a",
        "--filter",
        "label=org.yadoc.run",
        "--filter",
        "label=k3d.cluster",
        "--format",
        "{{.Label \"k3d.cluster\"}}",
    ])
    .into_iter()
    .collect();
    for c in clusters {
        if Cmd::new("k3d")
            .args(["cluster", "delete", &c])
            .deadline(Duration::from_secs(300))
            .run()
            .is_ok()
        {
            removed.push(format!("k3d cluster {c}"));
        }
    }
    for id in list(&["ps", "-aq", "--filter", "label=org.yadoc.run"]) {
        if Cmd::new("docker")
            .args(["rm", "-f", "-v", &id])
            .quiet()
            .run()
            .is_ok()
        {
            removed.push(format!("container {id}"));
        }
    }
    for id in list(&["images", "-q", "--filter", "label=org.yadoc.run"]) {
        if Cmd::new("docker")
            .args(["rmi", "-f", &id])
            .quiet()
            .run()
            .is_ok()
        {
            removed.push(format!("image {id}"));
        }
    }
    removed
}
