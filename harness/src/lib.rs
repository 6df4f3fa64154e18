//! yadoc: turns each lesson of the YADOC Kubernetes course into an executable conformance test.
//!
//! Data flows one way: lesson markdown → [`lesson::Lesson`] (blocks with file:line) → a plan of
//! artifacts and steps → a tier's checks → findings → reporters.

pub mod checks;
pub mod cleanup;
pub mod course;
pub mod diagnose;
pub mod docker_objects;
pub mod doctor;
pub mod drift;
pub mod error;
pub mod extract;
pub mod fix;
pub mod gc;
pub mod k8s;
pub mod lesson;
pub mod load;
pub mod plan;
pub mod process;
pub mod progress;
pub mod report;
pub mod run;
pub mod source;
pub mod tiers;
pub mod yaml;
