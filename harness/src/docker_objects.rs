//! What every layer knows of docker objects yadoc makes — the labels, the run-unique image tags,
//! this machine's name, the images yadoc built — below cleanup, gc and the tiers, so that the
//! layers import one way (the tiers' docker CLI, `tiers/docker.rs`, builds on this; cleanup and gc
//! use it without reaching into a tier).

use std::time::Duration;

use crate::process::Cmd;

const SHORT: Duration = Duration::from_secs(60);

pub const RUN_LABEL: &str = "org.yadoc.run";
pub const LESSON_LABEL: &str = "org.yadoc.lesson";
/// One build-and-run of one lesson (several per run: lessons, or tests in one process).
pub const JOB_LABEL: &str = "org.yadoc.job";
/// The machine a container's run lives on (`yadoc gc` judges only its own machine's runs).
pub const HOST_LABEL: &str = "org.yadoc.host";
/// The one label of every image yadoc builds (`org.yadoc.image=1`).
pub const IMAGE_LABEL: &str = "org.yadoc.image";

/// This machine's name, as `yadoc gc` compares it.
pub fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_default()
}

/// The run id of a tag yadoc gave an image (`yadoc/lesson1:1234-ab12cd-3` → `1234-ab12cd`).
pub fn run_of_tag(tag: &str) -> Option<String> {
    let (repo, t) = tag.rsplit_once(':')?;
    if !repo.starts_with("yadoc/") {
        return None;
    }
    let (run, n) = t.rsplit_once('-')?;
    n.chars()
        .all(|c| c.is_ascii_digit())
        .then(|| run.to_string())
}

/// The non-empty lines `docker ARGS` printed (none when docker fails), trimmed of spaces only:
/// tabs separate fields, and an empty last field must stay one.
pub fn docker_lines(args: &[&str]) -> Vec<String> {
    Cmd::new("docker")
        .args(args)
        .quiet()
        .deadline(SHORT)
        .run()
        .map(|o| {
            o.stdout
                .lines()
                .map(|l| l.trim_matches(' ').to_string())
                .filter(|l| !l.trim().is_empty())
                .collect()
        })
        .unwrap_or_default()
}

/// `repo:tag` of every image carrying `org.yadoc.image`.
pub fn tagged_images() -> Vec<String> {
    docker_lines(&[
        "images",
        "--filter",
        &format!("label={IMAGE_LABEL}"),
        "--format",
        "{{.Repository}}:{{.Tag}}",
    ])
    .into_iter()
    .filter(|l| !l.contains("<none>"))
    .collect()
}

/// Images of yadoc's (`org.yadoc.image`) that no tag names any more: builds superseded by a later
/// one (a tag moved) that a killed run could not remove. Not those of the last ten minutes: a
/// build under way commits its image a moment before it tags it.
pub fn dangling_images() -> Vec<String> {
    dangling_images_older_than(600)
}

/// `dangling_images`, of those at least `seconds` old.
pub fn dangling_images_older_than(seconds: i64) -> Vec<String> {
    let recent = |id: &String| {
        Cmd::new("docker")
            .args(["image", "inspect", "--format", "{{.Created}}", id])
            .quiet()
            .deadline(SHORT)
            .run()
            .ok()
            .and_then(|o| o.stdout.trim().parse::<k8s_openapi::jiff::Timestamp>().ok())
            .is_none_or(|t| {
                k8s_openapi::jiff::Timestamp::now().as_second() - t.as_second() < seconds
            })
    };
    let ids = docker_lines(&[
        "images",
        "-q",
        "--no-trunc",
        "--filter",
        "dangling=true",
        "--filter",
        &format!("label={IMAGE_LABEL}"),
    ]);
    ids.into_iter().filter(|id| !recent(id)).collect()
}
