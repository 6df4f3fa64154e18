//! The `yadoc` command line.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};

use yadoc::checks::finding::Tier;
use yadoc::report::{self, Report};

const AFTER_HELP: &str = "\
Exit codes (check): 0 nothing unexpected failed (known drift is expected); 1 failures; 2 usage or \
environment errors. fix: 0 the fixed lessons leave nothing for a human and every tier ran, else 1. \
doctor: the sum of 1 (app), 2 (image), 4 (cluster) for the tiers that cannot run.

Environment: YADOC_REQUIRE (tiers that must run: app,image,cluster,workflows,corpus,all), \
YADOC_LESSONS, YADOC_PYTHON, YADOC_CACHE, YADOC_READY_SECS, YADOC_BASE_IMAGES, YADOC_KEEP, YADOC_RUN_ID, YADOC_QUIET, \
YADOC_K3S_IMAGE, YADOC_K3D / YADOC_KUBECTL / YADOC_DOCKER / YADOC_CURL / YADOC_YQ, \
YADOC_REGISTRY_USERNAME / YADOC_REGISTRY_PASSWORD / YADOC_REGISTRY_MIRROR, NO_COLOR, \
CLICOLOR_FORCE / FORCE_COLOR. The README describes each.";

#[derive(Parser)]
#[command(
    name = "yadoc",
    version,
    about = "Turns each YADOC lesson into an executable conformance test",
    after_help = AFTER_HELP
)]
struct Cli {
    /// Colour in the text report: auto (a terminal, unless NO_COLOR; CLICOLOR_FORCE or
    /// FORCE_COLOR force it), always, never.
    #[arg(long, value_enum, default_value = "auto", global = true)]
    color: ColorChoice,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// Whether the text report is coloured, as cargo decides it: `--color` first; in auto, NO_COLOR
/// (set and not empty) turns it off, CLICOLOR_FORCE or FORCE_COLOR (set, not empty, not 0) on,
/// else a terminal on stdout.
fn colour(choice: ColorChoice) -> bool {
    let set = |k: &str| std::env::var(k).is_ok_and(|v| !v.is_empty() && v != "0");
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto if std::env::var("NO_COLOR").is_ok_and(|v| !v.is_empty()) => false,
        ColorChoice::Auto if set("CLICOLOR_FORCE") || set("FORCE_COLOR") => true,
        ColorChoice::Auto => std::io::stdout().is_terminal(),
    }
}

/// What `yadoc load` can print.
#[derive(Clone, Copy, ValueEnum)]
enum LoadFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Text,
    Json,
    Junit,
    Markdown,
    /// GitHub workflow commands: each finding annotates its lesson line in a pull request's diff.
    Github,
    /// SARIF 2.1.0, for GitHub code scanning (github/codeql-action/upload-sarif).
    Sarif,
}

#[derive(Subcommand)]
enum Command {
    /// Check lessons (all of them when none is named).
    Check {
        /// Lessons to check: `lesson2`, `lesson2.md` or a path.
        #[arg(value_name = "LESSON")]
        names: Vec<String>,
        /// Directory of lesson markdown files (default: YADOC_LESSONS, else the nearest
        /// lessons/course.yaml from here up).
        #[arg(long = "lessons", value_name = "DIR")]
        lessons_dir: Option<PathBuf>,
        /// Tiers to run, comma-separated (static, app, image, cluster).
        #[arg(long, default_value = "static", value_delimiter = ',')]
        tier: Vec<String>,
        /// How to print the report.
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
        /// Also write report.json, junit.xml, summary.md, report.txt, report.sarif, diagnostics/ and the
        /// cluster runs' transcripts/ into DIR.
        #[arg(long, value_name = "DIR")]
        report_dir: Option<PathBuf>,
        /// Only these checks (comma-separated ids, as a failure's `rerun:` line gives them).
        #[arg(long = "check", value_name = "ID", value_delimiter = ',')]
        only: Vec<String>,
        /// The text report with every check's row, every note and known drift's evidence.
        #[arg(short, long)]
        verbose: bool,
    },
    /// Show a lesson's steps and files, with the lesson line each comes from.
    Plan {
        /// The lesson: `lesson2`, `lesson2.md` or a path.
        #[arg(value_name = "LESSON")]
        lesson: String,
        /// `cluster`: the commands a cluster run executes, each next to its literal lesson line.
        #[arg(long)]
        tier: Option<String>,
        /// Directory of lesson markdown files (default as for check).
        #[arg(long = "lessons", value_name = "DIR")]
        lessons_dir: Option<PathBuf>,
    },
    /// Every prerequisite per tier, with the version found, what the lessons expect and the fix.
    /// Exit code: 0 when every tier can run, else 1 (app) + 2 (image) + 4 (cluster) for those that cannot.
    Doctor {
        /// Directory of the lessons whose prerequisites to check (default as for check).
        #[arg(long = "lessons", value_name = "DIR")]
        lessons_dir: Option<PathBuf>,
    },
    /// Remove what dead runs left: k3d clusters, containers, images and temp dirs (never a live run's,
    /// never docker's build cache).
    Gc {
        /// Also empty the venv cache (YADOC_CACHE): every venv no running yadoc is using, each
        /// named with its size; the app tier builds one again when it next needs it.
        #[arg(long)]
        cache: bool,
    },
    /// Bounded HTTP load against a server on loopback (what lesson 2's HPA test sends).
    Load {
        /// http://127.0.0.1:PORT/… (or a virtual host with --connect)
        url: String,
        /// Total requests, at most.
        #[arg(long, default_value_t = 200)]
        requests: u64,
        #[arg(long, default_value_t = 8)]
        concurrency: usize,
        /// Seconds, at most.
        #[arg(long, default_value_t = 30)]
        duration: u64,
        /// Connect to this loopback address for the URL's host (HOST:PORT is resolved to it).
        #[arg(long, value_name = "127.0.0.1:PORT")]
        connect: Option<std::net::SocketAddr>,
        /// How to print the load's figures.
        #[arg(long, value_enum, default_value = "text")]
        format: LoadFormat,
    },
    /// The mechanical fixes of the findings as a unified diff of the lessons (`git apply` accepts it);
    /// `--write` applies it. Findings that need a human are listed on stderr, not guessed. Known drift
    /// is left alone unless --include-drift. Exit code: 0 when the fixed lessons have nothing left
    /// for a human and every tier ran, 1 otherwise, 2 usage or environment errors.
    Fix {
        /// Lessons to fix: `lesson2`, `lesson2.md` or a path (all of them when none is named).
        #[arg(value_name = "LESSON")]
        names: Vec<String>,
        /// Directory of lesson markdown files (default as for check).
        #[arg(long = "lessons", value_name = "DIR")]
        lessons_dir: Option<PathBuf>,
        /// Tiers whose findings to fix (the app tier finds the requirement pins).
        #[arg(long, default_value = "static,app", value_delimiter = ',')]
        tier: Vec<String>,
        /// Apply the fixes to the lesson files instead of printing the diff.
        #[arg(long)]
        write: bool,
        /// Also fix the known drift (the defects lessons/known-drift.yaml expects) and delete the
        /// register entries those fixes settle, in the same diff.
        #[arg(long)]
        include_drift: bool,
    },
    /// Write a lesson's files (app.py, Dockerfile, manifests, derived files) into a directory.
    Extract {
        /// The lesson: `lesson2`, `lesson2.md` or a path.
        #[arg(value_name = "LESSON")]
        lesson: String,
        /// Directory to write the files into (made when missing).
        #[arg(long, value_name = "OUT")]
        out: PathBuf,
        /// Overwrite files of OUT whose content differs from the lesson's.
        #[arg(long)]
        force: bool,
        /// The corrected lesson (fixtures/corrected beside the lessons): the smallest changes that
        /// make it pass every tier.
        #[arg(long)]
        corrected: bool,
        /// Directory of lesson markdown files (default as for check).
        #[arg(long = "lessons", value_name = "DIR")]
        lessons_dir: Option<PathBuf>,
    },
}

/// `--tier static,app` → the tiers, or a usage error naming the unknown one.
fn parse_tiers(names: &[String]) -> anyhow::Result<Vec<Tier>> {
    names
        .iter()
        .map(|t| {
            Tier::parse(t)
                .with_context(|| format!("unknown tier `{t}` (static, app, image, cluster)"))
        })
        .collect()
}

/// The default lessons directory, said when it is not `./lessons`.
fn default_lessons() -> std::path::PathBuf {
    let (dir, origin) = yadoc::course::default_dir();
    if let Some(note) = yadoc::course::where_from(&dir, origin) {
        yadoc::say!("{note}");
    }
    dir
}

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(e) => {
            yadoc::say!("yadoc: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run() -> anyhow::Result<ExitCode> {
    yadoc::cleanup::install_signal_handlers();
    yadoc::tiers::prereq::check_require_var().map_err(anyhow::Error::msg)?;
    yadoc::tiers::http::check_ready_var().map_err(anyhow::Error::msg)?;
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return Ok(ExitCode::from(code));
        }
    };
    match cli.command {
        Command::Check {
            names,
            lessons_dir,
            tier,
            format,
            report_dir,
            only,
            verbose,
        } => {
            let dir = lessons_dir.unwrap_or_else(default_lessons);
            let tiers = parse_tiers(&tier)?;
            if tiers.contains(&Tier::App) {
                yadoc::tiers::venv::cache_writable().map_err(anyhow::Error::msg)?;
            }
            let loaded = yadoc::course::load_noting(&dir, &names, |p| {
                yadoc::say!(
                    "yadoc: note: {} has no fenced code block: not a lesson, skipped",
                    p.display()
                )
            })?;
            let (wall, clock) = (std::time::SystemTime::now(), std::time::Instant::now());
            let mut outcomes = yadoc::run::check(&dir, &loaded, &tiers)?;
            // an interrupted run reports nothing: the signal handler cleans up and exits 130
            yadoc::cleanup::wait_if_interrupted();
            if !only.is_empty() {
                outcomes = yadoc::run::only(outcomes, &only).map_err(anyhow::Error::msg)?;
            }
            let report = Report::new(loaded.iter().map(|l| l.file_name()).collect(), outcomes)
                .with_run(report::RunInfo::new(wall, clock.elapsed()));
            match format {
                Format::Text => yadoc::out!(
                    "{}",
                    report::text::render_with(&report, &loaded, colour(cli.color), verbose)
                ),
                Format::Json => yadoc::out!("{}", report::json::render(&report)),
                Format::Junit => yadoc::out!("{}", report::junit::render(&report, &loaded)),
                Format::Markdown => yadoc::out!("{}", report::markdown::render(&report)),
                Format::Github => yadoc::out!(
                    "{}",
                    report::github::render(&report, &yadoc::fix::repo_root(&dir), &dir)
                ),
                Format::Sarif => yadoc::outln!(
                    "{}",
                    report::sarif::render(&report, &yadoc::fix::repo_root(&dir), &dir)
                ),
            }
            if let Some(dir) = report_dir {
                report::dir::write(&dir, &report, &loaded)
                    .with_context(|| format!("cannot write the report to {}", dir.display()))?;
            }
            // a tier asked for that ran nothing is never silent, whatever the exit code
            for t in &tiers {
                let mine: Vec<_> = report.outcomes.iter().filter(|o| o.tier == *t).collect();
                let skipped = |o: &&yadoc::checks::finding::Outcome| match &o.status {
                    yadoc::checks::finding::Status::Skipped { reason } => Some(reason.clone()),
                    _ => None,
                };
                if !mine.is_empty() && mine.iter().all(|o| skipped(o).is_some()) {
                    let mut why: Vec<String> = mine.iter().filter_map(skipped).collect();
                    why.dedup();
                    yadoc::say!(
                        "yadoc: nothing of the {} tier ran here: {}",
                        t.as_str(),
                        why.join("; ")
                    );
                }
            }
            Ok(if report.has_failures() {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Fix {
            names,
            lessons_dir,
            tier,
            write,
            include_drift,
        } => {
            let dir = lessons_dir.unwrap_or_else(default_lessons);
            let tiers = parse_tiers(&tier)?;
            if tiers.contains(&Tier::App) {
                yadoc::tiers::venv::cache_writable().map_err(anyhow::Error::msg)?;
            }
            let loaded = yadoc::course::load(&dir, &names)?;
            let drift = if include_drift {
                yadoc::fix::Drift::Include
            } else {
                yadoc::fix::Drift::LeaveAlone
            };
            let fixes = yadoc::fix::plan(&dir, &loaded, &tiers, drift)?;
            yadoc::cleanup::wait_if_interrupted();
            for f in &fixes.fixed {
                yadoc::say!("fixed: {} at {}:{} — {}", f.check, f.lesson, f.line, f.fix);
            }
            for f in &fixes.drift_left {
                yadoc::say!(
                    "known drift, left alone: {} at {}:{}{}",
                    f.check,
                    f.lesson,
                    f.line,
                    if f.edit.is_some() {
                        " (--include-drift fixes it)"
                    } else {
                        ""
                    }
                );
            }
            for f in &fixes.manual {
                yadoc::say!(
                    "needs a human: {} at {}:{} — {}",
                    f.check,
                    f.lesson,
                    f.line,
                    f.fix
                );
            }
            for n in &fixes.not_run {
                yadoc::say!("not run (its fixes are unknown): {n}");
            }
            if include_drift {
                for e in &fixes.entries_unjudged {
                    yadoc::say!(
                        "register entry of a tier this fix did not run, left as it is: {e}"
                    );
                }
            }
            if write {
                for (file, text) in &fixes.fixed_text {
                    std::fs::write(dir.join(file), text)
                        .with_context(|| format!("cannot write {}", dir.join(file).display()))?;
                    yadoc::say!("wrote {}", dir.join(file).display());
                }
            } else {
                yadoc::out!(
                    "{}",
                    yadoc::fix::unified_diff(&dir, &yadoc::fix::repo_root(&dir), &fixes)
                );
            }
            let remains = fixes.manual.len() + fixes.not_run.len();
            Ok(if fixes.settles_everything() {
                yadoc::say!("fix: nothing is left for a human");
                ExitCode::SUCCESS
            } else {
                yadoc::say!(
                    "fix: {remains} thing(s) left ({} for a human, {} tier check(s) not run): exit 1",
                    fixes.manual.len(),
                    fixes.not_run.len()
                );
                ExitCode::from(1)
            })
        }
        Command::Plan {
            lesson,
            lessons_dir,
            tier,
        } => {
            let dir = lessons_dir.unwrap_or_else(default_lessons);
            let l = yadoc::lesson::Lesson::load(&yadoc::course::resolve(&dir, &lesson)?)?;
            match tier.as_deref() {
                None | Some("static") => yadoc::out!("{}", yadoc::plan::render(&l)),
                Some("cluster") => yadoc::out!("{}", yadoc::plan::render_cluster(&l)),
                Some(other) => anyhow::bail!(
                    "`plan --tier {other}`: plans exist for static (the default) and cluster"
                ),
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Doctor { lessons_dir } => {
            let dir = lessons_dir.unwrap_or_else(default_lessons);
            let lessons = yadoc::course::load(&dir, &[]).unwrap_or_default();
            let items = yadoc::doctor::items(&lessons);
            yadoc::out!("{}", yadoc::doctor::render(&items));
            Ok(ExitCode::from(yadoc::doctor::exit_code(&items)))
        }
        Command::Gc { cache } => {
            let mut report = yadoc::gc::run();
            if cache {
                let venvs = yadoc::gc::cache();
                report.removed.extend(venvs.removed);
                report.left.extend(venvs.left);
                report.failed.extend(venvs.failed);
            }
            for r in &report.removed {
                yadoc::outln!("removed {r}");
            }
            for l in &report.left {
                yadoc::outln!("left alone: {l}");
            }
            for f in &report.failed {
                yadoc::outln!("could not remove {f}");
            }
            yadoc::outln!(
                "{} leftover(s) removed, {} left alone, {} failure(s)",
                report.removed.len(),
                report.left.len(),
                report.failed.len()
            );
            Ok(if report.failed.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Command::Load {
            url,
            requests,
            concurrency,
            duration,
            connect,
            format,
        } => {
            let host = reqwest::Url::parse(&url)
                .with_context(|| format!("bad URL {url}"))?
                .host_str()
                .unwrap_or("")
                .to_string();
            let spec = yadoc::load::LoadSpec {
                target: yadoc::tiers::http::Target {
                    url,
                    connect: connect.map(|a| (host, a)),
                },
                requests,
                concurrency,
                max_duration: std::time::Duration::from_secs(duration),
                timeout: std::time::Duration::from_secs(30),
            };
            let rt = tokio::runtime::Runtime::new()?;
            let report = rt
                .block_on(yadoc::load::run(&spec))
                .map_err(anyhow::Error::msg)?;
            match format {
                LoadFormat::Json => yadoc::outln!("{}", serde_json::to_string_pretty(&report)?),
                _ => yadoc::outln!("{report}"),
            }
            Ok(if report.failed > 0 {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Extract {
            lesson,
            out,
            force,
            corrected,
            lessons_dir,
        } => {
            use yadoc::extract::Change;
            let written = lessons_dir.unwrap_or_else(default_lessons);
            let dir = if corrected {
                let c = yadoc::fix::repo_root(&written).join("fixtures/corrected");
                if !c.join("course.yaml").is_file() {
                    anyhow::bail!(
                        "--corrected: no corrected course at {} (it lives in yadoc's repository, beside lessons/)",
                        c.display()
                    );
                }
                c
            } else {
                written
            };
            let l = yadoc::lesson::Lesson::load(&yadoc::course::resolve(&dir, &lesson)?)?;
            if l.files.is_empty() {
                anyhow::bail!(
                    "{}: the lesson defines no file to extract (no block is bound to a file name)",
                    l.file_name()
                );
            }
            let changes = yadoc::extract::changes(&l, &out);
            let differ: Vec<String> = changes
                .iter()
                .filter(|(_, c)| *c == Change::Differs)
                .map(|(p, _)| p.display().to_string())
                .collect();
            if !differ.is_empty() && !force {
                anyhow::bail!(
                    "{} already there with other content (edited?): not overwritten; --force replaces {}",
                    differ.join(", "),
                    if differ.len() == 1 { "it" } else { "them" }
                );
            }
            yadoc::extract::write(&l, &out)?;
            for (p, c) in changes {
                let what = match c {
                    Change::New => "written",
                    Change::Unchanged => "unchanged",
                    Change::Differs => "overwritten (--force)",
                };
                yadoc::outln!("{} ({what})", p.display());
            }
            // what the reader should know before running it: the lesson's known drift, each with
            // its one line, the corrected lesson, and the lesson's own next commands
            let name = l.file_name();
            let register = yadoc::drift::Register::load(&dir)?;
            let drift: Vec<&yadoc::drift::Entry> = register
                .entries
                .iter()
                .map(|(_, e)| e)
                .filter(|e| e.lesson == name)
                .collect();
            if !drift.is_empty() {
                yadoc::say!("known drift of {name} as written (lessons/known-drift.yaml):");
                for e in &drift {
                    // the one-line fix, from the diagnosis the entry names
                    // the one-line fix: the diagnosis the entry names or its signature meets,
                    // else the static tier's own edit
                    let fix = e
                        .diagnosis
                        .as_deref()
                        .and_then(|id| {
                            yadoc::diagnose::entries()
                                .into_iter()
                                .find(|d| d.id == id)
                                .map(|d| d.fix.clone())
                        })
                        .or_else(|| {
                            e.signature
                                .as_deref()
                                .and_then(yadoc::diagnose::diagnose)
                                .map(|d| d.fix)
                        })
                        .map(|f| format!(" — fix: {f}"))
                        .unwrap_or_else(|| {
                            if e.tier == "static" {
                                format!(
                                    " — fix: `yadoc fix {}` shows the edit",
                                    name.trim_end_matches(".md")
                                )
                            } else {
                                String::new()
                            }
                        });
                    yadoc::say!(
                        "  {name}:{} {} ({}): {}{fix}",
                        e.line,
                        e.check,
                        e.tier,
                        e.why
                    );
                }
                yadoc::say!(
                    "the corrected lesson, which passes every tier: yadoc extract {} --corrected --out {}",
                    name.trim_end_matches(".md"),
                    out.display()
                );
            }
            let next: Vec<String> = l
                .steps
                .iter()
                .filter(|s| {
                    use yadoc::lesson::steps::StepKind as K;
                    matches!(
                        s.kind,
                        K::ClusterCreate(_)
                            | K::DockerBuild { .. }
                            | K::ImageImport { .. }
                            | K::Apply { .. }
                    )
                })
                .map(|s| format!("  {name}:{} `{}`", s.line, s.literal))
                .collect();
            if !next.is_empty() {
                yadoc::say!("next, as the lesson does it (in {}):", out.display());
                for n in next {
                    yadoc::say!("{n}");
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
