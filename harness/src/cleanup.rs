//! Cleanup guarantees: every temp dir, process group, container and image a run makes is registered
//! here through a guard. Dropping the guard (success, failure, panic unwinding) releases it; a SIGINT
//! or SIGTERM releases everything still registered before the process exits. `YADOC_KEEP=1` keeps
//! resources for debugging and prints where they are.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use crate::process::Cmd;

/// Something a run made that must not outlive it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resource {
    Dir(PathBuf),
    ProcessGroup(u32),
    Container(String),
    Image(String),
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
}

/// Register a resource; it is released when the guard drops or the process is interrupted.
pub fn register(resource: Resource) -> Guard {
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
        eprintln!("yadoc: YADOC_KEEP=1, keeping {r:?}");
        return;
    }
    let quiet = |c: Cmd| c.quiet().deadline(Duration::from_secs(60)).run().map(|_| ());
    let result = match r {
        Resource::Dir(p) => std::fs::remove_dir_all(p).or_else(|e| if e.kind() == std::io::ErrorKind::NotFound { Ok(()) } else { Err(e) }).map_err(|e| e.to_string()),
        Resource::ProcessGroup(pid) => {
            // SAFETY: signalling a process group this run created; ESRCH (gone) is fine.
            unsafe {
                libc::kill(-(*pid as i32), libc::SIGTERM);
            }
            std::thread::sleep(Duration::from_millis(200));
            unsafe {
                libc::kill(-(*pid as i32), libc::SIGKILL);
            }
            Ok(())
        }
        Resource::Container(id) => quiet(Cmd::new("docker").args(["rm", "-f", "-v", id])).map_err(|e| e.to_string()),
        // --no-prune keeps the untagged parent layers: they are docker's build cache, which makes a
        // warm rebuild fast; the image the run tagged is removed.
        Resource::Image(id) => quiet(Cmd::new("docker").args(["rmi", "-f", "--no-prune", id])).map_err(|e| e.to_string()),
    };
    if let Err(e) = result {
        eprintln!("yadoc: could not remove {r:?}: {e}");
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

/// Take a resource out of the registry without releasing it (it outlives the run on purpose, like a
/// completed cache entry).
pub fn unregister(resource: &Resource) {
    if let Ok(mut r) = REGISTRY.lock() {
        r.retain(|(_, x)| x != resource);
    }
}

/// Release everything still registered (newest first: containers before their images).
pub fn release_all() {
    let all: Vec<(u64, Resource)> = REGISTRY.lock().map(|mut r| std::mem::take(&mut *r)).unwrap_or_default();
    for (_, r) in all.iter().rev() {
        release(r);
    }
}

/// On SIGINT or SIGTERM: release everything, then exit with 130 (SIGINT) or 143 (SIGTERM).
pub fn install_signal_handlers() {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM]) else {
        eprintln!("yadoc: cannot install signal handlers; an interrupted run may leave resources (yadoc gc removes them)");
        return;
    };
    std::thread::spawn(move || {
        if let Some(sig) = signals.forever().next() {
            eprintln!("\nyadoc: interrupted, cleaning up");
            release_all();
            std::process::exit(128 + sig);
        }
    });
}

/// A unique id for this run: names, labels and temp dirs carry it, so runs never collide.
pub fn run_id() -> &'static str {
    static ID: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    ID.get_or_init(|| {
        // a caller (a test, a CI job) may name the run, to find what it made by label
        if let Ok(id) = std::env::var("YADOC_RUN_ID") {
            if !id.is_empty() && id.len() <= 40 && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
                return id.to_ascii_lowercase();
            }
        }
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
        format!("{}-{:06x}", std::process::id(), nanos & 0xff_ffff)
    })
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
    fn a_dropped_guard_removes_its_dir() {
        let (dir, guard) = temp_dir("unit").unwrap();
        std::fs::write(dir.join("f"), "x").unwrap();
        drop(guard);
        assert!(!dir.exists());
    }

    #[test]
    fn release_all_removes_what_is_still_registered() {
        let (dir, guard) = temp_dir("unit").unwrap();
        std::mem::forget(guard);
        release_all();
        assert!(!dir.exists());
    }
}
