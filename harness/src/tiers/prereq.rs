//! Prerequisites of the tiers that run things, and `YADOC_REQUIRE`: where a prerequisite is missing
//! the tier is skipped with the reason, unless the environment requires it (CI), then it fails.

use std::time::Duration;

use crate::checks::finding::{Finding, Outcome, Status, Tier};
use crate::process::Cmd;

/// What `YADOC_REQUIRE` may name: the tiers, `workflows` (the test suite's workflow checks),
/// `corpus` (the test suite's tutorial corpus beside the project, `../shared/tutorials`), `all`.
pub const REQUIRABLE: &[&str] = &[
    "static",
    "app",
    "image",
    "cluster",
    "workflows",
    "corpus",
    "all",
];

/// Whether `YADOC_REQUIRE` names `what` (a tier's name, `workflows`, `corpus`) or `all`.
pub fn required_named(what: &str) -> bool {
    std::env::var("YADOC_REQUIRE")
        .is_ok_and(|v| v.split(',').map(str::trim).any(|t| t == "all" || t == what))
}

/// `YADOC_REQUIRE` names only what it can require: a typo (`imgae`) would otherwise turn a required
/// tier back into a skippable one without a word.
pub fn check_require_var() -> Result<(), String> {
    let Ok(v) = std::env::var("YADOC_REQUIRE") else {
        return Ok(());
    };
    let unknown: Vec<&str> = v
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty() && !REQUIRABLE.contains(t))
        .collect();
    if unknown.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "YADOC_REQUIRE={v}: unknown {} (it takes {})",
            unknown
                .iter()
                .map(|u| format!("`{u}`"))
                .collect::<Vec<_>>()
                .join(", "),
            REQUIRABLE.join(", ")
        ))
    }
}

/// Tiers that must run (`YADOC_REQUIRE=app,image`; `all` for every tier).
pub fn required(tier: Tier) -> bool {
    required_named(tier.as_str())
}

/// The host's Python, as the app tier uses it.
#[derive(Debug, Clone)]
pub struct Python {
    pub exe: String,
    /// `3.11.7`
    pub version: String,
}

pub fn python() -> Result<Python, String> {
    match std::env::var("YADOC_PYTHON") {
        // an explicit choice: what it names is the environment's problem, said as such
        Ok(exe) => probe_python(&exe).map_err(|e| {
            if e.ends_with("not found (install python3 and python3-venv)") {
                format!("YADOC_PYTHON={exe} points at nothing (set it to a python3 with venv, or unset it)")
            } else {
                format!("YADOC_PYTHON={exe}: {e}")
            }
        }),
        Err(_) => probe_python("python3"),
    }
}

/// The Python the app tier runs a lesson's app on: `YADOC_PYTHON` when set (an explicit choice),
/// else one of the lesson's image's version (`want`, `3.9` for `FROM python:3.9`): `python3.9` on
/// PATH, then pyenv's versions (`$PYENV_ROOT/versions/3.9.*`, newest first); else `python3`.
/// The caller compares the version and says when the host's Python differs from the image's.
pub fn python_for(want: Option<&str>) -> Result<Python, String> {
    if std::env::var_os("YADOC_PYTHON").is_some() {
        return python();
    }
    if let Some(v) = want {
        let matches = |p: &Python| p.version.starts_with(&format!("{v}."));
        let mut candidates = vec![format!("python{v}")];
        let root = std::env::var_os("PYENV_ROOT")
            .map(std::path::PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| std::path::Path::new(&h).join(".pyenv")));
        if let Some(Ok(entries)) = root.map(|r| std::fs::read_dir(r.join("versions"))) {
            let mut found: Vec<std::path::PathBuf> = entries
                .flatten()
                .filter(|e| {
                    e.file_name()
                        .to_string_lossy()
                        .starts_with(&format!("{v}."))
                })
                .map(|e| e.path().join("bin").join(format!("python{v}")))
                .filter(|p| p.is_file())
                .collect();
            found.sort_by(|a, b| b.cmp(a));
            candidates.extend(found.into_iter().map(|p| p.display().to_string()));
        }
        for c in candidates {
            if let Ok(p) = probe_python(&c) {
                if matches(&p) {
                    return Ok(p);
                }
            }
        }
    }
    python()
}

fn probe_python(exe: &str) -> Result<Python, String> {
    let exe = exe.to_string();
    let out = Cmd::new(&exe)
        .args([
            "-c",
            "import sys, venv, ensurepip; print('%d.%d.%d' % sys.version_info[:3])",
        ])
        .quiet()
        .deadline(Duration::from_secs(20))
        .run();
    match out {
        Ok(o) => Ok(Python {
            exe,
            version: o.stdout.trim().to_string(),
        }),
        Err(e) if e.is_missing_program() => Err(format!(
            "{exe} not found (install python3 and python3-venv)"
        )),
        Err(e) => Err(format!(
            "{exe} cannot create venvs (install python3-venv): {}",
            crate::process::tail(&e.output(), 2)
        )),
    }
}

/// The docker engine, as the image tier uses it.
#[derive(Debug, Clone)]
pub struct Docker {
    pub server_version: String,
    pub api_version: String,
}

/// The docker engine, asked once per process (every lesson's image tier and the cluster tier ask).
pub fn docker() -> Result<Docker, String> {
    static ENGINE: std::sync::OnceLock<Result<Docker, String>> = std::sync::OnceLock::new();
    ENGINE.get_or_init(ask_docker).clone()
}

fn ask_docker() -> Result<Docker, String> {
    let out = Cmd::new("docker")
        .args([
            "version",
            "--format",
            "{{.Server.Version}} {{.Server.APIVersion}}",
        ])
        .quiet()
        .deadline(Duration::from_secs(20))
        .run();
    match out {
        Ok(o) => {
            let mut w = o.stdout.split_whitespace();
            Ok(Docker {
                server_version: w.next().unwrap_or("").to_string(),
                api_version: w.next().unwrap_or("").to_string(),
            })
        }
        Err(e) if e.is_missing_program() => {
            Err("docker not found (install docker.io and start the engine)".into())
        }
        // the client is there and was pointed elsewhere: that setting is what to look at
        Err(e) => Err(match std::env::var("DOCKER_HOST") {
            Ok(host) if !host.is_empty() => format!(
                "DOCKER_HOST={host} does not answer (start the engine it names, or unset DOCKER_HOST for the local one): {}",
                crate::process::tail(&e.output(), 1)
            ),
            _ => format!(
                "the docker engine does not answer: {}",
                crate::process::tail(&e.output(), 1)
            ),
        }),
    }
}

/// The outcome of a tier that cannot run here: skipped with the reason, or failed when required.
pub fn unavailable(
    check: &str,
    title: &str,
    tier: Tier,
    lesson: &str,
    line: usize,
    reason: &str,
) -> Outcome {
    if required(tier) {
        let mut o = Outcome::failed(
            check,
            title,
            tier,
            lesson,
            vec![Finding::new(check, lesson, line)
                .expected(format!("the {} tier to run (YADOC_REQUIRE includes it)", tier.as_str()))
                .observed(reason.to_string())
                .fix("install the prerequisite (yadoc doctor lists them), or unset YADOC_REQUIRE to allow skipping")],
        );
        o.status = Status::Failed;
        o.prerequisite_missing = Some(reason.to_string());
        o
    } else {
        let mut o = Outcome::skipped(check, title, tier, lesson, reason);
        o.prerequisite_missing = Some(reason.to_string());
        o
    }
}

/// The outcome of a tier whose app cannot run: not applicable when the lesson builds none; when a
/// lesson defect stops it (reported by its static check), not applicable too, but failed when
/// YADOC_REQUIRE requires the tier: the lesson meant it to run.
pub fn not_runnable(
    check: &str,
    title: &str,
    tier: Tier,
    lesson: &str,
    why: &super::spec::NotRunnable,
) -> Outcome {
    if why.defect && required(tier) {
        Outcome::failed(
            check,
            title,
            tier,
            lesson,
            vec![Finding::new(check, lesson, why.line)
                .expected(format!(
                    "the {} tier to run the lesson's app (YADOC_REQUIRE includes it)",
                    tier.as_str()
                ))
                .observed(format!("it cannot: {}", why.reason))
                .fix("fix the lesson as its static finding says")],
        )
    } else {
        Outcome::not_applicable(check, title, tier, lesson, why.reason.clone())
    }
}
