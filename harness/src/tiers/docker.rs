//! The docker CLI, through the one process wrapper: build, run, inspect, logs. Everything yadoc creates
//! carries the labels `org.yadoc.run=<run id>` and `org.yadoc.lesson=<lesson>`.

use std::path::Path;
use std::time::Duration;

use crate::cleanup::run_id;
use crate::process::{Cmd, ProcessError};

pub const RUN_LABEL: &str = "org.yadoc.run";
pub const LESSON_LABEL: &str = "org.yadoc.lesson";
/// One build-and-run of one lesson (several per run: lessons, or tests in one process).
pub const JOB_LABEL: &str = "org.yadoc.job";

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

/// `docker build` → (image id, build output). The image carries one label, the run's: with the
/// legacy builder every `--label` is one more committed step, which a warm build would pay for.
pub fn build(
    context: &Path,
    dockerfile: &Path,
    tag: &str,
    iidfile: &Path,
) -> Result<(String, String), ProcessError> {
    let out = docker()
        .args(["build", "--force-rm", "--iidfile"])
        .arg(iidfile)
        .args(["--label", &format!("{RUN_LABEL}={}", run_id())])
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

/// Containers and images carrying this run's label (for cleanup checks and `yadoc gc`).
pub fn labelled(run: Option<&str>) -> (Vec<String>, Vec<String>) {
    let filter = match run {
        Some(r) => format!("label={RUN_LABEL}={r}"),
        None => format!("label={RUN_LABEL}"),
    };
    let ids = |args: &[&str]| {
        docker()
            .args(args)
            .quiet()
            .deadline(SHORT)
            .run()
            .map(|o| o.stdout.split_whitespace().map(String::from).collect())
            .unwrap_or_default()
    };
    (
        ids(&["ps", "-aq", "--filter", &filter]),
        ids(&["images", "-q", "--filter", &filter]),
    )
}
