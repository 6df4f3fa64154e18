//! The image tier: `docker build` the lesson's own Dockerfile and files (tagged uniquely, labelled),
//! run the container with its port on 127.0.0.1 only, and check it answers as the lesson says.
//! Where the base image cannot be pulled, YADOC_BASE_IMAGES maps it to a local stand-in, and the
//! report says so.

use std::time::Duration;

use super::answer::last_error_line;
use super::docker;
use super::http::{wait_for, Target, WaitFailure};
use super::prereq;
use super::spec::AppSpec;
use crate::checks::finding::{Examined, Finding, Outcome, Tier};
use crate::cleanup::{self, Resource};
use crate::diagnose::diagnose;
use crate::lesson::steps::StepKind;
use crate::lesson::Lesson;
use crate::process::tail;

pub const BUILD: &str = "image.build";
pub const SERVE: &str = "image.serve";
const BUILD_TITLE: &str = "docker build of the lesson's Dockerfile";
const SERVE_TITLE: &str = "the container answers as the lesson says";
const READY_DEADLINE: Duration = Duration::from_secs(60);

/// `python:3.9=yadoc/python:3.9-bullseye,python:3.9-alpine=…` from YADOC_BASE_IMAGES.
pub fn substitutions() -> Vec<(String, String)> {
    std::env::var("YADOC_BASE_IMAGES")
        .unwrap_or_default()
        .split(',')
        .filter_map(|pair| pair.split_once('='))
        .map(|(a, b)| (a.trim().to_string(), b.trim().to_string()))
        .filter(|(a, b)| !a.is_empty() && !b.is_empty())
        .collect()
}

/// The image to build FROM, and the note when it is not the lesson's: the lesson's if present; else
/// the stand-in `YADOC_BASE_IMAGES` maps it to (an override); else the lesson's if a registry gives
/// it; else a local image labelled as standing in for it (`ci/base-images.sh` builds one); else the
/// lesson's (the build then says it cannot be pulled).
fn base_for(image: &str) -> (String, Option<String>) {
    if docker::image_present(image) {
        return (image.to_string(), None);
    }
    if let Some((_, to)) = substitutions()
        .into_iter()
        .find(|(from, to)| from == image && docker::image_present(to))
    {
        return (
            to.clone(),
            Some(format!("FROM {image} is not present here; built FROM the local stand-in {to} (YADOC_BASE_IMAGES)")),
        );
    }
    let pulled = docker::pull(image, PULL_DEADLINE);
    if pulled.is_ok() {
        return (image.to_string(), None);
    }
    match docker::stand_in_for(image) {
        Some(to) => {
            let why = pulled.err().unwrap_or_default();
            (to.clone(), Some(format!("FROM {image} cannot be pulled here ({why}); built FROM the local stand-in {to} (labelled {})", docker::STANDS_IN_FOR)))
        }
        None => (image.to_string(), None),
    }
}

/// How long a base image may take to pull before the stand-in is used.
const PULL_DEADLINE: std::time::Duration = std::time::Duration::from_secs(300);

/// The base images `ci/base-images.sh` can build a stand-in for.
pub const STAND_IN_BUILDS: &[&str] = &["python:3.9", "python:3.9-alpine"];

/// What to do where a base image cannot be pulled and no stand-in exists.
pub fn cannot_pull_hint(image: &str) -> String {
    if STAND_IN_BUILDS.contains(&image) {
        format!("FROM {image} cannot be pulled here and no local stand-in exists: bash ci/base-images.sh builds one (it then is used by itself)")
    } else {
        format!("FROM {image} cannot be pulled here and yadoc has no stand-in for it (ci/base-images.sh builds one for {} only): run where a registry is reachable, or map a local image with YADOC_BASE_IMAGES", STAND_IN_BUILDS.join(" and "))
    }
}

/// What this machine lacks to build a lesson's image, checked without building or pulling: a docker
/// engine, and the base image present here or a local stand-in for it. A base image a registry could
/// still provide counts as missing (nextest's list then skips the tier; `cargo test` pulls it).
pub fn missing_locally(lesson: &Lesson) -> Option<String> {
    let spec = AppSpec::of(lesson).ok()?;
    if let Err(reason) = prereq::docker() {
        return Some(reason);
    }
    let present = docker::image_present(&spec.base_image)
        || substitutions()
            .iter()
            .any(|(from, to)| *from == spec.base_image && docker::image_present(to))
        || docker::stand_in_for(&spec.base_image).is_some();
    (!present).then(|| {
        format!(
            "FROM {} is not present here and no local stand-in exists (pull it; for python:3.9 bash ci/base-images.sh builds a stand-in)",
            spec.base_image
        )
    })
}

pub fn run(lesson: &Lesson) -> Vec<Outcome> {
    let name = lesson.file_name();
    let spec = match AppSpec::of(lesson) {
        Ok(s) => s,
        Err(why) => {
            return vec![prereq::not_runnable(
                SERVE,
                SERVE_TITLE,
                Tier::Image,
                &name,
                &why,
            )]
        }
    };
    let started = std::time::Instant::now();
    let engine = match prereq::docker() {
        Ok(d) => d,
        Err(reason) => {
            return vec![prereq::unavailable(
                BUILD,
                BUILD_TITLE,
                Tier::Image,
                &name,
                spec.from_line,
                &reason,
            )]
        }
    };
    let here = |check: &str, line: usize| Finding::new(check, &name, line);
    let fail = |check: &str, title: &str, f: Finding, notes: Vec<String>| {
        Outcome::failed(check, title, Tier::Image, &name, vec![f]).with_notes(notes)
    };
    let mut notes = vec![format!(
        "docker engine {} (API {})",
        engine.server_version, engine.api_version
    )];

    let ws = match super::workspace::Workspace::new("image", lesson, Some("context")) {
        Ok(ws) => ws,
        Err(e) => {
            return vec![fail(
                BUILD,
                BUILD_TITLE,
                here(BUILD, spec.from_line)
                    .expected("a build context with the lesson's files")
                    .observed(e)
                    .fix("free disk space in the temp dir"),
                notes,
            )]
        }
    };
    let (work, context) = (&ws.root, &ws.files);
    // The lesson's Dockerfile, unedited, except FROM when a stand-in replaces an unreachable base image.
    let (base, substituted) = base_for(&spec.base_image);
    let dockerfile = work.join("Dockerfile");
    let text = match &substituted {
        Some(_) => substitute_from(spec.dockerfile.text(), &spec.base_image, &base),
        None => spec.dockerfile.text().to_string(),
    };
    if let Err(e) = std::fs::write(&dockerfile, text) {
        return vec![fail(
            BUILD,
            BUILD_TITLE,
            here(BUILD, spec.from_line)
                .expected("the Dockerfile written")
                .observed(e.to_string())
                .fix("free disk space"),
            notes,
        )];
    }
    notes.extend(substituted);
    let lesson_tag = lesson
        .steps
        .iter()
        .find_map(|s| match &s.kind {
            StepKind::DockerBuild { tag, .. } => Some(tag.clone()),
            _ => None,
        })
        .unwrap_or_else(|| "app:latest".into());
    let job = cleanup::unique();
    // registered before anything exists: an interrupt at any moment sweeps what this run made, and
    // the end of this job removes its containers
    cleanup::on_interrupt(Resource::DockerRun(cleanup::run_id().to_string()));
    let _job_guard = cleanup::register(Resource::DockerJob(job.clone()));
    let tag = format!("yadoc/{}:{job}", lesson.name);
    notes.push(format!(
        "tagged {tag} instead of the lesson's {lesson_tag} (a run never touches the user's images)"
    ));

    let _tag_guard = cleanup::register(Resource::Image(tag.clone()));
    let progress = crate::progress::Progress::start(format!(
        "docker build of {}'s Dockerfile",
        lesson.file_name()
    ));
    let built = docker::build(context, &dockerfile, &tag, &work.join("iid"));
    progress.done(built.is_ok());
    let image = match built {
        Ok((id, _)) => id,
        Err(e) => {
            let output = e.output();
            let d = diagnose(&output);
            if d.as_ref().is_some_and(|d| d.id == "base-image-unreachable") {
                let reason = cannot_pull_hint(&spec.base_image);
                return vec![prereq::unavailable(
                    BUILD,
                    BUILD_TITLE,
                    Tier::Image,
                    &name,
                    spec.from_line,
                    &reason,
                )
                .with_notes(notes)];
            }
            let line = failing_step_line(&spec, &output);
            let line = d
                .as_ref()
                .and_then(|d| d.requirement.as_deref())
                .map(|p| spec.requirement_line(Some(p)))
                .unwrap_or(line);
            notes.push(format!("build output (last lines):\n{}", tail(&output, 15)));
            return vec![fail(
                BUILD,
                BUILD_TITLE,
                here(BUILD, line)
                    .expected("`docker build` of the lesson's Dockerfile and files to succeed")
                    .observed(last_error_line(&output))
                    .fix(
                        d.as_ref()
                            .map(|d| d.fix.clone())
                            .unwrap_or_else(|| "read the build output shown with this check (`build output (last lines)`)".into()),
                    )
                    .diagnosis(d.map(|d| d.line())),
                notes,
            )];
        }
    };
    let build = Outcome::examined(
        BUILD,
        BUILD_TITLE,
        Tier::Image,
        &name,
        Examined::of(
            format!(
                "docker build of the Dockerfile at {name}:{}",
                spec.from_line
            ),
            Vec::new(),
        ),
        "",
    )
    .with_notes(notes);
    let serving = std::time::Instant::now();
    vec![
        build.timed(started),
        serve(&spec, &image, &job).timed(serving),
    ]
}

fn serve(spec: &AppSpec, image: &str, job: &str) -> Outcome {
    let name = spec.lesson.file_name();
    let here = |line: usize| Finding::new(SERVE, &name, line);
    let fail = |f: Finding, notes: Vec<String>| {
        Outcome::failed(SERVE, SERVE_TITLE, Tier::Image, &name, vec![f]).with_notes(notes)
    };
    let container_name = format!("yadoc-{}-{job}", spec.lesson.name);
    let _name_guard = cleanup::register(Resource::Container(container_name.clone()));
    let container =
        match docker::run_detached(image, &container_name, spec.port, &spec.lesson.name, job) {
            Ok(c) => c,
            Err(e) => {
                let d = diagnose(&e.output());
                return fail(
                    here(spec.cmd_line)
                        .expected("the container to start")
                        .observed(last_error_line(&e.output()))
                        .fix(
                            d.as_ref()
                                .map(|d| d.fix.clone())
                                .unwrap_or_else(|| "read the docker error".into()),
                        )
                        .diagnosis(d.map(|d| d.line())),
                    vec![],
                );
            }
        };
    let notes = vec![format!(
        "container {container_name}: port {} published on 127.0.0.1 only",
        spec.port
    )];
    if docker::image_of(&container).as_deref() != Some(image) {
        return fail(
            here(spec.cmd_line)
                .expected(format!(
                    "the container to run the image just built ({image})"
                ))
                .observed(match docker::image_of(&container) {
                    Some(other) => format!("it runs {other}"),
                    None => "docker cannot say which image it runs".to_string(),
                })
                .fix("check for a concurrent run re-using the tag"),
            notes,
        );
    }
    let Some(port) = docker::host_port(&container, spec.port) else {
        return unpublished(
            spec,
            docker::exited(&container),
            &docker::logs(&container),
            notes,
        );
    };
    let target = Target::local(format!("http://127.0.0.1:{port}{}", spec.expected.path));
    let waited = wait_for(
        &target,
        super::http::ready_deadline(READY_DEADLINE),
        |_| true,
        || docker::exited(&container),
    );
    let logs = docker::logs(&container);
    super::answer::judge(spec, &CONTAINER, waited, &logs, notes)
}

/// The image tier's serve check, as the answer's judge names it.
const CONTAINER: super::answer::Who<'static> = super::answer::Who {
    check: SERVE,
    title: SERVE_TITLE,
    tier: Tier::Image,
    name: "container",
};

/// No published port. An exited container has none (docker clears its bindings when it stops):
/// an app that dies at import can exit before `docker port` asks, on a loaded machine, and is
/// judged as the exit it is, with its diagnosis and mechanical fix (once this read as "no published
/// port", the Werkzeug drift without its pin). A container still running without it is a
/// publishing failure.
fn unpublished(spec: &AppSpec, exited: Option<String>, logs: &str, notes: Vec<String>) -> Outcome {
    if let Some(status) = exited {
        return super::answer::judge(
            spec,
            &CONTAINER,
            Err(WaitFailure::Exited(status)),
            logs,
            notes,
        );
    }
    let name = spec.lesson.file_name();
    Outcome::failed(
        SERVE,
        SERVE_TITLE,
        Tier::Image,
        &name,
        vec![Finding::new(SERVE, &name, spec.cmd_line)
            .expected(format!("port {} published", spec.port))
            .observed(format!(
                "no published port; container log: {}",
                last_error_line(logs)
            ))
            .fix("read the container log")],
    )
    .with_notes(notes)
}

/// The Dockerfile with its FROM image replaced (only the image word; comments and the rest unedited).
pub fn substitute_from(text: &str, from: &str, to: &str) -> String {
    text.lines()
        .map(|l| {
            let t = l.trim_start();
            if t.len() > 5
                && t[..5].eq_ignore_ascii_case("FROM ")
                && t[5..].split_whitespace().next() == Some(from)
            {
                l.replacen(from, to, 1)
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// The lesson line of the instruction the legacy builder was running when it failed (`Step 4/7 : RUN …`).
fn failing_step_line(spec: &AppSpec, output: &str) -> usize {
    let step = output.lines().rev().find_map(|l| {
        l.strip_prefix("Step ")?
            .split('/')
            .next()?
            .parse::<usize>()
            .ok()
    });
    step.and_then(|n| spec.parsed.instructions.get(n - 1))
        .map(|i| spec.dockerfile.lesson_line(i.line))
        .unwrap_or(spec.from_line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_container_that_exited_before_its_port_was_asked_is_judged_as_exited_with_its_fix() {
        // lesson 1 as the course writes it; its container's log as Flask 2.1 with Werkzeug 3 ends
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../lessons/lesson1.md");
        let lesson = Lesson::load(&path).unwrap();
        let spec = AppSpec::of(&lesson).unwrap();
        let logs = "Traceback (most recent call last):\n  File \"/usr/local/lib/python3.9/site-packages/flask/__init__.py\", line 7, in <module>\nImportError: cannot import name 'url_quote' from 'werkzeug.urls' (/usr/local/lib/python3.9/site-packages/werkzeug/urls.py)\n";
        let o = unpublished(&spec, Some("exit code 1".into()), logs, vec![]);
        let f = &o.findings[0];
        assert!(f.observed.starts_with("the container exited (exit code 1) before answering: ImportError: cannot import name 'url_quote'"), "{f:?}");
        assert_eq!(
            f.line,
            spec.requirement_line(Some("flask")),
            "at requirements.txt's Flask line"
        );
        assert!(
            f.edit.is_some(),
            "the pin, as when the exit is seen while waiting: {f:?}"
        );
        // still running, and no port: that is what is said
        let o = unpublished(&spec, None, logs, vec![]);
        assert!(
            o.findings[0].observed.starts_with("no published port"),
            "{:?}",
            o.findings
        );
        assert!(o.findings[0].edit.is_none());
    }

    #[test]
    fn substitutes_only_the_from_image() {
        let t = substitute_from(
            "# FROM python:3.9\nFROM python:3.9\nRUN echo python:3.9\n",
            "python:3.9",
            "local/py:3.9",
        );
        assert_eq!(
            t,
            "# FROM python:3.9\nFROM local/py:3.9\nRUN echo python:3.9\n"
        );
    }
}
