//! Progress of long steps (venv install, image build, cluster create, waiting for the HPA): on a
//! terminal a live line with a spinner, elapsed time and what is awaited; elsewhere (CI, pipes, tests)
//! one plain line when it starts and one when it ends.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A step in progress; `done` (or drop) ends it.
pub struct Progress {
    what: String,
    started: Instant,
    stop: Arc<AtomicBool>,
    ticker: Option<std::thread::JoinHandle<()>>,
    ended: bool,
}

fn live() -> bool {
    std::io::stderr().is_terminal()
        && std::env::var_os("CI").is_none()
        && std::env::var_os("YADOC_QUIET").is_none()
}

impl Progress {
    pub fn start(what: impl Into<String>) -> Self {
        let what = what.into();
        let stop = Arc::new(AtomicBool::new(false));
        let started = Instant::now();
        let ticker = if live() {
            let (what, stop) = (what.clone(), stop.clone());
            Some(std::thread::spawn(move || {
                let frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
                let mut i = 0;
                while !stop.load(Ordering::SeqCst) {
                    eprint!(
                        "\r\x1b[2K{} {what} ({}s)",
                        frames[i % frames.len()],
                        started.elapsed().as_secs()
                    );
                    let _ = std::io::stderr().flush();
                    i += 1;
                    std::thread::sleep(Duration::from_millis(120));
                }
                eprint!("\r\x1b[2K");
            }))
        } else {
            if std::env::var_os("YADOC_QUIET").is_none() {
                eprintln!("… {what}");
            }
            None
        };
        Self {
            what,
            started,
            stop,
            ticker,
            ended: false,
        }
    }

    /// End the step, saying whether it worked.
    pub fn done(mut self, ok: bool) {
        self.end(ok);
    }

    fn end(&mut self, ok: bool) {
        if self.ended {
            return;
        }
        self.ended = true;
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.ticker.take() {
            let _ = t.join();
        }
        if std::env::var_os("YADOC_QUIET").is_none() {
            eprintln!(
                "{} {} ({:.1}s)",
                if ok { "✓" } else { "✗" },
                self.what,
                self.started.elapsed().as_secs_f64()
            );
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.end(false);
    }
}
