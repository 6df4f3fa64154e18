//! The Dockerfile agrees with the app and the manifests: it parses, the CMD's program is installed and
//! its target exists, COPY sources exist, and EXPOSE / the bound port / containerPort are one port.

use serde_json::Value;

use super::context::{at, join, pod_templates, Ctx};
use super::finding::Examined;
use crate::lesson::dockerfile::{flask_run, server_of, Server};
use crate::lesson::image_ref::same;
use crate::lesson::steps::StepKind;

pub const SYNTAX: &str = "dockerfile.syntax";
pub const PORT: &str = "docker.port";
pub const CMD_INSTALLED: &str = "docker.cmd-installed";
pub const CMD_TARGET: &str = "docker.cmd-target";
pub const COPY_SOURCE: &str = "docker.copy-source";

pub fn syntax(ctx: &Ctx) -> Examined {
    let mut out = Examined::new();
    if let Some((a, parsed)) = &ctx.dockerfile {
        out.saw(format!("Dockerfile (line {})", a.lesson_line(1)));
        if let Err(e) = parsed {
            out.found(
                ctx.finding(SYNTAX, a.lesson_line(e.line))
                    .expected("a Dockerfile docker can build")
                    .observed(e.message.clone())
                    .fix("fix the instruction (see the Dockerfile reference)"),
            );
        }
    }
    out
}

/// The port the app listens on, from the CMD (gunicorn --bind) or the Flask script (`app.run`).
pub(crate) fn bound_port(ctx: &Ctx) -> Option<(u16, String, usize, String)> {
    let (a, d) = ctx.docker()?;
    let (line, argv) = d.cmd()?;
    let line = a.lesson_line(line);
    match server_of(&argv)? {
        Server::Gunicorn {
            bind: Some((host, port)),
            ..
        } => Some((
            port,
            host.clone(),
            line,
            format!("gunicorn --bind {host}:{port}"),
        )),
        Server::Gunicorn { bind: None, .. } => Some((
            8000,
            "127.0.0.1".into(),
            line,
            "gunicorn without --bind (default 127.0.0.1:8000)".into(),
        )),
        Server::Python { script } => {
            let app = ctx.lesson.file(&script)?;
            let (run_line, port, host, call) = flask_run(app.text())?;
            Some((
                port,
                host,
                app.lesson_line(run_line),
                format!("{script}: {call}"),
            ))
        }
        Server::Other { .. } => None,
    }
}

/// The tags the lesson's `docker build -t` steps make.
fn built_tags(ctx: &Ctx) -> Vec<String> {
    ctx.steps()
        .filter_map(|(_, k)| match k {
            StepKind::DockerBuild { tag, .. } => Some(tag.clone()),
            _ => None,
        })
        .collect()
}

/// Whether a pod of the lesson runs the image the lesson builds (docker.port then compares its
/// containerPort with the app's port).
pub(crate) fn deploys_built_image(ctx: &Ctx) -> bool {
    let built = built_tags(ctx);
    pod_templates(ctx).iter().any(|(m, tpl)| {
        at(m.value().unwrap_or(&Value::Null), &join(tpl, "spec"))["containers"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c["image"].as_str())
            .any(|image| built.iter().any(|t| same(t, image)))
    })
}

pub fn port(ctx: &Ctx) -> Examined {
    let mut out = Examined::new();
    let Some((a, d)) = ctx.docker() else {
        return out;
    };
    let Some((port, host, line, how)) = bound_port(ctx) else {
        return out;
    };
    out.saw(format!("{how} (line {line})"));
    if host != "0.0.0.0" && host != "::" && host != "[::]" {
        out.found(
            ctx.finding(PORT, line)
                .expected("the app to listen on 0.0.0.0 inside the container")
                .observed(format!(
                    "{how} listens on {host} only; nothing outside the container can connect"
                ))
                .fix("bind 0.0.0.0 (app.run(host='0.0.0.0') or gunicorn --bind 0.0.0.0:PORT)"),
        );
    }
    let exposed = d.exposed();
    if !exposed.is_empty() {
        out.saw(format!("EXPOSE at line {}", a.lesson_line(exposed[0].0)));
    }
    if !exposed.is_empty() && !exposed.iter().any(|(_, p)| *p == port) {
        out.found(
            ctx.finding(PORT, a.lesson_line(exposed[0].0))
                .expected(format!(
                    "EXPOSE {port}, the port the app listens on ({how}, line {line})"
                ))
                .observed(format!(
                    "EXPOSE {}",
                    exposed
                        .iter()
                        .map(|(_, p)| p.to_string())
                        .collect::<Vec<_>>()
                        .join(" ")
                ))
                .fix(format!("EXPOSE {port}")),
        );
    }
    let built = built_tags(ctx);
    for (m, tpl) in pod_templates(ctx) {
        let spec = join(&tpl, "spec");
        for (ci, c) in at(m.value().unwrap_or(&Value::Null), &spec)["containers"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
        {
            let Some(image) = c["image"].as_str() else {
                continue;
            };
            if !built.iter().any(|t| same(t, image)) {
                continue;
            }
            for (pi, p) in c["ports"].as_array().into_iter().flatten().enumerate() {
                out.saw(format!(
                    "{} containerPort {} (image {image})",
                    m.label(),
                    p["containerPort"]
                ));
                if p["containerPort"]
                    .as_i64()
                    .is_some_and(|cp| cp != i64::from(port))
                {
                    out.found(
                        ctx.finding(PORT, m.line(&format!("{spec}.containers[{ci}].ports[{pi}].containerPort")))
                            .expected(format!("containerPort {port}, the port the app listens on ({how}, line {line})"))
                            .observed(format!("containerPort {} in {}", p["containerPort"], m.label()))
                            .fix(format!("set containerPort to {port} (and the Service's targetPort with it)")),
                    );
                }
            }
        }
    }
    out
}

fn requirement_names(ctx: &Ctx) -> Vec<String> {
    // `RUN pip install flask gunicorn` installs what it names, as a requirements file does
    let run: Vec<String> = ctx
        .docker()
        .map(|(_, d)| {
            d.instructions
                .iter()
                .filter(|i| i.keyword == "RUN")
                .flat_map(|i| pip_installs(&i.args))
                .collect()
        })
        .unwrap_or_default();
    run.into_iter()
        .chain(
            ctx.lesson
                .files
                .iter()
                .filter(|f| f.name.ends_with(".txt") && f.name.contains("requirements"))
                .flat_map(|f| {
                    f.text()
                        .lines()
                        .map(|l| {
                            l.split(['=', '<', '>', '~', '!', '[', ' '])
                                .next()
                                .unwrap_or("")
                                .trim()
                                .to_ascii_lowercase()
                        })
                        .collect::<Vec<_>>()
                })
                .filter(|n| !n.is_empty()),
        )
        .collect()
}

/// A file a command makes (`touch app.py`) or that may come from outside the lesson.
fn made_elsewhere(ctx: &Ctx, file: &str) -> bool {
    ctx.made_by_commands().iter().any(|(f, _)| f == file) || ctx.elsewhere().is_some()
}

/// Package names a `pip install …` command line installs (not `-r FILE`, not flags).
pub fn pip_installs(line: &str) -> Vec<String> {
    pip_install_args(line)
        .iter()
        .map(|a| {
            a.split(['=', '<', '>', '~', '!', '['])
                .next()
                .unwrap_or("")
                .to_ascii_lowercase()
        })
        .filter(|n| !n.is_empty())
        .collect()
}

/// The requirement arguments of `pip install …` in a command line, as written (`flask==2.0.1`).
pub fn pip_install_args(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    for cmd in line.split("&&") {
        let words: Vec<&str> = cmd.split_whitespace().collect();
        let Some(i) = words
            .windows(2)
            .position(|w| w[0].starts_with("pip") && w[1] == "install")
        else {
            continue;
        };
        let mut skip = false;
        for w in &words[i + 2..] {
            if skip {
                skip = false;
                continue;
            }
            if matches!(
                *w,
                "-r" | "--requirement" | "-c" | "--constraint" | "-i" | "--index-url"
            ) {
                skip = true;
                continue;
            }
            if w.starts_with('-') {
                continue;
            }
            let arg = w.trim_matches(['"', '\'']);
            if !arg.is_empty() && !arg.contains('/') && arg != "." {
                out.push(arg.to_string());
            }
        }
    }
    out
}

/// The program the CMD starts (gunicorn) and the framework the app imports (flask) are installed.
pub fn cmd_installed(ctx: &Ctx) -> Examined {
    let mut out = Examined::new();
    let Some((a, d)) = ctx.docker() else {
        return out;
    };
    let reqs = requirement_names(ctx);
    // a requirements file a command writes (`pip3 freeze > requirements.txt`) has content the
    // lesson does not show: what it installs is unknown
    if let Some((f, at)) = ctx
        .made_by_commands()
        .into_iter()
        .find(|(f, _)| f.contains("requirements") && ctx.lesson.file(f).is_none())
    {
        out.note(format!(
            "{f} is written by the command at line {at}; what it installs is not shown, so not checked"
        ));
        return out;
    }
    // `pip install -r requirements.txt` of a file the lesson never shows (a clone brings it): what
    // it installs is unknown, not empty
    let shown = ctx
        .lesson
        .files
        .iter()
        .any(|f| f.name.ends_with(".txt") && f.name.contains("requirements"));
    let reads_file = d.instructions.iter().any(|i| {
        i.keyword == "RUN" && (i.args.contains(" -r ") || i.args.contains("--requirement"))
    });
    if !shown && reads_file {
        out.note(
            "the Dockerfile installs a requirements file the lesson does not show: what it installs is unknown, so not checked",
        );
        return out;
    }
    if let Some((line, argv)) = d.cmd() {
        let program = argv.first().cloned().unwrap_or_default();
        if [
            "gunicorn",
            "uvicorn",
            "flask",
            "waitress-serve",
            "hypercorn",
        ]
        .contains(&program.as_str())
        {
            out.saw(format!("CMD `{program}` (line {})", a.lesson_line(line)));
            let package = if program == "waitress-serve" {
                "waitress".to_string()
            } else {
                program.clone()
            };
            if !reqs.contains(&package) {
                out.found(
                    ctx.finding(CMD_INSTALLED, a.lesson_line(line))
                        .expected(format!(
                            "{package} in requirements.txt: the CMD runs `{program}`"
                        ))
                        .observed(format!(
                            "requirements.txt installs only: {}",
                            reqs.join(", ")
                        ))
                        .fix(format!("add `{package}==<version>` to requirements.txt")),
                );
            }
        }
    }
    for f in ctx.lesson.files.iter().filter(|f| f.name.ends_with(".py")) {
        for (i, l) in f.text().lines().enumerate() {
            let module = l
                .strip_prefix("from ")
                .or_else(|| l.strip_prefix("import "))
                .and_then(|r| r.split([' ', '.', ',']).next());
            if let Some(m) =
                module.filter(|m| ["flask", "gunicorn", "requests", "fastapi"].contains(m))
            {
                out.saw(format!("{}:{} imports {m}", f.name, i + 1));
                if !reqs.contains(&m.to_string()) {
                    out.found(
                        ctx.finding(CMD_INSTALLED, f.lesson_line(i + 1))
                            .expected(format!("{m} in requirements.txt: {} imports it", f.name))
                            .observed(format!(
                                "requirements.txt installs only: {}",
                                reqs.join(", ")
                            ))
                            .fix(format!("add `{m}==<version>` to requirements.txt")),
                    );
                }
            }
        }
    }
    out
}

/// `python app.py` needs app.py; `gunicorn app:app` needs app.py defining `app`; and a Dockerfile
/// needs a CMD (or ENTRYPOINT) to start anything.
pub fn cmd_target(ctx: &Ctx) -> Examined {
    let mut out = Examined::new();
    let Some((a, d)) = ctx.docker() else {
        return out;
    };
    out.saw(format!("Dockerfile (line {})", a.lesson_line(1)));
    let Some((line, argv)) = d.cmd() else {
        if d.last("ENTRYPOINT").is_some() {
            return out;
        }
        // the base image's own command serves when it is a server's image (nginx, httpd, …);
        // a language runtime's or an OS's (python, node, alpine, …) serves nothing
        let base = d.base_image().unwrap_or("");
        let repo = base.split([':', '@']).next().unwrap_or(base);
        let repo = repo.rsplit('/').next().unwrap_or(repo);
        const SERVES_NOTHING: &[&str] = &[
            "python",
            "node",
            "ruby",
            "golang",
            "openjdk",
            "eclipse-temurin",
            "alpine",
            "debian",
            "ubuntu",
            "busybox",
            "centos",
            "fedora",
            "rockylinux",
            "amazonlinux",
            "php",
        ];
        if !SERVES_NOTHING.contains(&repo) {
            out.note(format!(
                "no CMD: the image runs {base}'s own command; not judged"
            ));
            return out;
        }
        let last = d.instructions.last().map(|i| i.line).unwrap_or(1);
        out.found(
            ctx.finding(CMD_TARGET, a.lesson_line(last))
                .expected("a CMD (or ENTRYPOINT) that starts the app")
                .observed(format!("the Dockerfile has none: the image inherits {base}'s command (a shell or a REPL), which serves nothing"))
                .fix("end the Dockerfile with the command that starts the app, e.g. CMD [\"python\", \"app.py\"]"),
        );
        return out;
    };
    let line = a.lesson_line(line);
    let (file, var) = match server_of(&argv) {
        Some(Server::Python { script }) => (script, None),
        Some(Server::Gunicorn { module, app, .. }) => {
            (format!("{}.py", module.replace('.', "/")), Some(app))
        }
        _ => return out,
    };
    // an absolute path in the image (`/usr/src/app/app.py`) is the file a COPY put there
    let file = if file.starts_with('/') {
        let base = file.rsplit('/').next().unwrap_or(&file).to_string();
        d.copy_sources()
            .into_iter()
            .map(|(_, src)| src.trim_start_matches("./").to_string())
            .find(|src| src.rsplit('/').next() == Some(base.as_str()))
            .unwrap_or(file)
    } else {
        file
    };
    let Some(f) = ctx.lesson.file(&file) else {
        let py: Vec<&str> = ctx
            .lesson
            .files
            .iter()
            .filter(|f| f.name.ends_with(".py"))
            .map(|f| f.name.as_str())
            .collect();
        // a lesson that shows no Python file at all builds code from elsewhere
        if py.is_empty() || made_elsewhere(ctx, &file) {
            out.note(format!(
                "{file}, which the CMD runs, is not shown{}; not checked",
                ctx.elsewhere()
                    .map(|w| format!(" ({w})"))
                    .unwrap_or_default()
            ));
            return out;
        }
        out.found(
            ctx.finding(CMD_TARGET, line)
                .expected(format!("{file}, which the CMD runs"))
                .observed(format!(
                    "the lesson's Python files: {}",
                    if py.is_empty() {
                        "(none)".into()
                    } else {
                        py.join(", ")
                    }
                ))
                .fix(format!(
                    "name the app file {file} in the text, or change the CMD"
                )),
        );
        return out;
    };
    if let Some(var) = var {
        let defined = f
            .text()
            .lines()
            .any(|l| l.starts_with(&format!("{var} =")) || l.starts_with(&format!("{var}=")));
        if !defined {
            out.found(
                ctx.finding(CMD_TARGET, line)
                    .expected(format!(
                        "{file} to define `{var}` (gunicorn loads {}:{var})",
                        file.trim_end_matches(".py")
                    ))
                    .observed(format!("no top-level `{var} = …` in {file}"))
                    .fix(format!(
                        "name the Flask object `{var}` or change the CMD's module:variable"
                    )),
            );
        }
    }
    out
}

/// Files the Dockerfile COPYs are files of the lesson.
pub fn copy_source(ctx: &Ctx) -> Examined {
    let mut out = Examined::new();
    let Some((a, d)) = ctx.docker() else {
        return out;
    };
    let made = ctx.made_by_commands();
    for (line, src) in d.copy_sources() {
        if matches!(src.as_str(), "." | "./") || src.contains('*') {
            continue;
        }
        out.saw(format!("COPY {src} (line {})", a.lesson_line(line)));
        let name = src.trim_start_matches("./");
        if let Some((_, at)) = made.iter().find(|(f, _)| f == name) {
            out.note(format!(
                "COPY {src}: made by the command at line {at}, content not shown"
            ));
            continue;
        }
        // a lesson that shows no file of the build context (only its Dockerfile and manifests)
        // builds a context that comes from elsewhere
        let context_shown = ctx.lesson.files.iter().any(|f| {
            f.name != "Dockerfile" && !f.name.ends_with(".yaml") && !f.name.ends_with(".yml")
        });
        if ctx.lesson.file(name).is_none() && !context_shown {
            out.note(format!(
                "COPY {src}: the lesson shows no file of the build context (only its Dockerfile), so the context comes from elsewhere; not checked"
            ));
            continue;
        }
        if ctx.lesson.file(name).is_none() && ctx.elsewhere().is_some() {
            out.note(format!(
                "COPY {src}: not shown ({})",
                ctx.elsewhere().unwrap_or_default()
            ));
            continue;
        }
        if ctx.lesson.file(name).is_none() {
            out.found(
                ctx.finding(COPY_SOURCE, a.lesson_line(line))
                    .expected(format!("{src} among the lesson's files ({})", ctx.lesson.files.iter().map(|f| f.name.as_str()).collect::<Vec<_>>().join(", ")))
                    .observed(format!("COPY {src}: the lesson never shows it, so docker build fails (\"{src}\": not found)"))
                    .fix(format!("show {src} in the lesson, or COPY a file it has")),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOCKERFILE: &str = "Create a file named Dockerfile:\n\n```dockerfile\nFROM python:3.9\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt\nCMD [\"gunicorn\", \"--bind\", \"0.0.0.0:5000\", \"app:app\"]\n```\n";

    #[test]
    fn a_requirements_file_the_lesson_never_shows_installs_what_is_unknown_not_nothing() {
        let cloned =
            format!("```bash\ngit clone https://example.com/app.git\ncd app\n```\n\n{DOCKERFILE}");
        let e = crate::checks::examined_on(cmd_installed, &cloned);
        assert!(e.findings.is_empty(), "{:#?}", e.findings);
        assert!(
            e.notes.iter().any(|n| n.contains("does not show")),
            "{:?}",
            e.notes
        );
        // shown, without gunicorn: the CMD cannot start
        let shown = format!(
            "{DOCKERFILE}\nCreate a file named requirements.txt:\n\n```text\nFlask==2.1.0\n```\n"
        );
        let f = crate::checks::examined_on(cmd_installed, &shown).findings;
        assert_eq!(f.len(), 1, "{f:#?}");
        assert!(
            f[0].observed.contains("installs only: flask"),
            "{}",
            f[0].observed
        );
    }
}
