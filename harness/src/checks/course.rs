//! Checks across lessons, in course order: a student who follows lesson N still has what earlier
//! lessons made and never deleted. A `k3d cluster create` that asks for a host port (or a cluster
//! name) an earlier lesson's cluster still holds fails with "port is already allocated".

use super::finding::{Finding, Outcome, Tier};
use crate::lesson::steps::StepKind;
use crate::lesson::Lesson;

pub const HOST_PORT: &str = "course.host-port";
const TITLE: &str = "clusters of earlier lessons leave the ports free";

/// A cluster alive at some point of the course: its name, host ports, and where it was created.
struct Live {
    name: String,
    ports: Vec<u16>,
    lesson: String,
    line: usize,
}

/// One outcome per lesson after the first (the lessons in course order).
pub fn host_ports(lessons: &[Lesson]) -> Vec<Outcome> {
    let mut live: Vec<Live> = Vec::new();
    let mut out = Vec::new();
    for (i, lesson) in lessons.iter().enumerate() {
        let name = lesson.file_name();
        // a lesson's `k3d cluster delete` is meant for earlier lessons' clusters (lesson 2's note says
        // so; that it stands after the create is steps.cluster-lifecycle's finding): apply it first
        for s in lesson.commands() {
            if let StepKind::ClusterDelete { name: gone } = &s.kind {
                live.retain(|l| &l.name != gone);
            }
        }
        let mut findings = Vec::new();
        for s in lesson.commands() {
            if let StepKind::ClusterCreate(c) = &s.kind {
                let mut ports: Vec<u16> = c.ports.iter().map(|p| p.host).collect();
                ports.extend(c.api_port);
                for held in live.iter().filter(|l| l.lesson != name) {
                    let clash: Vec<u16> = ports
                        .iter()
                        .copied()
                        .filter(|p| held.ports.contains(p))
                        .collect();
                    if !clash.is_empty() || held.name == c.name {
                        let what = if clash.is_empty() {
                            format!("the name {}", c.name)
                        } else {
                            format!(
                                "host port {}",
                                clash
                                    .iter()
                                    .map(u16::to_string)
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            )
                        };
                        findings.push(
                            Finding::new(HOST_PORT, &name, s.line)
                                .expected(format!("{what} free when a student who followed the course so far runs `{}`", s.literal))
                                .observed(format!("cluster {} ({}:{}) still holds it: no lesson since deletes it, so k3d fails with \"port is already allocated\"", held.name, held.lesson, held.line))
                                .fix(format!("tell the reader to run `k3d cluster delete {}` first (as lesson 2 does), or use another host port", held.name)),
                        );
                    }
                }
                live.retain(|l| l.name != c.name);
                live.push(Live {
                    name: c.name.clone(),
                    ports,
                    lesson: name.clone(),
                    line: s.line,
                });
            }
        }
        if i > 0 {
            out.push(Outcome::new(
                HOST_PORT,
                TITLE,
                Tier::Static,
                &name,
                findings,
            ));
        }
    }
    out
}
