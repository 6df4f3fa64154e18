//! The app tier: install what the lesson's image installs (requirements.txt as written, and the
//! Dockerfile's `RUN pip install` requirements) into a cached venv, start the app the
//! way the Dockerfile's CMD starts it (on a free port on 127.0.0.1), and check it answers as the
//! lesson says.

use std::time::Duration;

use super::answer::last_error_line;
use super::http::{free_port, wait_for, Reply, Target, WaitFailure};
use super::prereq;
use super::spec::{pip_package, AppSpec};
use super::venv::{self, VenvError};
use crate::checks::finding::{Examined, Finding, Outcome, Tier};
use crate::diagnose::diagnose;
use crate::lesson::dockerfile::Server;
use crate::lesson::Lesson;
use crate::process::{tail, Cmd};

pub const INSTALL: &str = "app.install";
pub const SERVE: &str = "app.serve";
const INSTALL_TITLE: &str = "requirements.txt installs as written";
const SERVE_TITLE: &str = "the app answers as the lesson says";

/// Deadlines of the app tier.
const PIP_DEADLINE: Duration = Duration::from_secs(600);
const READY_DEADLINE: Duration = Duration::from_secs(30);

/// Runs a Flask script as `python app.py` does, with `app.run()` bound to 127.0.0.1:$YADOC_PORT and
/// no reloader; if Flask itself does not import, the script runs unpatched and fails as it would.
const LAUNCHER: &str = r#"
import os, runpy, sys
script = sys.argv[1]
try:
    import flask
    _run = flask.Flask.run
    def run(self, host=None, port=None, debug=None, load_dotenv=True, **options):
        options["use_reloader"] = False
        return _run(self, host="127.0.0.1", port=int(os.environ["YADOC_PORT"]), debug=debug, load_dotenv=load_dotenv, **options)
    flask.Flask.run = run
except Exception:
    pass
sys.argv = [script]
runpy.run_path(script, run_name="__main__")
"#;

pub fn run(lesson: &Lesson) -> Vec<Outcome> {
    let name = lesson.file_name();
    let spec = match AppSpec::of(lesson) {
        Ok(s) => s,
        Err(why) => {
            return vec![prereq::not_runnable(
                SERVE,
                SERVE_TITLE,
                Tier::App,
                &name,
                &why,
            )]
        }
    };
    let want = spec.base_python();
    let python = match prereq::python_for(want.as_deref()) {
        Ok(p) => p,
        Err(reason) => {
            return vec![prereq::unavailable(
                INSTALL,
                INSTALL_TITLE,
                Tier::App,
                &name,
                spec.cmd_line,
                &reason,
            )]
        }
    };
    // the host's Python differs from the image's: a failure then may be the version's, not the lesson's
    let differs = want
        .clone()
        .filter(|v| !python.version.starts_with(&format!("{v}.")));
    let mut notes = vec![match &differs {
        Some(v) if std::env::var_os("YADOC_PYTHON").is_some() => format!(
            "Python {} from {}: YADOC_PYTHON={} overrides the search for a Python {v}, the lesson's image's (FROM {} at {name}:{})",
            python.version,
            python.exe,
            python.exe,
            spec.base_image,
            spec.from_line
        ),
        Some(v) => format!(
            "Python {} from {}: the lesson's image has Python {v} (FROM {} at {name}:{}), and no Python {v} was found here (python{v} on PATH, pyenv, YADOC_PYTHON)",
            python.version, python.exe, spec.base_image, spec.from_line
        ),
        None => format!(
            "Python {} from {}, as the lesson's image (FROM {} at {name}:{})",
            python.version, python.exe, spec.base_image, spec.from_line
        ),
    }];
    let mut requirements = spec
        .requirements
        .map(|r| r.text().to_string())
        .unwrap_or_default();
    // what the image installs besides requirements.txt: `RUN pip install flask==2.0.1 gunicorn`
    let from_run: Vec<(usize, String)> = spec
        .parsed
        .instructions
        .iter()
        .filter(|i| i.keyword == "RUN")
        .flat_map(|i| {
            crate::checks::docker::pip_install_args(&i.args)
                .into_iter()
                .map(move |a| (i.line, a))
        })
        .collect();
    if !from_run.is_empty() {
        if !requirements.is_empty() && !requirements.ends_with('\n') {
            requirements.push('\n');
        }
        for (_, a) in &from_run {
            requirements.push_str(a);
            requirements.push('\n');
        }
        notes.push(format!(
            "installs what the image installs: {}{}",
            if spec.requirements.is_some() {
                "requirements.txt and "
            } else {
                ""
            },
            from_run
                .iter()
                .map(|(l, a)| format!(
                    "`{a}` (RUN pip install, {name}:{})",
                    spec.dockerfile.lesson_line(*l)
                ))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }

    // requirements.txt, exactly as the lesson writes it
    let started = std::time::Instant::now();
    let venv = match venv::ensure(&requirements, &python.exe, &python.version, PIP_DEADLINE) {
        Ok(v) => v,
        Err(e) => {
            let output = match &e {
                VenvError::Install(p) | VenvError::Create(p) => p.output(),
                other => other.to_string(),
            };
            let d = diagnose(&output);
            let package = d
                .as_ref()
                .and_then(|d| d.requirement.clone())
                .or_else(|| pip_package(&output));
            let f = Finding::new(INSTALL, &name, spec.requirement_line(package.as_deref()))
                .expected(format!(
                    "`pip install -r requirements.txt` to succeed with Python {}",
                    python.version
                ))
                .observed(format!("{e}: {}", last_error_line(&output)))
                .fix(
                    d.as_ref()
                        .map(|d| d.fix.clone())
                        .unwrap_or_else(|| format!("read pip's output:\n{}", tail(&output, 12))),
                )
                .diagnosis(d.map(|d| d.line()));
            let outcomes = vec![
                Outcome::failed(INSTALL, INSTALL_TITLE, Tier::App, &name, vec![f])
                    .with_notes(notes),
            ];
            return host_python_verdict(outcomes, &python, differs.as_deref(), spec.cmd_line);
        }
    };
    let installed: Vec<&str> = venv.freeze.lines().collect();
    if let Some(why) = &venv.rebuilt {
        notes.push(why.clone());
    }
    notes.push(format!(
        "venv {} ({}): {}",
        venv.dir.display(),
        if venv.cached { "cache hit" } else { "created" },
        installed.join(" ")
    ));
    let mut examined = Examined::new();
    let listed = spec.requirements.map(|r| r.text()).unwrap_or("");
    for r in listed
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        examined.saw(format!("requirements.txt: {r}"));
    }
    for (l, a) in &from_run {
        examined.saw(format!(
            "Dockerfile line {}: pip install {a}",
            spec.dockerfile.lesson_line(*l)
        ));
    }
    let install = Outcome::examined(
        INSTALL,
        INSTALL_TITLE,
        Tier::App,
        &name,
        examined,
        "the lesson has no requirements.txt (or it lists nothing)",
    )
    .with_notes(notes)
    .timed(started);
    let serving = std::time::Instant::now();
    let outcomes = vec![install, serve(&spec, &venv).timed(serving)];
    host_python_verdict(outcomes, &python, differs.as_deref(), spec.cmd_line)
}

/// On a host whose Python differs from the image's, a failure says nothing certain about the lesson
/// (gunicorn 20.1 on Python 3.12 fails for want of pkg_resources; on 3.9 it does not): it is reported
/// as the missing prerequisite it is — skipped with the reason, failed under YADOC_REQUIRE — and
/// never as a lesson finding or known drift. A pass on another Python stays a pass, with its note.
fn host_python_verdict(
    outcomes: Vec<Outcome>,
    python: &prereq::Python,
    image_python: Option<&str>,
    line: usize,
) -> Vec<Outcome> {
    let Some(v) = image_python else {
        return outcomes;
    };
    outcomes
        .into_iter()
        .map(|o| {
            if o.status != crate::checks::finding::Status::Failed {
                return o;
            }
            let seen = o
                .findings
                .first()
                .map(|f| f.observed.clone())
                .unwrap_or_default();
            let reason = format!(
                "the app failed on this machine's Python {} ({seen}), but the lesson's image runs Python {v}: no Python {v} here to tell a lesson defect from a version difference (install it: pyenv install {v}, actions/setup-python; or set YADOC_PYTHON)",
                python.version
            );
            let mut n = prereq::unavailable(&o.check, &o.title, Tier::App, &o.lesson, line, &reason);
            n.notes = o.notes;
            n
        })
        .collect()
}

fn serve(spec: &AppSpec, venv: &venv::Venv) -> Outcome {
    let name = spec.lesson.file_name();
    let fail = |f: Finding, notes: Vec<String>| {
        Outcome::failed(SERVE, SERVE_TITLE, Tier::App, &name, vec![f]).with_notes(notes)
    };
    let here = |line| Finding::new(SERVE, &name, line);
    let ws = match super::workspace::Workspace::new("app", spec.lesson, None) {
        Ok(ws) => ws,
        Err(e) => {
            return fail(
                here(spec.cmd_line)
                    .expected("a directory with the lesson's files")
                    .observed(e)
                    .fix("free disk space in the temp dir"),
                vec![],
            )
        }
    };
    let dir = &ws.files;
    let port = match free_port() {
        Ok(p) => p,
        Err(e) => {
            return fail(
                here(spec.cmd_line)
                    .expected("a free port on 127.0.0.1")
                    .observed(e.to_string())
                    .fix("free a port"),
                vec![],
            )
        }
    };
    let literal = spec.argv.join(" ");
    let (cmd, how) = match &spec.server {
        Server::Python { script } => (
            Cmd::new(venv.bin("python"))
                .python_isolated()
                .args(["-c", LAUNCHER])
                .arg(script)
                .env("YADOC_PORT", port.to_string())
                .shown_as(format!("{} -c <yadoc launcher: app.run → 127.0.0.1:{port}> {script}", venv.bin("python").display())),
            format!("`{literal}` with app.run() bound to 127.0.0.1:{port} and the reloader off (yadoc only listens on loopback)"),
        ),
        Server::Gunicorn { .. } => {
            let mut args: Vec<String> = spec.argv[1..].to_vec();
            rewrite_bind(&mut args, &format!("127.0.0.1:{port}"));
            let shown = format!("gunicorn {}", args.join(" "));
            (Cmd::new(venv.bin("gunicorn")).python_isolated().args(args), format!("`{shown}` (the lesson's CMD `{literal}`, bound to loopback on a free port)"))
        }
        Server::Other { program } => {
            return Outcome::not_applicable(SERVE, SERVE_TITLE, Tier::App, &name, format!("the CMD runs `{program}`, which yadoc cannot start natively (the image tier runs it)"));
        }
    };
    let notes = vec![format!("started as {how}")];
    let log = dir.join(".yadoc-app.log");
    let mut server = match cmd.dir(dir).spawn(&log) {
        Ok(s) => s,
        Err(e) => {
            return fail(
                here(spec.cmd_line)
                    .expected(format!("{} to start", spec.argv[0]))
                    .observed(e.to_string())
                    .fix("check the venv"),
                notes,
            )
        }
    };
    let target = Target::local(format!("http://127.0.0.1:{port}{}", spec.expected.path));
    let waited = wait_for(
        &target,
        super::http::ready_deadline(READY_DEADLINE),
        |_| true,
        || server.exited(),
    )
    .and_then(|reply| answered_by_the_app(reply, port, &server));
    let output = server.log();
    if waited.is_ok() {
        server.stop();
    } else {
        server.kill();
    }
    super::answer::judge(
        spec,
        &super::answer::Who {
            check: SERVE,
            title: SERVE_TITLE,
            tier: Tier::App,
            name: "app",
        },
        waited,
        &output,
        notes,
    )
}

/// An answer counts only when the started server gave it: the socket on `port` belongs to its
/// process group, and the server is still running without a traceback in its output.
fn answered_by_the_app(
    reply: Reply,
    port: u16,
    server: &crate::process::Background,
) -> Result<Reply, WaitFailure> {
    let holders = super::listener::holders(port).map_err(WaitFailure::NotTheApp)?;
    let ours = server.pgid();
    if !holders.iter().any(|h| Some(h.pgid) == ours) {
        let who = if holders.is_empty() {
            "a process yadoc cannot inspect".to_string()
        } else {
            holders
                .iter()
                .map(|h| format!("pid {} (`{}`)", h.pid, h.cmdline))
                .collect::<Vec<_>>()
                .join(", ")
        };
        return Err(WaitFailure::NotTheApp(format!(
            "HTTP {} on 127.0.0.1:{port} came from {who}, not from the app yadoc started (process group {}): the app never held the port",
            reply.status,
            ours.map(|p| p.to_string()).unwrap_or_else(|| "unknown".into())
        )));
    }
    if let Some(status) = server.exited() {
        return Err(WaitFailure::NotTheApp(format!(
            "the app answered HTTP {}, then exited ({status})",
            reply.status
        )));
    }
    if server.log().contains("Traceback (most recent call last)") {
        return Err(WaitFailure::NotTheApp(format!(
            "the app answered HTTP {}, but its output has a traceback: {}",
            reply.status,
            last_error_line(&server.log())
        )));
    }
    Ok(reply)
}

/// Replace gunicorn's bind address (`--bind X`, `-b X`, `--bind=X`), or add one.
pub fn rewrite_bind(args: &mut Vec<String>, to: &str) {
    let mut i = 0;
    while i < args.len() {
        if (args[i] == "--bind" || args[i] == "-b") && i + 1 < args.len() {
            args[i + 1] = to.to_string();
            return;
        }
        if args[i].starts_with("--bind=") {
            args[i] = format!("--bind={to}");
            return;
        }
        i += 1;
    }
    args.insert(0, to.to_string());
    args.insert(0, "--bind".into());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok_reply() -> Reply {
        Reply {
            status: 200,
            body: b"hello".to_vec(),
            elapsed: Duration::from_millis(1),
        }
    }

    fn started(argv: &[&str], dir: &std::path::Path) -> crate::process::Background {
        let log = tempfile::NamedTempFile::new_in(dir)
            .unwrap()
            .into_temp_path();
        Cmd::new(argv[0])
            .args(&argv[1..])
            .quiet()
            .spawn(&log.keep().unwrap())
            .expect("spawn")
    }

    #[test]
    fn an_answer_from_another_process_on_the_port_is_not_the_apps() {
        // the test process holds the port, as a process that bound it before gunicorn could would
        let squatter = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = squatter.local_addr().unwrap().port();
        let dir = tempfile::tempdir().unwrap();
        let app = started(&["sleep", "30"], dir.path());
        match answered_by_the_app(ok_reply(), port, &app) {
            Err(WaitFailure::NotTheApp(why)) => assert!(
                why.contains(&format!("pid {}", std::process::id()))
                    && why.contains("not from the app yadoc started"),
                "{why}"
            ),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_answer_from_the_started_process_group_counts_unless_it_logged_a_traceback() {
        let port = free_port().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let listen = format!(
            "import socket,time; s=socket.socket(); s.bind(('127.0.0.1',{port})); s.listen(); print('listening', flush=True); time.sleep(30)"
        );
        let app = started(&["python3", "-c", &listen], dir.path());
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while !app.log().contains("listening") && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(answered_by_the_app(ok_reply(), port, &app).is_ok());

        // the same, having logged a traceback (a worker that failed while the master listens)
        let port = free_port().unwrap();
        let failing = started(
            &["python3", "-c", &format!("import socket,sys,time; s=socket.socket(); s.bind(('127.0.0.1',{port})); s.listen(); print('Traceback (most recent call last):\\nImportError: boom', flush=True); time.sleep(30)")],
            dir.path(),
        );
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while !failing.log().contains("boom") && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        match answered_by_the_app(ok_reply(), port, &failing) {
            Err(WaitFailure::NotTheApp(why)) => assert!(why.contains("traceback"), "{why}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn rewrites_the_gunicorn_bind_to_loopback() {
        let mut a: Vec<String> = ["--bind", "0.0.0.0:5000", "app:app"]
            .map(String::from)
            .to_vec();
        rewrite_bind(&mut a, "127.0.0.1:9");
        assert_eq!(a, ["--bind", "127.0.0.1:9", "app:app"]);
        let mut b: Vec<String> = vec!["app:app".into()];
        rewrite_bind(&mut b, "127.0.0.1:9");
        assert_eq!(b, ["--bind", "127.0.0.1:9", "app:app"]);
    }
}
