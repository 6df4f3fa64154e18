//! Python venvs cached by the hash of what decides pip's resolution: requirements.txt, the Python
//! version, and pip's own environment (every `PIP_*` variable, the files PIP_CONSTRAINT and the pip
//! config files hold). Created once, reused by every later run with the same inputs; a lock file
//! keeps two concurrent runs from building the same one twice. pip and the app run without
//! PYTHONPATH/PYTHONHOME, so nothing outside the venv is imported.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::cleanup::{self, Resource};
use crate::process::{Cmd, ProcessError};

/// A ready venv.
#[derive(Debug, Clone)]
pub struct Venv {
    pub dir: PathBuf,
    /// Reused from an earlier run.
    pub cached: bool,
    /// `pip freeze` of the venv (what was really installed).
    pub freeze: String,
    /// Why a cached venv was not reused but built again (its interpreter no longer runs).
    pub rebuilt: Option<String>,
}

impl Venv {
    pub fn bin(&self, program: &str) -> PathBuf {
        self.dir.join("bin").join(program)
    }
}

/// Why a venv could not be made.
#[derive(Debug, thiserror::Error)]
pub enum VenvError {
    #[error("cannot prepare the venv cache at {dir}")]
    Io {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("creating the venv failed")]
    Create(#[source] ProcessError),
    #[error("pip install -r requirements.txt failed")]
    Install(#[source] ProcessError),
    #[error("another run has been building {dir} for longer than {waited:?}")]
    Locked { dir: PathBuf, waited: Duration },
}

/// `$YADOC_CACHE`, else `$XDG_CACHE_HOME/yadoc`, else `~/.cache/yadoc`.
pub fn cache_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("YADOC_CACHE") {
        return PathBuf::from(d);
    }
    if let Some(d) = std::env::var_os("XDG_CACHE_HOME") {
        return PathBuf::from(d).join("yadoc");
    }
    std::env::var_os("HOME")
        .map(|h| PathBuf::from(h).join(".cache/yadoc"))
        .unwrap_or_else(|| std::env::temp_dir().join("yadoc-cache"))
}

/// The venv cache can be written, or why not, naming the setting that chose it: an environment
/// problem, never a finding of the lesson the app tier was running.
pub fn cache_writable() -> Result<(), String> {
    let dir = cache_dir().join("venvs");
    let chosen = match (
        std::env::var("YADOC_CACHE"),
        std::env::var("XDG_CACHE_HOME"),
    ) {
        (Ok(v), _) => format!("YADOC_CACHE={v}"),
        (_, Ok(v)) => format!("XDG_CACHE_HOME={v}"),
        _ => "the default cache (~/.cache/yadoc)".to_string(),
    };
    std::fs::create_dir_all(&dir)
        .and_then(|_| tempfile::tempfile_in(&dir).map(|_| ()))
        .map_err(|e| {
            format!(
                "{chosen}: the venv cache {} cannot be written ({e}); point YADOC_CACHE at a writable directory",
                dir.display()
            )
        })
}

/// The cache key of a venv: requirements, Python version and pip's environment (`pip_inputs`).
pub fn key(requirements: &str, python_version: &str, pip: &str) -> String {
    let digest = Sha256::digest(format!("{python_version}\n{requirements}\n--\n{pip}").as_bytes());
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// What besides requirements.txt steers pip's resolution here: every `PIP_*` variable, and the
/// contents of the files that PIP_CONSTRAINT, PIP_REQUIREMENT and the pip config files hold
/// (pip's documented config locations: site, user and PIP_CONFIG_FILE).
pub fn pip_inputs(vars: &[(String, String)]) -> String {
    let mut vars: Vec<&(String, String)> =
        vars.iter().filter(|(k, _)| k.starts_with("PIP_")).collect();
    vars.sort();
    let mut out = String::new();
    let mut files: Vec<PathBuf> = Vec::new();
    for (k, v) in vars {
        out.push_str(&format!("{k}={v}\n"));
        if matches!(
            k.as_str(),
            "PIP_CONSTRAINT" | "PIP_REQUIREMENT" | "PIP_CONFIG_FILE"
        ) {
            files.extend(v.split_whitespace().map(PathBuf::from));
        }
    }
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let xdg = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| home.as_ref().map(|h| h.join(".config")));
    files.extend(xdg.map(|x| x.join("pip/pip.conf")));
    files.extend(home.map(|h| h.join(".pip/pip.conf")));
    files.push(PathBuf::from("/etc/pip.conf"));
    files.push(PathBuf::from("/etc/xdg/pip/pip.conf"));
    for f in files {
        if let Ok(text) = std::fs::read_to_string(&f) {
            out.push_str(&format!("{}:\n{text}\n", f.display()));
        }
    }
    out
}

/// Which interpreter a venv is built on: its resolved path and the file's identity (device, inode,
/// size, modification time), so a venv is never shared between two Pythons that report the same
/// version (a pyenv 3.9.18 reinstalled, a distribution's 3.9 beside it).
pub fn interpreter_identity(python: &str) -> String {
    let path = if python.contains('/') {
        Some(PathBuf::from(python))
    } else {
        std::env::var_os("PATH").and_then(|p| {
            std::env::split_paths(&p)
                .map(|d| d.join(python))
                .find(|c| c.is_file())
        })
    };
    let resolved = path.and_then(|p| std::fs::canonicalize(p).ok());
    match resolved
        .as_ref()
        .and_then(|p| std::fs::metadata(p).ok().map(|m| (p, m)))
    {
        Some((p, m)) => {
            use std::os::unix::fs::MetadataExt;
            format!(
                "{} dev={} ino={} size={} mtime={}",
                p.display(),
                m.dev(),
                m.ino(),
                m.size(),
                m.mtime()
            )
        }
        None => format!("{python} (unresolved)"),
    }
}

/// Whether the venv's own interpreter still runs: it links to the Python it was made with, which
/// may be gone since (a pyenv version uninstalled) and leaves `bin/python` dangling.
fn interpreter_runs(dir: &Path) -> Result<(), String> {
    let py = dir.join("bin/python");
    if std::fs::metadata(&py).is_err() {
        let target = std::fs::read_link(dir.join("bin/python3"))
            .map(|t| format!(" (it links to {}, which is gone)", t.display()))
            .unwrap_or_default();
        return Err(format!("{} does not exist{target}", py.display()));
    }
    Cmd::new(&py)
        .python_isolated()
        .args(["-c", "import sys"])
        .quiet()
        .deadline(Duration::from_secs(30))
        .run()
        .map(|_| ())
        .map_err(|e| format!("{} does not run: {e}", py.display()))
}

/// `pip_inputs` of this process's environment.
fn pip_environment() -> String {
    let vars: Vec<(String, String)> = std::env::vars().collect();
    pip_inputs(&vars)
}

/// A venv with `requirements` installed, from the cache when it is there.
pub fn ensure(
    requirements: &str,
    python: &str,
    python_version: &str,
    deadline: Duration,
) -> Result<Venv, VenvError> {
    ensure_in(
        &cache_dir().join("venvs"),
        requirements,
        python,
        python_version,
        deadline,
    )
}

/// `ensure` with the cache's venvs under `root`.
pub fn ensure_in(
    root: &Path,
    requirements: &str,
    python: &str,
    python_version: &str,
    deadline: Duration,
) -> Result<Venv, VenvError> {
    std::fs::create_dir_all(root).map_err(|source| VenvError::Io {
        dir: root.to_path_buf(),
        source,
    })?;
    let identity = format!("{python_version} {}", interpreter_identity(python));
    let dir = root.join(key(requirements, &identity, &pip_environment()));
    let done = dir.join(".yadoc-complete");
    let mut rebuilt = None;
    // a complete venv is reused only while its interpreter runs
    let reusable = |rebuilt: &mut Option<String>| {
        if !done.exists() {
            return false;
        }
        match interpreter_runs(&dir) {
            Ok(()) => true,
            Err(why) => {
                *rebuilt = Some(format!("the cached venv was built again: {why}"));
                false
            }
        }
    };
    if reusable(&mut rebuilt) {
        return Ok(Venv {
            freeze: std::fs::read_to_string(&done).unwrap_or_default(),
            dir,
            cached: true,
            rebuilt: None,
        });
    }
    let _lock = Lock::acquire(&dir.with_extension("lock"), deadline)?;
    if rebuilt.is_none() && reusable(&mut rebuilt) {
        // another run finished it while we waited
        return Ok(Venv {
            freeze: std::fs::read_to_string(&done).unwrap_or_default(),
            dir,
            cached: true,
            rebuilt: None,
        });
    }
    // an incomplete dir is a leftover of an interrupted run, a complete one whose interpreter is
    // gone is of no use: start over
    let _ = std::fs::remove_dir_all(&dir);
    // removed again if this run is interrupted or fails before the venv is complete
    let building = cleanup::register(Resource::Dir(dir.clone()));
    // a requirements.txt of nothing but comments and blank lines (an app on the standard library)
    // needs no pip: seconds of ensurepip, install and freeze saved
    let nothing = requirements
        .lines()
        .all(|l| l.split('#').next().unwrap_or("").trim().is_empty());
    let mut create = Cmd::new(python).python_isolated().args(["-m", "venv"]);
    if nothing {
        create = create.arg("--without-pip");
    }
    create
        .arg(&dir)
        .deadline(Duration::from_secs(120))
        .run()
        .map_err(VenvError::Create)?;
    let freeze = if nothing {
        String::new()
    } else {
        install(&dir, requirements, deadline)?
    };
    std::fs::write(&done, &freeze).map_err(|source| VenvError::Io {
        dir: dir.clone(),
        source,
    })?;
    // complete: the cache keeps it
    forget_registration(&dir);
    drop(building);
    Ok(Venv {
        dir,
        cached: false,
        freeze,
        rebuilt,
    })
}

/// pip install the requirements into the new venv at `dir` → `pip freeze` of it.
fn install(dir: &Path, requirements: &str, deadline: Duration) -> Result<String, VenvError> {
    let progress = crate::progress::Progress::start(format!(
        "installing requirements.txt into {}",
        dir.display()
    ));
    let req = dir.join("requirements.txt");
    std::fs::write(&req, requirements).map_err(|source| VenvError::Io {
        dir: dir.to_path_buf(),
        source,
    })?;
    let installed = Cmd::new(dir.join("bin/pip"))
        .python_isolated()
        .args(["install", "--disable-pip-version-check", "--no-input", "-r"])
        .arg(&req)
        .deadline(deadline)
        .run()
        .map_err(VenvError::Install);
    progress.done(installed.is_ok());
    installed?;
    let freeze = Cmd::new(dir.join("bin/pip"))
        .python_isolated()
        .args(["freeze", "--disable-pip-version-check"])
        .quiet()
        .deadline(Duration::from_secs(60))
        .run()
        .map(|o| o.stdout)
        .unwrap_or_default();
    Ok(freeze)
}

/// The venv is complete: take it out of the cleanup registry without removing it.
fn forget_registration(dir: &Path) {
    cleanup::unregister(&Resource::Dir(dir.to_path_buf()));
}

/// An exclusive lock on a file next to the venv (`File::try_lock`, flock on Linux): the kernel releases
/// it however its holder ends, so there is no owner pid to check, no stale file to take over and no
/// window between creating the file and writing to it. The file itself stays.
#[derive(Debug)]
struct Lock(#[allow(dead_code)] std::fs::File);

impl Lock {
    fn acquire(path: &Path, deadline: Duration) -> Result<Self, VenvError> {
        let io = |source| VenvError::Io {
            dir: path.to_path_buf(),
            source,
        };
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .map_err(io)?;
        let started = Instant::now();
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(Lock(file)),
                Err(std::fs::TryLockError::WouldBlock) if started.elapsed() <= deadline => {
                    std::thread::sleep(Duration::from_millis(200));
                }
                Err(std::fs::TryLockError::WouldBlock) => {
                    return Err(VenvError::Locked {
                        dir: path.to_path_buf(),
                        waited: deadline,
                    })
                }
                Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn a_constraint_file_and_its_contents_change_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let c = dir.path().join("constraints.txt");
        std::fs::write(&c, "Werkzeug==2.1.2\n").unwrap();
        let req = "Flask==2.1.0\n";
        let plain = key(req, "3.9.18", &pip_inputs(&vars(&[("HOME", "/x")])));
        let constrained = vars(&[("PIP_CONSTRAINT", c.to_str().unwrap())]);
        let with = key(req, "3.9.18", &pip_inputs(&constrained));
        assert_ne!(
            plain, with,
            "a venv built under PIP_CONSTRAINT is another venv"
        );
        std::fs::write(&c, "Werkzeug==2.2.3\n").unwrap();
        assert_ne!(
            with,
            key(req, "3.9.18", &pip_inputs(&constrained)),
            "so is one built under another constraint file content"
        );
        // variables pip does not read leave the key alone
        assert_eq!(
            plain,
            key(req, "3.9.18", &pip_inputs(&vars(&[("EDITOR", "vi")])))
        );
    }

    #[test]
    fn the_lock_is_the_kernels_not_a_pid_in_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v.lock");
        // what a crashed run left, naming a pid that is alive (pid 1): not a holder
        std::fs::write(&path, "1").unwrap();
        let held = Lock::acquire(&path, Duration::from_millis(50)).expect("no one holds it");
        // while held, another acquirer waits until its deadline and says so
        match Lock::acquire(&path, Duration::from_millis(300)) {
            Err(VenvError::Locked { .. }) => {}
            other => panic!("{other:?}"),
        }
        drop(held);
        assert!(
            Lock::acquire(&path, Duration::from_millis(50)).is_ok(),
            "released on drop"
        );
    }

    #[test]
    fn a_venv_whose_interpreter_is_gone_is_built_again_not_reused() {
        // python3 with venv and ensurepip is part of the set-up (ci/setup.sh): without it this
        // test fails, saying so, rather than passing on nothing
        let python = crate::tiers::prereq::python()
            .unwrap_or_else(|e| panic!("this test builds a venv: {e} (bash ci/setup.sh)"));
        let root = tempfile::tempdir().unwrap();
        let req = "# nothing to install\n";
        // what yadoc says goes to the test's captured output (shown only with a failure)
        let ensure = || {
            let (v, said) = crate::progress::capture(|| {
                ensure_in(
                    root.path(),
                    req,
                    &python.exe,
                    &python.version,
                    Duration::from_secs(120),
                )
                .unwrap()
            });
            eprint!("{said}");
            v
        };
        let first = ensure();
        assert!(!first.cached && first.rebuilt.is_none());
        let again = ensure();
        assert!(again.cached, "a venv whose interpreter runs is reused");
        // the interpreter it was made with disappears (a pyenv version uninstalled): bin/python3
        // now links to nothing
        let link = first.dir.join("bin/python3");
        std::fs::remove_file(&link).unwrap();
        std::os::unix::fs::symlink("/nonexistent/pyenv/versions/3.9.18/bin/python3", &link)
            .unwrap();
        let rebuilt = ensure();
        assert!(!rebuilt.cached, "never reused");
        let why = rebuilt.rebuilt.expect("the rebuild is said");
        assert!(
            why.contains("/nonexistent/pyenv/versions/3.9.18/bin/python3, which is gone"),
            "{why}"
        );
        assert!(interpreter_runs(&rebuilt.dir).is_ok(), "the new venv runs");
        // nothing to install: no pip was put in it
        assert!(!rebuilt.dir.join("bin/pip").exists());
    }

    #[test]
    fn two_interpreters_of_one_version_get_two_venvs() {
        let a = interpreter_identity("/bin/sh");
        let b = interpreter_identity("/bin/ls");
        assert_ne!(a, b);
        assert!(a.contains("ino="), "{a}");
        assert!(interpreter_identity("/nonexistent/python3.9").contains("unresolved"));
    }

    #[test]
    fn every_pip_variable_counts() {
        let a = pip_inputs(&vars(&[("PIP_INDEX_URL", "https://a.example/simple")]));
        let b = pip_inputs(&vars(&[("PIP_INDEX_URL", "https://b.example/simple")]));
        assert_ne!(key("x", "3.9", &a), key("x", "3.9", &b));
    }
}
