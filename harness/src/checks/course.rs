//! Checks across lessons, in course order: a student who follows lesson N still has what earlier
//! lessons made and never deleted. A `k3d cluster create` that asks for a host port (or a cluster
//! name) an earlier lesson's cluster still holds fails with "port is already allocated"; so does
//! a lesson's second cluster on its first one's ports.

use super::finding::{Edit, Examined, Finding, Outcome, Tier};
use crate::lesson::steps::StepKind;
use crate::lesson::Lesson;

pub const HOST_PORT: &str = "course.host-port";
const TITLE: &str = "clusters of earlier lessons leave the ports and names free";

/// A cluster alive at some point of the course: its name, host ports, and where it was created.
struct Live {
    name: String,
    ports: Vec<u16>,
    lesson: String,
    line: usize,
    explicit_name: bool,
}

/// One outcome per lesson (the lessons in course order): its clusters against those of earlier
/// lessons still alive. (Against its own earlier clusters: `steps.cluster-ports`, a per-lesson check.)
pub fn host_ports(lessons: &[Lesson]) -> Vec<Outcome> {
    clashes(lessons, HOST_PORT, true)
        .into_iter()
        .map(|(name, examined)| {
            Outcome::examined(
                HOST_PORT,
                TITLE,
                Tier::Static,
                &name,
                examined,
                "the lesson creates no cluster",
            )
        })
        .collect()
}

pub const CLUSTER_PORTS: &str = "steps.cluster-ports";

/// A lesson's clusters against its own earlier ones still alive (the same port or name fails as
/// across lessons).
pub fn within(lesson: &Lesson) -> Examined {
    clashes(std::slice::from_ref(lesson), CLUSTER_PORTS, false)
        .pop()
        .map(|(_, e)| e)
        .unwrap_or_default()
}

/// Each lesson's cluster creates, checked against the live clusters of earlier lessons (`across`)
/// or of the same lesson (not `across`); findings carry `check`.
fn clashes(lessons: &[Lesson], check: &str, across: bool) -> Vec<(String, Examined)> {
    // every host port any cluster of the course asks for: a replacement port must be none of them
    let asked: Vec<u16> = lessons
        .iter()
        .flat_map(|l| l.commands())
        .filter_map(|s| match &s.kind {
            StepKind::ClusterCreate(c) => Some(c),
            _ => None,
        })
        .flat_map(|c| c.ports.iter().map(|p| p.host).chain(c.api_port))
        .collect();
    let mut live: Vec<Live> = Vec::new();
    let mut out = Vec::new();
    for lesson in lessons {
        let name = lesson.file_name();
        // a lesson's `k3d cluster delete` of an earlier lesson's cluster is meant to free it (lesson
        // 2's note says so; that it stands after the create is steps.cluster-lifecycle's finding):
        // apply it first. A delete of no earlier lesson's cluster deletes the lesson's own, in step order.
        let mut freed = Vec::new();
        for s in lesson.commands() {
            if let StepKind::ClusterDelete { name: gone } = &s.kind {
                if live.iter().any(|l| &l.name == gone) {
                    live.retain(|l| &l.name != gone);
                    freed.push(s.line);
                }
            }
        }
        let mut examined = Examined::new();
        for s in lesson.commands() {
            if let StepKind::ClusterDelete { name: gone } = &s.kind {
                if !freed.contains(&s.line) {
                    live.retain(|l| &l.name != gone);
                }
            }
            if let StepKind::ClusterCreate(c) = &s.kind {
                examined.saw(format!("line {}: cluster {}", s.line, c.name));
                let mut ports: Vec<u16> = c.ports.iter().map(|p| p.host).collect();
                ports.extend(c.api_port);
                for held in live.iter().filter(|l| (l.lesson != name) == across) {
                    let clash: Vec<u16> = ports
                        .iter()
                        .copied()
                        .filter(|p| held.ports.contains(p))
                        .collect();
                    // two nameless creates (k3d's default name) are ways to make "a cluster" in
                    // different setups, not a sequence: their names are not compared
                    let same_name = held.name == c.name && (c.explicit_name || held.explicit_name);
                    if !clash.is_empty() || same_name {
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
                        let error = if clash.is_empty() {
                            "a cluster with that name already exists"
                        } else {
                            "port is already allocated"
                        };
                        let edit = clash.first().and_then(|p| {
                            let free = (p + 1..=u16::MAX).find(|q| !asked.contains(q))?;
                            let line = lesson.source.line(s.line);
                            let text = if c.api_port == Some(*p) {
                                line.replacen(
                                    &format!("--api-port {p}"),
                                    &format!("--api-port {free}"),
                                    1,
                                )
                            } else {
                                line.replacen(&format!("\"{p}:"), &format!("\"{free}:"), 1)
                                    .replacen(&format!(" {p}:"), &format!(" {free}:"), 1)
                            };
                            (text != line).then_some(Edit::ReplaceLine { line: s.line, text })
                        });
                        let mut finding = Finding::new(check, &name, s.line);
                        if let Some(e) = edit {
                            finding = finding.edit(e);
                        }
                        examined.found(
                            finding
                                .expected(format!("{what} free when a student who followed the course so far runs `{}`", s.literal))
                                .observed(format!("cluster {} ({}:{}) still holds {what}: nothing deletes it before, so k3d fails with \"{error}\"", held.name, held.lesson, held.line))
                                .fix(if clash.is_empty() {
                                    format!("tell the reader to run `k3d cluster delete {}` first, or name this cluster differently", held.name)
                                } else {
                                    format!("tell the reader to run `k3d cluster delete {}` first (as lesson 2 does), or use another host port", held.name)
                                }),
                        );
                    }
                }
                live.retain(|l| l.name != c.name);
                live.push(Live {
                    name: c.name.clone(),
                    ports,
                    lesson: name.clone(),
                    line: s.line,
                    explicit_name: c.explicit_name,
                });
            }
        }
        out.push((name, examined));
    }
    out
}
