//! The load generator (lesson 2's "fire up a bunch of requests"): bounded in request count, concurrency
//! and time, stops by itself, and only talks to loopback. Reports throughput, bytes and latency
//! percentiles.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::tiers::http::Target;

/// How much load, at most.
#[derive(Debug, Clone)]
pub struct LoadSpec {
    pub target: Target,
    /// Total requests, at most.
    pub requests: u64,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// Wall time, at most: no new request starts after it, and requests in flight are abandoned at
    /// `max_duration + timeout`.
    pub max_duration: Duration,
    /// Per-request timeout.
    pub timeout: Duration,
}

/// What the load did.
#[derive(Debug, Clone, Serialize, Default)]
pub struct LoadReport {
    pub sent: u64,
    pub ok: u64,
    pub failed: u64,
    pub bytes: u64,
    pub elapsed_ms: u64,
    pub requests_per_sec: f64,
    pub mib_per_sec: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// The first error seen, if any request failed.
    pub first_error: Option<String>,
}

impl std::fmt::Display for LoadReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} requests ({} ok, {} failed) in {:.2} s: {:.1} req/s, {:.1} MiB/s; latency p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            self.sent, self.ok, self.failed, self.elapsed_ms as f64 / 1000.0, self.requests_per_sec, self.mib_per_sec, self.p50_ms, self.p90_ms, self.p99_ms, self.max_ms
        )?;
        if let Some(e) = &self.first_error {
            write!(f, "; first error: {e}")?;
        }
        Ok(())
    }
}

#[derive(Default)]
struct Tally {
    ok: u64,
    failed: u64,
    bytes: u64,
    latencies: Vec<Duration>,
    first_error: Option<String>,
}

/// Run the load. Returns an error only for a spec that cannot run (a non-loopback target).
pub async fn run(spec: &LoadSpec) -> Result<LoadReport, String> {
    run_until(spec, Arc::new(AtomicBool::new(false))).await
}

/// Run the load until its bounds, or until `stop` is set (no new request starts after it).
pub async fn run_until(spec: &LoadSpec, stop: Arc<AtomicBool>) -> Result<LoadReport, String> {
    if spec.requests == 0 || spec.concurrency == 0 {
        return Err("requests and concurrency must be at least 1".into());
    }
    let client = spec.target.client(spec.timeout)?;
    let issued = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..spec.concurrency.min(spec.requests as usize) {
        let (client, issued, url) = (client.clone(), issued.clone(), spec.target.url.clone());
        let (requests, max, stop) = (spec.requests, spec.max_duration, stop.clone());
        tasks.spawn(async move {
            let mut t = Tally::default();
            while start.elapsed() < max
                && !stop.load(Ordering::SeqCst)
                && issued.fetch_add(1, Ordering::SeqCst) < requests
            {
                let began = Instant::now();
                match fetch(&client, &url).await {
                    Ok((status, n)) if (200..400).contains(&status) => {
                        t.ok += 1;
                        t.bytes += n;
                    }
                    Ok((status, _)) => {
                        t.failed += 1;
                        t.first_error
                            .get_or_insert_with(|| format!("HTTP {status}"));
                    }
                    Err(e) => {
                        t.failed += 1;
                        t.first_error.get_or_insert(e);
                    }
                }
                t.latencies.push(began.elapsed());
            }
            t
        });
    }
    let mut total = Tally::default();
    let hard_stop = spec.max_duration + spec.timeout + Duration::from_secs(1);
    let (done, failed, aborted) = gather(tasks, start + hard_stop).await;
    for t in done {
        total.ok += t.ok;
        total.failed += t.failed;
        total.bytes += t.bytes;
        total.latencies.extend(t.latencies);
        if total.first_error.is_none() {
            total.first_error = t.first_error;
        }
    }
    if let Some(join) = failed {
        total.first_error = Some(format!("a load task failed: {join}"));
    }
    if aborted > 0 {
        total.first_error = Some(format!(
            "{aborted} load task(s) still running after {hard_stop:?} were aborted"
        ));
    }
    let elapsed = start.elapsed();
    total.latencies.sort();
    let pct = |p: f64| -> f64 {
        if total.latencies.is_empty() {
            return 0.0;
        }
        let i = ((total.latencies.len() as f64 - 1.0) * p).round() as usize;
        total.latencies[i].as_secs_f64() * 1000.0
    };
    let secs = elapsed.as_secs_f64().max(1e-9);
    Ok(LoadReport {
        sent: total.ok + total.failed,
        ok: total.ok,
        failed: total.failed,
        bytes: total.bytes,
        elapsed_ms: elapsed.as_millis() as u64,
        requests_per_sec: (total.ok + total.failed) as f64 / secs,
        mib_per_sec: total.bytes as f64 / secs / (1024.0 * 1024.0),
        p50_ms: pct(0.50),
        p90_ms: pct(0.90),
        p99_ms: pct(0.99),
        max_ms: pct(1.0),
        first_error: total.first_error,
    })
}

/// The results of every task done by `until`; what is still running then is aborted (never left to
/// run on detached), and counted.
async fn gather<T: 'static>(
    mut set: tokio::task::JoinSet<T>,
    until: Instant,
) -> (Vec<T>, Option<String>, usize) {
    let (mut done, mut failed) = (Vec::new(), None);
    loop {
        match tokio::time::timeout_at(until.into(), set.join_next()).await {
            Ok(Some(Ok(t))) => done.push(t),
            Ok(Some(Err(e))) => failed = Some(e.to_string()),
            Ok(None) => return (done, failed, 0),
            Err(_) => {
                let left = set.len();
                set.abort_all();
                while set.join_next().await.is_some() {}
                return (done, failed, left);
            }
        }
    }
}

async fn fetch(client: &reqwest::Client, url: &str) -> Result<(u16, u64), String> {
    let mut resp = client.get(url).send().await.map_err(|e| e.to_string())?;
    let status = resp.status().as_u16();
    let mut n = 0u64;
    while let Some(chunk) = resp.chunk().await.map_err(|e| e.to_string())? {
        n += chunk.len() as u64;
    }
    Ok((status, n))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A tiny HTTP server on loopback answering every request with `body`.
    async fn serve(body: &'static [u8]) -> u16 {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            loop {
                let Ok((mut s, _)) = listener.accept().await else {
                    return;
                };
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 4096];
                    loop {
                        match s.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(_) => {
                                let head = format!(
                                    "HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n",
                                    body.len()
                                );
                                if s.write_all(head.as_bytes()).await.is_err()
                                    || s.write_all(body).await.is_err()
                                {
                                    return;
                                }
                            }
                        }
                    }
                });
            }
        });
        port
    }

    #[tokio::test]
    async fn sends_exactly_the_requested_count_and_counts_bytes() {
        let port = serve(b"hello").await;
        let spec = LoadSpec {
            target: Target::local(format!("http://127.0.0.1:{port}/")),
            requests: 57,
            concurrency: 4,
            max_duration: Duration::from_secs(30),
            timeout: Duration::from_secs(5),
        };
        let r = run(&spec).await.unwrap();
        assert_eq!(
            (r.sent, r.ok, r.failed, r.bytes),
            (57, 57, 0, 57 * 5),
            "{r}"
        );
        assert!(r.p50_ms <= r.p99_ms && r.p99_ms <= r.max_ms);
    }

    #[tokio::test]
    async fn stops_at_the_time_bound_even_with_requests_left() {
        let port = serve(b"x").await;
        let spec = LoadSpec {
            target: Target::local(format!("http://127.0.0.1:{port}/")),
            requests: u64::MAX,
            concurrency: 2,
            max_duration: Duration::from_millis(300),
            timeout: Duration::from_secs(1),
        };
        let started = Instant::now();
        let r = run(&spec).await.unwrap();
        assert!(started.elapsed() < Duration::from_secs(3), "{r}");
        assert!(r.sent > 0 && r.sent < u64::MAX);
    }

    #[tokio::test]
    async fn a_task_past_the_hard_stop_is_aborted_not_left_running() {
        struct Flag(Arc<AtomicBool>);
        impl Drop for Flag {
            fn drop(&mut self) {
                self.0.store(true, Ordering::SeqCst);
            }
        }
        let dropped = Arc::new(AtomicBool::new(false));
        let mut set = tokio::task::JoinSet::new();
        set.spawn(async { 1 });
        let flag = Flag(dropped.clone());
        set.spawn(async move {
            let _flag = flag;
            tokio::time::sleep(Duration::from_secs(3600)).await;
            2
        });
        let (done, failed, aborted) =
            gather(set, Instant::now() + Duration::from_millis(100)).await;
        assert_eq!((done, failed, aborted), (vec![1], None, 1));
        assert!(
            dropped.load(Ordering::SeqCst),
            "the overrunning task was dropped, not detached"
        );
    }

    #[tokio::test]
    async fn refuses_a_non_loopback_target() {
        let spec = LoadSpec {
            target: Target::local("http://192.0.2.1/"),
            requests: 1,
            concurrency: 1,
            max_duration: Duration::from_secs(1),
            timeout: Duration::from_secs(1),
        };
        assert!(run(&spec)
            .await
            .unwrap_err()
            .contains("only talks to 127.0.0.1"));
    }
}
