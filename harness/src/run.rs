//! One `yadoc check` run: the requested tiers over the loaded lessons, then the known-drift register.

use std::path::Path;

use crate::checks::finding::{Outcome, Tier};
use crate::drift::Register;
use crate::error::LessonError;
use crate::lesson::Lesson;

pub fn check(dir: &Path, lessons: &[Lesson], tiers: &[Tier]) -> Result<Vec<Outcome>, LessonError> {
    let register = Register::load(dir)?;
    let mut outcomes = Vec::new();
    for lesson in lessons {
        for tier in tiers {
            match tier {
                Tier::Static => outcomes.extend(crate::checks::run_static(lesson)),
                Tier::App => outcomes.extend(crate::tiers::app::run(lesson)),
                Tier::Image => outcomes.extend(crate::tiers::image::run(lesson)),
                other => outcomes.push(Outcome::skipped(
                    &format!("{}.run", other.as_str()),
                    "tier",
                    *other,
                    &lesson.file_name(),
                    "this tier is not built yet",
                )),
            }
        }
    }
    register.apply(&mut outcomes);
    Ok(outcomes)
}
