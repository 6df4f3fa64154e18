//! The docker CLI, through the one process wrapper: build, run, inspect, logs. Containers carry the
//! labels `org.yadoc.run=<run id>`, `org.yadoc.lesson`, `org.yadoc.job` and `org.yadoc.host`. Images
//! carry one fixed label, `org.yadoc.image=1`, and are told apart by their run-unique tag
//! `yadoc/<lesson>:<run id>-<n>`: a run-unique label would make the legacy builder commit a new final
//! layer on every build, a warm rebuild then costing seconds instead of a cache hit.

use std::path::Path;
use std::time::Duration;

use crate::cleanup::run_id;
use crate::process::{Cmd, ProcessError};

// what cleanup, gc and the tiers share about docker objects lives below all of them
pub use crate::docker_objects::{
    hostname, run_of_tag, tagged_images, HOST_LABEL, IMAGE_LABEL, JOB_LABEL, LESSON_LABEL,
    RUN_LABEL,
};

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
    let candidates: Vec<&str> = listed
        .stdout
        .lines()
        .map(str::trim)
        .filter(|c| !c.is_empty() && !c.contains("<none>"))
        .collect();
    if candidates.is_empty() {
        return None;
    }
    pick_stand_in(image, &candidates)
}

/// The first of `candidates` that stands in for `image` (by its label) and is no built image.
fn pick_stand_in(image: &str, candidates: &[&str]) -> Option<String> {
    // Labels are inherited: an image built FROM the stand-in carries its label too and must never
    // stand in itself (it carries org.yadoc.image; the stand-in does not). Each candidate is inspected
    // on its own: another run may remove its built image between the listing and the inspect, and
    // one missing image must not hide the stand-in
    candidates.iter().find_map(|c| {
        let labels = docker()
            .args([
                "image",
                "inspect",
                "--format",
                &format!(
                    "{{{{index .Config.Labels \"{STANDS_IN_FOR}\"}}}}|{{{{index .Config.Labels \"{IMAGE_LABEL}\"}}}}"
                ),
                c,
            ])
            .quiet()
            .deadline(SHORT)
            .run()
            .ok()?;
        let (stands, built) = labels.stdout.trim().split_once('|').unwrap_or(("", ""));
        (built.is_empty() && stands.split(',').any(|s| s.trim() == image)).then(|| c.to_string())
    })
}

/// `docker pull`, at most `deadline`: whether the registry gave the image. A failure is remembered
/// for `PULL_RETRY` in yadoc's cache (`pull-failed/`), so that an air-gapped machine does not ask the
/// registry again for every lesson of every run; the error says when it was seen.
pub fn pull(image: &str, deadline: std::time::Duration) -> Result<(), String> {
    let memo = crate::tiers::venv::cache_dir()
        .join("pull-failed")
        .join(image.replace(['/', ':'], "_"));
    if let Ok(meta) = std::fs::metadata(&memo) {
        let fresh = meta
            .modified()
            .ok()
            .and_then(|m| m.elapsed().ok())
            .is_some_and(|age| age < PULL_RETRY);
        if fresh {
            let why = std::fs::read_to_string(&memo).unwrap_or_default();
            return Err(format!(
                "{} (seen within the last {} min; retried after)",
                why.trim(),
                PULL_RETRY.as_secs() / 60
            ));
        }
    }
    let pulled = docker()
        .args(["pull", "--quiet", image])
        .deadline(deadline)
        .run()
        .map(|_| ())
        .map_err(|e| crate::process::tail(&e.output(), 1));
    match &pulled {
        Ok(()) => {
            let _ = std::fs::remove_file(&memo);
        }
        Err(why) => {
            if let Some(dir) = memo.parent() {
                let _ = std::fs::create_dir_all(dir);
            }
            let _ = std::fs::write(&memo, why);
        }
    }
    pulled
}

/// How long a failed pull is believed before the registry is asked again.
pub const PULL_RETRY: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// `docker build` → (image id, build output). The image carries one fixed label: with the legacy
/// builder every `--label` is one more committed step, and a run-unique one would miss the cache.
pub fn build(
    context: &Path,
    dockerfile: &Path,
    tag: &str,
    iidfile: &Path,
) -> Result<(String, String), ProcessError> {
    let mut cmd = docker()
        .args(["build", "--force-rm", "--iidfile"])
        .arg(iidfile)
        .args(["--label", &format!("{IMAGE_LABEL}=1")])
        .args(["-t", tag]);
    let cache = cache_tag(tag);
    // the images the cache tags point at now: once the tags move, one may be left with no tag
    let before = cache
        .as_ref()
        .map(|(last, previous)| (image_id(last), image_id(previous)));
    if let Some((last, _)) = &cache {
        cmd = cmd.args(["-t", last]);
    }
    let out = cmd
        .args(["-f"])
        .arg(dockerfile)
        .arg(context)
        .deadline(BUILD_DEADLINE)
        .run()?;
    let id = std::fs::read_to_string(iidfile)
        .unwrap_or_default()
        .trim()
        .to_string();
    if let (Some((_, previous)), Some((Some(last), older))) = (&cache, before) {
        keep_as_previous(&id, &last, older.as_deref(), previous);
    }
    Ok((id, out.stdout))
}

/// The id of the image `what` names, if it exists.
pub fn image_id(what: &str) -> Option<String> {
    docker()
        .args(["image", "inspect", "--format", "{{.Id}}", what])
        .quiet()
        .deadline(SHORT)
        .run()
        .ok()
        .map(|o| o.stdout.trim().to_string())
        .filter(|id| !id.is_empty())
}

/// Remove a superseded build of yadoc's when nothing uses it: no tag left (another run's tag
/// keeps it) and no container (`docker rmi` without -f refuses then). Its layers shared with the
/// new build are the new build's parents and stay; the ones only it used go (about 170 MB for
/// lesson 2's image).
fn remove_if_unused(id: &str) {
    let tags = docker()
        .args(["image", "inspect", "--format", "{{len .RepoTags}}", id])
        .quiet()
        .deadline(SHORT)
        .run();
    if tags.is_ok_and(|o| o.stdout.trim() == "0") {
        let _ = docker().args(["rmi", id]).quiet().deadline(SHORT).run();
    }
}

pub use crate::docker_objects::{dangling_images, dangling_images_older_than};

/// The two tags that keep a lesson's last two builds as build cache: `yadoc/<lesson>:cache` (the
/// last) and `yadoc/<lesson>:cache-previous` (the one before it). Removing the run's tag would
/// otherwise delete the image's top layer too (its LABEL step), and the next warm build would
/// commit it again (seconds with the legacy builder) instead of a cache hit. Two, because a check
/// of a lesson in known drift builds two variants each run (as written, then with the pin:
/// `run::behind_known_drift`): with one tag each build evicted the other, and every warm run
/// installed its requirements twice. They belong to no run: neither cleanup nor `yadoc gc` removes
/// them, as neither removes docker's cache.
pub fn cache_tag(run_tag: &str) -> Option<(String, String)> {
    let (repo, _) = run_tag.rsplit_once(':')?;
    Some((format!("{repo}:cache"), format!("{repo}:cache-previous")))
}

/// After a build moved the `last` cache tag to `id`: the image it pointed at (`was_last`) becomes
/// the previous build, and the image that was previous until now is removed when nothing else
/// uses it. A build that hit one of the two (`id` is either) only swaps them, removing nothing.
fn keep_as_previous(id: &str, was_last: &str, was_previous: Option<&str>, previous: &str) {
    if was_last == id {
        return;
    }
    let _ = docker()
        .args(["tag", was_last, previous])
        .quiet()
        .deadline(SHORT)
        .run();
    if let Some(old) = was_previous.filter(|old| *old != id && *old != was_last) {
        remove_if_unused(old);
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_image_removed_between_listing_and_inspect_does_not_hide_the_stand_in() {
        let Some(stand_in) = stand_in_for("python:3.9") else {
            assert!(
                !crate::tiers::prereq::required(crate::checks::finding::Tier::Image),
                "YADOC_REQUIRE requires the image tier, and there is no stand-in for python:3.9"
            );
            eprintln!("SKIPPED: no docker engine or no stand-in for python:3.9 here (bash ci/base-images.sh)");
            return;
        };
        // what a concurrent run's cleanup does: its built image is listed, then gone
        let listed = [
            "yadoc/gone-meanwhile:removed-by-another-run",
            stand_in.as_str(),
        ];
        assert_eq!(pick_stand_in("python:3.9", &listed), Some(stand_in.clone()));
    }
}
