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
                Tier::Cluster => outcomes.push(crate::tiers::cluster::run(lesson)),
            }
        }
    }
    if tiers.contains(&Tier::Static) && lessons.len() > 1 {
        outcomes.extend(crate::checks::course::host_ports(lessons));
    }
    register.apply(&mut outcomes);
    Ok(outcomes)
}
