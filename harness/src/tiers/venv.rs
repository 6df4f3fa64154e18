//! Python venvs cached by the hash of what decides pip's resolution: requirements.txt, the Python
//! version, and pip's own environment (every `PIP_*` variable, the files PIP_CONSTRAINT and the pip
//! config files hold). Created once, reused by every later run with the same inputs; a lock file
//! beside each venv keeps two concurrent runs from building the same one twice (held alone while
//! building) and `yadoc gc --cache` from removing one a run is using (shared while in use). pip and
//! the app run without PYTHONPATH/PYTHONHOME, so nothing outside the venv is imported.

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
    /// The shared lock that keeps `yadoc gc --cache` off this venv while any clone of it lives.
    _in_use: std::sync::Arc<Lock>,
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
    #[error("another yadoc has held {dir} for longer than {waited:?} (building that venv, or using it while this run must build it again)")]
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
    let reused = |lock: Lock| Venv {
        freeze: std::fs::read_to_string(&done).unwrap_or_default(),
        dir: dir.clone(),
        cached: true,
        rebuilt: None,
        _in_use: std::sync::Arc::new(lock),
    };
    let lock_path = dir.with_extension("lock");
    let started = Instant::now();
    let lock = loop {
        // free, or used by other runs (they share it): a complete venv whose interpreter runs is
        // reused, and shared for as long as this run holds it
        if let Some(shared) = Lock::try_take(&lock_path, Mode::Shared)? {
            if reusable(&mut rebuilt) {
                return Ok(reused(shared));
            }
        }
        // no one uses or builds it: this run builds it, alone (unless one finished meanwhile)
        if let Some(alone) = Lock::try_take(&lock_path, Mode::Exclusive)? {
            if reusable(&mut rebuilt) {
                return Ok(reused(alone.share()?));
            }
            break alone;
        }
        if started.elapsed() >= deadline {
            return Err(VenvError::Locked {
                dir: lock_path,
                waited: deadline,
            });
        }
        std::thread::sleep(Duration::from_millis(200));
    };
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
        _in_use: std::sync::Arc::new(lock.share()?),
        dir,
        cached: false,
        freeze,
        rebuilt,
    })
}

/// What `evict_unused` did to the cache.
#[derive(Debug, Default)]
pub struct Eviction {
    pub removed: Vec<String>,
    /// Venvs a running yadoc is using (it holds their lock), with where.
    pub in_use: Vec<String>,
    pub failed: Vec<String>,
}

/// `yadoc gc --cache`: remove every venv under `root` that no run is using (complete ones, and the
/// half-made dirs an interrupted build left), with its lock file; each is built again when a run
/// next needs it. Only yadoc's own entries (`<key>` dirs and `<key>.lock`) are touched.
pub fn evict_unused(root: &Path) -> Eviction {
    let mut done = Eviction::default();
    let Ok(entries) = std::fs::read_dir(root) else {
        return done; // no cache yet: nothing to remove
    };
    let is_key = |k: &str| k.len() == 16 && k.bytes().all(|b| b.is_ascii_hexdigit());
    let mut keys: Vec<String> = entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let key = name.strip_suffix(".lock").unwrap_or(&name).to_string();
            is_key(&key).then_some(key)
        })
        .collect();
    keys.sort();
    keys.dedup();
    for key in keys {
        let dir = root.join(&key);
        let lock_path = dir.with_extension("lock");
        let lock = match Lock::try_take(&lock_path, Mode::Exclusive) {
            Ok(Some(l)) => l,
            Ok(None) => {
                done.in_use.push(format!(
                    "venv {}: in use by a running yadoc (it holds {})",
                    dir.display(),
                    lock_path.display()
                ));
                continue;
            }
            Err(e) => {
                done.failed.push(format!("venv {}: {e}", dir.display()));
                continue;
            }
        };
        let what = if !dir.exists() {
            None
        } else if let Ok(freeze) = std::fs::read_to_string(dir.join(".yadoc-complete")) {
            // what it was built for: the requirements install() wrote into it, else pip's freeze
            let asked = std::fs::read_to_string(dir.join("requirements.txt")).unwrap_or_default();
            let listed = |text: &str| -> Vec<String> {
                text.lines()
                    .map(|l| l.split('#').next().unwrap_or("").trim().to_string())
                    .filter(|l| !l.is_empty())
                    .collect()
            };
            let (packages, installed) = (listed(&asked), listed(&freeze).len());
            Some(match packages.as_slice() {
                [] if installed == 0 => "nothing installed".to_string(),
                [] => format!("{installed} package(s) installed"),
                some => format!("for {}; {installed} package(s) installed", some.join(", ")),
            })
        } else {
            Some("incomplete: an interrupted build's".to_string())
        };
        let size = what.as_ref().map(|_| bytes_under(&dir));
        if what.is_some() {
            if let Err(e) = std::fs::remove_dir_all(&dir) {
                done.failed.push(format!("venv {}: {e}", dir.display()));
                continue;
            }
        }
        // removed while held: a run that opened it meanwhile finds no venv and builds one anew
        let _ = std::fs::remove_file(&lock_path);
        drop(lock);
        match (what, size) {
            (Some(what), Some(size)) => done.removed.push(format!(
                "venv {} ({what}; {:.1} MB)",
                dir.display(),
                size as f64 / 1e6
            )),
            _ => done.removed.push(format!(
                "venv lock {} (its venv was gone)",
                lock_path.display()
            )),
        }
    }
    done
}

/// Bytes of the regular files under `dir` (symlinks not followed).
fn bytes_under(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .filter_map(Result::ok)
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => bytes_under(&e.path()),
            Ok(t) if t.is_file() => e.metadata().map(|m| m.len()).unwrap_or(0),
            _ => 0,
        })
        .sum()
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

/// How a venv's lock is held: a run using the venv shares it; building or evicting one takes it alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Shared,
    Exclusive,
}

/// A lock on a file next to the venv (`File::try_lock` / `try_lock_shared`, flock on Linux): the
/// kernel releases it however its holder ends, so there is no owner pid to check, no stale file to
/// take over and no window between creating the file and writing to it. The file stays until
/// `yadoc gc --cache` removes the venv.
#[derive(Debug)]
struct Lock(std::fs::File, PathBuf);

impl Lock {
    /// The lock, or None while another holder's (or, for `Exclusive`, any holder's) keeps it.
    fn try_take(path: &Path, mode: Mode) -> Result<Option<Self>, VenvError> {
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
        let tried = match mode {
            Mode::Shared => file.try_lock_shared(),
            Mode::Exclusive => file.try_lock(),
        };
        match tried {
            Ok(()) => Ok(Some(Lock(file, path.to_path_buf()))),
            Err(std::fs::TryLockError::WouldBlock) => Ok(None),
            Err(std::fs::TryLockError::Error(e)) => Err(io(e)),
        }
    }

    /// The builder's exclusive lock becomes a user's shared one (flock converts it on the same
    /// file; other runs waiting to use the venv then go ahead).
    fn share(self) -> Result<Self, VenvError> {
        self.0.lock_shared().map_err(|source| VenvError::Io {
            dir: self.1.clone(),
            source,
        })?;
        Ok(self)
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
        let take = |mode| Lock::try_take(&path, mode).unwrap();
        let alone = take(Mode::Exclusive).expect("no one holds it");
        // a builder holds it alone: no one else may use or build the venv
        assert!(take(Mode::Shared).is_none() && take(Mode::Exclusive).is_none());
        // its venv complete, the builder uses it: others may use it too, none may build or evict
        let shared = alone.share().unwrap();
        let other = take(Mode::Shared).expect("users share it");
        assert!(take(Mode::Exclusive).is_none());
        drop(shared);
        assert!(take(Mode::Exclusive).is_none(), "one user is left");
        drop(other);
        assert!(take(Mode::Exclusive).is_some(), "released on drop");
    }

    #[test]
    fn a_run_waiting_to_build_a_venv_reports_the_lock_it_waited_for() {
        let python = crate::tiers::prereq::python()
            .unwrap_or_else(|e| panic!("this test builds a venv: {e} (bash ci/setup.sh)"));
        let root = tempfile::tempdir().unwrap();
        let req = "# nothing to install\n";
        let identity = format!("{} {}", python.version, interpreter_identity(&python.exe));
        let lock = root
            .path()
            .join(key(req, &identity, &pip_environment()))
            .with_extension("lock");
        // another run is building it (holds the lock alone) for longer than this run waits
        let _builder = Lock::try_take(&lock, Mode::Exclusive).unwrap().unwrap();
        let started = Instant::now();
        match ensure_in(
            root.path(),
            req,
            &python.exe,
            &python.version,
            Duration::from_millis(500),
        ) {
            Err(VenvError::Locked { dir, .. }) => assert_eq!(dir, lock),
            other => panic!("{other:?}"),
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "the deadline holds"
        );
    }

    /// A venv of `req` under `root`, built by the Python the app tier would use; what yadoc says
    /// goes to the test's captured output (shown only with a failure). python3 with venv and
    /// ensurepip is part of the set-up (ci/setup.sh): without it the test fails, saying so, rather
    /// than passing on nothing.
    fn ensure_here(root: &Path, req: &str) -> Venv {
        let python = crate::tiers::prereq::python()
            .unwrap_or_else(|e| panic!("this test builds venvs: {e} (bash ci/setup.sh)"));
        let (v, said) = crate::progress::capture(|| {
            ensure_in(
                root,
                req,
                &python.exe,
                &python.version,
                Duration::from_secs(120),
            )
            .unwrap()
        });
        eprint!("{said}");
        v
    }

    #[test]
    fn a_venv_whose_interpreter_is_gone_is_built_again_not_reused() {
        let root = tempfile::tempdir().unwrap();
        let ensure = || ensure_here(root.path(), "# nothing to install\n");
        let first = ensure();
        assert!(!first.cached && first.rebuilt.is_none());
        let again = ensure();
        assert!(again.cached, "a venv whose interpreter runs is reused");
        let dir = first.dir.clone();
        // those runs end (a venv in use is never built again under its user)
        drop((first, again));
        // the interpreter it was made with disappears (a pyenv version uninstalled): bin/python3
        // now links to nothing
        let link = dir.join("bin/python3");
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
    fn gc_cache_removes_the_venvs_no_run_uses_and_leaves_the_one_in_use() {
        let root = tempfile::tempdir().unwrap();
        let ensure = |req: &str| ensure_here(root.path(), req);
        let held = ensure("# one app\n");
        let done_with = ensure("# another app\n").dir;
        // an interrupted build's half-made venv, and a file that is not yadoc's
        let half = root.path().join("00112233445566ff");
        std::fs::create_dir_all(half.join("bin")).unwrap();
        std::fs::write(root.path().join("notes.txt"), "mine").unwrap();

        let first = evict_unused(root.path());
        assert!(first.failed.is_empty(), "{first:?}");
        assert_eq!(first.in_use.len(), 1, "{first:?}");
        assert!(
            first.in_use[0].contains(&held.dir.display().to_string()),
            "{first:?}"
        );
        assert!(
            held.dir.join(".yadoc-complete").exists(),
            "a venv in use stays"
        );
        let removed = first.removed.join("\n");
        assert!(
            removed.contains(&format!(
                "venv {} (nothing installed; ",
                done_with.display()
            )),
            "{removed}"
        );
        assert!(
            removed.contains(&format!(
                "venv {} (incomplete: an interrupted build's",
                half.display()
            )),
            "{removed}"
        );
        assert_eq!(first.removed.len(), 2, "{removed}");
        assert!(!done_with.exists() && !done_with.with_extension("lock").exists());
        assert!(!half.exists());
        assert!(
            root.path().join("notes.txt").exists(),
            "only yadoc's entries"
        );

        // the run ends: its venv goes on the next gc; the lock file with it
        let dir = held.dir.clone();
        drop(held);
        let second = evict_unused(root.path());
        assert_eq!(second.removed.len(), 1, "{second:?}");
        assert!(second.in_use.is_empty(), "{second:?}");
        assert!(!dir.exists() && !dir.with_extension("lock").exists());
        // and a run that needs it builds it again
        assert!(!ensure("# one app\n").cached);
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
