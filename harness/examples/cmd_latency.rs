//! Benchmark: the latency the process wrapper adds to a short command (`true`, 200 runs), the median
//! and the 90th percentile. `cargo run --release -p yadoc --example cmd_latency`
use std::time::{Duration, Instant};

fn main() {
    let mut times: Vec<Duration> = (0..200)
        .map(|_| {
            let t = Instant::now();
            yadoc::process::Cmd::new("true")
                .quiet()
                .run()
                .expect("true runs");
            t.elapsed()
        })
        .collect();
    times.sort();
    println!(
        "Cmd::run of `true`, 200 runs: median {:.2} ms, p90 {:.2} ms",
        times[100].as_secs_f64() * 1e3,
        times[180].as_secs_f64() * 1e3
    );
}
