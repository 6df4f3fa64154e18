//! Progress of long steps (venv install, image build, cluster create, waiting for the HPA): on a
//! terminal a live spinner line with elapsed time and what is awaited (indicatif); elsewhere (CI,
//! pipes, tests) one plain line when it starts and one when it ends. Every other line yadoc writes
//! to stderr while a spinner runs (`$ docker build …`) goes through `echo`, which prints it above the
//! spinners instead of through them.

use std::io::IsTerminal;

/// `eprintln!` that never panics: a reader that went away (`yadoc … 2>&1 | head -2`, EPIPE) must
/// not crash a run, which still has its resources to release and its exit code to give. Inside
/// `capture` the line goes to the capture instead (a test's own output).
#[macro_export]
macro_rules! say {
    ($($t:tt)*) => {{
        $crate::progress::say_line(&format!($($t)*));
    }};
}

type Sink = std::sync::Arc<std::sync::Mutex<String>>;

thread_local! {
    static SINK: std::cell::RefCell<Option<Sink>> = const { std::cell::RefCell::new(None) };
}

/// One line for the user on stderr, or into this thread's capture.
pub fn say_line(line: &str) {
    let captured = SINK.with(|s| {
        s.borrow().as_ref().map(|sink| {
            if let Ok(mut out) = sink.lock() {
                out.push_str(line);
                out.push('\n');
            }
        })
    });
    if captured.is_none() {
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), "{line}");
    }
}

/// This thread's capture, to hand to a thread it starts (`with_capture`).
pub fn current_capture() -> Option<Sink> {
    SINK.with(|s| s.borrow().clone())
}

/// Run `f` with `sink` as this thread's capture (the one of the thread that started it).
pub fn with_capture<R>(sink: Option<Sink>, f: impl FnOnce() -> R) -> R {
    let before = SINK.with(|s| s.replace(sink));
    let r = f();
    SINK.with(|s| s.replace(before));
    r
}

/// Run `f`, keeping what yadoc says meanwhile (command echoes, progress) out of stderr: a test
/// shows it with its failure, as cargo test shows a test's captured output.
pub fn capture<R>(f: impl FnOnce() -> R) -> (R, String) {
    let sink: Sink = Default::default();
    let r = with_capture(Some(sink.clone()), f);
    let text = sink.lock().map(|s| s.clone()).unwrap_or_default();
    (r, text)
}

/// `println!` that never panics (see `say!`).
#[macro_export]
macro_rules! outln {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($t)*);
    }};
}

/// `print!` that never panics (see `say!`).
#[macro_export]
macro_rules! out {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let mut o = std::io::stdout();
        let _ = write!(o, $($t)*);
        let _ = o.flush();
    }};
}
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

fn live() -> bool {
    current_capture().is_none()
        && std::io::stderr().is_terminal()
        && std::env::var_os("CI").is_none()
        && std::env::var_os("YADOC_QUIET").is_none()
}

/// The spinners of this process, on stderr when live, hidden otherwise.
fn spinners() -> &'static MultiProgress {
    static M: OnceLock<MultiProgress> = OnceLock::new();
    M.get_or_init(|| {
        MultiProgress::with_draw_target(if live() {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        })
    })
}

/// Print a line to stderr without garbling a live spinner (above it, when one runs).
pub fn echo(line: &str) {
    echo_to(spinners(), line, live());
}

fn echo_to(m: &MultiProgress, line: &str, live: bool) {
    if live {
        let _ = m.println(line);
    } else {
        crate::say!("{line}");
    }
}

/// A step in progress; `done` (or drop) ends it.
pub struct Progress {
    what: String,
    started: Instant,
    bar: Option<ProgressBar>,
    ended: bool,
}

impl Progress {
    pub fn start(what: impl Into<String>) -> Self {
        let what = what.into();
        let bar = if live() {
            Some(spinner(spinners(), &what))
        } else {
            if std::env::var_os("YADOC_QUIET").is_none() {
                crate::say!("… {what}");
            }
            None
        };
        Self {
            what,
            started: Instant::now(),
            bar,
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
        if let Some(b) = self.bar.take() {
            b.finish_and_clear();
        }
        if std::env::var_os("YADOC_QUIET").is_none() {
            // a step the user interrupted did not fail: it was stopped
            let mark = if ok {
                "✓"
            } else if crate::cleanup::interrupted() {
                "⊘ interrupted:"
            } else {
                "✗"
            };
            echo(&format!(
                "{mark} {} ({:.1}s)",
                self.what,
                self.started.elapsed().as_secs_f64()
            ));
        }
    }
}

fn spinner(m: &MultiProgress, what: &str) -> ProgressBar {
    let bar = m.add(ProgressBar::new_spinner());
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.set_message(what.to_string());
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.end(false);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use indicatif::InMemoryTerm;

    #[test]
    fn an_echoed_command_prints_above_the_spinner_never_through_it() {
        let term = InMemoryTerm::new(10, 80);
        let m =
            MultiProgress::with_draw_target(ProgressDrawTarget::term_like(Box::new(term.clone())));
        let bar = spinner(&m, "installing requirements.txt");
        bar.tick();
        echo_to(&m, "$ docker build -t yadoc/lesson1:1-1 .", true);
        bar.tick();
        let screen = term.contents();
        let lines: Vec<&str> = screen.lines().collect();
        assert_eq!(
            lines[0], "$ docker build -t yadoc/lesson1:1-1 .",
            "{screen}"
        );
        assert!(
            lines[1].contains("installing requirements.txt") && !lines[1].contains("docker"),
            "{screen}"
        );
        bar.finish_and_clear();
    }
}
