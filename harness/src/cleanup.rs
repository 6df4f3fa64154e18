//! Cleanup guarantees: every temp dir, process group, container and image a run makes is registered
//! here through a guard. Dropping the guard (success, failure, panic unwinding) releases it; a SIGINT
//! or SIGTERM releases everything still registered before the process exits. `YADOC_KEEP=1` keeps
//! resources for debugging and prints where they are.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use crate::process::Cmd;

/// Something a run made that must not outlive it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resource {
    Dir(PathBuf),
    ProcessGroup(u32),
    /// A container, by id or by the name it is created under (registered before `docker run`).
    Container(String),
    /// An image, by id or by the tag it is built under (registered before `docker build`).
    Image(String),
    /// Everything docker holds with the label `org.yadoc.job=<job>`: what an interrupted build or run
    /// left half-made (an intermediate build container, an image tagged as the client was killed).
    DockerJob(String),
    /// Everything docker holds with the label `org.yadoc.run=<run>`: swept only when the run is
    /// interrupted (see [`on_interrupt`]), since tests share a run between jobs.
    DockerRun(String),
    /// Something removed by a command of the cluster tier's tools (`k3d cluster delete NAME`,
    /// `docker rmi -f TAG`), run with the tools' program and environment.
    Command {
        argv: Vec<String>,
        env: Vec<(String, String)>,
    },
}

impl std::fmt::Display for Resource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Resource::Dir(p) => write!(f, "temp dir {}", p.display()),
            Resource::ProcessGroup(pid) => write!(f, "process group {pid}"),
            Resource::Container(c) => write!(f, "container {c}"),
            Resource::Image(i) => write!(f, "image {i}"),
            Resource::DockerJob(j) => {
                write!(f, "docker objects of job {j} (label org.yadoc.job={j})")
            }
            Resource::DockerRun(r) => write!(f, "docker objects of run {r}"),
            Resource::Command { argv, .. } => write!(f, "what `{}` removes", argv.join(" ")),
        }
    }
}

static REGISTRY: Mutex<Vec<(u64, Resource)>> = Mutex::new(Vec::new());
static NEXT: AtomicU64 = AtomicU64::new(1);

/// Releases its resource when dropped.
#[derive(Debug)]
#[must_use = "dropping the guard releases the resource at once"]
pub struct Guard {
    id: u64,
    resource: Resource,
}

impl Guard {
    pub fn resource(&self) -> &Resource {
        &self.resource
    }

    /// The resource is already gone (a process that exited): forget it without releasing it.
    pub fn disarm(self) {
        if let Ok(mut r) = REGISTRY.lock() {
            r.retain(|(id, _)| *id != self.id);
        }
    }
}

/// Register a resource; it is released when the guard drops or the process is interrupted. Once the
/// run is interrupted, a resource that still gets made (a step already under way) is released at once
/// and the calling thread stops there: the signal handler ends the process.
pub fn register(resource: Resource) -> Guard {
    if interrupted() && !is_cleanup_thread() {
        release(&resource);
        wait_if_interrupted();
    }
    let id = NEXT.fetch_add(1, Ordering::Relaxed);
    if let Ok(mut r) = REGISTRY.lock() {
        r.push((id, resource.clone()));
    }
    Guard { id, resource }
}

pub fn keep() -> bool {
    std::env::var("YADOC_KEEP").is_ok_and(|v| v == "1" || v == "true")
}

fn release(r: &Resource) {
    if keep() {
        crate::say!("yadoc: YADOC_KEEP=1, keeping {r}");
        return;
    }
    let result = match r {
        Resource::Dir(p) => std::fs::remove_dir_all(p)
            .or_else(|e| {
                if e.kind() == std::io::ErrorKind::NotFound {
                    Ok(())
                } else {
                    Err(e)
                }
            })
            .map_err(|e| e.to_string()),
        Resource::ProcessGroup(pid) => {
            // SAFETY: signalling a process group this run created; ESRCH (gone) is fine.
            let group = -(*pid as i32);
            unsafe {
                libc::kill(group, libc::SIGTERM);
            }
            for _ in 0..20 {
                // SAFETY: signal 0 only asks whether the group still exists.
                if unsafe { libc::kill(group, 0) } != 0 {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            unsafe {
                libc::kill(group, libc::SIGKILL);
            }
            // SIGKILL is delivered at once, but the kernel takes a moment to tear the processes down:
            // wait (bounded) so that nothing of the run is still there when yadoc exits
            for _ in 0..40 {
                // SAFETY: as above.
                if unsafe { libc::kill(group, 0) } != 0 {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            Ok(())
        }
        Resource::Container(id) => {
            let r = Cmd::new("docker")
                .args(["rm", "-f", "-v", id])
                .quiet()
                .deadline(Duration::from_secs(60))
                .run();
            match r {
                Err(e) if e.output().contains("No such container") => Ok(()),
                other => other.map(|_| ()).map_err(|e| e.to_string()),
            }
        }
        // --no-prune keeps the untagged parent layers: they are docker's build cache, which makes a
        // warm rebuild fast; the image the run tagged is removed.
        Resource::Image(id) => {
            let r = Cmd::new("docker")
                .args(["rmi", "-f", "--no-prune", id])
                .quiet()
                .deadline(Duration::from_secs(60))
                .run();
            match r {
                Err(e) if e.output().contains("No such image") => Ok(()),
                other => other.map(|_| ()).map_err(|e| e.to_string()),
            }
        }
        Resource::DockerJob(job) => {
            let job = job.clone();
            sweep_docker(&format!("label=org.yadoc.job={job}"), false, move |tag| {
                tag.ends_with(&format!(":{job}"))
            });
            Ok(())
        }
        Resource::Command { argv, env } => {
            let Some((program, args)) = argv.split_first() else {
                return;
            };
            let mut c = Cmd::new(program)
                .args(args)
                .deadline(Duration::from_secs(300));
            for (k, v) in env {
                c = c.env(k, v);
            }
            c.run().map(|_| ()).map_err(|e| e.to_string())
        }
        Resource::DockerRun(run) => {
            let run = run.clone();
            sweep_docker(&format!("label=org.yadoc.run={run}"), true, move |tag| {
                crate::docker_objects::run_of_tag(tag).as_deref() == Some(run.as_str())
            });
            Ok(())
        }
    };
    if let Err(e) = result {
        crate::say!("yadoc: could not remove {r}: {e}");
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        let still = REGISTRY
            .lock()
            .map(|mut r| {
                let before = r.len();
                r.retain(|(id, _)| *id != self.id);
                r.len() != before
            })
            .unwrap_or(true);
        if still {
            release(&self.resource);
        }
    }
}

/// Register a resource that only an interrupt releases (once per resource; it outlives every guard).
pub fn on_interrupt(resource: Resource) {
    if let Ok(mut r) = REGISTRY.lock() {
        if !r.iter().any(|(_, x)| *x == resource) {
            // id 0: no guard refers to it, so only release_all (or unregister) removes it
            r.insert(0, (0, resource));
        }
    }
}

/// Take a resource out of the registry without releasing it (it outlives the run on purpose, like a
/// completed cache entry).
pub fn unregister(resource: &Resource) {
    if let Ok(mut r) = REGISTRY.lock() {
        r.retain(|(_, x)| x != resource);
    }
}

/// Docker clients under way that may make an object (`DaemonClient`).
static DAEMON_CLIENTS: AtomicUsize = AtomicUsize::new(0);
/// Whether one was under way when the signal came: only then can the daemon still commit something
/// after its client is gone, and the interrupt's sweep settles.
static CLIENT_AT_SIGNAL: AtomicBool = AtomicBool::new(false);

/// Held while a docker client runs that may leave an object behind its killed client (a build, a run,
/// a create, a tag...). Taken before the wrapper's `stop_if_interrupted`, so a signal either sees it
/// or stops the command before it starts.
#[derive(Debug)]
pub struct DaemonClient(());

impl Drop for DaemonClient {
    fn drop(&mut self) {
        DAEMON_CLIENTS.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A `DaemonClient` for `program args` when it is a docker client that may make an object; `None`
/// for other programs and for the subcommands that only read or remove (inspect, ps, logs, rm...).
pub fn daemon_client(program: &OsStr, args: &[OsString]) -> Option<DaemonClient> {
    let is_docker = Path::new(program).file_name() == Some(OsStr::new("docker"));
    if !is_docker || !may_make_docker_objects(args) {
        return None;
    }
    DAEMON_CLIENTS.fetch_add(1, Ordering::SeqCst);
    Some(DaemonClient(()))
}

/// Every docker subcommand may make something but those known to only read or remove (unknown ones
/// count: a needless settle costs 3 s, a missed one leaves an object).
fn may_make_docker_objects(args: &[OsString]) -> bool {
    const HARMLESS: &[&str] = &[
        "inspect", "port", "logs", "ps", "images", "version", "info", "rm", "rmi", "stop", "kill",
        "wait", "top", "stats", "events", "ls", "prune", "history",
    ];
    let words: Vec<&str> = args
        .iter()
        .filter_map(|a| a.to_str())
        .filter(|a| !a.starts_with('-'))
        .take(2)
        .collect();
    let command = match words.as_slice() {
        ["image" | "container" | "system", sub, ..] => sub,
        [first, ..] => first,
        [] => return false,
    };
    !HARMLESS.contains(command)
}

/// Remove containers matching a docker filter, then the images yadoc tagged whose tag `mine` accepts
/// (images carry one fixed label and are told apart by their run-unique tag). With `settle`, and
/// when a docker client that may make objects was under way at the signal, repeat until nothing has
/// matched for 3 s (the legacy builder goes on committing a step after its client is killed), for at
/// most 30 s; otherwise once.
fn sweep_docker(filter: &str, settle: bool, mine: impl Fn(&str) -> bool) {
    let settle = settle && CLIENT_AT_SIGNAL.load(Ordering::SeqCst);
    let list = |args: &[&str]| -> Vec<String> {
        Cmd::new("docker")
            .args(args)
            .quiet()
            .deadline(Duration::from_secs(30))
            .run()
            .map(|o| o.stdout.split_whitespace().map(String::from).collect())
            .unwrap_or_default()
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let mut quiet_sweeps = 0;
    let wanted = if settle { 4 } else { 1 };
    while quiet_sweeps < wanted && std::time::Instant::now() < deadline {
        let containers = list(&["ps", "-aq", "--filter", filter]);
        let images: Vec<String> = crate::docker_objects::tagged_images()
            .into_iter()
            .filter(|t| mine(t))
            .collect();
        if containers.is_empty() && images.is_empty() {
            quiet_sweeps += 1;
        } else {
            quiet_sweeps = 0;
            for c in containers {
                release(&Resource::Container(c));
            }
            for i in images {
                release(&Resource::Image(i));
            }
        }
        if settle {
            std::thread::sleep(Duration::from_secs(1));
        }
    }
}

/// Release everything still registered (newest first: containers before their images).
pub fn release_all() {
    let all: Vec<(u64, Resource)> = REGISTRY
        .lock()
        .map(|mut r| std::mem::take(&mut *r))
        .unwrap_or_default();
    for (_, r) in all.iter().rev() {
        release(r);
    }
}

/// `release_all`, saying each release on stderr (after an interrupt the user waits for it).
fn release_all_saying() {
    let all: Vec<(u64, Resource)> = REGISTRY
        .lock()
        .map(|mut r| std::mem::take(&mut *r))
        .unwrap_or_default();
    for (_, r) in all.iter().rev() {
        let verb = match r {
            Resource::ProcessGroup(_) => "stopping",
            _ => "removing",
        };
        crate::say!("yadoc: {verb} {r}");
        release(r);
    }
}

static INTERRUPTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// True once SIGINT/SIGTERM arrived: the run's results are void, the handler is cleaning up and
/// will exit the process; callers must not report or exit on their own.
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// Block forever if interrupted (the signal handler exits the process when cleanup is done).
pub fn wait_if_interrupted() {
    while interrupted() {
        std::thread::sleep(Duration::from_millis(100));
    }
}

thread_local! {
    static CLEANING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether this thread is the one releasing everything after an interrupt (its commands run).
pub fn is_cleanup_thread() -> bool {
    CLEANING.with(|c| c.get())
}

/// Called before a command starts: once interrupted, no new step starts (the calling thread stops
/// here until the handler has cleaned up and ended the process); cleanup's own commands run.
pub fn stop_if_interrupted() {
    if interrupted() && !is_cleanup_thread() {
        wait_if_interrupted();
    }
}

/// On SIGINT or SIGTERM: release everything, then exit with 130 (SIGINT) or 143 (SIGTERM).
pub fn install_signal_handlers() {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM]) else {
        crate::say!("yadoc: cannot install signal handlers; an interrupted run may leave resources (yadoc gc removes them)");
        return;
    };
    std::thread::spawn(move || {
        if let Some(sig) = signals.forever().next() {
            CLEANING.with(|c| c.set(true));
            INTERRUPTED.store(true, Ordering::SeqCst);
            CLIENT_AT_SIGNAL.store(DAEMON_CLIENTS.load(Ordering::SeqCst) > 0, Ordering::SeqCst);
            crate::say!(
                "\nyadoc: interrupted ({}): no new step starts; stopping and removing what this run made",
                if sig == SIGINT { "SIGINT" } else { "SIGTERM" }
            );
            release_all_saying();
            // a step under way when the signal came may have registered something since: a second
            // pass (nothing new can start now)
            release_all_saying();
            crate::say!("yadoc: cleaned up; exit {}", 128 + sig);
            std::process::exit(128 + sig);
        }
    });
}

/// A unique id for this run: names, labels, image tags and temp dirs carry it, so runs never
/// collide. The first call also takes the run's marker lock (`run_alive`).
pub fn run_id() -> &'static str {
    static ID: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let id = ID.get_or_init(|| {
        let id = new_run_id();
        hold_marker(&id);
        id
    });
    id
}

/// Where the runs of one machine find each other: their markers (`run_alive`) and the cluster lock.
/// `/tmp`, never `$TMPDIR`: docker is one per machine, so every run that shares it must see every
/// other's marker whatever TMPDIR each was started with. CI stop 28: a test's `yadoc gc` under its
/// own TMPDIR found no marker for a run beside it, took that live run for a dead one and removed the
/// container it was serving from. `$TMPDIR` only where /tmp is not a writable directory.
pub fn meeting_dir() -> PathBuf {
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let tmp = PathBuf::from("/tmp");
        let writable = tmp.is_dir() && {
            use std::os::unix::ffi::OsStrExt;
            let c = std::ffi::CString::new(tmp.as_os_str().as_bytes()).unwrap_or_default();
            // SAFETY: c is a valid NUL-terminated path; access(2) only reads
            unsafe { libc::access(c.as_ptr(), libc::W_OK | libc::X_OK) == 0 }
        };
        if writable {
            tmp
        } else {
            std::env::temp_dir()
        }
    })
    .clone()
}

/// This run's marker: `/tmp/yadoc-run-<run>.lock` (`meeting_dir`), flock-ed for as long as the
/// process lives (the kernel releases it however the process ends), so `yadoc gc` can tell a live
/// run from the leftovers of a dead one without trusting pids, which are reused.
pub fn run_marker(run: &str) -> PathBuf {
    meeting_dir().join(format!("yadoc-run-{run}.lock"))
}

/// The marker this process holds, for its removal at exit.
static MARKER_PATH: std::sync::OnceLock<std::ffi::CString> = std::sync::OnceLock::new();

fn hold_marker(run: &str) {
    static MARKER: std::sync::OnceLock<Option<std::fs::File>> = std::sync::OnceLock::new();
    MARKER.get_or_init(|| {
        let path = run_marker(run);
        let f = lock_fresh(&path)?;
        // a run that ends normally (main returns, exit(3)) removes its marker, still holding the
        // lock; a killed one leaves it, unlocked, for `yadoc gc`
        use std::os::unix::ffi::OsStrExt;
        if let Ok(c) = std::ffi::CString::new(path.as_os_str().as_bytes()) {
            if MARKER_PATH.set(c).is_ok() {
                // SAFETY: remove_marker is an extern "C" fn without arguments that only unlinks
                unsafe {
                    libc::atexit(remove_marker);
                }
            }
        }
        Some(f)
    });
}

/// `path` created or opened and flock-ed, and still the file at `path` once locked: `yadoc gc`
/// unlinks a dead run's marker while it holds the lock, so a file opened just before that unlink
/// would be locked unseen by anyone. Tried again on a fresh file then; `None` when another process
/// holds it (a run id reused while its run lives) or the directory cannot be written.
fn lock_fresh(path: &Path) -> Option<std::fs::File> {
    use std::os::unix::fs::MetadataExt;
    for _ in 0..8 {
        let f = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .ok()?;
        f.try_lock().ok()?;
        let (held, there) = (f.metadata().ok()?, std::fs::metadata(path));
        if there.is_ok_and(|m| m.dev() == held.dev() && m.ino() == held.ino()) {
            return Some(f);
        }
    }
    None
}

extern "C" fn remove_marker() {
    if let Some(p) = MARKER_PATH.get() {
        // SAFETY: p is a valid NUL-terminated path; unlink has no other effect
        unsafe {
            libc::unlink(p.as_ptr());
        }
    }
}

/// Whether a run's process is alive on this machine: its marker is locked.
pub fn run_alive(run: &str) -> bool {
    let Ok(f) = std::fs::File::open(run_marker(run)) else {
        return false;
    };
    matches!(f.try_lock_shared(), Err(std::fs::TryLockError::WouldBlock))
}

/// Removes a dead run's marker: unlinked while gc holds its lock, so a run starting under the
/// same path at that moment retries on a fresh file (`lock_fresh`). `Ok(false)`: it is alive.
pub fn remove_dead_marker(path: &Path) -> std::io::Result<bool> {
    // read-only: flock needs no write access, and another user's marker is 0644
    let f = std::fs::File::open(path)?;
    match f.try_lock() {
        Ok(()) => std::fs::remove_file(path).map(|()| true),
        Err(std::fs::TryLockError::WouldBlock) => Ok(false),
        Err(std::fs::TryLockError::Error(e)) => Err(e),
    }
}

fn new_run_id() -> String {
    {
        // a caller (a test, a CI job) may name the run, to find what it made by label
        if let Ok(id) = std::env::var("YADOC_RUN_ID") {
            if !id.is_empty()
                && id.len() <= 40
                && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            {
                return id.to_ascii_lowercase();
            }
        }
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        format!("{}-{:06x}", std::process::id(), nanos & 0xff_ffff)
    }
}

/// A name unique within the run and across runs: `<run id>-<n>` (two lessons, or two tests in one
/// process, never share a tag or a container name).
pub fn unique() -> String {
    static N: AtomicU64 = AtomicU64::new(1);
    format!("{}-{}", run_id(), N.fetch_add(1, Ordering::Relaxed))
}

/// A temp dir registered for cleanup (`/tmp/yadoc-<what>-<run>-XXXX`).
pub fn temp_dir(what: &str) -> std::io::Result<(PathBuf, Guard)> {
    let dir = tempfile::Builder::new()
        .prefix(&format!("yadoc-{what}-{}-", run_id()))
        .tempdir()?
        .keep();
    let guard = register(Resource::Dir(dir.clone()));
    Ok((dir, guard))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_docker_clients_that_may_make_objects_count_for_the_settle() {
        let makes = |line: &str| {
            let args: Vec<OsString> = line
                .split_whitespace()
                .skip(1)
                .map(OsString::from)
                .collect();
            let program = line.split_whitespace().next().unwrap();
            daemon_client(OsStr::new(program), &args).is_some()
        };
        for line in [
            "docker build -t yadoc/lesson2:1-a-1 --label org.yadoc.image=1 .",
            "docker run -d --name n -p 127.0.0.1::5000 img",
            "/usr/bin/docker image build .",
            "docker tag a b",
            "docker container create img",
            "docker something-new",
        ] {
            assert!(makes(line), "{line} may leave an object behind its client");
        }
        for line in [
            "docker inspect --format {{.Id}} c",
            "docker image inspect img",
            "docker ps -aq --filter label=org.yadoc.run=1",
            "docker rm -f -v c",
            "docker rmi -f --no-prune i",
            "docker logs --tail 200 c",
            "docker",
            "kubectl run x",
            "/tmp/fakes/k3d image import img",
        ] {
            assert!(!makes(line), "{line} makes no docker object");
        }
    }

    #[test]
    fn resources_read_as_words_not_rust_debug() {
        assert_eq!(
            Resource::Container("yadoc-lesson1-1".into()).to_string(),
            "container yadoc-lesson1-1"
        );
        assert_eq!(
            Resource::Dir("/tmp/x".into()).to_string(),
            "temp dir /tmp/x"
        );
        assert!(!Resource::Image("yadoc/lesson1:1-1".into())
            .to_string()
            .contains('('));
    }

    #[test]
    fn a_dropped_guard_removes_its_dir() {
        let (dir, guard) = temp_dir("unit").unwrap();
        std::fs::write(dir.join("f"), "x").unwrap();
        drop(guard);
        assert!(!dir.exists());
    }
}
