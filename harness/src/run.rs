//! One `yadoc check` run: the requested tiers over the loaded lessons, then the known-drift register.

use std::path::Path;

use crate::checks::finding::{Outcome, Status, Tier};
use crate::drift::Register;
use crate::error::LessonError;
use crate::lesson::Lesson;

pub fn check(dir: &Path, lessons: &[Lesson], tiers: &[Tier]) -> Result<Vec<Outcome>, LessonError> {
    let mut outcomes = check_once(dir, lessons, tiers)?;
    let behind = behind_known_drift(dir, lessons, &outcomes)?;
    outcomes.extend(behind);
    Ok(outcomes)
}

/// What fails behind known drift that has a mechanical fix: the app and image tiers stop at the
/// first failure (the course's app dies at `import flask`), so an edit of app.py could never
/// matter while the drift stands. For each lesson whose app or image tier ended in such drift,
/// the tier runs once more on a scratch copy of the lessons with the drift's fix applied (a
/// requirement `pin:`); what fails there is reported at the user's lines, as a failure.
fn behind_known_drift(
    dir: &Path,
    lessons: &[Lesson],
    outcomes: &[Outcome],
) -> Result<Vec<Outcome>, LessonError> {
    let mut found = Vec::new();
    for lesson in lessons {
        let name = lesson.file_name();
        for tier in [Tier::App, Tier::Image] {
            let pinned: Vec<&crate::checks::finding::Finding> = outcomes
                .iter()
                .filter(|o| o.lesson == name && o.tier == tier && o.status == Status::KnownDrift)
                .flat_map(|o| &o.findings)
                .filter(|f| f.edit.is_some() && f.lesson == name)
                .collect();
            if pinned.is_empty() {
                continue;
            }
            let scratch = tempfile::Builder::new()
                .prefix("yadoc-behind-")
                .tempdir()
                .map_err(|source| LessonError::Read {
                    path: std::env::temp_dir(),
                    source,
                })?;
            crate::fix::copy_files(dir, scratch.path())?;
            let (fixed, _) = crate::fix::apply(lesson.source.text(), &pinned);
            let path = scratch.path().join(&name);
            std::fs::write(&path, &fixed).map_err(|source| LessonError::Read {
                path: path.clone(),
                source,
            })?;
            let again = Lesson::load(&path)?;
            let what: Vec<String> = pinned
                .iter()
                .map(|f| format!("{}@{}:{}", f.check, f.lesson, f.line))
                .collect();
            for mut o in check_once(scratch.path(), &[again], &[tier])? {
                if o.status != Status::Failed || o.check == crate::drift::STALE {
                    continue;
                }
                for f in &mut o.findings {
                    if let Some(l) = crate::fix::back_to(lesson.source.text(), &fixed, f.line) {
                        f.line = l;
                    }
                    f.edit = None;
                    let scratch_path = scratch.path().display().to_string();
                    f.observed = f
                        .observed
                        .replace(&scratch_path, &dir.display().to_string());
                }
                o.title = format!("{} (behind known drift)", o.title);
                o.notes.insert(
                    0,
                    format!(
                        "found behind known drift: with the mechanical fix of {} applied on a scratch copy, the {} tier fails here too; fix both",
                        what.join(", "),
                        tier.as_str()
                    ),
                );
                found.push(o);
            }
        }
    }
    Ok(found)
}

fn check_once(dir: &Path, lessons: &[Lesson], tiers: &[Tier]) -> Result<Vec<Outcome>, LessonError> {
    let register = Register::load(dir)?;
    // the image tier of every lesson at once: each job has its own tag, container, port and temp
    // dir, and most of its time is the docker daemon's (two lessons: 2.6 s → 1.7 s warm, README)
    let images = if tiers.contains(&Tier::Image) {
        each_on_its_thread(lessons, |l| timed(|| crate::tiers::image::run(l)))
    } else {
        Vec::new()
    };
    let mut images = images.into_iter();
    // the static tier of every lesson at once, one thread each
    let statics = if tiers.contains(&Tier::Static) {
        each_on_its_thread(lessons, crate::checks::run_static)
    } else {
        Vec::new()
    };
    let mut statics = statics.into_iter();
    let mut outcomes = Vec::new();
    for lesson in lessons {
        for tier in tiers {
            match tier {
                Tier::Static => outcomes.extend(statics.next().unwrap_or_default()),
                Tier::App => outcomes.extend(timed(|| crate::tiers::app::run(lesson))),
                Tier::Image => outcomes.extend(images.next().unwrap_or_default()),
                Tier::Cluster => {
                    outcomes.extend(timed(|| vec![crate::tiers::cluster::run(lesson)]))
                }
            }
        }
    }
    // lessons are one course only where a course file says so (lessons/course.yaml): a directory
    // of unrelated tutorials gets no course-order checks
    if tiers.contains(&Tier::Static) && lessons.len() > 1 && dir.join("course.yaml").is_file() {
        outcomes.extend(timed(|| crate::checks::course::host_ports(lessons)));
    }
    register.apply(&mut outcomes);
    Ok(outcomes)
}

/// The outcomes of the checks named in `ids` (and the stale register entries of those checks), or
/// an error naming an id no check that ran has.
pub fn only(outcomes: Vec<Outcome>, ids: &[String]) -> Result<Vec<Outcome>, String> {
    let ran: std::collections::BTreeSet<&str> = outcomes.iter().map(|o| o.check.as_str()).collect();
    if let Some(unknown) = ids.iter().find(|id| !ran.contains(id.as_str())) {
        let tiers: std::collections::BTreeSet<&str> =
            outcomes.iter().map(|o| o.tier.as_str()).collect();
        return Err(format!(
            "--check {unknown}: no check of that id ran in the {} tier(s) (a check of another tier needs --tier; `yadoc check -v` lists every id)",
            tiers.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
    Ok(outcomes
        .into_iter()
        .filter(|o| {
            ids.contains(&o.check)
                || (o.check == crate::drift::STALE
                    && o.findings.iter().any(|f| {
                        ids.iter()
                            .any(|id| f.expected.starts_with(&format!("{id} at ")))
                    }))
        })
        .collect())
}

/// `f` of every item, each on its own scoped thread, results in order (a panic is passed on).
pub fn each_on_its_thread<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    std::thread::scope(|s| {
        let f = &f;
        // what the jobs say goes where their caller's words go (a test's capture, or stderr)
        let sink = crate::progress::current_capture();
        let jobs: Vec<_> = items
            .iter()
            .map(|i| {
                let sink = sink.clone();
                s.spawn(move || crate::progress::with_capture(sink, || f(i)))
            })
            .collect();
        jobs.into_iter()
            .map(|j| j.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    })
}

/// Run a tier; an outcome that did not time itself (a tier that stopped early, with one outcome)
/// gets the tier's time, which then is its own.
fn timed(run: impl FnOnce() -> Vec<Outcome>) -> Vec<Outcome> {
    let start = std::time::Instant::now();
    let mut outcomes = run();
    let alone = outcomes.len() == 1;
    let elapsed = start.elapsed().as_secs_f64();
    for o in &mut outcomes {
        if o.seconds.is_none() && alone {
            o.seconds = Some(elapsed);
        }
    }
    outcomes
}
