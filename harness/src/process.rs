//! The one process wrapper: every external command (python, pip, docker, k3d, kubectl, curl, yq) runs
//! through here. It echoes `$ cmd`, captures output, enforces a deadline, tells "could not start" from
//! "exited non-zero" from "timed out", and keeps the tail of stdout/stderr for the error.

use std::ffi::OsString;
use std::fmt;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How many trailing lines of output an error keeps.
pub const TAIL_LINES: usize = 20;

/// An external command, described before it runs.
#[derive(Debug, Clone)]
pub struct Cmd {
    program: OsString,
    args: Vec<OsString>,
    dir: Option<PathBuf>,
    env: Vec<(OsString, OsString)>,
    deadline: Duration,
    echo: bool,
    shown: Option<String>,
    stdin: Option<PathBuf>,
    /// Names of the environment variables the echo shows (`KUBECONFIG=… k3d …`).
    env_shown: Vec<OsString>,
    /// Variables of yadoc's own environment the command runs without.
    removed: Vec<OsString>,
}

/// What a finished command printed.
#[derive(Debug, Clone)]
pub struct Output {
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

/// Why a command did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    #[error("`{cmd}` could not start")]
    NotStarted {
        cmd: String,
        #[source]
        source: std::io::Error,
    },
    #[error("`{cmd}` exited with {code}\n{}", tail_block(.stdout, .stderr))]
    Failed {
        cmd: String,
        code: String,
        stdout: String,
        stderr: String,
    },
    #[error("`{cmd}` did not finish within {after:?} and was killed\n{}", tail_block(.stdout, .stderr))]
    TimedOut {
        cmd: String,
        after: Duration,
        stdout: String,
        stderr: String,
    },
}

impl ProcessError {
    /// Everything the command printed (stdout then stderr), for diagnosis.
    pub fn output(&self) -> String {
        match self {
            ProcessError::NotStarted { source, .. } => source.to_string(),
            ProcessError::Failed { stdout, stderr, .. }
            | ProcessError::TimedOut { stdout, stderr, .. } => format!("{stdout}\n{stderr}"),
        }
    }

    /// True when the program itself is missing (ENOENT on spawn).
    pub fn is_missing_program(&self) -> bool {
        matches!(self, ProcessError::NotStarted { source, .. } if source.kind() == std::io::ErrorKind::NotFound)
    }
}

fn tail_block(stdout: &str, stderr: &str) -> String {
    let mut s = String::new();
    for (name, text) in [("stdout", stdout), ("stderr", stderr)] {
        let t = tail(text, TAIL_LINES);
        if !t.is_empty() {
            s.push_str(&format!("--- {name} (last {TAIL_LINES} lines) ---\n{t}\n"));
        }
    }
    s
}

/// The last `n` lines of `text`.
pub fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.trim_end().lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

impl Cmd {
    pub fn new(program: impl Into<OsString>) -> Self {
        Self {
            program: program.into(),
            args: Vec::new(),
            dir: None,
            env: Vec::new(),
            deadline: Duration::from_secs(60),
            echo: std::env::var_os("YADOC_QUIET").is_none(),
            shown: None,
            stdin: None,
            env_shown: Vec::new(),
            removed: Vec::new(),
        }
    }

    /// Run without this variable of yadoc's own environment (a later `env` sets it again).
    pub fn env_remove(mut self, k: impl Into<OsString>) -> Self {
        let k = k.into();
        self.env.retain(|(e, _)| *e != k);
        self.removed.push(k);
        self
    }

    /// Run without the variables that make Python import from outside the venv and the lesson's
    /// files (PYTHONPATH, PYTHONHOME, PYTHONSTARTUP, PYTHONUSERBASE).
    pub fn python_isolated(self) -> Self {
        [
            "PYTHONPATH",
            "PYTHONHOME",
            "PYTHONSTARTUP",
            "PYTHONUSERBASE",
        ]
        .into_iter()
        .fold(self, |c, k| c.env_remove(k))
    }

    pub fn arg(mut self, a: impl Into<OsString>) -> Self {
        self.args.push(a.into());
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    pub fn dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.dir = Some(dir.as_ref().to_path_buf());
        self
    }

    /// Set an environment variable; set twice, the later value wins.
    pub fn env(mut self, k: impl Into<OsString>, v: impl Into<OsString>) -> Self {
        let k = k.into();
        self.removed.retain(|r| *r != k);
        self.env.push((k, v.into()));
        self
    }

    /// Set an environment variable and show it in the echo and in errors, as a shell would write it.
    pub fn env_shown(mut self, k: impl Into<OsString>, v: impl Into<OsString>) -> Self {
        let k = k.into();
        self.env_shown.push(k.clone());
        self.env(k, v)
    }

    pub fn deadline(mut self, d: Duration) -> Self {
        self.deadline = d;
        self
    }

    /// Echo and report the command as `shown` (for a command line too long to read, like an inline script).
    pub fn shown_as(mut self, shown: impl Into<String>) -> Self {
        self.shown = Some(shown.into());
        self
    }

    /// Read standard input from a file (a snap-confined tool cannot open files under /tmp itself).
    pub fn stdin_file(mut self, path: impl AsRef<Path>) -> Self {
        self.stdin = Some(path.as_ref().to_path_buf());
        self
    }

    pub fn quiet(mut self) -> Self {
        self.echo = false;
        self
    }

    fn expression(&self) -> duct::Expression {
        let mut e = duct::cmd(&self.program, &self.args);
        if let Some(d) = &self.dir {
            e = e.dir(d);
        }
        for k in &self.removed {
            e = e.env_remove(k);
        }
        // the last setting of a variable wins, as in a shell (duct lets the first applied win)
        for (i, (k, v)) in self.env.iter().enumerate() {
            if !self.env[i + 1..].iter().any(|(later, _)| later == k) {
                e = e.env(k, v);
            }
        }
        if let Some(p) = &self.stdin {
            e = e.stdin_path(p);
        }
        // its own process group, so a deadline or a guard can stop the whole tree it starts
        e.before_spawn(|c| {
            c.process_group(0);
            Ok(())
        })
    }

    /// Run to completion within the deadline; non-zero exit is an error.
    pub fn run(&self) -> Result<Output, ProcessError> {
        let _client = crate::cleanup::daemon_client(&self.program, &self.args);
        crate::cleanup::stop_if_interrupted();
        if self.echo {
            crate::progress::echo(&format!("$ {self}"));
        }
        let started = Instant::now();
        let handle = self
            .expression()
            .stdout_capture()
            .stderr_capture()
            .unchecked()
            .start()
            .map_err(|source| ProcessError::NotStarted {
                cmd: self.to_string(),
                source,
            })?;
        // an interrupt kills the command's process group too (a docker client mid-build, say)
        let guard = group_guard(&handle);
        // duct waits on the child itself until the deadline: no polling
        match handle.wait_deadline(started + self.deadline) {
            Ok(Some(out)) => {
                if let Some(g) = guard {
                    g.disarm();
                }
                let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
                let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
                if out.status.success() {
                    return Ok(Output {
                        stdout,
                        stderr,
                        elapsed: started.elapsed(),
                    });
                }
                Err(ProcessError::Failed {
                    cmd: self.to_string(),
                    code: exit_code(&out.status),
                    stdout,
                    stderr,
                })
            }
            Ok(None) => {
                for pid in handle.pids() {
                    kill_group(pid);
                }
                let _ = handle.kill();
                let (stdout, stderr) = match handle.wait() {
                    Ok(o) => (
                        String::from_utf8_lossy(&o.stdout).into_owned(),
                        String::from_utf8_lossy(&o.stderr).into_owned(),
                    ),
                    Err(_) => (String::new(), String::new()),
                };
                Err(ProcessError::TimedOut {
                    cmd: self.to_string(),
                    after: self.deadline,
                    stdout,
                    stderr,
                })
            }
            Err(source) => Err(ProcessError::NotStarted {
                cmd: self.to_string(),
                source,
            }),
        }
    }

    /// Start in the background with stdout+stderr going to `log`; the returned guard stops the
    /// whole process group when dropped.
    pub fn spawn(&self, log: &Path) -> Result<Background, ProcessError> {
        let client = crate::cleanup::daemon_client(&self.program, &self.args);
        crate::cleanup::stop_if_interrupted();
        if self.echo {
            crate::progress::echo(&format!("$ {self} &  (output: {})", log.display()));
        }
        let handle = self
            .expression()
            .stderr_to_stdout()
            .stdout_path(log)
            .stdin_null()
            .unchecked()
            .start()
            .map_err(|source| ProcessError::NotStarted {
                cmd: self.to_string(),
                source,
            })?;
        let guard = group_guard(&handle);
        Ok(Background {
            cmd: self.to_string(),
            handle: Some(handle),
            log: log.to_path_buf(),
            _guard: guard,
            _client: client,
        })
    }
}

impl fmt::Display for Cmd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(s) = &self.shown {
            return f.write_str(s);
        }
        for name in &self.env_shown {
            if let Some((k, v)) = self.env.iter().rev().find(|(k, _)| k == name) {
                write!(
                    f,
                    "{}={} ",
                    k.to_string_lossy(),
                    quote(&v.to_string_lossy())
                )?;
            }
        }
        write!(f, "{}", quote(&self.program.to_string_lossy()))?;
        for a in &self.args {
            let a = a.to_string_lossy();
            if a.chars().count() > 200 {
                // an inline script or a huge argument: its start, and how much is left out
                let kept: String = a.chars().take(200).collect();
                write!(
                    f,
                    " {}…({} more characters)",
                    quote(&kept),
                    a.chars().count() - 200
                )?;
            } else {
                write!(f, " {}", quote(&a))?;
            }
        }
        Ok(())
    }
}

fn quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@,+%".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// A cleanup guard for the process group a started command leads.
fn group_guard(handle: &duct::Handle) -> Option<crate::cleanup::Guard> {
    handle
        .pids()
        .first()
        .map(|pid| crate::cleanup::register(crate::cleanup::Resource::ProcessGroup(*pid)))
}

fn exit_code(status: &std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(c), _) => format!("exit code {c}"),
        (None, Some(s)) => format!("signal {s}"),
        _ => "an unknown status".to_string(),
    }
}

fn kill_group(pid: u32) {
    // SAFETY: kill(2) on a process group we created; errors (already gone) are fine.
    unsafe {
        libc::kill(-(pid as i32), libc::SIGTERM);
    }
}

/// A background process (an app server under test). Dropping it stops its whole process group:
/// SIGTERM, a short grace period, then SIGKILL.
#[derive(Debug)]
pub struct Background {
    cmd: String,
    handle: Option<duct::Handle>,
    log: PathBuf,
    /// Kills the process group on SIGINT/SIGTERM too.
    _guard: Option<crate::cleanup::Guard>,
    /// Counted while it may make docker objects (the interrupt's sweep then settles).
    _client: Option<crate::cleanup::DaemonClient>,
}

impl Background {
    /// The command line, as echoed.
    pub fn command(&self) -> &str {
        &self.cmd
    }

    /// Everything the process has printed so far.
    pub fn log(&self) -> String {
        let mut s = String::new();
        if let Ok(mut f) = std::fs::File::open(&self.log) {
            let _ = f.read_to_string(&mut s);
        }
        s
    }

    /// The process group it leads (its pid: it is started as a group leader).
    pub fn pgid(&self) -> Option<u32> {
        self.handle.as_ref()?.pids().first().copied()
    }

    /// The exit status, if it already exited.
    pub fn exited(&self) -> Option<String> {
        let h = self.handle.as_ref()?;
        match h.try_wait() {
            Ok(Some(o)) => Some(exit_code(&o.status)),
            _ => None,
        }
    }

    /// Stop the process group and wait for it (at most 5 s before SIGKILL).
    pub fn stop(&mut self) {
        self.stop_within(Duration::from_secs(5));
    }

    /// Kill the process group at once and wait for it: for a server that never answered, which has
    /// nothing in flight to finish (gunicorn's arbiter would wait out its graceful timeout for a
    /// worker stuck at import, and the grace above with it).
    pub fn kill(&mut self) {
        self.stop_within(Duration::ZERO);
    }

    fn stop_within(&mut self, grace: Duration) {
        let Some(handle) = self.handle.take() else {
            return;
        };
        for pid in handle.pids() {
            kill_group(pid);
        }
        if let Ok(Some(_)) = handle.wait_timeout(grace) {
            return;
        }
        for pid in handle.pids() {
            // SAFETY: as in kill_group.
            unsafe {
                libc::kill(-(pid as i32), libc::SIGKILL);
            }
        }
        let _ = handle.kill();
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        self.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_program_could_not_start() {
        let e = Cmd::new("yadoc-no-such-program").quiet().run().unwrap_err();
        assert!(e.is_missing_program(), "{e}");
    }

    #[test]
    fn a_non_zero_exit_keeps_command_code_and_stderr() {
        let e = Cmd::new("sh")
            .args(["-c", "echo oops >&2; exit 3"])
            .quiet()
            .run()
            .unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("exit code 3"), "{msg}");
        assert!(msg.contains("oops"), "{msg}");
        assert!(msg.contains("sh -c"), "{msg}");
    }

    #[test]
    fn kill_ends_a_group_that_ignores_sigterm_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let mut hung = Cmd::new("sh")
            .args(["-c", "trap '' TERM; sleep 30 & wait"])
            .quiet()
            .spawn(&dir.path().join("hung.log"))
            .unwrap();
        let pgid = hung.pgid().unwrap() as i32;
        std::thread::sleep(Duration::from_millis(100));
        let started = Instant::now();
        hung.kill();
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
        // the orphaned `sleep` is reaped by init, not by us: give that a moment
        // SAFETY: kill(2) with signal 0 only asks whether the group still exists.
        let gone = || unsafe { libc::kill(-pgid, 0) } == -1;
        while !gone() && started.elapsed() < Duration::from_secs(2) {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(gone(), "the group is gone");
    }

    #[test]
    fn a_command_past_its_deadline_is_killed() {
        let started = Instant::now();
        let e = Cmd::new("sleep")
            .arg("5")
            .deadline(Duration::from_millis(200))
            .quiet()
            .run()
            .unwrap_err();
        assert!(matches!(e, ProcessError::TimedOut { .. }), "{e}");
        assert!(started.elapsed() < Duration::from_secs(3));
    }
}
