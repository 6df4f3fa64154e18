//! Lesson 2's promise as a picture: the replicas and the utilisation the HPA saw under load, drawn
//! as mermaid `xychart-beta` charts GitHub renders in a job summary, the scale-up marked on the axis.

use std::fmt::Write;

use super::api::HpaSample;

/// At most this many points per chart (a long load is thinned, the scale-up always kept).
const POINTS: usize = 24;

/// Markdown: two charts (replicas; utilisation per metric) with a caption saying which series is
/// which (xychart has no legend). `scaled_at` is the sample read when the rescale event was seen;
/// without it, the first sample whose desired replicas exceed the starting ones is the scale-up.
pub fn hpa(title: &str, samples: &[HpaSample], scaled_at: Option<usize>) -> String {
    if samples.is_empty() {
        return format!("**{title}**: the HPA reported no status while the load ran\n");
    }
    let start = samples[0].current;
    let scale_up = scaled_at
        .filter(|i| *i < samples.len())
        .or_else(|| samples.iter().position(|s| s.desired > start));
    let picked = thin(samples.len(), scale_up);
    let labels: Vec<String> = picked
        .iter()
        .map(|&i| {
            if Some(i) == scale_up {
                format!("\"+{}s ▲ scale-up\"", samples[i].at)
            } else {
                format!("\"+{}s\"", samples[i].at)
            }
        })
        .collect();
    let series = |f: &dyn Fn(&HpaSample) -> i32| -> Vec<i32> {
        picked.iter().map(|&i| f(&samples[i])).collect()
    };
    let join = |v: &[i32]| v.iter().map(i32::to_string).collect::<Vec<_>>().join(", ");
    let current = series(&|s| s.current);
    let desired = series(&|s| s.desired);
    let top = current.iter().chain(&desired).copied().max().unwrap_or(1) + 1;
    let mut out = String::new();
    let _ = writeln!(out, "**{title}**\n");
    let _ = writeln!(
        out,
        "```mermaid\nxychart-beta\n    title \"replicas\"\n    x-axis [{}]\n    y-axis \"replicas\" 0 --> {top}\n    bar [{}]\n    line [{}]\n```\n",
        labels.join(", "),
        join(&current),
        join(&desired)
    );
    let _ = writeln!(out, "bars: current replicas; line: desired replicas.\n");
    let mut names: Vec<String> = Vec::new();
    for s in samples {
        for (n, _) in &s.utilization {
            if !names.contains(n) {
                names.push(n.clone());
            }
        }
    }
    if names.is_empty() {
        return out;
    }
    let lines: Vec<Vec<i32>> = names
        .iter()
        .map(|n| {
            series(&|s| {
                s.utilization
                    .iter()
                    .find(|(m, _)| m == n)
                    .and_then(|(_, u)| *u)
                    .unwrap_or(0)
            })
        })
        .collect();
    let top = lines
        .iter()
        .flatten()
        .copied()
        .max()
        .unwrap_or(100)
        .max(100);
    let _ = writeln!(
        out,
        "```mermaid\nxychart-beta\n    title \"utilisation, % of the request\"\n    x-axis [{}]\n    y-axis \"%\" 0 --> {top}\n{}```\n",
        labels.join(", "),
        lines
            .iter()
            .map(|l| format!("    line [{}]\n", join(l)))
            .collect::<String>()
    );
    let _ = writeln!(
        out,
        "lines, in order: {} (0 where the metrics server had no reading yet).",
        names.join(", ")
    );
    out
}

/// Indices of at most `POINTS` samples of `n`, evenly spread, the first, last and `keep` included.
fn thin(n: usize, keep: Option<usize>) -> Vec<usize> {
    if n <= POINTS {
        return (0..n).collect();
    }
    let mut v: Vec<usize> = (0..POINTS - 1)
        .map(|k| k * (n - 1) / (POINTS - 1))
        .collect();
    v.push(n - 1);
    v.extend(keep);
    v.sort_unstable();
    v.dedup();
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(at: u64, current: i32, desired: i32, cpu: i32) -> HpaSample {
        HpaSample {
            at,
            current,
            desired,
            utilization: vec![("cpu".into(), Some(cpu)), ("memory".into(), None)],
        }
    }

    #[test]
    fn draws_replicas_and_utilisation_with_the_scale_up_marked() {
        let md = hpa(
            "lesson2.md:270 HPA hpa-test/myapp-hpa under load",
            &[
                sample(0, 1, 1, 3),
                sample(5, 1, 3, 92),
                sample(10, 3, 3, 92),
            ],
            None,
        );
        assert!(
            md.contains("x-axis [\"+0s\", \"+5s ▲ scale-up\", \"+10s\"]"),
            "{md}"
        );
        assert!(md.contains("bar [1, 1, 3]\n    line [1, 3, 3]"), "{md}");
        assert!(md.contains("line [3, 92, 92]\n    line [0, 0, 0]"), "{md}");
        assert!(md.contains("lines, in order: cpu, memory"), "{md}");
    }

    #[test]
    fn a_long_load_is_thinned_keeping_the_scale_up() {
        let samples: Vec<HpaSample> = (0..200)
            .map(|i| sample(i, 1, if i >= 137 { 4 } else { 1 }, 50))
            .collect();
        let md = hpa("t", &samples, None);
        assert!(md.contains("\"+137s ▲ scale-up\""), "{md}");
        let axis = md.lines().find(|l| l.contains("x-axis")).unwrap();
        assert!(axis.matches("\"+").count() <= POINTS + 1, "{axis}");
    }
}
