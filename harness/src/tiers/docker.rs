//! The docker CLI, through the one process wrapper: build, run, inspect, logs. Containers carry the
//! labels `org.yadoc.run=<run id>`, `org.yadoc.lesson`, `org.yadoc.job` and `org.yadoc.host`. Images
//! carry one fixed label, `org.yadoc.image=1`, and are told apart by their run-unique tag
//! `yadoc/<lesson>:<run id>-<n>`: a run-unique label would make the legacy builder commit a new final
//! layer on every build, a warm rebuild then costing seconds instead of a cache hit.

use std::path::Path;
use std::time::Duration;

use crate::cleanup::run_id;
use crate::process::{Cmd, ProcessError};

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

/// `repo:tag` of every image carrying `org.yadoc.image`.
pub fn tagged_images() -> Vec<String> {
    docker()
        .args([
            "images",
            "--filter",
            &format!("label={IMAGE_LABEL}"),
            "--format",
            "{{.Repository}}:{{.Tag}}",
        ])
        .quiet()
        .deadline(SHORT)
        .run()
        .map(|o| {
            o.stdout
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.contains("<none>"))
                .map(String::from)
                .collect()
        })
        .unwrap_or_default()
}

const BUILD_DEADLINE: Duration = Duration::from_secs(900);
const SHORT: Duration = Duration::from_secs(60);

fn docker() -> Cmd {
    Cmd::new("docker")
}

fn labels(lesson: &str, job: &str) -> Vec<String> {
    [
        format!("{RUN_LABEL}={}", run_id()),
        format!("{LESSON_LABEL}={lesson}"),
        format!("{JOB_LABEL}={job}"),
        format!("{HOST_LABEL}={}", hostname()),
    ]
    .into_iter()
    .flat_map(|l| ["--label".to_string(), l])
    .collect()
}

pub fn image_present(image: &str) -> bool {
    docker()
        .args(["image", "inspect", "--format", "{{.Id}}", image])
        .quiet()
        .deadline(SHORT)
        .run()
        .is_ok()
}

/// The label a local stand-in for a base image carries (`ci/base-images.sh`): the images it stands in
/// for, comma-separated.
pub const STANDS_IN_FOR: &str = "org.yadoc.stands-in-for";

/// A local image labelled as standing in for `image`, if any.
pub fn stand_in_for(image: &str) -> Option<String> {
    let listed = docker()
        .args([
            "image",
            "ls",
            "--filter",
            &format!("label={STANDS_IN_FOR}"),
            "--format",
            "{{.Repository}}:{{.Tag}}",
        ])
        .quiet()
        .deadline(SHORT)
        .run()
        .ok()?;
    listed
        .stdout
        .lines()
        .map(str::trim)
        .find(|candidate| {
            docker()
                .args([
                    "image",
                    "inspect",
                    "--format",
                    &format!("{{{{index .Config.Labels \"{STANDS_IN_FOR}\"}}}}"),
                    candidate,
                ])
                .quiet()
                .deadline(SHORT)
                .run()
                .is_ok_and(|o| o.stdout.trim().split(',').any(|s| s.trim() == image))
        })
        .map(String::from)
}

/// `docker pull`, at most `deadline`: whether the registry gave the image.
pub fn pull(image: &str, deadline: std::time::Duration) -> Result<(), String> {
    docker()
        .args(["pull", "--quiet", image])
        .deadline(deadline)
        .run()
        .map(|_| ())
        .map_err(|e| crate::process::tail(&e.output(), 1))
}

/// `docker build` → (image id, build output). The image carries one fixed label: with the legacy
/// builder every `--label` is one more committed step, and a run-unique one would miss the cache.
pub fn build(
    context: &Path,
    dockerfile: &Path,
    tag: &str,
    iidfile: &Path,
) -> Result<(String, String), ProcessError> {
    let out = docker()
        .args(["build", "--force-rm", "--iidfile"])
        .arg(iidfile)
        .args(["--label", &format!("{IMAGE_LABEL}=1")])
        .args(["-t", tag, "-f"])
        .arg(dockerfile)
        .arg(context)
        .deadline(BUILD_DEADLINE)
        .run()?;
    let id = std::fs::read_to_string(iidfile)
        .unwrap_or_default()
        .trim()
        .to_string();
    Ok((id, out.stdout))
}

/// `docker run -d` with the container port published on 127.0.0.1 only → container id.
pub fn run_detached(
    image: &str,
    name: &str,
    container_port: u16,
    lesson: &str,
    job: &str,
) -> Result<String, ProcessError> {
    let out = docker()
        .args(["run", "-d", "--name", name])
        .args(labels(lesson, job))
        .args(["-p", &format!("127.0.0.1::{container_port}"), image])
        .deadline(SHORT)
        .run()?;
    Ok(out.stdout.trim().to_string())
}

/// The host port docker published for `container_port`.
pub fn host_port(container: &str, container_port: u16) -> Option<u16> {
    let out = docker()
        .args(["port", container, &format!("{container_port}/tcp")])
        .quiet()
        .deadline(SHORT)
        .run()
        .ok()?;
    out.stdout
        .lines()
        .find(|l| l.starts_with("127.0.0.1:"))?
        .rsplit(':')
        .next()?
        .trim()
        .parse()
        .ok()
}

/// `exit code N` when the container is no longer running.
pub fn exited(container: &str) -> Option<String> {
    let out = docker()
        .args([
            "inspect",
            "--format",
            "{{.State.Running}} {{.State.ExitCode}}",
            container,
        ])
        .quiet()
        .deadline(SHORT)
        .run()
        .ok()?;
    let mut w = out.stdout.split_whitespace();
    match (w.next(), w.next()) {
        (Some("false"), Some(code)) => Some(format!("exit code {code}")),
        _ => None,
    }
}

pub fn image_of(container: &str) -> Option<String> {
    docker()
        .args(["inspect", "--format", "{{.Image}}", container])
        .quiet()
        .deadline(SHORT)
        .run()
        .ok()
        .map(|o| o.stdout.trim().to_string())
}

pub fn logs(container: &str) -> String {
    match docker()
        .args(["logs", "--tail", "200", container])
        .quiet()
        .deadline(SHORT)
        .run()
    {
        Ok(o) => format!("{}{}", o.stdout, o.stderr),
        Err(e) => e.output(),
    }
}

/// Containers carrying a run's label and the images tagged for it (all runs' with `None`).
pub fn labelled(run: Option<&str>) -> (Vec<String>, Vec<String>) {
    let filter = match run {
        Some(r) => format!("label={RUN_LABEL}={r}"),
        None => format!("label={RUN_LABEL}"),
    };
    let images: Vec<String> = tagged_images()
        .into_iter()
        .filter(|t| run.is_none_or(|r| run_of_tag(t).as_deref() == Some(r)))
        .collect();
    let ids = |args: &[&str]| {
        docker()
            .args(args)
            .quiet()
            .deadline(SHORT)
            .run()
            .map(|o| o.stdout.split_whitespace().map(String::from).collect())
            .unwrap_or_default()
    };
    (ids(&["ps", "-aq", "--filter", &filter]), images)
}
