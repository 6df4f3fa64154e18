//! Nothing a run makes outlives it: after `yadoc check --tier image|app` passes, fails or is
//! interrupted with SIGINT, no container, image (found by the run's label), temp dir or process is left.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use yadoc::tiers::docker::labelled;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn required(tier: &str) -> bool {
    std::env::var("YADOC_REQUIRE").is_ok_and(|v| v.split(',').any(|t| t == tier || t == "all"))
}

/// Docker is usable, or this test says it is skipped (and fails where the tier is required).
fn docker_ready() -> bool {
    match yadoc::tiers::prereq::docker() {
        Ok(_) => true,
        Err(reason) if required("image") => panic!("image tier required but unavailable: {reason}"),
        Err(reason) => {
            eprintln!("SKIPPED: {reason}");
            false
        }
    }
}

fn run_id(what: &str) -> String {
    format!("t-{what}-{}", std::process::id())
}

fn yadoc(run: &str, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_yadoc"));
    c.args(args)
        .env("YADOC_RUN_ID", run)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

fn temp_dirs(run: &str) -> Vec<PathBuf> {
    std::fs::read_dir(std::env::temp_dir())
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| {
                    p.file_name().is_some_and(|n| {
                        n.to_string_lossy().starts_with("yadoc-")
                            && n.to_string_lossy().contains(&format!("-{run}-"))
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

fn assert_nothing_left(run: &str) {
    let (containers, images) = labelled(Some(run));
    assert!(
        containers.is_empty(),
        "containers left by run {run}: {containers:?}"
    );
    assert!(images.is_empty(), "images left by run {run}: {images:?}");
    assert!(
        temp_dirs(run).is_empty(),
        "temp dirs left by run {run}: {:?}",
        temp_dirs(run)
    );
}

fn wait_until(what: &str, deadline: Duration, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(
            start.elapsed() < deadline,
            "gave up waiting for {what} after {deadline:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn interrupt(child: &mut Child) -> i32 {
    // SAFETY: signalling our own child process.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status.code().unwrap_or(-1);
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "yadoc did not exit within 60 s of SIGINT"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn an_image_run_that_passes_leaves_nothing_behind() {
    if !docker_ready() {
        return;
    }
    let run = run_id("pass");
    let corrected = root().join("fixtures/corrected").display().to_string();
    let out = yadoc(
        &run,
        &[
            "check",
            "lesson1",
            "--lessons",
            &corrected,
            "--tier",
            "image",
        ],
    )
    .output()
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    if stdout.contains("skipped:") && !required("image") {
        eprintln!("SKIPPED: {stdout}");
        return;
    }
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_nothing_left(&run);
}

#[test]
fn an_image_run_that_fails_leaves_nothing_behind() {
    if !docker_ready() {
        return;
    }
    // lesson 1 as written, without the known-drift register: its container crashes, the run fails
    let dir = tempfile::tempdir().unwrap();
    for f in ["lesson1.md", "lesson1.yaml"] {
        std::fs::copy(root().join("lessons").join(f), dir.path().join(f)).unwrap();
    }
    let run = run_id("fail");
    let out = yadoc(
        &run,
        &[
            "check",
            "lesson1",
            "--lessons",
            &dir.path().display().to_string(),
            "--tier",
            "image",
        ],
    )
    .output()
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    if stdout.contains("skipped:") && !required("image") {
        eprintln!("SKIPPED: {stdout}");
        return;
    }
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("url_quote"), "{stdout}");
    assert_nothing_left(&run);
}

#[test]
fn sigint_during_the_image_tier_leaves_nothing_behind() {
    if !docker_ready() {
        return;
    }
    let run = run_id("sigint-image");
    let corrected = root().join("fixtures/corrected").display().to_string();
    let mut child = yadoc(
        &run,
        &[
            "check",
            "lesson2",
            "--lessons",
            &corrected,
            "--tier",
            "image",
        ],
    )
    .spawn()
    .unwrap();
    // interrupt once the run has built its image (its container and temp dir exist then or soon)
    let mut exited = None;
    wait_until("the run's image", Duration::from_secs(600), || {
        if let Ok(Some(status)) = child.try_wait() {
            exited = Some(status);
            return true;
        }
        let (containers, images) = labelled(Some(&run));
        !containers.is_empty() || !images.is_empty()
    });
    if let Some(status) = exited {
        let mut out = String::new();
        std::io::Read::read_to_string(child.stdout.as_mut().unwrap(), &mut out).unwrap();
        assert!(
            out.contains("skipped:") && !required("image"),
            "yadoc exited ({status}) before it could be interrupted:\n{out}"
        );
        eprintln!("SKIPPED: {out}");
        return;
    }
    let code = interrupt(&mut child);
    assert_eq!(code, 130, "exit code after SIGINT");
    assert_nothing_left(&run);
    // and nothing arrives late (a build the daemon finished after the client was gone)
    std::thread::sleep(Duration::from_secs(5));
    assert_nothing_left(&run);
}

#[test]
fn sigint_during_the_app_tier_stops_the_app_and_removes_its_dir() {
    if yadoc::tiers::prereq::python().is_err() && !required("app") {
        eprintln!("SKIPPED: no python3 with venv");
        return;
    }
    let run = run_id("sigint-app");
    let corrected = root().join("fixtures/corrected").display().to_string();
    let mut child = yadoc(
        &run,
        &["check", "lesson2", "--lessons", &corrected, "--tier", "app"],
    )
    .spawn()
    .unwrap();
    // the app's temp dir holds its log once the server is started
    wait_until("the app server", Duration::from_secs(600), || {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("yadoc exited ({status}) before it could be interrupted");
        }
        temp_dirs(&run)
            .iter()
            .any(|d| d.join(".yadoc-app.log").exists())
    });
    let dir = temp_dirs(&run).remove(0);
    let code = interrupt(&mut child);
    assert_eq!(code, 130);
    assert!(temp_dirs(&run).is_empty(), "{:?}", temp_dirs(&run));
    // no process of the run is left: none has its working directory in the app's dir (gunicorn runs
    // there); other tests' apps run elsewhere
    let left: Vec<String> = std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(Result::ok)
        .filter_map(|e| {
            std::fs::read_link(e.path().join("cwd"))
                .ok()
                .map(|cwd| (e.file_name(), cwd))
        })
        .filter(|(_, cwd)| {
            cwd.starts_with(&dir)
                || cwd
                    .to_string_lossy()
                    .starts_with(&dir.display().to_string())
        })
        .map(|(pid, cwd)| format!("pid {} in {}", pid.to_string_lossy(), cwd.display()))
        .collect();
    assert!(left.is_empty(), "processes left: {left:?}");
}

#[test]
fn two_runs_at_once_do_not_collide() {
    if !docker_ready() || yadoc::tiers::prereq::python().is_err() {
        return;
    }
    let corrected = root().join("fixtures/corrected").display().to_string();
    let (a, b) = (run_id("concurrent-a"), run_id("concurrent-b"));
    let args = [
        "check",
        "lesson1",
        "lesson2",
        "--lessons",
        &corrected,
        "--tier",
        "app,image",
    ];
    let first = yadoc(&a, &args).spawn().unwrap();
    let second = yadoc(&b, &args).spawn().unwrap();
    for (run, child) in [(&a, first), (&b, second)] {
        let out = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        if stdout.contains("skipped:") && !required("image") {
            eprintln!("SKIPPED: {stdout}");
            return;
        }
        assert_eq!(
            out.status.code(),
            Some(0),
            "run {run}:\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.contains("0 failed"), "{stdout}");
        assert_nothing_left(run);
    }
}
