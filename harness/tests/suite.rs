//! The harness's integration tests, one binary: cargo runs test binaries one after another, and
//! these mostly wait (on docker, on an app's start, on a fake cluster's deadline), so side by side
//! they take the time of the longest few rather than the sum (README, Benchmarks: the test command).
//! Each file is one concern, as before; what several share is declared here once.

mod course_copy;
mod fake_cluster;

mod cleanup;
mod cli;
mod cluster_contract;
mod contributor_loop;
mod kubeconfig_connector;
mod reports;
mod transcript_replay;

/// `yadoc gc` one at a time in this process: each gc test expects its own gc to remove what it
/// planted (cleanup.rs's and cli.rs's).
pub static GC: std::sync::Mutex<()> = std::sync::Mutex::new(());
